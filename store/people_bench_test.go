package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
)

// BenchmarkAckStatus5000x20: every person's standing with every policy in
// force, for 5,000 people and 20 published policies with 100,000
// acknowledgements, on SQLite: the reads and the judging that the
// acknowledgement overview (API and page) does (the target: under
// 100 ms of server time).
func BenchmarkAckStatus5000x20(b *testing.B) {
	const people, policies = 5000, 20
	ctx := context.Background()
	s, err := Open(ctx, Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	u := &vigil.User{Email: "owner@acme.test", Name: "Owner", Role: vigil.RoleOwner}
	if err := s.CreateUser(ctx, u, ""); err != nil {
		b.Fatal(err)
	}
	pub := time.Now().UTC().AddDate(0, -2, 0)
	err = s.write(ctx, func(t *wtx) error {
		for p := 1; p <= policies; p++ {
			if _, err := t.exec(ctx, `INSERT INTO policies (policy_key, title, owner_id, approvers, quorum, review_months, created_at) VALUES (?, ?, ?, '[]', 1, 12, ?)`,
				fmt.Sprintf("POL-%03d", p), fmt.Sprintf("Policy %d", p), u.ID, t.d.ts(pub)); err != nil {
				return err
			}
			for v := 1; v <= 2; v++ {
				state := "retired"
				if v == 2 {
					state = "published"
				}
				if _, err := t.exec(ctx, `INSERT INTO policy_versions (policy_id, number, state, body, sha256, material, created_at, published_at) VALUES (?, ?, ?, 'text', ?, ?, ?, ?)`,
					p, v, state, fmt.Sprintf("%064d", v), v == 1, t.d.ts(pub), t.d.ts(pub.AddDate(0, 0, v))); err != nil {
					return err
				}
			}
		}
		if err := t.insertRows(ctx, `INSERT INTO people (email, name, employment, in_scope, source, created_at, updated_at) VALUES `, 7, people, func(i int) []any {
			return []any{fmt.Sprintf("p%05d@acme.test", i), "P", "employee", true, "csv", t.d.ts(pub), t.d.ts(pub)}
		}); err != nil {
			return err
		}
		return t.insertRows(ctx, `INSERT INTO policy_acks (policy_id, number, email, user_id, at, sha256) VALUES `, 6, people*policies, func(i int) []any {
			// Nine in ten people acknowledged each policy, some twice.
			p, who := i/people+1, i%people
			n := 1 + who%2
			if who%10 == 0 {
				n = 1
			}
			return []any{p, n, fmt.Sprintf("p%05d@acme.test", who), u.ID, t.d.ts(pub.AddDate(0, 0, 5)), fmt.Sprintf("%064d", n)}
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	var done int
	for b.Loop() {
		reqs, err := s.AckRequirements(ctx)
		if err != nil {
			b.Fatal(err)
		}
		ps, err := s.People(ctx)
		if err != nil {
			b.Fatal(err)
		}
		latest, err := s.LatestAcks(ctx)
		if err != nil {
			b.Fatal(err)
		}
		now := time.Now()
		done = 0
		for i := range reqs {
			for j := range ps {
				if vigil.AckStatusOf(&reqs[i], &ps[j], latest[AckKey{reqs[i].PolicyID, ps[j].Email}], now).State == vigil.AckDone {
					done++
				}
			}
		}
	}
	if done != policies*people {
		// version 1 is material, 2 is not: acknowledging either counts
		b.Fatalf("%d acknowledged, want %d", done, policies*people)
	}
}
