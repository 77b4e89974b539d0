-- A one-time link made for someone who never had a password is an
-- invitation, not a reset: the link's page greets them with who invited
-- them, and its use is logged as the invitation's acceptance. invited_by
-- is the inviter's name as it was (the inviter may be removed later);
-- NULL on an ordinary password reset.
ALTER TABLE password_resets ADD COLUMN invited_by TEXT;
