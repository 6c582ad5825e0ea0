//! Ingest: one push, one transaction, idempotent by `(terminal_id, seq)`.
//!
//! The till's row in `terminals` is locked first (`FOR UPDATE`), so two pushes of one till
//! are applied one after the other whatever their timing; pushes of different tills run in
//! parallel. Changes at or below `applied_through` are compared with the digests in
//! `change_log` and skipped; the new ones must continue the stream (else `gap`, nothing
//! applied). New records are upserted per kind with one `INSERT … SELECT FROM UNNEST(…)`
//! statement each, keeping within the batch only the last state of each record and, across
//! batches, never letting an older `seq` overwrite a newer one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use cloudpos_hq_protocol::{
    AuditRecord, Change, DepositRecord, ErrorBody, ErrorCode, OrderRecord, PROTOCOL_VERSION,
    PushRequest, PushResponse, Record, RefundRecord, ShiftRecord,
};
use sqlx::{PgPool, Postgres, Transaction};

use crate::auth::token_hash;
use crate::db::{now_ms, sql};

/// Ingest options (fault injection for the crash tests and campaigns).
#[derive(Debug, Default)]
pub struct IngestOptions {
    /// Testing only: abort the whole process just before committing the Nth push that has
    /// new changes (1-based), to prove that a head office killed mid-batch applies nothing.
    pub crash_before_commit: Option<u64>,
    batches: AtomicU64,
}

impl IngestOptions {
    /// Options that abort before the `n`th commit.
    #[must_use]
    pub fn crash_before_commit(n: u64) -> IngestOptions {
        IngestOptions {
            crash_before_commit: Some(n),
            batches: AtomicU64::new(0),
        }
    }
}

/// The digest a change is remembered by: SHA-256 of its canonical JSON (the struct
/// re-serialised, so spacing and field order on the wire do not matter).
#[must_use]
pub fn digest(change: &Change) -> Vec<u8> {
    let bytes = serde_json::to_vec(change).unwrap_or_default();
    ring::digest::digest(&ring::digest::SHA256, &bytes)
        .as_ref()
        .to_vec()
}

/// Applies one push of the till holding `credential`.
pub async fn push(
    pool: &PgPool,
    credential: &str,
    req: &PushRequest,
    options: &IngestOptions,
) -> Result<PushResponse, ErrorBody> {
    cloudpos_hq_protocol::check_version(req.v)?;
    req.validate().map_err(|e| e.to_body())?;
    let digests: Vec<Vec<u8>> = req.changes.iter().map(digest).collect();

    let mut tx = pool.begin().await.map_err(sql)?;
    let till: Option<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT id, store, device, applied_through FROM terminals \
         WHERE credential_hash = $1 FOR UPDATE",
    )
    .bind(token_hash(credential))
    .fetch_optional(&mut *tx)
    .await
    .map_err(sql)?;
    let Some((terminal, store, device, applied_through)) = till else {
        return Err(ErrorBody::new(
            ErrorCode::Unauthorized,
            "this till's credential is not known here; enrol it again",
        ));
    };

    let (old, new) = match req.split_at(applied_through) {
        Ok(split) => split,
        Err(body) => {
            drop(tx);
            note_error(pool, terminal, &body).await;
            return Err(body);
        }
    };
    if let Err(body) = check_duplicates(
        &mut tx,
        terminal,
        old,
        &digests[..old.len()],
        applied_through,
    )
    .await
    {
        drop(tx);
        note_error(pool, terminal, &body).await;
        return Err(body);
    }
    let till = Till {
        id: terminal,
        store: &store,
        device: &device,
    };
    if !new.is_empty() {
        apply(&mut tx, &till, new, &digests[old.len()..]).await?;
    }
    let through = new.last().map_or(applied_through, |c| c.seq);
    let now = now_ms();
    let last_at = new.last().map(|c| c.at);
    sqlx::query(
        "UPDATE terminals SET applied_through = $2, last_contact = now(), backlog = $3, \
         oldest_backlog_at = $4, last_change_at = COALESCE($5, last_change_at), \
         last_applied_at = CASE WHEN $5 IS NULL THEN last_applied_at ELSE $6 END, \
         last_error = NULL WHERE id = $1",
    )
    .bind(terminal)
    .bind(through)
    .bind(i64::try_from(req.backlog).unwrap_or(i64::MAX))
    .bind(req.oldest_backlog_at)
    .bind(last_at)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(sql)?;
    if !new.is_empty()
        && let Some(n) = options.crash_before_commit
        && options.batches.fetch_add(1, Ordering::SeqCst) + 1 == n
    {
        eprintln!("cloudpos-hq: crash injected before committing push {n} (testing)");
        std::process::abort();
    }
    tx.commit().await.map_err(sql)?;
    Ok(PushResponse {
        v: PROTOCOL_VERSION,
        applied_through: through,
        applied: u32::try_from(new.len()).unwrap_or(u32::MAX),
        duplicates: u32::try_from(old.len()).unwrap_or(u32::MAX),
        server_time: now,
    })
}

