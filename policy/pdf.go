package policy

import (
	_ "embed"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// The PDF exports print with DejaVu Sans (regular, bold, oblique),
// embedded in the binary (fonts/LICENSE: Bitstream Vera and public domain,
// redistribution allowed): fpdf's core fonts know only cp1252, and a
// policy may be written in any language. Only the glyphs a document uses
// are embedded in it. Code prints in the regular face on grey, not in
// DejaVu Sans Mono: fpdf's subset of that font differs from run to run
// (its cmap maps several characters to one glyph), and an export must be
// the same bytes every time.
var (
	//go:embed fonts/DejaVuSans.ttf
	fontSans []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontSansBold []byte
	//go:embed fonts/DejaVuSans-Oblique.ttf
	fontSansOblique []byte
)

// Page geometry, in millimetres (A4).
const (
	pageW      = 210.0
	pageH      = 297.0
	marginL    = 20.0
	marginR    = 20.0
	contentTop = 24.0 // below the running header
	marginB    = 18.0 // above the footer
	textW      = pageW - marginL - marginR
	bodyPt     = 10.0
	bodyLine   = 5.0
	codePt     = 8.5
	codeLine   = 4.2
	listIndent = 6.0
	quoteInset = 5.0
)

// style is how a run of inline text prints.
type style uint8

const (
	stBold style = 1 << iota
	stItalic
	stMono
	stStrike
	stLink
	stMuted
)

// run is a piece of inline text in one style; link is a clickable URL.
type run struct {
	text string
	st   style
	link string
}

// pdfDoc lays Markdown and the export's header blocks out on fpdf pages:
// its own line breaking (fpdf's Write converts its whole string to runes
// for every character it measures), page breaks, nesting of lists and
// block quotes, tables that split across pages.
type pdfDoc struct {
	f      *fpdf.Fpdf
	src    []byte
	indent float64   // left edge of text at the current nesting
	right  float64   // right edge of text
	bars   []float64 // x of each enclosing block quote's bar
	size   float64   // body font size (headings change it)
	lineH  float64
	outl   int // the outline level the document's headings start at
	lastH  int // the last outline level used, so levels never jump

	// What the running header and the footer print on each page; pending
	// takes effect at the next page's header (the page before still gets
	// its own footer).
	banner      string // a version not in force: on every page, in red
	runHead     string
	runFoot     string
	cover       bool // this page opens a document: no running header
	pending     *pageText
	policyStart int  // the page the last version began on
	italic      bool // the oblique face is loaded (at its first use: parsing a face is a good part of a short export's time)

	// The font set last by setStyle, so that an unchanged one is not set
	// again (fpdf writes every SetFont into the page); header and footer
	// set their own and forget it.
	curSt   style
	curSize float64
	curOK   bool
}

type pageText struct {
	banner, runHead, runFoot string
	cover                    bool
}

func newPDFDoc(compress bool) *pdfDoc {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetCompression(compress)
	f.SetCatalogSort(true)
	f.SetProducer("Vigil", true)
	f.SetCreator("Vigil", true)
	f.AddUTF8FontFromBytes("sans", "", fontSans)
	f.AddUTF8FontFromBytes("sans", "B", fontSansBold)
	f.SetMargins(marginL, contentTop, marginR)
	f.SetAutoPageBreak(false, marginB)
	f.SetCellMargin(0)
	f.AliasNbPages("{nb}")
	d := &pdfDoc{f: f, indent: marginL, right: pageW - marginR, size: bodyPt, lineH: bodyLine}
	f.SetHeaderFunc(d.header)
	f.SetFooterFunc(d.footer)
	return d
}

func (d *pdfDoc) header() {
	f := d.f
	d.curOK = false
	if p := d.pending; p != nil {
		d.banner, d.runHead, d.runFoot, d.cover = p.banner, p.runHead, p.runFoot, p.cover
		d.pending = nil
	}
	if d.banner != "" {
		f.SetFont("sans", "B", 10)
		f.SetTextColor(176, 0, 32)
		f.SetDrawColor(176, 0, 32)
		f.SetXY(marginL, 8)
		f.CellFormat(textW, 6, d.banner, "1", 0, "C", false, 0, "")
	} else if d.runHead != "" && !d.cover {
		f.SetFont("sans", "", 8)
		f.SetTextColor(110, 110, 110)
		f.SetXY(marginL, 10)
		f.CellFormat(textW, 4, d.runHead, "", 0, "L", false, 0, "")
	}
	d.cover = false
	f.SetDrawColor(0, 0, 0)
	f.SetTextColor(0, 0, 0)
	f.SetY(contentTop)
}

func (d *pdfDoc) footer() {
	f := d.f
	d.curOK = false
	f.SetFont("sans", "", 8)
	f.SetTextColor(110, 110, 110)
	f.SetXY(marginL, pageH-12)
	f.CellFormat(textW/2, 4, d.runFoot, "", 0, "L", false, 0, "")
	f.CellFormat(textW/2, 4, fmt.Sprintf("page %d of {nb}", f.PageNo()), "", 0, "R", false, 0, "")
	f.SetTextColor(0, 0, 0)
}

// newPage starts a page and puts the cursor at the top of its text.
func (d *pdfDoc) newPage() {
	d.f.AddPage()
	d.f.SetXY(d.indent, contentTop)
}

// room makes sure h millimetres fit below the cursor, starting a page when
// not (unless the cursor is already at a page's top).
func (d *pdfDoc) room(h float64) {
	if y := d.f.GetY(); y+h > pageH-marginB && y > contentTop+0.1 {
		d.newPage()
	}
}

// space adds vertical space, none at a page's top.
func (d *pdfDoc) space(h float64) {
	if y := d.f.GetY(); y > contentTop+0.1 {
		d.drawBars(y, h)
		d.f.SetY(y + h)
	}
}

func (d *pdfDoc) drawBars(y, h float64) {
	if len(d.bars) == 0 {
		return
	}
	d.f.SetDrawColor(190, 190, 190)
	d.f.SetLineWidth(0.8)
	for _, x := range d.bars {
		d.f.Line(x, y, x, y+h)
	}
	d.f.SetLineWidth(0.2)
	d.f.SetDrawColor(0, 0, 0)
}

func (d *pdfDoc) setStyle(st style, size float64) {
	if d.curOK && d.curSt == st && d.curSize == size {
		return
	}
	d.curSt, d.curSize, d.curOK = st, size, true
	s := ""
	switch {
	case st&stBold != 0:
		s = "B"
	case st&stItalic != 0:
		s = "I"
		if !d.italic {
			d.f.AddUTF8FontFromBytes("sans", "I", fontSansOblique)
			d.italic = true
		}
	}
	if st&stStrike != 0 {
		s += "S"
	}
	if st&stMono != 0 {
		size *= 0.9
	}
	d.f.SetFont("sans", s, size)
	switch {
	case st&stMono != 0:
		d.f.SetTextColor(120, 30, 60)
	case st&stLink != 0:
		d.f.SetTextColor(20, 70, 160)
	case st&stMuted != 0:
		d.f.SetTextColor(90, 90, 90)
	default:
		d.f.SetTextColor(0, 0, 0)
	}
}

// token is a word or a space of a run, measured.
type token struct {
	text  string
	st    style
	link  string
	w     float64
	space bool
	br    bool // a hard line break
}

// tokens splits runs into measured words and spaces.
func (d *pdfDoc) tokens(runs []run, size float64) []token {
	n := 0
	for _, r := range runs {
		n += len(r.text)/5 + 1
	}
	out := make([]token, 0, n)
	for _, r := range runs {
		d.setStyle(r.st, size)
		spaceW := d.f.GetStringWidth(" ")
		s := r.text
		for s != "" {
			if s[0] == '\n' {
				out = append(out, token{br: true, st: r.st})
				s = s[1:]
				continue
			}
			if s[0] == ' ' || s[0] == '\t' {
				i := 0
				for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
					i++
				}
				if r.st&stMono != 0 && i > 1 {
					// Spaces in code keep their width.
					out = append(out, token{text: strings.Repeat(" ", i), st: r.st, link: r.link, w: spaceW * float64(i), space: true})
				} else {
					out = append(out, token{text: " ", st: r.st, link: r.link, w: spaceW, space: true})
				}
				s = s[i:]
				continue
			}
			i := strings.IndexAny(s, " \t\n")
			if i < 0 {
				i = len(s)
			}
			w := s[:i]
			out = append(out, token{text: w, st: r.st, link: r.link, w: d.f.GetStringWidth(w)})
			s = s[i:]
		}
	}
	return out
}

