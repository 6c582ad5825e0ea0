//! CODE128 as ESC/POS sends it (`GS k 73 n d1…dn`, the `{A`/`{B`/`{C` code-set notation)
//! and as bars (for the preview and for checking that a barcode fits the paper).

/// Bar/space widths of symbol values 0–105 (six elements) and the stop symbol 106 (seven).
const PATTERNS: [&str; 107] = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212",
    "221213", "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221",
    "223211", "221132", "221231", "213212", "223112", "312131", "311222", "321122", "321221",
    "312212", "322112", "322211", "212123", "212321", "232121", "111323", "131123", "131321",
    "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331", "132131",
    "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131",
    "311123", "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", "111242",
    "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
];

const START_A: u8 = 103;
const START_B: u8 = 104;
const START_C: u8 = 105;
const STOP: u8 = 106;

/// The ESC/POS `GS k 73` data for `text` (printable ASCII only), choosing code set C for
/// runs of four or more digits and B elsewhere, or `None` if a character cannot be encoded.
#[must_use]
pub fn escpos_data(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    if b.is_empty() || !b.iter().all(|c| (32..=126).contains(c)) {
        return None;
    }
    let mut out = Vec::new();
    let mut in_c: Option<bool> = None;
    let mut i = 0;
    while i < b.len() {
        let run = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let whole = i == 0 && run == b.len();
        if run >= 4 || (whole && run >= 2 && run % 2 == 0) {
            // An odd run starts with one digit in code B (unless B is not yet chosen).
            if run % 2 == 1 {
                if in_c != Some(false) {
                    out.extend_from_slice(b"{B");
                    in_c = Some(false);
                }
                out.push(b[i]);
                i += 1;
            }
            let even = b[i..].iter().take_while(|c| c.is_ascii_digit()).count() / 2 * 2;
            if in_c != Some(true) {
                out.extend_from_slice(b"{C");
                in_c = Some(true);
            }
            for pair in b[i..i + even].chunks(2) {
                out.push((pair[0] - b'0') * 10 + (pair[1] - b'0'));
            }
            i += even;
        } else {
            if in_c != Some(false) {
                out.extend_from_slice(b"{B");
                in_c = Some(false);
            }
            if b[i] == b'{' {
                out.extend_from_slice(b"{{");
            } else {
                out.push(b[i]);
            }
            i += 1;
        }
    }
    u8::try_from(out.len()).ok().map(|_| out)
}

/// A parsed CODE128 symbol: values from the start code to the stop code (checksum
/// included), and the human-readable text printed under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    /// Symbol values: start, data, checksum, stop.
    pub values: Vec<u8>,
    /// Human-readable interpretation.
    pub text: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Set {
    A,
    B,
    C,
}

/// Parses `GS k 73` data the way a printer does; `None` if it is not valid CODE128 data.
#[must_use]
pub fn parse_escpos(data: &[u8]) -> Option<Symbol> {
    let (start, mut set) = match data {
        [b'{', b'A', ..] => (START_A, Set::A),
        [b'{', b'B', ..] => (START_B, Set::B),
        [b'{', b'C', ..] => (START_C, Set::C),
        _ => return None,
    };
    let mut values = vec![start];
    let mut text = String::new();
    let mut i = 2;
    while i < data.len() {
        let c = data[i];
        if c == b'{' {
            let n = *data.get(i + 1)?;
            i += 2;
            let v = match (n, set) {
                (b'A', Set::A) | (b'B', Set::B) | (b'C', Set::C) => return None,
                (b'A', _) => {
                    set = Set::A;
                    101
                }
                (b'B', _) => {
                    set = Set::B;
                    100
                }
                (b'C', _) => {
                    set = Set::C;
                    99
                }
                (b'S', Set::A | Set::B) => 98,
                (b'1', _) => 102,
                (b'2', Set::A | Set::B) => 97,
                (b'3', Set::A | Set::B) => 96,
                (b'4', Set::A) => 101,
                (b'4', Set::B) => 100,
                (b'{', Set::B) => {
                    text.push('{');
                    91
                }
                _ => return None,
            };
            values.push(v);
            continue;
        }
        let v = match set {
            Set::A if c < 32 => c + 64,
            Set::A if c < 96 => c - 32,
            Set::B if (32..128).contains(&c) => c - 32,
            Set::C if c < 100 => c,
            _ => return None,
        };
        match set {
            Set::C => text.push_str(&format!("{c:02}")),
            _ if (32..127).contains(&c) => text.push(char::from(c)),
            _ => text.push(' '),
        }
        values.push(v);
        i += 1;
    }
    if values.len() < 2 {
        return None;
    }
    let sum: u32 = values
        .iter()
        .enumerate()
        .map(|(k, &v)| u32::from(v) * u32::try_from(k.max(1)).unwrap_or(1))
        .sum();
    values.push(u8::try_from(sum % 103).unwrap_or(0));
    values.push(STOP);
    Some(Symbol { values, text })
}

