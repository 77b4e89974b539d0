-- Who set a host's labels, and when: a label exception approved by one
-- person must not be widened by its requester relabelling hosts after the
-- approval (separation of duties).
ALTER TABLE agents ADD COLUMN labels_set_by BIGINT;
ALTER TABLE agents ADD COLUMN labels_set_at {{time}};
