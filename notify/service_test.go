package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/internal/pgtest"
	"github.com/vigil-soc/vigil/internal/smtptest"
	"github.com/vigil-soc/vigil/mail"
	"github.com/vigil-soc/vigil/notify"
	"github.com/vigil-soc/vigil/secret"
	"github.com/vigil-soc/vigil/store"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}

func engines(t *testing.T, fn func(t *testing.T, st *store.Store, box *secret.Box)) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			cfg := store.Config{DataDir: dir}
			if engine == "postgres" {
				cfg = store.Config{DatabaseURL: pgtest.Database(t)}
			}
			st, err := store.Open(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if _, err := st.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			box, err := secret.Load(filepath.Join(dir, "keys"), "")
			if err != nil {
				t.Fatal(err)
			}
			fn(t, st, box)
		})
	}
}

var admin = vigil.WithActor(context.Background(), vigil.Actor{Name: "admin", Role: vigil.RoleAdmin})

// receiver is a local HTTP endpoint that records what it is sent and
// answers as told.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
	answer atomic.Int32 // status to answer; 0: 200
	delay  atomic.Int64 // nanoseconds to wait before answering
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	stop := make(chan struct{})
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if d := time.Duration(r.delay.Load()); d > 0 {
			// The server notices a client gone only once the body is
			// read; the test's end releases a hanging answer.
			select {
			case <-time.After(d):
			case <-req.Context().Done():
				return
			case <-stop:
				return
			}
		}
		b, _ := io.ReadAll(req.Body)
		st := int(r.answer.Load())
		if st == 0 {
			st = 200
		}
		if st == http.StatusFound {
			http.Redirect(w, req, "https://elsewhere.example/hook", st)
			return
		}
		r.mu.Lock()
		if st < 300 {
			r.bodies, r.heads = append(r.bodies, b), append(r.heads, req.Header.Clone())
		}
		r.mu.Unlock()
		w.WriteHeader(st)
		w.Write([]byte("ok"))
	}))
	t.Cleanup(func() { close(stop); r.Close() })
	return r
}

func (r *receiver) got() ([][]byte, []http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...), append([]http.Header(nil), r.heads...)
}

