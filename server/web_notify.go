package server

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/vigil-soc/vigil"
)

// The notifications settings page: channels (add, test, delete) and the
// delivery log. A new webhook's signing key is shown on the page that
// answers its creation, once.

type notifyData struct {
	Channels   []vigil.Channel
	Deliveries []vigil.Delivery
	Created    *vigil.Channel // just made, with its signing key
	MailOn     bool
}

func (s *Server) renderNotifications(w http.ResponseWriter, r *http.Request, status int, form url.Values, created *vigil.Channel, err error) error {
	ctx := r.Context()
	d := &notifyData{Created: created, MailOn: s.notify.Mailer != nil}
	var lerr error
	if d.Channels, lerr = s.notify.Channels(ctx); lerr != nil {
		return lerr
	}
	if d.Deliveries, lerr = s.notify.Deliveries(ctx, vigil.DeliveryFilter{Limit: 50}); lerr != nil {
		return lerr
	}
	p := s.newPage(w, r, "Notifications", "settings")
	p.Data, p.Form = d, form
	if err != nil {
		if ferr := formError(p, err); ferr != nil {
			return ferr
		}
	}
	return s.render(w, status, "notifications", p)
}

func (s *Server) notificationsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderNotifications(w, r, http.StatusOK, url.Values{"kind": {"slack"}}, nil, nil)
}

func (s *Server) notificationChannelPage(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	c, err := s.notify.CreateChannel(r.Context(), &vigil.Channel{Name: f.Get("name"), Kind: vigil.ChannelKind(f.Get("kind")), Target: f.Get("target")})
	if err != nil {
		// The target may be a credential: it is not echoed back.
		f.Del("target")
		return s.renderNotifications(w, r, http.StatusUnprocessableEntity, f, nil, err)
	}
	if c.Secret != "" {
		p := url.Values{"kind": {"slack"}}
		return s.renderNotifications(w, r, http.StatusOK, p, c, nil)
	}
	s.flash(w, r, "Added the channel "+c.Name+". Send it a test to see it arrive.")
	http.Redirect(w, r, "/settings/notifications", http.StatusSeeOther)
	return nil
}

func (s *Server) notificationTestPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.notify.Test(r.Context(), id, s.baseURLFor(r)+"/settings/notifications"); err != nil {
		return s.renderNotifications(w, r, http.StatusUnprocessableEntity, url.Values{}, nil, err)
	}
	s.flash(w, r, "Test message queued for channel "+strconv.FormatInt(id, 10)+"; its delivery shows below within seconds.")
	http.Redirect(w, r, "/settings/notifications", http.StatusSeeOther)
	return nil
}

func (s *Server) notificationDeletePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if err := s.notify.DeleteChannel(r.Context(), id); err != nil {
		return s.renderNotifications(w, r, http.StatusUnprocessableEntity, url.Values{}, nil, err)
	}
	s.flash(w, r, "Deleted the channel; anything still waiting for it will not be sent.")
	http.Redirect(w, r, "/settings/notifications", http.StatusSeeOther)
	return nil
}
