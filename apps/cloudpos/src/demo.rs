//! `cloudpos demo`: a guided tour on the embedded sandbox.

use std::time::Duration;

use anyhow::bail;
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::money::Money;
use cloudpos_domain::ports::OrderFilter;
use cloudpos_terminal::{
    Authorization, DEMO_CLERKS, EmbeddedSandbox, PayInput, RefundInput, Terminal,
};

use crate::exit;
use crate::output::order_line;

fn step(n: u32, text: &str, command: &str) {
    println!("\n{n}. {text}\n   $ cloudpos {command}");
}

/// Runs the tour. Codes are fresh each run (payment codes are single use).
pub async fn run(t: &Terminal, sandbox: Option<&EmbeddedSandbox>) -> anyhow::Result<u8> {
    let Some(sandbox) = sandbox else {
        bail!(
            "a real merchant is configured here; run the demo in another data directory (--home DIR)"
        );
    };
    let offset = t.offset_seconds();
    let stamp = t.now().unix_millis().rem_euclid(1_000_000_000_000);
    let code = |script: &str| format!("13{stamp:014}{script}");
    let m = t
        .merchant()
        .await?
        .unwrap_or_else(|| unreachable!("open_or_demo configured it"));
    println!("CloudPOS demo — SANDBOX (no real money)");
    println!(
        "Cloud Pay sandbox at {} ({})",
        sandbox.base_url(),
        if sandbox.hosted_here() {
            "hosted by this process"
        } else {
            "hosted by another CloudPOS process"
        }
    );
    println!(
        "Merchant {} · store {} · device {}",
        m.store_name, m.out_shop_id, m.device_id
    );
    for (id, pw, role, name) in DEMO_CLERKS {
        println!(
            "  clerk {id} {name} ({}) password {pw}",
            role.display_name()
        );
    }
    let clerk = ClerkId::parse("02")?;
    step(
        1,
        "The clerk logs in (password on stdin); a shift opens.",
        "login --staff 02",
    );
    let s = t.login(&clerk, DEMO_CLERKS[1].1).await?;
    println!("   logged in as {} (shift {})", s.clerk_id, s.shift_id);

    step(
        2,
        "A customer pays ¥12.34 with WeChat Pay.",
        "pay --amount 12.34 --code 13…00",
    );
    let paid = t
        .pay(PayInput {
            amount: Money::from_fen(1234),
            code: code("00"),
            remark: String::new(),
            body: None,
            timeout: None,
        })
        .await?;
    println!("   {}", order_line(&paid, offset));

    step(
        3,
        "One who must type a password: the terminal keeps asking until paid.",
        "pay --amount 5.00 --code 13…01",
    );
    let waited = t
        .pay(PayInput {
            amount: Money::from_fen(500),
            code: code("01"),
            remark: String::new(),
            body: None,
            timeout: None,
        })
        .await?;
    println!("   {}", order_line(&waited, offset));

    step(
        4,
        "One whose balance is too low: refused, nothing charged.",
        "pay --amount 8.00 --code 13…03",
    );
    let failed = t
        .pay(PayInput {
            amount: Money::from_fen(800),
            code: code("03"),
            remark: String::new(),
            body: None,
            timeout: Some(Duration::from_secs(45)),
        })
        .await?;
    println!("   {}", order_line(&failed, offset));

    step(
        5,
        "A clerk refunds ¥2.34 of the first payment; the manager authorises it.",
        &format!("refund --order {} --amount 2.34 --manager 01", paid.no),
    );
    let r = t
        .refund(RefundInput {
            order_no: paid.no.clone(),
            amount: Money::from_fen(234),
            reason: "顾客退货".into(),
            authorization: Some(Authorization::ManagerPassword {
                manager: ClerkId::parse("01")?,
                password: DEMO_CLERKS[0].1.to_owned(),
            }),
        })
        .await?;
    println!(
        "   refund {} {} ¥{} (authorised by 01)",
        r.refund.no, r.refund.state, r.refund.amount
    );

    step(6, "The order list.", "orders");
    for o in t
        .orders(&OrderFilter {
            page_size: 10,
            ..OrderFilter::default()
        })
        .await?
        .items
    {
        println!("   {}", order_line(&o, offset));
    }
    t.logout().await?;
    println!(
        "\nDone. Try the commands yourself (`cloudpos --help`); the demo data stays in this data directory."
    );
    Ok(exit::OK)
}
