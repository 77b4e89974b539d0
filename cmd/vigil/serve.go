package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/auth"
	"github.com/vigil-soc/vigil/catalog"
	"github.com/vigil-soc/vigil/check"
	"github.com/vigil-soc/vigil/checks"
	"github.com/vigil-soc/vigil/evidence"
	"github.com/vigil-soc/vigil/incidents"
	"github.com/vigil-soc/vigil/integrations"
	"github.com/vigil-soc/vigil/integrations/builtin"
	"github.com/vigil-soc/vigil/ledger"
	"github.com/vigil-soc/vigil/monitor"
	"github.com/vigil-soc/vigil/notify"
	"github.com/vigil-soc/vigil/people"
	"github.com/vigil-soc/vigil/policy"
	"github.com/vigil-soc/vigil/risk"
	"github.com/vigil-soc/vigil/scheduler"
	"github.com/vigil-soc/vigil/secret"
	"github.com/vigil-soc/vigil/server"
	"github.com/vigil-soc/vigil/store"
	"github.com/vigil-soc/vigil/training"
	"github.com/vigil-soc/vigil/ui"
	"github.com/vigil-soc/vigil/vendors"
)

// setupTokenTTL is how long the printed setup link works.
const setupTokenTTL = time.Hour

// Main is a running Vigil server: everything serve wires together. Tests
// start one on port 0.
type Main struct {
	Addr            string
	DataDir         string
	DatabaseURL     string
	Logger          *slog.Logger
	Console         io.Writer // where the setup link is printed
	PasswordParams  auth.Params
	SecretKey       string // base64, VIGIL_SECRET_KEY; empty: the key file in DataDir
	BaseURL         string
	SecureCookies   bool
	TLSCert         string
	TLSKey          string
	SMTP            server.SMTPConfig
	TrustProxy      bool
	MetricsToken    string        // bearer token /metrics requires; empty: public
	LedgerKey       string        // VIGIL_LEDGER_KEY; empty: the key file in DataDir
	MaxUpload       int64         // bytes per evidence file; 0: the default
	CheckpointEvery time.Duration // 0: every 10 minutes
	RetentionDays   int           // 0: keep evidence bytes forever
	RunRetention    int           // days heartbeat runs are kept (0: forever)
	ChecksDirs      []string      // the organization's own checks, beside the built-in ones
	ScanLocal       time.Duration // scan the server's own host this often (0: never)
	// NotifyPrivateNetworks lets webhooks reach loopback, private and
	// link-local addresses (off: refused, so a channel cannot probe the
	// network Vigil runs in).
	NotifyPrivateNetworks bool
	S3                    ledger.S3Config // Bucket set: blobs go to S3 instead of DataDir/blobs
	Evidence              *evidence.Service
	Notify                *notify.Service
	stop                  context.CancelFunc

	Store  *store.Store
	Server *server.Server
	URL    string // base URL once listening
	lock   *os.File
	ln     net.Listener
	http   *http.Server
	done   chan error
}

