package server

import (
	"net/http"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/training"
)

// trainingRoutes are the API of training: everyone reads the courses,
// takes the built-in quiz and sees their own training; admins and owners
// create courses, assign them and record completions done elsewhere.
// Who sees whose records (everyone's for managers and auditors, one's own
// for the rest) is the domain's (vigil.Actor.MaySeeTraining), applied in
// the service.
func (s *Server) trainingRoutes() []route {
	const (
		read   = vigil.PermRead
		manage = vigil.PermManage
	)
	rs := []route{
		{name: "ListCourses", method: "GET", path: "/api/v1/training/courses", perm: read, tag: "training", summary: "Training courses", out: api.Page[vigil.Course]{}, h: s.listCourses},
		{name: "CreateCourse", method: "POST", path: "/api/v1/training/courses", perm: manage, tag: "training", summary: "Create a course: the organization's own, or Vigil's built-in security awareness course (builtin: security-awareness)", in: api.CourseRequest{}, out: api.CourseView{}, status: 201, h: s.createCourse},
		{name: "GetCourse", method: "GET", path: "/api/v1/training/courses/{id}", perm: read, tag: "training", summary: "A course with its assignments, roster and completions (everyone's for admins, owners and auditors; your own for others)", out: api.CourseView{}, h: s.getCourse},
		{name: "AssignCourse", method: "POST", path: "/api/v1/training/courses/{id}/assignments", perm: manage, tag: "training", summary: "Assign a course to everyone, a role, or a department (the personnel register's, matched by email)", in: api.AssignRequest{}, out: vigil.Assignment{}, status: 201, h: s.assignCourse},
		{name: "UnassignCourse", method: "DELETE", path: "/api/v1/training/courses/{id}/assignments/{assignment}", perm: manage, tag: "training", summary: "Remove an assignment; completions stay on record", status: 204, h: s.unassignCourse},
		{name: "GetQuiz", method: "GET", path: "/api/v1/training/courses/{id}/quiz", perm: read, tag: "training", summary: "The built-in course's quiz: questions and choices, never the answers", out: api.Quiz{}, h: s.getQuiz},
		{name: "SubmitQuiz", method: "POST", path: "/api/v1/training/courses/{id}/quiz", perm: read, tag: "training", summary: "Answer the quiz: graded on the server, every attempt recorded; a pass is a completion with a certificate sealed into the evidence ledger", in: api.QuizAnswers{}, out: vigil.QuizResult{}, h: s.submitQuiz},
		{name: "RecordCompletion", method: "POST", path: "/api/v1/training/courses/{id}/completions", perm: manage, tag: "training", summary: "Record a completion done elsewhere: with a certificate uploaded as evidence, or attested (a certificate is generated and sealed)", in: api.CompletionRequest{}, out: vigil.Completion{}, status: 201, h: s.recordCompletion},
		{name: "MyTraining", method: "GET", path: "/api/v1/training/mine", perm: read, tag: "training", summary: "Your training: every course assigned to you and where you stand", out: api.Page[vigil.TrainingStatus]{}, h: s.myTraining},
	}
	for i := range rs {
		rs[i].needsTraining = true
	}
	return rs
}

func (s *Server) listCourses(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.training.Courses(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.Page[vigil.Course]{Items: nonNilSlice(cs)})
	return nil
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// courseFromRequest applies the request's values and the defaults.
func courseFromRequest(req api.CourseRequest) *vigil.Course {
	c := &vigil.Course{Title: req.Title, Description: req.Description, Kind: req.Kind, Control: req.Control, Builtin: req.Builtin,
		PassMark: vigil.DefaultPassMark, RecurrenceMonths: vigil.DefaultRecurrenceMonths, DueDays: vigil.DefaultDueDays}
	if req.PassMark != nil {
		c.PassMark = *req.PassMark
	}
	if req.RecurrenceMonths != nil {
		c.RecurrenceMonths = *req.RecurrenceMonths
	}
	if req.DueDays != nil {
		c.DueDays = *req.DueDays
	}
	return c
}

// addCourse creates the built-in course or one of the organization's.
func (s *Server) addCourse(r *http.Request, c *vigil.Course) error {
	switch c.Builtin {
	case "":
		return s.training.CreateCourse(r.Context(), c)
	case training.BuiltinID:
		return s.training.AddBuiltin(r.Context(), c)
	}
	return vigil.FieldError("builtin", "no built-in course %q (the built-in course is %s)", truncate(c.Builtin, 40), training.BuiltinID)
}

func (s *Server) createCourse(w http.ResponseWriter, r *http.Request) error {
	var req api.CourseRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	c := courseFromRequest(req)
	if err := s.addCourse(r, c); err != nil {
		return err
	}
	v, err := s.courseView(r, c.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// courseView is a course with what the caller may see of it.
func (s *Server) courseView(r *http.Request, id int64) (*api.CourseView, error) {
	ctx := r.Context()
	c, err := s.training.Course(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &api.CourseView{Course: *c}
	if c.Builtin != "" {
		ls, err := s.training.Lessons(ctx, id)
		if err != nil {
			return nil, err
		}
		v.Lessons = len(ls)
	}
	if v.Assignments, err = s.training.Assignments(ctx, id); err != nil {
		return nil, err
	}
	if v.Roster, err = s.training.Roster(ctx, id); err != nil {
		return nil, err
	}
	if v.Completions, err = s.training.Completions(ctx, id); err != nil {
		return nil, err
	}
	v.Assignments, v.Completions = nonNilSlice(v.Assignments), nonNilSlice(v.Completions)
	return v, nil
}

func (s *Server) getCourse(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	v, err := s.courseView(r, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) assignCourse(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var req api.AssignRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	a := &vigil.Assignment{CourseID: id, Target: req.Target, Value: req.Value}
	if err := s.training.Assign(r.Context(), a); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) unassignCourse(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	aid, err := pathInt(r, "assignment")
	if err != nil {
		return err
	}
	if err := s.training.Unassign(r.Context(), id, aid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getQuiz(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	c, qs, err := s.training.Quiz(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.Quiz{CourseID: c.ID, PassMark: c.PassMark, Questions: qs})
	return nil
}

func (s *Server) submitQuiz(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var req api.QuizAnswers
	if err := decode(r, &req); err != nil {
		return err
	}
	res, err := s.training.SubmitQuiz(r.Context(), id, req.Answers)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) recordCompletion(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var req api.CompletionRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	x, err := completionFrom(id, req.UserID, req.CompletedAt, req.Score, req.EvidenceID, req.Note)
	if err != nil {
		return err
	}
	if err := s.training.RecordCompletion(r.Context(), x); err != nil && x.ID == 0 {
		return err
	}
	writeJSON(w, http.StatusCreated, x)
	return nil
}

func completionFrom(course, user int64, date string, score int, evidenceID int64, note string) (*vigil.Completion, error) {
	at, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return nil, vigil.FieldError("completed_at", "completion date must be YYYY-MM-DD, got %q", truncate(date, 20))
	}
	return &vigil.Completion{CourseID: course, UserID: user, CompletedAt: at, Score: score, EvidenceID: evidenceID, Note: note}, nil
}

func (s *Server) myTraining(w http.ResponseWriter, r *http.Request) error {
	a := vigil.ActorFrom(r.Context())
	sts, err := s.training.MyTraining(r.Context(), a.UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.Page[vigil.TrainingStatus]{Items: sts})
	return nil
}
