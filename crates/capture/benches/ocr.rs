//! OCR benchmark: exact accuracy and milliseconds per crop of the production read path
//! (`read_image`: trained normalisation + embedded model + CTC confidence + normaliser),
//! beside tesseract on the same crops in the same run.
//!
//! ```sh
//! # committed fixtures (312 amount crops, 12 of them returns, + 100 serial crops), one thread:
//! RTEN_NUM_THREADS=1 cargo bench -p cloudpos-capture --bench ocr
//! # the 2000-crop evaluation set of tools/ocr-train (make_set.py --seed 20261122):
//! RTEN_NUM_THREADS=1 cargo bench -p cloudpos-capture --bench ocr -- \
//!     --amount-set /work/scratch-ocr/sets/eval_amount --serial-set /work/scratch-ocr/sets/eval_serial
//! ```
//!
//! Options: `--amount-set DIR`, `--serial-set DIR` (a folder with `labels.tsv`),
//! `--no-tesseract`, `--tesseract-cli N` (also time N crops with one tesseract process per
//! crop, default 20), `--variants` (also score the optional 预处理/放大 steps).
//! tesseract: `--psm 7 -l eng` with a whitelist of the amount (or serial) characters; all
//! crops of a set in one process (a list file), which is its fastest mode.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use cloudpos_capture::ocr::{ModelKind, Recognizer};
use cloudpos_capture::preprocess::{PreprocessOptions, prepare};
use cloudpos_capture::{
    ReadOptions, load_image, normalize_serial, normalize_signed_amount, read_image,
    read_serial_image,
};
use common::{Fixture, Verdict, fixtures_dir, load_set, verdict};

const AMOUNT_WHITELIST: &str = "0123456789.,-:¥RMB";
const SERIAL_WHITELIST: &str =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_/#:.";

fn stats(v: &mut [f64]) -> (f64, f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    v.sort_by(f64::total_cmp);
    #[allow(clippy::cast_precision_loss)]
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let pick = |q: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let i = ((v.len() - 1) as f64 * q).round() as usize;
        v[i]
    };
    (mean, pick(0.5), pick(0.95))
}

#[allow(clippy::cast_precision_loss)]
fn pct(a: usize, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        100.0 * a as f64 / n as f64
    }
}

struct AmountScore {
    n: usize,
    correct: usize,
    wrong_confident: usize,
    wrong_confirmed: usize,
    auto: usize,
    /// Crops showing a negative total (a return on the host) and how many read exactly.
    negatives: usize,
    negatives_correct: usize,
    /// Negative totals read as a positive amount (the sign lost).
    sign_lost: usize,
    /// Wrong reads (a wrong amount or none) and those under the confidence threshold.
    wrong: usize,
    wrong_low_confidence: usize,
}

fn score_amounts(
    set: &[&Fixture],
    options: &ReadOptions,
    times: Option<&mut Vec<(f64, f64, Option<u32>)>>,
) -> AmountScore {
    let mut s = AmountScore {
        n: 0,
        correct: 0,
        wrong_confident: 0,
        wrong_confirmed: 0,
        auto: 0,
        negatives: 0,
        negatives_correct: 0,
        sign_lost: 0,
        wrong: 0,
        wrong_low_confidence: 0,
    };
    let mut times = times;
    for f in set {
        let img = load_image(&f.path).unwrap();
        let t0 = Instant::now();
        let _ = prepare(&img, options.preprocess);
        let ms_pre = t0.elapsed().as_secs_f64() * 1e3;
        let t1 = Instant::now();
        let reading = read_image(&img, options).unwrap();
        let ms_total = t1.elapsed().as_secs_f64() * 1e3;
        if let Some(t) = times.as_deref_mut() {
            t.push((ms_pre, ms_total, f.size_px));
        }
        s.n += 1;
        if reading.amount.is_some() && !reading.needs_confirmation {
            s.auto += 1;
        }
        let fen = f.fen.unwrap();
        let v = verdict(&reading, fen);
        if fen < 0 {
            s.negatives += 1;
            s.negatives_correct += usize::from(v == Verdict::Correct);
            s.sign_lost += usize::from(
                reading
                    .amount
                    .is_some_and(cloudpos_domain::money::Money::is_positive),
            );
        }
        if v != Verdict::Correct {
            s.wrong += 1;
            s.wrong_low_confidence +=
                usize::from(reading.confidence_permille < options.min_confidence_permille);
        }
        match v {
            Verdict::Correct => s.correct += 1,
            Verdict::WrongConfident => s.wrong_confident += 1,
            Verdict::WrongConfirmed => s.wrong_confirmed += 1,
            Verdict::Rejected => {}
        }
    }
    s
}

