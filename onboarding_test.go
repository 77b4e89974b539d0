package vigil

import (
	"strings"
	"testing"
	"time"
)

func onboardAt(t *testing.T) time.Time {
	t.Helper()
	return time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
}

func itemOf(t *testing.T, c OnboardingChecklist, k OnboardingKind) OnboardingItem {
	t.Helper()
	for _, it := range c.Items {
		if it.Kind == k {
			return it
		}
	}
	t.Fatalf("no %s item in %+v", k, c.Items)
	return OnboardingItem{}
}

func TestOnboardBackground(t *testing.T) {
	now := onboardAt(t)
	ann := Person{ID: 1, Email: "ann@acme.test", Start: "2026-06-01", InScope: true}
	bob := Person{ID: 2, Email: "bob@acme.test", Start: "2026-06-01", InScope: true}
	cat := Person{ID: 3, Email: "cat@acme.test", Start: "2026-06-01", InScope: true}
	dan := Person{ID: 4, Email: "dan@acme.test", Start: "2026-07-01", InScope: true}
	on := Onboard(&ann, &OnboardingFacts{Checks: []BackgroundCheck{{ID: 1, CompletedOn: "2026-06-01", Provider: "Checkr", Result: BackgroundClear, EvidenceID: 9}}}, now)
	late := Onboard(&bob, &OnboardingFacts{Checks: []BackgroundCheck{{ID: 2, CompletedOn: "2026-06-03", Provider: "Checkr", Result: BackgroundClear, EvidenceID: 10}}}, now)
	none := Onboard(&cat, &OnboardingFacts{}, now)
	soon := Onboard(&dan, &OnboardingFacts{}, now)
	if it := itemOf(t, on, OnboardBackground); it.State != OnboardComplete || !strings.Contains(it.Record, "evidence 9") {
		t.Errorf("on the start date: %+v", it)
	}
	if it := itemOf(t, late, OnboardBackground); it.State != OnboardLate {
		t.Errorf("two days after the start: %+v", it)
	}
	if it := itemOf(t, none, OnboardBackground); it.State != OnboardOverdue {
		t.Errorf("none after the start: %+v", it)
	}
	if it := itemOf(t, soon, OnboardBackground); it.State != OnboardDue {
		t.Errorf("none before the start: %+v", it)
	}
	from := now.AddDate(-1, 0, 0)
	sigs := BackgroundSignals([]OnboardingChecklist{on, late, none, soon}, 4, from, now)
	got := map[SignalStatus]string{}
	for _, s := range sigs {
		got[s.Status] += s.Reason
	}
	if !strings.Contains(got[SignalFail], "cat@acme.test") || strings.Contains(got[SignalFail], "dan@") || strings.Contains(got[SignalFail], "bob@") {
		t.Errorf("missing after start should fail naming cat only: %+v", sigs)
	}
	if !strings.Contains(got[SignalWarn], "bob@acme.test") {
		t.Errorf("late should warn naming bob: %+v", sigs)
	}
	if h := ComputeHealth(sigs); h.State != HealthFailing {
		t.Errorf("health %s", h.State)
	}
	// Late alone is an exception: at risk, still operating.
	if h := ComputeHealth(BackgroundSignals([]OnboardingChecklist{on, late}, 2, from, now)); h.State != HealthAtRisk {
		t.Errorf("late only: %s %+v", h.State, h.Signals)
	}
	if s := BackgroundSignals(nil, 0, from, now); s[0].Status != SignalUnknown {
		t.Errorf("no register: %+v", s)
	}
	if s := BackgroundSignals(nil, 3, from, now); len(s) != 1 || s[0].Status != SignalNeutral {
		t.Errorf("nobody started: %+v", s)
	}
}

