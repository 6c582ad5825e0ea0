//! Shared helpers of the head office tests: a fresh database on the throwaway PostgreSQL,
//! a running service, enrolled tills and change records.
#![allow(dead_code, missing_docs)]

use std::time::Duration;

use cloudpos_hq::testing::TestPostgres;
use cloudpos_hq::{Running, ServerConfig, auth, db, server};
use cloudpos_hq_protocol::{
    Change, DepositRecord, EnrolResponse, OrderRecord, PushRequest, Record, RefundRecord,
};
use sqlx::PgPool;

/// 2026-11-22 10:00:00 +08:00, Unix ms.
pub const T0: i64 = 1_795_312_800_000;

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub struct Hq {
    pub pool: PgPool,
    pub url: String,
    pub db_url: String,
    pub running: Running,
    pub http: reqwest::Client,
}

pub async fn start(dev_open: bool) -> Hq {
    let db_url = TestPostgres::shared().fresh_database().await;
    let pool = db::connect(&db_url, 8).await.unwrap();
    let running = server::start(
        pool.clone(),
        ServerConfig {
            dev_open,
            ..ServerConfig::loopback()
        },
    )
    .await
    .unwrap();
    Hq {
        pool,
        url: running.url(),
        db_url,
        running,
        http: client(),
    }
}

impl Hq {
    pub async fn enrol(&self, store: &str, device: &str) -> EnrolResponse {
        let token = auth::create_enrolment(&self.pool, store, device, Duration::from_secs(60))
            .await
            .unwrap();
        let r = self
            .http
            .post(format!("{}/api/v1/enrol", self.url))
            .json(&serde_json::json!({"v": 1, "token": token.as_str()}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// Pushes; the HTTP status and the JSON body.
    pub async fn push(&self, credential: &str, req: &PushRequest) -> (u16, serde_json::Value) {
        push_to(&self.http, &self.url, credential, req).await
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        let (v,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&self.pool)
            .await
            .unwrap();
        v
    }
}

pub async fn push_to(
    http: &reqwest::Client,
    url: &str,
    credential: &str,
    req: &PushRequest,
) -> (u16, serde_json::Value) {
    let r = http
        .post(format!("{url}/api/v1/push"))
        .bearer_auth(credential)
        .json(req)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

/// An order record: `no` is a short suffix made into a full number.
pub fn order(
    no: &str,
    state: &str,
    amount: i64,
    refunded: i64,
    wallet: &str,
    at: i64,
) -> OrderRecord {
    OrderRecord {
        out_trade_no: format!("sz0100ABCD26112213{no:0>8}"),
        wallet: wallet.into(),
        state: state.into(),
        amount_fen: amount,
        refunded_fen: refunded,
        code_masked: None,
        store_id: "shop".into(),
        device_id: "dev".into(),
        clerk: "01".into(),
        shift: Some(1),
        body: "goods".into(),
        remark: String::new(),
        transaction_id: None,
        reason: None,
        never_reverse: false,
        cash_tendered_fen: None,
        cash_change_fen: None,
        lines: Vec::new(),
        created_at: at,
        updated_at: at,
        paid_at: (state == "paid" || state == "reversing" || state == "reversed").then_some(at),
    }
}

pub fn refund(no: &str, order_no: &str, amount: i64, state: &str, at: i64) -> RefundRecord {
    RefundRecord {
        out_refund_no: format!("rf{no}"),
        out_trade_no: format!("sz0100ABCD26112213{order_no:0>8}"),
        wallet: "wechat".into(),
        amount_fen: amount,
        state: state.into(),
        reason: String::new(),
        clerk: "01".into(),
        authorized_by: None,
        shift: Some(1),
        refund_id: None,
        failure: None,
        created_at: at,
        updated_at: at,
        succeeded_at: (state == "succeeded").then_some(at),
    }
}

pub fn change(seq: i64, record: Record) -> Change {
    Change {
        seq,
        at: T0 + seq,
        record,
    }
}

/// Changes `from..=to`, each a paid WeChat order of `seq` yuan.
pub fn paid_orders(from: i64, to: i64) -> Vec<Change> {
    (from..=to)
        .map(|s| {
            change(
                s,
                Record::Order(order(
                    &s.to_string(),
                    "paid",
                    s * 100,
                    0,
                    "wechat",
                    T0 + s * 1000,
                )),
            )
        })
        .collect()
}

pub fn batch(changes: Vec<Change>) -> PushRequest {
    PushRequest::new(changes, 0, None)
}

/// A deposit record: `no` is a short suffix made into a full number; deposit `n` was created
/// at `T0 + (n - 1) * 10` and its last change is at `at`.
pub fn deposit(
    no: &str,
    state: &str,
    frozen: i64,
    consumed: i64,
    released: i64,
    at: i64,
) -> DepositRecord {
    let pending = if matches!(state, "consuming" | "unfreezing") {
        frozen - consumed - released
    } else {
        0
    };
    let created = T0 + (no.parse::<i64>().unwrap() - 1) * 10;
    DepositRecord {
        out_freeze_no: format!("F{no:0>19}"),
        wallet: "wechat".into(),
        state: state.into(),
        frozen_fen: frozen,
        consumed_fen: consumed,
        released_fen: released,
        pending_fen: pending,
        consume_no: (state == "consumed").then(|| format!("sz0100ABCD26112213{no:0>8}")),
        unfreeze_no: None,
        freeze_id: (state != "freezing").then(|| "auth".into()),
        code_masked: "1345**********7600".into(),
        store_id: "shop".into(),
        device_id: "dev".into(),
        clerk: "01".into(),
        shift: Some(1),
        body: "押金".into(),
        remark: "302".into(),
        settled_by: None,
        authorized_by: None,
        reason: None,
        created_at: created,
        updated_at: at.max(created),
        frozen_at: (state != "freezing").then_some(created),
        finished_at: matches!(state, "consumed" | "unfrozen").then_some(at),
    }
}