/// Runs tesseract on all `files` in one process; returns the texts and the seconds taken.
fn tesseract_batch(files: &[PathBuf], whitelist: &str) -> Option<(Vec<String>, f64)> {
    let list = std::env::temp_dir().join(format!("cloudpos-bench-{}.txt", std::process::id()));
    let body: String = files.iter().map(|p| format!("{}\n", p.display())).collect();
    std::fs::write(&list, body).ok()?;
    let t0 = Instant::now();
    let out = Command::new("tesseract")
        .arg(&list)
        .arg("stdout")
        .args([
            "--psm",
            "7",
            "-l",
            "eng",
            "-c",
            &format!("tessedit_char_whitelist={whitelist}"),
        ])
        .output();
    let secs = t0.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&list);
    let out = out.ok()?;
    if !out.status.success() {
        eprintln!("tesseract failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut pages: Vec<String> = text.split('\u{c}').map(|p| p.trim().to_owned()).collect();
    if pages.len() == files.len() + 1 && pages.last().is_some_and(String::is_empty) {
        pages.pop();
    }
    if pages.len() != files.len() {
        eprintln!(
            "tesseract returned {} pages for {} images",
            pages.len(),
            files.len()
        );
        return None;
    }
    Some((pages, secs))
}

fn tesseract_cli_ms(files: &[PathBuf], whitelist: &str) -> Vec<f64> {
    files
        .iter()
        .filter_map(|f| {
            let t0 = Instant::now();
            let ok = Command::new("tesseract")
                .arg(f)
                .arg("stdout")
                .args([
                    "--psm",
                    "7",
                    "-l",
                    "eng",
                    "-c",
                    &format!("tessedit_char_whitelist={whitelist}"),
                ])
                .output()
                .is_ok_and(|o| o.status.success());
            ok.then(|| t0.elapsed().as_secs_f64() * 1e3)
        })
        .collect()
}

struct Args {
    amount_set: PathBuf,
    serial_set: PathBuf,
    tesseract: bool,
    tesseract_cli: usize,
    variants: bool,
}

fn args() -> Args {
    let mut a = Args {
        amount_set: fixtures_dir(),
        serial_set: fixtures_dir(),
        tesseract: true,
        tesseract_cli: 20,
        variants: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--amount-set" => a.amount_set = it.next().expect("--amount-set DIR").into(),
            "--serial-set" => a.serial_set = it.next().expect("--serial-set DIR").into(),
            "--no-tesseract" => a.tesseract = false,
            "--tesseract-cli" => {
                a.tesseract_cli = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .expect("--tesseract-cli N");
            }
            "--variants" => a.variants = true,
            _ => {} // `cargo bench` passes --bench
        }
    }
    a
}

