package server

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/policy"
	"github.com/vigil-soc/vigil/training"
)

// The training pages: the courses (/training) with the forms that add
// them, a page per course (/training/{id}) with its assignments, roster
// and completions (everyone's for those who manage or audit the program,
// one's own for the rest), each person's own training (/training/mine),
// and the built-in course itself (/training/{id}/take): its lessons one
// at a time, then the quiz as a plain form, graded on the server.

type courseRow struct {
	vigil.Course
	Assigned, Complete, Overdue int
	Mine                        *vigil.TrainingStatus // the viewer's own standing
}

type trainingData struct {
	Courses []courseRow
	Mine    []vigil.TrainingStatus
	Manage  bool
	Builtin bool // the built-in course is already added
}

func (s *Server) trainingData(r *http.Request) (*trainingData, error) {
	ctx := r.Context()
	cs, err := s.training.Courses(ctx)
	if err != nil {
		return nil, err
	}
	ws := sessionFrom(ctx)
	d := &trainingData{Manage: ws.user.Role.Can(vigil.PermManage)}
	if d.Mine, err = s.training.MyTraining(ctx, ws.user.ID); err != nil {
		return nil, err
	}
	rosters, err := s.training.Rosters(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.Builtin == training.BuiltinID && c.RetiredAt == nil {
			d.Builtin = true
		}
		row := courseRow{Course: c}
		roster := rosters[c.ID]
		for i, st := range roster {
			row.Assigned++
			switch st.State {
			case vigil.TrainingComplete:
				row.Complete++
			case vigil.TrainingOverdue:
				row.Overdue++
			}
			if st.UserID == ws.user.ID {
				row.Mine = &roster[i]
			}
		}
		d.Courses = append(d.Courses, row)
	}
	return d, nil
}

func (s *Server) renderTraining(w http.ResponseWriter, r *http.Request, status int, form url.Values, err error) error {
	p := s.newPage(w, r, "Training", "training")
	d, derr := s.trainingData(r)
	if derr != nil {
		return derr
	}
	p.Data, p.Form = d, form
	if err != nil {
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
	}
	return s.render(w, status, "training", p)
}

func (s *Server) trainingPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderTraining(w, r, http.StatusOK, url.Values{"pass_mark": {"80"}, "recurrence_months": {"12"}, "due_days": {"30"}}, nil)
}

// courseForm reads the course forms' numbers: a field left empty takes
// its default, anything else must be a whole number.
func courseForm(f url.Values) (*vigil.Course, error) {
	var req api.CourseRequest
	req.Title, req.Description, req.Kind, req.Control = f.Get("title"), f.Get("description"), vigil.CourseKind(f.Get("kind")), f.Get("control")
	for name, dst := range map[string]**int{"pass_mark": &req.PassMark, "recurrence_months": &req.RecurrenceMonths, "due_days": &req.DueDays} {
		v := strings.TrimSpace(f.Get(name))
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, vigil.FieldError(name, "%s must be a whole number, got %q", strings.ReplaceAll(name, "_", " "), truncate(v, 20))
		}
		*dst = &n
	}
	return courseFromRequest(req), nil
}

func (s *Server) trainingCreatePage(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	c, err := courseForm(f)
	if err == nil {
		if f.Get("builtin") != "" {
			c.Builtin = training.BuiltinID
		}
		err = s.addCourse(r, c)
	}
	if err != nil {
		return s.renderTraining(w, r, http.StatusUnprocessableEntity, f, err)
	}
	s.flash(w, r, c.Key+" "+c.Title+" is added: assign it to people.")
	http.Redirect(w, r, "/training/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) myTrainingPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "My training", "training")
	ws := sessionFrom(r.Context())
	mine, err := s.training.MyTraining(r.Context(), ws.user.ID)
	if err != nil {
		return err
	}
	cs, err := s.training.Courses(r.Context())
	if err != nil {
		return err
	}
	builtin := map[int64]bool{}
	for _, c := range cs {
		builtin[c.ID] = c.Builtin != ""
	}
	p.Data = map[string]any{"Mine": mine, "Builtin": builtin}
	return s.render(w, http.StatusOK, "training_mine", p)
}

type courseData struct {
	V       *api.CourseView
	Manage  bool
	Names   map[int64]string
	Users   []vigil.User // whom a completion may be recorded for
	Targets []string
}

func (s *Server) renderCourse(w http.ResponseWriter, r *http.Request, id int64, status int, form url.Values, err error) error {
	v, verr := s.courseView(r, id)
	if verr != nil {
		return verr
	}
	ws := sessionFrom(r.Context())
	d := &courseData{V: v, Manage: ws.user.Role.Can(vigil.PermManage), Names: map[int64]string{}}
	if d.Manage {
		us, uerr := s.store.ListUsers(r.Context(), 0, 0)
		if uerr != nil {
			return uerr
		}
		for _, u := range us {
			if !u.Disabled {
				d.Users = append(d.Users, u)
			}
		}
	}
	p := s.newPage(w, r, v.Key+" "+v.Title, "training")
	if form == nil {
		form = url.Values{}
	}
	p.Data, p.Form = d, form
	if err != nil {
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
	}
	return s.render(w, status, "course", p)
}

func (s *Server) coursePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	return s.renderCourse(w, r, id, http.StatusOK, nil, nil)
}

