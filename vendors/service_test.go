package vendors

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/internal/evidencetest"
	"github.com/vigil-soc/vigil/store"
)

type fixture struct {
	svc        *Service
	st         *store.Store
	now        time.Time
	admin, mem context.Context
	adminID    int64
}

func newFixture(t *testing.T, adopt ...string) *fixture { return newFixtureTB(t, adopt...) }

func newFixtureTB(t testing.TB, adopt ...string) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, now: time.Now()}
	f.svc = &Service{Store: st, Evidence: evidencetest.New(t, st), Now: func() time.Time { return f.now }}
	sys := vigil.WithActor(ctx, vigil.Actor{Name: "setup", Role: vigil.RoleOwner})
	as := func(email string, r vigil.Role) (context.Context, int64) {
		u := &vigil.User{Email: email, Name: strings.Split(email, "@")[0], Role: r}
		if err := st.CreateUser(sys, u, ""); err != nil {
			t.Fatal(err)
		}
		return vigil.WithActor(ctx, vigil.Actor{UserID: u.ID, Name: u.Email, Role: r}), u.ID
	}
	f.admin, f.adminID = as("admin@example.com", vigil.RoleAdmin)
	f.mem, _ = as("mia@example.com", vigil.RoleMember)
	for _, id := range adopt {
		c := vigil.Control{ID: id, Title: "Control " + id}
		c.Validate(func(string) bool { return true })
		if err := st.CreateControl(f.admin, &c); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *fixture) signal(t *testing.T, ctl string) vigil.Health {
	t.Helper()
	sigs, err := f.svc.Signals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return vigil.ComputeHealth(sigs[ctl])
}

func answersAll(tpl Template, value func(q vigil.VendorQuestion) string) []vigil.Answer {
	var out []vigil.Answer
	for _, q := range tpl.Questions {
		out = append(out, vigil.Answer{QuestionID: q.ID, Value: value(q)})
	}
	return out
}

