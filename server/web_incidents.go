package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/incidents"
)

// The incident pages: the register (/incidents) with its filters and the
// form that declares one, a page per incident (/incidents/{id}) with its
// timeline and the forms of each step, and the exercises (/exercises)
// with the form that records one and its file. Every rule is the
// domain's or the service's; these decode forms and render.

// formTime reads a datetime-local field, taken as UTC; empty is zero.
func formTime(f url.Values, name string) (time.Time, error) {
	v := strings.TrimSpace(f.Get(name))
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, vigil.FieldError(name, "%s must be a date and time, YYYY-MM-DDTHH:MM (UTC), got %q", strings.ReplaceAll(name, "_", " "), truncate(v, 30))
}

type incidentsData struct {
	Items       []vigil.Incident
	Filter      vigil.IncidentFilter
	Systems     []vigil.System
	Severities  []vigil.Severity
	Definitions map[vigil.Severity]string
	Statuses    []vigil.IncidentStatus
	Respond     bool
}

func (s *Server) renderIncidents(w http.ResponseWriter, r *http.Request, status int, form url.Values, err error) error {
	ctx := r.Context()
	f, ferr := incidentFilter(r)
	if ferr != nil {
		f = vigil.IncidentFilter{Limit: 500}
		err = ferr
	}
	xs, lerr := s.incidents.List(ctx, f)
	if lerr != nil {
		if vigil.ErrorCode(lerr) != vigil.EINVALID {
			return lerr
		}
		err = lerr
		if xs, lerr = s.incidents.List(ctx, vigil.IncidentFilter{Limit: 500}); lerr != nil {
			return lerr
		}
	}
	sys, serr := s.store.ListSystems(ctx, 0, 0)
	if serr != nil {
		return serr
	}
	ws := sessionFrom(ctx)
	p := s.newPage(w, r, "Incidents", "incidents")
	p.Data = &incidentsData{Items: xs, Filter: f, Systems: sys, Severities: vigil.Severities, Definitions: vigil.SeverityDefinitions,
		Statuses: vigil.IncidentStatuses, Respond: ws.user.Role.Can(vigil.PermEditOwnControl)}
	if form == nil {
		form = url.Values{"severity": {"SEV3"}}
	}
	p.Form = form
	if err != nil {
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
		if status == http.StatusOK {
			status = http.StatusBadRequest
		}
	}
	return s.render(w, status, "incidents", p)
}

func (s *Server) incidentsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderIncidents(w, r, http.StatusOK, nil, nil)
}

func (s *Server) incidentOpenPage(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	x := &vigil.Incident{Title: f.Get("title"), Summary: f.Get("summary"), Severity: vigil.Severity(f.Get("severity")), Customers: f.Get("customers"), Data: f.Get("data")}
	var err error
	if x.DetectedAt, err = formTime(f, "detected_at"); err == nil {
		x.DeclaredAt, err = formTime(f, "declared_at")
	}
	for _, v := range f["systems"] {
		id, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil {
			err = vigil.FieldError("systems", "unknown system %q", truncate(v, 20))
		}
		x.Systems = append(x.Systems, id)
	}
	if err == nil {
		_, err = s.incidents.Open(r.Context(), x)
	}
	if err != nil {
		return s.renderIncidents(w, r, http.StatusUnprocessableEntity, f, err)
	}
	s.flash(w, r, x.Key+" is declared ("+string(x.Severity)+"). Keep its timeline here.")
	http.Redirect(w, r, "/incidents/"+strconv.FormatInt(x.ID, 10), http.StatusSeeOther)
	return nil
}

type incidentData struct {
	X          *vigil.Incident
	Systems    map[int64]string
	Users      []vigil.User
	Manage     bool
	Respond    bool
	Next       []vigil.IncidentStatus // the statuses it may move to
	Definition string
	Now        time.Time
}

