// Package catalog holds the frameworks Vigil knows (SOC 2 Trust Services
// Criteria, ISO/IEC 27001:2022, NIST CSF 2.0, NIST SP 800-53 rev. 5, the HIPAA
// Security Rule), the crosswalk between them and the control library. The data
// is embedded CSV, parsed once into an immutable Catalog value.
package catalog

import (
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-soc/vigil"
)

//go:embed data/*.csv
var dataFS embed.FS

// Version identifies this edition of the embedded catalog. Bump it whenever
// a data file changes, so that exports and audits can cite what they used.
const Version = "2026.11.0"

// Framework IDs.
const (
	SOC2     = "soc2"
	ISO27001 = "iso27001"
	NISTCSF  = "nist_csf"
	SP80053  = "sp800_53"
	HIPAA    = "hipaa"
)

// Criterion is one SOC 2 Trust Services Criterion.
type Criterion struct {
	ID            string         `json:"id"`
	Category      vigil.Category `json:"category"`
	Series        string         `json:"series"`
	Title         string         `json:"title"` // our paraphrase, not AICPA text
	COSOPrinciple int            `json:"coso_principle,omitempty"`
}

// Framework is another framework's requirements, as IDs with short titles.
type Framework struct {
	ID           string        `json:"id"`
	Name         string        `json:"name"`
	Version      string        `json:"version"`
	Publisher    string        `json:"publisher"`
	Provenance   string        `json:"provenance"`
	Requirements []Requirement `json:"requirements,omitempty"`
	index        map[string]int
}

// Requirement is one clause, control, subcategory or specification.
type Requirement struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"` // clause, annex, function, category, subcategory, family, control, section, standard, implementation, paragraph
	Parent   string `json:"parent,omitempty"`
	Title    string `json:"title"`
	Required string `json:"required,omitempty"` // HIPAA: required or addressable
}

// Requirement returns the requirement with the given ID.
func (f *Framework) Requirement(id string) (Requirement, bool) {
	i, ok := f.index[id]
	if !ok {
		return Requirement{}, false
	}
	return f.Requirements[i], true
}

// Mapping is one crosswalk row: a TSC criterion related to another
// framework's requirement. Every mapping is derived from public sources, never
// an equivalence, and is shown as "related (derived)".
type Mapping struct {
	Criterion      string `json:"criterion"`
	Framework      string `json:"framework"`
	TargetID       string `json:"target_id"`      // as published, e.g. PS-6a
	RequirementID  string `json:"requirement_id"` // the catalog requirement it resolves to, e.g. PS-6
	Relationship   string `json:"relationship"`
	Source         string `json:"source"`
	Method         string `json:"method"`
	Support        int    `json:"support"`
	CorroboratedBy string `json:"corroborated_by,omitempty"`
	Confidence     string `json:"confidence"` // medium or high
}

// Label is how a mapping is presented to users.
func (m Mapping) Label() string { return "related (derived)" }

// LibraryControl is a control in the starting library, ready to adopt.
type LibraryControl struct {
	ID           string          `json:"id"`
	Title        string          `json:"title"`
	Domain       string          `json:"domain"`
	Criteria     []string        `json:"criteria"`
	Evidence     string          `json:"evidence"`
	Frequency    vigil.Frequency `json:"frequency"`
	Automatable  bool            `json:"automatable"`
	HowAutomated string          `json:"how_automated,omitempty"`
}

// Domain is a group of library controls.
type Domain struct {
	Code  string `json:"code"`
	Title string `json:"title"`
	Count int    `json:"count"`
}

// Catalog is the loaded, immutable catalog. Share one value; never modify it.
type Catalog struct {
	Version    string
	Criteria   []Criterion
	Frameworks []*Framework // ISO 27001, NIST CSF, SP 800-53, HIPAA
	Crosswalk  []Mapping
	Library    []LibraryControl
	Domains    []Domain

	criterion   map[string]int
	library     map[string]int
	framework   map[string]*Framework
	byCriterion map[string][]int // criterion -> crosswalk rows
}

var domainTitles = map[string]string{
	"AC": "Access control", "GV": "Governance", "DP": "Data protection", "HR": "Human resources",
	"PR": "Privacy", "CM": "Change management", "IR": "Incident response", "BC": "Business continuity",
	"RA": "Risk assessment", "VM": "Vendor management", "NS": "Network security", "LM": "Logging",
	"PI": "Processing integrity", "MO": "Monitoring", "PS": "Physical security", "EP": "Endpoint security",
	"VU": "Vulnerability management",
}

// DomainTitle returns the display name of a domain code (the code itself for
// custom domains).
func DomainTitle(code string) string {
	if t, ok := domainTitles[code]; ok {
		return t
	}
	return code
}

