//! The binary: first stdout line, credentials file, a paid micro_pay with them.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use cloudpay_api::CloudPayClient;
use cloudpay_sandbox::SandboxCredentials;
use cloudpos_domain::code::CodeTable;
use cloudpos_domain::ports::{PayOutcome, PayRequest, PaymentGateway};
use cloudpos_domain::{Money, OrderNo};
use serde_json::Value;

/// A fresh WeChat code (18 digits) ending in `script` (payment codes are single use).
fn wx(script: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("1345{n:012}{script}")
}

struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_prints_its_address_and_writes_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let creds_path = dir.path().join("creds.json");
    let mut child = Kill(
        Command::new(env!("CARGO_BIN_EXE_cloudpay-sandbox"))
            .args(["--addr", "127.0.0.1:0", "--fast", "--credentials-out"])
            .arg(&creds_path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"));

    let text = std::fs::read_to_string(&creds_path).unwrap();
    let raw: Value = serde_json::from_str(&text).unwrap();
    for field in [
        "base_url",
        "out_mch_id",
        "out_sub_mch_id",
        "out_shop_id",
        "device_id",
        "staff_id",
        "order_prefix",
        "authen_key",
    ] {
        assert!(raw[field].is_string(), "{field} missing in {text}");
    }
    assert_eq!(raw["base_url"], format!("{url}/cpay/"));
    let creds: SandboxCredentials = serde_json::from_str(&text).unwrap();
    let client = CloudPayClient::new(creds.client_config(), creds.secrets()).unwrap();
    let req = PayRequest {
        order_no: OrderNo::parse(&format!("{}BIN0001", creds.order_prefix)).unwrap(),
        code: CodeTable::default().classify(&wx("00")).unwrap(),
        amount: Money::from_fen(1),
        body: "binary".into(),
        remark: String::new(),
        staff_id: None,
    };
    assert!(matches!(
        client.micro_pay(&req).await,
        PayOutcome::Paid { .. }
    ));
    // The generated RSA key signs refunds the sandbox accepts.
    let signing =
        CloudPayClient::new(creds.client_config(), creds.signing_secrets().unwrap()).unwrap();
    let refund = cloudpos_domain::ports::RefundRequest {
        order_no: req.order_no.clone(),
        wallet: cloudpos_domain::Wallet::WeChat,
        refund_no: cloudpos_domain::RefundNo::parse(&format!("{}BINR001", creds.order_prefix))
            .unwrap(),
        order_amount: Money::from_fen(1),
        amount: Money::from_fen(1),
        reason: String::new(),
        staff_id: None,
    };
    assert!(matches!(
        signing.refund(&refund).await,
        cloudpos_domain::ports::RefundOutcome::Processing { .. }
    ));
}

/// `--addr` twice: one state on two addresses, both in the credentials' `base_urls`.
#[tokio::test]
async fn repeated_addr_serves_one_state_on_every_address() {
    let dir = tempfile::tempdir().unwrap();
    let creds_path = dir.path().join("creds.json");
    let mut child = Kill(
        Command::new(env!("CARGO_BIN_EXE_cloudpay-sandbox"))
            .args([
                "--addr",
                "127.0.0.1:0",
                "--addr",
                "127.0.0.1:0",
                "--fast",
                "--no-sign-key",
                "--credentials-out",
            ])
            .arg(&creds_path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        let mut reader = BufReader::new(stdout);
        let mut lines = Vec::new();
        for _ in 0..2 {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            lines.push(line.trim().to_owned());
        }
        lines
    })
    .await
    .unwrap();
    let urls: Vec<String> = lines
        .iter()
        .map(|l| {
            l.strip_prefix("listening on ")
                .unwrap_or_else(|| panic!("{l:?}"))
                .to_owned()
        })
        .collect();
    assert_ne!(urls[0], urls[1]);
    let creds: SandboxCredentials =
        serde_json::from_str(&std::fs::read_to_string(&creds_path).unwrap()).unwrap();
    assert_eq!(creds.base_url, format!("{}/cpay/", urls[0]));
    assert_eq!(
        creds.base_urls,
        vec![format!("{}/cpay/", urls[0]), format!("{}/cpay/", urls[1])]
    );
    // Paid through the first address, seen through the second.
    let first = CloudPayClient::new(creds.client_config(), creds.secrets()).unwrap();
    let mut only_second = creds.client_config();
    only_second.base_url = creds.base_urls[1].clone();
    only_second.base_urls.clear();
    let second = CloudPayClient::new(only_second, creds.secrets()).unwrap();
    let req = PayRequest {
        order_no: OrderNo::parse(&format!("{}BIN0002", creds.order_prefix)).unwrap(),
        code: CodeTable::default().classify(&wx("00")).unwrap(),
        amount: Money::from_fen(3),
        body: "binary".into(),
        remark: String::new(),
        staff_id: None,
    };
    assert!(matches!(
        first.micro_pay(&req).await,
        PayOutcome::Paid { .. }
    ));
    assert_eq!(first.current_base_url(), creds.base_urls[0]);
    assert!(matches!(
        second
            .query_order(&req.order_no, Some(cloudpos_domain::Wallet::WeChat))
            .await,
        cloudpos_domain::ports::QueryOutcome::Paid { .. }
    ));
    assert!(second.ping().await.is_ok());
}
