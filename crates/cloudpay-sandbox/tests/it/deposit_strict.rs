//! The deposit endpoints are as strict as the protocol (notes §11.2–§11.8): per endpoint, a
//! table written from the notes removes or spoils each required field of a request the
//! client built, signs it properly, sends it over HTTP and expects 101 naming the field.

use cloudpay_api::deposit::wire::{endpoint, order_type};
use cloudpay_api::new_nonce;
use cloudpos_domain::ports::{UnfreezeAuthority, UnfreezeRequest};
use cloudpos_domain::{Money, Timestamp};
use serde_json::json;

use crate::strict::{
    accepted, json_of, mch_key_rows, nonce_rows, number_rows, order_client_rows, rejects_each,
    remove, rows, set,
};
use crate::{ali, start, wx};

#[tokio::test]
async fn micro_freeze_requires_every_field() {
    let env = start().await;
    let prefix = env.creds.order_prefix.clone();
    let base = json_of(
        &env.client
            .micro_freeze_request(&env.freeze_req(&wx("00"), 100), new_nonce()),
    );
    let table = rows(vec![
        mch_key_rows(true),
        order_client_rows(true, true),
        nonce_rows(),
        number_rows("freeze_content.out_freeze_no", &prefix),
        vec![
            remove("freeze_content"),
            remove("freeze_content.author_code"),
            set("freeze_content.author_code", json!("")),
            set("freeze_content.author_code", json!(1_345_202_738)),
            set("freeze_content.author_code", json!("13452027382538764X")),
            set("freeze_content.author_code", json!(ali("00"))),
            set("freeze_content.author_code", json!("1".repeat(257))),
            // Member cards hold no deposits (pay_platform 1 or 2).
            set("pay_mch_key.pay_platform", json!(3))
                .also("pay_mch_key.sub_pay_platform", json!(300))
                .also("freeze_content.author_code", json!("991234567890123400"))
                .naming("pay_mch_key.pay_platform"),
            remove("freeze_content.freeze_fee"),
            set("freeze_content.freeze_fee", json!(0)),
            set("freeze_content.freeze_fee", json!(-5)),
            set("freeze_content.freeze_fee", json!("100")),
            set("freeze_content.freeze_fee", json!(1.5)),
            remove("freeze_content.fee_type"),
            set("freeze_content.fee_type", json!("USD")),
            remove("freeze_content.body"),
            set("freeze_content.body", json!(" ")),
            set("freeze_content.body", json!("押".repeat(43))),
            set("freeze_content.remark", json!("r".repeat(128))),
            set("freeze_content.detail", json!("not json")),
            set(
                "freeze_content.wxpay_freeze_content_ext",
                json!("no_credit"),
            ),
            set(
                "freeze_content.wxpay_freeze_content_ext",
                json!({"limit_pay": "credit"}),
            )
            .naming("freeze_content.wxpay_freeze_content_ext.limit_pay"),
            set(
                "freeze_content.alipay_freeze_content_ext",
                json!({"enable_pay_channels": "balance"}),
            ),
        ],
    ]);
    rejects_each(&env, endpoint::MICRO_FREEZE, &base, &table).await;
    let deposits = &env.ledger().await["deposits"];
    assert!(
        deposits["freezes"].as_array().unwrap().is_empty(),
        "none froze"
    );
    accepted(&env, endpoint::MICRO_FREEZE, &base).await;
}

#[tokio::test]
async fn query_freeze_order_requires_every_field() {
    let env = start().await;
    let prefix = env.creds.order_prefix.clone();
    let freeze = env.frozen(&wx("00"), 100).await;
    let base = json_of(&env.client.query_freeze_request(
        &freeze.no,
        freeze.code.wallet(),
        new_nonce(),
    ));
    let table = rows(vec![
        mch_key_rows(true),
        order_client_rows(false, false),
        nonce_rows(),
        number_rows("out_freeze_no", &prefix),
        // The wallet must be the freeze's.
        vec![
            set("pay_mch_key.pay_platform", json!(2))
                .also("pay_mch_key.sub_pay_platform", json!(200)),
        ],
    ]);
    rejects_each(&env, endpoint::QUERY_FREEZE_ORDER, &base, &table).await;
    accepted(&env, endpoint::QUERY_FREEZE_ORDER, &base).await;
}

#[tokio::test]
async fn deposit_consume_requires_every_field() {
    let env = start().await;
    let prefix = env.creds.order_prefix.clone();
    let freeze = env.frozen(&wx("00"), 1_000).await;
    let base = json_of(
        &env.client
            .deposit_consume_request(&env.consume_req(&freeze, 100), new_nonce()),
    );
    let table = rows(vec![
        // `pay_platform` is optional here (the freeze decides the wallet), and the client
        // does not send it.
        mch_key_rows(false)
            .into_iter()
            .filter(|c| {
                format!("{c:?}")
                    != format!(
                        "{:?}",
                        remove("pay_mch_key.pay_platform").naming("pay_mch_key.sub_pay_platform")
                    )
            })
            .collect(),
        order_client_rows(true, false),
        nonce_rows(),
        number_rows("pay_content.out_trade_no", &prefix),
        number_rows("pay_content.out_freeze_no", &prefix),
        vec![
            remove("pay_content"),
            remove("pay_content.total_fee"),
            set("pay_content.total_fee", json!(0)),
            set("pay_content.total_fee", json!("100")),
            // Above what is frozen.
            set("pay_content.total_fee", json!(1_001)),
            remove("pay_content.fee_type"),
            set("pay_content.fee_type", json!("USD")),
            remove("pay_content.body"),
            set("pay_content.body", json!("消".repeat(43))),
            set("pay_content.remark", json!("r".repeat(128))),
            set("pay_content.detail", json!("not json")),
            remove("pay_content.is_confirm_unfreeze"),
            set("pay_content.is_confirm_unfreeze", json!("true")),
            // WeChat requires the rest released.
            set("pay_content.is_confirm_unfreeze", json!(false)),
            set("pay_content.wxpay_pay_content_ext", json!("x")),
            // A wallet, when given, must be the freeze's.
            set("pay_mch_key.pay_platform", json!(2))
                .also("pay_mch_key.sub_pay_platform", json!(200)),
        ],
    ]);
    rejects_each(&env, endpoint::DEPOSIT_CONSUME, &base, &table).await;
    accepted(&env, endpoint::DEPOSIT_CONSUME, &base).await;
}

