//! Deposits (押金): freeze, consume, release, their follow-up and recovery, permissions and
//! reconciliation, over the scripted fake cloud and the virtual clock.
#![allow(missing_docs)]

use cloudpos_domain::Wallet;
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::deposit::{Deposit, DepositError, DepositState, DepositStatus, NewDeposit};
use cloudpos_domain::money::Money;
use cloudpos_domain::order::OrderState;
use cloudpos_domain::order_no::{FreezeNo, UnfreezeNo};
use cloudpos_domain::ports::{CloudFreezeState, DepositFilter, DepositLedger, Ledger, Settings};
use cloudpos_domain::refund::RefundState;
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::testing::{TestTerminal, code, test_terminal};
use cloudpos_terminal::{
    Authorization, CashierMode, ConsumeInput, FreezeInput, RefundInput, TerminalError,
    UnfreezeInput,
};

fn id(s: &str) -> ClerkId {
    ClerkId::parse(s).unwrap()
}

async fn logged_in(dir: &std::path::Path, clerk: &str, pw: &str) -> TestTerminal {
    let t = test_terminal(dir).await;
    t.terminal.login(&id(clerk), pw).await.unwrap();
    t
}

async fn freeze(t: &TestTerminal, n: u32, script: &str, fen: i64) -> Deposit {
    t.terminal
        .freeze(FreezeInput {
            amount: Money::from_fen(fen),
            code: code(n, script),
            remark: "302".into(),
            body: None,
            timeout: None,
        })
        .await
        .unwrap()
}

fn consume(d: &Deposit, fen: i64) -> ConsumeInput {
    ConsumeInput {
        freeze_no: d.no.clone(),
        amount: Money::from_fen(fen),
        remark: String::new(),
    }
}

fn release(d: &Deposit, authorization: Option<Authorization>) -> UnfreezeInput {
    UnfreezeInput {
        freeze_no: d.no.clone(),
        authorization,
        reason: "退房".into(),
    }
}

#[tokio::test]
async fn freeze_consume_part_and_the_rest_is_released() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path(), "01", "pw01").await;
    let d = freeze(&t, 1, "00", 10_000).await;
    assert_eq!(d.state, DepositState::Frozen);
    assert_eq!(d.wallet, Wallet::WeChat);
    let slip = t.terminal.deposit_receipt(&d).await.unwrap();
    assert_eq!(
        slip.kind,
        cloudpos_domain::receipt::ReceiptKind::DepositFreeze
    );
    assert_eq!(slip.amount, Money::from_fen(10_000));
    assert!(d.freeze_id.is_some() && d.frozen_at.is_some());
    let r = t
        .terminal
        .consume_deposit(consume(&d, 3_000))
        .await
        .unwrap();
    assert_eq!(r.deposit.state, DepositState::Consumed);
    assert_eq!(
        (r.deposit.consumed.fen(), r.deposit.unfrozen.fen()),
        (3_000, 7_000)
    );
    let order = r.order.expect("the consume order");
    assert_eq!(order.state, OrderState::Paid);
    assert_eq!(order.amount, Money::from_fen(3_000));
    assert_eq!(Some(&order.no), r.deposit.consume_no.as_ref());
    let f = &t.gateway.freezes()[d.no.as_str()];
    assert_eq!(f.state, CloudFreezeState::Finished);
    assert_eq!((f.consumed.fen(), f.released.fen()), (3_000, 7_000));
    // The consume order is refunded like any order, carrying the deposit's number.
    let refund = t
        .terminal
        .refund(RefundInput {
            order_no: order.no.clone(),
            amount: Money::from_fen(1_000),
            reason: "退押金消费".into(),
            authorization: None,
        })
        .await
        .unwrap();
    assert_eq!(refund.refund.state, RefundState::Succeeded);
    assert!(
        t.gateway
            .calls()
            .contains(&format!("deposit_refund:{}", d.no))
    );
    assert_eq!(t.gateway.count_calls("deposit_refund"), 1);
    let d = t.terminal.deposit(&d.no).await.unwrap().unwrap();
    assert_eq!(d.refunded, Money::from_fen(1_000));
    d.check_invariants().unwrap();
    // Finished: no second consume, no release.
    assert!(matches!(
        t.terminal.consume_deposit(consume(&d, 1)).await,
        Err(TerminalError::Deposit(DepositError::AlreadyConsumed { .. }))
    ));
    assert!(matches!(
        t.terminal.unfreeze_deposit(release(&d, None)).await,
        Err(TerminalError::Deposit(DepositError::AlreadyConsumed { .. }))
    ));
}

