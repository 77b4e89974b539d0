-- A run that changed nothing (no result changed, the same normalized
-- input as the run before, status ok, on time) is a heartbeat: coverage
-- already records that it happened. Heartbeats past the run retention are
-- deleted (100,000 agents every 15 minutes make 9.6 million runs a day)
-- through their own partial index, so the runs kept are never scanned
-- again; runs that changed something are kept.
ALTER TABLE check_runs ADD COLUMN heartbeat {{bool}} NOT NULL DEFAULT {{false}};
CREATE INDEX check_runs_heartbeat ON check_runs (received_at) WHERE heartbeat;
-- The daily manifest of inputs sealed into the evidence ledger reads the
-- runs received in a day.
CREATE INDEX check_runs_received ON check_runs (received_at);
