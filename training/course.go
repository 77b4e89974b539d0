// Package training is the training module: Vigil's built-in security
// awareness course (short Markdown lessons and a quiz graded by the
// server, embedded), and the service that keeps courses, assignments and
// completions, grades quizzes, seals certificates and rosters into the
// evidence ledger and reports HR-02 and HR-03.
package training

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-soc/vigil"
)

//go:embed course/*.md course/quiz.yaml
var courseFS embed.FS

// BuiltinID is the built-in course's ID.
const BuiltinID = "security-awareness"

// Lesson is one short lesson of the built-in course.
type Lesson struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Minutes int    `json:"minutes"`
	Body    string `json:"body"` // Markdown, without the front matter
}

// QuizQuestion is a question with its answer key: it stays on the server.
type QuizQuestion struct {
	ID          string   `yaml:"id"`
	Text        string   `yaml:"text"`
	Choices     []string `yaml:"choices"`
	Answer      int      `yaml:"answer"`
	Explanation string   `yaml:"explanation"`
}

// Builtin is the built-in course: its lessons in order and its quiz.
type Builtin struct {
	ID      string
	Title   string
	Summary string
	Version int
	Lessons []Lesson
	Quiz    []QuizQuestion // with the answer key: never sent before grading
}

// LoadError names the course file and the line at fault.
type LoadError struct {
	File string
	Line int
	Msg  string
}

func (e *LoadError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Load parses and checks the embedded course. Each call returns fresh
// values.
func Load() (*Builtin, error) { return load(courseFS) }

var (
	idPattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	rawHTML   = regexp.MustCompile(`<[A-Za-z/!?]`)
	lineNum   = regexp.MustCompile(`line ([0-9]+)`)
)

func load(fsys fs.FS) (*Builtin, error) {
	b, err := loadQuiz(fsys, "course/quiz.yaml")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(fsys, "course/*.md")
	if err != nil {
		return nil, err
	}
	slices.Sort(names) // lessons run in file-name order: 01-..., 02-...
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		l, err := parseLesson(name, data)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(b.Lessons, func(x Lesson) bool { return x.ID == l.ID }) {
			return nil, &LoadError{File: name, Line: 2, Msg: fmt.Sprintf("lesson id %q is used twice", l.ID)}
		}
		b.Lessons = append(b.Lessons, l)
	}
	if len(b.Lessons) == 0 {
		return nil, &LoadError{File: "course", Line: 0, Msg: "the course has no lessons"}
	}
	return b, nil
}

type lessonFront struct {
	ID      string `yaml:"id"`
	Title   string `yaml:"title"`
	Minutes int    `yaml:"minutes"`
}

// parseLesson reads a lesson: YAML front matter between --- lines, then
// Markdown without raw HTML.
func parseLesson(file string, data []byte) (Lesson, error) {
	fail := func(line int, format string, args ...any) error {
		return &LoadError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	lines := strings.SplitAfter(string(data), "\n")
	if strings.TrimRight(lines[0], "\r\n") != "---" {
		return Lesson{}, fail(1, "a lesson opens with front matter: a line holding only ---")
	}
	end := -1
	for i := 1; i < len(lines); i++ {
		if strings.TrimRight(lines[i], "\r\n") == "---" {
			end = i
			break
		}
	}
	if end < 0 {
		return Lesson{}, fail(1, "the front matter is not closed by a line holding only ---")
	}
	fmText, body := strings.Join(lines[1:end], ""), strings.Join(lines[end+1:], "")
	var node yaml.Node
	if err := yaml.Unmarshal([]byte(fmText), &node); err != nil {
		line, msg := yamlLine(err, 1)
		return Lesson{}, fail(line, "malformed front matter: %s", msg)
	}
	var fm lessonFront
	dec := yaml.NewDecoder(strings.NewReader(fmText))
	dec.KnownFields(true)
	if err := dec.Decode(&fm); err != nil && !errors.Is(err, io.EOF) {
		line, msg := yamlLine(err, 1)
		return Lesson{}, fail(line, "%s", msg)
	}
	at := func(key string) int {
		if len(node.Content) > 0 {
			m := node.Content[0]
			for i := 0; i+1 < len(m.Content); i += 2 {
				if m.Content[i].Value == key {
					return m.Content[i].Line + 1
				}
			}
		}
		return 2
	}
	bodyStart := end + 2
	base := path.Base(file)
	switch {
	case !idPattern.MatchString(fm.ID):
		return Lesson{}, fail(at("id"), "id %q must be lower-case words joined by dashes", fm.ID)
	case !strings.HasSuffix(strings.TrimSuffix(base, ".md"), fm.ID):
		return Lesson{}, fail(at("id"), "id %q must end the file's name (%s)", fm.ID, base)
	case strings.TrimSpace(fm.Title) == "":
		return Lesson{}, fail(at("title"), "title is required")
	case fm.Minutes < 1 || fm.Minutes > 15:
		return Lesson{}, fail(at("minutes"), "minutes must be 1 to 15: lessons are short")
	case strings.TrimSpace(body) == "":
		return Lesson{}, fail(bodyStart, "the lesson text is empty")
	}
	if loc := rawHTML.FindStringIndex(body); loc != nil {
		return Lesson{}, fail(bodyStart+strings.Count(body[:loc[0]], "\n"), "raw HTML is not allowed: lessons are Markdown")
	}
	return Lesson{ID: fm.ID, Title: fm.Title, Minutes: fm.Minutes, Body: body}, nil
}

// yamlLine turns a yaml error into a file line (yaml counts from the
// block's first line, which is the file's line start+1) and a message.
func yamlLine(err error, start int) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	line := start + 1
	if m := lineNum.FindStringSubmatch(msg); m != nil {
		var n int
		fmt.Sscanf(m[1], "%d", &n)
		line = n + start
		msg = strings.TrimPrefix(strings.TrimPrefix(msg, m[0]), ": ")
	}
	return line, msg
}

