package server_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/training"
)

// quizAnswers answers the built-in quiz, the first wrong questions wrong.
func quizAnswers(t *testing.T, wrong int) map[string]int {
	t.Helper()
	b, err := training.Load()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	for i, q := range b.Quiz {
		a := q.Answer
		if i < wrong {
			a = (a + 1) % len(q.Choices)
		}
		m[q.ID] = a
	}
	return m
}

// TestTrainingAPI: the built-in course added and assigned to members; the
// quiz served without its answers and graded on the server; a member sees
// only their own records; an overdue-free roster shows HR-02 operating;
// bad input is refused naming the field.
func TestTrainingAPI(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"HR-02"}, "owner_id": e.users["admin"]}, 200, nil)
		// Bad courses, each named by its field.
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"builtin": "security-awareness", "pass_mark": 0}, "pass_mark"},
			{map[string]any{"builtin": "security-awareness", "pass_mark": 101}, "pass_mark"},
			{map[string]any{"builtin": "nope"}, "builtin"},
			{map[string]any{"title": "Secure coding", "control": "AC-01"}, "control"},
			{map[string]any{"title": "Secure coding", "due_days": 0}, "due_days"},
		} {
			b := e.do("admin", "POST", "/api/v1/training/courses", tc.body, 400, nil)
			if _, _, field := apiError(t, b); field != tc.field {
				t.Errorf("%v: field %q, want %q (%s)", tc.body, field, tc.field, b)
			}
		}
		e.do("member", "POST", "/api/v1/training/courses", map[string]any{"builtin": "security-awareness"}, 403, nil)
		var c api.CourseView
		e.do("admin", "POST", "/api/v1/training/courses", map[string]any{"builtin": "security-awareness", "pass_mark": 80}, 201, &c)
		if c.Key != "TRN-001" || c.Control != "HR-02" || c.Lessons < 6 || c.RecurrenceMonths != 12 {
			t.Fatalf("the built-in course: %+v", c)
		}
		b := e.do("admin", "POST", "/api/v1/training/courses", map[string]any{"builtin": "security-awareness"}, 409, nil)
		if code, _, _ := apiError(t, b); code != vigil.ECONFLICT {
			t.Fatalf("the built-in course twice: %s", b)
		}
		path := fmt.Sprintf("/api/v1/training/courses/%d", c.ID)
		// Nobody assigned: HR-02 is not a pass.
		var ctl api.ControlDetail
		e.do("admin", "GET", "/api/v1/controls/HR-02", nil, 200, &ctl)
		if ctl.Health.Passing() {
			t.Fatalf("HR-02 with nobody assigned: %+v", ctl.Health)
		}
		var a vigil.Assignment
		e.do("admin", "POST", path+"/assignments", map[string]any{"target": "role", "value": "member"}, 201, &a)
		b = e.do("admin", "POST", path+"/assignments", map[string]any{"target": "role", "value": "member"}, 400, nil)
		if _, _, field := apiError(t, b); field != "target" {
			t.Fatalf("assigning twice: %s", b)
		}
		b = e.do("admin", "POST", path+"/assignments", map[string]any{"target": "role", "value": "chief"}, 400, nil)
		if _, _, field := apiError(t, b); field != "value" {
			t.Fatalf("an unknown role: %s", b)
		}
		e.do("admin", "POST", "/api/v1/training/courses/999/assignments", map[string]any{"target": "all"}, 404, nil)
		// The owner and the admin are assigned too, so that one is seen
		// complete and the others are not.
		var all vigil.Assignment
		e.do("admin", "POST", path+"/assignments", map[string]any{"target": "all"}, 201, &all)

		// The quiz: questions and choices, no answer key anywhere.
		raw := e.do("member", "GET", path+"/quiz", nil, 200, nil)
		for _, leak := range []string{"answer", "explanation", "Explanation"} {
			if strings.Contains(string(raw), leak) {
				t.Fatalf("the quiz leaks %q: %.300s", leak, raw)
			}
		}
		var q api.Quiz
		e.do("member", "GET", path+"/quiz", nil, 200, &q)
		if len(q.Questions) < 12 || q.PassMark != 80 {
			t.Fatalf("quiz: %+v", q)
		}
		// Answers for a question the quiz lacks, and none at all.
		bad := quizAnswers(t, 0)
		bad["zz"] = 1
		b = e.do("member", "POST", path+"/quiz", map[string]any{"answers": bad}, 400, nil)
		if _, msg, field := apiError(t, b); field != "answers" || !strings.Contains(msg, "zz") {
			t.Fatalf("an answer to a missing question: %s", b)
		}
		e.do("member", "POST", path+"/quiz", map[string]any{}, 400, nil)
		e.do("member", "POST", "/api/v1/training/courses/999/quiz", map[string]any{"answers": quizAnswers(t, 0)}, 404, nil)

		var res vigil.QuizResult
		raw = e.do("member", "POST", path+"/quiz", map[string]any{"answers": quizAnswers(t, 4)}, 200, &res)
		if res.Passed || res.Score != 73 || res.Completion != nil || len(res.Feedback) != 0 || strings.Contains(string(raw), "explanation") {
			t.Fatalf("a failing attempt: %+v", res)
		}
		e.do("member", "POST", path+"/quiz", map[string]any{"answers": quizAnswers(t, 3)}, 200, &res)
		if !res.Passed || res.Score != 80 || res.Completion == nil || len(res.Feedback) != len(q.Questions) || res.Feedback[0].Correct || res.Feedback[0].Explanation == "" {
			t.Fatalf("a pass at the mark: %+v", res)
		}
		// The admin sees the whole roster; the member and the viewer only
		// their own line and their own completions.
		var view api.CourseView
		e.do("admin", "GET", path, nil, 200, &view)
		if len(view.Roster) != 5 || len(view.Completions) != 1 || len(view.Assignments) != 2 {
			t.Fatalf("the admin's view: %d roster, %d completions, %d assignments", len(view.Roster), len(view.Completions), len(view.Assignments))
		}
		e.do("auditor", "GET", path, nil, 200, &view)
		if len(view.Roster) != 5 {
			t.Fatalf("the auditor's roster: %+v", view.Roster)
		}
		e.do("member", "GET", path, nil, 200, &view)
		if len(view.Roster) != 1 || view.Roster[0].UserID != e.users["member"] || view.Roster[0].State != vigil.TrainingComplete || len(view.Completions) != 1 {
			t.Fatalf("the member's view: %+v %+v", view.Roster, view.Completions)
		}
		e.do("viewer", "GET", path, nil, 200, &view)
		if len(view.Roster) != 1 || view.Roster[0].UserID != e.users["viewer"] || len(view.Completions) != 0 {
			t.Fatalf("the viewer sees others' records: %+v %+v", view.Roster, view.Completions)
		}
		var mine api.Page[vigil.TrainingStatus]
		e.do("viewer", "GET", "/api/v1/training/mine", nil, 200, &mine)
		if len(mine.Items) != 1 || mine.Items[0].State != vigil.TrainingDue {
			t.Fatalf("the viewer's training: %+v", mine)
		}

		// Recording completions: refused for members, bad dates and
		// people named by field; recorded for the others.
		e.do("member", "POST", path+"/completions", map[string]any{"user_id": e.users["viewer"], "completed_at": "2026-01-01"}, 403, nil)
		b = e.do("admin", "POST", path+"/completions", map[string]any{"user_id": e.users["viewer"], "completed_at": "yesterday"}, 400, nil)
		if _, _, field := apiError(t, b); field != "completed_at" {
			t.Fatalf("a bad date: %s", b)
		}
		b = e.do("admin", "POST", path+"/completions", map[string]any{"user_id": 99999, "completed_at": "2026-01-01"}, 400, nil)
		if _, _, field := apiError(t, b); field != "user_id" {
			t.Fatalf("an unknown person: %s", b)
		}
		yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
		for _, who := range []string{"owner", "admin", "auditor", "viewer"} {
			var x vigil.Completion
			e.do("admin", "POST", path+"/completions", map[string]any{"user_id": e.users[who], "completed_at": yesterday, "note": "training day"}, 201, &x)
			if x.Source != vigil.CompletionAttestation || !x.Passed || x.EvidenceID == 0 {
				t.Fatalf("recorded: %+v", x)
			}
		}
		e.do("admin", "GET", "/api/v1/controls/HR-02", nil, 200, &ctl)
		var trained *vigil.Signal
		for i, s := range ctl.Health.Signals {
			if s.Source == "training" {
				trained = &ctl.Health.Signals[i]
			}
		}
		if trained == nil || trained.Status != vigil.SignalOK || !trained.Operating || !strings.Contains(trained.Reason, "5 of 5 complete") {
			t.Fatalf("HR-02's training signal: %+v", ctl.Health.Signals)
		}
		// The latest roster is sealed against HR-02 and answers its
		// evidence request (made when the control was adopted).
		var items api.Page[vigil.Evidence]
		e.do("admin", "GET", "/api/v1/evidence?control=HR-02", nil, 200, &items)
		rosters := 0
		for _, it := range items.Items {
			if strings.Contains(it.Title, "training roster") {
				rosters++
				if len(it.Requests) != 1 {
					t.Errorf("roster %q answers requests %v, want HR-02's one", it.Title, it.Requests)
				}
			}
		}
		if rosters == 0 {
			t.Fatalf("no roster sealed: %+v", items.Items)
		}
		// Unassigning.
		e.do("admin", "DELETE", fmt.Sprintf("%s/assignments/%d", path, all.ID), nil, 204, nil)
		e.do("admin", "DELETE", fmt.Sprintf("%s/assignments/%d", path, all.ID), nil, 404, nil)
	})
}

