//! Chain-wide member cards: the cards, their entries, and money movements applied once per
//! idempotency key (the rules are in `cloudpos_hq_protocol::members`).
//!
//! A movement locks its card's row first (`SELECT … FOR UPDATE`), so every movement of one
//! card — from any till, and a replay racing its original — runs one after the other; it
//! then looks its key up, decides against the balance read under the lock, and writes the
//! outcome, the entries and the new balance in the same transaction. Two different requests
//! under one key naming different cards do not share a lock: the second's insert of the
//! key meets the first's (primary key), and the whole movement is tried again, where it
//! finds the key taken.

use cloudpos_domain::member::{EntryKind, MemberCard, MemberStatus};
use cloudpos_hq_protocol::{
    CardView, CardsResponse, EntriesResponse, EntryView, ErrorBody, ErrorCode, MovementKind,
    MovementRequest, MovementResponse, MovementStatus, PROTOCOL_VERSION, PutCards, Refusal,
    RefusalCode,
};
use sqlx::{PgPool, Postgres, Transaction};

use crate::db::{now_ms, sql};

/// The till a credential belongs to, as the member endpoints need it.
pub struct Till {
    /// Its id.
    pub id: i64,
    /// Its store.
    pub store: String,
    /// Its device.
    pub device: String,
}

/// The till holding `credential`, or `unauthorized`.
pub async fn till(pool: &PgPool, credential: &str) -> Result<Till, ErrorBody> {
    match crate::auth::terminal_of(pool, credential).await? {
        Some((id, store, device)) => Ok(Till { id, store, device }),
        None => Err(ErrorBody::new(
            ErrorCode::Unauthorized,
            "this till's credential is not known here; enrol it again",
        )),
    }
}

fn bad_request(e: impl std::fmt::Display) -> ErrorBody {
    ErrorBody::new(ErrorCode::BadRequest, e.to_string())
}

type CardRow = (String, String, String, String, i64, i64);

const CARD_COLUMNS: &str = "card_no, name, phone, status, balance_fen, created_at";

fn view((card_no, name, phone, status, balance_fen, created_at): CardRow) -> CardView {
    CardView {
        card_no,
        name,
        phone,
        status: if status == "frozen" {
            MemberStatus::Frozen
        } else {
            MemberStatus::Active
        },
        balance_fen,
        created_at,
    }
}

/// `POST /api/v1/members`: adds (or, with `upsert`, adds and updates) cards, all or none.
pub async fn put_cards(
    pool: &PgPool,
    till: &Till,
    req: &PutCards,
) -> Result<CardsResponse, ErrorBody> {
    cloudpos_hq_protocol::check_version(req.v)?;
    let cards = req.validate().map_err(bad_request)?;
    let mut tx = pool.begin().await.map_err(sql)?;
    let mut out = Vec::with_capacity(cards.len());
    for card in &cards {
        out.push(put_card(&mut tx, till, card, req.upsert).await?);
    }
    tx.commit().await.map_err(sql)?;
    Ok(CardsResponse {
        v: PROTOCOL_VERSION,
        cards: out,
    })
}

async fn put_card(
    tx: &mut Transaction<'_, Postgres>,
    till: &Till,
    card: &MemberCard,
    upsert: bool,
) -> Result<CardView, ErrorBody> {
    let inserted: Option<CardRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO member_cards (card_no, name, phone, status, created_at, added_by) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (card_no) DO NOTHING RETURNING {CARD_COLUMNS}"
    )))
    .bind(card.card_no.as_str())
    .bind(&card.name)
    .bind(&card.phone)
    .bind(card.status.as_str())
    .bind(card.created_at.unix_millis())
    .bind(till.id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(sql)?;
    if let Some(row) = inserted {
        return Ok(view(row));
    }
    let existing: CardRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CARD_COLUMNS} FROM member_cards WHERE card_no = $1 FOR UPDATE"
    )))
    .bind(card.card_no.as_str())
    .fetch_one(&mut **tx)
    .await
    .map_err(sql)?;
    if upsert {
        let row: CardRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE member_cards SET name = $2, phone = $3, status = $4, updated_at = now() \
             WHERE card_no = $1 RETURNING {CARD_COLUMNS}"
        )))
        .bind(card.card_no.as_str())
        .bind(&card.name)
        .bind(&card.phone)
        .bind(card.status.as_str())
        .fetch_one(&mut **tx)
        .await
        .map_err(sql)?;
        return Ok(view(row));
    }
    if existing.1 == card.name && existing.2 == card.phone {
        // The replay of an add whose answer was lost.
        return Ok(view(existing));
    }
    Err(ErrorBody::new(
        ErrorCode::Conflict,
        format!(
            "member card {} already exists at the head office (member {}); nothing was added",
            card.card_no, existing.1
        ),
    ))
}

