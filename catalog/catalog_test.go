package catalog

import (
	"testing"

	"github.com/vigil-soc/vigil"
)

func TestLoad(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[vigil.Category]int{}
	for _, cr := range c.Criteria {
		counts[cr.Category]++
	}
	want := map[vigil.Category]int{"security": 33, "availability": 3, "confidentiality": 2, "processing_integrity": 5, "privacy": 18}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("category %s: %d criteria, want %d", k, counts[k], n)
		}
	}
	if len(c.Library) != 108 {
		t.Errorf("library: %d controls, want 108", len(c.Library))
	}
	if len(c.Crosswalk) != 3081 {
		t.Errorf("crosswalk: %d rows, want 3081", len(c.Crosswalk))
	}
	kinds := func(fw string) map[string]int {
		f, ok := c.Framework(fw)
		if !ok {
			t.Fatalf("framework %s missing", fw)
		}
		m := map[string]int{}
		for _, r := range f.Requirements {
			m[r.Kind]++
		}
		return m
	}
	iso := kinds(ISO27001)
	if iso["annex"] != 97 { // 4 themes + 93 controls
		t.Errorf("ISO 27001 annex rows: %d, want 97 (4 themes, 93 controls)", iso["annex"])
	}
	csf := kinds(NISTCSF)
	if csf["function"] != 6 || csf["category"] != 22 || csf["subcategory"] != 106 {
		t.Errorf("CSF 2.0: %v, want 6 functions, 22 categories, 106 subcategories", csf)
	}
	if k := kinds(SP80053); k["family"] != 20 {
		t.Errorf("SP 800-53 families: %d, want 20", k["family"])
	}
}

func TestEveryCriterionHasALibraryControl(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, lc := range c.Library {
		for _, id := range lc.Criteria {
			covered[id] = true
		}
	}
	for _, cr := range c.Criteria {
		if !covered[cr.ID] {
			t.Errorf("criterion %s has no library control", cr.ID)
		}
	}
}

func TestCrosswalkResolution(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, m := range c.Crosswalk {
		found[m.Framework+" "+m.TargetID] = m.RequirementID
		if m.Label() != "related (derived)" {
			t.Fatalf("mapping label %q", m.Label())
		}
	}
	for _, tc := range []struct{ fw, target, want string }{
		{SP80053, "PS-6a", "PS-6"},
		{SP80053, "AC-16(10)", "AC-16"},
		{HIPAA, "164.308(a)(7)(ii)(c)", "164.308(a)(7)(ii)(C)"},
		{HIPAA, "164.312(b)", "164.312(b)"},
		{ISO27001, "5.1", "5.1"},
	} {
		if got, ok := found[tc.fw+" "+tc.target]; !ok || got != tc.want {
			t.Errorf("%s %s resolves to %q, want %q", tc.fw, tc.target, got, tc.want)
		}
	}
}
