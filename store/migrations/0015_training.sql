-- Training (issue "Policies and people"): courses, whom they are assigned
-- to, each person's completions and quiz attempts, and the rosters sealed
-- into the evidence ledger. (0014 is another module's.)
CREATE TABLE training_courses (
    id                {{serial}},
    course_key        TEXT NOT NULL UNIQUE,
    title             TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    kind              TEXT NOT NULL CHECK (kind IN ('awareness', 'role_based')),
    builtin           TEXT NOT NULL DEFAULT '',
    control_id        TEXT NOT NULL,
    pass_mark         INTEGER NOT NULL CHECK (pass_mark BETWEEN 1 AND 100),
    recurrence_months INTEGER NOT NULL CHECK (recurrence_months BETWEEN 0 AND 36),
    due_days          INTEGER NOT NULL CHECK (due_days BETWEEN 1 AND 365),
    created_at        {{time}} NOT NULL,
    retired_at        {{time}}
);

-- An assignment covers everyone, a role, or a department (kept, but it
-- matches nobody until people have departments).
CREATE TABLE training_assignments (
    id         {{serial}},
    course_id  BIGINT NOT NULL REFERENCES training_courses(id),
    target     TEXT NOT NULL CHECK (target IN ('all', 'role', 'department')),
    value      TEXT NOT NULL DEFAULT '',
    created_at {{time}} NOT NULL,
    created_by BIGINT REFERENCES users(id),
    UNIQUE (course_id, target, value)
);

-- Completions are kept for ever: a failed quiz is an attempt, not a
-- completion; a pass, an uploaded certificate or a manager's attestation
-- is. evidence_id is the certificate in the ledger, once sealed.
CREATE TABLE training_completions (
    id           {{serial}},
    course_id    BIGINT NOT NULL REFERENCES training_courses(id),
    user_id      BIGINT NOT NULL REFERENCES users(id),
    completed_at {{time}} NOT NULL,
    score        INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
    passed       {{bool}} NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('builtin_quiz', 'upload', 'attestation')),
    evidence_id  BIGINT REFERENCES evidence(id),
    recorded_by  BIGINT REFERENCES users(id),
    note         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX training_completions_user ON training_completions (user_id, course_id);

-- Every quiz attempt, passed or not, with the answers given.
CREATE TABLE training_attempts (
    id        {{serial}},
    course_id BIGINT NOT NULL REFERENCES training_courses(id),
    user_id   BIGINT NOT NULL REFERENCES users(id),
    at        {{time}} NOT NULL,
    score     INTEGER NOT NULL,
    passed    {{bool}} NOT NULL,
    answers   TEXT NOT NULL
);
CREATE INDEX training_attempts_user ON training_attempts (user_id, course_id);

-- Each course's roster as sealed: a new seal only when the roster differs
-- from the last one sealed (sha256 of the sealed record's roster).
CREATE TABLE training_seals (
    id          {{serial}},
    course_id   BIGINT NOT NULL REFERENCES training_courses(id),
    day         TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    evidence_id BIGINT NOT NULL REFERENCES evidence(id),
    sealed_at   {{time}} NOT NULL
);