func (s *Server) renderIncident(w http.ResponseWriter, r *http.Request, id int64, status int, form url.Values, err error) error {
	ctx := r.Context()
	x, xerr := s.incidents.Incident(ctx, id)
	if xerr != nil {
		return xerr
	}
	ws := sessionFrom(ctx)
	d := &incidentData{X: x, Systems: map[int64]string{}, Manage: ws.user.Role.Can(vigil.PermManage), Respond: ws.user.Role.Can(vigil.PermEditOwnControl),
		Definition: vigil.SeverityDefinitions[x.Severity], Now: time.Now().UTC()}
	sys, serr := s.store.ListSystems(ctx, 0, 0)
	if serr != nil {
		return serr
	}
	for _, v := range sys {
		d.Systems[v.ID] = v.Name
	}
	for _, st := range []vigil.IncidentStatus{vigil.IncidentInvestigating, vigil.IncidentContained, vigil.IncidentResolved} {
		if idx := slicesIndex(vigil.IncidentStatuses, st); idx > slicesIndex(vigil.IncidentStatuses, x.Status) {
			d.Next = append(d.Next, st)
		}
	}
	if d.Manage {
		us, uerr := s.store.ListUsers(ctx, 0, 0)
		if uerr != nil {
			return uerr
		}
		for _, u := range us {
			if !u.Disabled {
				d.Users = append(d.Users, u)
			}
		}
	}
	p := s.newPage(w, r, x.Key+" "+x.Title, "incidents")
	if form == nil {
		form = url.Values{"due_hours": {"72"}}
	}
	p.Data, p.Form = d, form
	if err != nil {
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
	}
	return s.render(w, status, "incident", p)
}

func slicesIndex(xs []vigil.IncidentStatus, s vigil.IncidentStatus) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}

func (s *Server) incidentPage(w http.ResponseWriter, r *http.Request) error {
	id, err := s.incidentID(r)
	if err != nil {
		return err
	}
	return s.renderIncident(w, r, id, http.StatusOK, nil, nil)
}

// incidentAction runs one step from an incident's page: on success back
// to it with a message, refused the page again with the reason beside
// its field.
func (s *Server) incidentAction(w http.ResponseWriter, r *http.Request, act func(id int64) (string, error)) error {
	id, err := s.incidentID(r)
	if err != nil {
		return err
	}
	msg, err := act(id)
	if err != nil {
		if vigil.ErrorCode(err) == vigil.EINTERNAL {
			return err
		}
		return s.renderIncident(w, r, id, http.StatusUnprocessableEntity, r.PostForm, err)
	}
	s.flash(w, r, msg)
	http.Redirect(w, r, "/incidents/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) incidentEventPage(w http.ResponseWriter, r *http.Request) error {
	return s.incidentAction(w, r, func(id int64) (string, error) {
		at, err := formTime(r.PostForm, "at")
		if err != nil {
			return "", err
		}
		if err := s.incidents.AddEvent(r.Context(), id, &vigil.IncidentEvent{Text: r.PostFormValue("text"), At: at}); err != nil {
			return "", err
		}
		return "Added to the timeline.", nil
	})
}

func (s *Server) incidentUpdatePage(w http.ResponseWriter, r *http.Request) error {
	return s.incidentAction(w, r, func(id int64) (string, error) {
		var p vigil.IncidentPatch
		if v := r.PostFormValue("status"); v != "" {
			st := vigil.IncidentStatus(v)
			p.Status = &st
		}
		if _, ok := r.PostForm["root_cause"]; ok {
			rc := r.PostFormValue("root_cause")
			p.RootCause = &rc
		}
		x, err := s.incidents.Update(r.Context(), id, p)
		if err != nil {
			return "", err
		}
		return x.Key + " is " + string(x.Status) + ".", nil
	})
}

func (s *Server) incidentNotificationPage(w http.ResponseWriter, r *http.Request) error {
	return s.incidentAction(w, r, func(id int64) (string, error) {
		f := r.PostForm
		var hours int
		if v := strings.TrimSpace(f.Get("due_hours")); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return "", vigil.FieldError("due_hours", "hours must be a whole number, got %q", truncate(v, 20))
			}
			hours = n
		}
		n, err := s.notificationFrom(r, id, notificationRequest(f.Get("audience"), hours, f.Get("note")))
		if err != nil {
			return "", err
		}
		if err := s.incidents.AddNotification(r.Context(), id, n); err != nil {
			return "", err
		}
		return "Notification to " + n.Audience + " owed by " + n.DueAt.Format("2006-01-02 15:04") + " UTC.", nil
	})
}

