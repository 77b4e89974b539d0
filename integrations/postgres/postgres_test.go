package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/integrationtest"
	"github.com/vigil-soc/vigil/internal/pgtest"
)

var ctx = integrationtest.Ctx

// TestPostgresIntegration runs the PostgreSQL checks against a real server
// (started from the system binaries: trust authentication, no TLS,
// connection logging off), then fixes the logging and sees that check
// turn to pass.
func TestPostgresIntegration(t *testing.T) {
	pg, err := pgtest.Start()
	if err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	t.Cleanup(pg.Stop)
	u, _ := url.Parse(pg.URL("postgres"))
	sock := u.Query().Get("host")
	s := integrationtest.NewService(t)
	s.Kinds = append(s.Kinds, Postgres{})
	cfg, _ := json.Marshal(map[string]any{"host": sock, "database": "postgres", "user": "vigil", "sslmode": "disable"})
	x := &vigil.Integration{Kind: "postgres", Name: "main db", Config: cfg, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, x, "unused-password"); err != nil {
		t.Fatal(err)
	}
	if err := s.Test(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	run := func() map[string]string {
		t.Helper()
		if _, err := s.RunNow(ctx, x.ID); err != nil {
			t.Fatal(err)
		}
		return integrationtest.Verdicts(t, s, x.AgentID)
	}
	v := run()
	want := map[string]string{"postgres.ssl": "fail", "postgres.password-encryption": "pass", "postgres.log-connections": "fail",
		"postgres.log-statement": "fail", "postgres.superusers": "fail", "postgres.public-schema": "pass", "postgres.hba-no-trust": "fail"}
	for k, w := range want {
		if v[k] != w {
			t.Errorf("%s: %q, want %s", k, v[k], w)
		}
	}
	db, err := sql.Open("pgx", pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"ALTER SYSTEM SET log_connections = on", "ALTER SYSTEM SET log_disconnections = on", "ALTER SYSTEM SET log_statement = 'ddl'", "SELECT pg_reload_conf()"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond) // the reload is asynchronous
	if v := run(); v["postgres.log-connections"] != "pass" || v["postgres.log-statement"] != "pass" {
		t.Fatalf("after enabling connection logging: %v", v)
	}
	// A role that cannot read pg_hba_file_rules: that check is an error
	// naming the grant, the others still judged.
	if _, err := db.Exec("CREATE ROLE auditor LOGIN; GRANT pg_read_all_settings TO auditor"); err != nil {
		t.Fatal(err)
	}
	cfg2, _ := json.Marshal(map[string]any{"host": sock, "user": "auditor", "sslmode": "disable"})
	y := &vigil.Integration{Kind: "postgres", Name: "as auditor", Config: cfg2, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, y, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunNow(ctx, y.ID); err != nil {
		t.Fatal(err)
	}
	rs, _ := s.Store.CurrentResults(ctx, y.AgentID, "postgres.hba-no-trust")
	if len(rs) != 1 || rs[0].Verdict != "error" || !strings.Contains(rs[0].Reason, "pg_hba_file_rules") {
		t.Fatalf("hba as an unprivileged role: %+v", rs)
	}
	if v := integrationtest.Verdicts(t, s, y.AgentID); v["postgres.ssl"] != "fail" {
		t.Fatalf("the other checks as auditor: %v", v)
	}
	// Wrong host: the test says so.
	cfg3, _ := json.Marshal(map[string]any{"host": "/nonexistent", "user": "vigil", "sslmode": "disable"})
	z := &vigil.Integration{Kind: "postgres", Name: "nowhere", Config: cfg3, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, z, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Test(context.Background(), z.ID); err == nil || !strings.Contains(err.Error(), "/nonexistent") {
		t.Fatalf("unreachable server: %v", err)
	}
}
