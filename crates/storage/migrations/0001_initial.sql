-- CloudPOS ledger schema, version 1.
-- Portable SQL: INTEGER/TEXT/BLOB columns, times as Unix milliseconds, money as integer fen.
-- SQLite-only statements (PRAGMA, BEGIN IMMEDIATE) live in the Rust code, not here.

CREATE TABLE shifts (
    id          INTEGER PRIMARY KEY,
    clerk_id    TEXT    NOT NULL,
    opened_at   INTEGER NOT NULL,
    closed_at   INTEGER
);
CREATE INDEX shifts_clerk ON shifts (clerk_id, opened_at);

CREATE TABLE orders (
    id                INTEGER PRIMARY KEY,
    store_id          TEXT    NOT NULL,
    device_id         TEXT    NOT NULL,
    out_trade_no      TEXT    NOT NULL,
    method            TEXT    NOT NULL,
    amount_fen        INTEGER NOT NULL CHECK (amount_fen > 0),
    state             TEXT    NOT NULL,
    refunded_fen      INTEGER NOT NULL DEFAULT 0 CHECK (refunded_fen >= 0 AND refunded_fen <= amount_fen),
    code_masked       TEXT,
    clerk_id          TEXT    NOT NULL,
    shift_id          INTEGER REFERENCES shifts (id),
    body              TEXT    NOT NULL,
    remark            TEXT    NOT NULL,
    transaction_id    TEXT,
    reason            TEXT,
    never_reverse     INTEGER NOT NULL DEFAULT 0,
    cash_tendered_fen INTEGER,
    cash_change_fen   INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    paid_at           INTEGER,
    UNIQUE (store_id, device_id, out_trade_no)
);
CREATE INDEX orders_no ON orders (out_trade_no);
CREATE INDEX orders_created ON orders (created_at);
CREATE INDEX orders_clerk_created ON orders (clerk_id, created_at);
CREATE INDEX orders_state_created ON orders (state, created_at);
CREATE INDEX orders_paid ON orders (paid_at);

CREATE TABLE refunds (
    id             INTEGER PRIMARY KEY,
    out_refund_no  TEXT    NOT NULL UNIQUE,
    order_id       INTEGER NOT NULL REFERENCES orders (id),
    out_trade_no   TEXT    NOT NULL,
    method         TEXT    NOT NULL,
    amount_fen     INTEGER NOT NULL CHECK (amount_fen > 0),
    state          TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    clerk_id       TEXT    NOT NULL,
    authorized_by  TEXT,
    shift_id       INTEGER REFERENCES shifts (id),
    refund_id      TEXT,
    failure        TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    succeeded_at   INTEGER
);
CREATE INDEX refunds_order ON refunds (order_id);
CREATE INDEX refunds_created ON refunds (created_at);
CREATE INDEX refunds_state ON refunds (state);

CREATE TABLE clerks (
    id              TEXT    PRIMARY KEY,
    name            TEXT    NOT NULL,
    phone           TEXT    NOT NULL,
    role            TEXT    NOT NULL,
    can_refund      INTEGER NOT NULL,
    cloud_staff_id  TEXT,
    created_at      INTEGER NOT NULL,
    password_hash   TEXT    NOT NULL,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER
);

CREATE TABLE commodities (
    sku        TEXT    PRIMARY KEY,
    barcode    TEXT    UNIQUE,
    name       TEXT    NOT NULL,
    category   TEXT    NOT NULL,
    unit       TEXT    NOT NULL,
    price_fen  INTEGER NOT NULL CHECK (price_fen >= 0),
    stock      INTEGER NOT NULL
);
CREATE INDEX commodities_category ON commodities (category, sku);

CREATE TABLE settings (
    key         TEXT    PRIMARY KEY,
    value       TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE secrets (
    name        TEXT    PRIMARY KEY,
    nonce       BLOB    NOT NULL,
    ciphertext  BLOB    NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL
);

-- The audit log is append-only for the application; a tamperer who drops these triggers is
-- caught by the hash chain and the sealed head (see audit.rs).
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
