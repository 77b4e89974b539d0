-- Vendors (issue "Risks, vendors and incidents"): the inventory, each
-- vendor's due-diligence documents (bytes in the evidence ledger), the
-- complementary user entity controls of their reports, and questionnaires
-- sent by link. (0019 and 0020 are other modules'.) Lists are kept as
-- JSON text: they are read and written whole with their row.
CREATE TABLE vendors (
    id             {{serial}},
    vendor_key     TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    name_key       TEXT NOT NULL UNIQUE, -- lower-cased name: one entry per vendor
    service        TEXT NOT NULL DEFAULT '',
    purpose        TEXT NOT NULL DEFAULT '',
    owner_id       BIGINT REFERENCES users(id),
    data_shared    TEXT NOT NULL DEFAULT '[]',
    tier           TEXT NOT NULL DEFAULT '' CHECK (tier IN ('', 'critical', 'high', 'medium', 'low')),
    subservice     {{bool}} NOT NULL DEFAULT {{false}},
    subprocessor   {{bool}} NOT NULL DEFAULT {{false}},
    location       TEXT NOT NULL DEFAULT '',
    contract_start TEXT NOT NULL DEFAULT '',
    contract_end   TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL CHECK (status IN ('onboarding', 'active', 'offboarded')),
    created_at     {{time}} NOT NULL,
    updated_at     {{time}} NOT NULL
);

-- A document is added once; its review is set once (a new review is a
-- new document). evidence_id is its bytes in the ledger.
CREATE TABLE vendor_documents (
    id              {{serial}},
    vendor_id       BIGINT NOT NULL REFERENCES vendors(id),
    kind            TEXT NOT NULL CHECK (kind IN ('soc2_report', 'iso27001', 'bridge_letter', 'dpa', 'baa', 'contract')),
    title           TEXT NOT NULL,
    evidence_id     BIGINT NOT NULL REFERENCES evidence(id),
    period_start    TEXT NOT NULL DEFAULT '',
    period_end      TEXT NOT NULL DEFAULT '',
    expires         TEXT NOT NULL DEFAULT '',
    report_type     TEXT NOT NULL DEFAULT '',
    opinion         TEXT NOT NULL DEFAULT '',
    exceptions      TEXT NOT NULL DEFAULT '',
    subservice_orgs TEXT NOT NULL DEFAULT '[]',
    conclusion      TEXT NOT NULL DEFAULT '' CHECK (conclusion IN ('', 'acceptable', 'acceptable_with_conditions', 'unacceptable')),
    review_note     TEXT NOT NULL DEFAULT '',
    reviewer_id     BIGINT REFERENCES users(id),
    reviewed_at     {{time}},
    created_at      {{time}} NOT NULL
);
CREATE INDEX vendor_documents_vendor ON vendor_documents (vendor_id);

CREATE TABLE vendor_cuecs (
    id          {{serial}},
    document_id BIGINT NOT NULL REFERENCES vendor_documents(id),
    text        TEXT NOT NULL,
    controls    TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX vendor_cuecs_document ON vendor_cuecs (document_id);

-- One row per round; thread_id is the first round's id. The link's
-- secret is kept only as its SHA-256; used_at makes it single-use.
CREATE TABLE vendor_questionnaires (
    id           {{serial}},
    vendor_id    BIGINT NOT NULL REFERENCES vendors(id),
    thread_id    BIGINT NOT NULL DEFAULT 0,
    round        INTEGER NOT NULL,
    template     TEXT NOT NULL,
    contact      TEXT NOT NULL,
    message      TEXT NOT NULL DEFAULT '',
    token_hash   TEXT NOT NULL UNIQUE,
    expires_at   {{time}} NOT NULL,
    created_at   {{time}} NOT NULL,
    created_by   BIGINT REFERENCES users(id),
    submitted_at {{time}},
    answers      TEXT NOT NULL DEFAULT '[]',
    attachments  TEXT NOT NULL DEFAULT '[]',
    score        INTEGER NOT NULL DEFAULT 0,
    evidence_id  BIGINT REFERENCES evidence(id),
    conclusion   TEXT NOT NULL DEFAULT '' CHECK (conclusion IN ('', 'acceptable', 'acceptable_with_conditions', 'unacceptable')),
    review_note  TEXT NOT NULL DEFAULT '',
    reviewer_id  BIGINT REFERENCES users(id),
    reviewed_at  {{time}}
);
CREATE INDEX vendor_questionnaires_vendor ON vendor_questionnaires (vendor_id);
