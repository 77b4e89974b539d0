package vigil

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// CourseKind says what a training course is for.
type CourseKind string

// The kinds of course: security awareness for everyone (HR-02), and
// role-based training such as secure development for engineers (HR-03).
const (
	CourseAwareness CourseKind = "awareness"
	CourseRoleBased CourseKind = "role_based"
)

// The library controls training shows operating: security awareness at
// hire and yearly, and secure development training for engineers.
const (
	AwarenessControl         = "HR-02"
	SecureDevelopmentControl = "HR-03"
)

// TrainingControls are the controls a course may count toward.
var TrainingControls = []string{AwarenessControl, SecureDevelopmentControl}

// Limits and defaults of training.
const (
	DefaultPassMark         = 80
	DefaultRecurrenceMonths = 12
	MaxRecurrenceMonths     = 36
	DefaultDueDays          = 30
	MaxDueDays              = 365
	MaxCourseTitleLen       = 200
	MaxCourseDescLen        = 4000
	// TrainingDueSoonDays is how long before its due date training shows
	// as due soon.
	TrainingDueSoonDays = 14
)

// Course is one training course: built in (its lessons and quiz are
// Vigil's, graded by the server) or the organization's own (completions
// are recorded by a manager, with a certificate).
type Course struct {
	ID          int64      `json:"id"`
	Key         string     `json:"key"` // TRN-001
	Title       string     `json:"title"`
	Description string     `json:"description,omitempty"`
	Kind        CourseKind `json:"kind"`
	// Builtin is the ID of the built-in course this one delivers, or "".
	Builtin string `json:"builtin,omitempty"`
	// Control is the library control completions count toward (HR-02 or
	// HR-03).
	Control string `json:"control"`
	// PassMark is the quiz score, in percent, a pass needs.
	PassMark int `json:"pass_mark"`
	// RecurrenceMonths is how long a completion counts; 0: for ever.
	RecurrenceMonths int `json:"recurrence_months"`
	// DueDays is how long after being assigned (or joining) a person has
	// to complete the course.
	DueDays   int        `json:"due_days"`
	CreatedAt time.Time  `json:"created_at"`
	RetiredAt *time.Time `json:"retired_at,omitempty"`
}

// Validate normalizes and checks a course's settings.
func (c *Course) Validate() error {
	c.Title = strings.TrimSpace(c.Title)
	c.Description = strings.TrimSpace(c.Description)
	switch {
	case c.Title == "":
		return FieldError("title", "title is required")
	case len(c.Title) > MaxCourseTitleLen || !utf8.ValidString(c.Title) || strings.ContainsAny(c.Title, "\x00\r\n"):
		return FieldError("title", "title must be one line of at most %d characters", MaxCourseTitleLen)
	case len(c.Description) > MaxCourseDescLen || !utf8.ValidString(c.Description) || strings.ContainsRune(c.Description, 0):
		return FieldError("description", "description must be text of at most %d characters", MaxCourseDescLen)
	}
	switch c.Kind {
	case "":
		c.Kind = CourseAwareness
	case CourseAwareness, CourseRoleBased:
	default:
		return FieldError("kind", "kind must be awareness or role_based, got %q", clipText(string(c.Kind), 40))
	}
	if c.Control == "" {
		c.Control = AwarenessControl
		if c.Kind == CourseRoleBased {
			c.Control = SecureDevelopmentControl
		}
	}
	c.Control = CanonicalControlID(c.Control)
	if !slices.Contains(TrainingControls, c.Control) {
		return FieldError("control", "training counts toward %s (awareness) or %s (secure development), not %q",
			AwarenessControl, SecureDevelopmentControl, clipText(c.Control, 40))
	}
	if c.PassMark < 1 || c.PassMark > 100 {
		return FieldError("pass_mark", "pass mark must be 1 to 100 percent, got %d", c.PassMark)
	}
	if c.RecurrenceMonths < 0 || c.RecurrenceMonths > MaxRecurrenceMonths {
		return FieldError("recurrence_months", "recurrence must be 0 (once) to %d months, got %d", MaxRecurrenceMonths, c.RecurrenceMonths)
	}
	if c.DueDays < 1 || c.DueDays > MaxDueDays {
		return FieldError("due_days", "due days must be 1 to %d, got %d", MaxDueDays, c.DueDays)
	}
	return nil
}

