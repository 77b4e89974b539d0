// Package postgres is the postgres integration kind: TLS, password
// hashing, connection logging, superusers, the public schema and trust
// rules of a PostgreSQL server.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// Postgres tests a PostgreSQL server's settings that matter for SOC 2:
// TLS, password hashing, connection logging, superusers, the public
// schema, and trust rules in pg_hba.conf. The password is the secret.
type Postgres struct{}

type pgConfig struct {
	Host     string `json:"host"` // a host name, or a socket directory
	Port     int    `json:"port"`
	Database string `json:"database"`
	User     string `json:"user"`
	SSLMode  string `json:"sslmode"` // disable, require, verify-ca, verify-full (default verify-full)
}

// Name is the kind's name.
func (Postgres) Name() string { return "postgres" }

func parsePG(raw json.RawMessage) (*pgConfig, error) {
	var c pgConfig
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, vigil.FieldError("config", "postgres settings: %v (fields: host, port, database, user, sslmode)", err)
	}
	if c.Port == 0 {
		c.Port = 5432
	}
	if c.Database == "" {
		c.Database = "postgres"
	}
	if c.SSLMode == "" {
		c.SSLMode = "verify-full"
	}
	return &c, nil
}

// Validate checks the settings.
func (Postgres) Validate(raw json.RawMessage, _ string) error {
	c, err := parsePG(raw)
	if err != nil {
		return err
	}
	switch {
	case c.Host == "" || strings.ContainsAny(c.Host, " '\\"):
		return vigil.FieldError("config.host", "host is required (a host name or a socket directory)")
	case c.User == "" || strings.ContainsAny(c.User, " '\\"):
		return vigil.FieldError("config.user", "user is required: a role that can read the settings (pg_read_all_settings, and pg_hba_file_rules for the trust check)")
	case c.Port < 1 || c.Port > 65535:
		return vigil.FieldError("config.port", "port must be 1 to 65535")
	}
	switch c.SSLMode {
	case "disable", "require", "verify-ca", "verify-full":
	default:
		return vigil.FieldError("config.sslmode", "sslmode must be disable, require, verify-ca or verify-full")
	}
	return nil
}

func (Postgres) connect(ctx context.Context, r *kind.Run) (*pgx.Conn, *pgConfig, error) {
	c, err := parsePG(r.Config)
	if err != nil {
		return nil, nil, err
	}
	// A URL built by net/url escapes every part: no setting can smuggle
	// another connection parameter in.
	q := url.Values{"sslmode": {c.SSLMode}, "connect_timeout": {"10"}, "host": {c.Host}, "port": {fmt.Sprint(c.Port)}}
	u := url.URL{Scheme: "postgres", User: url.User(c.User), Path: "/" + c.Database, RawQuery: q.Encode()}
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, nil, err
	}
	cfg.Password = r.Secret // never in a connection string that could be logged
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			return nil, nil, fmt.Errorf("PostgreSQL refused: %s (%s)", pe.Message, pe.Code)
		}
		return nil, nil, fmt.Errorf("cannot connect to %s:%d: %v", c.Host, c.Port, err)
	}
	return conn, c, nil
}

// Test connects and reads one setting.
func (p Postgres) Test(ctx context.Context, r *kind.Run) error {
	conn, _, err := p.connect(ctx, r)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var v string
	return conn.QueryRow(ctx, "SHOW server_version").Scan(&v)
}

// Collect reads the settings; what the role may not read is an error on
// that part, naming the missing permission.
func (p Postgres) Collect(ctx context.Context, r *kind.Run) (map[string]map[string]any, error) {
	conn, c, err := p.connect(ctx, r)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	srv := map[string]any{"id": fmt.Sprintf("%s:%d/%s", c.Host, c.Port, c.Database)}
	for _, name := range []string{"server_version", "ssl", "password_encryption", "log_connections", "log_disconnections", "log_statement"} {
		var v string
		if err := conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v); err != nil {
			return nil, fmt.Errorf("reading %s: %v", name, err)
		}
		srv[name] = v
	}
	supers := []any{}
	rows, err := conn.Query(ctx, "SELECT rolname FROM pg_roles WHERE rolsuper ORDER BY rolname")
	if err != nil {
		return nil, fmt.Errorf("listing superusers: %v", err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		supers = append(supers, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing superusers: %v", err)
	}
	srv["superusers"] = supers
	var publicCreate bool
	if err := conn.QueryRow(ctx, `SELECT COALESCE(bool_or(has_schema_privilege('public', n.oid, 'CREATE')), false)
		FROM pg_namespace n WHERE n.nspname = 'public'`).Scan(&publicCreate); err != nil {
		return nil, fmt.Errorf("reading the public schema's privileges: %v", err)
	}
	srv["public_create"] = publicCreate
	// pg_hba_file_rules needs superuser or an explicit grant.
	var trust []any
	hrows, err := conn.Query(ctx, "SELECT line_number, type, array_to_string(database, ','), array_to_string(user_name, ','), COALESCE(address, ''), auth_method FROM pg_hba_file_rules WHERE error IS NULL ORDER BY line_number")
	if err != nil {
		srv["hba_error"] = "pg_hba_file_rules cannot be read by " + c.User + " (grant SELECT on pg_hba_file_rules, or use a role that has it): " + err.Error()
	} else {
		for hrows.Next() {
			var line int
			var typ, db, usr, addr, method string
			if err := hrows.Scan(&line, &typ, &db, &usr, &addr, &method); err != nil {
				hrows.Close()
				return nil, err
			}
			if method == "trust" {
				trust = append(trust, fmt.Sprintf("line %d: %s %s %s %s trust", line, typ, db, usr, addr))
			}
		}
		hrows.Close()
		if err := hrows.Err(); err != nil {
			srv["hba_error"] = "pg_hba_file_rules cannot be read by " + c.User + ": " + err.Error()
		}
	}
	srv["hba_trust"] = kind.NonNil(trust)
	return map[string]map[string]any{"postgres.server": {"server": srv}}, nil
}
