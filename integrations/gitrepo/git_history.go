package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/go-github/v74/github"
	"github.com/vigil-soc/vigil/gitchange"
	"github.com/vigil-soc/vigil/integrations/changes"
	ghkind "github.com/vigil-soc/vigil/integrations/github"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// branchHistory judges whether the branch's history was rewritten in the
// window. It reads the records of pushes that exist outside Vigil — the
// repository's own reflog when Vigil reads it on disk, GitHub's push
// events when the settings name the repository there — so that a rewrite
// made before the first run, or undone between two runs, is still found,
// with who made it and when as the record says. What Vigil saw itself
// (the head moving from one run to the next) only adds rewrites. A period
// of the window no record covers is unknown, and said so.
func (g Git) branchHistory(ctx context.Context, r *kind.Run, c *gitConfig, o gitchange.Options, p *gitchange.Population, prev *gitState, win changes.Window, remote bool) map[string]any {
	short := strings.TrimPrefix(p.Branch, "refs/heads/")
	ref := "refs/heads/" + short
	var sources []changes.HistorySource
	var found []gitchange.Rewrite
	var unknown []any
	if !remote {
		rl, err := gitchange.ReadRefLog(ctx, o, ref, p.Head, win.Since, win.Until)
		switch {
		case err != nil && errors.Is(err, gitchange.ErrNoRefLog):
			sources = append(sources, changes.HistorySource{Name: "reflog", Err: err.Error() + "; then every update of the branch is recorded, with who pushed and when"})
		case err != nil:
			sources = append(sources, changes.HistorySource{Name: "reflog", Err: "the reflog could not be read: " + err.Error()})
		default:
			sources = append(sources, changes.HistorySource{Name: "reflog", From: rl.From})
			found = append(found, rl.Rewrites...)
		}
	}
	if c.GitHubRepo != "" {
		judged := changes.PruneJudged(prev.Judged, win)
		rws, unk, from, err := g.githubPushes(ctx, r, c, o, short, win, judged)
		prev.Judged = judged
		if err != nil {
			sources = append(sources, changes.HistorySource{Name: "GitHub push events", Err: err.Error()})
		} else {
			sources = append(sources, changes.HistorySource{Name: "GitHub push events", From: from})
			found = append(found, rws...)
			unknown = append(unknown, unk...)
		}
	} else if remote {
		sources = append(sources, changes.HistorySource{Name: "remote", Err: "no record of the remote's pushes is readable: Vigil sees only the heads it fetched, so a rewrite before its first run or undone between two runs is invisible (read the repository on disk, or name it in github_repo)"})
	}

	hint := ""
	if !remote {
		hint = "keep the reflog for the whole audit window (git config gc.reflogExpire never)"
	}
	gaps, knownFrom, checked := changes.Coverage(sources, prev.KnownFrom, prev.CheckedAt, r.Now, win, hint)
	unknown = append(unknown, gaps...)

	// Rewrites found earlier stay while they are in the window: records
	// forget (GitHub's events after 90 days, reflogs when they expire).
	seen := map[string]bool{}
	var all []gitchange.Rewrite
	for _, rw := range append(append([]gitchange.Rewrite{}, prev.Rewrites...), found...) {
		k := rw.Source + " " + rw.From + " " + rw.To
		if seen[k] || rw.At.Before(win.Since) || !rw.At.Before(win.Until) {
			continue
		}
		seen[k] = true
		all = append(all, rw)
	}
	// What Vigil saw itself: a rewrite between its runs that no record
	// reported (the records failed, or are slower than Vigil).
	forced, err := gitchange.ForcePushed(ctx, o, prev.Head, p.Head)
	if err != nil {
		unknown = append(unknown, map[string]any{"id": "since the last run", "error": "whether the head's move from " + prev.Head + " to " + p.Head + " rewrote history could not be told: " + err.Error()})
	}
	if forced {
		prev.ForcePushes = append(prev.ForcePushes, forcePush{At: r.Now, From: prev.Head, To: p.Head})
	}
	var keep []forcePush
	for _, f := range prev.ForcePushes {
		if f.At.Before(win.Since) || !f.At.Before(win.Until) {
			continue
		}
		keep = append(keep, f)
		dup := false
		for _, rw := range all {
			dup = dup || rw.From == f.From || rw.To == f.To
		}
		if !dup {
			rw := gitchange.Rewrite{At: f.At, Who: "unknown", From: f.From, To: f.To, Source: "seen by Vigil between runs",
				Note: "when Vigil noticed it, not when it was pushed"}
			_ = gitchange.DroppedBetween(ctx, o, &rw)
			all = append(all, rw)
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].At.Before(all[j].At) })
	prev.ForcePushes, prev.Rewrites, prev.KnownFrom, prev.CheckedAt = keep, all, knownFrom, checked

	var items, events, srcs []any
	for _, rw := range all {
		if len(items) < maxListed {
			items = append(items, changes.RewriteItem(rw))
		}
		events = append(events, rw.From+" -> "+rw.To+" ("+rw.Source+", "+rw.At.Format(time.RFC3339)+")")
	}
	if len(all) > maxListed {
		items = append(items, map[string]any{"id": fmt.Sprintf("and %d more rewrites", len(all)-maxListed), "ok": false, "why": "more rewrites than listed"})
	}
	for _, s := range sources {
		m := map[string]any{"source": s.Name}
		if s.Err != "" {
			m["error"] = s.Err
		} else if s.From.IsZero() {
			m["from"] = "the branch's creation"
		} else {
			m["from"] = s.From.Format(time.RFC3339)
		}
		srcs = append(srcs, m)
	}
	return map[string]any{"branch": short, "head": p.Head, "previous_head": prev.Head, "since": win.Since.Format(time.RFC3339), "until": win.Until.Format(time.RFC3339),
		"rewrites": kind.NonNil(items), "rewrite_count": len(all), "unknown": kind.NonNil(unknown), "sources": kind.NonNil(srcs),
		"force_pushed": len(all) > 0, "force_pushes": kind.NonNil(events)}
}

