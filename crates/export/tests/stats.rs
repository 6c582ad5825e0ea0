//! The statistics picture: pixel snapshots (regenerate with `UPDATE_GOLDEN=1`, then look at
//! the PNGs in `tests/snapshots/`).

use std::path::PathBuf;
use std::time::Duration;

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState, PaymentMethod};
use cloudpos_domain::order_no::{OrderNo, RefundNo};
use cloudpos_domain::refund::{Refund, RefundState};
use cloudpos_domain::timestamp::{CHINA_OFFSET_SECONDS, Timestamp};
use cloudpos_export::{Lang, StatsInput, stats_image, stats_png};

/// 2026-11-22 00:00 at UTC+8.
const DAY: i64 = 1_795_276_800;

fn order(i: u64, method: PaymentMethod, fen: i64, paid_at: Timestamp, state: OrderState) -> Order {
    Order {
        no: OrderNo::parse(&format!("sz01dev1{i:012}")).unwrap(),
        method,
        amount: Money::from_fen(fen),
        state,
        refunded: Money::ZERO,
        code_masked: None,
        store_id: "shop01".to_owned(),
        device_id: "dev01".to_owned(),
        clerk_id: ClerkId::parse("01").unwrap(),
        shift_id: None,
        body: String::new(),
        remark: String::new(),
        transaction_id: None,
        reason: None,
        never_reverse: false,
        cash_tendered: None,
        cash_change: None,
        lines: Vec::new(),
        created_at: paid_at.minus(Duration::from_secs(3)),
        updated_at: paid_at,
        paid_at: Some(paid_at),
    }
}

/// A convenience store's day: a morning peak, a lunch peak, an evening peak; WeChat
/// first, then Alipay, some member cards and cash; a voided order; two refunds.
fn day() -> (Vec<Order>, Vec<Refund>) {
    let mut orders = Vec::new();
    let mut i = 0;
    for hour in 6..23 {
        let busy: i64 = match hour {
            7 | 8 => 30,
            11..=13 => 45,
            17..=19 => 38,
            _ => 12,
        };
        for k in 0..busy {
            i += 1;
            let method = match (k + hour) % 10 {
                0..=4 => PaymentMethod::Wallet(Wallet::WeChat),
                5..=7 => PaymentMethod::Wallet(Wallet::Alipay),
                8 => PaymentMethod::Wallet(Wallet::MemberCard),
                _ => PaymentMethod::Cash,
            };
            let fen = 500 + (k * 379 + hour * 97) % 4_000;
            let at = Timestamp::from_unix_seconds(DAY + hour * 3600 + k * 60);
            orders.push(order(i, method, fen, at, OrderState::Paid));
        }
    }
    // Voided: not counted.
    let voided = Timestamp::from_unix_seconds(DAY + 9 * 3600);
    orders.push(order(
        9_999,
        PaymentMethod::Wallet(Wallet::WeChat),
        99_900,
        voided,
        OrderState::Reversed,
    ));
    // Paid yesterday: outside the period.
    let yesterday = Timestamp::from_unix_seconds(DAY - 600);
    orders.push(order(
        9_998,
        PaymentMethod::Cash,
        77_700,
        yesterday,
        OrderState::Paid,
    ));
    let refunds = [
        (1, 1250, RefundState::Succeeded),
        (2, 800, RefundState::Succeeded),
        (3, 500, RefundState::Failed),
    ]
    .into_iter()
    .map(|(k, fen, state)| {
        let at = Timestamp::from_unix_seconds(DAY + 15 * 3600 + k * 60);
        Refund {
            no: RefundNo::parse(&format!("sz01dev1R{k}")).unwrap(),
            order_no: OrderNo::parse(&format!("sz01dev1{k:012}")).unwrap(),
            method: PaymentMethod::Wallet(Wallet::WeChat),
            amount: Money::from_fen(fen),
            state,
            reason: String::new(),
            clerk_id: ClerkId::parse("01").unwrap(),
            authorized_by: None,
            shift_id: None,
            refund_id: None,
            failure: None,
            created_at: at,
            updated_at: at,
            succeeded_at: (state == RefundState::Succeeded).then_some(at),
        }
    })
    .collect();
    (orders, refunds)
}

fn input(lang: Lang) -> StatsInput {
    let (orders, refunds) = day();
    StatsInput::from_records(
        "云支付便利店（科技园店）",
        (
            Timestamp::from_unix_seconds(DAY),
            Timestamp::from_unix_seconds(DAY + 86_400),
        ),
        CHINA_OFFSET_SECONDS,
        lang,
        &orders,
        &refunds,
    )
}

fn snapshot(name: &str, png: &[u8]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.png"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, png).unwrap();
        return;
    }
    let want = image::load_from_memory(&std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    }))
    .unwrap()
    .to_rgb8();
    let got = image::load_from_memory(png).unwrap().to_rgb8();
    assert_eq!(got.dimensions(), want.dimensions(), "{name}: size");
    let differing = got
        .pixels()
        .zip(want.pixels())
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(
        differing,
        0,
        "{name}: {differing} pixels differ from {}",
        path.display()
    );
}

#[test]
fn totals_follow_the_summary_rules() {
    let s = input(Lang::Zh);
    let (orders, _) = day();
    let counted: Vec<&Order> = orders
        .iter()
        .filter(|o| o.state == OrderState::Paid && o.paid_at.unwrap().unix_seconds() >= DAY)
        .collect();
    assert_eq!(s.pay_count, counted.len() as u64);
    assert_eq!(
        s.total_paid(),
        counted.iter().map(|o| o.amount).sum::<Money>()
    );
    assert_eq!((s.refund_count, s.refunded), (2, Money::from_fen(2050)));
    assert_eq!(s.net(), s.total_paid() - Money::from_fen(2050));
    assert_eq!(s.hourly[0], [Money::ZERO; 4]);
    assert!(s.hourly[12][0].is_positive());
}

#[test]
fn picture_zh() {
    snapshot("stats-zh", &stats_png(&input(Lang::Zh)).unwrap());
}

#[test]
fn picture_en_shift() {
    let (orders, refunds) = day();
    // A shift, 14:00–22:00.
    let s = StatsInput::from_records(
        "CloudPOS Demo Store",
        (
            Timestamp::from_unix_seconds(DAY + 14 * 3600),
            Timestamp::from_unix_seconds(DAY + 22 * 3600),
        ),
        CHINA_OFFSET_SECONDS,
        Lang::En,
        &orders,
        &refunds,
    );
    assert!(s.hourly[13].iter().all(|m| *m == Money::ZERO));
    snapshot("stats-en-shift", &stats_png(&s).unwrap());
}

#[test]
fn picture_empty() {
    let s = StatsInput::new(
        "空店",
        Timestamp::from_unix_seconds(DAY),
        Timestamp::from_unix_seconds(DAY + 86_400),
        CHINA_OFFSET_SECONDS,
        Lang::Zh,
    );
    snapshot("stats-empty", &stats_png(&s).unwrap());
}

#[test]
fn drawing_is_deterministic() {
    let a = stats_image(&input(Lang::Zh));
    let b = stats_image(&input(Lang::Zh));
    assert_eq!(a, b);
    assert_eq!(a.dimensions(), (1000, 600));
}
