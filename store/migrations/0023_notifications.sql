-- Notifications (issue "Access reviews, tasks and notifications"): the
-- channels they go to and an outbox. A notification is queued with one
-- delivery row per channel in the same transaction as whatever caused it,
-- so nothing queued is lost to a restart; a sender leases due rows
-- (lease_until) so replicas never deliver one twice at a time, and a
-- lease that lapses (a crash mid-send) makes the row due again.
-- (0020 to 0022 are other modules'.)
CREATE TABLE notification_channels (
    id            {{serial}},
    name          TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL CHECK (kind IN ('email', 'slack', 'teams', 'webhook')),
    target_sealed TEXT NOT NULL,
    target_shown  TEXT NOT NULL,
    secret_sealed TEXT NOT NULL DEFAULT '',
    enabled       {{bool}} NOT NULL,
    created_by    BIGINT REFERENCES users(id),
    created_at    {{time}} NOT NULL,
    deleted_at    {{time}}
);

CREATE TABLE notifications (
    id         {{serial}},
    event      TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    link       TEXT NOT NULL DEFAULT '',
    created_at {{time}} NOT NULL
);

CREATE TABLE notification_deliveries (
    id              {{serial}},
    notification_id BIGINT NOT NULL REFERENCES notifications(id),
    channel_id      BIGINT NOT NULL REFERENCES notification_channels(id),
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_at         {{time}},
    lease_until     {{time}},
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    delivered_at    {{time}},
    created_at      {{time}} NOT NULL
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (state, next_at);
CREATE INDEX notification_deliveries_channel ON notification_deliveries (channel_id, id);
