package vigil

import (
	"strings"
	"testing"
	"time"
)

func TestCourseValidate(t *testing.T) {
	good := func() Course {
		return Course{Title: "Security awareness", PassMark: 80, RecurrenceMonths: 12, DueDays: 30}
	}
	c := good()
	if err := c.Validate(); err != nil || c.Kind != CourseAwareness || c.Control != AwarenessControl {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c = good()
	c.Kind = CourseRoleBased
	if err := c.Validate(); err != nil || c.Control != SecureDevelopmentControl {
		t.Fatalf("role-based: %+v %v", c, err)
	}
	for _, tc := range []struct {
		field string
		edit  func(*Course)
	}{
		{"title", func(c *Course) { c.Title = " " }},
		{"title", func(c *Course) { c.Title = "a\nb" }},
		{"pass_mark", func(c *Course) { c.PassMark = 0 }},
		{"pass_mark", func(c *Course) { c.PassMark = 101 }},
		{"recurrence_months", func(c *Course) { c.RecurrenceMonths = -1 }},
		{"recurrence_months", func(c *Course) { c.RecurrenceMonths = 37 }},
		{"due_days", func(c *Course) { c.DueDays = 0 }},
		{"kind", func(c *Course) { c.Kind = "fun" }},
		{"control", func(c *Course) { c.Control = "AC-01" }},
	} {
		c := good()
		tc.edit(&c)
		if err := c.Validate(); ErrorField(err) != tc.field {
			t.Errorf("%+v: got %v, want an error on %s", c, err, tc.field)
		}
	}
	c = good()
	c.PassMark = 100
	if err := c.Validate(); err != nil {
		t.Fatalf("pass mark 100: %v", err)
	}
}

func TestAssignmentCovers(t *testing.T) {
	mem := &User{ID: 2, Role: RoleMember}
	for _, tc := range []struct {
		a    Assignment
		want bool
	}{
		{Assignment{Target: TargetAll}, true},
		{Assignment{Target: TargetRole, Value: "member"}, true},
		{Assignment{Target: TargetRole, Value: "admin"}, false},
		// The member's department in the register is "engineering".
		{Assignment{Target: TargetDepartment, Value: "Engineering"}, true},
		{Assignment{Target: TargetDepartment, Value: "Sales"}, false},
	} {
		if err := tc.a.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := tc.a.Covers(mem, " engineering"); got != tc.want {
			t.Errorf("%+v covers a member: %v", tc.a, got)
		}
	}
	if (&Assignment{Target: TargetDepartment, Value: "Engineering"}).Covers(mem, "") {
		t.Error("a department assignment covers someone the register has no department for")
	}
	off := &User{ID: 3, Role: RoleMember, Disabled: true}
	if (&Assignment{Target: TargetAll}).Covers(off, "") {
		t.Error("a disabled user is assigned training")
	}
	for _, a := range []Assignment{{Target: TargetRole, Value: "boss"}, {Target: "team"}, {Target: TargetAll, Value: "x"}, {Target: TargetDepartment}} {
		if err := a.Validate(); err == nil {
			t.Errorf("%+v accepted", a)
		}
	}
}

func TestTrainingStatus(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &Course{ID: 1, Key: "TRN-001", Title: "Awareness", Control: AwarenessControl, PassMark: 80, RecurrenceMonths: 12, DueDays: 30}
	u := &User{ID: 7, Name: "Mia", Role: RoleMember, CreatedAt: t0.AddDate(-1, 0, 0)}
	as := []Assignment{{CourseID: 1, Target: TargetAll, CreatedAt: t0}}
	at := func(days int) time.Time { return t0.AddDate(0, 0, days) }

	if st := c.StatusAt(u, "", nil, nil, at(1)); st.State != TrainingNotAssigned {
		t.Fatalf("unassigned: %+v", st)
	}
	for _, tc := range []struct {
		day  int
		want TrainingState
	}{{1, TrainingDue}, {16, TrainingDueSoon}, {30, TrainingOverdue}} {
		if st := c.StatusAt(u, "", as, nil, at(tc.day)); st.State != tc.want || !st.Due.Equal(at(30)) {
			t.Errorf("day %d: %+v, want %s due %s", tc.day, st, tc.want, at(30))
		}
	}
	// A person who joins after the assignment has their due days from
	// joining.
	late := &User{ID: 8, Name: "New", Role: RoleMember, CreatedAt: at(100)}
	if st := c.StatusAt(late, "", as, nil, at(110)); st.State != TrainingDue || !st.Due.Equal(at(130)) {
		t.Fatalf("a new hire: %+v", st)
	}
	// A failed attempt does not count; a pass does, until it expires.
	failed := Completion{CourseID: 1, UserID: 7, CompletedAt: at(5), Score: 60, Passed: false}
	if st := c.StatusAt(u, "", as, []Completion{failed}, at(40)); st.State != TrainingOverdue {
		t.Fatalf("after failing: %+v", st)
	}
	passed := Completion{CourseID: 1, UserID: 7, CompletedAt: at(10), Score: 90, Passed: true}
	done := []Completion{failed, passed}
	if st := c.StatusAt(u, "", as, done, at(40)); st.State != TrainingComplete || st.Score != 90 || !st.ExpiresAt.Equal(at(10).AddDate(1, 0, 0)) {
		t.Fatalf("after passing: %+v", st)
	}
	// Twelve months on, the completion has lapsed: retraining was due on
	// its expiry.
	exp := at(10).AddDate(1, 0, 0)
	if st := c.StatusAt(u, "", as, done, exp.Add(-time.Hour)); st.State != TrainingComplete {
		t.Fatalf("just before expiry: %+v", st)
	}
	if st := c.StatusAt(u, "", as, done, exp); st.State != TrainingOverdue || !st.Due.Equal(exp) {
		t.Fatalf("at expiry: %+v", st)
	}
	once := *c
	once.RecurrenceMonths = 0
	if st := once.StatusAt(u, "", as, done, exp.AddDate(5, 0, 0)); st.State != TrainingComplete {
		t.Fatalf("a course taken once: %+v", st)
	}
}

func TestTrainingSignals(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	// No course: unknown for both controls, never a pass.
	sigs := TrainingSignals(nil, nil, now)
	for _, ctl := range TrainingControls {
		if len(sigs[ctl]) != 1 || sigs[ctl][0].Status != SignalUnknown || ComputeHealth(sigs[ctl]).Passing() {
			t.Fatalf("%s without a course: %+v", ctl, sigs[ctl])
		}
	}
	cs := []Course{{ID: 1, Key: "TRN-001", Title: "Awareness", Control: AwarenessControl}}
	// A course nobody is assigned: unknown.
	if s := TrainingSignals(cs, nil, now)[AwarenessControl]; s[0].Status != SignalUnknown || !strings.Contains(s[0].Reason, "nobody is assigned") {
		t.Fatalf("nobody assigned: %+v", s)
	}
	due := now.AddDate(0, 0, -3)
	roster := map[int64][]TrainingStatus{1: {
		{UserName: "Ada", State: TrainingComplete},
		{UserName: "Mia Member", State: TrainingOverdue, Due: due},
	}}
	s := TrainingSignals(cs, roster, now)[AwarenessControl]
	if s[0].Status != SignalFail || !strings.Contains(s[0].Reason, "Mia Member (due 2026-05-29)") || ComputeHealth(s).State != HealthFailing {
		t.Fatalf("someone overdue: %+v", s)
	}
	// The named list is capped.
	var many []TrainingStatus
	for i := range 8 {
		many = append(many, TrainingStatus{UserName: string(rune('A' + i)), State: TrainingOverdue, Due: due})
	}
	if s := TrainingSignals(cs, map[int64][]TrainingStatus{1: many}, now)[AwarenessControl]; !strings.Contains(s[0].Reason, "and 3 more") {
		t.Fatalf("many overdue: %s", s[0].Reason)
	}
	// Assigned, nobody done, nobody late: neutral (not shown operating).
	if s := TrainingSignals(cs, map[int64][]TrainingStatus{1: {{UserName: "Mia", State: TrainingDue}}}, now)[AwarenessControl]; s[0].Status != SignalNeutral || s[0].Operating {
		t.Fatalf("nobody done yet: %+v", s)
	}
	// Everyone complete: operating, and the control healthy.
	roster[1][1].State = TrainingComplete
	s = TrainingSignals(cs, roster, now)[AwarenessControl]
	if s[0].Status != SignalOK || !s[0].Operating || ComputeHealth(s).State != HealthHealthy {
		t.Fatalf("all complete: %+v", s)
	}
	// HR-03 still has no course.
	if s := TrainingSignals(cs, roster, now)[SecureDevelopmentControl]; s[0].Status != SignalUnknown {
		t.Fatalf("HR-03: %+v", s)
	}
}
