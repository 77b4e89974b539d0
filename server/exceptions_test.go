package server_test

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/server"
)

type exceptionView struct {
	ID             int64  `json:"id"`
	State          string `json:"state"`
	Check          string `json:"check"`
	Scope          string `json:"scope"`
	AgentName      string `json:"agent_name"`
	Label          string `json:"label"`
	RequestedBy    int64  `json:"requested_by"`
	ApprovedByName string `json:"approved_by_name"`
}

// TestExceptionsAPI: roles, validation naming the field, separation of
// duties, two approvals at once, labels from enrolment and the API, the
// control's health, and the activity log, on both engines.
func TestExceptionsAPI(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) { exceptionsAPI(t, engine) })
	}
}

func exceptionsAPI(t *testing.T, engine string) {
	{
		e := newEnv(t, engine, func(c *server.Config) { c.Sources = []vigil.SignalSource{c.Monitor} })
		member := e.users["member"]
		e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"AC-11"}, "owner_id": member}, 200, nil)
		e.do("admin", "PATCH", "/api/v1/controls/AC-11", map[string]any{"status": "implemented"}, 200, nil)

		// Labels travel with the enrolment token; a bad one is refused by name.
		status, b := e.raw("admin", "POST", "/api/v1/agents/enrolments", strings.NewReader(`{"name":"x","labels":{"env":"Prod"}}`), nil)
		if _, _, field := apiError(t, b); status != 400 || field != "labels" {
			t.Fatalf("a bad label: %d %s", status, b)
		}
		var en struct {
			Token  string            `json:"token"`
			Labels map[string]string `json:"labels"`
		}
		e.do("admin", "POST", "/api/v1/agents/enrolments", map[string]any{"name": "dev-1", "labels": map[string]string{"env": "dev"}}, 201, &en)
		var enrolled struct {
			AgentID    int64  `json:"agent_id"`
			Credential string `json:"credential"`
		}
		e.do("", "POST", "/api/v1/agent/enrol", map[string]any{"token": en.Token, "host": hostInfo("dev-1.acme.test")}, 201, &enrolled)
		e.tokens["dev-1"] = enrolled.Credential
		devID := enrolled.AgentID
		prodID, _ := e.enrolAgent("prod-1")
		var host struct {
			Labels map[string]string `json:"labels"`
		}
		e.do("viewer", "GET", fmt.Sprintf("/api/v1/agents/%d", devID), nil, 200, &host)
		if host.Labels["env"] != "dev" {
			t.Fatalf("labels after enrolment: %v", host.Labels)
		}
		labels := fmt.Sprintf("/api/v1/agents/%d/labels", prodID)
		e.do("member", "PUT", labels, map[string]any{"labels": map[string]string{"env": "prod"}}, 403, nil)
		status, b = e.raw("admin", "PUT", labels, strings.NewReader(`{"labels":{"env":"prod","bad key":"x"}}`), nil)
		if _, _, field := apiError(t, b); status != 400 || field != "labels" {
			t.Fatalf("a label key with a space: %d %s", status, b)
		}
		e.do("admin", "PUT", labels, map[string]any{"labels": map[string]string{"env": "prod"}}, 200, &host)
		if host.Labels["env"] != "prod" {
			t.Fatalf("labels set: %v", host.Labels)
		}

		at := time.Now().UTC().Add(-time.Minute)
		fail := []vigil.CheckResult{{CheckID: checkRootLogin, Resource: "/etc/ssh/sshd_config", Verdict: "fail", Reason: "PermitRootLogin yes"}}
		e.report("dev-1", agentReport{Seq: 1, ScannedAt: at, Full: true, Results: fail}, 202)
		e.report("prod-1", agentReport{Seq: 1, ScannedAt: at, Full: true, Results: fail}, 202)

		// Bad requests name the field.
		expires := time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly)
		good := map[string]any{"check": checkRootLogin, "kind": "risk_accepted", "scope": "label", "label": "env=dev",
			"justification": "Development hosts are only reachable over the VPN.", "expires_at": expires}
		with := func(k string, v any) map[string]any {
			m := map[string]any{}
			for a, b := range good {
				m[a] = b
			}
			m[k] = v
			return m
		}
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{with("justification", ""), "justification"},
			{with("expires_at", "2020-01-01"), "expires_at"},
			{with("expires_at", "next week"), "expires_at"},
			{with("expires_at", ""), "expires_at"},
			{with("check", "linux.nope"), "check"},
			{with("kind", "forever"), "kind"},
			{with("label", "env"), "label"},
		} {
			status, b := e.raw("member", "POST", "/api/v1/exceptions", strings.NewReader(mustJSON(c.body)), nil)
			if _, msg, field := apiError(t, b); status != 400 || field != c.field || msg == "" {
				t.Errorf("%v: %d %s, want the field %s", c.body, status, b, c.field)
			}
		}
		for _, who := range []string{"auditor", "viewer"} {
			e.do(who, "POST", "/api/v1/exceptions", good, 403, nil)
		}
		var x exceptionView
		e.do("member", "POST", "/api/v1/exceptions", good, 201, &x)
		if x.State != "pending" || x.RequestedBy != member {
			t.Fatalf("requested: %+v", x)
		}
		if ok, gaps := ready(t, e, "CC6.1"); ok || !strings.Contains(strings.Join(gaps, " "), "dev-1") {
			t.Fatalf("CC6.1 with an unapproved exception: %v %v", ok, gaps)
		}
		approve := fmt.Sprintf("/api/v1/exceptions/%d/approve", x.ID)
		e.do("member", "POST", approve, nil, 403, nil)
		e.do("auditor", "POST", approve, nil, 403, nil)
		// Two approvers at once: one wins, the other is told.
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i, who := range []string{"owner", "admin"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _ = e.raw(who, "POST", approve, nil, nil)
			}()
		}
		wg.Wait()
		if !(codes[0] == 200 && codes[1] == 409 || codes[0] == 409 && codes[1] == 200) {
			t.Fatalf("two approvals at once: %v", codes)
		}
		// dev-1 is excepted, prod-1 (env=prod) is not: still failing.
		ok, gaps := ready(t, e, "CC6.1")
		failing, also, _ := strings.Cut(strings.Join(gaps, " "), "; also ")
		if ok || len(gaps) != 1 || !strings.Contains(failing, "prod-1") || strings.Contains(failing, "dev-1") || !strings.Contains(also, "dev-1") {
			t.Fatalf("CC6.1 with env=dev excepted: %v %v", ok, gaps)
		}
		// An admin's own request needs someone else.
		var own exceptionView
		e.do("admin", "POST", "/api/v1/exceptions", map[string]any{"check": checkRootLogin, "kind": "risk_accepted", "scope": "host", "agent_id": prodID,
			"justification": "A vendor appliance that we cannot reconfigure until Q3.", "expires_at": expires}, 201, &own)
		status, b = e.raw("admin", "POST", fmt.Sprintf("/api/v1/exceptions/%d/approve", own.ID), nil, nil)
		if code, msg, field := apiError(t, b); status != 403 || code != "forbidden" || field != "approver" || !strings.Contains(msg, "separation of duties") {
			t.Fatalf("self-approval: %d %s", status, b)
		}
		e.do("owner", "POST", fmt.Sprintf("/api/v1/exceptions/%d/approve", own.ID), nil, 200, nil)
		// Both excepted as risk accepted: the control warns, naming the
		// exceptions; it is at risk, not healthy.
		var c struct{ Health vigil.Health }
		e.do("viewer", "GET", "/api/v1/controls/AC-11", nil, 200, &c)
		// (A failure under accepted risk shows nothing operating, so with
		// no passing result the control is not healthy either.)
		if c.Health.State == vigil.HealthHealthy || c.Health.State == vigil.HealthFailing || !hasSignal(c.Health.Signals, "test", vigil.SignalWarn, fmt.Sprintf("exception #%d", x.ID)) {
			t.Fatalf("AC-11 with its failures excepted: %+v", c.Health)
		}
		// Revoked: fails again.
		e.do("member", "POST", fmt.Sprintf("/api/v1/exceptions/%d/revoke", own.ID), map[string]any{"reason": "x"}, 403, nil)
		e.do("owner", "POST", fmt.Sprintf("/api/v1/exceptions/%d/revoke", own.ID), map[string]any{"reason": "vendor patched it"}, 200, nil)
		if ok, gaps := ready(t, e, "CC6.1"); ok || !strings.Contains(strings.Join(gaps, " "), "prod-1") {
			t.Fatalf("CC6.1 after revocation: %v %v", ok, gaps)
		}

		// An exception that runs out fails again at once: nothing is
		// written when it expires, yet the readiness cache notices.
		failingProd := "failing: " + checkRootLogin + " on prod-1"
		var brief exceptionView
		e.do("member", "POST", "/api/v1/exceptions", map[string]any{"check": checkRootLogin, "kind": "risk_accepted", "scope": "host", "agent_id": prodID,
			"justification": "Covered for a few seconds while the patch rolls out.", "expires_at": time.Now().Add(3 * time.Second).UTC().Format(time.RFC3339)}, 201, &brief)
		e.do("admin", "POST", fmt.Sprintf("/api/v1/exceptions/%d/approve", brief.ID), nil, 200, nil)
		if _, gaps := ready(t, e, "CC6.1"); strings.Contains(strings.Join(gaps, " "), failingProd) {
			t.Fatalf("CC6.1 with prod-1 excepted for a while: %v", gaps)
		}
		time.Sleep(time.Until(time.Now().Add(3 * time.Second).Truncate(time.Second).Add(time.Second)))
		if _, gaps := ready(t, e, "CC6.1"); !strings.Contains(strings.Join(gaps, " "), failingProd) {
			t.Fatalf("CC6.1 once prod-1's exception expired: %v", gaps)
		}

		// Lists and filters, readable by everyone.
		var list struct{ Items []exceptionView }
		e.do("viewer", "GET", "/api/v1/exceptions?state=active", nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].ID != x.ID {
			t.Fatalf("active: %+v", list.Items)
		}
		e.do("auditor", "GET", fmt.Sprintf("/api/v1/exceptions?agent_id=%d", prodID), nil, 200, &list)
		if len(list.Items) != 2 || list.Items[0].ID != brief.ID || list.Items[0].State != "expired" || list.Items[1].ID != own.ID || list.Items[1].State != "revoked" {
			t.Fatalf("covering prod-1: %+v", list.Items)
		}
		e.do("viewer", "GET", "/api/v1/exceptions?state=forever", nil, 400, nil)
		e.do("viewer", "GET", "/api/v1/exceptions/999", nil, 404, nil)
		var fleet []struct {
			Check    string `json:"check"`
			Fail     int    `json:"fail"`
			Excepted int    `json:"excepted"`
		}
		e.do("viewer", "GET", "/api/v1/fleet", nil, 200, &fleet)
		if len(fleet) != 1 || fleet[0].Fail != 1 || fleet[0].Excepted != 1 {
			t.Fatalf("fleet: %+v", fleet)
		}

		// The activity log has every step.
		var acts struct{ Items []vigil.Activity }
		e.do("auditor", "GET", "/api/v1/activity?entity_type=check_exception", nil, 200, &acts)
		n := map[string]int{}
		for _, a := range acts.Items {
			n[a.Action]++
		}
		if n["exception.request"] != 3 || n["exception.approve"] != 3 || n["exception.revoke"] != 1 {
			t.Fatalf("activity: %v", n)
		}
		e.do("auditor", "GET", "/api/v1/activity?action=agent.labels", nil, 200, &acts)
		if len(acts.Items) != 1 {
			t.Fatalf("label changes logged: %d", len(acts.Items))
		}
	}
}

