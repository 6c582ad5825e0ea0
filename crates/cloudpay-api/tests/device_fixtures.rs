//! The device's recorded exchanges (`fixtures/cloudpay/device/`, made by
//! `generate_device.py` with the `openssl` CLI): binding by configuration QR (the key
//! decrypted with AES-128-CBC as openssl encrypted it, the MAC checked with the key
//! delivered, 3214, 101, a forged answer), and the unbind and notice requests built byte for
//! byte with their answers read.

use std::path::PathBuf;

use cloudpay_api::binding::{self, BindError, BoundKeyCipher, ConfigQr};
use cloudpay_api::device::{
    NoticeListResponse, UnbindDeviceResponse, X_QUERY_NOTICE_LIST, X_UNBIND_DEVICE,
};
use cloudpay_api::{CloudPayClient, CloudPayConfig, Reply, Secrets, parse_reply};
use serde_json::Value;

const NONCE: &str = "C105E000000000000000000000000001";

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/cloudpay/device")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap().to_owned()
}

fn doc_client() -> CloudPayClient {
    let mut c = CloudPayConfig::new(
        "https://pay.qcloud.com/cpay/",
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
    CloudPayClient::new(c, Secrets::new("CloudPOSFixtureAuthenKey20240601")).unwrap()
}

#[test]
fn a_recorded_binding_decrypts_to_the_key_and_names_what_fails() {
    let ok = fixture("use_device_setting_ok");
    let qr = ConfigQr::parse(&s(&ok, "qr")).unwrap();
    assert_eq!(qr.bind_url(&s(&ok, "sn")), s(&ok, "bind_url"));
    assert_eq!(
        hex::encode(binding::initial_key(&qr.setting_id, &s(&ok, "sn"))),
        s(&ok, "initial_key_hex")
    );
    let bound = binding::read_bind_answer(
        &qr,
        &s(&ok, "sn"),
        BoundKeyCipher::DEFAULT,
        &s(&ok, "response_body"),
    )
    .unwrap();
    assert_eq!(bound.authen_key, s(&ok, "authen_key"));
    assert_eq!(bound.setting.device_id, "824");
    assert_eq!(bound.setting.staff_id, "1206");
    assert_eq!(bound.setting.cloud_cashier_id, "sz010002cz1");
    assert_eq!(bound.base_url, "https://pay.qcloud.com/cpay/");
    // Read as GCM, or with another serial number, it does not open.
    assert!(
        binding::read_bind_answer(
            &qr,
            &s(&ok, "sn"),
            BoundKeyCipher::Aes128Gcm,
            &s(&ok, "response_body")
        )
        .is_err()
    );
    assert!(
        binding::read_bind_answer(
            &qr,
            "CP999",
            BoundKeyCipher::DEFAULT,
            &s(&ok, "response_body")
        )
        .is_err()
    );

    let forged = fixture("use_device_setting_forged");
    assert!(matches!(
        binding::read_bind_answer(
            &qr,
            &s(&forged, "sn"),
            BoundKeyCipher::DEFAULT,
            &s(&forged, "response_body")
        ),
        Err(BindError::Forged(_))
    ));
    let elsewhere = fixture("use_device_setting_3214");
    assert_eq!(
        binding::read_bind_answer(
            &qr,
            &s(&elsewhere, "sn"),
            BoundKeyCipher::DEFAULT,
            &s(&elsewhere, "response_body")
        ),
        Err(BindError::BoundElsewhere {
            device_id: "824".into()
        })
    );
    let refused = fixture("use_device_setting_status101");
    match binding::read_bind_answer(
        &qr,
        &s(&refused, "sn"),
        BoundKeyCipher::DEFAULT,
        &s(&refused, "response_body"),
    ) {
        Err(BindError::Refused {
            status,
            description,
            ..
        }) => {
            assert_eq!(status, 101);
            assert!(description.contains("sn is required"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unbind_and_notice_requests_are_built_byte_for_byte_and_their_answers_read() {
    let client = doc_client();
    let unbind = fixture("x_unbind_device_ok");
    assert_eq!(s(&unbind, "endpoint"), X_UNBIND_DEVICE);
    let content =
        serde_json::to_string(&client.unbind_device_request("1206", NONCE.into())).unwrap();
    assert_eq!(content, s(&unbind, "request_content"));
    assert_eq!(
        client.request_body(content, false).unwrap(),
        s(&unbind, "request_body")
    );
    let key = cloudpay_api::AuthenKey::new(&s(&unbind, "authen_key"));
    match parse_reply::<UnbindDeviceResponse>(&key, X_UNBIND_DEVICE, &s(&unbind, "response_body")) {
        Reply::Success { body, .. } => assert_eq!(body.device_id, "824"),
        other => panic!("{other:?}"),
    }

    let notices = fixture("x_query_notice_list_ok");
    assert_eq!(s(&notices, "endpoint"), X_QUERY_NOTICE_LIST);
    let content = serde_json::to_string(&client.notice_list_request(None, NONCE.into())).unwrap();
    assert_eq!(content, s(&notices, "request_content"));
    assert_eq!(
        client.request_body(content, false).unwrap(),
        s(&notices, "request_body")
    );
    match parse_reply::<NoticeListResponse>(
        &key,
        X_QUERY_NOTICE_LIST,
        &s(&notices, "response_body"),
    ) {
        Reply::Success { body: value, .. } => {
            assert_eq!(value.total_count, 2);
            assert_eq!(value.notices[0].title, "春节期间结算安排");
        }
        other => panic!("{other:?}"),
    }
}
