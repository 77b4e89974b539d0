package server_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
)

// The register and acknowledgements through the API on both engines: only
// owners, admins and auditors read people; an import is a dry run until
// its previewer confirms that very file; a published policy reaches each
// person's tasks, an acknowledgement names the text's hash, and GV-02
// turns from unknown to operating.
func TestPeopleAndAcknowledgementsAPI(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"GV-01", "GV-02", "HR-07"}, "owner_id": e.users["member"]}, 200, nil)
		e.do("admin", "PATCH", "/api/v1/controls", map[string]any{"ids": []string{"GV-01", "GV-02", "HR-07"}, "set": map[string]any{"status": "implemented"}}, 200, nil)
		for _, who := range []string{"member", "viewer"} {
			e.do(who, "GET", "/api/v1/people", nil, 403, nil)
			e.do(who, "GET", "/api/v1/offboarding", nil, 403, nil)
			e.do(who, "GET", "/api/v1/accounts", nil, 403, nil)
		}
		e.do("auditor", "GET", "/api/v1/people", nil, 200, nil)
		csv := func(who, body string, want int) vigil.ImportPreview {
			t.Helper()
			status, b := e.raw(who, "POST", "/api/v1/people/imports", strings.NewReader(body), map[string]string{"Content-Type": "text/csv"})
			if status != want {
				t.Fatalf("import as %s: %d %s", who, status, b)
			}
			var pv vigil.ImportPreview
			if want == 200 {
				decodeJSON(t, b, &pv)
			}
			return pv
		}
		csv("auditor", "email,name\na@b.co,A\n", 403)
		bad := csv("admin", "email,name,end_date\nowner@acme.test,Olive,2020-01-01\nowner@acme.test,Olive again,\n", 200)
		if bad.ID != 0 || len(bad.Errors) == 0 || bad.Errors[0].Line != 3 {
			t.Fatalf("a duplicate row: %+v", bad)
		}
		// The viewer is registered under another address, with the one
		// she signs in with as an alias.
		good := "email,name,department,in_scope,aliases\nowner@acme.test,Olive Owner,Exec,yes,\nmember@acme.test,The member,Eng,yes,\nvee@acme.test,The viewer,Sales,yes,viewer@acme.test\nadmin@acme.test,The admin,IT,no,\n"
		pv := csv("admin", good, 200)
		if pv.ID == 0 || pv.Counts.Created != 4 || len(pv.Errors) != 0 {
			t.Fatalf("preview: %+v", pv)
		}
		var people api.Page[vigil.Person]
		e.do("auditor", "GET", "/api/v1/people", nil, 200, &people)
		if len(people.Items) != 0 {
			t.Fatal("the preview imported people")
		}
		confirm := "/api/v1/people/imports/" + itoa(pv.ID) + "/confirm"
		e.do("owner", "POST", confirm, map[string]any{"sha256": pv.SHA256}, 403, nil) // not the previewer
		e.do("admin", "POST", confirm, map[string]any{"sha256": "00"}, 400, nil)
		var counts vigil.ImportCounts
		e.do("admin", "POST", confirm, map[string]any{"sha256": pv.SHA256}, 200, &counts)
		if counts.Created != 4 {
			t.Fatalf("confirmed: %+v", counts)
		}
		e.do("admin", "POST", confirm, map[string]any{"sha256": pv.SHA256}, 409, nil)
		if again := csv("admin", good, 200); again.Counts.Unchanged != 4 || again.Counts.Created != 0 {
			t.Fatalf("the same file again: %+v", again)
		}

		gv02 := func() vigil.Health {
			var ctl api.ControlView
			e.do("viewer", "GET", "/api/v1/controls/GV-02", nil, 200, &ctl)
			return ctl.Health
		}
		if h := gv02(); h.State == vigil.HealthHealthy {
			t.Fatalf("GV-02 healthy with nothing published: %+v", h)
		}
		// A policy published: everyone in scope has it to acknowledge.
		e.do("admin", "POST", "/api/v1/policies/adopt", map[string]any{"template": "acceptable-use", "owner_id": e.users["member"], "approvers": []int64{e.users["owner"]}}, 201, nil)
		e.do("member", "POST", "/api/v1/policies/1/submit", nil, 200, nil)
		e.do("owner", "POST", "/api/v1/policies/1/approve", map[string]any{}, 200, nil)
		var pol api.PolicyView
		e.do("member", "POST", "/api/v1/policies/1/publish", map[string]any{"effective_date": time.Now().UTC().Format(time.DateOnly)}, 200, &pol)
		var tasks vigil.MyTasks
		e.do("viewer", "GET", "/api/v1/me/tasks", nil, 200, &tasks)
		if len(tasks.Policies) != 1 || tasks.Policies[0].State != vigil.AckDue || tasks.Policies[0].SHA256 != pol.Published.SHA256 || !tasks.InScope {
			t.Fatalf("the viewer's tasks: %+v", tasks)
		}
		if h := gv02(); h.State == vigil.HealthHealthy {
			t.Fatalf("GV-02 healthy before anyone acknowledged: %+v", h)
		}
		sha := pol.Published.SHA256
		e.do("viewer", "POST", "/api/v1/policies/1/acknowledge", map[string]any{"version": 1, "sha256": strings.Repeat("a", 64)}, 400, nil)
		e.do("viewer", "POST", "/api/v1/policies/1/acknowledge", map[string]any{"version": 2, "sha256": sha}, 409, nil)
		e.do("viewer", "POST", "/api/v1/policies/9/acknowledge", map[string]any{"version": 1, "sha256": sha}, 409, nil)
		var ack vigil.PolicyAck
		e.do("viewer", "POST", "/api/v1/policies/1/acknowledge", map[string]any{"version": 1, "sha256": sha}, 200, &ack)
		if ack.Email != "vee@acme.test" || ack.SHA256 != sha || ack.Number != 1 {
			t.Fatalf("ack: %+v", ack)
		}
		e.do("viewer", "GET", "/api/v1/me/tasks", nil, 200, &tasks)
		if len(tasks.Policies) != 0 {
			t.Fatalf("after acknowledging: %+v", tasks)
		}
		var roster vigil.AckRoster
		e.do("member", "GET", "/api/v1/policies/1/acknowledgements", nil, 403, nil)
		e.do("auditor", "GET", "/api/v1/policies/1/acknowledgements", nil, 200, &roster)
		if roster.Done != 1 || roster.Due != 2 || len(roster.People) != 3 {
			t.Fatalf("roster: %+v", roster)
		}
		h := gv02()
		if h.State != vigil.HealthHealthy {
			t.Fatalf("GV-02 with one of three acknowledged, none overdue: %+v", h)
		}
		for _, who := range []string{"owner", "member"} {
			e.do(who, "POST", "/api/v1/policies/1/acknowledge", map[string]any{"version": 1, "sha256": sha}, 200, nil)
		}
		var ov vigil.AckOverview
		e.do("auditor", "GET", "/api/v1/acknowledgements", nil, 200, &ov)
		if ov.InScope != 3 || len(ov.Policies) != 1 || ov.Policies[0].Done != 3 {
			t.Fatalf("overview: %+v", ov)
		}
		// HR-07 with people but no system listing accounts: not shown.
		var ctl api.ControlView
		e.do("viewer", "GET", "/api/v1/controls/HR-07", nil, 200, &ctl)
		if ctl.Health.State == vigil.HealthHealthy {
			t.Fatalf("HR-07 healthy with no account source: %+v", ctl.Health)
		}
		// A person record by id, for those who may read people.
		var d vigil.PersonDetail
		e.do("auditor", "GET", "/api/v1/people/"+itoa(people0(t, e)), nil, 200, &d)
		if len(d.Acks) != 1 || d.Acks[0].State != vigil.AckDone {
			t.Fatalf("person: %+v", d)
		}
		e.do("member", "GET", "/api/v1/people/1", nil, 403, nil)
		e.do("admin", "PATCH", "/api/v1/people/1", map[string]any{"start_date": "2020-01-01", "end_date": "2019-12-31"}, 400, nil)
		e.do("admin", "PATCH", "/api/v1/people/1", map[string]any{"email": "x@y.z"}, 400, nil)
	})
}

