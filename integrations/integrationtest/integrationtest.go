// Package integrationtest has what the tests of the integrations service
// and of the kinds share: a service on a fresh store, and running an
// integration once.
package integrationtest

import (
	"context"
	"testing"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/checks"
	"github.com/vigil-soc/vigil/integrations/service"
	"github.com/vigil-soc/vigil/monitor"
	"github.com/vigil-soc/vigil/secret"
	"github.com/vigil-soc/vigil/store"
)

// Ctx is an owner's context.
var Ctx = vigil.WithActor(context.Background(), vigil.Actor{UserID: 0, Name: "test", Role: vigil.RoleOwner})

// NewService is the integrations service on a fresh SQLite store with the
// built-in checks and no kind: a test adds the kinds it runs.
func NewService(t testing.TB) *service.Service {
	t.Helper()
	st, err := store.Open(Ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(Ctx); err != nil {
		t.Fatal(err)
	}
	reg, err := checks.Load()
	if err != nil {
		t.Fatal(err)
	}
	box, _ := secret.New(make([]byte, 32))
	return &service.Service{Store: st, Box: box, Monitor: &monitor.Service{Store: st, Checks: reg}, Checks: reg,
		DataDir: t.TempDir()}
}

// Connect creates an integration, tests its connection and runs it once,
// giving each result's verdict and reason by "check resource".
func Connect(t testing.TB, s *service.Service, x *vigil.Integration, secret string) (got, why map[string]string) {
	t.Helper()
	if err := s.Create(Ctx, x, secret); err != nil {
		t.Fatal(err)
	}
	if err := s.Test(Ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunNow(Ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	rs, err := s.Store.CurrentResults(Ctx, x.AgentID, "")
	if err != nil {
		t.Fatal(err)
	}
	got, why = map[string]string{}, map[string]string{}
	for _, r := range rs {
		k := r.CheckID + " " + r.Resource
		got[k], why[k] = r.Verdict, r.Reason
	}
	return got, why
}

// Verdicts gives the worst verdict of each check on agentID.
func Verdicts(t testing.TB, s *service.Service, agentID int64) map[string]string {
	t.Helper()
	rs, err := s.Store.CurrentResults(Ctx, agentID, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rs {
		if old := out[r.CheckID]; old != "fail" {
			out[r.CheckID] = r.Verdict
		}
	}
	return out
}

// ResultsOf gives each check's verdict and reason on agentID.
func ResultsOf(t testing.TB, s *service.Service, agentID int64) (map[string]string, map[string]string) {
	t.Helper()
	rs, err := s.Store.CurrentResults(Ctx, agentID, "")
	if err != nil {
		t.Fatal(err)
	}
	got, why := map[string]string{}, map[string]string{}
	for _, r := range rs {
		got[r.CheckID], why[r.CheckID] = r.Verdict, r.Reason
	}
	return got, why
}