var frameworkDefs = []struct {
	id, file, crosswalkName, name, version, publisher, provenance string
}{
	{ISO27001, "iso27001_2022.csv", "ISO/IEC 27001:2022", "ISO/IEC 27001", "2022", "ISO/IEC",
		"Clause and Annex A identifiers; titles paraphrased by Vigil (ISO text is copyrighted)."},
	{NISTCSF, "nist_csf_2.csv", "NIST CSF 2.0", "NIST Cybersecurity Framework", "2.0", "NIST",
		"Functions, categories and subcategories of NIST CSWP 29 (public domain)."},
	{SP80053, "sp800_53r5.csv", "NIST SP 800-53 Rev. 5", "NIST SP 800-53", "Rev. 5", "NIST",
		"Families and base controls of SP 800-53 rev. 5 (public domain)."},
	{HIPAA, "hipaa_security.csv", "HIPAA Security Rule (45 CFR 164 Subpart C)", "HIPAA Security Rule", "45 CFR 164 Subpart C", "HHS",
		"Standards and implementation specifications of 45 CFR 164.308-164.316 (public domain)."},
}

// SOC2Provenance describes where the criteria data comes from.
const SOC2Provenance = "2017 Trust Services Criteria (points of focus revised 2022), 61 criteria; IDs, categories and COSO principles; titles paraphrased by Vigil (AICPA text is copyrighted)."

var sp80053Base = regexp.MustCompile(`^[A-Z]{2}-\d+`)
var hipaaTrailingLetter = regexp.MustCompile(`\(([a-z])\)$`)

// Load parses the embedded data and checks its integrity: every crosswalk
// row and every library mapping must resolve.
func Load() (*Catalog, error) {
	c := &Catalog{
		Version:     Version,
		criterion:   map[string]int{},
		library:     map[string]int{},
		framework:   map[string]*Framework{},
		byCriterion: map[string][]int{},
	}
	if err := c.loadCriteria(); err != nil {
		return nil, err
	}
	for _, d := range frameworkDefs {
		f := &Framework{ID: d.id, Name: d.name, Version: d.version, Publisher: d.publisher, Provenance: d.provenance, index: map[string]int{}}
		rows, err := readCSV(d.file)
		if err != nil {
			return nil, err
		}
		for i, r := range rows {
			if len(r) < 4 {
				return nil, fmt.Errorf("catalog %s line %d: want at least 4 columns", d.file, i+2)
			}
			req := Requirement{ID: r[0], Kind: r[1], Parent: r[2], Title: r[3]}
			if len(r) > 4 {
				req.Required = r[4]
			}
			if _, dup := f.index[req.ID]; dup {
				return nil, fmt.Errorf("catalog %s line %d: duplicate id %s", d.file, i+2, req.ID)
			}
			f.index[req.ID] = len(f.Requirements)
			f.Requirements = append(f.Requirements, req)
		}
		c.Frameworks = append(c.Frameworks, f)
		c.framework[d.id] = f
	}
	if err := c.loadCrosswalk(); err != nil {
		return nil, err
	}
	if err := c.loadLibrary(); err != nil {
		return nil, err
	}
	return c, nil
}

func readCSV(name string) ([][]string, error) {
	f, err := dataFS.Open("data/" + name)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	var rows [][]string
	for first := true; ; first = false {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("catalog %s: %w", name, err)
		}
		if !first {
			rows = append(rows, rec)
		}
	}
}

func (c *Catalog) loadCriteria() error {
	rows, err := readCSV("criteria.csv")
	if err != nil {
		return err
	}
	for i, r := range rows {
		if len(r) != 5 {
			return fmt.Errorf("catalog criteria.csv line %d: want 5 columns", i+2)
		}
		cat, ok := vigil.ParseCategory(r[1])
		if !ok {
			return fmt.Errorf("catalog criteria.csv line %d: unknown category %q", i+2, r[1])
		}
		p, _ := strconv.Atoi(r[4])
		c.criterion[r[0]] = len(c.Criteria)
		c.Criteria = append(c.Criteria, Criterion{ID: r[0], Category: cat, Series: r[2], Title: r[3], COSOPrinciple: p})
	}
	if len(c.Criteria) != 61 {
		return fmt.Errorf("catalog criteria.csv: %d criteria, want 61", len(c.Criteria))
	}
	return nil
}

