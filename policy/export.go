package policy

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
)

// Exports of the policy set: each version as a PDF (vector text, the
// DejaVu fonts embedded) and as a standalone HTML document, and the set of
// policies in force as one PDF and as a zip of both with an index and a
// manifest of hashes. Every export names its version, state, effective
// date, owner, approvals (at publication or at a later review), change
// summary and the SHA-256 of the text; a version not in force says so on
// every page. The same version (and the same set) exports to the same
// bytes: the documents' dates are the publication's, the zip's entries
// carry fixed times.

// exportDoc is what an export of one version prints.
type exportDoc struct {
	Org    string
	P      *vigil.Policy
	V      *vigil.PolicyVersion
	Banner string // "" for the version in force (set by newExportDoc)
}

func newExportDoc(org string, p *vigil.Policy, v *vigil.PolicyVersion) *exportDoc {
	return &exportDoc{Org: org, P: p, V: v, Banner: versionBanner(p, v)}
}

// versionBanner is what a version that is not in force carries on every
// page, so that nobody takes it for the policy.
func versionBanner(p *vigil.Policy, v *vigil.PolicyVersion) string {
	switch v.State {
	case vigil.PolicyDraft:
		return "DRAFT – not approved"
	case vigil.PolicyInReview:
		return "DRAFT – not approved (in review)"
	case vigil.PolicyApproved:
		return "APPROVED, NOT PUBLISHED – not in force"
	case vigil.PolicyRetired:
		return "RETIRED – no longer in force"
	}
	if p.RetiredAt != nil {
		return "RETIRED – no longer in force"
	}
	return ""
}

// docTime is the export's own date: the publication, else the version's
// last event, so that exporting again gives the same bytes.
func docTime(v *vigil.PolicyVersion) time.Time {
	t := v.CreatedAt
	for _, p := range []*time.Time{v.SubmittedAt, v.ApprovedAt, v.PublishedAt, v.RetiredAt} {
		if p != nil && p.After(t) {
			t = *p
		}
	}
	for _, a := range v.Approvals {
		if a.At.After(t) {
			t = a.At
		}
	}
	return t.UTC()
}

