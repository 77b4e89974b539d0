package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/auth"
	"github.com/vigil-soc/vigil/monitor"
	"github.com/vigil-soc/vigil/secret"
	"github.com/vigil-soc/vigil/server"
	"github.com/vigil-soc/vigil/store"
)

// Admin commands work on the database directly, for the operator of the
// machine: they need the data directory or database URL, not a token. Their
// changes are logged as made by "admin-cli".
var adminActor = vigil.Actor{Name: "admin-cli", Role: vigil.RoleOwner}

func runAdmin(ctx context.Context, env *cliEnv, args []string) error {
	subs := map[string]func(context.Context, *cliEnv, []string) error{
		"create-user":      adminCreateUser,
		"create-token":     adminCreateToken,
		"reset-password":   adminResetPassword,
		"setup-token":      adminSetupToken,
		"verify-activity":  adminVerifyActivity,
		"rotate-key":       adminRotateKey,
		"create-enrolment": adminCreateEnrolment,
	}
	if len(args) == 0 || subs[args[0]] == nil {
		fmt.Fprintln(env.stderr, "Usage: vigil admin create-user | create-token | reset-password | setup-token | verify-activity | rotate-key | create-enrolment [flags]")
		return errUsage
	}
	return subs[args[0]](vigil.WithActor(ctx, adminActor), env, args[1:])
}

// openStore opens an installation's database for an admin command. The
// database must already exist: store.Open would create an empty SQLite file
// (and its data directory) for a mistyped --data-dir, which an admin command
// must never do, so a missing one is refused naming what is missing, and
// the file is first checked through a read-only connection to be a Vigil
// database at this binary's schema. store.Open never migrates; with the
// schema current, a command that only reads (verify --store,
// verify-activity) writes nothing.
func openStore(ctx context.Context, dataDir, dbURL string) (*store.Store, error) {
	if dbURL == "" {
		if err := checkSQLiteFile(ctx, dataDir); err != nil {
			return nil, err
		}
	}
	st, err := store.Open(ctx, store.Config{DataDir: dataDir, DatabaseURL: dbURL})
	if err != nil {
		return nil, err
	}
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	if v != store.LatestVersion() {
		st.Close()
		return nil, fmt.Errorf("database %s is at schema version %d, this vigil expects %d; run vigil migrate first", st.Where(), v, store.LatestVersion())
	}
	return st, nil
}

// sqliteFile is the database's name in the data directory (store.Open's).
const sqliteFile = "vigil.db"

// checkSQLiteFile refuses a data directory without a Vigil database, and a
// database at another schema version, without creating or changing
// anything: it opens the file read-only (mode=ro).
func checkSQLiteFile(ctx context.Context, dataDir string) error {
	if dataDir == "" {
		return fmt.Errorf("no data directory given (--data-dir or VIGIL_DATA_DIR)")
	}
	if st, err := os.Stat(dataDir); err != nil || !st.IsDir() {
		return fmt.Errorf("data directory %s does not exist: give the server's --data-dir (or VIGIL_DATA_DIR), or --database-url for PostgreSQL", dataDir)
	}
	path := filepath.Join(dataDir, sqliteFile)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no Vigil database in %s (%s does not exist): give the server's --data-dir (or VIGIL_DATA_DIR), or --database-url for PostgreSQL", dataDir, path)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return fmt.Errorf("cannot open SQLite database %s: %w", path, err)
	}
	defer db.Close()
	var tables int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").Scan(&tables); err != nil {
		return fmt.Errorf("SQLite database %s cannot be read (corrupt, or not a SQLite file?): %w", path, err)
	}
	v := 0
	if tables > 0 {
		if err := db.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v); err != nil {
			return fmt.Errorf("cannot read the schema version of %s: %w", path, err)
		}
	}
	if v != store.LatestVersion() {
		return fmt.Errorf("database %s is at schema version %d, this vigil expects %d; run vigil migrate first", path, v, store.LatestVersion())
	}
	return nil
}

