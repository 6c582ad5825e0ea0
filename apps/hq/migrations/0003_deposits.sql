-- Deposits (押金 / pre-authorisation) as the tills recorded them: the whole row after the
-- last change applied (crates/hq-protocol/src/deposit.rs has the record and its rules).
--
-- A deposit is never takings by itself: the paid order its consume creates travels as an
-- order (named by consume_no) and is counted there. This table answers "how much money is
-- frozen for customers right now, where, since when".

CREATE TABLE deposits (
    terminal_id    bigint NOT NULL,
    out_freeze_no  text   NOT NULL,
    store          text   NOT NULL,
    device         text   NOT NULL,
    seq            bigint NOT NULL,
    wallet         text   NOT NULL,
    state          text   NOT NULL,
    frozen_fen     bigint NOT NULL CHECK (frozen_fen > 0),
    consumed_fen   bigint NOT NULL CHECK (consumed_fen >= 0),
    released_fen   bigint NOT NULL CHECK (released_fen >= 0),
    pending_fen    bigint NOT NULL CHECK (pending_fen >= 0),
    consume_no     text,
    unfreeze_no    text,
    freeze_id      text,
    code_masked    text   NOT NULL,
    till_store_id  text   NOT NULL,
    till_device_id text   NOT NULL,
    clerk          text   NOT NULL,
    shift          bigint,
    body           text   NOT NULL,
    remark         text   NOT NULL,
    settled_by     text,
    authorized_by  text,
    reason         text,
    created_at     bigint NOT NULL,
    updated_at     bigint NOT NULL,
    frozen_at      bigint,
    finished_at    bigint,
    PRIMARY KEY (terminal_id, out_freeze_no),
    CHECK (consumed_fen + released_fen + pending_fen <= frozen_fen)
);
-- Money held right now (frozen, or a consume / release in flight), per store.
CREATE INDEX deposits_held ON deposits (store, created_at)
    INCLUDE (frozen_fen, consumed_fen, released_fen, pending_fen)
    WHERE state IN ('frozen', 'consuming', 'unfreezing');
CREATE INDEX deposits_created ON deposits (created_at);
