//! Recorded exchanges (`fixtures/cloudpay/`, MACs made by the `openssl` CLI) replayed
//! through the client: every endpoint with every status, the client building each recorded
//! request and its HTTP body byte for byte, response verification, tampering, every status
//! mapping, transport failures against a tiny fake server, and RSA-PSS.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cloudpay_api::auth::max_salt_len;
use cloudpay_api::wire::{self, endpoint};
use cloudpay_api::{
    AuthenKey, CloudPayClient, CloudPayConfig, PssSigner, PssVerifier, Reply, Secrets, mapping,
    parse_reply,
};
use cloudpos_domain::code::CodeTable;
use cloudpos_domain::ports::{
    GatewayError, PayOutcome, PayRequest, PaymentGateway, QueryOutcome, RefundOutcome,
    RefundRequest, ReverseOutcome,
};
use cloudpos_domain::{Money, OrderNo, RefundNo, Timestamp};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/cloudpay")
}

#[derive(Debug, Clone)]
struct Exchange {
    name: String,
    endpoint: String,
    authen_key: String,
    /// The key the request was MAC'd with (the merchant's unless the fixture says so).
    request_authen_key: String,
    /// False for the 101 fixtures, whose request has one field spoiled.
    request_valid: bool,
    request_content: String,
    request_authen_code: String,
    request_body: String,
    response_body: String,
    expect: Value,
    /// The request variant (`refund_deposit`: a refund with `out_freeze_no`).
    request: Option<String>,
}

