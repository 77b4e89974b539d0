package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
)

// restrictingKeys are the condition keys that, compared with fixed values,
// limit who the caller can be or where the request comes from, so that a
// statement allowing "*" is not public. The list is the union of what the
// Amazon S3 User Guide ("The meaning of public") accepts for bucket
// policies and the IAM global condition keys that name the calling
// principal or its account or organization. A key a service does not
// support is absent from its requests, and a positive condition on an
// absent key fails, so listing it for every service errs on the safe
// side. Service-specific keys are listed under their service.
var restrictingKeys = map[string]string{
	"aws:sourcearn":         "",
	"aws:sourcevpc":         "",
	"aws:sourcevpce":        "",
	"aws:sourceowner":       "",
	"aws:sourceaccount":     "",
	"aws:sourceorgid":       "",
	"aws:sourceorgpaths":    "",
	"aws:sourceip":          "",
	"aws:userid":            "",
	"aws:principalaccount":  "",
	"aws:principalarn":      "",
	"aws:principalorgid":    "",
	"aws:principalorgpaths": "",
	"s3:x-amz-server-side-encryption-aws-kms-key-id": "s3",
	"s3:dataaccesspointaccount":                      "s3",
	"s3:dataaccesspointarn":                          "s3",
	"kms:calleraccount":                              "kms",
}

// restrictingOperators compare a key with fixed values and fail when the
// key is absent. IfExists forms (true when absent), negated operators,
// ForAllValues (true over no values) and ForAnyValue are never read as
// restricting.
var restrictingOperators = map[string]bool{
	"stringequals": true, "stringequalsignorecase": true, "stringlike": true,
	"arnequals": true, "arnlike": true, "ipaddress": true,
}

// Restricts says whether a condition limits the caller, for a resource of
// service ("s3", "kms", "sqs", ...), and if not, why.
func (c Condition) Restricts(service string) (bool, string) {
	key := strings.ToLower(c.Key)
	svc, known := restrictingKeys[key]
	switch {
	case !known:
		return false, c.Key + " is not a key that restricts the caller"
	case svc != "" && svc != service:
		return false, c.Key + " does not apply to " + service
	case !restrictingOperators[strings.ToLower(c.Operator)]:
		return false, c.Operator + " does not require " + c.Key + " to match"
	case len(c.Values) == 0:
		return false, c.Key + " has no value"
	}
	for _, v := range c.Values {
		if key == "aws:sourceip" {
			if !strings.EqualFold(c.Operator, "IpAddress") {
				return false, "aws:SourceIp is compared with " + c.Operator + ", not IpAddress"
			}
			if !narrowNetwork(v) {
				return false, "aws:SourceIp allows " + v
			}
			continue
		}
		if v == "" || strings.ContainsAny(v, "*?") || strings.Contains(v, "${") {
			return false, fmt.Sprintf("%s matches %q, not a fixed value", c.Key, v)
		}
	}
	return true, ""
}

// narrowNetwork: an address, or a network no wider than a /8 (IPv4) or a
// /32 (IPv6). Wider ranges (0.0.0.0/0 above all) let anyone in.
func narrowNetwork(v string) bool {
	if _, err := netip.ParseAddr(v); err == nil {
		return true
	}
	p, err := netip.ParsePrefix(v)
	if err != nil {
		return false
	}
	if p.Addr().Is4() {
		return p.Bits() >= 8
	}
	return p.Bits() >= 32
}

