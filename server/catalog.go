package server

import (
	"net/http"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/catalog"
)

func (s *Server) catalogSummary(w http.ResponseWriter, r *http.Request) error {
	counts := map[string]int{}
	for _, m := range s.cat.Crosswalk {
		counts[m.Framework]++
	}
	out := api.CatalogSummary{Version: s.cat.Version, Criteria: len(s.cat.Criteria), Provenance: catalog.SOC2Provenance,
		Domains: s.cat.Domains, Library: len(s.cat.Library),
		Crosswalk: "Every mapping is related (derived) from public sources, with its source and confidence; none is an equivalence."}
	for _, f := range s.cat.Frameworks {
		out.Frameworks = append(out.Frameworks, api.FrameworkInfo{ID: f.ID, Name: f.Name, Version: f.Version, Publisher: f.Publisher,
			Provenance: f.Provenance, Requirements: len(f.Requirements), Mappings: counts[f.ID]})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) listCriteria(w http.ResponseWriter, r *http.Request) error {
	var only vigil.Category
	if v := r.URL.Query().Get("category"); v != "" {
		c, ok := vigil.ParseCategory(v)
		if !ok {
			return vigil.FieldError("category", "unknown category %q", v)
		}
		only = c
	}
	items := []api.CriterionView{}
	for _, c := range s.cat.Criteria {
		if only == "" || c.Category == only {
			items = append(items, api.CriterionView{Criterion: c, CategoryTitle: vigil.CategoryTitle(c.Category)})
		}
	}
	writeJSON(w, http.StatusOK, api.Page[api.CriterionView]{Items: items})
	return nil
}

func (s *Server) getCriterion(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	c, ok := s.cat.Criterion(id)
	if !ok {
		return vigil.NotFound("criterion", id)
	}
	fw := r.URL.Query().Get("framework")
	if _, ok := s.cat.Framework(fw); fw != "" && !ok {
		return vigil.FieldError("framework", "unknown framework %q (want iso27001, nist_csf, sp800_53 or hipaa)", fw)
	}
	minSupport, err := queryInt(r, "min_support", 0)
	if err != nil {
		return err
	}
	out := api.CriterionDetail{CriterionView: api.CriterionView{Criterion: c, CategoryTitle: vigil.CategoryTitle(c.Category)}, Controls: []string{}, Crosswalk: []api.MappingView{}}
	for _, lc := range s.cat.Library {
		for _, id := range lc.Criteria {
			if id == c.ID {
				out.Controls = append(out.Controls, lc.ID)
			}
		}
	}
	for _, m := range s.cat.MappingsFor(c.ID, fw, minSupport) {
		f, _ := s.cat.Framework(m.Framework)
		req, _ := f.Requirement(m.RequirementID)
		out.Crosswalk = append(out.Crosswalk, api.MappingView{Mapping: m, Label: m.Label(), RequirementTitle: req.Title})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getFramework(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("framework")
	f, ok := s.cat.Framework(id)
	if !ok {
		return vigil.NotFound("framework", id)
	}
	writeJSON(w, http.StatusOK, api.FrameworkView{ID: f.ID, Name: f.Name, Version: f.Version, Publisher: f.Publisher, Provenance: f.Provenance, Requirements: f.Requirements})
	return nil
}

func (s *Server) listLibrary(w http.ResponseWriter, r *http.Request) error {
	domain := r.URL.Query().Get("domain")
	if domain != "" && !s.knownDomain(domain) {
		return vigil.FieldError("domain", "unknown library domain %q", domain)
	}
	items := []api.LibraryView{}
	for _, lc := range s.cat.Library {
		if domain == "" || lc.Domain == domain {
			items = append(items, api.LibraryView{LibraryControl: lc, DomainTitle: catalog.DomainTitle(lc.Domain)})
		}
	}
	writeJSON(w, http.StatusOK, api.Page[api.LibraryView]{Items: items})
	return nil
}

func (s *Server) knownDomain(code string) bool {
	for _, d := range s.cat.Domains {
		if d.Code == code {
			return true
		}
	}
	return false
}
