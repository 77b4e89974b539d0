package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
)

// MaxReportBytes bounds an agent report's body.
const MaxReportBytes = 12 << 20

type agentKey struct{}

// agentFrom returns the agent an agent route authenticated.
func agentFrom(ctx context.Context) *vigil.Agent {
	a, _ := ctx.Value(agentKey{}).(*vigil.Agent)
	return a
}

// monitorRoutes are the monitoring API: agents enrol and report; people
// list hosts, their results and history, and the fleet per check.
func (s *Server) monitorRoutes() []route {
	const (
		read   = vigil.PermRead
		manage = vigil.PermManage
	)
	rs := []route{
		{name: "CreateEnrolment", method: "POST", path: "/api/v1/agents/enrolments", perm: manage, tag: "monitoring", summary: "Make a one-time enrolment token for an agent (shown once)", in: api.EnrolmentRequest{}, out: vigil.Enrolment{}, status: 201, h: s.createEnrolment},
		{name: "ListAgents", method: "GET", path: "/api/v1/agents", perm: read, tag: "monitoring", summary: "Enrolled hosts: OS, kernel, last seen, compliance", query: pageParams, out: api.Page[api.AgentView]{}, h: s.listAgents},
		{name: "GetAgent", method: "GET", path: "/api/v1/agents/{id}", perm: read, tag: "monitoring", summary: "A host with its current results", out: api.AgentDetail{}, h: s.getAgent},
		{name: "ApproveTailoring", method: "POST", path: "/api/v1/agents/{id}/tailoring/approve", perm: manage, tag: "monitoring", summary: "Approve a host's tailoring as shown (its digest): until then, each check it turns off leaves the controls it tests unknown", in: api.ApproveTailoring{}, out: api.ApprovedTailoring{}, h: s.approveTailoring},
		{name: "RevokeAgent", method: "DELETE", path: "/api/v1/agents/{id}", perm: manage, tag: "monitoring", summary: "Revoke a host's agent: its reports are refused from now on", status: 204, h: s.revokeAgent},
		{name: "AgentHistory", method: "GET", path: "/api/v1/agents/{id}/history", perm: read, tag: "monitoring", summary: "When each check and resource was passing, failing or unknown in a window, with the time to fix each failure", query: []param{{"check", "only this check"}, {"from", "start, RFC 3339 or YYYY-MM-DD (default: 30 days ago)"}, {"to", "end (default: now)"}}, out: []vigil.CheckHistory{}, h: s.agentHistory},
		{name: "AgentRuns", method: "GET", path: "/api/v1/agents/{id}/runs", perm: read, tag: "monitoring", summary: "A host's recent runs (reports)", out: []vigil.CheckRun{}, h: s.agentRuns},
		{name: "ControlHistory", method: "GET", path: "/api/v1/controls/{id}/history", perm: read, tag: "monitoring", summary: "When a control's automated tests were passing, failing or unknown in a window, across hosts", query: []param{{"from", "start, RFC 3339 or YYYY-MM-DD (default: 30 days ago)"}, {"to", "end (default: now)"}}, out: vigil.ControlHistory{}, h: s.controlHistory},
		{name: "Fleet", method: "GET", path: "/api/v1/fleet", perm: read, tag: "monitoring", summary: "Per check: how many hosts pass, fail or could not be judged", out: []api.FleetRow{}, h: s.fleet},

		{name: "Enrol", method: "POST", path: "/api/v1/agent/enrol", tag: "agent", summary: "An agent enrols with a one-time token and receives its credential (shown once)", in: api.EnrolRequest{}, out: api.EnrolResponse{}, status: 201, h: s.agentEnrol},
		{name: "SendReport", method: "POST", path: "/api/v1/agent/reports", agent: true, tag: "agent", summary: "An agent reports check results (changes since its last accepted report, or all)", in: vigil.AgentReport{}, out: api.ReportAccepted{}, status: 202, maxBody: MaxReportBytes, h: s.agentReport},
		{name: "AgentState", method: "GET", path: "/api/v1/agent/state", agent: true, tag: "agent", summary: "The agent's last accepted report, to resume after losing its state", out: api.ReportAccepted{}, h: s.agentState},
	}
	for i := range rs {
		rs[i].needsMonitor = true
	}
	return rs
}

// authenticateAgent resolves an agent credential.
func (s *Server) authenticateAgent(r *http.Request) (*vigil.Agent, error) {
	cred, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || cred == "" {
		return nil, vigil.Errorf(vigil.EUNAUTHORIZED, "agent authentication required: send Authorization: Bearer <agent credential>")
	}
	return s.monitor.Authenticate(r.Context(), cred)
}

func (s *Server) createEnrolment(w http.ResponseWriter, r *http.Request) error {
	var req api.EnrolmentRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.TTLHours == 0 {
		req.TTLHours = 24
	}
	e, err := s.monitor.CreateLabelledEnrolment(r.Context(), req.Name, req.Labels, time.Duration(req.TTLHours)*time.Hour)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (s *Server) agentView(a vigil.Agent) api.AgentView {
	return api.AgentView{Agent: a, Stale: a.RevokedAt == nil && a.Stale(s.now()), Compliance: a.Compliance()}
}

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	after, err := intCursor(r)
	if err != nil {
		return err
	}
	items, err := s.store.Agents(r.Context(), after, limit+1)
	if err != nil {
		return err
	}
	views := make([]api.AgentView, len(items))
	for i, a := range items {
		views[i] = s.agentView(a)
	}
	writeJSON(w, http.StatusOK, pageOf(views, limit, func(x api.AgentView) string { return strconv.FormatInt(x.ID, 10) }))
	return nil
}

