package policy

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/internal/evidencetest"
	"github.com/vigil-soc/vigil/store"
)

type fixture struct {
	svc                   *Service
	st                    *store.Store
	admin, writer, a1, a2 context.Context
	writerID, a1ID, a2ID  int64
}

func newFixture(t *testing.T) *fixture {
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
	sys := vigil.WithActor(ctx, vigil.Actor{Name: "setup", Role: vigil.RoleOwner})
	f := &fixture{st: st, svc: &Service{Store: st, Evidence: evidencetest.New(t, st)}}
	as := func(email string, r vigil.Role) (context.Context, int64) {
		u := &vigil.User{Email: email, Name: strings.Split(email, "@")[0], Role: r}
		if err := st.CreateUser(sys, u, ""); err != nil {
			t.Fatal(err)
		}
		return vigil.WithActor(ctx, vigil.Actor{UserID: u.ID, Name: u.Email, Role: r}), u.ID
	}
	f.admin, _ = as("admin@example.com", vigil.RoleAdmin)
	f.writer, f.writerID = as("writer@example.com", vigil.RoleMember)
	f.a1, f.a1ID = as("ann@example.com", vigil.RoleMember)
	f.a2, f.a2ID = as("bob@example.com", vigil.RoleMember)
	for _, id := range []string{"GV-01", "AC-01"} {
		c := vigil.Control{ID: id, Title: id}
		c.Validate(func(string) bool { return true })
		if err := st.CreateControl(f.admin, &c); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func signal(t *testing.T, f *fixture) vigil.Signal {
	t.Helper()
	sigs, err := f.svc.Signals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs[vigil.PolicySetControl]) != 1 {
		t.Fatalf("signals %+v", sigs)
	}
	return sigs[vigil.PolicySetControl][0]
}

// A policy from creation to publication: each step by the person allowed
// to take it, the publication sealed into the ledger with its text and
// approvals, and GV-01 shown operating only then.
func TestServicePublishSeals(t *testing.T) {
	f := newFixture(t)
	if s := signal(t, f); s.Status != vigil.SignalUnknown {
		t.Fatalf("no policies: %+v", s)
	}
	p := &vigil.Policy{Title: "Access Control Policy", OwnerID: f.writerID, Approvers: []int64{f.a1ID, f.a2ID}, Quorum: 2, Controls: []string{"AC-01", "AC-99"}}
	if err := f.svc.Create(f.writer, p, "x"); vigil.ErrorCode(err) != vigil.EFORBIDDEN {
		t.Errorf("a member created a policy: %v", err)
	}
	if err := f.svc.Create(f.admin, p, "# Access\n\nAccess is reviewed every quarter.\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Edit(f.a1, p.ID, "mine now", ""); vigil.ErrorCode(err) != vigil.EFORBIDDEN {
		t.Errorf("an approver who does not own the policy edited it: %v", err)
	}
	if _, err := f.svc.Submit(f.writer, p.ID); err != nil {
		t.Fatal(err)
	}
	if s := signal(t, f); s.Status != vigil.SignalUnknown {
		t.Errorf("in review: %+v", s)
	}
	for _, ctx := range []context.Context{f.a1, f.a2} {
		if _, err := f.svc.Approve(ctx, p.ID, "agreed"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.Publish(f.a1, p.ID, "", true); vigil.ErrorCode(err) != vigil.EFORBIDDEN {
		t.Errorf("an approver who is not the owner published: %v", err)
	}
	got, err := f.svc.Publish(f.writer, p.ID, "", true)
	if err != nil {
		t.Fatal(err)
	}
	seals, _ := f.st.PolicySeals(context.Background())
	if len(seals) != 1 || seals[0].Number != 1 || seals[0].Review != 0 {
		t.Fatalf("seals %+v", seals)
	}
	ev, err := f.st.Evidence(context.Background(), seals[0].EvidenceID)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Source != vigil.SourceReview || strings.Join(ev.Controls, ",") != "AC-01,GV-01" || ev.EffectiveStart == "" {
		t.Errorf("sealed item %+v", ev)
	}
	var rec sealRecord
	b := readEvidence(t, f, ev.ID)
	if err := json.Unmarshal(b, &rec); err != nil || rec.SHA256 != got.Published.SHA256 || rec.Body != got.Published.Body || len(rec.Approvals) != 2 {
		t.Errorf("sealed record %s (%v)", b, err)
	}
	if s := signal(t, f); s.Status != vigil.SignalOK || !s.Operating {
		t.Errorf("published and sealed: %+v", s)
	}
	// Sealing again finds nothing to do.
	if err := f.svc.Seal(context.Background()); err != nil {
		t.Fatal(err)
	}
	if seals, _ := f.st.PolicySeals(context.Background()); len(seals) != 1 {
		t.Errorf("sealed twice: %+v", seals)
	}

	// A year on, the review is overdue; a "no changes" review at the
	// quorum is sealed and restores it.
	f.svc.Now = func() time.Time { return time.Now().AddDate(1, 0, 1) }
	if s := signal(t, f); s.Status != vigil.SignalFail {
		t.Errorf("a year on: %+v", s)
	}
	if _, done, err := f.svc.Review(f.a1, p.ID, "read it, nothing to change"); err != nil || done {
		t.Fatalf("first review approval: %v %v", done, err)
	}
	if _, done, err := f.svc.Review(f.a2, p.ID, "read it, nothing to change"); err != nil || !done {
		t.Fatalf("second review approval: %v %v", done, err)
	}
	f.svc.Now = nil
	seals, _ = f.st.PolicySeals(context.Background())
	if len(seals) != 2 || seals[1].Review != 1 {
		t.Fatalf("seals after the review %+v", seals)
	}
	if s := signal(t, f); s.Status != vigil.SignalOK {
		t.Errorf("after the review: %+v", s)
	}
	if _, err := f.svc.NewVersion(f.writer, p.ID, "# Access\n\nMonthly.\n", "monthly"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.NewVersion(f.writer, p.ID, "again", "again"); vigil.ErrorCode(err) != vigil.ECONFLICT {
		t.Errorf("a second version started beside a draft: %v", err)
	}
	if _, err := f.svc.Retire(f.writer, p.ID); vigil.ErrorCode(err) != vigil.EFORBIDDEN {
		t.Errorf("a member retired a policy: %v", err)
	}
}

func readEvidence(t *testing.T, f *fixture, id int64) []byte {
	t.Helper()
	e, err := f.st.Evidence(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := f.svc.Evidence.Open(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
