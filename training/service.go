package training

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/evidence"
	"github.com/vigil-soc/vigil/scheduler"
	"github.com/vigil-soc/vigil/store"
)

// Service is the training module on the store: courses, assignments,
// quizzes graded on the server, completions, certificates and rosters
// sealed into the evidence ledger, and the HR-02 and HR-03 signals.
type Service struct {
	Store    *store.Store
	Evidence *evidence.Service
	Now      func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// sealer is who seals certificates and rosters: the module itself,
// whoever's action led to it.
var sealer = vigil.Actor{Name: "training", Role: vigil.RoleOwner}

func mayManage(ctx context.Context, what string) error {
	if !vigil.ActorFrom(ctx).Role.Can(vigil.PermManage) {
		return vigil.Errorf(vigil.EFORBIDDEN, "only an admin or owner %s", what)
	}
	return nil
}

// CreateCourse adds one of the organization's own courses (completions
// recorded by a manager).
func (s *Service) CreateCourse(ctx context.Context, c *vigil.Course) error {
	if err := mayManage(ctx, "creates a course"); err != nil {
		return err
	}
	if c.Builtin != "" {
		return vigil.FieldError("builtin", "add the built-in course with AddBuiltin")
	}
	return s.Store.CreateCourse(ctx, c)
}

// AddBuiltin adds Vigil's security awareness course (HR-02) with the
// given pass mark, recurrence and due days (a zero value takes the
// default; for the pass mark, callers wanting an error for 0 validate it
// before).
func (s *Service) AddBuiltin(ctx context.Context, c *vigil.Course) error {
	if err := mayManage(ctx, "adds a course"); err != nil {
		return err
	}
	b, err := Load()
	if err != nil {
		return err
	}
	c.Builtin, c.Kind, c.Control = b.ID, vigil.CourseAwareness, vigil.AwarenessControl
	if c.Title == "" {
		c.Title = b.Title
	}
	if c.Description == "" {
		c.Description = b.Summary
	}
	return s.Store.CreateCourse(ctx, c)
}

// Courses lists every course.
func (s *Service) Courses(ctx context.Context) ([]vigil.Course, error) { return s.Store.Courses(ctx) }

// Course reads one course.
func (s *Service) Course(ctx context.Context, id int64) (*vigil.Course, error) {
	return s.Store.Course(ctx, id)
}

// Assignments lists a course's assignments.
func (s *Service) Assignments(ctx context.Context, courseID int64) ([]vigil.Assignment, error) {
	if _, err := s.Store.Course(ctx, courseID); err != nil {
		return nil, err
	}
	return s.Store.Assignments(ctx, courseID)
}

// Assign gives a course to everyone, a role or a department.
func (s *Service) Assign(ctx context.Context, a *vigil.Assignment) error {
	if err := mayManage(ctx, "assigns training"); err != nil {
		return err
	}
	return s.Store.AddAssignment(ctx, a)
}

// Unassign removes an assignment; completions stay on record.
func (s *Service) Unassign(ctx context.Context, courseID, id int64) error {
	if err := mayManage(ctx, "removes an assignment"); err != nil {
		return err
	}
	return s.Store.RemoveAssignment(ctx, courseID, id)
}

// builtinOf is the built-in course a course delivers, or a conflict.
func (s *Service) builtinOf(ctx context.Context, courseID int64) (*vigil.Course, *Builtin, error) {
	c, err := s.Store.Course(ctx, courseID)
	if err != nil {
		return nil, nil, err
	}
	if c.Builtin == "" {
		return c, nil, vigil.Errorf(vigil.ECONFLICT, "%s is the organization's own course: it has no lessons or quiz in Vigil; completions are recorded with a certificate", c.Key)
	}
	b, err := Load()
	if err != nil {
		return nil, nil, err
	}
	if b.ID != c.Builtin {
		return nil, nil, vigil.Errorf(vigil.EINTERNAL, "%s names built-in course %q, which this build lacks", c.Key, c.Builtin)
	}
	return c, b, nil
}

// Lessons are a built-in course's lessons, in order.
func (s *Service) Lessons(ctx context.Context, courseID int64) ([]Lesson, error) {
	_, b, err := s.builtinOf(ctx, courseID)
	if err != nil {
		return nil, err
	}
	return b.Lessons, nil
}

// Quiz is a built-in course's quiz as people see it: never the answers.
func (s *Service) Quiz(ctx context.Context, courseID int64) (*vigil.Course, []vigil.Question, error) {
	c, b, err := s.builtinOf(ctx, courseID)
	if err != nil {
		return nil, nil, err
	}
	return c, b.Questions(), nil
}

// SubmitQuiz grades the actor's answers on the server. Every attempt is
// recorded; a pass (score at or above the course's pass mark) is a
// completion, whose generated certificate is sealed into the ledger.
func (s *Service) SubmitQuiz(ctx context.Context, courseID int64, answers map[string]int) (*vigil.QuizResult, error) {
	a := vigil.ActorFrom(ctx)
	if a.UserID == 0 {
		return nil, vigil.Errorf(vigil.EFORBIDDEN, "a quiz is taken by a person, signed in")
	}
	c, b, err := s.builtinOf(ctx, courseID)
	if err != nil {
		return nil, err
	}
	if c.RetiredAt != nil {
		return nil, vigil.Errorf(vigil.ECONFLICT, "%s is retired", c.Key)
	}
	res, err := b.Grade(answers, c.PassMark)
	if err != nil {
		return nil, err
	}
	res.CourseID = c.ID
	raw, _ := json.Marshal(answers)
	var done *vigil.Completion
	if res.Passed {
		done = &vigil.Completion{CourseID: c.ID, UserID: a.UserID, Score: res.Score, Passed: true, Source: vigil.CompletionQuiz}
	}
	if err := s.Store.AddAttempt(ctx, c.ID, a.UserID, res.Score, res.Passed, string(raw), done); err != nil {
		return nil, err
	}
	res.Completion = done
	if done != nil {
		// The completion stands; sealing is retried by the job if it fails.
		_ = s.Seal(ctx)
	}
	return res, nil
}

// RecordCompletion records, for a manager, a completion done elsewhere:
// with an uploaded certificate (EvidenceID, an item of the course's
// control) or attested, with a certificate Vigil generates.
func (s *Service) RecordCompletion(ctx context.Context, x *vigil.Completion) error {
	if err := mayManage(ctx, "records a completion"); err != nil {
		return err
	}
	c, err := s.Store.Course(ctx, x.CourseID)
	if err != nil {
		return err
	}
	x.Source = vigil.CompletionAttestation
	if x.EvidenceID != 0 {
		x.Source = vigil.CompletionUpload
		ev, err := s.Store.Evidence(ctx, x.EvidenceID)
		if vigil.ErrorCode(err) == vigil.ENOTFOUND {
			return vigil.FieldError("evidence_id", "evidence item %d does not exist", x.EvidenceID)
		}
		if err != nil {
			return err
		}
		if !slices.Contains(ev.Controls, c.Control) {
			return vigil.FieldError("evidence_id", "evidence item %d is not linked to %s, the control %s counts toward", x.EvidenceID, c.Control, c.Key)
		}
	} else if ok, err := s.Store.ControlExists(ctx, c.Control); err != nil {
		return err
	} else if !ok {
		return vigil.Errorf(vigil.ECONFLICT, "the certificate of %s is sealed into the evidence ledger against %s, which the organization has not adopted: adopt %s first", c.Key, c.Control, c.Control)
	}
	// A recorded completion is a pass: a failed attempt elsewhere is not
	// Vigil's to keep.
	x.RecordedBy, x.Passed = vigil.ActorFrom(ctx).UserID, true
	if err := x.Validate(s.now()); err != nil {
		return err
	}
	if err := s.Store.AddCompletion(ctx, x); err != nil {
		return err
	}
	if err := s.Seal(ctx); err != nil {
		return fmt.Errorf("the completion is recorded, but sealing into the evidence ledger failed (it will be retried): %w", err)
	}
	// The certificate sealed for it, when Vigil generated one.
	if x.EvidenceID == 0 {
		done, err := s.Store.Completions(ctx, x.CourseID, x.UserID)
		if err != nil {
			return err
		}
		for _, d := range done {
			if d.ID == x.ID {
				x.EvidenceID, x.UserName = d.EvidenceID, d.UserName
			}
		}
	}
	return nil
}

// people are the users Vigil knows, by ID.
func (s *Service) people(ctx context.Context) ([]vigil.User, error) {
	return s.Store.ListUsers(ctx, 0, 0)
}

// rosters computes each course's roster: every person assigned, with
// their status at now.
func (s *Service) rosters(ctx context.Context) ([]vigil.Course, map[int64][]vigil.TrainingStatus, error) {
	cs, err := s.Store.Courses(ctx)
	if err != nil {
		return nil, nil, err
	}
	as, err := s.Store.Assignments(ctx, 0)
	if err != nil {
		return nil, nil, err
	}
	done, err := s.Store.Completions(ctx, 0, 0)
	if err != nil {
		return nil, nil, err
	}
	us, err := s.people(ctx)
	if err != nil {
		return nil, nil, err
	}
	// Departments come from the personnel register, by email.
	ps, err := s.Store.People(ctx)
	if err != nil {
		return nil, nil, err
	}
	dept := make(map[string]string, len(ps))
	for _, p := range ps {
		dept[p.Email] = p.Department
	}
	now := s.now()
	out := map[int64][]vigil.TrainingStatus{}
	for i := range cs {
		for j := range us {
			if st := cs[i].StatusAt(&us[j], dept[us[j].Email], as, done, now); st.State != vigil.TrainingNotAssigned {
				out[cs[i].ID] = append(out[cs[i].ID], st)
			}
		}
	}
	return cs, out, nil
}

// Roster is everyone assigned a course with their status now. The
// actor sees everyone only when they manage the program or audit it;
// anyone else sees their own line only.
func (s *Service) Roster(ctx context.Context, courseID int64) ([]vigil.TrainingStatus, error) {
	if _, err := s.Store.Course(ctx, courseID); err != nil {
		return nil, err
	}
	_, rs, err := s.rosters(ctx)
	if err != nil {
		return nil, err
	}
	a := vigil.ActorFrom(ctx)
	out := []vigil.TrainingStatus{}
	for _, st := range rs[courseID] {
		if a.MaySeeTraining(st.UserID) {
			out = append(out, st)
		}
	}
	return out, nil
}

// Rosters is every course's roster at once, as Roster filters it.
func (s *Service) Rosters(ctx context.Context) (map[int64][]vigil.TrainingStatus, error) {
	_, rs, err := s.rosters(ctx)
	if err != nil {
		return nil, err
	}
	a := vigil.ActorFrom(ctx)
	out := map[int64][]vigil.TrainingStatus{}
	for id, sts := range rs {
		for _, st := range sts {
			if a.MaySeeTraining(st.UserID) {
				out[id] = append(out[id], st)
			}
		}
	}
	return out, nil
}

// Completions lists a course's completions the actor may see.
func (s *Service) Completions(ctx context.Context, courseID int64) ([]vigil.Completion, error) {
	if _, err := s.Store.Course(ctx, courseID); err != nil {
		return nil, err
	}
	a := vigil.ActorFrom(ctx)
	var user int64
	if !a.MaySeeTraining(-1) {
		user = a.UserID
		if user == 0 {
			return []vigil.Completion{}, nil
		}
	}
	return s.Store.Completions(ctx, courseID, user)
}

// MyTraining is every course assigned to userID with its status now.
func (s *Service) MyTraining(ctx context.Context, userID int64) ([]vigil.TrainingStatus, error) {
	if !vigil.ActorFrom(ctx).MaySeeTraining(userID) {
		return nil, vigil.Errorf(vigil.EFORBIDDEN, "you may see only your own training")
	}
	cs, rs, err := s.rosters(ctx)
	if err != nil {
		return nil, err
	}
	out := []vigil.TrainingStatus{}
	for _, c := range cs {
		for _, st := range rs[c.ID] {
			if st.UserID == userID {
				out = append(out, st)
			}
		}
	}
	return out, nil
}

// TrainingDue is the training userID still has to do (due, due soon or
// overdue), soonest first: what a "My tasks" list shows.
func (s *Service) TrainingDue(ctx context.Context, userID int64) ([]vigil.TrainingStatus, error) {
	all, err := s.MyTraining(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, st := range all {
		if st.State != vigil.TrainingComplete {
			out = append(out, st)
		}
	}
	slices.SortStableFunc(out, func(a, b vigil.TrainingStatus) int { return a.Due.Compare(b.Due) })
	return out, nil
}

// Name is the signal source's name.
func (s *Service) Name() string { return "training" }

// Version changes with every change (the activity log's head) and every
// day (due dates and expiries pass with the clock).
func (s *Service) Version(ctx context.Context) (string, error) {
	head, err := s.Store.StateVersion(ctx)
	if err != nil {
		return "", err
	}
	return s.now().UTC().Format(time.DateOnly) + "/" + strconv.FormatInt(head, 10), nil
}

// Signals reports HR-02 and HR-03 (vigil.TrainingSignals).
func (s *Service) Signals(ctx context.Context) (map[string][]vigil.Signal, error) {
	cs, rs, err := s.rosters(ctx)
	if err != nil {
		return nil, err
	}
	return vigil.TrainingSignals(cs, rs, s.now()), nil
}

// Job seals, every hour, what is not sealed yet: certificates, and each
// course's roster when it changed (people join, due dates pass).
func (s *Service) Job() scheduler.Job {
	return scheduler.Job{Name: "seal-training", Every: time.Hour, Run: s.Seal}
}

// rosterRecord is what the ledger keeps of a course's roster on a day.
type rosterRecord struct {
	Course   string                 `json:"course"`
	Title    string                 `json:"title"`
	Control  string                 `json:"control"`
	PassMark int                    `json:"pass_mark"`
	Day      string                 `json:"day"`
	Roster   []vigil.TrainingStatus `json:"roster"`
}

// Seal seals every passed completion without a certificate (a generated
// one) and every course roster that differs from its last seal. Courses
// whose control the organization has not adopted wait: the ledger links
// every item to a control. Idempotent.
func (s *Service) Seal(ctx context.Context) error {
	ctx = vigil.WithActor(ctx, sealer)
	cs, rs, err := s.rosters(ctx)
	if err != nil {
		return err
	}
	done, err := s.Store.Completions(ctx, 0, 0)
	if err != nil {
		return err
	}
	day := s.now().UTC().Format(time.DateOnly)
	for i := range cs {
		c := &cs[i]
		if ok, err := s.Store.ControlExists(ctx, c.Control); err != nil {
			return err
		} else if !ok {
			continue
		}
		for j := range done {
			if x := &done[j]; x.CourseID == c.ID && x.Passed && x.EvidenceID == 0 {
				if err := s.sealCertificate(ctx, c, x); err != nil {
					return err
				}
			}
		}
		roster := rs[c.ID]
		if len(roster) == 0 {
			continue
		}
		body, _ := json.Marshal(roster)
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])
		last, err := s.Store.LastTrainingSeal(ctx, c.ID)
		if err != nil {
			return err
		}
		if last != nil && last.SHA256 == hash {
			continue
		}
		// The roster answers the control's evidence requests: once a
		// reviewer accepts it, it fulfils the period it falls in.
		reqs, err := s.Store.Requests(ctx, c.Control)
		if err != nil {
			return err
		}
		var reqIDs []int64
		for _, r := range reqs {
			reqIDs = append(reqIDs, r.ID)
		}
		b, err := json.MarshalIndent(rosterRecord{Course: c.Key, Title: c.Title, Control: c.Control, PassMark: c.PassMark, Day: day, Roster: roster}, "", "  ")
		if err != nil {
			return err
		}
		ev, err := s.Evidence.Upload(ctx, evidence.Meta{Restricted: true, Source: vigil.SourceReview, Title: fmt.Sprintf("%s %s: training roster on %s", c.Key, c.Title, day),
			Filename: fmt.Sprintf("%s-roster-%s.json", strings.ToLower(c.Key), day), MediaType: "application/json",
			EffectiveStart: vigil.Date(day), EffectiveEnd: vigil.Date(day), Controls: []string{c.Control}, Requests: reqIDs, DeclaredSize: int64(len(b))}, bytes.NewReader(b))
		if err != nil {
			return err
		}
		if err := s.Store.AddTrainingSeal(ctx, store.TrainingSeal{CourseID: c.ID, Day: day, SHA256: hash, EvidenceID: ev.ID}); err != nil {
			return err
		}
	}
	return nil
}

