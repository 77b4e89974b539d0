// Package policy reads AWS IAM policy documents and judges them the way
// AWS documents: identity-based evaluation (an explicit Deny wins over any
// Allow; without an Allow the request is denied; Action, NotAction,
// Resource, NotResource and wildcards as the IAM reference describes
// them), whether a set of policies makes its principal a full
// administrator, and whether a resource policy makes its resource public.
//
// References (read, not copied): IAM User Guide, "Policy evaluation logic"
// and "IAM JSON policy elements reference"; Amazon S3 User Guide, "The
// meaning of public"; IAM global condition context keys. docs/checks.md
// lists the rules as this package applies them.
package policy

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Document is a policy: its statements, in order.
type Document struct {
	Version   string
	Statement []Statement
}

// Statement is one statement with every element in its list form.
type Statement struct {
	Sid    string
	Effect string // Allow or Deny
	// Principal and NotPrincipal map a principal type (AWS, Service,
	// Federated, CanonicalUser, or "*" for the bare "*") to its values.
	Principal, NotPrincipal map[string][]string
	Action, NotAction       []string
	Resource, NotResource   []string
	Condition               []Condition
	// Index is the statement's position, from 1, for naming it.
	Index int
}

// Condition is one operator applied to one key with its values.
type Condition struct {
	Operator string // as written, e.g. StringEquals, ForAnyValue:StringLike, ArnLikeIfExists
	Key      string // as written, e.g. aws:SourceAccount
	Values   []string
}

// Name names the statement in a reason: its Sid, or its position.
func (s *Statement) Name() string {
	if s.Sid != "" {
		return strconv.Quote(s.Sid)
	}
	return strconv.Itoa(s.Index)
}

// Parse reads a policy document. IAM returns documents URL-encoded
// (GetPolicyVersion, GetAccountAuthorizationDetails); both forms are
// accepted. A document that is not a policy is an error that names what
// is wrong, never an empty policy.
func Parse(text string) (*Document, error) {
	t := strings.TrimSpace(text)
	if t != "" && t[0] != '{' {
		if u, err := url.QueryUnescape(t); err == nil {
			t = strings.TrimSpace(u)
		}
	}
	var raw struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(t), &raw); err != nil {
		return nil, fmt.Errorf("the policy is not JSON: %v", err)
	}
	var list []json.RawMessage
	switch b := strings.TrimSpace(string(raw.Statement)); {
	case b == "" || b == "null":
		return nil, fmt.Errorf("the policy has no Statement")
	case b[0] == '{':
		list = []json.RawMessage{raw.Statement}
	default:
		if err := json.Unmarshal(raw.Statement, &list); err != nil {
			return nil, fmt.Errorf("the policy's Statement is neither a statement nor a list: %v", err)
		}
	}
	d := &Document{Version: raw.Version}
	for i, r := range list {
		s, err := parseStatement(r)
		if err != nil {
			return nil, fmt.Errorf("statement %d: %v", i+1, err)
		}
		s.Index = i + 1
		d.Statement = append(d.Statement, s)
	}
	return d, nil
}