impl Symbol {
    /// Modules (narrowest bar widths) from the first bar to the last.
    #[must_use]
    pub fn module_count(&self) -> usize {
        self.values.len().saturating_sub(1) * 11 + 13
    }

    /// The bars: `true` for black, one entry per module.
    #[must_use]
    pub fn modules(&self) -> Vec<bool> {
        let mut out = Vec::with_capacity(self.module_count());
        for &v in &self.values {
            let pattern = PATTERNS[usize::from(v.min(STOP))];
            for (k, w) in pattern.bytes().enumerate() {
                let black = k % 2 == 0;
                out.extend(std::iter::repeat_n(black, usize::from(w - b'0')));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_well_formed() {
        for (v, p) in PATTERNS.iter().enumerate() {
            let sum: u32 = p.bytes().map(|b| u32::from(b - b'0')).sum();
            assert_eq!(sum, if v == 106 { 13 } else { 11 }, "value {v}");
        }
    }

    #[test]
    fn chooses_code_sets() {
        assert_eq!(escpos_data("AB12").unwrap(), b"{BAB12");
        assert_eq!(escpos_data("1234").unwrap(), b"{C\x0c\x22");
        assert_eq!(escpos_data("12").unwrap(), b"{C\x0c");
        assert_eq!(escpos_data("POS112345").unwrap(), b"{BPOS{C\x0b\x17\x2d");
        assert_eq!(
            escpos_data("123456789X").unwrap(),
            b"{B1{C\x17\x2d\x43\x59{BX"
        );
        assert_eq!(escpos_data("a{b").unwrap(), b"{Ba{{b");
        assert!(escpos_data("中").is_none());
        assert!(escpos_data("").is_none());
    }

    #[test]
    fn round_trips_text_and_checksum() {
        for t in ["1234567890", "CP01POS1261122132218 0001", "a{b", "X", "99"] {
            let sym = parse_escpos(&escpos_data(t).unwrap()).unwrap();
            assert_eq!(sym.text, t);
            assert_eq!(sym.modules().len(), sym.module_count());
        }
        // 104 + 48 + 2·42 + 3·42 + 4·17 + 5·18 + 6·19 + 7·35 = 879 ≡ 55 (mod 103).
        let sym = parse_escpos(b"{BPJJ123C").unwrap();
        assert_eq!(sym.values[sym.values.len() - 2], 55);
        assert!(parse_escpos(b"PJJ").is_none());
        assert!(parse_escpos(b"{C\xff").is_none());
        assert!(parse_escpos(b"{B{").is_none());
    }

    /// Our bars equal those of the `barcoders` crate for the same code-set choices.
    #[test]
    fn bars_match_barcoders() {
        for t in [
            "PJJ123C",
            "1234567890",
            "CP01POS12611221322180001",
            "Az09 {x}",
            "7",
        ] {
            let data = escpos_data(t).unwrap();
            // Translate the ESC/POS notation into barcoders' (À/Ɓ/Ć switch characters).
            let mut s = String::new();
            let mut i = 0;
            let mut in_c = false;
            while i < data.len() {
                if data[i] == b'{' && data[i + 1] != b'{' {
                    in_c = data[i + 1] == b'C';
                    s.push(if in_c { 'Ć' } else { 'Ɓ' });
                    i += 2;
                } else if data[i] == b'{' {
                    s.push('{');
                    i += 2;
                } else if in_c {
                    s.push_str(&format!("{:02}", data[i]));
                    i += 1;
                } else {
                    s.push(char::from(data[i]));
                    i += 1;
                }
            }
            let theirs = barcoders::sym::code128::Code128::new(&s).unwrap().encode();
            let ours: Vec<u8> = parse_escpos(&data)
                .unwrap()
                .modules()
                .into_iter()
                .map(u8::from)
                .collect();
            assert_eq!(ours, theirs, "{t}");
        }
    }
}
