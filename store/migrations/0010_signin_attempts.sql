-- Sign-in and password-reset attempts, counted per key (an address, an
-- account as seen from an address) so that limits hold across replicas.
-- An attempt is recorded before the password is hashed and removed again
-- when it succeeds: what stays are failures and attempts in flight.
CREATE TABLE signin_attempts (
    id        {{serial}},
    grp       TEXT NOT NULL,
    key       TEXT NOT NULL,
    at        {{time}} NOT NULL
);
CREATE INDEX signin_attempts_key_at ON signin_attempts(key, at);
CREATE INDEX signin_attempts_grp ON signin_attempts(grp);