func parseStatement(raw json.RawMessage) (Statement, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return Statement{}, fmt.Errorf("not an object: %v", err)
	}
	var s Statement
	var err error
	if v, ok := m["Sid"]; ok {
		if err := json.Unmarshal(v, &s.Sid); err != nil {
			return s, fmt.Errorf("the Sid is not a string")
		}
	}
	if err := json.Unmarshal(m["Effect"], &s.Effect); err != nil || (s.Effect != "Allow" && s.Effect != "Deny") {
		return s, fmt.Errorf("the Effect must be Allow or Deny, not %s", clip(string(m["Effect"])))
	}
	for _, f := range []struct {
		name string
		dst  *[]string
	}{{"Action", &s.Action}, {"NotAction", &s.NotAction}, {"Resource", &s.Resource}, {"NotResource", &s.NotResource}} {
		if v, ok := m[f.name]; ok {
			if *f.dst, err = stringList(v); err != nil {
				return s, fmt.Errorf("%s: %v", f.name, err)
			}
			if len(*f.dst) == 0 {
				// An empty list matches nothing; kept non-nil so that an
				// empty NotAction is not read as "no NotAction".
				*f.dst = []string{}
			}
		}
	}
	if (s.Action == nil) == (s.NotAction == nil) {
		return s, fmt.Errorf("a statement has exactly one of Action and NotAction")
	}
	if s.Resource != nil && s.NotResource != nil {
		return s, fmt.Errorf("a statement has at most one of Resource and NotResource")
	}
	if v, ok := m["Principal"]; ok {
		if s.Principal, err = principals(v); err != nil {
			return s, fmt.Errorf("the Principal: %v", err)
		}
	}
	if v, ok := m["NotPrincipal"]; ok {
		if s.NotPrincipal, err = principals(v); err != nil {
			return s, fmt.Errorf("the NotPrincipal: %v", err)
		}
	}
	if v, ok := m["Condition"]; ok {
		var cm map[string]map[string]json.RawMessage
		if err := json.Unmarshal(v, &cm); err != nil {
			return s, fmt.Errorf("the Condition is not a map of operators to maps of keys: %v", err)
		}
		ops := make([]string, 0, len(cm))
		for op := range cm {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		for _, op := range ops {
			keys := make([]string, 0, len(cm[op]))
			for k := range cm[op] {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				vals, err := scalarList(cm[op][k])
				if err != nil {
					return s, fmt.Errorf("Condition %s %s: %v", op, k, err)
				}
				s.Condition = append(s.Condition, Condition{Operator: op, Key: k, Values: vals})
			}
		}
	}
	return s, nil
}

// principals reads "*" or {"AWS": "..." | [...], "Service": ..., ...}.
func principals(raw json.RawMessage) (map[string][]string, error) {
	var star string
	if json.Unmarshal(raw, &star) == nil {
		if star != "*" {
			return nil, fmt.Errorf("a bare principal must be \"*\", not %q", clip(star))
		}
		return map[string][]string{"*": {"*"}}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("neither \"*\" nor a map of principal types")
	}
	out := map[string][]string{}
	for typ, v := range m {
		vals, err := stringList(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", typ, err)
		}
		out[typ] = vals
	}
	return out, nil
}

func stringList(raw json.RawMessage) ([]string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, nil
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, fmt.Errorf("not a string or a list of strings: %s", clip(string(raw)))
	}
	return l, nil
}

// scalarList reads a condition's values: strings, booleans and numbers
// (written without quotes), alone or in a list.
func scalarList(raw json.RawMessage) ([]string, error) {
	var one any
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, err
	}
	list, ok := one.([]any)
	if !ok {
		list = []any{one}
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case bool:
			out = append(out, strconv.FormatBool(x))
		case float64:
			out = append(out, strconv.FormatFloat(x, 'f', -1, 64))
		default:
			return nil, fmt.Errorf("a value that is not a string, a boolean or a number: %s", clip(string(raw)))
		}
	}
	return out, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// Match reports whether value matches an IAM pattern: * is any run of
// characters, ? any one character. fold compares without case (actions);
// resources and principals compare with case.
func Match(pattern, value string, fold bool) bool {
	if fold {
		pattern, value = strings.ToLower(pattern), strings.ToLower(value)
	}
	// Iterative glob with one backtrack point: linear in practice.
	p, v, star, mark := 0, 0, -1, 0
	for v < len(value) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == value[v]):
			p++
			v++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, v
			p++
		case star >= 0:
			p = star + 1
			mark++
			v = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func matchAny(patterns []string, value string, fold bool) bool {
	for _, p := range patterns {
		if Match(p, value, fold) {
			return true
		}
	}
	return false
}

// coversAction says whether the statement's action element covers action.
func (s *Statement) coversAction(action string) bool {
	if s.NotAction != nil {
		return !matchAny(s.NotAction, action, true)
	}
	return matchAny(s.Action, action, true)
}

// coversResource says whether the statement's resource element covers
// resource. A statement without either element (a resource policy's,
// where the resource is implied) covers it.
func (s *Statement) coversResource(resource string) bool {
	switch {
	case s.NotResource != nil:
		return !matchAny(s.NotResource, resource, false)
	case s.Resource != nil:
		return matchAny(s.Resource, resource, false)
	}
	return true
}
