package vigil

import (
	"slices"
	"testing"
)

func TestControlPatchApply(t *testing.T) {
	ptr := func(s string) *string { return &s }
	na, impl := StatusNotApplicable, StatusImplemented
	c := &Control{ID: "AC-01", Title: "Access", OwnerID: 3, Status: na, Justification: "no such systems", Criteria: []string{"CC6.1"}}
	owner := int64(0)
	got := ControlPatch{Title: ptr("Access control"), OwnerID: &owner, Status: &impl}.Apply(c)
	if got.Title != "Access control" || got.OwnerID != 0 || got.Status != impl || got.Justification != "" {
		t.Fatalf("Apply = %+v", got)
	}
	if c.Title != "Access" || c.Status != na || c.Justification == "" {
		t.Fatalf("Apply changed its input: %+v", c)
	}
	// A justification sent with a status other than not applicable is kept,
	// for Validate to refuse.
	if got := (ControlPatch{Status: &impl, Justification: ptr("why")}).Apply(c); got.Justification != "why" {
		t.Fatalf("justification sent = %q", got.Justification)
	}
	// Criteria are copied, never shared.
	crit := []string{"CC6.2"}
	got = ControlPatch{Criteria: &crit}.Apply(c)
	crit[0] = "X"
	if !slices.Equal(got.Criteria, []string{"CC6.2"}) || !slices.Equal(c.Criteria, []string{"CC6.1"}) {
		t.Fatalf("criteria shared: %v, %v", got.Criteria, c.Criteria)
	}
	got.Criteria[0] = "Y"
	if c.Criteria[0] != "CC6.1" {
		t.Fatal("the result shares the input's criteria")
	}
}

func TestRequestPatchApply(t *testing.T) {
	title, grace, assignee, bad := "Quarterly review", 10, int64(7), int64(-1)
	r := &EvidenceRequest{Title: "Review", GraceDays: 5, AssigneeID: 2}
	if err := (&RequestPatch{Title: &title, GraceDays: &grace, AssigneeID: &assignee}).Apply(r); err != nil {
		t.Fatal(err)
	}
	if r.Title != title || r.GraceDays != 10 || r.AssigneeID != 7 {
		t.Fatalf("Apply = %+v", r)
	}
	if err := (&RequestPatch{AssigneeID: &bad}).Apply(r); ErrorField(err) != "assignee_id" {
		t.Fatalf("negative assignee: %v", err)
	}
}