func people0(t *testing.T, e *env) int64 {
	var ps api.Page[vigil.Person]
	e.do("auditor", "GET", "/api/v1/people", nil, 200, &ps)
	for _, p := range ps.Items {
		if p.Email == "owner@acme.test" {
			return p.ID
		}
	}
	t.Fatal("owner not in the register")
	return 0
}

func decodeJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// An existing policy uploaded through the API: HTML comes back as a
// draft with nothing active; a PDF lands in the ledger; a member may not
// upload; a bad query value is named.
func TestPolicyUploadAPI(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"GV-01"}, "owner_id": e.users["member"]}, 200, nil)
	q := "?filename=acceptable-use.html&owner_id=" + itoa(e.users["member"]) + "&approvers=" + itoa(e.users["owner"])
	status, b := e.raw("member", "POST", "/api/v1/policies/upload"+q, strings.NewReader("<h1>AUP</h1>"), map[string]string{"Content-Type": "text/html"})
	if status != 403 {
		t.Fatalf("a member uploading: %d %s", status, b)
	}
	status, b = e.raw("admin", "POST", "/api/v1/policies/upload"+q, strings.NewReader(`<h1>AUP</h1><p>Be <b>careful</b>.</p><script>alert(1)</script>`), map[string]string{"Content-Type": "text/html"})
	var up api.PolicyUpload
	if status != 201 {
		t.Fatalf("upload: %d %s", status, b)
	}
	decodeJSON(t, b, &up)
	if up.Kind != "html" || up.Policy.Latest == nil || strings.Contains(up.Policy.Latest.Body, "alert") || !strings.Contains(up.Policy.Latest.Body, "**careful**") {
		t.Fatalf("html upload: %+v", up)
	}
	status, b = e.raw("admin", "POST", "/api/v1/policies/upload?filename=ir.pdf&owner_id="+itoa(e.users["member"])+"&approvers="+itoa(e.users["owner"]), strings.NewReader("%PDF-1.4\n%%EOF\n"), map[string]string{"Content-Type": "application/pdf"})
	if status != 201 {
		t.Fatalf("pdf upload: %d %s", status, b)
	}
	decodeJSON(t, b, &up)
	if up.Kind != "pdf" || up.EvidenceID == 0 {
		t.Fatalf("pdf upload: %+v", up)
	}
	e.do("auditor", "GET", "/api/v1/evidence/"+itoa(up.EvidenceID), nil, 200, nil)
	status, b = e.raw("admin", "POST", "/api/v1/policies/upload?filename=x.md&quorum=two", strings.NewReader("# x"), nil)
	if status != 400 || !strings.Contains(string(b), `"field":"quorum"`) {
		t.Fatalf("a bad quorum: %d %s", status, b)
	}
}

