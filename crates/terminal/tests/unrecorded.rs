//! A charge the cloud took but the till could not finish writing (disk full, I/O error after
//! `micro_pay` answered): what the cashier is told, and how the record is completed, exactly
//! once, by the running till and after a restart.
#![allow(missing_docs)]

use std::time::Duration;

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState, OrderStatus};
use cloudpos_domain::ports::Ledger;
use std::sync::Arc;

use cloudpos_domain::ports::Settings;
use cloudpos_terminal::testing::{LedgerFault, ManualClock, TestTerminal, code, test_terminal};
use cloudpos_terminal::{
    COMPLETION_HOLD, COMPLETION_INTERVAL, Event, PayInput, Ports, Terminal, TerminalConfig,
    TerminalError,
};

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
        remark: String::new(),
        body: None,
        timeout: None,
    }
}

async fn stored(t: &TestTerminal, o: &Order) -> Order {
    t.store.order(&o.no).await.unwrap().unwrap()
}

/// Pays with the disk failing right after the intent: the cloud takes the money, the ledger
/// cannot record it.
async fn paid_but_not_recorded(t: &TestTerminal, n: u32) -> Order {
    paid_but_not_recorded_by(t, &t.terminal, n).await
}

async fn paid_but_not_recorded_by(t: &TestTerminal, terminal: &Terminal, n: u32) -> Order {
    t.faults.set(LedgerFault::OrderUpdatesFail);
    let err = terminal
        .pay(input(2_000, &code(n, "00")))
        .await
        .unwrap_err();
    let TerminalError::PaidNotRecorded { order, cause } = &err else {
        panic!("expected PaidNotRecorded, got {err:?}");
    };
    assert!(cause.contains("disk is full"), "{cause}");
    assert!(
        err.to_string()
            .contains("paid in the cloud; the local record will be completed"),
        "{err}"
    );
    assert_eq!(order.status(), OrderStatus::Unknown, "as last recorded");
    assert_eq!(stored(t, order).await.state, OrderState::Submitted);
    assert_eq!(
        t.gateway.order(order.no.as_str()).map(|o| o.state),
        Some(cloudpos_domain::ports::CloudOrderState::Paid),
        "the customer has paid"
    );
    (**order).clone()
}

fn assert_paid_once(t: &TestTerminal, o: &Order) {
    assert_eq!(t.gateway.count_calls("micro_pay"), 1, "charged once");
    assert_eq!(t.gateway.count_calls("reverse"), 0, "never reversed");
    assert_eq!(
        t.gateway.order(o.no.as_str()).unwrap().state,
        cloudpos_domain::ports::CloudOrderState::Paid
    );
}

#[tokio::test]
async fn the_running_till_completes_the_record_once_the_disk_allows() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    let o = paid_but_not_recorded(&t, 1).await;
    assert_eq!(t.terminal.awaiting_completion(), vec![o.no.clone()]);

    // The disk still refuses: nothing changes, nothing is sent.
    let calls = t.gateway.calls().len();
    let r = t.terminal.complete_unrecorded().await;
    assert_eq!((r.completed, r.waiting), (0, 1));
    assert_eq!(stored(&t, &o).await.state, OrderState::Submitted);
    assert_eq!(
        t.gateway.calls().len(),
        calls,
        "the remembered answer needs no query"
    );

    // The disk is back, the cloud is briefly out of reach: the answer already received is
    // written as it was, so a paid order is never reversed for want of a query.
    t.faults.set(LedgerFault::Healthy);
    t.gateway.set_unreachable(true);
    let mut events = t.terminal.subscribe();
    let r = t.terminal.complete_unrecorded().await;
    assert_eq!((r.completed, r.waiting), (1, 0));
    let done = stored(&t, &o).await;
    assert_eq!(done.state, OrderState::Paid);
    assert_eq!(done.transaction_id.as_deref(), Some("42000"));
    assert_eq!(done.amount, Money::from_fen(2_000));
    assert!(
        matches!(events.try_recv(), Ok(Event::Order(e)) if e.no == o.no && e.state == OrderState::Paid),
        "the screens hear of it"
    );
    assert!(t.terminal.awaiting_completion().is_empty());
    t.gateway.set_unreachable(false);

    // Nothing left over: completing or recovering again changes nothing.
    assert_eq!(t.terminal.complete_unrecorded().await.completed, 0);
    let report = t.terminal.recover_pending().await.unwrap();
    assert_eq!(report.orders_found, 0);
    assert_eq!(stored(&t, &o).await, done);
    assert_paid_once(&t, &o);
}

