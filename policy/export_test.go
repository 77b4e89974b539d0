package policy

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
)

// pdfText extracts a PDF's text with poppler's pdftotext (make deps
// installs poppler-utils), one string per page. A missing tool fails the
// test: it is never skipped.
func pdfText(t testing.TB, pdf []byte) []string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext is missing: install poppler-utils (make deps does)")
	}
	name := filepath.Join(t.TempDir(), "x.pdf")
	if err := os.WriteFile(name, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", name, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	pages := strings.Split(string(out), "\f")
	if len(pages) > 0 && strings.TrimSpace(pages[len(pages)-1]) == "" {
		pages = pages[:len(pages)-1]
	}
	return pages
}

// longPolicy is Markdown of about n KiB with what policies hold: headings,
// paragraphs with emphasis and links, nested and ordered lists, tables,
// code and quotes. 60 KiB is about 20 pages.
func longPolicy(n int) string {
	var b strings.Builder
	b.WriteString("# Information Security Policy\n\nThis policy applies to **all** staff, contractors and systems of Acme. Exceptions need the *written* approval of the CISO.\n\n")
	for s := 1; b.Len() < n<<10; s++ {
		fmt.Fprintf(&b, "## %d. Section %d: access and operations\n\n", s, s)
		fmt.Fprintf(&b, "Each system owner **must** review access to the systems they own every quarter, remove accounts that are no longer needed within *five working days*, and record the review in Vigil (see [the access standard](https://example.com/standards/access/%d)). Reviews that find an exception record it with `owner`, `date` and `reason`.\n\n", s)
		b.WriteString("1. Request access through the service desk.\n2. The manager approves the request.\n   - Privileged access also needs the system owner.\n   - Production access expires after 90 days.\n     - Break-glass accounts are sealed.\n3. Access is granted and logged.\n\n")
		b.WriteString("| Role | Systems | Review | Approver |\n|---|---|:-:|---:|\n")
		for r := 1; r <= 4; r++ {
			fmt.Fprintf(&b, "| Role %d | api, billing, warehouse %d | quarterly | CISO and the system owner %d |\n", r, r, r)
		}
		b.WriteString("\n> Where this policy and a standard disagree, the policy governs until the standard is corrected.\n\n")
		b.WriteString("```\n$ vigil policies export 1 --format pdf -o policy.pdf\nwrote policy.pdf\n```\n\n---\n\n")
	}
	return b.String()
}

const exportBody = "# Zugangskontrolle\n\nZugriffsrechte prüfen — Ωmega, Привет, ĳ, “quotes”.\n\n" +
	"Access **must** be *reviewed* and ~~ignored~~ never ignored. See [the standard](https://example.com/std) and <https://example.org/auto>.\n\n" +
	"- first item\n- second item\n  1. nested one\n  2. nested two\n\n" +
	"| Control | Owner |\n|---|---|\n| AC-01 | Ann Tablecell |\n\n" +
	"```\nfenced code line\n```\n\n> quoted words here\n\n" +
	"<script>alert(1)</script>\n\n[click](javascript:alert(2)) and <iframe src=\"https://evil.example\"></iframe> inline.\n"