/// Remembers why a till's push was refused, for the owner's terminal list (best effort).
async fn note_error(pool: &PgPool, terminal: i64, body: &ErrorBody) {
    let r = sqlx::query("UPDATE terminals SET last_error = $2, last_contact = now() WHERE id = $1")
        .bind(terminal)
        .bind(&body.message)
        .execute(pool)
        .await;
    if let Err(e) = r {
        tracing::warn!("could not record a refused push of till {terminal}: {e}");
    }
}

async fn check_duplicates(
    tx: &mut Transaction<'_, Postgres>,
    terminal: i64,
    old: &[Change],
    digests: &[Vec<u8>],
    applied_through: i64,
) -> Result<(), ErrorBody> {
    let (Some(first), Some(last)) = (old.first(), old.last()) else {
        return Ok(());
    };
    let held: Vec<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT seq, digest FROM change_log WHERE terminal_id = $1 AND seq BETWEEN $2 AND $3",
    )
    .bind(terminal)
    .bind(first.seq)
    .bind(last.seq)
    .fetch_all(&mut **tx)
    .await
    .map_err(sql)?;
    let held: HashMap<i64, Vec<u8>> = held.into_iter().collect();
    for (c, d) in old.iter().zip(digests) {
        // A number whose log row was pruned (retention) cannot be compared: skipped as applied.
        if held.get(&c.seq).is_some_and(|h| h != d) {
            let mut body = ErrorBody::new(
                ErrorCode::Conflict,
                format!(
                    "change seq {} ({}) differs from the change the head office applied under that number; \
                     this till's stream does not match what it sent before (a restored or copied data directory?)",
                    c.seq,
                    c.record.kind()
                ),
            );
            body.seq = Some(c.seq);
            body.applied_through = Some(applied_through);
            return Err(body);
        }
    }
    Ok(())
}

/// The till a push comes from.
struct Till<'a> {
    id: i64,
    store: &'a str,
    device: &'a str,
}

/// The last change of each key, in seq order (a record's last state in the batch wins).
fn last_of<'a, T>(
    changes: &'a [Change],
    pick: impl Fn(&'a Record) -> Option<(&'a T, String)>,
) -> Vec<(i64, &'a T)> {
    let mut last: HashMap<String, (i64, &T)> = HashMap::new();
    for c in changes {
        if let Some((r, key)) = pick(&c.record) {
            last.insert(key, (c.seq, r));
        }
    }
    let mut v: Vec<(i64, &T)> = last.into_values().collect();
    v.sort_by_key(|(seq, _)| *seq);
    v
}

