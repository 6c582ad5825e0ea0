//! Golden ESC/POS bytes and preview snapshots per receipt kind and paper width.
//!
//! Regenerate after an intended change with
//! `UPDATE_GOLDEN=1 cargo test -p cloudpos-printer --test golden`, then look at the PNGs.

mod common;

use cloudpos_domain::receipt::Receipt;
use cloudpos_printer::layout::{self, LayoutOptions};
use cloudpos_printer::{
    CutMode, DrawerPin, PaperWidth, PreviewOptions, PrinterSettings, decode, encode_receipt,
    preview, test_page,
};
use common::*;

fn cases() -> Vec<(&'static str, Receipt, PrinterSettings)> {
    let mut out = Vec::new();
    for (w, width) in [("58", PaperWidth::Mm58), ("80", PaperWidth::Mm80)] {
        let base = PrinterSettings {
            width,
            ..PrinterSettings::default()
        };
        let cash = PrinterSettings {
            cash_drawer: Some(DrawerPin::Pin2),
            cut: CutMode::Full,
            top_margin: 1,
            ..base.clone()
        };
        let name = |k: &str| -> &'static str { Box::leak(format!("{k}-{w}").into_boxed_str()) };
        out.push((name("payment"), payment(), base.clone()));
        out.push((name("payment-cash"), cash_payment(), cash));
        out.push((name("refund"), refund(), base.clone()));
        out.push((name("summary"), summary(), base.clone()));
        out.push((name("deposit-consume"), deposit_consume(), base.clone()));
        let tp = test_page(&base, "云支付便利店", when());
        out.push((name("test-page"), tp, base));
    }
    out
}

fn check_bytes(name: &str, bytes: &[u8]) {
    let path = fixtures_dir().join(format!("{name}.bin"));
    if update_golden() {
        std::fs::create_dir_all(fixtures_dir()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        return;
    }
    let want = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    if want != bytes {
        let at = want
            .iter()
            .zip(bytes)
            .position(|(a, b)| a != b)
            .unwrap_or(want.len().min(bytes.len()));
        panic!(
            "{name}: bytes differ from {} at offset {at} (len {} vs {}); \
             run with UPDATE_GOLDEN=1 if the change is intended",
            path.display(),
            want.len(),
            bytes.len()
        );
    }
}

fn check_png(name: &str, img: &image::GrayImage) {
    let path = fixtures_dir().join(format!("{name}.png"));
    if update_golden() {
        std::fs::write(&path, preview::png(img)).unwrap();
        return;
    }
    let want = image::open(&path)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
                path.display()
            )
        })
        .to_luma8();
    assert_eq!(
        (want.width(), want.height()),
        (img.width(), img.height()),
        "{name}: preview size changed"
    );
    let diff = want
        .as_raw()
        .iter()
        .zip(img.as_raw())
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(
        diff,
        0,
        "{name}: {diff} pixels differ from {}",
        path.display()
    );
}

#[test]
fn golden_bytes_and_previews() {
    for (name, receipt, settings) in cases() {
        let bytes = encode_receipt(&receipt, &settings);
        check_bytes(name, &bytes);
        let (img, seen) = decode(&bytes, &PreviewOptions::for_settings(&settings));
        assert_eq!(img.width(), settings.width.dots(), "{name}");
        check_png(name, &img);

        // The decoder reads back exactly the laid-out lines: the printer never wraps.
        let blocks = layout::layout(&receipt, &LayoutOptions::from_settings(&settings));
        let laid: Vec<String> = layout::text_lines(&blocks)
            .into_iter()
            .map(|l| l.trim_end().to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        let printed: Vec<String> = seen
            .lines
            .iter()
            .filter(|l| !l.is_empty())
            .cloned()
            .collect();
        assert_eq!(printed, laid, "{name}");

        // Codes carry the order number; cuts and drawer as configured.
        if let Some(no) = &receipt.order_no {
            assert_eq!(seen.qr_codes, vec![no.clone()], "{name}");
        }
        assert_eq!(seen.cuts.len(), 1, "{name}");
        let want_kick = name.starts_with("payment-cash");
        assert_eq!(
            seen.drawer_kicks,
            if want_kick { vec![2] } else { vec![] },
            "{name}"
        );
    }
}

#[test]
fn chinese_text_is_gb18030_in_chinese_mode() {
    let bytes = encode_receipt(&payment(), &PrinterSettings::default());
    assert_eq!(&bytes[..4], b"\x1b@\x1c&");
    let (gb, _, _) = encoding_rs::GB18030.encode("农夫山泉");
    assert!(bytes.windows(gb.len()).any(|w| w == &gb[..]));
    // QR (GS ( k, model 2) and, on 80 mm, CODE128 (GS k 73) of the order number.
    assert!(bytes.windows(9).any(|w| w == b"\x1d(k\x04\x001A2\x00"));
    let wide = encode_receipt(
        &payment(),
        &PrinterSettings {
            width: PaperWidth::Mm80,
            ..PrinterSettings::default()
        },
    );
    assert!(wide.windows(3).any(|w| w == b"\x1dkI"));
    let (_, seen) = decode(&wide, &PreviewOptions::for_width(PaperWidth::Mm80));
    assert_eq!(seen.barcodes, vec!["CP01POS12611221322180001".to_owned()]);
    // Partial cut by default.
    assert!(bytes.ends_with(b"\x1dVB\x00"));
}

#[test]
fn encoding_is_deterministic() {
    for (name, receipt, settings) in cases() {
        assert_eq!(
            encode_receipt(&receipt, &settings),
            encode_receipt(&receipt, &settings),
            "{name}"
        );
    }
}

/// The two documentation previews (docs/images/receipt-{58,80}.png).
#[test]
fn docs_previews() {
    let docs = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/images");
    for (w, width) in [("58", PaperWidth::Mm58), ("80", PaperWidth::Mm80)] {
        let settings = PrinterSettings {
            width,
            ..PrinterSettings::default()
        };
        let png = cloudpos_printer::preview_png(&payment(), &settings);
        let path = docs.join(format!("receipt-{w}.png"));
        if update_golden() {
            std::fs::create_dir_all(&docs).unwrap();
            std::fs::write(&path, &png).unwrap();
        } else if path.exists() {
            let want = image::open(&path).unwrap().to_luma8();
            let got = image::load_from_memory(&png).unwrap().to_luma8();
            assert!(
                want == got,
                "{} is out of date: run with UPDATE_GOLDEN=1",
                path.display()
            );
        }
    }
}
