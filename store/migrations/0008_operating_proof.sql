-- Separation of duties for evidence: by default an item's submitter cannot
-- accept or reject it; an owner may turn that off (logged).
ALTER TABLE organization ADD COLUMN evidence_independent_review {{bool}} NOT NULL DEFAULT {{true}};

-- Each evidence request is someone's job: a named user, or (NULL) whoever
-- owns the request's control at the time.
ALTER TABLE evidence_requests ADD COLUMN assignee_id BIGINT REFERENCES users(id);