// AssignTarget says whom an assignment covers.
type AssignTarget string

// The assignment targets. A department assignment covers the users whose
// email the personnel register lists in that department (compared
// without case); a user the register does not know is not covered.
const (
	TargetAll        AssignTarget = "all"
	TargetRole       AssignTarget = "role"
	TargetDepartment AssignTarget = "department"
)

// Assignment gives a course to everyone, to a role, or to a department.
type Assignment struct {
	ID        int64        `json:"id"`
	CourseID  int64        `json:"course_id"`
	Target    AssignTarget `json:"target"`
	Value     string       `json:"value,omitempty"` // the role or the department
	CreatedAt time.Time    `json:"created_at"`
	CreatedBy int64        `json:"created_by,omitempty"`
}

// Validate normalizes and checks an assignment.
func (a *Assignment) Validate() error {
	a.Value = strings.TrimSpace(a.Value)
	switch a.Target {
	case TargetAll:
		if a.Value != "" {
			return FieldError("value", "an assignment to everyone names no role or department")
		}
	case TargetRole:
		if _, err := ParseRole("value", a.Value); err != nil {
			return err
		}
	case TargetDepartment:
		if a.Value == "" || len(a.Value) > 100 || !utf8.ValidString(a.Value) || strings.ContainsAny(a.Value, "\x00\r\n") {
			return FieldError("value", "name the department (one line, at most 100 characters)")
		}
	default:
		return FieldError("target", "target must be all, role or department, got %q", clipText(string(a.Target), 40))
	}
	return nil
}

// Covers reports whether the assignment applies to u, whose department
// is the personnel register's for their email ("" when the register has
// none: a department assignment then does not cover them).
func (a *Assignment) Covers(u *User, department string) bool {
	if u.Disabled {
		return false
	}
	switch a.Target {
	case TargetAll:
		return true
	case TargetRole:
		return string(u.Role) == a.Value
	case TargetDepartment:
		return department != "" && strings.EqualFold(strings.TrimSpace(department), a.Value)
	}
	return false
}

// MaySeeTraining reports whether the actor may see userID's training
// records (userID -1: anyone's): people who manage the program or audit
// it see everyone's; everyone else sees only their own.
func (a Actor) MaySeeTraining(userID int64) bool {
	return a.Role.Can(PermManage) || a.Role.Can(PermReadActivity) || a.UserID != 0 && a.UserID == userID
}

// CompletionSource says how a completion was recorded.
type CompletionSource string

// The completion sources.
const (
	CompletionQuiz        CompletionSource = "builtin_quiz" // passed Vigil's own quiz
	CompletionUpload      CompletionSource = "upload"       // a certificate uploaded as evidence
	CompletionAttestation CompletionSource = "attestation"  // a manager attests, with a generated certificate
)

// Completion is one person's completion of a course.
type Completion struct {
	ID          int64            `json:"id"`
	CourseID    int64            `json:"course_id"`
	UserID      int64            `json:"user_id"`
	UserName    string           `json:"user_name,omitempty"`
	CompletedAt time.Time        `json:"completed_at"`
	Score       int              `json:"score"` // percent; 0 when not scored
	Passed      bool             `json:"passed"`
	Source      CompletionSource `json:"source"`
	// EvidenceID is the certificate in the evidence ledger: the uploaded
	// file, or the certificate Vigil generated. 0 until it is sealed.
	EvidenceID int64  `json:"evidence_id,omitempty"`
	RecordedBy int64  `json:"recorded_by,omitempty"`
	Note       string `json:"note,omitempty"`
}

// Validate checks a completion recorded by hand.
func (c *Completion) Validate(now time.Time) error {
	c.Note = strings.TrimSpace(c.Note)
	switch {
	case c.UserID <= 0:
		return FieldError("user_id", "name the person who completed the course")
	case c.CompletedAt.IsZero():
		return FieldError("completed_at", "say when the course was completed")
	case c.CompletedAt.After(now.Add(time.Hour)):
		return FieldError("completed_at", "completion date %s is in the future", c.CompletedAt.UTC().Format(time.DateOnly))
	case c.Score < 0 || c.Score > 100:
		return FieldError("score", "score must be 0 to 100 percent, got %d", c.Score)
	case len(c.Note) > 2000 || !utf8.ValidString(c.Note):
		return FieldError("note", "note must be text of at most 2000 characters")
	}
	switch c.Source {
	case CompletionUpload:
		if c.EvidenceID <= 0 {
			return FieldError("evidence_id", "an uploaded certificate names its evidence item")
		}
	case CompletionAttestation, CompletionQuiz:
	default:
		return FieldError("source", "source must be builtin_quiz, upload or attestation, got %q", clipText(string(c.Source), 40))
	}
	return nil
}

