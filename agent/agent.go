// Package agent is the host side of continuous monitoring: `vigil agent`
// enrols once with a one-time token, then scans on a schedule and sends
// the server only what changed since its last report. Reports are written
// to a spool directory before they are sent, in order, so a server that is
// down loses nothing: they are delivered when it is back.
package agent

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/check"
	"github.com/vigil-soc/vigil/client"
	"github.com/vigil-soc/vigil/collect"
	"github.com/vigil-soc/vigil/collect/host"
	"github.com/vigil-soc/vigil/drift"
	"github.com/vigil-soc/vigil/monitor"
	"github.com/vigil-soc/vigil/scan"
)

// State is what the agent keeps between runs, in state.json (mode 0600:
// it holds the credential).
type State struct {
	Server      string `json:"server"`
	Fingerprint string `json:"ca_fingerprint,omitempty"` // SHA-256 of a certificate in the server's chain
	CAFile      string `json:"ca_file,omitempty"`
	AgentID     int64  `json:"agent_id"`
	Credential  string `json:"credential"`
	// Seq is the last report written to the spool; Results and InputSHA
	// are the state that report leaves the server in once delivered, the
	// base of the next report's changes.
	Seq      int64                        `json:"seq"`
	Results  map[string]vigil.CheckResult `json:"results"`
	InputSHA string                       `json:"input_sha256"`
	// Full forces the next report to carry every result (after a resync).
	Full bool `json:"full"`
	// LastRun is when each check last ran, for checks with an interval.
	LastRun map[string]time.Time `json:"last_run,omitempty"`
	// LastFullReport is when a report last carried every result.
	LastFullReport time.Time `json:"last_full_report,omitzero"`
	// LastFullFIM is when file integrity last re-hashed every file.
	LastFullFIM time.Time `json:"last_full_fim,omitzero"`
}

// Agent runs scans and delivers reports.
type Agent struct {
	Dir       string
	Root      string
	Interval  time.Duration
	Checks    *check.Registry
	Tailoring *scan.Tailoring
	Version   string
	Log       *slog.Logger
	// MaxSpool bounds the spool; past it the agent stops scanning (and
	// says so) rather than dropping reports.
	MaxSpool int
	// Drift records a baseline of the host at the first scan and reports
	// what changed since at every scan (file integrity in fast mode, in
	// full every FullEvery).
	Drift     bool
	FIMPaths  []string
	FullEvery time.Duration

	state     *State
	client    *client.Client
	resyncing bool
}

func (a *Agent) spoolDir() string { return filepath.Join(a.Dir, "spool") }

// LoadState reads the agent's state.
func LoadState(dir string) (*State, error) {
	data, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s holds no agent state: enrol first (vigil agent enrol)", dir)
	}
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%s/state.json is damaged: %v", dir, err)
	}
	if st.Results == nil {
		st.Results = map[string]vigil.CheckResult{}
	}
	return &st, nil
}

func writeFileSync(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	// The rename is durable only once the directory is synced.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func saveState(dir string, st *State) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return writeFileSync(filepath.Join(dir, "state.json"), data, 0o600)
}

// HTTPClient makes the client an agent talks to its server with: HTTPS
// trusting only the given CA file or the certificate whose SHA-256
// fingerprint was given at enrolment. Plain HTTP is allowed only to a
// loopback address (a server on the same host).
func HTTPClient(server, fingerprint, caFile string) (*http.Client, error) {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("server %q is not a URL like https://vigil.example.com", server)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	switch u.Scheme {
	case "https":
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		switch {
		case caFile != "":
			pem, err := os.ReadFile(caFile)
			if err != nil {
				return nil, err
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
			}
			cfg.RootCAs = pool
		case fingerprint != "":
			want := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(fingerprint, "sha256:"), ":", ""))
			if len(want) != 64 {
				return nil, fmt.Errorf("the CA fingerprint must be a SHA-256 in hex (64 digits), got %d", len(want))
			}
			// The pin replaces the system roots: the pinned certificate (the
			// server's own, or the CA that signs it) is the only root, and
			// the leaf must chain to it by signature, be valid now and name
			// the host. Merely sending the pinned certificate alongside
			// another leaf proves nothing: it is public.
			cfg.InsecureSkipVerify = true
			host := u.Hostname()
			cfg.VerifyConnection = func(cs tls.ConnectionState) error {
				if len(cs.PeerCertificates) == 0 {
					return errors.New("the server sent no certificate")
				}
				roots, inter := x509.NewCertPool(), x509.NewCertPool()
				found := false
				for _, c := range cs.PeerCertificates {
					sum := sha256.Sum256(c.Raw)
					if hex.EncodeToString(sum[:]) == want {
						roots.AddCert(c)
						found = true
					} else {
						inter.AddCert(c)
					}
				}
				if !found {
					return fmt.Errorf("the server's certificate chain does not hold the pinned certificate %s", want[:16]+"…")
				}
				_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: host,
					KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
				if err != nil {
					return fmt.Errorf("the server's certificate does not verify against the pinned one: %w", err)
				}
				return nil
			}
		}
		tr.TLSClientConfig = cfg
	case "http":
		ip := net.ParseIP(u.Hostname())
		if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("the agent talks to its server over HTTPS; http:// is allowed only to this host (%s)", u.Host)
		}
	default:
		return nil, fmt.Errorf("server %q must start with https://", server)
	}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}, nil
}