// githubPushes reads the repository's push events on GitHub (the last 90
// days, at most 300 events, as GitHub keeps them) and finds the pushes to
// the branch in the window that rewrote history: the payload's "forced"
// when GitHub gives it, else whether the old head is an ancestor of the
// new one (in the local copy when it holds both, else GitHub's compare).
// It returns the rewrites, the pushes it could not judge (as unknown
// resources), and from when its record is complete.
func (g Git) githubPushes(ctx context.Context, r *kind.Run, c *gitConfig, o gitchange.Options, branch string, win changes.Window, judged map[string]time.Time) ([]gitchange.Rewrite, []any, time.Time, error) {
	owner, name, _ := strings.Cut(c.GitHubRepo, "/")
	gh := ghkind.GitHub{}
	cl, err := gh.Client(r, c.GitHubAPIURL)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	return ghkind.PushRewrites(ctx, gh, cl, owner, name, branch, win, r.Now, &o, judged)
}

// testGitHub reads once each thing a run reads from GitHub: the
// repository, its pull requests (the reviews) and its events (the
// pushes), so that a token that cannot read one fails the test.
func (g Git) testGitHub(ctx context.Context, r *kind.Run, c *gitConfig) error {
	owner, name, _ := strings.Cut(c.GitHubRepo, "/")
	gh := ghkind.GitHub{MaxWait: 30 * time.Second}
	cl, err := gh.Client(r, c.GitHubAPIURL)
	if err != nil {
		return err
	}
	if err := gh.Call(ctx, "reading the repository", func() (*github.Response, error) {
		_, resp, err := cl.Repositories.Get(ctx, owner, name)
		return resp, err
	}); err != nil {
		return err
	}
	if err := gh.Call(ctx, "reading its pull requests (reviews)", func() (*github.Response, error) {
		_, resp, err := cl.PullRequests.List(ctx, owner, name, &github.PullRequestListOptions{State: "closed", ListOptions: github.ListOptions{PerPage: 1}})
		return resp, err
	}); err != nil {
		return err
	}
	return gh.Call(ctx, "reading its events (pushes)", func() (*github.Response, error) {
		_, resp, err := cl.Activity.ListRepositoryEvents(ctx, owner, name, &github.ListOptions{PerPage: 1})
		return resp, err
	})
}
