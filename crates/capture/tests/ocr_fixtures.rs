//! The committed models read the committed sample set (`fixtures/ocr/`) at the accuracy
//! they were measured at, through the production path (`read_image`: trained
//! normalisation, embedded model, CTC confidence, lenient normaliser).

mod common;

use cloudpos_capture::ocr::{ModelKind, Recognizer};
use cloudpos_capture::preprocess::{PreprocessOptions, prepare};
use cloudpos_capture::{ReadOptions, load_image, normalize_serial, read_image, read_serial_image};
use cloudpos_domain::money::Money;
use cloudpos_domain::ports::ScreenTotal;
use common::{Verdict, fixtures_dir, load_set, verdict};

#[test]
fn amount_model_reads_the_fixtures() {
    let set = load_set(&fixtures_dir());
    let options = ReadOptions::default();
    let (mut n, mut correct, mut rejected, mut wrong_confirmed, mut wrong_confident) =
        (0u32, 0u32, 0, 0, 0);
    let mut auto = 0;
    let mut misses = Vec::new();
    for f in set.iter().filter(|f| f.kind == "amount") {
        let fen = f.fen.expect("amount label");
        let img = load_image(&f.path).unwrap();
        let reading = read_image(&img, &options).unwrap();
        n += 1;
        if reading.amount.is_some() && !reading.needs_confirmation {
            auto += 1;
        }
        match verdict(&reading, fen) {
            Verdict::Correct => correct += 1,
            v => {
                match v {
                    Verdict::Rejected => rejected += 1,
                    Verdict::WrongConfirmed => wrong_confirmed += 1,
                    _ => wrong_confident += 1,
                }
                misses.push(format!(
                    "{}: {:?} read {:?} (conf {:.3}) -> {v:?}",
                    f.path.file_name().unwrap().to_string_lossy(),
                    f.text,
                    reading.text,
                    reading.confidence
                ));
            }
        }
    }
    let acc = f64::from(correct) / f64::from(n);
    println!(
        "amount fixtures: {correct}/{n} exact ({:.2} %); misses: {rejected} rejected, {wrong_confirmed} wrong but below the gate, {wrong_confident} wrong above the gate; auto-accepted {auto}/{n}",
        acc * 100.0
    );
    for m in &misses {
        println!("  miss {m}");
    }
    assert_eq!(
        n, 312,
        "the fixture set has 300 amount crops and 12 returns (negative/)"
    );
    assert!(
        acc >= 0.985,
        "amount accuracy {:.2} % is below 98.5 %",
        acc * 100.0
    );
    assert!(
        wrong_confident <= 1,
        "{wrong_confident} wrong amounts passed the confidence gate"
    );
}

/// A negative total on the host's screen (a return in progress) is read as that negative
/// amount, and never as a positive amount taken without the cashier.
#[test]
fn negative_totals_are_read_with_their_sign() {
    let set = load_set(&fixtures_dir());
    let options = ReadOptions::default();
    let (mut n, mut correct) = (0u32, 0u32);
    for f in set
        .iter()
        .filter(|f| f.kind == "amount" && f.fen.is_some_and(|v| v < 0))
    {
        let fen = f.fen.unwrap_or_default();
        let reading = read_image(&load_image(&f.path).unwrap(), &options).unwrap();
        n += 1;
        if verdict(&reading, fen) == Verdict::Correct {
            correct += 1;
            assert_eq!(
                reading.total(),
                ScreenTotal::Return(Money::from_fen(-fen)),
                "{}",
                f.path.display()
            );
        }
        let positive = reading.amount.is_some_and(Money::is_positive);
        assert!(
            !positive || reading.needs_confirmation,
            "{}: the return {:?} was read as a payment of {:?}",
            f.path.display(),
            f.text,
            reading.amount
        );
    }
    println!("negative fixtures: {correct}/{n} read with their sign");
    assert!(n >= 30, "only {n} negative amount fixtures");
    assert!(
        f64::from(correct) >= 0.9 * f64::from(n),
        "{correct}/{n} negative totals read exactly"
    );
}

#[test]
fn serial_model_reads_the_fixtures() {
    let set = load_set(&fixtures_dir());
    let options = ReadOptions::default();
    let (mut n, mut correct) = (0u32, 0u32);
    for f in set.iter().filter(|f| f.kind == "serial") {
        let img = load_image(&f.path).unwrap();
        let reading = read_serial_image(&img, &options).unwrap();
        n += 1;
        if reading.serial == f.serial {
            correct += 1;
        }
    }
    let acc = f64::from(correct) / f64::from(n);
    println!(
        "serial fixtures: {correct}/{n} exact ({:.1} %)",
        acc * 100.0
    );
    assert_eq!(n, 100);
    // Measured 87/100 (RESULTS.md; 87.3 % on the 1000-crop evaluation set, where most misses
    // are I/l/1 and O/0 drawn alike by the font).
    assert!(
        acc >= 0.85,
        "serial accuracy {:.1} % is below the measured 87 %",
        acc * 100.0
    );
}

/// Our greedy decode with confidences gives the same text as ocrs's own `recognize_text`.
#[test]
fn confidence_path_reads_the_same_text_as_ocrs() {
    let set = load_set(&fixtures_dir());
    for f in &set {
        let kind = if f.kind == "serial" {
            ModelKind::Serial
        } else {
            ModelKind::Amount
        };
        let rec = Recognizer::get(kind).unwrap();
        let img = load_image(&f.path).unwrap();
        let Ok(line) = prepare(&img, PreprocessOptions::default()) else {
            continue;
        };
        let ours = rec.recognize(&line).unwrap();
        let theirs = rec.recognize_with_ocrs(&line).unwrap();
        assert_eq!(ours.text, theirs, "{}", f.path.display());
        assert_eq!(ours.char_probs.len(), ours.text.chars().count());
        assert!((0.0..=1.0).contains(&ours.confidence));
        if kind == ModelKind::Serial {
            let _ = normalize_serial(&ours.text);
        }
    }
}
