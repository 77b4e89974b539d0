// Package gitchange builds the population of changes to a repository's
// default branch in a window, for change management (TSC CC8.1): each
// change on the branch's first-parent line is classified as merged through
// a reviewed pull request with approval from someone other than its
// author, self-approved, unapproved, or a direct push, and as signed (GPG,
// SSH, X.509) or unsigned; given trusted signers, each signature is
// verified against them. Review data comes from merge-commit trailers
// (Reviewed-by, Approved-by) here; a code host's API can add it later.
// It reads through the git CLI, one pass over the history.
package gitchange

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Options select the repository, branch and window.
type Options struct {
	Repo   string // a work tree or a bare repository
	Branch string // default: the branch HEAD points to
	// The window is half-open, Since <= committer date < Until, so that
	// consecutive windows neither overlap nor leave a gap.
	Since time.Time
	Until time.Time // zero: now
	Git   string    // the git binary (default "git")
	// Env is added to git's environment (credentials travel here, never
	// in arguments, which other users can see).
	Env []string
	// Signers, when set, are the keys trusted to sign changes: every
	// signature in the window is verified against them.
	Signers *Signers
	// Verified caches earlier verifications (commit => Verification) made
	// with the same signers: a commit and its signature never change, and
	// each check costs a process or two.
	Verified map[string]string
	// Reached, when known, says when commits reached the branch: a commit
	// dated before the window that reached the branch in it is in the
	// population, flagged. With UseRefLog, Collect reads it from the
	// branch's reflog (ReachedBranch).
	Reached   map[string]time.Time
	UseRefLog bool
}

// Signers are the keys trusted to sign changes.
type Signers struct {
	// SSH is an allowed-signers file (ssh-keygen(1), ALLOWED SIGNERS):
	// "principal[,principal] [namespaces="git"] key-type key".
	SSH string
	// GPG is one or more ASCII-armored OpenPGP public keys.
	GPG string
}

// Change is one change that reached the branch.
type Change struct {
	Commit         string    `json:"commit"`
	Parents        []string  `json:"parents"`
	Author         string    `json:"author"`
	AuthorEmail    string    `json:"author_email"`
	Committer      string    `json:"committer"`
	CommitterEmail string    `json:"committer_email"`
	Date           time.Time `json:"date"` // when it reached the branch (committer date)
	Subject        string    `json:"subject"`
	// Kind: "merge" (a merge commit of a pull request), "squash" (one
	// commit naming a pull request, "(#123)"), or "direct" (no sign of a
	// pull request: a commit, or a merge made outside any pull request and
	// pushed to the branch, which is a direct push all the same).
	Kind string `json:"kind"`
	PR   int    `json:"pr,omitempty"`
	// ChangeAuthor is whose change it is: for a merge, the author of the
	// merged branch's tip; otherwise the commit's author.
	ChangeAuthor string   `json:"change_author"`
	Approvers    []string `json:"approvers"`
	// Approved: someone other than the change's author approved it.
	Approved     bool   `json:"approved"`
	SelfApproved bool   `json:"self_approved"`
	Signature    string `json:"signature"` // "gpg", "ssh", "x509" or "" (unsigned): presence
	// Verification is the signature's check against Options.Signers:
	// "good", or why not ("bad signature", "key not trusted", ...); empty
	// when unsigned or when no signers were given.
	Verification string `json:"verification,omitempty"`
	// Exceptions are what an auditor would ask about.
	Exceptions []string `json:"exceptions"`

	dateNote string // why its date is not to be trusted
	mergeOf  int    // the pull request a merge commit's message says it merged
}

// Population is the set of changes in the window: those whose committer
// date is at or after Since and before Until (exact timestamps, UTC).
type Population struct {
	Repo   string    `json:"repo"`
	Branch string    `json:"branch"`
	Head   string    `json:"head"`
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until"`
	// Bounds states how Since and Until were applied, for whoever reads
	// the population without this code at hand.
	Bounds     string   `json:"bounds"`
	Changes    []Change `json:"changes"`
	Exceptions int      `json:"exceptions"`
}

