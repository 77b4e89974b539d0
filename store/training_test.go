package store

import (
	"strings"
	"testing"

	"github.com/vigil-soc/vigil"
)

func TestTrainingStore(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		owner, _, member := exceptionUsers(t, s)
		mem := vigil.ActorFrom(member).UserID
		c := &vigil.Course{Title: "Security awareness", Builtin: "security-awareness", PassMark: 80, RecurrenceMonths: 12, DueDays: 30}
		if err := s.CreateCourse(owner, c); err != nil {
			t.Fatal(err)
		}
		if c.Key != "TRN-001" || c.Control != vigil.AwarenessControl {
			t.Fatalf("created: %+v", c)
		}
		again := &vigil.Course{Title: "Again", Builtin: "security-awareness", PassMark: 80, DueDays: 30}
		if err := s.CreateCourse(owner, again); vigil.ErrorCode(err) != vigil.ECONFLICT {
			t.Fatalf("the built-in course twice: %v", err)
		}
		if err := s.CreateCourse(owner, &vigil.Course{Title: "x", PassMark: 101, DueDays: 30}); vigil.ErrorField(err) != "pass_mark" {
			t.Fatalf("pass mark 101: %v", err)
		}
		dev := &vigil.Course{Title: "Secure development", Kind: vigil.CourseRoleBased, PassMark: 70, DueDays: 60}
		if err := s.CreateCourse(owner, dev); err != nil || dev.Key != "TRN-002" || dev.Control != vigil.SecureDevelopmentControl {
			t.Fatalf("a role-based course: %+v %v", dev, err)
		}
		got, err := s.Course(owner, c.ID)
		if err != nil || got.Title != c.Title || got.Builtin != "security-awareness" || got.PassMark != 80 || !got.CreatedAt.Equal(c.CreatedAt.UTC().Truncate(1000)) {
			t.Fatalf("read back: %+v %v", got, err)
		}
		if _, err := s.Course(owner, 99); vigil.ErrorCode(err) != vigil.ENOTFOUND {
			t.Fatalf("an unknown course: %v", err)
		}

		a := &vigil.Assignment{CourseID: c.ID, Target: vigil.TargetRole, Value: "member"}
		if err := s.AddAssignment(owner, a); err != nil {
			t.Fatal(err)
		}
		dup := &vigil.Assignment{CourseID: c.ID, Target: vigil.TargetRole, Value: "member"}
		if err := s.AddAssignment(owner, dup); vigil.ErrorField(err) != "target" || !strings.Contains(err.Error(), "already assigned") {
			t.Fatalf("the same assignment twice: %v", err)
		}
		if err := s.AddAssignment(owner, &vigil.Assignment{CourseID: 99, Target: vigil.TargetAll}); vigil.ErrorCode(err) != vigil.ENOTFOUND {
			t.Fatalf("assigning an unknown course: %v", err)
		}
		if err := s.AddAssignment(owner, &vigil.Assignment{CourseID: dev.ID, Target: vigil.TargetDepartment, Value: "Engineering"}); err != nil {
			t.Fatal(err)
		}
		as, err := s.Assignments(owner, c.ID)
		if err != nil || len(as) != 1 || as[0].Value != "member" {
			t.Fatalf("assignments: %+v %v", as, err)
		}

		// A failed attempt records no completion; a pass records both.
		if err := s.AddAttempt(member, c.ID, mem, 60, false, `{"q01":0}`, nil); err != nil {
			t.Fatal(err)
		}
		done := &vigil.Completion{CourseID: c.ID, UserID: mem, Score: 93, Passed: true, Source: vigil.CompletionQuiz}
		if err := s.AddAttempt(member, c.ID, mem, 93, true, `{}`, done); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Attempts(owner, c.ID, mem); err != nil || n != 2 {
			t.Fatalf("attempts: %d %v", n, err)
		}
		cs, err := s.Completions(owner, c.ID, 0)
		if err != nil || len(cs) != 1 || cs[0].Score != 93 || !cs[0].Passed || cs[0].UserName != "The member" || cs[0].EvidenceID != 0 {
			t.Fatalf("completions: %+v %v", cs, err)
		}
		if mine, _ := s.Completions(owner, 0, mem+100); len(mine) != 0 {
			t.Fatalf("someone else's completions: %+v", mine)
		}
		if err := s.AddCompletion(owner, &vigil.Completion{CourseID: c.ID, UserID: 999, Passed: true, Source: vigil.CompletionAttestation, CompletedAt: c.CreatedAt}); vigil.ErrorField(err) != "user_id" {
			t.Fatalf("a completion for nobody: %v", err)
		}
		if err := s.AddCompletion(owner, &vigil.Completion{CourseID: c.ID, UserID: mem, Passed: true, Source: vigil.CompletionUpload, EvidenceID: 424242, CompletedAt: c.CreatedAt}); vigil.ErrorField(err) != "evidence_id" {
			t.Fatalf("a completion naming missing evidence: %v", err)
		}
		if err := s.RemoveAssignment(owner, c.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveAssignment(owner, c.ID, a.ID); vigil.ErrorCode(err) != vigil.ENOTFOUND {
			t.Fatalf("removing twice: %v", err)
		}
		if x, err := s.LastTrainingSeal(owner, c.ID); x != nil || err != nil {
			t.Fatalf("no seal yet: %+v %v", x, err)
		}
	})
}
