//! The terminal's life against the sandbox: binding by configuration QR (strict, once, five
//! minutes, 3214 for a device bound elsewhere), unbinding, and the notices.

use cloudpay_api::binding::{self, BindError, BoundKeyCipher, ConfigQr};
use cloudpay_api::device::{X_QUERY_NOTICE_LIST, X_UNBIND_DEVICE};
use cloudpay_api::{CloudPayClient, Secrets, new_nonce};
use cloudpos_domain::ports::{PayOutcome, PaymentGateway};
use serde_json::{Value, json};

use crate::strict::{
    accepted, json_of, mch_key_rows_without_wallet, nonce_rows, order_client_rows, rejects_each,
    remove, rows, set,
};
use crate::{Env, start, wx};

fn sandbox_url(env: &Env, path: &str) -> String {
    format!("http://{}{path}", env.sandbox.addr())
}

/// `POST /sandbox/device-config-qr` (for `device` or a new device).
async fn config_qr(env: &Env, device: Option<&str>) -> (String, String) {
    let body = device.map_or(json!({}), |d| json!({ "device_id": d }));
    let r: Value = env
        .http
        .post(sandbox_url(env, "/sandbox/device-config-qr"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        r["qr"].as_str().unwrap().to_owned(),
        r["device_id"].as_str().unwrap().to_owned(),
    )
}

async fn bind(env: &Env, qr: &str, sn: &str) -> Result<binding::BoundDevice, BindError> {
    let qr = ConfigQr::parse(qr).unwrap();
    binding::bind_device(&env.creds.client_config(), &qr, sn, BoundKeyCipher::DEFAULT).await
}

/// A raw GET of the binding URL: the answer's `response_content`.
async fn get_bind(env: &Env, url: &str) -> Value {
    let body: Value = env
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    serde_json::from_str(body["response_content"].as_str().unwrap()).unwrap()
}

fn client_of(env: &Env, bound: &binding::BoundDevice) -> CloudPayClient {
    let s = &bound.setting;
    let mut c = env.config_for(&s.out_shop_id, &s.device_id);
    c.staff_id = Some(s.staff_id.clone());
    CloudPayClient::new(c, Secrets::new(&bound.authen_key)).unwrap()
}

#[tokio::test]
async fn a_new_device_binds_once_by_its_qr_and_pays() {
    let env = start().await;
    let (qr, device) = config_qr(&env, None).await;
    assert!(qr.contains("/cpay/use_device_setting?osi="), "{qr}");
    let bound = bind(&env, &qr, "CP0000000000A1").await.unwrap();
    let s = &bound.setting;
    assert_eq!(s.device_id, device);
    assert_eq!(s.out_mch_id, env.creds.out_mch_id);
    assert_eq!(s.out_sub_mch_id, env.creds.out_sub_mch_id);
    assert_eq!(s.out_shop_id, env.creds.out_shop_id);
    assert_eq!(s.staff_id, env.creds.staff_id);
    assert_eq!(s.cloud_cashier_id, env.creds.order_prefix);
    assert_eq!(bound.authen_key, env.creds.authen_key);
    assert!(
        !s.e_authen_key.contains(&env.creds.authen_key),
        "the key travels encrypted"
    );
    // The new device pays.
    let client = client_of(&env, &bound);
    let outcome = client.micro_pay(&env.pay(&wx("00"), 100)).await;
    assert!(matches!(outcome, PayOutcome::Paid { .. }), "{outcome:?}");
    // Usable once.
    let again = bind(&env, &qr, "CP0000000000A1").await.unwrap_err();
    assert!(again.to_string().contains("already used"), "{again}");
}

#[tokio::test]
async fn the_binding_url_requires_each_field() {
    let env = start().await;
    let (qr, _) = config_qr(&env, None).await;
    let full = format!("{qr}&sn=CP0000000000B1");
    let parsed = ConfigQr::parse(&qr).unwrap();
    for (name, url) in [
        (
            "osi",
            full.replace(&format!("osi={}&", parsed.out_shop_id), ""),
        ),
        (
            "si",
            full.replace(&format!("si={}&", parsed.setting_id), ""),
        ),
        ("sn", qr.clone()),
        ("sn", format!("{qr}&sn=")),
    ] {
        let answer = get_bind(&env, &url).await;
        assert_eq!(answer["status"], 101, "{url}: {answer}");
        let d = answer["description"].as_str().unwrap();
        assert!(d.contains(&format!("{name} is required")), "{url}: {d}");
    }
    // A wrong shop is named too; an unknown setting id is refused.
    let answer = get_bind(&env, &full.replace(&parsed.out_shop_id, "sz01OtherShop")).await;
    assert_eq!(answer["status"], 101);
    assert!(answer["description"].as_str().unwrap().contains("osi"));
    let answer = get_bind(&env, &full.replace(&parsed.setting_id, "NOSUCHSETTING")).await;
    assert_eq!(answer["status"], 104, "{answer}");
    // Nothing of that spent the QR.
    bind(&env, &qr, "CP0000000000B1").await.unwrap();
}

#[tokio::test]
async fn a_qr_expires_after_five_minutes() {
    let env = start().await;
    let (qr, _) = config_qr(&env, None).await;
    let (code, _) = env
        .post(
            "time",
            &json!({ "advance_seconds": binding::CONFIG_QR_TTL_SECS + 1 }),
        )
        .await;
    assert_eq!(code, 200);
    let e = bind(&env, &qr, "CP0000000000C1").await.unwrap_err();
    assert!(
        matches!(&e, BindError::Refused { status: 104, .. }) && e.to_string().contains("expired"),
        "{e}"
    );
}

#[tokio::test]
async fn a_device_bound_elsewhere_is_refused_with_3214() {
    let env = start().await;
    let (qr, device) = config_qr(&env, None).await;
    bind(&env, &qr, "CP0000000000D1").await.unwrap();
    // Another terminal scans a new QR of the same device.
    let (qr2, _) = config_qr(&env, Some(&device)).await;
    let e = bind(&env, &qr2, "CP0000000000D2").await.unwrap_err();
    assert_eq!(
        e,
        BindError::BoundElsewhere {
            device_id: device.clone()
        }
    );
    assert!(e.to_string().contains("3214"), "{e}");
    // The same terminal binds again (after a key reset) with a new QR.
    let (qr3, _) = config_qr(&env, Some(&device)).await;
    bind(&env, &qr3, "CP0000000000D1").await.unwrap();
}

#[tokio::test]
async fn an_unbound_device_is_refused_until_bound_again() {
    let env = start().await;
    let (qr, device) = config_qr(&env, None).await;
    let bound = bind(&env, &qr, "CP0000000000E1").await.unwrap();
    let client = client_of(&env, &bound);
    let gone = client.unbind_device(&bound.setting.staff_id).await.unwrap();
    assert_eq!(gone.device_id, device);
    let outcome = client.micro_pay(&env.pay(&wx("00"), 100)).await;
    match outcome {
        PayOutcome::Failed { reason } => assert!(reason.contains("解绑"), "{reason}"),
        other => panic!("an unbound device paid: {other:?}"),
    }
    // Another device of the shop is untouched.
    assert!(matches!(
        env.client.micro_pay(&env.pay(&wx("00"), 100)).await,
        PayOutcome::Paid { .. }
    ));
    // Unbound, the device may be bound by any terminal again.
    let (qr2, _) = config_qr(&env, Some(&device)).await;
    let again = bind(&env, &qr2, "CP0000000000E2").await.unwrap();
    let client = client_of(&env, &again);
    assert!(matches!(
        client.micro_pay(&env.pay(&wx("00"), 100)).await,
        PayOutcome::Paid { .. }
    ));
}

#[tokio::test]
async fn notices_are_published_and_listed_newest_first() {
    let env = start().await;
    assert!(env.client.notices(None).await.unwrap().notices.is_empty());
    for (title, body) in [
        ("停机维护", "今晚 23:00 维护一小时。"),
        ("新功能", "支持押金。"),
    ] {
        let r = env
            .http
            .post(sandbox_url(&env, "/sandbox/notice"))
            .json(&json!({ "title": title, "body": body }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    let list = env.client.notices(None).await.unwrap();
    assert_eq!(list.total_count, 2);
    assert_eq!(list.notices[0].title, "新功能");
    assert_eq!(list.notices[1].body, "今晚 23:00 维护一小时。");
    assert_ne!(list.notices[0].notice_id, list.notices[1].notice_id);
    // The control endpoint names a missing field.
    let r = env
        .http
        .post(sandbox_url(&env, "/sandbox/notice"))
        .json(&json!({ "title": "no body" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.text().await.unwrap().contains("body is required"));
}

#[tokio::test]
async fn unbind_and_notice_calls_require_every_field() {
    let env = start().await;
    let notices = json_of(&env.client.notice_list_request(Some(0), new_nonce()));
    let table = rows(vec![
        mch_key_rows_without_wallet(),
        order_client_rows(true, false),
        nonce_rows(),
        vec![set("start_time", json!("yesterday"))],
    ]);
    rejects_each(&env, X_QUERY_NOTICE_LIST, &notices, &table).await;
    accepted(&env, X_QUERY_NOTICE_LIST, &notices).await;
    let unbind = json_of(
        &env.client
            .unbind_device_request(&env.creds.staff_id, new_nonce()),
    );
    let table = rows(vec![
        mch_key_rows_without_wallet(),
        order_client_rows(true, false),
        nonce_rows(),
        vec![remove("order_client.staff_id").naming("order_client.staff_id is required")],
    ]);
    rejects_each(&env, X_UNBIND_DEVICE, &unbind, &table).await;
}
