package server_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
)

// TestNotificationChannelsAPI: channels are added with their errors named
// by field, listed without their credentials, tested (the delivery is in
// the log) and deleted, on both engines.
func TestNotificationChannelsAPI(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		rec := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		defer rec.Close()
		var bad struct {
			Error struct{ Field, Message string }
		}
		e.do("admin", "POST", "/api/v1/notification-channels", map[string]any{"name": "ops", "kind": "slack", "target": "http://hooks.example.com/services/T/B/secret"}, 400, &bad)
		if bad.Error.Field != "target" || !strings.Contains(bad.Error.Message, "https") {
			t.Fatalf("plain http to another host: %+v", bad)
		}
		e.do("admin", "POST", "/api/v1/notification-channels", map[string]any{"name": "ops", "kind": "email", "target": "ops@acme.test"}, 400, &bad)
		if bad.Error.Field != "kind" || !strings.Contains(bad.Error.Message, "--smtp-addr") {
			t.Fatalf("email without mail: %+v", bad)
		}
		var ch vigil.Channel
		e.do("admin", "POST", "/api/v1/notification-channels", map[string]any{"name": "siem", "kind": "webhook", "target": rec.URL + "/in/secret-path"}, 201, &ch)
		if !strings.HasPrefix(ch.Secret, "whsec_") || ch.Target != "" {
			t.Fatalf("created: %+v", ch)
		}
		var list api.Page[vigil.Channel]
		e.do("owner", "GET", "/api/v1/notification-channels", nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].Secret != "" || strings.Contains(list.Items[0].Shown, "secret-path") {
			t.Fatalf("listed: %+v", list.Items)
		}
		id := strconv.FormatInt(ch.ID, 10)
		e.do("admin", "POST", "/api/v1/notification-channels/"+id+"/test", nil, 202, nil)
		var log api.Page[vigil.Delivery]
		e.do("admin", "GET", "/api/v1/notification-deliveries?channel="+id, nil, 200, &log)
		if len(log.Items) != 1 || log.Items[0].State != vigil.DeliveryPending || log.Items[0].Event != "test" {
			t.Fatalf("log: %+v", log.Items)
		}
		e.do("admin", "GET", "/api/v1/notification-deliveries?state=lost", nil, 400, &bad)
		if bad.Error.Field != "state" {
			t.Fatalf("bad state filter: %+v", bad)
		}
		e.do("admin", "DELETE", "/api/v1/notification-channels/"+id, nil, 204, nil)
		e.do("admin", "GET", "/api/v1/notification-deliveries?channel="+id, nil, 200, &log)
		if log.Items[0].State != vigil.DeliveryDead {
			t.Fatalf("after deletion: %+v", log.Items)
		}
		e.do("admin", "POST", "/api/v1/notification-channels/"+id+"/test", nil, 404, nil)
	})
}
