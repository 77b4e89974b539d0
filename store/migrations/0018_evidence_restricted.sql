-- Evidence that holds personal data (acknowledgement rosters, offboarding
-- logs, background checks, training records) is restricted: only roles
-- that may read people records (owners, admins, auditors) list, read or
-- export it. The flag is the row's, not the ledger record's: who may read
-- an item is access control, not part of what was sealed.
ALTER TABLE evidence ADD COLUMN restricted {{bool}} NOT NULL DEFAULT {{false}};
