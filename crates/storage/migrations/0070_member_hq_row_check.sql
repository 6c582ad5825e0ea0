-- A row check on the chain-wide member-card intents (member_hq_intents), like orders'
-- (row_check.rs): a flipped byte in a movement's key, card, amount, state or held order
-- would otherwise be sent to the head office or recorded as a valid, different movement.
-- SQLite adds a column only as nullable without a default expression; existing rows are
-- given their check once, by the program, on the first open after this migration: the
-- marker row below says that is still to do.
ALTER TABLE member_hq_intents ADD COLUMN row_check INTEGER;
CREATE TABLE member_hq_check_backfill (pending INTEGER NOT NULL);
INSERT INTO member_hq_check_backfill (pending) VALUES (1);
