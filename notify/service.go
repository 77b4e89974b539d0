// Package notify delivers Vigil's notifications: channels (mail, Slack,
// Microsoft Teams, signed webhooks), a durable outbox in the database, and
// a sender that leases due deliveries, posts them with bounded time and
// memory, and retries with backoff. A receiver that is down or slow costs
// its own deliveries' time, never Vigil's requests: queuing is one
// database write and sending happens in the background.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/secret"
	"github.com/vigil-soc/vigil/store"
)

// Mailer sends one plain-text message (mail.Config).
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// Service is the notification module.
type Service struct {
	Store *store.Store
	Box   *secret.Box
	// Mailer, when set, delivers email channels; without it an email
	// channel cannot be made.
	Mailer Mailer
	// Timeout bounds one webhook attempt, connection to answer (default
	// 10 s).
	Timeout time.Duration
	Log     *slog.Logger
	Now     func() time.Time
	// Senders is how many deliveries are in flight at once (default 4).
	Senders int
	// Poll is how often the sender looks for due deliveries when nothing
	// woke it (default 5 s); queuing wakes it at once.
	Poll time.Duration
	// Lease is how long a sender holds the deliveries it took (default 2
	// minutes, well over an attempt's timeout): a sender that dies holding
	// them delays them by this much.
	Lease time.Duration

	// AllowPrivate lets webhooks reach loopback, private and link-local
	// addresses (a relay inside the network); off, they are refused at
	// connection time.
	AllowPrivate bool

	clientOnce sync.Once
	httpClient *http.Client
	wakeOnce   sync.Once
	wake       chan struct{}
}

const (
	// sendTimeout bounds one attempt; the lease is well beyond it, so a
	// lease never lapses while its attempt is still running.
	sendTimeout  = 10 * time.Second
	defaultLease = 2 * time.Minute
	// maxResponse is as much of a receiver's answer as is read (for the
	// log): a receiver answering gigabytes costs nothing.
	maxResponse = 4 << 10
)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) client() *http.Client {
	s.clientOnce.Do(func() {
		timeout := s.Timeout
		if timeout <= 0 {
			timeout = sendTimeout
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = nil // a webhook goes where it says, not through the environment's proxy
		tr.DialContext = (&net.Dialer{Timeout: timeout, Control: func(_, address string, _ syscall.RawConn) error {
			return s.checkAddress(address)
		}}).DialContext
		s.httpClient = &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
			// A webhook that moved must be configured again: following it
			// could take the message (and its signature) to another host.
			return http.ErrUseLastResponse
		}}
	})
	return s.httpClient
}

// errPrivateAddress is a webhook whose host resolves inside the network.
var errPrivateAddress = errors.New("the webhook's address is on a private, loopback or link-local network; Vigil posts only to public addresses unless started with --notify-private-networks")

// checkAddress refuses, at connection time (after DNS, so a name that
// resolves inward is caught too), the addresses a webhook could use to
// reach into the network Vigil runs in: loopback, private ranges,
// link-local (the cloud metadata service among them), unspecified and
// multicast. AllowPrivate lifts it, for a relay on this machine or inside
// the network.
func (s *Service) checkAddress(address string) error {
	if s.AllowPrivate {
		return nil
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("cannot read the address %q", host)
	}
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() || ip.IsMulticast() ||
		cgnat.Contains(ip) {
		return errPrivateAddress
	}
	return nil
}

// cgnat is the shared address space (RFC 6598), private in practice.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

func (s *Service) wakeCh() chan struct{} {
	s.wakeOnce.Do(func() { s.wake = make(chan struct{}, 1) })
	return s.wake
}

func sealContext(name, part string) string { return "notification_channel:" + part + ":" + name }