// Enrol spends a one-time token and writes the agent's state to dir.
func Enrol(ctx context.Context, dir, server, token, fingerprint, caFile string, info vigil.HostInfo) (*State, error) {
	if _, err := os.Stat(filepath.Join(dir, "state.json")); err == nil {
		return nil, fmt.Errorf("%s already holds an enrolled agent; use another --state-dir or remove it first", dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, "spool"), 0o700); err != nil {
		return nil, err
	}
	c, err := HTTPClient(server, fingerprint, caFile)
	if err != nil {
		return nil, err
	}
	out, err := apiClient(server, "", c).Enrol(ctx, &api.EnrolRequest{Token: token, Host: info})
	if err != nil {
		return nil, err
	}
	st := &State{Server: strings.TrimRight(server, "/"), Fingerprint: fingerprint, CAFile: caFile, AgentID: out.AgentID,
		Credential: out.Credential, Results: map[string]vigil.CheckResult{}, Full: true}
	if err := saveState(dir, st); err != nil {
		return nil, err
	}
	return st, nil
}

// apiClient is the typed API client over the agent's pinned HTTP client.
// An agent reads little from the server (acknowledgements, its state), so
// an answer over 1 MiB is refused rather than read.
func apiClient(server, credential string, hc *http.Client) *client.Client {
	return &client.Client{BaseURL: strings.TrimRight(server, "/"), Token: credential, HTTP: hc, MaxBody: 1 << 20}
}

// Open loads the agent's state and client.
func (a *Agent) Open() error {
	st, err := LoadState(a.Dir)
	if err != nil {
		return err
	}
	c, err := HTTPClient(st.Server, st.Fingerprint, st.CAFile)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(a.spoolDir(), 0o700); err != nil {
		return err
	}
	a.state, a.client = st, apiClient(st.Server, st.Credential, c)
	if a.Log == nil {
		a.Log = slog.New(slog.DiscardHandler)
	}
	if a.MaxSpool <= 0 {
		a.MaxSpool = 20000
	}
	return nil
}

// State returns the loaded state.
func (a *Agent) State() *State { return a.state }

func resultKey(check, resource string) string { return check + "\x00" + resource }

