//! The sandbox is never stricter than our client: every request the client can build (all
//! builders, every wallet, with and without their optional parts, under several terminal
//! settings) passes the sandbox's envelope check and its request checks — the very
//! functions the server applies. With `strict.rs` (never laxer than the protocol) this
//! pins the sandbox between the two.

use cloudpay_api::wire::{ApprovalKind, endpoint};
use cloudpay_api::{AuthenKey, CloudPayClient, CloudPayConfig, PssVerifier, Secrets, new_nonce};
use cloudpay_sandbox::MerchantConfig;
use cloudpay_sandbox::envelope::{Gate, authenticate};
use cloudpay_sandbox::validate;
use cloudpos_domain::code::CodeTable;
use cloudpos_domain::ports::{PayRequest, RefundRequest};
use cloudpos_domain::{Money, OrderNoGenerator, Timestamp, Wallet};
use serde::Serialize;

use crate::fixture;

const KEY: &str = "client-requests-test-key";

/// Terminal settings the client may run with, over the demo merchant's shops and devices.
fn configs(m: &MerchantConfig) -> Vec<CloudPayConfig> {
    let shop1 = &m.shops[0];
    let shop2 = &m.shops[1];
    let base = |shop: &str, device: &str| {
        CloudPayConfig::new(
            "http://127.0.0.1:9/cpay/",
            &m.out_mch_id,
            &m.out_sub_mch_id,
            shop,
            device,
        )
    };
    let mut defaults = base(&shop1.out_shop_id, &shop1.devices[0]);
    defaults.staff_id = Some(m.default_staff_id.clone());
    let mut windows = base(&shop1.out_shop_id, &shop1.devices[1]);
    windows.staff_id = None;
    windows.terminal_type = 1;
    windows.machine_no = "M".repeat(32);
    windows.sdk_version = "10.20.30.4".into();
    windows.spbill_create_ip = "255.255.255.255".into();
    let mut other = base(&shop2.out_shop_id, &shop2.devices[0]);
    other.staff_id = Some(m.staff[1].staff_id.clone());
    other.terminal_type = 100;
    other.spbill_create_ip = "90.0.00.0".into();
    let mut list = vec![defaults, windows, other];
    for t in [2, 3, 4] {
        let mut c = base(&shop1.out_shop_id, &shop1.devices[0]);
        c.terminal_type = t;
        list.push(c);
    }
    list
}

/// One built request: endpoint, `request_content`, and whether the client signs it.
pub(crate) struct Built {
    pub(crate) endpoint: &'static str,
    pub(crate) content: String,
    pub(crate) sign: bool,
    pub(crate) what: String,
}

pub(crate) fn built<T: Serialize>(
    endpoint: &'static str,
    request: &T,
    sign: bool,
    what: String,
) -> Built {
    Built {
        endpoint,
        content: serde_json::to_string(request).unwrap(),
        sign,
        what,
    }
}