fn bench_amounts(args: &Args) {
    let set = load_set(&args.amount_set);
    let crops: Vec<&Fixture> = set
        .iter()
        .filter(|f| f.kind != "serial" && f.fen.is_some())
        .collect();
    let n = crops.len();
    println!("\n## Amounts: {} ({n} crops)\n", args.amount_set.display());
    // Load the model outside the timings.
    Recognizer::get(ModelKind::Amount).unwrap();
    let mut times = Vec::new();
    let s = score_amounts(&crops, &ReadOptions::default(), Some(&mut times));
    let mut pre: Vec<f64> = times.iter().map(|t| t.0).collect();
    let mut total: Vec<f64> = times.iter().map(|t| t.1).collect();
    let mut small: Vec<f64> = times
        .iter()
        .filter(|t| t.2.is_some_and(|p| p <= 14))
        .map(|t| t.1)
        .collect();
    let mut large: Vec<f64> = times
        .iter()
        .filter(|t| t.2.is_some_and(|p| p > 14))
        .map(|t| t.1)
        .collect();
    println!(
        "| engine | exact | wrong amount accepted without the cashier | wrong, shown for confirmation | auto-accepted |"
    );
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| cloudpos-capture (ocrs + own model) | {}/{n} ({:.2} %) | {} | {} | {} ({:.1} %) |",
        s.correct,
        pct(s.correct, n),
        s.wrong_confident,
        s.wrong_confirmed,
        s.auto,
        pct(s.auto, n)
    );
    let files: Vec<PathBuf> = crops.iter().map(|f| f.path.clone()).collect();
    let mut tess_ms = None;
    if args.tesseract {
        match tesseract_batch(&files, AMOUNT_WHITELIST) {
            Some((texts, secs)) => {
                let (mut correct, mut wrong) = (0, 0);
                for (f, t) in crops.iter().zip(&texts) {
                    let fen = f.fen.unwrap();
                    match normalize_signed_amount(t) {
                        Ok(m) if m.fen() == fen => correct += 1,
                        Ok(_) => wrong += 1,
                        Err(_) => {}
                    }
                }
                println!(
                    "| tesseract 5 (`--psm 7`, whitelist) | {correct}/{n} ({:.2} %) | {wrong} (no confidence gate) | – | – |",
                    pct(correct, n)
                );
                #[allow(clippy::cast_precision_loss)]
                let per = secs * 1e3 / n as f64;
                tess_ms = Some(per);
            }
            None => println!("| tesseract | not run (missing or failed) | | | |"),
        }
    }
    println!(
        "\nNegative totals (a return on the host): {}/{} read exactly, {} read as a positive amount. \
         Wrong reads under the confidence threshold ({}‰): {} of {}.\n",
        s.negatives_correct,
        s.negatives,
        s.sign_lost,
        ReadOptions::default().min_confidence_permille,
        s.wrong_low_confidence,
        s.wrong
    );
    println!("\n| time per crop | mean ms | p50 ms | p95 ms |");
    println!("|---|---:|---:|---:|");
    let row = |name: &str, v: &mut Vec<f64>| {
        let (m, p50, p95) = stats(v);
        println!("| {name} | {m:.2} | {p50:.2} | {p95:.2} |");
    };
    row("cloudpos-capture: normalisation only", &mut pre);
    row(
        "cloudpos-capture: whole read (normalise + model + confidence + parse)",
        &mut total,
    );
    row("… text ≤ 14 px", &mut small);
    row("… text > 14 px", &mut large);
    if let Some(per) = tess_ms {
        println!("| tesseract, all crops in one process | {per:.2} | | |");
    }
    if args.tesseract && args.tesseract_cli > 0 {
        let k = args.tesseract_cli.min(files.len());
        let mut cli = tesseract_cli_ms(&files[..k], AMOUNT_WHITELIST);
        row(
            &format!("tesseract, one CLI call per crop ({k} crops)"),
            &mut cli,
        );
    }
    if args.variants {
        println!(
            "\n| options (预处理 binarize / 放大 zoom) | exact | wrong accepted | auto-accepted |"
        );
        println!("|---|---:|---:|---:|");
        for (binarize, zoom) in [(false, false), (true, false), (false, true), (true, true)] {
            let options = ReadOptions {
                preprocess: PreprocessOptions { binarize, zoom },
                ..ReadOptions::default()
            };
            let s = score_amounts(&crops, &options, None);
            println!(
                "| binarize {binarize}, zoom {zoom} | {}/{n} ({:.2} %) | {} | {:.1} % |",
                s.correct,
                pct(s.correct, n),
                s.wrong_confident,
                pct(s.auto, n)
            );
        }
    }
}

fn bench_serials(args: &Args) {
    let set = load_set(&args.serial_set);
    let crops: Vec<&Fixture> = set.iter().filter(|f| f.kind == "serial").collect();
    let n = crops.len();
    if n == 0 {
        return;
    }
    println!(
        "\n## Serial numbers: {} ({n} crops)\n",
        args.serial_set.display()
    );
    Recognizer::get(ModelKind::Serial).unwrap();
    let mut ms = Vec::new();
    let (mut correct, mut wrong_low) = (0, 0);
    let min = f32::from(ReadOptions::default().min_confidence_permille) / 1000.0;
    for f in &crops {
        let img = load_image(&f.path).unwrap();
        let t0 = Instant::now();
        let r = read_serial_image(&img, &ReadOptions::default()).unwrap();
        ms.push(t0.elapsed().as_secs_f64() * 1e3);
        if r.serial == f.serial {
            correct += 1;
        } else if r.confidence < min {
            wrong_low += 1;
        }
    }
    println!(
        "Wrong reads under the confidence threshold ({min}): {wrong_low} of {}.\n",
        n - correct
    );
    let (m, p50, p95) = stats(&mut ms);
    println!("| engine | exact | mean ms | p50 ms | p95 ms |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| cloudpos-capture | {correct}/{n} ({:.1} %) | {m:.2} | {p50:.2} | {p95:.2} |",
        pct(correct, n)
    );
    if args.tesseract {
        let files: Vec<PathBuf> = crops.iter().map(|f| f.path.clone()).collect();
        if let Some((texts, secs)) = tesseract_batch(&files, SERIAL_WHITELIST) {
            let ok = crops
                .iter()
                .zip(&texts)
                .filter(|(f, t)| normalize_serial(t) == f.serial)
                .count();
            #[allow(clippy::cast_precision_loss)]
            let per = secs * 1e3 / n as f64;
            println!(
                "| tesseract 5 (one process) | {ok}/{n} ({:.1} %) | {per:.2} | | |",
                pct(ok, n)
            );
        }
    }
}

fn main() {
    let args = args();
    println!(
        "# cloudpos-capture OCR benchmark\n\nRTEN_NUM_THREADS={} (set it to 1 for one-core figures)",
        std::env::var("RTEN_NUM_THREADS").unwrap_or_else(|_| "unset".into())
    );
    bench_amounts(&args);
    bench_serials(&args);
}
