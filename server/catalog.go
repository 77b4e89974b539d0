package server

import (
	"net/http"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/catalog"
)

type frameworkInfo struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Version      string `json:"version"`
	Publisher    string `json:"publisher"`
	Provenance   string `json:"provenance"`
	Requirements int    `json:"requirements"`
	Mappings     int    `json:"mappings"` // crosswalk rows from TSC
}

type catalogSummary struct {
	Version    string           `json:"version"`
	Criteria   int              `json:"criteria"`
	Provenance string           `json:"provenance"`
	Frameworks []frameworkInfo  `json:"frameworks"`
	Domains    []catalog.Domain `json:"domains"`
	Library    int              `json:"library_controls"`
	Crosswalk  string           `json:"crosswalk_note"`
}

func (s *Server) catalogSummary(w http.ResponseWriter, r *http.Request) error {
	counts := map[string]int{}
	for _, m := range s.cat.Crosswalk {
		counts[m.Framework]++
	}
	out := catalogSummary{Version: s.cat.Version, Criteria: len(s.cat.Criteria), Provenance: catalog.SOC2Provenance,
		Domains: s.cat.Domains, Library: len(s.cat.Library),
		Crosswalk: "Every mapping is related (derived) from public sources, with its source and confidence; none is an equivalence."}
	for _, f := range s.cat.Frameworks {
		out.Frameworks = append(out.Frameworks, frameworkInfo{ID: f.ID, Name: f.Name, Version: f.Version, Publisher: f.Publisher,
			Provenance: f.Provenance, Requirements: len(f.Requirements), Mappings: counts[f.ID]})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type criterionView struct {
	catalog.Criterion
	CategoryTitle string `json:"category_title"`
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
	items := []criterionView{}
	for _, c := range s.cat.Criteria {
		if only == "" || c.Category == only {
			items = append(items, criterionView{Criterion: c, CategoryTitle: vigil.CategoryTitle(c.Category)})
		}
	}
	writeJSON(w, http.StatusOK, page[criterionView]{Items: items})
	return nil
}

type mappingView struct {
	catalog.Mapping
	Label            string `json:"label"`
	RequirementTitle string `json:"requirement_title"`
}

type criterionDetail struct {
	criterionView
	Controls  []string      `json:"library_controls"`
	Crosswalk []mappingView `json:"crosswalk"`
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
	out := criterionDetail{criterionView: criterionView{Criterion: c, CategoryTitle: vigil.CategoryTitle(c.Category)}, Controls: []string{}, Crosswalk: []mappingView{}}
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
		out.Crosswalk = append(out.Crosswalk, mappingView{Mapping: m, Label: m.Label(), RequirementTitle: req.Title})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type frameworkView struct {
	ID           string                `json:"id"`
	Name         string                `json:"name"`
	Version      string                `json:"version"`
	Publisher    string                `json:"publisher"`
	Provenance   string                `json:"provenance"`
	Requirements []catalog.Requirement `json:"requirements"`
}

func (s *Server) getFramework(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("framework")
	f, ok := s.cat.Framework(id)
	if !ok {
		return vigil.NotFound("framework", id)
	}
	writeJSON(w, http.StatusOK, frameworkView{ID: f.ID, Name: f.Name, Version: f.Version, Publisher: f.Publisher, Provenance: f.Provenance, Requirements: f.Requirements})
	return nil
}

type libraryView struct {
	catalog.LibraryControl
	DomainTitle string `json:"domain_title"`
}

func (s *Server) listLibrary(w http.ResponseWriter, r *http.Request) error {
	domain := r.URL.Query().Get("domain")
	if domain != "" && !s.knownDomain(domain) {
		return vigil.FieldError("domain", "unknown library domain %q", domain)
	}
	items := []libraryView{}
	for _, lc := range s.cat.Library {
		if domain == "" || lc.Domain == domain {
			items = append(items, libraryView{LibraryControl: lc, DomainTitle: catalog.DomainTitle(lc.Domain)})
		}
	}
	writeJSON(w, http.StatusOK, page[libraryView]{Items: items})
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
