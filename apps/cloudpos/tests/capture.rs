//! `cloudpos capture`: reading amounts out of pictures with the committed models, a blank
//! or non-amount picture refused with its reason, and the screen regions stored (with
//! nonsense refused) for the payment window to read.
#![allow(missing_docs)]

mod common;

use std::path::PathBuf;

use cloudpos_domain::money::Money;
use common::Env;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/ocr")
        .join(name)
}

/// The labelled fixtures: (file, amount in fen or None for serials, serial).
fn labels() -> Vec<(String, Option<i64>, String)> {
    let text = std::fs::read_to_string(fixture("labels.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_owned(), f[2].parse().ok(), f[4].to_owned())
        })
        .collect()
}

#[test]
fn amounts_in_pictures_are_read_exactly_or_flagged() {
    let env = Env::start();
    let amounts: Vec<_> = labels()
        .into_iter()
        .filter(|(_, fen, _)| fen.is_some())
        .take(20)
        .collect();
    let mut args = vec!["capture".to_owned(), "read".to_owned(), "--json".to_owned()];
    for (file, _, _) in &amounts {
        args.push("--image".into());
        args.push(fixture(file).to_string_lossy().into_owned());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = env.run(&args, None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), amounts.len(), "{stdout}");
    let mut exact = 0;
    for ((file, fen, _), v) in amounts.iter().zip(&lines) {
        if v["amount_fen"].as_i64() == *fen {
            exact += 1;
        } else {
            // A wrong amount is never taken without the cashier.
            assert_eq!(v["needs_confirmation"], true, "{file}: {v}");
        }
    }
    assert!(exact >= 18, "only {exact}/20 read exactly: {stdout}");
    for v in &lines {
        for field in ["file", "amount_fen", "text", "confidence"] {
            assert!(v.get(field).is_some(), "{field} missing in {v}");
        }
        let c = v["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c), "{v}");
    }
    let all_read = lines.iter().all(|v| !v["amount_fen"].is_null());
    assert_eq!(
        out.status.code(),
        Some(if all_read { 0 } else { 3 }),
        "{stdout}"
    );

    // A blank picture: no amount, the reason given, exit 3.
    let blank = env.home().join("blank.png");
    image_blank(&blank);
    let (status, v) = env.json(
        &[
            "capture",
            "read",
            "--image",
            blank.to_str().unwrap(),
            "--json",
        ],
        None,
    );
    assert_eq!(status, 3, "{v}");
    assert!(v["amount_fen"].is_null() && v["problem"].is_string(), "{v}");

    // Not a picture at all: an error naming the file.
    let junk = env.home().join("junk.png");
    std::fs::write(&junk, b"not a png").unwrap();
    let out = env.run(
        &["capture", "read", "--image", junk.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("junk.png"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A return in progress on the host (`合计:¥-86.50`, `RMB -9646.77`, …): the amount comes
/// with its sign and the kind `return`, never as a payment.
#[test]
fn negative_totals_are_read_with_their_sign() {
    let env = Env::start();
    let negatives: Vec<_> = labels()
        .into_iter()
        .filter(|(file, fen, _)| file.starts_with("negative/") && fen.is_some())
        .collect();
    assert!(negatives.len() >= 10, "{negatives:?}");
    let mut args = vec!["capture".to_owned(), "read".to_owned(), "--json".to_owned()];
    for (file, _, _) in &negatives {
        args.push("--image".into());
        args.push(fixture(file).to_string_lossy().into_owned());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = env.run(&args, None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), negatives.len(), "{stdout}");
    let mut exact = 0;
    let mut read = None;
    for ((file, fen, _), v) in negatives.iter().zip(&lines) {
        let fen = fen.unwrap();
        assert!(fen < 0, "{file}");
        if v["amount_fen"].as_i64() == Some(fen) {
            exact += 1;
            read.get_or_insert(file);
            assert_eq!(v["kind"], "return", "{file}: {v}");
            assert_eq!(v["amount"], Money::from_fen(fen).to_string(), "{file}: {v}");
        } else {
            // Never a payment taken without the cashier.
            assert!(
                v["kind"] != "charge" || v["needs_confirmation"] == true,
                "{file}: a return read as a payment: {v}"
            );
        }
    }
    assert!(
        exact * 10 >= negatives.len() * 9,
        "only {exact}/{} negative totals read exactly: {stdout}",
        negatives.len()
    );

    // The text form says it is a return.
    let file = read.unwrap();
    let out = env.run(
        &[
            "capture",
            "read",
            "--image",
            fixture(file).to_str().unwrap(),
        ],
        None,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("主机显示退货"), "{text}");
}

#[test]
fn serial_numbers_are_read_from_pictures() {
    let env = Env::start();
    let serials: Vec<_> = labels()
        .into_iter()
        .filter(|(_, fen, s)| fen.is_none() && !s.is_empty())
        .take(10)
        .collect();
    let mut read = 0;
    for (file, _, serial) in &serials {
        let (_, v) = env.json(
            &[
                "capture",
                "read",
                "--serial",
                "--image",
                fixture(file).to_str().unwrap(),
                "--json",
            ],
            None,
        );
        if v["serial"] == serial.as_str() {
            read += 1;
        }
    }
    // The serial model reads about 87 in 100 exactly (9 of these 10; a remark the cashier
    // can correct).
    assert!(read >= 7, "only {read}/10 serial numbers read");
}

#[test]
fn regions_are_stored_for_the_payment_window() {
    let env = Env::start();
    let (status, _) = env.json(
        &[
            "capture",
            "region",
            "set",
            "--serial",
            "--screen",
            "1",
            "--rect",
            "10,10,200,30",
            "--scale",
            "150",
            "--json",
        ],
        None,
    );
    assert_eq!(status, 0);
    let (status, v) = env.json(
        &[
            "capture",
            "region",
            "set",
            "--screen",
            "1",
            "--rect",
            "100, 200, 180, 40",
            "--scale",
            "150",
            "--json",
        ],
        None,
    );
    assert_eq!(status, 0, "{v}");
    assert_eq!(v["amount"]["rect"], "100,200,180,40");
    assert_eq!(v["amount"]["screen"], 1);
    assert_eq!(v["amount"]["scale_percent"], 150);
    assert_eq!(v["capture_serial"], true);

    for bad in ["100,200,0,40", "1,2,3", "a,b,c,d"] {
        let out = env.run(&["capture", "region", "set", "--rect", bad], None);
        assert_eq!(out.status.code(), Some(1), "{bad} accepted");
    }
    let (_, v) = env.json(&["capture", "region", "show", "--json"], None);
    assert_eq!(
        v["amount"]["rect"], "100,200,180,40",
        "nonsense changed nothing"
    );

    // Reading the screen with no display (as here, without $DISPLAY) says so.
    let out = env
        .command(&["capture", "read", "--screen"])
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("screen capture is not available"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (status, v) = env.json(&["capture", "region", "clear", "--json"], None);
    assert_eq!(status, 0);
    assert!(v["amount"].is_null() && v["serial"].is_null(), "{v}");
    let out = env.run(&["capture", "read", "--screen"], None);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no amount region"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes a white 200×40 PNG.
fn image_blank(path: &std::path::Path) {
    image::RgbImage::from_pixel(200, 40, image::Rgb([255, 255, 255]))
        .save(path)
        .unwrap();
}
