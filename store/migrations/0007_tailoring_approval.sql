-- A host's tailoring (checks it turns off, each with a justification) is
-- the host's own word. The server approves it: the approved copy is kept
-- here, and a check turned off without approval makes the controls it
-- tests unknown in readiness, never passing.
ALTER TABLE agents ADD COLUMN tailoring_approved TEXT NOT NULL DEFAULT '{}';