// Open opens and migrates the database, loads the catalog, prints the setup
// link when no user exists yet, and starts listening.
func (m *Main) Open(ctx context.Context) (err error) {
	// Whatever was opened before a failure is closed with it, on every
	// error path alike.
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}
	// Loading the checks (CPU) overlaps opening and migrating the
	// database (mostly waiting on fsync); the buffered channel lets the
	// loader finish and be dropped when Open fails first.
	type loadedChecks struct {
		reg *check.Registry
		err error
	}
	checksLoaded := make(chan loadedChecks, 1)
	go func() {
		reg, err := checks.Load(m.ChecksDirs...)
		checksLoaded <- loadedChecks{reg, err}
	}()
	if m.DatabaseURL == "" {
		// One server per SQLite data directory: two would each think they
		// own the setup token, the schedules and the files.
		if err := os.MkdirAll(m.DataDir, 0o700); err != nil {
			return fmt.Errorf("cannot create data directory %s: %w", m.DataDir, err)
		}
		lock, err := lockDir(m.DataDir)
		if err != nil {
			return err
		}
		m.lock = lock
	}
	st, err := store.Open(ctx, store.Config{DataDir: m.DataDir, DatabaseURL: m.DatabaseURL})
	if err != nil {
		return err
	}
	m.Store = st
	if n, err := st.Migrate(ctx); err != nil {
		return err
	} else if n > 0 {
		m.Logger.Info("database migrated", "applied", n, "version", store.LatestVersion(), "database", st.Where())
	}
	cat, err := catalog.Load()
	if err != nil {
		return err
	}
	box, err := secret.Load(m.DataDir, m.SecretKey)
	if err != nil {
		return err
	}
	pages, err := ui.New()
	if err != nil {
		return err
	}
	ev, err := m.openEvidence(ctx, st, box)
	if err != nil {
		return err
	}
	m.Evidence = ev
	loaded := <-checksLoaded
	if loaded.err != nil {
		return loaded.err
	}
	reg := loaded.reg
	mon := &monitor.Service{Store: st, Checks: reg}
	integ := &integrations.Service{Store: st, Box: box, Monitor: mon, Checks: reg, Kinds: builtin.Kinds(), DataDir: m.DataDir, Evidence: ev}
	pol := &policy.Service{Store: st, Evidence: ev}
	trn := &training.Service{Store: st, Evidence: ev}
	inc := &incidents.Service{Store: st, Evidence: ev}
	ntf := &notify.Service{Store: st, Box: box, Log: m.Logger, AllowPrivate: m.NotifyPrivateNetworks}
	if m.SMTP.Enabled() {
		ntf.Mailer = m.SMTP
	}
	m.Notify = ntf
	ppl := &people.Service{Store: st, Training: trn, Evidence: ev}
	// Reminders link to the public address; without one (or without a
	// mail server) they are off, as password-reset mail is.
	if m.SMTP.Enabled() && m.BaseURL != "" {
		ppl.Mailer, ppl.BaseURL = m.SMTP, m.BaseURL
	}
	rsk := &risk.Service{Store: st, Evidence: ev}
	vnd := &vendors.Service{Store: st, Evidence: ev}
	fp, err := certFingerprint(m.TLSCert)
	if err != nil {
		return err
	}
	m.Server = server.New(server.Config{Store: st, Catalog: cat, Logger: m.Logger, Version: version, PasswordParams: m.PasswordParams,
		UI: pages, Secrets: box, BaseURL: m.BaseURL, SecureCookies: m.SecureCookies, SMTP: m.SMTP, TrustProxy: m.TrustProxy, MetricsToken: m.MetricsToken,
		Evidence: ev, Monitor: mon, Integrations: integ, Policies: pol, People: ppl, Training: trn, Incidents: inc, Notify: ntf, Risks: rsk, Vendors: vnd, TLSFingerprint: fp, Sources: []vigil.SignalSource{ev, mon, pol, ppl, trn, inc, rsk, vnd, &people.RoleChanges{Store: st}, people.HRSource{People: ppl}}})
	go func() {
		if err := ppl.Warm(context.WithoutCancel(ctx)); err != nil {
			m.Logger.Warn("cannot read acknowledgements ahead of the first request", "err", err)
		}
	}()
	ln, err := net.Listen("tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", m.Addr, err)
	}
	m.ln = ln
	m.URL = "http://" + ln.Addr().String()
	if m.TLSCert != "" {
		m.URL = "https://" + ln.Addr().String()
	}
	if m.BaseURL != "" {
		m.URL = strings.TrimRight(m.BaseURL, "/")
	}
	if err := m.printSetupLink(ctx); err != nil {
		return err
	}
	// Only header and idle timeouts here: the server sets each request's
	// deadlines itself, fixed for ordinary requests and moving with
	// progress for transfers (server.Timeouts), so that a slow upload or
	// download of gigabytes finishes and a stalled one is cut.
	hs := &http.Server{Handler: m.Server, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn)}
	m.http = hs
	m.done = make(chan error, 1)
	if m.TLSCert != "" {
		go func() { m.done <- hs.ServeTLS(ln, m.TLSCert, m.TLSKey) }()
	} else {
		go func() { m.done <- hs.Serve(ln) }()
		if host, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(host).IsLoopback() && !m.SecureCookies {
			m.Logger.Warn("serving plain HTTP on a non-loopback address: put Vigil behind TLS (--tls-cert, or a proxy with --secure-cookies)", "addr", ln.Addr().String())
		}
	}
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.stop = stop
	go m.housekeeping(bg, m.Store)
	// Scheduled server-side jobs: each integration on its interval, the
	// server's own host when asked; once across replicas.
	// Each finished day's manifest of collector inputs is sealed into the
	// evidence ledger.
	sched := &scheduler.Scheduler{Store: st, Holder: scheduler.Holder(), Log: m.Logger, Dynamic: integ.Jobs,
		Jobs: []scheduler.Job{mon.InputManifestJob(m.Evidence, manifestBackfill(m.RunRetention)), trn.Job(), inc.Job(), ppl.Job(), ppl.HRJob(), ppl.RemindJob()}}
	if m.ScanLocal > 0 {
		job, err := mon.LocalScanJob("/", m.ScanLocal, nil)
		if err != nil {
			return err
		}
		sched.Jobs = append(sched.Jobs, job)
	}
	go sched.Run(bg)
	go m.Notify.Run(bg)
	m.Logger.Info("vigil serving", "url", m.URL, "database", st.Engine(), "where", st.Where(), "version", version)
	return nil
}

