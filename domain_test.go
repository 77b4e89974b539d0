package vigil

import (
	"strings"
	"testing"
	"time"
)

func TestScopeValidate(t *testing.T) {
	cases := []struct {
		name  string
		scope Scope
		field string
	}{
		{"security_is_always_added", Scope{Categories: []Category{CategoryPrivacy}}, ""},
		{"unknown_category", Scope{Categories: []Category{"marketing"}}, "categories"},
		{"type1_needs_date", Scope{AuditType: AuditType1}, "as_of"},
		{"type1_with_window", Scope{AuditType: AuditType1, AsOf: "2026-12-31", WindowStart: "2026-01-01"}, "window_start"},
		{"type2_ok", Scope{AuditType: AuditType2, WindowStart: "2026-01-01", WindowEnd: "2026-03-31"}, ""},
		{"type2_twelve_months", Scope{AuditType: AuditType2, WindowStart: "2026-01-01", WindowEnd: "2027-01-01"}, ""},
		{"type2_too_short", Scope{AuditType: AuditType2, WindowStart: "2026-01-01", WindowEnd: "2026-03-15"}, "window_end"},
		{"type2_too_long", Scope{AuditType: AuditType2, WindowStart: "2026-01-01", WindowEnd: "2027-01-02"}, "window_end"},
		{"type2_backwards", Scope{AuditType: AuditType2, WindowStart: "2026-06-01", WindowEnd: "2026-01-01"}, "window_end"},
		{"bad_date", Scope{AuditType: AuditType1, AsOf: "2026-02-30"}, "as_of"},
		{"dates_without_type", Scope{AsOf: "2026-12-31"}, "audit_type"},
		{"unknown_type", Scope{AuditType: "type3"}, "audit_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.scope.Validate()
			if got := ErrorField(err); got != tc.field || (tc.field == "") != (err == nil) {
				t.Fatalf("Validate() = %v (field %q), want field %q", err, got, tc.field)
			}
			if err == nil && tc.scope.Categories[0] != CategorySecurity {
				t.Fatalf("categories %v do not start with security", tc.scope.Categories)
			}
		})
	}
}

func TestControlValidate(t *testing.T) {
	known := func(id string) bool { return id == "CC6.1" || id == "CC6.2" }
	c := Control{ID: " AC-01 ", Title: " Access ", Criteria: []string{"cc6.2", "CC6.1", "CC6.2"}}
	if err := c.Validate(known); err != nil {
		t.Fatal(err)
	}
	if c.ID != "AC-01" || c.Domain != "AC" || c.Status != StatusNotStarted || c.Frequency != FreqAnnual || strings.Join(c.Criteria, ",") != "CC6.1,CC6.2" {
		t.Fatalf("normalized control %+v", c)
	}
	for _, tc := range []struct {
		name  string
		c     Control
		field string
	}{
		{"bad_id", Control{ID: "ac-1", Title: "t"}, "id"},
		{"no_title", Control{ID: "AC-1"}, "title"},
		{"bad_status", Control{ID: "AC-1", Title: "t", Status: "done"}, "status"},
		{"bad_frequency", Control{ID: "AC-1", Title: "t", Frequency: "hourly"}, "frequency"},
		{"na_without_reason", Control{ID: "AC-1", Title: "t", Status: StatusNotApplicable}, "justification"},
		{"reason_without_na", Control{ID: "AC-1", Title: "t", Justification: "why"}, "justification"},
		{"unknown_criterion", Control{ID: "AC-1", Title: "t", Criteria: []string{"CC9.9"}}, "criteria"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ErrorField(tc.c.Validate(known)); got != tc.field {
				t.Fatalf("field %q, want %q", got, tc.field)
			}
		})
	}
	before := &Control{ID: "AC-1", Status: StatusInProgress}
	if err := CheckTransition(before, &Control{ID: "AC-1", Status: StatusImplemented}); ErrorField(err) != "status" {
		t.Fatalf("implemented without owner: %v", err)
	}
	if err := CheckTransition(before, &Control{ID: "AC-1", Status: StatusImplemented, OwnerID: 3}); err != nil {
		t.Fatal(err)
	}
}

func TestRoles(t *testing.T) {
	for _, tc := range []struct {
		r, other Role
		want     bool
	}{
		{RoleOwner, RoleAdmin, true}, {RoleAdmin, RoleOwner, false}, {RoleAdmin, RoleAuditor, true},
		{RoleMember, RoleAuditor, false}, {RoleAuditor, RoleMember, false}, {RoleAuditor, RoleViewer, true},
		{RoleViewer, RoleViewer, true}, {"root", RoleViewer, false},
	} {
		if got := tc.r.Covers(tc.other); got != tc.want {
			t.Errorf("%s.Covers(%s) = %v, want %v", tc.r, tc.other, got, tc.want)
		}
	}
	if RoleAuditor.Can(PermManage) || !RoleAuditor.Can(PermReadActivity) || RoleViewer.Can(PermReadActivity) {
		t.Fatal("auditor and viewer permissions are wrong")
	}
	if (Actor{}).Role.Can(PermRead) {
		t.Fatal("an actor without a role can read")
	}
}

