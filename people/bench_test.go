package people_test

import (
	"context"
	"database/sql"
	"fmt"
	_ "modernc.org/sqlite"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/people"
	"github.com/vigil-soc/vigil/store"
)

// BenchmarkImport10k: a CSV of 10,000 people previewed and confirmed, then
// matched against three directories of 10,000 accounts each (LDAP-style
// uids, Okta logins that are emails, and Google accounts by alias), on
// SQLite (the target: under 5 s).
func BenchmarkImport10k(b *testing.B) {
	const n = 10_000
	var csv strings.Builder
	csv.WriteString("email,name,title,department,manager_email,start_date,end_date,aliases\n")
	for i := range n {
		end := ""
		if i%20 == 0 {
			end = "2026-06-30"
		}
		fmt.Fprintf(&csv, "user%05d@acme.test,User %d,Engineer,Dept %d,user%05d@acme.test,2020-01-01,%s,u%05d.alias\n", i, i, i%40, (i+1)%n, end, i)
	}
	data := []byte(csv.String())
	for b.Loop() {
		b.StopTimer()
		ctx := context.Background()
		st, err := store.Open(ctx, store.Config{DataDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		admin := &vigil.User{Email: "admin@acme.test", Name: "Admin", Role: vigil.RoleAdmin}
		if err := st.CreateUser(ctx, admin, ""); err != nil {
			b.Fatal(err)
		}
		actx := vigil.WithActor(ctx, vigil.Actor{UserID: admin.ID, Name: admin.Email, Role: admin.Role})
		now := time.Now().UTC()
		for d, kind := range []string{"ldap", "okta", "google"} {
			x := &vigil.Integration{Kind: kind, Name: kind, Config: []byte("{}"), Interval: 3600, Enabled: true}
			if err := st.CreateIntegration(actx, x, ""); err != nil {
				b.Fatal(err)
			}
			accs := make([]vigil.Account, n)
			for i := range accs {
				switch d {
				case 0:
					accs[i] = vigil.Account{ExternalID: fmt.Sprintf("uid=user%05d,ou=people,dc=acme,dc=test", i), Username: fmt.Sprintf("user%05d", i), State: vigil.AccountActive}
				case 1:
					accs[i] = vigil.Account{ExternalID: fmt.Sprintf("user%05d@acme.test", i), State: vigil.AccountActive}
				case 2:
					accs[i] = vigil.Account{ExternalID: fmt.Sprintf("g%05d", i), Username: fmt.Sprintf("u%05d.alias", i), State: vigil.AccountActive}
				}
			}
			if err := st.ReplaceAccounts(actx, x.ID, accs, now, now); err != nil {
				b.Fatal(err)
			}
		}
		svc := &people.Service{Store: st}
		b.StartTimer()
		pv, err := svc.PreviewImport(actx, data)
		if err != nil || len(pv.Errors) > 0 {
			b.Fatalf("%v %v", err, pv.Errors)
		}
		if c, err := svc.ConfirmImport(actx, pv.ID, pv.SHA256); err != nil || c.Created != n {
			b.Fatalf("%+v %v", c, err)
		}
		accs, err := svc.Accounts(actx)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		matched := 0
		for _, a := range accs {
			if a.PersonID != 0 {
				matched++
			}
		}
		if matched != 3*n {
			b.Fatalf("matched %d of %d", matched, 3*n)
		}
		st.Close()
		b.StartTimer()
	}
}

// BenchmarkAckOverview5000x20: the acknowledgement standing of 5,000 people
// with 20 published policies and 110,000 acknowledgements, on SQLite, as
// the API and the page compute it (the target: under 100 ms). The
// rows are written straight into the database file, as a year of use
// would have left them; the first call reads them all, the timed ones
// what was added since (nothing), as a server does between acknowledgements.
func BenchmarkAckOverview5000x20(b *testing.B) {
	const nPeople, nPolicies = 5000, 20
	ctx := context.Background()
	dir := b.TempDir()
	st, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	owner := &vigil.User{Email: "owner@acme.test", Name: "Owner", Role: vigil.RoleOwner}
	if err := st.CreateUser(ctx, owner, ""); err != nil {
		b.Fatal(err)
	}
	seedAcks(b, filepath.Join(dir, "vigil.db"), owner.ID, nPeople, nPolicies)
	svc := &people.Service{Store: st}
	actx := vigil.WithActor(ctx, vigil.Actor{UserID: owner.ID, Name: owner.Email, Role: owner.Role})
	start := time.Now()
	ov, err := svc.AckOverview(actx)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("first call (reads every row): %v", time.Since(start))
	if ov.InScope != nPeople || len(ov.Policies) != nPolicies || ov.Policies[0].Done != nPeople*9/10 {
		b.Fatalf("overview: %d in scope, %d policies, %+v", ov.InScope, len(ov.Policies), ov.Policies[0])
	}
	for b.Loop() {
		if _, err := svc.AckOverview(actx); err != nil {
			b.Fatal(err)
		}
	}
}

// seedAcks writes policies, people and acknowledgements with SQL: nine in
// ten people acknowledged each policy's first (material) version and
// some its second too.
func seedAcks(b *testing.B, path string, owner int64, nPeople, nPolicies int) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	ts := time.Now().UTC().AddDate(0, -2, 0).Format(time.RFC3339Nano)
	exec := func(q string, args ...any) {
		if _, err := tx.Exec(q, args...); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	for p := 1; p <= nPolicies; p++ {
		exec(`INSERT INTO policies (policy_key, title, owner_id, approvers, quorum, review_months, created_at) VALUES (?, ?, ?, '[]', 1, 12, ?)`, fmt.Sprintf("POL-%03d", p), fmt.Sprintf("Policy %d", p), owner, ts)
		exec(`INSERT INTO policy_versions (policy_id, number, state, body, sha256, material, created_at, published_at) VALUES (?, 1, 'retired', 'a', ?, 1, ?, ?)`, p, strings.Repeat("1", 64), ts, ts)
		exec(`INSERT INTO policy_versions (policy_id, number, state, body, sha256, material, created_at, published_at) VALUES (?, 2, 'published', 'b', ?, 0, ?, ?)`, p, strings.Repeat("2", 64), ts, ts)
	}
	for i := range nPeople {
		exec(`INSERT INTO people (email, name, employment, in_scope, source, created_at, updated_at) VALUES (?, 'P', 'employee', 1, 'csv', ?, ?)`, fmt.Sprintf("p%05d@acme.test", i), ts, ts)
	}
	for p := 1; p <= nPolicies; p++ {
		for i := range nPeople {
			if i%10 == 9 {
				continue
			}
			exec(`INSERT INTO policy_acks (policy_id, number, email, user_id, at, sha256) VALUES (?, 1, ?, ?, ?, ?)`, p, fmt.Sprintf("p%05d@acme.test", i), owner, ts, strings.Repeat("1", 64))
			if i%5 == 0 {
				exec(`INSERT INTO policy_acks (policy_id, number, email, user_id, at, sha256) VALUES (?, 2, ?, ?, ?, ?)`, p, fmt.Sprintf("p%05d@acme.test", i), owner, ts, strings.Repeat("2", 64))
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}