var (
	// The merge commits code hosts write when they merge a pull request:
	// GitHub's subject, Bitbucket's subject, GitLab's "See merge request"
	// line. Any other merge commit was made outside a pull request.
	mergePR   = regexp.MustCompile(`^Merge pull request #(\d+)`)
	mergeBB   = regexp.MustCompile(`^Merged in \S+ \(pull request #(\d+)\)`)
	mergeGL   = regexp.MustCompile(`(?m)^See merge request [\w.\-/]+!(\d+)\s*$`)
	squashPR  = regexp.MustCompile(`\(#(\d+)\)\s*$`)
	approvalT = regexp.MustCompile(`(?im)^(Reviewed-by|Approved-by):\s*(.+?)\s*$`)
	emailOf   = regexp.MustCompile(`<([^>]+)>`)
)

// Error is a git failure, with what git said.
type Error struct {
	Op     string
	Stderr string
	Err    error
}

func (e *Error) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	return "git " + e.Op + ": " + msg
}

func (o *Options) git(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	bin := o.Git
	if bin == "" {
		bin = "git"
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{"-C", o.Repo, "-c", "log.showSignature=false"}, args...)...)
	cmd.Stdin = stdin
	if len(o.Env) > 0 {
		cmd.Env = append(os.Environ(), o.Env...)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		op := args[0] // the subcommand, past any "-c name=value"
		for i := 0; i < len(args); i++ {
			if args[i] == "-c" {
				i++
				continue
			}
			op = args[i]
			break
		}
		return nil, &Error{Op: op, Stderr: stderr.String(), Err: err}
	}
	return out, nil
}

// Collect reads the population.
func Collect(ctx context.Context, o Options) (*Population, error) {
	if o.Until.IsZero() {
		o.Until = time.Now()
	}
	if !o.Since.Before(o.Until) {
		return nil, fmt.Errorf("the window's start (%s) must be before its end (%s)", o.Since.Format(time.RFC3339), o.Until.Format(time.RFC3339))
	}
	if o.Branch == "" {
		b, err := o.git(ctx, nil, "symbolic-ref", "--short", "HEAD")
		if err != nil {
			return nil, err
		}
		o.Branch = strings.TrimSpace(string(b))
	}
	head, err := o.git(ctx, nil, "rev-parse", "--verify", "--end-of-options", o.Branch+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("branch %q: %w", o.Branch, err)
	}
	if o.UseRefLog && o.Reached == nil {
		ref := o.Branch
		if !strings.HasPrefix(ref, "refs/") {
			ref = "refs/heads/" + ref
		}
		if o.Reached, err = ReachedBranch(ctx, o, ref, o.Since, o.Until); err != nil {
			return nil, err
		}
	}
	p := &Population{Repo: o.Repo, Branch: o.Branch, Head: strings.TrimSpace(string(head)), Since: o.Since.UTC(), Until: o.Until.UTC(),
		Bounds: "since <= committer date < until (until excluded); commits dated out of order or in the future are kept and flagged", Changes: []Change{}}
	// The whole first-parent line, filtered here: git's --since stops at the
	// first commit older than the window, so one backdated commit (its
	// committer sets the date) would hide every change beneath it.
	out, err := o.git(ctx, nil, "log", "--first-parent", "--pretty=raw", "--no-color", "--no-decorate", p.Head, "--")
	if err != nil {
		return nil, err
	}
	line, err := parseRaw(out)
	if err != nil {
		return nil, err
	}
	changes := inWindow(line, o.Since, o.Until, o.Reached)
	// A merge's change is its second parent's: whose work it is decides
	// whether an approval came from someone else.
	var tips []string
	for _, c := range changes {
		if len(c.Parents) > 1 {
			tips = append(tips, c.Parents[1])
		}
	}
	authors := map[string]string{}
	if len(tips) > 0 {
		b, err := o.git(ctx, strings.NewReader(strings.Join(tips, "\n")+"\n"), "log", "--no-walk", "--stdin", "--format=%H %ae")
		if err != nil {
			return nil, err
		}
		for _, l := range strings.Split(string(b), "\n") {
			if h, e, ok := strings.Cut(l, " "); ok {
				authors[h] = strings.ToLower(e)
			}
		}
	}
	if o.Signers != nil {
		if err := verify(ctx, o, changes); err != nil {
			return nil, err
		}
	}
	for i := range changes {
		classify(&changes[i], authors)
		if len(changes[i].Exceptions) > 0 {
			p.Exceptions++
		}
	}
	sort.SliceStable(changes, func(i, j int) bool { return changes[i].Date.Before(changes[j].Date) })
	p.Changes = changes
	return p, nil
}