#[tokio::test]
async fn every_scripted_freeze_outcome_ends_settled() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path(), "01", "pw01").await;
    // 01: user paying, frozen on the 2nd query.
    let d = freeze(&t, 1, "01", 500).await;
    assert_eq!(d.state, DepositState::Frozen);
    // 02: user paying, then failed.
    let d = freeze(&t, 2, "02", 500).await;
    assert_eq!(d.state, DepositState::Failed);
    // 03 / 05: refused at once.
    for (n, script, words) in [(3, "03", "余额不足"), (5, "05", "已过期")] {
        let d = freeze(&t, n, script, 500).await;
        assert_eq!(d.state, DepositState::Failed);
        assert!(d.reason.as_deref().unwrap().contains(words));
        assert_eq!(d.status(), DepositStatus::Failed);
    }
    // 04: never confirmed within the window: released in full, never left frozen.
    let d = freeze(&t, 4, "04", 800).await;
    assert_eq!(d.state, DepositState::Unfrozen);
    assert_eq!(d.unfrozen, Money::from_fen(800));
    assert!(d.unfreeze_no.is_some());
    let f = &t.gateway.freezes()[d.no.as_str()];
    assert_eq!(f.state, CloudFreezeState::Finished);
    assert_eq!(t.gateway.unfreezes().len(), 1);
    // 06 (answer lost) and 07 (status 3): resolved by query, frozen.
    for (n, script) in [(6, "06"), (7, "07")] {
        let d = freeze(&t, n, script, 600).await;
        assert_eq!(d.state, DepositState::Frozen, "{script}");
    }
    // Nothing is left open.
    assert!(t.store.unfinished_deposits().await.unwrap().is_empty());
}

#[tokio::test]
async fn rules_are_checked_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path(), "01", "pw01").await;
    let d = freeze(&t, 1, "00", 500).await;
    let calls = t.gateway.calls().len();
    let err = t
        .terminal
        .consume_deposit(consume(&d, 501))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "consume of 5.01 is above the frozen amount 5.00 of deposit {}",
            d.no
        )
    );
    assert!(matches!(
        t.terminal.consume_deposit(consume(&d, 0)).await,
        Err(TerminalError::AmountNotPositive)
    ));
    // A member card holds no deposit.
    let err = t
        .terminal
        .freeze(FreezeInput {
            amount: Money::from_fen(100),
            code: "9912345678901234".into(),
            remark: String::new(),
            body: None,
            timeout: None,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            TerminalError::Deposit(DepositError::WalletCannotFreeze { .. })
        ),
        "{err:?}"
    );
    assert_eq!(t.gateway.calls().len(), calls, "no request left");
    // Released: a second release is refused by name.
    t.terminal
        .unfreeze_deposit(release(&d, None))
        .await
        .unwrap();
    let err = t
        .terminal
        .unfreeze_deposit(release(&d, None))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already released"), "{err}");
}