// publishOne makes a policy with body and publishes it with two approvals.
func publishOne(t *testing.T, f *fixture, title, body string) *vigil.Policy {
	t.Helper()
	p := &vigil.Policy{Title: title, OwnerID: f.writerID, Approvers: []int64{f.a1ID, f.a2ID}, Quorum: 2, Controls: []string{"AC-01"}}
	if err := f.svc.Create(f.admin, p, body); err != nil {
		t.Fatal(err)
	}
	steps := []func() (*vigil.Policy, error){
		func() (*vigil.Policy, error) { return f.svc.Edit(f.writer, p.ID, body, "first issue") },
		func() (*vigil.Policy, error) { return f.svc.Submit(f.writer, p.ID) },
		func() (*vigil.Policy, error) { return f.svc.Approve(f.a1, p.ID, "read it") },
		func() (*vigil.Policy, error) { return f.svc.Approve(f.a2, p.ID, "") },
		func() (*vigil.Policy, error) { return f.svc.Publish(f.writer, p.ID, "2027-01-01", true) },
	}
	for i, s := range steps {
		var err error
		if p, err = s(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	return p
}

func export(t testing.TB, fn func(io.Writer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := fn(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// One version's PDF: its header (version, state, effective date, owner,
// approvals with their round, change summary, hash), the Markdown printed
// as text (Unicode included), raw HTML and unsafe links left out, the same
// bytes every time, dated at its publication.
func TestExportVersionPDF(t *testing.T) {
	f := newFixture(t)
	p := publishOne(t, f, "Access Control Policy", exportBody)
	if _, _, err := f.svc.Review(f.a1, p.ID, "checked against the systems, unchanged"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pdf := export(t, func(w io.Writer) error { return f.svc.ExportVersionPDF(ctx, p.ID, 1, w) })
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf[len(pdf)-32:], []byte("%%EOF")) {
		t.Fatalf("not a PDF: %.20q ... %q", pdf, pdf[len(pdf)-32:])
	}
	pages := pdfText(t, pdf)
	all := strings.Join(pages, "\n")
	flat := strings.Join(strings.Fields(all), " ")
	for _, want := range []string{
		p.Key + " Access Control Policy", "Version 1", "State published", "Effective date 2027-01-01", "Owner writer",
		"ann, ", "at publication", "at review 1 (no changes)", "checked against the systems, unchanged", "Change summary first issue",
		p.Published.SHA256[:32], "Zugangskontrolle", "Zugriffsrechte prüfen — Ωmega, Привет, ĳ, “quotes”.",
		"Access must be reviewed and ignored never ignored.", "the standard (https://example.com/std)", "https://example.org/auto",
		"• first item", "1. nested one", "AC-01 Ann Tablecell", "fenced code line", "quoted words here", "click and inline.",
		"page 1 of 1", p.Key + " version 1",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, all)
		}
	}
	for _, bad := range []string{"alert", "<script", "iframe", "evil.example", "DRAFT"} {
		if strings.Contains(all, bad) || bytes.Contains(pdf, []byte(bad)) {
			t.Errorf("PDF holds %q", bad)
		}
	}
	if !bytes.Contains(pdf, []byte("/URI (https://example.com/std)")) {
		t.Error("the link is not clickable")
	}
	again := export(t, func(w io.Writer) error { return f.svc.ExportVersionPDF(ctx, p.ID, 1, w) })
	if !bytes.Equal(pdf, again) {
		t.Error("the same version exported to different bytes")
	}
	if want := "/CreationDate (D:" + p.Published.PublishedAt.UTC().Format("20060102150405"); !bytes.Contains(pdf, []byte(want)) {
		t.Errorf("PDF not dated at its publication (%s)", want)
	}
}

// A draft says so on every page, in the PDF and the HTML; a long policy
// makes a plausible number of pages, each numbered "page X of Y".
func TestExportDraftMarked(t *testing.T) {
	f := newFixture(t)
	p := publishOne(t, f, "Security Policy", "# v1\n\ntext\n")
	if _, err := f.svc.NewVersion(f.writer, p.ID, longPolicy(60), "rewritten"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pdf := export(t, func(w io.Writer) error { return f.svc.ExportVersionPDF(ctx, p.ID, 2, w) })
	pages := pdfText(t, pdf)
	if len(pages) < 12 || len(pages) > 40 {
		t.Fatalf("a 60 KiB policy printed on %d pages", len(pages))
	}
	for i, pg := range pages {
		if strings.Count(pg, "DRAFT – not approved") < 2 {
			t.Errorf("page %d lacks the draft marking at its top and in its footer:\n%s", i+1, pg)
		}
		if want := fmt.Sprintf("page %d of %d", i+1, len(pages)); !strings.Contains(pg, want) {
			t.Errorf("page %d lacks %q", i+1, want)
		}
	}
	if first := strings.Join(strings.Fields(pages[0]), " "); !strings.Contains(first, "State draft") || !strings.Contains(first, "Effective date not published") || !strings.Contains(first, "Approvals none recorded") {
		t.Errorf("draft header:\n%s", pages[0])
	}
	// The version in force is not marked.
	pdf1 := export(t, func(w io.Writer) error { return f.svc.ExportVersionPDF(ctx, p.ID, 1, w) })
	if strings.Contains(strings.Join(pdfText(t, pdf1), ""), "DRAFT") {
		t.Error("the published version is marked as a draft")
	}
	h := string(export(t, func(w io.Writer) error { return f.svc.ExportVersionHTML(ctx, p.ID, 2, w) }))
	if !strings.Contains(h, `<p class="banner" id="banner">DRAFT – not approved</p>`) {
		t.Errorf("HTML draft lacks its banner: %.600s", h)
	}
	h1 := string(export(t, func(w io.Writer) error { return f.svc.ExportVersionHTML(ctx, p.ID, 1, w) }))
	if strings.Contains(h1, "banner\"") || strings.Contains(h1, "DRAFT") {
		t.Error("the published version's HTML is marked as a draft")
	}
	if _, err := f.svc.GetVersion(ctx, p.ID, 3); vigil.ErrorCode(err) != vigil.ENOTFOUND {
		t.Fatal(err)
	}
	if err := f.svc.ExportVersionPDF(ctx, p.ID, 3, io.Discard); vigil.ErrorCode(err) != vigil.ENOTFOUND {
		t.Errorf("export of a version that does not exist: %v", err)
	}
}

// The HTML export is one document with its CSS inline, nothing to load,
// no script, and the text sanitized as on the page.
func TestExportVersionHTMLInert(t *testing.T) {
	f := newFixture(t)
	bad := []string{
		"<script>alert(1)</script>",
		"<img src=x onerror=alert(1)>",
		"<iframe src=\"https://evil.example\"></iframe>",
		"[click](javascript:alert(1))",
		"[click](JaVaScRiPt:alert(1))",
		"[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
		"<a href=\"javascript:alert(1)\">x</a>",
		"<div onclick=\"alert(1)\">x</div>",
		"<svg><script>alert(1)</script></svg>",
		"<style>body{display:none}</style>",
		"![x](javascript:alert(1))",
		"<object data=\"x.swf\"></object>",
		"<form action=\"https://evil.example\"><input name=p></form>",
	}
	body := "# Payloads\n\nordinary **text** stays.\n\n" + strings.Join(bad, "\n\n") + "\n"
	p := publishOne(t, f, "Payload Policy", body)
	ctx := context.Background()
	h := string(export(t, func(w io.Writer) error { return f.svc.ExportVersionHTML(ctx, p.ID, 1, w) }))
	low := strings.ToLower(h)
	for _, sign := range []string{"<script", "onerror", "onclick", "<iframe", "javascript:", "data:text", "<object", "<form", "<svg", "<link", "src=", "@import"} {
		if strings.Contains(low, sign) {
			t.Errorf("HTML export contains %s", sign)
		}
	}
	if strings.Count(low, "<style") != 1 {
		t.Error("the author's <style> reached the HTML export")
	}
	for _, want := range []string{"<!doctype html>", "default-src 'none'", "<strong>text</strong>", p.Key + " Payload Policy", "at publication", p.Published.SHA256, "Effective date</dt><dd>2027-01-01"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML export lacks %q", want)
		}
	}
	pdf := export(t, func(w io.Writer) error { return f.svc.ExportVersionPDF(ctx, p.ID, 1, w) })
	// Raw HTML is left out as on the page: the text between tags (the
	// svg's "alert(1)") stays, as text, and nothing else.
	all := strings.ToLower(strings.Join(pdfText(t, pdf), ""))
	for _, sign := range []string{"<script", "<svg", "iframe", "javascript", "onclick", "onerror", "display:none", "evil.example", "/js", "x.swf"} {
		if strings.Contains(all, sign) || bytes.Contains(bytes.ToLower(pdf), []byte(sign)) {
			t.Errorf("PDF export contains %s", sign)
		}
	}
	if !strings.Contains(all, "ordinary text stays.") {
		t.Errorf("PDF lost the ordinary text: %s", all)
	}
}

// setFixture has three policies: one in force, one retired and one never
// published.
func setFixture(t *testing.T) (*fixture, []*vigil.Policy) {
	f := newFixture(t)
	a := publishOne(t, f, "Access Control Policy", exportBody)
	b := publishOne(t, f, "Retired Policy", "# Old\n\nold text\n")
	if _, err := f.svc.Retire(f.admin, b.ID); err != nil {
		t.Fatal(err)
	}
	c := &vigil.Policy{Title: "Unpublished Policy", OwnerID: f.writerID, Approvers: []int64{f.a1ID}, Quorum: 1}
	if err := f.svc.Create(f.admin, c, "# Draft\n\nnot yet\n"); err != nil {
		t.Fatal(err)
	}
	d := publishOne(t, f, "Business Continuity Policy", longPolicy(8))
	return f, []*vigil.Policy{a, b, c, d}
}

// The set as one PDF: contents first, naming the policies left out and
// why, then each policy in force from the page the contents give.
func TestExportSetPDF(t *testing.T) {
	f, ps := setFixture(t)
	ctx := context.Background()
	pdf := export(t, func(w io.Writer) error { return f.svc.ExportSetPDF(ctx, w) })
	pages := pdfText(t, pdf)
	toc := strings.Join(strings.Fields(pages[0]), " ")
	for _, want := range []string{"Policy set", "2 policies in force", "Not in the set", ps[1].Key + " Retired Policy: retired ", ps[2].Key + " Unpublished Policy: never published (version 1 is draft)"} {
		if !strings.Contains(toc, want) {
			t.Errorf("contents lack %q:\n%s", want, pages[0])
		}
	}
	for _, p := range []*vigil.Policy{ps[0], ps[3]} {
		m := regexp.MustCompile(regexp.QuoteMeta(p.Key) + ` ` + regexp.QuoteMeta(p.Title) + ` v1, effective 2027-01-01 (\d+)`).FindStringSubmatch(toc)
		if m == nil {
			t.Fatalf("contents lack %s:\n%s", p.Key, pages[0])
		}
		n, _ := strconv.Atoi(m[1])
		if n < 2 || n > len(pages) {
			t.Fatalf("%s on page %d of %d", p.Key, n, len(pages))
		}
		pg := strings.Join(strings.Fields(pages[n-1]), " ")
		if !strings.HasPrefix(pg, p.Key+" "+p.Title+" Version 1") || !strings.Contains(pg, p.Published.SHA256[:32]) {
			t.Errorf("page %d does not start %s:\n%s", n, p.Key, pages[n-1])
		}
		if n > 2 && !strings.Contains(pages[n-2], "version 1") {
			t.Errorf("page %d: %q", n-1, pages[n-2])
		}
	}
	all := strings.Join(pages, "")
	if strings.Contains(all, "old text") || strings.Contains(all, "not yet") || strings.Contains(all, "DRAFT") {
		t.Error("the set PDF holds a policy not in force")
	}
	if want := fmt.Sprintf("page %d of %d", len(pages), len(pages)); !strings.Contains(pages[len(pages)-1], want) {
		t.Errorf("last page lacks %q", want)
	}
	if !bytes.Equal(pdf, export(t, func(w io.Writer) error { return f.svc.ExportSetPDF(ctx, w) })) {
		t.Error("the same set exported to different bytes")
	}
}

// The set as a zip: each policy in force as PDF and HTML, an index and a
// manifest whose hashes are the entries', the excluded policies named
// with why, fixed times, the same bytes every time.
func TestExportSetZip(t *testing.T) {
	f, ps := setFixture(t)
	ctx := context.Background()
	b := export(t, func(w io.Writer) error { return f.svc.ExportSetZip(ctx, w) })
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	var names []string
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[zf.Name] = data
		names = append(names, zf.Name)
	}
	want := []string{ps[0].Key + "-v1.pdf", ps[0].Key + "-v1.html", ps[3].Key + "-v1.pdf", ps[3].Key + "-v1.html", "index.html", "manifest.json"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("entries %v, want %v", names, want)
	}
	var m Manifest
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	// Every entry carries the set's time: the latest event it shows (here
	// the last publication, after the retirement).
	if want := ps[3].Published.PublishedAt.UTC(); !m.AsOf.Equal(want) {
		t.Errorf("as of %v, want %v", m.AsOf, want)
	}
	for _, zf := range zr.File {
		if zf.Modified.Unix() != m.AsOf.Unix() {
			t.Errorf("%s modified %v, want %v", zf.Name, zf.Modified, m.AsOf)
		}
	}
	if len(m.Files) != len(names)-1 {
		t.Errorf("manifest lists %d files, the zip holds %d besides it", len(m.Files), len(names)-1)
	}
	for _, mf := range m.Files {
		s := sha256.Sum256(files[mf.Name])
		if hex.EncodeToString(s[:]) != mf.SHA256 || int64(len(files[mf.Name])) != mf.Size {
			t.Errorf("%s: manifest says %s (%d bytes), entry is %x (%d)", mf.Name, mf.SHA256, mf.Size, s, len(files[mf.Name]))
		}
	}
	if len(m.Policies) != 2 || m.Policies[0].Key != ps[0].Key || m.Policies[0].TextSHA256 != ps[0].Published.SHA256 || m.Policies[0].Effective != "2027-01-01" || m.Policies[0].Version != 1 || m.Policies[0].PDF != want[0] {
		t.Errorf("manifest policies %+v", m.Policies)
	}
	if len(m.Excluded) != 2 || m.Excluded[0].Key != ps[1].Key || !strings.HasPrefix(m.Excluded[0].Reason, "retired ") ||
		m.Excluded[1].Key != ps[2].Key || !strings.HasPrefix(m.Excluded[1].Reason, "never published") {
		t.Errorf("manifest excluded %+v", m.Excluded)
	}
	idx := string(files["index.html"])
	for _, w := range []string{ps[1].Key + " Retired Policy: retired", ps[2].Key + " Unpublished Policy: never published", `href="` + want[0] + `"`, m.Files[0].SHA256} {
		if !strings.Contains(idx, w) {
			t.Errorf("index.html lacks %q", w)
		}
	}
	if !bytes.HasPrefix(files[want[0]], []byte("%PDF-")) || !strings.Contains(string(files[want[1]]), "Zugriffsrechte prüfen") {
		t.Error("entries are not the policy's PDF and HTML")
	}
	if pdf := export(t, func(w io.Writer) error { return f.svc.ExportVersionPDF(ctx, ps[0].ID, 1, w) }); !bytes.Equal(pdf, files[want[0]]) {
		t.Error("the zip's PDF differs from the version's own export")
	}
	if !bytes.Equal(b, export(t, func(w io.Writer) error { return f.svc.ExportSetZip(ctx, w) })) {
		t.Error("the same set zipped to different bytes")
	}
}

// An empty set still exports: contents saying so, a zip with its index.
func TestExportEmptySet(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pages := pdfText(t, export(t, func(w io.Writer) error { return f.svc.ExportSetPDF(ctx, w) }))
	if len(pages) != 1 || !strings.Contains(pages[0], "No policy is in force.") {
		t.Errorf("empty set PDF: %q", pages)
	}
	b := export(t, func(w io.Writer) error { return f.svc.ExportSetZip(ctx, w) })
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil || len(zr.File) != 2 {
		t.Fatalf("empty set zip: %v", err)
	}
}

// The largest text a policy may have (512 KiB) prints, long unbroken
// words included.
func TestExportLargestPolicy(t *testing.T) {
	body := longPolicy(vigil.MaxPolicyBodyLen>>10 - 40)
	body += "\n" + strings.Repeat("x", 30<<10) + "\n\n```\n" + strings.Repeat("y", 8<<10) + "\n```\n"
	if err := vigil.ValidateBody(body); err != nil {
		t.Fatal(err)
	}
	e := newExportDoc("Acme", &vigil.Policy{Key: "POL-001", Title: "Big"}, &vigil.PolicyVersion{Number: 1, State: vigil.PolicyDraft, Body: body, SHA256: vigil.PolicyBodySHA256(body)})
	var b bytes.Buffer
	start := time.Now()
	if err := writeVersionPDF(&b, e, true); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	pages := pdfText(t, b.Bytes())
	t.Logf("512 KiB: %d pages, %d bytes, %v", len(pages), b.Len(), took)
	if len(pages) < 100 || !strings.Contains(pages[len(pages)-1], "yyyy") {
		t.Errorf("%d pages; the last: %.300s", len(pages), pages[len(pages)-1])
	}
	// One paragraph of the whole size, and nesting deeper than a page is
	// wide: both print, the nested text kept readable.
	para := strings.Repeat("a line of one long paragraph\n", vigil.MaxPolicyBodyLen/30-1)
	nested := strings.Repeat("> ", 200) + "deep quote\n\n"
	for i := range 60 {
		nested += strings.Repeat("  ", i) + "- level " + strconv.Itoa(i) + "\n"
	}
	for body, want := range map[string][]string{para: {"a line of one long paragraph a line"}, nested: {"deep quote", "level 59"}} {
		e := newExportDoc("Acme", &vigil.Policy{Key: "POL-001", Title: "Big"}, &vigil.PolicyVersion{Number: 1, State: vigil.PolicyDraft, Body: body})
		b.Reset()
		start := time.Now()
		if err := writeVersionPDF(&b, e, true); err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		text := strings.Join(strings.Fields(strings.Join(pdfText(t, b.Bytes()), " ")), " ")
		t.Logf("%d bytes of Markdown: %d bytes of PDF in %v", len(body), b.Len(), took)
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("lacks %q", w)
			}
		}
	}
}

// BenchmarkExportPDF20Pages: a 20-page policy (60 KiB of Markdown) to PDF.
// Target: under 200 ms.
func BenchmarkExportPDF20Pages(b *testing.B) {
	body := longPolicy(60)
	e := newExportDoc("Acme", &vigil.Policy{Key: "POL-001", Title: "Information Security Policy", OwnerName: "Ann"},
		&vigil.PolicyVersion{Number: 3, State: vigil.PolicyPublished, Effective: "2027-01-01", Body: body, SHA256: vigil.PolicyBodySHA256(body)})
	var buf bytes.Buffer
	if err := writeVersionPDF(&buf, e, true); err != nil {
		b.Fatal(err)
	}
	pages := len(pdfText(b, buf.Bytes()))
	// On a shared machine the time per export follows the others' load;
	// the CPU time it took (this process's, garbage collection included)
	// follows the code.
	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b.ResetTimer()
	c0 := cpu()
	for b.Loop() {
		buf.Reset()
		if err := writeVersionPDF(&buf, e, true); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpu()-c0)/float64(b.N)/1e6, "cpu-ms/op")
	b.ReportMetric(float64(pages), "pages")
	b.ReportMetric(float64(buf.Len())/1024, "KiB")
}
