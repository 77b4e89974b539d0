package builtin

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// TestFieldsMatchKinds: every described field is a setting its kind reads
// (a misspelt name would be refused as an unknown field by the kind), and
// every built-in kind has a description, so the form never falls back to
// raw JSON for one of them.
func TestFieldsMatchKinds(t *testing.T) {
	for _, k := range Kinds() {
		name := k.Name()
		info, ok := Kinds().Info(name)
		if !ok || info.Help == "" {
			t.Errorf("kind %s has no field description", name)
			continue
		}
		for _, f := range info.Fields {
			if f.Label == "" || f.Help == "" {
				t.Errorf("%s.%s has no label or help", name, f.Name)
			}
			if f.Required && f.Example == "" {
				t.Errorf("%s.%s is required but has no example", name, f.Name)
			}
			val := f.Example
			switch f.Type {
			case kind.TypeBool:
				val = "on"
			case kind.TypeChoice:
				val = f.Choices[1]
			}
			cfg, err := Kinds().BuildConfig(name, func(n string) string {
				if n == f.Name {
					return val
				}
				for _, g := range info.Fields {
					if g.Name == n && g.Required {
						return g.Example
					}
				}
				return ""
			}, "")
			if err != nil {
				t.Errorf("%s.%s: example %q refused by the form: %v", name, f.Name, val, err)
				continue
			}
			err = k.Validate(cfg, "x:y")
			if vigil.ErrorField(err) == "config" && strings.Contains(vigil.ErrorMessage(err), "unknown field") {
				t.Errorf("%s.%s is not a setting of the kind: %v", name, f.Name, err)
			}
		}
	}
}

// TestBuildConfig: named values become typed JSON settings; a bad value
// or a missing required one is refused naming its field; the advanced
// JSON supplies what the form does not name.
func TestBuildConfig(t *testing.T) {
	vals := map[string]string{"org": "acme", "repos": "api,\n web "}
	cfg, err := Kinds().BuildConfig("github", func(n string) string { return vals[n] }, `{"alert_days": {"critical": 3}}`)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	_ = json.Unmarshal(cfg, &got)
	if got["org"] != "acme" || len(got["repos"].([]any)) != 2 || got["alert_days"] == nil {
		t.Fatalf("config: %s", cfg)
	}
	if _, err := Kinds().BuildConfig("postgres", func(n string) string { return map[string]string{"host": "db", "user": "v", "port": "five"}[n] }, ""); vigil.ErrorField(err) != "config.port" {
		t.Fatalf("bad port: %v (field %q)", err, vigil.ErrorField(err))
	}
	if _, err := Kinds().BuildConfig("git", func(string) string { return "" }, ""); vigil.ErrorField(err) != "config.repo" || !strings.Contains(vigil.ErrorMessage(err), "e.g.") {
		t.Fatalf("missing repo: %v", err)
	}
	if _, err := Kinds().BuildConfig("git", func(string) string { return "" }, "[1]"); vigil.ErrorField(err) != "config" {
		t.Fatalf("bad advanced JSON: %v", err)
	}
	vs, rest := Kinds().FormValues("github", cfg)
	if vs["repos"] != "api, web" || !strings.Contains(rest, "alert_days") {
		t.Fatalf("form values: %v %s", vs, rest)
	}
}
