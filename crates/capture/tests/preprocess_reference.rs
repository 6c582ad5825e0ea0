//! The crate's preprocessing is bit-identical to the verified reference the models were
//! trained against (`tools/ocr-train/rust-verify/src/preprocess.rs`, itself bit-identical to
//! the Python training code). The reference file is compiled into this test as it is.

mod common;

#[allow(
    dead_code,
    clippy::all,
    clippy::pedantic,
    rust_2018_idioms,
    missing_docs
)]
#[path = "../../../tools/ocr-train/rust-verify/src/preprocess.rs"]
mod reference;

use cloudpos_capture::preprocess::{PreprocessOptions, normalize_rgb, prepare};
use common::{fixtures_dir, load_set};

fn same(rgb: &[u8], w: usize, h: usize, what: &str) -> bool {
    let ours = normalize_rgb(rgb, w, h);
    let theirs = reference::preprocess_rgb(rgb, w, h);
    match (ours, theirs) {
        (Err(_), None) => false,
        (Ok(a), Some(b)) => {
            assert_eq!((a.width(), a.height()), (b.width, b.height), "{what}: size");
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(a.data()), bits(&b.data), "{what}: pixels differ");
            true
        }
        (a, b) => panic!(
            "{what}: ours {:?}, reference {}",
            a.err(),
            if b.is_some() { "a line" } else { "blank" }
        ),
    }
}

#[test]
fn bit_identical_on_every_fixture() {
    let set = load_set(&fixtures_dir());
    let mut lines = 0;
    for f in &set {
        let img = image::open(&f.path).unwrap().into_rgb8();
        let (w, h) = (img.width() as usize, img.height() as usize);
        if same(img.as_raw(), w, h, &f.path.display().to_string()) {
            lines += 1;
        }
        // The default options are the trained pipeline itself.
        let default = prepare(&img, PreprocessOptions::default()).ok();
        assert_eq!(default, normalize_rgb(img.as_raw(), w, h).ok());
    }
    assert_eq!(set.len(), 412, "300 + 12 amount and 100 serial fixtures");
    assert!(lines >= 411, "only {lines} fixtures held a line");
}

#[test]
fn bit_identical_on_synthetic_crops() {
    // Blank, dark theme, rule lines, tiny crops, noise.
    let mut seed = 12345u32;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    for case in 0..200 {
        let w = 2 + (rnd() % 200) as usize;
        let h = 2 + (rnd() % 60) as usize;
        let bg = (rnd() % 256) as u8;
        let fg = (rnd() % 256) as u8;
        let mut rgb = vec![bg; w * h * 3];
        for _ in 0..(rnd() % 400) {
            let (x, y) = ((rnd() as usize) % w, (rnd() as usize) % h);
            let i = (y * w + x) * 3;
            rgb[i..i + 3].copy_from_slice(&[fg, fg.wrapping_add(7), fg.wrapping_sub(3)]);
        }
        if case % 5 == 0 {
            let y = (rnd() as usize) % h;
            for x in 0..w {
                let i = (y * w + x) * 3;
                rgb[i..i + 3].copy_from_slice(&[fg, fg, fg]);
            }
        }
        same(&rgb, w, h, &format!("synthetic case {case}"));
    }
}
