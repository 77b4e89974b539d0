-- The evidence ledger: blobs, evidence items and their reviews, evidence
-- requests, and the Merkle log (entries, stored subtree nodes, signed
-- checkpoints) that makes every record verifiable.

CREATE TABLE blobs (
    sha256      TEXT PRIMARY KEY,
    size        BIGINT NOT NULL,
    stored_size BIGINT NOT NULL,
    wrapped_key TEXT NOT NULL,
    -- The blob store object holding the ciphertext: the address plus a
    -- random suffix, so two uploads of the same bytes never overwrite each
    -- other's object (the row names the one whose key it keeps).
    object      TEXT NOT NULL DEFAULT '',
    -- Small blobs (up to 64 KiB) are kept here, encrypted and base64, not
    -- as objects: a file per 1 KB snapshot would cost more than the data.
    inline_data TEXT,
    created_at  {{time}} NOT NULL
);

-- One row per log leaf. record is the exact canonical bytes whose RFC 6962
-- leaf hash is in the tree, so verification needs nothing else.
CREATE TABLE ledger_entries (
    idx        BIGINT PRIMARY KEY,
    kind       TEXT NOT NULL,
    ref        TEXT NOT NULL,
    record     TEXT NOT NULL,
    created_at {{time}} NOT NULL
);

-- Every perfect subtree's hash, level 0 being the leaves.
CREATE TABLE ledger_nodes (
    level INTEGER NOT NULL,
    idx   BIGINT NOT NULL,
    hash  TEXT NOT NULL,
    PRIMARY KEY (level, idx)
);

CREATE TABLE ledger_checkpoints (
    size       BIGINT PRIMARY KEY,
    root       TEXT NOT NULL,
    note       TEXT NOT NULL,
    created_at {{time}} NOT NULL
);

CREATE TABLE ledger_keys (
    vkey       TEXT PRIMARY KEY,
    origin     TEXT NOT NULL,
    created_at {{time}} NOT NULL
);

CREATE TABLE evidence (
    id              {{serial}},
    log_index       BIGINT NOT NULL UNIQUE,
    source          TEXT NOT NULL,
    title           TEXT NOT NULL,
    statement       TEXT NOT NULL DEFAULT '',
    url             TEXT NOT NULL DEFAULT '',
    sha256          TEXT REFERENCES blobs(sha256),
    size            BIGINT NOT NULL DEFAULT 0,
    media_type      TEXT NOT NULL DEFAULT '',
    filename        TEXT NOT NULL DEFAULT '',
    collected_at    {{time}} NOT NULL,
    effective_start TEXT NOT NULL,
    effective_end   TEXT NOT NULL,
    submitter_id    BIGINT NOT NULL DEFAULT 0,
    submitter       TEXT NOT NULL,
    redactions      INTEGER NOT NULL DEFAULT 0,
    purged_at       {{time}}
);
CREATE INDEX evidence_sha256 ON evidence(sha256);

CREATE TABLE evidence_controls (
    evidence_id BIGINT NOT NULL REFERENCES evidence(id),
    control_id  TEXT NOT NULL,
    PRIMARY KEY (evidence_id, control_id)
);
CREATE INDEX evidence_controls_control ON evidence_controls(control_id);

CREATE TABLE evidence_requests (
    id          {{serial}},
    control_id  TEXT NOT NULL REFERENCES controls(id),
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    frequency   TEXT NOT NULL,
    start_date  TEXT NOT NULL,
    grace_days  INTEGER NOT NULL DEFAULT 0,
    created_at  {{time}} NOT NULL,
    -- Requests are retired, not deleted: evidence records name them.
    deleted_at  {{time}}
);

CREATE TABLE evidence_request_items (
    evidence_id BIGINT NOT NULL REFERENCES evidence(id),
    request_id  BIGINT NOT NULL REFERENCES evidence_requests(id),
    PRIMARY KEY (evidence_id, request_id)
);

-- Reviews are appended, never updated: the latest one per item stands.
CREATE TABLE evidence_reviews (
    id          {{serial}},
    evidence_id BIGINT NOT NULL REFERENCES evidence(id),
    state       TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    reviewer    TEXT NOT NULL,
    log_index   BIGINT NOT NULL UNIQUE,
    created_at  {{time}} NOT NULL
);
CREATE INDEX evidence_reviews_item ON evidence_reviews(evidence_id);
