//! The cashier's embedded fallback fonts: they parse, carry the family names the cashier asks
//! for, the monospaced one is monospaced, and together they cover every character of the
//! text the cashier can show (its own labels, and the messages of the crates it displays),
//! so that a PC without Chinese fonts never draws a label blank.

use std::path::{Path, PathBuf};

use cloudpos_fonts::ui::{CJK_FALLBACK, CJK_FALLBACK_FAMILY, MONO_FALLBACK, MONO_FALLBACK_FAMILY};
use ttf_parser::{Face, name_id};

fn family(face: &Face<'_>) -> Option<String> {
    face.names()
        .into_iter()
        .filter(|n| n.name_id == name_id::FAMILY)
        .find_map(|n| n.to_string())
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn fonts_parse_with_their_family_names() {
    let cjk = Face::parse(CJK_FALLBACK, 0).expect("the CJK fallback font parses");
    assert_eq!(family(&cjk).as_deref(), Some(CJK_FALLBACK_FAMILY));
    assert!(!cjk.is_monospaced());
    let mono = Face::parse(MONO_FALLBACK, 0).expect("the mono fallback font parses");
    assert_eq!(family(&mono).as_deref(), Some(MONO_FALLBACK_FAMILY));
    assert!(
        mono.is_monospaced(),
        "numbers are drawn in a monospaced face"
    );
    for ch in "0123456789.,¥-+".chars() {
        assert!(mono.glyph_index(ch).is_some(), "mono fallback lacks {ch:?}");
    }
}

#[test]
fn common_hanzi_and_shop_text_are_covered() {
    let cjk = Face::parse(CJK_FALLBACK, 0).expect("parses");
    // GB 2312 level 1 and 2 samples, fullwidth forms, CJK punctuation, what receipts and
    // commodity names hold.
    for ch in "收银台登录密码支付宝微信退款金额合计￥（）【】、。，：；“”《》啊齄鑫淼亍".chars()
    {
        assert!(cjk.glyph_index(ch).is_some(), "CJK fallback lacks {ch:?}");
    }
    // Glyphs have outlines (not an empty placeholder).
    let id = cjk.glyph_index('收').expect("has 收");
    assert!(cjk.glyph_bounding_box(id).is_some(), "收 has no outline");
}

/// The part of a source file whose text can reach the screen: comments and the unit-test
/// module at the end of the file (test inputs such as `⑫` that a parser must refuse) are
/// left out.
fn shown_text(source: &str) -> String {
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_character_the_cashier_can_show_is_in_a_fallback_font() {
    let cjk = Face::parse(CJK_FALLBACK, 0).expect("parses");
    let mono = Face::parse(MONO_FALLBACK, 0).expect("parses");
    let root = workspace();
    let mut files = Vec::new();
    for dir in [
        "apps/cashier/src",
        "crates/terminal/src",
        "crates/domain/src",
        "crates/input/src",
        "crates/capture/src",
        "crates/storage/src",
        "crates/cloudpay-api/src",
        "crates/scanner-box/src",
    ] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(
        files.len() > 20,
        "found the sources ({} files)",
        files.len()
    );
    let mut missing = std::collections::BTreeMap::<char, PathBuf>::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("source is UTF-8");
        for ch in shown_text(&text).chars() {
            let visible = !ch.is_ascii() && !ch.is_control() && !ch.is_whitespace();
            if visible && cjk.glyph_index(ch).is_none() && mono.glyph_index(ch).is_none() {
                missing.entry(ch).or_insert_with(|| file.clone());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "characters in neither fallback font (re-run python3 crates/fonts/fonts/build_ui_fallback.py): {missing:?}"
    );
}