func (s *Server) incidentSentPage(w http.ResponseWriter, r *http.Request) error {
	return s.incidentAction(w, r, func(id int64) (string, error) {
		nid, err := pathInt(r, "notification")
		if err != nil {
			return "", err
		}
		at, err := formTime(r.PostForm, "sent_at")
		if err != nil {
			return "", err
		}
		n, err := s.incidents.NotificationSent(r.Context(), id, nid, at)
		if err != nil {
			return "", err
		}
		return "Notification to " + n.Audience + " recorded as sent.", nil
	})
}

func (s *Server) incidentReviewPage(w http.ResponseWriter, r *http.Request) error {
	return s.incidentAction(w, r, func(id int64) (string, error) {
		f := r.PostForm
		var acts []vigil.ReviewAction
		if t := strings.TrimSpace(f.Get("action_title")); t != "" {
			owner, _ := strconv.ParseInt(f.Get("action_owner"), 10, 64)
			acts = append(acts, vigil.ReviewAction{Title: t, OwnerID: owner, Due: vigil.Date(f.Get("action_due"))})
		}
		if _, err := s.incidents.Review(r.Context(), id, &vigil.IncidentReview{Summary: f.Get("summary")}, acts); err != nil {
			return "", err
		}
		return "Post-incident review recorded.", nil
	})
}

func (s *Server) incidentActionDonePage(w http.ResponseWriter, r *http.Request) error {
	return s.incidentAction(w, r, func(id int64) (string, error) {
		aid, err := pathInt(r, "action")
		if err != nil {
			return "", err
		}
		a, err := s.incidents.ActionDone(r.Context(), id, aid)
		if err != nil {
			return "", err
		}
		return "Action “" + a.Title + "” is done.", nil
	})
}

func (s *Server) incidentClosePage(w http.ResponseWriter, r *http.Request) error {
	return s.incidentAction(w, r, func(id int64) (string, error) {
		x, err := s.incidents.Close(r.Context(), id)
		if err != nil && x == nil {
			return "", err
		}
		if err != nil || x.EvidenceID == 0 {
			return x.Key + " is closed; its record is not sealed yet (adopt IR-02: the hourly job seals it).", nil
		}
		return x.Key + " is closed; its record is sealed as evidence item #" + strconv.FormatInt(x.EvidenceID, 10) + ".", nil
	})
}

type exercisesData struct {
	Items  []vigil.Exercise
	Rules  vigil.IncidentRules
	Manage bool
	Today  string
}

func (s *Server) renderExercises(w http.ResponseWriter, r *http.Request, status int, form url.Values, err error) error {
	es, xerr := s.incidents.Exercises(r.Context())
	if xerr != nil {
		return xerr
	}
	rules, xerr := s.incidents.Rules(r.Context())
	if xerr != nil {
		return xerr
	}
	ws := sessionFrom(r.Context())
	p := s.newPage(w, r, "Exercises", "incidents")
	p.Data = &exercisesData{Items: es, Rules: rules, Manage: ws.user.Role.Can(vigil.PermManage), Today: time.Now().UTC().Format(time.DateOnly)}
	if form == nil {
		form = url.Values{"date": {time.Now().UTC().Format(time.DateOnly)}, "outcome": {"passed"}}
	}
	for name, v := range map[string]int{"review_days": rules.ReviewDays, "tabletop_months": rules.TabletopMonths, "dr_months": rules.DRMonths, "restore_months": rules.RestoreMonths} {
		if !form.Has(name) {
			form.Set(name, strconv.Itoa(v))
		}
	}
	p.Form = form
	if err != nil {
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
	}
	return s.render(w, status, "exercises", p)
}

