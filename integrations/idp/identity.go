// Package idp holds the identity-provider kinds, okta and google (Google
// Workspace). They are one package because they share their HTTP API
// client (pagination by Link headers, rate-limit waits and retries, error
// descriptions) and a few helpers.
package idp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/kind"
	"golang.org/x/oauth2/jwt"
)

// Okta and Google Workspace give the account lists that access reviews
// and offboarding use: users, admins, MFA enrolment, suspension, last
// sign-in. Both normalize to the same shape (collector "<kind>.directory").
//
// With people_source on (off by default: a directory holds service and
// shared accounts), their active users with an email also keep the
// personnel register: name, title and department. A suspended or
// deprovisioned account gives no end date (suspension is not a
// termination: leave, a lock, a mistake); the person drops off the
// listing instead, which the run reports for someone to record.

// apiClient does JSON GETs with rate-limit waits and retries.
type apiClient struct {
	http    *http.Client
	auth    func(*http.Request) error
	maxWait time.Duration
}

var linkNext = regexp.MustCompile(`<([^>]+)>;\s*rel="next"`)

// get fetches a JSON document; it waits out 429s (X-Rate-Limit-Reset or
// Retry-After) and retries 5xx with backoff, within maxWait.
func (c *apiClient) get(ctx context.Context, what, u string, out any) (http.Header, error) {
	deadline := time.Now().Add(c.maxWait)
	backoff := time.Second
	for {
		req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		if err := c.auth(req); err != nil {
			return nil, fmt.Errorf("%s: %v", what, err)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", what, err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
		resp.Body.Close()
		wait := time.Duration(0)
		switch {
		case resp.StatusCode == 200:
			if err := json.Unmarshal(body, out); err != nil {
				return nil, fmt.Errorf("%s: the answer is not the JSON expected: %v", what, err)
			}
			return resp.Header, nil
		case resp.StatusCode == 429:
			wait = 30 * time.Second
			if s := resp.Header.Get("X-Rate-Limit-Reset"); s != "" {
				if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
					wait = time.Until(time.Unix(sec, 0)) + time.Second
				}
			} else if s := resp.Header.Get("Retry-After"); s != "" {
				if sec, err := strconv.Atoi(s); err == nil {
					wait = time.Duration(sec) * time.Second
				}
			}
		case resp.StatusCode >= 500:
			wait, backoff = backoff, backoff*2
		default:
			return nil, &httpError{what: what, status: resp.StatusCode, msg: describeHTTP(resp.StatusCode, body)}
		}
		if time.Now().Add(wait).After(deadline) {
			return nil, fmt.Errorf("%s: rate limited or failing (HTTP %d) beyond %s", what, resp.StatusCode, c.maxWait)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(max(wait, 0)):
		}
	}
}

// httpError is an API's refusal, with its status for callers that tell
// "not allowed to read" from other failures.
type httpError struct {
	what   string
	status int
	msg    string
}

func (e *httpError) Error() string { return e.what + ": " + e.msg }

// describeHTTP turns an API's error body into words: both Okta
// (errorSummary) and Google (error.message) are read.
func describeHTTP(status int, body []byte) string {
	var e struct {
		ErrorSummary string `json:"errorSummary"`
		ErrorCode    string `json:"errorCode"`
		Error        struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	msg := e.ErrorSummary
	if msg == "" {
		msg = e.Error.Message
	}
	if msg == "" {
		msg = strings.TrimSpace(string(body))
		if len(msg) > 200 {
			msg = msg[:200]
		}
	}
	switch status {
	case 401:
		return "the credential is not valid or has expired (401): " + msg
	case 403:
		return "the credential lacks a permission (403): " + msg
	}
	return fmt.Sprintf("HTTP %d: %s", status, msg)
}

func daysSince(s string, now time.Time) any {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || t.Year() < 1980 {
		return nil // Google reports never as 1970
	}
	return int(now.Sub(t).Hours() / 24)
}

// Okta reads an Okta org with an API token (read-only admin).
type Okta struct{ MaxWait time.Duration }

type oktaConfig struct {
	URL string `json:"url"` // https://acme.okta.com
	// PeopleSource makes the org's people the personnel register's.
	PeopleSource bool `json:"people_source"`
}

// Name is the kind's name.
func (Okta) Name() string { return "okta" }

func parseOkta(raw json.RawMessage) (*oktaConfig, error) {
	var c oktaConfig
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, vigil.FieldError("config", "okta settings: %v (fields: url, people_source)", err)
	}
	c.URL = strings.TrimRight(c.URL, "/")
	return &c, nil
}

