-- The risk register and the annual risk assessment (issue "Risks, vendors
-- and incidents"). Scores are on the 5 × 5 scale (vigil.DefaultRiskScale);
-- the CHECKs hold the scale's bounds as the last line behind Validate.
CREATE TABLE risks (
    id                  {{serial}},
    risk_key            TEXT NOT NULL UNIQUE,
    library_id          TEXT NOT NULL DEFAULT '',
    title               TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    category            TEXT NOT NULL,
    asset               TEXT NOT NULL DEFAULT '',
    threat              TEXT NOT NULL DEFAULT '',
    vulnerability       TEXT NOT NULL DEFAULT '',
    owner_id            BIGINT REFERENCES users(id),
    likelihood          INTEGER NOT NULL CHECK (likelihood BETWEEN 1 AND 5),
    impact              INTEGER NOT NULL CHECK (impact BETWEEN 1 AND 5),
    residual_likelihood INTEGER NOT NULL DEFAULT 0 CHECK (residual_likelihood BETWEEN 0 AND 5),
    residual_impact     INTEGER NOT NULL DEFAULT 0 CHECK (residual_impact BETWEEN 0 AND 5),
    treatment           TEXT NOT NULL DEFAULT '' CHECK (treatment IN ('', 'mitigate', 'accept', 'transfer', 'avoid')),
    treatment_plan      TEXT NOT NULL DEFAULT '',
    review_date         TEXT NOT NULL DEFAULT '',
    -- The acceptance: approver (never the owner), expiry, approval time.
    approver_id         BIGINT REFERENCES users(id),
    acceptance_expires  TEXT NOT NULL DEFAULT '',
    acceptance_note     TEXT NOT NULL DEFAULT '',
    accepted_at         {{time}},
    -- The optional quantitative estimate (frequency 0: none).
    quant_frequency     DOUBLE PRECISION NOT NULL DEFAULT 0,
    loss_low            DOUBLE PRECISION NOT NULL DEFAULT 0,
    loss_likely         DOUBLE PRECISION NOT NULL DEFAULT 0,
    loss_high           DOUBLE PRECISION NOT NULL DEFAULT 0,
    created_at          {{time}} NOT NULL,
    updated_at          {{time}} NOT NULL
);

-- The organization's controls that treat each risk; deleting a control
-- unlinks it (the risk then shows what still treats it).
CREATE TABLE risk_controls (
    risk_id    BIGINT NOT NULL REFERENCES risks(id),
    control_id TEXT NOT NULL REFERENCES controls(id) ON DELETE CASCADE,
    PRIMARY KEY (risk_id, control_id)
);
CREATE INDEX risk_controls_control ON risk_controls (control_id);

-- Each assessment keeps the register as it stood (JSON), who took part
-- and how; signing seals it into the evidence ledger (evidence_id).
CREATE TABLE risk_assessments (
    id             {{serial}},
    assessment_key TEXT NOT NULL UNIQUE,
    performed_on   TEXT NOT NULL,
    method         TEXT NOT NULL,
    participants   TEXT NOT NULL,
    months         INTEGER NOT NULL CHECK (months BETWEEN 1 AND 24),
    next_due       TEXT NOT NULL,
    register       TEXT NOT NULL,
    created_by     BIGINT REFERENCES users(id),
    created_at     {{time}} NOT NULL,
    signed_by      BIGINT REFERENCES users(id),
    signed_at      {{time}},
    evidence_id    BIGINT REFERENCES evidence(id)
);
