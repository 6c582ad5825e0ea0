-- Finding an order by part of its number (the last digits a cashier types) without reading
-- every row: a trigram index over the numbers, kept in step by triggers. (A PostgreSQL
-- backend would use pg_trgm.) Order numbers never change after insert.
CREATE VIRTUAL TABLE orders_no_fts USING fts5(
    out_trade_no,
    tokenize = 'trigram',
    content = 'orders',
    content_rowid = 'id'
);
INSERT INTO orders_no_fts (orders_no_fts) VALUES ('rebuild');
CREATE TRIGGER orders_no_fts_insert AFTER INSERT ON orders
BEGIN
    INSERT INTO orders_no_fts (rowid, out_trade_no) VALUES (new.id, new.out_trade_no);
END;
CREATE TRIGGER orders_no_fts_delete AFTER DELETE ON orders
BEGIN
    INSERT INTO orders_no_fts (orders_no_fts, rowid, out_trade_no)
    VALUES ('delete', old.id, old.out_trade_no);
END;

-- The "refunded" and "partially refunded" filters, answered from the index alone.
CREATE INDEX orders_refunded ON orders (state, created_at, refunded_fen, amount_fen)
    WHERE refunded_fen > 0;
