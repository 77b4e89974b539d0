package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/store"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("ok\n"))
	return err
}

// readyz tells a load balancer whether to send traffic here: the database
// answers and its schema is the one this binary expects.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	body := api.Ready{Status: "ready", Database: s.store.Engine()}
	v, err := s.store.SchemaVersion(ctx)
	switch {
	case err != nil:
		body.Status, body.Reason = "not_ready", "database unreachable"
	case v != store.LatestVersion():
		body.Status, body.Reason = "not_ready", "database schema is not at the expected version"
	}
	body.SchemaVersion = v
	if body.Status == "ready" && s.evidence != nil {
		if perr := s.probeBlobs(ctx); perr != nil {
			body.Status, body.Reason, err = "not_ready", "evidence storage cannot be written", perr
		}
	}
	status := http.StatusOK
	if body.Status != "ready" {
		status = http.StatusServiceUnavailable
		s.log.Warn("not ready", "reason", body.Reason, "err", err)
	}
	writeJSON(w, status, body)
	return nil
}

func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request) error {
	if s.metricsToken != "" {
		got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !tokenEqual(got, s.metricsToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			return vigil.Errorf(vigil.EUNAUTHORIZED, "metrics need the metrics token (Authorization: Bearer ...)")
		}
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(w, s.version)
	s.hashes.write(w)
	s.writeGauges(r.Context(), w)
	return nil
}

// probeBlobs writes and deletes a probe object, at most every 15 seconds
// (readiness checks come often; an object store charges per request).
func (s *Server) probeBlobs(ctx context.Context) error {
	s.probeMu.Lock()
	defer s.probeMu.Unlock()
	if time.Since(s.probeAt) < 15*time.Second {
		return s.probeErr
	}
	s.probeErr = s.evidence.ProbeWrite(ctx)
	s.probeAt = time.Now()
	return s.probeErr
}
