package server_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// expected says, independently of the route table, who may call each route.
// A route added without an entry here fails TestEveryRouteForEveryRole.
var expected = map[string]string{
	"GET /healthz":             "public",
	"GET /readyz":              "public",
	"GET /metrics":             "public",
	"GET /api/v1/openapi.json": "public",
	"GET /api/v1/setup":        "public",
	"POST /api/v1/setup":       "public",

	"GET /api/v1/me":                               "owner admin member auditor viewer",
	"GET /api/v1/catalog":                          "owner admin member auditor viewer",
	"GET /api/v1/catalog/criteria":                 "owner admin member auditor viewer",
	"GET /api/v1/catalog/criteria/{id}":            "owner admin member auditor viewer",
	"GET /api/v1/catalog/frameworks/{framework}":   "owner admin member auditor viewer",
	"GET /api/v1/catalog/library":                  "owner admin member auditor viewer",
	"GET /api/v1/organization":                     "owner admin member auditor viewer",
	"PUT /api/v1/organization":                     "owner admin",
	"GET /api/v1/scope":                            "owner admin member auditor viewer",
	"PUT /api/v1/scope":                            "owner admin",
	"GET /api/v1/systems":                          "owner admin member auditor viewer",
	"POST /api/v1/systems":                         "owner admin",
	"GET /api/v1/systems/{id}":                     "owner admin member auditor viewer",
	"PATCH /api/v1/systems/{id}":                   "owner admin",
	"DELETE /api/v1/systems/{id}":                  "owner admin",
	"GET /api/v1/controls":                         "owner admin member auditor viewer",
	"POST /api/v1/controls":                        "owner admin",
	"POST /api/v1/controls/adopt":                  "owner admin",
	"GET /api/v1/controls/{id}":                    "owner admin member auditor viewer",
	"PATCH /api/v1/controls/{id}":                  "owner admin member",
	"PATCH /api/v1/controls":                       "owner admin member",
	"DELETE /api/v1/controls/{id}":                 "owner admin",
	"GET /api/v1/soa":                              "owner admin member auditor viewer",
	"GET /api/v1/readiness":                        "owner admin member auditor viewer",
	"GET /api/v1/readiness/frameworks/{framework}": "owner admin member auditor viewer",
	"GET /api/v1/users":                            "owner admin",
	"POST /api/v1/users":                           "owner admin",
	"GET /api/v1/users/{id}":                       "owner admin",
	"PATCH /api/v1/users/{id}":                     "owner admin",
	"GET /api/v1/tokens":                           "owner admin member auditor viewer",
	"POST /api/v1/tokens":                          "owner admin member auditor viewer",
	"DELETE /api/v1/tokens/{id}":                   "owner admin member auditor viewer",
	"GET /api/v1/activity":                         "owner admin auditor",
	"GET /api/v1/activity/verify":                  "owner admin auditor",

	"POST /api/v1/evidence":              "owner admin member",
	"POST /api/v1/evidence/attestations": "owner admin member",
	"POST /api/v1/evidence/links":        "owner admin member",
	"GET /api/v1/evidence":               "owner admin member auditor viewer",
	"GET /api/v1/evidence/export":        "owner admin member auditor viewer",
	"GET /api/v1/evidence/{id}":          "owner admin member auditor viewer",
	"GET /api/v1/evidence/{id}/content":  "owner admin member auditor viewer",
	"GET /api/v1/evidence/{id}/proof":    "owner admin member auditor viewer",
	"POST /api/v1/evidence/{id}/review":  "owner admin",
	"GET /api/v1/ledger":                 "owner admin member auditor viewer",
	"GET /api/v1/ledger/checkpoints":     "owner admin member auditor viewer",
	"POST /api/v1/ledger/checkpoints":    "owner admin",
	"GET /api/v1/ledger/consistency":     "owner admin member auditor viewer",
	"GET /api/v1/ledger/verify":          "owner admin auditor",
	"GET /api/v1/requests":               "owner admin member auditor viewer",
	"POST /api/v1/requests":              "owner admin",
	"GET /api/v1/requests/{id}":          "owner admin member auditor viewer",
	"PATCH /api/v1/requests/{id}":        "owner admin",
	"DELETE /api/v1/requests/{id}":       "owner admin",
	"GET /api/v1/settings/evidence":      "owner admin member auditor viewer",
	"PUT /api/v1/settings/evidence":      "owner",

	"POST /api/v1/agents/enrolments":                     "owner admin",
	"GET /api/v1/agents":                                 "owner admin member auditor viewer",
	"GET /api/v1/agents/{id}":                            "owner admin member auditor viewer",
	"DELETE /api/v1/agents/{id}":                         "owner admin",
	"POST /api/v1/agents/{id}/tailoring/approve":         "owner admin",
	"GET /api/v1/agents/{id}/history":                    "owner admin member auditor viewer",
	"GET /api/v1/agents/{id}/runs":                       "owner admin member auditor viewer",
	"GET /api/v1/fleet":                                  "owner admin member auditor viewer",
	"GET /api/v1/controls/{id}/history":                  "owner admin member auditor viewer",
	"POST /api/v1/agent/enrol":                           "public",
	"GET /api/v1/integrations":                           "owner admin member auditor viewer",
	"POST /api/v1/integrations":                          "owner admin",
	"GET /api/v1/integrations/{id}":                      "owner admin member auditor viewer",
	"PUT /api/v1/integrations/{id}":                      "owner admin",
	"DELETE /api/v1/integrations/{id}":                   "owner admin",
	"POST /api/v1/integrations/{id}/test":                "owner admin",
	"POST /api/v1/integrations/{id}/run":                 "owner admin",
	"POST /api/v1/agent/reports":                         "agent",
	"GET /api/v1/agent/state":                            "agent",
	"GET /api/v1/exceptions":                             "owner admin member auditor viewer",
	"POST /api/v1/exceptions":                            "owner admin member",
	"GET /api/v1/exceptions/{id}":                        "owner admin member auditor viewer",
	"POST /api/v1/exceptions/{id}/approve":               "owner admin",
	"POST /api/v1/exceptions/{id}/revoke":                "owner admin",
	"PUT /api/v1/agents/{id}/labels":                     "owner admin",
	"GET /api/v1/policies":                               "owner admin member auditor viewer",
	"GET /api/v1/policy-templates":                       "owner admin member auditor viewer",
	"POST /api/v1/policies/adopt":                        "owner admin",
	"POST /api/v1/policies":                              "owner admin",
	"GET /api/v1/policies/{id}":                          "owner admin member auditor viewer",
	"GET /api/v1/policies/{id}/diff":                     "owner admin member auditor viewer",
	"PATCH /api/v1/policies/{id}":                        "owner admin",
	"GET /api/v1/policies/{id}/versions/{number}":        "owner admin member auditor viewer",
	"PUT /api/v1/policies/{id}/draft":                    "owner admin member",
	"POST /api/v1/policies/{id}/versions":                "owner admin member",
	"POST /api/v1/policies/{id}/submit":                  "owner admin member",
	"POST /api/v1/policies/{id}/approve":                 "owner admin member",
	"POST /api/v1/policies/{id}/reject":                  "owner admin member",
	"POST /api/v1/policies/{id}/publish":                 "owner admin member",
	"POST /api/v1/policies/{id}/review":                  "owner admin member",
	"POST /api/v1/policies/{id}/retire":                  "owner admin",
	"GET /api/v1/policies/{id}/versions/{number}/export": "owner admin member auditor viewer",
	"GET /api/v1/policies/export":                        "owner admin member auditor viewer",
	"POST /api/v1/policies/upload":                       "owner admin",
	"GET /api/v1/people":                                 "owner admin auditor",
	"POST /api/v1/people":                                "owner admin",
	"GET /api/v1/people/{id}":                            "owner admin auditor",
	"PATCH /api/v1/people/{id}":                          "owner admin",
	"POST /api/v1/people/imports":                        "owner admin",
	"POST /api/v1/people/imports/{id}/confirm":           "owner admin",
	"GET /api/v1/accounts":                               "owner admin auditor",
	"PUT /api/v1/accounts/link":                          "owner admin",
	"GET /api/v1/offboarding":                            "owner admin auditor",
	"POST /api/v1/policies/{id}/acknowledge":             "owner admin member auditor viewer",
	"GET /api/v1/policies/{id}/acknowledgements":         "owner admin auditor",
	"POST /api/v1/policies/{id}/remind":                  "owner admin",
	"GET /api/v1/notification-channels":                  "owner admin",
	"POST /api/v1/notification-channels":                 "owner admin",
	"DELETE /api/v1/notification-channels/{id}":          "owner admin",
	"POST /api/v1/notification-channels/{id}/test":       "owner admin",
	"GET /api/v1/notification-deliveries":                "owner admin",
	"GET /api/v1/acknowledgements":                       "owner admin auditor",
	"GET /api/v1/me/tasks":                               "owner admin member auditor viewer",

	// HR records: admins record background checks and signed agreements;
	// members and up may attest a review (the service refuses all but the
	// person's manager or HR); anyone may ask for a person's HR records,
	// and the service shows them only to readers of the register and the
	// person themself.
	"GET /api/v1/onboarding":                              "owner admin auditor",
	"GET /api/v1/people/{id}/hr":                          "owner admin member auditor viewer",
	"POST /api/v1/people/{id}/background-checks":          "owner admin",
	"POST /api/v1/people/{id}/confidentiality-agreements": "owner admin",
	"POST /api/v1/people/{id}/performance-reviews":        "owner admin member",
	"PUT /api/v1/hr/confidentiality-policy":               "owner admin",
	"POST /api/v1/me/confidentiality-agreement":           "owner admin member auditor viewer",

	// Role changes (server/people_sources.go).
	"GET /api/v1/role-changes":                              "owner admin auditor",
	"GET /api/v1/people/{id}/role-changes":                  "owner admin auditor",
	"POST /api/v1/people/{id}/role-changes/{change}/review": "owner admin",

	// Training: everyone takes the quiz and sees their own records.
	"GET /api/v1/training/courses":                                  "owner admin member auditor viewer",
	"POST /api/v1/training/courses":                                 "owner admin",
	"GET /api/v1/training/courses/{id}":                             "owner admin member auditor viewer",
	"POST /api/v1/training/courses/{id}/assignments":                "owner admin",
	"DELETE /api/v1/training/courses/{id}/assignments/{assignment}": "owner admin",
	"GET /api/v1/training/courses/{id}/quiz":                        "owner admin member auditor viewer",
	"POST /api/v1/training/courses/{id}/quiz":                       "owner admin member auditor viewer",
	"POST /api/v1/training/courses/{id}/completions":                "owner admin",
	"GET /api/v1/training/mine":                                     "owner admin member auditor viewer",

	"GET /api/v1/incidents":                                         "owner admin member auditor viewer",
	"POST /api/v1/incidents":                                        "owner admin member",
	"GET /api/v1/incidents/{id}":                                    "owner admin member auditor viewer",
	"PATCH /api/v1/incidents/{id}":                                  "owner admin",
	"POST /api/v1/incidents/{id}/events":                            "owner admin member",
	"POST /api/v1/incidents/{id}/notifications":                     "owner admin",
	"POST /api/v1/incidents/{id}/notifications/{notification}/sent": "owner admin",
	"POST /api/v1/incidents/{id}/review":                            "owner admin",
	"POST /api/v1/incidents/{id}/actions/{action}/done":             "owner admin",
	"POST /api/v1/incidents/{id}/close":                             "owner admin",
	"GET /api/v1/incident-rules":                                    "owner admin member auditor viewer",
	"PUT /api/v1/incident-rules":                                    "owner admin",
	"GET /api/v1/exercises":                                         "owner admin member auditor viewer",
	"POST /api/v1/exercises":                                        "owner admin",
	// Risks: everyone reads; an acceptance is approved by the person it
	// names (the route admits whoever may operate controls).
	"GET /api/v1/risks":                          "owner admin member auditor viewer",
	"POST /api/v1/risks":                         "owner admin",
	"GET /api/v1/risks/library":                  "owner admin member auditor viewer",
	"POST /api/v1/risks/library":                 "owner admin",
	"POST /api/v1/risks/import":                  "owner admin",
	"GET /api/v1/risks/heatmap":                  "owner admin member auditor viewer",
	"GET /api/v1/risks/{id}/simulation":          "owner admin member auditor viewer",
	"GET /api/v1/risks/{id}":                     "owner admin member auditor viewer",
	"PATCH /api/v1/risks/{id}":                   "owner admin",
	"POST /api/v1/risks/{id}/acceptance":         "owner admin",
	"POST /api/v1/risks/{id}/acceptance/approve": "owner admin member",
	"GET /api/v1/risk-assessments":               "owner admin member auditor viewer",
	"POST /api/v1/risk-assessments":              "owner admin",
	"GET /api/v1/risk-assessments/{id}":          "owner admin member auditor viewer",
	"POST /api/v1/risk-assessments/{id}/sign":    "owner admin",
	// Vendors: everyone reads the inventory; admins and owners change it.
	"GET /api/v1/vendors":                          "owner admin member auditor viewer",
	"POST /api/v1/vendors":                         "owner admin",
	"POST /api/v1/vendors/import":                  "owner admin",
	"GET /api/v1/vendors/{id}":                     "owner admin member auditor viewer",
	"PUT /api/v1/vendors/{id}":                     "owner admin",
	"POST /api/v1/vendors/{id}/documents":          "owner admin",
	"POST /api/v1/vendor-documents/{id}/review":    "owner admin",
	"PUT /api/v1/vendor-cuecs/{id}":                "owner admin",
	"POST /api/v1/vendors/{id}/questionnaires":     "owner admin",
	"GET /api/v1/vendor-suggestions":               "owner admin member auditor viewer",
	"POST /api/v1/vendor-suggestions/{id}/confirm": "owner admin",
	"POST /api/v1/vendor-suggestions/{id}/dismiss": "owner admin",
	"POST /api/v1/questionnaires/{id}/review":      "owner admin",
	"GET /api/v1/subprocessors":                    "owner admin member auditor viewer",
}

