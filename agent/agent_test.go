package agent_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/agent"
	"github.com/vigil-soc/vigil/catalog"
	"github.com/vigil-soc/vigil/checks"
	"github.com/vigil-soc/vigil/monitor"
	"github.com/vigil-soc/vigil/server"
	"github.com/vigil-soc/vigil/store"
)

// world is a real server on SQLite behind TLS, with a switch to make it
// unreachable.
type world struct {
	st   *store.Store
	mon  *monitor.Service
	ts   *httptest.Server
	down atomic.Bool
	fp   string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := checks.Load()
	if err != nil {
		t.Fatal(err)
	}
	w := &world{st: st, mon: &monitor.Service{Store: st, Checks: reg}}
	srv := server.New(server.Config{Store: st, Catalog: cat, Version: "test", Monitor: w.mon})
	w.ts = httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if w.down.Load() {
			// A proxy in front of a server that is down.
			http.Error(rw, "bad gateway", http.StatusBadGateway)
			return
		}
		srv.ServeHTTP(rw, r)
	}))
	sum := sha256.Sum256(w.ts.Certificate().Raw)
	w.fp = hex.EncodeToString(sum[:])
	t.Cleanup(func() { w.ts.Close(); st.Close() })
	return w
}

func (w *world) token(t *testing.T) string {
	t.Helper()
	e, err := w.mon.CreateEnrolment(vigil.WithActor(context.Background(), vigil.Actor{Name: "test"}), "web-1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return e.Token
}

// root is a small host under a directory: sshd allows root.
func root(t *testing.T, permitRoot string) string {
	t.Helper()
	dir := t.TempDir()
	for p, body := range map[string]string{
		"etc/os-release":      "ID=debian\nVERSION_ID=12\nPRETTY_NAME=\"Debian GNU/Linux 12\"\n",
		"etc/hostname":        "web-1\n",
		"etc/passwd":          "root:x:0:0:root:/root:/bin/bash\n",
		"etc/group":           "root:x:0:\n",
		"etc/ssh/sshd_config": "PermitRootLogin " + permitRoot + "\n",
	} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func setRoot(t *testing.T, dir, permitRoot string) {
	if err := os.WriteFile(filepath.Join(dir, "etc/ssh/sshd_config"), []byte("PermitRootLogin "+permitRoot+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func verdict(t *testing.T, w *world, agentID int64, check string) string {
	t.Helper()
	rs, err := w.st.CurrentResults(context.Background(), agentID, check)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("%d results for %s", len(rs), check)
	}
	return rs[0].Verdict
}

func TestEnrolReportSpoolResync(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	dir := t.TempDir()
	hostRoot := root(t, "yes")
	info := vigil.HostInfo{Hostname: "web-1", OS: "Debian", Interval: 900}

	// A wrong pin is refused before anything is sent.
	if _, err := agent.Enrol(ctx, t.TempDir(), w.ts.URL, w.token(t), hex.EncodeToString(make([]byte, 32)), "", info); err == nil {
		t.Fatal("enrolled against a certificate that does not match the pin")
	}
	tok := w.token(t)
	st, err := agent.Enrol(ctx, dir, w.ts.URL, tok, w.fp, "", info)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "state.json")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode %v: it holds the credential", fi.Mode().Perm())
	}
	// The token was spent.
	if _, err := agent.Enrol(ctx, t.TempDir(), w.ts.URL, tok, w.fp, "", info); err == nil {
		t.Fatal("an enrolment token worked twice")
	}

	a := &agent.Agent{Dir: dir, Root: hostRoot, Interval: 15 * time.Minute, Checks: w.mon.Checks, Version: "test"}
	if err := a.Open(); err != nil {
		t.Fatal(err)
	}
	scanDeliver := func() int {
		t.Helper()
		if _, err := a.ScanOnce(ctx); err != nil {
			t.Fatal(err)
		}
		n, err := a.Deliver(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := scanDeliver(); n != 1 {
		t.Fatalf("delivered %d", n)
	}
	if v := verdict(t, w, st.AgentID, "linux.sshd.permit-root-login"); v != "fail" {
		t.Fatalf("permit-root-login: %s", v)
	}
	runs, _ := w.st.Runs(ctx, st.AgentID, 10)
	full := runs[0].Changes
	// Unchanged host: the next report carries no changes.
	scanDeliver()
	runs, _ = w.st.Runs(ctx, st.AgentID, 10)
	if runs[0].Changes != 0 || full < 100 {
		t.Fatalf("first report %d changes, unchanged second %d", full, runs[0].Changes)
	}

	// The server goes down: reports wait in the spool, in order.
	w.down.Store(true)
	setRoot(t, hostRoot, "no")
	if _, err := a.ScanOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Deliver(ctx); err == nil {
		t.Fatal("delivery to a down server did not fail")
	}
	setRoot(t, hostRoot, "yes")
	if _, err := a.ScanOnce(ctx); err != nil {
		t.Fatal(err)
	}
	w.down.Store(false)
	if n, err := a.Deliver(ctx); err != nil || n != 2 {
		t.Fatalf("after the outage delivered %d: %v", n, err)
	}
	// Both changes are in the history: fail -> pass -> fail.
	ts, _ := w.st.Transitions(ctx, st.AgentID, "linux.sshd.permit-root-login", time.Now().Add(time.Hour))
	var seq []string
	for _, x := range ts {
		seq = append(seq, x.Verdict)
	}
	if len(seq) != 3 || seq[0] != "fail" || seq[1] != "pass" || seq[2] != "fail" {
		t.Fatalf("transitions %v, want fail pass fail", seq)
	}

	// The spool is lost (a reinstalled disk) while the server has more:
	// the agent resyncs and reports in full under the expected number.
	setRoot(t, hostRoot, "no")
	if _, err := a.ScanOnce(ctx); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, "spool"))
	os.MkdirAll(filepath.Join(dir, "spool"), 0o700)
	if _, err := a.ScanOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	scanDeliver()
	if v := verdict(t, w, st.AgentID, "linux.sshd.permit-root-login"); v != "pass" {
		t.Fatalf("after resync permit-root-login: %s", v)
	}

	// Revoked: the agent is told so and stops.
	if err := w.st.RevokeAgent(vigil.WithActor(ctx, vigil.Actor{Name: "test"}), st.AgentID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ScanOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Deliver(ctx); !errors.Is(err, agent.ErrRevoked) {
		t.Fatalf("revoked agent delivered: %v", err)
	}
}

func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	if _, err := agent.HTTPClient("http://vigil.example.com", "", ""); err == nil {
		t.Fatal("plain HTTP to a remote server was allowed")
	}
	if _, err := agent.HTTPClient("http://127.0.0.1:8080", "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.HTTPClient("https://vigil.example.com", "abc", ""); err == nil {
		t.Fatal("a short fingerprint was accepted")
	}
}

// TestAgentDrift: the first scan records a baseline; a later change to a
// watched file and to sshd's settings is reported as drift, first seen at
// the scan that found it; rebaselining accepts it.
func TestAgentDrift(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	dir := t.TempDir()
	hostRoot := root(t, "no")
	st, err := agent.Enrol(ctx, dir, w.ts.URL, w.token(t), w.fp, "", vigil.HostInfo{Hostname: "web-1", Interval: 900})
	if err != nil {
		t.Fatal(err)
	}
	a := &agent.Agent{Dir: dir, Root: hostRoot, Interval: 15 * time.Minute, Checks: w.mon.Checks, Version: "test",
		Drift: true, FIMPaths: []string{"/etc"}, FullEvery: 24 * time.Hour}
	if err := a.Open(); err != nil {
		t.Fatal(err)
	}
	step := func() {
		t.Helper()
		if _, err := a.ScanOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Deliver(ctx); err != nil {
			t.Fatal(err)
		}
	}
	step()
	if _, err := os.Stat(filepath.Join(dir, "baseline.vgl")); err != nil {
		t.Fatal("no baseline recorded at the first scan")
	}
	if v := verdict(t, w, st.AgentID, "linux.drift.files"); v != "not_applicable" {
		t.Fatalf("drift.files at the scan that records the baseline: %s", v)
	}
	step()
	if v := verdict(t, w, st.AgentID, "linux.drift.files"); v != "pass" {
		t.Fatalf("drift.files with nothing changed: %s", v)
	}
	setRoot(t, hostRoot, "yes")
	step()
	rs, _ := w.st.CurrentResults(ctx, st.AgentID, "linux.drift.files")
	if len(rs) != 1 || rs[0].Resource != "files:/etc/ssh/sshd_config" || rs[0].Verdict != "fail" || !strings.Contains(rs[0].Reason, "sha256=") {
		t.Fatalf("file drift: %+v", rs)
	}
	rs, _ = w.st.CurrentResults(ctx, st.AgentID, "linux.drift.config")
	if len(rs) != 1 || rs[0].Resource != "sshd:permitrootlogin" || !strings.Contains(rs[0].Reason, "from no to yes") {
		t.Fatalf("config drift: %+v", rs)
	}
	if err := agent.Rebaseline(dir); err != nil {
		t.Fatal(err)
	}
	step()
	step()
	if v := verdict(t, w, st.AgentID, "linux.drift.files"); v != "pass" {
		t.Fatalf("after rebaselining: %s", v)
	}
	// A damaged baseline is an error, never "no drift".
	os.WriteFile(filepath.Join(dir, "baseline.vgl"), []byte("garbage"), 0o600)
	step()
	if v := verdict(t, w, st.AgentID, "linux.drift.files"); v != "error" {
		t.Fatalf("with a damaged baseline: %s", v)
	}
}

// TestPinRefusesAMITM: an attacker who sends its own leaf followed by the
// pinned (public) certificate is refused: the leaf must chain to the pin.
func TestPinRefusesAMITM(t *testing.T) {
	w := newWorld(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "attacker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Bool
	mitm := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Authorization") != "")
	}))
	mitm.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der, w.ts.Certificate().Raw}, PrivateKey: key}}}
	mitm.StartTLS()
	defer mitm.Close()
	c, err := agent.HTTPClient(mitm.URL, w.fp, "")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", mitm.URL+"/api/v1/agent/state", nil)
	req.Header.Set("Authorization", "Bearer vga_secret")
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the agent talked to a server whose leaf does not chain to the pinned certificate")
	}
	if got.Load() {
		t.Fatal("the credential reached the attacker")
	}
}
