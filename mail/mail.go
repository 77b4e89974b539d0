// Package mail sends Vigil's plain-text mail (password resets, reminders)
// through an SMTP server.
package mail

import (
	"context"
	"crypto/tls"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"strings"
	"time"
)

// Config is where mail goes out.
type Config struct {
	Addr     string // host:port; empty disables mail
	Username string
	Password string // never logged
	From     string
	// Timeout bounds one message from dial to QUIT (default 30 s): a
	// server that accepts the connection and then stalls must not hold a
	// reminder run, or the request that asked for it, for ever.
	Timeout time.Duration
}

// Enabled reports whether an SMTP server is configured.
func (c Config) Enabled() bool { return c.Addr != "" }

// Send sends one plain-text message. The connection is upgraded to TLS
// when the server offers STARTTLS, and net/smtp refuses PLAIN auth over an
// unencrypted connection to anything but localhost.
func (c Config) Send(ctx context.Context, to, subject, body string) error {
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("smtp address %q: %w", c.Addr, err)
	}
	if strings.ContainsAny(to+subject, "\r\n") {
		return fmt.Errorf("mail header contains a line break")
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("cannot reach the mail server %s: %w", c.Addr, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	// A cancelled context (the request gone, the server stopping) ends a
	// conversation that is still waiting on the server.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	cl, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("mail server %s: %w", c.Addr, err)
	}
	defer cl.Close()
	if ok, _ := cl.Extension("STARTTLS"); ok {
		if err := cl.StartTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			return fmt.Errorf("mail server %s: STARTTLS: %w", c.Addr, err)
		}
	}
	if c.Username != "" {
		if err := cl.Auth(smtp.PlainAuth("", c.Username, c.Password, host)); err != nil {
			return fmt.Errorf("mail server %s: authentication: %w", c.Addr, err)
		}
	}
	if err := cl.Mail(c.From); err != nil {
		return fmt.Errorf("mail server %s refused the sender: %w", c.Addr, err)
	}
	if err := cl.Rcpt(to); err != nil {
		return fmt.Errorf("mail server %s refused %s: %w", c.Addr, to, err)
	}
	w, err := cl.Data()
	if err != nil {
		return fmt.Errorf("mail server %s: %w", c.Addr, err)
	}
	msg := "From: " + c.From + "\r\nTo: " + to + "\r\nSubject: " + mime.QEncoding.Encode("utf-8", subject) +
		"\r\nDate: " + time.Now().UTC().Format(time.RFC1123Z) + "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		body // the DATA writer turns each line's end into CRLF and escapes leading dots
	if _, err := w.Write([]byte(msg)); err != nil {
		return fmt.Errorf("mail server %s: %w", c.Addr, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail server %s did not accept the message: %w", c.Addr, err)
	}
	return cl.Quit()
}