func (c *Catalog) loadCrosswalk() error {
	byName := map[string]*Framework{}
	for _, d := range frameworkDefs {
		byName[d.crosswalkName] = c.framework[d.id]
	}
	rows, err := readCSV("crosswalk.csv")
	if err != nil {
		return err
	}
	for i, r := range rows {
		if len(r) != 9 {
			return fmt.Errorf("catalog crosswalk.csv line %d: want 9 columns", i+2)
		}
		if _, ok := c.criterion[r[0]]; !ok {
			return fmt.Errorf("catalog crosswalk.csv line %d: unknown criterion %s", i+2, r[0])
		}
		f := byName[r[1]]
		if f == nil {
			return fmt.Errorf("catalog crosswalk.csv line %d: unknown framework %q", i+2, r[1])
		}
		reqID := f.resolveTarget(r[2])
		if _, ok := f.index[reqID]; !ok {
			return fmt.Errorf("catalog crosswalk.csv line %d: %s has no requirement %s", i+2, f.ID, r[2])
		}
		support, err := strconv.Atoi(r[6])
		if err != nil {
			return fmt.Errorf("catalog crosswalk.csv line %d: support %q is not a number", i+2, r[6])
		}
		c.byCriterion[r[0]] = append(c.byCriterion[r[0]], len(c.Crosswalk))
		c.Crosswalk = append(c.Crosswalk, Mapping{
			Criterion: r[0], Framework: f.ID, TargetID: r[2], RequirementID: reqID,
			Relationship: r[3], Source: r[4], Method: r[5], Support: support, CorroboratedBy: r[7], Confidence: r[8],
		})
	}
	return nil
}

// resolveTarget maps a published crosswalk target to a catalog requirement.
// SP 800-53 targets are statement- or enhancement-level (PS-6a, AC-16(10)) and
// are compared at control level; one HIPAA target writes a final paragraph
// letter in lower case where the regulation uses upper case, so an ID that
// does not resolve as written is tried with that letter upper-cased.
func (f *Framework) resolveTarget(id string) string {
	switch f.ID {
	case SP80053:
		if m := sp80053Base.FindString(id); m != "" {
			return m
		}
	case HIPAA:
		if _, ok := f.index[id]; !ok {
			return hipaaTrailingLetter.ReplaceAllStringFunc(id, strings.ToUpper)
		}
	}
	return id
}

func (c *Catalog) loadLibrary() error {
	rows, err := readCSV("controls.csv")
	if err != nil {
		return err
	}
	count := map[string]int{}
	for i, r := range rows {
		if len(r) != 7 {
			return fmt.Errorf("catalog controls.csv line %d: want 7 columns", i+2)
		}
		lc := LibraryControl{ID: r[0], Title: r[1], Domain: vigil.DomainOf(r[0]), Evidence: r[3],
			Frequency: vigil.Frequency(r[4]), Automatable: r[5] == "y", HowAutomated: r[6]}
		for _, id := range strings.Split(r[2], ";") {
			if _, ok := c.criterion[id]; !ok {
				return fmt.Errorf("catalog controls.csv line %d: unknown criterion %q", i+2, id)
			}
			lc.Criteria = append(lc.Criteria, id)
		}
		if !slices.Contains(vigil.Frequencies, lc.Frequency) {
			return fmt.Errorf("catalog controls.csv line %d: unknown frequency %q", i+2, r[4])
		}
		if _, dup := c.library[lc.ID]; dup {
			return fmt.Errorf("catalog controls.csv line %d: duplicate control %s", i+2, lc.ID)
		}
		c.library[lc.ID] = len(c.Library)
		c.Library = append(c.Library, lc)
		count[lc.Domain]++
	}
	for code, n := range count {
		c.Domains = append(c.Domains, Domain{Code: code, Title: DomainTitle(code), Count: n})
	}
	slices.SortFunc(c.Domains, func(a, b Domain) int { return strings.Compare(a.Code, b.Code) })
	return nil
}

// Criterion returns the criterion with the given ID.
func (c *Catalog) Criterion(id string) (Criterion, bool) {
	i, ok := c.criterion[id]
	if !ok {
		return Criterion{}, false
	}
	return c.Criteria[i], true
}

// HasCriterion reports whether id is a criterion.
func (c *Catalog) HasCriterion(id string) bool { _, ok := c.criterion[id]; return ok }

// Framework returns a framework by ID (iso27001, nist_csf, sp800_53, hipaa).
func (c *Catalog) Framework(id string) (*Framework, bool) { f, ok := c.framework[id]; return f, ok }

// LibraryControl returns a library control by ID.
func (c *Catalog) LibraryControl(id string) (LibraryControl, bool) {
	i, ok := c.library[id]
	if !ok {
		return LibraryControl{}, false
	}
	return c.Library[i], true
}

// MappingsFor returns the crosswalk rows of a criterion, optionally only for
// one framework ("" for all) and at least the given support.
func (c *Catalog) MappingsFor(criterion, framework string, minSupport int) []Mapping {
	var out []Mapping
	for _, i := range c.byCriterion[criterion] {
		m := c.Crosswalk[i]
		if (framework == "" || m.Framework == framework) && m.Support >= minSupport {
			out = append(out, m)
		}
	}
	return out
}
