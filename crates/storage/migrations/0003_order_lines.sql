-- Full-mode orders keep their commodity lines (JSON array) for receipts and re-prints.
ALTER TABLE orders ADD COLUMN lines_json TEXT;