type quizFile struct {
	ID        string         `yaml:"id"`
	Title     string         `yaml:"title"`
	Summary   string         `yaml:"summary"`
	Version   int            `yaml:"version"`
	Questions []QuizQuestion `yaml:"questions"`
}

// MinQuestions is the fewest questions the built-in quiz may have.
const MinQuestions = 12

func loadQuiz(fsys fs.FS, file string) (*Builtin, error) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	fail := func(line int, format string, args ...any) error {
		return &LoadError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	var node yaml.Node
	if err := yaml.Unmarshal(data, &node); err != nil {
		line, msg := yamlLine(err, 0)
		return nil, fail(line, "malformed quiz: %s", msg)
	}
	var q quizFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&q); err != nil {
		line, msg := yamlLine(err, 0)
		return nil, fail(line, "%s", msg)
	}
	// The line of each question's mapping, for messages.
	var qLines []int
	if len(node.Content) > 0 {
		m := node.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "questions" {
				for _, it := range m.Content[i+1].Content {
					qLines = append(qLines, it.Line)
				}
			}
		}
	}
	switch {
	case q.ID != BuiltinID:
		return nil, fail(1, "id must be %s", BuiltinID)
	case strings.TrimSpace(q.Title) == "" || strings.TrimSpace(q.Summary) == "" || q.Version < 1:
		return nil, fail(1, "title, summary and a version of 1 or more are required")
	case len(q.Questions) < MinQuestions:
		return nil, fail(1, "the quiz has %d questions; at least %d", len(q.Questions), MinQuestions)
	}
	seen := map[string]bool{}
	for i, x := range q.Questions {
		line := 1
		if i < len(qLines) {
			line = qLines[i]
		}
		switch {
		case !idPattern.MatchString(x.ID):
			return nil, fail(line, "question id %q must be lower-case letters and digits", x.ID)
		case seen[x.ID]:
			return nil, fail(line, "question id %s is used twice", x.ID)
		case strings.TrimSpace(x.Text) == "":
			return nil, fail(line, "question %s has no text", x.ID)
		case len(x.Choices) < 2 || len(x.Choices) > 5:
			return nil, fail(line, "question %s needs 2 to 5 choices, has %d", x.ID, len(x.Choices))
		case x.Answer < 0 || x.Answer >= len(x.Choices):
			return nil, fail(line, "question %s: answer %d is not one of its choices (0 to %d)", x.ID, x.Answer, len(x.Choices)-1)
		case strings.TrimSpace(x.Explanation) == "":
			return nil, fail(line, "question %s has no explanation", x.ID)
		}
		for j, c := range x.Choices {
			if strings.TrimSpace(c) == "" || slices.Index(x.Choices, c) != j {
				return nil, fail(line, "question %s: choice %d is empty or repeated", x.ID, j)
			}
		}
		seen[x.ID] = true
	}
	return &Builtin{ID: q.ID, Title: q.Title, Summary: q.Summary, Version: q.Version, Quiz: q.Questions}, nil
}

// Questions is the quiz as people see it: the questions and their
// choices, never the answers.
func (b *Builtin) Questions() []vigil.Question {
	out := make([]vigil.Question, 0, len(b.Quiz))
	for _, q := range b.Quiz {
		out = append(out, vigil.Question{ID: q.ID, Text: q.Text, Choices: slices.Clone(q.Choices)})
	}
	return out
}

// Grade scores answers (question ID to the index of the chosen choice)
// against the key. Every question must be answered, once, with one of
// its choices; an answer to a question the quiz does not have is refused.
// It passes when the score reaches passMark.
func (b *Builtin) Grade(answers map[string]int, passMark int) (*vigil.QuizResult, error) {
	for id := range answers {
		if !slices.ContainsFunc(b.Quiz, func(q QuizQuestion) bool { return q.ID == id }) {
			return nil, vigil.FieldError("answers", "the quiz has no question %q", clip(id, 20))
		}
	}
	res := &vigil.QuizResult{Total: len(b.Quiz), PassMark: passMark}
	var missing []string
	for _, q := range b.Quiz {
		a, ok := answers[q.ID]
		if !ok {
			missing = append(missing, q.ID)
			continue
		}
		if a < 0 || a >= len(q.Choices) {
			return nil, vigil.FieldError("answers", "question %s has choices 0 to %d, got %d", q.ID, len(q.Choices)-1, a)
		}
		ok = a == q.Answer
		if ok {
			res.Correct++
		}
		res.Feedback = append(res.Feedback, vigil.QuizFeedback{ID: q.ID, Correct: ok, Answer: q.Answer, Explanation: q.Explanation})
	}
	if len(missing) > 0 {
		return nil, vigil.FieldError("answers", "answer every question: %s unanswered", strings.Join(missing, ", "))
	}
	res.Score = vigil.Score(res.Correct, res.Total)
	res.Passed = res.Score >= passMark
	if !res.Passed {
		// A failed attempt learns its score, not which answers were
		// wrong nor the right ones: with those, retrying would pass
		// without reading a lesson.
		res.Feedback = nil
	}
	return res, nil
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