#[tokio::test]
async fn a_release_needs_refund_permission_or_a_managers_authorisation() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path(), "02", "pw02").await;
    let d = freeze(&t, 1, "00", 2_000).await;
    let err = t
        .terminal
        .unfreeze_deposit(release(&d, None))
        .await
        .unwrap_err();
    assert!(matches!(err, TerminalError::NeedsAuthorization(_)));
    assert!(err.to_string().starts_with("no permission"), "{err}");
    let wrong = Authorization::ManagerPassword {
        manager: id("01"),
        password: "nope".into(),
    };
    assert!(matches!(
        t.terminal.unfreeze_deposit(release(&d, Some(wrong))).await,
        Err(TerminalError::AuthorizationRefused(_))
    ));
    assert_eq!(
        t.terminal.deposit(&d.no).await.unwrap().unwrap().state,
        DepositState::Frozen
    );
    let ok = Authorization::ManagerPassword {
        manager: id("01"),
        password: "pw01".into(),
    };
    let d = t
        .terminal
        .unfreeze_deposit(release(&d, Some(ok)))
        .await
        .unwrap();
    assert_eq!(d.state, DepositState::Unfrozen);
    assert_eq!(d.authorized_by, Some(id("01")));
    assert_eq!(d.settled_by, Some(id("02")));
    // Its slip: a release slip naming the amount and who authorised it.
    let slip = t.terminal.deposit_receipt(&d).await.unwrap();
    assert_eq!(
        slip.kind,
        cloudpos_domain::receipt::ReceiptKind::DepositRelease
    );
    assert_eq!(slip.order_no.as_deref(), Some(d.no.as_str()));
    assert!(
        slip.extra
            .iter()
            .any(|(k, v)| k == "解冻金额" && v == "20.00")
    );
    assert!(slip.extra.iter().any(|(k, _)| k == "授权人"));
    // By QR approval, bound to the deposit and what it holds.
    let d2 = freeze(&t, 2, "00", 700).await;
    let ticket = t.terminal.request_unfreeze_approval(&d2.no).await.unwrap();
    t.approvals.approve(&ticket.token, "01");
    let d2 = t
        .terminal
        .unfreeze_deposit(release(
            &d2,
            Some(Authorization::Approval {
                token: ticket.token,
            }),
        ))
        .await
        .unwrap();
    assert_eq!(d2.state, DepositState::Unfrozen);
    // Every release is audited, with who authorised it.
    let audit = t.terminal.audit_log(20).await.unwrap();
    let releases: Vec<_> = audit
        .iter()
        .filter(|r| r.entry.action == "deposit_unfreeze")
        .collect();
    assert_eq!(releases.len(), 2);
    assert!(
        releases
            .iter()
            .all(|r| r.entry.detail.contains("\"authorized_by\":\"01\""))
    );
}

#[tokio::test]
async fn the_cloud_refusing_a_release_leaves_the_deposit_frozen_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path(), "01", "pw01").await;
    let d = freeze(&t, 1, "00", 900).await;
    // Clerk 02 is linked to Cloud Pay staff 02, who may not refund in the cloud: as if a
    // manager's authorisation came from a staff member the cloud refuses.
    let mut stored = t.store.deposit(&d.no).await.unwrap().unwrap();
    stored.settled_by = Some(id("02"));
    let before = stored.state;
    stored
        .begin_unfreeze(
            UnfreezeNo::parse("sz0100ZZZZ2611010000010001").unwrap(),
            Some(&id("02")),
            None,
            None,
            t.terminal.now(),
        )
        .unwrap();
    t.store.update_deposit(&stored, before).await.unwrap();
    let report = t.terminal.recover_pending().await.unwrap();
    assert_eq!(report.deposits.frozen, 1, "{report:?}");
    let d = t.terminal.deposit(&d.no).await.unwrap().unwrap();
    assert_eq!(d.state, DepositState::Frozen);
    assert!(d.reason.as_deref().unwrap().contains("refund permission"));
}

#[tokio::test]
async fn an_unreachable_cloud_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path(), "01", "pw01").await;
    let d = freeze(&t, 1, "00", 500).await;
    t.gateway.set_unreachable(true);
    let err = t
        .terminal
        .freeze(FreezeInput {
            amount: Money::from_fen(100),
            code: code(2, "00"),
            remark: String::new(),
            body: None,
            timeout: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, TerminalError::CloudUnreachable(_)));
    assert!(err.to_string().starts_with("cloud unreachable"));
    let err = t
        .terminal
        .consume_deposit(consume(&d, 100))
        .await
        .unwrap_err();
    assert!(matches!(err, TerminalError::CloudUnreachable(_)));
    let err = t
        .terminal
        .unfreeze_deposit(release(&d, None))
        .await
        .unwrap_err();
    assert!(matches!(err, TerminalError::CloudUnreachable(_)));
    let stored = t.terminal.deposit(&d.no).await.unwrap().unwrap();
    assert_eq!(
        stored.state,
        DepositState::Frozen,
        "still frozen, as in the cloud"
    );
    assert_eq!(stored.remaining(), Money::from_fen(500));
    let failed = t
        .terminal
        .deposits(&DepositFilter {
            status: Some(DepositStatus::Failed),
            ..DepositFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        failed.total, 1,
        "the freeze that never left is recorded failed"
    );
}

