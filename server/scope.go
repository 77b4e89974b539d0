package server

import (
	"net/http"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
)

func (s *Server) getOrganization(w http.ResponseWriter, r *http.Request) error {
	o, err := s.store.Organization(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) putOrganization(w http.ResponseWriter, r *http.Request) error {
	var o vigil.Organization
	if err := decode(r, &o); err != nil {
		return err
	}
	if err := s.store.UpdateOrganization(r.Context(), &o); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) getScope(w http.ResponseWriter, r *http.Request) error {
	sc, err := s.store.Scope(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

func (s *Server) putScope(w http.ResponseWriter, r *http.Request) error {
	var req api.ScopeRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	sc := &vigil.Scope{AuditType: req.AuditType, AsOf: req.AsOf, WindowStart: req.WindowStart, WindowEnd: req.WindowEnd}
	for _, c := range req.Categories {
		cat, ok := vigil.ParseCategory(c)
		if !ok {
			return vigil.FieldError("categories", "unknown category %q (want security, availability, confidentiality, processing_integrity or privacy)", c)
		}
		sc.Categories = append(sc.Categories, cat)
	}
	if err := s.store.UpdateScope(r.Context(), sc); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

func (s *Server) listSystems(w http.ResponseWriter, r *http.Request) error {
	return writeIDPage(w, r, s.store.ListSystems, func(x vigil.System) int64 { return x.ID })
}

func (s *Server) createSystem(w http.ResponseWriter, r *http.Request) error {
	var req api.SystemRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	x := &vigil.System{Name: req.Name, Kind: req.Kind, OwnerID: req.OwnerID, Classification: req.Classification, Environment: req.Environment, Description: req.Description}
	if err := s.store.CreateSystem(r.Context(), x); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, x)
	return nil
}

func (s *Server) getSystem(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	x, err := s.store.System(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

func (s *Server) patchSystem(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var p vigil.SystemPatch
	if err := decode(r, &p); err != nil {
		return err
	}
	x, err := s.store.UpdateSystem(r.Context(), id, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

func (s *Server) deleteSystem(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if err := s.store.DeleteSystem(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