async fn apply(
    tx: &mut Transaction<'_, Postgres>,
    till: &Till<'_>,
    new: &[Change],
    digests: &[Vec<u8>],
) -> Result<(), ErrorBody> {
    let orders = last_of(new, |r| match r {
        Record::Order(o) => Some((o, o.out_trade_no.clone())),
        _ => None,
    });
    let refunds = last_of(new, |r| match r {
        Record::Refund(x) => Some((x, x.out_refund_no.clone())),
        _ => None,
    });
    let deposits = last_of(new, |r| match r {
        Record::Deposit(d) => Some((d, d.out_freeze_no.clone())),
        _ => None,
    });
    let shifts = last_of(new, |r| match r {
        Record::Shift(s) => Some((s, s.shift.to_string())),
        _ => None,
    });
    let audits = last_of(new, |r| match r {
        Record::Audit(a) => Some((a, a.audit_seq.to_string())),
        _ => None,
    });
    if !orders.is_empty() {
        upsert_orders(tx, till, &orders).await?;
    }
    if !refunds.is_empty() {
        upsert_refunds(tx, till, &refunds).await?;
    }
    if !deposits.is_empty() {
        upsert_deposits(tx, till, &deposits).await?;
    }
    if !shifts.is_empty() {
        upsert_shifts(tx, till, &shifts).await?;
    }
    if !audits.is_empty() {
        insert_audits(tx, till, &audits).await?;
    }
    sqlx::query(
        "INSERT INTO change_log (terminal_id, seq, kind, digest, at) \
         SELECT $1, u.seq, u.kind, u.digest, u.at \
         FROM UNNEST($2::bigint[], $3::text[], $4::bytea[], $5::bigint[]) AS u(seq, kind, digest, at)",
    )
    .bind(till.id)
    .bind(new.iter().map(|c| c.seq).collect::<Vec<_>>())
    .bind(new.iter().map(|c| c.record.kind()).collect::<Vec<_>>())
    .bind(digests.to_vec())
    .bind(new.iter().map(|c| c.at).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await
    .map_err(sql)?;
    Ok(())
}

async fn upsert_orders(
    tx: &mut Transaction<'_, Postgres>,
    till: &Till<'_>,
    rows: &[(i64, &OrderRecord)],
) -> Result<(), ErrorBody> {
    let col = |f: fn(&OrderRecord) -> String| rows.iter().map(|(_, o)| f(o)).collect::<Vec<_>>();
    let opt =
        |f: fn(&OrderRecord) -> Option<String>| rows.iter().map(|(_, o)| f(o)).collect::<Vec<_>>();
    let num = |f: fn(&OrderRecord) -> i64| rows.iter().map(|(_, o)| f(o)).collect::<Vec<_>>();
    let onum =
        |f: fn(&OrderRecord) -> Option<i64>| rows.iter().map(|(_, o)| f(o)).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO orders (terminal_id, store, device, seq, out_trade_no, wallet, state, \
         amount_fen, refunded_fen, code_masked, till_store_id, till_device_id, clerk, shift, body, \
         remark, transaction_id, reason, never_reverse, cash_tendered_fen, cash_change_fen, lines, \
         created_at, updated_at, paid_at) \
         SELECT $1, $2, $3, u.seq, u.no, u.wallet, u.state, u.amount, u.refunded, u.code, u.ts, u.td, \
         u.clerk, u.shift, u.body, u.remark, u.tx, u.reason, u.nr, u.ct, u.cc, u.lines::jsonb, u.ca, \
         u.ua, u.pa \
         FROM UNNEST($4::bigint[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], \
         $10::text[], $11::text[], $12::text[], $13::text[], $14::bigint[], $15::text[], $16::text[], \
         $17::text[], $18::text[], $19::bool[], $20::bigint[], $21::bigint[], $22::text[], \
         $23::bigint[], $24::bigint[], $25::bigint[]) \
         AS u(seq, no, wallet, state, amount, refunded, code, ts, td, clerk, shift, body, remark, tx, \
         reason, nr, ct, cc, lines, ca, ua, pa) \
         ON CONFLICT (terminal_id, out_trade_no) DO UPDATE SET seq = EXCLUDED.seq, \
         wallet = EXCLUDED.wallet, state = EXCLUDED.state, amount_fen = EXCLUDED.amount_fen, \
         refunded_fen = EXCLUDED.refunded_fen, code_masked = EXCLUDED.code_masked, \
         till_store_id = EXCLUDED.till_store_id, till_device_id = EXCLUDED.till_device_id, \
         clerk = EXCLUDED.clerk, shift = EXCLUDED.shift, body = EXCLUDED.body, \
         remark = EXCLUDED.remark, transaction_id = EXCLUDED.transaction_id, \
         reason = EXCLUDED.reason, never_reverse = EXCLUDED.never_reverse, \
         cash_tendered_fen = EXCLUDED.cash_tendered_fen, cash_change_fen = EXCLUDED.cash_change_fen, \
         lines = EXCLUDED.lines, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, \
         paid_at = EXCLUDED.paid_at \
         WHERE orders.seq < EXCLUDED.seq",
    )
    .bind(till.id)
    .bind(till.store)
    .bind(till.device)
    .bind(rows.iter().map(|(s, _)| *s).collect::<Vec<_>>())
    .bind(col(|o| o.out_trade_no.clone()))
    .bind(col(|o| o.wallet.clone()))
    .bind(col(|o| o.state.clone()))
    .bind(num(|o| o.amount_fen))
    .bind(num(|o| o.refunded_fen))
    .bind(opt(|o| o.code_masked.clone()))
    .bind(col(|o| o.store_id.clone()))
    .bind(col(|o| o.device_id.clone()))
    .bind(col(|o| o.clerk.clone()))
    .bind(onum(|o| o.shift))
    .bind(col(|o| o.body.clone()))
    .bind(col(|o| o.remark.clone()))
    .bind(opt(|o| o.transaction_id.clone()))
    .bind(opt(|o| o.reason.clone()))
    .bind(rows.iter().map(|(_, o)| o.never_reverse).collect::<Vec<_>>())
    .bind(onum(|o| o.cash_tendered_fen))
    .bind(onum(|o| o.cash_change_fen))
    .bind(opt(|o| {
        (!o.lines.is_empty()).then(|| serde_json::to_string(&o.lines).unwrap_or_default())
    }))
    .bind(num(|o| o.created_at))
    .bind(num(|o| o.updated_at))
    .bind(onum(|o| o.paid_at))
    .execute(&mut **tx)
    .await
    .map_err(sql)?;
    Ok(())
}