#[tokio::test]
async fn after_a_restart_recovery_completes_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    let o = paid_but_not_recorded(&t, 2).await;
    // The till is closed before the disk is freed; it starts again ten minutes later, past
    // the payment's deadline, with nothing in memory.
    t.faults.set(LedgerFault::Healthy);
    t.clock.advance(Duration::from_secs(600));
    let restarted = Terminal::new(t.ports.clone(), TerminalConfig::default());
    assert!(restarted.awaiting_completion().is_empty());
    let report = restarted.recover_pending().await.unwrap();
    assert_eq!((report.orders_found, report.paid), (1, 1));
    let done = stored(&t, &o).await;
    assert_eq!(
        done.state,
        OrderState::Paid,
        "queried first: paid, not reversed"
    );
    assert_eq!(done.status(), OrderStatus::Paid);
    assert_paid_once(&t, &o);
    assert!(restarted.recover_pending().await.unwrap().orders_found == 0);
}

/// The same ledger and fakes, with a terminal whose background task sleeps on a clock that
/// only the test moves.
fn on_a_manual_clock(t: &TestTerminal) -> (Terminal, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(t.terminal.now()));
    let ports = Ports {
        clock: clock.clone(),
        ..t.ports.clone()
    };
    (Terminal::new(ports, TerminalConfig::default()), clock)
}

#[tokio::test]
async fn the_background_task_completes_the_record_within_a_minute() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    let (terminal, clock) = on_a_manual_clock(&t);
    let o = paid_but_not_recorded_by(&t, &terminal, 3).await;
    let task = terminal.spawn_reconciler();
    // Two loops park on the clock: completion (every 15 s) and reconciliation (every 30 s).
    clock.parked(2).await;
    let refused = t.faults.refused();
    assert!(refused >= 2, "the first completion was tried at once");
    // While the disk refuses, completion keeps trying and reconciliation does not halt the
    // till over a difference the cashier has been told about, even once it is older than
    // reconciliation's settling grace (2 minutes).
    for _ in 0..10 {
        clock.advance(COMPLETION_INTERVAL);
        clock.parked(2).await;
    }
    assert_eq!(t.faults.refused(), refused + 10, "retried every 15 s");
    assert_eq!(stored(&t, &o).await.state, OrderState::Submitted);
    assert!(terminal.halt_state().await.unwrap().is_none());

    // The disk is back: the next try, at most 15 s later, completes it.
    t.faults.set(LedgerFault::Healthy);
    let back = terminal.now();
    clock.advance(COMPLETION_INTERVAL);
    clock.parked(2).await;
    assert!(terminal.now().since(back) <= Duration::from_secs(60));
    assert!(terminal.awaiting_completion().is_empty());
    assert_eq!(stored(&t, &o).await.state, OrderState::Paid);
    // Reconciliation runs again and finds the two ledgers agree.
    clock.advance(Duration::from_secs(30));
    clock.parked(2).await;
    task.abort();
    assert!(terminal.halt_state().await.unwrap().is_none());
    assert!(
        t.store
            .get("reconcile_checkpoint") // where the checkpoint is stored
            .await
            .unwrap()
            .is_some(),
        "a clean reconciliation ran"
    );
    assert_paid_once(&t, &o);
}

#[tokio::test]
async fn a_record_that_cannot_be_written_for_ten_minutes_halts_the_till() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    let (terminal, clock) = on_a_manual_clock(&t);
    let o = paid_but_not_recorded_by(&t, &terminal, 6).await;
    // The disk never comes back. Reconciliation is held back for ten minutes, then runs
    // and halts: the ledger does not count money the cloud took.
    let started = terminal.now();
    let task = terminal.spawn_reconciler();
    clock.parked(2).await;
    while terminal.now().since(started) < COMPLETION_HOLD {
        assert!(terminal.halt_state().await.unwrap().is_none());
        clock.advance(COMPLETION_INTERVAL);
        clock.parked(2).await;
    }
    clock.advance(Duration::from_secs(30));
    clock.parked(2).await;
    task.abort();
    let halt = terminal.halt_state().await.unwrap().expect("halted");
    assert!(
        halt.reason
            .contains("the ledger says submitted but Cloud Pay says paid"),
        "{}",
        halt.reason
    );
    assert_eq!(stored(&t, &o).await.state, OrderState::Submitted);
    assert_eq!(
        t.gateway.count_calls("reverse"),
        0,
        "a paid order is never reversed"
    );
}

