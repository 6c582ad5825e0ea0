//! Authentication both ways: wrong keys, forged answers, RSA signatures.

use std::sync::Arc;

use cloudpay_api::wire::{self, endpoint};
use cloudpay_api::{CloudPayClient, PssSigner, Reply, Secrets, new_nonce};
use cloudpos_domain::ports::{
    PayOutcome, PaymentGateway, QueryOutcome, RefundOutcome, RefundRequest, ReverseOutcome,
};
use cloudpos_domain::{Money, Wallet};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::{Env, start, wx};

#[tokio::test]
async fn a_wrong_authen_key_is_rejected_with_101_internal_7() {
    let env = start().await;
    let bad = env.wrong_key_client();
    let req = env.pay(&wx("00"), 100);
    match bad.micro_pay(&req).await {
        PayOutcome::Failed { reason } => {
            assert!(reason.contains("rejected by Cloud Pay"), "{reason}");
            assert!(reason.contains("参数authen_code错误."), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let raw = bad
        .call::<_, Value>(
            endpoint::MICRO_PAY,
            &bad.micro_pay_request(&req, new_nonce()),
            false,
        )
        .await;
    match raw {
        Reply::Status {
            header,
            authenticated,
        } => {
            assert_eq!(header.status, 101);
            assert_eq!(header.internal_status, Some(7));
            assert_eq!(header.description, "参数authen_code错误.");
            assert!(!authenticated, "101 carries no MAC");
        }
        other => panic!("{other:?}"),
    }
    assert!(env.ledger().await["orders"].as_array().unwrap().is_empty());
    // Queries with a wrong key say nothing about the order.
    assert!(matches!(
        bad.query_order(&req.order_no, None).await,
        QueryOutcome::Unknown { .. }
    ));
}

#[tokio::test]
async fn the_envelope_is_checked() {
    let env = start().await;
    let url = format!("{}micro_pay", env.creds.base_url);
    let send = |body: String| {
        let http = env.http.clone();
        let url = url.clone();
        async move {
            let text = http
                .post(url)
                .body(body)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let outer: Value = serde_json::from_str(&text).unwrap();
            assert!(outer.get("authen_info").is_none(), "101 has no authen_info");
            let inner: Value =
                serde_json::from_str(outer["response_content"].as_str().unwrap()).unwrap();
            (
                inner["status"].as_i64().unwrap(),
                inner["internal_status"].as_i64(),
            )
        }
    };
    let req = env
        .client
        .micro_pay_request(&env.pay(&wx("00"), 1), new_nonce());
    let content = serde_json::to_string(&req).unwrap();
    let key = env.creds.secrets().authen_key().clone();
    // request_content as an object instead of a string.
    let object = serde_json::json!({
        "request_content": serde_json::to_value(&req).unwrap(),
        "authen_info": {"a": {"authen_type": 1, "authen_code": key.authen_code(&content)}},
    });
    assert_eq!(send(object.to_string()).await.0, 101);
    // Not JSON.
    assert_eq!(send("hello".into()).await.0, 101);
    // The MAC over a re-serialised (pretty) string does not match the sent string.
    let pretty = serde_json::to_string_pretty(&req).unwrap();
    let envelope = serde_json::json!({
        "request_content": pretty,
        "authen_info": {"a": {"authen_type": 1, "authen_code": key.authen_code(&content)}},
    });
    assert_eq!(send(envelope.to_string()).await, (101, Some(7)));
    // No authen_info at all.
    let envelope = serde_json::json!({ "request_content": content });
    assert_eq!(send(envelope.to_string()).await, (101, Some(7)));
    // Lower-case hex and whitespace-preserving content are fine: the MAC is over the
    // exact string.
    let spaced = format!("{content}\n");
    let envelope = serde_json::json!({
        "request_content": spaced,
        "authen_info": {"a": {"authen_type": 1, "authen_code": key.authen_code(&spaced).to_lowercase()}},
    });
    let text = env
        .http
        .post(&url)
        .body(envelope.to_string())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("authen_info"), "{text}");
    // Unknown interface.
    let text = env
        .http
        .post(format!("{}no_such_thing", env.creds.base_url))
        .body("{}")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("101"), "{text}");
}

/// A proxy in front of the sandbox that rewrites every answer body with `edit`.
async fn tampering_proxy(
    env: &Env,
    edit: impl Fn(String) -> String + Send + Sync + 'static,
) -> CloudPayClient {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let upstream = env.creds.base_url.trim_end_matches("/cpay/").to_owned();
    let http = env.http.clone();
    let edit = Arc::new(edit);
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let (http, upstream, edit) = (http.clone(), upstream.clone(), Arc::clone(&edit));
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                let (path, body) = loop {
                    let n = s.read(&mut chunk).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_string();
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    if buf.len() < end + 4 + len {
                        continue;
                    }
                    let path = head.split_whitespace().nth(1).unwrap().to_owned();
                    break (path, buf[end + 4..end + 4 + len].to_vec());
                };
                let answer = http
                    .post(format!("{upstream}{path}"))
                    .body(body)
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                let answer = edit(answer);
                let _ = s
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                            answer.len()
                        )
                        .as_bytes(),
                    )
                    .await;
            });
        }
    });
    let mut config = env.creds.client_config();
    config.base_url = format!("http://{addr}/cpay/");
    CloudPayClient::new(config, env.creds.secrets()).unwrap()
}