// Validate checks the settings.
func (Okta) Validate(raw json.RawMessage, secretText string) error {
	c, err := parseOkta(raw)
	if err != nil {
		return err
	}
	if err := kind.SecureURL(c.URL); err != nil {
		return vigil.FieldError("config.url", "url is the org's https address, e.g. https://acme.okta.com: %v", err)
	}
	if secretText == "" {
		return vigil.FieldError("secret", "an API token (from a read-only administrator) is required")
	}
	return nil
}

func (o Okta) client(r *kind.Run) *apiClient {
	wait := o.MaxWait
	if wait == 0 {
		wait = 2 * time.Minute
	}
	return &apiClient{http: &http.Client{Timeout: 30 * time.Second}, maxWait: wait,
		auth: func(req *http.Request) error { req.Header.Set("Authorization", "SSWS "+r.Secret); return nil }}
}

// Test reads one user.
func (o Okta) Test(ctx context.Context, r *kind.Run) error {
	c, err := parseOkta(r.Config)
	if err != nil {
		return err
	}
	var us []any
	_, err = o.client(r).get(ctx, "listing users", c.URL+"/api/v1/users?limit=1", &us)
	return err
}

// Collect lists users (paged by Link headers), their factors, and admins.
func (o Okta) Collect(ctx context.Context, r *kind.Run) (map[string]map[string]any, error) {
	c, err := parseOkta(r.Config)
	if err != nil {
		return nil, err
	}
	cl := o.client(r)
	type oktaUser struct {
		ID        string `json:"id"`
		Status    string `json:"status"`
		LastLogin string `json:"lastLogin"`
		Created   string `json:"created"`
		Profile   struct {
			Login       string `json:"login"`
			Email       string `json:"email"`
			FirstName   string `json:"firstName"`
			LastName    string `json:"lastName"`
			DisplayName string `json:"displayName"`
			Title       string `json:"title"`
			Department  string `json:"department"`
		} `json:"profile"`
	}
	var all []oktaUser
	next := c.URL + "/api/v1/users?limit=200"
	seen := map[string]bool{}
	for next != "" {
		// A next link back to a page already read would loop for ever.
		if seen[next] {
			return nil, fmt.Errorf("listing users: the next page (%s) was already read; Okta's paging went round in a circle", next)
		}
		seen[next] = true
		var page []oktaUser
		h, err := cl.get(ctx, "listing users", next, &page)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		next = ""
		for _, l := range h.Values("Link") {
			if m := linkNext.FindStringSubmatch(l); m != nil {
				next = m[1]
			}
		}
		// The token goes only to the org it was given for.
		if next != "" && !sameOrigin(next, c.URL) {
			return nil, fmt.Errorf("listing users: the next page is on another host (%s); not following it with the token", next)
		}
	}
	out := map[string]any{}
	admins := map[string]bool{}
	// Every page of the users holding a role: the next page is named in
	// the body (_links.next) or, like other lists, in a Link header.
	seenAdmins := map[string]bool{}
	for next := c.URL + "/api/v1/iam/assignees/users?limit=200"; next != ""; {
		if seenAdmins[next] {
			out["admins_error"] = "listing administrators: the next page (" + next + ") was already read; Okta's paging went round in a circle"
			break
		}
		seenAdmins[next] = true
		var page struct {
			Value []oktaUser `json:"value"`
			Links struct {
				Next struct {
					Href string `json:"href"`
				} `json:"next"`
			} `json:"_links"`
		}
		h, err := cl.get(ctx, "listing administrators", next, &page)
		if err != nil {
			out["admins_error"] = err.Error()
			break
		}
		for _, a := range page.Value {
			admins[a.ID] = true
		}
		next = page.Links.Next.Href
		for _, l := range h.Values("Link") {
			if m := linkNext.FindStringSubmatch(l); m != nil && next == "" {
				next = m[1]
			}
		}
		if next != "" && !sameOrigin(next, c.URL) {
			out["admins_error"] = "listing administrators: the next page is on another host (" + next + "); not following it with the token"
			break
		}
	}
	users := make([]any, len(all))
	// Factors are one call per active user: four at a time (each waits
	// out Okta's rate limit on its own), and the first failure stops the
	// rest, whose MFA is then unknown.
	var (
		mfaMu  sync.Mutex
		mfaErr error
		wg     sync.WaitGroup
		sem    = make(chan struct{}, 4)
	)
	fctx, stopFactors := context.WithCancel(ctx)
	defer stopFactors()
	for i, u := range all {
		active := u.Status == "ACTIVE" || u.Status == "PASSWORD_EXPIRED" || u.Status == "LOCKED_OUT" || u.Status == "RECOVERY"
		m := map[string]any{"id": u.Profile.Login, "active": active, "status": u.Status, "admin": admins[u.ID], "mfa": nil, "last_login_days": daysSince(u.LastLogin, r.Now)}
		// Never signed in: idle since the account was made.
		if u.LastLogin == "" {
			m["last_login_days"], m["never_signed_in"] = daysSince(u.Created, r.Now), true
		}
		users[i] = m
		if !active {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-fctx.Done():
				return
			}
			defer func() { <-sem }()
			var fs []struct {
				Status     string `json:"status"`
				FactorType string `json:"factorType"`
			}
			_, err := cl.get(fctx, "factors of "+u.Profile.Login, c.URL+"/api/v1/users/"+url.PathEscape(u.ID)+"/factors", &fs)
			mfaMu.Lock()
			defer mfaMu.Unlock()
			if err != nil {
				if mfaErr == nil && fctx.Err() == nil {
					mfaErr = err
					stopFactors()
				}
				return
			}
			enrolled := false
			for _, f := range fs {
				// A security question or an email link is not a second
				// factor.
				strong := f.FactorType != "question" && f.FactorType != "email"
				enrolled = enrolled || (f.Status == "ACTIVE" && strong)
			}
			m["mfa"] = enrolled
		}()
	}
	wg.Wait()
	if mfaErr == nil && ctx.Err() != nil {
		mfaErr = ctx.Err()
	}
	if mfaErr != nil {
		out["mfa_error"] = mfaErr.Error()
	}
	out["users"] = users
	r.Artifacts = append(r.Artifacts, kind.UserList("Okta users", out))
	// Who is an administrator is unknown when the role list failed: every
	// account then gets the privileged (shorter) removal deadline.
	_, adminsUnknown := out["admins_error"]
	for i, u := range all {
		a := vigil.Account{ExternalID: u.Profile.Login, Email: u.Profile.Email, Username: u.Profile.Login, State: vigil.AccountActive,
			StateReason: u.Status, Privileged: admins[u.ID] || adminsUnknown}
		// MFA as read from the user's factors; when a factors call failed
		// the run's MFA is unknown for everyone, as the check reports it.
		if enrolled, ok := users[i].(map[string]any)["mfa"].(bool); ok && mfaErr == nil {
			a.MFA = &enrolled
		}
		// Okta's deprovisioned and suspended users cannot sign in; staged
		// and provisioned ones can once activated, so they still count.
		if u.Status == "DEPROVISIONED" || u.Status == "SUSPENDED" {
			a.State = vigil.AccountDisabled
		}
		r.Accounts = append(r.Accounts, a)
		if c.PeopleSource && a.State == vigil.AccountActive && u.Profile.Email != "" {
			name := u.Profile.DisplayName
			if name == "" {
				name = strings.TrimSpace(u.Profile.FirstName + " " + u.Profile.LastName)
			}
			r.People = append(r.People, vigil.Person{Email: u.Profile.Email, Name: name, Title: u.Profile.Title, Department: u.Profile.Department})
		}
	}
	r.AccountsListed = true
	r.PeopleListed = c.PeopleSource
	o.collectApps(ctx, r, cl, c)
	return map[string]map[string]any{"okta.directory": out}, nil
}