// splitWord cuts a word too wide for a line into pieces that fit.
func (d *pdfDoc) splitWord(t token, width, size float64) []token {
	d.setStyle(t.st, size)
	var out []token
	s := t.text
	for s != "" {
		acc, n := 0.0, 0
		for i, r := range s {
			cw := d.f.GetStringWidth(string(r))
			if acc+cw > width && n > 0 {
				break
			}
			acc += cw
			n = i + utf8.RuneLen(r)
		}
		out = append(out, token{text: s[:n], st: t.st, link: t.link, w: acc})
		s = s[n:]
	}
	return out
}

// wrap breaks tokens into lines of at most width.
func (d *pdfDoc) wrap(toks []token, width, size float64) [][]token {
	var lines [][]token
	var line []token
	lw := 0.0
	flush := func() {
		for len(line) > 0 && line[len(line)-1].space {
			line = line[:len(line)-1]
		}
		lines = append(lines, line)
		line, lw = nil, 0
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.br:
			flush()
			continue
		case t.space && len(line) == 0:
			continue // no space at a line's start
		case !t.space && t.w > width:
			// A word (a long URL) wider than the line: cut it.
			if len(line) > 0 {
				flush()
			}
			parts := d.splitWord(t, width, size)
			for _, p := range parts[:len(parts)-1] {
				lines = append(lines, []token{p})
			}
			t = parts[len(parts)-1]
		case !t.space && lw+t.w > width:
			flush()
		}
		line = append(line, t)
		lw += t.w
	}
	if len(line) > 0 {
		flush()
	}
	return lines
}