/// `GET /api/v1/members/{card_no}`.
pub async fn card(pool: &PgPool, card_no: &str) -> Result<CardView, ErrorBody> {
    let row: Option<CardRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CARD_COLUMNS} FROM member_cards WHERE card_no = $1"
    )))
    .bind(card_no.trim())
    .fetch_optional(pool)
    .await
    .map_err(sql)?;
    row.map(view).ok_or_else(|| {
        ErrorBody::new(
            ErrorCode::NotFound,
            format!(
                "member card {} is not known at the head office",
                card_no.trim()
            ),
        )
    })
}

/// `GET /api/v1/members?phone=P`: the cards under a phone (every card without one).
pub async fn cards(pool: &PgPool, phone: Option<&str>) -> Result<CardsResponse, ErrorBody> {
    let rows: Vec<CardRow> = match phone {
        Some(p) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CARD_COLUMNS} FROM member_cards WHERE phone = $1 AND phone <> '' ORDER BY card_no"
        )))
        .bind(p.trim())
        .fetch_all(pool)
        .await,
        None => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CARD_COLUMNS} FROM member_cards ORDER BY card_no"
        )))
        .fetch_all(pool)
        .await,
    }
    .map_err(sql)?;
    Ok(CardsResponse {
        v: PROTOCOL_VERSION,
        cards: rows.into_iter().map(view).collect(),
    })
}

type EntryRow = (
    String,
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    i64,
);

/// `GET /api/v1/members/{card_no}/entries`: oldest first.
pub async fn entries(pool: &PgPool, card_no: &str) -> Result<EntriesResponse, ErrorBody> {
    let card = card(pool, card_no).await?;
    let rows: Vec<EntryRow> = sqlx::query_as(
        "SELECT kind, amount_fen, balance_after_fen, key, reference, reason, clerk, store, \
         device, at FROM member_entries WHERE card_no = $1 ORDER BY id",
    )
    .bind(&card.card_no)
    .fetch_all(pool)
    .await
    .map_err(sql)?;
    let entries = rows
        .into_iter()
        .map(
            |(
                kind,
                amount_fen,
                balance_after_fen,
                key,
                reference,
                reason,
                clerk,
                store,
                device,
                at,
            )| {
                Ok(EntryView {
                    kind: kind
                        .parse::<EntryKind>()
                        .map_err(|e| ErrorBody::new(ErrorCode::Internal, e.to_string()))?,
                    amount_fen,
                    balance_after_fen,
                    key,
                    reference,
                    reason,
                    clerk,
                    store,
                    device,
                    at,
                })
            },
        )
        .collect::<Result<Vec<_>, ErrorBody>>()?;
    Ok(EntriesResponse {
        v: PROTOCOL_VERSION,
        card_no: card.card_no,
        balance_fen: card.balance_fen,
        entries,
    })
}

/// Why one attempt at a movement must be tried again.
enum Attempt {
    Done(Result<MovementResponse, ErrorBody>),
    /// The key was taken by a concurrent movement on another card.
    KeyRace,
}

/// `POST /api/v1/member-movements`: applies (or refuses) a movement once per key.
pub async fn movement(
    pool: &PgPool,
    till: &Till,
    req: &MovementRequest,
) -> Result<MovementResponse, ErrorBody> {
    cloudpos_hq_protocol::check_version(req.v)?;
    req.validate().map_err(bad_request)?;
    for _ in 0..3 {
        match try_movement(pool, till, req).await {
            Attempt::Done(r) => return r,
            Attempt::KeyRace => {}
        }
    }
    Err(ErrorBody::new(
        ErrorCode::Unavailable,
        format!("movement {} is contended; send it again", req.key),
    ))
}

/// The outcome decided under the card's lock.
struct Decision {
    status: MovementStatus,
    refusal: Option<Refusal>,
    balance_after: i64,
}

fn refuse(code: RefusalCode, message: String, balance: i64) -> Decision {
    Decision {
        status: MovementStatus::Refused,
        refusal: Some(Refusal { code, message }),
        balance_after: balance,
    }
}

