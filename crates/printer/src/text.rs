//! Text as the printer's font sees it: which characters it can print, how many columns each
//! takes, and line wrapping.
//!
//! In Chinese mode an ESC/POS printer prints every printable ASCII byte as a half-width cell
//! (12 dots) and every multi-byte code as a full-width cell (24 dots), whatever Unicode's
//! East Asian Width says (`·`, `×` and `“` are ambiguous-width in Unicode but full-width on
//! the printer). So a character is 1 column if it is printable ASCII and 2 otherwise;
//! characters the code page cannot encode, or the printer's font cannot be expected to
//! have (emoji, supplementary planes), become `?`, and zero-width characters (combining
//! marks, joiners, controls; found with `unicode-width`) are dropped before measuring.

use unicode_width::UnicodeWidthChar;

use crate::settings::CodePage;

/// What the printer will print for `c`: the character itself, a substitute, or nothing.
#[must_use]
pub fn printable(c: char, code_page: CodePage) -> Option<char> {
    match c {
        '\t' | '\n' | '\r' | '\u{3000}' if code_page == CodePage::Ascii => return Some(' '),
        '\t' | '\n' | '\r' => return Some(' '),
        ' '..='~' => return Some(c),
        _ => {}
    }
    match c.width() {
        None | Some(0) => return None,
        Some(_) => {}
    }
    let Some(enc) = code_page.encoding() else {
        return Some(substitute_ascii(c));
    };
    let mut buf = [0u8; 4];
    let s = c.encode_utf8(&mut buf);
    let (bytes, _, unmappable) = enc.encode(s);
    if unmappable {
        return Some('?');
    }
    match bytes.len() {
        2 => Some(c),
        // GB18030 four-byte codes: only CJK Extension A is in the printers' fonts.
        4 if ('\u{3400}'..='\u{4DBF}').contains(&c) => Some(c),
        _ => Some('?'),
    }
}

/// A close ASCII stand-in for printers without a Chinese font.
fn substitute_ascii(c: char) -> char {
    match c {
        '，' => ',',
        '。' => '.',
        '：' => ':',
        '（' => '(',
        '）' => ')',
        '￥' | '¥' => 'Y',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or('?'),
        _ => '?',
    }
}

/// Columns `c` takes on the printer (after [`printable`]): 1 for ASCII, 2 otherwise.
#[must_use]
pub fn char_columns(c: char) -> usize {
    if c.is_ascii() { 1 } else { 2 }
}

/// `text` with every character replaced by what the printer prints (see [`printable`]).
#[must_use]
pub fn sanitize(text: &str, code_page: CodePage) -> String {
    text.chars()
        .filter_map(|c| printable(c, code_page))
        .collect()
}

/// Columns of already sanitized text.
#[must_use]
pub fn columns(text: &str) -> usize {
    text.chars().map(char_columns).sum()
}

/// Characters that must not start a line (Chinese line-breaking rules).
const NO_START: &str = "），。、；：！？】」』〉》〕…”’·";
/// Characters that must not end a line.
const NO_END: &str = "（【「『〈《〔“‘";

/// Splits sanitized `text` into lines of at most `width` columns (at least one line, possibly
/// empty). Breaks after a space when a Latin word would be cut, and anywhere in CJK text; a
/// character wider than the line (a full-width character in a 1-column line) stands alone.
#[must_use]
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line: Vec<char> = Vec::new();
    let mut used = 0;
    for c in text.chars() {
        let w = char_columns(c);
        if used + w > width && !line.is_empty() {
            // Prefer to break at the last space if we are inside a Latin word.
            let mut carry = Vec::new();
            if c != ' '
                && c.is_ascii()
                && let Some(pos) = line.iter().rposition(|&x| x == ' ')
                && line[pos + 1..].iter().all(char::is_ascii_alphanumeric)
                && pos + 1 < line.len()
            {
                carry = line.split_off(pos + 1);
                line.pop();
            } else if line.len() > 1 && NO_START.contains(c) {
                // Closing punctuation never starts a line: take the character before along.
                carry = line.split_off(line.len() - 1);
            }
            // Opening brackets never end a line.
            while line.len() > 1 && line.last().is_some_and(|&x| NO_END.contains(x)) {
                if let Some(x) = line.pop() {
                    carry.insert(0, x);
                }
            }
            // The moved characters and `c` must fit the next line; otherwise break plainly.
            if carry.iter().copied().map(char_columns).sum::<usize>() + w > width {
                line.append(&mut carry);
            }
            let done: String = line.iter().collect();
            lines.push(done.trim_end().to_owned());
            line = carry;
            used = line.iter().copied().map(char_columns).sum();
            if c == ' ' && line.is_empty() {
                continue;
            }
        }
        line.push(c);
        used += w;
    }
    let last: String = line.iter().collect();
    if !last.is_empty() || lines.is_empty() {
        lines.push(last.trim_end().to_owned());
    }
    lines
}

/// `text` padded with spaces to `width` columns on the left (right-aligned).
#[must_use]
pub fn pad_left(text: &str, width: usize) -> String {
    let w = columns(text);
    format!("{}{text}", " ".repeat(width.saturating_sub(w)))
}

/// `text` padded with spaces to `width` columns on the right.
#[must_use]
pub fn pad_right(text: &str, width: usize) -> String {
    let w = columns(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_the_printer() {
        let cp = CodePage::Gb18030;
        assert_eq!(sanitize("可乐 Cola×2·", cp), "可乐 Cola×2·");
        assert_eq!(
            columns(&sanitize("可乐 Cola×2·", cp)),
            4 + 1 + 4 + 2 + 1 + 2
        );
        assert_eq!(sanitize("e\u{301}😀\u{200d}\u{7}", cp), "e?");
        assert_eq!(sanitize("㐀𠮷", cp), "㐀?");
        assert_eq!(sanitize("㐀", CodePage::Gbk), "?");
        assert_eq!(sanitize("￥12，好", CodePage::Ascii), "Y12,?");
        assert_eq!(sanitize("體", CodePage::Big5), "體");
    }

    #[test]
    fn wraps_cjk_and_words() {
        assert_eq!(wrap("一二三四五", 4), vec!["一二", "三四", "五"]);
        assert_eq!(wrap("一二三四五", 5), vec!["一二", "三四", "五"]);
        assert_eq!(wrap("hello big world", 10), vec!["hello big", "world"]);
        assert_eq!(wrap("abcdefghijkl", 5), vec!["abcde", "fghij", "kl"]);
        assert_eq!(wrap("", 5), vec![""]);
        assert_eq!(wrap("中", 1), vec!["中"]);
        assert_eq!(wrap("ab 中文字", 4), vec!["ab", "中文", "字"]);
        // No closing punctuation at a line start, no opening bracket at a line end.
        assert_eq!(wrap("一二三。", 6), vec!["一二", "三。"]);
        assert_eq!(wrap("一二（三）", 6), vec!["一二", "（三）"]);
    }
}
