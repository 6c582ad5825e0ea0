-- Notices (公告) fetched from the cloud, one row per notice id, with this terminal's read
-- state (cloudpos-domain device_ports.rs). Portable SQL, like 0001: Unix milliseconds.
CREATE TABLE notices (
    id            TEXT    PRIMARY KEY,
    title         TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    published_at  INTEGER NOT NULL,
    fetched_at    INTEGER NOT NULL,
    read_at       INTEGER
);
CREATE INDEX notices_published ON notices (published_at);
