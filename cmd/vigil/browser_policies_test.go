package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-soc/vigil/auth"
)

// TestBrowserPolicies walks a policy's life in Chromium: the owner adopts
// the access control template, previews and saves an edit carrying script
// (rendered inert), and sends it for approval; she cannot approve her own
// text; a member named as approver approves it from the policies list; the
// owner publishes it, and GV-01 shows the sealed policy operating.
func TestBrowserPolicies(t *testing.T) {
	w, setupLink := startBrowser(t)
	w.open(setupLink)
	w.fill("#org", "Acme Cloud")
	w.fill("#name", "Olive Owner")
	w.fill("#email", "olive@acme.test")
	w.fill("#password", "olive's long password")
	w.submit("create owner", `form[action="/setup"] button[type=submit]`)
	secret := w.enrolTOTP()
	w.open("/controls")
	w.submit("adopt all", `button[name=all]`)
	mia := w.invite("mia@acme.test", "Mia Member", "member")

	// Adopt: the form names what is missing, keeping what was chosen.
	w.open("/policies")
	if !strings.Contains(w.text("#policies"), "No policy yet") {
		t.Fatalf("a new organization's policies: %s", w.text("#policies"))
	}
	w.fill("#p-template", "access-control")
	w.fill("#p-owner", "1")
	w.submit("adopt without approvers", `form[action="/policies/adopt"] button[type=submit]`)
	if !strings.Contains(w.text(".field-error"), "approver") {
		t.Fatalf("adopting without approvers: %s", w.text("main"))
	}
	w.shot("40-policies-adopt-error")
	w.click(`input[name=approvers][value="2"]`)
	w.submit("adopt", `form[action="/policies/adopt"] button[type=submit]`)
	if !strings.HasPrefix(w.location(), "/policies/1") || !strings.Contains(w.text(".flash"), "POL-001") {
		t.Fatalf("after adopting at %s: %s", w.location(), w.text("main"))
	}
	body := get(w, "draft text", chromedp.Value(chromedp.CSS("#p-body")))
	if !strings.Contains(body, "Acme Cloud") || strings.Contains(body, "{{") {
		t.Fatalf("the adopted draft is not filled: %.300s", body)
	}
	w.shot("41-policy-draft")

	// An edit carrying markup: the preview and the saved text render it
	// inert.
	w.fill("#p-body", body+"\n\n## Local addition\n\nAccess is reviewed every quarter.\n\n"+xss+"\n\n[click](javascript:document.title='xss')\n")
	w.fill("#p-summary", "quarterly reviews")
	w.submit("preview", `form[action="/policies/1/draft"] button[value=preview]`)
	if !strings.Contains(w.text("#preview"), "Local addition") {
		t.Fatalf("no preview: %s", w.text("main"))
	}
	w.noInjection("policy preview")
	if w.count(`#preview a[href^="javascript"]`) != 0 {
		t.Fatal("a javascript: link survived the preview")
	}
	w.shot("42-policy-preview")
	w.submit("save", `form[action="/policies/1/draft"] button[value=save]`)
	if !strings.Contains(w.text(".flash"), "Saved the draft") {
		t.Fatalf("saving: %s", w.text("main"))
	}
	w.noInjection("saved policy")
	w.submit("send for approval", `form[action="/policies/1/submit"] button[type=submit]`)
	if !strings.Contains(w.text(".flash"), "to its approvers") || w.count(`form[action="/policies/1/draft"]`) != 0 {
		t.Fatalf("after submitting: %s", w.text("main"))
	}
	// Olive wrote it and is no approver: no approve form for her.
	if w.count(`form[action="/policies/1/approve"]`) != 0 {
		t.Fatal("the author is offered to approve her own text")
	}
	w.shot("43-policy-in-review")

	// Mia approves from the list.
	w.accept(mia, "mia@acme.test", "mia's long password")
	w.open("/policies")
	if !strings.Contains(w.text("#pol-1"), "awaiting your approval") {
		t.Fatalf("Mia's policies list: %s", w.text("#policies"))
	}
	w.shot("44-policies-awaiting")
	w.open("/policies/1")
	w.noInjection("policy in review")
	w.fill("#p-comment", "Matches how we grant access.")
	w.submit("approve", `form[action="/policies/1/approve"] button[type=submit]`)
	if !strings.Contains(w.text(".flash"), "can be published") {
		t.Fatalf("after approving: %s", w.text("main"))
	}
	// Mia is not the policy's owner: she cannot publish it.
	if w.count(`form[action="/policies/1/publish"]`) != 0 {
		t.Fatal("an approver who is not the owner is offered to publish")
	}
	w.shot("45-policy-approved")

	// Olive publishes; GV-01 shows the sealed policy.
	w.signOut()
	w.signIn("olive@acme.test", "olive's long password")
	code, _ := auth.TOTPCode(secret, time.Now().Add(30*time.Second))
	w.fill("#code", code)
	w.submit("code", `form[action="/login/mfa"] button[type=submit]`)
	w.open("/policies/1")
	w.submit("publish", `form[action="/policies/1/publish"] button[type=submit]`)
	if flash := w.text(".flash"); !strings.Contains(flash, "Published POL-001 version 1") || !strings.Contains(flash, "sealed") {
		t.Fatalf("after publishing: %s", w.text("main"))
	}
	if !strings.Contains(w.text("main"), "In force: version 1") || !strings.Contains(w.text("main"), "approved by Mia Member") {
		t.Fatalf("the published policy: %s", w.text("main"))
	}
	w.noInjection("published policy")
	w.shot("46-policy-published")
	w.open("/policies")
	if !strings.Contains(w.text("#pol-1"), "current") {
		t.Fatalf("the list after publishing: %s", w.text("#pol-1"))
	}
	w.shot("47-policies-list")
	w.open("/controls/GV-01")
	if main := w.text("main"); !strings.Contains(main, "POL-001") || !strings.Contains(main, "approved by Mia Member") {
		t.Fatalf("GV-01 does not show the policy: %s", main)
	}
	w.shot("48-policy-control")

	// Version 2: started from the text in force, edited; its page shows
	// the words that changed.
	w.open("/policies/1")
	w.submit("start version 2", `form[action="/policies/1/versions"] button[type=submit]`)
	v2 := get(w, "v2 text", chromedp.Value(chromedp.CSS("#p-body")))
	w.fill("#p-body", strings.Replace(v2, "every quarter", "every month", 1))
	w.submit("save v2", `form[action="/policies/1/draft"] button[value=save]`)
	w.open("/policies/1/versions/2?compare=1")
	if ins, del := w.text("#diff ins"), w.text("#diff del"); !strings.Contains(ins, "month") || !strings.Contains(del, "quarter") {
		t.Fatalf("the diff of version 2: inserted %q, deleted %q", ins, del)
	}
	w.noInjection("policy diff")
	w.shot("49-policy-diff")
}