func TestOnboardMFAUnknownWithoutIdentitySystem(t *testing.T) {
	now := onboardAt(t)
	p := Person{ID: 1, Email: "ann@acme.test", Start: "2026-06-01", InScope: true}
	yes, no := true, false
	facts := func() *OnboardingFacts {
		return &OnboardingFacts{
			Checks:           []BackgroundCheck{{CompletedOn: "2026-05-20", Provider: "x", Result: BackgroundClear, EvidenceID: 1}},
			Agreements:       []ConfidentialityAgreement{{SignedAt: time.Date(2026, 5, 25, 0, 0, 0, 0, time.UTC), Method: AgreementESign, Document: "POL-020 v1"}},
			AwarenessCourses: 1, HasUser: true,
			Completions: []Completion{{ID: 1, Passed: true, CompletedAt: time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC), Source: CompletionQuiz}},
			Policies:    []AckRequirement{{PolicyID: 7, Key: "POL-001"}},
			Acks:        []PolicyAck{{PolicyID: 7, At: time.Date(2026, 6, 3, 0, 0, 0, 0, time.UTC)}},
		}
	}
	c := Onboard(&p, facts(), now)
	if it := itemOf(t, c, OnboardMFA); it.State != OnboardUnknown {
		t.Fatalf("no identity system: %+v", it)
	}
	if c.Done() {
		t.Fatal("an unknown item counts as done")
	}
	sigs := OnboardingSignals([]OnboardingChecklist{c}, 1, now.AddDate(-1, 0, 0), now)
	if h := ComputeHealth(sigs); h.State != HealthUnknown {
		t.Fatalf("HR-06 with MFA unknown: %s %+v", h.State, sigs)
	}
	f := facts()
	f.IdentitySystems = []string{"okta"}
	f.MFA = []MFAAccount{{System: "okta", Account: &Account{MFA: nil, SeenAt: now}}}
	if it := itemOf(t, Onboard(&p, f, now), OnboardMFA); it.State != OnboardUnknown {
		t.Errorf("MFA unread: %+v", it)
	}
	f.MFA[0].Account.MFA = &no
	if it := itemOf(t, Onboard(&p, f, now), OnboardMFA); it.State != OnboardOverdue {
		t.Errorf("not enrolled past day 7: %+v", it)
	}
	f.MFA[0].Account.MFA = &yes
	c = Onboard(&p, f, now)
	if it := itemOf(t, c, OnboardMFA); it.State != OnboardComplete {
		t.Errorf("enrolled: %+v", it)
	}
	if !c.Done() {
		t.Fatalf("everything shown: %+v", c.Items)
	}
	if h := ComputeHealth(OnboardingSignals([]OnboardingChecklist{c}, 1, now.AddDate(-1, 0, 0), now)); h.State != HealthHealthy {
		t.Errorf("complete checklist: %s %+v", h.State, h.Signals)
	}
}

func TestOnboardTrainingAndAcks(t *testing.T) {
	now := onboardAt(t)
	p := Person{ID: 1, Email: "ann@acme.test", Start: "2026-05-01", InScope: true}
	f := &OnboardingFacts{AwarenessCourses: 1, HasUser: true,
		Completions: []Completion{{ID: 1, Passed: false, CompletedAt: time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)}}}
	if it := itemOf(t, Onboard(&p, f, now), OnboardTraining); it.State != OnboardOverdue {
		t.Errorf("a failed completion completes nothing: %+v", it)
	}
	f.Completions = append(f.Completions, Completion{ID: 2, Passed: true, CompletedAt: time.Date(2026, 6, 5, 0, 0, 0, 0, time.UTC)})
	if it := itemOf(t, Onboard(&p, f, now), OnboardTraining); it.State != OnboardLate || !strings.Contains(it.Record, "completion 2") {
		t.Errorf("passed after day 30: %+v", it)
	}
	f.AwarenessCourses = 0
	if it := itemOf(t, Onboard(&p, f, now), OnboardTraining); it.State != OnboardUnknown {
		t.Errorf("no course: %+v", it)
	}

	f.Policies = []AckRequirement{{PolicyID: 1, Key: "POL-001"}, {PolicyID: 2, Key: "POL-002"}}
	f.Acks = []PolicyAck{{PolicyID: 1, At: time.Date(2026, 5, 3, 0, 0, 0, 0, time.UTC)}}
	if it := itemOf(t, Onboard(&p, f, now), OnboardAcks); it.State != OnboardOverdue || !strings.Contains(it.Reason, "POL-002") {
		t.Errorf("one of two acknowledged: %+v", it)
	}
	f.Acks = append(f.Acks, PolicyAck{PolicyID: 2, At: time.Date(2026, 5, 20, 0, 0, 0, 0, time.UTC)})
	if it := itemOf(t, Onboard(&p, f, now), OnboardAcks); it.State != OnboardComplete || !it.DoneAt.Equal(time.Date(2026, 5, 20, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("both within 30 days: %+v", it)
	}
	f.Policies = nil
	if it := itemOf(t, Onboard(&p, f, now), OnboardAcks); it.State != OnboardUnknown {
		t.Errorf("no policy in force: %+v", it)
	}
}