async fn upsert_refunds(
    tx: &mut Transaction<'_, Postgres>,
    till: &Till<'_>,
    rows: &[(i64, &RefundRecord)],
) -> Result<(), ErrorBody> {
    let col = |f: fn(&RefundRecord) -> String| rows.iter().map(|(_, r)| f(r)).collect::<Vec<_>>();
    let opt =
        |f: fn(&RefundRecord) -> Option<String>| rows.iter().map(|(_, r)| f(r)).collect::<Vec<_>>();
    let num = |f: fn(&RefundRecord) -> i64| rows.iter().map(|(_, r)| f(r)).collect::<Vec<_>>();
    let onum =
        |f: fn(&RefundRecord) -> Option<i64>| rows.iter().map(|(_, r)| f(r)).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO refunds (terminal_id, store, device, seq, out_refund_no, out_trade_no, wallet, \
         amount_fen, state, reason, clerk, authorized_by, shift, refund_id, failure, created_at, \
         updated_at, succeeded_at) \
         SELECT $1, $2, $3, u.* FROM UNNEST($4::bigint[], $5::text[], $6::text[], $7::text[], \
         $8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bigint[], $14::text[], \
         $15::text[], $16::bigint[], $17::bigint[], $18::bigint[]) AS u \
         ON CONFLICT (terminal_id, out_refund_no) DO UPDATE SET seq = EXCLUDED.seq, \
         out_trade_no = EXCLUDED.out_trade_no, wallet = EXCLUDED.wallet, \
         amount_fen = EXCLUDED.amount_fen, state = EXCLUDED.state, reason = EXCLUDED.reason, \
         clerk = EXCLUDED.clerk, authorized_by = EXCLUDED.authorized_by, shift = EXCLUDED.shift, \
         refund_id = EXCLUDED.refund_id, failure = EXCLUDED.failure, \
         created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, \
         succeeded_at = EXCLUDED.succeeded_at \
         WHERE refunds.seq < EXCLUDED.seq",
    )
    .bind(till.id)
    .bind(till.store)
    .bind(till.device)
    .bind(rows.iter().map(|(s, _)| *s).collect::<Vec<_>>())
    .bind(col(|r| r.out_refund_no.clone()))
    .bind(col(|r| r.out_trade_no.clone()))
    .bind(col(|r| r.wallet.clone()))
    .bind(num(|r| r.amount_fen))
    .bind(col(|r| r.state.clone()))
    .bind(col(|r| r.reason.clone()))
    .bind(col(|r| r.clerk.clone()))
    .bind(opt(|r| r.authorized_by.clone()))
    .bind(onum(|r| r.shift))
    .bind(opt(|r| r.refund_id.clone()))
    .bind(opt(|r| r.failure.clone()))
    .bind(num(|r| r.created_at))
    .bind(num(|r| r.updated_at))
    .bind(onum(|r| r.succeeded_at))
    .execute(&mut **tx)
    .await
    .map_err(sql)?;
    Ok(())
}

