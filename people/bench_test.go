package people_test

import (
	"context"
	"fmt"
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
