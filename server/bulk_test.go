package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vigil-soc/vigil"
)

type bulkAnswer struct {
	Items []struct {
		vigil.Control
		Health vigil.Health `json:"health"`
	} `json:"items"`
	Updated   []string `json:"updated"`
	Unchanged []string `json:"unchanged"`
}

// controlState reads controls straight from the store, and the number of
// activity entries, to show that a refused batch changed nothing.
func (e *env) controlState(ids ...string) string {
	e.t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, id := range ids {
		c, err := e.store.Control(ctx, id)
		if err != nil {
			e.t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s:%s/%d/%s/%q ", c.ID, c.Status, c.OwnerID, c.Frequency, c.Justification)
	}
	acts, err := e.store.ListActivity(ctx, vigil.ActivityFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	fmt.Fprintf(&b, "activity=%d", len(acts))
	return b.String()
}

func TestBulkControlEdit(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ids := []string{"AC-01", "AC-02", "AC-03", "AC-04", "AC-05"}
		e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": ids}, 200, nil)
		member := e.users["member"]

		// One request sets owner and frequency on three controls, one
		// activity entry each.
		var res bulkAnswer
		e.do("admin", "PATCH", "/api/v1/controls", map[string]any{"ids": []string{"AC-01", "ac-02 ", "AC-03"}, "set": map[string]any{"owner_id": member, "frequency": "monthly"}}, 200, &res)
		if len(res.Items) != 3 || !slices.Equal(res.Updated, []string{"AC-01", "AC-02", "AC-03"}) || len(res.Unchanged) != 0 {
			t.Fatalf("bulk answer %+v", res)
		}
		for _, c := range res.Items {
			if c.OwnerID != member || c.OwnerName != "The member" || c.Frequency != vigil.FreqMonthly {
				t.Fatalf("%s after the bulk change: %+v", c.ID, c.Control)
			}
		}
		for _, id := range []string{"AC-01", "AC-02", "AC-03"} {
			acts, err := e.store.ListActivity(context.Background(), vigil.ActivityFilter{Action: "control.update", EntityID: id})
			if err != nil || len(acts) != 1 || acts[0].ActorID != e.users["admin"] {
				t.Fatalf("activity of %s: %+v %v", id, acts, err)
			}
		}

		// All or nothing: AC-04 has no owner, so it cannot be marked
		// implemented, and AC-01 and AC-02 must not be either.
		before := e.controlState(ids...)
		b := e.do("admin", "PATCH", "/api/v1/controls", map[string]any{"ids": []string{"AC-01", "AC-04", "AC-02"}, "set": map[string]any{"status": "implemented"}}, 400, nil)
		code, msg, field := apiError(t, b)
		if code != "invalid" || field != "status" || !strings.Contains(msg, "AC-04") || !strings.Contains(msg, "without an owner") || strings.Contains(msg, "AC-01") || !strings.Contains(msg, "no control was changed") {
			t.Fatalf("refused batch: %s %q %s", code, msg, field)
		}
		if after := e.controlState(ids...); after != before {
			t.Fatalf("a refused batch changed something:\n%s\n%s", before, after)
		}

		// Every control at fault is named, grouped by reason.
		b = e.do("admin", "PATCH", "/api/v1/controls", map[string]any{"ids": []string{"AC-04", "AC-01", "AC-05"}, "set": map[string]any{"status": "implemented"}}, 400, nil)
		if _, msg, _ := apiError(t, b); !strings.Contains(msg, "2 of 3") || !strings.Contains(msg, "AC-04, AC-05") || strings.Contains(msg, "AC-01") {
			t.Fatalf("two refusals: %q", msg)
		}
		b = e.do("admin", "PATCH", "/api/v1/controls", map[string]any{"ids": []string{"AC-01", "AC-02"}, "set": map[string]any{"status": "not_applicable"}}, 400, nil)
		if _, msg, field := apiError(t, b); field != "justification" || !strings.Contains(msg, "AC-01, AC-02: a control marked not applicable needs a justification") {
			t.Fatalf("not applicable without a justification: %q %s", msg, field)
		}
		b = e.do("admin", "PATCH", "/api/v1/controls", map[string]any{"ids": []string{"AC-01", "ZZ-99"}, "set": map[string]any{"frequency": "weekly"}}, 404, nil)
		if _, msg, _ := apiError(t, b); !strings.Contains(msg, "ZZ-99 not found") {
			t.Fatalf("unknown control: %q", msg)
		}
		b = e.do("admin", "PATCH", "/api/v1/controls", map[string]any{"ids": []string{"AC-01"}, "set": map[string]any{"owner_id": e.users["auditor"]}}, 400, nil)
		if _, msg, field := apiError(t, b); field != "owner_id" || !strings.Contains(msg, "cannot own controls") {
			t.Fatalf("auditor as owner: %q %s", msg, field)
		}
		if after := e.controlState(ids...); after != before {
			t.Fatalf("refused batches changed something:\n%s\n%s", before, after)
		}

		// Bad input is named.
		for _, bad := range []struct {
			body  string
			field string
			want  string
		}{
			{`{"ids":[],"set":{"status":"in_progress"}}`, "ids", "at least one control"},
			{`{"ids":["AC-01"," "],"set":{"status":"in_progress"}}`, "ids", "ids[1] is empty"},
			{`{"ids":["AC-01"],"set":{}}`, "set", "nothing to change"},
			{`{"ids":["AC-01"],"set":{"title":"x"}}`, "title", "unknown field"},
			{`{"ids":["AC-01"],"set":{"status":"done"}}`, "status", `unknown status "done"`},
			{`{"ids":"AC-01","set":{"status":"in_progress"}}`, "ids", ""},
		} {
			status, b := e.raw("admin", "PATCH", "/api/v1/controls", strings.NewReader(bad.body), map[string]string{"Content-Type": "application/json"})
			if status != 400 {
				t.Fatalf("%s: %d %s", bad.body, status, b)
			}
			if _, msg, field := apiError(t, b); !strings.Contains(field, bad.field) && !strings.Contains(msg, bad.field) || !strings.Contains(msg, bad.want) {
				t.Fatalf("%s: %q %q, want field %s and %q", bad.body, msg, field, bad.field, bad.want)
			}
		}
		if after := e.controlState(ids...); after != before {
			t.Fatalf("bad input changed something:\n%s\n%s", before, after)
		}

		// Members: their own controls, under the single edit's rules.
		e.do("member", "PATCH", "/api/v1/controls", map[string]any{"ids": []string{"AC-01", "AC-02"}, "set": map[string]any{"status": "in_progress"}}, 200, &res)
		if len(res.Updated) != 2 {
			t.Fatalf("member's bulk change: %+v", res)
		}
		before = e.controlState(ids...)
		b = e.do("member", "PATCH", "/api/v1/controls", map[string]any{"ids": []string{"AC-03", "AC-05"}, "set": map[string]any{"status": "in_progress"}}, 403, nil)
		if _, msg, _ := apiError(t, b); !strings.Contains(msg, "AC-05 is owned by someone else") {
			t.Fatalf("member on a control they do not own: %q", msg)
		}
		e.do("member", "PATCH", "/api/v1/controls", map[string]any{"ids": []string{"AC-03"}, "set": map[string]any{"owner_id": 0}}, 403, nil)
		e.do("auditor", "PATCH", "/api/v1/controls", map[string]any{"ids": []string{"AC-03"}, "set": map[string]any{"status": "in_progress"}}, 403, nil)
		if after := e.controlState(ids...); after != before {
			t.Fatalf("refused member batches changed something:\n%s\n%s", before, after)
		}

		// A batch that changes nothing writes nothing.
		e.do("admin", "PATCH", "/api/v1/controls", map[string]any{"ids": []string{"AC-01", "AC-02", "AC-03"}, "set": map[string]any{"status": "in_progress"}}, 200, &res)
		if !slices.Equal(res.Updated, []string{"AC-03"}) || !slices.Equal(res.Unchanged, []string{"AC-01", "AC-02"}) {
			t.Fatalf("partly unchanged: %+v", res)
		}
		acts, _ := e.store.ListActivity(context.Background(), vigil.ActivityFilter{Action: "control.update", EntityID: "AC-01"})
		if len(acts) != 2 {
			t.Fatalf("AC-01 has %d updates, want 2 (owner, then status)", len(acts))
		}
		var v vigil.ChainVerification
		e.do("auditor", "GET", "/api/v1/activity/verify", nil, 200, &v)
		if !v.OK {
			t.Fatalf("activity chain: %+v", v)
		}
	})
}

