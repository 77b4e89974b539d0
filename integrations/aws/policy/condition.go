package policy

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Tri is a three-valued answer: a condition whose key the request does
// not carry, or whose operator is not known here, is Maybe, never Yes or
// No on a guess.
type Tri int

// The answers.
const (
	No Tri = iota
	Maybe
	Yes
)

func and(a, b Tri) Tri {
	if a < b {
		return a
	}
	return b
}

// Context is a request's condition keys (names compared without case) and
// their values. A nil Context knows no key: every condition is Maybe.
type Context map[string][]string

func (c Context) get(key string) ([]string, bool) {
	for k, v := range c {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// holds evaluates every condition of a statement (they must all hold).
func (s *Statement) holds(ctx Context) Tri {
	t := Yes
	for _, c := range s.Condition {
		t = and(t, c.holds(ctx))
	}
	return t
}

// holds evaluates one condition per the IAM reference: a key with several
// values in the policy matches if any value matches (OR); the negated
// operators match if no value matches; ForAnyValue and ForAllValues apply
// to multivalued keys; IfExists is true when the key is absent; Null
// tests presence.
func (c Condition) holds(ctx Context) Tri {
	op := c.Operator
	var anyValue, allValues bool
	switch {
	case hasPrefixFold(op, "ForAnyValue:"):
		anyValue, op = true, op[len("ForAnyValue:"):]
	case hasPrefixFold(op, "ForAllValues:"):
		allValues, op = true, op[len("ForAllValues:"):]
	}
	ifExists := false
	if len(op) > len("IfExists") && strings.EqualFold(op[len(op)-len("IfExists"):], "IfExists") {
		ifExists, op = true, op[:len(op)-len("IfExists")]
	}
	if ctx == nil {
		return Maybe
	}
	got, present := ctx.get(c.Key)
	if strings.EqualFold(op, "Null") {
		if len(c.Values) != 1 {
			return Maybe
		}
		want, err := strconv.ParseBool(c.Values[0])
		if err != nil {
			return Maybe
		}
		if want != present {
			return Yes
		}
		return No
	}
	cmp, negated, known := comparer(op)
	if !known {
		return Maybe
	}
	if !present {
		switch {
		case ifExists, allValues:
			return Yes // ForAllValues over no values is vacuously true
		case negated && !anyValue:
			// A negated operator on a missing key matches (AWS documents
			// StringNotEquals as true when the key is absent).
			return Yes
		}
		return No
	}
	matchOne := func(v string) bool {
		for _, w := range c.Values {
			if cmp(w, v) {
				return true
			}
		}
		return false
	}
	switch {
	case allValues:
		for _, v := range got {
			if matchOne(v) == negated {
				return No
			}
		}
		return Yes
	case anyValue:
		for _, v := range got {
			if matchOne(v) != negated {
				return Yes
			}
		}
		return No
	}
	// A single-valued key.
	m := false
	for _, v := range got {
		m = m || matchOne(v)
	}
	if m != negated {
		return Yes
	}
	return No
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// comparer returns how an operator compares a policy value with a request
// value, and whether it is a negated operator.
func comparer(op string) (cmp func(policy, request string) bool, negated, known bool) {
	switch strings.ToLower(op) {
	case "stringequals":
		return func(p, r string) bool { return p == r }, false, true
	case "stringnotequals":
		return func(p, r string) bool { return p == r }, true, true
	case "stringequalsignorecase":
		return strings.EqualFold, false, true
	case "stringnotequalsignorecase":
		return strings.EqualFold, true, true
	case "stringlike":
		return func(p, r string) bool { return Match(p, r, false) }, false, true
	case "stringnotlike":
		return func(p, r string) bool { return Match(p, r, false) }, true, true
	case "arnequals", "arnlike":
		return func(p, r string) bool { return Match(p, r, false) }, false, true
	case "arnnotequals", "arnnotlike":
		return func(p, r string) bool { return Match(p, r, false) }, true, true
	case "bool":
		return strings.EqualFold, false, true
	case "ipaddress":
		return ipIn, false, true
	case "notipaddress":
		return ipIn, true, true
	case "numericequals", "numericnotequals", "numericlessthan", "numericlessthanequals", "numericgreaterthan", "numericgreaterthanequals":
		return numeric(strings.ToLower(op)), strings.ToLower(op) == "numericnotequals", true
	case "dateequals", "datenotequals", "datelessthan", "datelessthanequals", "dategreaterthan", "dategreaterthanequals":
		return date(strings.ToLower(op)), strings.ToLower(op) == "datenotequals", true
	}
	return nil, false, false
}

func ipIn(policy, request string) bool {
	addr, err := netip.ParseAddr(request)
	if err != nil {
		return false
	}
	if p, err := netip.ParsePrefix(policy); err == nil {
		return p.Contains(addr)
	}
	a, err := netip.ParseAddr(policy)
	return err == nil && a == addr
}

func numeric(op string) func(p, r string) bool {
	return func(p, r string) bool {
		a, err1 := strconv.ParseFloat(r, 64)
		b, err2 := strconv.ParseFloat(p, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return order(op, a, b)
	}
}

func date(op string) func(p, r string) bool {
	parse := func(s string) (float64, bool) {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return float64(t.Unix()), true
		}
		if t, err := time.Parse("2006-01-02", s); err == nil {
			return float64(t.Unix()), true
		}
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			return n, true // epoch seconds
		}
		return 0, false
	}
	return func(p, r string) bool {
		a, ok1 := parse(r)
		b, ok2 := parse(p)
		return ok1 && ok2 && order(op, a, b)
	}
}

// order compares the request's value a with the policy's b.
func order(op string, a, b float64) bool {
	switch {
	case strings.HasSuffix(op, "notequals"), strings.HasSuffix(op, "equals") && !strings.Contains(op, "than"):
		return a == b // the negation is applied by the caller
	case strings.HasSuffix(op, "lessthan"):
		return a < b
	case strings.HasSuffix(op, "lessthanequals"):
		return a <= b
	case strings.HasSuffix(op, "greaterthan"):
		return a > b
	case strings.HasSuffix(op, "greaterthanequals"):
		return a >= b
	}
	return false
}
