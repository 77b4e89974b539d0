// Package mysqltest runs Debian's MariaDB server for tests, on a socket in
// a temporary directory, with root reachable over the socket.
package mysqltest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"time"
)

// Server is a running mariadbd.
type Server struct {
	Socket string
	dir    string
	cmd    *exec.Cmd
}

// Start initialises a data directory and starts the server; it fails with
// a clear message when MariaDB is not installed (make test installs it).
func Start() (*Server, error) {
	bin := "/usr/sbin/mariadbd"
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("mariadbd not found: install Debian's mariadb-server (make test does)")
	}
	dir, err := os.MkdirTemp("", "vigil-mariadb-")
	if err != nil {
		return nil, err
	}
	s := &Server{Socket: filepath.Join(dir, "sock"), dir: dir}
	runAs := []string{}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("mysql")
		if err != nil {
			return nil, fmt.Errorf("running as root needs the mysql system user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		os.Chown(dir, uid, gid)
		runAs = []string{"--user=mysql"}
	}
	data := filepath.Join(dir, "data")
	install := exec.Command("/usr/bin/mariadb-install-db", append([]string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=socket", "--skip-test-db"}, runAs...)...)
	if out, err := install.CombinedOutput(); err != nil {
		s.Stop()
		return nil, fmt.Errorf("mariadb-install-db: %v: %s", err, out)
	}
	args := append([]string{"--no-defaults", "--datadir=" + data, "--socket=" + s.Socket, "--skip-networking", "--pid-file=" + filepath.Join(dir, "pid"),
		"--log-error=" + filepath.Join(dir, "error.log"), "--innodb-buffer-pool-size=16M"}, runAs...)
	s.cmd = exec.Command(bin, args...)
	if err := s.cmd.Start(); err != nil {
		s.Stop()
		return nil, err
	}
	// Ready when the socket accepts a connection: the file can exist a
	// moment before the server listens on it (a busy machine shows it).
	for i := 0; i < 600; i++ {
		if c, err := net.Dial("unix", s.Socket); err == nil {
			c.Close()
			return s, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
	s.Stop()
	return nil, fmt.Errorf("mariadbd did not start: %s", log)
}

// Stop stops the server and removes its files.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
	os.RemoveAll(s.dir)
}
