// Package tlsprobe is the tls integration kind: certificate chain and
// expiry, protocol versions, weak cipher suites and HSTS of TLS
// endpoints.
package tlsprobe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// TLS tests the endpoints a company serves: certificate chain, days to
// expiry, protocol versions, weak cipher suites and HSTS.
type TLS struct{}

type tlsConfig struct {
	Endpoints []string `json:"endpoints"` // host:port, or https://host[:port]/path (HSTS is checked for URLs)
	CAFile    string   `json:"ca_file"`   // trust this CA too (a private PKI)
	TimeoutS  int      `json:"timeout_seconds"`
}

// Name is the kind's name.
func (TLS) Name() string { return "tls" }

func parseTLS(raw json.RawMessage) (*tlsConfig, error) {
	var c tlsConfig
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, vigil.FieldError("config", "tls settings: %v (fields: endpoints, ca_file, timeout_seconds)", err)
	}
	if c.TimeoutS == 0 {
		c.TimeoutS = 10
	}
	return &c, nil
}

// endpoint is a parsed endpoint: where to connect, the name to verify,
// and the URL for HSTS (empty for host:port).
type endpoint struct {
	raw, addr, host, url string
}

func parseEndpoint(s string) (endpoint, error) {
	e := endpoint{raw: s}
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return e, fmt.Errorf("%q is not an https:// URL", s)
		}
		e.url, e.host = s, u.Hostname()
		port := u.Port()
		if port == "" {
			port = "443"
		}
		e.addr = net.JoinHostPort(e.host, port)
		return e, nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return e, fmt.Errorf("%q is not host:port or an https:// URL", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return e, fmt.Errorf("%q has no valid port", s)
	}
	e.addr, e.host = s, host
	return e, nil
}

// Validate checks the settings.
func (TLS) Validate(raw json.RawMessage, _ string) error {
	c, err := parseTLS(raw)
	if err != nil {
		return err
	}
	if len(c.Endpoints) == 0 || len(c.Endpoints) > 500 {
		return vigil.FieldError("config.endpoints", "give 1 to 500 endpoints (host:port or https:// URLs)")
	}
	for _, s := range c.Endpoints {
		if _, err := parseEndpoint(s); err != nil {
			return vigil.FieldError("config.endpoints", "%v", err)
		}
	}
	if c.CAFile != "" && !strings.HasPrefix(c.CAFile, "/") {
		return vigil.FieldError("config.ca_file", "ca_file is an absolute path on the server")
	}
	if c.TimeoutS < 1 || c.TimeoutS > 120 {
		return vigil.FieldError("config.timeout_seconds", "timeout_seconds must be 1 to 120")
	}
	return nil
}

func (c *tlsConfig) roots() (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %v", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s holds no PEM certificate", c.CAFile)
		}
	}
	return pool, nil
}

// Test connects to each endpoint once.
func (t TLS) Test(ctx context.Context, r *kind.Run) error {
	c, err := parseTLS(r.Config)
	if err != nil {
		return err
	}
	var errs []string
	for _, s := range c.Endpoints {
		e, _ := parseEndpoint(s)
		conn, err := t.dial(ctx, c, e, &tls.Config{InsecureSkipVerify: true, ServerName: e.host})
		if err != nil {
			errs = append(errs, s+": "+err.Error())
			continue
		}
		conn.Close()
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

func (TLS) dial(ctx context.Context, c *tlsConfig, e endpoint, cfg *tls.Config) (*tls.Conn, error) {
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: time.Duration(c.TimeoutS) * time.Second}, Config: cfg}
	cctx, cancel := context.WithTimeout(ctx, time.Duration(c.TimeoutS)*time.Second)
	defer cancel()
	conn, err := d.DialContext(cctx, "tcp", e.addr)
	if err != nil {
		return nil, err
	}
	return conn.(*tls.Conn), nil
}

var hstsMaxAge = regexp.MustCompile(`(?i)max-age\s*=\s*"?(\d+)`)

// Collect inspects every endpoint; one that cannot be reached is an error
// resource, never a pass.
func (t TLS) Collect(ctx context.Context, r *kind.Run) (map[string]map[string]any, error) {
	c, err := parseTLS(r.Config)
	if err != nil {
		return nil, err
	}
	roots, err := c.roots()
	if err != nil {
		return nil, err
	}
	var eps []any
	for _, s := range c.Endpoints {
		e, _ := parseEndpoint(s)
		eps = append(eps, t.inspect(ctx, c, e, roots, r.Now))
	}
	return map[string]map[string]any{"tls.endpoints": {"endpoints": kind.NonNil(eps)}}, nil
}

