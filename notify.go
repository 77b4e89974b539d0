package vigil

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// ChannelKind is how a notification channel delivers.
type ChannelKind string

// The channel kinds.
const (
	ChannelEmail   ChannelKind = "email"   // SMTP, the server's mail settings
	ChannelSlack   ChannelKind = "slack"   // a Slack incoming webhook
	ChannelTeams   ChannelKind = "teams"   // a Microsoft Teams workflow webhook
	ChannelWebhook ChannelKind = "webhook" // any HTTPS endpoint, signed with HMAC-SHA256
)

// Valid reports whether k is a known kind.
func (k ChannelKind) Valid() bool {
	switch k {
	case ChannelEmail, ChannelSlack, ChannelTeams, ChannelWebhook:
		return true
	}
	return false
}

// Channel is one place notifications go. The target (a mail address or
// a webhook URL, whose path is itself a credential for Slack and Teams)
// is kept sealed and never shown again in full after it is set.
type Channel struct {
	ID      int64       `json:"id"`
	Name    string      `json:"name"`
	Kind    ChannelKind `json:"kind"`
	Target  string      `json:"target,omitempty"` // only on the way in
	Shown   string      `json:"target_shown"`     // what may be shown: the address, or the URL's host
	Enabled bool        `json:"enabled"`
	// Secret is the generic webhook's signing key, returned once when the
	// channel is made; receivers verify X-Vigil-Signature with it.
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Channel bounds.
const (
	maxChannelName   = 100
	maxChannelTarget = 2000
)

// Validate checks a new channel and fills Shown. A webhook must be HTTPS,
// or plain HTTP to this machine (a local relay).
func (c *Channel) Validate() error {
	c.Name = strings.TrimSpace(c.Name)
	c.Target = strings.TrimSpace(c.Target)
	switch {
	case c.Name == "":
		return FieldError("name", "a channel needs a name")
	case len(c.Name) > maxChannelName:
		return FieldError("name", "name is longer than %d characters", maxChannelName)
	case !c.Kind.Valid():
		return FieldError("kind", "unknown channel kind %q: email, slack, teams or webhook", c.Kind)
	case c.Target == "":
		return FieldError("target", "a channel needs a target (a mail address or a webhook URL)")
	case len(c.Target) > maxChannelTarget:
		return FieldError("target", "target is longer than %d characters", maxChannelTarget)
	}
	if c.Kind == ChannelEmail {
		a, err := mail.ParseAddress(c.Target)
		if err != nil || a.Name != "" || strings.ContainsAny(c.Target, "\r\n,;") {
			return FieldError("target", "%q is not one mail address", c.Target)
		}
		c.Target, c.Shown = a.Address, a.Address
		return nil
	}
	u, err := CheckWebhookURL(c.Target)
	if err != nil {
		return err
	}
	c.Shown = u.Scheme + "://" + u.Host + "/…"
	return nil
}

// CheckWebhookURL accepts an absolute HTTPS URL, or plain HTTP to a
// loopback address, without credentials in it.
func CheckWebhookURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, FieldError("target", "%q is not an absolute URL", clipText(raw, 80))
	}
	if u.User != nil {
		return nil, FieldError("target", "the URL carries a user name or password; put credentials in the path or let Vigil sign the request")
	}
	if u.Fragment != "" {
		return nil, FieldError("target", "the URL has a fragment (#...), which is never sent")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopbackHost(u.Hostname()) {
			return nil, FieldError("target", "webhooks must use https (plain http only to this machine)")
		}
	default:
		return nil, FieldError("target", "webhooks must use https, not %q", u.Scheme)
	}
	return u, nil
}

