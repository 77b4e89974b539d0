-- The personnel register (issue 15): one row per person, keyed by email.
-- A person who leaves keeps their row with an end date: offboarding and
-- the audit need to know who left and when.
CREATE TABLE people (
    id            {{serial}},
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    title         TEXT NOT NULL DEFAULT '',
    department    TEXT NOT NULL DEFAULT '',
    manager_email TEXT NOT NULL DEFAULT '',
    location      TEXT NOT NULL DEFAULT '',
    employment    TEXT NOT NULL CHECK (employment IN ('employee', 'contractor')),
    start_date    TEXT NOT NULL DEFAULT '',
    end_date      TEXT NOT NULL DEFAULT '',
    in_scope      {{bool}} NOT NULL,
    aliases       TEXT NOT NULL DEFAULT '[]',
    source        TEXT NOT NULL,
    created_at    {{time}} NOT NULL,
    updated_at    {{time}} NOT NULL
);

-- A CSV import waits here between its dry run and its confirmation, so
-- that what is confirmed is exactly what was previewed.
CREATE TABLE people_imports (
    id          {{serial}},
    sha256      TEXT NOT NULL,
    content     TEXT NOT NULL,
    created_by  BIGINT NOT NULL REFERENCES users(id),
    created_at  {{time}} NOT NULL,
    applied_at  {{time}}
);

-- The accounts each connected system listed in its latest collections.
-- A row stays once its account is gone (present false), with when it was
-- first seen gone: that is the record that access was removed.
CREATE TABLE accounts (
    integration_id   BIGINT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id      TEXT NOT NULL,
    username         TEXT NOT NULL DEFAULT '',
    email            TEXT NOT NULL DEFAULT '',
    state            TEXT NOT NULL CHECK (state IN ('active', 'disabled', 'unknown')),
    state_reason     TEXT NOT NULL DEFAULT '',
    privileged       {{bool}} NOT NULL,
    present          {{bool}} NOT NULL,
    last_active_seen {{time}},
    inactive_since   {{time}},
    seen_at          {{time}} NOT NULL,
    PRIMARY KEY (integration_id, external_id)
);

-- When each integration's account list was last collected in full.
CREATE TABLE account_collections (
    integration_id BIGINT PRIMARY KEY REFERENCES integrations(id) ON DELETE CASCADE,
    collected_at   {{time}} NOT NULL,
    accounts       INTEGER NOT NULL
);

-- Manual matches of accounts to people (person_id NULL: nobody's).
CREATE TABLE account_links (
    integration_id BIGINT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id    TEXT NOT NULL,
    person_id      BIGINT REFERENCES people(id),
    linked_by      TEXT NOT NULL,
    linked_at      {{time}} NOT NULL,
    PRIMARY KEY (integration_id, external_id)
);

-- Acknowledgements: who accepted which published version, when, and the
-- hash of the text they were shown. Never edited or deleted: the id only
-- grows, so a reader can keep what it read and ask for what is newer.
CREATE TABLE policy_acks (
    id        {{serial}},
    policy_id BIGINT NOT NULL,
    number    INTEGER NOT NULL,
    email     TEXT NOT NULL,
    user_id   BIGINT NOT NULL REFERENCES users(id),
    at        {{time}} NOT NULL,
    sha256    TEXT NOT NULL,
    UNIQUE (policy_id, email, number),
    FOREIGN KEY (policy_id, number) REFERENCES policy_versions(policy_id, number)
);

-- What the personnel module sealed into the evidence ledger: each
-- policy's acknowledgement roster and the offboarding log, whenever they
-- changed (subject: "acks:POL-001", "offboarding").
CREATE TABLE people_seals (
    id          {{serial}},
    subject     TEXT NOT NULL,
    day         TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    evidence_id BIGINT NOT NULL REFERENCES evidence(id),
    sealed_at   {{time}} NOT NULL
);
CREATE INDEX people_seals_subject ON people_seals (subject, id);
