package training

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/vigil-soc/vigil"
)

func TestBuiltinLoads(t *testing.T) {
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Lessons) < 6 || len(b.Lessons) > 8 {
		t.Fatalf("%d lessons, want 6 to 8", len(b.Lessons))
	}
	if len(b.Quiz) < MinQuestions {
		t.Fatalf("%d questions", len(b.Quiz))
	}
	if b.Lessons[0].ID != "phishing" || !strings.Contains(b.Lessons[0].Body, "# Phishing") {
		t.Fatalf("first lesson: %+v", b.Lessons[0].ID)
	}
	// The questions people see carry no answer or explanation.
	for _, q := range b.Questions() {
		if len(q.Choices) < 2 {
			t.Fatalf("question %s: %v", q.ID, q.Choices)
		}
	}
}

func answersOf(b *Builtin, wrong int) map[string]int {
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

func TestGrade(t *testing.T) {
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	n := len(b.Quiz)
	r, err := b.Grade(answersOf(b, 0), 80)
	if err != nil || r.Score != 100 || !r.Passed || r.Correct != n || len(r.Feedback) != n {
		t.Fatalf("all right: %+v %v", r, err)
	}
	r, err = b.Grade(answersOf(b, n), 80)
	if err != nil || r.Score != 0 || r.Passed || len(r.Feedback) != 0 {
		t.Fatalf("all wrong: %+v %v", r, err)
	}
	// The boundary: exactly the pass mark passes, one point under fails.
	// 15 questions: 12 right is 80%, 11 right is 73%.
	if n != 15 {
		t.Fatalf("the boundary cases below assume 15 questions, the quiz has %d", n)
	}
	if r, _ := b.Grade(answersOf(b, 3), 80); r.Score != 80 || !r.Passed {
		t.Fatalf("at the pass mark: %+v", r)
	}
	if r, _ := b.Grade(answersOf(b, 4), 80); r.Score != 73 || r.Passed {
		t.Fatalf("under the pass mark: %+v", r)
	}
	if r, _ := b.Grade(answersOf(b, 3), 81); r.Passed {
		t.Fatal("80% passed a pass mark of 81")
	}
	// Bad answers: a question the quiz lacks, one unanswered, a choice
	// out of range.
	a := answersOf(b, 0)
	a["q99"] = 0
	if _, err := b.Grade(a, 80); vigil.ErrorField(err) != "answers" || !strings.Contains(err.Error(), "q99") {
		t.Fatalf("an answer to a missing question: %v", err)
	}
	a = answersOf(b, 0)
	delete(a, "q05")
	if _, err := b.Grade(a, 80); vigil.ErrorField(err) != "answers" || !strings.Contains(err.Error(), "q05 unanswered") {
		t.Fatalf("an unanswered question: %v", err)
	}
	a = answersOf(b, 0)
	a["q01"] = 9
	if _, err := b.Grade(a, 80); vigil.ErrorField(err) != "answers" {
		t.Fatalf("a choice out of range: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	good, err := courseFS.ReadFile("course/quiz.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lesson := "---\nid: phishing\ntitle: Phishing\nminutes: 3\n---\n# Phishing\n\nText.\n"
	for _, tc := range []struct {
		name, file, data, want string
	}{
		{"unknown key", "course/01-phishing.md", "---\nid: phishing\ntitle: P\nminutes: 3\nauthor: me\n---\nText\n", "course/01-phishing.md:5: "},
		{"no front matter", "course/01-phishing.md", "# Phishing\n", "course/01-phishing.md:1: "},
		{"raw html", "course/01-phishing.md", "---\nid: phishing\ntitle: P\nminutes: 3\n---\n# P\n\n<script>x</script>\n", "course/01-phishing.md:8: raw HTML"},
		{"id and file", "course/01-other.md", lesson, "course/01-other.md:2: "},
		{"long lesson", "course/01-phishing.md", "---\nid: phishing\ntitle: P\nminutes: 40\n---\nText\n", "course/01-phishing.md:4: minutes"},
		{"bad answer", "course/quiz.yaml", strings.Replace(string(good), "    answer: 2\n", "    answer: 7\n", 1), "course/quiz.yaml:9: question q01: answer 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{"course/quiz.yaml": {Data: good}, "course/01-phishing.md": {Data: []byte(lesson)}}
			fsys[tc.file] = &fstest.MapFile{Data: []byte(tc.data)}
			if tc.file != "course/01-phishing.md" && tc.file != "course/quiz.yaml" {
				delete(fsys, "course/01-phishing.md")
			}
			_, err := load(fsys)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q...", err, tc.want)
			}
		})
	}
}
