package server

import (
	"net/http"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/integrations"
)

// integrationRoutes configure connected systems and run their checks.
func (s *Server) integrationRoutes() []route {
	const (
		read   = vigil.PermRead
		manage = vigil.PermManage
	)
	rs := []route{
		{name: "ListIntegrations", method: "GET", path: "/api/v1/integrations", perm: read, tag: "integrations", summary: "Connected systems (never their credentials)", out: []vigil.Integration{}, h: s.listIntegrations},
		{name: "CreateIntegration", method: "POST", path: "/api/v1/integrations", perm: manage, tag: "integrations", summary: "Connect a system: kind, name, config, interval and an optional secret (sealed at rest, never returned)", in: api.IntegrationRequest{}, out: vigil.Integration{}, status: 201, h: s.createIntegration},
		{name: "GetIntegration", method: "GET", path: "/api/v1/integrations/{id}", perm: read, tag: "integrations", summary: "A connected system", out: vigil.Integration{}, h: s.getIntegration},
		{name: "PutIntegration", method: "PUT", path: "/api/v1/integrations/{id}", perm: manage, tag: "integrations", summary: "Change a connected system (omit secret to keep it, \"\" to remove it)", in: api.IntegrationRequest{}, out: vigil.Integration{}, h: s.updateIntegration},
		{name: "DeleteIntegration", method: "DELETE", path: "/api/v1/integrations/{id}", perm: manage, tag: "integrations", summary: "Disconnect a system (its results stay as history)", status: 204, h: s.deleteIntegration},
		{name: "TestIntegration", method: "POST", path: "/api/v1/integrations/{id}/test", perm: manage, tag: "integrations", summary: "Test the connection now; the answer says what is wrong", out: api.TestResult{}, h: s.testIntegration},
		{name: "RunIntegration", method: "POST", path: "/api/v1/integrations/{id}/run", perm: manage, tag: "integrations", summary: "Run the system's checks now", out: vigil.ScanSummary{}, h: s.runIntegration},
	}
	for i := range rs {
		rs[i].needsIntegrations = true
	}
	return rs
}

func integrationFrom(req *api.IntegrationRequest) (*vigil.Integration, error) {
	x := &vigil.Integration{Kind: req.Kind, Name: strings.TrimSpace(req.Name), Config: req.Config, Interval: req.Interval, Enabled: true}
	if req.Every != "" {
		iv, err := integrations.ParseInterval("every", req.Every)
		if err != nil {
			return nil, err
		}
		x.Interval = iv
	}
	if x.Interval == 0 {
		x.Interval = 3600
	}
	if req.Enabled != nil {
		x.Enabled = *req.Enabled
	}
	return x, nil
}

func (s *Server) listIntegrations(w http.ResponseWriter, r *http.Request) error {
	xs, err := s.store.Integrations(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, xs)
	return nil
}

func (s *Server) createIntegration(w http.ResponseWriter, r *http.Request) error {
	var req api.IntegrationRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	x, err := integrationFrom(&req)
	if err != nil {
		return err
	}
	sec := ""
	if req.Secret != nil {
		sec = *req.Secret
	}
	if err := s.integrations.Create(r.Context(), x, sec); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, x)
	return nil
}

func (s *Server) getIntegration(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	x, _, err := s.store.Integration(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

func (s *Server) updateIntegration(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var req api.IntegrationRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	x, err := integrationFrom(&req)
	if err != nil {
		return err
	}
	x.ID = id
	if err := s.integrations.Update(r.Context(), x, req.Secret); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

func (s *Server) deleteIntegration(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if err := s.integrations.Delete(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) testIntegration(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if err := s.integrations.Test(r.Context(), id); err != nil {
		if vigil.ErrorCode(err) == vigil.ENOTFOUND || vigil.ErrorCode(err) == vigil.EINTERNAL {
			return err
		}
		// A failed connection is the answer, not an error of the request.
		writeJSON(w, http.StatusOK, api.TestResult{OK: false, Message: vigil.ErrorMessage(err)})
		return nil
	}
	writeJSON(w, http.StatusOK, api.TestResult{OK: true, Message: "connected"})
	return nil
}

func (s *Server) runIntegration(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	rep, err := s.integrations.RunNow(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep.Summary)
	return nil
}