async fn upsert_deposits(
    tx: &mut Transaction<'_, Postgres>,
    till: &Till<'_>,
    rows: &[(i64, &DepositRecord)],
) -> Result<(), ErrorBody> {
    let col = |f: fn(&DepositRecord) -> String| rows.iter().map(|(_, d)| f(d)).collect::<Vec<_>>();
    let opt = |f: fn(&DepositRecord) -> Option<String>| {
        rows.iter().map(|(_, d)| f(d)).collect::<Vec<_>>()
    };
    let num = |f: fn(&DepositRecord) -> i64| rows.iter().map(|(_, d)| f(d)).collect::<Vec<_>>();
    let onum =
        |f: fn(&DepositRecord) -> Option<i64>| rows.iter().map(|(_, d)| f(d)).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO deposits (terminal_id, store, device, seq, out_freeze_no, wallet, state, \
         frozen_fen, consumed_fen, released_fen, pending_fen, consume_no, unfreeze_no, freeze_id, \
         code_masked, till_store_id, till_device_id, clerk, shift, body, remark, settled_by, \
         authorized_by, reason, created_at, updated_at, frozen_at, finished_at) \
         SELECT $1, $2, $3, u.* FROM UNNEST($4::bigint[], $5::text[], $6::text[], $7::text[], \
         $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::text[], $13::text[], \
         $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::bigint[], \
         $20::text[], $21::text[], $22::text[], $23::text[], $24::text[], $25::bigint[], \
         $26::bigint[], $27::bigint[], $28::bigint[]) AS u \
         ON CONFLICT (terminal_id, out_freeze_no) DO UPDATE SET seq = EXCLUDED.seq, \
         wallet = EXCLUDED.wallet, state = EXCLUDED.state, frozen_fen = EXCLUDED.frozen_fen, \
         consumed_fen = EXCLUDED.consumed_fen, released_fen = EXCLUDED.released_fen, \
         pending_fen = EXCLUDED.pending_fen, consume_no = EXCLUDED.consume_no, \
         unfreeze_no = EXCLUDED.unfreeze_no, freeze_id = EXCLUDED.freeze_id, \
         code_masked = EXCLUDED.code_masked, till_store_id = EXCLUDED.till_store_id, \
         till_device_id = EXCLUDED.till_device_id, clerk = EXCLUDED.clerk, \
         shift = EXCLUDED.shift, body = EXCLUDED.body, remark = EXCLUDED.remark, \
         settled_by = EXCLUDED.settled_by, authorized_by = EXCLUDED.authorized_by, \
         reason = EXCLUDED.reason, created_at = EXCLUDED.created_at, \
         updated_at = EXCLUDED.updated_at, frozen_at = EXCLUDED.frozen_at, \
         finished_at = EXCLUDED.finished_at \
         WHERE deposits.seq < EXCLUDED.seq",
    )
    .bind(till.id)
    .bind(till.store)
    .bind(till.device)
    .bind(rows.iter().map(|(s, _)| *s).collect::<Vec<_>>())
    .bind(col(|d| d.out_freeze_no.clone()))
    .bind(col(|d| d.wallet.clone()))
    .bind(col(|d| d.state.clone()))
    .bind(num(|d| d.frozen_fen))
    .bind(num(|d| d.consumed_fen))
    .bind(num(|d| d.released_fen))
    .bind(num(|d| d.pending_fen))
    .bind(opt(|d| d.consume_no.clone()))
    .bind(opt(|d| d.unfreeze_no.clone()))
    .bind(opt(|d| d.freeze_id.clone()))
    .bind(col(|d| d.code_masked.clone()))
    .bind(col(|d| d.store_id.clone()))
    .bind(col(|d| d.device_id.clone()))
    .bind(col(|d| d.clerk.clone()))
    .bind(onum(|d| d.shift))
    .bind(col(|d| d.body.clone()))
    .bind(col(|d| d.remark.clone()))
    .bind(opt(|d| d.settled_by.clone()))
    .bind(opt(|d| d.authorized_by.clone()))
    .bind(opt(|d| d.reason.clone()))
    .bind(num(|d| d.created_at))
    .bind(num(|d| d.updated_at))
    .bind(onum(|d| d.frozen_at))
    .bind(onum(|d| d.finished_at))
    .execute(&mut **tx)
    .await
    .map_err(sql)?;
    Ok(())
}

