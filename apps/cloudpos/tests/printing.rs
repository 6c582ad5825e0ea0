//! Printing from the CLI: automatic receipts after payments and refunds, re-prints, the test
//! page over TCP, previews of every kind in both widths, and an offline printer that never
//! costs a payment.
#![allow(missing_docs)]

mod common;

use std::io::Read;
use std::net::TcpListener;

use common::{Env, code};

fn read(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn png_width(png: &[u8]) -> u32 {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG file");
    u32::from_be_bytes([png[16], png[17], png[18], png[19]])
}

#[test]
fn receipts_print_automatically_and_again_on_demand() {
    let env = Env::start();
    let out = env.home().join("printer.bin");
    std::fs::write(&out, b"").unwrap();
    let device = format!("file:{}", out.display());
    env.ok(
        &[
            "config",
            "printer",
            "--enabled",
            "true",
            "--device",
            &device,
            "--width",
            "80",
            "--copies",
            "2",
            "--interval",
            "0",
        ],
        None,
    );

    let (status, o) = env.pay("12.34", &code("00"));
    assert_eq!(status, 0);
    let no = o["out_trade_no"].as_str().unwrap().to_owned();
    let first = read(&out);
    assert!(
        contains(&first, no.as_bytes()),
        "the order number is on the receipt"
    );
    assert!(contains(&first, "12.34".as_bytes()));
    let (gb, _, _) = encoding_rs::GB18030.encode("支付凭证");
    assert!(contains(&first, &gb), "Chinese text in GB18030");
    let (copy2, _, _) = encoding_rs::GB18030.encode("第2联");
    assert!(contains(&first, &copy2), "two copies");

    // A refund prints one slip.
    env.json(
        &["refund", "--order", &no, "--amount", "2.34", "--json"],
        None,
    );
    let after_refund = read(&out);
    let (gb, _, _) = encoding_rs::GB18030.encode("退款凭证");
    assert!(contains(&after_refund[first.len()..], &gb));

    // A re-print from the order list.
    env.ok(&["print", "receipt", "--order", &no], None);
    assert!(read(&out).len() > after_refund.len());
    // A failed print never touched the money: the order stays paid and printable.
}

#[test]
fn previews_of_every_kind_in_both_widths() {
    let env = Env::start();
    let (_, o) = env.pay("8.88", &code("00"));
    let no = o["out_trade_no"].as_str().unwrap();
    let (_, r) = env.json(
        &["refund", "--order", no, "--amount", "1.00", "--json"],
        None,
    );
    let refund = r["out_refund_no"].as_str().unwrap();
    let (_, shifts) = env.json(&["shifts", "--json"], None);
    let shift = shifts[0]["id"].to_string();
    for (width, dots) in [("58", 384), ("80", 576)] {
        for kind in [
            ["--order", no],
            ["--refund", refund],
            ["--shift", shift.as_str()],
        ] {
            let png = env
                .home()
                .join(format!("p-{width}-{}.png", kind[0].trim_start_matches('-')));
            env.ok(
                &[
                    "print",
                    "preview",
                    kind[0],
                    kind[1],
                    "--width",
                    width,
                    "--png",
                    png.to_str().unwrap(),
                ],
                None,
            );
            assert_eq!(png_width(&read(&png)), dots, "{kind:?} at {width} mm");
        }
        let png = env.home().join(format!("p-{width}-test.png"));
        env.ok(
            &[
                "print",
                "preview",
                "--test",
                "--width",
                width,
                "--png",
                png.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(png_width(&read(&png)), dots);
    }
}

#[test]
fn test_page_to_a_network_printer() {
    let env = Env::start();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let reader = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut bytes = Vec::new();
        s.read_to_end(&mut bytes).unwrap();
        bytes
    });
    env.ok(
        &[
            "print",
            "test",
            "--device",
            &format!("tcp:127.0.0.1:{port}"),
            "--width",
            "58",
        ],
        None,
    );
    let bytes = reader.join().unwrap();
    let (gb, _, _) = encoding_rs::GB18030.encode("打印测试");
    assert!(
        contains(&bytes, &gb),
        "test page received ({} bytes)",
        bytes.len()
    );
}

#[test]
fn an_offline_printer_never_costs_a_payment() {
    let env = Env::start();
    env.ok(
        &[
            "config",
            "printer",
            "--enabled",
            "true",
            "--device",
            "tcp:127.0.0.1:9",
        ],
        None,
    );
    let out = env.run(
        &["pay", "--amount", "3.00", "--code", &code("00"), "--json"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "paid, printer or not");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not printed"), "the cashier is told: {err}");
    let o: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Re-printing reports the printer problem clearly.
    let again = env.run(
        &[
            "print",
            "receipt",
            "--order",
            o["out_trade_no"].as_str().unwrap(),
        ],
        None,
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("printing failed"));
    // Bad settings are refused with the reason.
    let bad = env.run(&["config", "printer", "--device", "lpt:1"], None);
    assert_eq!(bad.status.code(), Some(1));
    let bad = env.run(&["config", "printer", "--width", "99"], None);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("paper width"));
}
