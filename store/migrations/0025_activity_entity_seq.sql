-- The newest activity entry per kind of entity, found in one index probe:
-- a module's cache (the risk register) is read again when an entry about
-- what it shows is added, not after every write anywhere.
-- (0024 is another module's.)
CREATE INDEX activity_entity_seq ON activity (entity_type, seq);
