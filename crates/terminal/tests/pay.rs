//! The pay, settle, reverse and recover use cases over the fake gateway and a virtual clock.
#![allow(missing_docs)]

use std::time::Duration;

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{NewOrder, Order, OrderState, PaymentMethod};
use cloudpos_domain::ports::{CloudOrderState, Ledger, OrderFilter, PayOutcome};
use cloudpos_terminal::testing::{TestTerminal, code, test_terminal};
use cloudpos_terminal::{PayInput, TerminalError};

async fn logged_in(dir: &std::path::Path) -> TestTerminal {
    let t = test_terminal(dir).await;
    t.terminal
        .login(&ClerkId::parse("02").unwrap(), "pw02")
        .await
        .unwrap();
    t
}

fn input(fen: i64, code: &str) -> PayInput {
    PayInput {
        amount: Money::from_fen(fen),
        code: code.to_owned(),
        remark: "S-1001".into(),
        body: None,
        timeout: None,
    }
}

async fn stored(t: &TestTerminal, o: &Order) -> Order {
    t.store.order(&o.no).await.unwrap().unwrap()
}

#[tokio::test]
async fn paid_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    let o = t.terminal.pay(input(1234, &code(1, "00"))).await.unwrap();
    assert_eq!(o.state, OrderState::Paid);
    assert_eq!(
        stored(&t, &o).await,
        o,
        "the ledger holds what the caller saw"
    );
    assert_eq!(o.method, PaymentMethod::Wallet(Wallet::WeChat));
    assert_eq!(o.remark, "S-1001");
    assert_eq!(o.body, "测试门店");
    assert!(o.no.as_str().starts_with("sz0100"));
    assert_eq!(t.gateway.count_calls("micro_pay"), 1);
    assert_eq!(t.gateway.count_calls("query_order"), 0);
    assert_eq!(o.code_masked.as_deref(), Some("1345**********0100"));
}

#[tokio::test]
async fn user_paying_then_paid_on_the_second_query() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    let start = t.terminal.now();
    let o = t.terminal.pay(input(100, &code(2, "01"))).await.unwrap();
    assert_eq!(o.state, OrderState::Paid);
    assert_eq!(t.gateway.count_calls("query_order"), 2);
    assert_eq!(
        t.terminal.now().since(start),
        Duration::from_secs(4),
        "polled every 2 s"
    );
    assert_eq!(t.gateway.count_calls("reverse"), 0);
}

#[tokio::test]
async fn user_paying_then_failed() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    let o = t.terminal.pay(input(100, &code(3, "02"))).await.unwrap();
    assert_eq!(o.state, OrderState::Failed);
    assert_eq!(t.gateway.count_calls("reverse"), 0);
}

#[tokio::test]
async fn definite_failures_are_not_queried() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    let o = t.terminal.pay(input(100, &code(4, "03"))).await.unwrap();
    assert_eq!(
        (o.state, o.reason.as_deref()),
        (OrderState::Failed, Some("余额不足"))
    );
    let o = t.terminal.pay(input(100, &code(5, "05"))).await.unwrap();
    assert_eq!(
        (o.state, o.reason.as_deref()),
        (OrderState::Failed, Some("付款码已过期"))
    );
    assert_eq!(t.gateway.count_calls("query_order"), 0);
}

#[tokio::test]
async fn still_paying_at_the_deadline_is_reversed_not_sooner_than_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    let start = t.terminal.now();
    let o = t.terminal.pay(input(100, &code(6, "04"))).await.unwrap();
    assert_eq!(o.state, OrderState::Reversed);
    let took = t.terminal.now().since(start);
    assert!(
        took >= Duration::from_secs(45) && took < Duration::from_secs(50),
        "{took:?}"
    );
    assert_eq!(
        t.gateway.order(o.no.as_str()).unwrap().state,
        CloudOrderState::Reversed
    );
    assert_eq!(t.gateway.count_calls("reverse"), 1);
    assert_eq!(
        t.gateway.count_calls("query_order"),
        23,
        "every 2 s for 45 s"
    );

    // A shorter timeout still never reverses before 15 s.
    let start = t.terminal.now();
    let o = t
        .terminal
        .pay(PayInput {
            timeout: Some(Duration::from_secs(3)),
            ..input(100, &code(7, "04"))
        })
        .await
        .unwrap();
    assert_eq!(o.state, OrderState::Reversed);
    assert_eq!(t.terminal.now().since(start), Duration::from_secs(15));
}