// inWindow keeps the changes of the first-parent line (newest first) that
// reached the branch in [since, until): those dated in it, and those dated
// earlier than a change they were made on top of (a date the committer set
// back), which are flagged; changes dated in the future are kept and
// flagged, never dropped.
func inWindow(line []Change, since, until time.Time, reached map[string]time.Time) []Change {
	// newestBelow[i]: the latest date among the changes before i.
	newestBelow := make([]time.Time, len(line)+1)
	for i := len(line) - 1; i >= 0; i-- {
		newestBelow[i] = newestBelow[i+1]
		if line[i].Date.After(newestBelow[i]) {
			newestBelow[i] = line[i].Date
		}
	}
	var out []Change
	for i, c := range line {
		below := newestBelow[i+1]
		backdated := c.Date.Before(below)
		switch {
		case backdated && !below.Before(since):
			c.dateNote = "dated " + c.Date.Format(time.DateOnly) + ", before the change it was made on top of (" + below.Format(time.DateOnly) + ")"
		case c.Date.After(time.Now().Add(time.Hour)):
			c.dateNote = "dated in the future (" + c.Date.Format(time.RFC3339) + ")"
		case c.Date.Before(since) && !reached[c.Commit].IsZero() && !reached[c.Commit].Before(since) && reached[c.Commit].Before(until):
			// Committed before the window, pushed in it: a change of the
			// window all the same.
			c.dateNote = "dated " + c.Date.UTC().Format(time.RFC3339) + ", before the window, but it reached the branch at " + reached[c.Commit].UTC().Format(time.RFC3339) + " (reflog)"
		case c.Date.Before(since) || !c.Date.Before(until):
			continue
		}
		out = append(out, c)
	}
	return out
}

// parseRaw reads `git log --pretty=raw`: headers, then the message
// indented by four spaces.
func parseRaw(out []byte) ([]Change, error) {
	var changes []Change
	var cur *Change
	var msg strings.Builder
	inSig := false
	flush := func() {
		if cur != nil {
			m := msg.String()
			cur.Subject, _, _ = strings.Cut(strings.TrimSpace(m), "\n")
			cur.Approvers = approvers(m)
			for _, re := range []*regexp.Regexp{mergePR, mergeBB, mergeGL} {
				if x := re.FindStringSubmatch(strings.TrimSpace(m)); x != nil && cur.mergeOf == 0 {
					cur.mergeOf, _ = strconv.Atoi(x[1])
				}
			}
			changes = append(changes, *cur)
		}
		msg.Reset()
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "commit "):
			flush()
			cur = &Change{Commit: strings.Fields(l)[1], Parents: []string{}}
			inSig = false
		case cur == nil:
			continue
		case strings.HasPrefix(l, "    "):
			msg.WriteString(l[4:])
			msg.WriteByte('\n')
		case inSig && strings.HasPrefix(l, " "):
			// continuation of a multi-line header (the signature)
		case strings.HasPrefix(l, "parent "):
			cur.Parents = append(cur.Parents, strings.TrimSpace(l[7:]))
		case strings.HasPrefix(l, "author "):
			cur.Author, cur.AuthorEmail, _ = person(l[7:])
		case strings.HasPrefix(l, "committer "):
			var t time.Time
			cur.Committer, cur.CommitterEmail, t = person(l[10:])
			cur.Date = t
		case strings.HasPrefix(l, "gpgsig ") || strings.HasPrefix(l, "gpgsig-sha256 "):
			inSig = true
			switch {
			case strings.Contains(l, "BEGIN SSH SIGNATURE"):
				cur.Signature = "ssh"
			case strings.Contains(l, "BEGIN SIGNED MESSAGE"):
				cur.Signature = "x509"
			default:
				cur.Signature = "gpg"
			}
		default:
			inSig = false
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading git log: %w", err)
	}
	flush()
	return changes, nil
}

