-- Deposits (押金 / pre-authorisation), one row per freeze (cloudpos-domain deposit.rs).
-- The row is inserted in state 'freezing' before micro_freeze leaves; a consume or a release
-- writes its number (consume_no, unfreeze_no), amount (pending_fen) and state ('consuming',
-- 'unfreezing') before its request leaves. The paid order a consume creates goes into
-- `orders` in the same transaction that marks the deposit consumed.
-- Portable SQL, like 0001: integer fen, Unix milliseconds.
CREATE TABLE deposits (
    id             INTEGER PRIMARY KEY,
    out_freeze_no  TEXT    NOT NULL UNIQUE,
    store_id       TEXT    NOT NULL,
    device_id      TEXT    NOT NULL,
    wallet         TEXT    NOT NULL,
    frozen_fen     INTEGER NOT NULL CHECK (frozen_fen > 0),
    consumed_fen   INTEGER NOT NULL DEFAULT 0 CHECK (consumed_fen >= 0),
    unfrozen_fen   INTEGER NOT NULL DEFAULT 0 CHECK (unfrozen_fen >= 0),
    pending_fen    INTEGER NOT NULL DEFAULT 0 CHECK (pending_fen >= 0),
    state          TEXT    NOT NULL,
    consume_no     TEXT    UNIQUE,
    unfreeze_no    TEXT,
    freeze_id      TEXT,
    code_masked    TEXT    NOT NULL,
    clerk_id       TEXT    NOT NULL,
    shift_id       INTEGER REFERENCES shifts (id),
    body           TEXT    NOT NULL,
    remark         TEXT    NOT NULL,
    settled_by     TEXT,
    authorized_by  TEXT,
    reason         TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    frozen_at      INTEGER,
    finished_at    INTEGER,
    row_check      INTEGER NOT NULL,
    CHECK (consumed_fen + unfrozen_fen + pending_fen <= frozen_fen)
);
CREATE INDEX deposits_created ON deposits (created_at);
CREATE INDEX deposits_state ON deposits (state, created_at);
CREATE INDEX deposits_clerk_created ON deposits (clerk_id, created_at);
