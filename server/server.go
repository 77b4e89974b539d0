// Package server is Vigil's HTTP edge: the REST API under /api/v1, health and
// readiness probes, Prometheus metrics and the OpenAPI document. Routes are
// declared in one table (routes.go) that drives registration, role checks
// and the OpenAPI document alike.
package server

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/auth"
	"github.com/vigil-soc/vigil/catalog"
	"github.com/vigil-soc/vigil/evidence"
	"github.com/vigil-soc/vigil/incidents"
	"github.com/vigil-soc/vigil/integrations"
	"github.com/vigil-soc/vigil/monitor"
	"github.com/vigil-soc/vigil/notify"
	"github.com/vigil-soc/vigil/people"
	"github.com/vigil-soc/vigil/policy"
	"github.com/vigil-soc/vigil/risk"
	"github.com/vigil-soc/vigil/secret"
	"github.com/vigil-soc/vigil/store"
	"github.com/vigil-soc/vigil/training"
	"github.com/vigil-soc/vigil/ui"
	"github.com/vigil-soc/vigil/vendors"
)

// MaxBodyBytes bounds every JSON request body.
const MaxBodyBytes = 1 << 20

// Config holds what the server is built from.
type Config struct {
	Store   *store.Store
	Catalog *catalog.Catalog
	Logger  *slog.Logger
	Version string
	// PasswordParams set the argon2id cost (tests lower it).
	PasswordParams auth.Params
	// Now returns the current time; tests may fix it.
	Now func() time.Time
	// UI renders the web interface.
	UI *ui.Renderer
	// Secrets seals secrets at rest (TOTP seeds, the SSO client secret).
	Secrets *secret.Box
	// BaseURL is the public URL, for links in mail and the SSO redirect.
	// Empty: taken from each request's Host.
	BaseURL string
	// SecureCookies forces Secure cookies even without TLS in the request
	// (for a TLS-terminating proxy that does not set X-Forwarded-Proto).
	SecureCookies bool
	// SMTP sends password-reset mail; empty Addr disables mail. Mail needs
	// BaseURL: links must never be built from a request's Host header.
	SMTP SMTPConfig
	// TrustProxy takes the client address from X-Forwarded-For (the last
	// hop), for rate limits behind a reverse proxy.
	TrustProxy bool
	// Evidence is the evidence ledger; nil leaves its routes unavailable.
	Evidence *evidence.Service
	// Policies is the policy set; nil leaves its routes unavailable.
	Policies *policy.Service
	// People is the personnel register, offboarding and acknowledgements;
	// nil leaves their routes unavailable.
	People *people.Service
	// Training is courses, assignments and completions; nil leaves its
	// routes unavailable.
	Training *training.Service
	// Incidents is the incident register and the exercises; nil leaves
	// their routes answering 503.
	Incidents *incidents.Service
	// Notify, when set, holds the notification channels and their
	// delivery log.
	Notify *notify.Service
	// Risks is the risk register and the annual assessment; nil leaves
	// its routes unavailable.
	Risks *risk.Service
	// Vendors is the vendor inventory, due diligence and questionnaires;
	// nil leaves its routes unavailable.
	Vendors *vendors.Service
	// Sources report on control health beyond the control's own status and
	// owner (automated tests, evidence, policies).
	Sources []vigil.SignalSource
	// Monitor is continuous monitoring (agents, results, history); nil
	// leaves its routes unavailable.
	Monitor *monitor.Service
	// Integrations are connected systems tested on a schedule; nil leaves
	// their routes unavailable.
	Integrations *integrations.Service
	// TLSFingerprint is the SHA-256 of the certificate the server serves
	// (when it terminates TLS itself), shown in agent enrolment commands.
	TLSFingerprint string
	// HashMemory bounds the memory password hashes may hold at once
	// (bytes); 0 means DefaultHashMemory.
	HashMemory int64
	// Timeouts bound requests; zero fields take DefaultTimeouts'.
	Timeouts Timeouts
	// MetricsToken, when set, is the bearer token /metrics requires, for
	// a server whose port is reachable by more than the scraper.
	MetricsToken string
}

