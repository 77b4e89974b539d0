package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/vigil-soc/vigil"
)

// Training: courses, assignments, completions, quiz attempts and the
// rosters sealed into the ledger. The rules (validation, who is assigned,
// status) are the domain's (training.go); the store writes rows and their
// activity entries.

const courseCols = `id, course_key, title, description, kind, builtin, control_id, pass_mark, recurrence_months, due_days, created_at, retired_at`

func scanCourse(r scanner) (vigil.Course, error) {
	var c vigil.Course
	var kind string
	var created, retired dbTime
	err := r.Scan(&c.ID, &c.Key, &c.Title, &c.Description, &kind, &c.Builtin, &c.Control, &c.PassMark, &c.RecurrenceMonths, &c.DueDays, &created, &retired)
	c.Kind, c.CreatedAt, c.RetiredAt = vigil.CourseKind(kind), created.T, retired.ptr()
	return c, err
}

func courseLog(c *vigil.Course) map[string]any {
	return map[string]any{"key": c.Key, "title": c.Title, "kind": c.Kind, "builtin": c.Builtin, "control": c.Control,
		"pass_mark": c.PassMark, "recurrence_months": c.RecurrenceMonths, "due_days": c.DueDays}
}

// CreateCourse validates and stores a course, giving it the next key.
// The built-in course is kept once.
func (s *Store) CreateCourse(ctx context.Context, c *vigil.Course) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(t *wtx) error {
		if c.Builtin != "" {
			var n int
			if err := t.queryRow(ctx, "SELECT count(*) FROM training_courses WHERE builtin = ? AND retired_at IS NULL", c.Builtin).Scan(&n); err != nil {
				return internal("read courses", err)
			}
			if n > 0 {
				return vigil.Errorf(vigil.ECONFLICT, "the built-in course %s is already added", c.Builtin)
			}
		}
		var n int64
		if err := t.queryRow(ctx, "SELECT count(*) FROM training_courses").Scan(&n); err != nil {
			return internal("count courses", err)
		}
		c.Key, c.CreatedAt, c.RetiredAt = fmt.Sprintf("TRN-%03d", n+1), t.now, nil
		if err := t.queryRow(ctx, `INSERT INTO training_courses (course_key, title, description, kind, builtin, control_id, pass_mark, recurrence_months, due_days, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.Key, c.Title, c.Description, string(c.Kind), c.Builtin, c.Control, c.PassMark,
			c.RecurrenceMonths, c.DueDays, t.d.ts(t.now)).Scan(&c.ID); err != nil {
			return internal("create course", err)
		}
		return t.log(ctx, "training.course.create", "training_course", strconv.FormatInt(c.ID, 10), nil, courseLog(c))
	})
}

// Course reads one course.
func (s *Store) Course(ctx context.Context, id int64) (*vigil.Course, error) {
	c, err := scanCourse(s.queryRow(ctx, "SELECT "+courseCols+" FROM training_courses WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("course", id)
	}
	if err != nil {
		return nil, internal("read course", err)
	}
	return &c, nil
}

// Courses lists every course, retired ones too, by ID.
func (s *Store) Courses(ctx context.Context) ([]vigil.Course, error) {
	rows, err := s.query(ctx, "SELECT "+courseCols+" FROM training_courses ORDER BY id")
	if err != nil {
		return nil, internal("list courses", err)
	}
	return scanRows(rows, "list courses", "scan course", scanCourse)
}

// AddAssignment stores an assignment of an existing course; the same
// target twice is refused.
func (s *Store) AddAssignment(ctx context.Context, a *vigil.Assignment) error {
	if err := a.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(t *wtx) error {
		var retired dbTime
		if err := t.queryRow(ctx, "SELECT retired_at FROM training_courses WHERE id = ?", a.CourseID).Scan(&retired); errors.Is(err, sql.ErrNoRows) {
			return vigil.NotFound("course", a.CourseID)
		} else if err != nil {
			return internal("read course", err)
		}
		if retired.ptr() != nil {
			return vigil.Errorf(vigil.ECONFLICT, "course %d is retired", a.CourseID)
		}
		var n int
		if err := t.queryRow(ctx, "SELECT count(*) FROM training_assignments WHERE course_id = ? AND target = ? AND value = ?",
			a.CourseID, string(a.Target), a.Value).Scan(&n); err != nil {
			return internal("read assignments", err)
		}
		if n > 0 {
			return vigil.FieldError("target", "the course is already assigned to %s", assignmentName(a))
		}
		a.CreatedAt, a.CreatedBy = t.now, t.actor.UserID
		var by any
		if a.CreatedBy != 0 {
			by = a.CreatedBy
		}
		if err := t.queryRow(ctx, `INSERT INTO training_assignments (course_id, target, value, created_at, created_by) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			a.CourseID, string(a.Target), a.Value, t.d.ts(t.now), by).Scan(&a.ID); err != nil {
			return internal("add assignment", err)
		}
		return t.log(ctx, "training.assign", "training_course", strconv.FormatInt(a.CourseID, 10), nil,
			map[string]any{"assignment": a.ID, "target": a.Target, "value": a.Value})
	})
}