/// Every request `client` can build.
fn every_request(client: &CloudPayClient, m: &MerchantConfig) -> Vec<Built> {
    let codes = CodeTable::default();
    let mut numbers =
        OrderNoGenerator::new(&m.order_prefix, &client.config().device_id, 8 * 3600).unwrap();
    let now = Timestamp::from_unix_seconds(1_717_200_000);
    let wallets = [Wallet::WeChat, Wallet::Alipay, Wallet::MemberCard];
    let code_of = |w: Wallet, n: usize| match w {
        Wallet::WeChat => format!("{}{:016}", 10 + n % 6, n),
        Wallet::Alipay => format!("{}{:0width$}", 25 + n % 6, n, width = 14 + n % 9),
        Wallet::MemberCard => format!("99{n:016}"),
    };
    let mut out = Vec::new();
    let mut n = 0;
    for wallet in wallets {
        for remark in ["", "单号 A-1024", &"备注".repeat(100)] {
            for staff in [None, Some("02")] {
                for body in ["沙箱", "CloudPOS", &"可口可乐 330ml×2".repeat(20)] {
                    for fen in [1, 5_000_000, 99_999_999_999] {
                        n += 1;
                        let request = PayRequest {
                            order_no: numbers.next_order_no(now),
                            code: codes.classify(&code_of(wallet, n)).unwrap(),
                            amount: Money::from_fen(fen),
                            body: body.to_owned(),
                            remark: remark.to_owned(),
                            staff_id: staff.map(str::to_owned),
                        };
                        out.push(built(
                            endpoint::MICRO_PAY,
                            &client.micro_pay_request(&request, new_nonce()),
                            false,
                            format!(
                                "micro_pay {wallet} {fen} remark={} body={}",
                                remark.len(),
                                body.len()
                            ),
                        ));
                    }
                }
            }
        }
    }
    let no = numbers.next_order_no(now);
    for wallet in [
        None,
        Some(Wallet::WeChat),
        Some(Wallet::Alipay),
        Some(Wallet::MemberCard),
    ] {
        out.push(built(
            endpoint::QUERY_ORDER,
            &client.query_order_request(&no, wallet, new_nonce()),
            false,
            format!("query_order {wallet:?}"),
        ));
    }
    for wallet in wallets {
        for sign in [false, true] {
            out.push(built(
                endpoint::REVERSE,
                &client.reverse_request(&no, Some(wallet), new_nonce()),
                sign,
                format!("reverse {wallet} signed={sign}"),
            ));
        }
        out.push(built(
            endpoint::CLOSE_ORDER,
            &client.close_order_request(&no, Some(wallet), new_nonce()),
            false,
            format!("close_order {wallet}"),
        ));
        for reason in ["", "退货", &"顾客不想要了".repeat(10)] {
            for staff in [None, Some("01")] {
                for (total, amount) in [(1, 1), (10_000, 2_500), (99_999_999_999, 1)] {
                    for sign in [false, true] {
                        let refund_no = numbers.next_refund_no(now);
                        let request = RefundRequest {
                            order_no: no.clone(),
                            wallet,
                            refund_no: refund_no.clone(),
                            order_amount: Money::from_fen(total),
                            amount: Money::from_fen(amount),
                            reason: reason.to_owned(),
                            staff_id: staff.map(str::to_owned),
                        };
                        out.push(built(
                            endpoint::REFUND,
                            &client.refund_request(&request, new_nonce()),
                            sign,
                            format!("refund {wallet} {amount}/{total} signed={sign}"),
                        ));
                        out.push(built(
                            endpoint::QUERY_REFUND_ORDER,
                            &client.query_refund_request(
                                &no,
                                wallet,
                                Some(&refund_no),
                                new_nonce(),
                            ),
                            false,
                            format!("query_refund_order {wallet}"),
                        ));
                    }
                }
            }
        }
        out.push(built(
            endpoint::QUERY_REFUND_ORDER,
            &client.query_refund_request(&no, wallet, None, new_nonce()),
            false,
            format!("query_refund_order {wallet} (all refunds)"),
        ));
    }
    for kind in 1..=3 {
        for (page, size) in [(1, 1), (1, 50), (7, 100)] {
            for (from, to) in [(0, 1_717_200_000), (1_717_113_600, 1_717_199_999)] {
                out.push(built(
                    endpoint::CLIENT_ORDER_DETAIL,
                    &client.order_detail_request(
                        Timestamp::from_unix_seconds(from),
                        Timestamp::from_unix_seconds(to),
                        kind,
                        page,
                        size,
                        new_nonce(),
                    ),
                    false,
                    format!("client_order_detail {kind} {page}/{size}"),
                ));
            }
        }
    }
    out.push(built(
        endpoint::X_CREATE_APPROVAL,
        &client.create_approval_request(ApprovalKind::Login, None, None, new_nonce()),
        false,
        "x_create_approval login".into(),
    ));
    out.push(built(
        endpoint::X_CREATE_APPROVAL,
        &client.create_approval_request(
            ApprovalKind::Refund,
            Some(&no),
            Some(Money::from_fen(1_500)),
            new_nonce(),
        ),
        false,
        "x_create_approval refund".into(),
    ));
    for name in [endpoint::X_QUERY_APPROVAL, endpoint::X_CONSUME_APPROVAL] {
        out.push(built(
            name,
            &client.approval_token_request("3f1c2a9be07d4e55a1c2b3d4e5f60718", new_nonce()),
            false,
            name.to_owned(),
        ));
    }
    // The device's own calls (unbinding, notices).
    out.push(built(
        cloudpay_api::device::X_UNBIND_DEVICE,
        &client.unbind_device_request(&m.default_staff_id, new_nonce()),
        false,
        "x_unbind_device".into(),
    ));
    for start in [None, Some(1_717_200_000)] {
        out.push(built(
            cloudpay_api::device::X_QUERY_NOTICE_LIST,
            &client.notice_list_request(start, new_nonce()),
            false,
            format!("x_query_notice_list from {start:?}"),
        ));
    }
    // The deposit calls (protocol notes §11).
    out.extend(crate::deposits::every_deposit_request(client, m));
    out
}

