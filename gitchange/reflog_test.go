package gitchange

import (
	"context"
	"errors"
	"os"

	"path/filepath"
	"strings"
	"testing"
	"time"
)

// server is a bare repository as a git server keeps one, with a clone
// that pushes to it; every git command is dated by the test's clock, and
// the reflog records who pushed (the pusher's identity) and when.
type server struct {
	*repo
	bare string
}

func newServer(t *testing.T, logAll bool) *server {
	t.Helper()
	r := newRepo(t)
	bare := filepath.Join(t.TempDir(), "srv.git")
	r.git("", "init", "-q", "--bare", "-b", "main", bare)
	if logAll {
		r.git("", "-C", bare, "config", "core.logAllRefUpdates", "always")
	}
	r.git("", "remote", "add", "origin", bare)
	r.git("", "push", "-q", "origin", "main")
	return &server{repo: r, bare: bare}
}

// TestRefLogFindsRewriteBeforeFirstRun: a force push to the server that
// happened before Vigil ever looked is found in the server's reflog, with
// the pusher and time the reflog recorded and the commit it dropped; the
// fast-forward pushes around it are not flagged.
func TestRefLogFindsRewriteBeforeFirstRun(t *testing.T) {
	ctx := context.Background()
	s := newServer(t, true)
	start := s.now
	a := s.commit("Ann", "ann@acme.test", "a")
	s.git("Ann|ann@acme.test", "push", "-q", "origin", "main") // fast-forward
	b := s.commit("Bob", "bob@acme.test", "b: reviewed change")
	s.git("Bob|bob@acme.test", "push", "-q", "origin", "main") // fast-forward
	s.git("", "reset", "-q", "--hard", a)
	c := s.commit("Mal", "mal@acme.test", "c replaces b")
	s.git("Mal|mal@acme.test", "push", "-q", "--force", "origin", "main")
	pushedAt := s.now
	d := s.commit("Ann", "ann@acme.test", "d")
	s.git("Ann|ann@acme.test", "push", "-q", "origin", "main") // fast-forward again

	o := Options{Repo: s.bare}
	rl, err := ReadRefLog(ctx, o, "refs/heads/main", d, start, s.now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(rl.Rewrites) != 1 || rl.Updates != 5 || rl.From.After(start) {
		t.Fatalf("reflog: %+v", rl)
	}
	rw := rl.Rewrites[0]
	if rw.Who != "Mal" || rw.Email != "mal@acme.test" || !rw.At.Equal(pushedAt) || rw.From != b || rw.To != c {
		t.Fatalf("the rewrite is not reported from the reflog: %+v (want Mal at %s, %s -> %s)", rw, pushedAt, b, c)
	}
	if !rw.DroppedKnown || rw.DroppedCount != 1 || rw.Dropped[0] != b {
		t.Fatalf("dropped commits: %+v", rw)
	}
	// The window: the rewrite is outside a window that ends before it.
	rl, err = ReadRefLog(ctx, o, "refs/heads/main", d, start, pushedAt)
	if err != nil || len(rl.Rewrites) != 0 {
		t.Fatalf("a window ending at the push (excluded): %v %+v", err, rl)
	}
}

// TestRefLogGapAndMissing: a move of the branch nobody logged is judged
// all the same (who and when unknown), and a repository keeping no reflog
// says so instead of reporting no rewrite.
func TestRefLogGapAndMissing(t *testing.T) {
	ctx := context.Background()
	s := newServer(t, true)
	start := s.now
	a := s.commit("Ann", "ann@acme.test", "a")
	s.git("", "push", "-q", "origin", "main")
	b := s.commit("Ann", "ann@acme.test", "b")
	s.git("", "push", "-q", "origin", "main")
	// Someone on the server moves the branch back by writing the ref file:
	// git logs nothing.
	if err := os.WriteFile(filepath.Join(s.bare, "refs", "heads", "main"), []byte(a+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rl, err := ReadRefLog(ctx, Options{Repo: s.bare}, "refs/heads/main", a, start, s.now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(rl.Rewrites) != 1 || rl.Rewrites[0].From != b || rl.Rewrites[0].To != a || !strings.Contains(rl.Rewrites[0].Who, "unknown") {
		t.Fatalf("an unlogged rewind: %+v", rl.Rewrites)
	}

	plain := newServer(t, false)
	head := plain.git("", "rev-parse", "HEAD")
	_, err = ReadRefLog(ctx, Options{Repo: plain.bare}, "refs/heads/main", head, start, time.Now())
	if !errors.Is(err, ErrNoRefLog) || !strings.Contains(err.Error(), "logAllRefUpdates") {
		t.Fatalf("a bare repository without a reflog: %v", err)
	}
	// An unreadable reflog is an error, never "no rewrite".
	if os.Geteuid() != 0 {
		log := filepath.Join(s.bare, "logs", "refs", "heads", "main")
		os.Chmod(log, 0)
		defer os.Chmod(log, 0o644)
		if _, err := ReadRefLog(ctx, Options{Repo: s.bare}, "refs/heads/main", a, start, s.now); err == nil {
			t.Fatal("an unreadable reflog was read as empty")
		}
	}
	// A reflog whose start expired covers only from its oldest entry.
	s.git("", "-C", s.bare, "reflog", "expire", "--expire=all", "--expire-unreachable=all", "refs/heads/main")
	s.commit("Ann", "ann@acme.test", "e")
	s.git("", "push", "-q", "--force", "origin", "main")
	rl, err = ReadRefLog(ctx, Options{Repo: s.bare}, "refs/heads/main", s.git("", "rev-parse", "HEAD"), start, s.now.Add(time.Hour))
	if err != nil || rl.From.IsZero() {
		t.Fatalf("an expired reflog claims to cover everything: %v %+v", err, rl)
	}
}

// TestRefLogRecreatedBranch: deleting a branch deletes its reflog, so a
// branch deleted and pushed again at rewritten history starts a new log
// with a creation entry. That log covers only from its start, never from
// "always": the rewrite before it cannot be seen, so it is not ruled out.
func TestRefLogRecreatedBranch(t *testing.T) {
	ctx := context.Background()
	s := newServer(t, true)
	start := s.now
	a := s.commit("Ann", "ann@acme.test", "a")
	s.git("Ann|ann@acme.test", "push", "-q", "origin", "main")
	s.commit("Bob", "bob@acme.test", "b: reviewed change")
	s.git("Bob|bob@acme.test", "push", "-q", "origin", "main")
	// Delete the branch on the server (a server that allows deleting its
	// current branch, or a branch that is not the server's HEAD), then
	// push a history without b.
	s.git("", "-C", s.bare, "config", "receive.denyDeleteCurrent", "ignore")
	s.git("Mal|mal@acme.test", "push", "-q", "origin", ":main")
	s.git("", "reset", "-q", "--hard", a)
	s.commit("Mal", "mal@acme.test", "c replaces b")
	recreated := s.now
	s.git("Mal|mal@acme.test", "push", "-q", "origin", "main")
	rl, err := ReadRefLog(ctx, Options{Repo: s.bare}, "refs/heads/main", s.git("", "rev-parse", "HEAD"), start, s.now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !rl.From.After(start) || rl.From.Before(recreated) {
		t.Fatalf("a re-created branch's reflog claims to cover from %s (window from %s, re-created at %s)", rl.From, start, recreated)
	}
}

// TestWindowBoundsAndLocalMerge: the window is half-open (a change at the
// start is in, one at the end is out), and a merge made outside a pull
// request is a direct push, named so, even with a review trailer.
func TestWindowBoundsAndLocalMerge(t *testing.T) {
	r := newRepo(t)
	first := r.commit("Ann", "ann@acme.test", "at the start")
	r.git("", "checkout", "-q", "-b", "feature")
	r.commit("Bob", "bob@acme.test", "feature work")
	r.git("", "checkout", "-q", "main")
	r.git("Bob|bob@acme.test", "merge", "-q", "--no-ff", "feature", "-m", "Merge branch 'feature'\n\nReviewed-by: Dana <dana@acme.test>")
	r.pr(7, "Bob|bob@acme.test", "Cat|cat@acme.test", "Reviewed-by: Dana <dana@acme.test>")
	last := r.commit("Ann", "ann@acme.test", "at the end")
	date := func(id string) time.Time {
		ts := r.git("", "show", "-s", "--format=%ct", id)
		d, _ := time.Parse(time.RFC3339, "1970-01-01T00:00:00Z")
		var sec int64
		for _, ch := range ts {
			sec = sec*10 + int64(ch-'0')
		}
		return d.Add(time.Duration(sec) * time.Second)
	}
	since, until := date(first), date(last)
	p, err := Collect(context.Background(), Options{Repo: r.dir, Since: since, Until: until})
	if err != nil {
		t.Fatal(err)
	}
	k := byKind(p)
	if _, ok := k["direct:at the start"]; !ok {
		t.Errorf("the change at the window's start is missing: %v", keys(k))
	}
	if _, ok := k["direct:at the end"]; ok {
		t.Errorf("the change at the window's end (excluded) is in: %v", keys(k))
	}
	c, ok := k["direct:Merge branch 'feature'"]
	if !ok || !strings.Contains(strings.Join(c.Exceptions, ","), "direct push: a merge made outside a pull request") {
		t.Errorf("a local merge: %+v (%v)", c, keys(k))
	}
	if c := k["merge#7"]; !c.Approved || c.Kind != "merge" {
		t.Errorf("the reviewed pull request: %+v", c)
	}
	if !p.Since.Equal(since) || !p.Until.Equal(until) || !strings.Contains(p.Bounds, "until excluded") {
		t.Errorf("the population's bounds: %s %s %q", p.Since, p.Until, p.Bounds)
	}
}

func keys(m map[string]Change) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestMergesOfOtherCodeHosts: the merge commits Bitbucket and GitLab
// write for a pull (merge) request are merges through review, judged on
// their approvals; a merge whose message only mentions a pull request
// further down is not.
func TestMergesOfOtherCodeHosts(t *testing.T) {
	r := newRepo(t)
	start := r.now
	merge := func(b, msg string) {
		r.git("", "checkout", "-q", "-b", b, "main")
		r.commit("Bob", "bob@acme.test", "work on "+b)
		r.git("", "checkout", "-q", "main")
		r.git("Cat|cat@acme.test", "merge", "-q", "--no-ff", b, "-m", msg)
	}
	merge("bb", "Merged in feature/bb (pull request #12)\n\nAdd the thing\n\nApproved-by: Dana <dana@acme.test>")
	merge("gl", "Merge branch 'gl' into 'main'\n\nAdd the other thing\n\nSee merge request acme/api!7\n\nReviewed-by: Dana <dana@acme.test>")
	merge("local", "Merge branch 'local'\n\nas discussed in pull request #3\nApproved-by: Dana <dana@acme.test>")
	p, err := Collect(context.Background(), Options{Repo: r.dir, Since: start, Until: r.now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	k := byKind(p)
	if c := k["merge#12"]; !c.Approved {
		t.Errorf("Bitbucket's merge: %+v (%v)", c, keys(k))
	}
	if c := k["merge#7"]; !c.Approved {
		t.Errorf("GitLab's merge: %+v (%v)", c, keys(k))
	}
	if c, ok := k["direct:Merge branch 'local'"]; !ok || !strings.Contains(strings.Join(c.Exceptions, ","), "merge made outside a pull request") {
		t.Errorf("a local merge mentioning a pull request: %+v (%v)", c, keys(k))
	}
}

// TestPushedInWindowDatedBefore: a change committed before the window but
// pushed to the server in it reached the branch in the window: with the
// reflog it is in the population, flagged with both times.
func TestPushedInWindowDatedBefore(t *testing.T) {
	s := newServer(t, true)
	s.now = time.Date(2026, 10, 31, 22, 0, 0, 0, time.UTC)
	early := s.commit("Mal", "mal@acme.test", "committed the night before")
	since := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s.now = since.Add(9 * time.Hour)
	s.git("Mal|mal@acme.test", "push", "-q", "origin", "main") // at 10:00 on the first day
	until := since.AddDate(0, 1, 0)
	p, err := Collect(context.Background(), Options{Repo: s.bare, Since: since, Until: until, UseRefLog: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 1 || p.Changes[0].Commit != early || !strings.Contains(strings.Join(p.Changes[0].Exceptions, ","), "reached the branch at 2026-11-01T10:00:00Z") {
		t.Fatalf("a change pushed in the window: %+v", p.Changes)
	}
	// Without the reflog (or before this was read) it is left out.
	p, err = Collect(context.Background(), Options{Repo: s.bare, Since: since, Until: until})
	if err != nil || len(p.Changes) != 0 {
		t.Fatalf("without the reflog: %v %+v", err, p.Changes)
	}
}