// TestBulkConcurrent sends batches over the same controls at once, each in
// its own order: each batch lands whole, so every control ends with the
// value of one batch, and each batch's activity entries are contiguous.
func TestBulkConcurrent(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ids := []string{"AC-01", "AC-02", "AC-03", "AC-04", "AC-05", "AC-06"}
		e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": ids}, 200, nil)
		// One value to start from: then each batch changes all six or none.
		var setup bulkAnswer
		e.do("admin", "PATCH", "/api/v1/controls", map[string]any{"ids": ids, "set": map[string]any{"frequency": "continuous"}}, 200, &setup)
		freqs := []string{"daily", "weekly", "monthly", "quarterly", "annual", "event"}
		var wg sync.WaitGroup
		errs := make(chan string, len(freqs)*2)
		for round := 0; round < 2; round++ {
			for i, f := range freqs {
				order := slices.Clone(ids)
				if i%2 == 1 {
					slices.Reverse(order)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					body, _ := json.Marshal(map[string]any{"ids": order, "set": map[string]any{"frequency": f}})
					if status, b := e.raw("admin", "PATCH", "/api/v1/controls", strings.NewReader(string(body)), map[string]string{"Content-Type": "application/json"}); status != 200 {
						errs <- fmt.Sprintf("%s: %d %s", f, status, b)
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		cs, err := e.store.ListControls(context.Background(), vigil.ControlFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Frequency != cs[0].Frequency {
				t.Fatalf("controls ended mixed: %s %s, %s %s", cs[0].ID, cs[0].Frequency, c.ID, c.Frequency)
			}
		}
		acts, err := e.store.ListActivity(context.Background(), vigil.ActivityFilter{Action: "control.update"})
		if err != nil {
			t.Fatal(err)
		}
		slices.Reverse(acts) // oldest first
		// Entries of one batch are contiguous: at most one run per batch
		// (a batch that found its value in place writes none).
		var runs []string
		for _, a := range acts {
			var after vigil.Control
			if err := json.Unmarshal(a.After, &after); err != nil {
				t.Fatal(err)
			}
			if len(runs) == 0 || runs[len(runs)-1] != string(after.Frequency) {
				runs = append(runs, string(after.Frequency))
			}
		}
		if len(runs) > len(freqs)*2+1 {
			t.Fatalf("batches interleaved in the activity log: %v", runs)
		}
		if n := len(acts) - len(setup.Updated); n <= 0 || n%len(ids) != 0 {
			t.Fatalf("%d activity entries from the batches: not whole batches of %d", n, len(ids))
		}
	})
}

// TestBulkPage drives the controls list's bulk form without JavaScript:
// ticked rows and a plain POST; a refusal shows the list again with the
// selection kept and the controls at fault named.
func TestBulkPage(t *testing.T) {
	e := newEnv(t, "sqlite")
	ids := []string{"AC-01", "AC-02", "AC-03"}
	e.do("admin", "POST", "/api/v1/controls/adopt", map[string]any{"ids": ids}, 200, nil)
	e.do("admin", "PATCH", "/api/v1/controls/AC-01", map[string]any{"owner_id": e.users["member"]}, 200, nil)
	sess := e.sessions()
	admin, member, auditor := sess["admin"], sess["member"], sess["auditor"]

	status, body, _ := e.page(&admin, "GET", "/controls?domain=AC", nil)
	if status != 200 || !strings.Contains(body, `action="/controls/bulk"`) || strings.Count(body, `name="id"`) != 3 || !strings.Contains(body, `name="owner_id"`) {
		t.Fatalf("admin's list: %d\n%s", status, body)
	}
	// Members tick only their own controls and set no owner.
	_, body, _ = e.page(&member, "GET", "/controls", nil)
	if strings.Count(body, `name="id"`) != 1 || !strings.Contains(body, `value="AC-01" aria-label="Tick AC-01"`) || strings.Contains(body, `name="owner_id"`) {
		t.Fatalf("member's list:\n%s", body)
	}
	_, body, _ = e.page(&auditor, "GET", "/controls", nil)
	if strings.Contains(body, `action="/controls/bulk"`) || strings.Contains(body, `name="id"`) {
		t.Fatal("an auditor got the bulk form")
	}

	// Refused: AC-02 has no owner; nothing changes; the ticks are kept.
	before := e.controlState(ids...)
	status, body, _ = e.page(&admin, "POST", "/controls/bulk", url.Values{"id": {"AC-01", "AC-02"}, "status": {"implemented"}, "back": {"domain=AC"}})
	if status != 400 || !strings.Contains(body, "Nothing was changed: 1 of the 2 ticked") || !strings.Contains(body, "control AC-02 cannot be marked implemented without an owner") ||
		!strings.Contains(body, `value="AC-01" aria-label="Tick AC-01" checked`) || !strings.Contains(body, `value="AC-02" aria-label="Tick AC-02" checked`) ||
		strings.Contains(body, `value="AC-03" aria-label="Tick AC-03" checked`) || !strings.Contains(body, `<option value="implemented" selected>`) {
		t.Fatalf("refused bulk form: %d\n%s", status, body)
	}
	if after := e.controlState(ids...); after != before {
		t.Fatalf("a refused form changed something:\n%s\n%s", before, after)
	}
	for _, bad := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"status": {"in_progress"}}, "tick at least one control"},
		{url.Values{"id": {"AC-01"}}, "choose an owner, a status or a frequency"},
		{url.Values{"id": {"AC-01"}, "owner_id": {"x"}}, "choose an owner from the list"},
	} {
		status, body, _ := e.page(&admin, "POST", "/controls/bulk", bad.form)
		if status != 400 || !strings.Contains(body, bad.want) {
			t.Fatalf("%v: %d, want %q\n%s", bad.form, status, bad.want, body)
		}
	}

	// Accepted: back to the same list with what changed.
	status, _, hdr := e.page(&admin, "POST", "/controls/bulk", url.Values{"id": {"AC-02", "AC-03"}, "owner_id": {fmt.Sprint(e.users["member"])}, "frequency": {"weekly"}, "back": {"domain=AC&cursor=x"}})
	if status != 303 || hdr.Get("Location") != "/controls?domain=AC" {
		t.Fatalf("accepted bulk form: %d to %q", status, hdr.Get("Location"))
	}
	for _, id := range []string{"AC-02", "AC-03"} {
		c, _ := e.store.Control(context.Background(), id)
		if c.OwnerID != e.users["member"] || c.Frequency != vigil.FreqWeekly {
			t.Fatalf("%s after the form: %+v", id, c)
		}
	}
	// The member may now move their three controls along at once.
	status, _, hdr = e.page(&member, "POST", "/controls/bulk", url.Values{"id": ids, "status": {"in_progress"}})
	if status != 303 {
		t.Fatalf("member's bulk form: %d", status)
	}
	if flash, _ := url.QueryUnescape(hdr.Get("Set-Cookie")); !strings.Contains(flash, "Updated 3 control(s): AC-01, AC-02, AC-03.") {
		t.Fatalf("flash after the bulk change: %q", flash)
	}
}