// readPassword reads one line from standard input: passwords are never
// taken as flags, which would leave them in shell history and ps output.
func readPassword(env *cliEnv) (string, error) {
	line, err := bufio.NewReader(env.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("no password on standard input (pipe it in: printf '%%s\\n' \"$PASSWORD\" | vigil ...)")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func adminCreateUser(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "admin create-user", "admin create-user --email E --name N [--role R] [--password-stdin]")
	dataDir, dbURL := fs.dbFlags()
	email := fs.String("email", "", "email address")
	name := fs.String("name", "", "full name")
	role := fs.String("role", "admin", "role: owner, admin, member, auditor or viewer")
	pwStdin := fs.Bool("password-stdin", false, "read a password from standard input")
	if err := fs.parse(args); err != nil {
		return err
	}
	r, err := vigil.ParseRole("role", *role)
	if err != nil {
		return err
	}
	u := &vigil.User{Email: *email, Name: *name, Role: r}
	if err := u.Validate(); err != nil {
		return err
	}
	var hash string
	if *pwStdin {
		pw, err := readPassword(env)
		if err != nil {
			return err
		}
		if err := vigil.CheckPassword(pw); err != nil {
			return err
		}
		if hash, err = auth.HashPassword(pw, auth.DefaultParams); err != nil {
			return err
		}
	}
	st, err := openStore(ctx, *dataDir, *dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.CreateUser(ctx, u, hash); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "created user %d %s (%s)\n", u.ID, u.Email, u.Role)
	return nil
}

func adminCreateToken(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "admin create-token", "admin create-token --email E [--name N] [--role R] [--expires-in-days D]")
	dataDir, dbURL := fs.dbFlags()
	email := fs.String("email", "", "the user the token acts for")
	name := fs.String("name", "cli", "a name to tell the token apart")
	role := fs.String("role", "", "token role (default: the user's role; never more)")
	days := fs.Int("expires-in-days", 0, "expiry in days (0: never)")
	if err := fs.parse(args); err != nil {
		return err
	}
	st, err := openStore(ctx, *dataDir, *dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	u, _, err := st.UserCredentials(ctx, strings.ToLower(strings.TrimSpace(*email)))
	if err != nil {
		return err
	}
	r := u.Role
	if *role != "" {
		if r, err = vigil.ParseRole("role", *role); err != nil {
			return err
		}
		if !u.Role.Covers(r) {
			return vigil.FieldError("role", "%s has the %s role and cannot hold a %s token", u.Email, u.Role, r)
		}
	}
	secret, hash, err := auth.NewSecret(auth.TokenPrefix)
	if err != nil {
		return err
	}
	tk := &vigil.APIToken{UserID: u.ID, Name: *name, Role: r, Prefix: auth.DisplayPrefix(secret)}
	if *days > 0 {
		t := time.Now().UTC().AddDate(0, 0, *days)
		tk.ExpiresAt = &t
	}
	if err := st.CreateToken(ctx, tk, hash); err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "token %d for %s (%s); it is shown once:\n", tk.ID, u.Email, r)
	fmt.Fprintln(env.stdout, secret)
	return nil
}

func adminResetPassword(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "admin reset-password", "admin reset-password --email E [--base-url URL] [--password-stdin]")
	dataDir, dbURL := fs.dbFlags()
	email := fs.String("email", "", "whose password")
	baseURL := fs.str("base-url", "http://127.0.0.1:8080", "the server's public URL, for the link")
	direct := fs.Bool("password-stdin", false, "set the password read from standard input instead of printing a link")
	if err := fs.parse(args); err != nil {
		return err
	}
	st, err := openStore(ctx, *dataDir, *dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	u, _, err := st.UserCredentials(ctx, strings.ToLower(strings.TrimSpace(*email)))
	if err != nil {
		return err
	}
	if !*direct {
		link, err := server.NewResetLink(ctx, st, *baseURL, u.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stderr, "one-time password link for %s, valid for %s (give it to them by a channel you trust):\n", u.Email, server.ResetTTL)
		fmt.Fprintln(env.stdout, link)
		return nil
	}
	pw, err := readPassword(env)
	if err != nil {
		return err
	}
	if err := vigil.CheckPassword(pw); err != nil {
		return err
	}
	hash, err := auth.HashPassword(pw, auth.DefaultParams)
	if err != nil {
		return err
	}
	if err := st.SetPassword(ctx, u.ID, hash); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "password set for %s\n", u.Email)
	return nil
}

