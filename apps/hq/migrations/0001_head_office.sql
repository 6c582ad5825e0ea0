-- CloudPOS head office schema, version 1 (PostgreSQL 13+).
-- Times of till records are Unix milliseconds (bigint) exactly as the tills recorded them;
-- money is integer fen. Every till-owned table is keyed by (terminal_id, the record's own key)
-- and carries `store`, the distribution key a sharded PostgreSQL (Citus) would use
-- (docs/ARCHITECTURE.md, "Head office"). No foreign keys on the ingest path: the ingest
-- transaction is the only writer and checks the till itself.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE terminals (
    id                 bigserial   PRIMARY KEY,
    store              text        NOT NULL,
    device             text        NOT NULL,
    credential_hash    bytea       UNIQUE,
    enrol_token_hash   bytea       UNIQUE,
    enrol_expires_at   timestamptz,
    enrolled_at        timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    applied_through    bigint      NOT NULL DEFAULT 0,
    last_contact       timestamptz,
    backlog            bigint      NOT NULL DEFAULT 0,
    oldest_backlog_at  bigint,
    last_change_at     bigint,
    last_applied_at    bigint,
    last_error         text,
    UNIQUE (store, device)
);

-- One row per applied change: (terminal_id, seq) is unique, and a redelivered change is
-- compared with the digest of the one applied under its number.
CREATE TABLE change_log (
    terminal_id  bigint NOT NULL,
    seq          bigint NOT NULL,
    kind         text   NOT NULL,
    digest       bytea  NOT NULL,
    at           bigint NOT NULL,
    PRIMARY KEY (terminal_id, seq)
);

CREATE TABLE orders (
    terminal_id        bigint  NOT NULL,
    out_trade_no       text    NOT NULL,
    store              text    NOT NULL,
    device             text    NOT NULL,
    seq                bigint  NOT NULL,
    wallet             text    NOT NULL,
    state              text    NOT NULL,
    amount_fen         bigint  NOT NULL CHECK (amount_fen > 0),
    refunded_fen       bigint  NOT NULL CHECK (refunded_fen >= 0 AND refunded_fen <= amount_fen),
    code_masked        text,
    till_store_id      text    NOT NULL,
    till_device_id     text    NOT NULL,
    clerk              text    NOT NULL,
    shift              bigint,
    body               text    NOT NULL,
    remark             text    NOT NULL,
    transaction_id     text,
    reason             text,
    never_reverse      boolean NOT NULL,
    cash_tendered_fen  bigint,
    cash_change_fen    bigint,
    lines              jsonb,
    created_at         bigint  NOT NULL,
    updated_at         bigint  NOT NULL,
    paid_at            bigint,
    PRIMARY KEY (terminal_id, out_trade_no)
);
-- Summaries: the paid orders of a period, answered from the index alone.
CREATE INDEX orders_paid ON orders (paid_at) INCLUDE (store, device, clerk, wallet, amount_fen)
    WHERE state = 'paid';
CREATE INDEX orders_created ON orders (created_at);
-- Finding an order by any part of its number (the last digits an owner types).
CREATE INDEX orders_no_trgm ON orders USING gin (out_trade_no gin_trgm_ops);

CREATE TABLE refunds (
    terminal_id    bigint NOT NULL,
    out_refund_no  text   NOT NULL,
    store          text   NOT NULL,
    device         text   NOT NULL,
    seq            bigint NOT NULL,
    out_trade_no   text   NOT NULL,
    wallet         text   NOT NULL,
    amount_fen     bigint NOT NULL CHECK (amount_fen > 0),
    state          text   NOT NULL,
    reason         text   NOT NULL,
    clerk          text   NOT NULL,
    authorized_by  text,
    shift          bigint,
    refund_id      text,
    failure        text,
    created_at     bigint NOT NULL,
    updated_at     bigint NOT NULL,
    succeeded_at   bigint,
    PRIMARY KEY (terminal_id, out_refund_no)
);
CREATE INDEX refunds_succeeded ON refunds (succeeded_at)
    INCLUDE (store, device, clerk, wallet, amount_fen) WHERE state = 'succeeded';
CREATE INDEX refunds_order ON refunds (terminal_id, out_trade_no);

CREATE TABLE shifts (
    terminal_id  bigint NOT NULL,
    shift        bigint NOT NULL,
    store        text   NOT NULL,
    device       text   NOT NULL,
    seq          bigint NOT NULL,
    clerk        text   NOT NULL,
    opened_at    bigint NOT NULL,
    closed_at    bigint,
    PRIMARY KEY (terminal_id, shift)
);

CREATE TABLE audit_entries (
    terminal_id  bigint NOT NULL,
    audit_seq    bigint NOT NULL,
    store        text   NOT NULL,
    seq          bigint NOT NULL,
    at           bigint NOT NULL,
    actor        text   NOT NULL,
    action       text   NOT NULL,
    detail       text   NOT NULL,
    prev_hash    text   NOT NULL,
    hash         text   NOT NULL,
    PRIMARY KEY (terminal_id, audit_seq)
);

-- The catalogue: one row per SKU (tombstones kept), numbered by one counter.
CREATE SEQUENCE catalog_version;
CREATE TABLE commodities (
    sku         text        PRIMARY KEY,
    barcode     text,
    name        text        NOT NULL,
    category    text        NOT NULL,
    unit        text        NOT NULL,
    price_fen   bigint      NOT NULL CHECK (price_fen >= 0),
    deleted     boolean     NOT NULL DEFAULT false,
    version     bigint      NOT NULL UNIQUE,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX commodities_barcode ON commodities (barcode)
    WHERE barcode IS NOT NULL AND NOT deleted;

-- The owner's accounts (argon2id) and their sessions (only a hash of the token is kept).
CREATE TABLE owners (
    id             bigserial   PRIMARY KEY,
    name           text        NOT NULL UNIQUE,
    password_hash  text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE sessions (
    token_hash  bytea       PRIMARY KEY,
    owner_id    bigint      NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    expires_at  timestamptz NOT NULL
);
