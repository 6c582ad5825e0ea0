-- Chain-wide member cards (issue 19): the movements a till asks its head office for, written
-- before they are sent and sent again under the same key until the head office answers
-- (cloudpos-domain member_hq.rs). A card payment's row carries the paid order, inserted into
-- `orders` by the transaction that marks the row applied. A recharge's credit is written
-- 'promised' with its payment's intent and turned 'pending' by the transaction that records
-- the payment paid; a refund or void of a card payment writes its credit 'pending' in its
-- own transaction. Portable SQL, like 0001: integer fen, Unix milliseconds.
CREATE TABLE member_hq_intents (
    key          TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL CHECK (kind IN ('recharge', 'payment', 'refund', 'adjustment')),
    card_no      TEXT    NOT NULL,
    amount_fen   INTEGER NOT NULL CHECK (amount_fen <> 0),
    bonus_fen    INTEGER NOT NULL DEFAULT 0 CHECK (bonus_fen >= 0),
    payment_key  TEXT,
    reason       TEXT,
    clerk_id     TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    state        TEXT    NOT NULL
        CHECK (state IN ('promised', 'pending', 'applied', 'refused', 'cancelled')),
    order_json   TEXT,
    refusal      TEXT,
    balance_fen  INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX member_hq_intents_open ON member_hq_intents (state, created_at);
CREATE INDEX member_hq_intents_card ON member_hq_intents (card_no, state);
