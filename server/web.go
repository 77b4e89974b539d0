package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/auth"
)

// Session lifetimes: a session ends after IdleTimeout without a request, and
// after AbsoluteTimeout whatever happens.
const (
	IdleTimeout     = 30 * time.Minute
	AbsoluteTimeout = 12 * time.Hour
	sessionCookie   = "vigil_session"
	preCookie       = "vigil_pre" // CSRF token for forms shown before sign-in
	flashCookie     = "vigil_flash"
)

// pageCSP allows nothing but this origin's own files and inline images
// (the TOTP QR code): no inline script or style, no framing.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// webSession is the signed-in user of a page request.
type webSession struct {
	user    *vigil.User
	session *vigil.Session
	hash    string
}

type webKey struct{}

func sessionFrom(ctx context.Context) *webSession {
	ws, _ := ctx.Value(webKey{}).(*webSession)
	return ws
}

// webPage is what every template gets.
type webPage struct {
	Title    string
	Nav      string
	OrgName  string
	Version  string
	User     *vigil.User
	Role     vigil.Role
	CSRF     string
	Flash    string
	Error    string
	Errors   map[string]string // field -> message
	Form     url.Values        // the user's input, kept on error
	ReadOnly bool              // the role may read but not change this page
	Minimal  bool              // sign-in not finished: no navigation, only sign-out
	Data     any
	// errStatus is the status of the error formError put on the page: a
	// form refused for a rule is 400, but one refused because the role may
	// not do it is 403, a vanished record 404, a clash 409.
	errStatus int
}

// Can reports whether the page's user holds a permission.
func (p *webPage) Can(perm string) bool { return p.Role.Can(vigil.Permission(perm)) }

// Val returns the kept form value of a field.
func (p *webPage) Val(name string) string { return p.Form.Get(name) }

// secure reports whether cookies must be Secure: always over TLS or behind
// a TLS proxy, and whenever configured.
func (s *Server) secure(r *http.Request) bool {
	return s.secureCookies || r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
}

// flash sets a one-time message for the next page.
func (s *Server) flash(w http.ResponseWriter, r *http.Request, msg string) {
	s.setCookie(w, r, flashCookie, url.QueryEscape(msg), 60)
}

func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	s.setCookie(w, r, flashCookie, "", -1)
	msg, _ := url.QueryUnescape(c.Value)
	return msg
}

// loadSession resolves the session cookie. It returns nil (no error) when
// there is no usable session; expired sessions are deleted.
func (s *Server) loadSession(r *http.Request) (*webSession, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || !strings.HasPrefix(c.Value, auth.SessionPrefix) {
		return nil, nil
	}
	hash := auth.HashSecret(c.Value)
	se, err := s.store.SessionByHash(r.Context(), hash)
	if vigil.ErrorCode(err) == vigil.EUNAUTHORIZED {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	// A session half-way through sign-in (code or enrolment due) gets 15
	// minutes, not the full day.
	halfway := se.State != vigil.SessionFull && now.Sub(se.CreatedAt) > 15*time.Minute
	if halfway || !now.Before(se.ExpiresAt) || now.Sub(se.LastSeenAt) > IdleTimeout {
		_ = s.store.DeleteSession(r.Context(), hash, se.UserID, "auth.session_expired")
		return nil, nil
	}
	u, err := s.store.User(r.Context(), se.UserID)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		_ = s.store.DeleteSession(r.Context(), hash, u.ID, "")
		return nil, nil
	}
	if now.Sub(se.LastSeenAt) > time.Minute {
		if err := s.store.TouchSession(r.Context(), hash, now); err != nil {
			s.log.Warn("cannot touch session", "err", err)
		}
	}
	if se.State == vigil.SessionFull {
		// MFA can become required while signed in (a promotion to admin, the
		// organization's setting): the session then must enrol before going on.
		settings, err := s.store.AuthSettings(r.Context())
		if err != nil {
			return nil, err
		}
		if settings.MFARequired(u) {
			cred, err := s.store.CredentialsByID(r.Context(), u.ID)
			if err != nil {
				return nil, err
			}
			if !cred.TOTPEnabled && !(se.Method == "oidc" && settings.OIDCTrustMFA && u.Role != vigil.RoleOwner && u.Role != vigil.RoleAdmin) {
				se.State = vigil.SessionEnrol
			}
		}
	}
	return &webSession{user: u, session: se, hash: hash}, nil
}