#[tokio::test]
async fn forged_answers_are_never_trusted() {
    let env = start().await;
    // One changed character in response_content (the amount), MAC kept.
    let tampered = tampering_proxy(&env, |body| {
        let mut outer: Value = serde_json::from_str(&body).unwrap();
        let Some(content) = outer["response_content"].as_str() else {
            return body; // ping: bare answer
        };
        let content = content.replace("\"total_fee\":1", "\"total_fee\":2");
        outer["response_content"] = Value::String(content);
        outer.to_string()
    })
    .await;
    let req = env.pay(&wx("00"), 100);
    match tampered.micro_pay(&req).await {
        PayOutcome::Unknown { reason } => assert!(reason.contains("forged"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        tampered.query_order(&req.order_no, None).await,
        QueryOutcome::Unknown { .. }
    ));
    assert!(tampered.ping().await.is_ok(), "ping has no MAC by protocol");
    // The MAC stripped from a status-0 answer.
    let stripped = tampering_proxy(&env, |body| {
        let mut outer: Value = serde_json::from_str(&body).unwrap();
        outer.as_object_mut().unwrap().remove("authen_info");
        outer.to_string()
    })
    .await;
    let req2 = env.pay(&wx("00"), 100);
    assert!(matches!(
        stripped.micro_pay(&req2).await,
        PayOutcome::Unknown { .. }
    ));
    assert!(matches!(
        stripped.reverse(&req2.order_no, Some(Wallet::WeChat)).await,
        ReverseOutcome::Retry { .. }
    ));
    assert!(
        stripped
            .list(&crate::listing::everything(1, 10))
            .await
            .is_err()
    );
    // The sandbox did pay both: only the answers were forged.
    assert_eq!(env.order(&req.order_no).await["state"], "paid");
    // The real client sees the truth.
    assert!(matches!(
        env.client.query_order(&req.order_no, None).await,
        QueryOutcome::Paid { .. }
    ));
}

fn refund_request(
    env: &Env,
    no: &cloudpos_domain::OrderNo,
    total: i64,
    amount: i64,
) -> RefundRequest {
    RefundRequest {
        order_no: no.clone(),
        wallet: Wallet::WeChat,
        refund_no: env.refund_no(),
        order_amount: Money::from_fen(total),
        amount: Money::from_fen(amount),
        reason: "退货".into(),
        staff_id: None,
    }
}

#[tokio::test]
async fn rsa_signed_refund_and_reverse_are_accepted_and_bad_signatures_refused() {
    let env = start().await;
    let signing = env.signing_client();
    let req = env.pay(&wx("00"), 1000);
    assert!(matches!(
        env.client.micro_pay(&req).await,
        PayOutcome::Paid { .. }
    ));
    let refund = refund_request(&env, &req.order_no, 1000, 100);
    assert!(matches!(
        signing.refund(&refund).await,
        RefundOutcome::Processing { .. }
    ));
    // A key the sandbox does not know.
    let (other_private, _) = cloudpay_sandbox::generate_sign_key_pair().unwrap();
    let forger = CloudPayClient::new(
        env.creds.client_config(),
        Secrets::new(&env.creds.authen_key)
            .with_private_key_pem(&other_private)
            .unwrap(),
    )
    .unwrap();
    match forger
        .refund(&refund_request(&env, &req.order_no, 1000, 100))
        .await
    {
        RefundOutcome::Failed { reason } => assert!(reason.contains("sign"), "{reason}"),
        other => panic!("{other:?}"),
    }
    let pending = env.pay(&wx("04"), 100);
    let _ = env.client.micro_pay(&pending).await;
    assert!(matches!(
        forger
            .reverse(&pending.order_no, Some(Wallet::WeChat))
            .await,
        ReverseOutcome::Refused { .. }
    ));
    assert_eq!(env.order(&pending.order_no).await["state"], "user_paying");
    assert_eq!(
        signing
            .reverse(&pending.order_no, Some(Wallet::WeChat))
            .await,
        ReverseOutcome::Reversed
    );
    // The older field name `signature` is read too.
    let pending = env.pay(&wx("04"), 100);
    let _ = env.client.micro_pay(&pending).await;
    let content = serde_json::to_string(&env.client.reverse_request(
        &pending.order_no,
        Some(Wallet::WeChat),
        new_nonce(),
    ))
    .unwrap();
    let signer = PssSigner::from_pem(env.creds.sign_private_key_pem.as_deref().unwrap()).unwrap();
    let envelope = serde_json::json!({
        "request_content": content,
        "authen_info": {"s": {"sign_type": 1, "signature": signer.sign(&content).unwrap()}},
    });
    let text = env
        .http
        .post(format!("{}reverse", env.creds.base_url))
        .body(envelope.to_string())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let reply = cloudpay_api::parse_reply::<wire::ReverseResponse>(
        env.creds.secrets().authen_key(),
        "reverse",
        &text,
    );
    assert!(matches!(reply, Reply::Success { .. }), "{reply:?}");
    // A signature is not accepted on micro_pay.
    let pay = env
        .client
        .micro_pay_request(&env.pay(&wx("00"), 1), new_nonce());
    let content = serde_json::to_string(&pay).unwrap();
    let envelope = serde_json::json!({
        "request_content": content,
        "authen_info": {"s": {"sign_type": 1, "sign": signer.sign(&content).unwrap()}},
    });
    let text = env
        .http
        .post(format!("{}micro_pay", env.creds.base_url))
        .body(envelope.to_string())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("101"), "{text}");
}