// anyone says whether a statement's principal element lets any AWS
// principal (or anyone at all) in: "*", {"AWS": "*"}, an AWS principal
// with a wildcard, a wildcard federated or canonical principal, or a
// NotPrincipal (with Allow: everyone but the ones named). A fixed account,
// user, role or service principal is not anyone.
func (s *Statement) anyone(service string) (bool, string) {
	if s.NotPrincipal != nil {
		return true, "NotPrincipal allows everyone it does not name"
	}
	if s.Principal == nil {
		return true, "no Principal"
	}
	types := make([]string, 0, len(s.Principal))
	for t := range s.Principal {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		if t == "Federated" && service == "sts" {
			// A web identity provider (GitHub Actions, Cognito, Google,
			// any OIDC issuer) vouches for every one of its users: the
			// role is anyone's unless a condition names the subject or
			// the audience (restrictsIdentity).
			for _, v := range s.Principal[t] {
				if !strings.HasPrefix(v, "arn:") || strings.Contains(v, ":oidc-provider/") {
					return true, fmt.Sprintf("Principal Federated %q (every identity the provider vouches for)", v)
				}
			}
			continue
		}
		if t == "Service" {
			// A service acting for any account (a confused deputy) is
			// anyone unless a condition names the source; S3 counts a
			// fixed service principal as non-public, role trust is
			// used by services of this account only.
			if service != "s3" && service != "sts" {
				return true, fmt.Sprintf("Principal Service %s (on behalf of any account)", strings.Join(s.Principal[t], ", "))
			}
			continue
		}
		for _, v := range s.Principal[t] {
			if strings.ContainsAny(v, "*?") {
				if t == "*" {
					return true, "Principal \"*\""
				}
				return true, fmt.Sprintf("Principal %s %q", t, v)
			}
		}
	}
	return false, ""
}

// Public lists the statements of a resource policy that make its resource
// public, each with why: an Allow to anyone whose conditions do not
// restrict the caller (Condition.Restricts). A Deny is not credited: a
// Deny that would narrow an Allow depends on conditions this reading does
// not model, and the analysis errs on the side of "public".
func Public(doc *Document, service string) []string {
	var out []string
	for i := range doc.Statement {
		s := &doc.Statement[i]
		if s.Effect != "Allow" {
			continue
		}
		open, who := s.anyone(service)
		if !open {
			continue
		}
		_, federated := s.Principal["Federated"]
		restricted := false
		var notes []string
		for _, c := range s.Condition {
			ok, why := c.Restricts(service)
			if federated && service == "sts" {
				ok, why = c.restrictsIdentity()
			}
			if ok {
				restricted = true
				break
			}
			notes = append(notes, why)
		}
		if restricted {
			continue
		}
		actions := s.Action
		verb := "allows"
		if s.NotAction != nil {
			actions, verb = s.NotAction, "allows all but"
		}
		reason := fmt.Sprintf("statement %s %s anyone (%s) %s", s.Name(), verb, who, strings.Join(actions, ", "))
		if len(notes) > 0 {
			reason += "; its condition does not restrict the caller: " + strings.Join(notes, "; ")
		}
		out = append(out, reason)
	}
	return out
}

