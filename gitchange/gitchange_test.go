package gitchange

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// repo is a real git repository made by the test with the git CLI.
type repo struct {
	t   *testing.T
	dir string
	env []string
	now time.Time
}

func newRepo(t *testing.T) *repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required")
	}
	r := &repo{t: t, dir: t.TempDir(), now: time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)}
	r.env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
	r.git("", "init", "-q", "-b", "main")
	r.commit("Ann", "ann@acme.test", "initial", "")
	return r
}

func (r *repo) git(who string, args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-C", r.dir}, args...)...)
	name, email := "Ann", "ann@acme.test"
	if who != "" {
		name, email, _ = strings.Cut(who, "|")
	}
	r.now = r.now.Add(time.Hour)
	date := r.now.Format(time.RFC3339)
	cmd.Env = append(r.env, "GIT_AUTHOR_NAME="+name, "GIT_AUTHOR_EMAIL="+email, "GIT_COMMITTER_NAME="+name,
		"GIT_COMMITTER_EMAIL="+email, "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *repo) commit(name, email, msg string, extra ...string) string {
	r.t.Helper()
	args := append([]string{"commit", "-q", "--allow-empty", "-m", msg}, extra...)
	var clean []string
	for _, a := range args {
		if a != "" {
			clean = append(clean, a)
		}
	}
	r.git(name+"|"+email, clean...)
	return r.git("", "rev-parse", "HEAD")
}

// pr makes a branch with one commit by author and merges it into main as
// the merger, with the trailers in the merge message.
func (r *repo) pr(n int, author, merger, trailers string) {
	r.t.Helper()
	b := fmt.Sprintf("pr-%d", n)
	r.git("", "checkout", "-q", "-b", b, "main")
	a, ae, _ := strings.Cut(author, "|")
	r.commit(a, ae, "work for "+b)
	r.git("", "checkout", "-q", "main")
	msg := fmt.Sprintf("Merge pull request #%d from acme/%s\n\n%s", n, b, trailers)
	r.git(merger, "merge", "-q", "--no-ff", b, "-m", msg)
}

func byKind(p *Population) map[string]Change {
	out := map[string]Change{}
	for _, c := range p.Changes {
		key := c.Kind
		if c.PR > 0 {
			key = fmt.Sprintf("%s#%d", c.Kind, c.PR)
		} else {
			key += ":" + c.Subject
		}
		out[key] = c
	}
	return out
}

func TestPopulation(t *testing.T) {
	r := newRepo(t)
	start := r.now
	r.pr(1, "Bob|bob@acme.test", "Cat|cat@acme.test", "Reviewed-by: Dana <dana@acme.test>")
	r.pr(2, "Bob|bob@acme.test", "Bob|bob@acme.test", "Approved-by: Bob <bob@acme.test>")
	r.pr(3, "Eve|eve@acme.test", "Eve|eve@acme.test", "")
	r.commit("Mal", "mal@acme.test", "hotfix straight to main")
	r.commit("Bob", "bob@acme.test", "Squashed feature (#45)\n\nApproved-by: cat@acme.test")

	// An SSH-signed direct commit: signed, still a direct push.
	key := filepath.Join(t.TempDir(), "id")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	r.git("", "config", "gpg.format", "ssh")
	r.git("", "config", "user.signingkey", key)
	r.commit("Ann", "ann@acme.test", "signed release bump", "-S")

	p, err := Collect(context.Background(), Options{Repo: r.dir, Since: start, Until: r.now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if p.Branch != "main" || len(p.Changes) != 6 {
		t.Fatalf("population %s with %d changes: %+v", p.Branch, len(p.Changes), p.Changes)
	}
	k := byKind(p)
	if c := k["merge#1"]; !c.Approved || c.SelfApproved || c.ChangeAuthor != "bob@acme.test" || len(c.Exceptions) != 1 || c.Exceptions[0] != "unsigned" {
		t.Errorf("reviewed PR: %+v", c)
	}
	if c := k["merge#2"]; c.Approved || !c.SelfApproved || !strings.Contains(strings.Join(c.Exceptions, ","), "approved only by its author") {
		t.Errorf("self-approved PR: %+v", c)
	}
	if c := k["merge#3"]; c.Approved || c.SelfApproved || !strings.Contains(strings.Join(c.Exceptions, ","), "without a recorded approval") {
		t.Errorf("unreviewed PR: %+v", c)
	}
	if c := k["direct:hotfix straight to main"]; c.Kind != "direct" || !strings.Contains(strings.Join(c.Exceptions, ","), "direct push") {
		t.Errorf("direct push: %+v", c)
	}
	if c := k["squash#45"]; !c.Approved || c.ChangeAuthor != "bob@acme.test" {
		t.Errorf("squash merge: %+v", c)
	}
	if c := k["direct:signed release bump"]; c.Signature != "ssh" || strings.Contains(strings.Join(c.Exceptions, ","), "unsigned") {
		t.Errorf("signed commit: %+v", c)
	}
	if p.Exceptions != 6 {
		t.Errorf("%d changes with exceptions, want 6 (all unsigned but the last, which is a direct push)", p.Exceptions)
	}
	// The window: only what reached main after the first PR.
	p2, err := Collect(context.Background(), Options{Repo: r.dir, Since: k["merge#1"].Date.Add(time.Second), Until: r.now.Add(time.Minute)})
	if err != nil || len(p2.Changes) != 5 {
		t.Fatalf("windowed: %v, %d changes", err, len(p2.Changes))
	}
}

func TestForcePushAndBadInput(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	a := r.commit("Ann", "ann@acme.test", "a")
	b := r.commit("Ann", "ann@acme.test", "b")
	o := Options{Repo: r.dir}
	if fp, err := ForcePushed(ctx, o, a, b); err != nil || fp {
		t.Fatalf("fast-forward seen as a force push: %v %v", fp, err)
	}
	r.git("", "reset", "-q", "--hard", a)
	c := r.commit("Ann", "ann@acme.test", "c rewrites b away")
	if fp, err := ForcePushed(ctx, o, b, c); err != nil || !fp {
		t.Fatalf("rewritten history not seen: %v %v", fp, err)
	}
	if fp, err := ForcePushed(ctx, o, strings.Repeat("ab", 20), c); err != nil || !fp {
		t.Fatalf("a head that no longer exists: %v %v", fp, err)
	}
	if _, err := Collect(ctx, Options{Repo: filepath.Join(r.dir, "nope")}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("missing repository: %v", err)
	}
	if _, err := Collect(ctx, Options{Repo: r.dir, Branch: "release"}); err == nil || !strings.Contains(err.Error(), `branch "release"`) {
		t.Fatalf("missing branch: %v", err)
	}
	if _, err := Collect(ctx, Options{Repo: r.dir, Since: time.Now(), Until: time.Now().Add(-time.Hour)}); err == nil {
		t.Fatal("an inverted window was accepted")
	}
	// An option-looking branch name is a name, not an option.
	if _, err := Collect(ctx, Options{Repo: r.dir, Branch: "--output=/tmp/x"}); err == nil {
		t.Fatal("an option as a branch name was accepted")
	}
}

// TestBackdatedCommitHidesNothing: a commit whose committer date is set
// years back, on top of a direct push, neither hides the push nor itself.
func TestBackdatedCommitHidesNothing(t *testing.T) {
	r := newRepo(t)
	start := r.now
	r.commit("Mal", "mal@acme.test", "direct push")
	saved := r.now
	r.now = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	r.commit("Mal", "mal@acme.test", "looks old")
	r.now = saved
	p, err := Collect(context.Background(), Options{Repo: r.dir, Since: start, Until: r.now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	k := byKind(p)
	if _, ok := k["direct:direct push"]; !ok {
		t.Fatalf("the direct push was hidden: %+v", p.Changes)
	}
	c, ok := k["direct:looks old"]
	if !ok || !strings.Contains(strings.Join(c.Exceptions, ","), "before the change it was made on top of") {
		t.Fatalf("the backdated commit: %+v", c)
	}
}

// TestSignatureVerification signs changes with trusted and untrusted SSH
// and OpenPGP keys and forges a signature header: only the trusted keys'
// signatures are good, and without signers nothing is called verified.
func TestSignatureVerification(t *testing.T) {
	for _, bin := range []string{"gpg", "gpgconf", "ssh-keygen"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is required (make deps installs it)", bin)
		}
	}
	r := newRepo(t)
	start := r.now
	keys := t.TempDir()
	run := func(env []string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v %s", name, args, err, out)
		}
		return string(out)
	}
	// SSH: k1 is trusted, k2 is not.
	for _, k := range []string{"k1", "k2"} {
		run(nil, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", k, "-f", filepath.Join(keys, k))
	}
	pub, _ := os.ReadFile(filepath.Join(keys, "k1.pub"))
	allowed := "# release engineers\nann@acme.test namespaces=\"git\" " + strings.TrimSpace(string(pub)) + "\n"
	// OpenPGP: Bob is trusted, Carl is not; both sign from one keyring.
	gnupg := filepath.Join(keys, "gnupg")
	os.Mkdir(gnupg, 0o700)
	genv := []string{"GNUPGHOME=" + gnupg}
	t.Cleanup(func() { exec.Command("gpgconf", "--homedir", gnupg, "--kill", "all").Run() })
	for _, who := range []string{"Bob <bob@acme.test>", "Carl <carl@acme.test>"} {
		run(genv, "gpg", "--batch", "--quiet", "--passphrase", "", "--quick-gen-key", who, "ed25519", "sign", "never")
	}
	bobKey := run(genv, "gpg", "--armor", "--export", "bob@acme.test")
	r.env = append(r.env, genv...)

	sign := func(format, key, msg string) string {
		r.git("", "config", "gpg.format", format)
		r.git("", "config", "user.signingkey", key)
		return r.commit("Ann", "ann@acme.test", msg, "-S")
	}
	good1 := sign("ssh", filepath.Join(keys, "k1"), "ssh, trusted")
	untrusted1 := sign("ssh", filepath.Join(keys, "k2"), "ssh, untrusted")
	good2 := sign("openpgp", "bob@acme.test", "openpgp, trusted")
	untrusted2 := sign("openpgp", "carl@acme.test", "openpgp, untrusted")
	plain := r.commit("Ann", "ann@acme.test", "unsigned")
	// A forged header: looks signed, signs nothing.
	raw := r.git("", "cat-file", "commit", "HEAD")
	head, body, _ := strings.Cut(raw, "\n\n")
	var hl []string
	for _, l := range strings.Split(head, "\n") {
		if strings.HasPrefix(l, "parent ") {
			l = "parent " + plain // on top of the unsigned change
		}
		hl = append(hl, l)
	}
	head = strings.Join(hl, "\n")
	forgedObj := head + "\ngpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAg\n -----END SSH SIGNATURE-----\n\nforged " + body + "\n"
	f := filepath.Join(keys, "forged")
	os.WriteFile(f, []byte(forgedObj), 0o600)
	forged := r.git("", "hash-object", "-t", "commit", "-w", f)
	r.git("", "update-ref", "refs/heads/main", forged)

	want := map[string]string{good1: "good", untrusted1: "not in the trusted", good2: "good", untrusted2: "cannot be checked", plain: "", forged: "!good"}
	p, err := Collect(context.Background(), Options{Repo: r.dir, Since: start, Until: r.now.Add(time.Minute), Signers: &Signers{SSH: allowed, GPG: bobKey}})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, c := range p.Changes {
		w, ok := want[c.Commit]
		if !ok {
			continue
		}
		seen++
		ex := strings.Join(c.Exceptions, ",")
		switch {
		case w == "" && (c.Verification != "" || !strings.Contains(ex, "unsigned")):
			t.Errorf("%s: verification %q, exceptions %q; want unsigned", c.Subject, c.Verification, ex)
		case w == "good" && (c.Verification != "good" || strings.Contains(ex, "signature")):
			t.Errorf("%s: verification %q, exceptions %q; want good", c.Subject, c.Verification, ex)
		case w == "!good" && (c.Verification == "" || c.Verification == "good" || !strings.Contains(ex, "signature not verified")):
			// git says "bad signature", or its verification dies on the
			// malformed signature and the change "cannot be checked".
			t.Errorf("%s: verification %q, exceptions %q; want anything but good", c.Subject, c.Verification, ex)
		case w != "" && w != "good" && w != "!good" && (!strings.Contains(c.Verification, w) || !strings.Contains(ex, "signature not verified")):
			t.Errorf("%s: verification %q, exceptions %q; want %q", c.Subject, c.Verification, ex, w)
		}
	}
	if seen != len(want) {
		t.Fatalf("found %d of the %d planted changes", seen, len(want))
	}
	// Earlier verifications are reused, not redone (a commit never
	// changes): a cached verdict stands.
	p, err = Collect(context.Background(), Options{Repo: r.dir, Since: start, Until: r.now.Add(time.Minute), Signers: &Signers{SSH: allowed, GPG: bobKey},
		Verified: map[string]string{untrusted1: "cached"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Changes {
		if c.Commit == untrusted1 && c.Verification != "cached" {
			t.Errorf("the cached verification was not used: %q", c.Verification)
		}
		if c.Commit == good1 && c.Verification != "good" {
			t.Errorf("an uncached change was not verified: %q", c.Verification)
		}
	}
	// When git's verification fails for the batch, each change is checked
	// on its own, and one that cannot be checked is not verified.
	batch := []Change{{Commit: good1, Signature: "ssh"}, {Commit: strings.Repeat("0", 40), Signature: "ssh"}}
	if err := verify(context.Background(), Options{Repo: r.dir, Signers: &Signers{SSH: allowed}}, batch); err != nil {
		t.Fatal(err)
	}
	if batch[0].Verification != "good" || !strings.HasPrefix(batch[1].Verification, "cannot be checked") {
		t.Fatalf("after a failed batch: %q, %q", batch[0].Verification, batch[1].Verification)
	}
	// The repository's own configuration cannot name a verifier that
	// says yes to anything.
	fake := filepath.Join(keys, "fake-ssh-keygen")
	os.WriteFile(fake, []byte("#!/bin/sh\ncase \"$*\" in\n*find-principals*) echo ann@acme.test;;\n"+
		"*) cat >/dev/null; echo 'Good \"git\" signature for ann@acme.test with ED25519 key SHA256:x';;\nesac\nexit 0\n"), 0o755)
	r.git("", "config", "gpg.ssh.program", fake)
	r.git("", "config", "gpg.program", fake)
	p, err = Collect(context.Background(), Options{Repo: r.dir, Since: start, Until: r.now.Add(time.Minute), Signers: &Signers{SSH: allowed, GPG: bobKey}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Changes {
		if (c.Commit == untrusted1 || c.Commit == untrusted2 || c.Commit == forged) && c.Verification == "good" {
			t.Errorf("%s: the repository's gpg program made it good", c.Subject)
		}
		if (c.Commit == good1 || c.Commit == good2) && c.Verification != "good" {
			t.Errorf("%s: %q with a hostile repository configuration", c.Subject, c.Verification)
		}
	}
	// Without signers, presence only: nothing is called verified.
	p, err = Collect(context.Background(), Options{Repo: r.dir, Since: start, Until: r.now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Changes {
		if c.Verification != "" {
			t.Errorf("%s: verification %q without signers", c.Subject, c.Verification)
		}
	}
	// A private key given as a trusted key is refused by gpg, and said.
	_, err = Collect(context.Background(), Options{Repo: r.dir, Since: start, Until: r.now.Add(time.Minute), Signers: &Signers{GPG: "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----\n"}})
	if err == nil || !strings.Contains(err.Error(), "trusted OpenPGP keys") {
		t.Fatalf("a malformed key: %v", err)
	}
}
