// Package logfilter reads CloudWatch Logs filter patterns and tells
// whether one matches a log event, so that a check can ask of a metric
// filter "would it count this CloudTrail event?" instead of comparing its
// text with a template: a pattern written in another order, with other
// spacing or quoting, or joining the wanted events with || passes; one
// that joins them with && (and so matches nothing) does not.
//
// The syntax is CloudWatch Logs' ("Filter pattern syntax for metric
// filters", "Using filter patterns to match terms in JSON log events"):
// JSON patterns { SELECTOR OP VALUE } joined with && and || and
// parentheses, with = and != on strings (a * in the value matches any
// run of characters) and %regex% values, numeric comparisons, IS TRUE,
// IS FALSE, IS NULL, EXISTS and NOT EXISTS; and term patterns, in which
// every term must appear, ?term offers alternatives and -term excludes.
package logfilter

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Filter is a parsed pattern.
type Filter struct {
	json  node     // a JSON pattern
	all   []string // term pattern: terms that must all appear
	any   []string // ?terms: one must appear
	not   []string // -terms: none may appear
	empty bool     // "" matches every event
}

type node interface {
	match(ev any) bool
}

type and struct{ l, r node }
type or struct{ l, r node }

func (n and) match(ev any) bool { return n.l.match(ev) && n.r.match(ev) }
func (n or) match(ev any) bool  { return n.l.match(ev) || n.r.match(ev) }

type cmp struct {
	path  []string // field names; "[0]" for an index
	op    string   // = != < > <= >= exists notexists istrue isfalse isnull
	value string
	re    *regexp.Regexp
}

// Parse reads a filter pattern; a pattern this reading does not
// understand is an error, never a pattern that matches nothing or
// everything by accident.
func Parse(pattern string) (*Filter, error) {
	p := strings.TrimSpace(pattern)
	if p == "" {
		return &Filter{empty: true}, nil
	}
	if strings.HasPrefix(p, "{") {
		if !strings.HasSuffix(p, "}") {
			return nil, fmt.Errorf("a JSON pattern ends with }")
		}
		// CloudWatch's documentation does not say whether && binds
		// tighter than || or both go left to right: the pattern is read
		// both ways and credited only with what both readings match.
		var nodes [2]node
		for i, leftToRight := range []bool{false, true} {
			ps := &parser{s: p[1 : len(p)-1], flat: leftToRight}
			n, err := ps.or()
			if err != nil {
				return nil, err
			}
			if ps.skip(); ps.i != len(ps.s) {
				return nil, fmt.Errorf("unexpected %q", clip(ps.s[ps.i:]))
			}
			nodes[i] = n
		}
		return &Filter{json: and{nodes[0], nodes[1]}}, nil
	}
	if strings.HasPrefix(p, "[") {
		return nil, fmt.Errorf("space-delimited patterns ([...]) are not read")
	}
	f := &Filter{}
	for _, t := range terms(p) {
		switch {
		case strings.HasPrefix(t, "?"):
			f.any = append(f.any, strings.Trim(t[1:], `"`))
		case strings.HasPrefix(t, "-"):
			f.not = append(f.not, strings.Trim(t[1:], `"`))
		default:
			f.all = append(f.all, strings.Trim(t, `"`))
		}
	}
	return f, nil
}

// terms splits a term pattern, keeping quoted phrases whole.
func terms(s string) []string {
	var out []string
	var b strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			b.WriteRune(r)
		case r == ' ' && !quoted:
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// Matches says whether the filter matches an event: a JSON value (a map
// from decoding a CloudTrail record) for JSON patterns; term patterns
// look for their terms in the event's JSON text.
func (f *Filter) Matches(event any) bool {
	switch {
	case f.empty:
		return true
	case f.json != nil:
		return f.json.match(event)
	}
	raw, _ := json.Marshal(event)
	text := string(raw)
	for _, t := range f.all {
		if !strings.Contains(text, t) {
			return false
		}
	}
	for _, t := range f.not {
		if strings.Contains(text, t) {
			return false
		}
	}
	if len(f.any) == 0 {
		return true
	}
	for _, t := range f.any {
		if strings.Contains(text, t) {
			return true
		}
	}
	return false
}

type parser struct {
	s string
	i int
	// flat reads && and || with equal precedence, left to right.
	flat bool
}

func (p *parser) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *parser) eat(tok string) bool {
	p.skip()
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *parser) or() (node, error) {
	if p.flat {
		return p.flatList()
	}
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.eat("||") {
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = or{l, r}
	}
	return l, nil
}

// flatList reads operands joined by && and || from left to right.
func (p *parser) flatList() (node, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.eat("&&"):
			r, err := p.unary()
			if err != nil {
				return nil, err
			}
			l = and{l, r}
		case p.eat("||"):
			r, err := p.unary()
			if err != nil {
				return nil, err
			}
			l = or{l, r}
		default:
			return l, nil
		}
	}
}

