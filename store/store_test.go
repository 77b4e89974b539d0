package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/internal/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}

// engines runs fn once on a fresh SQLite store and once on a fresh
// PostgreSQL database: the conformance suite.
func engines(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Run("sqlite", func(t *testing.T) {
		s, err := Open(context.Background(), Config{DataDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if _, err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		fn(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		s, err := Open(context.Background(), Config{DatabaseURL: pgtest.Database(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if _, err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		fn(t, s)
	})
}

var adminCtx = vigil.WithActor(context.Background(), vigil.Actor{UserID: 1, Name: "owner@example.com", Role: vigil.RoleOwner})

// setup completes first-run setup and returns the owner.
func setup(t *testing.T, s *Store) *vigil.User {
	t.Helper()
	ctx := context.Background()
	if err := s.CreateSetupToken(ctx, "hash1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	u, err := s.Setup(ctx, &SetupInput{SetupSecretHash: "hash1", Organization: vigil.Organization{Name: "Acme"},
		Owner: vigil.User{Email: "owner@example.com", Name: "Olive Owner"}, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := vigil.ErrorCode(err); got != code {
		t.Fatalf("error code %q (%v), want %q", got, err, code)
	}
}

func known(string) bool { return true }

func ctl(id string, crit ...string) vigil.Control {
	c := vigil.Control{ID: id, Title: "Control " + id, Criteria: crit}
	if err := c.Validate(known); err != nil {
		panic(err)
	}
	return c
}

func TestMigrations(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		n, err := s.Migrate(ctx)
		if err != nil || n != 0 {
			t.Fatalf("second migrate applied %d, err %v; want 0, nil", n, err)
		}
		v, err := s.SchemaVersion(ctx)
		if err != nil || v != LatestVersion() {
			t.Fatalf("schema version %d (%v), want %d", v, err, LatestVersion())
		}
		if _, err := s.w.ExecContext(ctx, s.d.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', ?)"), 9999, s.d.ts(time.Now())); err != nil {
			t.Fatal(err)
		}
		_, err = s.Migrate(ctx)
		if err == nil || !strings.Contains(err.Error(), "newer than this vigil binary supports") {
			t.Fatalf("migrate on a newer schema: %v, want a refusal", err)
		}
	})
}

func TestSetup(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		_, err := s.Organization(ctx)
		wantCode(t, err, vigil.ENOTFOUND)
		if err := s.CreateSetupToken(ctx, "expired", time.Now().Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		in := &SetupInput{SetupSecretHash: "expired", Organization: vigil.Organization{Name: "Acme"}, Owner: vigil.User{Email: "a@example.com", Name: "A"}}
		_, err = s.Setup(ctx, in)
		wantCode(t, err, vigil.EUNAUTHORIZED)
		in.SetupSecretHash = "wrong"
		_, err = s.Setup(ctx, in)
		wantCode(t, err, vigil.EUNAUTHORIZED)
		if n, _ := s.CountUsers(ctx); n != 0 {
			t.Fatalf("failed setup left %d users", n)
		}
		u := setup(t, s)
		if u.Role != vigil.RoleOwner || u.ID == 0 {
			t.Fatalf("setup user %+v, want an owner", u)
		}
		_, err = s.Setup(ctx, &SetupInput{SetupSecretHash: "hash1", Organization: vigil.Organization{Name: "B"}, Owner: vigil.User{Email: "b@example.com", Name: "B"}})
		wantCode(t, err, vigil.ECONFLICT)
		o, err := s.Organization(ctx)
		if err != nil || o.Name != "Acme" {
			t.Fatalf("organization %+v, %v", o, err)
		}
		sc, err := s.Scope(ctx)
		if err != nil || len(sc.Categories) != 1 || sc.Categories[0] != vigil.CategorySecurity {
			t.Fatalf("initial scope %+v, %v; want security only", sc, err)
		}
	})
}

func TestScope(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		setup(t, s)
		sc := &vigil.Scope{Categories: []vigil.Category{vigil.CategoryPrivacy, vigil.CategoryAvailability}, AuditType: vigil.AuditType2, WindowStart: "2026-01-01", WindowEnd: "2026-06-30"}
		if err := s.UpdateScope(adminCtx, sc); err != nil {
			t.Fatal(err)
		}
		got, err := s.Scope(adminCtx)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got.Categories) != "[security availability privacy]" || got.WindowEnd != "2026-06-30" {
			t.Fatalf("scope %+v", got)
		}
		bad := &vigil.Scope{AuditType: vigil.AuditType2, WindowStart: "2026-01-01", WindowEnd: "2026-01-15"}
		err = s.UpdateScope(adminCtx, bad)
		wantCode(t, err, vigil.EINVALID)
		if vigil.ErrorField(err) != "window_end" {
			t.Fatalf("field %q, want window_end", vigil.ErrorField(err))
		}
	})
}

func TestControls(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		owner := setup(t, s)
		viewer := &vigil.User{Email: "v@example.com", Name: "Vera", Role: vigil.RoleViewer}
		if err := s.CreateUser(adminCtx, viewer, ""); err != nil {
			t.Fatal(err)
		}
		res, err := s.AdoptControls(adminCtx, []vigil.Control{ctl("AC-01", "CC6.1", "CC6.2"), ctl("AC-02", "CC6.1"), ctl("GV-01", "CC1.1")})
		if err != nil || len(res.Adopted) != 3 {
			t.Fatalf("adopt: %+v, %v", res, err)
		}
		res, err = s.AdoptControls(adminCtx, []vigil.Control{ctl("AC-01", "CC6.1"), ctl("HR-01", "CC1.4")})
		if err != nil || fmt.Sprint(res.Adopted, res.Skipped) != "[HR-01] [AC-01]" {
			t.Fatalf("re-adopt: %+v, %v; want HR-01 adopted, AC-01 skipped", res, err)
		}
		c := ctl("AC-01", "CC6.1")
		wantCode(t, s.CreateControl(adminCtx, &c), vigil.ECONFLICT)

		got, err := s.Control(adminCtx, "AC-01")
		if err != nil || fmt.Sprint(got.Criteria) != "[CC6.1 CC6.2]" {
			t.Fatalf("control %+v, %v", got, err)
		}
		_, err = s.Control(adminCtx, "ZZ-99")
		wantCode(t, err, vigil.ENOTFOUND)

		validate := func(c *vigil.Control) error { return c.Validate(known) }
		impl := vigil.StatusImplemented
		_, err = s.UpdateControl(adminCtx, "AC-01", vigil.ControlPatch{Status: &impl}, validate, nil)
		wantCode(t, err, vigil.EINVALID)
		_, err = s.UpdateControl(adminCtx, "AC-01", vigil.ControlPatch{OwnerID: &viewer.ID}, validate, nil)
		wantCode(t, err, vigil.EINVALID)
		na := vigil.StatusNotApplicable
		_, err = s.UpdateControl(adminCtx, "AC-01", vigil.ControlPatch{Status: &na}, validate, nil)
		if vigil.ErrorField(err) != "justification" {
			t.Fatalf("not applicable without justification: %v, want a justification error", err)
		}
		up, err := s.UpdateControl(adminCtx, "AC-01", vigil.ControlPatch{Status: &impl, OwnerID: &owner.ID, Criteria: &[]string{"CC6.3"}}, validate, nil)
		if err != nil || up.Status != impl || up.OwnerName != "Olive Owner" || fmt.Sprint(up.Criteria) != "[CC6.3]" {
			t.Fatalf("update: %+v, %v", up, err)
		}

		list, err := s.ListControls(adminCtx, vigil.ControlFilter{OwnerID: -1})
		if err != nil || len(list) != 3 {
			t.Fatalf("unowned: %d, %v; want 3", len(list), err)
		}
		list, err = s.ListControls(adminCtx, vigil.ControlFilter{Criterion: "CC6.1"})
		if err != nil || len(list) != 1 || list[0].ID != "AC-02" {
			t.Fatalf("by criterion: %+v, %v", list, err)
		}
		list, err = s.ListControls(adminCtx, vigil.ControlFilter{Search: "control gv"})
		if err != nil || len(list) != 1 || list[0].ID != "GV-01" {
			t.Fatalf("search: %+v", list)
		}
		list, err = s.ListControls(adminCtx, vigil.ControlFilter{Search: "ac-0"})
		if err != nil || len(list) != 2 {
			t.Fatalf("case-insensitive search: %d, want 2", len(list))
		}
		list, err = s.ListControls(adminCtx, vigil.ControlFilter{Search: "%"})
		if err != nil || len(list) != 0 {
			t.Fatalf("search for %%: %d, want 0 (wildcards are literal)", len(list))
		}
		page1, _ := s.ListControls(adminCtx, vigil.ControlFilter{Limit: 2})
		page2, _ := s.ListControls(adminCtx, vigil.ControlFilter{Limit: 2, After: page1[1].ID})
		if len(page1) != 2 || len(page2) != 2 || page2[0].ID != "GV-01" {
			t.Fatalf("pages %v %v", page1, page2)
		}
		if err := s.DeleteControl(adminCtx, "HR-01"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.DeleteControl(adminCtx, "HR-01"), vigil.ENOTFOUND)
	})
}

