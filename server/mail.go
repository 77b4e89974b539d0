package server

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/smtp"
	"strings"
	"time"
)

// SMTPConfig is where password-reset mail goes out.
type SMTPConfig struct {
	Addr     string // host:port; empty disables mail
	Username string
	Password string // never logged
	From     string
}

// sendMail sends a plain-text message. net/smtp upgrades to TLS when the
// server offers STARTTLS, and refuses PLAIN auth over an unencrypted
// connection to anything but localhost.
func (s *Server) sendMail(to, subject, body string) error {
	host, _, err := net.SplitHostPort(s.smtp.Addr)
	if err != nil {
		return fmt.Errorf("smtp address %q: %w", s.smtp.Addr, err)
	}
	var a smtp.Auth
	if s.smtp.Username != "" {
		a = smtp.PlainAuth("", s.smtp.Username, s.smtp.Password, host)
	}
	if strings.ContainsAny(to+subject, "\r\n") {
		return fmt.Errorf("mail header contains a line break")
	}
	msg := "From: " + s.smtp.From + "\r\nTo: " + to + "\r\nSubject: " + mime.QEncoding.Encode("utf-8", subject) +
		"\r\nDate: " + time.Now().UTC().Format(time.RFC1123Z) + "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body
	return smtp.SendMail(s.smtp.Addr, a, s.smtp.From, []string{to}, []byte(msg))
}

// baseURLFor is the public URL for links: the configured one, or this
// request's scheme and host.
func (s *Server) baseURLFor(r *http.Request) string {
	if s.baseURL != "" {
		return strings.TrimRight(s.baseURL, "/")
	}
	scheme := "http"
	if s.secure(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
