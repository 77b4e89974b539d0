package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/vigil-soc/vigil/mail"
)

// SMTPConfig is where Vigil's mail goes out.
type SMTPConfig = mail.Config

// sendMail sends a plain-text message.
func (s *Server) sendMail(ctx context.Context, to, subject, body string) error {
	return s.smtp.Send(ctx, to, subject, body)
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
