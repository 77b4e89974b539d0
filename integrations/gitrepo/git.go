// Package gitrepo is the git integration kind: the change population of
// a branch in a window (reviewed, signed, not force-pushed), read from a
// local or fetched repository, with reviews and pushes from GitHub when
// the settings name the repository there.
package gitrepo

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/go-github/v74/github"
	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/gitchange"
	ghkind "github.com/vigil-soc/vigil/integrations/github"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// Git tests change management (CC8.1) on a repository Vigil can read: a
// local clone, or a remote URL fetched into the integration's directory
// (with a token for HTTPS, or a deploy key for SSH).
type Git struct{}

type gitConfig struct {
	Repo   string `json:"repo"`   // a path on the server, or a URL
	Branch string `json:"branch"` // default: the default branch
	// The window of the change population: window_start and window_end
	// (dates, whole days, or RFC 3339 timestamps, the end excluded), or
	// window_days (the last N whole days and today); with neither, the
	// audit scope's Type II window, else the last 90 days.
	WindowDays  int    `json:"window_days"`
	WindowStart string `json:"window_start"`
	WindowEnd   string `json:"window_end"`
	// GitHubRepo (owner/name) takes review data from GitHub's pull
	// requests, with the secret as the token, instead of commit trailers.
	GitHubRepo   string `json:"github_repo"`
	GitHubAPIURL string `json:"github_api_url"`
	// The keys trusted to sign changes (public, not secrets): an SSH
	// allowed-signers file and ASCII-armored OpenPGP public keys. Without
	// them a signature's presence is recorded but never taken as verified.
	AllowedSigners string `json:"allowed_signers"`
	GPGKeys        string `json:"gpg_keys"`
}

// Name is the kind's name.
func (Git) Name() string { return "git" }

func parseGit(raw json.RawMessage) (*gitConfig, error) {
	var c gitConfig
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, vigil.FieldError("config", "git settings: %v (fields: repo, branch, window_days, window_start, window_end, github_repo, github_api_url, allowed_signers, gpg_keys)", err)
	}
	return &c, nil
}

func isRemote(repo string) bool {
	return strings.Contains(repo, "://") || (strings.Contains(repo, "@") && strings.Contains(repo, ":"))
}

// Validate checks the settings.
func (Git) Validate(raw json.RawMessage, secretText string) error {
	c, err := parseGit(raw)
	if err != nil {
		return err
	}
	switch {
	case c.Repo == "":
		return vigil.FieldError("config.repo", "repo is required: a path on this server or a URL")
	case strings.HasPrefix(c.Repo, "-") || strings.HasPrefix(c.Branch, "-") || strings.Contains(c.Branch, ".."):
		return vigil.FieldError("config.repo", "repo and branch may not start with a dash")
	case !isRemote(c.Repo) && !filepath.IsAbs(c.Repo):
		return vigil.FieldError("config.repo", "a local repository is given by its absolute path")
	case c.GitHubRepo != "" && strings.Count(c.GitHubRepo, "/") != 1:
		return vigil.FieldError("config.github_repo", "github_repo is owner/name, e.g. acme/api")
	}
	if isRemote(c.Repo) && strings.Contains(c.Repo, "://") {
		u, err := url.Parse(c.Repo)
		if err != nil {
			return vigil.FieldError("config.repo", "repo is not a URL: %v", err)
		}
		// Any user part but ssh's "git" may be a token: it would be stored
		// and shown in clear. Credentials go in the secret.
		if u.User != nil && !(u.Scheme == "ssh" && u.User.Username() == "git") {
			return vigil.FieldError("config.repo", "put the credential in the secret, not in the URL (it would be stored and shown in clear)")
		}
		if secretText != "" && u.Scheme == "http" && !kind.LoopbackHost(u.Hostname()) {
			return vigil.FieldError("config.repo", "a credential is never sent over plain http: use https or ssh")
		}
	}
	if c.GitHubRepo != "" && strings.Contains(secretText, "PRIVATE KEY") {
		return vigil.FieldError("secret", "with github_repo the secret is a GitHub token (used to fetch over https and to read reviews), not a deploy key")
	}
	if c.GitHubAPIURL != "" {
		if err := kind.SecureURL(c.GitHubAPIURL); err != nil {
			return vigil.FieldError("config.github_api_url", "%v", err)
		}
	}
	if err := validSigners(c.AllowedSigners, c.GPGKeys); err != nil {
		return err
	}
	if err := checkWindowSettings(c); err != nil {
		return err
	}
	if c.Branch != "" && !branchName.MatchString(c.Branch) {
		return vigil.FieldError("config.branch", "branch is a branch name (letters, digits, . _ - /), not a revision")
	}
	return nil
}