#[test]
fn every_request_the_client_builds_passes_the_sandbox_checks() {
    let m = MerchantConfig::default();
    let key = AuthenKey::new(KEY);
    let verifier = PssVerifier::from_pem(&fixture("test_sign_public_key.pem")).unwrap();
    let gate = Gate {
        out_sub_mch_id: &m.out_sub_mch_id,
        key: &key,
        verifier: Some(&verifier),
    };
    let secrets = Secrets::new(KEY)
        .with_private_key_pem(&fixture("test_sign_private_key.pem"))
        .unwrap();
    let mut checked = 0;
    let mut endpoints = std::collections::BTreeSet::new();
    for config in configs(&m) {
        let client = CloudPayClient::new(config.clone(), secrets.clone()).unwrap();
        for b in every_request(&client, &m) {
            let body = client.request_body(b.content.clone(), b.sign).unwrap();
            let content = authenticate(&gate, b.endpoint, body.as_bytes())
                .unwrap_or_else(|f| panic!("{} ({config:?}): envelope refused: {f:?}", b.what));
            assert_eq!(content, b.content);
            if let Err(f) = validate::check(&m, b.endpoint, &content) {
                panic!(
                    "{} ({config:?}) refused: {}\n{}",
                    b.what, f.description, b.content
                );
            }
            endpoints.insert(b.endpoint);
            checked += 1;
        }
    }
    // Every endpoint with a request_content was covered (ping posts `{}`).
    assert_eq!(endpoints.len(), cloudpay_sandbox::envelope::KNOWN.len());
    assert!(checked > 2_000, "{checked}");
}

/// What the client cannot know stays visible: a reverse without the order's wallet omits
/// `pay_platform`, and the sandbox, like a strict Cloud Pay, refuses it by name. The
/// terminal always passes the wallet of a wallet payment.
#[test]
fn a_reverse_without_the_wallet_is_refused_by_name() {
    let m = MerchantConfig::default();
    let client = CloudPayClient::new(configs(&m).remove(0), Secrets::new(KEY)).unwrap();
    let no = OrderNoGenerator::new(&m.order_prefix, "POS-01", 0)
        .unwrap()
        .next_order_no(Timestamp::from_unix_seconds(1_717_200_000));
    let content = serde_json::to_string(&client.reverse_request(&no, None, new_nonce())).unwrap();
    let refused = validate::check(&m, endpoint::REVERSE, &content).unwrap_err();
    assert_eq!(refused.status, 101);
    assert!(
        refused
            .description
            .contains("pay_mch_key.pay_platform is required"),
        "{}",
        refused.description
    );
}
