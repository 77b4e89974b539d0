-- Reminders (issue "Policies and people"): each mail Vigil sends, or
-- tries to send, to remind one person, such as their digest of policies
-- to acknowledge. A sender claims a row before the mail goes out; the
-- row names the person's reminder it follows (0: none), so two senders
-- racing (a manager's click and the schedule, or two replicas) claim the
-- same successor and the second is refused by the unique key instead of
-- sending twice.
CREATE TABLE reminders (
    id       {{serial}},
    kind     TEXT NOT NULL,
    email    TEXT NOT NULL,
    after_id BIGINT NOT NULL,
    at       {{time}} NOT NULL,
    state    TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'failed')),
    error    TEXT NOT NULL DEFAULT '',
    items    TEXT NOT NULL,
    by_user  BIGINT REFERENCES users(id),
    UNIQUE (kind, email, after_id)
);
