//! The sandbox is as strict as the protocol (notes §1.2, §3, §5–§7): per endpoint, a table
//! removes or spoils each required field of a request the client built, one at a time,
//! signs the spoiled `request_content` with the right key (so only the field is wrong),
//! sends it over HTTP and expects status 101 without MAC whose description names the field.
//! The tables are written from the protocol notes, not from the sandbox's own field
//! tables, so a field the sandbox forgets to check fails here.

use cloudpay_api::wire::{ApprovalKind, endpoint};
use cloudpay_api::{Reply, new_nonce};
use cloudpos_domain::ports::{PayOutcome, PaymentGateway, RefundOutcome, RefundRequest};
use cloudpos_domain::{Money, OrderNo, RefundNo, Timestamp, Wallet};
use serde_json::{Value, json};

use crate::{Env, ali, start, wx};

/// What to do to the field.
#[derive(Debug, Clone)]
enum Spoil {
    /// Leave it out.
    Remove,
    /// Give it this value.
    Set(Value),
}

/// One row: the field (dotted path), what to do to it, and the name the answer must give.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    path: String,
    spoil: Spoil,
    names: String,
    /// Further fields set with it (a spoil that needs two fields to agree).
    also: Vec<(String, Value)>,
}

pub(crate) fn remove(path: &str) -> Case {
    Case {
        path: path.to_owned(),
        spoil: Spoil::Remove,
        names: path.to_owned(),
        also: Vec::new(),
    }
}

pub(crate) fn set(path: &str, value: Value) -> Case {
    Case {
        path: path.to_owned(),
        spoil: Spoil::Set(value),
        names: path.to_owned(),
        also: Vec::new(),
    }
}

impl Case {
    /// The answer names another field than the one spoiled.
    pub(crate) fn naming(mut self, names: &str) -> Case {
        names.clone_into(&mut self.names);
        self
    }

    /// Sets another field too.
    pub(crate) fn also(mut self, path: &str, value: Value) -> Case {
        self.also.push((path.to_owned(), value));
        self
    }
}

fn edit(content: &mut Value, case: &Case) {
    for (path, value) in &case.also {
        edit(content, &set(path, value.clone()));
    }
    let (parent, key) = match case.path.rsplit_once('.') {
        Some((parent, key)) => (
            parent
                .split('.')
                .fold(&mut *content, |v, k| &mut v[k])
                .as_object_mut(),
            key,
        ),
        None => (content.as_object_mut(), case.path.as_str()),
    };
    let parent = parent.unwrap_or_else(|| panic!("{}: no parent object", case.path));
    match &case.spoil {
        Spoil::Remove => {
            assert!(
                parent.remove(key).is_some(),
                "{}: the client's request has no such field",
                case.path
            );
        }
        Spoil::Set(v) => {
            parent.insert(key.to_owned(), v.clone());
        }
    }
}

/// Sends `content` to `name`, HMAC'd with the merchant's key.
async fn send(env: &Env, name: &str, content: &Value) -> Reply<Value> {
    env.client
        .call_content::<Value>(name, content.to_string(), false)
        .await
}

/// The unspoiled request is accepted (it may still fail for business reasons, never 101).
pub(crate) async fn accepted(env: &Env, name: &str, base: &Value) {
    match send(env, name, base).await {
        Reply::Success { .. } => {}
        Reply::Status {
            header,
            authenticated,
        } => {
            assert!(authenticated, "{name}: {header:?}");
            assert_ne!(header.status, 101, "{name}: the base request: {header:?}");
        }
        other => panic!("{name}: the base request: {other:?}"),
    }
}

/// Every row answers 101, without MAC, naming the field.
pub(crate) async fn rejects_each(env: &Env, name: &str, base: &Value, cases: &[Case]) {
    assert!(!cases.is_empty());
    for case in cases {
        let mut content = base.clone();
        edit(&mut content, case);
        match send(env, name, &content).await {
            Reply::Status {
                header,
                authenticated,
            } => {
                assert_eq!(
                    header.status, 101,
                    "{name} {case:?}: {}",
                    header.description
                );
                assert!(!authenticated, "{name} {case:?}: a 101 carries no MAC");
                assert!(
                    header.description.contains(&case.names),
                    "{name} {case:?}: the description does not name {}: {}",
                    case.names,
                    header.description
                );
            }
            other => panic!("{name} {case:?}: expected 101, got {other:?}"),
        }
    }
}

