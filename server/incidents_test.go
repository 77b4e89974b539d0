package server_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
)

func signalOf(h vigil.Health, source string) *vigil.Signal {
	for i := range h.Signals {
		if h.Signals[i].Source == source {
			return &h.Signals[i]
		}
	}
	return nil
}

// TestIncidentsAPI walks an incident over HTTP on both engines: opened by
// a tool's token twice with one dedup key (one incident), bad input named
// by its field, a timeline entry from a member, a notification owed and
// sent, resolution with the root cause, review with an action, closure
// sealed into a ledger that verifies, and IR-02 healthy on the record.
func TestIncidentsAPI(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": []string{"IR-02", "IR-04", "IR-05", "BC-02"}, "owner_id": e.users["admin"]}, 200, nil)
		for _, id := range []string{"IR-02", "IR-04", "IR-05", "BC-02"} {
			e.do("admin", "PATCH", "/api/v1/controls/"+id, map[string]any{"status": "implemented"}, 200, nil)
		}
		// No incident: IR-02 is not healthy, and says why.
		var ctl api.ControlDetail
		e.do("viewer", "GET", "/api/v1/controls/IR-02", nil, 200, &ctl)
		if s := signalOf(ctl.Health, "incidents"); ctl.Health.Passing() || s == nil || !strings.Contains(s.Reason, "no incident") {
			t.Fatalf("IR-02 with no incidents: %+v", ctl.Health)
		}

		now := time.Now().UTC()
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"title": "x", "severity": "SEV9"}, "severity"},
			{map[string]any{"severity": "SEV1"}, "title"},
			{map[string]any{"title": "x", "severity": "SEV1", "detected_at": now.Add(-time.Hour), "declared_at": now.Add(-2 * time.Hour)}, "declared_at"},
			{map[string]any{"title": "x", "severity": "SEV1", "systems": []int64{424242}}, "systems"},
		} {
			b := e.do("member", "POST", "/api/v1/incidents", tc.body, 400, nil)
			if _, _, field := apiError(t, b); field != tc.field {
				t.Errorf("%v: field %q, want %q (%s)", tc.body, field, tc.field, b)
			}
		}
		e.do("viewer", "POST", "/api/v1/incidents", map[string]any{"title": "x", "severity": "SEV1"}, 403, nil)
		alert := map[string]any{"title": "Error rate above 5% on checkout", "severity": "SEV2", "dedup_key": "pagerduty:P123", "source": "pagerduty",
			"detected_at": now.Add(-2 * time.Hour), "declared_at": now.Add(-time.Hour)}
		var x, again api.IncidentOpened
		e.do("member", "POST", "/api/v1/incidents", alert, 201, &x)
		e.do("member", "POST", "/api/v1/incidents", alert, 200, &again)
		if !x.Created || again.Created || again.ID != x.ID || x.Key != "INC-001" {
			t.Fatalf("a retried alert: %+v / %+v", x, again)
		}
		var list api.Page[vigil.Incident]
		e.do("viewer", "GET", "/api/v1/incidents?status=open&severity=sev2", nil, 200, &list)
		if len(list.Items) != 1 {
			t.Fatalf("the register after a retry: %+v", list.Items)
		}
		b := e.do("viewer", "GET", "/api/v1/incidents?severity=SEV7", nil, 400, nil)
		if _, _, f := apiError(t, b); f != "severity" {
			t.Fatalf("an unknown severity filter: %s", b)
		}
		path := fmt.Sprintf("/api/v1/incidents/%d", x.ID)
		e.do("member", "POST", path+"/events", map[string]any{"text": "Rolled back release 2026.12.1"}, 201, nil)
		var n vigil.IncidentNotification
		e.do("admin", "POST", path+"/notifications", map[string]any{"audience": "customers", "due_hours": 72}, 201, &n)
		if !n.DueAt.Equal(x.DeclaredAt.Add(72 * time.Hour)) {
			t.Fatalf("due 72 hours after declaration: %+v (declared %s)", n, x.DeclaredAt)
		}
		b = e.do("admin", "POST", fmt.Sprintf("%s/notifications/%d/sent", path, n.ID), map[string]any{"sent_at": now.Add(-3 * time.Hour)}, 400, nil)
		if _, msg, f := apiError(t, b); f != "sent_at" || !strings.Contains(msg, "before the incident") {
			t.Fatalf("sent before the incident: %s", b)
		}
		e.do("admin", "POST", fmt.Sprintf("%s/notifications/%d/sent", path, n.ID), map[string]any{}, 200, &n)
		b = e.do("admin", "PATCH", path, map[string]any{"status": "resolved"}, 400, nil)
		if _, _, f := apiError(t, b); f != "root_cause" {
			t.Fatalf("resolved without root cause: %s", b)
		}
		e.do("admin", "PATCH", path, map[string]any{"status": "resolved", "root_cause": "A feature flag shipped enabled."}, 200, nil)
		b = e.do("admin", "POST", path+"/close", nil, 400, nil)
		if _, _, f := apiError(t, b); f != "review" {
			t.Fatalf("closing a SEV2 without review: %s", b)
		}
		var reviewed vigil.Incident
		e.do("admin", "POST", path+"/review", map[string]any{"summary": "Flags default to off from now on.",
			"actions": []map[string]any{{"title": "Lint flag defaults", "owner_id": e.users["member"], "due": now.AddDate(0, 0, 14).Format("2006-01-02")}}}, 200, &reviewed)
		if len(reviewed.Actions) != 1 {
			t.Fatalf("review: %+v", reviewed)
		}
		var closed vigil.Incident
		e.do("admin", "POST", "/api/v1/incidents/INC-001/close", nil, 200, &closed)
		if closed.Status != vigil.IncidentClosed || closed.EvidenceID == 0 {
			t.Fatalf("closed and sealed: %+v", closed)
		}
		var rep vigil.LedgerReport
		e.do("admin", "GET", "/api/v1/ledger/verify?blobs=true", nil, 200, &rep)
		if !rep.OK {
			t.Fatalf("the ledger after sealing: %+v", rep)
		}
		e.do("member", "POST", path+"/events", map[string]any{"text": "too late"}, 409, nil)
		e.do("viewer", "GET", "/api/v1/controls/IR-02", nil, 200, &ctl)
		if s := signalOf(ctl.Health, "incidents"); s == nil || s.Status != vigil.SignalOK || !s.Operating {
			t.Fatalf("IR-02 after a well-handled incident: %+v", ctl.Health)
		}
		e.do("viewer", "GET", "/api/v1/controls/IR-04", nil, 200, &ctl)
		if s := signalOf(ctl.Health, "incidents"); s == nil || s.Status != vigil.SignalOK {
			t.Fatalf("IR-04 after a notification sent on time: %+v", ctl.Health)
		}

		// Exercises: none is failing; a restore test with its evidence
		// passes BC-02; evidence of another control is refused.
		e.do("viewer", "GET", "/api/v1/controls/BC-02", nil, 200, &ctl)
		if s := signalOf(ctl.Health, "exercises"); s == nil || s.Status != vigil.SignalFail || ctl.Health.State != vigil.HealthFailing {
			t.Fatalf("BC-02 without a restore test: %+v", ctl.Health)
		}
		day := now.Format("2006-01-02")
		var ev vigil.Evidence
		status, body := e.raw("admin", "POST", "/api/v1/evidence?filename=restore.txt&control=BC-02&effective_start="+day, strings.NewReader("restored 1.2 TB in 41 minutes"), map[string]string{"Content-Type": "text/plain"})
		if status != 201 {
			t.Fatalf("upload: %d %s", status, body)
		}
		decodeJSON(t, body, &ev)
		ex := map[string]any{"kind": "restore", "scenario": "Restore production database to staging", "date": day, "participants": "Ops", "tested": "Nightly snapshot",
			"results": "Restored, checksums match", "outcome": "passed", "evidence_ids": []int64{ev.ID}}
		e.do("member", "POST", "/api/v1/exercises", ex, 403, nil)
		ex["kind"] = "tabletop"
		b = e.do("admin", "POST", "/api/v1/exercises", ex, 400, nil)
		if _, _, f := apiError(t, b); f != "evidence_ids" {
			t.Fatalf("a tabletop with BC-02's evidence: %s", b)
		}
		ex["kind"] = "restore"
		var rec vigil.Exercise
		e.do("admin", "POST", "/api/v1/exercises", ex, 201, &rec)
		e.do("viewer", "GET", "/api/v1/controls/BC-02", nil, 200, &ctl)
		if s := signalOf(ctl.Health, "exercises"); s == nil || s.Status != vigil.SignalOK || !strings.Contains(s.Reason, rec.Key) {
			t.Fatalf("BC-02 after a restore test: %+v", ctl.Health)
		}
		// Its evidence rejected on review: the restore test no longer
		// shows BC-02 operating.
		e.do("owner", "POST", "/api/v1/evidence/"+strconv.FormatInt(ev.ID, 10)+"/review", map[string]any{"state": "rejected", "reason": "the log is of another database"}, 200, nil)
		e.do("viewer", "GET", "/api/v1/controls/BC-02", nil, 200, &ctl)
		if s := signalOf(ctl.Health, "exercises"); s == nil || s.Status != vigil.SignalFail || !strings.Contains(s.Reason, "no evidence") {
			t.Fatalf("BC-02 after its evidence was rejected: %+v", ctl.Health)
		}
		b = e.do("admin", "PUT", "/api/v1/incident-rules", map[string]any{"review_days": 0, "tabletop_months": 12, "dr_months": 12, "restore_months": 3}, 400, nil)
		if _, _, f := apiError(t, b); f != "review_days" {
			t.Fatalf("review days 0: %s", b)
		}
	})
}