func TestAdoptIsAtomic(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		setup(t, s)
		bad := ctl("AC-02")
		bad.OwnerID = 9999 // no such user: the foreign key fails mid-way
		_, err := s.AdoptControls(adminCtx, []vigil.Control{ctl("AC-01"), bad})
		if err == nil {
			t.Fatal("adopt with a bad owner succeeded")
		}
		list, _ := s.ListControls(adminCtx, vigil.ControlFilter{})
		if len(list) != 0 {
			t.Fatalf("failed adopt left %d controls", len(list))
		}
		if r, _ := s.VerifyActivity(adminCtx); !r.OK {
			t.Fatalf("activity after failed adopt: %+v", r.Break)
		}
	})
}

func TestUsersAndTokens(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		owner := setup(t, s)
		dup := &vigil.User{Email: "OWNER@example.com", Name: "Dup", Role: vigil.RoleAdmin}
		wantCode(t, s.CreateUser(adminCtx, dup, ""), vigil.ECONFLICT)
		admin := vigil.RoleAdmin
		_, err := s.UpdateUser(adminCtx, owner.ID, vigil.UserPatch{Role: &admin}, nil)
		if vigil.ErrorCode(err) != vigil.EINVALID || !strings.Contains(err.Error(), "last active owner") {
			t.Fatalf("demoting the last owner: %v", err)
		}
		tk := &vigil.APIToken{UserID: owner.ID, Name: "ci", Role: vigil.RoleViewer, Prefix: "vgl_abcd"}
		if err := s.CreateToken(adminCtx, tk, "secret-hash"); err != nil {
			t.Fatal(err)
		}
		got, u, err := s.TokenBySecretHash(adminCtx, "secret-hash")
		if err != nil || got.ID != tk.ID || u.Email != owner.Email || got.Role != vigil.RoleViewer {
			t.Fatalf("token lookup: %+v %+v %v", got, u, err)
		}
		if err := s.TouchToken(adminCtx, tk.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(adminCtx, tk.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.RevokeToken(adminCtx, tk.ID), vigil.ECONFLICT)
		got, _, _ = s.TokenBySecretHash(adminCtx, "secret-hash")
		if got.Active(time.Now()) || got.LastUsedAt == nil {
			t.Fatalf("revoked token %+v still active or never used", got)
		}
		_, _, err = s.TokenBySecretHash(adminCtx, "nope")
		wantCode(t, err, vigil.EUNAUTHORIZED)
	})
}

