-- Core schema: organization and scope, users and tokens, controls, systems,
-- and the hash-chained activity log. Tokens in {{braces}} are replaced per
-- engine by the dialect (store/dialect.go) so that both share one file.

CREATE TABLE organization (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    name        TEXT NOT NULL,
    legal_name  TEXT NOT NULL DEFAULT '',
    website     TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    categories  TEXT NOT NULL DEFAULT 'security',
    audit_type  TEXT NOT NULL DEFAULT '',
    as_of        TEXT NOT NULL DEFAULT '',
    window_start TEXT NOT NULL DEFAULT '',
    window_end   TEXT NOT NULL DEFAULT '',
    created_at  {{time}} NOT NULL,
    updated_at  {{time}} NOT NULL,
    scope_updated_at {{time}} NOT NULL
);

CREATE TABLE users (
    id            {{serial}},
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL DEFAULT '',
    disabled      {{bool}} NOT NULL DEFAULT {{false}},
    created_at    {{time}} NOT NULL,
    updated_at    {{time}} NOT NULL
);

CREATE TABLE api_tokens (
    id           {{serial}},
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    created_at   {{time}} NOT NULL,
    expires_at   {{time}},
    last_used_at {{time}},
    revoked_at   {{time}}
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE setup_tokens (
    secret_hash TEXT PRIMARY KEY,
    created_at  {{time}} NOT NULL,
    expires_at  {{time}} NOT NULL,
    used_at     {{time}}
);

CREATE TABLE controls (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    domain        TEXT NOT NULL,
    owner_id      BIGINT REFERENCES users(id),
    frequency     TEXT NOT NULL,
    evidence      TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    justification TEXT NOT NULL DEFAULT '',
    custom        {{bool}} NOT NULL DEFAULT {{false}},
    automatable   {{bool}} NOT NULL DEFAULT {{false}},
    how_automated TEXT NOT NULL DEFAULT '',
    created_at    {{time}} NOT NULL,
    updated_at    {{time}} NOT NULL,
    CHECK (status IN ('not_started', 'in_progress', 'implemented', 'not_applicable')),
    CHECK (status <> 'not_applicable' OR justification <> '')
);
CREATE INDEX controls_owner ON controls(owner_id);
CREATE INDEX controls_domain ON controls(domain);

CREATE TABLE control_criteria (
    control_id   TEXT NOT NULL REFERENCES controls(id) ON DELETE CASCADE,
    criterion_id TEXT NOT NULL,
    PRIMARY KEY (control_id, criterion_id)
);
CREATE INDEX control_criteria_criterion ON control_criteria(criterion_id);

CREATE TABLE systems (
    id             {{serial}},
    name           TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL,
    owner_id       BIGINT REFERENCES users(id),
    classification TEXT NOT NULL,
    environment    TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    created_at     {{time}} NOT NULL,
    updated_at     {{time}} NOT NULL
);

-- The activity log. seq is assigned by the writer (head.seq + 1) inside the
-- mutating transaction, never by a sequence, so that it has no gaps and a
-- missing number means a deleted row.
CREATE TABLE activity (
    seq         BIGINT PRIMARY KEY,
    at          {{time}} NOT NULL,
    actor_id    BIGINT NOT NULL DEFAULT 0,
    actor_name  TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    before_json TEXT NOT NULL DEFAULT '',
    after_json  TEXT NOT NULL DEFAULT '',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX activity_entity ON activity(entity_type, entity_id);
CREATE INDEX activity_actor ON activity(actor_id);

CREATE TABLE activity_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO activity_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
