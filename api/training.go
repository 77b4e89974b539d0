package api

import "github.com/vigil-soc/vigil"

// CourseRequest creates a course: the organization's own, or (builtin:
// "security-awareness") Vigil's built-in security awareness course.
// Omitted numbers take their defaults; a pass mark given as 0 is refused.
type CourseRequest struct {
	Title            string           `json:"title,omitempty"` // default for the built-in course: its title
	Description      string           `json:"description,omitempty"`
	Kind             vigil.CourseKind `json:"kind,omitempty"`    // awareness (default) or role_based
	Control          string           `json:"control,omitempty"` // HR-02 (awareness, default) or HR-03
	Builtin          string           `json:"builtin,omitempty"`
	PassMark         *int             `json:"pass_mark,omitempty"`         // percent, 1 to 100, default 80
	RecurrenceMonths *int             `json:"recurrence_months,omitempty"` // 0 (once) to 36, default 12
	DueDays          *int             `json:"due_days,omitempty"`          // 1 to 365, default 30
}

// CourseView is a course with its assignments, and the roster and
// completions the caller may see: everyone's for those who manage or
// audit the program, one's own for anyone else.
type CourseView struct {
	vigil.Course
	Lessons     int                    `json:"lessons,omitempty"` // the built-in course's lessons
	Assignments []vigil.Assignment     `json:"assignments"`
	Roster      []vigil.TrainingStatus `json:"roster"`
	Completions []vigil.Completion     `json:"completions"`
}

// AssignRequest assigns a course to everyone (target all), a role, or a
// department (as the personnel register gives it, matched by email).
type AssignRequest struct {
	Target vigil.AssignTarget `json:"target"`
	Value  string             `json:"value,omitempty"`
}

// Quiz is a built-in course's quiz as people see it: never the answers.
type Quiz struct {
	CourseID  int64            `json:"course_id"`
	PassMark  int              `json:"pass_mark"`
	Questions []vigil.Question `json:"questions"`
}

// QuizAnswers are the chosen choices: question ID to the choice's index
// (from 0).
type QuizAnswers struct {
	Answers map[string]int `json:"answers"`
}

// CompletionRequest records a completion done elsewhere: with a
// certificate uploaded as evidence (evidence_id, linked to the course's
// control), or attested, with a certificate Vigil generates.
type CompletionRequest struct {
	UserID      int64  `json:"user_id"`
	CompletedAt string `json:"completed_at"` // YYYY-MM-DD
	Score       int    `json:"score,omitempty"`
	EvidenceID  int64  `json:"evidence_id,omitempty"`
	Note        string `json:"note,omitempty"`
}
