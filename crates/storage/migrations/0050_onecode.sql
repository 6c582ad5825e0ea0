-- One-code pay (一码支付): the journal of printed-QR-code payments the till has handled
-- (cloudpos-domain one_code.rs). A row is inserted as 'claimed' before the receipt is printed
-- or the payment announced, and becomes 'done' after; a claim a crash left open becomes
-- 'interrupted' at the next start and is never printed again automatically. The order
-- number is the key, so a payment is claimed once, whatever the number of watchers.
-- Portable SQL, like 0001: integer fen, Unix milliseconds.
CREATE TABLE one_code_payments (
    out_trade_no   TEXT    PRIMARY KEY,
    amount_fen     INTEGER NOT NULL CHECK (amount_fen > 0),
    wallet         TEXT,
    paid_at        INTEGER NOT NULL,
    qr_code        TEXT    NOT NULL,
    transaction_id TEXT,
    state          TEXT    NOT NULL CHECK (state IN ('claimed', 'done', 'interrupted')),
    printed        INTEGER NOT NULL DEFAULT 0,
    claimed_at     INTEGER NOT NULL,
    finished_at    INTEGER
);
CREATE INDEX one_code_payments_paid ON one_code_payments (paid_at);
CREATE INDEX one_code_payments_state ON one_code_payments (state);
