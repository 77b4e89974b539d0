package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-soc/vigil"
)

// Notification channels and the outbox. Channels are written with an
// activity entry (who may reach whom is an access decision); queued
// notifications and their deliveries are operational rows whose log is
// the deliveries table itself.

// SealedChannel is a channel as stored: its target and signing key sealed
// by the caller.
type SealedChannel struct {
	vigil.Channel
	TargetSealed string
	SecretSealed string
}

// CreateChannel adds a channel.
func (s *Store) CreateChannel(ctx context.Context, c *SealedChannel) error {
	return s.write(ctx, func(t *wtx) error {
		c.CreatedAt, c.Enabled = t.now, true
		err := t.queryRow(ctx, `INSERT INTO notification_channels (name, kind, target_sealed, target_shown, secret_sealed, enabled, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.Name, string(c.Kind), c.TargetSealed, c.Shown, c.SecretSealed, true,
			nullID(t.actor.UserID), t.d.ts(t.now)).Scan(&c.ID)
		if isUnique(err) {
			return vigil.FieldError("name", "a channel named %q exists", c.Name)
		}
		if err != nil {
			return internal("create channel", err)
		}
		shown := c.Channel
		shown.Target, shown.Secret = "", ""
		return t.log(ctx, "notify.channel.create", "notification_channel", strconv.FormatInt(c.ID, 10), nil, shown)
	})
}

const channelSelect = `SELECT id, name, kind, target_shown, enabled, created_at, target_sealed, secret_sealed FROM notification_channels`

func scanChannel(r scanner) (SealedChannel, error) {
	var c SealedChannel
	var kind string
	var at dbTime
	err := r.Scan(&c.ID, &c.Name, &kind, &c.Shown, &c.Enabled, &at, &c.TargetSealed, &c.SecretSealed)
	c.Kind, c.CreatedAt = vigil.ChannelKind(kind), at.T
	return c, err
}

// Channels lists the channels not deleted, by name, without their
// sealed parts.
func (s *Store) Channels(ctx context.Context) ([]vigil.Channel, error) {
	rows, err := s.query(ctx, channelSelect+" WHERE deleted_at IS NULL ORDER BY name")
	if err != nil {
		return nil, internal("list channels", err)
	}
	cs, err := scanRows(rows, "list channels", "scan channel", scanChannel)
	out := make([]vigil.Channel, len(cs))
	for i := range cs {
		out[i] = cs[i].Channel
	}
	return out, err
}

// SealedChannelByID returns a channel with its sealed parts, deleted or
// not (a delivery queued before the deletion names it).
func (s *Store) SealedChannelByID(ctx context.Context, id int64) (*SealedChannel, error) {
	c, err := scanChannel(s.queryRow(ctx, channelSelect+" WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vigil.NotFound("notification channel", strconv.FormatInt(id, 10))
	}
	if err != nil {
		return nil, internal("read channel", err)
	}
	return &c, nil
}

// DeleteChannel retires a channel: it takes no more notifications, and
// what was still waiting for it is dead, named so in the log.
func (s *Store) DeleteChannel(ctx context.Context, id int64) error {
	return s.write(ctx, func(t *wtx) error {
		res, err := t.exec(ctx, "UPDATE notification_channels SET deleted_at = ?, enabled = ? WHERE id = ? AND deleted_at IS NULL", t.d.ts(t.now), false, id)
		if err != nil {
			return internal("delete channel", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return vigil.NotFound("notification channel", strconv.FormatInt(id, 10))
		}
		if _, err := t.exec(ctx, "UPDATE notification_deliveries SET state = 'dead', last_error = 'the channel was deleted', next_at = NULL, lease_until = NULL WHERE channel_id = ? AND state = 'pending'", id); err != nil {
			return internal("delete channel", err)
		}
		return t.log(ctx, "notify.channel.delete", "notification_channel", strconv.FormatInt(id, 10), nil, nil)
	})
}

// Enqueue queues a notification for the given channels (none: every
// enabled channel) and returns how many deliveries it made. Refused for a
// channel that does not exist or is deleted.
func (s *Store) Enqueue(ctx context.Context, n *vigil.Notification, channels []int64) (int, error) {
	made := 0
	err := s.write(ctx, func(t *wtx) error {
		var ids []int64
		if len(channels) == 0 {
			rows, err := t.query(ctx, "SELECT id FROM notification_channels WHERE deleted_at IS NULL AND enabled = ? ORDER BY id", true)
			if err != nil {
				return internal("list channels", err)
			}
			if ids, err = scanRows(rows, "list channels", "scan channel", func(r scanner) (int64, error) {
				var id int64
				return id, r.Scan(&id)
			}); err != nil {
				return err
			}
		} else {
			for _, id := range channels {
				var n int
				if err := t.queryRow(ctx, "SELECT count(*) FROM notification_channels WHERE id = ? AND deleted_at IS NULL", id).Scan(&n); err != nil {
					return internal("read channel", err)
				}
				if n == 0 {
					return vigil.NotFound("notification channel", strconv.FormatInt(id, 10))
				}
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		n.CreatedAt = t.now
		if err := t.queryRow(ctx, "INSERT INTO notifications (event, subject, body, link, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
			n.Event, n.Subject, n.Text, n.Link, t.d.ts(t.now)).Scan(&n.ID); err != nil {
			return internal("queue notification", err)
		}
		for _, id := range ids {
			if _, err := t.exec(ctx, "INSERT INTO notification_deliveries (notification_id, channel_id, state, next_at, created_at) VALUES (?, ?, 'pending', ?, ?)",
				n.ID, id, t.d.ts(t.now), t.d.ts(t.now)); err != nil {
				return internal("queue delivery", err)
			}
		}
		made = len(ids)
		return nil
	})
	return made, err
}

// DeliveryWork is a leased delivery with what the sender needs.
type DeliveryWork struct {
	vigil.Delivery
	Notification vigil.Notification
}

const deliverySelect = `SELECT d.id, d.notification_id, d.channel_id, c.name, n.event, n.subject, d.state, d.attempts, d.next_at, d.last_status, d.last_error,
	d.delivered_at, d.created_at, n.body, n.link, n.created_at
	FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id JOIN notification_channels c ON c.id = d.channel_id`

func scanDelivery(r scanner) (DeliveryWork, error) {
	var w DeliveryWork
	d := &w.Delivery
	var st string
	var next, delivered, created, ncreated dbTime
	err := r.Scan(&d.ID, &d.NotificationID, &d.ChannelID, &d.Channel, &d.Event, &d.Subject, &st, &d.Attempts, &next, &d.LastStatus, &d.LastError,
		&delivered, &created, &w.Notification.Text, &w.Notification.Link, &ncreated)
	d.State, d.NextAt, d.DeliveredAt, d.CreatedAt = vigil.DeliveryState(st), next.T, delivered.T, created.T
	w.Notification.ID, w.Notification.Event, w.Notification.Subject, w.Notification.CreatedAt = d.NotificationID, d.Event, d.Subject, ncreated.T
	return w, err
}

// LeaseDeliveries takes up to limit due deliveries for lease: no other
// sender takes them until the lease ends, and one that ends without a
// FinishDelivery (a crash) makes them due again. Oldest first.
func (s *Store) LeaseDeliveries(ctx context.Context, limit int, lease time.Duration) ([]DeliveryWork, error) {
	var out []DeliveryWork
	err := s.write(ctx, func(t *wtx) error {
		rows, err := t.query(ctx, `SELECT id FROM notification_deliveries WHERE state = 'pending' AND next_at <= ? AND (lease_until IS NULL OR lease_until < ?)
			ORDER BY next_at, id LIMIT ?`, t.d.ts(t.now), t.d.ts(t.now), limit)
		if err != nil {
			return internal("lease deliveries", err)
		}
		ids, err := scanRows(rows, "lease deliveries", "scan delivery", func(r scanner) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		})
		if err != nil || len(ids) == 0 {
			return err
		}
		in := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
		args := []any{t.d.ts(t.now.Add(lease))}
		for _, id := range ids {
			args = append(args, id)
		}
		if _, err := t.exec(ctx, "UPDATE notification_deliveries SET lease_until = ? WHERE id IN ("+in+")", args...); err != nil {
			return internal("lease deliveries", err)
		}
		rows, err = t.query(ctx, deliverySelect+" WHERE d.id IN ("+in+") ORDER BY d.next_at, d.id", args[1:]...)
		if err != nil {
			return internal("lease deliveries", err)
		}
		out, err = scanRows(rows, "lease deliveries", "scan delivery", scanDelivery)
		return err
	})
	return out, err
}

// FinishDeliveries records attempts' outcomes (vigil.Delivery.Next) and
// ends their leases, in one transaction: a sender records a run of
// attempts at once, so a burst costs one commit per run, not per message.
func (s *Store) FinishDeliveries(ctx context.Context, ds []vigil.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	return s.write(ctx, func(t *wtx) error {
		for i := range ds {
			d := &ds[i]
			var next, delivered any
			if !d.NextAt.IsZero() {
				next = t.d.ts(d.NextAt)
			}
			if !d.DeliveredAt.IsZero() {
				delivered = t.d.ts(d.DeliveredAt)
			}
			if _, err := t.exec(ctx, `UPDATE notification_deliveries SET state = ?, attempts = ?, next_at = ?, lease_until = NULL, last_status = ?, last_error = ?, delivered_at = ?
				WHERE id = ? AND state = 'pending'`, string(d.State), d.Attempts, next, d.LastStatus, d.LastError, delivered, d.ID); err != nil {
				return internal("finish delivery", err)
			}
		}
		return nil
	})
}

// ReleaseDeliveries gives leased deliveries back unattempted, due again
// at next: a sender that found their channel failing leaves them for the
// channel's retry instead of failing each in turn.
func (s *Store) ReleaseDeliveries(ctx context.Context, ids []int64, next time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	return s.write(ctx, func(t *wtx) error {
		for _, id := range ids {
			if _, err := t.exec(ctx, "UPDATE notification_deliveries SET lease_until = NULL, next_at = ? WHERE id = ? AND state = 'pending'", t.d.ts(next), id); err != nil {
				return internal("release delivery", err)
			}
		}
		return nil
	})
}

// Deliveries lists the delivery log, newest first.
func (s *Store) Deliveries(ctx context.Context, f vigil.DeliveryFilter) ([]vigil.Delivery, error) {
	var where []string
	var args []any
	if f.ChannelID != 0 {
		where, args = append(where, "d.channel_id = ?"), append(args, f.ChannelID)
	}
	if f.State != "" {
		where, args = append(where, "d.state = ?"), append(args, string(f.State))
	}
	q := deliverySelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = min(max(f.Limit, 100), 1000)
	}
	rows, err := s.query(ctx, q+" ORDER BY d.id DESC LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, internal("list deliveries", err)
	}
	ws, err := scanRows(rows, "list deliveries", "scan delivery", scanDelivery)
	out := make([]vigil.Delivery, len(ws))
	for i := range ws {
		out[i] = ws[i].Delivery
	}
	return out, err
}

// DeliveryCounts counts deliveries by state.
func (s *Store) DeliveryCounts(ctx context.Context) (map[vigil.DeliveryState]int, error) {
	rows, err := s.query(ctx, "SELECT state, count(*) FROM notification_deliveries GROUP BY state")
	if err != nil {
		return nil, internal("count deliveries", err)
	}
	type kv struct {
		st string
		n  int
	}
	kvs, err := scanRows(rows, "count deliveries", "scan count", func(r scanner) (kv, error) {
		var x kv
		return x, r.Scan(&x.st, &x.n)
	})
	out := map[vigil.DeliveryState]int{}
	for _, x := range kvs {
		out[vigil.DeliveryState(x.st)] = x.n
	}
	return out, err
}
