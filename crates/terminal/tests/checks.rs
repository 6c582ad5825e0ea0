//! Terminal checks before the network (acceptance checklist, protocol notes §11.10): zero and
//! over-limit amounts, the configurable maxima, typed amounts, over-refunds, and what the
//! cashier hears while a payment's result is unknown.
#![allow(missing_docs)]

use cloudpos_domain::catalog::{Cart, CartLine};
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState, OrderStatus};
use cloudpos_domain::ports::{Ledger, OrderFilter, Settings};
use cloudpos_domain::refund::{RefundError, RefundState};
use cloudpos_terminal::testing::{TestTerminal, code, test_terminal};
use cloudpos_terminal::{AmountLimit, Event, PayInput, PayPolicy, RefundInput, TerminalError};

fn id(s: &str) -> ClerkId {
    ClerkId::parse(s).unwrap()
}

fn input(amount: Money, code: &str) -> PayInput {
    PayInput {
        amount,
        code: code.to_owned(),
        remark: String::new(),
        body: None,
        timeout: None,
    }
}

fn yuan(text: &str) -> Money {
    Money::parse_typed(text).unwrap()
}

async fn as_clerk(dir: &std::path::Path, clerk: &str) -> TestTerminal {
    let t = test_terminal(dir).await;
    t.terminal
        .login(&id(clerk), &format!("pw{clerk}"))
        .await
        .unwrap();
    t
}

async fn order_count(t: &TestTerminal) -> u64 {
    t.store.orders(&OrderFilter::default()).await.unwrap().total
}

fn refund(o: &Order, amount: &str) -> RefundInput {
    RefundInput {
        order_no: o.no.clone(),
        amount: yuan(amount),
        reason: "顾客退货".into(),
        authorization: None,
    }
}

#[tokio::test]
async fn zero_and_over_limit_amounts_are_refused_before_any_io() {
    let dir = tempfile::tempdir().unwrap();
    let t = as_clerk(dir.path(), "02").await;
    assert_eq!(
        t.terminal
            .pay(input(Money::ZERO, &code(1, "00")))
            .await
            .unwrap_err(),
        TerminalError::AmountNotPositive
    );
    assert_eq!(
        t.terminal
            .pay(input(Money::from_fen(-100), &code(2, "00")))
            .await
            .unwrap_err(),
        TerminalError::AmountNotPositive
    );
    // `pay --amount 99999999999`: a hundred billion yuan never reaches the cloud.
    let err = t
        .terminal
        .pay(input(yuan("99999999999"), &code(3, "00")))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        TerminalError::AmountAboveLimit {
            amount: yuan("99999999999"),
            max: yuan("50000"),
            limit: AmountLimit::Payment,
        }
    );
    assert!(
        err.to_string().contains("99999999999.00") && err.to_string().contains("50000.00"),
        "{err}"
    );
    let err = t
        .terminal
        .pay(input(yuan("50000.01"), &code(4, "00")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, TerminalError::AmountAboveLimit { .. }),
        "{err}"
    );
    assert!(t.gateway.calls().is_empty(), "nothing left the till");
    assert_eq!(order_count(&t).await, 0, "nothing written");

    // The maximum itself is allowed.
    let o = t
        .terminal
        .pay(input(yuan("50000.00"), &code(5, "00")))
        .await
        .unwrap();
    assert_eq!((o.state, o.amount), (OrderState::Paid, yuan("50000")));
}

#[tokio::test]
async fn typed_amounts_from_chinese_input_methods_pay_what_they_say() {
    let dir = tempfile::tempdir().unwrap();
    let t = as_clerk(dir.path(), "02").await;
    let o = t
        .terminal
        .pay(input(yuan("１２．５０"), &code(1, "00")))
        .await
        .unwrap();
    assert_eq!(o.amount, Money::from_fen(1250));
    assert_eq!(t.gateway.order(o.no.as_str()).unwrap().amount.fen(), 1250);
    // An amount that rounds to zero is refused by the parser itself (§11.10).
    for text in ["0.001", "０．００１", "0.009"] {
        assert!(Money::parse_typed(text).is_err(), "{text}");
    }
}

