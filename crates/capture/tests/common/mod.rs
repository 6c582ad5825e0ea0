//! Helpers shared by the integration tests: the committed OCR fixtures.
#![allow(dead_code)]

use std::path::PathBuf;

/// One labelled crop of `fixtures/ocr/`.
pub struct Fixture {
    /// Path of the PNG.
    pub path: PathBuf,
    /// `amount` or `serial`.
    pub kind: String,
    /// Expected amount in fen (amount crops).
    pub fen: Option<i64>,
    /// Expected serial without its label (serial crops).
    pub serial: Option<String>,
    /// Text on screen.
    pub text: String,
    /// `heldout` or `train`.
    pub split: String,
    /// Font size in pixels before the HiDPI factor.
    pub size_px: Option<u32>,
}

/// The folder of the committed fixtures.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ocr")
}

/// Reads `labels.tsv` of a set folder (the fixtures' columns `amount_fen`/`serial`, or an
/// evaluation set's `expected`).
pub fn load_set(dir: &std::path::Path) -> Vec<Fixture> {
    let labels = std::fs::read_to_string(dir.join("labels.tsv"))
        .unwrap_or_else(|e| panic!("{}/labels.tsv: {e}", dir.display()));
    let mut lines = labels.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let c_size = col("size_px");
    let (c_text, c_kind, c_fen, c_ser, c_exp, c_split) = (
        col("text"),
        col("kind"),
        col("amount_fen"),
        col("serial"),
        col("expected"),
        col("split"),
    );
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            let get = |c: Option<usize>| c.and_then(|i| cols.get(i)).copied().unwrap_or("");
            let kind = get(c_kind).to_owned();
            let serial_kind = kind == "serial";
            let expected = get(c_exp);
            let fen = if serial_kind {
                None
            } else if c_fen.is_some() {
                get(c_fen).parse().ok()
            } else {
                expected.parse().ok()
            };
            let serial = if !serial_kind {
                None
            } else if c_ser.is_some() {
                Some(get(c_ser).to_owned())
            } else {
                Some(expected.to_owned())
            };
            Fixture {
                path: dir.join(cols[0]),
                kind,
                fen,
                serial,
                text: get(c_text).to_owned(),
                split: get(c_split).to_owned(),
                size_px: get(c_size).parse().ok(),
            }
        })
        .collect()
}

/// How a reading compares with the label of an amount crop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The exact amount (or, for a negative label, the refusal with the exact magnitude).
    Correct,
    /// No amount, the cashier is asked: safe.
    Rejected,
    /// A wrong amount that still needs the cashier's confirmation.
    WrongConfirmed,
    /// A wrong amount above the confidence gate: this would take the wrong money.
    WrongConfident,
}

/// Scores a reading against the expected amount in fen (signed: a negative label must be
/// read as that negative amount).
pub fn verdict(reading: &cloudpos_capture::Reading, fen: i64) -> Verdict {
    use cloudpos_domain::money::Money;
    if reading.amount == Some(Money::from_fen(fen)) {
        return Verdict::Correct;
    }
    match reading.amount {
        None => Verdict::Rejected,
        Some(_) if reading.needs_confirmation => Verdict::WrongConfirmed,
        Some(_) => Verdict::WrongConfident,
    }
}
