//! One-code pay printing (一码支付打印) against a sandbox over real HTTP: each paid
//! printed-QR-code payment is printed and announced exactly once, across restarts and a
//! crash between the claim and the receipt, the till's own reconciliation is untouched, and
//! the settings are checked.
#![allow(missing_docs)]

use std::path::Path;
use std::sync::{Arc, Mutex};

use cloudpay_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use cloudpos_domain::announcement::{Announcement, VoiceEvent};
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::one_code::{OneCodeJournal, OneCodePayment, OneCodeState};
use cloudpos_domain::ports::{Announcer, DeviceError};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_storage::{Store, StoreOptions};
use cloudpos_terminal::{
    MerchantCredentials, OneCodeFrom, OneCodeSettings, PayInput, PrinterSettings, Terminal,
    TerminalError,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Default)]
struct Recorder(Mutex<Vec<Announcement>>);

impl Announcer for Recorder {
    fn announce(&self, a: &Announcement, _volume: u8) -> Result<(), DeviceError> {
        self.0.lock().unwrap().push(*a);
        Ok(())
    }
    fn pending(&self) -> usize {
        0
    }
}

/// `POST /sandbox/qr-payment` over plain HTTP/1.1.
async fn qr_payment(sandbox: &SandboxHandle, body: &Value) -> Value {
    let body = body.to_string();
    let mut s = tokio::net::TcpStream::connect(sandbox.addr())
        .await
        .unwrap();
    let request = format!(
        "POST /sandbox/qr-payment HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let json = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
    serde_json::from_str::<Value>(json).unwrap()["order"].clone()
}

struct Till {
    terminal: Terminal,
    said: Arc<Recorder>,
}

async fn till(home: &Path, creds: Option<&MerchantCredentials>, printer: &Path) -> Till {
    let terminal = Terminal::open(home).await.unwrap();
    if let Some(c) = creds {
        terminal
            .configure_merchant(c, "admin-pw", true)
            .await
            .unwrap();
    }
    let staff = terminal.merchant().await.unwrap().unwrap().staff_id;
    terminal
        .login(&ClerkId::parse(&staff).unwrap(), "admin-pw")
        .await
        .unwrap();
    if creds.is_some() {
        terminal
            .set_setting(&PrinterSettings {
                enabled: true,
                device: format!("file:{}", printer.display()),
                ..PrinterSettings::default()
            })
            .await
            .unwrap();
    }
    let said = Arc::new(Recorder::default());
    terminal.set_announcer(Some(said.clone())).await.unwrap();
    Till { terminal, said }
}

/// The slips printed for order `no`: a slip carries the number twice, as text and as a
/// scannable code.
fn receipts(printer: &Path, no: &str) -> usize {
    let bytes = std::fs::read(printer).unwrap_or_default();
    bytes
        .windows(no.len())
        .filter(|w| *w == no.as_bytes())
        .count()
        / 2
}

async fn start() -> (SandboxHandle, MerchantCredentials) {
    let cloud = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let creds = serde_json::from_value(serde_json::to_value(cloud.credentials()).unwrap()).unwrap();
    (cloud, creds)
}

#[tokio::test]
async fn two_payments_are_printed_and_announced_once_each_across_restarts() {
    let (cloud, creds) = start().await;
    let home = tempfile::tempdir().unwrap();
    let printer = home.path().join("printer.bin");
    let t = till(home.path(), Some(&creds), &printer).await;

    // Paid before watching was switched on: never printed ("from now").
    let before = qr_payment(&cloud, &json!({"amount_fen": 999, "wallet": "wechat"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    t.terminal
        .set_setting(&OneCodeSettings {
            enabled: true,
            ..OneCodeSettings::default()
        })
        .await
        .unwrap();
    // The listing speaks in whole seconds: the next payments fall after the mark.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(t.terminal.one_code_begin(false).await.unwrap().is_empty());

    // The till's own payment, beside them.
    let own = t
        .terminal
        .pay(PayInput {
            amount: Money::from_fen(500),
            code: "134500000000000100".into(),
            remark: String::new(),
            body: None,
            timeout: None,
        })
        .await
        .unwrap();
    let a = qr_payment(&cloud, &json!({"amount_fen": 1234, "wallet": "alipay"})).await;
    let b = qr_payment(&cloud, &json!({"amount_fen": 88, "wallet": "wechat"})).await;
    let (a_no, b_no) = (
        a["out_trade_no"].as_str().unwrap().to_owned(),
        b["out_trade_no"].as_str().unwrap().to_owned(),
    );

    let handled = t.terminal.one_code_poll().await.unwrap();
    let nos: Vec<&str> = handled.iter().map(|p| p.out_trade_no.as_str()).collect();
    assert_eq!(nos, [a_no.as_str(), b_no.as_str()]);
    assert_eq!(handled[0].amount, Money::from_fen(1234));
    assert_eq!(handled[0].wallet, Some(Wallet::Alipay));
    assert_eq!(handled[1].wallet, Some(Wallet::WeChat));
    assert_eq!(handled[0].qr_code, "QR001");
    assert_eq!(receipts(&printer, &a_no), 1);
    assert_eq!(receipts(&printer, &b_no), 1);
    let before_no = before["out_trade_no"].as_str().unwrap();
    assert_eq!(receipts(&printer, before_no), 0);
    let said: Vec<String> = t
        .said
        .0
        .lock()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        t.said
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a.event() == VoiceEvent::OneCode)
            .count(),
        2,
        "{said:?}"
    );
    assert!(said.iter().any(|s| s.contains("12.34")), "{said:?}");

    // Again at once: nothing new.
    assert!(t.terminal.one_code_poll().await.unwrap().is_empty());
    // The till's own reconciliation sees its order and is not disturbed by the QR ones.
    let run = t.terminal.reconcile_once(None).await.unwrap();
    assert!(!run.halted, "{:?}", run.report.discrepancies);
    assert!(t.terminal.halt_state().await.unwrap().is_none());
    let _ = own;
    let size = std::fs::metadata(&printer).unwrap().len();
    drop(t);

    // A restart ("from now" moves the mark, "from last" keeps it): nothing is printed twice.
    for from in [OneCodeFrom::Now, OneCodeFrom::Last] {
        let t = till(home.path(), None, &printer).await;
        t.terminal
            .set_setting(&OneCodeSettings {
                enabled: true,
                from,
                ..OneCodeSettings::default()
            })
            .await
            .unwrap();
        assert!(t.terminal.one_code_begin(true).await.unwrap().is_empty());
        assert!(t.terminal.one_code_poll().await.unwrap().is_empty());
        assert!(t.said.0.lock().unwrap().is_empty());
        assert_eq!(std::fs::metadata(&printer).unwrap().len(), size);
    }

    let recent = Terminal::open(home.path())
        .await
        .unwrap()
        .one_code_recent(10)
        .await
        .unwrap();
    assert_eq!(recent.len(), 2);
    assert!(
        recent
            .iter()
            .all(|e| e.state == OneCodeState::Done && e.printed)
    );
}

#[tokio::test]
async fn a_crash_between_claim_and_receipt_never_prints_twice_and_is_reported() {
    let (cloud, creds) = start().await;
    let home = tempfile::tempdir().unwrap();
    let printer = home.path().join("printer.bin");
    let t = till(home.path(), Some(&creds), &printer).await;
    t.terminal
        .set_setting(&OneCodeSettings {
            enabled: true,
            from: OneCodeFrom::Last,
            ..OneCodeSettings::default()
        })
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let a = qr_payment(&cloud, &json!({"amount_fen": 700, "wallet": "wechat"})).await;
    let no = a["out_trade_no"].as_str().unwrap().to_owned();
    drop(t);

    // Another process claimed it, then died before printing.
    {
        let store = Store::open(home.path(), StoreOptions::default())
            .await
            .unwrap();
        let claimed = store
            .claim_one_code(
                &OneCodePayment {
                    out_trade_no: no.clone(),
                    amount: Money::from_fen(700),
                    wallet: Some(Wallet::WeChat),
                    paid_at: Timestamp::from_unix_seconds(a["paid_at"].as_i64().unwrap()),
                    qr_code: "QR001".into(),
                    transaction_id: None,
                },
                Timestamp::from_unix_seconds(a["paid_at"].as_i64().unwrap()),
            )
            .await
            .unwrap();
        assert!(claimed);
    }

    let t = till(home.path(), None, &printer).await;
    let interrupted = t.terminal.one_code_begin(true).await.unwrap();
    assert_eq!(interrupted.len(), 1);
    assert_eq!(interrupted[0].payment.out_trade_no, no);
    assert!(t.terminal.one_code_poll().await.unwrap().is_empty());
    assert_eq!(receipts(&printer, &no), 0, "never printed automatically");
    assert!(t.said.0.lock().unwrap().is_empty());
    // The cashier re-prints it by hand.
    t.terminal.reprint_one_code(&no).await.unwrap();
    assert_eq!(receipts(&printer, &no), 1);
    // A second start finds nothing open.
    assert!(t.terminal.one_code_begin(true).await.unwrap().is_empty());
}

#[tokio::test]
async fn only_the_chosen_qr_codes_are_watched_and_settings_are_checked() {
    let (cloud, creds) = start().await;
    let home = tempfile::tempdir().unwrap();
    let printer = home.path().join("printer.bin");
    let t = till(home.path(), Some(&creds), &printer).await;
    for bad in [
        OneCodeSettings {
            interval_secs: 0,
            ..OneCodeSettings::default()
        },
        OneCodeSettings {
            qr_codes: vec!["a b".into()],
            ..OneCodeSettings::default()
        },
    ] {
        assert!(matches!(
            t.terminal.set_setting(&bad).await,
            Err(TerminalError::Invalid(_))
        ));
    }
    t.terminal
        .set_setting(&OneCodeSettings {
            enabled: true,
            qr_codes: vec![" door ".into()],
            ..OneCodeSettings::default()
        })
        .await
        .unwrap();
    assert_eq!(
        t.terminal
            .setting::<OneCodeSettings>()
            .await
            .unwrap()
            .qr_codes,
        ["door"]
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    qr_payment(
        &cloud,
        &json!({"amount_fen": 100, "wallet": "wechat", "qr_code": "QR001"}),
    )
    .await;
    let door = qr_payment(
        &cloud,
        &json!({"amount_fen": 200, "wallet": "alipay", "qr_code": "door"}),
    )
    .await;
    let handled = t.terminal.one_code_poll().await.unwrap();
    assert_eq!(handled.len(), 1);
    assert_eq!(
        handled[0].out_trade_no,
        door["out_trade_no"].as_str().unwrap()
    );
}