// manifestBackfill is how far back the input manifests may still be
// sealed: a day less than heartbeat runs are kept (30 days when they are
// kept for ever).
func manifestBackfill(runRetention int) int {
	if runRetention <= 0 {
		return 30
	}
	return max(runRetention-1, 1)
}

// printSetupLink prints a fresh one-time setup link if nobody has set up
// this installation yet. Only its hash is stored.
func (m *Main) printSetupLink(ctx context.Context) error {
	n, err := m.Store.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	secret, hash, err := auth.NewSecret(auth.SetupPrefix)
	if err != nil {
		return err
	}
	exp := time.Now().Add(setupTokenTTL)
	if err := m.Store.CreateSetupToken(ctx, hash, exp); err != nil {
		return err
	}
	if m.Console != nil {
		fmt.Fprintf(m.Console, "\nVigil is not set up yet. Within %s, open\n\n    %s/setup?token=%s\n\nor run\n\n    vigil setup --server %s --token %s --org \"Your Company\" --email you@example.com --name \"Your Name\"\n\n(the token works once; restart vigil serve for a new one)\n\n",
			setupTokenTTL, m.URL, url.QueryEscape(secret), m.URL, secret)
	}
	return nil
}

// Wait blocks until the server stops or ctx is cancelled, then shuts down
// gracefully.
func (m *Main) Wait(ctx context.Context) error {
	select {
	case err := <-m.done:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	m.Logger.Info("shutting down")
	return m.Close()
}

// openEvidence sets up the evidence ledger: blobs in the data directory,
// the checkpoint key, and the service.
func (m *Main) openEvidence(ctx context.Context, st *store.Store, box *secret.Box) (*evidence.Service, error) {
	local, err := ledger.NewFSStore(filepath.Join(m.DataDir, "blobs"))
	if err != nil {
		return nil, err
	}
	if m.lock != nil {
		// This process alone owns the data directory: anything still being
		// staged was cut off by a crash and will never be committed.
		if err := local.ClearStaging(); err != nil {
			return nil, err
		}
	}
	var blobs ledger.BlobStore = local
	if m.S3.Bucket != "" {
		// Uploads are still staged on local disk, then sent to the bucket.
		if blobs, err = ledger.NewS3Store(ctx, m.S3); err != nil {
			return nil, err
		}
	}
	skey, vkey, origin, err := evidence.LoadKey(m.DataDir, m.LedgerKey)
	if err != nil {
		return nil, err
	}
	if err := st.RegisterLedgerKey(ctx, vkey, origin); err != nil {
		return nil, err
	}
	return &evidence.Service{Store: st, Blobs: blobs, Staging: local.TempDir(), Box: box, SigningKey: skey, VerifierKey: vkey,
		Origin: origin, MaxUpload: m.MaxUpload}, nil
}

// housekeeping signs checkpoints on a schedule, collects orphan blobs left
// by crashes, purges evidence past retention and deletes heartbeat runs
// past theirs.
// The store is passed in, not read from m: Close clears m.Store, possibly
// before this goroutine has even started.
func (m *Main) housekeeping(ctx context.Context, st *store.Store) {
	every := m.CheckpointEvery
	if every <= 0 {
		every = 10 * time.Minute
	}
	run := func() {
		actx := vigil.WithActor(ctx, vigil.Actor{Name: "scheduler", Role: vigil.RoleOwner})
		if _, err := m.Evidence.Checkpoint(actx); err != nil && ctx.Err() == nil {
			m.Logger.Error("cannot sign a checkpoint", "err", err)
		}
		if n, err := m.Evidence.CollectGarbage(actx, time.Hour); err != nil && ctx.Err() == nil {
			m.Logger.Error("cannot collect orphan blobs", "err", err)
		} else if n > 0 {
			m.Logger.Info("collected orphan blobs", "count", n)
		}
		if m.RetentionDays > 0 {
			before := vigil.Date(time.Now().UTC().AddDate(0, 0, -m.RetentionDays).Format(time.DateOnly))
			if n, err := m.Evidence.Purge(actx, before, ""); err != nil && ctx.Err() == nil {
				m.Logger.Error("cannot purge evidence past retention", "err", err)
			} else if n > 0 {
				m.Logger.Info("purged evidence past retention", "items", n)
			}
		}
		// Sign-in attempts older than the longest limit's window (15
		// minutes) count for nothing; keys used again forget their own as
		// they go, and this clears the keys a flood used once.
		if _, err := st.ExpireAttempts(ctx, time.Now().Add(-time.Hour)); err != nil && ctx.Err() == nil {
			m.Logger.Error("cannot expire sign-in attempts", "err", err)
		}
		if m.RunRetention > 0 {
			if n, err := st.CompactRuns(ctx, time.Now().AddDate(0, 0, -m.RunRetention)); err != nil && ctx.Err() == nil {
				m.Logger.Error("cannot delete heartbeat runs past retention", "err", err)
			} else if n > 0 {
				m.Logger.Info("deleted heartbeat runs past retention", "runs", n)
			}
		}
	}
	run()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			run()
		}
	}
}

