// Package ldaptest runs Debian's slapd on 127.0.0.1 for tests, with a
// throwaway configuration and an empty directory under dc=acme,dc=test.
// Options load the overlays an OpenLDAP deployment uses for account
// policy: ppolicy (password policy, lockout) and lastbind (authTimestamp),
// both modules of Debian's slapd 2.5 in /usr/lib/ldap.
package ldaptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	// With StartTLSServer: LDAPSURL is its ldaps:// listener, CAFile the
	// PEM of the CA that signed its certificate (for 127.0.0.1 only).
	LDAPSURL string
	CAFile   string
	dir      string
	cmd      *exec.Cmd
}

// Options choose what the server runs beside the plain mdb database.
type Options struct {
	// TLS: a certificate from a CA made for the test, and an ldaps://
	// listener beside ldap:// (StartTLS).
	TLS bool
	// PPolicy loads the ppolicy overlay (slapo-ppolicy(5)); its schema
	// (pwdPolicy, pwdPolicySubentry, pwdAccountLockedTime...) is built
	// into the 2.5 module. PPolicyDefault is its ppolicy_default, the
	// policy of entries without pwdPolicySubentry ("" = none).
	PPolicy        bool
	PPolicyDefault string
	// LastBind loads the lastbind overlay (slapo-lastbind(5)), which
	// writes authTimestamp on each successful bind, at most once per
	// LastBindPrecision seconds (0: every bind).
	LastBind          bool
	LastBindPrecision int
	// LastSuccess sets "lastbind on" on the database (slapd.conf(5), 2.5):
	// slapd itself keeps pwdLastSuccess, without the overlay.
	LastSuccess bool
	// ConfigReadable opens cn=config (the configuration as entries) to
	// Admin for reading, as a deployment may grant its audit account.
	ConfigReadable bool
	// Access lines (slapd.access(5)) placed before the final
	// "access to * by * read", e.g. to hide an attribute from a reader.
	Access []string
	// LDIF is loaded with slapadd before slapd starts. Unlike an LDAP
	// add, slapadd keeps operational attributes as given (createTimestamp,
	// authTimestamp, pwdChangedTime, pwdAccountLockedTime), so a test can
	// plant accounts created or last used long ago.
	LDIF string
}

// Start starts slapd; it fails with a clear message when slapd is not
// installed (make test installs slapd and ldap-utils).
func Start() (*Server, error) { return StartWith(Options{}) }

// StartTLSServer starts slapd with a certificate from a CA made for the
// test: ldap:// (with StartTLS) and ldaps:// listeners.
func StartTLSServer() (*Server, error) { return StartWith(Options{TLS: true}) }

// StartWith starts slapd with the options.
func StartWith(o Options) (*Server, error) {
	withTLS := o.TLS
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
	freeAddr := func() (string, error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		defer ln.Close()
		return ln.Addr().String(), nil
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
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
	var modules, db string
	if o.PPolicy {
		modules += "moduleload ppolicy\n"
		db += "overlay ppolicy\n"
		if o.PPolicyDefault != "" {
			db += fmt.Sprintf("ppolicy_default %q\n", o.PPolicyDefault)
		}
	}
	if o.LastBind {
		modules += "moduleload lastbind\n"
		db += "overlay lastbind\n"
		if o.LastBindPrecision > 0 {
			db += fmt.Sprintf("lastbind-precision %d\n", o.LastBindPrecision)
		}
	}
	if o.LastSuccess {
		db += "lastbind on\n"
	}
	for _, a := range o.Access {
		db += a + "\n"
	}
	if len(o.Access) > 0 {
		db += "access to * by * read\n"
	}
	// Modules load before the first database; overlays and access lines
	// belong to the mdb database, which the configuration ends with.
	conf = strings.Replace(conf, "moduleload back_mdb\n", "moduleload back_mdb\n"+modules, 1) + db
	if o.ConfigReadable {
		conf = strings.Replace(conf, "database mdb\n", fmt.Sprintf("database config\naccess to * by dn.exact=%q read by * none\n\ndatabase mdb\n", Admin), 1)
	}
	s := &Server{URL: "ldap://" + addr, dir: dir}
	listen := s.URL + "/"
	if withTLS {
		if err := s.makeCerts(); err != nil {
			return nil, err
		}
		conf = fmt.Sprintf("TLSCACertificateFile %[1]s/ca.pem\nTLSCertificateFile %[1]s/server.pem\nTLSCertificateKeyFile %[1]s/server.key\n", dir) + conf
		a2, err := freeAddr()
		if err != nil {
			return nil, err
		}
		s.LDAPSURL = "ldaps://" + a2
		listen += " " + s.LDAPSURL + "/"
	}
	cf := filepath.Join(dir, "slapd.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	if o.LDIF != "" {
		lf := filepath.Join(dir, "seed.ldif")
		if err := os.WriteFile(lf, []byte(o.LDIF), 0o600); err != nil {
			return nil, err
		}
		if out, err := exec.Command(filepath.Join(filepath.Dir(bin), "slapadd"), "-q", "-f", cf, "-l", lf).CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("slapadd: %v: %s", err, out)
		}
	}
	s.cmd = exec.Command(bin, "-f", cf, "-h", listen, "-d", "0")
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

// makeCerts writes a CA and a server certificate for 127.0.0.1 (and no
// name: a test can dial "localhost" to see name checking refuse it).
func (s *Server) makeCerts() error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vigil test LDAP CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	caCert, _ := x509.ParseCertificate(caDER)
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	s.CAFile = filepath.Join(s.dir, "ca.pem")
	for name, b := range map[string]*pem.Block{"ca.pem": {Type: "CERTIFICATE", Bytes: caDER}, "server.pem": {Type: "CERTIFICATE", Bytes: der},
		"server.key": {Type: "PRIVATE KEY", Bytes: kb}} {
		if err := os.WriteFile(filepath.Join(s.dir, name), pem.EncodeToMemory(b), 0o600); err != nil {
			return err
		}
	}
	return nil
}
