package store

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/vigil-soc/vigil"
)

// Reminders: one row per mail sent or tried. The rows are operational
// (their state moves from sending to sent or failed); what an auditor
// reads is each round's activity entry (LogReminderRun) and the rosters
// sealed with each person's last reminder.

// LastReminders returns, per email, the newest reminder of the kind and
// the newest one sent.
func (s *Store) LastReminders(ctx context.Context, kind vigil.ReminderKind) (map[string]vigil.LastReminders, error) {
	rows, err := s.query(ctx, `SELECT id, kind, email, at, state, error, items, COALESCE(by_user, 0) FROM reminders WHERE kind = ? AND (
		id IN (SELECT MAX(id) FROM reminders WHERE kind = ? GROUP BY email) OR
		id IN (SELECT MAX(id) FROM reminders WHERE kind = ? AND state = 'sent' GROUP BY email)) ORDER BY id`, string(kind), string(kind), string(kind))
	if err != nil {
		return nil, internal("list reminders", err)
	}
	rs, err := scanRows(rows, "list reminders", "scan reminder", func(r scanner) (vigil.Reminder, error) {
		var x vigil.Reminder
		var k, st, items string
		var at dbTime
		if err := r.Scan(&x.ID, &k, &x.Email, &at, &st, &x.Error, &items, &x.By); err != nil {
			return x, err
		}
		x.Kind, x.State, x.At = vigil.ReminderKind(k), vigil.ReminderState(st), at.T
		return x, json.Unmarshal([]byte(items), &x.Items)
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]vigil.LastReminders, len(rs))
	for i := range rs {
		r := &rs[i]
		l := out[r.Email]
		// Ordered by id: the last seen of each is the newest.
		l.Newest = r
		if r.State == vigil.ReminderSent {
			l.Sent = r
		}
		out[r.Email] = l
	}
	return out, nil
}

// ClaimReminder records a reminder about to be sent, following the
// person's reminder after (0: their first), at r.At: the sender's clock,
// the one its cadence is judged by (the transaction's time when zero).
// When another sender has claimed that place meanwhile, it is a conflict
// and nothing is written: the caller does not send.
func (s *Store) ClaimReminder(ctx context.Context, r *vigil.Reminder, after int64) error {
	items, err := json.Marshal(r.Items)
	if err != nil {
		return internal("encode reminder", err)
	}
	return s.write(ctx, func(t *wtx) error {
		if r.At.IsZero() {
			r.At = t.now
		}
		r.State = vigil.ReminderSending
		err := t.queryRow(ctx, `INSERT INTO reminders (kind, email, after_id, at, state, items, by_user) VALUES (?, ?, ?, ?, 'sending', ?, ?) RETURNING id`,
			string(r.Kind), r.Email, after, t.d.ts(r.At), string(items), nullID(r.By)).Scan(&r.ID)
		if isUnique(err) {
			return vigil.Errorf(vigil.ECONFLICT, "a reminder to %s was claimed by another sender", r.Email)
		}
		if err != nil {
			return internal("claim reminder", err)
		}
		return nil
	})
}

// FinishReminder records how a claimed reminder's sending ended: sent
// when sendErr is empty, failed with it otherwise.
func (s *Store) FinishReminder(ctx context.Context, id int64, sendErr string) error {
	st := vigil.ReminderSent
	if sendErr != "" {
		st = vigil.ReminderFailed
	}
	return s.write(ctx, func(t *wtx) error {
		if _, err := t.exec(ctx, "UPDATE reminders SET state = ?, error = ? WHERE id = ? AND state = 'sending'", string(st), sendErr, id); err != nil {
			return internal("finish reminder", err)
		}
		return nil
	})
}

// LogReminderRun writes one activity entry for a round of reminders that
// sent or tried something: who asked (the context's actor), about which
// policy (0: all) and what came of it.
func (s *Store) LogReminderRun(ctx context.Context, kind vigil.ReminderKind, policyID int64, run *vigil.ReminderRun) error {
	entity, id := "reminders", string(kind)
	if policyID != 0 {
		entity, id = "policy", strconv.FormatInt(policyID, 10)
	}
	return s.write(ctx, func(t *wtx) error {
		return t.log(ctx, "reminders.sent", entity, id, nil, struct {
			Kind vigil.ReminderKind `json:"kind"`
			*vigil.ReminderRun
		}{kind, run})
	})
}