#[tokio::test]
async fn the_maxima_are_configurable_and_stored_with_the_payment_policy() {
    let dir = tempfile::tempdir().unwrap();
    let t = as_clerk(dir.path(), "02").await;
    // A clerk may not raise the limit.
    let err = t
        .terminal
        .set_setting(&PayPolicy {
            max_payment: yuan("1000000"),
            ..PayPolicy::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, TerminalError::PermissionDenied(_)), "{err}");
    t.terminal.login(&id("09"), "pw09").await.unwrap();
    assert!(
        t.terminal
            .set_setting(&PayPolicy {
                max_refund: Money::ZERO,
                ..PayPolicy::default()
            })
            .await
            .is_err(),
        "a maximum of zero would refuse every refund"
    );
    t.terminal
        .set_setting(&PayPolicy {
            max_payment: yuan("100"),
            max_refund: yuan("30"),
            ..PayPolicy::default()
        })
        .await
        .unwrap();
    let stored = t
        .store
        .get(<PayPolicy as cloudpos_terminal::Setting>::KEY)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            stored["max_payment_fen"].as_i64(),
            stored["max_refund_fen"].as_i64()
        ),
        (Some(10_000), Some(3_000))
    );
    let err = t
        .terminal
        .pay(input(yuan("100.01"), &code(1, "00")))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        TerminalError::AmountAboveLimit {
            amount: yuan("100.01"),
            max: yuan("100"),
            limit: AmountLimit::Payment
        }
    );
    let o = t
        .terminal
        .pay(input(yuan("100"), &code(2, "00")))
        .await
        .unwrap();
    // Refunds have their own maximum.
    let err = t.terminal.refund(refund(&o, "30.01")).await.unwrap_err();
    assert_eq!(
        err,
        TerminalError::AmountAboveLimit {
            amount: yuan("30.01"),
            max: yuan("30"),
            limit: AmountLimit::Refund
        }
    );
    assert!(err.to_string().contains("per refund"), "{err}");
    // Nor is a manager asked to approve a refund the till would refuse.
    assert!(matches!(
        t.terminal
            .request_refund_approval(&o.no, yuan("30.01"))
            .await
            .unwrap_err(),
        TerminalError::AmountAboveLimit { .. }
    ));
    assert_eq!(t.gateway.count_calls("refund"), 0);
    let r = t.terminal.refund(refund(&o, "30")).await.unwrap();
    assert_eq!(r.refund.state, RefundState::Succeeded);
}

#[tokio::test]
async fn checkout_and_cash_share_the_maximum() {
    let dir = tempfile::tempdir().unwrap();
    let t = as_clerk(dir.path(), "02").await;
    let cart = Cart::from_lines(&[CartLine {
        sku: "TV".into(),
        name: "电视".into(),
        unit: "台".into(),
        unit_price: yuan("30000"),
        quantity: 2,
    }]);
    let err = t
        .terminal
        .checkout(&cart, &code(1, "00"), "")
        .await
        .unwrap_err();
    assert_eq!(
        err,
        TerminalError::AmountAboveLimit {
            amount: yuan("60000"),
            max: yuan("50000"),
            limit: AmountLimit::Payment
        }
    );
    let err = t
        .terminal
        .pay_cash(yuan("50000.01"), yuan("60000"), vec![], "")
        .await
        .unwrap_err();
    assert!(
        matches!(err, TerminalError::AmountAboveLimit { .. }),
        "{err}"
    );
    assert_eq!(
        t.terminal
            .pay_cash(Money::ZERO, yuan("1"), vec![], "")
            .await
            .unwrap_err(),
        TerminalError::AmountNotPositive
    );
    assert!(t.gateway.calls().is_empty());
    assert_eq!(order_count(&t).await, 0);
    // Cash refunds are held to the refund maximum too.
    let o = t
        .terminal
        .pay_cash(yuan("50000"), yuan("50000"), vec![], "")
        .await
        .unwrap();
    t.terminal.login(&id("01"), "pw01").await.unwrap();
    assert!(matches!(
        t.terminal.refund(refund(&o, "50000.01")).await.unwrap_err(),
        TerminalError::AmountAboveLimit { .. }
    ));
}

