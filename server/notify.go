package server

import (
	"net/http"
	"strconv"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
)

// notifyRoutes are the notification channels and their delivery log.
// Who may reach whom, and through which outside service, is an
// administrator's decision: every route needs manage.
func (s *Server) notifyRoutes() []route {
	const manage = vigil.PermManage
	rs := []route{
		{name: "ListNotificationChannels", method: "GET", path: "/api/v1/notification-channels", perm: manage, tag: "notifications", summary: "The notification channels (targets shown by host only)", out: api.Page[vigil.Channel]{}, h: s.listChannels},
		{name: "CreateNotificationChannel", method: "POST", path: "/api/v1/notification-channels", perm: manage, tag: "notifications", summary: "Add a channel: email (an address), slack or teams (their incoming webhook URL) or webhook (any HTTPS URL; the answer carries its signing key, shown only this once)", in: vigil.Channel{}, out: vigil.Channel{}, status: 201, h: s.createChannel},
		{name: "DeleteNotificationChannel", method: "DELETE", path: "/api/v1/notification-channels/{id}", perm: manage, tag: "notifications", summary: "Delete a channel; what still waited for it is marked dead", status: 204, h: s.deleteChannel},
		{name: "TestNotificationChannel", method: "POST", path: "/api/v1/notification-channels/{id}/test", perm: manage, tag: "notifications", summary: "Queue a test message to the channel (its delivery shows in the log)", out: vigil.Notification{}, status: 202, h: s.testChannel},
		{name: "ListNotificationDeliveries", method: "GET", path: "/api/v1/notification-deliveries", perm: manage, tag: "notifications", summary: "The delivery log, newest first: each attempt's state, status code and error",
			query: []param{{"channel", "a channel's id"}, {"state", "pending, delivered or dead"}, {"limit", "1 to 1000 (default 100)"}}, out: api.Page[vigil.Delivery]{}, h: s.listDeliveries},
	}
	for i := range rs {
		rs[i].needsNotify = true
	}
	return rs
}

func (s *Server) listChannels(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.notify.Channels(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.Page[vigil.Channel]{Items: nonNilSlice(cs)})
	return nil
}

func (s *Server) createChannel(w http.ResponseWriter, r *http.Request) error {
	var c vigil.Channel
	if err := decode(r, &c); err != nil {
		return err
	}
	out, err := s.notify.CreateChannel(r.Context(), &c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) deleteChannel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if err := s.notify.DeleteChannel(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) testChannel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	n, err := s.notify.Test(r.Context(), id, s.baseURLFor(r)+"/settings/notifications")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, n)
	return nil
}

// deliveryFilter reads the log's filter from the query.
func deliveryFilter(r *http.Request) (vigil.DeliveryFilter, error) {
	q := r.URL.Query()
	f := vigil.DeliveryFilter{State: vigil.DeliveryState(q.Get("state"))}
	if v := q.Get("channel"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return f, vigil.FieldError("channel", "channel must be a channel's id, got %q", truncate(v, 20))
		}
		f.ChannelID = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return f, vigil.FieldError("limit", "limit must be a whole number from 1 to 1000, got %q", truncate(v, 20))
		}
		f.Limit = n
	}
	return f, nil
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	f, err := deliveryFilter(r)
	if err != nil {
		return err
	}
	ds, err := s.notify.Deliveries(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.Page[vigil.Delivery]{Items: nonNilSlice(ds)})
	return nil
}
