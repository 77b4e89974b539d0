// Package github is the github integration kind: an organization's
// branch protection, two-factor enforcement, outside collaborators, open
// security alerts and branch history. It also gives the git kind its
// GitHub client (Client, Call) and the reading of push events
// (PushRewrites).
package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v74/github"
	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// GitHub tests an organization on GitHub (or GitHub Enterprise): members
// without 2FA, owners, outside collaborators, default-branch protection,
// overdue Dependabot and code-scanning alerts, secret scanning. The token
// is the secret. Every API family is read on its own: a missing
// permission for one is an error on its checks, never hiding the rest.
type GitHub struct {
	// MaxWait bounds how long a run waits out GitHub's rate limit.
	MaxWait time.Duration
}

type githubConfig struct {
	Org    string         `json:"org"`
	Repos  []string       `json:"repos"`   // default: every repository of the organization
	APIURL string         `json:"api_url"` // GitHub Enterprise: https://ghe.example.com/api/v3/
	Days   map[string]int `json:"alert_days"`
}

// Name is the kind's name.
func (GitHub) Name() string { return "github" }

func parseGitHub(raw json.RawMessage) (*githubConfig, error) {
	var c githubConfig
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, vigil.FieldError("config", "github settings: %v (fields: org, repos, api_url, alert_days)", err)
	}
	days := map[string]int{"critical": 7, "high": 30, "medium": 90, "low": 180}
	for k, v := range c.Days {
		days[k] = v
	}
	c.Days = days
	return &c, nil
}

// Validate checks the settings.
func (GitHub) Validate(raw json.RawMessage, secretText string) error {
	c, err := parseGitHub(raw)
	if err != nil {
		return err
	}
	switch {
	case c.Org == "" || strings.ContainsAny(c.Org, "/ ?#"):
		return vigil.FieldError("config.org", "org is the organization's login, e.g. acme")
	case secretText == "":
		return vigil.FieldError("secret", "a token is required (read:org, repo and security_events scopes, or a fine-grained token with read access to administration, members and security alerts)")
	}
	if c.APIURL != "" {
		if err := kind.SecureURL(c.APIURL); err != nil {
			return vigil.FieldError("config.api_url", "api_url must be the API's https URL, e.g. https://ghe.example.com/api/v3/: %v", err)
		}
	}
	return nil
}

func (g GitHub) client(r *kind.Run, c *githubConfig) (*github.Client, error) {
	cl := github.NewClient(&http.Client{Timeout: 30 * time.Second}).WithAuthToken(r.Secret)
	if c.APIURL != "" {
		u := strings.TrimRight(c.APIURL, "/") + "/"
		var err error
		if cl, err = cl.WithEnterpriseURLs(u, u); err != nil {
			return nil, err
		}
	}
	return cl, nil
}

