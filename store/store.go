// Package store keeps Vigil's state in SQLite (embedded, the default) or
// PostgreSQL, through database/sql and one small dialect layer. Every
// mutation runs in one transaction that also appends its activity-log entry,
// so a change and its record land together or not at all.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the pgx database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/vigil-soc/vigil"
)

// Config says which database to open.
type Config struct {
	// DataDir holds the SQLite file (vigil.db) when DatabaseURL is empty.
	DataDir string
	// DatabaseURL selects PostgreSQL: postgres://user:pass@host:port/db?...
	DatabaseURL string
}

// Store is the database. It is safe for concurrent use.
type Store struct {
	d     *dialect
	w     *sql.DB // writes; SQLite allows one writer, so one connection
	r     *sql.DB // reads; a pool (the same handle as w on PostgreSQL)
	where string  // the file or server, for messages; never holds a password

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // prepared reads
	wstmts map[string]*sql.Stmt // prepared writes, bound to each transaction

	ckpt *walCheckpointer // SQLite's background checkpoints; nil on PostgreSQL
}

// Open opens the database named by cfg and checks that it is usable. It does
// not migrate; call Migrate.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if u := cfg.DatabaseURL; u != "" {
		if !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
			return nil, fmt.Errorf("database URL must start with postgres:// (SQLite needs no URL; use --data-dir)")
		}
		return openPostgres(ctx, u)
	}
	return openSQLite(ctx, cfg.DataDir)
}

func openSQLite(ctx context.Context, dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("no data directory given")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create data directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, "vigil.db")
	// busy_timeout lets a writer wait for another instead of failing; WAL lets
	// readers run beside the writer; synchronous=FULL makes every commit
	// durable before it returns, power loss included: evidence acknowledged
	// to a client must survive anything.
	base := "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
	// The writer keeps statement journals in memory (temp_store): every
	// multi-row insert inside a transaction has one, and on disk each was a
	// temporary file written page by page, a third of an evidence batch's
	// writes. Its page cache is 32 MiB rather than 2: it is the one
	// connection whose cache survives commits (nobody else writes), and the
	// hash-keyed indexes (blobs, evidence by sha256) are touched at random.
	// Its own checkpoints are a backstop (see walCheckpointer).
	w, err := sql.Open("sqlite", base+"&_pragma=journal_mode(WAL)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32768)"+
		fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)", walBackstop)+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("cannot open SQLite database %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	s := &Store{d: sqliteDialect, w: w, where: path}
	if err := s.checkSQLite(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("cannot open SQLite database %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0)*2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.r = r
	ck, err := sql.Open("sqlite", base)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("cannot open SQLite database %s: %w", path, err)
	}
	s.ckpt = startCheckpointer(ck)
	return s, nil
}

// checkSQLite turns SQLite's failure modes at start-up into one clear line.
func (s *Store) checkSQLite(ctx context.Context) error {
	var res string
	err := s.w.QueryRowContext(ctx, "PRAGMA quick_check(1)").Scan(&res)
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return fmt.Errorf("SQLite database %s is corrupt or not a SQLite file; restore it from a backup", s.where)
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return fmt.Errorf("SQLite database %s is locked by another process", s.where)
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY:
			return fmt.Errorf("cannot open SQLite database %s: permission denied or not writable", s.where)
		}
	}
	if err != nil {
		return fmt.Errorf("cannot use SQLite database %s: %w", s.where, err)
	}
	if res != "ok" {
		return fmt.Errorf("SQLite database %s is corrupt (%s); restore it from a backup", s.where, res)
	}
	return nil
}

func openPostgres(ctx context.Context, url string) (*Store, error) {
	pc, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's message can quote the URL, password included: do not pass it on.
		return nil, errors.New("database URL is not a valid PostgreSQL URL")
	}
	where := fmt.Sprintf("PostgreSQL %s/%s", net.JoinHostPort(pc.Host, fmt.Sprint(pc.Port)), pc.Database)
	if strings.HasPrefix(pc.Host, "/") {
		where = fmt.Sprintf("PostgreSQL socket %s/%s", pc.Host, pc.Database)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", where, err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot reach %s: %s", where, pgReason(err))
	}
	return &Store{d: postgresDialect, w: db, r: db, where: where}, nil
}

