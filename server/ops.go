package server

import (
	"context"
	"net/http"
	"time"

	"github.com/vigil-soc/vigil/store"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("ok\n"))
	return err
}

type readyBody struct {
	Status        string `json:"status"` // ready or not_ready
	Reason        string `json:"reason,omitempty"`
	Database      string `json:"database"`
	SchemaVersion int    `json:"schema_version"`
}

// readyz tells a load balancer whether to send traffic here: the database
// answers and its schema is the one this binary expects.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	body := readyBody{Status: "ready", Database: s.store.Engine()}
	v, err := s.store.SchemaVersion(ctx)
	switch {
	case err != nil:
		body.Status, body.Reason = "not_ready", "database unreachable"
	case v != store.LatestVersion():
		body.Status, body.Reason = "not_ready", "database schema is not at the expected version"
	}
	body.SchemaVersion = v
	status := http.StatusOK
	if body.Status != "ready" {
		status = http.StatusServiceUnavailable
		s.log.Warn("not ready", "reason", body.Reason, "err", err)
	}
	writeJSON(w, status, body)
	return nil
}

func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(w, s.version)
	s.hashes.write(w)
	return nil
}
