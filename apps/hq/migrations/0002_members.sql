-- Chain-wide member cards: the head office is the authority for balances
-- (crates/hq-protocol/src/members.rs has the rules).
--
-- The balance is kept beside the card and only ever changed by a movement that locks the
-- card's row (SELECT … FOR UPDATE), appends its entries and records its outcome under its
-- idempotency key in the same transaction; it can never go below zero. Entries are
-- append-only (a trigger refuses UPDATE and DELETE), and the balance equals their sum.

CREATE TABLE member_cards (
    card_no      text        PRIMARY KEY,
    name         text        NOT NULL,
    phone        text        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('active', 'frozen')),
    balance_fen  bigint      NOT NULL DEFAULT 0 CHECK (balance_fen >= 0),
    created_at   bigint      NOT NULL,
    added_by     bigint      NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX member_cards_phone ON member_cards (phone) WHERE phone <> '';

-- One row per idempotency key, applied or refused: the outcome answered to every replay.
CREATE TABLE member_movements (
    key           text        PRIMARY KEY,
    card_no       text        NOT NULL,
    kind          text        NOT NULL CHECK (kind IN ('recharge', 'payment', 'refund', 'adjustment')),
    fingerprint   text        NOT NULL,
    applied       boolean     NOT NULL,
    amount_fen    bigint      NOT NULL,
    payment_key   text,
    terminal_id   bigint      NOT NULL,
    store         text        NOT NULL,
    response      jsonb       NOT NULL,
    committed_at  bigint      NOT NULL
);
-- Refunds to the card of one payment, summed under the payment's lock.
CREATE INDEX member_movements_refunds ON member_movements (payment_key)
    WHERE payment_key IS NOT NULL AND applied;

CREATE TABLE member_entries (
    id                 bigserial PRIMARY KEY,
    card_no            text      NOT NULL REFERENCES member_cards (card_no),
    key                text      NOT NULL REFERENCES member_movements (key),
    kind               text      NOT NULL CHECK (kind IN ('recharge', 'bonus', 'payment', 'refund', 'adjustment')),
    amount_fen         bigint    NOT NULL CHECK (amount_fen <> 0),
    balance_after_fen  bigint    NOT NULL CHECK (balance_after_fen >= 0),
    reference          text,
    reason             text,
    clerk              text,
    terminal_id        bigint    NOT NULL,
    store              text      NOT NULL,
    device             text      NOT NULL,
    at                 bigint    NOT NULL,
    -- A movement writes each kind of entry at most once (a recharge: `recharge` and `bonus`).
    UNIQUE (key, kind)
);
CREATE INDEX member_entries_card ON member_entries (card_no, id);

CREATE FUNCTION member_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'member entries are append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER member_entries_append_only BEFORE UPDATE OR DELETE ON member_entries
    FOR EACH ROW EXECUTE FUNCTION member_entries_append_only();
