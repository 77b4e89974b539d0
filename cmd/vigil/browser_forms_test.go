package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestBrowserForms walks, in Chromium, the integration form (a kind's
// named fields, a refusal beside its field with the input kept, a
// duration for the interval, the integration's own page and a run) and an
// invitation without SMTP (the link's page greets the person invited and
// lets them choose their password).
func TestBrowserForms(t *testing.T) {
	w, setupLink := startBrowser(t)
	w.setupOwner(setupLink)

	repo := t.TempDir()
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"commit", "-q", "--allow-empty", "-m", "first"}} {
		cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@x", "GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@x")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git: %v %s", err, out)
		}
	}

	// The git form: a relative path is refused beside the repository
	// field, with what was typed kept and the form still open.
	w.open("/integrations")
	w.shot("60-integrations-kinds")
	w.click(`#kind-git > summary`)
	w.fill("#f-git-name", "api repository")
	w.fill("#f-git-repo", "srv/git/api.git")
	w.fill("#f-git-branch", "main")
	w.fill("#f-git-every", "24h")
	w.submit("connect relative", `#kind-git button[type=submit]`)
	if got := w.text(`#f-git-repo ~ .field-error`); !strings.Contains(got, "absolute path") {
		w.shot("debug")
		t.Fatalf("the relative repository was not refused beside its field: %q", got)
	}
	if w.count(`#kind-git[open] #f-git-repo[aria-invalid=true]`) != 1 || w.count(`#f-git-name[value="api repository"]`) != 1 {
		t.Fatal("the refused form is not open with its input kept")
	}
	w.shot("61-integration-form-error")
	w.fill("#f-git-repo", repo)
	w.submit("connect", `#kind-git button[type=submit]`)
	if loc := w.location(); loc != "/integrations/1" {
		w.shot("debug")
		t.Fatalf("after connecting at %s: %s", loc, w.text("main"))
	}
	if got := w.text("dl.meta"); !strings.Contains(got, "Git repository (git)") || !strings.Contains(got, "24h") {
		t.Fatalf("the integration's page: %q", got)
	}
	w.submit("run", `form[action="/integrations/1/run"] button[type=submit]`)
	if !strings.Contains(w.text(".flash"), "Ran ") || w.location() != "/integrations/1" {
		t.Fatalf("run from the page: %s at %s", w.text("main"), w.location())
	}
	w.shot("62-integration-page")
	w.open("/integrations")
	w.shot("63-integrations-list")
	if w.count(`a[href="/integrations/1"]`) != 1 {
		t.Fatal("the list does not link the integration's own page")
	}

	// A criterion's crosswalk: one row per requirement, folded by framework.
	w.open("/criteria/CC6.1")
	if n := w.count(`details.crosswalk:not([open])`); n != 4 {
		t.Fatalf("%d folded crosswalk lists, want 4", n)
	}
	w.click(`details.crosswalk > summary`)
	w.shot("65-criterion-crosswalk")

	// An invitation: a new member, a one-time link, and the link's page.
	link := w.invite("nina@acme.test", "Nina New", "member")
	w.signOut()
	w.open(link)
	w.shot("64-invitation")
	if h := w.text("h1"); h != "Accept the invitation" {
		t.Fatalf("the invitation's page is titled %q", h)
	}
	if got := w.text(".invite"); !strings.Contains(got, "Olive Owner") || !strings.Contains(got, "Acme Cloud") || !strings.Contains(got, "member") {
		t.Fatalf("the invitation says %q", got)
	}
	w.fill("#password", "nina's long password")
	w.fill("#password2", "nina's other password")
	w.submit("mismatch", `form[action="/reset"] button[type=submit]`)
	if w.text("h1") != "Accept the invitation" || !strings.Contains(w.text(".field-error"), "differ") {
		t.Fatal("a refused password lost the invitation or its message")
	}
	w.fill("#password", "nina's long password")
	w.fill("#password2", "nina's long password")
	w.submit("accept", `form[action="/reset"] button[type=submit]`)
	if !strings.Contains(w.text(".flash"), "Welcome") {
		t.Fatalf("after accepting: %s", w.text("main"))
	}
	w.signIn("nina@acme.test", "nina's long password")
	if loc := w.location(); loc != "/" {
		t.Fatalf("Nina's first sign-in ended at %s", loc)
	}
	if w.dialogs.Load() != 0 {
		t.Fatal("a dialog opened during the walk")
	}
}
