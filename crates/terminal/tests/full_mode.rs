//! Full mode: the catalogue, Excel import/export, cart checkout, cash with change.
#![allow(missing_docs)]

use cloudpos_domain::catalog::{Cart, Commodity};
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{OrderState, PaymentMethod};
use cloudpos_domain::ports::{CommodityQuery, Ledger};
use cloudpos_terminal::testing::{LedgerFault, code, test_terminal};
use cloudpos_terminal::{RefundInput, TerminalError};

fn id(s: &str) -> ClerkId {
    ClerkId::parse(s).unwrap()
}

fn item(sku: &str, fen: i64, stock: i64) -> Commodity {
    Commodity {
        sku: sku.into(),
        barcode: Some(format!("690{sku:0>10}")),
        name: format!("商品{sku}"),
        category: "饮料".into(),
        unit: "瓶".into(),
        price: Money::from_fen(fen),
        stock,
    }
}

#[tokio::test]
async fn catalogue_is_managed_by_managers_and_round_trips_through_excel() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    t.terminal.login(&id("02"), "pw02").await.unwrap();
    assert!(matches!(
        t.terminal.save_commodity(&item("A1", 350, 5)).await,
        Err(TerminalError::PermissionDenied(_))
    ));
    t.terminal.login(&id("01"), "pw01").await.unwrap();
    for i in 0..30 {
        t.terminal
            .save_commodity(&item(&format!("S{i:02}"), 100 + i, 10))
            .await
            .unwrap();
    }
    let page = t
        .terminal
        .commodities(&CommodityQuery {
            text: Some("S1".into()),
            page: 0,
            page_size: 5,
            ..CommodityQuery::default()
        })
        .await
        .unwrap();
    assert_eq!((page.total, page.items.len()), (10, 5));
    assert_eq!(
        t.terminal
            .commodity_by_code("6900000000S05")
            .await
            .unwrap()
            .unwrap()
            .sku,
        "S05"
    );
    assert_eq!(
        t.terminal
            .commodity_by_code("S07")
            .await
            .unwrap()
            .unwrap()
            .price
            .fen(),
        107
    );
    t.terminal.delete_commodity("S00").await.unwrap();

    let xlsx = dir.path().join("inventory.xlsx");
    assert_eq!(t.terminal.export_inventory(&xlsx).await.unwrap(), 29);
    // Import into a fresh terminal: everything comes back.
    let dir2 = tempfile::tempdir().unwrap();
    let t2 = test_terminal(dir2.path()).await;
    t2.terminal.login(&id("01"), "pw01").await.unwrap();
    let mut calls = 0;
    let report = t2
        .terminal
        .import_commodities(&xlsx, |_, _| calls += 1)
        .await
        .unwrap();
    assert_eq!(
        (report.rows, report.imported, report.errors.len()),
        (29, 29, 0)
    );
    assert!(calls >= 2, "progress reported");
    let all = t2
        .terminal
        .commodities(&CommodityQuery::default())
        .await
        .unwrap();
    assert_eq!(all.total, 29);
    // A corrupt file is refused with the reason, nothing imported.
    let bad = dir.path().join("bad.xlsx");
    std::fs::write(&bad, b"not a workbook").unwrap();
    let err = t2
        .terminal
        .import_commodities(&bad, |_, _| {})
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("not a readable Excel workbook"),
        "{err}"
    );
}

