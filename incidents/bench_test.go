package incidents_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/incidents"
	"github.com/vigil-soc/vigil/store"
)

// BenchmarkIncidentList5k: a register of 5,000 incidents (each with its
// declaration entry, a fifth with a notification) on SQLite, listed whole,
// filtered by status and severity, and searched; and the signals, which
// read every incident with its timeline. The target: listing and
// filtering under 50 ms of server time.
func BenchmarkIncidentList5k(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	admin := &vigil.User{Email: "admin@acme.test", Name: "Admin", Role: vigil.RoleAdmin}
	if err := st.CreateUser(ctx, admin, ""); err != nil {
		b.Fatal(err)
	}
	actx := vigil.WithActor(ctx, vigil.Actor{UserID: admin.ID, Name: admin.Email, Role: admin.Role})
	svc := &incidents.Service{Store: st}
	start := time.Now()
	for i := range 5000 {
		x := &vigil.Incident{Title: fmt.Sprintf("Incident %d on service %d", i, i%37), Severity: vigil.Severities[i%4],
			DeclaredAt: time.Now().Add(-time.Duration(5000-i) * time.Hour)}
		if _, err := svc.Open(actx, x); err != nil {
			b.Fatal(err)
		}
		if i%5 == 0 {
			if err := svc.AddNotification(actx, x.ID, &vigil.IncidentNotification{Audience: "customers"}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Logf("5,000 incidents opened in %s", time.Since(start).Round(time.Millisecond))
	for _, c := range []struct {
		name string
		f    vigil.IncidentFilter
		want int
	}{
		{"page_500", vigil.IncidentFilter{Limit: 500}, 500},
		{"all", vigil.IncidentFilter{Limit: 5000}, 5000},
		{"open_SEV1", vigil.IncidentFilter{Status: "open", Severity: vigil.SEV1, Limit: 5000}, 1250},
		{"search", vigil.IncidentFilter{Query: "service 12", Limit: 5000}, -1},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				xs, err := svc.List(actx, c.f)
				if err != nil || c.want >= 0 && len(xs) != c.want {
					b.Fatalf("%d incidents, %v", len(xs), err)
				}
			}
		})
	}
	b.Run("signals", func(b *testing.B) {
		for b.Loop() {
			if _, err := svc.Signals(actx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
