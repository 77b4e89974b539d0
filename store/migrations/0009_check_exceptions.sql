-- Server-side exceptions to checks: per check, for one host, the hosts
-- carrying a label, or all hosts; risk accepted or not applicable; with a
-- justification, an expiry, the requester and a different approver. An
-- exception changes nothing until approved, and nothing once expired or
-- revoked. Rows are never deleted: they are the record of what was excused.
CREATE TABLE check_exceptions (
    id                {{serial}},
    check_id          TEXT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('risk_accepted', 'not_applicable')),
    scope             TEXT NOT NULL CHECK (scope IN ('host', 'label', 'all')),
    agent_id          BIGINT REFERENCES agents(id),
    label             TEXT NOT NULL DEFAULT '',
    justification     TEXT NOT NULL,
    expires_at        {{time}} NOT NULL,
    requested_by      BIGINT NOT NULL REFERENCES users(id),
    requested_at      {{time}} NOT NULL,
    approved_by       BIGINT REFERENCES users(id),
    approved_at       {{time}},
    revoked_by        BIGINT REFERENCES users(id),
    revoked_at        {{time}},
    revoke_reason     TEXT NOT NULL DEFAULT '',
    -- Separation of duties, enforced by the database too.
    CHECK (approved_by IS NULL OR approved_by <> requested_by),
    CHECK ((scope = 'host') = (agent_id IS NOT NULL)),
    CHECK ((scope = 'label') = (label <> ''))
);
CREATE INDEX check_exceptions_check ON check_exceptions (check_id);

-- Labels group hosts for exceptions (JSON object key => value); an
-- enrolment token carries the labels its host starts with.
ALTER TABLE agents ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';
ALTER TABLE agent_enrolments ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';
