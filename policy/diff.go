package policy

import (
	"strings"
	"time"
	"unicode"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// Change is one run of a word-level diff: text both versions share, or
// text only the old (delete) or the new (insert) has.
type Change struct {
	Op   string `json:"op"` // equal, insert, delete
	Text string `json:"text"`
}

// WordDiff compares two texts word by word (a word and the spaces after it
// are one token), so a changed sentence shows the words that changed, not
// every character or whole lines.
func WordDiff(old, cur string) []Change {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 2 * time.Second // bounded on pathological inputs; the result stays correct, only less minimal
	index := map[string]rune{}
	var tokens []string
	encode := func(s string) []rune {
		var out []rune
		for _, w := range wordTokens(s) {
			r, ok := index[w]
			if !ok {
				// Each distinct token becomes one rune for the diff
				// library, which hands its runs back as strings: the
				// surrogate range is skipped, since those code points do
				// not survive the conversion. A policy (at most 512 KiB)
				// has far fewer distinct tokens than the 1.1 million left.
				r = rune(len(tokens))
				if r >= 0xD800 {
					r += 0x800
				}
				index[w] = r
				tokens = append(tokens, w)
			}
			out = append(out, r)
		}
		return out
	}
	a, b := encode(old), encode(cur)
	var out []Change
	for _, d := range dmp.DiffMainRunes(a, b, false) {
		var sb strings.Builder
		for _, r := range d.Text {
			if r >= 0xE000 {
				r -= 0x800
			}
			sb.WriteString(tokens[r])
		}
		op := "equal"
		switch d.Type {
		case diffmatchpatch.DiffInsert:
			op = "insert"
		case diffmatchpatch.DiffDelete:
			op = "delete"
		}
		if n := len(out); n > 0 && out[n-1].Op == op {
			out[n-1].Text += sb.String()
			continue
		}
		out = append(out, Change{Op: op, Text: sb.String()})
	}
	return out
}

// wordTokens splits s into tokens of a word (or one punctuation mark) followed
// by its whitespace; joined, they give s back exactly.
func wordTokens(s string) []string {
	var out []string
	start := 0
	rs := []rune(s)
	i := 0
	for i < len(rs) {
		j := i
		switch {
		case unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]):
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j])) {
				j++
			}
		case unicode.IsSpace(rs[j]):
			// leading whitespace: its own token
			for j < len(rs) && unicode.IsSpace(rs[j]) {
				j++
			}
			out = append(out, string(rs[i:j]))
			i, start = j, j
			continue
		default:
			j++
		}
		for j < len(rs) && unicode.IsSpace(rs[j]) && rs[j] != '\n' {
			j++
		}
		out = append(out, string(rs[start:j]))
		i, start = j, j
	}
	return out
}
