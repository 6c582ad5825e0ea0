-- Member cards (会员卡, issue 17). A card's balance is the sum of its entries: entries are
-- only ever inserted, never updated or deleted. Each entry and each recharge row carries a
-- row check like orders' (row_check.rs).
CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    card_no TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX members_phone ON members (phone);

CREATE TABLE member_entries (
    id INTEGER PRIMARY KEY,
    card_no TEXT NOT NULL REFERENCES members (card_no),
    kind TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    reference TEXT,
    reason TEXT,
    clerk_id TEXT,
    at INTEGER NOT NULL,
    row_check INTEGER
);
CREATE INDEX member_entries_card ON member_entries (card_no, id);
-- One recharge, bonus, payment or refund entry per order or refund number: a second credit
-- of the same payment cannot be written even by a bug.
CREATE UNIQUE INDEX member_entries_once ON member_entries (kind, reference)
    WHERE reference IS NOT NULL;

-- The credit promised with a recharge payment's intent; applied (credited = 1) only by the
-- transaction that records the payment paid.
CREATE TABLE member_recharges (
    id INTEGER PRIMARY KEY,
    out_trade_no TEXT NOT NULL UNIQUE,
    card_no TEXT NOT NULL REFERENCES members (card_no),
    amount_fen INTEGER NOT NULL,
    bonus_fen INTEGER NOT NULL,
    credited INTEGER NOT NULL DEFAULT 0,
    row_check INTEGER
);