// CreateChannel validates and adds a channel. A generic webhook gets a
// signing key, returned in the answer only this once.
func (s *Service) CreateChannel(ctx context.Context, c *vigil.Channel) (*vigil.Channel, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Kind == vigil.ChannelEmail && s.Mailer == nil {
		return nil, vigil.FieldError("kind", "mail is not configured: start vigil serve with --smtp-addr to use email channels")
	}
	sc := &store.SealedChannel{Channel: *c}
	var err error
	if sc.TargetSealed, err = s.Box.Seal(c.Target, sealContext(c.Name, "target")); err != nil {
		return nil, err
	}
	key := ""
	if c.Kind == vigil.ChannelWebhook {
		b := make([]byte, 32)
		rand.Read(b)
		key = "whsec_" + hex.EncodeToString(b)
		if sc.SecretSealed, err = s.Box.Seal(key, sealContext(c.Name, "secret")); err != nil {
			return nil, err
		}
	}
	if err := s.Store.CreateChannel(ctx, sc); err != nil {
		return nil, err
	}
	out := sc.Channel
	out.Target, out.Secret = "", key
	return &out, nil
}

// Channels lists the channels, without their targets' secrets.
func (s *Service) Channels(ctx context.Context) ([]vigil.Channel, error) {
	return s.Store.Channels(ctx)
}

// DeleteChannel retires a channel; what still waited for it is dead.
func (s *Service) DeleteChannel(ctx context.Context, id int64) error {
	return s.Store.DeleteChannel(ctx, id)
}

// Deliveries is the delivery log, newest first.
func (s *Service) Deliveries(ctx context.Context, f vigil.DeliveryFilter) ([]vigil.Delivery, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return s.Store.Deliveries(ctx, f)
}

// Notify queues a notification for the channels named (none: every
// enabled channel) and wakes the sender. It returns how many deliveries
// were queued.
func (s *Service) Notify(ctx context.Context, n *vigil.Notification, channels ...int64) (int, error) {
	if err := n.Validate(); err != nil {
		return 0, err
	}
	made, err := s.Store.Enqueue(ctx, n, channels)
	if err != nil {
		return 0, err
	}
	select {
	case s.wakeCh() <- struct{}{}:
	default:
	}
	return made, nil
}

// Test queues a test message to one channel.
func (s *Service) Test(ctx context.Context, channelID int64, link string) (*vigil.Notification, error) {
	n := &vigil.Notification{Event: "test", Subject: "Vigil test notification",
		Text: "This channel is connected: Vigil's notifications will arrive here.", Link: link}
	if _, err := s.Notify(ctx, n, channelID); err != nil {
		return nil, err
	}
	return n, nil
}

// Run sends due deliveries until ctx ends.
func (s *Service) Run(ctx context.Context) {
	poll := s.Poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wakeCh():
		}
		for ctx.Err() == nil {
			n, err := s.SendDue(ctx)
			if err != nil && ctx.Err() == nil {
				s.log().Error("notifications: cannot lease deliveries", "err", err)
				break
			}
			if n == 0 {
				break
			}
		}
		t.Reset(poll)
	}
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// SendDue leases one batch of due deliveries, sends them and records each
// outcome; it returns how many it leased.
func (s *Service) SendDue(ctx context.Context) (int, error) {
	senders := s.Senders
	if senders <= 0 {
		senders = 4
	}
	lease := s.Lease
	if lease <= 0 {
		lease = defaultLease
	}
	work, err := s.Store.LeaseDeliveries(ctx, senders*64, lease)
	if err != nil || len(work) == 0 {
		return 0, err
	}
	// Deliveries to one channel go in order, one at a time: the
	// receiver's pace sets the channel's, and a slow one holds only its
	// own. Channels go in parallel.
	byChannel := map[int64][]*store.DeliveryWork{}
	var order []int64
	for i := range work {
		w := &work[i]
		if byChannel[w.ChannelID] == nil {
			order = append(order, w.ChannelID)
		}
		byChannel[w.ChannelID] = append(byChannel[w.ChannelID], w)
	}
	sem := make(chan struct{}, senders)
	var wg sync.WaitGroup
	for _, id := range order {
		ws := byChannel[id]
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			s.sendChannel(ctx, id, ws, lease)
		})
	}
	wg.Wait()
	return len(work), nil
}