fn yuan(fen: i64) -> String {
    cloudpos_domain::money::Money::from_fen(fen).to_string()
}

async fn try_movement(pool: &PgPool, till: &Till, req: &MovementRequest) -> Attempt {
    match attempt(pool, till, req).await {
        Ok(a) => a,
        Err(e) => Attempt::Done(Err(e)),
    }
}

async fn attempt(pool: &PgPool, till: &Till, req: &MovementRequest) -> Result<Attempt, ErrorBody> {
    let card_no = req.card_no.trim();
    let mut tx = pool.begin().await.map_err(sql)?;
    // 1. The card's lock: every movement of this card waits here for the one before.
    let card: Option<(String, i64)> = sqlx::query_as(
        "SELECT status, balance_fen FROM member_cards WHERE card_no = $1 FOR UPDATE",
    )
    .bind(card_no)
    .fetch_optional(&mut *tx)
    .await
    .map_err(sql)?;
    // 2. The key: a replay answers the first outcome; another request under it is refused.
    let used: Option<(String, serde_json::Value)> =
        sqlx::query_as("SELECT fingerprint, response FROM member_movements WHERE key = $1")
            .bind(&req.key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(sql)?;
    if let Some((fingerprint, response)) = used {
        return Ok(Attempt::Done(replay(req, &fingerprint, response)));
    }
    // 3. Decide against the balance read under the lock.
    let d = decide(&mut tx, req, card.as_ref()).await?;
    let committed_at = now_ms();
    let response = MovementResponse {
        v: PROTOCOL_VERSION,
        key: req.key.clone(),
        card_no: card_no.to_owned(),
        kind: req.kind,
        status: d.status,
        refusal: d.refusal,
        amount_fen: req.amount_fen,
        bonus_fen: req.bonus_fen,
        balance_fen: d.balance_after,
        replayed: false,
        committed_at,
    };
    let json = serde_json::to_value(&response)
        .map_err(|e| ErrorBody::new(ErrorCode::Internal, e.to_string()))?;
    // 4. The outcome under its key (a concurrent holder of the key makes this a retry).
    let taken: Option<(String,)> = sqlx::query_as(
        "INSERT INTO member_movements (key, card_no, kind, fingerprint, applied, amount_fen, \
         payment_key, terminal_id, store, response, committed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (key) DO NOTHING RETURNING key",
    )
    .bind(&req.key)
    .bind(card_no)
    .bind(req.kind.as_str())
    .bind(req.fingerprint())
    .bind(response.applied())
    .bind(req.amount_fen)
    .bind(&req.payment_key)
    .bind(till.id)
    .bind(&till.store)
    .bind(&json)
    .bind(committed_at)
    .fetch_optional(&mut *tx)
    .await
    .map_err(sql)?;
    if taken.is_none() {
        return Ok(Attempt::KeyRace);
    }
    // 5. The entries and the balance.
    if response.applied() {
        let mut balance = card.as_ref().map_or(0, |c| c.1);
        for (kind, amount) in entries_of(req) {
            balance = balance
                .checked_add(amount)
                .ok_or_else(|| bad_request("the balance would overflow"))?;
            sqlx::query(
                "INSERT INTO member_entries (card_no, key, kind, amount_fen, balance_after_fen, \
                 reference, reason, clerk, terminal_id, store, device, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(card_no)
            .bind(&req.key)
            .bind(kind.as_str())
            .bind(amount)
            .bind(balance)
            .bind((req.kind != MovementKind::Adjustment).then_some(&req.key))
            .bind(req.reason.as_deref().map(str::trim))
            .bind(&req.clerk)
            .bind(till.id)
            .bind(&till.store)
            .bind(&till.device)
            .bind(req.at)
            .execute(&mut *tx)
            .await
            .map_err(sql)?;
        }
        debug_assert_eq!(balance, response.balance_fen);
        sqlx::query(
            "UPDATE member_cards SET balance_fen = $2, updated_at = now() WHERE card_no = $1",
        )
        .bind(card_no)
        .bind(balance)
        .execute(&mut *tx)
        .await
        .map_err(sql)?;
    }
    tx.commit().await.map_err(sql)?;
    Ok(Attempt::Done(Ok(response)))
}

fn replay(
    req: &MovementRequest,
    fingerprint: &str,
    response: serde_json::Value,
) -> Result<MovementResponse, ErrorBody> {
    if fingerprint != req.fingerprint() {
        return Err(ErrorBody::new(
            ErrorCode::Conflict,
            format!(
                "key {} was already used for a different movement; nothing was moved (a new movement needs a new key)",
                req.key
            ),
        ));
    }
    let mut first: MovementResponse = serde_json::from_value(response)
        .map_err(|e| ErrorBody::new(ErrorCode::Internal, format!("stored movement: {e}")))?;
    first.replayed = true;
    Ok(first)
}

/// The entries an applied movement appends, with their signed amounts.
fn entries_of(req: &MovementRequest) -> Vec<(EntryKind, i64)> {
    match req.kind {
        MovementKind::Recharge => {
            let mut v = vec![(EntryKind::Recharge, req.amount_fen)];
            if req.bonus_fen > 0 {
                v.push((EntryKind::Bonus, req.bonus_fen));
            }
            v
        }
        MovementKind::Payment => vec![(EntryKind::Payment, -req.amount_fen)],
        MovementKind::Refund => vec![(EntryKind::Refund, req.amount_fen)],
        MovementKind::Adjustment => vec![(EntryKind::Adjustment, req.amount_fen)],
    }
}

async fn decide(
    tx: &mut Transaction<'_, Postgres>,
    req: &MovementRequest,
    card: Option<&(String, i64)>,
) -> Result<Decision, ErrorBody> {
    let Some((status, balance)) = card else {
        return Ok(refuse(
            RefusalCode::CardNotFound,
            format!(
                "member card {} is not known at the head office",
                req.card_no.trim()
            ),
            0,
        ));
    };
    let balance = *balance;
    let applied = |after: i64| Decision {
        status: MovementStatus::Applied,
        refusal: None,
        balance_after: after,
    };
    let sum = |a: i64, b: i64| {
        a.checked_add(b)
            .ok_or_else(|| bad_request("the balance would overflow"))
    };
    Ok(match req.kind {
        MovementKind::Recharge => applied(sum(sum(balance, req.amount_fen)?, req.bonus_fen)?),
        MovementKind::Payment if status == "frozen" => refuse(
            RefusalCode::CardFrozen,
            format!(
                "member card {} is frozen and cannot pay",
                req.card_no.trim()
            ),
            balance,
        ),
        MovementKind::Payment if req.amount_fen > balance => refuse(
            RefusalCode::InsufficientBalance,
            format!(
                "insufficient balance: the card holds {} yuan, {} yuan asked",
                yuan(balance),
                yuan(req.amount_fen)
            ),
            balance,
        ),
        MovementKind::Payment => applied(balance - req.amount_fen),
        MovementKind::Adjustment if balance + req.amount_fen < 0 => refuse(
            RefusalCode::InsufficientBalance,
            format!(
                "the card holds {} yuan: an adjustment of {} yuan would take it below zero",
                yuan(balance),
                yuan(req.amount_fen)
            ),
            balance,
        ),
        MovementKind::Adjustment => applied(sum(balance, req.amount_fen)?),
        MovementKind::Refund => {
            let payment_key = req.payment_key.as_deref().unwrap_or_default();
            // The payment and the refunds of it are all this card's: the card's lock
            // (held) orders them.
            let paid: Option<(i64,)> = sqlx::query_as(
                "SELECT amount_fen FROM member_movements WHERE key = $1 AND card_no = $2 \
                 AND kind = 'payment' AND applied",
            )
            .bind(payment_key)
            .bind(req.card_no.trim())
            .fetch_optional(&mut **tx)
            .await
            .map_err(sql)?;
            let Some((paid,)) = paid else {
                return Ok(refuse(
                    RefusalCode::PaymentNotFound,
                    format!(
                        "no card payment {payment_key} of card {} at the head office to refund",
                        req.card_no.trim()
                    ),
                    balance,
                ));
            };
            let (refunded,): (i64,) = sqlx::query_as(
                "SELECT COALESCE(sum(amount_fen), 0)::bigint FROM member_movements \
                 WHERE payment_key = $1 AND applied",
            )
            .bind(payment_key)
            .fetch_one(&mut **tx)
            .await
            .map_err(sql)?;
            if refunded + req.amount_fen > paid {
                refuse(
                    RefusalCode::RefundExceedsPayment,
                    format!(
                        "payment {payment_key} was {} yuan and {} yuan of it went back already: {} yuan more cannot",
                        yuan(paid),
                        yuan(refunded),
                        yuan(req.amount_fen)
                    ),
                    balance,
                )
            } else {
                applied(sum(balance, req.amount_fen)?)
            }
        }
    })
}
