package gitchange

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Rewrite is one update of a branch that was not a fast-forward: the old
// head is not an ancestor of the new one, so history was rewritten (a
// force push, a reset, an amend).
type Rewrite struct {
	// At and Who come from the source that recorded the update (the
	// reflog's entry, a code host's event), never from when Vigil noticed.
	At     time.Time `json:"at"`
	Who    string    `json:"who"`
	Email  string    `json:"email,omitempty"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Source string    `json:"source"`
	Note   string    `json:"note,omitempty"` // the reflog's message, or why the details are partial
	// Dropped are the commits the old head had that the new one has not
	// (at most MaxDropped; DroppedCount is exact when DroppedKnown).
	Dropped      []string `json:"dropped"`
	DroppedCount int      `json:"dropped_count"`
	DroppedKnown bool     `json:"dropped_known"`
}

// MaxDropped bounds the dropped commits listed per rewrite.
const MaxDropped = 100

// RefLog is what a repository's own reflog says of a branch in a window.
type RefLog struct {
	Ref string `json:"ref"`
	// From is when the reflog's record starts: the time of its oldest
	// entry (older ones expired, logging began later, or the branch was
	// deleted and created again, which starts a new log).
	From     time.Time `json:"from"`
	Updates  int       `json:"updates"` // updates in the window
	Rewrites []Rewrite `json:"rewrites"`
}

// ErrNoRefLog says the repository keeps no reflog for the branch.
var ErrNoRefLog = errors.New("no reflog")

// ReadRefLog reads the reflog of ref (refs/heads/NAME) in the repository
// and finds the updates in [since, until) that rewrote history. A server's
// bare repository keeps a reflog only with core.logAllRefUpdates=always;
// without one, the error wraps ErrNoRefLog. A gap in the log (an entry
// whose old value is not the previous entry's new one, or a head the last
// entry did not set) is a move nobody logged: it is judged the same way,
// with who and when unknown.
func ReadRefLog(ctx context.Context, o Options, ref, head string, since, until time.Time) (*RefLog, error) {
	if !strings.HasPrefix(ref, "refs/") {
		return nil, fmt.Errorf("reflog: %q is not a full ref name", ref)
	}
	if st, err := o.git(ctx, nil, "config", "--get", "extensions.refStorage"); err == nil && strings.TrimSpace(string(st)) == "reftable" {
		return nil, fmt.Errorf("the repository stores refs as reftable, whose reflog Vigil does not read yet")
	}
	data, err := readRefLog(ctx, o, ref)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: the repository keeps no reflog of %s (a bare repository keeps one only with `git config core.logAllRefUpdates always`)", ErrNoRefLog, ref)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the reflog of %s: %v", ref, err)
	}
	type entry struct {
		old, new, who, email, msg string
		at                        time.Time
	}
	var es []entry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if l == "" {
			continue
		}
		head, msg, _ := strings.Cut(l, "\t")
		f := strings.SplitN(head, " ", 3)
		if len(f) < 3 || len(f[0]) < 40 || len(f[1]) < 40 {
			// A line we cannot read could be the rewrite: never skip it.
			return nil, fmt.Errorf("the reflog of %s: line %d is not an entry", ref, n)
		}
		who, email, at := person(f[2])
		if at.IsZero() {
			return nil, fmt.Errorf("the reflog of %s: line %d has no time", ref, n)
		}
		es = append(es, entry{f[0], f[1], who, email, msg, at})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the reflog of %s: %v", ref, err)
	}
	rl := &RefLog{Ref: ref, Rewrites: []Rewrite{}}
	if len(es) == 0 {
		return nil, fmt.Errorf("%w: the reflog of %s is empty", ErrNoRefLog, ref)
	}
	// The record starts at its oldest entry, even when that entry created
	// the branch: deleting a branch deletes its reflog, so a creation may
	// be a re-creation at rewritten history, and nothing before it can be
	// told from this log.
	rl.From = es[0].at.UTC()
	inWin := func(t time.Time) bool { return !t.Before(since) && t.Before(until) }
	judge := func(old, new string) (bool, error) {
		if isZero(old) || isZero(new) || old == new {
			return false, nil // a creation or a deletion rewrites nothing on its own
		}
		return ForcePushed(ctx, o, old, new)
	}
	add := func(rw Rewrite) error {
		if err := dropped(ctx, o, &rw); err != nil {
			return err
		}
		rl.Rewrites = append(rl.Rewrites, rw)
		return nil
	}
	for i, e := range es {
		if i > 0 && es[i-1].new != e.old && !isZero(es[i-1].new) && !isZero(e.old) {
			// The branch moved between two logged updates without an entry.
			prev := es[i-1]
			if (inWin(prev.at) || inWin(e.at)) || (prev.at.Before(since) && !e.at.Before(until)) {
				forced, err := judge(prev.new, e.old)
				if err != nil {
					return nil, err
				}
				if forced {
					if err := add(Rewrite{At: e.at.UTC(), Who: "unknown (not logged)", From: prev.new, To: e.old, Source: "reflog gap",
						Note: "moved between " + prev.at.UTC().Format(time.RFC3339) + " and " + e.at.UTC().Format(time.RFC3339) + " without a reflog entry"}); err != nil {
						return nil, err
					}
				}
			}
		}
		if !inWin(e.at) {
			continue
		}
		rl.Updates++
		forced, err := judge(e.old, e.new)
		if err != nil {
			return nil, err
		}
		if forced {
			if err := add(Rewrite{At: e.at.UTC(), Who: e.who, Email: e.email, From: e.old, To: e.new, Source: "reflog", Note: e.msg}); err != nil {
				return nil, err
			}
		}
	}
	if last := es[len(es)-1]; head != "" && last.new != head {
		forced, err := judge(last.new, head)
		if err != nil {
			return nil, err
		}
		if forced {
			if err := add(Rewrite{At: last.at.UTC(), Who: "unknown (not logged)", From: last.new, To: head, Source: "reflog gap",
				Note: "moved after " + last.at.UTC().Format(time.RFC3339) + " without a reflog entry"}); err != nil {
				return nil, err
			}
		}
	}
	return rl, nil
}

func isZero(id string) bool { return strings.Trim(id, "0") == "" }

// dropped fills in the commits the old head had that the new one has not.
// An old head the repository no longer holds leaves them unknown, said so.
func dropped(ctx context.Context, o Options, rw *Rewrite) error {
	rw.Dropped = []string{}
	out, err := o.git(ctx, nil, "rev-list", "--end-of-options", rw.From, "^"+rw.To, "--")
	if err != nil {
		var ge *Error
		var ee *exec.ExitError
		if errors.As(err, &ge) && (errors.As(ge.Err, &ee) || strings.Contains(ge.Stderr, "bad revision")) {
			rw.DroppedKnown = false
			if rw.Note != "" {
				rw.Note += "; "
			}
			rw.Note += "the old head " + short(rw.From) + " is no longer in the repository: the dropped commits are unknown"
			return nil
		}
		return err
	}
	rw.DroppedKnown = true
	for l := range strings.Lines(string(out)) {
		rw.DroppedCount++
		if len(rw.Dropped) < MaxDropped {
			rw.Dropped = append(rw.Dropped, strings.TrimSpace(l))
		}
	}
	return nil
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// DroppedBetween lists the commits old has that new has not, when the
// repository holds both (for rewrites a code host reported).
func DroppedBetween(ctx context.Context, o Options, rw *Rewrite) error { return dropped(ctx, o, rw) }

// HasCommit reports whether the repository holds the commit.
func HasCommit(ctx context.Context, o Options, id string) bool {
	_, err := o.git(ctx, nil, "cat-file", "-e", "--end-of-options", id+"^{commit}")
	return err == nil
}

// CheckSigners tries the trusted signers the way a verification uses
// them: the OpenPGP keys are imported into a throwaway keyring (gpg must
// accept them, and must be installed), and ssh-keygen must be there for
// SSH signatures. A connection test calls it so that signers no run could
// use are reported before any run.
func CheckSigners(ctx context.Context, s *Signers) error {
	if s == nil {
		return nil
	}
	if strings.TrimSpace(s.SSH) != "" {
		if _, err := exec.LookPath("ssh-keygen"); err != nil {
			return fmt.Errorf("the allowed signers cannot be used: ssh-keygen is not installed on the Vigil server")
		}
	}
	if strings.TrimSpace(s.GPG) == "" {
		return nil
	}
	dir, err := os.MkdirTemp("", "vigil-signers-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, "gpg", "--batch", "--no-tty", "--quiet", "--import")
	cmd.Env = append(os.Environ(), "GNUPGHOME="+dir)
	cmd.Stdin = strings.NewReader(s.GPG)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("the trusted OpenPGP keys cannot be imported: %v: %s", err, strings.TrimSpace(string(out)))
	}
	// gpg can succeed having imported nothing (no key in the text).
	out, err := exec.CommandContext(ctx, "gpg", "--batch", "--no-tty", "--homedir", dir, "--list-keys", "--with-colons").Output()
	if err != nil || !strings.Contains(string(out), "\npub:") && !strings.HasPrefix(string(out), "pub:") {
		return fmt.Errorf("the trusted OpenPGP keys hold no public key gpg can read")
	}
	return nil
}

// ReachedBranch reads from the branch's reflog when the first-parent
// commits reached it, for the updates in [since, until) (a commit's date
// is when it was committed, which can be well before its push). The
// branch's creation is left out: it brings the whole earlier history,
// which did not change then. Without a reflog it returns nil: the caller
// learns of the missing reflog from ReadRefLog.
func ReachedBranch(ctx context.Context, o Options, ref string, since, until time.Time) (map[string]time.Time, error) {
	data, err := readRefLog(ctx, o, ref)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		// A reflog that exists but cannot be read could hold the pushes
		// that bring changes into the window: never read it as empty.
		return nil, fmt.Errorf("reading the reflog of %s: %v", ref, err)
	}
	out := map[string]time.Time{}
	for l := range strings.Lines(string(data)) {
		head, _, _ := strings.Cut(strings.TrimRight(l, "\n"), "\t")
		f := strings.SplitN(head, " ", 3)
		if len(f) < 3 || isZero(f[0]) || isZero(f[1]) {
			continue
		}
		_, _, at := person(f[2])
		if at.Before(since) || !at.Before(until) {
			continue
		}
		// The commits the update brought onto the first-parent line; an
		// old head no longer held is skipped (ReadRefLog reports it).
		b, err := o.git(ctx, nil, "rev-list", "--first-parent", "--end-of-options", f[1], "^"+f[0], "--")
		if err != nil {
			continue
		}
		for c := range strings.Lines(string(b)) {
			c = strings.TrimSpace(c)
			if prev, ok := out[c]; !ok || at.Before(prev) {
				out[c] = at.UTC()
			}
		}
	}
	return out, nil
}

// readRefLog reads the reflog file of ref where git keeps it (worktrees
// and bare repositories differ; git says where).
func readRefLog(ctx context.Context, o Options, ref string) ([]byte, error) {
	p, err := o.git(ctx, nil, "rev-parse", "--git-path", "logs/"+ref)
	if err != nil {
		return nil, err
	}
	path := strings.TrimSpace(string(p))
	if !filepath.IsAbs(path) {
		path = filepath.Join(o.Repo, path)
	}
	return os.ReadFile(path)
}
