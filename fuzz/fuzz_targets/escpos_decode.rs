//! The ESC/POS preview interpreter, `cloudpos_printer::decode`, on arbitrary bytes.
//!
//! Its documented invariant: any byte string is accepted, nothing panics, memory is bounded
//! (the drawing stops at `MAX_HEIGHT` dots), and the result depends only on the bytes and
//! the options. The first byte picks the options (paper width and code page); the rest is
//! the print job. Also checked: the picture is as wide as the paper and at most
//! `MAX_HEIGHT` tall, and decoding twice gives the same result.
#![no_main]

use cloudpos_printer::preview::{MAX_HEIGHT, decode};
use cloudpos_printer::{CodePage, PaperWidth, PreviewOptions};
use libfuzzer_sys::fuzz_target;

fn options(selector: u8) -> PreviewOptions {
    let width = match selector & 0x03 {
        0 => PaperWidth::Mm58,
        1 => PaperWidth::Mm80,
        // Custom widths, including out-of-range ones (the preview clamps them).
        2 => PaperWidth::Columns(u16::from(selector >> 2)),
        _ => PaperWidth::Columns(72),
    };
    let mut opts = PreviewOptions::for_width(width);
    opts.code_page = match (selector >> 2) & 0x03 {
        0 => CodePage::Gb18030,
        1 => CodePage::Gbk,
        2 => CodePage::Big5,
        _ => CodePage::Ascii,
    };
    opts
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, job)) = data.split_first() else {
        return;
    };
    let opts = options(selector);
    let (img, decoded) = decode(job, &opts);
    let expected_width = opts.dots.clamp(8, 4096);
    assert_eq!(img.width(), expected_width);
    assert!(img.height() >= 1 && img.height() as usize <= MAX_HEIGHT);
    assert_eq!(img.as_raw().len(), img.width() as usize * img.height() as usize);
    for kick in &decoded.drawer_kicks {
        assert!(*kick == 2 || *kick == 5);
    }
    // Deterministic: the same bytes give the same paper (checked for short papers only:
    // drawing a tall one twice would halve the executions per second).
    if img.height() <= 1024 {
        let (img2, decoded2) = decode(job, &opts);
        assert_eq!(decoded2, decoded);
        assert!(img2 == img);
    }
});
