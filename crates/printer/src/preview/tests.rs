//! Unit tests of `preview`.

use super::*;

fn opts() -> PreviewOptions {
    PreviewOptions::for_width(PaperWidth::Mm58)
}

#[test]
fn text_lines_and_wrapping() {
    let mut bytes = b"\x1b@\x1c&Hello\n".to_vec();
    let (gbk, _, _) = encoding_rs::GB18030.encode("中文");
    bytes.extend_from_slice(&gbk);
    bytes.push(b'\n');
    bytes.extend_from_slice(&[b'x'; 40]);
    bytes.push(b'\n');
    bytes.extend_from_slice(b"not printed without LF");
    let (img, d) = decode(&bytes, &opts());
    assert_eq!(
        d.lines,
        vec!["Hello", "中文", &"x".repeat(32), &"x".repeat(8)]
    );
    assert_eq!(img.width(), 384);
    assert_eq!(img.height(), 4 * 30);
}

#[test]
fn never_panics_on_truncated_commands() {
    let cmds: [&[u8]; 12] = [
        b"\x1b",
        b"\x1d",
        b"\x1c",
        b"\x10",
        b"\x1d(k",
        b"\x1d(k\xff\xff",
        b"\x1dk",
        b"\x1dkI",
        b"\x1dkI\x05ab",
        b"\x1dv0\x00\xff\xff\xff\xff",
        b"\x1d8L\xff\xff\xff\xff",
        b"\xb0",
    ];
    for c in cmds {
        for cut in 0..=c.len() {
            let _ = decode(&c[..cut], &opts());
        }
    }
    // A huge feed stops at the height limit.
    let feeds: Vec<u8> = b"\x1bd\xff".repeat(10_000);
    let (img, _) = decode(&feeds, &opts());
    assert_eq!(img.height() as usize, MAX_HEIGHT);
}
