package server

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations"
	"github.com/vigil-soc/vigil/scan"
)

// integrationRoutes configure connected systems and run their checks.
func (s *Server) integrationRoutes() []route {
	const (
		read   = vigil.PermRead
		manage = vigil.PermManage
	)
	rs := []route{
		{method: "GET", path: "/api/v1/integrations", perm: read, tag: "integrations", summary: "Connected systems (never their credentials)", out: []vigil.Integration{}, h: s.listIntegrations},
		{method: "POST", path: "/api/v1/integrations", perm: manage, tag: "integrations", summary: "Connect a system: kind, name, config, interval and an optional secret (sealed at rest, never returned)", in: integrationRequest{}, out: vigil.Integration{}, status: 201, h: s.createIntegration},
		{method: "GET", path: "/api/v1/integrations/{id}", perm: read, tag: "integrations", summary: "A connected system", out: vigil.Integration{}, h: s.getIntegration},
		{method: "PUT", path: "/api/v1/integrations/{id}", perm: manage, tag: "integrations", summary: "Change a connected system (omit secret to keep it, \"\" to remove it)", in: integrationRequest{}, out: vigil.Integration{}, h: s.updateIntegration},
		{method: "DELETE", path: "/api/v1/integrations/{id}", perm: manage, tag: "integrations", summary: "Disconnect a system (its results stay as history)", status: 204, h: s.deleteIntegration},
		{method: "POST", path: "/api/v1/integrations/{id}/test", perm: manage, tag: "integrations", summary: "Test the connection now; the answer says what is wrong", out: testResult{}, h: s.testIntegration},
		{method: "POST", path: "/api/v1/integrations/{id}/run", perm: manage, tag: "integrations", summary: "Run the system's checks now", out: scan.Summary{}, h: s.runIntegration},
	}
	for i := range rs {
		rs[i].needsIntegrations = true
	}
	return rs
}

type integrationRequest struct {
	Kind     string          `json:"kind"`
	Name     string          `json:"name"`
	Config   json.RawMessage `json:"config"`
	Interval int             `json:"interval_seconds"`
	// Every is the interval as a duration ("24h", "30m", "7d"), which
	// people read better than seconds; it wins over interval_seconds.
	Every   string  `json:"every,omitempty"`
	Enabled *bool   `json:"enabled"`
	Secret  *string `json:"secret"`
}

func (req *integrationRequest) integration() (*vigil.Integration, error) {
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
	var req integrationRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	x, err := req.integration()
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
	var req integrationRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	x, err := req.integration()
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

type testResult struct {
	OK      bool   `json:"ok"`
	Message string `json:"message"`
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
		writeJSON(w, http.StatusOK, testResult{OK: false, Message: vigil.ErrorMessage(err)})
		return nil
	}
	writeJSON(w, http.StatusOK, testResult{OK: true, Message: "connected"})
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