func TestComputeHealth(t *testing.T) {
	sig := func(s SignalStatus) Signal { return Signal{Status: s} }
	shows := func(s SignalStatus) Signal { return Signal{Status: s, Operating: true} }
	for _, tc := range []struct {
		in   []Signal
		want HealthState
	}{
		{nil, HealthUnknown},
		{[]Signal{shows(SignalOK)}, HealthHealthy},
		{[]Signal{shows(SignalOK), sig(SignalWarn)}, HealthAtRisk},
		{[]Signal{shows(SignalOK), sig(SignalNeutral)}, HealthHealthy},
		{[]Signal{shows(SignalOK), sig(SignalUnknown), sig(SignalWarn)}, HealthUnknown},
		{[]Signal{sig(SignalUnknown), sig(SignalFail)}, HealthFailing},
		{[]Signal{sig("garbage")}, HealthFailing},
		{[]Signal{shows("garbage")}, HealthFailing},
		// Nothing shows the control operating: not shown, never healthy.
		{[]Signal{sig(SignalOK)}, HealthUnknown},
		{[]Signal{sig(SignalOK), sig(SignalWarn)}, HealthUnknown},
		{[]Signal{sig(SignalOK), sig(SignalNeutral)}, HealthUnknown},
		{[]Signal{sig(SignalNeutral)}, HealthUnknown},
		// A failure still wins over "not shown".
		{[]Signal{sig(SignalOK), sig(SignalFail)}, HealthFailing},
	} {
		if got := ComputeHealth(tc.in).State; got != tc.want {
			t.Errorf("ComputeHealth(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
	// A control implemented and owned, with nothing else, is not shown:
	// its status and owner say it should operate, not that it does.
	ctl := &Control{ID: "AC-01", Status: StatusImplemented, OwnerID: 2, OwnerName: "a@example.com", OwnerRole: RoleMember}
	h := ComputeHealth(ControlSignals(ctl))
	if h.State != HealthUnknown || !h.NotShown() || h.Signals[len(h.Signals)-1].Reason != NotShownReason {
		t.Fatalf("implemented and owned alone: %+v, want unknown (not shown)", h)
	}
	if ComputeHealth([]Signal{sig(SignalOK), sig(SignalFail)}).NotShown() {
		t.Fatal("a failing control reported as merely not shown")
	}
}

func TestChainVerifier(t *testing.T) {
	chain := func(n int) []Activity {
		var out []Activity
		prev := GenesisHash
		for i := 1; i <= n; i++ {
			a := Activity{Seq: int64(i), At: time.Unix(int64(i), 0), ActorName: "a", Action: "x.y", EntityType: "x", EntityID: "1", PrevHash: prev}
			a.Hash = a.ComputeHash()
			prev = a.Hash
			out = append(out, a)
		}
		return out
	}
	verify := func(as []Activity, headSeq int64, headHash string) *ChainBreak {
		v := NewChainVerifier()
		for i := range as {
			if !v.Add(&as[i]) {
				break
			}
		}
		return v.Finish(headSeq, headHash)
	}
	good := chain(5)
	if b := verify(good, 5, good[4].Hash); b != nil {
		t.Fatalf("intact chain: %+v", b)
	}
	if b := verify(chain(0), 0, GenesisHash); b != nil {
		t.Fatalf("empty chain: %+v", b)
	}
	edited := chain(5)
	edited[2].Action = "x.z"
	if b := verify(edited, 5, edited[4].Hash); b == nil || b.Seq != 3 {
		t.Fatalf("edited entry 3: %+v", b)
	}
	recomputed := chain(5)
	recomputed[1].Action = "x.z"
	recomputed[1].Hash = recomputed[1].ComputeHash()
	if b := verify(recomputed, 5, recomputed[4].Hash); b == nil || b.Seq != 2 || !strings.Contains(b.Reason, "recomputed") {
		t.Fatalf("entry 2 edited with its hash recomputed: %+v", b)
	}
	removed := append(chain(5)[:1:1], chain(5)[2:]...)
	if b := verify(removed, 5, good[4].Hash); b == nil || b.Seq != 2 {
		t.Fatalf("removed entry 2: %+v", b)
	}
	if b := verify(good[:3], 5, good[4].Hash); b == nil || b.Seq != 4 {
		t.Fatalf("truncated log: %+v", b)
	}
	// Two entries differing only in how fields split must hash differently.
	a := Activity{Seq: 1, ActorName: "ab", Action: "c"}
	b := Activity{Seq: 1, ActorName: "a", Action: "bc"}
	if a.ComputeHash() == b.ComputeHash() {
		t.Fatal("field boundaries are not part of the hash")
	}
}