#[tokio::test]
async fn a_lost_consume_answer_is_resolved_by_querying_the_consume_order() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path(), "01", "pw01").await;
    let d = freeze(&t, 1, "00", 1_000).await;
    t.gateway.set_answers_lost(true);
    let r = t.terminal.consume_deposit(consume(&d, 400)).await.unwrap();
    // The answers stay lost: the consume is still open, never reported failed.
    assert_eq!(r.deposit.state, DepositState::Consuming);
    assert_eq!(r.deposit.status(), DepositStatus::Unknown);
    t.gateway.set_answers_lost(false);
    let report = t.terminal.recover_pending().await.unwrap();
    assert_eq!(report.deposits.consumed, 1, "{report:?}");
    let d = t.terminal.deposit(&d.no).await.unwrap().unwrap();
    assert_eq!((d.consumed.fen(), d.unfrozen.fen()), (400, 600));
    let order = t
        .store
        .order(d.consume_no.as_ref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.state, OrderState::Paid);
    // Exactly one consume reached the cloud's order book.
    assert_eq!(
        t.gateway
            .orders()
            .values()
            .filter(|o| o.amount == Money::from_fen(400))
            .count(),
        1
    );
}

/// Intents left by a crash at each point: recovery resolves them all, and nothing stays
/// frozen silently.
#[tokio::test]
async fn recovery_resolves_every_open_deposit() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path(), "01", "pw01").await;
    let now = t.terminal.now();
    let intent = |no: &str, fen: i64| {
        Deposit::new(
            NewDeposit {
                no: FreezeNo::parse(no).unwrap(),
                wallet: Wallet::WeChat,
                amount: Money::from_fen(fen),
                code_masked: "1345**********0000".into(),
                store_id: "shop1".into(),
                device_id: "dev1".into(),
                clerk_id: id("01"),
                shift_id: None,
                body: "押金".into(),
                remark: String::new(),
            },
            now,
        )
    };
    // (a) The freeze reached the cloud (frozen there), the crash lost the answer.
    let a = t.gateway.clone();
    let frozen_in_cloud = intent("sz0100ZZZZ2611010000020001", 300);
    t.store.insert_deposit(&frozen_in_cloud).await.unwrap();
    {
        use cloudpos_domain::ports::{DepositGateway, FreezeRequest};
        let code = cloudpos_domain::code::CodeTable::default()
            .classify(&code(90, "00"))
            .unwrap();
        a.micro_freeze(&FreezeRequest {
            no: frozen_in_cloud.no.clone(),
            code,
            amount: Money::from_fen(300),
            body: "押金".into(),
            remark: String::new(),
            staff_id: None,
        })
        .await;
    }
    // (b) The freeze never left: unknown to the cloud, past its window → released (a
    // tombstone), recorded failed.
    let never_left = intent("sz0100ZZZZ2611010000030001", 400);
    t.store.insert_deposit(&never_left).await.unwrap();
    // (c) A consume whose answer was lost after the cloud took it.
    let d = freeze(&t, 3, "00", 1_000).await;
    t.gateway.set_answers_lost(true);
    let _ = t.terminal.consume_deposit(consume(&d, 250)).await;
    t.gateway.set_answers_lost(false);
    // (d) A release committed, never sent.
    let r = freeze(&t, 4, "00", 700).await;
    let mut releasing = t.store.deposit(&r.no).await.unwrap().unwrap();
    releasing
        .begin_unfreeze(
            UnfreezeNo::parse("sz0100ZZZZ2611010000040001").unwrap(),
            Some(&id("01")),
            None,
            None,
            now,
        )
        .unwrap();
    t.store
        .update_deposit(&releasing, DepositState::Frozen)
        .await
        .unwrap();
    // The window of (a) and (b) passes.
    t.clock.advance(std::time::Duration::from_secs(120));
    let report = t.terminal.recover_pending().await.unwrap();
    let dep = report.deposits;
    assert_eq!(dep.found, 4, "{dep:?}");
    assert_eq!(dep.still_open, 0, "{dep:?}");
    let state = |no: &FreezeNo| {
        let store = t.store.clone();
        let no = no.clone();
        async move { store.deposit(&no).await.unwrap().unwrap() }
    };
    assert_eq!(state(&frozen_in_cloud.no).await.state, DepositState::Frozen);
    assert_eq!(state(&never_left.no).await.state, DepositState::Failed);
    assert_eq!(state(&d.no).await.state, DepositState::Consumed);
    assert_eq!(state(&r.no).await.state, DepositState::Unfrozen);
    assert!(t.store.unfinished_deposits().await.unwrap().is_empty());
}

