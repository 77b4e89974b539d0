// Package ldaptest runs Debian's slapd on 127.0.0.1 for tests, with a
// throwaway configuration and an empty directory under dc=acme,dc=test.
package ldaptest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Base is the directory's suffix; Admin and Password bind as its root.
const (
	Base     = "dc=acme,dc=test"
	Admin    = "cn=admin,dc=acme,dc=test"
	Password = "admin-secret"
)

// Server is a running slapd.
type Server struct {
	URL string
	dir string
	cmd *exec.Cmd
}

// Start starts slapd; it fails with a clear message when slapd is not
// installed (make test installs slapd and ldap-utils).
func Start() (*Server, error) {
	bin, err := exec.LookPath("slapd")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/slapd"); serr != nil {
			return nil, fmt.Errorf("slapd not found: install Debian's slapd and ldap-utils (make test does)")
		}
		bin = "/usr/sbin/slapd"
	}
	dir, err := os.MkdirTemp("", "vigil-ldap-")
	if err != nil {
		return nil, err
	}
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o700); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	conf := fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile %[1]s/slapd.pid
database mdb
maxsize 104857600
suffix "%[2]s"
rootdn "%[3]s"
rootpw %[4]s
directory %[1]s/data
index objectClass eq
`, dir, Base, Admin, Password)
	cf := filepath.Join(dir, "slapd.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	s := &Server{URL: "ldap://" + addr, dir: dir}
	s.cmd = exec.Command(bin, "-f", cf, "-h", s.URL+"/", "-d", "0")
	log, _ := os.Create(filepath.Join(dir, "slapd.log"))
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return s, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, _ := os.ReadFile(filepath.Join(dir, "slapd.log"))
	s.Stop()
	return nil, fmt.Errorf("slapd did not start: %s", out)
}

// Stop stops slapd and removes its files.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
	os.RemoveAll(s.dir)
}
