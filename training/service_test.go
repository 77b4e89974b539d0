package training

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/internal/evidencetest"
	"github.com/vigil-soc/vigil/store"
)

type fixture struct {
	svc          *Service
	st           *store.Store
	now          time.Time
	admin, mia   context.Context
	ann          context.Context
	miaID, annID int64
}

func newFixture(t *testing.T, adopt bool) *fixture {
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
	f.admin, _ = as("admin@example.com", vigil.RoleAdmin)
	f.mia, f.miaID = as("mia@example.com", vigil.RoleMember)
	f.ann, f.annID = as("ann@example.com", vigil.RoleMember)
	if adopt {
		c := vigil.Control{ID: "HR-02", Title: "Security awareness training"}
		c.Validate(func(string) bool { return true })
		if err := st.CreateControl(f.admin, &c); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *fixture) signal(t *testing.T) vigil.Signal {
	t.Helper()
	sigs, err := f.svc.Signals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return sigs["HR-02"][0]
}

func answers(t *testing.T, wrong int) map[string]int {
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return answersOf(b, wrong)
}

func TestServiceQuizAndSignals(t *testing.T) {
	f := newFixture(t, true)
	if s := f.signal(t); s.Status != vigil.SignalUnknown {
		t.Fatalf("no course: %+v", s)
	}
	c := &vigil.Course{PassMark: 80, RecurrenceMonths: 12, DueDays: 30}
	if err := f.svc.AddBuiltin(f.mia, c); vigil.ErrorCode(err) != vigil.EFORBIDDEN {
		t.Fatalf("a member adding a course: %v", err)
	}
	if err := f.svc.AddBuiltin(f.admin, c); err != nil {
		t.Fatal(err)
	}
	if s := f.signal(t); s.Status != vigil.SignalUnknown || !strings.Contains(s.Reason, "nobody is assigned") {
		t.Fatalf("nobody assigned: %+v", s)
	}
	if err := f.svc.Assign(f.admin, &vigil.Assignment{CourseID: c.ID, Target: vigil.TargetRole, Value: "member"}); err != nil {
		t.Fatal(err)
	}
	if s := f.signal(t); s.Status != vigil.SignalNeutral || s.Operating {
		t.Fatalf("assigned, nobody done: %+v", s)
	}
	due, err := f.svc.TrainingDue(f.mia, f.miaID)
	if err != nil || len(due) != 1 || due[0].State != vigil.TrainingDue || due[0].CourseID != c.ID {
		t.Fatalf("Mia's training due: %+v %v", due, err)
	}
	if _, err := f.svc.TrainingDue(f.mia, f.annID); vigil.ErrorCode(err) != vigil.EFORBIDDEN {
		t.Fatalf("Mia reading Ann's training: %v", err)
	}

	// A failed attempt is recorded, nothing completed.
	res, err := f.svc.SubmitQuiz(f.mia, c.ID, answers(t, 5))
	if err != nil || res.Passed || res.Completion != nil || res.Score != 66 {
		t.Fatalf("a failed quiz: %+v %v", res, err)
	}
	if n, _ := f.st.Attempts(f.admin, c.ID, f.miaID); n != 1 {
		t.Fatalf("attempts after failing: %d", n)
	}
	if _, err := f.svc.SubmitQuiz(f.mia, c.ID, map[string]int{"q01": 2}); vigil.ErrorField(err) != "answers" {
		t.Fatalf("half the answers: %v", err)
	}
	res, err = f.svc.SubmitQuiz(f.mia, c.ID, answers(t, 1))
	if err != nil || !res.Passed || res.Completion == nil || res.Score != 93 {
		t.Fatalf("a pass: %+v %v", res, err)
	}
	// The certificate is sealed against HR-02.
	cs, _ := f.st.Completions(f.admin, c.ID, f.miaID)
	if len(cs) != 1 || cs[0].EvidenceID == 0 {
		t.Fatalf("completion: %+v", cs)
	}
	ev, err := f.st.Evidence(f.admin, cs[0].EvidenceID)
	if err != nil || ev.Controls[0] != "HR-02" || ev.MediaType != "text/html" {
		t.Fatalf("certificate: %+v %v", ev, err)
	}
	rc, err := f.svc.Evidence.Open(f.admin, ev)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := io.ReadAll(rc)
	rc.Close()
	if !strings.Contains(string(cert), "<strong>mia (mia@example.com)</strong>") || !strings.Contains(string(cert), "93%") {
		t.Fatalf("certificate text: %s", cert)
	}

	// Ann is a member too and has not done it: 30 days on she is overdue,
	// named, and HR-02 fails.
	f.now = f.now.AddDate(0, 0, 31)
	s := f.signal(t)
	if s.Status != vigil.SignalFail || !strings.Contains(s.Reason, "ann (due ") || strings.Contains(s.Reason, "mia") {
		t.Fatalf("Ann overdue: %+v", s)
	}
	// Roster: the admin sees both; Mia only herself.
	all, err := f.svc.Roster(f.admin, c.ID)
	if err != nil || len(all) != 2 {
		t.Fatalf("admin's roster: %+v %v", all, err)
	}
	mine, err := f.svc.Roster(f.mia, c.ID)
	if err != nil || len(mine) != 1 || mine[0].UserID != f.miaID || mine[0].State != vigil.TrainingComplete {
		t.Fatalf("Mia's roster: %+v %v", mine, err)
	}
	if cs, _ := f.svc.Completions(f.ann, c.ID); len(cs) != 0 {
		t.Fatalf("Ann sees Mia's completion: %+v", cs)
	}
	// The manager records Ann's completion elsewhere; a certificate is
	// generated and HR-02 operates.
	if err := f.svc.RecordCompletion(f.admin, &vigil.Completion{CourseID: c.ID, UserID: f.annID, CompletedAt: f.now.Add(2 * time.Hour)}); vigil.ErrorField(err) != "completed_at" {
		t.Fatalf("a completion in the future: %v", err)
	}
	if err := f.svc.RecordCompletion(f.admin, &vigil.Completion{CourseID: c.ID, UserID: f.annID, CompletedAt: f.now, Score: 85, Note: "conference session"}); err != nil {
		t.Fatal(err)
	}
	if s := f.signal(t); s.Status != vigil.SignalOK || !s.Operating || !strings.Contains(s.Reason, "2 of 2 complete") {
		t.Fatalf("everyone done: %+v", s)
	}
	// Rosters were sealed; sealing again with nothing changed adds none.
	last, _ := f.st.LastTrainingSeal(f.admin, c.ID)
	if last == nil {
		t.Fatal("no roster sealed")
	}
	if err := f.svc.Seal(context.Background()); err != nil {
		t.Fatal(err)
	}
	if again, _ := f.st.LastTrainingSeal(f.admin, c.ID); again.EvidenceID != last.EvidenceID {
		t.Fatal("an unchanged roster was sealed again")
	}
	// A year on, Mia's completion has lapsed: she is overdue again.
	f.now = f.now.AddDate(1, 0, 0)
	if s := f.signal(t); s.Status != vigil.SignalFail || !strings.Contains(s.Reason, "mia") {
		t.Fatalf("after expiry: %+v", s)
	}
}

func TestServiceErrors(t *testing.T) {
	f := newFixture(t, false)
	if _, err := f.svc.SubmitQuiz(f.mia, 42, answers(t, 0)); vigil.ErrorCode(err) != vigil.ENOTFOUND {
		t.Fatalf("an unknown course: %v", err)
	}
	own := &vigil.Course{Title: "Secure development", Kind: vigil.CourseRoleBased, PassMark: 70, DueDays: 60}
	if err := f.svc.CreateCourse(f.admin, own); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Quiz(f.mia, own.ID); vigil.ErrorCode(err) != vigil.ECONFLICT {
		t.Fatalf("the quiz of a course without one: %v", err)
	}
	// HR-03 is not adopted: an attested completion could not be sealed.
	if err := f.svc.RecordCompletion(f.admin, &vigil.Completion{CourseID: own.ID, UserID: f.miaID, CompletedAt: f.now}); vigil.ErrorCode(err) != vigil.ECONFLICT || !strings.Contains(err.Error(), "adopt HR-03") {
		t.Fatalf("recording without the control: %v", err)
	}
	c := &vigil.Course{PassMark: 80, DueDays: 30}
	if err := f.svc.AddBuiltin(f.admin, c); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AddBuiltin(f.admin, &vigil.Course{PassMark: 80, DueDays: 30}); vigil.ErrorCode(err) != vigil.ECONFLICT {
		t.Fatalf("the built-in course twice: %v", err)
	}
	// The quiz people see has no answers.
	_, qs, err := f.svc.Quiz(f.mia, c.ID)
	if err != nil || len(qs) < MinQuestions {
		t.Fatalf("quiz: %d %v", len(qs), err)
	}
	// A pass without HR-02 adopted: completed, certificate waiting.
	res, err := f.svc.SubmitQuiz(f.mia, c.ID, answers(t, 0))
	if err != nil || !res.Passed {
		t.Fatalf("pass: %+v %v", res, err)
	}
	if cs, _ := f.st.Completions(f.admin, c.ID, 0); len(cs) != 1 || cs[0].EvidenceID != 0 {
		t.Fatalf("without HR-02: %+v", cs)
	}
}