// lineWidth is the printed width of a line of tokens.
func lineWidth(line []token) float64 {
	w := 0.0
	for _, t := range line {
		w += t.w
	}
	return w
}

// drawLine prints one line of tokens at (x, y), runs of one style and link
// as one cell each.
func (d *pdfDoc) drawLine(line []token, x, y, h, size float64) {
	for i := 0; i < len(line); {
		j, w := i, 0.0
		var sb strings.Builder
		for j < len(line) && line[j].st == line[i].st && line[j].link == line[i].link {
			sb.WriteString(line[j].text)
			w += line[j].w
			j++
		}
		d.setStyle(line[i].st, size)
		d.f.SetXY(x, y)
		d.f.CellFormat(w, h, sb.String(), "", 0, "L", false, 0, line[i].link)
		x += w
		i = j
	}
}

// flow prints runs as a paragraph at the current indent, breaking pages.
func (d *pdfDoc) flow(runs []run, size, lineH float64) {
	width := d.right - d.indent
	for _, line := range d.wrap(d.tokens(runs, size), width, size) {
		d.room(lineH)
		y := d.f.GetY()
		d.drawBars(y, lineH)
		d.drawLine(line, d.indent, y, lineH, size)
		d.f.SetXY(d.indent, y+lineH)
	}
}

// markdown prints a policy's Markdown. Raw HTML is left out, as the
// rendered page leaves it out: nothing the author writes as HTML reaches
// the PDF as anything but the text around it.
func (d *pdfDoc) markdown(body string) {
	d.src = []byte(body)
	doc := md.Parser().Parse(text.NewReader(d.src))
	d.blocks(doc)
}

func (d *pdfDoc) blocks(parent ast.Node) {
	for n := parent.FirstChild(); n != nil; n = n.NextSibling() {
		d.block(n)
	}
}

var headingPt = [7]float64{0, 16, 13.5, 12, 11, 10.5, 10}