func assignmentName(a *vigil.Assignment) string {
	switch a.Target {
	case vigil.TargetAll:
		return "everyone"
	case vigil.TargetRole:
		return "the " + a.Value + " role"
	}
	return "the " + a.Value + " department"
}

// RemoveAssignment deletes one assignment of a course. Completions stay.
func (s *Store) RemoveAssignment(ctx context.Context, courseID, id int64) error {
	return s.write(ctx, func(t *wtx) error {
		var target, value string
		err := t.queryRow(ctx, "SELECT target, value FROM training_assignments WHERE id = ? AND course_id = ?", id, courseID).Scan(&target, &value)
		if errors.Is(err, sql.ErrNoRows) {
			return vigil.NotFound("assignment", id)
		}
		if err != nil {
			return internal("read assignment", err)
		}
		if _, err := t.exec(ctx, "DELETE FROM training_assignments WHERE id = ?", id); err != nil {
			return internal("remove assignment", err)
		}
		return t.log(ctx, "training.unassign", "training_course", strconv.FormatInt(courseID, 10),
			map[string]any{"assignment": id, "target": target, "value": value}, nil)
	})
}

// Assignments lists every assignment (courseID 0) or one course's.
func (s *Store) Assignments(ctx context.Context, courseID int64) ([]vigil.Assignment, error) {
	q, args := "SELECT id, course_id, target, value, created_at, COALESCE(created_by, 0) FROM training_assignments", []any{}
	if courseID != 0 {
		q, args = q+" WHERE course_id = ?", append(args, courseID)
	}
	rows, err := s.query(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, internal("list assignments", err)
	}
	return scanRows(rows, "list assignments", "scan assignment", func(r scanner) (vigil.Assignment, error) {
		var a vigil.Assignment
		var target string
		var at dbTime
		err := r.Scan(&a.ID, &a.CourseID, &target, &a.Value, &at, &a.CreatedBy)
		a.Target, a.CreatedAt = vigil.AssignTarget(target), at.T
		return a, err
	})
}

// AddCompletion records a completion (a passed quiz, an uploaded or an
// attested certificate) with its activity entry.
func (s *Store) AddCompletion(ctx context.Context, c *vigil.Completion) error {
	return s.write(ctx, func(t *wtx) error { return t.addCompletion(ctx, c) })
}