func adminSetupToken(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "admin setup-token", "admin setup-token")
	dataDir, dbURL := fs.dbFlags()
	if err := fs.parse(args); err != nil {
		return err
	}
	st, err := openStore(ctx, *dataDir, *dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	if n, err := st.CountUsers(ctx); err != nil {
		return err
	} else if n > 0 {
		return vigil.Errorf(vigil.ECONFLICT, "setup has already been completed")
	}
	secret, hash, err := auth.NewSecret(auth.SetupPrefix)
	if err != nil {
		return err
	}
	if err := st.CreateSetupToken(ctx, hash, time.Now().Add(setupTokenTTL)); err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "setup token, valid for %s (earlier ones no longer work):\n", setupTokenTTL)
	fmt.Fprintln(env.stdout, secret)
	return nil
}

func adminVerifyActivity(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "admin verify-activity", "admin verify-activity")
	dataDir, dbURL := fs.dbFlags()
	if err := fs.parse(args); err != nil {
		return err
	}
	st, err := openStore(ctx, *dataDir, *dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.VerifyActivity(ctx)
	if err != nil {
		return err
	}
	if !res.OK {
		return fmt.Errorf("activity log broken at entry %d: %s (%d entries verified before it)", res.Break.Seq, res.Break.Reason, res.Checked)
	}
	fmt.Fprintf(env.stdout, "activity log intact: %d entries, head %d\n", res.Checked, res.HeadSeq)
	return nil
}

// adminRotateKey puts a new master key in front of the keyring and reseals
// every blob data key and every stored secret under it. Blobs themselves are
// not rewritten: only their wrapped keys change.
func adminRotateKey(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "admin rotate-key", "admin rotate-key [--drop-old] (with vigil serve stopped)")
	dataDir, dbURL := fs.dbFlags()
	drop := fs.Bool("drop-old", false, "remove the old keys from the keyring once everything is resealed")
	if err := fs.parse(args); err != nil {
		return err
	}
	if env.getenv("VIGIL_SECRET_KEY") != "" {
		return fmt.Errorf("the keys come from VIGIL_SECRET_KEY: put a new key first in that list, restart, then run this command with the file-less keyring")
	}
	if *dbURL == "" {
		// Before the lock file, which would be made in any directory (and
		// the message would blame a running server for a missing one).
		if err := checkSQLiteFile(ctx, *dataDir); err != nil {
			return err
		}
		// A running server holds the old keyring in memory: it must not run.
		lock, err := lockDir(*dataDir)
		if err != nil {
			return fmt.Errorf("stop vigil serve first: %w", err)
		}
		defer lock.Close()
	}
	st, err := openStore(ctx, *dataDir, *dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	box, err := secret.Rotate(*dataDir)
	if err != nil {
		return err
	}
	blobs, err := st.RewrapBlobKeys(ctx, func(sha, wrapped string) (string, error) { return box.Reseal(wrapped, "blob:"+sha) })
	if err != nil {
		return fmt.Errorf("the new key is in place but blobs were not resealed (run again): %w", err)
	}
	secrets, err := st.ResealSecrets(ctx, box.Reseal)
	if err != nil {
		return fmt.Errorf("the new key is in place but secrets were not resealed (run again): %w", err)
	}
	if *drop {
		if err := secret.DropOld(*dataDir); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.stdout, "new master key %s: resealed %d blob key(s) and %d secret(s)%s\n", box.KeyID(), blobs, secrets,
		map[bool]string{true: "; old keys dropped", false: "; old keys kept (--drop-old removes them)"}[*drop])
	return nil
}

// adminCreateEnrolment prints a one-time agent enrolment token, for
// provisioning scripts that run beside the server.
func adminCreateEnrolment(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "admin create-enrolment", "admin create-enrolment [--name NAME] [--ttl 24h]")
	dataDir, dbURL := fs.dbFlags()
	name := fs.str("name", "", "the host's name in Vigil (default: its host name)")
	ttl := fs.str("ttl", "24h", "how long the token stays valid")
	if err := fs.parse(args); err != nil {
		return err
	}
	d, err := time.ParseDuration(*ttl)
	if err != nil {
		return fmt.Errorf("--ttl %q is not a duration (like 24h)", *ttl)
	}
	st, err := openStore(ctx, *dataDir, *dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	e, err := (&monitor.Service{Store: st}).CreateEnrolment(ctx, *name, d)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "agent enrolment token, valid until %s, for one host; give it to vigil agent enrol as VIGIL_ENROL_TOKEN:\n", e.Expires.Format(time.RFC3339))
	fmt.Fprintln(env.stdout, e.Token)
	return nil
}
