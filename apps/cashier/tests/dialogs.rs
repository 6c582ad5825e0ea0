//! End to end: a dialog draws the same whatever was redrawn before. The real `cashier` under
//! Xvfb opens 新建商品, and a screenshot is taken after each key typed into its first field;
//! each must equal the settled frame (taken once the window is quiet) everywhere except the
//! row of that field, and the settled dialog must be a white card with its labels on it.
//! Run by `.ci/e2e` (`cargo test --workspace -- --ignored e2e_`).
#![allow(missing_docs, clippy::missing_panics_doc)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Cashier, Step, Xvfb, full_mode, main_window, prepare};
use image::RgbImage;

fn load(path: &Path) -> RgbImage {
    image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8()
}

/// The rows (below the header band, whose clock ticks) where two frames differ.
fn differing_rows(a: &RgbImage, b: &RgbImage, skip_top: u32) -> Option<(u32, u32)> {
    assert_eq!(a.dimensions(), b.dimensions(), "same window size");
    let mut rows: Option<(u32, u32)> = None;
    for y in skip_top..a.height() {
        let differs = (0..a.width()).any(|x| {
            let (p, q) = (a.get_pixel(x, y).0, b.get_pixel(x, y).0);
            p.iter().zip(q).any(|(u, v)| u.abs_diff(v) > 24)
        });
        if differs {
            rows = Some(rows.map_or((y, y), |(lo, _)| (lo, y)));
        }
    }
    rows
}

/// Screenshots of `window` until one repeats an earlier one (the text cursor blinks, so
/// the next few alternate once nothing else changes); that frame.
fn settle(x: &Xvfb, window: &str, path: &Path) -> RgbImage {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen: Vec<RgbImage> = Vec::new();
    loop {
        std::thread::sleep(Duration::from_millis(300));
        assert!(x.screenshot(window, path));
        let img = load(path);
        if seen.iter().any(|s| differing_rows(s, &img, 60).is_none()) {
            return img;
        }
        seen.push(img);
        assert!(
            Instant::now() < deadline,
            "the window never settled: every redraw changed it (frames in {})",
            path.display()
        );
    }
}

fn white_pixels(img: &RgbImage) -> usize {
    img.pixels()
        .filter(|p| p.0.iter().all(|&c| c >= 250))
        .count()
}

#[test]
#[ignore = "e2e: needs Xvfb, xdotool and ImageMagick"]
fn e2e_the_commodity_dialog_draws_the_same_after_every_key() {
    let x = Xvfb::start_sized(1280, 800);
    let home = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    let shots = std::env::var("CASHIER_E2E_SHOTS")
        .map_or_else(|_| home.path().join("shots"), std::path::PathBuf::from);
    std::fs::create_dir_all(&shots).unwrap();
    prepare(home.path(), full_mode);
    let _app = Cashier::start(&x, home.path(), runtime.path());
    let main = main_window(&x);
    x.wait_screen(&main, "登录", None);
    x.burst(&[
        Step::Text("01"),
        Step::Key("Return"),
        Step::Text("0101"),
        Step::Key("Return"),
    ]);
    x.wait_screen(&main, "收银", None);
    x.key("F3");
    x.wait_screen(&main, "商品管理", None);
    // Esc leaves any field (on older builds the search field had the focus), N opens it.
    x.key("Escape");
    x.key("n");
    x.wait_screen(&main, "商品管理", Some("新建商品"));

    // The dialog as first drawn, once the window is quiet (the title changes with the state,
    // the frame follows it).
    settle(&x, &main, &shots.join("before.png"));

    // One screenshot after each key, while the window redraws only what changed.
    let typed = "A0010203";
    let mut frames = Vec::new();
    for (i, c) in typed.chars().enumerate() {
        x.key(&c.to_string());
        let path = shots.join(format!("key-{i}.png"));
        assert!(x.screenshot(&main, &path));
        frames.push(path);
    }
    let settled = settle(&x, &main, &shots.join("settled.png"));

    // The settled dialog is a white card (labels readable on it), not a dark panel.
    let white = white_pixels(&settled);
    assert!(
        white > 100_000,
        "the dialog is a white card: {white} white pixels (frames in {})",
        shots.display()
    );
    // Each keystroke's frame differs from the settled one only in the typed field's row.
    for (i, path) in frames.iter().enumerate() {
        let frame = load(path);
        if let Some((top, bottom)) = differing_rows(&frame, &settled, 60) {
            assert!(
                bottom - top <= 48,
                "after key {i} rows {top}–{bottom} differ from the settled frame ({})",
                path.display()
            );
        }
    }
    if let Ok(dir) = std::env::var("CASHIER_E2E_SHOTS") {
        let _ = std::fs::copy(
            shots.join("settled.png"),
            Path::new(&dir).join("e2e-dialog.png"),
        );
    }
}