// sendChannel sends one channel's leased deliveries in order, recording
// outcomes in runs of flushEvery. A failure that is not the message's own
// (no answer, a 5xx, a 429) means the receiver is in trouble: the rest are
// released to wait with the failed one rather than each burning a
// timeout, and a run that nears the end of its lease stops early, so no
// lease lapses under a sender still at work.
func (s *Service) sendChannel(ctx context.Context, id int64, ws []*store.DeliveryWork, lease time.Duration) {
	const flushEvery = 128
	start := time.Now()
	ch, chErr := s.Store.SealedChannelByID(ctx, id)
	var done []vigil.Delivery
	flush := func() {
		if err := s.Store.FinishDeliveries(context.WithoutCancel(ctx), done); err != nil {
			s.log().Error("notifications: cannot record deliveries", "channel", id, "err", err)
		}
		done = done[:0]
	}
	defer flush()
	for i, w := range ws {
		var o vigil.AttemptOutcome
		if chErr != nil {
			o = vigil.AttemptOutcome{Err: chErr.Error()}
		} else {
			o = s.send(ctx, ch, w)
		}
		if ctx.Err() != nil {
			return // unrecorded: the lease lapses and the row is due again
		}
		w.Delivery.Next(o, s.now())
		done = append(done, w.Delivery)
		if len(done) >= flushEvery {
			flush()
		}
		rest := ws[i+1:]
		if len(rest) == 0 {
			return
		}
		troubled := o.Err != "" && !o.Permanent
		if troubled || time.Since(start) > lease/2 {
			next := s.now()
			if troubled {
				next = w.Delivery.NextAt
			}
			ids := make([]int64, len(rest))
			for j, r := range rest {
				ids[j] = r.ID
			}
			if err := s.Store.ReleaseDeliveries(context.WithoutCancel(ctx), ids, next); err != nil {
				s.log().Error("notifications: cannot release deliveries", "channel", id, "err", err)
			}
			return
		}
	}
}

// send makes one attempt.
func (s *Service) send(ctx context.Context, ch *store.SealedChannel, w *store.DeliveryWork) vigil.AttemptOutcome {
	if !ch.Enabled {
		return vigil.AttemptOutcome{Err: "the channel is disabled", Permanent: true}
	}
	target, err := s.Box.Open(ch.TargetSealed, sealContext(ch.Name, "target"))
	if err != nil {
		return vigil.AttemptOutcome{Err: "cannot open the channel's target: " + err.Error(), Permanent: true}
	}
	n := &w.Notification
	if ch.Kind == vigil.ChannelEmail {
		if s.Mailer == nil {
			return vigil.AttemptOutcome{Err: "mail is not configured"}
		}
		ctx, cancel := context.WithTimeout(ctx, sendTimeout*3)
		defer cancel()
		body := n.Text
		if n.Link != "" {
			body += "\n\n" + n.Link
		}
		if err := s.Mailer.Send(ctx, target, n.Subject, body+"\n"); err != nil {
			return vigil.AttemptOutcome{Err: err.Error()}
		}
		return vigil.AttemptOutcome{}
	}
	body, err := Payload(ch.Kind, n, w.ID)
	if err != nil {
		return vigil.AttemptOutcome{Err: err.Error(), Permanent: true}
	}
	// Checked again at send time: a URL stored under older rules must not
	// be posted to.
	if _, err := vigil.CheckWebhookURL(target); err != nil {
		return vigil.AttemptOutcome{Err: err.Error(), Permanent: true}
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return vigil.AttemptOutcome{Err: err.Error(), Permanent: true}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Vigil-Notifications/1")
	if ch.Kind == vigil.ChannelWebhook {
		key, err := s.Box.Open(ch.SecretSealed, sealContext(ch.Name, "secret"))
		if err != nil {
			return vigil.AttemptOutcome{Err: "cannot open the channel's signing key: " + err.Error(), Permanent: true}
		}
		ts := strconv.FormatInt(s.now().Unix(), 10)
		req.Header.Set("X-Vigil-Delivery", strconv.FormatInt(w.ID, 10))
		req.Header.Set("X-Vigil-Timestamp", ts)
		req.Header.Set("X-Vigil-Signature", "v1="+Sign(key, ts, body))
	}
	resp, err := s.client().Do(req)
	if errors.Is(err, errPrivateAddress) {
		return vigil.AttemptOutcome{Err: errPrivateAddress.Error(), Permanent: true}
	}
	if err != nil {
		// The URL (a credential for Slack and Teams) stays out of the log.
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) && ue.Unwrap() != nil {
			err = ue.Unwrap()
		}
		return vigil.AttemptOutcome{Err: "no answer from " + ch.Shown + ": " + err.Error()}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	o := vigil.AttemptOutcome{Status: resp.StatusCode}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return o
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		o.Err, o.Permanent = fmt.Sprintf("the receiver redirected (%d); configure the URL it moved to", resp.StatusCode), true
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		o.Err = fmt.Sprintf("the receiver answered %d: %s", resp.StatusCode, oneLine(snippet))
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			o.RetryAfter = time.Duration(secs) * time.Second
		}
	default:
		o.Err, o.Permanent = fmt.Sprintf("the receiver refused it (%d): %s", resp.StatusCode, oneLine(snippet)), true
	}
	return o
}