func (p *parser) and() (node, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.eat("&&") {
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = and{l, r}
	}
	return l, nil
}

func (p *parser) unary() (node, error) {
	if p.eat("(") {
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.eat(")") {
			return nil, fmt.Errorf("a ( is not closed")
		}
		return n, nil
	}
	return p.comparison()
}

var wordOps = []struct{ text, op string }{
	{"NOT EXISTS", "notexists"}, {"EXISTS", "exists"}, {"IS TRUE", "istrue"}, {"IS FALSE", "isfalse"}, {"IS NULL", "isnull"},
}

func (p *parser) comparison() (node, error) {
	p.skip()
	if !p.eat("$") {
		return nil, fmt.Errorf("a comparison starts with a $ selector, at %q", clip(p.s[p.i:]))
	}
	var path []string
	for {
		switch {
		case p.i < len(p.s) && p.s[p.i] == '.':
			p.i++
			start := p.i
			for p.i < len(p.s) && (isWord(p.s[p.i])) {
				p.i++
			}
			if p.i == start {
				return nil, fmt.Errorf("a . with no field name")
			}
			path = append(path, p.s[start:p.i])
			continue
		case p.i < len(p.s) && p.s[p.i] == '[':
			end := strings.IndexByte(p.s[p.i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("a [ is not closed")
			}
			path = append(path, p.s[p.i:p.i+end+1])
			p.i += end + 1
			continue
		}
		break
	}
	p.skip()
	for _, w := range wordOps {
		if len(p.s)-p.i >= len(w.text) && strings.EqualFold(p.s[p.i:p.i+len(w.text)], w.text) {
			p.i += len(w.text)
			return cmp{path: path, op: w.op}, nil
		}
	}
	var op string
	for _, o := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if p.eat(o) {
			op = o
			break
		}
	}
	if op == "" {
		return nil, fmt.Errorf("no operator after $.%s", strings.Join(path, "."))
	}
	p.skip()
	c := cmp{path: path, op: op}
	switch {
	case p.i < len(p.s) && p.s[p.i] == '"':
		end := strings.IndexByte(p.s[p.i+1:], '"')
		if end < 0 {
			return nil, fmt.Errorf("a quoted value is not closed")
		}
		c.value = p.s[p.i+1 : p.i+1+end]
		p.i += end + 2
	case p.i < len(p.s) && p.s[p.i] == '%':
		end := strings.IndexByte(p.s[p.i+1:], '%')
		if end < 0 {
			return nil, fmt.Errorf("a %%regex%% value is not closed")
		}
		re, err := regexp.Compile(p.s[p.i+1 : p.i+1+end])
		if err != nil {
			return nil, fmt.Errorf("regex value: %v", err)
		}
		c.re = re
		p.i += end + 2
	default:
		start := p.i
		for p.i < len(p.s) && !strings.ContainsRune(" \t)&|", rune(p.s[p.i])) {
			p.i++
		}
		if p.i == start {
			return nil, fmt.Errorf("no value after $.%s %s", strings.Join(path, "."), op)
		}
		c.value = p.s[start:p.i]
	}
	return c, nil
}

func isWord(b byte) bool {
	return b == '_' || b == '-' || b == '@' || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
}

// lookup follows a selector into an event.
func lookup(ev any, path []string) (any, bool) {
	cur := ev
	for _, seg := range path {
		if strings.HasPrefix(seg, "[") {
			arr, ok := cur.([]any)
			if !ok {
				return nil, false
			}
			n, err := strconv.Atoi(seg[1 : len(seg)-1])
			if err != nil || n < 0 || n >= len(arr) {
				return nil, false
			}
			cur = arr[n]
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[seg]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func (c cmp) match(ev any) bool {
	v, ok := lookup(ev, c.path)
	switch c.op {
	case "exists":
		return ok
	case "notexists":
		return !ok
	case "isnull":
		return ok && v == nil
	case "istrue", "isfalse":
		b, isBool := v.(bool)
		return ok && isBool && b == (c.op == "istrue")
	}
	if !ok || v == nil {
		// A field the event lacks matches no comparison, not even !=:
		// a filter is credited only with what it certainly counts.
		return false
	}
	if n, isNum := v.(float64); isNum {
		if want, err := strconv.ParseFloat(c.value, 64); err == nil && c.re == nil {
			switch c.op {
			case "=":
				return n == want
			case "!=":
				return n != want
			case "<":
				return n < want
			case ">":
				return n > want
			case "<=":
				return n <= want
			case ">=":
				return n >= want
			}
		}
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		s = strconv.FormatBool(x)
	default:
		return false // an object or a list is equal to no string
	}
	var eq bool
	switch {
	case c.re != nil:
		eq = c.re.MatchString(s)
	default:
		eq = wildcard(c.value, s)
	}
	switch c.op {
	case "=":
		return eq
	case "!=":
		return !eq
	}
	return false // < and > on a string
}

// wildcard matches s against a value in which * is any run of characters.
func wildcard(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
