package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/monitor"
)

// exceptionRoutes are the API of server-side exceptions and host labels:
// anyone who operates controls may ask for an exception, admins and owners
// approve (never their own request) and revoke, everyone reads.
func (s *Server) exceptionRoutes() []route {
	const (
		read   = vigil.PermRead
		manage = vigil.PermManage
		ownCtl = vigil.PermEditOwnControl
	)
	rs := []route{
		{name: "ListExceptions", method: "GET", path: "/api/v1/exceptions", perm: read, tag: "exceptions", summary: "Exceptions to checks, newest first, with their state now (pending, active, expired, revoked)",
			query: []param{{"state", "pending, active, expired or revoked"}, {"check", "check id"}, {"agent_id", "only those covering this host"}}, out: api.Page[vigil.CheckException]{}, h: s.listExceptions},
		{name: "RequestException", method: "POST", path: "/api/v1/exceptions", perm: ownCtl, tag: "exceptions", summary: "Ask for an exception to a check (risk accepted or not applicable) for one host, a label or all hosts; it changes nothing until another admin or owner approves it", in: api.ExceptionRequest{}, out: vigil.CheckException{}, status: 201, h: s.requestException},
		{name: "GetException", method: "GET", path: "/api/v1/exceptions/{id}", perm: read, tag: "exceptions", summary: "An exception with its state now", out: vigil.CheckException{}, h: s.getException},
		{name: "ApproveException", method: "POST", path: "/api/v1/exceptions/{id}/approve", perm: manage, tag: "exceptions", summary: "Approve a pending exception (not your own request): from now until it expires, the failures it covers are excepted", out: vigil.CheckException{}, h: s.approveException},
		{name: "RevokeException", method: "POST", path: "/api/v1/exceptions/{id}/revoke", perm: manage, tag: "exceptions", summary: "Revoke an exception, or turn a request down: the failures it covered count again", in: api.RevokeExceptionRequest{}, out: vigil.CheckException{}, h: s.revokeException},
		{name: "SetLabels", method: "PUT", path: "/api/v1/agents/{id}/labels", perm: manage, tag: "monitoring", summary: "Set a host's labels (key=value, lowercase), which exceptions can name", in: api.LabelsRequest{}, out: api.AgentView{}, h: s.setAgentLabels},
	}
	for i := range rs {
		rs[i].needsMonitor = true
	}
	return rs
}

// parseExpiry reads an expiry: an RFC 3339 time, or a date meaning the end
// of that day in UTC (an exception "until 2027-03-31" covers that day).
func parseExpiry(field, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, vigil.FieldError(field, "%s is required: an exception is never open-ended", field)
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		return d.AddDate(0, 0, 1), nil
	}
	return time.Time{}, vigil.FieldError(field, "%s must be a date (2027-03-31) or RFC 3339 time, got %q", field, truncate(v, 40))
}

func exceptionFrom(req *api.ExceptionRequest) (*vigil.CheckException, error) {
	exp, err := parseExpiry("expires_at", req.ExpiresAt)
	if err != nil && strings.TrimSpace(req.ExpiresAt) != "" {
		return nil, err
	}
	// A missing expiry is reported by Validate, after the fields before it.
	return &vigil.CheckException{CheckID: req.Check, Kind: vigil.ExceptionKind(req.Kind), Scope: vigil.ExceptionScope(req.Scope),
		AgentID: req.AgentID, Label: req.Label, Justification: req.Justification, Expires: exp}, nil
}

func (s *Server) listExceptions(w http.ResponseWriter, r *http.Request) error {
	f, err := exceptionFilter(r)
	if err != nil {
		return err
	}
	xs, err := s.monitor.Exceptions(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.Page[vigil.CheckException]{Items: xs})
	return nil
}

func exceptionFilter(r *http.Request) (monitor.ExceptionFilter, error) {
	q := r.URL.Query()
	f := monitor.ExceptionFilter{State: vigil.ExceptionState(q.Get("state")), CheckID: q.Get("check")}
	if v := q.Get("agent_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return f, vigil.FieldError("agent_id", "agent_id must be a positive whole number, got %q", truncate(v, 40))
		}
		f.AgentID = n
	}
	return f, nil
}

func (s *Server) requestException(w http.ResponseWriter, r *http.Request) error {
	var req api.ExceptionRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	e, err := exceptionFrom(&req)
	if err != nil {
		return err
	}
	if err := s.monitor.RequestException(r.Context(), e); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (s *Server) getException(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	e, err := s.monitor.Exception(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) approveException(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	e, err := s.monitor.ApproveException(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) revokeException(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var req api.RevokeExceptionRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	e, err := s.monitor.RevokeException(r.Context(), id, req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) setAgentLabels(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var req api.LabelsRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Labels == nil {
		return vigil.FieldError("labels", "labels is required: an object of key => value ({} removes them all)")
	}
	a, err := s.monitor.SetLabels(r.Context(), id, req.Labels)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.agentView(*a))
	return nil
}