// startSession creates a session with a new ID (a sign-in never reuses an
// earlier ID) and sets its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *vigil.User, state, method, action string) error {
	secret, hash, err := auth.NewSecret(auth.SessionPrefix)
	if err != nil {
		return err
	}
	csrf, _, err := auth.NewSecret("")
	if err != nil {
		return err
	}
	ctx := vigil.WithActor(r.Context(), vigil.Actor{UserID: u.ID, Name: u.Email, Role: u.Role})
	se := &vigil.Session{IDHash: hash, UserID: u.ID, State: state, Method: method, CSRF: csrf,
		IP: s.clientIP(r), UserAgent: truncate(r.UserAgent(), 200), ExpiresAt: s.now().Add(AbsoluteTimeout)}
	if err := s.store.CreateSession(ctx, se, action); err != nil {
		return err
	}
	s.setCookie(w, r, sessionCookie, secret, int(AbsoluteTimeout.Seconds()))
	return nil
}

// promote moves the current session to another state under a new ID and
// a new CSRF token, which it returns for a page rendered in the same request.
func (s *Server) promote(w http.ResponseWriter, r *http.Request, ws *webSession, state, action string) (string, error) {
	secret, hash, err := auth.NewSecret(auth.SessionPrefix)
	if err != nil {
		return "", err
	}
	csrf, _, err := auth.NewSecret("")
	if err != nil {
		return "", err
	}
	ctx := vigil.WithActor(r.Context(), vigil.Actor{UserID: ws.user.ID, Name: ws.user.Email, Role: ws.user.Role})
	if err := s.store.PromoteSession(ctx, ws.hash, hash, csrf, state, action); err != nil {
		return "", err
	}
	s.setCookie(w, r, sessionCookie, secret, int(AbsoluteTimeout.Seconds()))
	ws.hash, ws.session.CSRF, ws.session.State = hash, csrf, state
	return csrf, nil
}

// recentSignIn reports whether the session began within the last 15
// minutes: sensitive changes without a password need a fresh sign-in.
func (s *Server) recentSignIn(ws *webSession) bool {
	return s.now().Sub(ws.session.CreatedAt) < 15*time.Minute
}

// clientIP is the address rate limits count by: the peer, or behind a
// trusted proxy the address it reports. IPv6 addresses count by /64, since
// one host commonly has a whole /64.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if s.trustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			host = strings.TrimSpace(parts[len(parts)-1])
		}
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// sameOrigin rejects cross-site form posts by their Origin or
// Sec-Fetch-Site header, as a second line behind the CSRF token.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	return true
}

func tokenEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// preToken returns (and sets, if missing) the CSRF token for forms shown
// before sign-in: a cookie the form must echo (double submit).
func (s *Server) preToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	tok, _, _ := auth.NewSecret("")
	s.setCookie(w, r, preCookie, tok, 3600)
	return tok
}

// wrapPage applies, for an HTML route: security headers, metrics, panic
// recovery, the session, the session state, the permission and CSRF.
func (s *Server) wrapPage(rt route) http.Handler {
	label := rt.method + " " + rt.path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w, r = s.transfer(rt, w, r)
		sw := &statusWriter{ResponseWriter: w}
		w = sw
		h := w.Header()
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if s.secure(r) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic in page", "route", label, "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					s.errorPage(w, r, vigil.Errorf(vigil.EINTERNAL, "internal error"))
				}
			}
			s.metrics.observe(label, sw.status, time.Since(start))
		}()
		// A route's own limit (a streamed upload's) replaces the default;
		// -1 leaves the handler to bound what it reads.
		switch {
		case rt.maxBody > 0:
			r.Body = http.MaxBytesReader(w, r.Body, rt.maxBody)
		case rt.maxBody == 0:
			r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		}
		if r.Method == http.MethodPost && !rt.stream {
			if err := r.ParseForm(); err != nil {
				s.errorPage(w, r, vigil.Errorf(vigil.EINVALID, "the form could not be read (too large or malformed)"))
				return
			}
		}
		if hasNUL(r) {
			s.errorPage(w, r, vigil.Errorf(vigil.EINVALID, "the request contains a NUL character, which no field accepts"))
			return
		}
		if err := badText(r); err != nil {
			s.errorPage(w, r, err)
			return
		}
		if r.Method == http.MethodPost && !sameOrigin(r) {
			s.errorPage(w, r, vigil.Errorf(vigil.EFORBIDDEN, "this form was sent from another site and was refused"))
			return
		}
		if rt.perm == "" {
			// A public streamed form (the questionnaire link) checks its
			// token from the first part, before any file is read.
			if r.Method == http.MethodPost && !rt.stream {
				c, err := r.Cookie(preCookie)
				if err != nil || !tokenEqual(r.PostFormValue("csrf"), c.Value) {
					s.errorPage(w, r, vigil.Errorf(vigil.EFORBIDDEN, "this form has expired; go back, reload the page and try again"))
					return
				}
			}
			if err := rt.h(w, r); err != nil {
				s.errorPage(w, r, err)
			}
			return
		}
		ws, err := s.loadSession(r)
		if err != nil {
			s.errorPage(w, r, err)
			return
		}
		if ws == nil {
			// A lost session goes to sign-in, and from there back here.
			next := r.URL.RequestURI()
			if r.Method != http.MethodGet {
				next = r.Referer()
				if u, err := url.Parse(next); err == nil {
					next = u.RequestURI()
				}
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(safeNext(next)), http.StatusSeeOther)
			return
		}
		states := rt.states
		if states == nil {
			states = []string{vigil.SessionFull}
		}
		if !slices.Contains(states, ws.session.State) {
			switch ws.session.State {
			case vigil.SessionMFA:
				http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
			case vigil.SessionEnrol:
				http.Redirect(w, r, "/account/mfa", http.StatusSeeOther)
			default:
				http.Redirect(w, r, "/", http.StatusSeeOther)
			}
			return
		}
		if r.Method == http.MethodPost && !rt.stream && !tokenEqual(r.PostFormValue("csrf"), ws.session.CSRF) {
			s.errorPage(w, r, vigil.Errorf(vigil.EFORBIDDEN, "this form has expired; go back, reload the page and try again"))
			return
		}
		if !ws.user.Role.Can(rt.perm) {
			s.errorPage(w, r, vigil.Errorf(vigil.EFORBIDDEN, "your role (%s) may not do this", ws.user.Role))
			return
		}
		if rt.heavy() {
			release, err := s.transfers.acquire(ws.user.ID)
			if err != nil {
				s.errorPage(w, r, err)
				return
			}
			defer release()
		}
		ctx := vigil.WithActor(r.Context(), vigil.Actor{UserID: ws.user.ID, Name: ws.user.Email, Role: ws.user.Role})
		ctx = context.WithValue(ctx, webKey{}, ws)
		if err := rt.h(w, r.WithContext(ctx)); err != nil {
			s.errorPage(w, r.WithContext(ctx), err)
		}
	})
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	// Browsers drop tabs and newlines and read \ as /, so anything of the
	// kind is refused before parsing, not cleaned.
	if next == "" || strings.ContainsAny(next, "\\") || strings.IndexFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || strings.ContainsAny(u.Path, "\\") || strings.IndexFunc(u.Path, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 ||
		u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") ||
		strings.HasPrefix(u.Path, "/login") || strings.HasPrefix(u.Path, "/logout") {
		return "/"
	}
	out := (&url.URL{Path: u.Path, RawQuery: u.RawQuery}).RequestURI()
	if strings.HasPrefix(out, "//") {
		return "/"
	}
	return out
}