#[tokio::test]
async fn cart_checkout_records_lines_and_takes_stock() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    t.terminal.login(&id("01"), "pw01").await.unwrap();
    t.terminal
        .save_commodity(&item("A1", 350, 10))
        .await
        .unwrap();
    t.terminal
        .save_commodity(&item("B2", 1200, 3))
        .await
        .unwrap();
    t.terminal.login(&id("02"), "pw02").await.unwrap();
    let mut cart = Cart::new();
    cart.add(
        &t.terminal.commodity_by_code("A1").await.unwrap().unwrap(),
        2,
    )
    .unwrap();
    cart.add(
        &t.terminal
            .commodity_by_code("69000000000B2")
            .await
            .unwrap()
            .unwrap(),
        1,
    )
    .unwrap();
    let o = t
        .terminal
        .checkout(&cart, &code(1, "00"), "桌号 5")
        .await
        .unwrap();
    assert_eq!((o.state, o.amount.fen()), (OrderState::Paid, 1900));
    assert_eq!(o.body, "商品A1等3件");
    let stored = t.store.order(&o.no).await.unwrap().unwrap();
    assert_eq!(stored.lines.len(), 2, "lines kept for re-prints");
    let stock: Vec<i64> = t
        .terminal
        .commodities(&CommodityQuery::default())
        .await
        .unwrap()
        .items
        .iter()
        .map(|c| c.stock)
        .collect();
    assert_eq!(stock, [8, 2]);
    // A failed payment does not touch stock.
    let failed = t
        .terminal
        .checkout(&cart, &code(2, "03"), "")
        .await
        .unwrap();
    assert_eq!(failed.state, OrderState::Failed);
    let stock: Vec<i64> = t
        .terminal
        .commodities(&CommodityQuery::default())
        .await
        .unwrap()
        .items
        .iter()
        .map(|c| c.stock)
        .collect();
    assert_eq!(stock, [8, 2]);
    assert!(
        t.terminal
            .checkout(&Cart::new(), &code(3, "00"), "")
            .await
            .is_err(),
        "empty cart"
    );
}

#[tokio::test]
async fn a_checkout_recorded_paid_later_takes_stock_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    t.terminal.login(&id("01"), "pw01").await.unwrap();
    t.terminal
        .save_commodity(&item("A1", 350, 10))
        .await
        .unwrap();
    let mut cart = Cart::new();
    cart.add(
        &t.terminal.commodity_by_code("A1").await.unwrap().unwrap(),
        3,
    )
    .unwrap();
    let stock = || async {
        t.terminal
            .commodity_by_code("A1")
            .await
            .unwrap()
            .unwrap()
            .stock
    };
    // The cloud takes the money; the disk refuses the paid state: nothing leaves stock yet.
    t.faults.set(LedgerFault::OrderUpdatesFail);
    let err = t
        .terminal
        .checkout(&cart, &code(1, "00"), "")
        .await
        .unwrap_err();
    let TerminalError::PaidNotRecorded { order, .. } = &err else {
        panic!("expected PaidNotRecorded, got {err:?}");
    };
    let no = order.no.clone();
    assert_eq!(stock().await, 10);
    // The disk is back: the completion records it paid, and the quantities leave stock once.
    t.faults.set(LedgerFault::Healthy);
    let report = t.terminal.complete_unrecorded().await;
    assert_eq!(report.completed, 1, "{report:?}");
    assert_eq!(
        t.store.order(&no).await.unwrap().unwrap().state,
        OrderState::Paid
    );
    assert_eq!(stock().await, 7);
    // Completing or recovering again changes nothing.
    t.terminal.complete_unrecorded().await;
    t.terminal.recover_pending().await.unwrap();
    assert_eq!(stock().await, 7);
}

#[tokio::test]
async fn cash_with_change_counts_in_the_summary_and_refunds_locally() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    t.terminal.login(&id("01"), "pw01").await.unwrap();
    let err = t
        .terminal
        .pay_cash(Money::from_fen(1530), Money::from_fen(1000), vec![], "")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("less than the total"), "{err}");
    let o = t
        .terminal
        .pay_cash(Money::from_fen(1530), Money::from_fen(2000), vec![], "")
        .await
        .unwrap();
    assert_eq!(
        (o.state, o.method, o.cash_change.unwrap().fen()),
        (OrderState::Paid, PaymentMethod::Cash, 470)
    );
    assert!(t.gateway.calls().is_empty(), "cash never goes to the cloud");
    let r = t
        .terminal
        .refund(RefundInput {
            order_no: o.no.clone(),
            amount: Money::from_fen(530),
            reason: "退货".into(),
            authorization: None,
        })
        .await
        .unwrap();
    assert_eq!(
        r.refund.state,
        cloudpos_domain::refund::RefundState::Succeeded
    );
    assert!(t.gateway.calls().is_empty());
    let s = t.terminal.summary(None, None, None).await.unwrap();
    assert_eq!((s.cash.tendered.fen(), s.cash.change.fen()), (2000, 470));
    assert_eq!(s.methods[&PaymentMethod::Cash].net.fen(), 1000);
    // Halted means no cash sales either.
    t.terminal.halt("x", vec![]).await.unwrap();
    assert!(matches!(
        t.terminal
            .pay_cash(Money::from_fen(1), Money::from_fen(1), vec![], "")
            .await,
        Err(TerminalError::Halted(_))
    ));
}