// Restricted evidence (personal data: rosters, background checks) is
// listed, read, downloaded and exported only by roles that read people
// records; to others it does not exist.
func TestRestrictedEvidence(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"HR-01"}, "owner_id": e.users["member"]}, 200, nil)
		up := func(q, body string) vigil.Evidence {
			status, b := e.raw("admin", "POST", "/api/v1/evidence?control=HR-01&effective_start=2026-03-01&"+q, strings.NewReader(body), map[string]string{"Content-Type": "text/plain"})
			if status != 201 {
				t.Fatalf("upload: %d %s", status, b)
			}
			var ev vigil.Evidence
			decodeJSON(t, b, &ev)
			return ev
		}
		secret := up("filename=ann-check.txt&restricted=true", "background check report for ann: clear")
		open := up("filename=procedure.txt", "how background checks are ordered")
		if !secret.Restricted || open.Restricted {
			t.Fatalf("flags: %+v %+v", secret, open)
		}
		for _, who := range []string{"member", "viewer"} {
			e.do(who, "GET", "/api/v1/evidence/"+itoa(secret.ID), nil, 404, nil)
			e.do(who, "GET", "/api/v1/evidence/"+itoa(secret.ID)+"/content", nil, 404, nil)
			e.do(who, "GET", "/api/v1/evidence/"+itoa(open.ID), nil, 200, nil)
			var page api.Page[vigil.Evidence]
			e.do(who, "GET", "/api/v1/evidence?control=HR-01", nil, 200, &page)
			if len(page.Items) != 1 || page.Items[0].ID != open.ID {
				t.Fatalf("%s lists %+v", who, page.Items)
			}
			status, b := e.raw(who, "GET", "/api/v1/evidence/export", nil, nil)
			// Blobs are stored uncompressed in the bundle: their bytes show.
			if status != 200 || bytes.Contains(b, []byte("report for ann")) || !bytes.Contains(b, []byte("how background checks")) {
				t.Fatalf("%s's export: %d, holds the restricted item: %v", who, status, bytes.Contains(b, []byte("report for ann")))
			}
			sess := e.sessions()[who]
			if _, page, _ := e.page(&sess, "GET", "/controls/HR-01", nil); strings.Contains(page, "ann-check.txt") {
				t.Fatalf("%s sees the restricted item on the control page", who)
			}
			if _, page, _ := e.page(&sess, "GET", "/evidence", nil); strings.Contains(page, "ann-check.txt") {
				t.Fatalf("%s sees the restricted item in the ledger", who)
			}
		}
		var page api.Page[vigil.Evidence]
		e.do("auditor", "GET", "/api/v1/evidence?control=HR-01", nil, 200, &page)
		if len(page.Items) != 2 {
			t.Fatalf("the auditor lists %d items", len(page.Items))
		}
		e.do("auditor", "GET", "/api/v1/evidence/"+itoa(secret.ID)+"/content", nil, 200, nil)
		status, b := e.raw("auditor", "GET", "/api/v1/evidence/export", nil, nil)
		if status != 200 || !bytes.Contains(b, []byte("report for ann")) {
			t.Fatalf("the auditor's export lacks the restricted item: %d", status)
		}
	})
}