// TestQuestionnaireByLink: a member may not send; the link opens, is
// answered once with an attachment (both sealed against VM-02), then
// refused as an unknown link is; the review makes VM-02 healthy.
func TestQuestionnaireByLink(t *testing.T) {
	f := newFixture(t, "VM-01", "VM-02", "VM-03", "VM-04")
	v := &vigil.Vendor{Name: "Cloudy", OwnerID: f.adminID, Tier: vigil.TierLow, DataShared: []vigil.DataCategory{vigil.DataInternal}, Status: vigil.VendorActive}
	if err := f.svc.Create(f.admin, v); err != nil {
		t.Fatal(err)
	}
	if h := f.signal(t, "VM-02"); h.State != vigil.HealthFailing {
		t.Fatalf("an active vendor without due diligence: %+v", h)
	}
	if _, _, err := f.svc.Send(f.mem, v.ID, api.QuestionnaireRequest{Template: "baseline", Contact: "sec@cloudy.test"}); vigil.ErrorCode(err) != vigil.EFORBIDDEN {
		t.Fatalf("a member sends: %v", err)
	}
	if _, _, err := f.svc.Send(f.admin, v.ID, api.QuestionnaireRequest{Template: "long", Contact: "sec@cloudy.test"}); vigil.ErrorField(err) != "template" {
		t.Fatalf("an unknown template: %v", err)
	}
	if _, _, err := f.svc.Send(f.admin, v.ID, api.QuestionnaireRequest{Template: "baseline", Contact: "nobody"}); vigil.ErrorField(err) != "contact" {
		t.Fatalf("a bad contact: %v", err)
	}
	q, link, err := f.svc.Send(f.admin, v.ID, api.QuestionnaireRequest{Template: "baseline", Contact: "sec@cloudy.test"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, LinkPrefix) || len(link) < 40 {
		t.Fatalf("link secret %q", link)
	}
	lv, err := f.svc.Open(context.Background(), link)
	if err != nil || lv.Vendor != "Cloudy" || len(lv.Template.Questions) != 15 {
		t.Fatalf("open: %+v %v", lv, err)
	}
	tpl := Templates["baseline"]
	partial := answersAll(tpl, func(vigil.VendorQuestion) string { return "yes" })[:3]
	if _, err := f.svc.Submit(context.Background(), link, partial, nil); vigil.ErrorField(err) != "q-B04" {
		t.Fatalf("answers missing: %v", err)
	}
	// Everything as expected except B14 (a breach): 14 of 15.
	ans := answersAll(tpl, func(x vigil.VendorQuestion) string {
		if x.ID == "B14" {
			return "yes"
		}
		return x.Expected
	})
	got, err := f.svc.Submit(context.Background(), link, ans, []Upload{{Filename: "soc2-bridge.pdf", Data: []byte("%PDF-1.4 letter")}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Score != 93 || len(got.Attachments) != 1 || got.EvidenceID == 0 {
		t.Fatalf("submitted: %+v", got)
	}
	ev, err := f.st.Evidence(f.admin, got.EvidenceID)
	if err != nil || len(ev.Controls) != 1 || ev.Controls[0] != "VM-02" {
		t.Fatalf("the answers in the ledger: %+v %v", ev, err)
	}
	for _, bad := range []string{link, LinkPrefix + "unknown", "garbage"} {
		if _, err := f.svc.Open(context.Background(), bad); err != store.ErrLinkRefused {
			t.Fatalf("open %q after use: %v", bad, err)
		}
		if _, err := f.svc.Submit(context.Background(), bad, ans, nil); err != store.ErrLinkRefused {
			t.Fatalf("submit %q after use: %v", bad, err)
		}
	}
	// Answered but not reviewed is not due diligence.
	if h := f.signal(t, "VM-02"); h.State != vigil.HealthFailing {
		t.Fatalf("answered, unreviewed: %+v", h)
	}
	if _, err := f.svc.Review(f.admin, q.ID, "fine", ""); vigil.ErrorField(err) != "conclusion" {
		t.Fatalf("a made-up conclusion: %v", err)
	}
	if _, err := f.svc.Review(f.admin, q.ID, vigil.ConclusionAcceptable, "one breach, remediated"); err != nil {
		t.Fatal(err)
	}
	if h := f.signal(t, "VM-02"); h.State != vigil.HealthHealthy {
		t.Fatalf("after an accepted review: %+v", h)
	}
	// A follow-up round is a new link in the same thread; an expired one
	// is refused like the rest.
	fu, link2, err := f.svc.Send(f.admin, v.ID, api.QuestionnaireRequest{Template: "baseline", Contact: "sec@cloudy.test", ThreadID: q.ID, Days: 1, Message: "Tell us about B14."})
	if err != nil || fu.Round != 2 || fu.ThreadID != q.ID {
		t.Fatalf("follow-up: %+v %v", fu, err)
	}
	f.now = f.now.Add(25 * time.Hour)
	if _, err := f.svc.Open(context.Background(), link2); err != store.ErrLinkRefused {
		t.Fatalf("an expired link: %v", err)
	}
}

// TestDocumentsAndReassessment: a critical vendor's SOC 2 report, its
// CUEC unmapped (a gap) then mapped, its DPA; VM-03 and VM-04 follow.
func TestDocumentsAndReassessment(t *testing.T) {
	f := newFixture(t, "VM-03", "VM-04", "AC-04")
	v := &vigil.Vendor{Name: "Payco", OwnerID: f.adminID, Tier: vigil.TierCritical, DataShared: []vigil.DataCategory{vigil.DataPersonal}, Status: vigil.VendorActive}
	if err := f.svc.Create(f.admin, v); err != nil {
		t.Fatal(err)
	}
	if h := f.signal(t, "VM-03"); h.State != vigil.HealthFailing || !strings.Contains(h.Signals[0].Reason, "never reviewed") {
		t.Fatalf("a critical vendor never reviewed: %+v", h)
	}
	end := vigil.Date(f.now.AddDate(0, -2, 0).Format(time.DateOnly))
	d := &vigil.VendorDocument{VendorID: v.ID, Kind: vigil.DocSOC2, Title: "SOC 2 Type II", PeriodEnd: end, ReportType: "type2", Opinion: "unqualified",
		CUECs: []vigil.CUEC{{Text: "Customers review user access quarterly"}}}
	body := "%PDF-1.4 report"
	if err := f.svc.AddDocument(f.admin, &vigil.VendorDocument{VendorID: v.ID, Kind: vigil.DocSOC2, Title: "x", ReportType: "type2", Opinion: "unqualified"},
		FileMeta{Filename: "r.pdf", Size: int64(len(body))}, strings.NewReader(body)); vigil.ErrorField(err) != "period_end" {
		t.Fatalf("a report without its period: %v", err)
	}
	if err := f.svc.AddDocument(f.admin, d, FileMeta{Filename: "soc2.pdf", Size: int64(len(body))}, strings.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ReviewDocument(f.admin, d.ID, vigil.ConclusionAcceptable, "clean opinion"); err != nil {
		t.Fatal(err)
	}
	if h := f.signal(t, "VM-03"); h.State != vigil.HealthFailing || !strings.Contains(h.Signals[0].Reason, "mapped to no control") {
		t.Fatalf("an unmapped CUEC: %+v", h)
	}
	if err := f.svc.MapCUEC(f.admin, d.CUECs[0].ID, []string{"XX-99"}); vigil.ErrorField(err) != "controls" {
		t.Fatalf("mapping to an unknown control: %v", err)
	}
	if err := f.svc.MapCUEC(f.admin, d.CUECs[0].ID, []string{"ac-04"}); err != nil {
		t.Fatal(err)
	}
	if h := f.signal(t, "VM-03"); h.State != vigil.HealthHealthy {
		t.Fatalf("reviewed, current, mapped: %+v", h)
	}
	if h := f.signal(t, "VM-04"); h.State != vigil.HealthFailing {
		t.Fatalf("personal data without a DPA: %+v", h)
	}
	dpa := &vigil.VendorDocument{VendorID: v.ID, Kind: vigil.DocDPA, Title: "DPA", Expires: vigil.Date(f.now.AddDate(1, 0, 0).Format(time.DateOnly))}
	if err := f.svc.AddDocument(f.admin, dpa, FileMeta{Filename: "dpa.pdf", Size: int64(len(body))}, strings.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	// On file is not yet shown to hold the terms: unknown until reviewed.
	if h := f.signal(t, "VM-04"); h.State != vigil.HealthUnknown || !strings.Contains(h.Signals[0].Reason, "not yet reviewed") {
		t.Fatalf("with a DPA nobody reviewed: %+v", h)
	}
	if _, err := f.svc.ReviewDocument(f.admin, dpa.ID, vigil.ConclusionAcceptable, "security and privacy terms present"); err != nil {
		t.Fatal(err)
	}
	if h := f.signal(t, "VM-04"); h.State != vigil.HealthHealthy {
		t.Fatalf("with a reviewed DPA: %+v", h)
	}
	// A year on, the report has expired and the review is overdue.
	f.now = f.now.AddDate(1, 0, 1)
	if h := f.signal(t, "VM-03"); h.State != vigil.HealthFailing || !strings.Contains(h.Signals[0].Reason, "expired") {
		t.Fatalf("a year on: %+v", h)
	}
	list, err := f.svc.List(f.admin)
	if err != nil || len(list) != 1 || list[0].Expiry != vigil.ExpiryExpired || list[0].Review.State != "overdue" {
		t.Fatalf("the list a year on: %+v %v", list, err)
	}
}

// TestDocumentNeedsAdoptedControl: nothing is sealed or recorded when the
// ledger cannot link the file to its control.
func TestDocumentNeedsAdoptedControl(t *testing.T) {
	f := newFixture(t)
	v := &vigil.Vendor{Name: "Payco"}
	if err := f.svc.Create(f.admin, v); err != nil {
		t.Fatal(err)
	}
	err := f.svc.AddDocument(f.admin, &vigil.VendorDocument{VendorID: v.ID, Kind: vigil.DocDPA}, FileMeta{Filename: "dpa.pdf", Size: 3}, strings.NewReader("abc"))
	if vigil.ErrorCode(err) != vigil.ECONFLICT || !strings.Contains(err.Error(), "VM-04") {
		t.Fatalf("no VM-04: %v", err)
	}
	if docs, _ := f.st.VendorDocuments(f.admin, v.ID); len(docs) != 0 {
		t.Fatalf("a document was recorded: %+v", docs)
	}
}

// TestImportCSV: a vendor list previewed (each bad row named by line and
// column, a vendor already in the inventory named), nothing written until
// confirmed by the file's hash, then all rows in one transaction.
func TestImportCSV(t *testing.T) {
	f := newFixture(t)
	if err := f.svc.Create(f.admin, &vigil.Vendor{Name: "Existing"}); err != nil {
		t.Fatal(err)
	}
	bad := "name,tier,data_shared,owner_email,subprocessor\n" +
		"Cloudy,critical,personal_data;customer_data,admin@example.com,yes\n" +
		"Mailer,urgent,,,\n" +
		"Payco,high,secrets,,\n" +
		"Ghost,low,,nobody@example.com,\n" +
		"Flag,low,,,maybe\n" +
		"cloudy,low,,,\n" +
		"existing,,,,\n"
	pv, err := f.svc.Import(f.admin, []byte(bad), "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{3: "tier", 4: "data_shared", 5: "owner_email", 6: "subprocessor", 7: "name", 8: "name"}
	if len(pv.Errors) != len(want) {
		t.Fatalf("errors: %+v", pv.Errors)
	}
	for _, e := range pv.Errors {
		if want[e.Line] != e.Column {
			t.Errorf("line %d column %q (%s), want column %q", e.Line, e.Column, e.Message, want[e.Line])
		}
	}
	if len(pv.Vendors) != 1 || pv.Vendors[0].Line != 2 || pv.Vendors[0].Name != "Cloudy" {
		t.Fatalf("good rows: %+v", pv.Vendors)
	}
	if _, err := f.svc.Import(f.admin, []byte(bad), pv.SHA256); vigil.ErrorField(err) != "file" {
		t.Fatalf("confirming a file with bad rows: %v", err)
	}
	good := "name,tier,data_shared,owner_email,subprocessor,location\nCloudy,critical,personal_data,admin@example.com,yes,EU\nMailer,,,,,\n"
	pv, err = f.svc.Import(f.admin, []byte(good), "")
	if err != nil || len(pv.Errors) != 0 || len(pv.Vendors[1].Gaps) != 3 {
		t.Fatalf("preview: %+v %v", pv, err)
	}
	if vs, _ := f.st.Vendors(f.admin); len(vs) != 1 {
		t.Fatalf("a preview wrote %d vendors", len(vs))
	}
	if _, err := f.svc.Import(f.admin, []byte(good+"Extra,,,,,\n"), pv.SHA256); vigil.ErrorField(err) != "confirm" {
		t.Fatalf("confirming another file: %v", err)
	}
	if _, err := f.svc.Import(f.mem, []byte(good), pv.SHA256); vigil.ErrorCode(err) != vigil.EFORBIDDEN {
		t.Fatalf("a member imports: %v", err)
	}
	done, err := f.svc.Import(f.admin, []byte(good), pv.SHA256)
	if err != nil || done.Imported != 2 {
		t.Fatalf("import: %+v %v", done, err)
	}
	vs, _ := f.st.Vendors(f.admin)
	if len(vs) != 3 || vs[0].Name != "Cloudy" || vs[0].OwnerID != f.adminID || !vs[0].Subprocessor {
		t.Fatalf("imported: %+v", vs)
	}
	if _, err := f.svc.Import(f.admin, []byte("vendor,tier\nA,low\n"), ""); vigil.ErrorField(err) != "file" || !strings.Contains(err.Error(), "unknown column") {
		t.Fatalf("an unknown column: %v", err)
	}
}