// ScanOnce scans the host and writes a report of what changed to the
// spool. It returns the report's sequence number.
func (a *Agent) ScanOnce(ctx context.Context) (int64, error) {
	if n := len(a.spooled()); n >= a.MaxSpool {
		return 0, fmt.Errorf("the spool holds %d undelivered reports (the limit); not scanning until the server takes them", n)
	}
	h, err := host.New(a.Root)
	if err != nil {
		return 0, err
	}
	st := a.state
	if st.LastRun == nil {
		st.LastRun = map[string]time.Time{}
	}
	now := time.Now()
	// Once a day the report carries everything, so that any difference
	// between the agent's idea of the server's state and the server's own
	// heals by itself.
	if now.Sub(st.LastFullReport) >= 24*time.Hour {
		st.Full = true
	}
	// A check with an interval runs when it is due; until then its last
	// results stand (a full report after a resync runs everything).
	due := func(c *check.Check) bool {
		return scan.HostCheck(c) && (st.Full || c.Every == 0 || now.Sub(st.LastRun[c.ID]) >= c.Every)
	}
	ran := map[string]bool{}
	for _, c := range a.Checks.Checks() {
		if due(c) {
			ran[c.ID] = true
		}
	}
	opts := scan.Options{Checks: a.Checks, Collectors: collect.NewRegistry(host.Collectors(h)...), Tailoring: a.Tailoring, Host: h.Info(), Select: due}
	basePath := filepath.Join(a.Dir, "baseline.vgl")
	var base *drift.Snapshot
	full := false
	if a.Drift {
		opts.Drift = &scan.DriftOptions{Host: h, Paths: a.FIMPaths}
		if _, err := os.Stat(basePath); err == nil {
			if base, err = drift.Load(basePath); err != nil {
				opts.Drift.Err = err.Error()
			} else {
				full = a.FullEvery > 0 && now.Sub(st.LastFullFIM) >= a.FullEvery
				opts.Drift.Baseline, opts.Drift.Full = base, full
			}
		}
	}
	rep := scan.Run(ctx, opts)
	// The file databases are files (the new one unlinked): an agent runs
	// for months, so they are closed now rather than when collected.
	defer rep.Snapshot.Close()
	defer base.Close()
	if a.Drift && opts.Drift.Err == "" {
		var err error
		if base == nil {
			err = rep.Snapshot.Save(basePath)
			st.LastFullFIM = now
		} else {
			err = base.SaveMeta(basePath)
			if full {
				st.LastFullFIM = now
			}
		}
		if err != nil {
			return 0, fmt.Errorf("saving the baseline: %w", err)
		}
	}
	info := h.Info()
	cur := make(map[string]vigil.CheckResult, len(st.Results))
	for k, r := range st.Results {
		if !ran[r.CheckID] && a.Checks.Has(r.CheckID) {
			cur[k] = r
		}
	}
	found := make([]vigil.CheckResult, 0, len(rep.Findings))
	for _, f := range rep.Findings {
		found = append(found, vigil.CheckResult{CheckID: f.CheckID, Resource: f.Resource, Verdict: string(f.Verdict), Reason: monitor.ClipReason(f.Reason)})
	}
	for _, r := range monitor.MergeResults(found) {
		cur[resultKey(r.CheckID, r.Resource)] = r
	}
	out := vigil.AgentReport{Seq: st.Seq + 1, ScannedAt: rep.Started.UTC(), Duration: rep.Duration.Milliseconds(), Full: st.Full,
		Host: vigil.HostInfo{Hostname: str(info["hostname"]), OS: str(info["pretty_name"]), Kernel: str(info["kernel"]),
			Version: a.Version, Interval: int(a.Interval.Seconds())}}
	if out.Host.Hostname == "" {
		out.Host.Hostname, _ = os.Hostname()
	}
	keys := make([]string, 0, len(cur))
	for k := range cur {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if old, ok := st.Results[k]; st.Full || !ok || old != cur[k] {
			out.Results = append(out.Results, cur[k])
		}
	}
	if !st.Full {
		for k, old := range st.Results {
			if _, ok := cur[k]; !ok {
				out.Removed = append(out.Removed, vigil.CheckResult{CheckID: old.CheckID, Resource: old.Resource})
			}
		}
	}
	for _, c := range rep.Collectors {
		if c.Err != "" {
			out.Failed = append(out.Failed, c.Collector)
		}
	}
	out.Disabled = rep.Disabled
	// The normalized input, sent only when it changed.
	sha, gz, err := vigil.EncodeInput(rep.Inputs)
	if err != nil {
		return 0, err
	}
	out.InputSHA256 = sha
	if sha != st.InputSHA {
		out.Input = gz
		if len(out.Input) > vigil.MaxReportInput {
			a.Log.Warn("the normalized input is too large to send; only its hash goes", "bytes", len(out.Input))
			out.Input = ""
		}
	}
	data, err := json.Marshal(out)
	if err != nil {
		return 0, err
	}
	if err := writeFileSync(filepath.Join(a.spoolDir(), fmt.Sprintf("%012d.json", out.Seq)), data, 0o600); err != nil {
		return 0, fmt.Errorf("spooling the report: %w", err)
	}
	for id := range ran {
		st.LastRun[id] = now
	}
	if out.Full {
		st.LastFullReport = now
	}
	st.Seq, st.Results, st.InputSHA, st.Full = out.Seq, cur, sha, false
	if err := saveState(a.Dir, st); err != nil {
		return 0, err
	}
	return out.Seq, nil
}

func str(v any) string { s, _ := v.(string); return s }

// clip shortens s to at most n bytes on a character boundary: a cut
// through a character would turn into replacement characters in JSON and
// make the report too long for the server.
// pruneRejected keeps the newest keep rejected reports, for a person to
// look at; a host whose every report is refused must not fill its disk.
func (a *Agent) pruneRejected(keep int) {
	ms, _ := filepath.Glob(filepath.Join(a.spoolDir(), "*.rejected"))
	sort.Strings(ms)
	for len(ms) > keep {
		os.Remove(ms[0])
		ms = ms[1:]
	}
}