func TestConfidentialityAndPerformanceSignals(t *testing.T) {
	now := onboardAt(t)
	people := []Person{{ID: 1, Email: "ann@acme.test", Start: "2024-01-01", InScope: true}, {ID: 2, Email: "bob@acme.test", Start: "2026-06-01", InScope: true}}
	signed := map[int64][]ConfidentialityAgreement{1: {{PersonID: 1}}}
	of := func(id int64) []ConfidentialityAgreement { return signed[id] }
	if s := ConfidentialitySignals(people, of, false, now); s[0].Status != SignalUnknown {
		t.Errorf("nothing designated: %+v", s)
	}
	if s := ConfidentialitySignals(people, of, true, now); s[0].Status != SignalFail || !strings.Contains(s[0].Reason, "bob@acme.test") {
		t.Errorf("bob unsigned: %+v", s)
	}
	// Someone starting today is due by the end of the day, not failing.
	today := append(people, Person{ID: 3, Email: "cy@acme.test", Start: Date(now.Format(time.DateOnly)), InScope: true})
	if s := ConfidentialitySignals(today, of, true, now); s[0].Status != SignalFail || strings.Contains(s[0].Reason, "cy@") {
		t.Errorf("cy starts today: %+v", s)
	}
	signed[2] = []ConfidentialityAgreement{{PersonID: 2}}
	if s := ConfidentialitySignals(today, of, true, now); s[0].Status != SignalOK || !strings.Contains(s[0].Reason, "1 start today") {
		t.Errorf("all signed but cy, who starts today: %+v", s)
	}
	if h := ComputeHealth(ConfidentialitySignals(people, of, true, now)); h.State != HealthHealthy {
		t.Errorf("all signed: %+v", h)
	}

	reviews := map[int64][]PerformanceReview{}
	rv := func(id int64) []PerformanceReview { return reviews[id] }
	if s := PerformanceSignals(people, rv, now); s[0].Status != SignalFail || !strings.Contains(s[0].Reason, "ann@") || strings.Contains(s[0].Reason, "bob@") {
		t.Errorf("ann due, bob too new: %+v", s)
	}
	reviews[1] = []PerformanceReview{{CompletedOn: "2025-03-01"}}
	if s := PerformanceSignals(people, rv, now); s[0].Status != SignalFail {
		t.Errorf("a review older than the cycle: %+v", s)
	}
	reviews[1] = append(reviews[1], PerformanceReview{CompletedOn: "2026-01-10"})
	if h := ComputeHealth(PerformanceSignals(people, rv, now)); h.State != HealthHealthy {
		t.Errorf("reviewed: %+v", h)
	}
	if s := PerformanceSignals(nil, rv, now); s[0].Status != SignalUnknown {
		t.Errorf("no register: %+v", s)
	}
}

func TestHRRecordRules(t *testing.T) {
	now := onboardAt(t)
	b := BackgroundCheck{PersonID: 1, CompletedOn: "2026-06-01", Provider: "Checkr", Result: BackgroundClear}
	if err := b.Validate(now); ErrorField(err) != "file" {
		t.Errorf("a check without evidence: %v", err)
	}
	b.EvidenceID = 3
	if err := b.Validate(now); err != nil {
		t.Error(err)
	}
	b.CompletedOn = "2026-07-01"
	if err := b.Validate(now); ErrorField(err) != "completed_on" {
		t.Errorf("a future date: %v", err)
	}
	b.CompletedOn, b.Result = "2026-06-01", "maybe"
	if err := b.Validate(now); ErrorField(err) != "result" {
		t.Errorf("an unknown result: %v", err)
	}

	p := &Person{ID: 1, Email: "ann@acme.test", ManagerEmail: "mia@acme.test", Aliases: []string{"annie"}}
	admin := Actor{UserID: 1, Role: RoleAdmin}
	member := Actor{UserID: 2, Role: RoleMember}
	if err := admin.MayAttestReview(p, "ann@acme.test"); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("an admin attesting their own review: %v", err)
	}
	if err := admin.MayAttestReview(p, "annie"); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("under an alias: %v", err)
	}
	if err := admin.MayAttestReview(p, "hr@acme.test"); err != nil {
		t.Errorf("HR: %v", err)
	}
	if err := member.MayAttestReview(p, "mia@acme.test"); err != nil {
		t.Errorf("the manager: %v", err)
	}
	if err := member.MayAttestReview(p, "joe@acme.test"); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("a colleague: %v", err)
	}
	r := PerformanceReview{PersonID: 1, CompletedOn: "2026-03-01"}
	if err := r.Validate(now); err != nil || r.Period != "2026" {
		t.Errorf("period defaults to the year: %+v %v", r, err)
	}
	a := ConfidentialityAgreement{PersonID: 1, Method: AgreementUpload, SignedAt: now, Document: "NDA v2"}
	if err := a.Validate(now); ErrorField(err) != "file" {
		t.Errorf("an agreement without its document: %v", err)
	}
}