// person parses "Name <email> 1700000000 +0000".
func person(s string) (string, string, time.Time) {
	lt := strings.LastIndexByte(s, '<')
	gt := strings.LastIndexByte(s, '>')
	if lt < 0 || gt < lt {
		return strings.TrimSpace(s), "", time.Time{}
	}
	name, email := strings.TrimSpace(s[:lt]), strings.ToLower(s[lt+1:gt])
	var t time.Time
	if f := strings.Fields(s[gt+1:]); len(f) >= 1 {
		if sec, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			t = time.Unix(sec, 0).UTC()
		}
	}
	return name, email, t
}

func approvers(msg string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, m := range approvalT.FindAllStringSubmatch(msg, -1) {
		// Only an address identifies someone: a bare name could be the
		// author's own under another spelling, so it does not count.
		who := m[2]
		if e := emailOf.FindStringSubmatch(who); e != nil {
			who = e[1]
		} else if !strings.Contains(who, "@") {
			continue
		}
		who = strings.ToLower(strings.TrimSpace(who))
		if who != "" && !seen[who] {
			seen[who] = true
			out = append(out, who)
		}
	}
	return out
}

// Reclassify recomputes a change's approval and exceptions after its
// ChangeAuthor and Approvers were replaced with a code host's review data
// (which outranks what commit messages claim).
func Reclassify(c *Change) {
	c.Approved, c.SelfApproved = false, false
	judge(c)
}

func classify(c *Change, tipAuthors map[string]string) {
	c.ChangeAuthor = c.AuthorEmail
	switch {
	case len(c.Parents) > 1:
		if a := tipAuthors[c.Parents[1]]; a != "" {
			c.ChangeAuthor = a
		}
		// Only a merge a pull request made is a merge through review: a
		// merge made in someone's clone and pushed went around it.
		c.Kind = "direct"
		if c.mergeOf > 0 {
			c.Kind, c.PR = "merge", c.mergeOf
		}
	case squashPR.MatchString(c.Subject):
		c.Kind = "squash"
		c.PR, _ = strconv.Atoi(squashPR.FindStringSubmatch(c.Subject)[1])
	default:
		c.Kind = "direct"
	}
	judge(c)
}

func judge(c *Change) {
	c.Exceptions = []string{}
	for _, a := range c.Approvers {
		if a != c.ChangeAuthor {
			c.Approved = true
		}
	}
	c.SelfApproved = !c.Approved && len(c.Approvers) > 0
	switch {
	case c.Kind == "direct" && len(c.Parents) > 1:
		c.Exceptions = append(c.Exceptions, "direct push: a merge made outside a pull request")
	case c.Kind == "direct":
		c.Exceptions = append(c.Exceptions, "direct push: no pull request")
	case c.SelfApproved:
		c.Exceptions = append(c.Exceptions, "approved only by its author")
	case !c.Approved:
		c.Exceptions = append(c.Exceptions, "merged without a recorded approval")
	}
	switch {
	case c.Signature == "":
		c.Exceptions = append(c.Exceptions, "unsigned")
	case c.Verification != "" && c.Verification != "good":
		c.Exceptions = append(c.Exceptions, "signature not verified: "+c.Verification)
	}
	if c.dateNote != "" {
		c.Exceptions = append(c.Exceptions, c.dateNote)
	}
}

// ForcePushed reports whether the branch moved from oldHead to newHead in
// a way that rewrote history: oldHead is no longer an ancestor of newHead.
// An oldHead the repository no longer has at all was rewritten away too.
func ForcePushed(ctx context.Context, o Options, oldHead, newHead string) (bool, error) {
	if oldHead == "" || oldHead == newHead {
		return false, nil
	}
	_, err := o.git(ctx, nil, "merge-base", "--is-ancestor", oldHead, newHead)
	if err == nil {
		return false, nil
	}
	var ge *Error
	var ee *exec.ExitError
	if errors.As(err, &ge) && errors.As(ge.Err, &ee) && ee.ExitCode() == 1 {
		return true, nil
	}
	if errors.As(err, &ge) && strings.Contains(ge.Stderr, "Not a valid commit name") {
		return true, nil
	}
	return false, err
}

// Final reports whether a verification is git's own verdict on the
// signature, which never changes for a commit and the same signers (a
// failure to run the check is not).
func Final(verification string) bool {
	switch verification {
	case "good", "bad signature", "valid signature by a key not in the trusted signers", "signature expired",
		"signed by an expired key", "signed by a revoked key", "cannot be checked: the key is not among the trusted signers":
		return true
	}
	return false
}

