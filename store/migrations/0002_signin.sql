-- Sign-in: sessions, MFA, password resets, lockout, single sign-on settings
-- and the daily readiness history behind the dashboard's trend chart.

ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_enabled {{bool}} NOT NULL DEFAULT {{false}};
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until {{time}};
ALTER TABLE users ADD COLUMN last_login_at {{time}};
-- The single sign-on identity (issuer + subject) an account is bound to.
ALTER TABLE users ADD COLUMN oidc_subject TEXT NOT NULL DEFAULT '';

ALTER TABLE organization ADD COLUMN require_mfa {{bool}} NOT NULL DEFAULT {{false}};
ALTER TABLE organization ADD COLUMN oidc_enabled {{bool}} NOT NULL DEFAULT {{false}};
ALTER TABLE organization ADD COLUMN oidc_issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE organization ADD COLUMN oidc_client_id TEXT NOT NULL DEFAULT '';
ALTER TABLE organization ADD COLUMN oidc_client_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE organization ADD COLUMN oidc_default_role TEXT NOT NULL DEFAULT 'viewer';
ALTER TABLE organization ADD COLUMN oidc_domains TEXT NOT NULL DEFAULT '';
ALTER TABLE organization ADD COLUMN oidc_trust_mfa {{bool}} NOT NULL DEFAULT {{true}};

-- A session row is keyed by the hash of the cookie's secret, so a database
-- reader cannot ride a session.
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    state        TEXT NOT NULL,
    method       TEXT NOT NULL,
    csrf         TEXT NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    created_at   {{time}} NOT NULL,
    last_seen_at {{time}} NOT NULL,
    expires_at   {{time}} NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE recovery_codes (
    user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   {{time}},
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at {{time}} NOT NULL,
    expires_at {{time}} NOT NULL,
    used_at    {{time}}
);

-- In-flight single sign-on logins: state, nonce and PKCE verifier.
CREATE TABLE oidc_logins (
    state      TEXT PRIMARY KEY,
    nonce      TEXT NOT NULL,
    verifier   TEXT NOT NULL,
    next_path  TEXT NOT NULL,
    created_at {{time}} NOT NULL
);

CREATE TABLE readiness_history (
    day        TEXT PRIMARY KEY,
    taken_at   {{time}} NOT NULL,
    ready      INTEGER NOT NULL,
    total      INTEGER NOT NULL,
    categories TEXT NOT NULL
);
