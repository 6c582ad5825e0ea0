//! Exports from the CLI: the xlsx read back with calamine matches the ledger; CSV likewise; in
//! the e2e suite LibreOffice opens the workbook and converts it to CSV with the same rows.
#![allow(missing_docs)]

mod common;

use std::collections::HashMap;

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::{Env, code};
use serde_json::Value;

/// Pays a few orders (one refunded in part, one failed) and returns the ledger as JSON.
fn ledger(env: &Env) -> Vec<Value> {
    for (i, script) in ["00", "00", "03", "00"].iter().enumerate() {
        env.pay(&format!("{}.{:02}", 3 + i, 10 * i), &code(script));
    }
    let (_, list) = env.json(&["orders", "--json"], None);
    let paid = list
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["state"] == "paid")
        .unwrap()
        .clone();
    env.json(
        &[
            "refund",
            "--order",
            paid["out_trade_no"].as_str().unwrap(),
            "--amount",
            "1.05",
            "--json",
        ],
        None,
    );
    let (_, list) = env.json(&["orders", "--json"], None);
    list.as_array().unwrap().clone()
}

fn cell_text(c: &Data) -> String {
    match c {
        Data::String(s) => s.clone(),
        Data::Float(f) => format!("{f:.2}"),
        Data::Int(i) => i.to_string(),
        other => other.to_string(),
    }
}

fn yuan(fen: &Value) -> String {
    let f = fen.as_i64().unwrap();
    format!("{}.{:02}", f / 100, f % 100)
}

#[test]
fn xlsx_and_csv_match_the_ledger() {
    let env = Env::start();
    let orders = ledger(&env);
    let by_no: HashMap<&str, &Value> = orders
        .iter()
        .map(|o| (o["out_trade_no"].as_str().unwrap(), o))
        .collect();

    let xlsx = env.home().join("orders.xlsx");
    let out = env.run(&["orders", "--xlsx", xlsx.to_str().unwrap()], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("100%"),
        "progress shown"
    );
    let mut book: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let sheets = book.sheet_names();
    let rows = book.worksheet_range(&sheets[0]).unwrap();
    let mut it = rows.rows();
    let header: Vec<String> = it.next().unwrap().iter().map(cell_text).collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {header:?}"))
    };
    let mut seen = 0;
    for row in it {
        let no = cell_text(&row[col("订单号")]);
        let o = by_no[no.as_str()];
        assert_eq!(cell_text(&row[col("金额")]), yuan(&o["amount_fen"]), "{no}");
        assert_eq!(
            cell_text(&row[col("已退款")]),
            yuan(&o["refunded_fen"]),
            "{no}"
        );
        assert_eq!(
            cell_text(&row[col("状态代码")]),
            o["state"].as_str().unwrap(),
            "{no}"
        );
        assert_eq!(
            cell_text(&row[col("收银员")]),
            o["clerk_id"].as_str().unwrap()
        );
        seen += 1;
    }
    assert_eq!(seen, orders.len(), "every order, once");
    let refunds = book.worksheet_range(&sheets[1]).unwrap();
    assert_eq!(refunds.rows().count(), 2, "header and one refund");

    // CSV: the same orders.
    let csv_path = env.home().join("orders.csv");
    env.ok(&["orders", "--csv", csv_path.to_str().unwrap()], None);
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let mut count = 0;
    for rec in reader.records() {
        let rec = rec.unwrap();
        let no = rec.get(0).unwrap();
        assert!(by_no.contains_key(no), "{no}");
        count += 1;
    }
    assert_eq!(count, orders.len());
    assert!(env.home().join("orders-refunds.csv").exists());

    // A clerk exports only their own orders.
    env.ok(
        &[
            "clerk", "add", "--id", "05", "--name", "小王", "--role", "clerk",
        ],
        Some("5555"),
    );
    env.ok(&["login", "--staff", "05"], Some("5555"));
    let mine = env.home().join("mine.xlsx");
    env.ok(&["orders", "--xlsx", mine.to_str().unwrap()], None);
    let mut book: Xlsx<_> = open_workbook(&mine).unwrap();
    let rows = book.worksheet_range(&book.sheet_names()[0]).unwrap();
    assert_eq!(
        rows.rows().count(),
        1,
        "headers only: clerk 05 took no payment"
    );
}

/// LibreOffice (headless) opens the workbook and converts it to CSV with the same rows.
#[test]
#[ignore = "e2e: needs LibreOffice (installed by .ci/run)"]
fn e2e_libreoffice_reads_the_workbook() {
    let env = Env::start();
    let orders = ledger(&env);
    let xlsx = env.home().join("lo.xlsx");
    env.ok(&["orders", "--xlsx", xlsx.to_str().unwrap()], None);
    let outdir = env.home().join("lo-out");
    let status = std::process::Command::new("soffice")
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
        ])
        .arg(&outdir)
        .arg(&xlsx)
        .env("HOME", env.home())
        .status()
        .expect("soffice (LibreOffice) is installed");
    assert!(status.success());
    let text = std::fs::read_to_string(outdir.join("lo.csv")).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        orders.len() + 1,
        "header and every order: {text}"
    );
    for o in &orders {
        let no = o["out_trade_no"].as_str().unwrap();
        let line = lines
            .iter()
            .find(|l| l.starts_with(no))
            .unwrap_or_else(|| panic!("{no} missing: {text}"));
        assert!(line.contains(&yuan(&o["amount_fen"])), "{line}");
    }
}