// ExpiresAt is when a passed completion stops counting (zero: never).
func (c *Course) ExpiresAt(done time.Time) time.Time {
	if c.RecurrenceMonths == 0 {
		return time.Time{}
	}
	return done.AddDate(0, c.RecurrenceMonths, 0)
}

// Counts reports whether a completion counts for the course at t: passed
// and not expired.
func (c *Course) Counts(x *Completion, t time.Time) bool {
	if !x.Passed || x.CourseID != c.ID || x.CompletedAt.After(t) {
		return false
	}
	exp := c.ExpiresAt(x.CompletedAt)
	return exp.IsZero() || t.Before(exp)
}

// TrainingState is where a person stands with a course.
type TrainingState string

// The training states.
const (
	TrainingNotAssigned TrainingState = "not_assigned"
	TrainingDue         TrainingState = "due"
	TrainingDueSoon     TrainingState = "due_soon"
	TrainingOverdue     TrainingState = "overdue"
	TrainingComplete    TrainingState = "complete"
)

// TrainingStatus is one person's standing with one course.
type TrainingStatus struct {
	CourseID  int64         `json:"course_id"`
	CourseKey string        `json:"course_key"`
	Course    string        `json:"course"`
	UserID    int64         `json:"user_id"`
	UserName  string        `json:"user_name"`
	State     TrainingState `json:"state"`
	// Due is when the course is (or was) due; zero while complete.
	Due time.Time `json:"due,omitzero"`
	// CompletedAt and ExpiresAt describe the completion that counts.
	CompletedAt time.Time `json:"completed_at,omitzero"`
	ExpiresAt   time.Time `json:"expires_at,omitzero"`
	Score       int       `json:"score,omitempty"`
}

// StatusAt is u's standing with the course at t, given the assignments
// of the course and u's completions of it. A person is due from the
// later of the assignment and their joining, for the course's due days;
// once a completion expires, the next is due on its expiry.
func (c *Course) StatusAt(u *User, department string, as []Assignment, done []Completion, t time.Time) TrainingStatus {
	st := TrainingStatus{CourseID: c.ID, CourseKey: c.Key, Course: c.Title, UserID: u.ID, UserName: displayName(u), State: TrainingNotAssigned}
	var since time.Time
	for i := range as {
		if as[i].CourseID == c.ID && as[i].Covers(u, department) && (since.IsZero() || as[i].CreatedAt.Before(since)) {
			since = as[i].CreatedAt
		}
	}
	if since.IsZero() || c.RetiredAt != nil {
		return st
	}
	var last *Completion // the latest passed completion
	for i := range done {
		x := &done[i]
		if x.UserID == u.ID && x.CourseID == c.ID && x.Passed && !x.CompletedAt.After(t) && (last == nil || x.CompletedAt.After(last.CompletedAt)) {
			last = x
		}
	}
	if last != nil && c.Counts(last, t) {
		st.State, st.CompletedAt, st.ExpiresAt, st.Score = TrainingComplete, last.CompletedAt, c.ExpiresAt(last.CompletedAt), last.Score
		return st
	}
	start := since
	if u.CreatedAt.After(start) {
		start = u.CreatedAt
	}
	st.Due = start.AddDate(0, 0, c.DueDays)
	if last != nil {
		st.Due = c.ExpiresAt(last.CompletedAt) // retraining is due when the last one lapses
		st.CompletedAt, st.ExpiresAt, st.Score = last.CompletedAt, st.Due, last.Score
	}
	switch {
	case !t.Before(st.Due):
		st.State = TrainingOverdue
	case !t.Before(st.Due.AddDate(0, 0, -TrainingDueSoonDays)):
		st.State = TrainingDueSoon
	default:
		st.State = TrainingDue
	}
	return st
}

