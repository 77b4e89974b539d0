package logfilter

import (
	"encoding/json"
	"testing"
)

func event(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestJSONPatterns(t *testing.T) {
	create := `{"eventSource":"cloudtrail.amazonaws.com","eventName":"CreateTrail","sourceIPAddress":"203.0.113.7","userIdentity":{"type":"IAMUser"},"eventType":"AwsApiCall","resources":[{"ARN":"arn:aws:cloudtrail:x"}],"readOnly":false,"apiVersion":3}`
	for _, c := range []struct {
		pattern string
		want    bool
	}{
		{`{ $.eventName = CreateTrail }`, true},
		{`{$.eventName="CreateTrail"}`, true},
		{`{ ($.eventName = UpdateTrail) || ($.eventName = CreateTrail) }`, true},
		{`{ ($.eventName = UpdateTrail) && ($.eventName = CreateTrail) }`, false}, // can never match
		{`{ $.eventName = Create* }`, true},
		{`{ $.eventName = *Trail }`, true},
		{`{ $.eventName = C*e*l }`, true},
		{`{ $.eventName = Delete* }`, false},
		{`{ $.eventName != CreateTrail }`, false},
		{`{ $.sourceIPAddress != "delivery.logs.amazonaws.com" }`, true},
		{`{ $.userIdentity.type = IAMUser && $.eventType != AwsServiceEvent }`, true},
		{`{ $.userIdentity.invokedBy NOT EXISTS }`, true},
		{`{ $.userIdentity.type EXISTS }`, true},
		{`{ $.missing != "x" }`, false}, // a missing field is credited with nothing
		{`{ $.readOnly IS FALSE }`, true},
		{`{ $.readOnly IS TRUE }`, false},
		{`{ $.apiVersion >= 3 && $.apiVersion < 4 }`, true},
		{`{ $.resources[0].ARN = "arn:aws:cloudtrail:*" }`, true},
		{`{ $.eventName = %^Create(Trail|Bucket)$% }`, true},
		{`{ ($.eventSource = cloudtrail.amazonaws.com) && (($.eventName = StopLogging) || ($.eventName = CreateTrail)) }`, true},
		{`{($.eventSource=cloudtrail.amazonaws.com)&&(($.eventName=StopLogging)||($.eventName=DeleteTrail))}`, false},
		// Without parentheses the readings differ for this event: with &&
		// first it matches (A), left to right it does not ((A || B) && C):
		// not credited.
		{`{ $.eventName = CreateTrail || $.eventName = X && $.readOnly IS TRUE }`, false},
		// Both readings match.
		{`{ $.eventName = CreateTrail || $.eventName = X && $.readOnly IS FALSE }`, true},
	} {
		f, err := Parse(c.pattern)
		if err != nil {
			t.Errorf("%s: %v", c.pattern, err)
			continue
		}
		if got := f.Matches(event(t, create)); got != c.want {
			t.Errorf("%s: %v, want %v", c.pattern, got, c.want)
		}
	}
}

func TestTermPatterns(t *testing.T) {
	ev := event(t, `{"eventName":"ConsoleLogin","errorMessage":"Failed authentication"}`)
	for pattern, want := range map[string]bool{
		``:                                     true,
		`ConsoleLogin`:                         true,
		`ConsoleLogin "Failed authentication"`: true,
		`ConsoleLogin -Failed`:                 false,
		`?CreateUser ?ConsoleLogin`:            true,
		`?CreateUser ?DeleteUser`:              false,
	} {
		f, err := Parse(pattern)
		if err != nil {
			t.Fatalf("%q: %v", pattern, err)
		}
		if got := f.Matches(ev); got != want {
			t.Errorf("%q: %v, want %v", pattern, got, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, p := range []string{
		`{ $.eventName = CreateTrail`,
		`{ eventName = CreateTrail }`,
		`{ ($.eventName = CreateTrail }`,
		`{ $.eventName CreateTrail }`,
		`{ $.eventName = }`,
		`{ $.eventName = "CreateTrail }`,
		`{ $.eventName = %[% }`,
		`[ip, user, ...]`,
		`{ $.a = 1 } trailing`,
	} {
		if _, err := Parse(p); err == nil {
			t.Errorf("%s: accepted", p)
		}
	}
}
