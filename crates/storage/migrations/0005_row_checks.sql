-- A checksum over the money-bearing fields of every order and refund row (row_check.rs).
-- SQLite keeps no checksums of its own pages, so a flipped byte inside a row (an amount, a
-- state) would otherwise read back as a valid, different record. Existing rows are given
-- their checksum once, by the program, on the first open after this migration: the marker
-- row below says that is still to do.
ALTER TABLE orders ADD COLUMN row_check INTEGER;
ALTER TABLE refunds ADD COLUMN row_check INTEGER;
CREATE TABLE row_check_backfill (pending INTEGER NOT NULL);
INSERT INTO row_check_backfill (pending) VALUES (1);
