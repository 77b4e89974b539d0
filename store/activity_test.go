package store

import (
	"context"
	"testing"

	"github.com/vigil-soc/vigil"
)

// EntityVersion moves with a write about the named types only.
func TestEntityVersion(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := vigil.WithActor(context.Background(), vigil.Actor{Name: "setup", Role: vigil.RoleOwner})
		v0, err := s.EntityVersion(ctx, "user", "control")
		if err != nil || v0 != 0 {
			t.Fatalf("empty log: %d %v", v0, err)
		}
		u := &vigil.User{Email: "a@acme.test", Name: "A", Role: vigil.RoleAdmin}
		if err := s.CreateUser(ctx, u, ""); err != nil {
			t.Fatal(err)
		}
		v1, _ := s.EntityVersion(ctx, "user", "control")
		if v1 == 0 {
			t.Fatal("a user written: the version did not move")
		}
		if _, err := s.AdoptControls(ctx, []vigil.Control{{ID: "GV-01", Title: "Policies", Criteria: []string{"CC1.1"}, Status: vigil.StatusNotStarted}}); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.EntityVersion(ctx, "user"); v != v1 {
			t.Fatalf("a control written moved the users' version: %d to %d", v1, v)
		}
		if v, _ := s.EntityVersion(ctx, "user", "control"); v <= v1 {
			t.Fatalf("a control written: %d, was %d", v, v1)
		}
	})
}