#[tokio::test]
async fn an_open_payment_whose_answer_cannot_be_written_is_unknown_then_settled() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    t.faults.set(LedgerFault::OrderUpdatesFail);
    // 01: the customer is still typing the password; the till cannot record even that.
    let err = t
        .terminal
        .pay(input(990, &code(4, "01")))
        .await
        .unwrap_err();
    let TerminalError::ResultUnknown { order, .. } = &err else {
        panic!("expected ResultUnknown, got {err:?}");
    };
    assert!(
        err.to_string().contains("result unknown, checking"),
        "{err}"
    );
    assert!(!err.to_string().contains("failed"), "{err}");
    assert_eq!(order.status(), OrderStatus::Unknown);
    let o = (**order).clone();

    t.faults.set(LedgerFault::Healthy);
    let r = t.terminal.complete_unrecorded().await;
    assert_eq!((r.completed, r.waiting), (1, 0));
    // Queried and followed like a crashed payment: the customer finished paying.
    assert_eq!(stored(&t, &o).await.state, OrderState::Paid);
    assert_paid_once(&t, &o);
}

#[tokio::test]
async fn a_failure_to_record_a_later_query_keeps_the_paid_answer() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    // 07: the first answer is status 3 (unknown, recorded), the query says paid and that
    // cannot be written.
    t.faults.set(LedgerFault::Healthy);
    let mut events = t.terminal.subscribe();
    let pay = {
        let terminal = t.terminal.clone();
        tokio::spawn(async move { terminal.pay(input(1_500, &code(5, "07"))).await })
    };
    // Fail the disk once the intent and the unknown answer are on record.
    loop {
        match events.recv().await.unwrap() {
            Event::Order(o) if o.state == OrderState::Unknown => break,
            _ => {}
        }
    }
    t.faults.set(LedgerFault::OrderUpdatesFail);
    let err = pay.await.unwrap().unwrap_err();
    let TerminalError::PaidNotRecorded { order, .. } = &err else {
        panic!("expected PaidNotRecorded, got {err:?}");
    };
    assert_eq!(order.state, OrderState::Unknown, "as last recorded");
    let o = (**order).clone();
    // A second failed attempt does not make the till forget that the cloud said paid.
    let _ = t.terminal.complete_unrecorded().await;
    t.faults.set(LedgerFault::Healthy);
    t.gateway.set_unreachable(true);
    assert_eq!(t.terminal.complete_unrecorded().await.completed, 1);
    assert_eq!(stored(&t, &o).await.state, OrderState::Paid);
    t.gateway.set_unreachable(false);
    assert_paid_once(&t, &o);
}

#[tokio::test]
async fn a_restart_while_the_cloud_is_out_of_reach_never_reverses_the_paid_order() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path()).await;
    let o = paid_but_not_recorded(&t, 7).await;
    // The disk is freed and the till restarted during an internet outage, long after the
    // payment's deadline.
    t.faults.set(LedgerFault::Healthy);
    t.clock.advance(Duration::from_secs(600));
    t.gateway.set_unreachable(true);
    let restarted = Terminal::new(t.ports.clone(), TerminalConfig::default());
    let report = restarted.recover_pending().await.unwrap();
    assert_eq!((report.orders_found, report.still_open), (1, 1));
    assert_eq!(
        t.gateway.count_calls("reverse"),
        0,
        "no blind reverse of an order that may be paid"
    );
    assert_eq!(stored(&t, &o).await.status(), OrderStatus::Unknown);
    assert_eq!(
        restarted.awaiting_completion(),
        vec![o.no.clone()],
        "followed in the background"
    );
    // Still out of reach: asked again, still not reversed.
    assert_eq!(restarted.complete_unrecorded().await.waiting, 1);
    assert_eq!(t.gateway.count_calls("reverse"), 0);
    // The cloud answers: paid.
    t.gateway.set_unreachable(false);
    assert_eq!(restarted.complete_unrecorded().await.completed, 1);
    assert_eq!(stored(&t, &o).await.state, OrderState::Paid);
    assert_paid_once(&t, &o);
}
