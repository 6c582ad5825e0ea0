//! Lenient amount normaliser, same rules as `amount_fen` in
//! tools/ocr-train/ocrtrain/texts.py: full-width -> half-width, drop spaces,
//! strip prefixes (合计 应收 实收 总计 金额 RMB CNY ¥ :), optional '-' before or
//! after the prefix, suffix 元, thousands separators only when well-formed,
//! then a strict yuan parse with at most 2 decimals. Returns fen.

fn nfkc_min(c: char) -> char {
    match c {
        '￥' => '¥',
        '：' => ':',
        '，' => ',',
        '．' => '.',
        '－' => '-',
        '\u{3000}' => ' ',
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap(),
        _ => c,
    }
}

const PREFIXES: [&str; 9] = ["合计", "应收", "实收", "总计", "金额", "RMB", "CNY", "¥", ":"];

fn strip_prefixes(mut s: &str) -> &str {
    loop {
        match PREFIXES.iter().find(|p| s.starts_with(*p)) {
            Some(p) => s = &s[p.len()..],
            None => return s,
        }
    }
}

pub fn amount_fen(text: &str) -> Option<i64> {
    let owned: String = text.chars().map(nfkc_min).filter(|c| *c != ' ').collect();
    let mut s = owned.as_str();
    let mut neg = false;
    if let Some(r) = s.strip_prefix('-') {
        neg = true;
        s = r;
    }
    s = strip_prefixes(s);
    if let Some(r) = s.strip_prefix('-') {
        if neg {
            return None;
        }
        neg = true;
        s = strip_prefixes(r);
    }
    s = s.strip_suffix('元').unwrap_or(s);
    let (int_part, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    // integer part: plain digits, or 1-3 digits followed by ",ddd" groups
    if int_part.is_empty() {
        return None;
    }
    let groups: Vec<&str> = int_part.split(',').collect();
    if groups.len() > 1 {
        if groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3) {
            return None;
        }
    }
    if !groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let digits: String = groups.concat();
    if digits.len() > 15 {
        return None;
    }
    let ip: i64 = digits.parse().ok()?;
    let fen_frac = match frac {
        None => 0,
        Some(f) if (1..=2).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()) => {
            let v: i64 = f.parse().ok()?;
            if f.len() == 1 {
                v * 10
            } else {
                v
            }
        }
        _ => return None,
    };
    let fen = ip * 100 + fen_frac;
    Some(if neg { -fen } else { fen })
}

/// Serial number without its prefix (单号 / 流水号 / No.), optional ':' and spaces.
pub fn serial_core(text: &str) -> String {
    let owned: String = text.chars().map(nfkc_min).filter(|c| *c != ' ').collect();
    let mut s = owned.as_str();
    for p in ["单号", "流水号", "No."] {
        if let Some(r) = s.strip_prefix(p) {
            s = r.strip_prefix(':').unwrap_or(r);
            break;
        }
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parses() {
        assert_eq!(amount_fen("合计：¥1,234.50元"), Some(123450));
        assert_eq!(amount_fen("-¥5.00"), Some(-500));
        assert_eq!(amount_fen("¥-5.00"), Some(-500));
        assert_eq!(amount_fen("0.01"), Some(1));
        assert_eq!(amount_fen("88"), Some(8800));
        assert_eq!(amount_fen("RMB 88.0"), Some(8800));
        assert_eq!(amount_fen("12,34"), None);
        assert_eq!(amount_fen("88."), None);
        assert_eq!(amount_fen("1,2345.00"), None);
        assert_eq!(amount_fen("1.234"), None);
        assert_eq!(amount_fen("总计-¥36.51"), Some(-3651));
        assert_eq!(serial_core("流水号: A-12/3"), "A-12/3");
    }
}
