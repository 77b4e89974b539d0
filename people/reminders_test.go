package people_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/internal/evidencetest"
	"github.com/vigil-soc/vigil/internal/pgtest"
	"github.com/vigil-soc/vigil/internal/smtptest"
	"github.com/vigil-soc/vigil/mail"
	"github.com/vigil-soc/vigil/people"
	"github.com/vigil-soc/vigil/policy"
	"github.com/vigil-soc/vigil/store"
)

// TestAckReminders mails acknowledgement digests through a real SMTP
// server, on both engines: one digest per person listing only what they
// have pending; nobody twice within the cadence, nor twice when senders
// race; a refused mailbox is recorded and tried again on the next run; a
// stalled mail server costs the configured timeout, not the run.
func TestAckReminders(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) { testAckReminders(t, engine) })
	}
}

func testAckReminders(t *testing.T, engine string) {
	ctx := context.Background()
	cfg := store.Config{DataDir: t.TempDir()}
	if engine == "postgres" {
		cfg = store.Config{DatabaseURL: pgtest.Database(t)}
	}
	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSetupToken(ctx, "h", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Setup(ctx, &store.SetupInput{SetupSecretHash: "h", Organization: vigil.Organization{Name: "Acme"},
		Owner: vigil.User{Email: "owner@acme.test", Name: "Olive"}, PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	sys := vigil.WithActor(ctx, vigil.Actor{Name: "setup", Role: vigil.RoleOwner})
	as := func(email string, r vigil.Role) (context.Context, int64) {
		u := &vigil.User{Email: email, Name: strings.Split(email, "@")[0], Role: r}
		if err := st.CreateUser(sys, u, ""); err != nil {
			t.Fatal(err)
		}
		return vigil.WithActor(ctx, vigil.Actor{UserID: u.ID, Name: u.Email, Role: r}), u.ID
	}
	admin, adminID := as("admin@acme.test", vigil.RoleAdmin)
	ann, annID := as("ann@acme.test", vigil.RoleMember)
	if _, err := st.AdoptControls(admin, []vigil.Control{{ID: "GV-01", Title: "Policies", Criteria: []string{"CC1.1"}, Status: vigil.StatusImplemented},
		{ID: "GV-02", Title: "Acknowledgements", Criteria: []string{"CC1.1"}, Status: vigil.StatusImplemented}}); err != nil {
		t.Fatal(err)
	}
	ev := evidencetest.New(t, st)
	pol := &policy.Service{Store: st, Evidence: ev}
	publish := func(title string) *vigil.Policy {
		t.Helper()
		p := &vigil.Policy{Title: title, OwnerID: adminID, Approvers: []int64{annID}, Quorum: 1, Controls: []string{"GV-02"}}
		if err := pol.Create(admin, p, "# "+title+"\n\nText.\n"); err != nil {
			t.Fatal(err)
		}
		if _, err := pol.Submit(admin, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := pol.Approve(ann, p.ID, ""); err != nil {
			t.Fatal(err)
		}
		got, err := pol.Publish(admin, p.ID, time.Now().UTC().Format(time.DateOnly), true)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	aup, sec := publish("Acceptable Use"), publish("Information Security")

	smtp := smtptest.Start(t)
	clock := time.Now()
	now := func() time.Time { return clock }
	svc := &people.Service{Store: st, Evidence: ev, Now: now, BaseURL: "https://vigil.acme.test/",
		Mailer: mail.Config{Addr: smtp.Addr, From: "vigil@acme.test", Timeout: 2 * time.Second}}
	if _, err := (&people.Service{Store: st}).RemindAcks(admin, 0, true); vigil.ErrorCode(err) != vigil.EINVALID || !strings.Contains(err.Error(), "--smtp-addr") {
		t.Fatalf("reminders without mail: %v", err)
	}
	// Ann, Bob in scope; Carol out of scope; Dan left last month.
	csv := "email,name,in_scope,start_date,end_date\nann@acme.test,Ann Lee,yes,,\nbob@acme.test,Bob Roy,yes,,\ncarol@acme.test,Carol,no,,\n" +
		"dan@acme.test,Dan,yes,2020-01-01," + clock.AddDate(0, -1, 0).Format(time.DateOnly) + "\n"
	pv, err := svc.PreviewImport(admin, []byte(csv))
	if err != nil || len(pv.Errors) > 0 {
		t.Fatalf("%+v %v", pv, err)
	}
	if _, err := svc.ConfirmImport(admin, pv.ID, pv.SHA256); err != nil {
		t.Fatal(err)
	}
	aupV := aup.Published
	if _, err := svc.Acknowledge(ann, aup.ID, aupV.Number, aupV.SHA256); err != nil {
		t.Fatal(err)
	}

	remind := func(policyID int64, manual bool) *vigil.ReminderRun {
		t.Helper()
		run, err := svc.RemindAcks(admin, policyID, manual)
		if err != nil {
			t.Fatal(err)
		}
		return run
	}
	byRcpt := func(msgs []smtptest.Message) map[string][]string {
		out := map[string][]string{}
		for _, m := range msgs {
			for _, to := range m.To {
				out[to] = append(out[to], m.Data)
			}
		}
		return out
	}

	// The first scheduled run: one digest each, of what each has pending.
	run := remind(0, false)
	if run.Sent != 2 || run.Failed != 0 {
		t.Fatalf("first run: %+v", run)
	}
	got := byRcpt(smtp.Messages())
	if len(got) != 2 || len(got["ann@acme.test"]) != 1 || len(got["bob@acme.test"]) != 1 {
		t.Fatalf("recipients: %v", got)
	}
	annMail, bobMail := got["ann@acme.test"][0], got["bob@acme.test"][0]
	for _, want := range []string{"Subject: Acme: 2 policies to acknowledge", "Hello Bob Roy", sec.Key + " Information Security (version 1): due by", aup.Key + " Acceptable Use", "Open https://vigil.acme.test/tasks"} {
		if !strings.Contains(bobMail, want) {
			t.Errorf("Bob's digest lacks %q:\n%s", want, bobMail)
		}
	}
	if !strings.Contains(annMail, "Subject: Acme: 1 policy to acknowledge") || strings.Contains(annMail, "Acceptable Use") {
		t.Errorf("Ann's digest lists what she acknowledged:\n%s", annMail)
	}

	// Within the week: nothing, scheduled or asked by hand the same day.
	clock = clock.Add(time.Hour)
	if run := remind(0, false); run.Sent+run.Failed != 0 {
		t.Fatalf("second run within the cadence: %+v", run)
	}
	if run := remind(aup.ID, true); run.Sent+run.Failed != 0 || !strings.Contains(run.Summary(), "Nobody to remind") {
		t.Fatalf("manual run within a day: %+v", run)
	}
	// A day later by hand, for the acceptable use policy: only Bob has it
	// pending.
	clock = clock.Add(24 * time.Hour)
	if run := remind(aup.ID, true); run.Sent != 1 {
		t.Fatalf("manual run a day later: %+v", run)
	}
	if got := byRcpt(smtp.Messages()); len(got["bob@acme.test"]) != 2 || len(got["ann@acme.test"]) != 1 {
		t.Fatalf("manual run reached: %v", got)
	}
	ro, err := svc.AckRoster(admin, aup.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ro.People {
		switch l.Email {
		case "bob@acme.test":
			if !l.RemindedAt.Equal(clock.UTC().Truncate(time.Microsecond)) {
				t.Errorf("Bob's roster line says reminded at %v, want %v", l.RemindedAt, clock)
			}
		case "ann@acme.test":
			if !l.RemindedAt.IsZero() {
				t.Errorf("Ann acknowledged it, yet her line shows a reminder: %+v", l)
			}
		}
	}
	acts, err := st.ListActivity(admin, vigil.ActivityFilter{Action: "reminders.sent", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 2 {
		t.Fatalf("activity entries for the two rounds that sent: %d", len(acts))
	}

	// A mailbox the server refuses: recorded with its error, tried again
	// on the next run, which leaves Ann alone.
	clock = clock.Add(8 * 24 * time.Hour)
	smtp.Refuse = func(to string) bool { return to == "bob@acme.test" }
	run = remind(0, false)
	if run.Sent != 1 || run.Failed != 1 || len(run.Errors) != 1 || !strings.Contains(run.Errors[0], "550") {
		t.Fatalf("refused mailbox: %+v", run)
	}
	if ro, _ := svc.AckRoster(admin, sec.ID); !rosterHasError(ro, "bob@acme.test") {
		t.Fatalf("the failure is not on the roster: %+v", ro.People)
	}
	smtp.Refuse = nil
	clock = clock.Add(time.Hour)
	run = remind(0, false)
	if run.Sent != 1 {
		t.Fatalf("retry after the failure: %+v", run)
	}
	if got := byRcpt(smtp.Messages()); len(got["bob@acme.test"]) != 3 || len(got["ann@acme.test"]) != 2 {
		t.Fatalf("after the retry: ann %d, bob %d mails", len(got["ann@acme.test"]), len(got["bob@acme.test"]))
	}

	// Eight senders at once (a click, the schedule, other replicas): each
	// person gets one mail.
	clock = clock.Add(8 * 24 * time.Hour)
	before := len(smtp.Messages())
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := svc.RemindAcks(admin, 0, false); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(smtp.Messages()) - before; n != 2 {
		t.Fatalf("eight racing senders sent %d mails, want 2", n)
	}

	// A mail server that accepts the connection and never answers.
	clock = clock.Add(8 * 24 * time.Hour)
	smtp.Stall.Store(true)
	start := time.Now()
	run = remind(0, false)
	if run.Failed != 2 || time.Since(start) > 10*time.Second {
		t.Fatalf("stalled server: %+v after %v", run, time.Since(start))
	}
}

func rosterHasError(ro *vigil.AckRoster, email string) bool {
	for _, l := range ro.People {
		if l.Email == email && l.ReminderError != "" {
			return true
		}
	}
	return false
}