func (s *Server) tailoringOf(r *http.Request, id int64) (api.TailoringView, error) {
	var v api.TailoringView
	var err error
	v.Disabled, v.Unapproved, v.Digest, err = s.store.AgentTailoring(r.Context(), id)
	return v, err
}

func (s *Server) approveTailoring(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var req api.ApproveTailoring
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Digest == "" {
		return vigil.FieldError("digest", "digest is required: the tailoring's digest as shown by GET /api/v1/agents/%d", id)
	}
	approved, err := s.store.ApproveTailoring(r.Context(), id, req.Digest)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.ApprovedTailoring{Approved: approved})
	return nil
}

func (s *Server) getAgent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	a, err := s.store.Agent(r.Context(), id)
	if err != nil {
		return err
	}
	res, err := s.store.CurrentResults(r.Context(), id, "")
	if err != nil {
		return err
	}
	tv, err := s.tailoringOf(r, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.AgentDetail{AgentView: s.agentView(*a), Results: res, Tailoring: tv})
	return nil
}

func (s *Server) revokeAgent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if err := s.store.RevokeAgent(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// windowParams reads from and to (RFC 3339 or a date), defaulting to the
// last 30 days.
func windowParams(r *http.Request, now time.Time) (time.Time, time.Time, error) {
	parse := func(name string, def time.Time) (time.Time, error) {
		v := r.URL.Query().Get(name)
		if v == "" {
			return def, nil
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t, nil
		}
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return t, nil
		}
		return time.Time{}, &vigil.Error{Code: vigil.EINVALID, Field: name, Message: name + " must be RFC 3339 (2026-11-01T00:00:00Z) or a date (2026-11-01)"}
	}
	to, err := parse("to", now)
	if err != nil {
		return to, to, err
	}
	from, err := parse("from", to.AddDate(0, 0, -30))
	if err != nil {
		return from, to, err
	}
	if !from.Before(to) {
		return from, to, &vigil.Error{Code: vigil.EINVALID, Field: "from", Message: "from must be before to"}
	}
	if to.Sub(from) > 400*24*time.Hour {
		return from, to, &vigil.Error{Code: vigil.EINVALID, Field: "from", Message: "a window is at most 400 days"}
	}
	return from, to, nil
}

func (s *Server) agentHistory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	from, to, err := windowParams(r, s.now())
	if err != nil {
		return err
	}
	h, err := s.monitor.History(r.Context(), id, r.URL.Query().Get("check"), from, to)
	if err != nil {
		return err
	}
	if h == nil {
		h = []vigil.CheckHistory{}
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (s *Server) agentRuns(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.store.Agent(r.Context(), id); err != nil {
		return err
	}
	runs, err := s.store.Runs(r.Context(), id, 100)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, runs)
	return nil
}

func (s *Server) fleetRows(ctx context.Context) ([]api.FleetRow, error) {
	// Through the monitor: failures an exception covers are counted apart.
	counts, err := s.monitor.Fleet(ctx)
	if err != nil {
		return nil, err
	}
	meta := map[string][3]any{}
	for _, c := range s.monitor.Checks.Checks() {
		meta[c.ID] = [3]any{c.Title, c.Severity, c.Controls}
	}
	out := make([]api.FleetRow, len(counts))
	for i, c := range counts {
		out[i] = api.FleetRow{FleetCount: c}
		if m, ok := meta[c.CheckID]; ok {
			out[i].Title, out[i].Severity, out[i].Controls = m[0].(string), m[1].(string), m[2].([]string)
		}
	}
	return out, nil
}

func (s *Server) fleet(w http.ResponseWriter, r *http.Request) error {
	rows, err := s.fleetRows(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rows)
	return nil
}

func (s *Server) agentEnrol(w http.ResponseWriter, r *http.Request) error {
	var req api.EnrolRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	// Enrolment tokens are guessed no faster than passwords: each try is
	// reserved before it is checked, and forgiven only when it succeeds.
	grp, refused, err := s.reserve(r.Context(), "enrol-addr:"+s.clientIP(r))
	if err != nil {
		return err
	}
	if refused != nil {
		return vigil.Errorf(vigil.ERATELIMITED, "too many failed attempts from this address; try again after %s UTC", refused.Until.UTC().Format("15:04"))
	}
	a, cred, err := s.monitor.Enrol(r.Context(), req.Token, req.Host)
	if err != nil {
		return err
	}
	if err := s.store.ForgiveAttempt(r.Context(), grp); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, api.EnrolResponse{AgentID: a.ID, Name: a.Name, Credential: cred})
	return nil
}

func (s *Server) agentReport(w http.ResponseWriter, r *http.Request) error {
	a := agentFrom(r.Context())
	var rep vigil.AgentReport
	if err := decodeReport(r, &rep); err != nil {
		return err
	}
	if err := s.monitor.Ingest(r.Context(), a, &rep); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, api.ReportAccepted{AgentID: a.ID, Seq: rep.Seq})
	return nil
}

func (s *Server) agentState(w http.ResponseWriter, r *http.Request) error {
	a := agentFrom(r.Context())
	writeJSON(w, http.StatusOK, api.ReportAccepted{AgentID: a.ID, Seq: a.LastSeq})
	return nil
}

func (s *Server) controlHistory(w http.ResponseWriter, r *http.Request) error {
	c, err := s.store.Control(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	from, to, err := windowParams(r, s.now())
	if err != nil {
		return err
	}
	h, err := s.monitor.ControlHistory(r.Context(), c.ID, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}