// certificate is the generated certificate's text: a small HTML page.
var certificate = template.Must(template.New("cert").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Certificate of completion: {{.Course}}</title></head>
<body>
<h1>Certificate of completion</h1>
<p>This certifies that <strong>{{.Person}}</strong> completed <strong>{{.Key}} {{.Course}}</strong> on {{.Date}}.</p>
<dl>
<dt>How</dt><dd>{{.How}}</dd>
{{if .Score}}<dt>Score</dt><dd>{{.Score}}% (pass mark {{.PassMark}}%)</dd>{{end}}
<dt>Valid until</dt><dd>{{.Until}}</dd>
<dt>Counts toward</dt><dd>{{.Control}}</dd>
{{if .Note}}<dt>Note</dt><dd>{{.Note}}</dd>{{end}}
</dl>
<p>Issued by Vigil; sealed into the organization's evidence ledger.</p>
</body></html>
`))

func (s *Service) sealCertificate(ctx context.Context, c *vigil.Course, x *vigil.Completion) error {
	person := x.UserName
	if u, err := s.Store.User(ctx, x.UserID); err == nil {
		person = u.Name + " (" + u.Email + ")"
	}
	until := "no expiry"
	end := x.CompletedAt.UTC()
	if exp := c.ExpiresAt(x.CompletedAt); !exp.IsZero() {
		until = exp.UTC().Format(time.DateOnly)
		end = exp.UTC().AddDate(0, 0, -1)
	}
	how := map[vigil.CompletionSource]string{vigil.CompletionQuiz: "passed the course's quiz in Vigil",
		vigil.CompletionAttestation: "completed elsewhere, attested by a manager in Vigil", vigil.CompletionUpload: "completed elsewhere"}[x.Source]
	var buf bytes.Buffer
	if err := certificate.Execute(&buf, map[string]any{"Person": person, "Key": c.Key, "Course": c.Title, "Date": x.CompletedAt.UTC().Format(time.DateOnly),
		"How": how, "Score": x.Score, "PassMark": c.PassMark, "Until": until, "Control": c.Control, "Note": x.Note}); err != nil {
		return err
	}
	start := x.CompletedAt.UTC().Format(time.DateOnly)
	ev, err := s.Evidence.Upload(ctx, evidence.Meta{Restricted: true, Source: vigil.SourceReview, Title: fmt.Sprintf("%s %s: certificate of %s", c.Key, c.Title, person),
		Filename: fmt.Sprintf("%s-certificate-%d.html", strings.ToLower(c.Key), x.ID), MediaType: "text/html",
		EffectiveStart: vigil.Date(start), EffectiveEnd: vigil.Date(end.Format(time.DateOnly)), Controls: []string{c.Control},
		DeclaredSize: int64(buf.Len())}, bytes.NewReader(buf.Bytes()))
	if err != nil {
		return err
	}
	x.EvidenceID = ev.ID
	return s.Store.SetCompletionEvidence(ctx, x.ID, ev.ID)
}
