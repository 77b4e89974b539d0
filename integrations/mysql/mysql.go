// Package mysql is the mysql integration kind (MySQL and MariaDB):
// transport encryption, anonymous and password-less accounts, superusers
// and the logging of failed connections.
package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// MySQL tests a MySQL or MariaDB server: transport encryption, anonymous
// accounts, accounts without a password, superusers, and the logging of
// failed connections. The password is the secret.
type MySQL struct{}

type mysqlConfig struct {
	Host string `json:"host"` // a host name, or a socket path
	Port int    `json:"port"`
	User string `json:"user"`
	TLS  string `json:"tls"` // true, skip-verify, preferred, false (default true for TCP)
}

// Name is the kind's name.
func (MySQL) Name() string { return "mysql" }

func parseMySQL(raw json.RawMessage) (*mysqlConfig, error) {
	var c mysqlConfig
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, vigil.FieldError("config", "mysql settings: %v (fields: host, port, user, tls)", err)
	}
	if c.Port == 0 {
		c.Port = 3306
	}
	if c.TLS == "" {
		c.TLS = "true"
		if strings.HasPrefix(c.Host, "/") {
			c.TLS = "false"
		}
	}
	return &c, nil
}

// Validate checks the settings.
func (MySQL) Validate(raw json.RawMessage, _ string) error {
	c, err := parseMySQL(raw)
	if err != nil {
		return err
	}
	switch {
	case c.Host == "":
		return vigil.FieldError("config.host", "host is required (a host name or a socket path)")
	case c.User == "":
		return vigil.FieldError("config.user", "user is required: an account that can read mysql.user (SELECT on mysql.user)")
	}
	switch c.TLS {
	case "true", "false", "skip-verify", "preferred":
	default:
		return vigil.FieldError("config.tls", "tls is true, skip-verify, preferred or false")
	}
	return nil
}

func (MySQL) open(ctx context.Context, r *kind.Run) (*sql.DB, *mysqlConfig, error) {
	c, err := parseMySQL(r.Config)
	if err != nil {
		return nil, nil, err
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Timeout = c.User, r.Secret, 10*time.Second
	if strings.HasPrefix(c.Host, "/") {
		cfg.Net, cfg.Addr = "unix", c.Host
	} else {
		cfg.Net, cfg.Addr = "tcp", c.Host+":"+strconv.Itoa(c.Port)
		cfg.TLSConfig = c.TLS
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, nil, err
	}
	db := sql.OpenDB(conn)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("cannot connect to %s as %s: %v", c.Host, c.User, err)
	}
	return db, c, nil
}

// Test connects.
func (m MySQL) Test(ctx context.Context, r *kind.Run) error {
	db, _, err := m.open(ctx, r)
	if err != nil {
		return err
	}
	return db.Close()
}

