package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/client"
)

// The server's answers here are shaped as server/respond.go writes them;
// the client against the real server is exercised by every CLI and agent
// test (cmd/vigil, agent).

func TestRefusalKeepsStatusAndCode(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		io.WriteString(w, `{"error":{"code":"conflict","message":"report 7 was already taken","field":"seq"}}`)
	}))
	defer srv.Close()
	_, err := client.New(srv.URL, "vga_x").AgentState(context.Background())
	if client.StatusOf(err) != 409 || vigil.ErrorCode(err) != vigil.ECONFLICT || vigil.ErrorField(err) != "seq" {
		t.Fatalf("err = %v (status %d, code %s)", err, client.StatusOf(err), vigil.ErrorCode(err))
	}
	var ve *vigil.Error
	if !errors.As(err, &ve) || ve.Message != "report 7 was already taken" {
		t.Fatalf("the server's message is lost: %v", err)
	}
}

func TestProxyAnswerIsAnErrorWithItsStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
	}))
	defer srv.Close()
	_, err := client.New(srv.URL, "t").Me(context.Background())
	if client.StatusOf(err) != 502 || !strings.Contains(err.Error(), "HTTP 502") {
		t.Fatalf("err = %v", err)
	}
}

func TestUnreachableIsUnavailableWithoutStatus(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := client.New(url, "t").Me(context.Background())
	if vigil.ErrorCode(err) != vigil.EUNAVAILABLE || client.StatusOf(err) != 0 {
		t.Fatalf("err = %v", err)
	}
}

// An answer over the cap is refused whole: never a value decoded from its
// first bytes.
func TestAnswerOverTheCapIsRefused(t *testing.T) {
	big := `{"seq": 1, "agent_id": 2, "pad": "` + strings.Repeat("x", 2<<20) + `"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, big)
	}))
	defer srv.Close()
	c := client.New(srv.URL, "t")
	c.MaxBody = 1 << 20
	st, err := c.AgentState(context.Background())
	if vigil.ErrorCode(err) != vigil.ETOOLARGE || st != nil {
		t.Fatalf("st = %v, err = %v", st, err)
	}
	c.MaxBody = 4 << 20
	if st, err = c.AgentState(context.Background()); err != nil || st.Seq != 1 {
		t.Fatalf("under the cap: %v, %v", st, err)
	}
}

// Text identifiers are escaped into the path; numbers are written as such.
func TestPathParameters(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.EscapedPath())
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	c := client.New(srv.URL, "t")
	ctx := context.Background()
	if _, err := c.GetControl(ctx, "AC/01 x"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetAgent(ctx, 42); err != nil {
		t.Fatal(err)
	}
	want := []string{"/api/v1/controls/AC%2F01%20x", "/api/v1/agents/42"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Fatalf("paths %v, want %v", paths, want)
	}
}

// A spooled report goes as its bytes, not decoded and encoded again.
func TestSendReportBytesSendsTheBytes(t *testing.T) {
	report := `{"seq":3,  "scanned_at":"2026-12-07T10:00:00Z","results":[]}`
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
		if r.Header.Get("Authorization") != "Bearer vga_cred" || r.Method != "POST" || r.URL.Path != "/api/v1/agent/reports" {
			t.Errorf("request %s %s auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"agent_id":5,"seq":3}`)
	}))
	defer srv.Close()
	acc, err := client.New(srv.URL, "vga_cred").SendReportBytes(context.Background(), []byte(report))
	if err != nil || acc.Seq != 3 || acc.AgentID != 5 {
		t.Fatalf("%v %v", acc, err)
	}
	if got != report {
		t.Fatalf("sent %q", got)
	}
}
