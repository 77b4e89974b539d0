// Package pgtest starts a throwaway PostgreSQL server from the system's
// binaries (initdb + pg_ctl, listening only on a unix socket in a temp dir)
// for tests and benchmarks. PostgreSQL refuses to run as root, so when the
// tests run as root the server runs as the postgres system user.
package pgtest

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver
)

// Server is a running PostgreSQL server.
type Server struct {
	dir     string
	sock    string
	bin     string
	cred    *syscall.Credential
	counter atomic.Int64
}

// BinDir finds the newest installed PostgreSQL server binaries.
func BinDir() (string, error) {
	if d := os.Getenv("VIGIL_PG_BIN"); d != "" {
		return d, nil
	}
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(m) == 0 {
		return "", fmt.Errorf("PostgreSQL server binaries not found under /usr/lib/postgresql (install the postgresql package; make test does this)")
	}
	sort.Slice(m, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(m[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(m[j]))))
		return vi < vj
	})
	return filepath.Dir(m[len(m)-1]), nil
}

// Start initialises and starts a server in a new temp dir. It does not
// sync: a crash loses it, and tests do not care.
func Start() (*Server, error) {
	return start("-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
}

// StartDurable starts a server with PostgreSQL's durable defaults (fsync,
// synchronous commit, full page writes), for benchmarks whose figures
// claim durability.
func StartDurable() (*Server, error) {
	return start("")
}

func start(durability string) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "vigil-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, sock: filepath.Join(dir, "sock"), bin: bin}
	if err := os.Mkdir(s.sock, 0o700); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs the postgres system user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		for _, p := range []string{dir, s.sock} {
			if err := os.Chown(p, uid, gid); err != nil {
				return nil, err
			}
		}
	}
	data := filepath.Join(dir, "data")
	if err := s.run("initdb", "-D", data, "-U", "vigil", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"); err != nil {
		s.Stop()
		return nil, err
	}
	opts := fmt.Sprintf("-k %s -c listen_addresses='' %s -c max_connections=200", s.sock, durability)
	if err := s.run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "server.log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		s.Stop()
		return nil, fmt.Errorf("%w\n%s", err, log)
	}
	return s, nil
}

func (s *Server) run(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, out.String())
	}
	return nil
}

// URL returns a connection URL for a database on the server.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://vigil@/%s?host=%s&sslmode=disable", db, s.sock)
}

// NewDatabase creates an empty database and returns its URL.
func (s *Server) NewDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("t%d_%d", os.Getpid(), s.counter.Add(1))
	db, err := sql.Open("pgx", s.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return s.URL(name), nil
}

// Stop stops the server and removes its files.
func (s *Server) Stop() {
	if _, err := os.Stat(filepath.Join(s.dir, "data", "postmaster.pid")); err == nil {
		_ = s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "-w", "stop")
	}
	os.RemoveAll(s.dir)
}

// The shared server: started on first use by Database, kept for the test
// binary, stopped by StopShared (from TestMain).
var (
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
)

// Database makes a new database on the test binary's shared server,
// starting it on first use, and returns its URL; it fails the test when
// PostgreSQL cannot start.
func Database(t testing.TB) string {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = Start() })
	if sharedErr != nil {
		t.Fatalf("start PostgreSQL: %v", sharedErr)
	}
	url, err := shared.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// StopShared stops the shared server if one was started.
func StopShared() {
	if shared != nil {
		shared.Stop()
	}
}