func (d *pdfDoc) block(n ast.Node) {
	switch n := n.(type) {
	case *ast.Heading:
		size := headingPt[min(max(n.Level, 1), 6)]
		lh := size * 0.5
		d.space(size * 0.35)
		d.room(lh + 2*bodyLine) // keep a heading with what follows it
		if d.outl >= 0 && n.Level <= 3 {
			lvl := min(d.outl+n.Level-1, d.lastH+1)
			d.f.Bookmark(plainText(n, d.src), lvl, -1)
			d.lastH = lvl
		}
		d.flow(d.inlines(n, stBold), size, lh)
		d.space(1.5)
	case *ast.Paragraph:
		d.flow(d.inlines(n, 0), d.size, d.lineH)
		d.space(2.5)
	case *ast.TextBlock: // a tight list's item
		d.flow(d.inlines(n, 0), d.size, d.lineH)
		if n.NextSibling() != nil {
			d.space(1)
		}
	case *ast.ThematicBreak:
		d.space(2)
		d.room(2)
		y := d.f.GetY()
		d.f.SetDrawColor(160, 160, 160)
		d.f.Line(d.indent, y, d.right, y)
		d.f.SetDrawColor(0, 0, 0)
		d.f.SetY(y + 3)
	case *ast.CodeBlock, *ast.FencedCodeBlock:
		d.code(n)
		d.space(2.5)
	case *ast.Blockquote:
		inset := nestInset(d, quoteInset)
		if inset > 0 {
			d.bars = append(d.bars, d.indent+1)
		}
		d.indent += inset
		d.f.SetX(d.indent)
		d.blocks(n)
		d.indent -= inset
		if inset > 0 {
			d.bars = d.bars[:len(d.bars)-1]
		}
		d.f.SetX(d.indent)
		d.space(1)
	case *ast.List:
		d.list(n)
		d.space(1.5)
	case *east.Table:
		d.table(n)
		d.space(3)
	case *ast.HTMLBlock:
		// Left out, as on the page.
	default:
		d.blocks(n)
	}
}

// plainText is a node's text without formatting (for outlines).
func plainText(n ast.Node, src []byte) string {
	var sb strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			sb.Write(unescape(c.Segment.Value(src)))
			if c.SoftLineBreak() {
				sb.WriteByte(' ')
			}
		case *ast.String:
			sb.Write(c.Value)
		case *ast.RawHTML:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return sb.String()
}

// unescape resolves backslash escapes and character references, as the
// HTML renderer does when it writes text.
func unescape(b []byte) []byte {
	return util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(b)))
}

// safeURL is a link target worth printing and following: http, https and
// mailto, as the page allows. Anything else prints as its text alone.
func safeURL(dest string) bool {
	u, err := url.Parse(strings.TrimSpace(dest))
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "mailto":
		return true
	}
	return false
}

// inlines collects a block's inline content as runs.
func (d *pdfDoc) inlines(parent ast.Node, base style) []run {
	// Pieces of one style are gathered and joined once: a paragraph of
	// thousands of lines is thousands of text nodes.
	var out []run
	var cur strings.Builder
	var curSt style
	var curLink string
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, run{text: cur.String(), st: curSt, link: curLink})
			cur.Reset()
		}
	}
	add := func(s string, st style, link string) {
		if s == "" {
			return
		}
		if st != curSt || link != curLink {
			flush()
			curSt, curLink = st, link
		}
		cur.WriteString(s)
	}
	var walk func(n ast.Node, st style, link string)
	walk = func(n ast.Node, st style, link string) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				add(string(unescape(c.Segment.Value(d.src))), st, link)
				switch {
				case c.HardLineBreak():
					add("\n", st, link)
				case c.SoftLineBreak():
					add(" ", st, link)
				}
			case *ast.String:
				add(string(c.Value), st, link)
			case *ast.CodeSpan:
				var sb strings.Builder
				for t := c.FirstChild(); t != nil; t = t.NextSibling() {
					switch t := t.(type) {
					case *ast.Text:
						sb.Write(t.Segment.Value(d.src))
					case *ast.String:
						sb.Write(t.Value)
					}
				}
				add(strings.ReplaceAll(sb.String(), "\n", " "), st|stMono, link)
			case *ast.Emphasis:
				if c.Level >= 2 {
					walk(c, st|stBold, link)
				} else {
					walk(c, st|stItalic, link)
				}
			case *east.Strikethrough:
				walk(c, st|stStrike, link)
			case *ast.Link:
				dest := string(c.Destination)
				if !safeURL(dest) {
					walk(c, st, link)
					continue
				}
				walk(c, st|stLink, dest)
				if label := plainText(c, d.src); label != dest && "mailto:"+label != dest {
					add(" ("+dest+")", st|stMuted, "")
				}
			case *ast.AutoLink:
				dest, label := string(c.URL(d.src)), string(c.Label(d.src))
				if !safeURL(dest) {
					add(label, st, link)
					continue
				}
				add(label, st|stLink, dest)
			case *ast.Image:
				alt := plainText(c, d.src)
				s := "[image: " + alt + "]"
				if dest := string(c.Destination); safeURL(dest) {
					s = "[image: " + alt + " (" + dest + ")]"
				}
				add(s, st|stMuted, "")
			case *ast.RawHTML:
				// Left out, as on the page.
			default:
				walk(c, st, link)
			}
		}
	}
	walk(parent, base, "")
	flush()
	return out
}