func (t *wtx) addCompletion(ctx context.Context, c *vigil.Completion) error {
	var ok int
	if err := t.queryRow(ctx, "SELECT count(*) FROM users WHERE id = ?", c.UserID).Scan(&ok); err != nil {
		return internal("read user", err)
	}
	if ok == 0 {
		return vigil.FieldError("user_id", "user %d does not exist", c.UserID)
	}
	var ev, by any
	if c.EvidenceID != 0 {
		ev = c.EvidenceID
	}
	if c.RecordedBy != 0 {
		by = c.RecordedBy
	}
	if err := t.queryRow(ctx, `INSERT INTO training_completions (course_id, user_id, completed_at, score, passed, source, evidence_id, recorded_by, note)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.CourseID, c.UserID, t.d.ts(c.CompletedAt), c.Score, c.Passed, string(c.Source), ev, by, c.Note).Scan(&c.ID); err != nil {
		if isForeignKey(err) {
			return vigil.FieldError("evidence_id", "evidence item %d does not exist", c.EvidenceID)
		}
		return internal("add completion", err)
	}
	return t.log(ctx, "training.complete", "training_course", strconv.FormatInt(c.CourseID, 10), nil,
		map[string]any{"completion": c.ID, "user_id": c.UserID, "score": c.Score, "passed": c.Passed, "source": c.Source, "evidence_id": c.EvidenceID})
}

// AddAttempt records a graded quiz attempt, and with a pass its
// completion, in one transaction.
func (s *Store) AddAttempt(ctx context.Context, courseID, userID int64, score int, passed bool, answers string, c *vigil.Completion) error {
	return s.write(ctx, func(t *wtx) error {
		if _, err := t.exec(ctx, "INSERT INTO training_attempts (course_id, user_id, at, score, passed, answers) VALUES (?, ?, ?, ?, ?, ?)",
			courseID, userID, t.d.ts(t.now), score, passed, answers); err != nil {
			return internal("add quiz attempt", err)
		}
		if c != nil {
			c.CompletedAt = t.now
			return t.addCompletion(ctx, c)
		}
		return t.log(ctx, "training.quiz_failed", "training_course", strconv.FormatInt(courseID, 10), nil,
			map[string]any{"user_id": userID, "score": score})
	})
}

// Attempts counts a person's quiz attempts at a course.
func (s *Store) Attempts(ctx context.Context, courseID, userID int64) (int, error) {
	var n int
	if err := s.queryRow(ctx, "SELECT count(*) FROM training_attempts WHERE course_id = ? AND user_id = ?", courseID, userID).Scan(&n); err != nil {
		return 0, internal("count quiz attempts", err)
	}
	return n, nil
}

// SetCompletionEvidence records the sealed certificate of a completion
// that had none.
func (s *Store) SetCompletionEvidence(ctx context.Context, id, evidenceID int64) error {
	return s.write(ctx, func(t *wtx) error {
		res, err := t.exec(ctx, "UPDATE training_completions SET evidence_id = ? WHERE id = ? AND evidence_id IS NULL", evidenceID, id)
		if err != nil {
			return internal("seal completion", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return vigil.Errorf(vigil.ECONFLICT, "completion %d is already sealed", id)
		}
		return t.log(ctx, "training.certificate", "training_completion", strconv.FormatInt(id, 10), nil, map[string]any{"evidence_id": evidenceID})
	})
}

// Completions lists completions, of one course (courseID) and/or one
// person (userID) when not 0, oldest first.
func (s *Store) Completions(ctx context.Context, courseID, userID int64) ([]vigil.Completion, error) {
	q := `SELECT c.id, c.course_id, c.user_id, COALESCE(u.name, ''), c.completed_at, c.score, c.passed, c.source, COALESCE(c.evidence_id, 0),
		COALESCE(c.recorded_by, 0), c.note FROM training_completions c LEFT JOIN users u ON u.id = c.user_id WHERE 1 = 1`
	var args []any
	if courseID != 0 {
		q, args = q+" AND c.course_id = ?", append(args, courseID)
	}
	if userID != 0 {
		q, args = q+" AND c.user_id = ?", append(args, userID)
	}
	rows, err := s.query(ctx, q+" ORDER BY c.completed_at, c.id", args...)
	if err != nil {
		return nil, internal("list completions", err)
	}
	return scanRows(rows, "list completions", "scan completion", func(r scanner) (vigil.Completion, error) {
		var c vigil.Completion
		var at dbTime
		var src string
		err := r.Scan(&c.ID, &c.CourseID, &c.UserID, &c.UserName, &at, &c.Score, &c.Passed, &src, &c.EvidenceID, &c.RecordedBy, &c.Note)
		c.CompletedAt, c.Source = at.T, vigil.CompletionSource(src)
		return c, err
	})
}

// TrainingSeal is a course's roster as last sealed.
type TrainingSeal struct {
	CourseID   int64
	Day        string
	SHA256     string
	EvidenceID int64
}

// LastTrainingSeal is the course's latest roster seal (nil if none).
func (s *Store) LastTrainingSeal(ctx context.Context, courseID int64) (*TrainingSeal, error) {
	var x TrainingSeal
	err := s.queryRow(ctx, "SELECT course_id, day, sha256, evidence_id FROM training_seals WHERE course_id = ? ORDER BY id DESC LIMIT 1", courseID).
		Scan(&x.CourseID, &x.Day, &x.SHA256, &x.EvidenceID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, internal("read training seal", err)
	}
	return &x, nil
}

// AddTrainingSeal records a sealed roster.
func (s *Store) AddTrainingSeal(ctx context.Context, x TrainingSeal) error {
	return s.write(ctx, func(t *wtx) error {
		if _, err := t.exec(ctx, "INSERT INTO training_seals (course_id, day, sha256, evidence_id, sealed_at) VALUES (?, ?, ?, ?, ?)",
			x.CourseID, x.Day, x.SHA256, x.EvidenceID, t.d.ts(t.now)); err != nil {
			return internal("add training seal", err)
		}
		return t.log(ctx, "training.seal", "training_course", strconv.FormatInt(x.CourseID, 10), nil,
			map[string]any{"day": x.Day, "sha256": x.SHA256, "evidence_id": x.EvidenceID})
	})
}