func (s *Server) exercisesPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderExercises(w, r, http.StatusOK, nil, nil)
}

// maxExerciseFile bounds the file recorded with an exercise from the page
// (larger reports go through the evidence upload, which streams).
const maxExerciseFile = 20 << 20

func (s *Server) exerciseRecordPage(w http.ResponseWriter, r *http.Request) error {
	f, filename, data, err := readFormFile(r, maxExerciseFile)
	if err != nil {
		if c := vigil.ErrorCode(err); c == vigil.EFORBIDDEN || c == vigil.EINTERNAL {
			return err
		}
		return s.renderExercises(w, r, http.StatusUnprocessableEntity, f, err)
	}
	e := &vigil.Exercise{Kind: vigil.ExerciseKind(f.Get("kind")), Scenario: f.Get("scenario"), Date: vigil.Date(f.Get("date")), Participants: f.Get("participants"),
		Tested: f.Get("tested"), Results: f.Get("results"), Outcome: vigil.ExerciseOutcome(f.Get("outcome")), Findings: f.Get("findings"), Actions: f.Get("actions")}
	var files []incidents.ExerciseFile
	if filename != "" && len(data) > 0 {
		files = append(files, incidents.ExerciseFile{Name: filename, Data: data})
	}
	if err := s.incidents.RecordExercise(r.Context(), e, files); err != nil {
		if vigil.ErrorCode(err) == vigil.EINTERNAL {
			return err
		}
		return s.renderExercises(w, r, http.StatusUnprocessableEntity, f, err)
	}
	msg := e.Key + " is recorded"
	if len(e.EvidenceIDs) > 0 {
		msg += " with its evidence sealed in the ledger"
	} else {
		msg += " without evidence: an exercise without evidence does not count toward " + e.Kind.Control()
	}
	s.flash(w, r, msg+".")
	http.Redirect(w, r, "/exercises#"+e.Key, http.StatusSeeOther)
	return nil
}

func notificationRequest(audience string, hours int, note string) api.NotificationRequest {
	return api.NotificationRequest{Audience: audience, DueHours: hours, Note: note}
}

// incidentRulesPage changes the review days and exercise cadences.
func (s *Server) incidentRulesPage(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	var rules vigil.IncidentRules
	for name, dst := range map[string]*int{"review_days": &rules.ReviewDays, "tabletop_months": &rules.TabletopMonths, "dr_months": &rules.DRMonths, "restore_months": &rules.RestoreMonths} {
		n, err := strconv.Atoi(strings.TrimSpace(f.Get(name)))
		if err != nil {
			return s.renderExercises(w, r, http.StatusUnprocessableEntity, f, vigil.FieldError(name, "%s must be a whole number, got %q", strings.ReplaceAll(name, "_", " "), truncate(f.Get(name), 20)))
		}
		*dst = n
	}
	if err := s.incidents.SetRules(r.Context(), rules); err != nil {
		return s.renderExercises(w, r, http.StatusUnprocessableEntity, f, err)
	}
	s.flash(w, r, "Saved: reviews within "+strconv.Itoa(rules.ReviewDays)+" days; exercises every "+strconv.Itoa(rules.TabletopMonths)+", "+strconv.Itoa(rules.DRMonths)+" and "+strconv.Itoa(rules.RestoreMonths)+" months.")
	http.Redirect(w, r, "/exercises#rules", http.StatusSeeOther)
	return nil
}