// code prints a code block, line by line on a grey ground, long lines
// wrapped.
func (d *pdfDoc) code(n ast.Node) {
	lines := n.Lines()
	d.space(0.5)
	width := d.right - d.indent
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		s := strings.TrimRight(strings.ReplaceAll(string(seg.Value(d.src)), "\t", "    "), "\r\n")
		toks := []token{{text: s, st: stMono}}
		d.setStyle(stMono, codePt/0.9)
		toks[0].w = d.f.GetStringWidth(s)
		var wrapped [][]token
		if toks[0].w > width-2 {
			for _, p := range d.splitWord(toks[0], width-2, codePt/0.9) {
				wrapped = append(wrapped, []token{p})
			}
		} else {
			wrapped = [][]token{toks}
		}
		for _, line := range wrapped {
			d.room(codeLine)
			y := d.f.GetY()
			d.drawBars(y, codeLine)
			d.f.SetFillColor(242, 242, 242)
			d.f.Rect(d.indent, y, width, codeLine, "F")
			if len(line) > 0 && line[0].text != "" {
				d.drawLine(line, d.indent+1, y, codeLine, codePt/0.9)
			}
			d.f.SetXY(d.indent, y+codeLine)
		}
	}
}

var bullets = []string{"•", "◦", "▪"}

// list prints a list, its items' blocks indented under their markers.
func (d *pdfDoc) list(l *ast.List) {
	depth := 0
	for p := l.Parent(); p != nil; p = p.Parent() {
		if _, ok := p.(*ast.List); ok {
			depth++
		}
	}
	num := l.Start
	for it := l.FirstChild(); it != nil; it = it.NextSibling() {
		marker := bullets[depth%len(bullets)]
		if l.IsOrdered() {
			marker = strconv.Itoa(num) + string(l.Marker)
			num++
		}
		d.room(d.lineH)
		y := d.f.GetY()
		d.setStyle(0, d.size)
		mw := d.f.GetStringWidth(marker)
		inset := nestInset(d, max(listIndent, mw+2))
		d.f.SetXY(d.indent+inset-mw-1.5, y)
		d.f.CellFormat(mw, d.lineH, marker, "", 0, "L", false, 0, "")
		d.indent += inset
		d.f.SetXY(d.indent, y)
		if it.FirstChild() == nil {
			d.f.SetY(y + d.lineH)
		}
		d.blocks(it)
		d.indent -= inset
		d.f.SetX(d.indent)
	}
}

// minTextW is the narrowest text nesting leaves: lists and quotes nested
// deeper than that print at the same indent.
const minTextW = 60.0

// nestInset is how far a nested block indents: by inset while the text
// keeps minTextW, else not at all.
func nestInset(d *pdfDoc, inset float64) float64 {
	if d.indent+inset > d.right-minTextW {
		return 0
	}
	return inset
}

// cellLines is one table cell's wrapped lines.
type cellLines struct {
	lines [][]token
	align string
}