pub(crate) fn json_of<T: serde::Serialize>(request: &T) -> Value {
    serde_json::to_value(request).unwrap()
}

// ───────────────────────────── shared rows ─────────────────────────────

pub(crate) fn nonce_rows() -> Vec<Case> {
    vec![
        remove("nonce_str"),
        set("nonce_str", json!("")),
        set("nonce_str", json!("A".repeat(33))),
        set("nonce_str", json!("0F1E-2D3C")),
        set("nonce_str", json!(12345)),
    ]
}

/// `pay_mch_key` without the row that removes `pay_platform` (for requests that do not
/// carry one: the sandbox's approval calls).
pub(crate) fn mch_key_rows_without_wallet() -> Vec<Case> {
    mch_key_rows(false)
        .into_iter()
        .filter(|c| !(c.path == "pay_mch_key.pay_platform" && matches!(c.spoil, Spoil::Remove)))
        .collect()
}

/// `pay_mch_key` (§3.1). `platform_required`: every call but `query_order`.
pub(crate) fn mch_key_rows(platform_required: bool) -> Vec<Case> {
    let mut rows = vec![
        remove("pay_mch_key").naming("pay_mch_key.out_sub_mch_id"),
        set("pay_mch_key", json!("sz01")).naming("pay_mch_key"),
        set("pay_mch_key.pay_platform", json!("1")),
        set("pay_mch_key.pay_platform", json!(9)),
        set("pay_mch_key.pay_platform", json!(0)),
        set("pay_mch_key.sub_pay_platform", json!(300)),
        set("pay_mch_key.sub_pay_platform", json!(401)),
        remove("pay_mch_key.out_mch_id"),
        set("pay_mch_key.out_mch_id", json!("sz01OTHERmch00000001")),
        set("pay_mch_key.out_mch_id", json!(1)),
        remove("pay_mch_key.out_sub_mch_id"),
        set("pay_mch_key.out_sub_mch_id", json!("sz01OTHERsub00000001")),
        remove("pay_mch_key.out_shop_id"),
        set("pay_mch_key.out_shop_id", json!("")),
        set("pay_mch_key.out_shop_id", json!("sz01SBXshop000000009")),
        set("pay_mch_key.out_shop_id", json!("s".repeat(33))),
    ];
    if platform_required {
        rows.push(remove("pay_mch_key.pay_platform"));
    } else {
        // Optional, but a `sub_pay_platform` alone does not say which wallet.
        rows.push(remove("pay_mch_key.pay_platform").naming("pay_mch_key.sub_pay_platform"));
    }
    rows
}

/// `order_client` (§3.2).
pub(crate) fn order_client_rows(device_required: bool, machine_required: bool) -> Vec<Case> {
    let mut rows = vec![
        remove("order_client"),
        set("order_client", json!([])),
        set("order_client.device_id", json!("POS-03")),
        set("order_client.device_id", json!("NO-SUCH-DEVICE")),
        set("order_client.device_id", json!("D".repeat(65))),
        set("order_client.staff_id", json!("99")),
        set("order_client.staff_id", json!("S".repeat(65))),
        remove("order_client.terminal_type"),
        set("order_client.terminal_type", json!(5)),
        set("order_client.terminal_type", json!("4")),
        set("order_client.machine_no", json!("M".repeat(33))),
        remove("order_client.sdk_version"),
        set("order_client.sdk_version", json!("")),
        set("order_client.sdk_version", json!("1.0.0.0.0.0")),
        remove("order_client.spbill_create_ip"),
        set("order_client.spbill_create_ip", json!("::1")),
        set("order_client.spbill_create_ip", json!("1.2.3")),
        set("order_client.spbill_create_ip", json!("256.1.1.1")),
        set("order_client.spbill_create_ip", json!("localhost")),
        set("order_client.spbill_create_ip", json!("100.100.100.100.1")),
    ];
    if device_required {
        rows.push(remove("order_client.device_id"));
        rows.push(set("order_client.device_id", json!("")));
    }
    if machine_required {
        rows.push(remove("order_client.machine_no"));
        rows.push(set("order_client.machine_no", json!(" ")));
    }
    rows
}

