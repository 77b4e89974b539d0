// Package risk is the risk module's service: the register on the store,
// Vigil's library of common risks, the annual assessment sealed into the
// evidence ledger, and the RA-01, RA-02 and RA-03 signals.
package risk

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/vigil-soc/vigil"
)

//go:embed library.csv
var libraryCSV string

var library = sync.OnceValues(func() ([]vigil.LibraryRisk, error) { return parseLibrary(libraryCSV) })

// Library is Vigil's library of common risks for a SaaS company, each
// with the library controls that treat it.
func Library() ([]vigil.LibraryRisk, error) { return library() }

var libraryHeader = []string{"id", "title", "category", "likelihood", "impact", "controls", "threat", "vulnerability", "description"}

func parseLibrary(text string) ([]vigil.LibraryRisk, error) {
	rd := csv.NewReader(strings.NewReader(text))
	rows, err := rd.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("risk library: %w", err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != strings.Join(libraryHeader, ",") {
		return nil, fmt.Errorf("risk library: the header must be %s", strings.Join(libraryHeader, ","))
	}
	var out []vigil.LibraryRisk
	seen := map[string]bool{}
	for i, row := range rows[1:] {
		l, errL := strconv.Atoi(row[3])
		im, errI := strconv.Atoi(row[4])
		x := vigil.LibraryRisk{ID: row[0], Title: row[1], Category: vigil.RiskCategory(row[2]), Likelihood: l, Impact: im,
			Controls: strings.Split(row[5], ";"), Threat: row[6], Vulnerability: row[7], Description: row[8]}
		r := vigil.Risk{Title: x.Title, Category: x.Category, Likelihood: l, Impact: im, Threat: x.Threat, Vulnerability: x.Vulnerability, Description: x.Description}
		if errL != nil || errI != nil || seen[x.ID] || x.ID == "" {
			return nil, fmt.Errorf("risk library line %d: bad id or scores", i+2)
		}
		if err := r.Validate(vigil.DefaultRiskScale); err != nil {
			return nil, fmt.Errorf("risk library line %d (%s): %w", i+2, x.ID, err)
		}
		seen[x.ID] = true
		out = append(out, x)
	}
	return out, nil
}