#[tokio::test]
async fn unfreeze_requires_every_field_and_the_refund_permission_fields() {
    let env = start().await;
    let prefix = env.creds.order_prefix.clone();
    let freeze = env.frozen(&ali("00"), 1_000).await;
    let request = |authority| UnfreezeRequest {
        amount: Money::from_fen(400),
        ..env.unfreeze_req(&freeze, 400, authority)
    };
    let base = json_of(&env.client.unfreeze_request(
        &request(UnfreezeAuthority::Staff(Some("01".into()))),
        new_nonce(),
    ));
    let table = rows(vec![
        mch_key_rows(true),
        order_client_rows(true, false),
        nonce_rows(),
        number_rows("unfreeze_content.out_freeze_no", &prefix),
        number_rows("unfreeze_content.out_unfreeze_no", &prefix),
        vec![
            remove("unfreeze_content"),
            remove("unfreeze_content.unfreeze_fee"),
            set("unfreeze_content.unfreeze_fee", json!(0)),
            set("unfreeze_content.unfreeze_fee", json!("400")),
            set("unfreeze_content.unfreeze_fee", json!(1_001)),
            set("unfreeze_content.remark", json!("r".repeat(129))),
            remove("pay_mch_key.is_sub_admin"),
            set("pay_mch_key.is_sub_admin", json!("false")),
            remove("pay_mch_key.authorization_staff_id"),
            set("pay_mch_key.authorization_staff_id", json!("")),
            set("pay_mch_key.authorization_staff_id", json!("99")),
            set("pay_mch_key.is_sub_admin", json!(true))
                .naming("pay_mch_key.authorization_staff_id"),
            set("pay_mch_key.pay_platform", json!(1))
                .also("pay_mch_key.sub_pay_platform", json!(100)),
        ],
    ]);
    rejects_each(&env, endpoint::UNFREEZE, &base, &table).await;
    accepted(&env, endpoint::UNFREEZE, &base).await;
    // The admin flag alone is accepted too.
    let admin = json_of(
        &env.client
            .unfreeze_request(&request(UnfreezeAuthority::Admin), new_nonce()),
    );
    accepted(&env, endpoint::UNFREEZE, &admin).await;
}

#[tokio::test]
async fn query_unfreeze_order_requires_every_field() {
    let env = start().await;
    let prefix = env.creds.order_prefix.clone();
    let freeze = env.frozen(&wx("00"), 100).await;
    let release = env.unfreeze_req(&freeze, 100, UnfreezeAuthority::Admin);
    let base = json_of(&env.client.query_unfreeze_request(
        &freeze.no,
        freeze.code.wallet(),
        Some(&release.unfreeze_no),
        new_nonce(),
    ));
    let table = rows(vec![
        mch_key_rows(true),
        order_client_rows(false, false),
        nonce_rows(),
        number_rows("out_freeze_no", &prefix),
        vec![
            set("out_unfreeze_no", json!("XX01")),
            set("out_unfreeze_no", json!(7)),
        ],
    ]);
    rejects_each(&env, endpoint::QUERY_UNFREEZE_ORDER, &base, &table).await;
    accepted(&env, endpoint::QUERY_UNFREEZE_ORDER, &base).await;
}

#[tokio::test]
async fn query_order_list_requires_every_field() {
    let env = start().await;
    let base = json_of(&env.client.order_list_request(
        Timestamp::from_unix_seconds(1_717_113_600),
        Timestamp::from_unix_seconds(1_717_200_000),
        order_type::FREEZE,
        1,
        20,
        new_nonce(),
    ));
    let table = rows(vec![
        nonce_rows(),
        vec![
            remove("out_sub_mch_id"),
            set("out_sub_mch_id", json!("sz01OTHERsub00000001")),
            remove("order_type"),
            set("order_type", json!(6)),
            set("order_type", json!("4")),
            set("order_type", json!(1)),
            remove("start_time"),
            remove("end_time"),
            set("end_time", json!(0)),
            set("start_time", json!(1_717_300_000)),
            remove("page_num"),
            set("page_num", json!(0)),
            remove("page_size"),
            set("page_size", json!(101)),
            set("time_filter", json!(3)),
            set("status", json!(2)),
            set("out_shop_id", json!("sz01SBXshop000000009")),
            remove("out_shop_id").naming("out_shop_id"),
            set("device_id", json!("NO-SUCH-DEVICE")),
            set("staff_id", json!("99")),
            set("sub_pay_platforms", json!([999])),
        ],
    ]);
    rejects_each(&env, "query_order_list", &base, &table).await;
    accepted(&env, "query_order_list", &base).await;
}