// Google reads a Google Workspace domain through the Admin SDK with a
// service account allowed domain-wide delegation; the secret is the
// service account's JSON key, the config names the admin to act as.
type Google struct {
	MaxWait time.Duration
	// TokenURL and APIURL are Google's; tests point them elsewhere.
	TokenURL, APIURL string
}

type googleConfig struct {
	Subject string `json:"subject"` // an administrator's address the service account acts for
	Domain  string `json:"domain"`
	// PeopleSource makes the domain's people the personnel register's.
	PeopleSource bool `json:"people_source"`
}

// Name is the kind's name.
func (Google) Name() string { return "google" }

func parseGoogle(raw json.RawMessage) (*googleConfig, error) {
	var c googleConfig
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, vigil.FieldError("config", "google settings: %v (fields: subject, domain, people_source)", err)
	}
	return &c, nil
}

type serviceAccount struct {
	Email        string `json:"client_email"`
	PrivateKey   string `json:"private_key"`
	PrivateKeyID string `json:"private_key_id"`
}

// Validate checks the settings and the key's shape.
func (Google) Validate(raw json.RawMessage, secretText string) error {
	c, err := parseGoogle(raw)
	if err != nil {
		return err
	}
	if !strings.Contains(c.Subject, "@") {
		return vigil.FieldError("config.subject", "subject is an administrator's address, e.g. admin@acme.com")
	}
	var sa serviceAccount
	if err := json.Unmarshal([]byte(secretText), &sa); err != nil || sa.Email == "" || !strings.Contains(sa.PrivateKey, "PRIVATE KEY") {
		return vigil.FieldError("secret", "the secret is the service account's JSON key (with client_email and private_key)")
	}
	return nil
}

