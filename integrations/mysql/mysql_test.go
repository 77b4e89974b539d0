package mysql

import (
	"database/sql"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/integrationtest"
	"github.com/vigil-soc/vigil/internal/mysqltest"
)

var ctx = integrationtest.Ctx

// TestMySQLIntegration runs the MySQL checks against Debian's MariaDB with
// planted violations: an anonymous account, a password-less account, an
// application account with SUPER.
func TestMySQLIntegration(t *testing.T) {
	srv, err := mysqltest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", srv.Socket
	conn, _ := mysql.NewConnector(cfg)
	db := sql.OpenDB(conn)
	defer db.Close()
	for _, q := range []string{"CREATE USER ''@'localhost'", "CREATE USER 'nopass'@'%'", "CREATE USER 'app'@'%' IDENTIFIED BY 'x'", "GRANT SUPER ON *.* TO 'app'@'%'",
		"SET GLOBAL log_warnings = 1"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s := integrationtest.NewService(t)
	s.Kinds = append(s.Kinds, MySQL{})
	c, _ := json.Marshal(map[string]any{"host": srv.Socket, "user": "root"})
	x := &vigil.Integration{Kind: "mysql", Name: "orders db", Config: c, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, x, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	got, why := integrationtest.ResultsOf(t, s, x.AgentID)
	if got["mysql.accounts"] != "fail" || !strings.Contains(why["mysql.accounts"], "@localhost") || !strings.Contains(why["mysql.accounts"], "nopass@%") {
		t.Errorf("accounts: %s %s", got["mysql.accounts"], why["mysql.accounts"])
	}
	if got["mysql.superusers"] != "fail" || !strings.Contains(why["mysql.superusers"], "app@%") || strings.Contains(why["mysql.superusers"], "root@") {
		t.Errorf("superusers: %s %s", got["mysql.superusers"], why["mysql.superusers"])
	}
	if got["mysql.secure-transport"] != "fail" || got["mysql.connection-logging"] != "fail" || got["mysql.statement-logging"] != "fail" {
		t.Errorf("transport %s, logging %s, statements %s", got["mysql.secure-transport"], got["mysql.connection-logging"], got["mysql.statement-logging"])
	}
	// MariaDB's audit plugin logging connections only: still no statements.
	for _, q := range []string{"SET GLOBAL log_warnings = 2", "INSTALL SONAME 'server_audit'", "SET GLOBAL server_audit_events = 'CONNECT'",
		"SET GLOBAL server_audit_logging = ON"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := integrationtest.ResultsOf(t, s, x.AgentID); got["mysql.connection-logging"] != "pass" || got["mysql.statement-logging"] != "fail" {
		t.Errorf("after log_warnings = 2 and audit of connections: %s, statements %s", got["mysql.connection-logging"], got["mysql.statement-logging"])
	}
	if _, err := db.Exec("SET GLOBAL server_audit_events = 'CONNECT,QUERY_DDL'"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := integrationtest.ResultsOf(t, s, x.AgentID); got["mysql.statement-logging"] != "pass" {
		t.Errorf("with server_audit logging DDL: %s", got["mysql.statement-logging"])
	}
	// An account that cannot read mysql.user: that check is an error.
	if _, err := db.Exec("CREATE USER 'reader'@'localhost' IDENTIFIED BY 'pw'"); err != nil {
		t.Fatal(err)
	}
	c2, _ := json.Marshal(map[string]any{"host": srv.Socket, "user": "reader"})
	y := &vigil.Integration{Kind: "mysql", Name: "as reader", Config: c2, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, y, "pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunNow(ctx, y.ID); err != nil {
		t.Fatal(err)
	}
	if got, why := integrationtest.ResultsOf(t, s, y.AgentID); got["mysql.accounts"] != "error" || !strings.Contains(why["mysql.accounts"], "GRANT SELECT") {
		t.Errorf("accounts without the grant: %s %s", got["mysql.accounts"], why["mysql.accounts"])
	}
}

func TestStatementLogging(t *testing.T) {
	for _, c := range []struct {
		vars map[string]string
		want int
	}{
		{map[string]string{}, 0},
		{map[string]string{"general_log": "ON", "log_output": "FILE"}, 1},
		{map[string]string{"general_log": "ON", "log_output": "NONE"}, 0},                             // written nowhere
		{map[string]string{"general_log": "ON", "log_output": "TABLE,NONE"}, 0},                       // NONE wins
		{map[string]string{"audit_log_policy": "ALL", "audit_log_rule_based": "yes"}, 0},              // rule-based: the policy says nothing
		{map[string]string{"audit_log_policy": "ALL", "audit_log_rule_based": "unknown"}, 0},          // cannot tell: not taken
		{map[string]string{"audit_log_policy": "ALL"}, 1},                                             // legacy mode
		{map[string]string{"server_audit_logging": "ON", "server_audit_events": ""}, 1},               // no list: every event
		{map[string]string{"server_audit_logging": "ON", "server_audit_events": "connect, table"}, 0}, // no queries
		{map[string]string{"server_audit_logging": "OFF", "server_audit_events": "QUERY"}, 0},         // loaded, not logging
		{map[string]string{"server_audit_logging": "ON", "server_audit_events": "connect,query_dml"}, 1},
		{map[string]string{"audit_log_policy": "LOGINS"}, 0},
		{map[string]string{"audit_log_policy": "queries", "general_log": "ON", "log_output": "FILE,TABLE"}, 2},
	} {
		if got := statementLogging(c.vars); len(got) != c.want {
			t.Errorf("%v: %v, want %d mechanisms", c.vars, got, c.want)
		}
	}
}