// newPage fills the parts of a page every template uses.
func (s *Server) newPage(w http.ResponseWriter, r *http.Request, title, nav string) *webPage {
	p := &webPage{Title: title, Nav: nav, Version: s.version, Errors: map[string]string{}, Form: url.Values{}}
	if ws := sessionFrom(r.Context()); ws != nil {
		p.User, p.Role, p.CSRF = ws.user, ws.user.Role, ws.session.CSRF
	} else {
		p.CSRF = s.preToken(w, r)
	}
	if o, err := s.store.Organization(r.Context()); err == nil {
		p.OrgName = o.Name
	}
	p.Flash = s.takeFlash(w, r)
	return p
}

func (s *Server) render(w http.ResponseWriter, status int, name string, p *webPage) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var buf strings.Builder
	if err := s.ui.Render(&buf, name, p); err != nil {
		return err
	}
	if status == http.StatusBadRequest && p.errStatus != 0 {
		status = p.errStatus
	}
	w.WriteHeader(status)
	_, err := w.Write([]byte(buf.String()))
	return err
}

// errorPage renders an error for a person. Internal causes go to the log;
// the page says only what the user can act on.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, err error) {
	code := vigil.ErrorCode(err)
	status := statusOf(code)
	if status >= 500 {
		s.log.Error("page failed", "method", r.Method, "route", logRoute(r), "err", err)
	}
	p := &webPage{Title: http.StatusText(status), Version: s.version, Error: vigil.ErrorMessage(err)}
	if ws := sessionFrom(r.Context()); ws != nil {
		p.User, p.Role, p.CSRF = ws.user, ws.user.Role, ws.session.CSRF
	}
	p.Data = status
	if rerr := s.render(w, status, "error", p); rerr != nil {
		s.log.Error("cannot render error page", "err", rerr)
		http.Error(w, http.StatusText(status), status)
	}
}

// formError turns a validation error into a field message on the page, or
// returns it when it is not the user's to fix.
func formError(p *webPage, err error) error {
	var ve *vigil.Error
	if !errors.As(err, &ve) || ve.Code == vigil.EINTERNAL || ve.Code == vigil.EUNAVAILABLE {
		return err
	}
	if st := statusOf(ve.Code); st >= 400 && st < 500 {
		p.errStatus = st
	}
	if ve.Field != "" {
		p.Errors[ve.Field] = ve.Message
		p.Error = "Please correct the highlighted field."
	} else {
		p.Error = ve.Message
	}
	return nil
}
