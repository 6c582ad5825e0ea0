-- Deposits joined the head office stream (kind "deposit"). A till whose outbox was already on
-- before this version sends its existing deposits once, when the store is next opened
-- (crates/storage/src/outbox.rs, `catch_up_deposits`); a till that turns its outbox on later
-- sends them in the backfill, which sets the mark too.
ALTER TABLE outbox_state ADD COLUMN deposits_sent INTEGER NOT NULL DEFAULT 0
    CHECK (deposits_sent IN (0, 1));
