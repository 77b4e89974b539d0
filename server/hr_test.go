package server_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/training"
)

// HR records and onboarding through the API on both engines: a
// background check is recorded only with its file, sealed as evidence;
// missing after the start fails HR-01 naming the person, done after it
// warns; MFA with no identity system connected is unknown, never
// complete; the training item completes only from a passing completion;
// a confidentiality agreement is signed like an acknowledgement and turns
// HR-05 healthy; nobody attests their own review; members neither record
// others' records nor see their checklists.
func TestHRRecordsAPI(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		day := func(d int) string { return time.Now().UTC().AddDate(0, 0, d).Format(time.DateOnly) }
		ctls := []string{"GV-01", "GV-02", "HR-01", "HR-02", "HR-04", "HR-05", "HR-06"}
		e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": ctls, "owner_id": e.users["member"]}, 200, nil)
		e.do("admin", "PATCH", "/api/v1/controls", map[string]any{"ids": ctls, "set": map[string]any{"status": "implemented"}}, 200, nil)
		health := func(id string) vigil.Health {
			t.Helper()
			var ctl api.ControlView
			e.do("viewer", "GET", "/api/v1/controls/"+id, nil, 200, &ctl)
			return ctl.Health
		}
		reasons := func(h vigil.Health) string {
			var b strings.Builder
			for _, s := range h.Signals {
				if s.Source == "hr" {
					fmt.Fprintf(&b, "[%s] %s\n", s.Status, s.Reason)
				}
			}
			return b.String()
		}
		if h := health("HR-01"); h.State != vigil.HealthUnknown || !strings.Contains(reasons(h), "no personnel register") {
			t.Fatalf("HR-01 with no register: %s %s", h.State, reasons(h))
		}

		person := func(email, start, manager string) int64 {
			t.Helper()
			var p vigil.Person
			e.do("admin", "POST", "/api/v1/people", map[string]any{"email": email, "name": email, "start_date": start, "manager_email": manager, "in_scope": true}, 201, &p)
			return p.ID
		}
		mem := person("member@acme.test", day(-20), "admin@acme.test")
		vie := person("viewer@acme.test", day(-40), "")
		own := person("owner@acme.test", "2020-01-01", "")

		h := health("HR-01")
		if h.State != vigil.HealthFailing || !strings.Contains(reasons(h), "member@acme.test") || !strings.Contains(reasons(h), "viewer@acme.test") || strings.Contains(reasons(h), "owner@") {
			t.Fatalf("HR-01 with two starters unchecked: %s %s", h.State, reasons(h))
		}

		check := func(who string, id int64, completed, filename string, body string) (int, string) {
			q := url.Values{"completed_on": {completed}, "provider": {"Checkr"}, "result": {"clear"}}
			if filename != "" {
				q.Set("filename", filename)
			}
			status, b := e.raw(who, "POST", fmt.Sprintf("/api/v1/people/%d/background-checks?%s", id, q.Encode()), strings.NewReader(body), map[string]string{"Content-Type": "application/pdf"})
			return status, string(b)
		}
		if status, b := check("admin", mem, day(-21), "", ""); status != 400 || !strings.Contains(b, `"field":"file"`) {
			t.Fatalf("a background check without its file: %d %s", status, b)
		}
		if status, b := check("member", mem, day(-21), "report.pdf", "%PDF-1.4 report"); status != 403 {
			t.Fatalf("a member recording a background check: %d %s", status, b)
		}
		if status, b := check("admin", mem, day(-21), "report.pdf", "%PDF-1.4 report for member"); status != 201 || !strings.Contains(b, `"evidence_id":`) {
			t.Fatalf("member's check: %d %s", status, b)
		}
		if status, b := check("admin", vie, day(-35), "report.pdf", "%PDF-1.4 report for viewer"); status != 201 {
			t.Fatalf("viewer's check: %d %s", status, b)
		}
		h = health("HR-01")
		if h.State != vigil.HealthAtRisk || !strings.Contains(reasons(h), "viewer@acme.test") {
			t.Fatalf("HR-01 with one check late: %s %s", h.State, reasons(h))
		}
		var evs api.Page[vigil.Evidence]
		e.do("auditor", "GET", "/api/v1/evidence?control=HR-01", nil, 200, &evs)
		if len(evs.Items) != 2 {
			t.Fatalf("the reports sealed against HR-01: %+v", evs.Items)
		}

		// Checklists: the person sees their own, nobody else's.
		e.do("member", "GET", fmt.Sprintf("/api/v1/people/%d/hr", vie), nil, 403, nil)
		e.do("member", "GET", "/api/v1/onboarding", nil, 403, nil)
		item := func(who string, id int64, k vigil.OnboardingKind) vigil.OnboardingItem {
			t.Helper()
			var d vigil.PersonHR
			e.do(who, "GET", fmt.Sprintf("/api/v1/people/%d/hr", id), nil, 200, &d)
			if d.Onboarding == nil {
				t.Fatalf("no checklist: %+v", d)
			}
			for _, it := range d.Onboarding.Items {
				if it.Kind == k {
					return it
				}
			}
			t.Fatalf("no %s item", k)
			return vigil.OnboardingItem{}
		}
		if it := item("member", mem, vigil.OnboardBackground); it.State != vigil.OnboardComplete {
			t.Fatalf("member's background check: %+v", it)
		}
		if it := item("auditor", vie, vigil.OnboardBackground); it.State != vigil.OnboardLate {
			t.Fatalf("viewer's background check: %+v", it)
		}
		if it := item("member", mem, vigil.OnboardMFA); it.State != vigil.OnboardUnknown {
			t.Fatalf("MFA with no identity system: %+v", it)
		}
		if h := health("HR-06"); h.State == vigil.HealthHealthy || h.State == vigil.HealthAtRisk {
			t.Fatalf("HR-06 with MFA unknown: %s %s", h.State, reasons(h))
		}
		var log vigil.OnboardingLog
		e.do("auditor", "GET", "/api/v1/onboarding", nil, 200, &log)
		if len(log.Lists) != 2 {
			t.Fatalf("two starters: %+v", log.Lists)
		}

		// Training: a failed quiz is no completion; a recorded one is.
		var course api.CourseView
		e.do("admin", "POST", "/api/v1/training/courses", map[string]any{"builtin": "security-awareness"}, 201, &course)
		if it := item("member", mem, vigil.OnboardTraining); it.State != vigil.OnboardDue {
			t.Fatalf("training before any completion: %+v", it)
		}
		builtin, err := training.Load()
		if err != nil {
			t.Fatal(err)
		}
		wrong := map[string]int{}
		for _, q := range builtin.Quiz {
			wrong[q.ID] = (q.Answer + 1) % len(q.Choices)
		}
		var res vigil.QuizResult
		e.do("member", "POST", fmt.Sprintf("/api/v1/training/courses/%d/quiz", course.ID), map[string]any{"answers": wrong}, 200, &res)
		if res.Passed {
			t.Fatal("every answer wrong passed")
		}
		if it := item("member", mem, vigil.OnboardTraining); it.State != vigil.OnboardDue {
			t.Fatalf("training after a failed quiz: %+v", it)
		}
		e.do("admin", "POST", fmt.Sprintf("/api/v1/training/courses/%d/completions", course.ID), map[string]any{"user_id": e.users["member"], "completed_at": day(-5)}, 201, nil)
		if it := item("member", mem, vigil.OnboardTraining); it.State != vigil.OnboardComplete {
			t.Fatalf("training after a recorded completion: %+v", it)
		}

		// Confidentiality: signed like an acknowledgement of the policy
		// designated as the agreement.
		if h := health("HR-05"); h.State != vigil.HealthUnknown {
			t.Fatalf("HR-05 with nothing designated: %s %s", h.State, reasons(h))
		}
		e.do("admin", "POST", "/api/v1/policies/adopt", map[string]any{"template": "acceptable-use", "owner_id": e.users["member"], "approvers": []int64{e.users["owner"]}}, 201, nil)
		e.do("member", "POST", "/api/v1/policies/1/submit", nil, 200, nil)
		e.do("owner", "POST", "/api/v1/policies/1/approve", map[string]any{}, 200, nil)
		var pol api.PolicyView
		e.do("member", "POST", "/api/v1/policies/1/publish", map[string]any{"effective_date": day(0)}, 200, &pol)
		sign := map[string]any{"version": 1, "sha256": pol.Published.SHA256}
		e.do("member", "POST", "/api/v1/me/confidentiality-agreement", sign, 409, nil)
		e.do("member", "PUT", "/api/v1/hr/confidentiality-policy", map[string]any{"policy_id": 1}, 403, nil)
		e.do("admin", "PUT", "/api/v1/hr/confidentiality-policy", map[string]any{"policy_id": 1}, 204, nil)
		e.do("member", "POST", "/api/v1/me/confidentiality-agreement", map[string]any{"version": 1, "sha256": strings.Repeat("a", 64)}, 400, nil)
		e.do("member", "POST", "/api/v1/me/confidentiality-agreement", sign, 200, nil)
		if it := item("member", mem, vigil.OnboardConfidentiality); it.State != vigil.OnboardLate || !strings.Contains(it.Record, "esign") {
			t.Fatalf("signed today, after the start: %+v", it)
		}
		h = health("HR-05")
		if h.State != vigil.HealthFailing || !strings.Contains(reasons(h), "viewer@acme.test") || strings.Contains(reasons(h), "member@") {
			t.Fatalf("HR-05 with two unsigned: %s %s", h.State, reasons(h))
		}
		e.do("viewer", "POST", "/api/v1/me/confidentiality-agreement", sign, 200, nil)
		// The owner signed on paper: the signed document is the record.
		status, b := e.raw("admin", "POST", fmt.Sprintf("/api/v1/people/%d/confidentiality-agreements?filename=nda.pdf&document=NDA+v1&signed_on=2020-01-01", own),
			strings.NewReader("%PDF-1.4 signed"), map[string]string{"Content-Type": "application/pdf"})
		if status != 201 {
			t.Fatalf("a paper agreement: %d %s", status, b)
		}
		if h := health("HR-05"); h.State != vigil.HealthHealthy {
			t.Fatalf("HR-05 with everyone signed: %s %s", h.State, reasons(h))
		}

		// Performance reviews: the owner is due one; nobody attests their own.
		h = health("HR-04")
		if h.State != vigil.HealthFailing || !strings.Contains(reasons(h), "owner@acme.test") {
			t.Fatalf("HR-04 with the owner unreviewed: %s %s", h.State, reasons(h))
		}
		review := map[string]any{"completed_on": day(-3)}
		e.do("owner", "POST", fmt.Sprintf("/api/v1/people/%d/performance-reviews", own), review, 403, nil)
		e.do("member", "POST", fmt.Sprintf("/api/v1/people/%d/performance-reviews", own), review, 403, nil)
		e.do("viewer", "POST", fmt.Sprintf("/api/v1/people/%d/performance-reviews", own), review, 403, nil)
		e.do("member", "POST", fmt.Sprintf("/api/v1/people/%d/performance-reviews", mem), review, 403, nil)
		var pr vigil.PerformanceReview
		e.do("admin", "POST", fmt.Sprintf("/api/v1/people/%d/performance-reviews", own), review, 201, &pr)
		if pr.Attester != "admin@acme.test" || pr.Period != day(-3)[:4] {
			t.Fatalf("review: %+v", pr)
		}
		if h := health("HR-04"); h.State != vigil.HealthHealthy {
			t.Fatalf("HR-04 with the owner reviewed: %s %s", h.State, reasons(h))
		}
		var d vigil.PersonHR
		e.do("owner", "GET", fmt.Sprintf("/api/v1/people/%d/hr", own), nil, 200, &d)
		if d.Onboarding != nil || len(d.PerformanceReviews) != 1 || len(d.Agreements) != 1 || d.Agreements[0].Method != vigil.AgreementUpload {
			t.Fatalf("the owner's records: %+v", d)
		}
	})
}