/// An `out_trade_no` / `out_refund_no` (§5): prefix, ≤ 32 bytes, charset.
pub(crate) fn number_rows(path: &str, prefix: &str) -> Vec<Case> {
    vec![
        remove(path),
        set(path, json!("")),
        set(path, json!(20_240_601)),
        set(path, json!("XX2024060100001")),
        set(
            path,
            json!(format!("{prefix}{}", "9".repeat(33 - prefix.len()))),
        ),
        set(path, json!(format!("{prefix}订单1"))),
        set(path, json!(format!("{prefix} 0001"))),
        set(path, json!(format!("{prefix}#0001"))),
    ]
}

pub(crate) fn rows(parts: Vec<Vec<Case>>) -> Vec<Case> {
    parts.into_iter().flatten().collect()
}

// ───────────────────────────── fixtures of state ─────────────────────────────

pub(crate) async fn paid(env: &Env, code: &str, fen: i64) -> OrderNo {
    let req = env.pay(code, fen);
    assert!(matches!(
        env.client.micro_pay(&req).await,
        PayOutcome::Paid { .. }
    ));
    req.order_no
}

fn refund_of(no: &OrderNo, wallet: Wallet, refund_no: &RefundNo, total: i64) -> RefundRequest {
    RefundRequest {
        order_no: no.clone(),
        wallet,
        refund_no: refund_no.clone(),
        order_amount: Money::from_fen(total),
        amount: Money::from_fen(1),
        reason: "退货".into(),
        staff_id: Some("01".into()),
    }
}

// ───────────────────────────── per endpoint ─────────────────────────────

