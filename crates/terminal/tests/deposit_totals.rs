//! Deposits in the summaries and the handover, apart from the payments: frozen, consumed
//! and released, per clerk and period.
#![allow(missing_docs)]

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::money::Money;
use cloudpos_terminal::testing::{TestTerminal, code, test_terminal};
use cloudpos_terminal::{ConsumeInput, DepositTotals, FreezeInput, UnfreezeInput};

fn id(s: &str) -> ClerkId {
    ClerkId::parse(s).unwrap()
}

async fn freeze(t: &TestTerminal, n: u32, fen: i64) -> cloudpos_domain::deposit::Deposit {
    t.terminal
        .freeze(FreezeInput {
            amount: Money::from_fen(fen),
            code: code(n, "00"),
            remark: String::new(),
            body: None,
            timeout: None,
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn the_summary_and_the_handover_show_deposits_apart_from_payments() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    t.terminal.login(&id("01"), "pw01").await.unwrap();
    let a = freeze(&t, 1, 10_000).await;
    let b = freeze(&t, 2, 5_000).await;
    let _c = freeze(&t, 3, 2_000).await;
    t.terminal
        .consume_deposit(ConsumeInput {
            freeze_no: a.no.clone(),
            amount: Money::from_fen(3_000),
            remark: String::new(),
        })
        .await
        .unwrap();
    t.terminal
        .unfreeze_deposit(UnfreezeInput {
            freeze_no: b.no.clone(),
            authorization: None,
            reason: "归还".into(),
        })
        .await
        .unwrap();

    let expected = DepositTotals {
        frozen_count: 3,
        frozen: Money::from_fen(17_000),
        consumed_count: 1,
        consumed: Money::from_fen(3_000),
        // The rest of the consumed deposit and the whole released one.
        released_count: 2,
        released: Money::from_fen(12_000),
    };
    let summary = t.terminal.summary(None, None, None).await.unwrap();
    let totals = t
        .terminal
        .deposit_totals(summary.from, summary.to, summary.clerk.as_ref())
        .await
        .unwrap();
    assert_eq!(totals, expected);
    // The consume is income: its paid order is a payment; the freezes are not.
    assert_eq!(summary.total.paid, Money::from_fen(3_000));
    // The printed summary lists them after the payments.
    let slip = t.terminal.summary_receipt(&summary).await.unwrap();
    assert!(
        slip.extra
            .contains(&("押金冻结 3 笔".to_owned(), "170.00".to_owned())),
        "{:?}",
        slip.extra
    );
    assert!(
        slip.extra
            .contains(&("押金解冻 2 笔".to_owned(), "120.00".to_owned()))
    );
    // Another clerk's period holds none of them.
    let none = t
        .terminal
        .deposit_totals(summary.from, summary.to, Some(&id("02")))
        .await
        .unwrap();
    assert!(none.is_empty());

    let report = t.terminal.handover().await.unwrap();
    assert_eq!(report.deposits, expected);
    t.terminal.login(&id("01"), "pw01").await.unwrap();
    let again = t.terminal.shift_summary(report.shift.id).await.unwrap();
    assert_eq!(again.deposits, expected);
}