#[tokio::test]
async fn lost_or_unverifiable_answers_are_resolved_by_querying() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    for (n, script) in [(8, "06"), (9, "07")] {
        let o = t.terminal.pay(input(500, &code(n, script))).await.unwrap();
        assert_eq!(o.state, OrderState::Paid, "script {script}");
    }
    assert_eq!(t.gateway.count_calls("micro_pay"), 2, "never re-sent");
    assert_eq!(t.gateway.count_calls("reverse"), 0);
}

#[tokio::test]
async fn revoke_race_ends_reversed_with_the_money_returned() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    let o = t.terminal.pay(input(100, &code(10, "09"))).await.unwrap();
    assert_eq!(o.state, OrderState::Reversed);
    assert!(
        t.gateway.charged_codes().is_empty(),
        "nobody was left charged"
    );
}

#[tokio::test]
async fn anti_reentry_407_fails_and_is_never_reversed() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    t.gateway.answer_next_pay(PayOutcome::DuplicateBlocked {
        reason: "status 104, internal 407".into(),
    });
    let o = t.terminal.pay(input(100, &code(11, "00"))).await.unwrap();
    assert_eq!(o.state, OrderState::Failed);
    assert!(o.never_reverse);
    // Recovery leaves it alone too.
    t.terminal.recover_pending().await.unwrap();
    assert_eq!(t.gateway.count_calls("reverse"), 0);
}

#[tokio::test]
async fn halted_till_refuses_before_any_io() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    t.terminal
        .halt("amount differs on order X", vec!["detail".into()])
        .await
        .unwrap();
    let err = t
        .terminal
        .pay(input(100, &code(12, "00")))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, TerminalError::Halted(r) if r.contains("amount differs")),
        "{err}"
    );
    assert!(t.gateway.calls().is_empty());
    assert_eq!(
        t.store.orders(&OrderFilter::default()).await.unwrap().total,
        0
    );

    // Only an admin clears it.
    let err = t
        .terminal
        .clear_halt(&ClerkId::parse("01").unwrap(), "pw01")
        .await
        .unwrap_err();
    assert!(matches!(err, TerminalError::PermissionDenied(_)), "{err}");
    assert!(
        t.terminal
            .clear_halt(&ClerkId::parse("09").unwrap(), "wrong")
            .await
            .is_err()
    );
    t.terminal
        .clear_halt(&ClerkId::parse("09").unwrap(), "pw09")
        .await
        .unwrap();
    assert!(t.terminal.halt_state().await.unwrap().is_none());
    assert_eq!(
        t.terminal
            .pay(input(100, &code(12, "00")))
            .await
            .unwrap()
            .state,
        OrderState::Paid
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_the_reason_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    let err = t
        .terminal
        .pay(input(100, &code(13, "00")))
        .await
        .unwrap_err();
    assert_eq!(err, TerminalError::NotLoggedIn);
    t.terminal
        .login(&ClerkId::parse("02").unwrap(), "pw02")
        .await
        .unwrap();
    assert_eq!(
        t.terminal.pay(input(0, &code(13, "00"))).await.unwrap_err(),
        TerminalError::AmountNotPositive
    );
    let err = t
        .terminal
        .pay(input(100, "6212345678901234567"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("UnionPay"), "{err}");
    let err = t.terminal.pay(input(100, "12345")).await.unwrap_err();
    assert!(matches!(err, TerminalError::Code(_)), "{err}");
    assert!(t.gateway.calls().is_empty());
    assert_eq!(
        t.store.orders(&OrderFilter::default()).await.unwrap().total,
        0
    );
}

#[tokio::test]
async fn the_same_code_scanned_twice_within_two_seconds_pays_once() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    let c = code(14, "00");
    t.terminal.pay(input(100, &c)).await.unwrap();
    let err = t.terminal.pay(input(100, &c)).await.unwrap_err();
    assert!(matches!(err, TerminalError::DuplicateScan(_)), "{err}");
    assert_eq!(t.gateway.count_calls("micro_pay"), 1);
    t.clock.advance(Duration::from_millis(2100));
    // After the window it is a new attempt (the wallet rejects a reused code itself).
    t.terminal.pay(input(100, &c)).await.unwrap();
    assert_eq!(t.gateway.count_calls("micro_pay"), 2);
}

