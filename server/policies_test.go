package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/auth"
)

// The policy set through the API on both engines: adopt a template, edit,
// submit, approve by two approvers (the editor may not), publish, and
// GV-01's health shows the sealed publication; bad requests get named
// errors.
func TestPolicyFlowAPI(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"GV-01", "AC-01"}, "owner_id": e.users["member"]}, 200, nil)
		var tpls api.Page[api.PolicyTemplate]
		e.do("viewer", "GET", "/api/v1/policy-templates", nil, 200, &tpls)
		ids := map[string]bool{}
		for _, tp := range tpls.Items {
			ids[tp.ID] = true
		}
		if len(tpls.Items) != 18 || !ids["access-control"] || ids["privacy"] {
			t.Fatalf("templates offered with Security alone in scope: %d, privacy %v", len(tpls.Items), ids["privacy"])
		}
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"template": "no-such", "owner_id": e.users["member"], "approvers": []int64{e.users["owner"]}}, "template"},
			{map[string]any{"template": "privacy", "owner_id": e.users["member"], "approvers": []int64{e.users["owner"]}}, "template"},
			{map[string]any{"template": "access-control", "owner_id": e.users["member"]}, "approvers"},
			{map[string]any{"template": "access-control", "owner_id": e.users["member"], "approvers": []int64{e.users["viewer"]}}, "approvers"},
			{map[string]any{"template": "access-control", "owner_id": e.users["member"], "approvers": []int64{e.users["owner"]}, "quorum": 2}, "quorum"},
		} {
			b := e.do("admin", "POST", "/api/v1/policies/adopt", c.body, 400, nil)
			if !strings.Contains(string(b), `"field":"`+c.field+`"`) {
				t.Errorf("%v: %s, want the field %s named", c.body, b, c.field)
			}
		}
		var p api.PolicyView
		e.do("admin", "POST", "/api/v1/policies/adopt", map[string]any{"template": "access-control", "owner_id": e.users["member"],
			"approvers": []int64{e.users["owner"], e.users["member"]}, "quorum": 2}, 201, &p)
		if p.Key != "POL-001" || p.ReviewState != "unpublished" || p.Latest.State != vigil.PolicyDraft ||
			strings.Contains(p.Latest.Body, "{{") || !strings.Contains(p.Latest.Body, "Acme") || len(p.Criteria) == 0 {
			t.Fatalf("adopted: %+v", p)
		}
		path := "/api/v1/policies/1"
		// The member owns the policy and edits it: from then on the member
		// may not approve it, so a quorum of two of {owner, member} cannot
		// be reached and submission says so.
		e.do("member", "PUT", path+"/draft", map[string]any{"body": p.Latest.Body + "\nAccess is reviewed quarterly.\n", "change_summary": "quarterly"}, 200, nil)
		if b := e.do("member", "POST", path+"/submit", nil, 409, nil); !strings.Contains(string(b), "quorum") {
			t.Errorf("submit without enough eligible approvers: %s", b)
		}
		// With an approver who wrote none of it, it goes through.
		var u vigil.User
		e.do("admin", "POST", "/api/v1/users", map[string]any{"email": "approver@example.com", "name": "Second Approver", "role": "member"}, 201, &u)
		actx := vigil.WithActor(context.Background(), vigil.Actor{UserID: u.ID, Name: u.Email, Role: vigil.RoleMember})
		sec, h, _ := auth.NewSecret(auth.TokenPrefix)
		if err := e.store.CreateToken(actx, &vigil.APIToken{UserID: u.ID, Name: "test", Role: vigil.RoleMember, Prefix: auth.DisplayPrefix(sec)}, h); err != nil {
			t.Fatal(err)
		}
		e.tokens["approver"] = sec
		e.do("member", "PATCH", path, map[string]any{"approvers": []int64{e.users["owner"]}}, 403, nil)
		e.do("admin", "PATCH", path, map[string]any{"approvers": []int64{e.users["owner"], e.users["auditor"]}}, 400, nil)
		e.do("admin", "PATCH", path, map[string]any{"approvers": []int64{e.users["owner"], e.users["member"], e.users["admin"], u.ID}}, 200, nil)
		e.do("member", "POST", path+"/submit", nil, 200, nil)
		e.do("member", "PUT", path+"/draft", map[string]any{"body": "after submission"}, 409, nil)
		e.do("viewer", "POST", path+"/approve", map[string]any{}, 403, nil)
		if b := e.do("member", "POST", path+"/approve", map[string]any{}, 403, nil); !strings.Contains(string(b), "edited") {
			t.Errorf("the editor approving: %s", b)
		}
		// The admin adopted the template, so wrote version 1 too.
		if b := e.do("admin", "POST", path+"/approve", map[string]any{}, 403, nil); !strings.Contains(string(b), "edited") {
			t.Errorf("the adopting admin approving: %s", b)
		}
		e.do("owner", "POST", path+"/approve", map[string]any{"comment": "agreed"}, 200, nil)
		e.do("owner", "POST", path+"/approve", map[string]any{"comment": "agreed"}, 409, nil)
		e.do("member", "POST", path+"/publish", map[string]any{}, 409, nil) // one of two approvals
		var got api.PolicyView
		e.do("approver", "POST", path+"/approve", map[string]any{"comment": "fine"}, 200, &got)
		if got.Latest.State != vigil.PolicyApproved {
			t.Fatalf("after the quorum: %s", got.Latest.State)
		}
		e.do("member", "POST", path+"/publish", map[string]any{"effective_date": "2027-02-30"}, 400, nil)
		e.do("approver", "POST", path+"/publish", map[string]any{}, 403, nil) // an approver, not the owner
		e.do("member", "POST", path+"/publish", map[string]any{"effective_date": "2027-01-01"}, 200, &got)
		if got.Published == nil || got.Published.Effective != "2027-01-01" || got.ReviewState != "current" || got.ReviewDue == "" {
			t.Fatalf("published: %+v", got)
		}
		var ctl api.ControlView
		e.do("viewer", "GET", "/api/v1/controls/GV-01", nil, 200, &ctl)
		found := false
		for _, s := range ctl.Health.Signals {
			if s.Source == "policy" {
				found = true
				if s.Status != vigil.SignalOK || !strings.Contains(s.Reason, "POL-001") {
					t.Errorf("GV-01's policy signal: %+v", s)
				}
			}
		}
		if !found {
			t.Errorf("GV-01 has no policy signal: %+v", ctl.Health.Signals)
		}
		var v1 vigil.PolicyVersion
		e.do("auditor", "GET", path+"/versions/1", nil, 200, &v1)
		if v1.SHA256 != vigil.PolicyBodySHA256(v1.Body) || len(v1.Approvals) != 2 {
			t.Errorf("version 1: %+v", v1)
		}
		e.do("auditor", "GET", path+"/versions/2", nil, 404, nil)
		e.do("auditor", "GET", path+"/versions/x", nil, 400, nil)
		// Version 2, and the words that changed.
		e.do("member", "POST", path+"/versions", map[string]any{"body": strings.Replace(v1.Body, "quarterly", "monthly", 1), "change_summary": "monthly"}, 201, nil)
		var diff api.PolicyDiff
		e.do("auditor", "GET", path+"/diff?from=1&to=2", nil, 200, &diff)
		var ins, del string
		for _, c := range diff.Changes {
			switch c.Op {
			case "insert":
				ins += c.Text
			case "delete":
				del += c.Text
			}
		}
		if strings.TrimSpace(ins) != "monthly" || strings.TrimSpace(del) != "quarterly" {
			t.Errorf("diff: inserted %q, deleted %q", ins, del)
		}
		e.do("auditor", "GET", path+"/diff?from=1", nil, 400, nil)
		e.do("auditor", "GET", path+"/diff?from=1&to=9", nil, 404, nil)
	})
}

// The draft's preview refuses what the draft would refuse, before
// rendering it: a text over the size limit gets the field's error and no
// preview.
func TestPolicyPreviewBounded(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"GV-01"}, "owner_id": e.users["member"]}, 200, nil)
	e.do("admin", "POST", "/api/v1/policies/adopt", map[string]any{"template": "backup", "owner_id": e.users["member"],
		"approvers": []int64{e.users["owner"]}}, 201, nil)
	sess := e.sessions()["member"]
	status, body, _ := e.page(&sess, "POST", "/policies/1/draft", url.Values{"action": {"preview"}, "body": {strings.Repeat("a", vigil.MaxPolicyBodyLen+1)}})
	if status != 422 || !strings.Contains(body, "KiB") || strings.Contains(body, `id="preview"`) {
		i := strings.Index(body, "<main")
		t.Errorf("an oversized preview: %d %.600s", status, body[max(i, 0):])
	}
	status, body, _ = e.page(&sess, "POST", "/policies/1/draft", url.Values{"action": {"preview"}, "body": {"# Short\n\ntext"}})
	if status != 200 || !strings.Contains(body, `id="preview"`) {
		t.Errorf("a preview: %d", status)
	}
}