var branchName = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`)

// gitEnv carries the credential: an HTTPS token as a header, an SSH
// deploy key through a key file; never on the command line.
func gitEnv(r *kind.Run, repo string) ([]string, func(), error) {
	// No prompts, and only plain transports: never ext:: or fd:: helpers
	// a crafted URL could use to run commands.
	env := []string{"GIT_TERMINAL_PROMPT=0", "GIT_ALLOW_PROTOCOL=file:git:http:https:ssh"}
	done := func() {}
	if r.Secret == "" {
		return env, done, nil
	}
	if strings.Contains(r.Secret, "PRIVATE KEY") {
		// The key file lives in the integration's own directory (removed on
		// disconnect), never in a shared temporary directory.
		if err := os.MkdirAll(r.Dir, 0o700); err != nil {
			return nil, done, err
		}
		f, err := os.CreateTemp(r.Dir, "deploy-key-")
		if err != nil {
			return nil, done, err
		}
		f.Chmod(0o600)
		f.WriteString(strings.TrimSpace(r.Secret) + "\n")
		f.Close()
		known := filepath.Join(r.Dir, "known_hosts")
		// GIT_SSH_COMMAND goes through a shell: quote the paths.
		env = append(env, "GIT_SSH_COMMAND=ssh -i "+shellQuote(f.Name())+" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile="+shellQuote(known))
		return env, func() { os.Remove(f.Name()) }, nil
	}
	auth := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + r.Secret))
	env = append(env, "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.extraHeader", "GIT_CONFIG_VALUE_0=Authorization: Basic "+auth)
	return env, done, nil
}

// local returns a repository path to read: the local one, or a mirror of
// the remote fetched now.
func (Git) local(ctx context.Context, r *kind.Run, c *gitConfig, env []string) (string, error) {
	if !isRemote(c.Repo) {
		if _, err := os.Stat(c.Repo); err != nil {
			return "", fmt.Errorf("repository %s: %v", c.Repo, err)
		}
		return c.Repo, nil
	}
	dir := filepath.Join(r.Dir, "mirror.git")
	if err := os.MkdirAll(r.Dir, 0o700); err != nil {
		return "", err
	}
	var cmd *exec.Cmd
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err == nil {
		cmd = exec.CommandContext(ctx, "git", "-C", dir, "fetch", "--prune", "--quiet", "origin")
	} else {
		os.RemoveAll(dir)
		cmd = exec.CommandContext(ctx, "git", "clone", "--mirror", "--quiet", "--", c.Repo, dir)
	}
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("fetching %s: %s", c.Repo, strings.TrimSpace(string(out)))
	}
	return dir, nil
}

// Test reads the branch's head and every other source the settings name:
// the window, and GitHub when it is the source of reviews and pushes. A
// source that cannot be read fails the test, naming the source: a run
// would judge nothing from it.
func (g Git) Test(ctx context.Context, r *kind.Run) error {
	c, err := parseGit(r.Config)
	if err != nil {
		return err
	}
	if _, err := resolveWindow(c, kind.ScopeFrom(ctx), r.Now); err != nil {
		return err
	}
	if strings.TrimSpace(c.AllowedSigners) != "" || strings.TrimSpace(c.GPGKeys) != "" {
		if err := gitchange.CheckSigners(ctx, &gitchange.Signers{SSH: c.AllowedSigners, GPG: c.GPGKeys}); err != nil {
			return err
		}
	}
	env, done, err := gitEnv(r, c.Repo)
	if err != nil {
		return err
	}
	defer done()
	repo, err := g.local(ctx, r, c, env)
	if err != nil {
		return err
	}
	branch := c.Branch
	if branch != "" {
		branch = "refs/heads/" + branch
	}
	if _, err = gitchange.Collect(ctx, gitchange.Options{Repo: repo, Branch: branch, Since: r.Now.Add(-time.Hour), Until: r.Now, Env: env}); err != nil {
		return err
	}
	if c.GitHubRepo != "" {
		if err := g.testGitHub(ctx, r, c); err != nil {
			return fmt.Errorf("the GitHub source %s (github_repo): %w", c.GitHubRepo, err)
		}
	}
	return nil
}

type gitState struct {
	Head string `json:"head"`
	// ForcePushes are the rewrites Vigil saw itself (the head moved from
	// one run to the next), kept while they are in the window: a force push
	// fails the check until it ages out, not for one run.
	ForcePushes []forcePush `json:"force_pushes,omitempty"`
	// Rewrites are those the records of pushes reported (the reflog,
	// GitHub's events), kept while in the window: the records forget.
	Rewrites []gitchange.Rewrite `json:"rewrites,omitempty"`
	// KnownFrom: the records read so far leave no gap in the branch's
	// updates from KnownFrom to CheckedAt (the last run that read them).
	KnownFrom *time.Time `json:"known_from,omitempty"`
	CheckedAt *time.Time `json:"checked_at,omitempty"`
	// Judged are GitHub's pushes already judged (old..new => when).
	Judged map[string]time.Time `json:"judged_pushes,omitempty"`
	// Reviews caches each merged pull request's author and approvers: they
	// do not change after the merge.
	Reviews map[string]prReview `json:"reviews,omitempty"`
	// Verified caches the signature checks of the window's changes, made
	// with the signers whose hash is SignersHash (new signers, new checks).
	Verified    map[string]string `json:"verified,omitempty"`
	SignersHash string            `json:"signers_hash,omitempty"`
}

type forcePush struct {
	At   time.Time `json:"at"`
	From string    `json:"from"`
	To   string    `json:"to"`
}

type prReview struct {
	Author      string   `json:"author"`
	Approvers   []string `json:"approvers"`
	MergeCommit string   `json:"merge_commit"`
	Merged      bool     `json:"merged"`
}

// maxReviewFetches bounds the pull requests read per run; the rest wait
// for the next run (reported as pending, judged from trailers meanwhile).
const maxReviewFetches = 500

// maxListed bounds each list of changes in the input; counts stay exact.
const maxListed = 1000

// Collect reads the population of the window and the branch's history.
func (g Git) Collect(ctx context.Context, r *kind.Run) (map[string]map[string]any, error) {
	c, err := parseGit(r.Config)
	if err != nil {
		return nil, err
	}
	env, done, err := gitEnv(r, c.Repo)
	if err != nil {
		return nil, err
	}
	defer done()
	repo, err := g.local(ctx, r, c, env)
	if err != nil {
		return nil, err
	}
	branch := c.Branch
	if branch != "" {
		branch = "refs/heads/" + branch // a branch, never another revision
	}
	var prev gitState
	_ = json.Unmarshal(r.State, &prev)
	win, err := resolveWindow(c, kind.ScopeFrom(ctx), r.Now)
	if err != nil {
		return nil, err
	}
	// A repository read on disk has the branch's reflog: a change
	// committed before the window and pushed in it is of the window.
	o := gitchange.Options{Repo: repo, Branch: branch, Since: win.Since, Until: win.Until, Env: env, UseRefLog: !isRemote(c.Repo)}
	signersHash := ""
	if strings.TrimSpace(c.AllowedSigners) != "" || strings.TrimSpace(c.GPGKeys) != "" {
		o.Signers = &gitchange.Signers{SSH: c.AllowedSigners, GPG: c.GPGKeys}
		// The version names how signatures are checked: a change to the
		// checking throws the cached verdicts away too.
		sum := sha256.Sum256([]byte("verify-v2\x00" + c.AllowedSigners + "\x00" + c.GPGKeys))
		signersHash = hex.EncodeToString(sum[:])
		if prev.SignersHash == signersHash {
			o.Verified = prev.Verified
		}
	}
	p, err := gitchange.Collect(ctx, o)
	if err != nil {
		return nil, err
	}
	verified := map[string]string{}
	for _, ch := range p.Changes {
		if gitchange.Final(ch.Verification) {
			verified[ch.Commit] = ch.Verification
		}
	}
	if prev.Reviews == nil {
		prev.Reviews = map[string]prReview{}
	}
	pending := 0
	if c.GitHubRepo != "" {
		if pending, err = g.githubReviews(ctx, r, c, p, prev.Reviews); err != nil {
			return nil, err
		}
	}
	var review, unsigned, unverified []any
	nReview, nUnsigned, nSigned, nUnverified := 0, 0, 0, 0
	for _, ch := range p.Changes {
		item := map[string]any{"id": ch.Commit[:12] + " " + clipText(ch.Subject, 60), "commit": ch.Commit, "kind": ch.Kind, "pr": ch.PR,
			"author": ch.ChangeAuthor, "approvers": kind.ToAny(ch.Approvers), "date": ch.Date.Format(time.RFC3339), "signature": ch.Signature,
			"exceptions": kind.ToAny(ch.Exceptions)}
		if ch.Kind == "direct" || !ch.Approved {
			nReview++
			if len(review) < maxListed {
				review = append(review, item)
			}
		}
		switch {
		case ch.Signature == "":
			nUnsigned++
			if len(unsigned) < maxListed {
				unsigned = append(unsigned, item)
			}
		case ch.Verification != "good":
			nSigned++
			if o.Signers != nil {
				item["verification"] = ch.Verification
				nUnverified++
				if len(unverified) < maxListed {
					unverified = append(unverified, item)
				}
			}
		default:
			nSigned++
		}
	}
	history := g.branchHistory(ctx, r, c, o, p, &prev, win, isRemote(c.Repo))
	r.NewState, _ = json.Marshal(gitState{Head: p.Head, Reviews: prev.Reviews, ForcePushes: prev.ForcePushes, Rewrites: prev.Rewrites,
		KnownFrom: prev.KnownFrom, CheckedAt: prev.CheckedAt, Judged: prev.Judged, Verified: verified, SignersHash: signersHash})
	// The population is what an auditor samples from: sealed as evidence,
	// stating exactly the bounds applied (timestamps, the end excluded)
	// and where they came from. The window stays the same all day (a fixed
	// window, or whole days), so an unchanged population is not sealed
	// again at every run.
	sealed := sealedPopulation{Population: p, WindowSource: win.Source, Ended: !win.Until.After(r.Now)}
	if pop, err := json.MarshalIndent(sealed, "", " "); err == nil {
		r.Artifacts = append(r.Artifacts, kind.Artifact{Name: "change-population.json", Title: fmt.Sprintf("change population of %s, %s to %s (end excluded)",
			p.Branch, p.Since.Format(time.RFC3339), p.Until.Format(time.RFC3339)), Data: pop})
	}
	changes := map[string]any{"repo": c.Repo, "branch": p.Branch, "since": p.Since.Format(time.RFC3339), "until": p.Until.Format(time.RFC3339),
		"window_source": win.Source, "count": len(p.Changes), "unreviewed": kind.NonNil(review), "unreviewed_count": nReview, "unsigned": kind.NonNil(unsigned), "unsigned_count": nUnsigned,
		"signed_count": nSigned, "verified": o.Signers != nil, "unverified": kind.NonNil(unverified), "unverified_count": nUnverified,
		"review_source": map[bool]string{true: "github", false: "trailers"}[c.GitHubRepo != ""], "reviews_pending": pending}
	return map[string]map[string]any{"git.changes": changes, "git.history": history}, nil
}

// sealedPopulation is the population as sealed: its exact bounds, where
// they came from, and whether the window had ended when it was read (a
// window still open holds the changes up to the head it names).
type sealedPopulation struct {
	*gitchange.Population
	WindowSource string `json:"window_source"`
	Ended        bool   `json:"window_ended"`
}

func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// githubReviews replaces each pull request's approvers with GitHub's
// reviews: the latest review of each reviewer counts, and an approval by
// the pull request's author does not. It reads at most maxReviewFetches
// pull requests not already cached.
func (g Git) githubReviews(ctx context.Context, r *kind.Run, c *gitConfig, p *gitchange.Population, cache map[string]prReview) (int, error) {
	owner, name, ok := strings.Cut(c.GitHubRepo, "/")
	if !ok {
		return 0, fmt.Errorf("github_repo must be owner/name")
	}
	gh := ghkind.GitHub{}
	cl, err := gh.Client(r, c.GitHubAPIURL)
	if err != nil {
		return 0, err
	}
	fetched, pending := 0, 0
	repoSeen := false
	for i := range p.Changes {
		ch := &p.Changes[i]
		if ch.PR == 0 {
			// With GitHub as the source of reviews, a commit message's
			// trailers prove nothing.
			ch.Approvers = []string{}
			gitchange.Reclassify(ch)
			continue
		}
		key := fmt.Sprint(ch.PR)
		rv, have := cache[key]
		if !have {
			if fetched >= maxReviewFetches {
				// Not read yet: not approved until it is.
				pending++
				ch.Approvers = []string{}
				gitchange.Reclassify(ch)
				ch.Exceptions = append(ch.Exceptions, "review data not read yet (next run)")
				continue
			}
			fetched++
			var pr *github.PullRequest
			notFound := false
			if err := gh.Call(ctx, fmt.Sprintf("pull request #%d", ch.PR), func() (*github.Response, error) {
				var resp *github.Response
				var err error
				pr, resp, err = cl.PullRequests.Get(ctx, owner, name, ch.PR)
				notFound = resp != nil && resp.StatusCode == 404
				return resp, err
			}); err != nil {
				if !notFound {
					return 0, err
				}
				// GitHub answers 404 for a repository the token cannot see
				// too: then nothing is known, and the run fails.
				if !repoSeen {
					if rerr := gh.Call(ctx, "repository "+c.GitHubRepo, func() (*github.Response, error) {
						_, resp, err := cl.Repositories.Get(ctx, owner, name)
						return resp, err
					}); rerr != nil {
						return 0, rerr
					}
					repoSeen = true
				}
				// A number no pull request of the repository has (an issue's,
				// another repository's): this change has no review to borrow,
				// and the rest of the population is still judged.
				ch.Approvers = []string{}
				gitchange.Reclassify(ch)
				ch.Exceptions = append(ch.Exceptions, fmt.Sprintf("pull request #%d was not found in %s", ch.PR, c.GitHubRepo))
				continue
			}
			latest := map[string]string{}
			opt := &github.ListOptions{PerPage: 100}
			for {
				var page []*github.PullRequestReview
				var resp *github.Response
				if err := gh.Call(ctx, fmt.Sprintf("reviews of #%d", ch.PR), func() (*github.Response, error) {
					var err error
					page, resp, err = cl.PullRequests.ListReviews(ctx, owner, name, ch.PR, opt)
					return resp, err
				}); err != nil {
					return 0, err
				}
				for _, v := range page {
					if st := v.GetState(); st != "COMMENTED" {
						latest[v.GetUser().GetLogin()] = st // later reviews supersede earlier ones
					}
				}
				if resp.NextPage == 0 {
					break
				}
				opt.Page = resp.NextPage
			}
			rv = prReview{Author: strings.ToLower(pr.GetUser().GetLogin()), Approvers: []string{}, MergeCommit: pr.GetMergeCommitSHA(), Merged: pr.GetMerged() || pr.MergedAt != nil}
			for who, st := range latest {
				if st == "APPROVED" {
					rv.Approvers = append(rv.Approvers, strings.ToLower(who))
				}
			}
			sort.Strings(rv.Approvers)
			if pr.GetMerged() || pr.MergedAt != nil {
				cache[key] = rv
			}
		}
		ch.ChangeAuthor, ch.Approvers = rv.Author, rv.Approvers
		// The pull request must be merged, and be this very commit: a
		// subject naming "(#42)" does not borrow #42's approvals.
		if !rv.Merged || (rv.MergeCommit != "" && rv.MergeCommit != ch.Commit) {
			ch.Approvers = []string{}
			gitchange.Reclassify(ch)
			ch.Exceptions = append(ch.Exceptions, fmt.Sprintf("pull request #%d was not merged as this commit", ch.PR))
			continue
		}
		gitchange.Reclassify(ch)
	}
	return pending, nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// signerKey finds the public key on an allowed-signers line.
var signerKey = regexp.MustCompile(`(^|\s)(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)\s+[A-Za-z0-9+/=]{16,}`)

// validSigners checks the trusted signers' shape: every allowed-signers
// line names principals and a public key, and the OpenPGP text is public
// key blocks only (a private key pasted here would be stored in clear).
func validSigners(ssh, gpg string) error {
	for i, l := range strings.Split(ssh, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if !signerKey.MatchString(l) ||
			len(strings.Fields(l)) < 3 {
			return vigil.FieldError("config.allowed_signers", "allowed_signers line %d is not `principals [options] key-type public-key` (ssh-keygen's ALLOWED SIGNERS format)", i+1)
		}
	}
	if strings.Contains(gpg, "PRIVATE KEY") {
		return vigil.FieldError("config.gpg_keys", "gpg_keys holds a private key: give only public keys (gpg --armor --export)")
	}
	if strings.TrimSpace(gpg) != "" && !strings.Contains(gpg, "-----BEGIN PGP PUBLIC KEY BLOCK-----") {
		return vigil.FieldError("config.gpg_keys", "gpg_keys is ASCII-armored public keys (-----BEGIN PGP PUBLIC KEY BLOCK-----, from gpg --armor --export)")
	}
	return nil
}