/// The acceptance checklist's over-refund sequence (protocol notes §11.10).
#[tokio::test]
async fn over_refunds_are_blocked_on_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let t = as_clerk(dir.path(), "01").await;
    let o = t
        .terminal
        .pay(input(yuan("0.02"), &code(1, "00")))
        .await
        .unwrap();
    assert_eq!(o.state, OrderState::Paid);

    let blocked = |e: TerminalError| {
        assert!(
            matches!(
                e,
                TerminalError::Refund(RefundError::ExceedsRemaining { .. })
            ),
            "{e}"
        );
    };
    blocked(t.terminal.refund(refund(&o, "0.03")).await.unwrap_err());
    assert_eq!(
        t.gateway.count_calls("refund"),
        0,
        "blocked before the network"
    );

    let r = t.terminal.refund(refund(&o, "0.01")).await.unwrap();
    assert_eq!(r.refund.state, RefundState::Succeeded);
    assert_eq!(r.order.status(), OrderStatus::PartiallyRefunded);

    let e = t.terminal.refund(refund(&o, "0.02")).await.unwrap_err();
    assert!(e.to_string().contains("0.01"), "names what is left: {e}");
    blocked(e);
    assert_eq!(t.gateway.count_calls("refund"), 1);

    let r = t.terminal.refund(refund(&o, "0.01")).await.unwrap();
    assert_eq!(r.order.status(), OrderStatus::Refunded);
    assert_eq!(r.order.refunded, yuan("0.02"));
    assert_eq!(t.gateway.count_calls("refund"), 2);
    assert_eq!(
        t.gateway.order(o.no.as_str()).unwrap().refunded,
        yuan("0.02")
    );
    let refunds = t.store.refunds_of(&o.no).await.unwrap();
    assert_eq!(refunds.len(), 2, "refused refunds leave no record");
}

/// Every state published while a paid payment's result is not known yet, for the GUI and
/// the CLI: never failed, reversed or reversing, and the last one is paid.
#[tokio::test]
async fn the_cashier_never_hears_failed_for_a_payment_the_customer_paid() {
    let dir = tempfile::tempdir().unwrap();
    let t = as_clerk(dir.path(), "02").await;
    let mut events = t.terminal.subscribe();
    // 06: the answer to micro_pay is lost, and then three queries time out; 07: status 3;
    // 01: the customer types the password first.
    for (n, script, lost_queries, phase) in [
        (1, "06", 3, OrderState::Unknown),
        (2, "07", 0, OrderState::Unknown),
        (3, "01", 2, OrderState::UserPaying),
    ] {
        t.gateway.lose_query_answers(lost_queries);
        let o = t
            .terminal
            .pay(input(yuan("8.80"), &code(n, script)))
            .await
            .unwrap();
        assert_eq!(o.state, OrderState::Paid, "script {script}");
        let mut seen = Vec::new();
        while let Ok(e) = events.try_recv() {
            if let Event::Order(e) = e
                && e.no == o.no
            {
                seen.push(e.state);
            }
        }
        assert_eq!(
            seen.last(),
            Some(&OrderState::Paid),
            "script {script}: {seen:?}"
        );
        assert!(seen.contains(&phase), "script {script}: {seen:?}");
        for state in &seen[..seen.len() - 1] {
            assert!(
                matches!(
                    state,
                    OrderState::Submitted | OrderState::UserPaying | OrderState::Unknown
                ),
                "script {script}: the cashier was shown {state} before the result: {seen:?}"
            );
        }
        assert!(
            seen.iter()
                .all(|s| s.is_final() == (*s == OrderState::Paid)),
            "{seen:?}"
        );
        assert_eq!(t.gateway.count_calls("reverse"), 0);
    }
    assert_eq!(t.gateway.charged_codes().len(), 3);
    assert!(t.store.unfinished_orders().await.unwrap().is_empty());
}