func (g Google) client(r *kind.Run, c *googleConfig) (*apiClient, error) {
	return g.clientFor(r, c, "https://www.googleapis.com/auth/admin.directory.user.readonly")
}

// clientFor acts for the subject with one scope: the token reads ask for
// theirs apart, so that a delegation without it still lists the users.
func (g Google) clientFor(r *kind.Run, c *googleConfig, scope string) (*apiClient, error) {
	var sa serviceAccount
	if err := json.Unmarshal([]byte(r.Secret), &sa); err != nil {
		return nil, errors.New("the service account key is not JSON")
	}
	tokenURL := g.TokenURL
	if tokenURL == "" {
		tokenURL = "https://oauth2.googleapis.com/token"
	}
	jc := &jwt.Config{Email: sa.Email, PrivateKey: []byte(sa.PrivateKey), PrivateKeyID: sa.PrivateKeyID, Subject: c.Subject, TokenURL: tokenURL,
		Scopes: []string{scope}}
	ts := jc.TokenSource(context.Background())
	wait := g.MaxWait
	if wait == 0 {
		wait = 2 * time.Minute
	}
	return &apiClient{http: &http.Client{Timeout: 30 * time.Second}, maxWait: wait, auth: func(req *http.Request) error {
		tok, err := ts.Token()
		if err != nil {
			return fmt.Errorf("getting an access token as %s for %s: %v", sa.Email, c.Subject, err)
		}
		tok.SetAuthHeader(req)
		return nil
	}}, nil
}

func (g Google) api() string {
	if g.APIURL != "" {
		return strings.TrimRight(g.APIURL, "/")
	}
	return "https://admin.googleapis.com"
}