func oneLine(b []byte) string {
	s := string(bytes.Join(bytes.Fields(b), []byte(" ")))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Sign is the generic webhook's signature: hex HMAC-SHA256, keyed with
// the channel's signing key, over the timestamp, a dot and the body.
// Receivers compute it again, compare in constant time, and refuse a
// timestamp more than five minutes from their clock (replays).
func Sign(key, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify is the receiver's side of Sign, for Go receivers and the tests:
// the signature header's value, the timestamp header's, the body, and the
// receiver's clock.
func Verify(key, signature, timestamp string, body []byte, now time.Time) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("bad timestamp %q", timestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp %s is %v from now: a replay or a wrong clock", timestamp, d.Round(time.Second))
	}
	want := "v1=" + Sign(key, timestamp, body)
	if !hmac.Equal([]byte(signature), []byte(want)) {
		return errors.New("signature does not match")
	}
	return nil
}

// Payload is the JSON body a webhook channel posts.
func Payload(kind vigil.ChannelKind, n *vigil.Notification, deliveryID int64) ([]byte, error) {
	switch kind {
	case vigil.ChannelSlack:
		// Slack's incoming webhooks take text with mrkdwn; &, < and > are
		// escaped as Slack documents, so a subject cannot forge a link.
		text := "*" + slackEscape(n.Subject) + "*"
		if n.Text != "" {
			text += "\n" + slackEscape(n.Text)
		}
		if n.Link != "" {
			text += "\n<" + n.Link + "|Open in Vigil>"
		}
		return json.Marshal(map[string]any{"text": text})
	case vigil.ChannelTeams:
		// A Teams workflow webhook takes a message with an Adaptive Card.
		body := []map[string]any{
			{"type": "TextBlock", "text": n.Subject, "weight": "Bolder", "size": "Medium", "wrap": true},
		}
		if n.Text != "" {
			body = append(body, map[string]any{"type": "TextBlock", "text": n.Text, "wrap": true})
		}
		card := map[string]any{"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4", "body": body}
		if n.Link != "" {
			card["actions"] = []map[string]any{{"type": "Action.OpenUrl", "title": "Open in Vigil", "url": n.Link}}
		}
		return json.Marshal(map[string]any{"type": "message", "attachments": []map[string]any{
			{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}}})
	case vigil.ChannelWebhook:
		return json.Marshal(map[string]any{"delivery_id": deliveryID, "notification_id": n.ID, "event": n.Event, "subject": n.Subject,
			"text": n.Text, "link": n.Link, "created_at": n.CreatedAt.UTC().Format(time.RFC3339)})
	}
	return nil, fmt.Errorf("channel kind %q has no payload", kind)
}

func slackEscape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
