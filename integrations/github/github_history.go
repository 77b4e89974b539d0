package github

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
func (g GitHub) history(ctx context.Context, r *kind.Run, cl *github.Client, c *githubConfig, list []*github.Repository, failed []any, listErr string) map[string]any {
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
		rws, unk, from, err := PushRewrites(ctx, g, cl, c.Org, name, branch, win, r.Now, nil, judged)
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

// PushRewrites reads a repository's push events and judges each push to
// the branch in the window; local, when set, is a copy of the repository
// to judge from before asking GitHub. judged, when set, holds the pushes
// judged by earlier runs (old..new => when): a push's verdict never
// changes, and the rewrites among them are already remembered, so they
// are not compared again (GitHub's rate limit is per hour); the pushes
// judged now are added.
func PushRewrites(ctx context.Context, gh GitHub, cl *github.Client, owner, name, branch string, win changes.Window, now time.Time, local *gitchange.Options, judged map[string]time.Time) ([]gitchange.Rewrite, []any, time.Time, error) {
	full := owner + "/" + name
	has := func(id string) bool { return local != nil && gitchange.HasCommit(ctx, *local, id) }
	var rewrites []gitchange.Rewrite
	var unknown []any
	opt := &github.ListOptions{PerPage: 100}
	total := 0
	var oldest time.Time
	reachedStart := false
	for !reachedStart {
		var page []*github.Event
		var resp *github.Response
		if err := gh.call(ctx, "push events of "+full, func() (*github.Response, error) {
			var err error
			page, resp, err = cl.Activity.ListRepositoryEvents(ctx, owner, name, opt)
			return resp, err
		}); err != nil {
			return nil, nil, time.Time{}, err
		}
		for _, ev := range page {
			total++
			at := ev.GetCreatedAt().Time.UTC()
			if oldest.IsZero() || at.Before(oldest) {
				oldest = at
			}
			if at.Before(win.Since) {
				reachedStart = true
			}
			if ev.GetType() != "PushEvent" || at.Before(win.Since) || !at.Before(win.Until) {
				continue
			}
			pl, err := ev.ParsePayload()
			pe, ok := pl.(*github.PushEvent)
			if err != nil || !ok {
				unknown = append(unknown, map[string]any{"id": "event " + ev.GetID(), "error": fmt.Sprintf("a push event of %s could not be read: %v", at.Format(time.RFC3339), err)})
				continue
			}
			if pe.GetRef() != "refs/heads/"+branch {
				continue
			}
			before, head := pe.GetBefore(), pe.GetHead()
			if head == "" {
				head = pe.GetAfter()
			}
			if strings.Trim(before, "0") == "" || strings.Trim(head, "0") == "" || before == head {
				continue // the branch created or deleted: nothing rewritten
			}
			key := before + ".." + head
			if _, done := judged[key]; done {
				continue
			}
			rw := gitchange.Rewrite{At: at, Who: ev.GetActor().GetLogin(), From: before, To: head, Source: "GitHub push event " + fmt.Sprint(pe.GetPushID())}
			forced, known := false, false
			if pe.Forced != nil {
				forced, known = *pe.Forced, true
			} else if has(before) && has(head) {
				f, err := gitchange.ForcePushed(ctx, *local, before, head)
				forced, known = f, err == nil
			}
			var cmpErr error
			if !known {
				var cmp *github.CommitsComparison
				cmpErr = gh.call(ctx, "comparing "+changes.Short12(before)+"..."+changes.Short12(head), func() (*github.Response, error) {
					var resp *github.Response
					var err error
					cmp, resp, err = cl.Repositories.CompareCommits(ctx, owner, name, before, head, &github.ListOptions{PerPage: 1})
					return resp, err
				})
				if cmpErr == nil {
					switch cmp.GetStatus() {
					case "ahead", "identical":
						forced, known = false, true
					case "behind", "diverged":
						forced, known = true, true
					}
				}
			}
			if !known {
				msg := fmt.Sprintf("the push by %s at %s (%s -> %s): whether it rewrote history could not be told", rw.Who, at.Format(time.RFC3339), changes.Short12(before), changes.Short12(head))
				if cmpErr != nil {
					msg += ": " + cmpErr.Error()
				}
				unknown = append(unknown, map[string]any{"id": "push " + changes.Short12(before) + " -> " + changes.Short12(head), "error": msg})
				continue
			}
			if judged != nil {
				judged[key] = at
			}
			if !forced {
				continue
			}
			if has(before) {
				_ = gitchange.DroppedBetween(ctx, *local, &rw)
			} else {
				// The dropped commits, as GitHub still holds them: those of
				// the old head the new one lacks.
				var cmp *github.CommitsComparison
				if err := gh.call(ctx, "dropped commits of "+changes.Short12(before), func() (*github.Response, error) {
					var resp *github.Response
					var err error
					cmp, resp, err = cl.Repositories.CompareCommits(ctx, owner, name, head, before, &github.ListOptions{PerPage: 100})
					return resp, err
				}); err == nil {
					rw.DroppedKnown, rw.DroppedCount, rw.Dropped = true, cmp.GetAheadBy(), []string{}
					for _, cm := range cmp.Commits {
						if len(rw.Dropped) < gitchange.MaxDropped {
							rw.Dropped = append(rw.Dropped, cm.GetSHA())
						}
					}
				} else {
					rw.Dropped, rw.Note = []string{}, "the dropped commits could not be read: "+err.Error()
				}
			}
			rewrites = append(rewrites, rw)
		}
		// GitHub serves at most 300 events and refuses to page further:
		// what lies beyond is outside the record, said by its start below.
		if resp.NextPage == 0 || total >= 300 {
			break
		}
		opt.Page = resp.NextPage
	}
	// GitHub keeps 90 days of events, and at most 300: the record is
	// complete from the older of the two limits it hit.
	from := now.UTC().AddDate(0, 0, -90)
	if reachedStart {
		from = oldest
	} else if total >= 300 && oldest.After(from) {
		from = oldest
	}
	return rewrites, unknown, from, nil
}