func TestSystems(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		owner := setup(t, s)
		x := &vigil.System{Name: "api", Kind: "service", OwnerID: owner.ID, Classification: "confidential", Environment: "production"}
		if err := s.CreateSystem(adminCtx, x); err != nil {
			t.Fatal(err)
		}
		y := &vigil.System{Name: "api", Classification: "internal", Environment: "production"}
		wantCode(t, s.CreateSystem(adminCtx, y), vigil.ECONFLICT)
		bad := "top-secret"
		_, err := s.UpdateSystem(adminCtx, x.ID, vigil.SystemPatch{Classification: &bad})
		if vigil.ErrorField(err) != "classification" {
			t.Fatalf("bad classification: %v", err)
		}
		list, err := s.ListSystems(adminCtx, 0, 10)
		if err != nil || len(list) != 1 || list[0].OwnerName != "Olive Owner" {
			t.Fatalf("systems %+v %v", list, err)
		}
		if err := s.DeleteSystem(adminCtx, x.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestActivityChain(t *testing.T) {
	tamper := []struct {
		name    string
		sql     string
		wantSeq int64
		want    string
	}{
		{"edited row", "UPDATE activity SET actor_name = 'mallory' WHERE seq = 3", 3, "edited"},
		{"deleted row", "DELETE FROM activity WHERE seq = 4", 4, "missing"},
		{"deleted newest rows", "DELETE FROM activity WHERE seq >= 5", 5, "deleted from the end"},
		{"rewritten hash", "UPDATE activity SET hash = 'ff' WHERE seq = 2", 2, "edited"},
		{"edited with recomputed hash", "RECOMPUTE 2", 2, "hash recomputed"},
	}
	for _, tc := range tamper {
		t.Run(tc.name, func(t *testing.T) {
			engines(t, func(t *testing.T, s *Store) {
				setup(t, s) // entries 1 and 2
				for _, id := range []string{"AC-01", "AC-02", "AC-03", "AC-04"} {
					c := ctl(id)
					if err := s.CreateControl(adminCtx, &c); err != nil {
						t.Fatal(err)
					}
				}
				r, err := s.VerifyActivity(adminCtx)
				if err != nil || !r.OK || r.Checked != 6 {
					t.Fatalf("clean log: %+v %v; want 6 entries verified", r, err)
				}
				if strings.HasPrefix(tc.sql, "RECOMPUTE") {
					// An attacker with database access edits entry 2 and
					// recomputes its hash so that it checks on its own.
					all, _ := s.ListActivity(adminCtx, vigil.ActivityFilter{})
					a := all[len(all)-2]
					a.ActorName = "mallory"
					if _, err := s.w.Exec(s.d.rebind("UPDATE activity SET actor_name = ?, hash = ? WHERE seq = 2"), a.ActorName, a.ComputeHash()); err != nil {
						t.Fatal(err)
					}
				} else if _, err := s.w.Exec(tc.sql); err != nil {
					t.Fatal(err)
				}
				r, err = s.VerifyActivity(adminCtx)
				if err != nil {
					t.Fatal(err)
				}
				if r.OK || r.Break.Seq != tc.wantSeq || !strings.Contains(r.Break.Reason, tc.want) {
					t.Fatalf("after %s: %+v; want a break at %d mentioning %q", tc.name, r.Break, tc.wantSeq, tc.want)
				}
			})
		})
	}
}

func TestActivityList(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		setup(t, s)
		c := ctl("AC-01")
		if err := s.CreateControl(adminCtx, &c); err != nil {
			t.Fatal(err)
		}
		all, err := s.ListActivity(adminCtx, vigil.ActivityFilter{})
		if err != nil || len(all) != 3 || all[0].Action != "control.create" || all[0].ActorName != "owner@example.com" {
			t.Fatalf("activity %+v %v", all, err)
		}
		got, _ := s.ListActivity(adminCtx, vigil.ActivityFilter{Action: "control."})
		if len(got) != 1 || string(got[0].After) == "" {
			t.Fatalf("prefix filter: %+v", got)
		}
		got, _ = s.ListActivity(adminCtx, vigil.ActivityFilter{Before: all[0].Seq, Limit: 1})
		if len(got) != 1 || got[0].Seq != all[1].Seq {
			t.Fatalf("cursor: %+v", got)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "vigil.db"), []byte(strings.Repeat("this is not sqlite", 500)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, Config{DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "corrupt or not a SQLite file") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("corrupt file: %v; want one line naming the corruption", err)
	}
	_, err = Open(ctx, Config{DatabaseURL: "postgres://vigil:s3cret@127.0.0.1:1/vigil?connect_timeout=2"})
	if err == nil || !strings.Contains(err.Error(), "cannot reach PostgreSQL 127.0.0.1:1/vigil") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("unreachable PostgreSQL: %v; want where, without the password", err)
	}
	_, err = Open(ctx, Config{DatabaseURL: "mysql://x"})
	if err == nil {
		t.Fatal("mysql URL accepted")
	}
}

// Concurrent writers must not lose each other's changes, nor break a rule
// that each checks on its own (the last active owner).
func TestConcurrentWrites(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		owner := setup(t, s)
		c := ctl("AC-01")
		if err := s.CreateControl(adminCtx, &c); err != nil {
			t.Fatal(err)
		}
		validate := func(c *vigil.Control) error { return c.Validate(known) }
		var wg sync.WaitGroup
		for _, field := range []string{"title", "evidence"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 20; i++ {
					v := fmt.Sprintf("%s %d", field, i)
					p := vigil.ControlPatch{Title: &v}
					if field == "evidence" {
						p = vigil.ControlPatch{Evidence: &v}
					}
					if _, err := s.UpdateControl(adminCtx, "AC-01", p, validate, nil); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		got, _ := s.Control(adminCtx, "AC-01")
		if got.Title != "title 19" || got.Evidence != "evidence 19" {
			t.Fatalf("after concurrent patches: title %q, evidence %q; a change was lost", got.Title, got.Evidence)
		}
		second := &vigil.User{Email: "o2@example.com", Name: "O2", Role: vigil.RoleOwner}
		if err := s.CreateUser(adminCtx, second, ""); err != nil {
			t.Fatal(err)
		}
		yes := true
		errs := make(chan error, 2)
		for _, id := range []int64{owner.ID, second.ID} {
			go func() {
				_, err := s.UpdateUser(adminCtx, id, vigil.UserPatch{Disabled: &yes}, nil)
				errs <- err
			}()
		}
		failed := 0
		for i := 0; i < 2; i++ {
			if err := <-errs; err != nil {
				failed++
			}
		}
		if failed != 1 {
			t.Fatalf("disabling both owners at once: %d refused, want exactly 1", failed)
		}
		if r, _ := s.VerifyActivity(adminCtx); !r.OK {
			t.Fatalf("activity chain after concurrent writes: %+v", r.Break)
		}
	})
}
