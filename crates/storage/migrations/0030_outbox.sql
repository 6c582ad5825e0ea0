-- The till's outbox for a head office (issue 19; crates/storage/src/outbox.rs): each ledger
-- change (an order's, a refund's, a shift's or an audit entry's state after the change) is
-- written here as the head office contract's JSON, in the same transaction as the change,
-- while the outbox is enabled. Rows are deleted once the head office acknowledged them.
-- Portable SQL, like 0001: integer fen, Unix milliseconds.
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY CHECK (seq >= 1),
    at           INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    record_json  TEXT    NOT NULL
);

-- One row: whether the outbox is on, the gapless counter (the highest seq ever written; never
-- taken from the outbox's rows, which are deleted), what the head office acknowledged, and
-- the last catalogue version applied.
CREATE TABLE outbox_state (
    id                    INTEGER PRIMARY KEY CHECK (id = 1),
    enabled               INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    last_seq              INTEGER NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    acknowledged_through  INTEGER NOT NULL DEFAULT 0
        CHECK (acknowledged_through >= 0 AND acknowledged_through <= last_seq),
    catalog_version       INTEGER NOT NULL DEFAULT 0 CHECK (catalog_version >= 0)
);
INSERT INTO outbox_state (id) VALUES (1);

-- Commodities the head office manages (it sent them): its changes replace them; the others
-- are local-only and stay the till's.
ALTER TABLE commodities ADD COLUMN hq_managed INTEGER NOT NULL DEFAULT 0 CHECK (hq_managed IN (0, 1));
