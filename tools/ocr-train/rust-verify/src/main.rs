//! Verifies the trained recognition models with ocrs 0.13.1 itself.
//!
//!   ocr-verify eval <model.onnx> <alphabet.txt> <set_dir> [--raw] [--kind amount|serial] [--out preds.tsv]
//!   ocr-verify dump <model.onnx> <alphabet.txt> <png> <out.f32>
//!
//! `set_dir/labels.tsv`: file<TAB>text<TAB>amount_fen|serial[<TAB>...]; header line
//! starting with "file" is skipped. Run with RAYON_NUM_THREADS=1 for one core.

mod amount;
mod preprocess;
mod recognize;

use std::io::Write;

use rten_tensor::prelude::*;
use std::time::Instant;

use ocrs::{OcrEngine, OcrEngineParams};

fn load_engine(model: &str, alphabet: &str) -> (OcrEngine, rten::Model) {
    let m1 = rten::Model::load_file(model).expect("load model");
    let m2 = rten::Model::load_file(model).expect("load model");
    let engine = OcrEngine::new(OcrEngineParams {
        detection_model: None,
        recognition_model: Some(m1),
        alphabet: Some(alphabet.to_string()),
        ..Default::default()
    })
    .expect("engine");
    (engine, m2)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let alphabet = std::fs::read_to_string(&args[3]).expect("alphabet");
    let (engine, raw_model) = load_engine(&args[2], &alphabet);
    match args[1].as_str() {
        "dump" => {
            let img = image::open(&args[4]).unwrap().into_rgb8();
            let (w, h) = img.dimensions();
            let p = preprocess::preprocess_rgb(img.as_raw(), w as usize, h as usize).expect("blank");
            let line = recognize::ocrs_line_input(&engine, &p).unwrap();
            let mut f = std::fs::File::create(&args[5]).unwrap();
            let shape = line.shape();
            writeln!(f, "{} {}", shape[0], shape[1]).unwrap();
            for v in line.iter() {
                write!(f, "{} ", v).unwrap();
            }
            println!("dumped {:?}", shape);
        }
        "eval" => {
            let dir = &args[4];
            let raw = args.iter().any(|a| a == "--raw");
            let only_kind = args.iter().position(|a| a == "--kind").map(|i| args[i + 1].clone());
            let out_path = args
                .iter()
                .position(|a| a == "--out")
                .map(|i| args[i + 1].clone())
                .unwrap_or_else(|| format!("{dir}/preds_rust.tsv"));
            let labels = std::fs::read_to_string(format!("{dir}/labels.tsv")).expect("labels.tsv");
            let mut out = std::fs::File::create(&out_path).unwrap();
            writeln!(out, "file\tpred\tconf\tpred_conf_path\tms_ocrs\tms_conf_path\tms_pre").unwrap();
            let (mut n, mut ok, mut same) = (0usize, 0usize, 0usize);
            let (mut t_ocrs, mut t_conf, mut t_pre) = (0f64, 0f64, 0f64);
            let mut lines_iter = labels.lines();
            let header: Vec<&str> = lines_iter.next().expect("header").split('\t').collect();
            let col = |name: &str| header.iter().position(|h| *h == name);
            let (c_kind, c_exp, c_fen, c_ser) = (col("kind"), col("expected"), col("amount_fen"), col("serial"));
            for line in lines_iter {
                if line.trim().is_empty() {
                    continue;
                }
                let cols: Vec<&str> = line.split('\t').collect();
                let is_serial = c_kind.map(|k| cols[k] == "serial").unwrap_or(false);
                if let Some(k) = &only_kind {
                    if (k == "serial") != is_serial {
                        continue;
                    }
                }
                let expect = match (c_exp, is_serial) {
                    (Some(e), _) => cols[e],
                    (None, true) => cols[c_ser.expect("serial column")],
                    (None, false) => cols[c_fen.expect("amount_fen column")],
                };
                let img = image::open(format!("{dir}/{}", cols[0])).unwrap().into_rgb8();
                let (w, h) = img.dimensions();
                let t0 = Instant::now();
                let prepared = if raw {
                    Some(recognize::raw_as_prepared(img.as_raw(), w as usize, h as usize))
                } else {
                    preprocess::preprocess_rgb(img.as_raw(), w as usize, h as usize)
                };
                let ms_pre = t0.elapsed().as_secs_f64() * 1e3;
                let (pred, ms_ocrs) = match &prepared {
                    Some(p) => {
                        let t1 = Instant::now();
                        let s = recognize::recognize_ocrs(&engine, p).unwrap().unwrap_or_default();
                        (s, t1.elapsed().as_secs_f64() * 1e3)
                    }
                    None => (String::new(), 0.0),
                };
                let (pred2, conf, ms_conf) = match &prepared {
                    Some(p) => {
                        let t2 = Instant::now();
                        let r = recognize::recognize_with_confidence(&engine, &raw_model, &alphabet, p).unwrap();
                        (r.text, r.min_char_prob, t2.elapsed().as_secs_f64() * 1e3)
                    }
                    None => (String::new(), 0.0, 0.0),
                };
                n += 1;
                if pred == pred2 {
                    same += 1;
                }
                t_ocrs += ms_ocrs + ms_pre;
                t_conf += ms_conf;
                t_pre += ms_pre;
                let good = if is_serial {
                    amount::serial_core(&pred) == expect
                } else {
                    amount::amount_fen(&pred).map(|v| v.to_string()).as_deref() == Some(expect)
                };
                if good {
                    ok += 1;
                }
                writeln!(out, "{}\t{}\t{:.4}\t{}\t{:.3}\t{:.3}\t{:.3}", cols[0], pred, conf, pred2.as_str(), ms_ocrs, ms_conf, ms_pre)
                    .unwrap();
            }
            println!(
                "n={n} exact={ok} acc={:.4} ms_per_crop(pre+ocrs)={:.3} ms_pre={:.3} ms_conf_path={:.3} ocrs==conf_path:{same}/{n}",
                ok as f64 / n as f64,
                t_ocrs / n as f64,
                t_pre / n as f64,
                t_conf / n as f64
            );
        }
        _ => panic!("unknown command"),
    }
}