// verify checks every signed change against the trusted signers with
// git's own verification (%G?), in one git process: SSH signatures through
// an allowed-signers file, OpenPGP ones through a keyring holding only the
// trusted keys (trust model "always": being in it is the trust). Only
// "good" (G) counts; a valid signature by a key not in the list is not.
func verify(ctx context.Context, o Options, changes []Change) error {
	var signed []string
	for i := range changes {
		c := &changes[i]
		if c.Signature == "" {
			continue
		}
		if v, ok := o.Verified[c.Commit]; ok && v != "" {
			c.Verification = v
			continue
		}
		signed = append(signed, c.Commit)
	}
	if len(signed) == 0 {
		return nil
	}
	dir, err := os.MkdirTemp("", "vigil-signers-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	gnupg := filepath.Join(dir, "gnupg")
	if err := os.Mkdir(gnupg, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(gnupg, "gpg.conf"), []byte("trust-model always\nno-autostart\n"), 0o600); err != nil {
		return err
	}
	if strings.TrimSpace(o.Signers.GPG) != "" {
		cmd := exec.CommandContext(ctx, "gpg", "--batch", "--no-tty", "--quiet", "--import")
		cmd.Env = append(os.Environ(), "GNUPGHOME="+gnupg)
		cmd.Stdin = strings.NewReader(o.Signers.GPG)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("importing the trusted OpenPGP keys: %v: %s", err, strings.TrimSpace(string(out)))
		}
	}
	allowed := filepath.Join(dir, "allowed_signers")
	if err := os.WriteFile(allowed, []byte(o.Signers.SSH+"\n"), 0o600); err != nil {
		return err
	}
	v := o
	// Who verifies is Vigil's choice, never the repository's or the
	// machine's git configuration: a repository could name a "verifier"
	// that says yes to anything.
	v.Env = append(append([]string{}, o.Env...), "GNUPGHOME="+gnupg, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	status := map[string]string{}
	check := func(commits []string) error {
		out, err := v.git(ctx, strings.NewReader(strings.Join(commits, "\n")+"\n"), "-c", "gpg.ssh.allowedSignersFile="+allowed,
			"-c", "gpg.program=gpg", "-c", "gpg.openpgp.program=gpg", "-c", "gpg.ssh.program=ssh-keygen", "-c", "gpg.x509.program=gpgsm",
			"-c", "gpg.ssh.revocationFile=", "-c", "gpg.minTrustLevel=undefined", "-c", "safe.directory="+o.Repo,
			"log", "--no-walk=unsorted", "--stdin", "--format=%H %G?")
		if err != nil {
			return err
		}
		for l := range strings.Lines(string(out)) {
			if h, g, ok := strings.Cut(strings.TrimSpace(l), " "); ok {
				status[h] = g
			}
		}
		return nil
	}
	if err := check(signed); err != nil {
		if ctx.Err() != nil {
			return err
		}
		// A malformed signature can kill git's verification (ssh-keygen
		// rejects it before reading the payload, and git dies of the
		// broken pipe): check one by one, and what still fails to be
		// checked is not verified.
		failed := map[string]string{}
		for _, h := range signed {
			if err := check([]string{h}); err != nil {
				failed[h] = err.Error()
			}
		}
		for i := range changes {
			if msg, ok := failed[changes[i].Commit]; ok {
				changes[i].Verification = "cannot be checked: " + msg
			}
		}
	}
	for i := range changes {
		c := &changes[i]
		if c.Signature == "" || c.Verification != "" {
			continue
		}
		switch status[c.Commit] {
		case "G":
			c.Verification = "good"
		case "B":
			c.Verification = "bad signature"
		case "U":
			c.Verification = "valid signature by a key not in the trusted signers"
		case "X":
			c.Verification = "signature expired"
		case "Y":
			c.Verification = "signed by an expired key"
		case "R":
			c.Verification = "signed by a revoked key"
		case "E":
			c.Verification = "cannot be checked: the key is not among the trusted signers"
		default:
			c.Verification = "not checked (git reported " + strconv.Quote(status[c.Commit]) + ")"
		}
	}
	return nil
}