#[tokio::test]
async fn an_unreachable_cloud_refuses_at_once_and_queues_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    t.gateway.set_unreachable(true);
    let start = t.terminal.now();
    let err = t
        .terminal
        .pay(input(100, &code(17, "00")))
        .await
        .unwrap_err();
    assert!(matches!(&err, TerminalError::CloudUnreachable(_)), "{err}");
    assert!(err.to_string().starts_with("cloud unreachable"), "{err}");
    assert_eq!(t.terminal.now(), start, "no waiting, no retries");
    let recorded = t.store.orders(&OrderFilter::default()).await.unwrap();
    assert_eq!(
        recorded.items[0].state,
        OrderState::Failed,
        "the attempt is on record"
    );
    assert!(
        t.store.unfinished_orders().await.unwrap().is_empty(),
        "nothing queued"
    );
    t.gateway.set_unreachable(false);
    assert!(t.gateway.orders().is_empty());
}

#[tokio::test]
async fn lost_answers_end_in_reversing_and_recovery_finishes_it() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    t.gateway.set_answers_lost(true);
    let start = t.terminal.now();
    let o = t.terminal.pay(input(100, &code(15, "00"))).await.unwrap();
    assert_eq!(
        o.state,
        OrderState::Reversing,
        "never claimed paid or failed"
    );
    assert!(
        t.terminal.now().since(start) <= Duration::from_secs(60),
        "cashier waits at most 60 s"
    );
    t.gateway.set_answers_lost(false);
    let report = t.terminal.recover_pending().await.unwrap();
    assert_eq!((report.orders_found, report.reversed), (1, 1));
    assert_eq!(stored(&t, &o).await.state, OrderState::Reversed);
    // The cloud had charged it; the reverse gave the money back.
    assert!(t.gateway.charged_codes().is_empty());
}

#[tokio::test]
async fn unacknowledged_reverses_are_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    t.gateway.fail_reverses(3);
    let o = t.terminal.pay(input(100, &code(16, "04"))).await.unwrap();
    assert_eq!(o.state, OrderState::Reversed);
    assert_eq!(t.gateway.count_calls("reverse"), 4);
}

fn crashed_intent(t: &TestTerminal, n: u32, at_offset: Duration) -> Order {
    let mut o = Order::new(
        NewOrder {
            no: format!("sz0100CRSH{n:016}").parse().unwrap(),
            method: PaymentMethod::Wallet(Wallet::WeChat),
            amount: Money::from_fen(700),
            code_masked: None,
            store_id: "shop1".into(),
            device_id: "dev1".into(),
            clerk_id: ClerkId::parse("02").unwrap(),
            shift_id: None,
            body: "b".into(),
            remark: String::new(),
        },
        t.terminal.now().minus(at_offset),
    );
    o.submit(o.created_at).unwrap();
    o
}

#[tokio::test]
async fn recovery_after_a_crash_queries_first_then_reverses() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    // Crashed after the request reached the cloud, which charged it.
    let a = crashed_intent(&t, 1, Duration::from_secs(120));
    t.store.insert_order(&a).await.unwrap();
    t.gateway
        .record_paid(a.no.as_str(), &code(20, "00"), a.amount);
    // Crashed before the request left: the cloud never heard of it.
    let b = crashed_intent(&t, 2, Duration::from_secs(120));
    t.store.insert_order(&b).await.unwrap();
    // Crashed a moment ago: still inside its window, followed like a live payment.
    let c = crashed_intent(&t, 3, Duration::from_secs(1));
    t.store.insert_order(&c).await.unwrap();

    let report = t.terminal.recover_pending().await.unwrap();
    assert_eq!(report.orders_found, 3);
    assert_eq!(
        stored(&t, &a).await.state,
        OrderState::Paid,
        "paid money is never reversed"
    );
    assert_eq!(stored(&t, &b).await.state, OrderState::Reversed);
    assert_eq!(stored(&t, &c).await.state, OrderState::Reversed);
    assert_eq!(
        t.gateway.count_calls("micro_pay"),
        0,
        "recovery never re-sends a payment"
    );
    // The reverse left a tombstone: a late copy of b's request cannot charge anyone.
    assert!(t.store.unfinished_orders().await.unwrap().is_empty());
    assert_eq!(t.gateway.charged_codes().len(), 1);
}

#[tokio::test]
async fn order_numbers_are_unique_across_restarts_and_clock_steps() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = std::collections::HashSet::new();
    for round in 0..3 {
        let t = logged_in(dir.path()).await;
        t.clock
            .set(cloudpos_domain::timestamp::Timestamp::from_unix_seconds(
                1_795_300_000 - round * 3600,
            ));
        for i in 0..5u32 {
            let o = t
                .terminal
                .pay(input(100, &code(round as u32 * 100 + i + 30, "00")))
                .await
                .unwrap();
            assert!(seen.insert(o.no.to_string()), "{} repeated", o.no);
        }
    }
}