func displayName(u *User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// maxNamed is how many people a training signal names before "and N more".
const maxNamed = 5

func namedList(names []string) string {
	if len(names) <= maxNamed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxNamed], ", "), len(names)-maxNamed)
}

// TrainingSignals says what training shows about HR-02 and HR-03, one
// signal per course in force, given each course's roster (the assigned
// people's statuses). A course nobody is assigned, or no course at all,
// is unknown: nobody trained is not a pass. Anyone overdue fails the
// control, named; a course shows the control operating only while every
// assigned person is complete or not yet due, and at least one has
// completed it.
func TrainingSignals(courses []Course, rosters map[int64][]TrainingStatus, now time.Time) map[string][]Signal {
	out := map[string][]Signal{}
	for i := range courses {
		c := &courses[i]
		if c.RetiredAt != nil {
			continue
		}
		name := c.Key + " " + c.Title
		sig := Signal{ControlID: c.Control, Source: "training"}
		var overdue, soon, pending []string
		complete := 0
		for _, st := range rosters[c.ID] {
			switch st.State {
			case TrainingOverdue:
				overdue = append(overdue, st.UserName+" (due "+st.Due.UTC().Format(time.DateOnly)+")")
			case TrainingDueSoon:
				soon = append(soon, st.UserName)
			case TrainingDue:
				pending = append(pending, st.UserName)
			case TrainingComplete:
				complete++
			}
		}
		total := complete + len(overdue) + len(soon) + len(pending)
		switch {
		case total == 0:
			sig.Status, sig.Reason = SignalUnknown, name+": nobody is assigned this course"
		case len(overdue) > 0:
			sig.Status, sig.Reason = SignalFail, fmt.Sprintf("%s: %d of %d overdue: %s", name, len(overdue), total, namedList(overdue))
		case complete == 0:
			sig.Status, sig.Reason = SignalNeutral, fmt.Sprintf("%s: %d assigned, none has completed it yet (none overdue)", name, total)
		case len(soon) > 0:
			sig.Status, sig.Operating = SignalWarn, true
			sig.Reason = fmt.Sprintf("%s: %d of %d complete; due soon: %s", name, complete, total, namedList(soon))
		default:
			sig.Status, sig.Operating = SignalOK, true
			sig.Reason = fmt.Sprintf("%s: %d of %d complete", name, complete, total)
			if len(pending) > 0 {
				sig.Reason += fmt.Sprintf(", %d not yet due", len(pending))
			}
		}
		sig.At = now
		out[c.Control] = append(out[c.Control], sig)
	}
	for _, ctl := range TrainingControls {
		if len(out[ctl]) == 0 {
			what := "security awareness"
			if ctl == SecureDevelopmentControl {
				what = "secure development"
			}
			out[ctl] = []Signal{{ControlID: ctl, Source: "training", Status: SignalUnknown,
				Reason: "no " + what + " training course is kept in Vigil: add one and assign it"}}
		}
	}
	return out
}

// Question is one quiz question as people see it: never its answer.
type Question struct {
	ID      string   `json:"id"`
	Text    string   `json:"text"`
	Choices []string `json:"choices"`
}

// QuizResult is a graded attempt.
type QuizResult struct {
	CourseID int64 `json:"course_id"`
	Score    int   `json:"score"` // percent
	Correct  int   `json:"correct"`
	Total    int   `json:"total"`
	PassMark int   `json:"pass_mark"`
	Passed   bool  `json:"passed"`
	// Feedback is given after a pass: each question's right answer and
	// why. A failed attempt gets its score only, so that trying again
	// means reading the lessons rather than copying the key.
	Feedback   []QuizFeedback `json:"feedback,omitempty"`
	Completion *Completion    `json:"completion,omitempty"`
}

// QuizFeedback is one graded question.
type QuizFeedback struct {
	ID          string `json:"id"`
	Correct     bool   `json:"correct"`
	Answer      int    `json:"answer"`
	Explanation string `json:"explanation"`
}

// Score is the percentage of correct answers out of total, rounded down,
// so that a pass mark is never reached by rounding.
func Score(correct, total int) int {
	if total <= 0 {
		return 0
	}
	return correct * 100 / total
}