// External lists the AWS accounts other than account that a resource
// policy's Allow statements name as principals (fixed accounts, their
// users and roles): cross-account access, which is not public but must be
// known.
func External(doc *Document, account string) []string {
	seen := map[string]bool{}
	for _, s := range doc.Statement {
		if s.Effect != "Allow" || s.Principal == nil {
			continue
		}
		for _, v := range s.Principal["AWS"] {
			acct := v
			if strings.HasPrefix(v, "arn:") {
				parts := strings.SplitN(v, ":", 6)
				if len(parts) < 5 {
					continue
				}
				acct = parts[4]
			}
			if acct != account && acct != "" && !strings.ContainsAny(acct, "*?") {
				seen[acct] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// DeniesEveryone says whether a resource policy certainly refuses a
// request whoever makes it: a Deny statement whose principal is everyone
// ("*" or {"AWS": "*"}) covers the action and resource, its conditions
// name only keys of the request's context, and they certainly hold.
func DeniesEveryone(doc *Document, req Request) bool {
	for i := range doc.Statement {
		s := &doc.Statement[i]
		if s.Effect != "Deny" || s.NotPrincipal != nil || !everyone(s.Principal) {
			continue
		}
		// The context names only what the question is about (the
		// transport, say): a condition on any other key could exempt
		// some callers, so the statement must rest on known keys alone.
		known := true
		for _, c := range s.Condition {
			if _, ok := req.Context.get(c.Key); !ok {
				known = false
			}
		}
		if known && s.coversAction(req.Action) && s.coversResource(req.Resource) && s.holds(req.Context) == Yes {
			return true
		}
	}
	return false
}

// everyone: a principal element that names every caller.
func everyone(p map[string][]string) bool {
	for t, vs := range p {
		for _, v := range vs {
			if v == "*" && (t == "*" || t == "AWS") {
				return true
			}
		}
	}
	return false
}

// restrictsIdentity says whether a condition on a web identity trust
// fixes who may assume the role: the token's subject (PROVIDER:sub) or,
// for providers whose audience is the application (Cognito's identity
// pool, an OIDC client id), its audience (PROVIDER:aud). GitHub's
// audience is always sts.amazonaws.com and restricts nothing. A subject
// pattern must name something before its first wildcard beyond the
// provider's kind prefix ("repo:acme/*" names an organization; "repo:*"
// and "*" name nobody).
func (c Condition) restrictsIdentity() (bool, string) {
	key := strings.ToLower(c.Key)
	if !restrictingOperators[strings.ToLower(c.Operator)] || len(c.Values) == 0 {
		return false, c.Operator + " " + c.Key + " does not fix the caller"
	}
	switch {
	case strings.HasSuffix(key, ":sub"):
		for _, v := range c.Values {
			fixed := v
			if i := strings.IndexAny(v, "*?"); i >= 0 {
				fixed = v[:i]
			}
			if strings.TrimSuffix(strings.TrimPrefix(fixed, "repo:"), ":") == "" || strings.Contains(v, "${") {
				return false, fmt.Sprintf("%s %q lets any subject in", c.Key, v)
			}
		}
		return true, ""
	case strings.HasSuffix(key, ":aud") && !strings.HasPrefix(key, "token.actions.githubusercontent.com"):
		for _, v := range c.Values {
			if v == "" || strings.ContainsAny(v, "*?") || strings.Contains(v, "${") {
				return false, fmt.Sprintf("%s %q is not a fixed audience", c.Key, v)
			}
		}
		return true, ""
	}
	return c.Restricts("sts")
}

// OtherAccounts names the Allow statements of a resource policy that let
// principals of another account (a fixed account, or everyone) make one
// of the requests: "statement N lets ACCOUNT s3:PutBucketPolicy". Everyone
// counts (and so does an Allow with NotPrincipal, which admits everyone it
// does not name) unless a condition keeps the statement to account itself
// (aws:PrincipalAccount or aws:SourceAccount equal to it). A request whose
// resource ends in "/*" asks about any object under that prefix: a
// statement on some of the objects counts.
func OtherAccounts(doc *Document, account string, reqs []Request) []string {
	var out []string
	for i := range doc.Statement {
		s := &doc.Statement[i]
		if s.Effect != "Allow" || s.Principal == nil && s.NotPrincipal == nil {
			continue
		}
		var who []string
		if (s.NotPrincipal != nil || everyone(s.Principal)) && !ownAccountOnly(s, account) {
			who = append(who, "every account")
		}
		for _, v := range s.Principal["AWS"] {
			acct := v
			if strings.HasPrefix(v, "arn:") {
				if parts := strings.SplitN(v, ":", 6); len(parts) >= 5 {
					acct = parts[4]
				}
			}
			if acct != account && acct != "" && acct != "*" {
				who = append(who, acct)
			}
		}
		if len(who) == 0 {
			continue
		}
		for _, r := range reqs {
			if s.coversAction(r.Action) && s.coversSome(r.Resource) {
				out = append(out, "statement "+s.Name()+" lets "+strings.Join(who, ", ")+" "+r.Action)
			}
		}
	}
	return out
}

// coversSome: the statement applies to the resource or, for "PREFIX/*",
// to some resource under the prefix.
func (s *Statement) coversSome(resource string) bool {
	prefix, wild := strings.CutSuffix(resource, "*")
	if !wild {
		return s.coversResource(resource)
	}
	if s.Resource == nil {
		return true // NotResource, or none: some object is left in
	}
	for _, p := range s.Resource {
		if strings.HasPrefix(p, prefix) || Match(p, prefix+"vigilprobe", false) {
			return true
		}
	}
	return false
}

// ownAccountOnly: the statement holds only for callers of account.
func ownAccountOnly(s *Statement, account string) bool {
	for _, c := range s.Condition {
		if (c.Operator == "StringEquals" || c.Operator == "StringEqualsIgnoreCase") && (strings.EqualFold(c.Key, "aws:PrincipalAccount") || strings.EqualFold(c.Key, "aws:SourceAccount")) &&
			len(c.Values) > 0 && !slices.ContainsFunc(c.Values, func(v string) bool { return v != account }) {
			return true
		}
	}
	return false
}
