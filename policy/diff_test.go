package policy

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestWordDiff(t *testing.T) {
	old := "Access is reviewed every year by the owner.\nLogs are kept 12 months.\n"
	cur := "Access is reviewed every quarter by the system owner.\nLogs are kept 12 months.\n"
	got := WordDiff(old, cur)
	var ins, del []string
	for _, c := range got {
		switch c.Op {
		case "insert":
			ins = append(ins, strings.TrimSpace(c.Text))
		case "delete":
			del = append(del, strings.TrimSpace(c.Text))
		}
	}
	if strings.Join(del, "|") != "year" || strings.Join(ins, "|") != "quarter|system" {
		t.Errorf("deleted %q inserted %q: %+v", del, ins, got)
	}
}

// Whatever the texts, the equal and deleted runs give the old text back
// and the equal and inserted runs the new one.
func TestWordDiffReconstructs(t *testing.T) {
	vocab := []string{"access ", "is ", "reviewed ", "quarterly", ".\n", "  ", "MFA", "é ", "日本 ", "\t", "—", "a1 "}
	r := rand.New(rand.NewPCG(1, 2))
	text := func() string {
		var b strings.Builder
		for range r.IntN(60) {
			b.WriteString(vocab[r.IntN(len(vocab))])
		}
		return b.String()
	}
	for range 500 {
		a, b := text(), text()
		var oa, ob strings.Builder
		for _, c := range WordDiff(a, b) {
			if c.Op != "insert" {
				oa.WriteString(c.Text)
			}
			if c.Op != "delete" {
				ob.WriteString(c.Text)
			}
		}
		if oa.String() != a || ob.String() != b {
			t.Fatalf("diff of %q and %q does not give them back: %q / %q", a, b, oa.String(), ob.String())
		}
	}
}

// More distinct words than the code points below the surrogates: the diff
// still gives both texts back.
func TestWordDiffManyWords(t *testing.T) {
	var a, b strings.Builder
	for i := range 60000 {
		fmt.Fprintf(&a, "w%d ", i)
		if i%1000 != 0 {
			fmt.Fprintf(&b, "w%d ", i)
		} else {
			fmt.Fprintf(&b, "x%d ", i)
		}
	}
	var oa, ob strings.Builder
	for _, c := range WordDiff(a.String(), b.String()) {
		if c.Op != "insert" {
			oa.WriteString(c.Text)
		}
		if c.Op != "delete" {
			ob.WriteString(c.Text)
		}
	}
	if oa.String() != a.String() || ob.String() != b.String() {
		t.Fatal("a diff of 60,000 distinct words does not give the texts back")
	}
}