fn exchanges() -> Vec<Exchange> {
    let mut list = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(fixtures_dir().join("exchanges"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for path in paths {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let s = |k: &str| v[k].as_str().unwrap().to_owned();
        list.push(Exchange {
            name: s("name"),
            endpoint: s("endpoint"),
            authen_key: s("authen_key"),
            request_authen_key: v["request_authen_key"]
                .as_str()
                .map_or_else(|| s("authen_key"), str::to_owned),
            request_valid: v["request_valid"].as_bool().unwrap(),
            request_content: s("request_content"),
            request_authen_code: s("request_authen_code"),
            request_body: s("request_body"),
            response_body: s("response_body"),
            expect: v["expect"].clone(),
            request: v["request"].as_str().map(str::to_owned),
        });
    }
    assert!(list.len() >= 70, "fixtures missing");
    list
}

/// The GatewayError of a non-payment call, as a kind word.
fn error_kind(e: &GatewayError) -> &'static str {
    match e {
        GatewayError::Busy { .. } => "busy",
        GatewayError::Refused { .. } => "refused",
        GatewayError::Forged(_) => "forged",
        _ => "unreachable",
    }
}

fn result_kind<T: serde::Serialize>(result: Result<T, GatewayError>) -> (String, Value) {
    match result {
        Ok(v) => ("ok".into(), serde_json::to_value(v).unwrap()),
        Err(e) => (error_kind(&e).into(), e.to_string().into()),
    }
}

fn exchange(name: &str) -> Exchange {
    exchanges().into_iter().find(|e| e.name == name).unwrap()
}

/// The domain outcome of a body, as a kind word for comparison with `expect`.
fn outcome_kind(x: &Exchange, body: &str) -> (String, Value) {
    let key = AuthenKey::new(&x.authen_key);
    let op = endpoint::response_object(&x.endpoint);
    match x.endpoint.as_str() {
        endpoint::MICRO_PAY => {
            let reply = parse_reply::<wire::MicroPayResponse>(&key, op, body);
            let forged = matches!(reply, Reply::Forged { .. });
            match mapping::pay_outcome(reply) {
                PayOutcome::Paid {
                    transaction_id,
                    paid_at,
                } => (
                    "paid".into(),
                    serde_json::json!({"transaction_id": transaction_id, "paid_at": paid_at.map(Timestamp::unix_seconds)}),
                ),
                PayOutcome::UserPaying => ("user_paying".into(), Value::Null),
                PayOutcome::Failed { reason } => ("failed".into(), reason.into()),
                PayOutcome::DuplicateBlocked { reason } => {
                    ("duplicate_blocked".into(), reason.into())
                }
                PayOutcome::Unknown { reason } => (
                    "unknown".into(),
                    serde_json::json!({"reason": reason, "forged": forged}),
                ),
                PayOutcome::NotSent { reason } => ("not_sent".into(), reason.into()),
            }
        }
        endpoint::QUERY_ORDER => {
            match mapping::query_outcome(parse_reply::<wire::QueryOrderResponse>(&key, op, body)) {
                QueryOutcome::Paid {
                    transaction_id,
                    paid_at,
                } => (
                    "paid".into(),
                    serde_json::json!({"transaction_id": transaction_id, "paid_at": paid_at.map(Timestamp::unix_seconds)}),
                ),
                QueryOutcome::UserPaying => ("user_paying".into(), Value::Null),
                QueryOutcome::Failed { reason } => ("failed".into(), reason.into()),
                QueryOutcome::Reversed => ("reversed".into(), Value::Null),
                QueryOutcome::NotFound => ("not_found".into(), Value::Null),
                QueryOutcome::Unknown { reason } => ("unknown".into(), reason.into()),
            }
        }
        endpoint::REVERSE => {
            match mapping::reverse_outcome(parse_reply::<wire::ReverseResponse>(&key, op, body)) {
                ReverseOutcome::Reversed => ("reversed".into(), Value::Null),
                ReverseOutcome::Retry { reason } => ("retry".into(), reason.into()),
                ReverseOutcome::Refused { reason } => ("refused".into(), reason.into()),
            }
        }
        endpoint::REFUND | endpoint::QUERY_REFUND_ORDER => {
            let outcome = if x.endpoint == endpoint::REFUND {
                mapping::refund_outcome(parse_reply(&key, op, body))
            } else {
                mapping::query_refund_outcome(
                    parse_reply(&key, op, body),
                    x.expect["refund_no"].as_str().unwrap_or_default(),
                )
            };
            match outcome {
                RefundOutcome::Succeeded { refund_id } => ("succeeded".into(), refund_id.into()),
                RefundOutcome::Processing { refund_id } => ("processing".into(), refund_id.into()),
                RefundOutcome::Failed { reason } => ("failed".into(), reason.into()),
                RefundOutcome::Unknown { reason } => ("unknown".into(), reason.into()),
                RefundOutcome::NotSent { reason } => ("not_sent".into(), reason.into()),
            }
        }
        endpoint::CLIENT_ORDER_DETAIL => {
            match mapping::cloud_page(parse_reply::<wire::OrderDetailQuery>(&key, op, body)) {
                Ok(page) => ("page".into(), serde_json::to_value(&page).unwrap()),
                Err(e) => (error_kind(&e).into(), e.to_string().into()),
            }
        }
        endpoint::CLOSE_ORDER => {
            result_kind(parse_reply::<wire::CloseOrderResponse>(&key, op, body).into_result())
        }
        endpoint::X_CREATE_APPROVAL => {
            result_kind(parse_reply::<wire::ApprovalTicket>(&key, op, body).into_result())
        }
        endpoint::X_QUERY_APPROVAL | endpoint::X_CONSUME_APPROVAL => {
            result_kind(parse_reply::<wire::ApprovalStatus>(&key, op, body).into_result())
        }
        other => deposit_outcome_kind(x, &key, op, other, body),
    }
}

/// The domain outcome of a deposit endpoint's body, as a kind word.
fn deposit_outcome_kind(
    x: &Exchange,
    key: &AuthenKey,
    op: &str,
    endpoint_name: &str,
    body: &str,
) -> (String, Value) {
    use cloudpay_api::deposit::{mapping as dm, wire as dw};
    use cloudpos_domain::ports::{
        ConsumeOutcome, FreezeOutcome, FreezeQueryOutcome, UnfreezeOutcome,
    };
    let unfreeze_kind = |o: UnfreezeOutcome| match o {
        UnfreezeOutcome::Unfrozen { unfreeze_id } => ("unfrozen".to_owned(), unfreeze_id.into()),
        UnfreezeOutcome::Processing => ("processing".to_owned(), Value::Null),
        UnfreezeOutcome::Failed { reason } => ("failed".to_owned(), reason.into()),
        UnfreezeOutcome::NotFound => ("not_found".to_owned(), Value::Null),
        UnfreezeOutcome::Unknown { reason } => ("unknown".to_owned(), reason.into()),
        UnfreezeOutcome::NotSent { reason } => ("not_sent".to_owned(), reason.into()),
    };
    match endpoint_name {
        dw::endpoint::MICRO_FREEZE => {
            let reply = parse_reply::<dw::MicroFreezeResponse>(key, op, body);
            let forged = matches!(reply, Reply::Forged { .. });
            match dm::freeze_outcome(reply) {
                FreezeOutcome::Frozen {
                    freeze_id,
                    frozen_at,
                } => (
                    "frozen".into(),
                    serde_json::json!({"freeze_id": freeze_id, "frozen_at": frozen_at.map(Timestamp::unix_seconds)}),
                ),
                FreezeOutcome::UserPaying => ("user_paying".into(), Value::Null),
                FreezeOutcome::Failed { reason } => ("failed".into(), reason.into()),
                FreezeOutcome::Unknown { reason } => (
                    "unknown".into(),
                    serde_json::json!({"reason": reason, "forged": forged}),
                ),
                FreezeOutcome::NotSent { reason } => ("not_sent".into(), reason.into()),
            }
        }
        dw::endpoint::QUERY_FREEZE_ORDER => {
            match dm::freeze_query_outcome(parse_reply(key, op, body), "s", "d") {
                FreezeQueryOutcome::Found(f) => ("found".into(), serde_json::to_value(*f).unwrap()),
                FreezeQueryOutcome::NotFound => ("not_found".into(), Value::Null),
                FreezeQueryOutcome::Unknown { reason } => ("unknown".into(), reason.into()),
            }
        }
        dw::endpoint::DEPOSIT_CONSUME => match dm::consume_outcome(parse_reply(key, op, body)) {
            ConsumeOutcome::Consumed {
                transaction_id,
                released,
                ..
            } => (
                "consumed".into(),
                serde_json::json!({"transaction_id": transaction_id, "released": released.map(Money::fen)}),
            ),
            ConsumeOutcome::Refused { reason } => ("refused".into(), reason.into()),
            ConsumeOutcome::Unknown { reason } => ("unknown".into(), reason.into()),
            ConsumeOutcome::NotSent { reason } => ("not_sent".into(), reason.into()),
        },
        dw::endpoint::UNFREEZE => unfreeze_kind(dm::unfreeze_outcome(parse_reply(key, op, body))),
        dw::endpoint::QUERY_UNFREEZE_ORDER => unfreeze_kind(dm::query_unfreeze_outcome(
            parse_reply(key, op, body),
            "sz010002cz1U1566803400",
        )),
        dw::endpoint::QUERY_ORDER_LIST => match dm::deposit_page(parse_reply(key, op, body)) {
            Ok(page) => ("deposit_page".into(), serde_json::to_value(&page).unwrap()),
            Err(e) => (error_kind(&e).into(), e.to_string().into()),
        },
        other => panic!("{}: no mapping for {other}", x.name),
    }
}

fn check_expectation(x: &Exchange, kind: &str, detail: &Value) {
    let e = &x.expect;
    assert_eq!(kind, e["kind"].as_str().unwrap(), "{}: {detail}", x.name);
    match kind {
        "paid" => {
            assert_eq!(detail["transaction_id"], e["transaction_id"], "{}", x.name);
            assert_eq!(detail["paid_at"], e["paid_at"], "{}", x.name);
        }
        "failed" => {
            if let Some(part) = e["reason_contains"].as_str() {
                assert!(
                    detail.as_str().unwrap().contains(part),
                    "{}: {detail}",
                    x.name
                );
            }
        }
        "unknown" if e["forged"].as_bool() == Some(true) => {
            assert_eq!(detail["forged"], true, "{}: {detail}", x.name);
        }
        "processing" => assert_eq!(detail, &e["refund_id"], "{}", x.name),
        "frozen" => {
            assert_eq!(detail["freeze_id"], e["freeze_id"], "{}", x.name);
            assert_eq!(detail["frozen_at"], e["frozen_at"], "{}", x.name);
        }
        "found" => {
            assert_eq!(detail["state"], e["state"], "{}", x.name);
            assert_eq!(detail["consumed"], e["consumed"], "{}", x.name);
            assert_eq!(detail["released"], e["released"], "{}", x.name);
        }
        "consumed" => {
            assert_eq!(detail["transaction_id"], e["transaction_id"], "{}", x.name);
            assert_eq!(detail["released"], e["released"], "{}", x.name);
        }
        "deposit_page" => {
            assert_eq!(detail["total"], e["total"]);
            assert_eq!(
                detail["freezes"].as_array().unwrap().len() as u64,
                e["freezes"].as_u64().unwrap()
            );
            assert_eq!(
                detail["unfreezes"].as_array().unwrap().len() as u64,
                e["unfreezes"].as_u64().unwrap()
            );
        }
        "page" => {
            assert_eq!(detail["total"], e["total"]);
            assert_eq!(
                detail["orders"].as_array().unwrap().len() as u64,
                e["orders"].as_u64().unwrap()
            );
            assert_eq!(
                detail["refunds"].as_array().unwrap().len() as u64,
                e["refunds"].as_u64().unwrap()
            );
        }
        _ => {}
    }
}

#[test]
fn request_authen_codes_are_byte_identical_to_openssl() {
    for x in exchanges() {
        let key = AuthenKey::new(&x.request_authen_key);
        assert_eq!(
            key.authen_code(&x.request_content),
            x.request_authen_code,
            "{}",
            x.name
        );
        assert!(key.verify(&x.request_content, &x.request_authen_code));
    }
}

#[test]
fn every_recorded_response_maps_to_its_outcome() {
    for x in exchanges() {
        let (kind, detail) = outcome_kind(&x, &x.response_body);
        check_expectation(&x, &kind, &detail);
    }
}

/// Changes one character of `response_content` (a digit, else the first letter).
fn tamper(body: &str) -> Option<String> {
    let mut outer: Value = serde_json::from_str(body).unwrap();
    outer.get("authen_info")?;
    let content = outer["response_content"].as_str().unwrap().to_owned();
    let mut chars: Vec<char> = content.chars().collect();
    let i = chars.iter().rposition(char::is_ascii_digit).unwrap_or(2);
    chars[i] = if chars[i] == '1' { '2' } else { '1' };
    outer["response_content"] = Value::String(chars.into_iter().collect());
    Some(outer.to_string())
}

#[test]
fn a_tampered_response_is_rejected_as_forged() {
    let mut checked = 0;
    for x in exchanges() {
        let Some(tampered) = tamper(&x.response_body) else {
            continue;
        };
        let key = AuthenKey::new(&x.authen_key);
        let op = endpoint::response_object(&x.endpoint);
        let reply = parse_reply::<Value>(&key, op, &tampered);
        assert!(
            matches!(reply, Reply::Forged { .. }),
            "{}: {reply:?}",
            x.name
        );
        // And the payment calls turn it into "unknown", never a result.
        let (kind, _) = outcome_kind(&x, &tampered);
        let expected = match x.endpoint.as_str() {
            endpoint::REVERSE => "retry",
            endpoint::MICRO_PAY
            | endpoint::QUERY_ORDER
            | endpoint::REFUND
            | endpoint::QUERY_REFUND_ORDER
            | "micro_freeze"
            | "query_freeze_order"
            | "deposit_consume"
            | "unfreeze"
            | "query_unfreeze_order" => "unknown",
            _ => "forged",
        };
        assert_eq!(kind, expected, "{}", x.name);
        checked += 1;
    }
    assert!(checked >= 40, "{checked}");
}

/// Every endpoint is recorded with every status of §4: 0, 3, 101, 102, 103, 104, and
/// `micro_pay` with 104 + internal status 407 (anti-reentry).
#[test]
fn every_endpoint_is_recorded_with_every_status() {
    let all = exchanges();
    let endpoints = [
        endpoint::MICRO_PAY,
        endpoint::QUERY_ORDER,
        endpoint::REFUND,
        endpoint::QUERY_REFUND_ORDER,
        endpoint::REVERSE,
        endpoint::CLOSE_ORDER,
        endpoint::CLIENT_ORDER_DETAIL,
        endpoint::X_CREATE_APPROVAL,
        endpoint::X_QUERY_APPROVAL,
        endpoint::X_CONSUME_APPROVAL,
    ]
    .into_iter()
    .chain(cloudpay_api::deposit::wire::endpoint::ALL);
    for name in endpoints {
        let statuses: std::collections::BTreeSet<(i64, Option<i64>)> = all
            .iter()
            .filter(|x| x.endpoint == name)
            .map(|x| {
                let outer: Value = serde_json::from_str(&x.response_body).unwrap();
                let inner: Value =
                    serde_json::from_str(outer["response_content"].as_str().unwrap()).unwrap();
                (
                    inner["status"].as_i64().unwrap(),
                    inner["internal_status"].as_i64(),
                )
            })
            .collect();
        let codes: std::collections::BTreeSet<i64> = statuses.iter().map(|s| s.0).collect();
        assert_eq!(
            codes,
            [0, 3, 101, 102, 103, 104].into_iter().collect(),
            "{name}"
        );
        if name == endpoint::MICRO_PAY {
            assert!(
                statuses.contains(&(104, Some(407))),
                "anti-reentry recorded"
            );
        }
    }
    assert_eq!(bare().len(), 2, "ping: a bare ok and a bare status 3");
}

/// The client builds every valid recorded request byte for byte (the documented merchant,
/// the recorded nonce), and posts exactly the recorded HTTP body for it.
#[test]
fn the_client_builds_every_recorded_request_byte_for_byte() {
    let mut built = 0;
    for x in exchanges() {
        let client = CloudPayClient::new(
            doc_config("http://127.0.0.1:9/cpay/"),
            Secrets::new(&x.request_authen_key),
        )
        .unwrap();
        // The HTTP body of the recorded content, valid or not.
        assert_eq!(
            client
                .request_body(x.request_content.clone(), false)
                .unwrap(),
            x.request_body,
            "{}",
            x.name
        );
        if !x.request_valid {
            continue;
        }
        let content: Value = serde_json::from_str(&x.request_content).unwrap();
        let nonce = content["nonce_str"].as_str().unwrap().to_owned();
        let no = OrderNo::parse("sz010002cz11566803216").unwrap();
        let refund_no = RefundNo::parse("sz010002cz1156680R001").unwrap();
        let wechat = Some(cloudpos_domain::Wallet::WeChat);
        let ours = match x.endpoint.as_str() {
            endpoint::MICRO_PAY => {
                serde_json::to_string(&client.micro_pay_request(&doc_pay_request(), nonce))
            }
            endpoint::QUERY_ORDER => {
                serde_json::to_string(&client.query_order_request(&no, wechat, nonce))
            }
            endpoint::REFUND if x.request.as_deref() == Some("refund_deposit") => {
                serde_json::to_string(&client.deposit_refund_request(
                    &deposit_refund(),
                    &cloudpos_domain::FreezeNo::parse(FREEZE_NO).unwrap(),
                    nonce,
                ))
            }
            endpoint::REFUND => serde_json::to_string(&client.refund_request(&doc_refund(), nonce)),
            endpoint::QUERY_REFUND_ORDER => serde_json::to_string(&client.query_refund_request(
                &no,
                cloudpos_domain::Wallet::WeChat,
                Some(&refund_no),
                nonce,
            )),
            endpoint::REVERSE => serde_json::to_string(&client.reverse_request(&no, wechat, nonce)),
            endpoint::CLOSE_ORDER => {
                serde_json::to_string(&client.close_order_request(&no, wechat, nonce))
            }
            endpoint::CLIENT_ORDER_DETAIL => serde_json::to_string(&client.order_detail_request(
                Timestamp::from_unix_seconds(1_566_748_800),
                Timestamp::from_unix_seconds(1_566_835_199),
                3,
                1,
                2,
                nonce,
            )),
            endpoint::X_CREATE_APPROVAL => serde_json::to_string(&client.create_approval_request(
                wire::ApprovalKind::Refund,
                Some(&no),
                Some(Money::from_fen(30)),
                nonce,
            )),
            endpoint::X_QUERY_APPROVAL | endpoint::X_CONSUME_APPROVAL => serde_json::to_string(
                &client.approval_token_request("3f1c2a9be07d4e55a1c2b3d4e5f60718", nonce),
            ),
            other => deposit_request(&client, other, nonce),
        }
        .unwrap();
        assert_eq!(ours, x.request_content, "{}", x.name);
        built += 1;
    }
    assert!(built >= 50, "{built}");
}

fn doc_config(base: &str) -> CloudPayConfig {
    let mut c = CloudPayConfig::new(
        base,
        "sz01lXKA6DKGjNzr2l4B",
        "sz01KzuCUOmw8yjtPite",
        "sz011biKxOguirmBqiFR",
        "824",
    );
    c.staff_id = Some("1206".into());
    c.terminal_type = 1;
    c.machine_no = "1111".into();
    c.sdk_version = "1.0".into();
    c.spbill_create_ip = "90.0.00.0".into();
    c
}

const FREEZE_NO: &str = "sz010002cz1F1566803216";
const CONSUME_NO: &str = "sz010002cz1C1566803300";
const UNFREEZE_NO: &str = "sz010002cz1U1566803400";

/// The recorded deposit request of `endpoint`, built by the client.
fn deposit_request(
    client: &CloudPayClient,
    endpoint_name: &str,
    nonce: String,
) -> Result<String, serde_json::Error> {
    use cloudpay_api::deposit::wire as dw;
    use cloudpos_domain::ports::{
        ConsumeRequest, FreezeRequest, UnfreezeAuthority, UnfreezeRequest,
    };
    use cloudpos_domain::{FreezeNo, UnfreezeNo, Wallet};
    let freeze = FreezeNo::parse(FREEZE_NO).unwrap();
    let release = UnfreezeNo::parse(UNFREEZE_NO).unwrap();
    match endpoint_name {
        dw::endpoint::MICRO_FREEZE => serde_json::to_string(&client.micro_freeze_request(
            &FreezeRequest {
                no: freeze,
                code: CodeTable::default().classify("134520273825387649").unwrap(),
                amount: Money::from_fen(10),
                body: "押金".into(),
                remark: String::new(),
                staff_id: None,
            },
            nonce,
        )),
        dw::endpoint::QUERY_FREEZE_ORDER => {
            serde_json::to_string(&client.query_freeze_request(&freeze, Wallet::WeChat, nonce))
        }
        dw::endpoint::DEPOSIT_CONSUME => serde_json::to_string(&client.deposit_consume_request(
            &ConsumeRequest {
                freeze_no: freeze,
                wallet: Wallet::WeChat,
                order_no: OrderNo::parse(CONSUME_NO).unwrap(),
                amount: Money::from_fen(1),
                body: "押金消费".into(),
                remark: String::new(),
                staff_id: None,
            },
            nonce,
        )),
        dw::endpoint::UNFREEZE => serde_json::to_string(&client.unfreeze_request(
            &UnfreezeRequest {
                freeze_no: freeze,
                wallet: Wallet::WeChat,
                unfreeze_no: release,
                amount: Money::from_fen(9),
                remark: String::new(),
                authority: UnfreezeAuthority::Staff(None),
            },
            nonce,
        )),
        dw::endpoint::QUERY_UNFREEZE_ORDER => serde_json::to_string(
            &client.query_unfreeze_request(&freeze, Wallet::WeChat, Some(&release), nonce),
        ),
        dw::endpoint::QUERY_ORDER_LIST => serde_json::to_string(&client.order_list_request(
            Timestamp::from_unix_seconds(1_566_748_800),
            Timestamp::from_unix_seconds(1_566_835_199),
            dw::order_type::FREEZE,
            1,
            2,
            nonce,
        )),
        other => panic!("no builder for {other}"),
    }
}

fn deposit_refund() -> RefundRequest {
    RefundRequest {
        order_no: OrderNo::parse(CONSUME_NO).unwrap(),
        wallet: cloudpos_domain::Wallet::WeChat,
        refund_no: RefundNo::parse("sz010002cz1156680R001").unwrap(),
        order_amount: Money::from_fen(1),
        amount: Money::from_fen(1),
        reason: "退押金消费".into(),
        staff_id: None,
    }
}

fn doc_refund() -> RefundRequest {
    RefundRequest {
        order_no: OrderNo::parse("sz010002cz11566803216").unwrap(),
        wallet: cloudpos_domain::Wallet::WeChat,
        refund_no: RefundNo::parse("sz010002cz1156680R001").unwrap(),
        order_amount: Money::from_fen(100),
        amount: Money::from_fen(30),
        reason: "退货".into(),
        staff_id: None,
    }
}

fn doc_pay_request() -> PayRequest {
    PayRequest {
        order_no: OrderNo::parse("sz010002cz11566803216").unwrap(),
        code: CodeTable::default().classify("134520273825387649").unwrap(),
        amount: Money::from_fen(1),
        body: "body".into(),
        remark: String::new(),
        staff_id: None,
    }
}

#[test]
fn the_client_builds_the_documented_micro_pay_byte_for_byte() {
    let x = exchange("micro_pay_doc_example");
    let client = CloudPayClient::new(
        doc_config("http://127.0.0.1:9/cpay/"),
        Secrets::new(&x.authen_key),
    )
    .unwrap();
    let req = client.micro_pay_request(
        &doc_pay_request(),
        "E94C00688C3F429CA2B0B396BF823548".into(),
    );
    let content = serde_json::to_string(&req).unwrap();
    assert_eq!(content, x.request_content);
    assert_eq!(
        client.config().staff_id.as_deref(),
        Some("1206"),
        "staff falls back to the configured default"
    );
}

// ───────────────────────────── a tiny fake server ─────────────────────────────

#[derive(Clone)]
enum Action {
    Respond(u16, String),
    Close,
    Truncate(String),
    Hang,
}

struct Fake {
    base: String,
    received: Arc<Mutex<Vec<String>>>,
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            while buf.len() < end + 4 + len {
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(String::from_utf8(buf[end + 4..end + 4 + len].to_vec()).unwrap());
        }
    }
}

