package integrations

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/go-github/v74/github"
	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/gitchange"
	"github.com/vigil-soc/vigil/integrations/changes"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// githubState is what the GitHub kind remembers between runs: for each
// repository, the rewrites of its default branch found so far (GitHub's
// events forget after 90 days) and from when its pushes are known.
type githubState struct {
	Repos map[string]*repoHistory `json:"repos,omitempty"`
}

type repoHistory struct {
	Rewrites  []gitchange.Rewrite  `json:"rewrites,omitempty"`
	KnownFrom *time.Time           `json:"known_from,omitempty"`
	CheckedAt *time.Time           `json:"checked_at,omitempty"`
	Judged    map[string]time.Time `json:"judged_pushes,omitempty"`
}

// githubWindow is the window the GitHub kind judges history over: the
// audit scope's Type II window, else the last 90 days (GitHub's events
// reach no further).
func githubWindow(sc *vigil.Scope, now time.Time) changes.Window {
	if sc != nil && sc.AuditType == vigil.AuditType2 && sc.WindowStart != "" && sc.WindowEnd != "" {
		start, end := sc.WindowStart.Time(), sc.WindowEnd.Time().AddDate(0, 0, 1)
		if end.After(start) {
			return changes.Window{Since: start.UTC(), Until: end.UTC(), Source: fmt.Sprintf("the audit window (Type II, %s to %s, both days included)", sc.WindowStart, sc.WindowEnd)}
		}
	}
	return changes.Window{Since: now.UTC().AddDate(0, 0, -90), Until: now.UTC(), Source: "no audit window is set: the last 90 days"}
}

// history reads, for each repository's default branch, the pushes GitHub
// recorded (push events) and finds those that rewrote history, with who
// pushed, when and what was dropped; and the organization's audit log for
// branch protection overridden by an administrator. What could not be
// read is said, per repository and for the audit log: never "none found".
func (g GitHub) history(ctx context.Context, r *Run, cl *github.Client, c *githubConfig, list []*github.Repository, failed []any, listErr string) map[string]any {
	var prev githubState
	_ = json.Unmarshal(r.State, &prev)
	if prev.Repos == nil {
		prev.Repos = map[string]*repoHistory{}
	}
	win := githubWindow(kind.ScopeFrom(ctx), r.Now)
	next := githubState{Repos: map[string]*repoHistory{}}
	repos := []any{}
	var names []string
	for _, rp := range list {
		if rp.GetArchived() {
			continue
		}
		name, branch := rp.GetName(), rp.GetDefaultBranch()
		names = append(names, c.Org+"/"+name)
		ph := prev.Repos[name]
		if ph == nil {
			ph = &repoHistory{}
		}
		var sources []changes.HistorySource
		var unknown []any
		judged := changes.PruneJudged(ph.Judged, win)
		rws, unk, from, err := pushRewrites(ctx, g, cl, c.Org, name, branch, win, r.Now, nil, judged)
		if err != nil {
			sources = append(sources, changes.HistorySource{Name: "GitHub push events", Err: err.Error()})
		} else {
			sources = append(sources, changes.HistorySource{Name: "GitHub push events", From: from})
			unknown = append(unknown, unk...)
		}
		gaps, kf, ck := changes.Coverage(sources, ph.KnownFrom, ph.CheckedAt, r.Now, win, "")
		unknown = append(unknown, gaps...)
		seen := map[string]bool{}
		var all []gitchange.Rewrite
		for _, rw := range append(append([]gitchange.Rewrite{}, ph.Rewrites...), rws...) {
			k := rw.Source + " " + rw.From + " " + rw.To
			if seen[k] || rw.At.Before(win.Since) || !rw.At.Before(win.Until) {
				continue
			}
			seen[k] = true
			all = append(all, rw)
		}
		sort.SliceStable(all, func(i, j int) bool { return all[i].At.Before(all[j].At) })
		next.Repos[name] = &repoHistory{Rewrites: all, KnownFrom: kf, CheckedAt: ck, Judged: judged}
		items := []any{}
		for _, rw := range all {
			it := changes.RewriteItem(rw)
			it["id"] = name + ": " + it["id"].(string)
			items = append(items, it)
		}
		for _, u := range unknown {
			m := u.(map[string]any)
			m["id"] = name + ": " + m["id"].(string)
		}
		repos = append(repos, map[string]any{"id": name, "branch": branch, "rewrites": items, "unknown": kind.NonNil(unknown)})
	}
	// A repository the settings name that could not be read is judged
	// unknown, not left out.
	repos = append(repos, failed...)
	r.NewState, _ = json.Marshal(next)
	out := map[string]any{"org": c.Org, "since": win.Since.Format(time.RFC3339), "until": win.Until.Format(time.RFC3339), "window_source": win.Source, "repos": repos}
	if listErr != "" {
		out["error"] = listErr
	}
	overrides, err := g.overrides(ctx, cl, c.Org, names, win)
	if err != nil {
		out["audit_log_error"] = "the organization's audit log could not be read, so overridden branch protection is unknown (it needs an organization owner's token with read:audit_log, on GitHub Enterprise Cloud): " + err.Error()
	} else {
		out["overrides"] = overrides
	}
	return out
}

// overrides lists the organization audit log's protected_branch.policy_override
// entries (an administrator overrode a branch protection requirement: a
// push or merge the protection would have refused) for the repositories
// judged, in the window.
func (g GitHub) overrides(ctx context.Context, cl *github.Client, org string, repos []string, win changes.Window) ([]any, error) {
	judged := map[string]bool{}
	for _, r := range repos {
		judged[strings.ToLower(r)] = true
	}
	phrase := "action:protected_branch.policy_override created:>=" + win.Since.Format(time.DateOnly)
	opt := &github.GetAuditLogOptions{Phrase: &phrase, ListCursorOptions: github.ListCursorOptions{PerPage: 100}}
	out := []any{}
	for {
		var page []*github.AuditEntry
		var resp *github.Response
		if err := g.call(ctx, "audit log of "+org, func() (*github.Response, error) {
			var err error
			page, resp, err = cl.Organizations.GetAuditLog(ctx, org, opt)
			return resp, err
		}); err != nil {
			return nil, err
		}
		for _, e := range page {
			if e.GetAction() != "protected_branch.policy_override" {
				continue
			}
			at := e.GetTimestamp().Time
			if at.IsZero() {
				at = e.GetCreatedAt().Time
			}
			at = at.UTC()
			if at.Before(win.Since) || !at.Before(win.Until) {
				continue
			}
			repo, _ := e.AdditionalFields["repo"].(string)
			if repo != "" && !judged[strings.ToLower(repo)] {
				continue
			}
			branch, _ := e.AdditionalFields["branch"].(string)
			what := "branch protection overridden"
			if branch != "" {
				what += " on " + branch
			}
			why := fmt.Sprintf("%s in %s by %s at %s (audit log)", what, repo, e.GetActor(), at.Format(time.RFC3339))
			out = append(out, map[string]any{"id": fmt.Sprintf("%s: %s at %s", repo, e.GetActor(), at.Format(time.RFC3339)), "ok": false, "why": why,
				"repo": repo, "actor": e.GetActor(), "at": at.Format(time.RFC3339)})
		}
		switch {
		case resp.After != "":
			opt.ListCursorOptions.After = resp.After
		case resp.NextPage != 0:
			opt.ListCursorOptions.Page = fmt.Sprint(resp.NextPage)
		default:
			return out, nil
		}
	}
}