// Server serves Vigil's HTTP API.
type Server struct {
	store   *store.Store
	cat     *catalog.Catalog
	log     *slog.Logger
	version string
	pwp     auth.Params
	now     func() time.Time
	mux     *http.ServeMux
	routes  []route
	metrics *metrics
	sources []vigil.SignalSource

	evidence       *evidence.Service
	monitor        *monitor.Service
	integrations   *integrations.Service
	policies       *policy.Service
	people         *people.Service
	training       *training.Service
	incidents      *incidents.Service
	notify         *notify.Service
	risks          *risk.Service
	vendors        *vendors.Service
	tlsFingerprint string
	ui             *ui.Renderer
	box            *secret.Box
	baseURL        string
	secureCookies  bool
	smtp           SMTPConfig
	ssoLimit       *limiter
	trustProxy     bool
	dummyHash      func() string
	hashes         *hashGate
	probeMu        sync.Mutex
	probeAt        time.Time
	probeErr       error
	metricsToken   string
	transfers      transferSlots
	timeouts       Timeouts
	oidc           oidcCache

	rcache  readinessCache
	docOnce sync.Once
	doc     []byte

	touchMu sync.Mutex
	touched map[int64]time.Time // token ID -> last recorded use
}

// New builds a server and registers its routes.
func New(cfg Config) *Server {
	s := &Server{
		store: cfg.Store, cat: cfg.Catalog, log: cfg.Logger, version: cfg.Version,
		pwp: cfg.PasswordParams, now: cfg.Now, mux: http.NewServeMux(),
		metrics: newMetrics(), touched: map[int64]time.Time{}, sources: cfg.Sources,
		evidence: cfg.Evidence, monitor: cfg.Monitor, integrations: cfg.Integrations, policies: cfg.Policies, people: cfg.People, training: cfg.Training, incidents: cfg.Incidents, notify: cfg.Notify, risks: cfg.Risks, vendors: cfg.Vendors, tlsFingerprint: cfg.TLSFingerprint, ui: cfg.UI, box: cfg.Secrets, baseURL: cfg.BaseURL, secureCookies: cfg.SecureCookies, smtp: cfg.SMTP,
		ssoLimit: newLimiter(60, addrWindow), trustProxy: cfg.TrustProxy,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.pwp.Memory == 0 {
		s.pwp = auth.DefaultParams
	}
	if s.smtp.Addr != "" && s.baseURL == "" {
		s.log.Error("mail is configured without a base URL; password-reset mail is off (set --base-url)")
		s.smtp.Addr = ""
	}
	if s.ui == nil {
		// The templates are embedded: failing to parse them is a bug that
		// every test run would show, not a run-time condition.
		r, err := ui.New()
		if err != nil {
			panic(err)
		}
		s.ui = r
	}
	if s.box == nil {
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		s.box, _ = secret.New(key) // ephemeral: secrets die with the process
	}
	// A hash to verify against when the account does not exist, so that a
	// wrong email costs as much time as a wrong password. Made on first use:
	// at start-up it would cost every start 50 ms.
	pwp := s.pwp
	s.dummyHash = sync.OnceValue(func() string { h, _ := auth.HashPassword("vigil-dummy-password", pwp); return h })
	s.hashes = newHashGate(s.pwp, cfg.HashMemory)
	s.metricsToken = cfg.MetricsToken
	s.timeouts = cfg.Timeouts
	if s.timeouts.Read <= 0 {
		s.timeouts.Read = DefaultTimeouts.Read
	}
	if s.timeouts.Write <= 0 {
		s.timeouts.Write = DefaultTimeouts.Write
	}
	if s.timeouts.TransferIdle <= 0 {
		s.timeouts.TransferIdle = DefaultTimeouts.TransferIdle
	}
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		if rt.page {
			s.mux.Handle(rt.method+" "+rt.path, s.wrapPage(rt))
		} else {
			s.mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
		}
	}
	static := http.StripPrefix("/static/", http.FileServerFS(ui.Static()))
	s.mux.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Files only: the directory is no page to list.
		if strings.HasSuffix(r.URL.Path, "/") {
			s.writeError(w, r, vigil.Errorf(vigil.ENOTFOUND, "no such file"))
			return
		}
		// Static files change only with the binary.
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'")
		static.ServeHTTP(w, r)
	}))
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.fixedDeadlines(w)
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin") // lets a lost session on a form come back to its page
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" {
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.noRoute(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// noRoute answers in JSON where the mux would answer in plain text: 405 with
// the allowed methods for a known path, 404 otherwise.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, api.ErrorBody{Error: api.ErrorDetail{Code: "method_not_allowed", Message: r.Method + " is not allowed here; use " + strings.Join(allow, ", ")}})
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/api/") {
		// A person mistyped an address: answer with a page.
		w.Header().Set("Content-Security-Policy", pageCSP)
		s.errorPage(w, r, vigil.Errorf(vigil.ENOTFOUND, "There is no page at %s.", r.URL.Path))
		return
	}
	writeJSON(w, http.StatusNotFound, api.ErrorBody{Error: api.ErrorDetail{Code: vigil.ENOTFOUND, Message: "no such route: " + r.Method + " " + r.URL.Path}})
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// statusWriter remembers the status for metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// wrap applies, in order: metrics, panic recovery, the body limit,
// authentication and the route's permission.
func (s *Server) wrap(rt route) http.Handler {
	label := rt.method + " " + rt.path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w, r = s.transfer(rt, w, r)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic in handler", "route", label, "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					s.writeError(sw, r, vigil.Errorf(vigil.EINTERNAL, "internal error"))
				}
			}
			s.metrics.observe(label, sw.status, time.Since(start))
		}()
		limit := int64(MaxBodyBytes)
		if rt.maxBody != 0 {
			limit = rt.maxBody
		}
		if limit > 0 {
			r.Body = http.MaxBytesReader(sw, r.Body, limit)
		}
		if hasNUL(r) {
			s.writeError(sw, r, vigil.Errorf(vigil.EINVALID, "the address contains a NUL character"))
			return
		}
		if err := badText(r); err != nil {
			s.writeError(sw, r, err)
			return
		}
		if rt.perm != "" {
			actor, err := s.authenticate(r)
			if err != nil {
				s.writeError(sw, r, err)
				return
			}
			if !actor.Role.Can(rt.perm) {
				s.writeError(sw, r, vigil.Errorf(vigil.EFORBIDDEN, "the %s role may not do this (needs %s)", actor.Role, rt.perm))
				return
			}
			r = r.WithContext(vigil.WithActor(r.Context(), actor))
			if rt.heavy() {
				release, err := s.transfers.acquire(actor.UserID)
				if err != nil {
					s.writeError(sw, r, err)
					return
				}
				defer release()
			}
		}
		if rt.needsEvidence && s.evidence == nil {
			s.writeError(sw, r, vigil.Errorf(vigil.EUNAVAILABLE, "the evidence ledger is not configured on this server"))
			return
		}
		if rt.needsIntegrations && s.integrations == nil {
			s.writeError(sw, r, vigil.Errorf(vigil.EUNAVAILABLE, "integrations are not configured on this server"))
			return
		}
		if rt.needsPeople && s.people == nil {
			s.writeError(sw, r, vigil.Errorf(vigil.EUNAVAILABLE, "the personnel register is not configured on this server"))
			return
		}
		if rt.needsPolicies && s.policies == nil {
			s.writeError(sw, r, vigil.Errorf(vigil.EUNAVAILABLE, "policies are not configured on this server"))
			return
		}
		if rt.needsRisks && s.risks == nil {
			s.writeError(sw, r, vigil.Errorf(vigil.EUNAVAILABLE, "the risk register is not configured on this server"))
			return
		}
		if rt.needsVendors && s.vendors == nil {
			s.writeError(sw, r, vigil.Errorf(vigil.EUNAVAILABLE, "vendors are not configured on this server"))
			return
		}
		if rt.needsTraining && s.training == nil {
			s.writeError(sw, r, vigil.Errorf(vigil.EUNAVAILABLE, "training is not configured on this server"))
			return
		}
		if rt.needsNotify && s.notify == nil {
			s.writeError(sw, r, vigil.Errorf(vigil.EUNAVAILABLE, "notifications are not configured on this server"))
			return
		}
		if rt.needsIncidents && s.incidents == nil {
			s.writeError(sw, r, vigil.Errorf(vigil.EUNAVAILABLE, "incidents are not configured on this server"))
			return
		}
		if rt.needsMonitor && s.monitor == nil {
			s.writeError(sw, r, vigil.Errorf(vigil.EUNAVAILABLE, "monitoring is not configured on this server"))
			return
		}
		if rt.agent {
			a, err := s.authenticateAgent(r)
			if err != nil {
				s.writeError(sw, r, err)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), agentKey{}, a))
		}
		if err := rt.h(sw, r); err != nil {
			s.writeError(sw, r, err)
		}
	})
}