async fn upsert_shifts(
    tx: &mut Transaction<'_, Postgres>,
    till: &Till<'_>,
    rows: &[(i64, &ShiftRecord)],
) -> Result<(), ErrorBody> {
    sqlx::query(
        "INSERT INTO shifts (terminal_id, store, device, seq, shift, clerk, opened_at, closed_at) \
         SELECT $1, $2, $3, u.* FROM UNNEST($4::bigint[], $5::bigint[], $6::text[], $7::bigint[], \
         $8::bigint[]) AS u \
         ON CONFLICT (terminal_id, shift) DO UPDATE SET seq = EXCLUDED.seq, clerk = EXCLUDED.clerk, \
         opened_at = EXCLUDED.opened_at, closed_at = EXCLUDED.closed_at \
         WHERE shifts.seq < EXCLUDED.seq",
    )
    .bind(till.id)
    .bind(till.store)
    .bind(till.device)
    .bind(rows.iter().map(|(s, _)| *s).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, s)| s.shift).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, s)| s.clerk.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, s)| s.opened_at).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, s)| s.closed_at).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await
    .map_err(sql)?;
    Ok(())
}

async fn insert_audits(
    tx: &mut Transaction<'_, Postgres>,
    till: &Till<'_>,
    rows: &[(i64, &AuditRecord)],
) -> Result<(), ErrorBody> {
    let col = |f: fn(&AuditRecord) -> String| rows.iter().map(|(_, a)| f(a)).collect::<Vec<_>>();
    // The audit log is append-only: an entry already held is left as it is.
    sqlx::query(
        "INSERT INTO audit_entries (terminal_id, store, seq, audit_seq, at, actor, action, detail, \
         prev_hash, hash) \
         SELECT $1, $2, u.* FROM UNNEST($3::bigint[], $4::bigint[], $5::bigint[], $6::text[], \
         $7::text[], $8::text[], $9::text[], $10::text[]) AS u \
         ON CONFLICT (terminal_id, audit_seq) DO NOTHING",
    )
    .bind(till.id)
    .bind(till.store)
    .bind(rows.iter().map(|(s, _)| *s).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, a)| a.audit_seq).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, a)| a.at).collect::<Vec<_>>())
    .bind(col(|a| a.actor.clone()))
    .bind(col(|a| a.action.clone()))
    .bind(col(|a| a.detail.clone()))
    .bind(col(|a| a.prev_hash.clone()))
    .bind(col(|a| a.hash.clone()))
    .execute(&mut **tx)
    .await
    .map_err(sql)?;
    Ok(())
}
