package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil/auth"
	"github.com/vigil-soc/vigil/training"
)

// TestBrowserTraining walks training in Chromium, without JavaScript
// doing any of the work: the owner adds the built-in course and assigns
// it to members; a member opens My training, reads a lesson, fails the
// quiz, then passes it; the owner's roster shows her complete and HR-02,
// implemented and owned, is healthy on the training record.
func TestBrowserTraining(t *testing.T) {
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

	w.open("/training")
	if !strings.Contains(w.text("#courses"), "No course yet") {
		t.Fatalf("a new organization's training: %s", w.text("#courses"))
	}
	// A pass mark of 0 is refused beside its field, the input kept.
	w.fill("#b-pass", "0")
	w.submit("add with pass mark 0", `form[action="/training/courses"] input[name=builtin] ~ p button[type=submit]`)
	if !strings.Contains(w.text(".field-error"), "pass mark must be 1 to 100") {
		t.Fatalf("pass mark 0: %s", w.text("main"))
	}
	w.shot("60-training-pass-mark-error")
	w.fill("#b-pass", "80")
	w.submit("add the built-in course", `form[action="/training/courses"] input[name=builtin] ~ p button[type=submit]`)
	if !strings.HasPrefix(w.location(), "/training/1") || !strings.Contains(w.text(".flash"), "TRN-001") {
		t.Fatalf("after adding at %s: %s", w.location(), w.text("main"))
	}
	w.fill("#a-target", "role:member")
	w.submit("assign to members", `form[action="/training/1/assign"] button[type=submit]`)
	if !strings.Contains(w.text("#assignments"), "the member role") {
		t.Fatalf("after assigning: %s", w.text("main"))
	}
	w.shot("61-training-course")

	// Mia: her training, a lesson, the quiz.
	w.accept(mia, "mia@acme.test", "mia's long password")
	w.open("/training/mine")
	if !strings.Contains(w.text("#mine-1"), "due") {
		t.Fatalf("Mia's training: %s", w.text("#mine"))
	}
	w.shot("62-training-mine")
	w.submit("start", `#mine-1 a[href="/training/1/take"]`)
	w.submit("next lesson", `#next`)
	if !strings.Contains(w.text("#lesson h1"), "Passwords and multi-factor") {
		t.Fatalf("lesson 2: %s", w.text("main"))
	}
	w.noInjection("lesson")
	w.shot("63-training-lesson")
	w.open("/training/1/take?step=quiz")
	b, err := training.Load()
	if err != nil {
		t.Fatal(err)
	}
	answer := func(wrong int) {
		for i, q := range b.Quiz {
			a := q.Answer
			if i < wrong {
				a = (a + 1) % len(q.Choices)
			}
			w.click(fmt.Sprintf(`input[name="q-%s"][value="%d"]`, q.ID, a))
		}
		w.submit("submit the quiz", `#quiz button[type=submit]`)
	}
	answer(6)
	if res := w.text("#result"); !strings.Contains(res, "Not passed: 60%") {
		t.Fatalf("a failing attempt: %s", w.text("main"))
	}
	// A failed attempt learns its score only: no question marked, no
	// answer given away, the form blank again.
	if w.count("#quiz .field-error") != 0 || w.count("#quiz .ok") != 0 || w.count("#quiz input:checked") != 0 {
		t.Fatalf("a failed attempt gives away answers: %s", w.text("#quiz"))
	}
	w.shot("64-training-quiz-failed")
	answer(1)
	if res := w.text("#result"); !strings.Contains(res, "Passed: 93%") {
		t.Fatalf("a pass: %s", w.text("main"))
	}
	if w.count("#quiz .field-error") != 1 || w.count("#quiz .ok") != len(b.Quiz)-1 {
		t.Fatalf("after a pass, each answer explained: %d wrong, %d right", w.count("#quiz .field-error"), w.count("#quiz .ok"))
	}
	w.shotOf("65-training-quiz-passed", "#main")
	w.open("/training/1")
	if w.count("#roster tr[data-user]") != 1 || w.count(`#roster tr[data-state=complete]`) != 1 {
		t.Fatalf("Mia's view of the roster: %s", w.text("#roster"))
	}

	// Olive: the roster, then HR-02 implemented and owned, healthy.
	w.signOut()
	w.signIn("olive@acme.test", "olive's long password")
	code, _ := auth.TOTPCode(secret, time.Now().Add(30*time.Second))
	w.fill("#code", code)
	w.submit("code", `form[action="/login/mfa"] button[type=submit]`)
	w.open("/training/1")
	if !strings.Contains(w.text("#roster"), "Mia Member") || w.count(`#roster tr[data-state=complete]`) != 1 || !strings.Contains(w.text("#completions"), "evidence") {
		t.Fatalf("the roster: %s / %s", w.text("#roster"), w.text("#completions"))
	}
	w.shot("66-training-roster")
	w.open("/training")
	if !strings.Contains(w.text("#course-1"), "1 of 1 complete") {
		t.Fatalf("the course list: %s", w.text("#course-1"))
	}
	w.shot("67-training-list")
	w.open("/controls/HR-02")
	w.fill("#status", "implemented")
	w.fill("#owner_id", "1")
	w.submit("save HR-02", `form[action="/controls/HR-02"] button[type=submit]`)
	w.open("/controls/HR-02")
	main := w.text("main")
	if !strings.Contains(main, "TRN-001") || !strings.Contains(main, "1 of 1 complete") {
		t.Fatalf("HR-02 does not show the training: %s", main)
	}
	if w.count(".h-healthy") == 0 {
		t.Fatalf("HR-02 is not healthy: %s", main)
	}
	w.shot("68-training-control")
}