// authenticate resolves the bearer token to an actor.
func (s *Server) authenticate(r *http.Request) (vigil.Actor, error) {
	h := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || secret == "" {
		return vigil.Actor{}, vigil.Errorf(vigil.EUNAUTHORIZED, "authentication required: send Authorization: Bearer <API token>")
	}
	if !strings.HasPrefix(secret, auth.TokenPrefix) {
		return vigil.Actor{}, vigil.Errorf(vigil.EUNAUTHORIZED, "API token is not valid")
	}
	tk, u, err := s.store.TokenBySecretHash(r.Context(), auth.HashSecret(secret))
	if err != nil {
		return vigil.Actor{}, err
	}
	now := s.now()
	switch {
	case tk.RevokedAt != nil:
		return vigil.Actor{}, vigil.Errorf(vigil.EUNAUTHORIZED, "API token has been revoked")
	case !tk.Active(now):
		return vigil.Actor{}, vigil.Errorf(vigil.EUNAUTHORIZED, "API token has expired")
	case u.Disabled:
		return vigil.Actor{}, vigil.Errorf(vigil.EUNAUTHORIZED, "the token's user is disabled")
	}
	// A token never does more than its user may do now: if the user was
	// demoted below the token's role, the token is refused.
	role := tk.Role
	if !u.Role.Covers(role) {
		return vigil.Actor{}, vigil.Errorf(vigil.EUNAUTHORIZED, "API token's role %s exceeds its user's current role %s; create a new token", tk.Role, u.Role)
	}
	s.touch(r.Context(), tk.ID, tk.LastUsedAt, now)
	return vigil.Actor{UserID: u.ID, Name: u.Email, Role: role, TokenID: tk.ID}, nil
}

// touch records token use at most once a minute per token, so that a busy
// client does not turn every read into a write.
func (s *Server) touch(ctx context.Context, id int64, last *time.Time, now time.Time) {
	s.touchMu.Lock()
	prev, ok := s.touched[id]
	if !ok && last != nil {
		prev = *last
	}
	due := now.Sub(prev) >= time.Minute
	if due {
		s.touched[id] = now
	}
	s.touchMu.Unlock()
	if due {
		if err := s.store.TouchToken(context.WithoutCancel(ctx), id, now); err != nil {
			s.log.Warn("cannot record token use", "token", id, "err", err)
		}
	}
}