// call runs one API call, waiting out rate limits (up to MaxWait) and
// retrying server errors with backoff.
func (g GitHub) call(ctx context.Context, what string, fn func() (*github.Response, error)) error {
	maxWait := g.MaxWait
	if maxWait == 0 {
		maxWait = 2 * time.Minute
	}
	backoff := time.Second
	deadline := time.Now().Add(maxWait)
	for {
		resp, err := fn()
		if err == nil {
			return nil
		}
		var rl *github.RateLimitError
		var abuse *github.AbuseRateLimitError
		wait := time.Duration(0)
		switch {
		case errors.As(err, &rl):
			wait = time.Until(rl.Rate.Reset.Time) + time.Second
		case errors.As(err, &abuse):
			wait = 30 * time.Second
			if abuse.RetryAfter != nil {
				wait = *abuse.RetryAfter
			}
		case resp != nil && resp.StatusCode >= 500:
			wait = backoff
			backoff *= 2
		default:
			return describeGitHub(what, resp, err)
		}
		if time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("%s: GitHub's rate limit or errors did not clear within %s: %v", what, maxWait, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// describeGitHub turns an API refusal into what to do about it.
func describeGitHub(what string, resp *github.Response, err error) error {
	var er *github.ErrorResponse
	if errors.As(err, &er) {
		switch er.Response.StatusCode {
		case 401:
			return fmt.Errorf("%s: the token is not valid or has expired (401)", what)
		case 403:
			need := er.Response.Header.Get("X-Accepted-GitHub-Permissions")
			if need == "" {
				need = er.Response.Header.Get("X-Accepted-OAuth-Scopes")
			}
			if need != "" {
				return fmt.Errorf("%s: the token lacks a permission (GitHub accepts: %s): %s", what, need, er.Message)
			}
			return fmt.Errorf("%s: forbidden (403): %s", what, er.Message)
		case 404:
			return fmt.Errorf("%s: not found, or the token cannot see it (404): %s", what, er.Message)
		}
		return fmt.Errorf("%s: GitHub answered %d: %s", what, er.Response.StatusCode, er.Message)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Test reads the organization and the repositories as a run reads them:
// each repository the settings name, or the organization's list. A
// repository that cannot be read fails the test, named: a run would judge
// nothing of it.
func (g GitHub) Test(ctx context.Context, r *kind.Run) error {
	c, err := parseGitHub(r.Config)
	if err != nil {
		return err
	}
	cl, err := g.client(r, c)
	if err != nil {
		return err
	}
	if err := g.call(ctx, "reading organization "+c.Org, func() (*github.Response, error) {
		_, resp, err := cl.Organizations.Get(ctx, c.Org)
		return resp, err
	}); err != nil {
		return err
	}
	if len(c.Repos) == 0 {
		return g.call(ctx, "listing the repositories of "+c.Org, func() (*github.Response, error) {
			_, resp, err := cl.Repositories.ListByOrg(ctx, c.Org, &github.RepositoryListByOrgOptions{ListOptions: github.ListOptions{PerPage: 1}})
			return resp, err
		})
	}
	var bad []string
	for _, name := range c.Repos {
		if err := g.call(ctx, "repository "+c.Org+"/"+name, func() (*github.Response, error) {
			_, resp, err := cl.Repositories.Get(ctx, c.Org, name)
			return resp, err
		}); err != nil {
			bad = append(bad, err.Error())
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d of the %d repositories in the settings cannot be read: %s", len(bad), len(c.Repos), strings.Join(bad, "; "))
	}
	return nil
}

func logins(us []*github.User) []any {
	out := []any{}
	for _, u := range us {
		out = append(out, u.GetLogin())
	}
	return out
}

// listUsers pages through a user list.
func (g GitHub) listUsers(ctx context.Context, what string, page func(opt github.ListOptions) ([]*github.User, *github.Response, error)) ([]*github.User, error) {
	var all []*github.User
	opt := github.ListOptions{PerPage: 100}
	for {
		var us []*github.User
		var resp *github.Response
		err := g.call(ctx, what, func() (*github.Response, error) {
			var err error
			us, resp, err = page(opt)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		all = append(all, us...)
		if resp.NextPage == 0 {
			return all, nil
		}
		opt.Page = resp.NextPage
	}
}

// Collect reads the organization and its repositories.
func (g GitHub) Collect(ctx context.Context, r *kind.Run) (map[string]map[string]any, error) {
	c, err := parseGitHub(r.Config)
	if err != nil {
		return nil, err
	}
	cl, err := g.client(r, c)
	if err != nil {
		return nil, err
	}
	org := map[string]any{"org": c.Org}
	if us, err := g.listUsers(ctx, "members without 2FA", func(o github.ListOptions) ([]*github.User, *github.Response, error) {
		return cl.Organizations.ListMembers(ctx, c.Org, &github.ListMembersOptions{Filter: "2fa_disabled", ListOptions: o})
	}); err != nil {
		org["no_2fa_error"] = err.Error()
	} else {
		org["no_2fa"] = logins(us)
	}
	if us, err := g.listUsers(ctx, "owners", func(o github.ListOptions) ([]*github.User, *github.Response, error) {
		return cl.Organizations.ListMembers(ctx, c.Org, &github.ListMembersOptions{Role: "admin", ListOptions: o})
	}); err != nil {
		org["owners_error"] = err.Error()
	} else {
		org["owners"] = logins(us)
	}
	if us, err := g.listUsers(ctx, "outside collaborators", func(o github.ListOptions) ([]*github.User, *github.Response, error) {
		return cl.Organizations.ListOutsideCollaborators(ctx, c.Org, &github.ListOutsideCollaboratorsOptions{ListOptions: o})
	}); err != nil {
		org["outside_error"] = err.Error()
	} else {
		org["outside"] = logins(us)
	}
	repos := map[string]any{"org": c.Org, "repos": []any{}}
	var list []*github.Repository
	if len(c.Repos) > 0 {
		for _, name := range c.Repos {
			var rp *github.Repository
			if err := g.call(ctx, "repository "+name, func() (*github.Response, error) {
				var resp *github.Response
				var err error
				rp, resp, err = cl.Repositories.Get(ctx, c.Org, name)
				return resp, err
			}); err != nil {
				repos["repos"] = append(repos["repos"].([]any), map[string]any{"id": name, "error": err.Error()})
				continue
			}
			list = append(list, rp)
		}
	} else {
		opt := &github.RepositoryListByOrgOptions{ListOptions: github.ListOptions{PerPage: 100}}
		for {
			var page []*github.Repository
			var resp *github.Response
			if err := g.call(ctx, "listing repositories", func() (*github.Response, error) {
				var err error
				page, resp, err = cl.Repositories.ListByOrg(ctx, c.Org, opt)
				return resp, err
			}); err != nil {
				repos["error"] = err.Error()
				break
			}
			list = append(list, page...)
			if resp.NextPage == 0 {
				break
			}
			opt.Page = resp.NextPage
		}
	}
	// The repositories named in the settings that could not be read are
	// errors in the history too.
	failed := append([]any{}, repos["repos"].([]any)...)
	for _, rp := range list {
		if rp.GetArchived() {
			continue
		}
		repos["repos"] = append(repos["repos"].([]any), g.repo(ctx, cl, c, rp, r.Now))
	}
	listErr, _ := repos["error"].(string)
	history := g.history(ctx, r, cl, c, list, failed, listErr)
	return map[string]map[string]any{"github.org": org, "github.repos": repos, "github.history": history}, nil
}

func (g GitHub) repo(ctx context.Context, cl *github.Client, c *githubConfig, rp *github.Repository, now time.Time) map[string]any {
	name, branch := rp.GetName(), rp.GetDefaultBranch()
	out := map[string]any{"id": name, "default_branch": branch, "secret_scanning": ""}
	if sa := rp.GetSecurityAndAnalysis(); sa != nil && sa.SecretScanning != nil {
		out["secret_scanning"] = sa.SecretScanning.GetStatus()
	}
	out["protection"] = g.protection(ctx, cl, c.Org, name, branch)
	var overdue []any
	open := 0
	late := func(kind string, number int, sev string, created time.Time) {
		open++
		days, ok := c.Days[strings.ToLower(sev)]
		if !ok {
			days = c.Days["low"]
		}
		if age := int(now.Sub(created).Hours() / 24); age > days {
			overdue = append(overdue, fmt.Sprintf("%s #%d (%s) open %d days, deadline %d", kind, number, sev, age, days))
		}
	}
	state := "open"
	var das []*github.DependabotAlert
	dopt := &github.ListAlertsOptions{State: &state, ListCursorOptions: github.ListCursorOptions{PerPage: 100}}
	for {
		var page []*github.DependabotAlert
		var resp *github.Response
		if err := g.call(ctx, name+": Dependabot alerts", func() (*github.Response, error) {
			var err error
			page, resp, err = cl.Dependabot.ListRepoAlerts(ctx, c.Org, name, dopt)
			return resp, err
		}); err != nil {
			out["alerts_error"] = err.Error()
			break
		}
		das = append(das, page...)
		// Every page: the oldest alerts, the overdue ones, come last.
		if resp.After == "" && resp.NextPage == 0 {
			break
		}
		dopt.ListCursorOptions.After, dopt.ListOptions.Page = resp.After, resp.NextPage
	}
	for _, a := range das {
		late("Dependabot", a.GetNumber(), a.GetSecurityAdvisory().GetSeverity(), a.GetCreatedAt().Time)
	}
	var cas []*github.Alert
	copt := &github.AlertListOptions{State: "open", ListOptions: github.ListOptions{PerPage: 100}}
	for {
		var page []*github.Alert
		var resp *github.Response
		err := g.call(ctx, name+": code scanning alerts", func() (*github.Response, error) {
			var err error
			page, resp, err = cl.CodeScanning.ListAlertsForRepo(ctx, c.Org, name, copt)
			return resp, err
		})
		if err != nil {
			// Code scanning never set up answers 404 "no analysis found":
			// no alerts. Any other 404 (the token cannot see it) is an error.
			if !strings.Contains(strings.ToLower(err.Error()), "no analysis found") {
				out["alerts_error"] = err.Error()
			}
			break
		}
		cas = append(cas, page...)
		if resp.NextPage == 0 {
			break
		}
		copt.ListOptions.Page = resp.NextPage
	}
	for _, a := range cas {
		sev := a.GetRule().GetSecuritySeverityLevel()
		if sev == "" {
			sev = a.GetRuleSeverity()
		}
		late("code scanning", a.GetNumber(), sev, a.GetCreatedAt().Time)
	}
	out["alerts_open"], out["alerts_overdue"] = open, kind.NonNil(overdue)
	return out
}

// protection lists every source of rules on a branch: classic branch
// protection and each active ruleset (the repository's own and those
// inherited from the organization), with what each requires and who may
// bypass it. GitHub enforces all of them together, so the check asks
// whether each requirement is enforced by some source nobody may bypass.
// What cannot be read is listed under "unknown" (a source that could not
// be read may enforce anything), and a ruleset whose bypass list GitHub
// withholds has bypass "unknown": neither is ever taken as enforced.
func (g GitHub) protection(ctx context.Context, cl *github.Client, org, repo, branch string) map[string]any {
	sources, unknown := []any{}, []any{}
	var p *github.Protection
	err := g.call(ctx, repo+": branch protection of "+branch, func() (*github.Response, error) {
		var resp *github.Response
		var err error
		p, resp, err = cl.Repositories.GetBranchProtection(ctx, org, repo, branch)
		return resp, err
	})
	switch {
	case errors.Is(err, github.ErrBranchNotProtected):
	case err != nil:
		unknown = append(unknown, err.Error())
	default:
		// Administrators bypass everything unless it is enforced for them
		// too; the review requirement can further be waived for the users,
		// teams and apps listed as allowed to bypass pull requests, so the
		// reviews are a source of their own.
		admins := "administrators"
		if p.GetEnforceAdmins() != nil && p.GetEnforceAdmins().Enabled {
			admins = ""
		}
		checks := false
		if rc := p.RequiredStatusChecks; rc != nil {
			checks = (rc.Contexts != nil && len(*rc.Contexts) > 0) || (rc.Checks != nil && len(*rc.Checks) > 0)
		}
		sources = append(sources, map[string]any{"source": "branch protection", "bypass": admins, "required_reviews": 0, "dismiss_stale": false,
			"status_checks": checks, "blocks_force_push": p.GetAllowForcePushes() == nil || !p.GetAllowForcePushes().Enabled})
		if rv := p.GetRequiredPullRequestReviews(); rv != nil {
			var who []string
			if admins != "" {
				who = append(who, admins)
			}
			if a := rv.BypassPullRequestAllowances; a != nil {
				for _, u := range a.Users {
					who = append(who, "user "+u.GetLogin())
				}
				for _, t := range a.Teams {
					who = append(who, "team "+t.GetSlug())
				}
				for _, ap := range a.Apps {
					who = append(who, "app "+ap.GetSlug())
				}
			}
			sources = append(sources, map[string]any{"source": "branch protection (reviews)", "bypass": strings.Join(who, ", "),
				"required_reviews": rv.RequiredApprovingReviewCount, "dismiss_stale": rv.DismissStaleReviews, "status_checks": false, "blocks_force_push": false})
		}
	}

	// Rulesets: the rules that apply to the branch, grouped by ruleset.
	type ruleset struct {
		meta                   github.BranchRuleMetadata
		reviews                int
		stale, checks, noForce bool
	}
	byID := map[int64]*ruleset{}
	var order []int64
	get := func(m github.BranchRuleMetadata) *ruleset {
		rs := byID[m.RulesetID]
		if rs == nil {
			rs = &ruleset{meta: m}
			byID[m.RulesetID] = rs
			order = append(order, m.RulesetID)
		}
		return rs
	}
	opt := &github.ListOptions{PerPage: 100}
	for {
		var rules *github.BranchRules
		var resp *github.Response
		if err := g.call(ctx, repo+": rulesets of "+branch, func() (*github.Response, error) {
			var err error
			rules, resp, err = cl.Repositories.GetRulesForBranch(ctx, org, repo, branch, opt)
			return resp, err
		}); err != nil {
			unknown = append(unknown, err.Error())
			byID, order = map[int64]*ruleset{}, nil
			break
		}
		if rules != nil {
			for _, r := range rules.PullRequest {
				rs := get(r.BranchRuleMetadata)
				rs.reviews = max(rs.reviews, r.Parameters.RequiredApprovingReviewCount)
				rs.stale = rs.stale || r.Parameters.DismissStaleReviewsOnPush
			}
			for _, r := range rules.RequiredStatusChecks {
				rs := get(r.BranchRuleMetadata)
				rs.checks = rs.checks || len(r.Parameters.RequiredStatusChecks) > 0
			}
			for _, r := range rules.NonFastForward {
				get(*r).noForce = true
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	for _, id := range order {
		rs := byID[id]
		src := map[string]any{"source": fmt.Sprintf("ruleset %d (%s %s)", id, strings.ToLower(string(rs.meta.RulesetSourceType)), rs.meta.RulesetSource),
			"bypass": "", "required_reviews": rs.reviews, "dismiss_stale": rs.stale, "status_checks": rs.checks, "blocks_force_push": rs.noForce}
		var full *github.RepositoryRuleset
		if err := g.call(ctx, fmt.Sprintf("%s: ruleset %d", repo, id), func() (*github.Response, error) {
			var resp *github.Response
			var err error
			full, resp, err = cl.Repositories.GetRuleset(ctx, org, repo, id, true)
			return resp, err
		}); err != nil {
			src["bypass"], src["bypass_error"] = "unknown", err.Error()
			sources = append(sources, src)
			continue
		}
		if full.Name != "" {
			src["source"] = fmt.Sprintf("ruleset %q (%s %s)", full.Name, strings.ToLower(string(rs.meta.RulesetSourceType)), rs.meta.RulesetSource)
		}
		if full.Enforcement != "" && full.Enforcement != github.RulesetEnforcementActive {
			continue // evaluate mode only reports; it enforces nothing
		}
		if full.BypassActors == nil {
			// GitHub withholds the list from tokens without write access to
			// the ruleset: an empty answer is not "nobody".
			src["bypass"], src["bypass_error"] = "unknown", fmt.Sprintf("GitHub did not say who may bypass %s: it tells only tokens with write access to the ruleset (repository or organization administration)", src["source"])
		} else if who := bypassActors(full.BypassActors); who != "" {
			src["bypass"] = who
		}
		sources = append(sources, src)
	}
	return map[string]any{"sources": sources, "unknown": unknown}
}

// bypassActors describes who may bypass a ruleset ("" for nobody).
func bypassActors(actors []*github.BypassActor) string {
	var who []string
	for _, a := range actors {
		mode := github.BypassModeAlways // GitHub's default when unset
		if a.BypassMode != nil {
			mode = *a.BypassMode
		}
		if mode == github.BypassModeNever {
			continue
		}
		var typ github.BypassActorType
		if a.ActorType != nil {
			typ = *a.ActorType
		}
		var s string
		switch typ {
		case github.BypassActorTypeOrganizationAdmin:
			s = "organization administrators"
		case github.BypassActorTypeDeployKey:
			s = "deploy keys"
		case github.BypassActorTypeRepositoryRole:
			s = fmt.Sprintf("repository role %d", a.GetActorID())
		case github.BypassActorTypeTeam:
			s = fmt.Sprintf("team %d", a.GetActorID())
		case github.BypassActorTypeIntegration:
			s = fmt.Sprintf("app %d", a.GetActorID())
		default:
			s = fmt.Sprintf("%s %d", typ, a.GetActorID())
		}
		if mode == github.BypassModePullRequest {
			s += " (through pull requests)"
		}
		who = append(who, s)
	}
	return strings.Join(who, ", ")
}

// Client is a GitHub API client for another kind's run (the git kind
// reads reviews and pushes from GitHub): the run's secret is the token;
// apiURL is empty for github.com.
func (g GitHub) Client(r *kind.Run, apiURL string) (*github.Client, error) {
	return g.client(r, &githubConfig{APIURL: apiURL})
}

// Call makes one API call, waiting out rate limits and describing a
// failure with what was being read.
func (g GitHub) Call(ctx context.Context, what string, fn func() (*github.Response, error)) error {
	return g.call(ctx, what, fn)
}
