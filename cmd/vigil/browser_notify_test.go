package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/vigil-soc/vigil/notify"
)

// TestBrowserNotifications: an admin adds a Slack channel (a plain-http
// URL to another host is refused beside the field, and the URL typed is
// not echoed back), adds a signed webhook and is shown its key once,
// sends it a test, and sees it delivered in the log; the receiver
// verifies the signature with the key the page showed.
func TestBrowserNotifications(t *testing.T) {
	var mu sync.Mutex
	var bodies [][]byte
	var heads []http.Header
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies, heads = append(bodies, b), append(heads, r.Header.Clone())
		mu.Unlock()
	}))
	defer rec.Close()

	// The receiver is on this machine: the server must be told webhooks
	// may reach it.
	w, setupLink := startBrowserWith(t, func(m *Main) { m.NotifyPrivateNetworks = true })
	w.open(setupLink)
	w.fill("#org", "Acme Cloud")
	w.fill("#name", "Olive Owner")
	w.fill("#email", "olive@acme.test")
	w.fill("#password", "olive's long password")
	w.submit("create owner", `form[action="/setup"] button[type=submit]`)
	w.enrolTOTP()
	w.open("/settings")
	w.click(`a[href="/settings/notifications"]`)
	w.do("wait for the page", chromedp.WaitVisible(chromedp.CSS("#channels")))
	w.fill("#n-name", "ops")
	w.fill("#n-kind", "slack")
	w.fill("#n-target", "http://hooks.example.com/services/T0/B0/secretpart")
	w.submit("add slack over http", `form[action="/settings/notifications"] button[type=submit]`)
	if !strings.Contains(w.text(".field-error"), "https") || strings.Contains(get(w, "the form", chromedp.OuterHTML(chromedp.CSS("main"))), "secretpart") {
		t.Fatalf("a plain-http webhook: %s", w.text("main"))
	}
	w.shot("130-notifications-error")
	w.fill("#n-name", "siem")
	w.fill("#n-kind", "webhook")
	w.fill("#n-target", rec.URL+"/hook")
	w.submit("add webhook", `form[action="/settings/notifications"] button[type=submit]`)
	key := w.text(`[data-testid=signing-key]`)
	if !strings.HasPrefix(key, "whsec_") {
		t.Fatalf("no signing key shown: %s", w.text("main"))
	}
	w.shot("131-notifications-key")
	w.open("/settings/notifications")
	if w.count(`[data-testid=signing-key]`) != 0 {
		t.Fatal("the signing key is shown again")
	}
	w.submit("test", `form[action$="/test"] button[type=submit]`)
	deadline := time.Now().Add(15 * time.Second)
	for w.count(`#deliveries tr[data-state=delivered]`) == 0 && time.Now().Before(deadline) {
		time.Sleep(300 * time.Millisecond)
		w.open("/settings/notifications")
	}
	if w.count(`#deliveries tr[data-state=delivered]`) != 1 {
		t.Fatalf("the test was not delivered: %s", w.text("#deliveries"))
	}
	w.shot("132-notifications-delivered")
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 || notify.Verify(key, heads[0].Get("X-Vigil-Signature"), heads[0].Get("X-Vigil-Timestamp"), bodies[0], time.Now()) != nil {
		t.Fatalf("the receiver got %d messages, or cannot verify the first with the key the page showed", len(bodies))
	}
}