// table prints a GitHub table: columns sized to their content within the
// text width, rows that break across pages, the header row repeated at
// the top of each page the table continues on.
func (d *pdfDoc) table(t *east.Table) {
	const pad, size, lh = 1.5, 9.0, 4.4
	var rows [][]cellLines
	var runs [][][]run
	header := 0
	cols := 0
	for r := t.FirstChild(); r != nil; r = r.NextSibling() {
		var row [][]run
		for c := r.FirstChild(); c != nil; c = c.NextSibling() {
			base := style(0)
			if _, ok := r.(*east.TableHeader); ok {
				base = stBold
			}
			row = append(row, d.inlines(c, base))
		}
		if _, ok := r.(*east.TableHeader); ok {
			header = 1
		}
		cols = max(cols, len(row))
		runs = append(runs, row)
	}
	if cols == 0 {
		return
	}
	// Natural widths, and the widest word of each column.
	width := d.right - d.indent
	natural, least := make([]float64, cols), make([]float64, cols)
	toks := make([][][]token, len(runs))
	for i, row := range runs {
		toks[i] = make([][]token, cols)
		for j, cell := range row {
			ts := d.tokens(cell, size)
			toks[i][j] = ts
			natural[j] = max(natural[j], lineWidth(ts)+2*pad)
			for _, tk := range ts {
				least[j] = max(least[j], min(tk.w+2*pad, width/float64(cols)))
			}
		}
	}
	colW := make([]float64, cols)
	sum := 0.0
	for j := range natural {
		natural[j] = max(natural[j], 8)
		sum += natural[j]
	}
	if sum <= width {
		copy(colW, natural)
	} else {
		// Each column gets its widest word, the rest is shared in
		// proportion to what the columns would take unwrapped.
		base, rest := 0.0, 0.0
		for j := range least {
			least[j] = max(least[j], 8)
			base += least[j]
			rest += natural[j] - least[j]
		}
		spare := max(width-base, 0)
		for j := range colW {
			colW[j] = least[j]
			if rest > 0 {
				colW[j] += spare * (natural[j] - least[j]) / rest
			}
			if base > width {
				colW[j] = width * least[j] / base
			}
		}
	}
	aligns := t.Alignments
	for i := range toks {
		row := make([]cellLines, cols)
		for j := 0; j < cols; j++ {
			row[j].lines = d.wrap(toks[i][j], colW[j]-2*pad, size)
			if j < len(aligns) {
				switch aligns[j] {
				case east.AlignRight:
					row[j].align = "R"
				case east.AlignCenter:
					row[j].align = "C"
				}
			}
		}
		rows = append(rows, row)
	}
	d.f.SetLineWidth(0.2)
	d.f.SetDrawColor(150, 150, 150)
	for i, row := range rows {
		n := 1
		for _, c := range row {
			n = max(n, len(c.lines))
		}
		// Start a short row on a new page rather than split it.
		if need := float64(n)*lh + 2*pad; need < pageH-marginB-contentTop {
			if d.f.GetY()+need > pageH-marginB && d.f.GetY() > contentTop+0.1 {
				d.newPage()
				if header == 1 && i > 0 {
					d.tableRow(rows[0], colW, 1, pad, size, lh, true)
				}
			}
		}
		d.tableRow(row, colW, n, pad, size, lh, i < header)
	}
	d.f.SetDrawColor(0, 0, 0)
	d.f.SetX(d.indent)
}

// tableRow prints one row of n lines, breaking pages between lines when it
// must and boxing each page's part of the row.
func (d *pdfDoc) tableRow(row []cellLines, colW []float64, n int, pad, size, lh float64, head bool) {
	top := d.f.GetY()
	box := func(bottom float64) {
		x := d.indent
		for _, w := range colW {
			d.f.Rect(x, top, w, bottom-top, "D")
			x += w
		}
	}
	if head {
		d.f.SetFillColor(235, 235, 235)
		d.f.Rect(d.indent, top, sumOf(colW), float64(n)*lh+2*pad, "F")
	}
	y := top + pad
	for k := 0; k < n; k++ {
		if y+lh > pageH-marginB {
			box(y)
			d.newPage()
			top = d.f.GetY()
			y = top + pad
		}
		x := d.indent
		for j, c := range row {
			if k < len(c.lines) {
				lx := x + pad
				switch lw := lineWidth(c.lines[k]); c.align {
				case "R":
					lx = x + colW[j] - pad - lw
				case "C":
					lx = x + (colW[j]-lw)/2
				}
				d.drawLine(c.lines[k], lx, y, lh, size)
			}
			x += colW[j]
		}
		y += lh
	}
	y += pad
	box(y)
	d.f.SetXY(d.indent, y)
}

func sumOf(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}
