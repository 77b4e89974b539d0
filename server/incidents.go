package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
)

// incidentRoutes are the API of the incident register and the
// exercises: everyone reads; whoever operates controls (members too, and
// the API tokens of alerting tools) declares incidents and writes the
// timeline; admins and owners record notifications, reviews, closure,
// exercises and the settings.
func (s *Server) incidentRoutes() []route {
	const (
		read    = vigil.PermRead
		respond = vigil.PermEditOwnControl
		manage  = vigil.PermManage
	)
	rs := []route{
		{name: "ListIncidents", method: "GET", path: "/api/v1/incidents", perm: read, tag: "incidents", summary: "The incident register, newest first, filtered",
			query: []param{{"status", "open (not yet resolved), declared, investigating, contained, resolved or closed"}, {"severity", "SEV1 to SEV4"}, {"q", "search in key and title"}, {"limit", "at most this many, 1 to 5000 (default 500)"}},
			out:   api.Page[vigil.Incident]{}, h: s.listIncidents},
		{name: "OpenIncident", method: "POST", path: "/api/v1/incidents", perm: respond, tag: "incidents", summary: "Declare an incident (SEV1: " + vigil.SeverityDefinitions[vigil.SEV1] + "). With a dedup_key an open incident already has, that incident is returned (200) and nothing is opened", in: api.IncidentRequest{}, out: api.IncidentOpened{}, status: 201, h: s.openIncident},
		{name: "GetIncident", method: "GET", path: "/api/v1/incidents/{id}", perm: read, tag: "incidents", summary: "An incident (by number or key) with its timeline, notifications, review and actions", out: vigil.Incident{}, h: s.getIncident},
		{name: "UpdateIncident", method: "PATCH", path: "/api/v1/incidents/{id}", perm: manage, tag: "incidents", summary: "Change an incident: status forward only (resolved needs the root cause), severity, root cause, affected systems, customers and data", in: vigil.IncidentPatch{}, out: vigil.Incident{}, h: s.patchIncident},
		{name: "AddIncidentEvent", method: "POST", path: "/api/v1/incidents/{id}/events", perm: respond, tag: "incidents", summary: "Append a timeline entry (entries are never changed)", in: api.IncidentEventRequest{}, out: vigil.IncidentEvent{}, status: 201, h: s.addIncidentEvent},
		{name: "AddNotification", method: "POST", path: "/api/v1/incidents/{id}/notifications", perm: manage, tag: "incidents", summary: "Record a notification owed and its deadline (default 72 hours after declaration)", in: api.NotificationRequest{}, out: vigil.IncidentNotification{}, status: 201, h: s.addNotification},
		{name: "NotificationSent", method: "POST", path: "/api/v1/incidents/{id}/notifications/{notification}/sent", perm: manage, tag: "incidents", summary: "Record when a notification was sent", in: api.NotificationSentRequest{}, out: vigil.IncidentNotification{}, h: s.notificationSent},
		{name: "ReviewIncident", method: "POST", path: "/api/v1/incidents/{id}/review", perm: manage, tag: "incidents", summary: "Record the post-incident review of a resolved incident, with its actions (owner, due date)", in: api.IncidentReviewRequest{}, out: vigil.Incident{}, h: s.reviewIncident},
		{name: "CompleteAction", method: "POST", path: "/api/v1/incidents/{id}/actions/{action}/done", perm: manage, tag: "incidents", summary: "Mark a review action done", out: vigil.ReviewAction{}, h: s.completeAction},
		{name: "CloseIncident", method: "POST", path: "/api/v1/incidents/{id}/close", perm: manage, tag: "incidents", summary: "Close a resolved incident (SEV1 and SEV2 only after their review); its record is sealed into the evidence ledger", out: vigil.Incident{}, h: s.closeIncident},
		{name: "GetIncidentRules", method: "GET", path: "/api/v1/incident-rules", perm: read, tag: "incidents", summary: "Days a resolved incident may wait for its review, and each exercise kind's cadence in months", out: vigil.IncidentRules{}, h: s.getIncidentRules},
		{name: "PutIncidentRules", method: "PUT", path: "/api/v1/incident-rules", perm: manage, tag: "incidents", summary: "Change the review days and exercise cadences", in: vigil.IncidentRules{}, out: vigil.IncidentRules{}, h: s.putIncidentRules},
		{name: "ListExercises", method: "GET", path: "/api/v1/exercises", perm: read, tag: "incidents", summary: "Tabletop, disaster recovery and restore exercises, latest first", out: api.Page[vigil.Exercise]{}, h: s.listExercises},
		{name: "RecordExercise", method: "POST", path: "/api/v1/exercises", perm: manage, tag: "incidents", summary: "Record an exercise with its evidence (items uploaded first, linked to IR-03, BC-04 or BC-02)", in: api.ExerciseRequest{}, out: vigil.Exercise{}, status: 201, h: s.recordExercise},
	}
	for i := range rs {
		rs[i].needsIncidents = true
	}
	return rs
}

// MaxIncidentList bounds one answer of the register.
const maxIncidentList = 5000

func incidentFilter(r *http.Request) (vigil.IncidentFilter, error) {
	q := r.URL.Query()
	f := vigil.IncidentFilter{Status: vigil.IncidentStatus(q.Get("status")), Severity: vigil.Severity(q.Get("severity")), Query: q.Get("q"), Limit: 500}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxIncidentList {
			return f, vigil.FieldError("limit", "limit must be a whole number from 1 to %d, got %q", maxIncidentList, truncate(v, 20))
		}
		f.Limit = n
	}
	return f, nil
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) error {
	f, err := incidentFilter(r)
	if err != nil {
		return err
	}
	xs, err := s.incidents.List(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.Page[vigil.Incident]{Items: nonNilSlice(xs)})
	return nil
}

