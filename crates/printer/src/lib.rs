//! Receipts on ESC/POS printers: layout, encoding, transports, driver printing and previews.