// courseAction runs one step from a course's page: on success back to it
// with a message, refused the page again with the reason.
func (s *Server) courseAction(w http.ResponseWriter, r *http.Request, act func(id int64) (string, error)) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	msg, err := act(id)
	if err != nil {
		return s.renderCourse(w, r, id, http.StatusUnprocessableEntity, r.PostForm, err)
	}
	s.flash(w, r, msg)
	http.Redirect(w, r, "/training/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) courseAssignPage(w http.ResponseWriter, r *http.Request) error {
	return s.courseAction(w, r, func(id int64) (string, error) {
		target, value := r.PostFormValue("target"), ""
		// One select offers everyone and each role: "role:member".
		if t, v, ok := strings.Cut(target, ":"); ok {
			target, value = t, v
		}
		if target == string(vigil.TargetDepartment) {
			value = r.PostFormValue("department")
		}
		a := &vigil.Assignment{CourseID: id, Target: vigil.AssignTarget(target), Value: value}
		if err := s.training.Assign(r.Context(), a); err != nil {
			return "", err
		}
		if a.Target == vigil.TargetDepartment {
			return "Assigned to the " + a.Value + " department: the users the personnel register lists in it, by email.", nil
		}
		return "Assigned.", nil
	})
}

func (s *Server) courseUnassignPage(w http.ResponseWriter, r *http.Request) error {
	return s.courseAction(w, r, func(id int64) (string, error) {
		aid, err := pathInt(r, "assignment")
		if err != nil {
			return "", err
		}
		if err := s.training.Unassign(r.Context(), id, aid); err != nil {
			return "", err
		}
		return "Assignment removed; completions stay on record.", nil
	})
}

func (s *Server) courseCompletionPage(w http.ResponseWriter, r *http.Request) error {
	return s.courseAction(w, r, func(id int64) (string, error) {
		f := r.PostForm
		user, _ := strconv.ParseInt(f.Get("user_id"), 10, 64)
		var ev int64
		if v := strings.TrimSpace(f.Get("evidence_id")); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return "", vigil.FieldError("evidence_id", "the evidence item is its number, e.g. 42")
			}
			ev = n
		}
		score := 0
		if v := strings.TrimSpace(f.Get("score")); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return "", vigil.FieldError("score", "score must be a whole number from 0 to 100")
			}
			score = n
		}
		x, err := completionFrom(id, user, f.Get("completed_at"), score, ev, f.Get("note"))
		if err != nil {
			return "", err
		}
		if err := s.training.RecordCompletion(r.Context(), x); err != nil {
			if x.ID != 0 {
				return "The completion is recorded. " + vigil.ErrorMessage(err), nil
			}
			return "", err
		}
		if x.Source == vigil.CompletionUpload {
			return "Completion recorded with the uploaded certificate.", nil
		}
		return "Completion recorded; a certificate is sealed into the evidence ledger.", nil
	})
}

type takeData struct {
	C        *vigil.Course
	Lessons  []training.Lesson
	Step     int // 1..len(Lessons) a lesson, len+1 the quiz
	Lesson   *training.Lesson
	HTML     template.HTML
	Quiz     []vigil.Question
	Result   *vigil.QuizResult
	Chosen   map[string]string // the choices made, kept when the quiz is shown again
	Feedback map[string]vigil.QuizFeedback
	Status   *vigil.TrainingStatus
}

func (s *Server) takeData(r *http.Request, id int64) (*takeData, error) {
	ctx := r.Context()
	c, qs, err := s.training.Quiz(ctx, id)
	if err != nil {
		return nil, err
	}
	ls, err := s.training.Lessons(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &takeData{C: c, Lessons: ls, Quiz: qs, Step: 1}
	mine, err := s.training.MyTraining(ctx, sessionFrom(ctx).user.ID)
	if err != nil {
		return nil, err
	}
	for i := range mine {
		if mine[i].CourseID == id {
			d.Status = &mine[i]
		}
	}
	return d, nil
}

func (s *Server) courseTakePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	d, err := s.takeData(r, id)
	if err != nil {
		return err
	}
	if v := r.URL.Query().Get("step"); v == "quiz" {
		d.Step = len(d.Lessons) + 1
	} else if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > len(d.Lessons) {
			return vigil.FieldError("step", "step must be 1 to %d, or quiz", len(d.Lessons))
		}
		d.Step = n
	}
	if d.Step <= len(d.Lessons) {
		d.Lesson = &d.Lessons[d.Step-1]
		d.HTML = policy.Render(d.Lesson.Body)
	}
	p := s.newPage(w, r, d.C.Title, "training")
	p.Data = d
	return s.render(w, http.StatusOK, "course_take", p)
}

func (s *Server) courseQuizPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	d, err := s.takeData(r, id)
	if err != nil {
		return err
	}
	d.Step = len(d.Lessons) + 1
	answers := map[string]int{}
	d.Chosen = map[string]string{}
	for _, q := range d.Quiz {
		if v := r.PostFormValue("q-" + q.ID); v != "" {
			d.Chosen[q.ID] = v
			n, err := strconv.Atoi(v)
			if err != nil {
				n = -1 // refused by grading, naming the question
			}
			answers[q.ID] = n
		}
	}
	p := s.newPage(w, r, d.C.Title, "training")
	p.Data = d
	res, err := s.training.SubmitQuiz(r.Context(), id, answers)
	if err != nil {
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		return s.render(w, http.StatusUnprocessableEntity, "course_take", p)
	}
	d.Result, d.Feedback = res, map[string]vigil.QuizFeedback{}
	if !res.Passed {
		d.Chosen = nil // a failed attempt starts again from a blank form
	}
	for _, fb := range res.Feedback {
		d.Feedback[fb.ID] = fb
	}
	if res.Passed {
		// Where the person stands now: complete.
		if nd, err := s.takeData(r, id); err == nil {
			d.Status = nd.Status
		}
	}
	return s.render(w, http.StatusOK, "course_take", p)
}
