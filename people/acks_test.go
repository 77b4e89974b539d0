package people_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/internal/evidencetest"
	"github.com/vigil-soc/vigil/people"
	"github.com/vigil-soc/vigil/policy"
	"github.com/vigil-soc/vigil/store"
)

// A published policy's acknowledgement roster through the service: a
// replaced version is refused, a material version asks everyone again, a
// version not marked material does not, and the roster is sealed for
// GV-02 once per change.
func TestAcknowledgementRoster(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
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
	bob, _ := as("bob@acme.test", vigil.RoleMember)
	if _, err := st.AdoptControls(admin, []vigil.Control{{ID: "GV-01", Title: "Policies", Criteria: []string{"CC1.1"}, Status: vigil.StatusImplemented},
		{ID: "GV-02", Title: "Acknowledgements", Criteria: []string{"CC1.1"}, Status: vigil.StatusImplemented}}); err != nil {
		t.Fatal(err)
	}
	ev := evidencetest.New(t, st)
	pol := &policy.Service{Store: st, Evidence: ev}
	svc := &people.Service{Store: st, Evidence: ev}
	p := &vigil.Policy{Title: "Acceptable Use", OwnerID: adminID, Approvers: []int64{annID}, Quorum: 1, Controls: []string{"GV-02"}}
	if err := pol.Create(admin, p, "# Acceptable use\n\nUse company devices for company work.\n"); err != nil {
		t.Fatal(err)
	}
	publish := func(material bool) *vigil.Policy {
		t.Helper()
		if _, err := pol.Submit(admin, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := pol.Approve(ann, p.ID, ""); err != nil {
			t.Fatal(err)
		}
		got, err := pol.Publish(admin, p.ID, time.Now().UTC().Format(time.DateOnly), material)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	v1 := publish(true)
	pv, err := svc.PreviewImport(admin, []byte("email,name\nann@acme.test,Ann\nbob@acme.test,Bob\n"))
	if err != nil || len(pv.Errors) > 0 {
		t.Fatalf("%+v %v", pv, err)
	}
	if _, err := svc.ConfirmImport(admin, pv.ID, pv.SHA256); err != nil {
		t.Fatal(err)
	}
	roster := func() *vigil.AckRoster {
		t.Helper()
		r, err := svc.AckRoster(admin, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	sealed := func() int {
		t.Helper()
		if err := svc.Seal(ctx); err != nil {
			t.Fatal(err)
		}
		evs, err := st.ListEvidence(admin, vigil.EvidenceFilter{Control: "GV-02"})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range evs {
			if strings.Contains(e.Title, "acknowledgement roster") {
				n++
			}
		}
		return n
	}
	if r := roster(); r.Done != 0 || r.Due != 2 {
		t.Fatalf("before anyone: %+v", r)
	}
	if n := sealed(); n != 1 {
		t.Fatalf("first seal: %d", n)
	}
	if _, err := svc.Acknowledge(ann, p.ID, 1, v1.Published.SHA256); err != nil {
		t.Fatal(err)
	}
	if r := roster(); r.Done != 1 || r.Due != 1 {
		t.Fatalf("after Ann: %+v", r)
	}
	if n := sealed(); n != 2 {
		t.Fatalf("a changed roster is sealed again: %d", n)
	}
	if n := sealed(); n != 2 {
		t.Fatalf("an unchanged roster is not: %d", n)
	}

	// Version 2, not material: Ann's acknowledgement of 1 still counts;
	// the version in force is what Bob must name.
	if _, err := pol.NewVersion(admin, p.ID, v1.Published.Body+"\nTypo fixed.\n", "typo"); err != nil {
		t.Fatal(err)
	}
	v2 := publish(false)
	if r := roster(); r.Done != 1 || r.Requirement.Number != 1 || r.Requirement.Current != 2 {
		t.Fatalf("after a version not material: %+v", r)
	}
	if _, err := svc.Acknowledge(bob, p.ID, 1, v1.Published.SHA256); vigil.ErrorCode(err) != vigil.ECONFLICT {
		t.Fatalf("acknowledging the replaced version: %v", err)
	}
	if _, err := svc.Acknowledge(bob, p.ID, 2, v2.Published.SHA256); err != nil {
		t.Fatal(err)
	}
	// Version 3, material: both must acknowledge again.
	if _, err := pol.NewVersion(admin, p.ID, v2.Published.Body+"\nNew rule.\n", "new rule"); err != nil {
		t.Fatal(err)
	}
	publish(true)
	if r := roster(); r.Done != 0 || r.Due != 2 || r.Requirement.Number != 3 {
		t.Fatalf("after a material version: %+v", r)
	}
	tasks, err := svc.MyTasks(ann)
	if err != nil || len(tasks.Policies) != 1 || tasks.Policies[0].Acked != 1 || tasks.Policies[0].Current != 3 {
		t.Fatalf("Ann's tasks: %+v %v", tasks, err)
	}
}