type googleUsers struct {
	Users []struct {
		PrimaryEmail     string `json:"primaryEmail"`
		IsAdmin          bool   `json:"isAdmin"`
		IsEnrolledIn2Sv  bool   `json:"isEnrolledIn2Sv"`
		Suspended        bool   `json:"suspended"`
		LastLoginTime    string `json:"lastLoginTime"`
		IsDelegatedAdmin bool   `json:"isDelegatedAdmin"`
		CreationTime     string `json:"creationTime"`
		Name             struct {
			FullName string `json:"fullName"`
		} `json:"name"`
		Organizations []struct {
			Title      string `json:"title"`
			Department string `json:"department"`
			Primary    bool   `json:"primary"`
		} `json:"organizations"`
	} `json:"users"`
	NextPageToken string `json:"nextPageToken"`
}

func (g Google) usersURL(c *googleConfig, token string) string {
	q := url.Values{"maxResults": {"500"}}
	if c.Domain != "" {
		q.Set("domain", c.Domain)
	} else {
		q.Set("customer", "my_customer")
	}
	if token != "" {
		q.Set("pageToken", token)
	}
	return g.api() + "/admin/directory/v1/users?" + q.Encode()
}

// Test reads one page of users.
func (g Google) Test(ctx context.Context, r *kind.Run) error {
	c, err := parseGoogle(r.Config)
	if err != nil {
		return err
	}
	cl, err := g.client(r, c)
	if err != nil {
		return err
	}
	var page googleUsers
	_, err = cl.get(ctx, "listing users", g.usersURL(c, ""), &page)
	return err
}

// Collect lists every user with 2-Step Verification, admin and suspension.
func (g Google) Collect(ctx context.Context, r *kind.Run) (map[string]map[string]any, error) {
	c, err := parseGoogle(r.Config)
	if err != nil {
		return nil, err
	}
	cl, err := g.client(r, c)
	if err != nil {
		return nil, err
	}
	var users []any
	var active []string // for the token reads
	token := ""
	for {
		var page googleUsers
		if _, err := cl.get(ctx, "listing users", g.usersURL(c, token), &page); err != nil {
			return nil, err
		}
		for _, u := range page.Users {
			m := map[string]any{"id": u.PrimaryEmail, "active": !u.Suspended, "admin": u.IsAdmin || u.IsDelegatedAdmin,
				"mfa": u.IsEnrolledIn2Sv, "last_login_days": daysSince(u.LastLoginTime, r.Now)}
			if m["last_login_days"] == nil { // never signed in: idle since creation
				m["last_login_days"], m["never_signed_in"] = daysSince(u.CreationTime, r.Now), true
			}
			users = append(users, m)
			if !u.Suspended {
				active = append(active, u.PrimaryEmail)
			}
			enrolled := u.IsEnrolledIn2Sv
			a := vigil.Account{ExternalID: u.PrimaryEmail, Email: u.PrimaryEmail, State: vigil.AccountActive, Privileged: u.IsAdmin || u.IsDelegatedAdmin, MFA: &enrolled}
			if u.Suspended {
				a.State, a.StateReason = vigil.AccountDisabled, "suspended"
			}
			r.Accounts = append(r.Accounts, a)
			if c.PeopleSource && !u.Suspended {
				p := vigil.Person{Email: u.PrimaryEmail, Name: u.Name.FullName}
				// The primary organization, else the first.
				for i, o := range u.Organizations {
					if i == 0 || o.Primary {
						p.Title, p.Department = o.Title, o.Department
					}
					if o.Primary {
						break
					}
				}
				r.People = append(r.People, p)
			}
		}
		if page.NextPageToken == "" {
			break
		}
		token = page.NextPageToken
	}
	in := map[string]any{"users": kind.NonNil(users)}
	r.Artifacts = append(r.Artifacts, kind.UserList("Google Workspace users", in))
	r.AccountsListed = true
	r.PeopleListed = c.PeopleSource
	g.collectTokens(ctx, r, c, active)
	return map[string]map[string]any{"google.directory": in}, nil
}

func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Scheme == ub.Scheme && ua.Host == ub.Host
}