func stateName(s vigil.PolicyState) string {
	return strings.ReplaceAll(string(s), "_", " ")
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// approvalLine describes one approval: who, when, and which round.
func approvalLine(a vigil.PolicyApproval) string {
	name := a.Name
	if name == "" {
		name = "user " + strconv.FormatInt(a.UserID, 10)
	}
	when := "at publication"
	if a.Review > 0 {
		when = fmt.Sprintf("at review %d (no changes)", a.Review)
	}
	return fmt.Sprintf("%s, %s, %s", name, a.At.UTC().Format("2006-01-02 15:04 UTC"), when)
}

// facts are the header's label/value pairs.
func (e *exportDoc) facts() [][2]string {
	v := e.V
	eff := v.Effective
	if eff == "" {
		eff = "not published"
	}
	owner := e.P.OwnerName
	if owner == "" {
		owner = "user " + strconv.FormatInt(e.P.OwnerID, 10)
	}
	fs := [][2]string{
		{"Version", strconv.Itoa(v.Number)},
		{"State", stateName(v.State)},
		{"Effective date", eff},
		{"Owner", owner},
		{"Published", fmtTime(v.PublishedAt)},
	}
	if v.RetiredAt != nil {
		fs = append(fs, [2]string{"Retired", fmtTime(v.RetiredAt)})
	}
	summary := v.ChangeSummary
	if summary == "" {
		summary = "-"
	}
	fs = append(fs, [2]string{"Change summary", summary}, [2]string{"SHA-256 of the text", v.SHA256})
	return fs
}

// header prints the version's cover block.
func (d *pdfDoc) versionHeader(e *exportDoc) {
	f := d.f
	if e.Org != "" {
		d.flow([]run{{text: e.Org, st: stMuted}}, 9, 4.5)
	}
	d.flow([]run{{text: e.P.Key + " " + e.P.Title, st: stBold}}, 18, 8.5)
	d.space(2)
	const labelW = 38.0
	for _, kv := range e.facts() {
		st := style(0)
		if kv[0] == "SHA-256 of the text" {
			st = stMono
		}
		d.fact(kv[0], []run{{text: kv[1], st: st}}, labelW)
	}
	var runs []run
	for i, a := range e.V.Approvals {
		if i > 0 {
			runs = append(runs, run{text: "\n"})
		}
		runs = append(runs, run{text: approvalLine(a)})
		if a.Comment != "" {
			runs = append(runs, run{text: ": “" + a.Comment + "”", st: stMuted})
		}
	}
	if len(runs) == 0 {
		runs = []run{{text: "none recorded", st: stMuted}}
	}
	d.fact("Approvals", runs, labelW)
	d.space(2)
	y := f.GetY()
	f.SetDrawColor(120, 120, 120)
	f.SetLineWidth(0.4)
	f.Line(marginL, y, pageW-marginR, y)
	f.SetLineWidth(0.2)
	f.SetDrawColor(0, 0, 0)
	f.SetY(y + 5)
}

// fact prints a label and its value beside it, the value wrapped.
func (d *pdfDoc) fact(label string, value []run, labelW float64) {
	d.room(bodyLine)
	y := d.f.GetY()
	d.setStyle(stBold|stMuted, 9)
	d.f.SetXY(marginL, y)
	d.f.CellFormat(labelW, 4.6, label, "", 0, "L", false, 0, "")
	saved := d.indent
	d.indent = marginL + labelW
	d.f.SetXY(d.indent, y)
	d.flow(value, 9, 4.6)
	d.indent = saved
	d.f.SetX(saved)
	d.space(0.6)
}

// versionPDF writes one version's PDF document into d.
func (d *pdfDoc) version(e *exportDoc, outline int) {
	foot := fmt.Sprintf("%s version %d", e.P.Key, e.V.Number)
	if e.Banner != "" {
		foot += " · " + e.Banner
	}
	d.pending = &pageText{banner: e.Banner, runHead: e.P.Key + " " + e.P.Title, runFoot: foot, cover: true}
	d.newPage()
	d.policyStart = d.f.PageNo()
	if outline >= 0 {
		d.f.Bookmark(e.P.Key+" "+e.P.Title, outline, -1)
		d.lastH = outline
		d.outl = outline + 1
	} else {
		d.outl, d.lastH = 0, -1
	}
	d.versionHeader(e)
	d.markdown(e.V.Body)
}

func writeVersionPDF(w io.Writer, e *exportDoc, compress bool) error {
	d := newPDFDoc(compress)
	f := d.f
	t := docTime(e.V)
	f.SetCreationDate(t)
	f.SetModificationDate(t)
	f.SetTitle(fmt.Sprintf("%s %s, version %d", e.P.Key, e.P.Title, e.V.Number), true)
	f.SetAuthor(e.Org, true)
	f.SetSubject("SHA-256 of the text: "+e.V.SHA256, true)
	d.version(e, -1)
	return f.Output(w)
}

// htmlTemplate is the standalone HTML export: inline CSS only, no script,
// and a policy that refuses anything else a browser might load.
var htmlTemplate = template.Must(template.New("export").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.P.Key}} {{.P.Title}}, version {{.V.Number}}</title>
<style>
body{font-family:"DejaVu Sans",system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#111}
.org{color:#666;margin:0}
h1{margin:.2rem 0 1rem}
.banner{border:2px solid #b00020;color:#b00020;font-weight:bold;text-align:center;padding:.4rem;margin:1rem 0}
dl{display:grid;grid-template-columns:12rem 1fr;gap:.2rem 1rem;font-size:.9rem;margin:0 0 1rem}
dt{font-weight:bold;color:#555}
dd{margin:0}
code,pre{font-family:"DejaVu Sans Mono",monospace;font-size:.9em}
pre{background:#f2f2f2;padding:.6rem;overflow-x:auto}
table{border-collapse:collapse}
th,td{border:1px solid #999;padding:.2rem .5rem;text-align:left;vertical-align:top}
blockquote{border-left:4px solid #bbb;margin-left:0;padding-left:1rem;color:#333}
hr.head{border:0;border-top:2px solid #777;margin:1rem 0 1.5rem}
footer{margin-top:2rem;color:#666;font-size:.8rem}
</style>
</head>
<body>
<header>
{{with .Org}}<p class="org">{{.}}</p>{{end}}
<h1>{{.P.Key}} {{.P.Title}}</h1>
{{with .Banner}}<p class="banner" id="banner">{{.}}</p>{{end}}
<dl>
{{range .Facts}}<dt>{{index . 0}}</dt><dd>{{if eq (index . 0) "SHA-256 of the text"}}<code>{{index . 1}}</code>{{else}}{{index . 1}}{{end}}</dd>
{{end}}<dt>Approvals</dt><dd>{{range .V.Approvals}}{{$.Approval .}}{{with .Comment}}: “{{.}}”{{end}}<br>{{else}}none recorded{{end}}</dd>
</dl>
<hr class="head">
</header>
<main>
<article>
{{.Body}}
</article>
</main>
<footer>{{.P.Key}} version {{.V.Number}}{{with .Banner}} · {{.}}{{end}} · sha256 {{.V.SHA256}}</footer>
</body>
</html>
`))

type htmlData struct {
	*exportDoc
	Facts [][2]string
	Body  template.HTML
}

func (htmlData) Approval(a vigil.PolicyApproval) string { return approvalLine(a) }

func writeVersionHTML(w io.Writer, e *exportDoc) error {
	return htmlTemplate.Execute(w, htmlData{exportDoc: e, Facts: e.facts(), Body: Render(e.V.Body)})
}

// ExportFileName is a version's export file name: POL-001-v3.pdf.
func ExportFileName(p *vigil.Policy, number int, ext string) string {
	key := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, p.Key)
	return fmt.Sprintf("%s-v%d.%s", key, number, ext)
}

// exportVersion loads what one version's export prints.
func (s *Service) exportVersion(ctx context.Context, id int64, number int) (*exportDoc, error) {
	p, err := s.Store.Policy(ctx, id)
	if err != nil {
		return nil, err
	}
	v, err := s.Store.PolicyVersion(ctx, id, number)
	if err != nil {
		return nil, err
	}
	org, err := s.orgName(ctx)
	if err != nil {
		return nil, err
	}
	return newExportDoc(org, p, v), nil
}

// ExportVersionPDF writes version number of policy id as a PDF. A version
// not in force (a draft, one in review or approved, a retired one) carries
// its state on every page.
func (s *Service) ExportVersionPDF(ctx context.Context, id int64, number int, w io.Writer) error {
	e, err := s.exportVersion(ctx, id, number)
	if err != nil {
		return err
	}
	return writeVersionPDF(w, e, true)
}

// ExportVersionHTML writes version number of policy id as a standalone
// HTML document: its text rendered and sanitized as on the page.
func (s *Service) ExportVersionHTML(ctx context.Context, id int64, number int, w io.Writer) error {
	e, err := s.exportVersion(ctx, id, number)
	if err != nil {
		return err
	}
	return writeVersionHTML(w, e)
}

// setMember is a policy of the set: in force, or left out with the reason.
type setMember struct {
	P      *vigil.Policy
	Reason string // why it is excluded; "" when in the set
}

// exportSet lists the policies for a set export: each policy's published
// version, in key order, and the policies left out (retired, never
// published) with why. asOf is the latest event any of them shows.
func (s *Service) exportSet(ctx context.Context) (org string, in, out []setMember, asOf time.Time, err error) {
	ps, err := s.Store.Policies(ctx)
	if err != nil {
		return "", nil, nil, time.Time{}, err
	}
	org, err = s.orgName(ctx)
	if err != nil {
		return "", nil, nil, time.Time{}, err
	}
	asOf = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC) // the zip format's first day
	later := func(t *time.Time) {
		if t != nil && t.After(asOf) {
			asOf = t.UTC()
		}
	}
	for i := range ps {
		p := &ps[i]
		switch {
		case p.RetiredAt != nil:
			later(p.RetiredAt)
			out = append(out, setMember{P: p, Reason: "retired " + p.RetiredAt.UTC().Format(time.DateOnly)})
		case p.Published == nil:
			later(&p.CreatedAt)
			reason := "never published"
			if p.Latest != nil {
				reason += fmt.Sprintf(" (version %d is %s)", p.Latest.Number, stateName(p.Latest.State))
			}
			out = append(out, setMember{P: p, Reason: reason})
		default:
			t := docTime(p.Published)
			later(&t)
			in = append(in, setMember{P: p})
		}
	}
	return org, in, out, asOf, nil
}

// orgName is the organization's name, "" before setup.
func (s *Service) orgName(ctx context.Context) (string, error) {
	o, err := s.Store.Organization(ctx)
	switch {
	case vigil.ErrorCode(err) == vigil.ENOTFOUND:
		return "", nil
	case err != nil:
		return "", err
	}
	return o.Name, nil
}

// ExportSetPDF writes every policy in force as one PDF: a table of
// contents first (with the policies left out and why), then each policy's
// published version from a new page.
func (s *Service) ExportSetPDF(ctx context.Context, w io.Writer) error {
	org, in, out, asOf, err := s.exportSet(ctx)
	if err != nil {
		return err
	}
	d := newPDFDoc(true)
	f := d.f
	f.SetCreationDate(asOf)
	f.SetModificationDate(asOf)
	f.SetTitle(org+" policy set", true)
	f.SetAuthor(org, true)
	f.SetFont("sans", "", bodyPt)

	// The contents: one line per policy, so its length is known before
	// the policies are laid out and the page numbers can be filled in
	// afterwards.
	const tocLine = 6.0
	lines := len(in) + 4
	if len(out) > 0 {
		lines += len(out) + 3
	}
	perPage := 37 // (pageH - marginB - contentTop - 30) / tocLine
	tocPages := (lines + perPage - 1) / perPage
	foot := "Policy set"
	if org != "" {
		foot = org + " policy set"
	}
	d.pending = &pageText{runFoot: foot, cover: true}
	start := f.PageNo() + 1
	for range tocPages {
		d.newPage()
	}
	starts := make([]int, len(in))
	links := make([]int, len(in))
	for i, m := range in {
		links[i] = f.AddLink()
		e := newExportDoc(org, m.P, m.P.Published)
		d.version(e, 0)
		starts[i] = d.policyStart
		f.SetLink(links[i], contentTop, starts[i])
	}

	// Back to the contents.
	page := start
	f.SetPage(page)
	f.SetXY(marginL, contentTop)
	d.indent = marginL
	d.flow([]run{{text: org, st: stMuted}}, 9, 4.5)
	d.flow([]run{{text: "Policy set", st: stBold}}, 18, 8.5)
	d.flow([]run{{text: fmt.Sprintf("%d policies in force, as of %s. Each starts on a new page with its version, effective date, approvals and the SHA-256 of its text.", len(in), asOf.Format("2006-01-02 15:04 UTC")), st: stMuted}}, 9, 4.5)
	d.space(4)
	overflow := false
	next := func() {
		if f.GetY()+tocLine > pageH-marginB {
			page++
			if page >= start+tocPages {
				overflow = true // never write over a policy's page
				page--
			}
			f.SetPage(page)
			f.SetXY(marginL, contentTop)
		}
	}
	for i, m := range in {
		next()
		y := f.GetY()
		v := m.P.Published
		title := fmt.Sprintf("%s  %s", m.P.Key, m.P.Title)
		meta := fmt.Sprintf("v%d, effective %s", v.Number, v.Effective)
		num := strconv.Itoa(starts[i])
		d.setStyle(0, bodyPt)
		numW, metaW := 12.0, d.f.GetStringWidth(meta)+4
		titleW := textW - numW - metaW
		title = d.clip(title, titleW-2)
		f.SetXY(marginL, y)
		d.setStyle(stLink, bodyPt)
		f.CellFormat(titleW, tocLine, title, "", 0, "L", false, links[i], "")
		d.setStyle(stMuted, bodyPt)
		f.CellFormat(metaW, tocLine, meta, "", 0, "R", false, 0, "")
		d.setStyle(0, bodyPt)
		f.CellFormat(numW, tocLine, num, "", 0, "R", false, links[i], "")
		f.SetXY(marginL, y+tocLine)
	}
	if len(in) == 0 {
		next()
		d.flow([]run{{text: "No policy is in force.", st: stMuted}}, bodyPt, tocLine)
	}
	if len(out) > 0 {
		next()
		f.SetY(f.GetY() + 4)
		next()
		d.flow([]run{{text: "Not in the set", st: stBold}}, 12, tocLine)
		for _, m := range out {
			next()
			d.setStyle(0, bodyPt)
			d.flow([]run{{text: d.clip(m.P.Key+"  "+m.P.Title+": "+m.Reason, textW-2)}}, bodyPt, tocLine)
		}
	}
	if overflow {
		return fmt.Errorf("policy set export: the contents outgrew the %d pages set aside for them", tocPages)
	}
	f.SetPage(f.PageCount())
	return f.Output(w)
}

// clip shortens s to fit width in the current font.
func (d *pdfDoc) clip(s string, width float64) string {
	if d.f.GetStringWidth(s) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 1 && d.f.GetStringWidth(string(r)+"…") > width {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// ManifestFile is one file of a set zip and its hash.
type ManifestFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// ManifestPolicy is one policy of a set zip.
type ManifestPolicy struct {
	Key        string `json:"key"`
	Title      string `json:"title"`
	Version    int    `json:"version"`
	Effective  string `json:"effective_date"`
	TextSHA256 string `json:"text_sha256"`
	PDF        string `json:"pdf"`
	HTML       string `json:"html"`
}

// ManifestExcluded is a policy left out of the set, with why.
type ManifestExcluded struct {
	Key    string `json:"key"`
	Title  string `json:"title"`
	Reason string `json:"reason"`
}

// Manifest is manifest.json in a set zip: the policies in force, those
// left out, and the SHA-256 of every other file in the zip.
type Manifest struct {
	Organization string             `json:"organization"`
	AsOf         time.Time          `json:"as_of"`
	Policies     []ManifestPolicy   `json:"policies"`
	Excluded     []ManifestExcluded `json:"excluded"`
	Files        []ManifestFile     `json:"files"`
}

var indexTemplate = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{{.Organization}} policy set</title>
<style>
body{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #999;padding:.2rem .5rem;text-align:left;vertical-align:top}
code{font-size:.8rem;word-break:break-all}
</style>
</head>
<body>
<h1>{{.Organization}} policy set</h1>
<p>{{len .Policies}} policies in force, as of {{.AsOf.Format "2006-01-02 15:04 UTC"}}. manifest.json lists the SHA-256 of every file here.</p>
<table id="policies"><thead><tr><th>Policy</th><th>Version</th><th>Effective</th><th>Files</th><th>SHA-256 of the text</th></tr></thead>
<tbody>{{range .Policies}}<tr><td>{{.Key}} {{.Title}}</td><td>{{.Version}}</td><td>{{.Effective}}</td><td><a href="{{.PDF}}">PDF</a> · <a href="{{.HTML}}">HTML</a></td><td><code>{{.TextSHA256}}</code></td></tr>
{{else}}<tr><td colspan="5">No policy is in force.</td></tr>{{end}}</tbody></table>
<h2>Not in the set</h2>
{{if .Excluded}}<ul id="excluded">{{range .Excluded}}<li>{{.Key}} {{.Title}}: {{.Reason}}</li>
{{end}}</ul>{{else}}<p>Every policy is in force.</p>{{end}}
<h2>Files</h2>
<table id="files"><thead><tr><th>File</th><th>Bytes</th><th>SHA-256</th></tr></thead>
<tbody>{{range .Files}}<tr><td>{{.Name}}</td><td>{{.Size}}</td><td><code>{{.SHA256}}</code></td></tr>
{{end}}</tbody></table>
</body>
</html>
`))

// ExportSetZip writes a zip of every policy in force, each as PDF and
// HTML, with index.html and manifest.json. It streams into w: one
// policy's documents are in memory at a time.
func (s *Service) ExportSetZip(ctx context.Context, w io.Writer) error {
	org, in, out, asOf, err := s.exportSet(ctx)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	m := Manifest{Organization: org, AsOf: asOf, Policies: []ManifestPolicy{}, Excluded: []ManifestExcluded{}}
	put := func(name string, method uint16, write func(io.Writer) error) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: asOf})
		if err != nil {
			return err
		}
		h := sha256.New()
		cw := &countWriter{w: io.MultiWriter(fw, h)}
		if err := write(cw); err != nil {
			return err
		}
		m.Files = append(m.Files, ManifestFile{Name: name, SHA256: hex.EncodeToString(h.Sum(nil)), Size: cw.n})
		return nil
	}
	var buf bytes.Buffer
	for _, x := range in {
		if err := ctx.Err(); err != nil {
			return err
		}
		v := x.P.Published
		e := newExportDoc(org, x.P, v)
		mp := ManifestPolicy{Key: x.P.Key, Title: x.P.Title, Version: v.Number, Effective: v.Effective, TextSHA256: v.SHA256,
			PDF: ExportFileName(x.P, v.Number, "pdf"), HTML: ExportFileName(x.P, v.Number, "html")}
		buf.Reset()
		if err := writeVersionPDF(&buf, e, true); err != nil {
			return err
		}
		// A PDF's streams are compressed already: stored, not deflated.
		if err := put(mp.PDF, zip.Store, func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err }); err != nil {
			return err
		}
		if err := put(mp.HTML, zip.Deflate, func(w io.Writer) error { return writeVersionHTML(w, e) }); err != nil {
			return err
		}
		m.Policies = append(m.Policies, mp)
	}
	for _, x := range out {
		m.Excluded = append(m.Excluded, ManifestExcluded{Key: x.P.Key, Title: x.P.Title, Reason: x.Reason})
	}
	if err := put("index.html", zip.Deflate, func(w io.Writer) error { return indexTemplate.Execute(w, m) }); err != nil {
		return err
	}
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: "manifest.json", Method: zip.Deflate, Modified: asOf})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(fw)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return err
	}
	return zw.Close()
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