#[tokio::test]
async fn micro_pay_requires_every_field() {
    let env = start().await;
    let prefix = env.creds.order_prefix.clone();
    let base = json_of(
        &env.client
            .micro_pay_request(&env.pay(&wx("00"), 100), new_nonce()),
    );
    let table = rows(vec![
        mch_key_rows(true),
        order_client_rows(true, true),
        nonce_rows(),
        number_rows("pay_content.out_trade_no", &prefix),
        vec![
            remove("pay_content"),
            remove("pay_content.author_code"),
            set("pay_content.author_code", json!("")),
            set("pay_content.author_code", json!("13452027382538764X")),
            set("pay_content.author_code", json!(ali("00"))),
            set("pay_content.author_code", json!("9".repeat(129))),
            // A WeChat code does not fit the Alipay platform the key names.
            set("pay_mch_key.pay_platform", json!(2))
                .also("pay_mch_key.sub_pay_platform", json!(200))
                .naming("pay_content.author_code"),
            set("pay_mch_key.pay_platform", json!(3))
                .also("pay_mch_key.sub_pay_platform", json!(300))
                .naming("pay_content.author_code"),
            remove("pay_content.total_fee"),
            set("pay_content.total_fee", json!(0)),
            set("pay_content.total_fee", json!(-1)),
            set("pay_content.total_fee", json!("100")),
            set("pay_content.total_fee", json!(1.5)),
            remove("pay_content.fee_type"),
            set("pay_content.fee_type", json!("USD")),
            set("pay_content.fee_type", json!("RMB")),
            remove("pay_content.body"),
            set("pay_content.body", json!(" ")),
            // 43 three-byte characters: 129 bytes.
            set("pay_content.body", json!("商".repeat(43))),
            set("pay_content.remark", json!("r".repeat(128))),
            set("pay_content.detail", json!("not json")),
            set("pay_content.detail", json!({"goods_detail": []})),
            set("pay_content.wxpay_pay_content_ext", json!("no_credit")),
            set("pay_content.alipay_pay_content_ext", json!({})),
        ],
    ]);
    rejects_each(&env, endpoint::MICRO_PAY, &base, &table).await;
    // None of them charged anyone; the base request does.
    assert!(env.ledger().await["orders"].as_array().unwrap().is_empty());
    accepted(&env, endpoint::MICRO_PAY, &base).await;
    assert_eq!(env.ledger().await["orders"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn query_order_requires_every_field() {
    let env = start().await;
    let no = paid(&env, &wx("00"), 100).await;
    let prefix = env.creds.order_prefix.clone();
    let base = json_of(
        &env.client
            .query_order_request(&no, Some(Wallet::WeChat), new_nonce()),
    );
    let table = rows(vec![
        mch_key_rows(false),
        order_client_rows(false, false),
        nonce_rows(),
        number_rows("out_trade_no", &prefix),
        vec![
            set("trade_type", json!(0)),
            set("trade_type", json!(10)),
            set("trade_type", json!("1")),
        ],
    ]);
    rejects_each(&env, endpoint::QUERY_ORDER, &base, &table).await;
    // The wallet, optional here, must be the order's when given.
    rejects_each(
        &env,
        endpoint::QUERY_ORDER,
        &base,
        &[set("pay_mch_key.pay_platform", json!(2))
            .also("pay_mch_key.sub_pay_platform", json!(200))],
    )
    .await;
    accepted(&env, endpoint::QUERY_ORDER, &base).await;
    // Without a wallet at all (optional on query_order) it is accepted too.
    let mut no_wallet = base.clone();
    let key = no_wallet["pay_mch_key"].as_object_mut().unwrap();
    key.remove("pay_platform");
    key.remove("sub_pay_platform");
    accepted(&env, endpoint::QUERY_ORDER, &no_wallet).await;
}

#[tokio::test]
async fn refund_requires_every_field() {
    let env = start().await;
    let no = paid(&env, &wx("00"), 1000).await;
    let prefix = env.creds.order_prefix.clone();
    let base = json_of(&env.client.refund_request(
        &refund_of(&no, Wallet::WeChat, &env.refund_no(), 1000),
        new_nonce(),
    ));
    let table = rows(vec![
        mch_key_rows(true),
        order_client_rows(true, false),
        nonce_rows(),
        number_rows("refund_content.out_trade_no", &prefix),
        number_rows("refund_content.out_refund_no", &prefix),
        vec![
            remove("refund_content"),
            remove("refund_content.total_fee"),
            set("refund_content.total_fee", json!(0)),
            set("refund_content.total_fee", json!("1000")),
            remove("refund_content.refund_fee"),
            set("refund_content.refund_fee", json!(0)),
            set("refund_content.refund_fee", json!(-1)),
            set("refund_content.refund_fee", json!(0.5)),
            remove("refund_content.refund_fee_type"),
            set("refund_content.refund_fee_type", json!("USD")),
            set("refund_content.refund_reason", json!("因".repeat(22))),
            set("refund_content.out_freeze_no", json!(format!("{prefix}F1"))),
            set("api_version", json!(3)),
            set("api_version", json!(2)).naming("pay_mch_key.is_sub_admin"),
            set("pay_mch_key.is_sub_admin", json!("yes")),
        ],
    ]);
    rejects_each(&env, endpoint::REFUND, &base, &table).await;
    // api_version 2 by a non-admin needs the authoriser, who must be staff.
    let mut v2 = base.clone();
    v2["api_version"] = json!(2);
    v2["pay_mch_key"]["is_sub_admin"] = json!(false);
    rejects_each(
        &env,
        endpoint::REFUND,
        &v2,
        &[
            set("pay_mch_key.authorization_name", json!("王"))
                .naming("pay_mch_key.authorization_staff_id"),
            set("pay_mch_key.authorization_staff_id", json!("99")),
        ],
    )
    .await;
    // The order's wallet, not another.
    rejects_each(
        &env,
        endpoint::REFUND,
        &base,
        &[set("pay_mch_key.pay_platform", json!(2))
            .also("pay_mch_key.sub_pay_platform", json!(200))],
    )
    .await;
    assert!(env.ledger().await["refunds"].as_array().unwrap().is_empty());
    accepted(&env, endpoint::REFUND, &base).await;
    let mut authorised = v2.clone();
    authorised["pay_mch_key"]["authorization_staff_id"] = json!("01");
    authorised["refund_content"]["out_refund_no"] = json!(env.refund_no().as_str());
    accepted(&env, endpoint::REFUND, &authorised).await;
    assert_eq!(env.ledger().await["refunds"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn query_refund_order_requires_every_field() {
    let env = start().await;
    let no = paid(&env, &ali("00"), 500).await;
    let refund_no = env.refund_no();
    assert!(matches!(
        env.client
            .refund(&refund_of(&no, Wallet::Alipay, &refund_no, 500))
            .await,
        RefundOutcome::Processing { .. }
    ));
    let prefix = env.creds.order_prefix.clone();
    let base = json_of(&env.client.query_refund_request(
        &no,
        Wallet::Alipay,
        Some(&refund_no),
        new_nonce(),
    ));
    assert_eq!(base["pay_mch_key"]["pay_platform"], 2);
    assert_eq!(base["pay_mch_key"]["sub_pay_platform"], 200);
    let table = rows(vec![
        // The row the issue is about: without pay_platform a strict cloud answers 101.
        mch_key_rows(true),
        order_client_rows(false, false),
        nonce_rows(),
        number_rows("out_trade_no", &prefix),
        vec![
            set("out_refund_no", json!("XX1")),
            set(
                "out_refund_no",
                json!(format!("{prefix}{}", "1".repeat(30))),
            ),
            set("out_refund_no", json!(7)),
        ],
    ]);
    rejects_each(&env, endpoint::QUERY_REFUND_ORDER, &base, &table).await;
    // The order's wallet (Alipay), not WeChat.
    rejects_each(
        &env,
        endpoint::QUERY_REFUND_ORDER,
        &base,
        &[set("pay_mch_key.pay_platform", json!(1))
            .also("pay_mch_key.sub_pay_platform", json!(100))],
    )
    .await;
    accepted(&env, endpoint::QUERY_REFUND_ORDER, &base).await;
}

#[tokio::test]
async fn reverse_requires_every_field() {
    let env = start().await;
    let no = paid(&env, &wx("00"), 100).await;
    let prefix = env.creds.order_prefix.clone();
    let base = json_of(
        &env.client
            .reverse_request(&no, Some(Wallet::WeChat), new_nonce()),
    );
    let table = rows(vec![
        mch_key_rows(true),
        order_client_rows(true, false),
        nonce_rows(),
        number_rows("out_trade_no", &prefix),
    ]);
    rejects_each(&env, endpoint::REVERSE, &base, &table).await;
    rejects_each(
        &env,
        endpoint::REVERSE,
        &base,
        &[set("pay_mch_key.pay_platform", json!(2))
            .also("pay_mch_key.sub_pay_platform", json!(200))],
    )
    .await;
    assert_eq!(env.order(&no).await["state"], "paid");
    accepted(&env, endpoint::REVERSE, &base).await;
    assert_eq!(env.order(&no).await["state"], "reversed");
}

#[tokio::test]
async fn close_order_requires_every_field() {
    let env = start().await;
    let req = env.pay(&wx("04"), 100);
    assert!(matches!(
        env.client.micro_pay(&req).await,
        PayOutcome::UserPaying
    ));
    let prefix = env.creds.order_prefix.clone();
    let base = json_of(&env.client.close_order_request(
        &req.order_no,
        Some(Wallet::WeChat),
        new_nonce(),
    ));
    let table = rows(vec![
        mch_key_rows(true),
        order_client_rows(false, false),
        nonce_rows(),
        number_rows("out_trade_no", &prefix),
        vec![
            remove("trade_type"),
            set("trade_type", json!(0)),
            set("trade_type", json!("1")),
        ],
    ]);
    rejects_each(&env, endpoint::CLOSE_ORDER, &base, &table).await;
    rejects_each(
        &env,
        endpoint::CLOSE_ORDER,
        &base,
        &[set("pay_mch_key.pay_platform", json!(3))
            .also("pay_mch_key.sub_pay_platform", json!(300))],
    )
    .await;
    assert_eq!(env.order(&req.order_no).await["state"], "user_paying");
    accepted(&env, endpoint::CLOSE_ORDER, &base).await;
    assert_eq!(env.order(&req.order_no).await["state"], "closed");
}

#[tokio::test]
async fn client_order_detail_requires_every_field() {
    let env = start().await;
    let base = json_of(&env.client.order_detail_request(
        Timestamp::from_unix_seconds(0),
        Timestamp::from_unix_seconds(4_000_000_000),
        3,
        1,
        10,
        new_nonce(),
    ));
    let table = rows(vec![
        nonce_rows(),
        vec![
            remove("out_sub_mch_id"),
            set("out_sub_mch_id", json!("sz01OTHERsub00000001")),
            set("pay_platform", json!(7)),
            set("out_shop_id", json!("sz01SBXshop000000009")),
            remove("out_shop_id"),
            set("device_id", json!("POS-03")),
            set("staff_id", json!("99")),
            set("query_order_type", json!(4)),
            set("query_order_type", json!("3")),
            remove("end_time"),
            set("end_time", json!(0)),
            set("start_time", json!(4_000_000_001_i64)),
            set("start_time", json!(-1)),
            remove("page_num"),
            set("page_num", json!(0)),
            remove("page_size"),
            set("page_size", json!(0)),
            set("page_size", json!(101)),
        ],
    ]);
    rejects_each(&env, endpoint::CLIENT_ORDER_DETAIL, &base, &table).await;
    accepted(&env, endpoint::CLIENT_ORDER_DETAIL, &base).await;
}

#[tokio::test]
async fn approval_calls_require_every_field() {
    let env = start().await;
    let no = paid(&env, &wx("00"), 100).await;
    let prefix = env.creds.order_prefix.clone();
    let create = json_of(&env.client.create_approval_request(
        ApprovalKind::Refund,
        Some(&no),
        Some(Money::from_fen(100)),
        new_nonce(),
    ));
    let table = rows(vec![
        mch_key_rows_without_wallet(),
        order_client_rows(true, false),
        nonce_rows(),
        vec![
            remove("kind"),
            set("kind", json!("payment")),
            remove("amount"),
            set("amount", json!(0)),
            remove("out_trade_no"),
            set("out_trade_no", json!("XX1")),
            set("out_trade_no", json!(format!("{prefix}订单"))),
        ],
    ]);
    rejects_each(&env, endpoint::X_CREATE_APPROVAL, &create, &table).await;
    accepted(&env, endpoint::X_CREATE_APPROVAL, &create).await;
    let ticket = env
        .client
        .create_approval(ApprovalKind::Login, None, None)
        .await
        .unwrap();
    for name in [endpoint::X_QUERY_APPROVAL, endpoint::X_CONSUME_APPROVAL] {
        let base = json_of(
            &env.client
                .approval_token_request(&ticket.token, new_nonce()),
        );
        let table = rows(vec![
            mch_key_rows_without_wallet(),
            order_client_rows(true, false),
            nonce_rows(),
            vec![
                remove("token"),
                set("token", json!("")),
                set("token", json!(42)),
            ],
        ]);
        rejects_each(&env, name, &base, &table).await;
        accepted(&env, name, &base).await;
    }
}

/// The answer to a spoiled request really is MAC-less on the wire (no `authen_info`), not
/// only unauthenticated to the client.
#[tokio::test]
async fn a_101_has_no_authen_info_on_the_wire() {
    let env = start().await;
    let mut content = json_of(&env.client.query_refund_request(
        &env.order_no(),
        Wallet::WeChat,
        None,
        new_nonce(),
    ));
    content["pay_mch_key"]
        .as_object_mut()
        .unwrap()
        .remove("pay_platform");
    let text = content.to_string();
    let body = json!({
        "request_content": text,
        "authen_info": {"a": {"authen_type": 1, "authen_code": cloudpay_api::AuthenKey::new(&env.creds.authen_key).authen_code(&text)}},
    });
    let answer: Value = env
        .http
        .post(format!("{}query_refund_order", env.creds.base_url))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(answer.get("authen_info").is_none(), "{answer}");
    let inner: Value = serde_json::from_str(answer["response_content"].as_str().unwrap()).unwrap();
    assert_eq!(inner["status"], 101);
    assert!(
        inner["description"]
            .as_str()
            .unwrap()
            .contains("pay_mch_key.pay_platform is required"),
        "{inner}"
    );
}