// Close stops serving and closes the database.
func (m *Main) Close() error {
	var errs []error
	if m.stop != nil {
		m.stop()
		m.stop = nil
	}
	if m.http != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, m.http.Shutdown(sctx))
		cancel()
		m.http = nil
	} else if m.ln != nil {
		m.ln.Close()
	}
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
		m.Store = nil
	}
	if m.lock != nil {
		m.lock.Close()
		m.lock = nil
	}
	return errors.Join(errs...)
}

// lockDir takes an exclusive lock on the data directory, released when the
// process exits however it exits.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "vigil.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot open lock file in %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid, _ := io.ReadAll(f)
		f.Close()
		return nil, fmt.Errorf("data directory %s is in use by another vigil serve (pid %s)", dir, strings.TrimSpace(string(pid)))
	}
	f.Truncate(0)
	fmt.Fprintf(f, "%d\n", os.Getpid())
	return f, nil
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("unknown log level %q (want debug, info, warn or error)", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("unknown log format %q (want text or json)", format)
}

func runServe(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "serve", "serve [flags]")
	addr := fs.str("addr", "127.0.0.1:8080", "address to listen on")
	dataDir, dbURL := fs.dbFlags()
	logFormat := fs.str("log-format", "text", "log format: text or json")
	logLevel := fs.str("log-level", "info", "log level: debug, info, warn or error")
	baseURL := fs.str("base-url", "", "public URL of this server, for links in mail and the SSO redirect (default: from each request)")
	secureCookies := fs.str("secure-cookies", "", "true: always mark cookies Secure (behind a TLS proxy)")
	notifyPrivate := fs.str("notify-private-networks", "", "true: let notification webhooks reach loopback, private and link-local addresses (a relay inside your network)")
	tlsCert := fs.str("tls-cert", "", "TLS certificate file (PEM); serves HTTPS")
	tlsKey := fs.str("tls-key", "", "TLS key file (PEM)")
	smtpAddr := fs.str("smtp-addr", "", "SMTP server host:port for password-reset and reminder mail (empty: no mail)")
	smtpUser := fs.str("smtp-user", "", "SMTP user name")
	smtpFrom := fs.str("smtp-from", "vigil@localhost", "sender address of Vigil's mail")
	trustProxy := fs.str("trust-proxy", "", "true: take client addresses from X-Forwarded-For (only behind a reverse proxy)")
	metricsTokenFile := fs.str("metrics-token-file", "", "a file holding the bearer token /metrics requires (or set VIGIL_METRICS_TOKEN); without one /metrics is public")
	checkpointEvery := fs.str("checkpoint-interval", "10m", "how often to sign a checkpoint of the evidence log")
	s3Bucket := fs.str("s3-bucket", "", "keep evidence blobs in this S3 (or S3-compatible) bucket instead of the data directory")
	s3Prefix := fs.str("s3-prefix", "vigil/", "key prefix in the bucket")
	s3Region := fs.str("s3-region", "", "bucket region (default: from the AWS configuration)")
	s3Endpoint := fs.str("s3-endpoint", "", "endpoint of an S3-compatible store (MinIO, Ceph); empty for AWS")
	retention := fs.str("retention-days", "0", "purge evidence bytes this many days after their effective period (0: never); a tombstone stays in the log")
	runRetention := fs.str("run-retention-days", "30", "delete check runs that changed nothing (heartbeats) after this many days (0: never); coverage and every change are kept")
	checksDirs := fs.str("checks", "", "directories of your own checks (*.yaml), separated by commas")
	scanLocal := fs.str("scan-local", "", "scan the server's own host against the Linux baseline this often (e.g. 15m); it shows as a host")
	if err := fs.parse(args); err != nil {
		return err
	}
	every, err := time.ParseDuration(*checkpointEvery)
	if err != nil || every < time.Second {
		return fmt.Errorf("--checkpoint-interval %q is not a duration of a second or more (like 10m)", *checkpointEvery)
	}
	var scanEvery time.Duration
	if *scanLocal != "" {
		if scanEvery, err = time.ParseDuration(*scanLocal); err != nil || scanEvery < time.Minute {
			return fmt.Errorf("--scan-local %q is not a duration of a minute or more (like 15m)", *scanLocal)
		}
	}
	retDays, err := strconv.Atoi(*retention)
	if err != nil || retDays < 0 {
		return fmt.Errorf("--retention-days %q is not a whole number of days", *retention)
	}
	runDays, err := strconv.Atoi(*runRetention)
	if err != nil || runDays < 0 {
		return fmt.Errorf("--run-retention-days %q is not a whole number of days", *runRetention)
	}
	if *smtpAddr != "" && *baseURL == "" {
		// Reset links must not be built from the Host header a client sends.
		return fmt.Errorf("--smtp-addr needs --base-url (the URL people open Vigil at)")
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return fmt.Errorf("give both --tls-cert and --tls-key, or neither")
	}
	logger, err := newLogger(env.stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	// The metrics token, like every secret, never comes as a flag's value.
	metricsToken := env.getenv("VIGIL_METRICS_TOKEN")
	if *metricsTokenFile != "" {
		b, err := os.ReadFile(*metricsTokenFile)
		if err != nil {
			return fmt.Errorf("--metrics-token-file: %w", err)
		}
		if metricsToken = strings.TrimSpace(string(b)); len(metricsToken) < 16 {
			return fmt.Errorf("--metrics-token-file: the token must be at least 16 characters")
		}
	}
	// Secrets come only from the environment, never from flags, which
	// would show in ps output and shell history.
	m := &Main{Addr: *addr, DataDir: *dataDir, DatabaseURL: *dbURL, Logger: logger, Console: env.stderr,
		SecretKey: env.getenv("VIGIL_SECRET_KEY"), BaseURL: *baseURL, SecureCookies: *secureCookies == "true", NotifyPrivateNetworks: *notifyPrivate == "true",
		TLSCert: *tlsCert, TLSKey: *tlsKey, TrustProxy: *trustProxy == "true", MetricsToken: metricsToken,
		LedgerKey: env.getenv("VIGIL_LEDGER_KEY"), CheckpointEvery: every, RetentionDays: retDays, RunRetention: runDays, ChecksDirs: splitList(*checksDirs), ScanLocal: scanEvery,
		S3:   ledger.S3Config{Bucket: *s3Bucket, Prefix: *s3Prefix, Region: *s3Region, Endpoint: *s3Endpoint},
		SMTP: server.SMTPConfig{Addr: *smtpAddr, Username: *smtpUser, Password: env.getenv("VIGIL_SMTP_PASSWORD"), From: *smtpFrom}}
	if err := m.Open(ctx); err != nil {
		return err
	}
	return m.Wait(ctx)
}

func runMigrate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "migrate", "migrate [flags]")
	dataDir, dbURL := fs.dbFlags()
	if err := fs.parse(args); err != nil {
		return err
	}
	st, err := store.Open(ctx, store.Config{DataDir: *dataDir, DatabaseURL: *dbURL})
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%s: applied %d migration(s); schema version %d\n", st.Where(), n, store.LatestVersion())
	return nil
}

// certFingerprint is the SHA-256 of the first certificate in a PEM file:
// what agents pin at enrolment. Empty without TLS.
func certFingerprint(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return "", fmt.Errorf("%s does not start with a PEM certificate", path)
	}
	sum := sha256.Sum256(block.Bytes)
	return hex.EncodeToString(sum[:]), nil
}
