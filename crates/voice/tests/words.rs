//! Amounts in words, checked against an independent reading of the rules (every amount up to
//! 200,000 yuan, and random ones up to 10¹⁶ yuan) and against the number parser of the
//! `chinese-number` crate.

use chinese_number::{ChineseCountMethod, ChineseToNumber};
use cloudpos_domain::money::Money;
use cloudpos_voice::{Clip, amount_clips, amount_text};
use proptest::prelude::*;

/// 10¹⁶ yuan in fen: the reference reads whole yuan below it.
const MAX_FEN: u64 = 10_u64.pow(18);

const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// 1–9999 as it is read inside a larger number (一十 kept, one 零 per run of inner zeros,
/// trailing zeros silent).
fn section(n: u64) -> String {
    let mut out = String::new();
    let mut zero = false;
    let mut started = false;
    for (div, unit) in [(1000, "千"), (100, "百"), (10, "十"), (1, "")] {
        let d = (n / div) % 10;
        if d == 0 {
            zero |= started;
        } else {
            if zero {
                out.push('零');
                zero = false;
            }
            out.push_str(DIGITS[usize::try_from(d).unwrap()]);
            out.push_str(unit);
            started = true;
        }
    }
    out
}

/// Below 10⁸: `X万Y`, with 零 when Y does not fill its thousands place.
fn below_yi(n: u64) -> String {
    let (wan, rest) = (n / 1_0000, n % 1_0000);
    if wan == 0 {
        return section(rest);
    }
    let mut out = section(wan) + "万";
    if rest > 0 {
        if rest < 1000 {
            out.push('零');
        }
        out.push_str(&section(rest));
    }
    out
}

/// The reference reading of whole yuan below 10¹⁶: `X亿Y`, X and Y below 10⁸, read as above.
fn reference_yuan(n: u64) -> String {
    if n == 0 {
        return "零".into();
    }
    let (yi, rest) = (n / 1_0000_0000, n % 1_0000_0000);
    let out = if yi == 0 {
        below_yi(rest)
    } else {
        let mut out = below_yi(yi) + "亿";
        if rest > 0 {
            if rest < 1000_0000 {
                out.push('零');
            }
            out.push_str(&below_yi(rest));
        }
        out
    };
    // 十 alone at the very start: 十, 十五, 十万; never 一十 at the start.
    match out.strip_prefix("一十") {
        Some(rest) => format!("十{rest}"),
        None => out,
    }
}

fn reference(fen: u64) -> String {
    let (yuan, jiao, f) = (fen / 100, fen / 10 % 10, fen % 10);
    let mut out = reference_yuan(yuan);
    if jiao != 0 || f != 0 {
        out.push('点');
        out.push_str(DIGITS[usize::try_from(jiao).unwrap()]);
        if f != 0 {
            out.push_str(DIGITS[usize::try_from(f).unwrap()]);
        }
    }
    out.push('元');
    out
}

fn words(fen: u64) -> String {
    amount_text(Money::from_fen(i64::try_from(fen).unwrap())).unwrap()
}

#[test]
fn the_reference_agrees_with_the_issue() {
    assert_eq!(reference(1_000_560), "一万零五点六元");
    assert_eq!(reference(5), "零点零五元");
    assert_eq!(reference(1_000), "十元");
    assert_eq!(reference(10_000_000_000), "一亿元");
    assert_eq!(reference(101_000), "一千零一十元");
}

#[test]
fn every_whole_amount_up_to_200000_yuan() {
    for yuan in 0..=200_000_u64 {
        assert_eq!(words(yuan * 100), reference(yuan * 100), "{yuan} yuan");
    }
}

#[test]
fn every_fraction_of_a_few_amounts() {
    for yuan in [0_u64, 1, 10, 19, 100, 1_010, 10_005, 100_000_000] {
        for fen in 0..100 {
            let total = yuan * 100 + fen;
            assert_eq!(words(total), reference(total), "{total} fen");
        }
    }
}

/// The words of the yuan (before 点 or 元), parsed back by `chinese-number`.
fn parse_yuan(text: &str) -> u64 {
    let yuan = text.split(['点', '元']).next().unwrap();
    yuan.to_number(ChineseCountMethod::Middle).unwrap()
}

proptest! {
    #[test]
    fn agrees_with_the_reference(fen in 0_u64..MAX_FEN) {
        prop_assert_eq!(words(fen), reference(fen));
    }

    #[test]
    fn reads_back_to_the_same_yuan(fen in 0_u64..MAX_FEN) {
        prop_assert_eq!(parse_yuan(&words(fen)), fen / 100);
    }

    #[test]
    fn well_formed(fen in 0_i64..=i64::MAX) {
        let clips = amount_clips(Money::from_fen(fen)).unwrap();
        let text = amount_text(Money::from_fen(fen)).unwrap();
        prop_assert_eq!(clips.last(), Some(&Clip::Yuan));
        prop_assert!(!clips.iter().any(|c| c.is_phrase()));
        prop_assert!(!text.contains("零零"));
        prop_assert!(!text.starts_with("一十"));
        prop_assert!(!text.contains("零元") || text == "零元");
        prop_assert!(!text.contains("零点") || text.starts_with("零点"));
        prop_assert_eq!(text.contains('点'), fen % 100 != 0);
    }
}
