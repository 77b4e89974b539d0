package policy

import (
	"net/url"
	"strings"
	"testing"
)

func mustParse(t *testing.T, text string) *Document {
	t.Helper()
	d, err := Parse(text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	return d
}

func named(t *testing.T, docs ...string) []Named {
	var out []Named
	for i, d := range docs {
		out = append(out, Named{Name: string(rune('A' + i)), Doc: mustParse(t, d)})
	}
	return out
}

func TestParseForms(t *testing.T) {
	// One statement, not in a list; strings for lists; a number and a
	// boolean in a condition; URL-encoded as IAM returns documents.
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
		"Condition":{"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true}}}}`
	for _, text := range []string{doc, url.QueryEscape(doc)} {
		d := mustParse(t, text)
		if len(d.Statement) != 1 || d.Statement[0].Action[0] != "s3:GetObject" || len(d.Statement[0].Condition) != 2 {
			t.Fatalf("parsed %+v", d)
		}
		for _, c := range d.Statement[0].Condition {
			if c.Values[0] != "10" && c.Values[0] != "true" {
				t.Fatalf("condition values %+v", c)
			}
		}
	}
	for name, bad := range map[string]string{
		"not JSON":             `{"Statement":`,
		"no statement":         `{"Version":"2012-10-17"}`,
		"bad effect":           `{"Statement":[{"Effect":"Permit","Action":"*","Resource":"*"}]}`,
		"both actions":         `{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}]}`,
		"no action":            `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`,
		"both resources":       `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"x"}]}`,
		"bare principal not *": `{"Statement":[{"Effect":"Allow","Action":"*","Principal":"123456789012"}]}`,
		"condition not a map":  `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":["x"]}]}`,
		"action a number":      `{"Statement":[{"Effect":"Allow","Action":5,"Resource":"*"}]}`,
	} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, value string
		fold, want     bool
	}{
		{"*", "anything:at-all", true, true},
		{"s3:Get*", "s3:GetObject", true, true},
		{"s3:get*", "S3:GETOBJECT", true, true},
		{"s3:get*", "s3:GetObject", false, false},
		{"iam:*User*", "iam:CreateUserAccessKey", true, true},
		{"ec2:Describe?", "ec2:DescribeX", true, true},
		{"ec2:Describe?", "ec2:Describe", true, false},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", false, false},
		{"arn:aws:s3:::bucket*", "arn:aws:s3:::bucket-2/x", false, true},
		{"a*b*c", "aXbYbZc", false, true},
		{"a*b*c", "aXbYbZ", false, false},
	} {
		if got := Match(c.pattern, c.value, c.fold); got != c.want {
			t.Errorf("Match(%q, %q, %v) = %v", c.pattern, c.value, c.fold, got)
		}
	}
}

func TestEvaluate(t *testing.T) {
	ps := named(t,
		`{"Statement":[{"Effect":"Allow","Action":["s3:*","ec2:Describe*"],"Resource":"*"}]}`,
		`{"Statement":[{"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"},
		  {"Effect":"Allow","NotAction":"iam:*","NotResource":"arn:aws:kms:*:*:key/*"}]}`,
	)
	for _, c := range []struct {
		action, resource string
		want             Decision
	}{
		{"s3:GetObject", "arn:aws:s3:::b/o", Allow},
		{"s3:DeleteBucket", "arn:aws:s3:::b", ExplicitDeny}, // a Deny in any policy wins
		{"ec2:DescribeInstances", "*", Allow},
		{"iam:CreateUser", "*", ImplicitDeny},                          // NotAction leaves IAM out
		{"kms:Decrypt", "arn:aws:kms:us-east-1:1:key/k", ImplicitDeny}, // NotResource leaves keys out
		{"kms:Decrypt", "arn:aws:kms:us-east-1:1:alias/a", Allow},      // but not aliases
		{"sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q", Allow},        // NotAction allows the rest
		{"S3:GETOBJECT", "arn:aws:s3:::b/o", Allow},                    // actions ignore case
	} {
		if got := Evaluate(ps, Request{Action: c.action, Resource: c.resource}); got.Decision != c.want || !got.Certain {
			t.Errorf("%s on %s: %v (certain %v), want %v", c.action, c.resource, got.Decision, got.Certain, c.want)
		}
	}
	// Conditions: decided with the request's keys, Maybe without them.
	mfa := named(t, `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)
	if r := Evaluate(mfa, Request{Action: "s3:GetObject", Resource: "*", Context: Context{"aws:MultiFactorAuthPresent": {"true"}}}); r.Decision != Allow || !r.Certain {
		t.Errorf("with MFA: %+v", r)
	}
	if r := Evaluate(mfa, Request{Action: "s3:GetObject", Resource: "*", Context: Context{"aws:MultiFactorAuthPresent": {"false"}}}); r.Decision != ImplicitDeny {
		t.Errorf("without MFA: %+v", r)
	}
	if r := Evaluate(mfa, Request{Action: "s3:GetObject", Resource: "*"}); r.Decision != Allow || r.Certain {
		t.Errorf("unknown context: %+v, want a possible allow", r)
	}
	// A Deny whose condition is unknown leaves the Allow uncertain.
	deny := named(t, `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
		{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}`)
	if r := Evaluate(deny, Request{Action: "s3:GetObject", Resource: "*"}); r.Decision != Allow || r.Certain || len(r.Doubt) != 1 {
		t.Errorf("doubtful deny: %+v", r)
	}
	if r := Evaluate(deny, Request{Action: "s3:GetObject", Resource: "*", Context: Context{"aws:SourceIp": {"203.0.113.9"}}}); r.Decision != ExplicitDeny {
		t.Errorf("deny from that network: %+v", r)
	}
}

func TestConditionOperators(t *testing.T) {
	ctx := Context{"aws:PrincipalTag/team": {"ops"}, "aws:TagKeys": {"a", "b"}, "aws:CurrentTime": {"2026-12-07T12:00:00Z"},
		"s3:max-keys": {"50"}, "aws:SourceIp": {"10.1.2.3"}}
	for _, c := range []struct {
		op, key string
		vals    []string
		want    Tri
	}{
		{"StringEquals", "aws:PrincipalTag/team", []string{"dev", "ops"}, Yes}, // any value matches
		{"StringNotEquals", "aws:PrincipalTag/team", []string{"ops"}, No},
		{"StringNotEquals", "aws:Absent", []string{"x"}, Yes},      // negated on a missing key
		{"StringEquals", "aws:Absent", []string{"x"}, No},          // positive on a missing key
		{"StringEqualsIfExists", "aws:Absent", []string{"x"}, Yes}, // IfExists
		{"Null", "aws:Absent", []string{"true"}, Yes},
		{"Null", "aws:PrincipalTag/team", []string{"true"}, No},
		{"StringLike", "aws:PrincipalTag/team", []string{"o*"}, Yes},
		{"ForAllValues:StringEquals", "aws:TagKeys", []string{"a", "b", "c"}, Yes},
		{"ForAllValues:StringEquals", "aws:TagKeys", []string{"a"}, No},
		{"ForAllValues:StringEquals", "aws:Absent", []string{"a"}, Yes}, // vacuously true
		{"ForAnyValue:StringEquals", "aws:TagKeys", []string{"b"}, Yes},
		{"ForAnyValue:StringEquals", "aws:Absent", []string{"b"}, No},
		{"NumericLessThan", "s3:max-keys", []string{"100"}, Yes},
		{"NumericGreaterThanEquals", "s3:max-keys", []string{"51"}, No},
		{"DateLessThan", "aws:CurrentTime", []string{"2027-01-01T00:00:00Z"}, Yes},
		{"IpAddress", "aws:SourceIp", []string{"10.0.0.0/8"}, Yes},
		{"NotIpAddress", "aws:SourceIp", []string{"10.0.0.0/8"}, No},
		{"SomeFutureOperator", "aws:SourceIp", []string{"x"}, Maybe},
	} {
		got := Condition{Operator: c.op, Key: c.key, Values: c.vals}.holds(ctx)
		if got != c.want {
			t.Errorf("%s %s %v: %v, want %v", c.op, c.key, c.vals, got, c.want)
		}
	}
	if got := (Condition{Operator: "StringEquals", Key: "k", Values: []string{"v"}}).holds(nil); got != Maybe {
		t.Errorf("without a context: %v", got)
	}
}

func TestAdministrator(t *testing.T) {
	for _, c := range []struct {
		name string
		docs []string
		want bool
	}{
		{"*:* in one statement", []string{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`}, true},
		{"*:* written as *:*", []string{`{"Statement":[{"Effect":"Allow","Action":"*:*","Resource":"*"}]}`}, true},
		{"called ReadOnly, grants all", []string{`{"Statement":[{"Sid":"ReadOnly","Effect":"Allow","Action":["*"],"Resource":["*"]}]}`}, true},
		{"only with MFA, still admin", []string{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`}, true},
		{"spread over two policies", []string{
			`{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`,
			`{"Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`}, true},
		{"a conditional deny does not take it away", []string{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
			{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}`}, true},
		{"all but IAM", []string{`{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`}, false},
		// A guardrail Deny beside Allow *:* leaves an administrator (CIS
		// 1.16 names the statement); a Deny of everything does not.
		{"all services, one guardrail", []string{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`}, true},
		{"allowed and denied everything", []string{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*"}]}`}, false},
		{"every service by NotAction, one denied", []string{`{"Statement":[{"Effect":"Allow","NotAction":"iam:PassRole","Resource":"*"}]}`}, false},
		{"every S3 action", []string{`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`}, false},
		{"every action on some resources", []string{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::*"}]}`}, false},
		{"all but some resources", []string{`{"Statement":[{"Effect":"Allow","Action":"*","NotResource":"arn:aws:iam::*:role/break-glass"}]}`}, false},
		{"services listed one by one", []string{`{"Statement":[{"Effect":"Allow","Action":["s3:*","ec2:*","iam:*"],"Resource":"*"}]}`}, false},
		{"called AdministratorAccess, grants reads", []string{`{"Statement":[{"Sid":"AdministratorAccess","Effect":"Allow","Action":"*:Describe*","Resource":"*"}]}`}, false},
	} {
		got, why := Administrator(named(t, c.docs...))
		if got != c.want {
			t.Errorf("%s: %v (%s), want %v", c.name, got, why, c.want)
		}
		if got && !strings.Contains(why, "statement") {
			t.Errorf("%s: the reason names no statement: %q", c.name, why)
		}
	}
}

func publicOf(t *testing.T, service, principal, condition string) []string {
	t.Helper()
	doc := `{"Statement":[{"Sid":"S","Effect":"Allow","Principal":` + principal + `,"Action":"x:Get","Resource":"*"` + condition + `}]}`
	return Public(mustParse(t, doc), service)
}

// Every key read as restricting is tested both ways: with a fixed value
// (not public) and with each form that lets anyone through (public).
func TestPublicConditionKeys(t *testing.T) {
	for key, svc := range restrictingKeys {
		service := svc
		if service == "" {
			service = "sqs"
		}
		fixed, wide := `"vpce-1a2b3c"`, `"vpce-*"`
		if key == "aws:sourceip" {
			fixed, wide = `"203.0.113.0/24"`, `"0.0.0.0/0"`
		}
		op := "StringEquals"
		if key == "aws:sourceip" {
			op = "IpAddress"
		}
		cond := func(op, val string) string { return `,"Condition":{"` + op + `":{"` + key + `":` + val + `}}` }
		if p := publicOf(t, service, `"*"`, cond(op, fixed)); len(p) != 0 {
			t.Errorf("%s %s fixed: public %v", op, key, p)
		}
		for name, c := range map[string]string{
			"a wildcard value":   cond(op, wide),
			"IfExists":           cond(op+"IfExists", fixed),
			"a negated operator": cond("StringNotEquals", fixed),
			"ForAllValues":       cond("ForAllValues:"+op, fixed),
			"an empty list":      cond(op, `[]`),
			"a policy variable":  cond(op, `"${aws:username}"`),
		} {
			if key == "aws:sourceip" && name == "a negated operator" {
				c = cond("NotIpAddress", fixed)
			}
			if p := publicOf(t, service, `"*"`, c); len(p) != 1 {
				t.Errorf("%s with %s: not public", key, name)
			}
		}
		if svc != "" {
			if p := publicOf(t, "sns", `"*"`, cond(op, fixed)); len(p) != 1 {
				t.Errorf("%s (a %s key) restricts an SNS topic", key, svc)
			}
		}
	}
	for _, c := range []string{
		`,"Condition":{"Bool":{"aws:SecureTransport":"true"}}`,     // transport, not who
		`,"Condition":{"StringEquals":{"sts:ExternalId":"abc"}}`,   // anyone who knows it
		`,"Condition":{"StringEquals":{"aws:UserAgent":"my-app"}}`, // chosen by the caller
		`,"Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}`,
		`,"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/7"}}`, // wider than a /8
		`,"Condition":{"IpAddress":{"aws:SourceIp":"::/0"}}`,
		`,"Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/16","0.0.0.0/0"]}}`, // one wide range is enough
	} {
		if p := publicOf(t, "s3", `"*"`, c); len(p) != 1 {
			t.Errorf("%s read as restricting", c)
		}
	}
	// Two conditions, one restricting: all conditions must hold.
	if p := publicOf(t, "s3", `"*"`, `,"Condition":{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:SourceVpce":"vpce-1"}}`); len(p) != 0 {
		t.Errorf("a restricting condition beside another: %v", p)
	}
}

func TestPublicPrincipals(t *testing.T) {
	for p, want := range map[string]bool{
		`"*"`:         true,
		`{"AWS":"*"}`: true,
		`{"AWS":["arn:aws:iam::123456789012:root","*"]}`: true,
		`{"AWS":"arn:aws:iam::*:root"}`:                  true,
		`{"Federated":"*"}`:                              true,
		`{"AWS":"123456789012"}`:                         false,
		`{"AWS":"arn:aws:iam::123456789012:role/app"}`:   false,
		`{"Service":"cloudtrail.amazonaws.com"}`:         false,
	} {
		if got := len(publicOf(t, "s3", p, "")) == 1; got != want {
			t.Errorf("principal %s: public %v, want %v", p, got, want)
		}
	}
	notPrincipal := mustParse(t, `{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::1:root"},"Action":"s3:*","Resource":"*"}]}`)
	if len(Public(notPrincipal, "s3")) != 1 {
		t.Error("Allow with NotPrincipal is everyone else")
	}
	deny := mustParse(t, `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)
	if len(Public(deny, "s3")) != 0 {
		t.Error("a TLS-only Deny is not public")
	}
	ext := mustParse(t, `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222222222222:role/x","111111111111","arn:aws:iam::333333333333:root"]},"Action":"s3:*"}]}`)
	if got := strings.Join(External(ext, "111111111111"), ","); got != "222222222222,333333333333" {
		t.Errorf("external accounts: %s", got)
	}
}

func TestDeniesEveryone(t *testing.T) {
	insecure := Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/o", Context: Context{"aws:SecureTransport": {"false"}}}
	for doc, want := range map[string]bool{
		// AWS's own example of a TLS-only bucket policy.
		`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`: true,
		`{"Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}]}`:                                true,
		// One principal only: others may still use plain HTTP.
		`{"Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::1:role/app"},"Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`: false,
		// Writes only.
		`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`: false,
		// A second condition on a key the question does not settle: the
		// account's own principals, or traffic through an endpoint, may
		// still use plain HTTP.
		`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"},"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}}]}`: false,
		`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"},"Null":{"aws:SourceVpce":"true"}}}]}`:                          false,
		// A second condition this request does not settle.
		`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"},"StringEquals":{"aws:SourceVpce":"vpce-1"}}}]}`: false,
		// A TLS version floor does not refuse plain HTTP (no TLS, no version).
		`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:TlsVersion":"1.2"}}}]}`: false,
		// An Allow with the condition the other way round refuses nothing.
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`: false,
	} {
		if got := DeniesEveryone(mustParse(t, doc), insecure); got != want {
			t.Errorf("%s: %v, want %v", doc, got, want)
		}
	}
}

func TestWebIdentityAndServiceTrust(t *testing.T) {
	gh := `{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}`
	web := func(cond string) string {
		return `{"Statement":[{"Effect":"Allow","Principal":` + gh + `,"Action":"sts:AssumeRoleWithWebIdentity"` + cond + `}]}`
	}
	for cond, public := range map[string]bool{
		``: true, // any repository on GitHub
		`,"Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}`:                 true,
		`,"Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:*"}}`:                              true,
		`,"Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:acme/*"}}`:                         false,
		`,"Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:acme/api:ref:refs/heads/main"}}`: false,
		`,"Condition":{"StringLikeIfExists":{"token.actions.githubusercontent.com:sub":"repo:acme/*"}}`:                 true,
	} {
		if got := len(Public(mustParse(t, web(cond)), "sts")) == 1; got != public {
			t.Errorf("GitHub trust %s: public %v, want %v", cond, got, public)
		}
	}
	cognito := `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:1a2b3c"}}}]}`
	if len(Public(mustParse(t, cognito), "sts")) != 0 {
		t.Error("a Cognito trust fixed to one identity pool read as public")
	}
	svc := func(cond string) string {
		return `{"Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction"` + cond + `}]}`
	}
	if len(Public(mustParse(t, svc("")), "lambda")) != 1 {
		t.Error("a service principal acting for any account is not public on a function")
	}
	if len(Public(mustParse(t, svc(`,"Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}`)), "lambda")) != 0 {
		t.Error("a service principal fixed to this account read as public")
	}
	if len(Public(mustParse(t, svc("")), "s3")) != 0 {
		t.Error("S3 counts a fixed service principal as non-public")
	}
}

// TestDecryptsAnyKey: decryption with every key of the account, decided by
// evaluation on a key no statement names.
func TestDecryptsAnyKey(t *testing.T) {
	const key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	for stmts, want := range map[string]bool{
		`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}`:                                                                         true,
		`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`:                                                                               true,
		`{"Effect":"Allow","Action":"kms:ReEncrypt*","Resource":"arn:aws:kms:*:111122223333:key/*"}`:                                       true,
		`{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}`:                                                                             true,
		`{"Effect":"Allow","Action":"kms:Decrypt","NotResource":"` + key + `"}`:                                                            true,
		`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`:                     true,
		`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"` + key + `"}`:                                                               false,
		`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:111122223333:key/*"}`:                                  true,  // every key of a region the account uses
		`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:ap-south-1:111122223333:key/*"}`:                                 false, // a region the account does not use
		`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:*:${aws:PrincipalAccount}:key/*"}`:                               true,
		`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:*:111122223333:key/${aws:PrincipalTag/key}"}`:                    true,
		`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:*:444455556666:key/*"}`:                                          false, // another account's keys
		`{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}`:                                                                         false,
		`{"Effect":"Allow","Action":"kms:*","Resource":"*"},{"Effect":"Deny","Action":["kms:Decrypt","kms:ReEncryptFrom"],"Resource":"*"}`: false,
	} {
		got, why := DecryptsAnyKey(Named{Name: "p", Doc: mustParse(t, `{"Version":"2012-10-17","Statement":[`+stmts+`]}`)}, "111122223333", []string{"eu-west-1", "us-east-1"})
		if got != want {
			t.Errorf("%s: %t (%s), want %t", stmts, got, why, want)
		}
	}
}

// TestServiceWildcards: an Allow of every action of a service, literally
// or by NotAction; a Deny, a prefix of actions or a named action is not.
func TestServiceWildcards(t *testing.T) {
	for stmts, want := range map[string]int{
		`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::logs/*"}`: 1,
		`{"Effect":"Allow","Action":["s3:GetObject","iam:*"],"Resource":"*"}`: 1,
		`{"Effect":"Allow","Action":"*","Resource":"*"}`:                      1,
		`{"Effect":"Allow","Action":"s*:*","Resource":"*"}`:                   1,
		`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`:               1,
		`{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}`:                0,
		`{"Effect":"Deny","Action":"s3:*","Resource":"*"}`:                    0,
		`{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}`:  0,
	} {
		if got := ServiceWildcards(Named{Name: "p", Doc: mustParse(t, `{"Version":"2012-10-17","Statement":[`+stmts+`]}`)}); len(got) != want {
			t.Errorf("%s: %v, want %d", stmts, got, want)
		}
	}
}

// TestOtherAccounts: statements that let another account (or everyone not
// kept to this account) make a request.
func TestOtherAccounts(t *testing.T) {
	reqs := []Request{{Action: "s3:PutBucketPolicy", Resource: "arn:aws:s3:::b"}, {Action: "s3:PutObjectAcl", Resource: "arn:aws:s3:::b/*"}}
	for stmt, want := range map[string]int{
		`{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:Put*","Resource":"arn:aws:s3:::b*"}`:                                                   2,
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/x"},"Action":"s3:PutBucketPolicy","Resource":"*"}`:                                  1,
		`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}`:                                                                                       2,
		`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}`:                  0,
		`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":["111122223333","444455556666"]}}}`: 2,
		`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalAccount":"1111*"}}}`:                           2,
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:*","Resource":"*"}`:                                                  0,
		`{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`:                                             0,
		`{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::b/uploads/*"}`:                 1,
		`{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:PutObjectAcl","Resource":"arn:aws:s3:::other/*"}`:                                      0,
		`{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:PutBucketPolicy","Resource":"arn:aws:s3:::b"}`:                    1,
		`{"Effect":"Deny","Principal":{"AWS":"444455556666"},"Action":"s3:*","Resource":"*"}`:                                                                     0,
	} {
		if got := OtherAccounts(mustParse(t, `{"Version":"2012-10-17","Statement":[`+stmt+`]}`), "111122223333", reqs); len(got) != want {
			t.Errorf("%s: %v, want %d", stmt, got, want)
		}
	}
}