// fill substitutes path parameters with values that exist, or for
// deletions with values that do not (so the walk destroys nothing).
func (e *env) fill(method, path string) string {
	r := strings.NewReplacer("{framework}", "iso27001")
	switch {
	case strings.HasPrefix(path, "/api/v1/catalog/criteria/"):
		r = strings.NewReplacer("{id}", "CC6.1")
	case method == "DELETE":
		r = strings.NewReplacer("{id}", "999999")
	case strings.HasPrefix(path, "/api/v1/controls/"):
		r = strings.NewReplacer("{id}", "AC-01")
	case strings.HasPrefix(path, "/api/v1/users/"):
		r = strings.NewReplacer("{id}", fmt.Sprint(e.users["viewer"]))
	case strings.HasPrefix(path, "/api/v1/systems/"):
		r = strings.NewReplacer("{id}", "1")
	case strings.HasPrefix(path, "/api/v1/policies/"):
		r = strings.NewReplacer("{id}", "1", "{number}", "1")
	case strings.HasPrefix(path, "/api/v1/risks/"), strings.HasPrefix(path, "/api/v1/risk-assessments/"):
	case strings.HasPrefix(path, "/api/v1/vendor"), strings.HasPrefix(path, "/api/v1/questionnaires/"):
		r = strings.NewReplacer("{id}", "1")
	case strings.HasPrefix(path, "/api/v1/training/"):
		r = strings.NewReplacer("{id}", "1", "{assignment}", "999999")
	case strings.HasPrefix(path, "/api/v1/incidents/"):
		r = strings.NewReplacer("{id}", "1", "{notification}", "999999", "{action}", "999999")
	}
	return r.Replace(path)
}