// Collect reads the variables and the accounts.
func (m MySQL) Collect(ctx context.Context, r *kind.Run) (map[string]map[string]any, error) {
	db, c, err := m.open(ctx, r)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	srv := map[string]any{"id": c.Host}
	vars := map[string]string{}
	rows, err := db.QueryContext(ctx, "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('version', 'require_secure_transport', 'have_ssl', 'log_warnings', 'log_error_verbosity', "+
		"'general_log', 'log_output', 'server_audit_logging', 'server_audit_events', 'audit_log_policy')")
	if err != nil {
		return nil, fmt.Errorf("reading variables: %v", err)
	}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return nil, err
		}
		vars[k] = v
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading variables: %v", err)
	}
	srv["version"], srv["require_secure_transport"], srv["have_ssl"] = vars["version"], strings.ToUpper(vars["require_secure_transport"]), vars["have_ssl"]
	// Failed connections are logged when log_warnings >= 2 (MariaDB) or
	// log_error_verbosity >= 3 (MySQL 8).
	lw, _ := strconv.Atoi(vars["log_warnings"])
	lev, _ := strconv.Atoi(vars["log_error_verbosity"])
	srv["logs_failed_connections"] = lw >= 2 || lev >= 3
	// Rule-based audit filtering (MySQL Enterprise Audit, or Percona's
	// audit_log_filter component) logs what its filters say, and then
	// audit_log_policy says nothing. Its plugin has the session variable
	// audit_log_filter_id (absent from the global list) and keeps rules in
	// mysql.audit_log_filter; either means rule-based. Only a plugin with
	// neither (Percona's audit_log) is judged on its policy.
	if _, loaded := vars["audit_log_policy"]; loaded {
		var id string
		err := db.QueryRowContext(ctx, "SELECT @@session.audit_log_filter_id").Scan(&id)
		var n int
		terr := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'mysql' AND table_name = 'audit_log_filter'").Scan(&n)
		switch {
		case err == nil || (terr == nil && n > 0):
			vars["audit_log_rule_based"] = "yes"
		case !strings.Contains(err.Error(), "Unknown system variable"):
			vars["audit_log_rule_based"] = "unknown"
			srv["statement_logging_error"] = "cannot tell whether audit_log filters its events: " + err.Error()
		}
	}
	srv["statement_logging"] = statementLogging(vars)
	if vars["audit_log_rule_based"] == "yes" && len(srv["statement_logging"].([]any)) == 0 {
		// MySQL Enterprise Audit in its rule-based mode logs what its
		// filters say, which these variables do not show.
		srv["statement_logging_error"] = "MySQL Enterprise Audit is loaded with rule-based filtering; whether its filters log statements cannot be read from the server variables (check audit_log_filter and audit_log_user)"
	}
	anon, empty, supers := []any{}, []any{}, []any{}
	urows, err := db.QueryContext(ctx, "SELECT User, Host, COALESCE(authentication_string, ''), COALESCE(plugin, ''), Super_priv FROM mysql.user")
	if err != nil {
		srv["accounts_error"] = "mysql.user cannot be read by " + c.User + " (GRANT SELECT ON mysql.user): " + err.Error()
	} else {
		for urows.Next() {
			var u, h, auth, plugin, super string
			if err := urows.Scan(&u, &h, &auth, &plugin, &super); err != nil {
				urows.Close()
				return nil, err
			}
			acct := u + "@" + h
			if u == "" {
				anon = append(anon, acct)
			}
			// Socket authentication and locked system accounts have no
			// password by design; a password plugin with none does not.
			if auth == "" && (plugin == "" || plugin == "mysql_native_password" || plugin == "caching_sha2_password") {
				empty = append(empty, acct)
			}
			if super == "Y" {
				supers = append(supers, acct)
			}
		}
		urows.Close()
		if err := urows.Err(); err != nil {
			srv["accounts_error"] = "reading mysql.user was cut off: " + err.Error()
		}
	}
	srv["anonymous"], srv["empty_password"], srv["superusers"] = anon, empty, supers
	return map[string]map[string]any{"mysql.server": {"server": srv}}, nil
}

// statementLogging lists what records the statements run on the server:
// the general query log, MariaDB's server_audit plugin logging queries
// (no event list means every event), or the audit_log plugin (MySQL
// Enterprise, Percona) with a policy that includes queries, in its legacy
// mode only (audit_log_rule_based, set by Collect, is "yes" or "unknown"
// otherwise). A variable that is absent means its plugin is not loaded.
func statementLogging(vars map[string]string) []any {
	on := []any{}
	// The general log writes only where log_output sends it (NONE: nowhere).
	out := strings.ToUpper(vars["log_output"])
	if strings.EqualFold(vars["general_log"], "ON") && (strings.Contains(out, "FILE") || strings.Contains(out, "TABLE")) && !strings.Contains(out, "NONE") {
		on = append(on, "general query log ("+out+")")
	}
	if strings.EqualFold(vars["server_audit_logging"], "ON") {
		events := strings.ToUpper(strings.ReplaceAll(vars["server_audit_events"], " ", ""))
		queries := events == ""
		for _, e := range strings.Split(events, ",") {
			queries = queries || strings.HasPrefix(e, "QUERY")
		}
		if queries {
			if events == "" {
				events = "all events"
			}
			on = append(on, "server_audit ("+events+")")
		}
	}
	// audit_log_policy governs the legacy mode (Percona's plugin, or MySQL
	// Enterprise without filtering functions) only.
	ruleBased := vars["audit_log_rule_based"] != "" // "yes", or "unknown": never taken on the policy alone
	if p := strings.ToUpper(vars["audit_log_policy"]); !ruleBased && (p == "ALL" || p == "QUERIES") {
		on = append(on, "audit_log (policy "+p+")")
	}
	return on
}
