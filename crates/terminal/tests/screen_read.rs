//! Plug-in mode's screen read through the terminal: a negative total on the host POS's
//! screen (a return in progress) comes out as a return with its amount, and can never
//! become a payment — not through the reading, and not through the pay use case.
#![allow(missing_docs)]

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::money::Money;
use cloudpos_domain::ports::{
    AmountReader, AmountReading, DeviceError, Ledger, OrderFilter, ScreenTotal,
};
use cloudpos_terminal::testing::{TestTerminal, code, test_terminal};
use cloudpos_terminal::{PayInput, TerminalError};

/// A host POS screen showing `text` in the amount region, read the way the capture adapter
/// reads UI text (the signed normaliser, full confidence).
struct HostScreen(&'static str);

#[async_trait]
impl AmountReader for HostScreen {
    async fn read_amount(&self) -> Result<AmountReading, DeviceError> {
        Ok(AmountReading {
            amount: cloudpos_capture::normalize_signed_amount(self.0).ok(),
            text: self.0.to_owned(),
            confidence_permille: 1000,
            source: "test".into(),
        })
    }

    async fn read_serial(&self) -> Result<Option<String>, DeviceError> {
        Ok(None)
    }
}

async fn logged_in(dir: &std::path::Path, screen: &'static str) -> TestTerminal {
    let t = test_terminal(dir).await;
    t.terminal
        .login(&ClerkId::parse("02").unwrap(), "pw02")
        .await
        .unwrap();
    t.terminal
        .set_amount_reader(Some(Arc::new(HostScreen(screen))));
    t
}

#[tokio::test]
async fn a_negative_host_total_is_read_as_a_return_and_never_paid() {
    for (screen, fen) in [
        ("合计:¥-86.50", 8650),
        ("RMB -9646.77", 964_677),
        ("-¥86.50", 8650),
        ("¥ -86.50", 8650),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let t = logged_in(dir.path(), screen).await;
        let reading = t.terminal.read_amount().await.unwrap();
        assert_eq!(reading.amount, Some(Money::from_fen(-fen)), "{screen}");
        assert_eq!(
            reading.total(),
            ScreenTotal::Return(Money::from_fen(fen)),
            "{screen}"
        );
        assert_eq!(reading.payable(), None, "{screen}: nothing to charge");

        // Whatever a caller does with the signed amount, the pay use case refuses it before
        // anything is recorded or sent.
        let err = t
            .terminal
            .pay(PayInput {
                amount: reading.amount.unwrap(),
                code: code(1, "00"),
                remark: String::new(),
                body: None,
                timeout: None,
            })
            .await
            .unwrap_err();
        assert!(matches!(err, TerminalError::AmountNotPositive), "{err:?}");
        assert_eq!(t.gateway.count_calls("micro_pay"), 0, "{screen}");
        assert_eq!(
            t.store.orders(&OrderFilter::default()).await.unwrap().total,
            0,
            "{screen}: no order recorded"
        );
    }
}

#[tokio::test]
async fn a_positive_host_total_is_payable() {
    let dir = tempfile::tempdir().unwrap();
    let t = logged_in(dir.path(), "合计:¥86.50").await;
    let reading = t.terminal.read_amount().await.unwrap();
    assert_eq!(reading.total(), ScreenTotal::Charge(Money::from_fen(8650)));
    let order = t
        .terminal
        .pay(PayInput {
            amount: reading.payable().unwrap(),
            code: code(1, "00"),
            remark: String::new(),
            body: None,
            timeout: None,
        })
        .await
        .unwrap();
    assert_eq!(order.amount, Money::from_fen(8650));
}

/// The whole path on a picture of a host screen showing a return: the embedded model reads
/// the minus sign and the terminal reports a return.
#[tokio::test]
async fn a_picture_of_a_return_is_read_as_a_return() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ocr");
    let labels = std::fs::read_to_string(fixtures.join("labels.tsv")).unwrap();
    let negatives: Vec<(String, i64)> = labels
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let fen: i64 = f.get(2)?.parse().ok()?;
            (fen < 0).then(|| (f[0].to_owned(), fen))
        })
        .take(5)
        .collect();
    assert!(!negatives.is_empty(), "no negative amount fixtures");
    let mut returns = 0;
    for (file, fen) in &negatives {
        let r = t
            .terminal
            .read_amount_in_picture(&fixtures.join(file))
            .await
            .unwrap();
        assert!(
            r.reading.payable().is_none() || r.needs_confirmation,
            "{file}: a return read as a payment without the cashier: {r:?}"
        );
        if r.reading.total() == ScreenTotal::Return(Money::from_fen(-fen)) {
            returns += 1;
        }
    }
    assert!(
        returns * 5 >= negatives.len() * 4,
        "only {returns}/{} returns read",
        negatives.len()
    );
}