#[tokio::test]
async fn reconciliation_covers_deposits_and_halts_on_a_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path(), "09", "pw09").await;
    let a = freeze(&t, 1, "00", 1_000).await;
    let b = freeze(&t, 2, "00", 500).await;
    t.terminal.consume_deposit(consume(&b, 200)).await.unwrap();
    let c = freeze(&t, 3, "00", 300).await;
    t.terminal
        .unfreeze_deposit(release(&c, None))
        .await
        .unwrap();
    let window = (
        Timestamp::EPOCH,
        t.terminal.now().plus(std::time::Duration::from_secs(1)),
    );
    t.clock.advance(std::time::Duration::from_secs(600));
    let run = t.terminal.reconcile_once(Some(window)).await.unwrap();
    assert!(!run.halted, "{:?}", run.report.discrepancies);
    assert_eq!(run.deposits.compared_freezes, 3);
    // The wallet released `a` by itself (30 days): noted, not a discrepancy.
    t.gateway.auto_release(a.no.as_str());
    let run = t.terminal.reconcile_once(Some(window)).await.unwrap();
    assert!(!run.halted, "{:?}", run.report.discrepancies);
    let a = t.terminal.deposit(&a.no).await.unwrap().unwrap();
    assert_eq!(a.state, DepositState::Unfrozen);
    // A freeze the ledger does not know halts the till.
    {
        use cloudpos_domain::ports::{DepositGateway, FreezeRequest};
        let code = cloudpos_domain::code::CodeTable::default()
            .classify(&code(9, "00"))
            .unwrap();
        t.gateway
            .micro_freeze(&FreezeRequest {
                no: FreezeNo::parse("sz0100ZZZZ2611010000090001").unwrap(),
                code,
                amount: Money::from_fen(99),
                body: "?".into(),
                remark: String::new(),
                staff_id: None,
            })
            .await;
    }
    let run = t.terminal.reconcile_once(Some(window)).await.unwrap();
    assert!(run.halted);
    assert!(
        run.report
            .discrepancies
            .iter()
            .any(|d| d.out_trade_no == "sz0100ZZZZ2611010000090001"),
        "{:?}",
        run.report.discrepancies
    );
    assert!(matches!(
        t.terminal
            .freeze(FreezeInput {
                amount: Money::from_fen(1),
                code: code(10, "00"),
                remark: String::new(),
                body: None,
                timeout: None,
            })
            .await,
        Err(TerminalError::Halted(_))
    ));
}

#[tokio::test]
async fn the_cashier_mode_is_a_setting_for_those_who_configure() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path(), "02", "pw02").await;
    assert_eq!(
        t.terminal.setting::<CashierMode>().await.unwrap(),
        CashierMode::Payments
    );
    assert!(matches!(
        t.terminal.set_setting(&CashierMode::Mixed).await,
        Err(TerminalError::PermissionDenied(_))
    ));
    t.terminal.login(&id("01"), "pw01").await.unwrap();
    t.terminal
        .set_setting(&CashierMode::Deposits)
        .await
        .unwrap();
    let mode = t.terminal.setting::<CashierMode>().await.unwrap();
    // Stored as the bare machine name, as before the mode was a typed setting.
    assert_eq!(
        t.store.get("cashier_mode").await.unwrap(),
        Some(serde_json::json!("deposits"))
    );
    assert!(mode.deposits() && !mode.payments());
    assert_eq!("mixed".parse::<CashierMode>().unwrap(), CashierMode::Mixed);
    assert!("both".parse::<CashierMode>().is_err());
}
