-- Integrations: connected systems (a git repository, TLS endpoints, later
-- cloud accounts, code hosts and directories) whose controls Vigil tests.
-- config is the non-secret settings (JSON); secret is sealed with the
-- secret keyring, never stored or returned in clear.

CREATE TABLE integrations (
    id          {{serial}},
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL UNIQUE,
    config      TEXT NOT NULL,
    secret      TEXT NOT NULL DEFAULT '',
    interval_seconds INTEGER NOT NULL,
    enabled     {{bool}} NOT NULL DEFAULT {{true}},
    agent_id    BIGINT,
    last_run    {{time}},
    last_status TEXT NOT NULL DEFAULT '',
    last_error  TEXT NOT NULL DEFAULT '',
    -- what a kind remembers between runs (e.g. the branch head, to see a
    -- force push), JSON
    state       TEXT NOT NULL DEFAULT '{}',
    created_at  {{time}} NOT NULL,
    updated_at  {{time}} NOT NULL
);
