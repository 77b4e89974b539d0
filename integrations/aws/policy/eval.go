package policy

import (
	"fmt"
	"sort"
	"strings"
)

// Request is what a principal asks to do.
type Request struct {
	Action   string // service:Operation
	Resource string // an ARN, or "*" for actions without a resource
	Context  Context
}

// Decision is the outcome of evaluating identity-based policies.
type Decision int

// The decisions, per the IAM evaluation logic for one account: an explicit
// Deny in any policy wins; else an Allow in any policy allows; else the
// request is denied implicitly.
const (
	ImplicitDeny Decision = iota
	Allow
	ExplicitDeny
)

func (d Decision) String() string {
	return [...]string{"implicit deny", "allow", "explicit deny"}[d]
}

// Result is a decision, and whether it holds whatever the request's
// condition keys are (Certain) or only for some (a condition this
// evaluation could not decide).
type Result struct {
	Decision Decision
	Certain  bool
	// By names the statements that decided it: "policy NAME statement N".
	By []string
	// Doubt names the Deny statements that may apply (their conditions
	// could not be decided).
	Doubt []string
}

// Named is a policy document with the name it is known by (its ARN, or
// "inline NAME on user X"), so that a verdict can say where a permission
// comes from.
type Named struct {
	Name string
	Doc  *Document
}

// Evaluate applies identity-based policies to a request. A statement whose
// conditions cannot be decided may apply: an Allow then allows only
// possibly (Certain false), and a Deny possibly denies.
func Evaluate(policies []Named, req Request) Result {
	var allowYes, allowMaybe, denyYes, denyMaybe []string
	for _, p := range policies {
		for i := range p.Doc.Statement {
			s := &p.Doc.Statement[i]
			if !s.coversAction(req.Action) || !s.coversResource(req.Resource) {
				continue
			}
			name := "policy " + p.Name + " statement " + s.Name()
			switch t := s.holds(req.Context); {
			case t == No:
			case s.Effect == "Deny" && t == Yes:
				denyYes = append(denyYes, name)
			case s.Effect == "Deny":
				denyMaybe = append(denyMaybe, name)
			case t == Yes:
				allowYes = append(allowYes, name)
			default:
				allowMaybe = append(allowMaybe, name)
			}
		}
	}
	switch {
	case len(denyYes) > 0:
		return Result{Decision: ExplicitDeny, Certain: true, By: denyYes}
	case len(allowYes) > 0:
		return Result{Decision: Allow, Certain: len(denyMaybe) == 0, By: allowYes, Doubt: denyMaybe}
	case len(allowMaybe) > 0:
		return Result{Decision: Allow, By: allowMaybe, Doubt: denyMaybe}
	}
	return Result{Decision: ImplicitDeny, Certain: true}
}

// probeService is a service no policy names: only a pattern that covers
// every action (or a NotAction that leaves it out) matches it.
const (
	probeAction   = "vigilprobe:Probe"
	probeResource = "arn:aws:vigilprobe:us-east-1:000000000000:probe/vigil"
)

// Administrator decides, by evaluation, whether policies grant every
// action on every resource: what CIS 1.16 and AWS FSBP IAM.1 call full
// "*:*" administrative privileges. Names are never read: a policy called
// AdministratorAccess that grants less is not one, and one called
// ReadOnly that grants everything is.
//
// Evaluation is over probes: an action and a resource no policy names
// (only total wildcards reach them), and, for every pattern any statement
// writes in Action, NotAction, Resource or NotResource, a concrete value
// that pattern matches. Every probe action on every probe resource must
// be allowed. Allows that hold only under a condition count (an
// administrator with MFA is an administrator); only a Deny that certainly
// applies takes a probe away. The reason names the statements that grant
// it.
func Administrator(policies []Named) (bool, string) {
	// What CIS 1.16 and FSBP IAM.1 name literally: a statement allowing
	// "*" on "*". A Deny of a few actions beside it (a guardrail) does not
	// make its holder less of an administrator; only a Deny of everything
	// does.
	if by := fullAllows(policies); len(by) > 0 && !deniesEverything(policies) {
		return true, "every action on every resource is allowed (" + strings.Join(by, "; ") + ")"
	}
	actions, resources := probes(policies)
	var by []string
	for _, a := range actions {
		for _, r := range resources {
			res := Evaluate(policies, Request{Action: a, Resource: r})
			if res.Decision != Allow {
				return false, ""
			}
			if a == probeAction && r == probeResource {
				by = res.By
			}
		}
	}
	return true, "every action on every resource is allowed (" + strings.Join(by, "; ") + ")"
}

// probes gives the probe actions and resources for policies.
func probes(policies []Named) (actions, resources []string) {
	as := map[string]bool{probeAction: true}
	rs := map[string]bool{probeResource: true, "*": true}
	for _, p := range policies {
		for _, s := range p.Doc.Statement {
			for _, a := range append(append([]string{}, s.Action...), s.NotAction...) {
				as[instance(a, "VigilProbe")] = true
			}
			for _, r := range append(append([]string{}, s.Resource...), s.NotResource...) {
				rs[instance(r, "vigilprobe")] = true
			}
		}
	}
	for a := range as {
		actions = append(actions, a)
	}
	for r := range rs {
		resources = append(resources, r)
	}
	sort.Strings(actions)
	sort.Strings(resources)
	return actions, resources
}

