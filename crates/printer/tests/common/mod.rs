//! Sample receipts shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use cloudpos_domain::catalog::CartLine;
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::PaymentMethod;
use cloudpos_domain::receipt::{Receipt, ReceiptKind};
use cloudpos_domain::shift::{CashTotals, MethodTotals, Summary};
use cloudpos_domain::timestamp::{CHINA_OFFSET_SECONDS, Timestamp};

/// 2026-11-22 13:22:18 China time.
pub fn when() -> Timestamp {
    Timestamp::from_unix_seconds(1_795_324_938)
}

pub fn line(sku: &str, name: &str, unit: &str, fen: i64, quantity: u32) -> CartLine {
    CartLine {
        sku: sku.into(),
        name: name.into(),
        unit: unit.into(),
        unit_price: Money::from_fen(fen),
        quantity,
    }
}

pub fn payment() -> Receipt {
    Receipt {
        kind: ReceiptKind::Payment,
        store_name: "云支付便利店（科技园店）".into(),
        sandbox: true,
        order_no: Some("CP01POS12611221322180001".into()),
        transaction_id: Some("4200002026112213221800012345".into()),
        time: when(),
        offset_seconds: CHINA_OFFSET_SECONDS,
        clerk: "02 王小明".into(),
        device_id: "POS-01".into(),
        method: Some(PaymentMethod::Wallet(Wallet::WeChat)),
        amount: Money::from_fen(4_350),
        lines: vec![
            line("A1", "农夫山泉矿泉水550ml", "瓶", 200, 3),
            line(
                "B2",
                "康师傅红烧牛肉面（经典五连包装，限时特惠）",
                "袋",
                1_650,
                2,
            ),
            line("C3", "Oreo 奥利奥夹心饼干", "盒", 550, 1),
        ],
        remark: "少放冰，谢谢".into(),
        closing_line: String::new(),
        copy: (1, 1),
        ..Receipt::default()
    }
}

pub fn cash_payment() -> Receipt {
    Receipt {
        method: Some(PaymentMethod::Cash),
        sandbox: false,
        transaction_id: None,
        cash: Some((Money::from_fen(5_000), Money::from_fen(650))),
        remark: String::new(),
        copy: (1, 2),
        ..payment()
    }
}

pub fn refund() -> Receipt {
    Receipt {
        kind: ReceiptKind::Refund,
        refund_no: Some("CP01POS12611221425060002".into()),
        refund_amount: Some(Money::from_fen(1_650)),
        refunded: Money::from_fen(1_650),
        time: when().plus(std::time::Duration::from_secs(3_768)),
        lines: vec![line(
            "B2",
            "康师傅红烧牛肉面（经典五连包装，限时特惠）",
            "袋",
            1_650,
            1,
        )],
        remark: "顾客不想要了".into(),
        ..payment()
    }
}

/// A deposit's consume slip: 100.00 frozen, 30.00 taken, 70.00 back to the customer.
pub fn deposit_consume() -> Receipt {
    Receipt {
        kind: ReceiptKind::DepositConsume,
        order_no: Some("CP01POS12611221322180009".into()),
        transaction_id: Some("4300002026112213221800012345".into()),
        amount: Money::from_fen(10_000),
        lines: Vec::new(),
        remark: "302 房".into(),
        extra: vec![
            ("本次消费".into(), "30.00".into()),
            ("解冻返还".into(), "70.00".into()),
            ("消费订单号".into(), "CP01POS12611221522180010".into()),
        ],
        ..payment()
    }
}

pub fn summary() -> Receipt {
    let from = Timestamp::parse_local("2026-11-22 08:00", CHINA_OFFSET_SECONDS).unwrap();
    let to = Timestamp::parse_local("2026-11-22 16:00", CHINA_OFFSET_SECONDS).unwrap();
    let clerk = ClerkId::parse("02").unwrap();
    let mut s = Summary::empty(from, to, Some(clerk));
    let totals = |pay_count, paid, refund_count, refunded| MethodTotals {
        pay_count,
        paid: Money::from_fen(paid),
        refund_count,
        refunded: Money::from_fen(refunded),
        net: Money::from_fen(paid - refunded),
    };
    s.methods.insert(
        PaymentMethod::Wallet(Wallet::WeChat),
        totals(12, 52_380, 1, 1_650),
    );
    s.methods.insert(
        PaymentMethod::Wallet(Wallet::Alipay),
        totals(5, 18_800, 0, 0),
    );
    s.methods
        .insert(PaymentMethod::Cash, totals(3, 7_650, 0, 0));
    s.total = totals(20, 78_830, 1, 1_650);
    s.cash = CashTotals {
        tendered: Money::from_fen(10_000),
        change: Money::from_fen(2_350),
    };
    Receipt {
        kind: ReceiptKind::Summary,
        store_name: "云支付便利店（科技园店）".into(),
        sandbox: true,
        time: to,
        offset_seconds: CHINA_OFFSET_SECONDS,
        clerk: "02 王小明".into(),
        device_id: "POS-01".into(),
        summary: Some(s),
        ..Receipt::default()
    }
}

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/printer")
}

pub fn update_golden() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1")
}
