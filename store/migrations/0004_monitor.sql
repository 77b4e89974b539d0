-- Continuous monitoring: enrolled agents, the current result of every
-- (host, check, resource), its transitions (history is kept as changes,
-- not a copy of every run), each report as a run, the stretches of time in
-- which each agent reported on schedule, the normalized collector input
-- (content-addressed, so the ledger can take it later as it is), and
-- scheduler leases that make each scheduled job run once across replicas.

CREATE TABLE agent_enrolments (
    id          {{serial}},
    token_hash  TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL DEFAULT '',
    created_by  BIGINT,
    created_at  {{time}} NOT NULL,
    expires_at  {{time}} NOT NULL,
    used_at     {{time}},
    agent_id    BIGINT
);

CREATE TABLE agents (
    id               {{serial}},
    -- host: an enrolled server; integration: a connected system whose
    -- checks the server runs (its results are kept the same way).
    kind             TEXT NOT NULL DEFAULT 'host',
    name             TEXT NOT NULL,
    hostname         TEXT NOT NULL DEFAULT '',
    os               TEXT NOT NULL DEFAULT '',
    kernel           TEXT NOT NULL DEFAULT '',
    version          TEXT NOT NULL DEFAULT '',
    interval_seconds INTEGER NOT NULL DEFAULT 900,
    secret_hash      TEXT NOT NULL UNIQUE,
    enrolled_at      {{time}} NOT NULL,
    last_seen        {{time}},
    -- last_seen plus the grace of two intervals: past it the host's
    -- results are unknown (kept here so the fleet view can tell in SQL).
    stale_after      {{time}},
    last_seq         BIGINT NOT NULL DEFAULT 0,
    last_input       TEXT NOT NULL DEFAULT '',
    -- The checks the host's tailoring turns off, with the justification
    -- for each (JSON); a change is written to the activity log.
    tailoring        TEXT NOT NULL DEFAULT '{}',
    revoked_at       {{time}},
    n_pass           INTEGER NOT NULL DEFAULT 0,
    n_fail           INTEGER NOT NULL DEFAULT 0,
    n_error          INTEGER NOT NULL DEFAULT 0,
    n_na             INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE check_current (
    agent_id  BIGINT NOT NULL,
    check_id  TEXT NOT NULL,
    resource  TEXT NOT NULL,
    verdict   TEXT NOT NULL,
    reason    TEXT NOT NULL DEFAULT '',
    since     {{time}} NOT NULL,
    PRIMARY KEY (agent_id, check_id, resource)
);
CREATE INDEX check_current_check ON check_current (check_id, verdict);

CREATE TABLE check_transitions (
    id        {{serial}},
    agent_id  BIGINT NOT NULL,
    check_id  TEXT NOT NULL,
    resource  TEXT NOT NULL,
    verdict   TEXT NOT NULL,
    reason    TEXT NOT NULL DEFAULT '',
    at        {{time}} NOT NULL
);
CREATE INDEX check_transitions_key ON check_transitions (agent_id, check_id, resource, at);
CREATE INDEX check_transitions_check ON check_transitions (check_id, at);

CREATE TABLE check_runs (
    id           {{serial}},
    agent_id     BIGINT NOT NULL,
    seq          BIGINT NOT NULL,
    scanned_at   {{time}} NOT NULL,
    received_at  {{time}} NOT NULL,
    duration_ms  INTEGER NOT NULL,
    status       TEXT NOT NULL,
    n_changes    INTEGER NOT NULL,
    n_pass       INTEGER NOT NULL,
    n_fail       INTEGER NOT NULL,
    n_error      INTEGER NOT NULL,
    n_na         INTEGER NOT NULL,
    input_sha256 TEXT NOT NULL DEFAULT ''
);
CREATE INDEX check_runs_agent ON check_runs (agent_id, id);

CREATE TABLE agent_coverage (
    agent_id BIGINT NOT NULL,
    start_at {{time}} NOT NULL,
    end_at   {{time}} NOT NULL,
    PRIMARY KEY (agent_id, start_at)
);

CREATE TABLE monitor_inputs (
    sha256     TEXT PRIMARY KEY,
    size       BIGINT NOT NULL,
    data       TEXT NOT NULL,
    created_at {{time}} NOT NULL
);

CREATE TABLE scheduler_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at {{time}} NOT NULL,
    last_run   {{time}}
);
