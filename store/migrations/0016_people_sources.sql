-- Personnel register sources (issue "Policies and people"): an HR system
-- or a directory keeps the register, and a change of a person's title or
-- department is a role change (HR-08) whose access someone must review.
-- (0015 is training's; 0017 is another module's.)

-- When each integration last synced people, and how many it listed: a
-- connected source is what makes HR-08 judgeable without a CSV import.
CREATE TABLE people_syncs (
    integration_id BIGINT PRIMARY KEY REFERENCES integrations(id) ON DELETE CASCADE,
    source         TEXT NOT NULL,
    synced_at      {{time}} NOT NULL,
    listed         INTEGER NOT NULL
);

-- Role changes, kept for ever: the change, when it was detected and by
-- which source, and the review of the person's access that followed.
CREATE TABLE role_changes (
    id             {{serial}},
    person_id      BIGINT NOT NULL REFERENCES people(id),
    old_title      TEXT NOT NULL DEFAULT '',
    new_title      TEXT NOT NULL DEFAULT '',
    old_department TEXT NOT NULL DEFAULT '',
    new_department TEXT NOT NULL DEFAULT '',
    detected_at    {{time}} NOT NULL,
    source         TEXT NOT NULL,
    reviewed_at    {{time}},
    reviewed_by    TEXT NOT NULL DEFAULT '',
    reviewer_id    BIGINT REFERENCES users(id),
    review_comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX role_changes_person ON role_changes (person_id);