// pgReason shortens a connection error to one line, its first cause, with
// no credentials. pgx joins the errors of its fallback attempts (with and
// without TLS) with newlines; the first says enough.
func pgReason(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	msg := err.Error()
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		if u := errors.Unwrap(ce); u != nil {
			msg = u.Error()
		}
	}
	msg, _, _ = strings.Cut(msg, "\n")
	return msg
}

// Engine returns "sqlite" or "postgres".
func (s *Store) Engine() string { return s.d.name }

// Where describes the database for messages (no credentials).
func (s *Store) Where() string { return s.where }

// Close closes the database.
func (s *Store) Close() error {
	var err error
	if s.ckpt != nil {
		err = s.ckpt.close()
	}
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	for _, st := range s.wstmts {
		st.Close()
	}
	s.stmts, s.wstmts = nil, nil
	s.stmtMu.Unlock()
	err = errors.Join(err, s.w.Close())
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return &vigil.Error{Code: vigil.EUNAVAILABLE, Message: "database unreachable", Err: err}
	}
	return nil
}

// query runs a read on the read pool, through a statement prepared once
// per query text: SQLite would otherwise parse every query every time.
func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := s.readStmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := s.readStmt(ctx, q)
	if err != nil {
		return s.r.QueryRowContext(ctx, s.d.rebind(q), args...) // carries the same error
	}
	return st.QueryRowContext(ctx, args...)
}

// maxPrepared bounds the statement cache; queries built with IN lists of
// varying length would otherwise fill it.
const maxPrepared = 256

func (s *Store) readStmt(ctx context.Context, q string) (*sql.Stmt, error) {
	return s.prepared(ctx, s.r, &s.stmts, q)
}

// writeStmt returns q prepared on the write handle, if it is, for a
// transaction to bind: Tx.StmtContext reuses the statement already prepared
// on the transaction's connection. A write transaction used to prepare its
// statements afresh, and parsing the multi-row inserts of an evidence batch
// cost SQLite more than a millisecond per batch (on PostgreSQL, a round
// trip to prepare and one to deallocate: there pgx's own statement cache
// serves, see dialect.driverPrepares).
func (s *Store) writeStmt(q string) *sql.Stmt {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	return s.wstmts[q]
}

// prepareWrites prepares, on the write handle, statements a transaction
// had to prepare for itself. It runs after the transaction ends: on SQLite
// the one write connection is busy until then, and preparing on the handle
// inside the transaction would wait for it forever. A failure only means
// the next transaction prepares the statement again.
func (s *Store) prepareWrites(ctx context.Context, qs []string) {
	for _, q := range qs {
		s.prepared(ctx, s.w, &s.wstmts, q)
	}
}

func (s *Store) prepared(ctx context.Context, db *sql.DB, cache *map[string]*sql.Stmt, q string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	st, ok := (*cache)[q]
	s.stmtMu.Unlock()
	if ok {
		return st, nil
	}
	// Prepared without the lock held: preparing waits for a connection,
	// and a write transaction may hold the last one while it waits for the
	// lock (writeStmt).
	st, err := db.PrepareContext(ctx, s.d.rebind(q))
	if err != nil {
		return nil, err
	}
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if have, ok := (*cache)[q]; ok {
		st.Close()
		return have, nil
	}
	// Closing a statement that a query or transaction is still using is
	// safe: database/sql finalises it when the last user lets go.
	if *cache == nil || len(*cache) >= maxPrepared {
		for _, old := range *cache {
			old.Close()
		}
		*cache = map[string]*sql.Stmt{}
	}
	(*cache)[q] = st
	return st, nil
}

// wtx is a write transaction. Its methods rebind queries for the engine
// and, on SQLite, run them through statements the store keeps prepared,
// since a batch runs the same few statements many times and the next batch
// runs them again (see dialect.driverPrepares).
type wtx struct {
	s       *Store
	tx      *sql.Tx
	fresh   []string // statements prepared for this transaction alone
	d       *dialect
	actor   vigil.Actor
	now     time.Time
	stmts   map[string]*sql.Stmt
	head    *activityHead    // the activity head once read in this transaction
	pending []vigil.Activity // entries to write at commit
}