// TestExceptionPages: ask from the form (errors beside the field, input
// kept), see it pending, no approve button on one's own request, approve
// as another admin, and the host page shows the failure as excepted.
func TestExceptionPages(t *testing.T) {
	e := newEnv(t, "sqlite")
	id, _ := e.enrolAgent("web-1")
	e.report("web-1", agentReport{Seq: 1, ScannedAt: time.Now().UTC().Add(-time.Minute), Full: true, Results: []vigil.CheckResult{
		{CheckID: checkRootLogin, Resource: "/etc/ssh/sshd_config", Verdict: "fail", Reason: "PermitRootLogin yes"}}}, 202)
	ss := e.sessions()
	admin, owner, viewer := ss["admin"], ss["owner"], ss["viewer"]
	hostPath := fmt.Sprintf("/hosts/%d", id)
	_, body, _ := e.page(&admin, "GET", hostPath, nil)
	link := fmt.Sprintf(`/exceptions?check=%s&amp;agent_id=%d#request`, checkRootLogin, id)
	if !strings.Contains(body, link) {
		t.Fatalf("no request link on the failing check:\n%s", body)
	}
	form := url.Values{"check": {checkRootLogin}, "kind": {"risk_accepted"}, "scope": {"host"}, "agent_id": {fmt.Sprint(id)},
		"justification": {"short"}, "expires_at": {time.Now().AddDate(0, 2, 0).Format(time.DateOnly)}}
	code, body, _ := e.page(&admin, "POST", "/exceptions", form)
	if code != 422 || !strings.Contains(body, `class="field-error">justification must say why`) || !strings.Contains(body, ">short</textarea>") {
		t.Fatalf("a short justification: %d\n%s", code, body)
	}
	form.Set("justification", "Root logins stay until the break-glass account is in place.")
	if code, _, hdr := e.page(&admin, "POST", "/exceptions", form); code != 303 || hdr.Get("Location") != "/exceptions?state=pending" {
		t.Fatalf("request: %d %v", code, hdr)
	}
	_, body, _ = e.page(&admin, "GET", "/exceptions?state=pending", nil)
	if !strings.Contains(body, "pending approval</span>") || strings.Contains(body, `action="/exceptions/1/approve"`) || !strings.Contains(body, "your request") {
		t.Fatalf("the requester's view of a pending exception:\n%s", body)
	}
	// Posting the approval anyway is refused and said on the page.
	if code, body, _ := e.page(&admin, "POST", "/exceptions/1/approve", url.Values{}); code != 403 || !strings.Contains(body, `role="alert">Exception #1: you requested this exception`) {
		t.Fatalf("a self-approval: %d\n%s", code, body)
	}
	if _, body, _ = e.page(&admin, "GET", "/exceptions", nil); !strings.Contains(body, "pending approval</span>") {
		t.Fatalf("after a self-approval:\n%s", body)
	}
	_, body, _ = e.page(&viewer, "GET", "/exceptions", nil)
	if strings.Contains(body, `action="/exceptions/1/approve"`) || strings.Contains(body, `method="post" action="/exceptions"`) {
		t.Fatalf("a viewer sees forms:\n%s", body)
	}
	_, body, _ = e.page(&owner, "GET", "/exceptions", nil)
	if !strings.Contains(body, `action="/exceptions/1/approve"`) {
		t.Fatalf("the owner has no approve button:\n%s", body)
	}
	if code, _, _ := e.page(&owner, "POST", "/exceptions/1/approve", url.Values{}); code != 303 {
		t.Fatalf("approve: %d", code)
	}
	// One running out soon says so on the list.
	var soon exceptionView
	e.do("member", "POST", "/api/v1/exceptions", map[string]any{"check": checkEmptyPass, "kind": "not_applicable", "scope": "all",
		"justification": "No local accounts until the directory migration ends.", "expires_at": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)}, 201, &soon)
	e.do("admin", "POST", fmt.Sprintf("/api/v1/exceptions/%d/approve", soon.ID), nil, 200, nil)
	if _, body, _ = e.page(&viewer, "GET", "/exceptions?state=active", nil); !strings.Contains(body, "runs out in 3 days") || strings.Count(body, "runs out") != 1 {
		t.Fatalf("an exception running out soon:\n%s", body)
	}
	_, body, _ = e.page(&viewer, "GET", hostPath, nil)
	if !strings.Contains(body, `data-exception="1"`) || !strings.Contains(body, "excepted: risk accepted") || !strings.Contains(body, "approved by Olive Owner") {
		t.Fatalf("host page after approval:\n%s", body)
	}
	// Labels from the host page.
	if code, _, _ := e.page(&admin, "POST", hostPath+"/labels", url.Values{"labels": {"env=prod, team=payments"}}); code != 303 {
		t.Fatalf("labels: %d", code)
	}
	if _, body, _ = e.page(&admin, "GET", hostPath, nil); !strings.Contains(body, `value="env=prod, team=payments"`) {
		t.Fatalf("host page after labelling:\n%s", body)
	}
	// A bad label is refused beside the field, with what was typed kept.
	if code, body, _ := e.page(&admin, "POST", hostPath+"/labels", url.Values{"labels": {"Env=prod"}}); code != 422 ||
		!strings.Contains(body, `class="field-error">label &#34;Env=prod&#34;`) || !strings.Contains(body, `value="Env=prod"`) {
		t.Fatalf("a bad label: %d\n%s", code, body)
	}
	if _, body, _ = e.page(&admin, "GET", hostPath, nil); !strings.Contains(body, `value="env=prod, team=payments"`) {
		t.Fatalf("host page after a bad label:\n%s", body)
	}
}