// instance is a concrete value a pattern matches.
func instance(pattern, fill string) string {
	return strings.NewReplacer("*", fill, "?", "x").Replace(pattern)
}

// Allows says whether policies allow action on resource for some request
// (possibly, under a condition), and which statements do.
func Allows(policies []Named, action, resource string) (bool, string) {
	res := Evaluate(policies, Request{Action: action, Resource: resource})
	if res.Decision != Allow {
		return false, ""
	}
	return true, fmt.Sprintf("%s is allowed by %s", action, strings.Join(res.By, "; "))
}

// fullAllows names the Allow statements whose action element covers every
// action and whose resource element every resource, whatever their
// conditions.
func fullAllows(policies []Named) []string {
	var by []string
	for _, p := range policies {
		for i := range p.Doc.Statement {
			s := &p.Doc.Statement[i]
			if s.Effect == "Allow" && s.NotAction == nil && allOf(s.Action) && s.NotResource == nil && (s.Resource == nil || allOf(s.Resource)) {
				by = append(by, "policy "+p.Name+" statement "+s.Name())
			}
		}
	}
	return by
}

// deniesEverything: an unconditional Deny of every action on every
// resource.
func deniesEverything(policies []Named) bool {
	for _, p := range policies {
		for i := range p.Doc.Statement {
			s := &p.Doc.Statement[i]
			if s.Effect == "Deny" && len(s.Condition) == 0 && s.NotAction == nil && allOf(s.Action) && s.NotResource == nil && (s.Resource == nil || allOf(s.Resource)) {
				return true
			}
		}
	}
	return false
}

func allOf(patterns []string) bool {
	for _, p := range patterns {
		if p == "*" || p == "*:*" {
			return true
		}
	}
	return false
}

// DecryptsAnyKey says whether a policy lets its holder decrypt with any
// KMS key of the account (what AWS FSBP KMS.1 and KMS.2 flag): kms:Decrypt
// or kms:ReEncryptFrom allowed, possibly under a condition, on a key that
// no statement names, in a region no statement names, so only patterns
// that cover every key of the account (or of every account) reach it; and,
// in each of regions, on a key no statement names, so a pattern that
// covers every key of one region the account uses counts too. Policy
// variables for the account stand for it; any other variable could be
// anything and matches all.
func DecryptsAnyKey(p Named, account string, regions []string) (bool, string) {
	p = Named{Name: p.Name, Doc: withVariables(p.Doc, account)}
	for _, region := range append([]string{"vigilprobe-1"}, regions...) {
		key := "arn:aws:kms:" + region + ":" + account + ":key/vigilprobe-key"
		var why []string
		for _, action := range []string{"kms:Decrypt", "kms:ReEncryptFrom"} {
			if ok, by := Allows([]Named{p}, action, key); ok {
				why = append(why, by)
			}
		}
		if len(why) == 0 {
			continue
		}
		if region == "vigilprobe-1" {
			return true, strings.Join(why, "; ") + " on every KMS key"
		}
		return true, strings.Join(why, "; ") + " on every KMS key in " + region
	}
	return false, ""
}

// withVariables is the document with policy variables in Resource and
// NotResource replaced: the account's own id for the variables that name
// it, a wildcard for any other (it could be anything).
func withVariables(d *Document, account string) *Document {
	out := *d
	out.Statement = make([]Statement, len(d.Statement))
	fill := func(list []string) []string {
		if list == nil {
			return nil
		}
		res := make([]string, len(list))
		for i, v := range list {
			for _, k := range []string{"${aws:PrincipalAccount}", "${aws:ResourceAccount}", "${aws:SourceAccount}"} {
				v = strings.ReplaceAll(v, k, account)
			}
			for {
				a, b := strings.Index(v, "${"), -1
				if a >= 0 {
					b = strings.Index(v[a:], "}")
				}
				if a < 0 || b < 0 {
					break
				}
				v = v[:a] + "*" + v[a+b+1:]
			}
			res[i] = v
		}
		return res
	}
	for i, s := range d.Statement {
		s.Resource, s.NotResource = fill(s.Resource), fill(s.NotResource)
		out.Statement[i] = s
	}
	return &out
}

// ServiceWildcards names the Allow statements that grant every action of
// a service (AWS FSBP IAM.21): an Action of "SERVICE:*", "*" or "*:*", or
// a NotAction (which allows every action of every service it does not
// name), whatever the statement's resources and conditions.
func ServiceWildcards(p Named) []string {
	var out []string
	for i := range p.Doc.Statement {
		s := &p.Doc.Statement[i]
		if s.Effect != "Allow" {
			continue
		}
		name := "statement " + s.Name()
		if s.NotAction != nil {
			out = append(out, name+" allows every action but "+strings.Join(s.NotAction, ", "))
			continue
		}
		for _, a := range s.Action {
			if _, act, ok := strings.Cut(a, ":"); a == "*" || ok && act == "*" {
				out = append(out, name+" allows "+a)
			}
		}
	}
	return out
}