func TestEveryRouteForEveryRole(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"AC-01"}, "owner_id": e.users["member"]}, 200, nil)
		e.do("admin", "POST", "/api/v1/systems", map[string]any{"name": "api", "kind": "service", "classification": "internal", "environment": "production"}, 201, nil)
		routes := e.srv.Routes()
		seen := map[string]bool{}
		for _, rt := range routes {
			if rt.Page {
				continue // pages take sessions, not tokens: TestEveryPageForEveryRole
			}
			key := rt.Method + " " + rt.Path
			seen[key] = true
			allowed, ok := expected[key]
			if !ok {
				t.Errorf("route %s has no expectation in routes_test.go", key)
				continue
			}
			path := e.fill(rt.Method, rt.Path)
			var body string
			if rt.Method != "GET" && rt.Method != "DELETE" {
				body = "{}"
			}
			for _, who := range []string{"", "owner", "admin", "member", "auditor", "viewer"} {
				status, b := e.raw(who, rt.Method, path, strings.NewReader(body), map[string]string{"Content-Type": "application/json"})
				switch {
				case allowed == "agent":
					// Only an agent credential opens these; no user token does.
					if status != 401 {
						t.Errorf("%s as %q: %d, want 401 (agents only); %s", key, who, status, b)
					}
				case allowed == "public":
					if status == 401 || status == 403 || status >= 500 {
						t.Errorf("%s as %q: %d, want a public answer; %s", key, who, status, b)
					}
				case who == "":
					if status != 401 {
						t.Errorf("%s without a token: %d, want 401", key, status)
					}
				case strings.Contains(" "+allowed+" ", " "+who+" "):
					if status == 401 || status == 403 || status == 404 && strings.Contains(string(b), "no such route") || status >= 500 {
						t.Errorf("%s as %s: %d, want it allowed; %s", key, who, status, b)
					}
				default:
					if status != 403 {
						t.Errorf("%s as %s: %d, want 403; %s", key, who, status, b)
					}
				}
			}
		}
		for key := range expected {
			if !seen[key] && !strings.HasPrefix(key, "GET /setup") && !strings.HasPrefix(key, "POST /setup") {
				t.Errorf("expected route %s is not registered", key)
			}
		}
	})
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t, "sqlite")
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			OperationID string                      `json:"operationId"`
			Responses   map[string]json.RawMessage  `json:"responses"`
			Security    []map[string][]string       `json:"security"`
			Parameters  []struct{ Name, In string } `json:"parameters"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	raw := e.do("", "GET", "/api/v1/openapi.json", nil, 200, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	var documented []string
	opIDs := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			key := strings.ToUpper(method) + " " + path
			documented = append(documented, key)
			if op.OperationID == "" || opIDs[op.OperationID] {
				t.Errorf("%s: missing or duplicate operationId %q", key, op.OperationID)
			}
			opIDs[op.OperationID] = true
			if len(op.Responses) == 0 {
				t.Errorf("%s: no responses", key)
			}
			for _, seg := range strings.Split(path, "/") {
				if strings.HasPrefix(seg, "{") {
					found := false
					for _, p := range op.Parameters {
						found = found || (p.In == "path" && "{"+p.Name+"}" == seg)
					}
					if !found {
						t.Errorf("%s: path parameter %s undocumented", key, seg)
					}
				}
			}
			// Every documented operation is really served.
			status, b := e.raw("owner", strings.ToUpper(method), e.fill(strings.ToUpper(method), path), strings.NewReader("{}"), map[string]string{"Content-Type": "application/json"})
			if status == 405 || strings.Contains(string(b), "no such route") {
				t.Errorf("documented %s is not served: %d %s", key, status, b)
			}
		}
	}
	var registered []string
	for _, rt := range e.srv.Routes() {
		if rt.Page {
			continue
		}
		registered = append(registered, rt.Method+" "+rt.Path)
		// Public routes say so; the rest require the bearer scheme.
		op := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
		if (rt.Permission == "" && !rt.Agent) != (len(op.Security) == 0) {
			t.Errorf("%s %s: security %v does not match permission %q", rt.Method, rt.Path, op.Security, rt.Permission)
		}
	}
	sort.Strings(documented)
	sort.Strings(registered)
	if strings.Join(documented, "\n") != strings.Join(registered, "\n") {
		t.Fatalf("documented routes differ from registered ones:\ndocumented:\n%s\nregistered:\n%s", strings.Join(documented, "\n"), strings.Join(registered, "\n"))
	}
	// Every $ref resolves.
	for _, m := range refPattern.FindAllStringSubmatch(string(raw), -1) {
		if _, ok := doc.Components.Schemas[m[1]]; !ok {
			t.Errorf("$ref to undefined schema %s", m[1])
		}
	}
	if _, ok := doc.Components.Schemas["ControlViewPage"]; !ok {
		t.Errorf("no ControlViewPage schema; have %d schemas", len(doc.Components.Schemas))
	}
}

var refPattern = regexpMust(`"\$ref":\s*"#/components/schemas/([A-Za-z0-9_]+)"`)

func regexpMust(s string) *regexp.Regexp { return regexp.MustCompile(s) }