// spooled lists the spooled reports' sequence numbers, oldest first.
func (a *Agent) spooled() []int64 {
	es, _ := os.ReadDir(a.spoolDir())
	var out []int64
	for _, e := range es {
		if n, err := strconv.ParseInt(strings.TrimSuffix(e.Name(), ".json"), 10, 64); err == nil && strings.HasSuffix(e.Name(), ".json") {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// ErrRevoked means the server no longer accepts this agent.
var ErrRevoked = errors.New("the server refused this agent's credential (revoked or unknown); enrol again")

// Deliver sends the spooled reports in order. It stops at the first one
// the server cannot take now (unreachable, busy) and keeps it for later.
func (a *Agent) Deliver(ctx context.Context) (int, error) {
	sent := 0
	for _, seq := range a.spooled() {
		p := filepath.Join(a.spoolDir(), fmt.Sprintf("%012d.json", seq))
		data, err := os.ReadFile(p)
		if err != nil {
			return sent, err
		}
		_, err = a.client.SendReportBytes(ctx, data)
		status := client.StatusOf(err)
		switch {
		case err == nil:
			os.Remove(p)
			sent++
			continue
		case status == 401 || status == 403:
			return sent, fmt.Errorf("%w: %s", ErrRevoked, vigil.ErrorMessage(err))
		case status == 409 && !a.resyncing:
			// Already taken (a reply that got lost) or out of order:
			// ask where the server is, line the spool up with it, and go on.
			if err := a.resync(ctx); err != nil {
				return sent, err
			}
			a.resyncing = true
			n, err := a.Deliver(ctx)
			a.resyncing = false
			return sent + n, err
		case status >= 400 && status < 500 && status != 429:
			// The server will never take this report: keep it aside for a
			// person. Later reports are changes on top of it, so they go
			// too, and the next scan reports everything under its number.
			os.Rename(p, p+".rejected")
			a.pruneRejected(10)
			for _, later := range a.spooled() {
				os.Remove(filepath.Join(a.spoolDir(), fmt.Sprintf("%012d.json", later)))
			}
			a.Log.Error("the server rejected a report; it is kept as .rejected and the next report carries every result", "seq", seq, "err", err)
			a.state.Seq, a.state.Full = seq-1, true
			return sent, saveState(a.Dir, a.state)
		default:
			return sent, err // unreachable or busy: try later, nothing lost
		}
	}
	return sent, nil
}

// resync lines the spool up with the server's last accepted report:
// reports it already has are dropped; if reports between are missing
// (the spool was lost), the rest is dropped and the next scan reports in
// full under the next number the server expects.
func (a *Agent) resync(ctx context.Context) error {
	st, err := a.client.AgentState(ctx)
	if err != nil {
		return err
	}
	seqs := a.spooled()
	for _, s := range seqs {
		if s <= st.Seq {
			os.Remove(filepath.Join(a.spoolDir(), fmt.Sprintf("%012d.json", s)))
		}
	}
	seqs = a.spooled()
	if len(seqs) > 0 && seqs[0] == st.Seq+1 {
		return nil
	}
	if len(seqs) > 0 || a.state.Seq != st.Seq {
		a.Log.Warn("the spool and the server disagree; the next report carries every result", "server_seq", st.Seq, "agent_seq", a.state.Seq)
		for _, s := range seqs {
			os.Remove(filepath.Join(a.spoolDir(), fmt.Sprintf("%012d.json", s)))
		}
		a.state.Seq, a.state.Full = st.Seq, true
		return saveState(a.Dir, a.state)
	}
	return nil
}

// Run scans every interval and delivers, until ctx ends. Between scans it
// gives memory back to the system: an agent should be light on the hosts
// it watches.
func (a *Agent) Run(ctx context.Context) error {
	backoff := 5 * time.Second
	next := time.Now()
	for {
		if !time.Now().Before(next) {
			if seq, err := a.ScanOnce(ctx); err != nil {
				a.Log.Error("scan failed", "err", err)
			} else {
				a.Log.Info("scanned", "seq", seq)
			}
			next = time.Now().Add(a.Interval)
		}
		n, err := a.Deliver(ctx)
		if errors.Is(err, ErrRevoked) {
			return err
		}
		if err != nil {
			a.Log.Warn("delivery failed; reports stay in the spool", "err", err, "pending", len(a.spooled()))
		} else {
			backoff = 5 * time.Second
			if n > 0 {
				a.Log.Info("delivered", "reports", n)
			}
		}
		runtime.GC()
		debug.FreeOSMemory()
		wait := time.Until(next)
		if err != nil && backoff < wait {
			wait = backoff
			backoff = min(backoff*2, 5*time.Minute)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// Rebaseline forgets the baseline: the next scan records the host as it is
// then, accepting every change reported so far.
func Rebaseline(dir string) error {
	for _, p := range []string{"baseline.vgl", "baseline.vgl.fim"} {
		if err := os.Remove(filepath.Join(dir, p)); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}
