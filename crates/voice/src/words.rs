//! Amounts read the Chinese way, as payment speakers read them: 10,005.60 → 一万零五点六元.
//!
//! The rules (integer fen in, never a float):
//! - The yuan are read as a Chinese number by the `chinese-number` crate, counting in 万 and
//!   亿 (its "middle" method: 万亿 for 10¹², never 兆; beyond 10¹⁶, which no payment reaches, 亿亿).
//!   A run of zeros inside is one 零 (1,000,010 → 一百万零一十); trailing zeros are silent
//!   (100,000,000 → 一亿).
//! - 十 alone at the start, 一十 inside: 10 → 十, 15 → 十五, 110 → 一百一十,
//!   1,010 → 一千零一十. That is how people and payment speakers say it; "一十元" sounds
//!   like a cheque being read out.
//! - 二, not 两 (二百, 二千): the formal reading, unambiguous in a short clip.
//! - 角 and 分 are read as decimals after 点, trailing zeros dropped: .60 → 点六,
//!   .05 → 点零五, .00 → nothing. Speakers say "十二点三四元", not "十二元三角四分".
//! - No yuan at all is 零: 0.05 → 零点零五元; nothing at all is 零元.

use chinese_number::{ChineseCase, ChineseCountMethod, ChineseVariant, NumberToChinese};
use cloudpos_domain::money::Money;

use crate::clip::Clip;
use crate::error::VoiceError;

/// The clips of an amount, ending with 元.
pub fn amount_clips(amount: Money) -> Result<Vec<Clip>, VoiceError> {
    let fen = u64::try_from(amount.fen()).map_err(|_| VoiceError::Negative(amount))?;
    let (yuan, jiao, fen) = (fen / 100, (fen / 10) % 10, fen % 10);
    let words = yuan
        .to_chinese(
            ChineseVariant::Simple,
            ChineseCase::Lower,
            ChineseCountMethod::Middle,
        )
        .map_err(|e| VoiceError::Words(format!("{amount}: {e}")))?
        // In the middle method 兆 is 10¹⁶ = 亿亿, which is how Mandarin says it today.
        .replace('兆', "亿亿");
    let mut clips = words
        .chars()
        .map(|c| {
            Clip::of_number_char(c)
                .ok_or_else(|| VoiceError::Words(format!("{amount}: no clip for \"{c}\"")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let digit = |d: u64| Clip::DIGITS[usize::try_from(d).unwrap_or(0)];
    if jiao != 0 || fen != 0 {
        clips.push(Clip::Point);
        clips.push(digit(jiao));
        if fen != 0 {
            clips.push(digit(fen));
        }
    }
    clips.push(Clip::Yuan);
    Ok(clips)
}

/// An amount in words: `一万零五点六元`.
pub fn amount_text(amount: Money) -> Result<String, VoiceError> {
    Ok(crate::clip::text_of(&amount_clips(amount)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(yuan: &str) -> String {
        amount_text(Money::parse_yuan(yuan).unwrap()).unwrap()
    }

    #[test]
    fn the_issue_s_amounts() {
        assert_eq!(words("10005.60"), "一万零五点六元");
        assert_eq!(words("0.05"), "零点零五元");
        assert_eq!(words("10.00"), "十元");
        assert_eq!(words("100000000.00"), "一亿元");
        assert_eq!(words("12.34"), "十二点三四元");
        assert_eq!(words("0.10"), "零点一元");
        assert_eq!(words("1010.00"), "一千零一十元");
    }

    #[test]
    fn tricky_amounts() {
        let cases = [
            ("0", "零元"),
            ("0.01", "零点零一元"),
            ("0.5", "零点五元"),
            ("1", "一元"),
            ("2", "二元"),
            ("10.5", "十点五元"),
            ("15", "十五元"),
            ("20", "二十元"),
            ("100", "一百元"),
            ("101", "一百零一元"),
            ("110", "一百一十元"),
            ("200", "二百元"),
            ("1001", "一千零一元"),
            ("2000", "二千元"),
            ("10000", "一万元"),
            ("10010", "一万零一十元"),
            ("100000", "十万元"),
            ("110000", "十一万元"),
            ("1000010", "一百万零一十元"),
            ("10000001", "一千万零一元"),
            ("100010000", "一亿零一万元"),
            ("100000001.01", "一亿零一点零一元"),
            ("1000000000000", "一万亿元"),
            ("10000000000000000", "一亿亿元"),
            ("9999.99", "九千九百九十九点九九元"),
        ];
        for (yuan, expected) in cases {
            assert_eq!(words(yuan), expected, "{yuan}");
        }
    }

    #[test]
    fn the_largest_amount_is_read_without_a_gap() {
        assert_eq!(
            amount_text(Money::from_fen(i64::MAX)).unwrap(),
            "九亿亿二千二百三十三万七千二百零三亿六千八百五十四万七千七百五十八点零七元"
        );
    }

    #[test]
    fn a_negative_amount_is_refused() {
        assert!(matches!(
            amount_clips(Money::from_fen(-1)),
            Err(VoiceError::Negative(_))
        ));
    }
}