type activityHead struct {
	seq  int64
	hash string
}

func (t *wtx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := t.stmts[q]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if ps := t.s.writeStmt(q); ps != nil {
		st = t.tx.StmtContext(ctx, ps)
	} else {
		var err error
		if st, err = t.tx.PrepareContext(ctx, t.d.rebind(q)); err != nil {
			return nil, err
		}
		t.fresh = append(t.fresh, q)
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[q] = st
	return st, nil
}

func (t *wtx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := checkText(args); err != nil {
		return nil, err
	}
	if t.d.driverPrepares {
		return t.tx.ExecContext(ctx, t.d.rebind(q), args...)
	}
	st, err := t.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// checkText refuses text with a NUL character: PostgreSQL cannot store it
// and SQLite would, so the engines would disagree. The server also refuses
// it at the edge with a clearer message; this is the last line.
func checkText(args []any) error {
	for _, a := range args {
		if s, ok := a.(string); ok && strings.IndexByte(s, 0) >= 0 {
			return vigil.Errorf(vigil.EINVALID, "text contains a NUL character, which Vigil does not store")
		}
	}
	return nil
}

func (t *wtx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if t.d.driverPrepares {
		return t.tx.QueryContext(ctx, t.d.rebind(q), args...)
	}
	st, err := t.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (t *wtx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if t.d.driverPrepares {
		return t.tx.QueryRowContext(ctx, t.d.rebind(q), args...)
	}
	st, err := t.stmt(ctx, q)
	if err != nil {
		return t.tx.QueryRowContext(ctx, t.d.rebind(q), args...) // reports the same error
	}
	return st.QueryRowContext(ctx, args...)
}

// write runs fn in one transaction with the context's actor, committing only
// if fn succeeds.
func (s *Store) write(ctx context.Context, fn func(*wtx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return internal("begin transaction", err)
	}
	t := &wtx{s: s, tx: tx, d: s.d, actor: vigil.ActorFrom(ctx), now: now()}
	if s.d.writeLock != "" {
		// Serialise writers as SQLite's single writer connection does (see
		// dialect.writeLock). The row locked is the activity head, which
		// log would otherwise read again, a round trip more.
		var h activityHead
		if err := tx.QueryRowContext(ctx, s.d.writeLock).Scan(&h.seq, &h.hash); err != nil {
			tx.Rollback()
			return internal("lock for write", err)
		}
		t.head = &h
	}
	err = t.run(ctx, fn)
	s.prepareWrites(ctx, t.fresh) // the transaction is over, committed or not
	return err
}

func (t *wtx) run(ctx context.Context, fn func(*wtx) error) error {
	if err := fn(t); err != nil {
		t.tx.Rollback()
		return err
	}
	if err := t.flushActivity(ctx); err != nil {
		t.tx.Rollback()
		return err
	}
	if err := t.tx.Commit(); err != nil {
		return internal("commit", err)
	}
	if t.s.ckpt != nil {
		t.s.ckpt.wrote()
	}
	return nil
}

// internal wraps an unexpected database error.
func internal(op string, err error) error {
	var ve *vigil.Error
	if errors.As(err, &ve) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &vigil.Error{Code: vigil.EUNAVAILABLE, Message: "request cancelled or timed out", Err: err}
	}
	return &vigil.Error{Code: vigil.EINTERNAL, Message: "store: " + op, Err: err}
}

// isUnique reports whether err is a unique-constraint violation.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isForeignKey reports whether err is a foreign-key violation.
func isForeignKey(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// snapshot begins a read transaction that sees one consistent state: SQLite's
// WAL readers always do; PostgreSQL needs REPEATABLE READ for it.
func (s *Store) snapshot(ctx context.Context) (*sql.Tx, error) {
	return s.r.BeginTx(ctx, s.d.snapshot)
}