func (t TLS) inspect(ctx context.Context, c *tlsConfig, e endpoint, roots *x509.CertPool, now time.Time) map[string]any {
	res := map[string]any{"id": e.raw, "url": e.url != ""}
	conn, err := t.dial(ctx, c, e, &tls.Config{InsecureSkipVerify: true, ServerName: e.host})
	if err != nil {
		res["error"] = "cannot connect: " + err.Error()
		return res
	}
	st := conn.ConnectionState()
	conn.Close()
	leaf := st.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, ic := range st.PeerCertificates[1:] {
		inter.AddCert(ic)
	}
	_, verr := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: e.host, CurrentTime: now})
	res["chain_valid"] = verr == nil
	res["verify_error"] = ""
	if verr != nil {
		res["verify_error"] = verr.Error()
	}
	res["subject"], res["issuer"] = leaf.Subject.String(), leaf.Issuer.String()
	res["not_after"] = leaf.NotAfter.UTC().Format(time.RFC3339)
	res["days_left"] = int(leaf.NotAfter.Sub(now).Hours() / 24)
	res["version"] = tls.VersionName(st.Version)
	// Does it still accept TLS 1.0 or 1.1?
	res["accepts_legacy"], res["legacy_version"] = false, ""
	// Offer every suite: a server that takes TLS 1.0 only with an old
	// suite still takes TLS 1.0.
	var all []uint16
	for _, cs := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		all = append(all, cs.ID)
	}
	if lc, err := t.dial(ctx, c, e, &tls.Config{InsecureSkipVerify: true, ServerName: e.host, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11, CipherSuites: all}); err == nil {
		res["accepts_legacy"], res["legacy_version"] = true, tls.VersionName(lc.ConnectionState().Version)
		lc.Close()
	} else if !refused(err) {
		// A timeout or reset says nothing about what the server accepts.
		res["legacy_error"] = "the TLS 1.0/1.1 probe did not get an answer: " + err.Error()
	}
	// Does it accept a suite Go deems insecure (RC4, 3DES, CBC-SHA256,
	// RSA key exchange without forward secrecy)?
	var weak []uint16
	for _, cs := range tls.InsecureCipherSuites() {
		weak = append(weak, cs.ID)
	}
	for _, cs := range tls.CipherSuites() {
		if strings.HasPrefix(cs.Name, "TLS_RSA_") {
			weak = append(weak, cs.ID)
		}
	}
	res["accepts_weak"], res["weak_suite"] = false, ""
	if wc, err := t.dial(ctx, c, e, &tls.Config{InsecureSkipVerify: true, ServerName: e.host, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS12, CipherSuites: weak}); err == nil {
		res["accepts_weak"], res["weak_suite"] = true, tls.CipherSuiteName(wc.ConnectionState().CipherSuite)
		wc.Close()
	} else if !refused(err) {
		res["weak_error"] = "the weak-suite probe did not get an answer: " + err.Error()
	}
	res["hsts"] = nil
	if e.url != "" {
		hc := &http.Client{Timeout: time.Duration(c.TimeoutS) * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: e.host, InsecureSkipVerify: verr != nil}},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		req, _ := http.NewRequestWithContext(ctx, "GET", e.url, nil)
		resp, err := hc.Do(req)
		if err != nil {
			res["hsts_error"] = err.Error()
		} else {
			resp.Body.Close()
			h := resp.Header.Get("Strict-Transport-Security")
			maxAge := 0
			if m := hstsMaxAge.FindStringSubmatch(h); m != nil {
				maxAge, _ = strconv.Atoi(m[1])
			}
			res["hsts"] = map[string]any{"present": h != "", "max_age": maxAge, "header": h}
		}
	}
	return res
}

// refused tells a server's refusal (a TLS alert, or a close during the
// handshake, as some servers do) from a failure to get an answer.
func refused(err error) bool {
	var alert tls.AlertError
	var ralert *tls.AlertError
	if errors.As(err, &alert) || errors.As(err, &ralert) {
		return true
	}
	msg := err.Error()
	return errors.Is(err, io.EOF) || strings.Contains(msg, "remote error: tls:") || strings.Contains(msg, "no cipher suite supported") ||
		strings.Contains(msg, "protocol version not supported") || strings.Contains(msg, "handshake failure")
}