async fn fake(action: impl Fn(&str) -> Action + Send + Sync + 'static) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&received);
    let action = Arc::new(action);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let log = Arc::clone(&log);
            let action = Arc::clone(&action);
            tokio::spawn(async move {
                let Some(body) = read_request(&mut stream).await else {
                    return;
                };
                log.lock().unwrap().push(body.clone());
                let respond = |code: u16, body: &str, declared: usize| {
                    format!(
                        "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\nConnection: close\r\n\r\n{body}"
                    )
                };
                match action(&body) {
                    Action::Respond(code, text) => {
                        let _ = stream
                            .write_all(respond(code, &text, text.len()).as_bytes())
                            .await;
                    }
                    Action::Close => {}
                    Action::Truncate(text) => {
                        let half = &text.as_bytes()[..text.len() / 2];
                        let head = respond(200, "", text.len());
                        let _ = stream.write_all(head.as_bytes()).await;
                        let _ = stream.write_all(half).await;
                    }
                    Action::Hang => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    Fake {
        base: format!("http://{addr}/cpay/"),
        received,
    }
}

fn fast_client(base: &str, key: &str) -> CloudPayClient {
    let mut c = doc_config(base);
    c.timeouts.connect_ms = 500;
    c.timeouts.request_ms = 400;
    CloudPayClient::new(c, Secrets::new(key)).unwrap()
}

#[tokio::test]
async fn replayed_over_http_the_client_sends_the_recorded_mac_and_maps_the_answer() {
    for x in exchanges() {
        let body = x.response_body.clone();
        let server = fake(move |_| Action::Respond(200, body.clone())).await;
        let client = fast_client(&server.base, &x.request_authen_key);
        let reply: Reply<Value> = client
            .call_content(&x.endpoint, x.request_content.clone(), false)
            .await;
        let sent_text = server.received.lock().unwrap()[0].clone();
        assert_eq!(sent_text, x.request_body, "{}: the exact bytes", x.name);
        let sent: Value = serde_json::from_str(&sent_text).unwrap();
        assert_eq!(sent["request_content"].as_str().unwrap(), x.request_content);
        assert_eq!(
            sent["authen_info"]["a"]["authen_code"].as_str().unwrap(),
            x.request_authen_code,
            "{}",
            x.name
        );
        assert_eq!(sent["authen_info"]["a"]["authen_type"], 1);
        let forged = x.expect["forged"].as_bool() == Some(true);
        assert_eq!(matches!(reply, Reply::Forged { .. }), forged, "{}", x.name);
        // The status the client read is the recorded one.
        let inner: Value = serde_json::from_str(
            serde_json::from_str::<Value>(&x.response_body).unwrap()["response_content"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        match (&reply, inner["status"].as_i64().unwrap()) {
            (Reply::Success { .. } | Reply::Forged { .. }, _) => {}
            (Reply::Status { header, .. }, status) => assert_eq!(header.status, status),
            (other, _) => panic!("{}: {other:?}", x.name),
        }
    }
}

/// The bare `ping` answers (no envelope, no MAC), replayed through the client.
fn bare() -> Vec<Value> {
    let mut paths: Vec<_> = std::fs::read_dir(fixtures_dir().join("bare"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

#[tokio::test]
async fn recorded_ping_answers_replay_through_the_client() {
    for x in bare() {
        let body = x["response_body"].as_str().unwrap().to_owned();
        let server = fake(move |_| Action::Respond(200, body.clone())).await;
        let client = fast_client(&server.base, "k");
        let result = client.ping_raw().await;
        assert_eq!(
            server.received.lock().unwrap()[0],
            x["request_body"].as_str().unwrap(),
            "{}",
            x["name"]
        );
        let (kind, detail) = result_kind(result);
        assert_eq!(
            kind,
            x["expect"]["kind"].as_str().unwrap(),
            "{}: {detail}",
            x["name"]
        );
        if kind == "ok" {
            assert_eq!(detail["timestamp"], x["expect"]["timestamp"]);
        }
    }
}

#[tokio::test]
async fn the_gateway_port_over_http_with_a_verifying_fake() {
    let x = exchange("micro_pay_doc_example");
    let key = AuthenKey::new(&x.authen_key);
    let body = x.response_body.clone();
    // The fake checks the MAC of whatever the client sends (nonce is random).
    let server = fake(move |req| {
        let v: Value = serde_json::from_str(req).unwrap();
        let content = v["request_content"].as_str().unwrap();
        let code = v["authen_info"]["a"]["authen_code"].as_str().unwrap();
        if key.verify(content, code) {
            Action::Respond(200, body.clone())
        } else {
            Action::Respond(200, "{\"response_content\":\"{\\\"status\\\":101,\\\"description\\\":\\\"参数authen_code错误.\\\",\\\"internal_status\\\":7}\"}".into())
        }
    })
    .await;
    let client = fast_client(&server.base, &x.authen_key);
    match client.micro_pay(&doc_pay_request()).await {
        PayOutcome::Paid { transaction_id, .. } => {
            assert_eq!(
                transaction_id.as_deref(),
                Some("4200000400201908267240992395")
            );
        }
        other => panic!("{other:?}"),
    }
    let sent: Value = serde_json::from_str(&server.received.lock().unwrap()[0]).unwrap();
    let content: Value = serde_json::from_str(sent["request_content"].as_str().unwrap()).unwrap();
    assert_eq!(
        content["pay_mch_key"]["pay_platform"], 1,
        "WeChat code → platform 1"
    );
    assert_eq!(content["pay_content"]["author_code"], "134520273825387649");
    // A wrong key on our side → the fake answers 101 → Failed, "rejected by Cloud Pay".
    let wrong = fast_client(&server.base, "wrong-key");
    match wrong.micro_pay(&doc_pay_request()).await {
        PayOutcome::Failed { reason } => {
            assert!(reason.contains("rejected by Cloud Pay"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn transport_failures_are_unknown_outcomes() {
    let x = exchange("micro_pay_doc_example");
    let cases: Vec<(&str, Action)> = vec![
        ("HTTP 502", Action::Respond(502, "bad gateway".into())),
        ("closed without answer", Action::Close),
        ("truncated body", Action::Truncate(x.response_body.clone())),
        ("timeout", Action::Hang),
        (
            "not an envelope",
            Action::Respond(200, "<html>portal</html>".into()),
        ),
        (
            "response_content as an object",
            Action::Respond(200, "{\"response_content\":{\"status\":0}}".into()),
        ),
    ];
    for (name, action) in cases {
        let server = fake(move |_| action.clone()).await;
        let client = fast_client(&server.base, &x.authen_key);
        let started = std::time::Instant::now();
        let outcome = client.micro_pay(&doc_pay_request()).await;
        assert!(
            matches!(outcome, PayOutcome::Unknown { .. }),
            "{name}: {outcome:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(3), "{name}");
        let q = client
            .query_order(&OrderNo::parse("sz010002cz11566803216").unwrap(), None)
            .await;
        assert!(matches!(q, QueryOutcome::Unknown { .. }), "{name}: {q:?}");
        let r = client
            .reverse(&OrderNo::parse("sz010002cz11566803216").unwrap(), None)
            .await;
        assert!(matches!(r, ReverseOutcome::Retry { .. }), "{name}: {r:?}");
    }
    // Nothing listening at all: the request never left, so the payment is definitely not
    // charged (NotSent), while a query or reverse simply has to be tried again.
    let client = fast_client("http://127.0.0.1:9/cpay/", &x.authen_key);
    let outcome = client.micro_pay(&doc_pay_request()).await;
    assert!(
        matches!(&outcome, PayOutcome::NotSent { reason } if reason.contains("connect")),
        "{outcome:?}"
    );
    let no = OrderNo::parse("sz010002cz11566803216").unwrap();
    assert!(matches!(
        client.query_order(&no, None).await,
        QueryOutcome::Unknown { .. }
    ));
    assert!(matches!(
        client.reverse(&no, None).await,
        ReverseOutcome::Retry { .. }
    ));
    assert!(matches!(
        client.ping().await,
        Err(GatewayError::Unreachable(_))
    ));
}

#[tokio::test]
async fn ping_reads_the_bare_answer() {
    let server = fake(|_| {
        Action::Respond(
            200,
            "{\"description\":\"ok\",\"status\":0,\"timestamp\":1566803216}".into(),
        )
    })
    .await;
    let client = fast_client(&server.base, "k");
    assert_eq!(
        client.ping().await.unwrap(),
        Timestamp::from_unix_seconds(1_566_803_216)
    );
}

#[test]
fn plain_http_only_for_loopback() {
    let secrets = || Secrets::new("k");
    let c = |url: &str| CloudPayClient::new(doc_config(url), secrets());
    assert!(c("http://127.0.0.1:8080/cpay/").is_ok());
    assert!(c("http://localhost:8080/cpay").is_ok());
    assert!(c("http://[::1]:8080/cpay/").is_ok());
    assert!(c("http://pay.qcloud.com/cpay/").is_err());
    assert!(c("ftp://127.0.0.1/cpay/").is_err());
    let client = c("http://127.0.0.1:8080/cpay").unwrap();
    assert_eq!(
        client.endpoint_url("ping"),
        "http://127.0.0.1:8080/cpay/ping"
    );
    // A pinned root CA must contain a certificate.
    let mut bad = doc_config("https://pay.qcloud.com/cpay/");
    bad.root_ca_pem = Some("not a pem".into());
    assert!(CloudPayClient::new(bad, secrets()).is_err());
    // A proxy with credentials builds.
    let mut proxied = doc_config("https://pay.qcloud.com/cpay/");
    proxied.root_ca_pem =
        Some(std::fs::read_to_string(fixtures_dir().join("test_root_ca.pem")).unwrap());
    proxied.proxy = Some(cloudpay_api::ProxyConfig {
        url: "http://proxy.example:3128".into(),
        username: Some("user".into()),
        password: Some("secret".into()),
    });
    assert!(CloudPayClient::new(proxied, secrets()).is_ok());
}

// ───────────────────────────── RSA-PSS ─────────────────────────────

fn pem(name: &str) -> String {
    std::fs::read_to_string(fixtures_dir().join(name)).unwrap()
}

#[test]
fn openssl_pss_signatures_verify_with_their_salt_length() {
    let f: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures_dir().join("pss_signature.json")).unwrap(),
    )
    .unwrap();
    let verifier = PssVerifier::from_pem(&pem("test_sign_public_key.pem")).unwrap();
    let content = f["request_content"].as_str().unwrap();
    assert_eq!(
        verifier
            .verify(content, f["signature_salt_max"].as_str().unwrap())
            .unwrap(),
        222
    );
    assert_eq!(
        verifier
            .verify(content, f["signature_salt_digest"].as_str().unwrap())
            .unwrap(),
        32
    );
    let mut altered = content.to_owned();
    altered.push(' ');
    assert!(
        verifier
            .verify(&altered, f["signature_salt_max"].as_str().unwrap())
            .is_err()
    );
}

#[test]
fn our_pss_signatures_use_the_maximum_salt() {
    use rsa::pss::VerifyingKey;
    use rsa::sha2::Sha256;
    use rsa::signature::Verifier as _;

    for key in [
        "test_sign_private_key.pem",
        "test_sign_private_key.pkcs8.pem",
    ] {
        let signer = PssSigner::from_pem(&pem(key)).unwrap();
        assert_eq!(signer.salt_len(), 222);
        assert_eq!(max_salt_len(signer.public_key()), 222);
        let content = "{\"refund_content\":{\"refund_fee\":1}}";
        let sig = signer.sign(content).unwrap();
        // Our verifier recovers salt 222 …
        let verifier = PssVerifier::from_pem(&pem("test_sign_public_key.pem")).unwrap();
        assert_eq!(verifier.verify(content, &sig).unwrap(), 222);
        // … and RustCrypto's fixed-salt verifier agrees.
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&sig)
            .unwrap();
        let vk = VerifyingKey::<Sha256>::new_with_salt_len(signer.public_key().clone(), 222);
        let signature = rsa::pss::Signature::try_from(raw.as_slice()).unwrap();
        vk.verify(content.as_bytes(), &signature).unwrap();
        assert!(format!("{signer:?}").contains("redacted"));
    }
}

#[tokio::test]
async fn refund_and_reverse_are_signed_when_a_private_key_is_configured() {
    let x = exchange("refund_processing");
    let body = x.response_body.clone();
    let server = fake(move |_| Action::Respond(200, body.clone())).await;
    let mut config = doc_config(&server.base);
    config.timeouts.request_ms = 1_000;
    let secrets = Secrets::new(&x.authen_key)
        .with_private_key_pem(&pem("test_sign_private_key.pem"))
        .unwrap();
    assert!(secrets.signs());
    assert!(!format!("{secrets:?}").contains("BEGIN"));
    let client = CloudPayClient::new(config, secrets).unwrap();
    let outcome = client
        .refund(&RefundRequest {
            order_no: OrderNo::parse("sz010002cz11566803216").unwrap(),
            wallet: cloudpos_domain::Wallet::WeChat,
            refund_no: RefundNo::parse("sz010002cz1156680R001").unwrap(),
            order_amount: Money::from_fen(100),
            amount: Money::from_fen(30),
            reason: "退货".into(),
            staff_id: None,
        })
        .await;
    assert!(
        matches!(outcome, RefundOutcome::Processing { .. }),
        "{outcome:?}"
    );
    let sent: Value = serde_json::from_str(&server.received.lock().unwrap()[0]).unwrap();
    assert!(sent["authen_info"].get("a").is_none());
    assert_eq!(sent["authen_info"]["s"]["sign_type"], 1);
    let verifier = PssVerifier::from_pem(&pem("test_sign_public_key.pem")).unwrap();
    let salt = verifier
        .verify(
            sent["request_content"].as_str().unwrap(),
            sent["authen_info"]["s"]["sign"].as_str().unwrap(),
        )
        .unwrap();
    assert_eq!(salt, 222);
    // micro_pay stays HMAC-authenticated.
    let _ = client.micro_pay(&doc_pay_request()).await;
    let sent: Value = serde_json::from_str(&server.received.lock().unwrap()[1]).unwrap();
    assert!(sent["authen_info"].get("a").is_some());
    assert!(sent["authen_info"].get("s").is_none());
}