// IsLoopbackHost reports whether a host name is this machine.
func IsLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Notification is one message to deliver: what happened, in words fit for
// a chat channel or a mail, and a link into Vigil. It never carries
// evidence contents or secrets, only names and counts.
type Notification struct {
	ID        int64     `json:"id"`
	Event     string    `json:"event"` // e.g. check.failing, task.overdue, test
	Subject   string    `json:"subject"`
	Text      string    `json:"text"`
	Link      string    `json:"link,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Notification bounds: chat services truncate or refuse long messages.
const (
	maxNotificationSubject = 200
	maxNotificationText    = 4000
)

// Validate checks a notification before it is queued.
func (n *Notification) Validate() error {
	n.Subject, n.Text = strings.TrimSpace(n.Subject), strings.TrimSpace(n.Text)
	switch {
	case n.Event == "" || len(n.Event) > 64 || strings.ContainsAny(n.Event, " \r\n"):
		return FieldError("event", "event %q is not a name like check.failing", clipText(n.Event, 70))
	case n.Subject == "" || strings.ContainsAny(n.Subject, "\r\n"):
		return FieldError("subject", "a notification needs a one-line subject")
	case len(n.Subject) > maxNotificationSubject:
		return FieldError("subject", "subject is longer than %d characters", maxNotificationSubject)
	case len(n.Text) > maxNotificationText:
		return FieldError("text", "text is longer than %d characters", maxNotificationText)
	}
	return nil
}

// DeliveryState is where one notification stands on one channel.
type DeliveryState string

// The delivery states.
const (
	DeliveryPending   DeliveryState = "pending"   // queued or waiting to retry
	DeliveryDelivered DeliveryState = "delivered" // the receiver accepted it (2xx, or the mail server took it)
	DeliveryDead      DeliveryState = "dead"      // refused for good, or out of attempts
)

// Delivery is one notification on one channel, with its attempts.
type Delivery struct {
	ID             int64         `json:"id"`
	NotificationID int64         `json:"notification_id"`
	ChannelID      int64         `json:"channel_id"`
	Channel        string        `json:"channel"`
	Event          string        `json:"event"`
	Subject        string        `json:"subject"`
	State          DeliveryState `json:"state"`
	Attempts       int           `json:"attempts"`
	NextAt         time.Time     `json:"next_at,omitzero"`
	LastStatus     int           `json:"last_status,omitempty"` // HTTP status of the last attempt
	LastError      string        `json:"last_error,omitempty"`
	DeliveredAt    time.Time     `json:"delivered_at,omitzero"`
	CreatedAt      time.Time     `json:"created_at"`
}

// MaxDeliveryAttempts is how many times a delivery is tried before it is
// dead: with RetryDelay's backoff, about a day.
const MaxDeliveryAttempts = 12

// RetryDelay is how long to wait after the nth failed attempt (1-based):
// 30 s doubling, at most 4 hours.
func RetryDelay(n int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < n && d < 4*time.Hour; i++ {
		d *= 2
	}
	return min(d, 4*time.Hour)
}

// AttemptOutcome is what one attempt came to, as the sender saw it.
type AttemptOutcome struct {
	Status int    // HTTP status, 0 for mail or no answer
	Err    string // empty: delivered
	// Permanent: trying again cannot help (a 4xx other than 408 and 429,
	// a mailbox that does not exist).
	Permanent bool
	// RetryAfter is the receiver's own wish (Retry-After), if any.
	RetryAfter time.Duration
}

// Next says what an attempt's outcome makes of a delivery that had made
// attempts before it: delivered, dead, or pending until when.
func (d *Delivery) Next(o AttemptOutcome, now time.Time) {
	d.Attempts++
	d.LastStatus, d.LastError = o.Status, o.Err
	switch {
	case o.Err == "":
		d.State, d.DeliveredAt, d.NextAt = DeliveryDelivered, now, time.Time{}
	case o.Permanent || d.Attempts >= MaxDeliveryAttempts:
		d.State, d.NextAt = DeliveryDead, time.Time{}
	default:
		wait := RetryDelay(d.Attempts)
		if o.RetryAfter > wait && o.RetryAfter <= 4*time.Hour {
			wait = o.RetryAfter
		}
		d.State, d.NextAt = DeliveryPending, now.Add(wait)
	}
}

// String names a delivery for logs.
func (d *Delivery) String() string {
	return fmt.Sprintf("delivery %d of notification %d to channel %d", d.ID, d.NotificationID, d.ChannelID)
}

// DeliveryFilter narrows the delivery log.
type DeliveryFilter struct {
	ChannelID int64
	State     DeliveryState
	Limit     int // default 100, at most 1000
}

// Validate checks a filter's values.
func (f *DeliveryFilter) Validate() error {
	switch f.State {
	case "", DeliveryPending, DeliveryDelivered, DeliveryDead:
	default:
		return FieldError("state", "state %q is not pending, delivered or dead", clipText(string(f.State), 20))
	}
	if f.Limit < 0 || f.Limit > 1000 {
		return FieldError("limit", "limit must be from 1 to 1000")
	}
	return nil
}
