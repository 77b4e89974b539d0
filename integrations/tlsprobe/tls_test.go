package tlsprobe

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/integrationtest"
)

var ctx = integrationtest.Ctx

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t *testing.T) *testCA {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Acme Test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testCA{c, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// leaf issues a certificate for 127.0.0.1; rsaKey makes an RSA key (for
// the RSA key-exchange suites a weak server offers).
func (ca *testCA) leaf(t *testing.T, notBefore, notAfter time.Time, rsaKey bool) tls.Certificate {
	var pub, priv any
	if rsaKey {
		k, _ := rsa.GenerateKey(rand.Reader, 2048)
		pub, priv = &k.PublicKey, k
	} else {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		pub, priv = &k.PublicKey, k
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv}
}

func tlsServer(t *testing.T, cfg *tls.Config, h http.HandlerFunc) *httptest.Server {
	s := httptest.NewUnstartedServer(h)
	s.TLS = cfg
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // refused probes are the point
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// TestTLSIntegration: a good endpoint, an expired one, a legacy one that
// takes TLS 1.0 and 3DES, and one that does not answer; each check finds
// exactly its problem.
func TestTLSIntegration(t *testing.T) {
	s := integrationtest.NewService(t)
	s.Kinds = append(s.Kinds, TLS{})
	ca := newCA(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, ca.pem, 0o644)
	now := time.Now()
	good := tlsServer(t, &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, now.Add(-time.Hour), now.Add(90*24*time.Hour), false)}, MinVersion: tls.VersionTLS12},
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		})
	expired := tlsServer(t, &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour), false)}}, func(http.ResponseWriter, *http.Request) {})
	legacy := tlsServer(t, &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, now.Add(-time.Hour), now.Add(10*24*time.Hour), true)},
		MinVersion: tls.VersionTLS10, CipherSuites: []uint16{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}},
		func(http.ResponseWriter, *http.Request) {})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	down := ln.Addr().String()
	ln.Close()

	addr := func(s *httptest.Server) string { return strings.TrimPrefix(s.URL, "https://") }
	cfg, _ := json.Marshal(map[string]any{"endpoints": []string{good.URL + "/", addr(expired), addr(legacy), down}, "ca_file": caFile, "timeout_seconds": 3})
	x := &vigil.Integration{Kind: "tls", Name: "web", Config: cfg, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, x, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Test(ctx, x.ID); err == nil || !strings.Contains(err.Error(), down) {
		t.Fatalf("connection test with one endpoint down: %v", err)
	}
	if _, err := s.RunNow(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	rs, err := s.Store.CurrentResults(ctx, x.AgentID, "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rs {
		got[r.CheckID+" "+r.Resource] = r.Verdict
	}
	want := map[string]string{
		"tls.certificate-valid " + good.URL + "/":  "pass",
		"tls.certificate-valid " + addr(expired):   "fail",
		"tls.certificate-valid " + addr(legacy):    "pass",
		"tls.certificate-valid " + down:            "error",
		"tls.certificate-expiry " + good.URL + "/": "pass",
		"tls.certificate-expiry " + addr(expired):  "fail",
		"tls.certificate-expiry " + addr(legacy):   "fail", // ten days left
		"tls.protocol-modern " + good.URL + "/":    "pass",
		"tls.protocol-modern " + addr(expired):     "pass",
		"tls.no-weak-ciphers " + addr(expired):     "pass",
		"tls.hsts " + addr(expired):                "not_applicable",
		"tls.protocol-modern " + addr(legacy):      "fail",
		"tls.protocol-modern " + down:              "error",
		"tls.no-weak-ciphers " + good.URL + "/":    "pass",
		"tls.no-weak-ciphers " + addr(legacy):      "fail",
		"tls.hsts " + good.URL + "/":               "pass",
		"tls.hsts " + addr(legacy):                 "not_applicable",
		"tls.hsts " + down:                         "error",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %s", k, got[k], v)
		}
	}
	for k, v := range got {
		if v == "pass" && want[k] == "" {
			t.Errorf("%s passed without being expected to", k)
		}
	}
	for _, bad := range []string{`{"endpoints": []}`, `{"endpoints": ["nohost"]}`, `{"endpoints": ["http://plain.test/"]}`, `{"endpoints": ["a:99999"]}`, `{"endpoints": ["a:1"], "ca_file": "rel.pem"}`} {
		if err := s.Create(ctx, &vigil.Integration{Kind: "tls", Name: "bad", Config: json.RawMessage(bad), Interval: 3600}, ""); err == nil {
			t.Errorf("settings %s were accepted", bad)
		}
	}
}