// TestChannels: each kind of channel receives the notification in its
// receiver's documented shape (Slack text, a Teams Adaptive Card, a
// signed JSON webhook, a mail), and bad channel settings are refused by
// field.
func TestChannels(t *testing.T) {
	engines(t, func(t *testing.T, st *store.Store, box *secret.Box) {
		smtp := smtptest.Start(t)
		svc := &notify.Service{Store: st, Box: box, AllowPrivate: true, Mailer: mail.Config{Addr: smtp.Addr, From: "vigil@acme.test", Timeout: 2 * time.Second}}
		for _, bad := range []struct {
			c     vigil.Channel
			field string
			says  string
		}{
			{vigil.Channel{Name: "x", Kind: "pager", Target: "https://a.test/"}, "kind", "unknown channel kind"},
			{vigil.Channel{Name: "x", Kind: vigil.ChannelWebhook, Target: "http://hooks.example.com/x"}, "target", "https"},
			{vigil.Channel{Name: "x", Kind: vigil.ChannelSlack, Target: "ftp://hooks.slack.com/x"}, "target", "https"},
			{vigil.Channel{Name: "x", Kind: vigil.ChannelWebhook, Target: "https://user:pw@hooks.example.com/x"}, "target", "password"},
			{vigil.Channel{Name: "x", Kind: vigil.ChannelWebhook, Target: "/relative"}, "target", "absolute"},
			{vigil.Channel{Name: "x", Kind: vigil.ChannelEmail, Target: "a@x.test, b@x.test"}, "target", "one mail address"},
			{vigil.Channel{Name: "", Kind: vigil.ChannelEmail, Target: "a@x.test"}, "name", "name"},
		} {
			_, err := svc.CreateChannel(admin, &bad.c)
			if vigil.ErrorField(err) != bad.field || !strings.Contains(err.Error(), bad.says) {
				t.Errorf("%+v: %v", bad.c, err)
			}
		}
		if _, err := (&notify.Service{Store: st, Box: box}).CreateChannel(admin, &vigil.Channel{Name: "m", Kind: vigil.ChannelEmail, Target: "a@x.test"}); !strings.Contains(err.Error(), "--smtp-addr") {
			t.Errorf("an email channel without mail: %v", err)
		}

		hook, slack, teams := newReceiver(t), newReceiver(t), newReceiver(t)
		wh, err := svc.CreateChannel(admin, &vigil.Channel{Name: "siem", Kind: vigil.ChannelWebhook, Target: hook.URL + "/in?token=abc"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(wh.Secret, "whsec_") || wh.Target != "" || strings.Contains(wh.Shown, "token") {
			t.Fatalf("the webhook channel as returned: %+v", wh)
		}
		for _, c := range []vigil.Channel{{Name: "slack", Kind: vigil.ChannelSlack, Target: slack.URL + "/services/T0/B0/XXXX"},
			{Name: "teams", Kind: vigil.ChannelTeams, Target: teams.URL + "/workflows/abc"}, {Name: "security mail", Kind: vigil.ChannelEmail, Target: "security@acme.test"}} {
			if _, err := svc.CreateChannel(admin, &c); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.CreateChannel(admin, &vigil.Channel{Name: "slack", Kind: vigil.ChannelSlack, Target: slack.URL}); vigil.ErrorField(err) != "name" {
			t.Fatalf("a second channel named slack: %v", err)
		}
		cs, err := st.Channels(admin)
		if err != nil || len(cs) != 4 {
			t.Fatalf("channels: %d %v", len(cs), err)
		}
		for _, c := range cs {
			if c.Target != "" || c.Secret != "" || strings.Contains(c.Shown, "XXXX") {
				t.Fatalf("a listed channel shows its credential: %+v", c)
			}
		}

		n := &vigil.Notification{Event: "check.failing", Subject: "SSH allows root <login> & more", Text: "3 hosts fail SSH-04.", Link: "https://vigil.acme.test/checks/SSH-04"}
		if made, err := svc.Notify(admin, n); err != nil || made != 4 {
			t.Fatalf("notify: %d %v", made, err)
		}
		if k, err := svc.SendDue(admin); err != nil || k != 4 {
			t.Fatalf("send: %d %v", k, err)
		}
		bodies, heads := hook.got()
		if len(bodies) != 1 {
			t.Fatalf("webhook got %d", len(bodies))
		}
		if err := notify.Verify(wh.Secret, heads[0].Get("X-Vigil-Signature"), heads[0].Get("X-Vigil-Timestamp"), bodies[0], time.Now()); err != nil {
			t.Fatalf("the receiver cannot verify the signature: %v", err)
		}
		if err := notify.Verify(wh.Secret, heads[0].Get("X-Vigil-Signature"), heads[0].Get("X-Vigil-Timestamp"), append(bodies[0], ' '), time.Now()); err == nil {
			t.Fatal("a changed body verifies")
		}
		if err := notify.Verify(wh.Secret, heads[0].Get("X-Vigil-Signature"), heads[0].Get("X-Vigil-Timestamp"), bodies[0], time.Now().Add(10*time.Minute)); err == nil {
			t.Fatal("a replay ten minutes later verifies")
		}
		var got struct {
			Event, Subject, Link string
			DeliveryID           int64 `json:"delivery_id"`
		}
		if json.Unmarshal(bodies[0], &got); got.Event != "check.failing" || got.Subject != n.Subject || got.DeliveryID == 0 || heads[0].Get("X-Vigil-Delivery") != strconv.FormatInt(got.DeliveryID, 10) {
			t.Fatalf("webhook body: %s", bodies[0])
		}
		sb, _ := slack.got()
		var sm struct{ Text string }
		if len(sb) != 1 || json.Unmarshal(sb[0], &sm) != nil || !strings.Contains(sm.Text, "*SSH allows root &lt;login&gt; &amp; more*") || !strings.Contains(sm.Text, "<https://vigil.acme.test/checks/SSH-04|Open in Vigil>") {
			t.Fatalf("slack body: %s", sb)
		}
		tb, _ := teams.got()
		var tm struct {
			Type        string
			Attachments []struct {
				ContentType string
				Content     struct {
					Type    string
					Body    []struct{ Text string }
					Actions []struct{ URL string }
				}
			}
		}
		if len(tb) != 1 || json.Unmarshal(tb[0], &tm) != nil || tm.Type != "message" || len(tm.Attachments) != 1 || tm.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" ||
			tm.Attachments[0].Content.Type != "AdaptiveCard" || tm.Attachments[0].Content.Body[0].Text != n.Subject || tm.Attachments[0].Content.Actions[0].URL != n.Link {
			t.Fatalf("teams body: %s", tb)
		}
		msgs := smtp.Wait(1, 2*time.Second)
		if len(msgs) != 1 || msgs[0].To[0] != "security@acme.test" || !strings.Contains(msgs[0].Data, "3 hosts fail SSH-04.") {
			t.Fatalf("mail: %+v", msgs)
		}
		ds, err := st.Deliveries(admin, vigil.DeliveryFilter{})
		if err != nil || len(ds) != 4 {
			t.Fatalf("log: %d %v", len(ds), err)
		}
		for _, d := range ds {
			if d.State != vigil.DeliveryDelivered || d.Attempts != 1 || d.DeliveredAt.IsZero() {
				t.Errorf("logged: %+v", d)
			}
		}
	})
}

// TestDeliveryFailures: a 5xx is retried with backoff and then
// delivered; a 4xx and a redirect are dead at once; a receiver that
// hangs costs its own channel the timeout while another channel's
// delivery goes through; a deleted channel's queue is dead.
func TestDeliveryFailures(t *testing.T) {
	engines(t, func(t *testing.T, st *store.Store, box *secret.Box) {
		var clockOffset atomic.Int64
		svc := &notify.Service{Store: st, Box: box, Now: func() time.Time { return time.Now().Add(time.Duration(clockOffset.Load())) },
			Timeout: 500 * time.Millisecond, AllowPrivate: true}
		r := newReceiver(t)
		ch, err := svc.CreateChannel(admin, &vigil.Channel{Name: "hook", Kind: vigil.ChannelWebhook, Target: r.URL + "/hook-secret-path"})
		if err != nil {
			t.Fatal(err)
		}
		note := func(subject string) {
			t.Helper()
			if _, err := svc.Notify(admin, &vigil.Notification{Event: "test", Subject: subject}, ch.ID); err != nil {
				t.Fatal(err)
			}
		}
		last := func() vigil.Delivery {
			t.Helper()
			ds, err := st.Deliveries(admin, vigil.DeliveryFilter{ChannelID: ch.ID, Limit: 1})
			if err != nil || len(ds) != 1 {
				t.Fatalf("log: %v", err)
			}
			return ds[0]
		}
		// 503: pending, 30 s later.
		r.answer.Store(503)
		note("one")
		svc.SendDue(admin)
		d := last()
		if d.State != vigil.DeliveryPending || d.Attempts != 1 || d.LastStatus != 503 || time.Until(d.NextAt) < 25*time.Second {
			t.Fatalf("after a 503: %+v", d)
		}
		if k, _ := svc.SendDue(admin); k != 0 {
			t.Fatal("a delivery waiting to retry was sent again at once")
		}
		// The receiver recovers; with the backoff over, it is delivered.
		r.answer.Store(0)
		clockOffset.Store(int64(-31 * time.Second)) // the failure is recorded as 31 s ago
		note("two")
		svc.SendDue(admin)
		clockOffset.Store(0)
		if d := last(); d.State != vigil.DeliveryDelivered {
			t.Fatalf("the second: %+v", d)
		}
		// A 400 and a redirect: dead, not retried.
		for _, st := range []int32{400, http.StatusFound} {
			r.answer.Store(st)
			note("refused")
			svc.SendDue(admin)
			if d := last(); d.State != vigil.DeliveryDead || d.Attempts != 1 {
				t.Fatalf("after %d: %+v", st, d)
			}
		}
		r.answer.Store(0)

		// A receiver that hangs, beside one that answers.
		fast := newReceiver(t)
		fc, err := svc.CreateChannel(admin, &vigil.Channel{Name: "fast", Kind: vigil.ChannelSlack, Target: fast.URL})
		if err != nil {
			t.Fatal(err)
		}
		r.delay.Store(int64(time.Hour))
		note("slow")
		if _, err := svc.Notify(admin, &vigil.Notification{Event: "test", Subject: "quick"}, fc.ID); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		done := make(chan struct{})
		go func() { svc.SendDue(admin); close(done) }()
		for len(first(fast.got())) == 0 && time.Since(start) < 400*time.Millisecond {
			time.Sleep(5 * time.Millisecond)
		}
		if len(first(fast.got())) != 1 {
			t.Fatal("the fast channel waited for the hanging one")
		}
		<-done
		if el := time.Since(start); el > 3*time.Second {
			t.Fatalf("a hanging receiver held the sender %v", el)
		}
		if d := last(); d.State != vigil.DeliveryPending || !strings.Contains(d.LastError, "no answer") || strings.Contains(d.LastError, "hook-secret-path") {
			t.Fatalf("after the hang: %+v", d)
		}
		// Deleting the channel kills what waits for it.
		if err := st.DeleteChannel(admin, ch.ID); err != nil {
			t.Fatal(err)
		}
		if d := last(); d.State != vigil.DeliveryDead || d.LastError != "the channel was deleted" {
			t.Fatalf("after deletion: %+v", d)
		}
		if _, err := svc.Notify(admin, &vigil.Notification{Event: "test", Subject: "x"}, ch.ID); vigil.ErrorCode(err) != vigil.ENOTFOUND {
			t.Fatalf("notify a deleted channel: %v", err)
		}
	})
}

func first(b [][]byte, _ []http.Header) [][]byte { return b }

// TestBurstAcrossRestart queues a burst, stops the sender midway as a
// restart would, and starts another on the same database: every
// notification arrives, none lost; only those in flight at the stop may
// arrive twice (the receiver tells them apart by X-Vigil-Delivery).
func TestBurstAcrossRestart(t *testing.T) {
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("VIGIL_NOTIFY_BURST")); err == nil && v > 0 {
		n = v
	}
	engines(t, func(t *testing.T, st *store.Store, box *secret.Box) {
		var mu sync.Mutex
		seen := map[string]int{}
		rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(200 * time.Microsecond) // the receiver's own pace
			mu.Lock()
			seen[r.Header.Get("X-Vigil-Delivery")]++
			mu.Unlock()
		}))
		defer rec.Close()
		mk := func() *notify.Service {
			return &notify.Service{Store: st, Box: box, Lease: time.Second, Poll: 50 * time.Millisecond, AllowPrivate: true}
		}
		// The limit: the same receiver posted to in a plain loop, one at a
		// time as a channel's deliveries go (kept apart from the count).
		limitStart := time.Now()
		const direct = 300
		for range direct {
			resp, err := http.Post(rec.URL+"?direct", "application/json", strings.NewReader(`{"x":1}`))
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		limitRate := float64(direct) / time.Since(limitStart).Seconds()
		mu.Lock()
		delete(seen, "")
		mu.Unlock()
		ch, err := mk().CreateChannel(admin, &vigil.Channel{Name: "burst", Kind: vigil.ChannelWebhook, Target: rec.URL})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < n; i += 8 {
					if _, err := mk().Notify(admin, &vigil.Notification{Event: "test", Subject: "n" + strconv.Itoa(i)}, ch.ID); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		queued := time.Since(start)
		count := func() int { mu.Lock(); defer mu.Unlock(); return len(seen) }
		ctx, stop := context.WithCancel(context.Background())
		a := mk()
		go a.Run(ctx)
		for count() < n/3 {
			time.Sleep(5 * time.Millisecond)
		}
		stop()
		atStop := count()
		ctx2, stop2 := context.WithCancel(context.Background())
		defer stop2()
		b := mk()
		go b.Run(ctx2)
		deadline := time.Now().Add(2 * time.Minute)
		for count() < n && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		total := time.Since(start)
		if got := count(); got != n {
			t.Fatalf("%d of %d notifications arrived", got, n)
		}
		dups := 0
		mu.Lock()
		for _, k := range seen {
			dups += k - 1
		}
		mu.Unlock()
		// Outcomes are recorded in runs: the last run lands just after
		// its messages.
		var counts map[vigil.DeliveryState]int
		for {
			if counts, err = st.DeliveryCounts(admin); err != nil || counts[vigil.DeliveryDelivered] == n || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil || counts[vigil.DeliveryDelivered] != n {
			t.Fatalf("the log: %v %v", counts, err)
		}
		if dups > 64 {
			t.Fatalf("%d delivered twice: more than one lease's batch", dups)
		}
		sending := total - queued
		t.Logf("%d queued by 8 writers in %v (%.0f/s); stopped after %d; all delivered %v later (%.0f/s, with the restart's lease wait); "+
			"the receiver posted to directly, one at a time: %.0f/s, so %.0f%% of its pace; %d twice", n, queued.Round(time.Millisecond),
			float64(n)/queued.Seconds(), atStop, sending.Round(time.Millisecond), float64(n)/sending.Seconds(), limitRate, 100*float64(n)/sending.Seconds()/limitRate, dups)
	})
}

// TestPrivateAddressesRefused: without AllowPrivate, a webhook whose host
// is (or resolves to) loopback, a private range or the link-local
// metadata address is refused at connection time and dead at once, and
// the receiver never hears from Vigil.
func TestPrivateAddressesRefused(t *testing.T) {
	engines(t, func(t *testing.T, st *store.Store, box *secret.Box) {
		hits := atomic.Int32{}
		rec := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
		defer rec.Close()
		svc := &notify.Service{Store: st, Box: box, Timeout: time.Second}
		port := rec.URL[strings.LastIndex(rec.URL, ":"):]
		for i, target := range []string{rec.URL + "/hook", "http://localhost" + port + "/hook", "https://169.254.169.254/latest/meta-data", "https://10.0.0.8/hook", "https://[::1]" + port + "/hook"} {
			ch, err := svc.CreateChannel(admin, &vigil.Channel{Name: "c" + strconv.Itoa(i), Kind: vigil.ChannelWebhook, Target: target})
			if err != nil {
				t.Fatalf("%s: %v", target, err)
			}
			if _, err := svc.Test(admin, ch.ID, ""); err != nil {
				t.Fatal(err)
			}
		}
		svc.SendDue(admin)
		ds, err := st.Deliveries(admin, vigil.DeliveryFilter{})
		if err != nil || len(ds) != 5 {
			t.Fatalf("log: %d %v", len(ds), err)
		}
		for _, d := range ds {
			if d.State != vigil.DeliveryDead || !strings.Contains(d.LastError, "private, loopback or link-local") {
				t.Errorf("%s: %+v", d.Channel, d)
			}
		}
		if hits.Load() != 0 {
			t.Fatalf("the loopback receiver was reached %d times", hits.Load())
		}
	})
}