func (s *Server) incidentID(r *http.Request) (int64, error) {
	return s.incidents.Resolve(r.Context(), r.PathValue("id"))
}

func (s *Server) openIncident(w http.ResponseWriter, r *http.Request) error {
	var req api.IncidentRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	x := &vigil.Incident{Title: req.Title, Summary: req.Summary, Severity: req.Severity, DetectedAt: req.DetectedAt, DeclaredAt: req.DeclaredAt,
		Systems: req.Systems, Customers: req.Customers, Data: req.Data, DedupKey: req.DedupKey, Source: req.Source}
	created, err := s.incidents.Open(r.Context(), x)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	writeJSON(w, status, api.IncidentOpened{Incident: *x, Created: created})
	return nil
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := s.incidentID(r)
	if err != nil {
		return err
	}
	x, err := s.incidents.Incident(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

func (s *Server) patchIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := s.incidentID(r)
	if err != nil {
		return err
	}
	var p vigil.IncidentPatch
	if err := decode(r, &p); err != nil {
		return err
	}
	x, err := s.incidents.Update(r.Context(), id, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

func (s *Server) addIncidentEvent(w http.ResponseWriter, r *http.Request) error {
	id, err := s.incidentID(r)
	if err != nil {
		return err
	}
	var req api.IncidentEventRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	e := &vigil.IncidentEvent{Text: req.Text, At: req.At}
	if err := s.incidents.AddEvent(r.Context(), id, e); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

// notificationFrom applies due_hours (after declaration) when no due_at is
// given; the rest is the domain's.
func (s *Server) notificationFrom(r *http.Request, id int64, req api.NotificationRequest) (*vigil.IncidentNotification, error) {
	n := &vigil.IncidentNotification{Audience: req.Audience, DueAt: req.DueAt, Note: req.Note}
	if req.DueHours != 0 {
		if !req.DueAt.IsZero() {
			return nil, vigil.FieldError("due_hours", "give due_at or due_hours, not both")
		}
		if req.DueHours < 1 || req.DueHours > vigil.MaxNotifyHours {
			return nil, vigil.FieldError("due_hours", "due hours must be 1 to %d, got %d", vigil.MaxNotifyHours, req.DueHours)
		}
		x, err := s.incidents.Incident(r.Context(), id)
		if err != nil {
			return nil, err
		}
		n.DueAt = x.DeclaredAt.Add(time.Duration(req.DueHours) * time.Hour)
	}
	return n, nil
}

func (s *Server) addNotification(w http.ResponseWriter, r *http.Request) error {
	id, err := s.incidentID(r)
	if err != nil {
		return err
	}
	var req api.NotificationRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	n, err := s.notificationFrom(r, id, req)
	if err != nil {
		return err
	}
	if err := s.incidents.AddNotification(r.Context(), id, n); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, n)
	return nil
}

func (s *Server) notificationSent(w http.ResponseWriter, r *http.Request) error {
	id, err := s.incidentID(r)
	if err != nil {
		return err
	}
	nid, err := pathInt(r, "notification")
	if err != nil {
		return err
	}
	var req api.NotificationSentRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	n, err := s.incidents.NotificationSent(r.Context(), id, nid, req.SentAt)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}

func (s *Server) reviewIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := s.incidentID(r)
	if err != nil {
		return err
	}
	var req api.IncidentReviewRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	acts := make([]vigil.ReviewAction, 0, len(req.Actions))
	for _, a := range req.Actions {
		acts = append(acts, vigil.ReviewAction{Title: a.Title, OwnerID: a.OwnerID, Due: vigil.Date(a.Due)})
	}
	x, err := s.incidents.Review(r.Context(), id, &vigil.IncidentReview{Summary: req.Summary, CompletedAt: req.CompletedAt}, acts)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

func (s *Server) completeAction(w http.ResponseWriter, r *http.Request) error {
	id, err := s.incidentID(r)
	if err != nil {
		return err
	}
	aid, err := pathInt(r, "action")
	if err != nil {
		return err
	}
	a, err := s.incidents.ActionDone(r.Context(), id, aid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) closeIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := s.incidentID(r)
	if err != nil {
		return err
	}
	x, err := s.incidents.Close(r.Context(), id)
	if err != nil && x == nil {
		return err
	}
	if err != nil {
		// Closed; the seal is retried by the hourly job.
		s.log.Warn("incident closed but not sealed", "incident", x.Key, "err", err)
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

func (s *Server) getIncidentRules(w http.ResponseWriter, r *http.Request) error {
	rules, err := s.incidents.Rules(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rules)
	return nil
}

func (s *Server) putIncidentRules(w http.ResponseWriter, r *http.Request) error {
	var rules vigil.IncidentRules
	if err := decode(r, &rules); err != nil {
		return err
	}
	if err := s.incidents.SetRules(r.Context(), rules); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rules)
	return nil
}

func (s *Server) listExercises(w http.ResponseWriter, r *http.Request) error {
	es, err := s.incidents.Exercises(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.Page[vigil.Exercise]{Items: nonNilSlice(es)})
	return nil
}

func exerciseFrom(req api.ExerciseRequest) *vigil.Exercise {
	return &vigil.Exercise{Kind: req.Kind, Scenario: req.Scenario, Date: vigil.Date(req.Date), Participants: req.Participants, Tested: req.Tested,
		Results: req.Results, Outcome: req.Outcome, Findings: req.Findings, Actions: req.Actions, EvidenceIDs: req.EvidenceIDs}
}

func (s *Server) recordExercise(w http.ResponseWriter, r *http.Request) error {
	var req api.ExerciseRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	e := exerciseFrom(req)
	if err := s.incidents.RecordExercise(r.Context(), e, nil); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}
