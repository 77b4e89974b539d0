package policy

import (
	"archive/zip"
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/internal/evidencetest"
	"github.com/vigil-soc/vigil/store"
)

func docx(t *testing.T, text string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range map[string]string{"[Content_Types].xml": `<?xml version="1.0"?><Types/>`,
		"word/document.xml": `<?xml version="1.0"?><w:document><w:body><w:p><w:r><w:t>` + text + `</w:t></w:r></w:p></w:body></w:document>`} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	zw.Close()
	return b.Bytes()
}

// Existing policies uploaded: Markdown and text as they are, HTML
// sanitized into Markdown with nothing active left, PDF and DOCX kept in
// the ledger and named by hash; what is refused leaves nothing behind.
func TestUploadPolicy(t *testing.T) {
	f := newFixture(t)
	p := func() *vigil.Policy {
		return &vigil.Policy{OwnerID: f.writerID, Approvers: []int64{f.a1ID}, Quorum: 1}
	}
	up, err := f.svc.UploadPolicy(f.admin, p(), "Access Control.md", []byte("# Access control\n\nReviewed **quarterly**.\n"))
	if err != nil || up.Kind != "markdown" {
		t.Fatalf("markdown: %+v %v", up, err)
	}
	ps, _ := f.st.Policies(f.admin)
	if len(ps) != 1 || ps[0].Title != "Access Control" || !strings.Contains(ps[0].Latest.Body, "**quarterly**") || ps[0].Latest.State != vigil.PolicyDraft {
		t.Fatalf("the draft: %+v", ps)
	}
	html := `<!doctype html><html><head><title>x</title><script>alert(1)</script></head><body>
<h1>Backup</h1><p onclick="steal()">Backups run <b>daily</b>.</p><iframe src="https://evil.example"></iframe>
<p><a href="javascript:alert(2)">click</a> <a href="https://acme.example/runbook">runbook</a></p><ul><li>one</li><li>two</li></ul></body></html>`
	hp := p()
	hp.Title = "Backup Policy"
	if up, err = f.svc.UploadPolicy(f.admin, hp, "backup.html", []byte(html)); err != nil || up.Kind != "html" {
		t.Fatalf("html: %+v %v", up, err)
	}
	got, _ := f.st.Policy(f.admin, hp.ID)
	body := got.Latest.Body
	for _, bad := range []string{"script", "alert", "iframe", "onclick", "javascript", "evil.example"} {
		if strings.Contains(body, bad) {
			t.Errorf("the converted HTML keeps %q:\n%s", bad, body)
		}
	}
	for _, want := range []string{"# Backup", "**daily**", "[runbook](https://acme.example/runbook)", "- one"} {
		if !strings.Contains(body, want) {
			t.Errorf("the converted HTML lacks %q:\n%s", want, body)
		}
	}
	if up, err = f.svc.UploadPolicy(f.admin, p(), "notes.txt", []byte("Plain text policy.\n\nSecond paragraph.\n")); err != nil || up.Kind != "text" {
		t.Fatalf("text: %+v %v", up, err)
	}

	pdf := []byte("%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
	pp := p()
	if up, err = f.svc.UploadPolicy(f.admin, pp, "Incident Response.pdf", pdf); err != nil || up.Kind != "pdf" || up.EvidenceID == 0 {
		t.Fatalf("pdf: %+v %v", up, err)
	}
	got, _ = f.st.Policy(f.admin, pp.ID)
	if !strings.Contains(got.Latest.Body, up.SHA256) || !strings.Contains(got.Latest.Body, "Incident Response.pdf") {
		t.Fatalf("the PDF's draft does not name it: %s", got.Latest.Body)
	}
	ev, err := f.st.Evidence(f.admin, up.EvidenceID)
	if err != nil || ev.SHA256 != up.SHA256 || ev.MediaType != "application/pdf" {
		t.Fatalf("the PDF in the ledger: %+v %v", ev, err)
	}
	if up, err = f.svc.UploadPolicy(f.admin, p(), "Code of Conduct.docx", docx(t, "Be kind.")); err != nil || up.Kind != "docx" || up.EvidenceID == 0 {
		t.Fatalf("docx: %+v %v", up, err)
	}

	// Refusals name the problem and store nothing.
	before, _ := f.st.ListEvidence(f.admin, vigil.EvidenceFilter{})
	nPolicies := func() int { ps, _ := f.st.Policies(f.admin); return len(ps) }
	n := nPolicies()
	zipNotDocx := func() []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		w, _ := zw.Create("readme.txt")
		w.Write([]byte("hi"))
		zw.Close()
		return b.Bytes()
	}()
	for name, c := range map[string]struct {
		p     *vigil.Policy
		file  string
		data  []byte
		field string
	}{
		"binary":           {p(), "policy.bin", []byte{0xff, 0xfe, 0x00, 0x01}, "file"},
		"zip, not docx":    {p(), "policy.docx", zipNotDocx, "file"},
		"empty":            {p(), "policy.md", nil, "file"},
		"unknown type":     {p(), "policy.rtf", []byte("{\\rtf1 hello}"), "file"},
		"pdf, no approver": {&vigil.Policy{OwnerID: f.writerID, Quorum: 1}, "x.pdf", pdf, "approvers"},
		"pdf, bad owner":   {&vigil.Policy{OwnerID: 999, Approvers: []int64{f.a1ID}, Quorum: 1}, "x.pdf", pdf, "owner_id"},
		"too long":         {p(), "long.md", []byte(strings.Repeat("a", vigil.MaxPolicyBodyLen+1)), "body"},
	} {
		_, err := f.svc.UploadPolicy(f.admin, c.p, c.file, c.data)
		if e, ok := err.(*vigil.Error); !ok || e.Field != c.field {
			t.Errorf("%s: %v, want an error on %s", name, err, c.field)
		}
	}
	if _, err := f.svc.UploadPolicy(f.writer, p(), "x.md", []byte("x")); vigil.ErrorCode(err) != vigil.EFORBIDDEN {
		t.Errorf("a member uploading: %v", err)
	}
	after, _ := f.st.ListEvidence(f.admin, vigil.EvidenceFilter{})
	if len(after) != len(before) || nPolicies() != n {
		t.Errorf("refused uploads left %d evidence items and %d policies behind", len(after)-len(before), nPolicies()-n)
	}
}

// Without GV-01 or a control of the policy, a PDF has nothing to be
// evidence of: refused before anything is stored.
func TestUploadPolicyPDFNeedsAControl(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Migrate(ctx)
	sys := vigil.WithActor(ctx, vigil.Actor{Name: "setup", Role: vigil.RoleOwner})
	u := &vigil.User{Email: "a@example.com", Name: "A", Role: vigil.RoleAdmin}
	st.CreateUser(sys, u, "")
	m := &vigil.User{Email: "m@example.com", Name: "M", Role: vigil.RoleMember}
	st.CreateUser(sys, m, "")
	admin := vigil.WithActor(ctx, vigil.Actor{UserID: u.ID, Name: u.Email, Role: u.Role})
	svc := &Service{Store: st, Evidence: evidencetest.New(t, st)}
	_, err = svc.UploadPolicy(admin, &vigil.Policy{OwnerID: u.ID, Approvers: []int64{m.ID}, Quorum: 1}, "x.pdf", []byte("%PDF-1.4\n%%EOF\n"))
	if vigil.ErrorCode(err) != vigil.ECONFLICT || !strings.Contains(err.Error(), "GV-01") {
		t.Fatalf("a PDF with no control: %v", err)
	}
	if ps, _ := st.Policies(admin); len(ps) != 0 {
		t.Fatal("a policy was created")
	}
}
