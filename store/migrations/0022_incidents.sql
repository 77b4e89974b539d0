-- Incidents and exercises (issue "Risks, vendors and incidents"): the
-- incident register with its append-only timeline, notifications owed,
-- post-incident review and its actions, and the tabletop, disaster
-- recovery and restore exercises with their evidence. (0019 to 0021 are
-- other modules'.)
CREATE TABLE incidents (
    id          {{serial}},
    incident_key TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    summary     TEXT NOT NULL DEFAULT '',
    severity    TEXT NOT NULL CHECK (severity IN ('SEV1', 'SEV2', 'SEV3', 'SEV4')),
    status      TEXT NOT NULL CHECK (status IN ('declared', 'investigating', 'contained', 'resolved', 'closed')),
    detected_at {{time}} NOT NULL,
    declared_at {{time}} NOT NULL,
    resolved_at {{time}},
    closed_at   {{time}},
    customers   TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL DEFAULT '',
    root_cause  TEXT NOT NULL DEFAULT '',
    dedup_key   TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT '',
    created_by  BIGINT REFERENCES users(id),
    evidence_id BIGINT REFERENCES evidence(id),
    review_summary      TEXT,
    review_completed_at {{time}},
    reviewer_id BIGINT REFERENCES users(id)
);
-- A retrying alert finds the incident it opened while that incident is
-- not closed; after closure the same key opens a new one.
CREATE UNIQUE INDEX incidents_dedup ON incidents (dedup_key) WHERE dedup_key <> '' AND status <> 'closed';
CREATE INDEX incidents_status ON incidents (status, severity);

CREATE TABLE incident_systems (
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    -- No foreign key: removing a system from scope must not be blocked by
    -- an old incident; the pages show a removed system by its number.
    system_id   BIGINT NOT NULL,
    PRIMARY KEY (incident_id, system_id)
);

-- The timeline: rows are inserted, never updated or deleted. generated
-- marks the entries Vigil writes itself (declaration, status changes,
-- notifications sent, review, closure): they do not make a timeline.
CREATE TABLE incident_events (
    id          {{serial}},
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    at          {{time}} NOT NULL,
    author_id   BIGINT REFERENCES users(id),
    author      TEXT NOT NULL,
    text        TEXT NOT NULL,
    generated   {{bool}} NOT NULL DEFAULT {{false}},
    recorded_at {{time}} NOT NULL
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, at);

CREATE TABLE incident_notifications (
    id          {{serial}},
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    audience    TEXT NOT NULL,
    due_at      {{time}} NOT NULL,
    sent_at     {{time}},
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX incident_notifications_incident ON incident_notifications (incident_id);

-- Actions of post-incident reviews, kept simple: the next issue folds
-- them into one task model.
CREATE TABLE incident_actions (
    id          {{serial}},
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    title       TEXT NOT NULL,
    owner_id    BIGINT NOT NULL REFERENCES users(id),
    due         TEXT NOT NULL,
    done_at     {{time}}
);
CREATE INDEX incident_actions_incident ON incident_actions (incident_id);

CREATE TABLE exercises (
    id           {{serial}},
    exercise_key TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('tabletop', 'dr', 'restore')),
    scenario     TEXT NOT NULL,
    day          TEXT NOT NULL,
    participants TEXT NOT NULL,
    tested       TEXT NOT NULL,
    results      TEXT NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('passed', 'partial', 'failed')),
    findings     TEXT NOT NULL DEFAULT '',
    actions      TEXT NOT NULL DEFAULT '',
    created_at   {{time}} NOT NULL,
    created_by   BIGINT REFERENCES users(id)
);

CREATE TABLE exercise_evidence (
    exercise_id BIGINT NOT NULL REFERENCES exercises(id),
    evidence_id BIGINT NOT NULL REFERENCES evidence(id),
    PRIMARY KEY (exercise_id, evidence_id)
);

-- One row: the organization's review days and exercise cadences.
CREATE TABLE incident_rules (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    review_days     INTEGER NOT NULL,
    tabletop_months INTEGER NOT NULL,
    dr_months       INTEGER NOT NULL,
    restore_months  INTEGER NOT NULL
);
