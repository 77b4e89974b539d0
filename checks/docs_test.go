package checks_test

import (
	"os"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil/checks"
)

// TestAWSChecksDocumented: docs/checks.md lists every AWS check with its
// references, so a check added without its line fails here.
func TestAWSChecksDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/checks.md")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := checks.Load()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range reg.Checks() {
		if !strings.HasPrefix(c.ID, "aws.") {
			continue
		}
		n++
		if !strings.Contains(string(doc), "`"+c.ID+"`") {
			t.Errorf("%s is not in docs/checks.md's table of AWS checks", c.ID)
		}
	}
	if n < 70 {
		t.Errorf("%d AWS checks", n)
	}
}
