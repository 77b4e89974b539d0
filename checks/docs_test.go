package checks_test

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil/check"
	"github.com/vigil-soc/vigil/checks"
)

var update = flag.Bool("update", false, "rewrite docs/checks.md's table of AWS checks")

const tableHeading = "### Every AWS check\n"

// TestAWSChecksDocumented: docs/checks.md ends with the table of every AWS
// check and its references, as the checks say; go test ./checks -run
// AWSChecksDocumented -update rewrites it.
func TestAWSChecksDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/checks.md")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := checks.Load()
	if err != nil {
		t.Fatal(err)
	}
	var aws []*check.Check
	for _, c := range reg.Checks() {
		if strings.HasPrefix(c.ID, "aws.") {
			aws = append(aws, c)
		}
	}
	want := awsTable(aws)
	i := strings.Index(string(doc), tableHeading)
	if i < 0 {
		t.Fatalf("docs/checks.md has no %q", strings.TrimSpace(tableHeading))
	}
	if *update {
		if err := os.WriteFile("../docs/checks.md", []byte(string(doc[:i])+tableHeading+"\n"+want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got := string(doc[i+len(tableHeading):]); strings.TrimSpace(got) != strings.TrimSpace(want) {
		t.Errorf("docs/checks.md's table of AWS checks is not what the checks say: go test ./checks -run AWSChecksDocumented -update")
	}
	if len(aws) < 80 {
		t.Errorf("%d AWS checks", len(aws))
	}
}

// awsTable lists the checks by CIS number, then the others by id.
func awsTable(cs []*check.Check) string {
	cisKey := func(c *check.Check) []int {
		n := strings.TrimSpace(strings.Split(c.References["cis_aws_3_0"], ",")[0])
		if n == "" {
			return []int{99}
		}
		var out []int
		for _, p := range strings.Split(n, ".") {
			v, _ := strconv.Atoi(p)
			out = append(out, v)
		}
		return out
	}
	sort.Slice(cs, func(i, j int) bool {
		a, b := cisKey(cs[i]), cisKey(cs[j])
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return cs[i].ID < cs[j].ID
	})
	var b strings.Builder
	b.WriteString("| CIS AWS 3.0 | AWS FSBP | check | what it judges | collector | severity |\n| --- | --- | --- | --- | --- | --- |\n")
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for _, c := range cs {
		var other []string
		for k, v := range c.References {
			if k != "cis_aws_3_0" && k != "aws_fsbp" {
				other = append(other, k+" "+v)
			}
		}
		sort.Strings(other)
		title := strings.ReplaceAll(c.Title, "|", `\|`)
		if len(other) > 0 {
			title += " (" + strings.Join(other, "; ") + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | `%s` | %s | %s | %s |\n", dash(c.References["cis_aws_3_0"]), dash(c.References["aws_fsbp"]), c.ID, title, c.Collector, c.Severity)
	}
	return b.String()
}
