package risk

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/catalog"
)

// TestLibrary: at least 40 risks, each scored on the scale and suggesting
// controls the control library has; fraud risks (CC3.3, through RA-02)
// and change-driven risks (CC3.4) are among them.
func TestLibrary(t *testing.T) {
	lib, err := Library()
	if err != nil {
		t.Fatal(err)
	}
	if len(lib) < 40 {
		t.Fatalf("%d library risks, want at least 40", len(lib))
	}
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	n := map[vigil.RiskCategory]int{}
	for _, l := range lib {
		n[l.Category]++
		if len(l.Controls) == 0 || l.Description == "" || l.Threat == "" || l.Vulnerability == "" {
			t.Errorf("%s is incomplete: %+v", l.ID, l)
		}
		for _, c := range l.Controls {
			if _, ok := cat.LibraryControl(c); !ok {
				t.Errorf("%s suggests %s, which the control library lacks", l.ID, c)
			}
		}
	}
	if n[vigil.RiskFraud] < 3 || n[vigil.RiskChange] < 3 {
		t.Errorf("fraud %d, change %d: want at least 3 of each", n[vigil.RiskFraud], n[vigil.RiskChange])
	}
	// The change-driven risks point at RA-04, the control CC3.4 asks for.
	if !slices.ContainsFunc(lib, func(l vigil.LibraryRisk) bool {
		return l.Category == vigil.RiskChange && slices.Contains(l.Controls, "RA-04")
	}) {
		t.Error("no change-driven risk suggests RA-04")
	}
}

// TestLibraryRefusesBadRows: the parser names the line of a risk off the
// scale, and refuses a changed header.
func TestLibraryRefusesBadRows(t *testing.T) {
	head := strings.Join(libraryHeader, ",") + "\n"
	if _, err := parseLibrary(head + "LR-01,x,security,6,1,AC-01,t,v,d\n"); err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "likelihood") {
		t.Fatalf("likelihood 6: %v", err)
	}
	if _, err := parseLibrary("id,title\nLR-01,x\n"); err == nil {
		t.Fatal("a changed header was accepted")
	}
	if _, err := parseLibrary(head + "LR-01,x,security,1,1,AC-01,t,v,d\nLR-01,y,security,1,1,AC-01,t,v,d\n"); err == nil {
		t.Fatal("a duplicate id was accepted")
	}
}