// TestTrainingPages: the pages without JavaScript: the owner adds the
// built-in course and assigns it to members; a member reads a lesson
// (rendered Markdown), sees no answer in the quiz form, fails and then
// passes it; the roster shows a member only their own line; bad input
// comes back beside its field.
func TestTrainingPages(t *testing.T) {
	e := newEnv(t, "sqlite")
	ss := e.sessions()
	owner, member, viewer := ss["owner"], ss["member"], ss["viewer"]
	form := func(s session, kv ...string) url.Values {
		f := url.Values{"csrf": {s.csrf}}
		for i := 0; i+1 < len(kv); i += 2 {
			f.Add(kv[i], kv[i+1])
		}
		return f
	}
	status, body, _ := e.page(&owner, "GET", "/training", nil)
	if status != 200 || !strings.Contains(body, "No course yet") || !strings.Contains(body, `href="/training"`) {
		t.Fatalf("the training page: %d %.300s", status, body)
	}
	status, body, _ = e.page(&owner, "POST", "/training/courses", form(owner, "builtin", "1", "pass_mark", "0", "recurrence_months", "12", "due_days", "30"))
	if status != 422 || !strings.Contains(body, "pass mark must be 1 to 100") {
		t.Fatalf("pass mark 0: %d %.300s", status, body)
	}
	status, _, hdr := e.page(&owner, "POST", "/training/courses", form(owner, "builtin", "1", "pass_mark", "80", "recurrence_months", "12", "due_days", "30"))
	if status != 303 || hdr.Get("Location") != "/training/1" {
		t.Fatalf("adding the built-in course: %d %s", status, hdr.Get("Location"))
	}
	if status, _, _ = e.page(&owner, "POST", "/training/1/assign", form(owner, "target", "role:member")); status != 303 {
		t.Fatalf("assigning: %d", status)
	}
	status, body, _ = e.page(&owner, "POST", "/training/1/assign", form(owner, "target", "department", "department", ""))
	if status != 422 || !strings.Contains(body, "name the department") {
		t.Fatalf("a department without a name: %d", status)
	}
	status, body, _ = e.page(&member, "GET", "/training/mine", nil)
	if status != 200 || !strings.Contains(body, "TRN-001") || !strings.Contains(body, `href="/training/1/take"`) {
		t.Fatalf("my training: %d %.500s", status, body)
	}
	status, body, _ = e.page(&member, "GET", "/training/1/take?step=2", nil)
	if status != 200 || !strings.Contains(body, ">Passwords and multi-factor authentication</h1>") || !strings.Contains(body, "<strong>security key or passkey</strong>") {
		t.Fatalf("lesson 2: %d %.300s", status, body)
	}
	status, body, _ = e.page(&member, "GET", "/training/1/take?step=quiz", nil)
	if status != 200 || strings.Contains(body, "Right.") || strings.Contains(body, "explanation") || strings.Count(body, `type="radio"`) < 30 {
		t.Fatalf("the quiz form: %d", status)
	}
	answer := func(wrong int) url.Values {
		f := form(member)
		for q, a := range quizAnswers(t, wrong) {
			f.Set("q-"+q, fmt.Sprint(a))
		}
		return f
	}
	status, body, _ = e.page(&member, "POST", "/training/1/quiz", answer(5))
	if status != 200 || !strings.Contains(body, "Not passed: 66%") || strings.Contains(body, "Not quite") || strings.Contains(body, "Right.") || strings.Contains(body, " checked") {
		t.Fatalf("failing: %d %.300s", status, body)
	}
	half := form(member, "q-q01", "2")
	if status, body, _ = e.page(&member, "POST", "/training/1/quiz", half); status != 422 || !strings.Contains(body, "answer every question") {
		t.Fatalf("half the answers: %d", status)
	}
	status, body, _ = e.page(&member, "POST", "/training/1/quiz", answer(0))
	if status != 200 || !strings.Contains(body, "Passed: 100%") {
		t.Fatalf("passing: %d %.300s", status, body)
	}
	// The member's roster shows only herself; the owner's, everyone.
	_, body, _ = e.page(&member, "GET", "/training/1", nil)
	if strings.Count(body, "data-user=") != 1 || !strings.Contains(body, `data-state="complete"`) || strings.Contains(body, "record-h") {
		t.Fatalf("the member's course page: %.500s", body)
	}
	_, body, _ = e.page(&viewer, "GET", "/training/1", nil)
	if strings.Count(body, "data-user=") != 0 || strings.Contains(body, "The member") {
		t.Fatalf("the viewer sees the member's training: %.500s", body)
	}
	// The course list: counts for the owner, one's own standing for others.
	if _, body, _ = e.page(&owner, "GET", "/training", nil); !strings.Contains(body, "1 of 1 complete") {
		t.Fatalf("the owner's course list: %.500s", body)
	}
	if _, body, _ = e.page(&viewer, "GET", "/training", nil); strings.Contains(body, "of 1 complete") || !strings.Contains(body, "not assigned to you") {
		t.Fatalf("the viewer's course list: %.500s", body)
	}
	_, body, _ = e.page(&owner, "GET", "/training/1", nil)
	if strings.Count(body, "data-user=") != 1 || !strings.Contains(body, "The member") || !strings.Contains(body, "record-h") {
		t.Fatalf("the owner's course page: %.500s", body)
	}
	status, body, _ = e.page(&owner, "POST", "/training/1/completions", form(owner, "user_id", fmt.Sprint(e.users["viewer"]), "completed_at", "soon"))
	if status != 422 || !strings.Contains(body, "completion date must be YYYY-MM-DD") {
		t.Fatalf("a bad completion date: %d", status)
	}
}
