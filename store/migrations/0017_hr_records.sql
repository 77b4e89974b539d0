-- HR records (issue "Policies and people"): background checks, performance
-- review attestations and signed confidentiality agreements, each a record
-- that is only ever added (a correction is a newer record), and which
-- policy is the confidentiality agreement people sign in Vigil. (0016 is
-- another module's.)
CREATE TABLE background_checks (
    id           {{serial}},
    person_id    BIGINT NOT NULL REFERENCES people(id),
    completed_on TEXT NOT NULL,
    provider     TEXT NOT NULL,
    result       TEXT NOT NULL CHECK (result IN ('clear', 'consider', 'adjudicated')),
    evidence_id  BIGINT NOT NULL REFERENCES evidence(id),
    note         TEXT NOT NULL DEFAULT '',
    recorded_by  BIGINT REFERENCES users(id),
    recorded_at  {{time}} NOT NULL
);
CREATE INDEX background_checks_person ON background_checks (person_id);

-- A review is attested by the person's manager or HR, never by the
-- person (vigil.Actor.MayAttestReview).
CREATE TABLE performance_reviews (
    id           {{serial}},
    person_id    BIGINT NOT NULL REFERENCES people(id),
    period       TEXT NOT NULL,
    completed_on TEXT NOT NULL,
    evidence_id  BIGINT REFERENCES evidence(id),
    note         TEXT NOT NULL DEFAULT '',
    attested_by  BIGINT NOT NULL REFERENCES users(id),
    recorded_at  {{time}} NOT NULL
);
CREATE INDEX performance_reviews_person ON performance_reviews (person_id);

-- Agreements signed outside Vigil (paper, another e-signature service),
-- with the signed document in the ledger. Agreements signed in Vigil are
-- acknowledgements of the designated policy (policy_acks).
CREATE TABLE confidentiality_agreements (
    id          {{serial}},
    person_id   BIGINT NOT NULL REFERENCES people(id),
    signed_at   {{time}} NOT NULL,
    document    TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    evidence_id BIGINT NOT NULL REFERENCES evidence(id),
    recorded_by BIGINT REFERENCES users(id),
    recorded_at {{time}} NOT NULL
);
CREATE INDEX confidentiality_agreements_person ON confidentiality_agreements (person_id);

-- One row: the policy people sign as their confidentiality agreement.
CREATE TABLE hr_settings (
    id                        INTEGER PRIMARY KEY CHECK (id = 1),
    confidentiality_policy_id BIGINT REFERENCES policies(id),
    updated_by                BIGINT REFERENCES users(id),
    updated_at                {{time}} NOT NULL
);

-- Whether the identity system reports a second factor for the account
-- (NULL: it does not say, or could not read it).
ALTER TABLE accounts ADD COLUMN mfa {{bool}};

-- Each month's onboarding log and background-check roster as sealed into
-- the evidence ledger: a new seal only when the record differs from the
-- last one sealed for that month.
CREATE TABLE hr_seals (
    id          {{serial}},
    kind        TEXT NOT NULL CHECK (kind IN ('onboarding', 'background_checks')),
    month       TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    evidence_id BIGINT NOT NULL REFERENCES evidence(id),
    sealed_at   {{time}} NOT NULL
);
CREATE INDEX hr_seals_month ON hr_seals (kind, month);
