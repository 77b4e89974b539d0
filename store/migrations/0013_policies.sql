-- Policies (issue 15): each policy names its owner, approvers (a JSON list
-- of user ids), the quorum of them a version needs and its review cycle.
-- Versions are kept for ever: a version's text is fixed once submitted,
-- and what was approved, published and acknowledged must stay readable.
CREATE TABLE policies (
    id               {{serial}},
    policy_key       TEXT NOT NULL UNIQUE,
    title            TEXT NOT NULL,
    template_id      TEXT NOT NULL DEFAULT '',
    owner_id         BIGINT NOT NULL REFERENCES users(id),
    approvers        TEXT NOT NULL,
    quorum           INTEGER NOT NULL CHECK (quorum >= 1),
    review_months    INTEGER NOT NULL CHECK (review_months BETWEEN 1 AND 36),
    controls         TEXT NOT NULL DEFAULT '[]',
    criteria         TEXT NOT NULL DEFAULT '[]',
    created_at       {{time}} NOT NULL,
    retired_at       {{time}},
    last_reviewed_at {{time}},
    -- The next "no changes" review round's number.
    review_round     INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE policy_versions (
    policy_id      BIGINT NOT NULL REFERENCES policies(id),
    number         INTEGER NOT NULL CHECK (number >= 1),
    state          TEXT NOT NULL CHECK (state IN ('draft', 'in_review', 'approved', 'published', 'retired')),
    body           TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    change_summary TEXT NOT NULL DEFAULT '',
    material       {{bool}} NOT NULL DEFAULT {{true}},
    editors        TEXT NOT NULL DEFAULT '[]',
    created_by     BIGINT REFERENCES users(id),
    created_at     {{time}} NOT NULL,
    submitted_at   {{time}},
    approved_at    {{time}},
    published_at   {{time}},
    effective      TEXT NOT NULL DEFAULT '',
    retired_at     {{time}},
    PRIMARY KEY (policy_id, number)
);

-- Approvals: review 0 is the approval that let a version be published,
-- review n a later "no changes" review of the published text.
CREATE TABLE policy_approvals (
    policy_id BIGINT NOT NULL,
    number    INTEGER NOT NULL,
    user_id   BIGINT NOT NULL REFERENCES users(id),
    review    INTEGER NOT NULL DEFAULT 0,
    at        {{time}} NOT NULL,
    comment   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (policy_id, number, user_id, review),
    FOREIGN KEY (policy_id, number) REFERENCES policy_versions(policy_id, number)
);

-- The evidence item each publication (review 0) and each completed "no
-- changes" review round was sealed as. A publication without one is not
-- yet shown operating.
CREATE TABLE policy_seals (
    policy_id   BIGINT NOT NULL,
    number      INTEGER NOT NULL,
    review      INTEGER NOT NULL,
    evidence_id BIGINT NOT NULL REFERENCES evidence(id),
    PRIMARY KEY (policy_id, number, review),
    FOREIGN KEY (policy_id, number) REFERENCES policy_versions(policy_id, number)
);
