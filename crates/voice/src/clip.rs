//! The units an announcement is joined from: one recorded clip each (`clips/<name>.wav`).

/// One clip: a digit, a scale word, the point, 元, or an opening phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Clip {
    /// 零
    Zero,
    /// 一
    One,
    /// 二
    Two,
    /// 三
    Three,
    /// 四
    Four,
    /// 五
    Five,
    /// 六
    Six,
    /// 七
    Seven,
    /// 八
    Eight,
    /// 九
    Nine,
    /// 十
    Ten,
    /// 百
    Hundred,
    /// 千
    Thousand,
    /// 万
    TenThousand,
    /// 亿
    HundredMillion,
    /// 点
    Point,
    /// 元
    Yuan,
    /// 微信收款
    WeChat,
    /// 支付宝收款
    Alipay,
    /// 会员卡消费
    MemberCard,
    /// 会员充值
    Recharge,
    /// 现金收款
    Cash,
    /// 收款
    Received,
    /// 支付失败
    Failed,
    /// 支付已撤销
    Reversed,
}

impl Clip {
    /// Every clip (each has a file in `clips/`).
    pub const ALL: [Clip; 25] = [
        Clip::Zero,
        Clip::One,
        Clip::Two,
        Clip::Three,
        Clip::Four,
        Clip::Five,
        Clip::Six,
        Clip::Seven,
        Clip::Eight,
        Clip::Nine,
        Clip::Ten,
        Clip::Hundred,
        Clip::Thousand,
        Clip::TenThousand,
        Clip::HundredMillion,
        Clip::Point,
        Clip::Yuan,
        Clip::WeChat,
        Clip::Alipay,
        Clip::MemberCard,
        Clip::Recharge,
        Clip::Cash,
        Clip::Received,
        Clip::Failed,
        Clip::Reversed,
    ];

    /// The digits 零 to 九, by value.
    pub const DIGITS: [Clip; 10] = [
        Clip::Zero,
        Clip::One,
        Clip::Two,
        Clip::Three,
        Clip::Four,
        Clip::Five,
        Clip::Six,
        Clip::Seven,
        Clip::Eight,
        Clip::Nine,
    ];

    /// The file name without `.wav` (as in `tools/voice-clips/clips.tsv`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Clip::Zero => "d0",
            Clip::One => "d1",
            Clip::Two => "d2",
            Clip::Three => "d3",
            Clip::Four => "d4",
            Clip::Five => "d5",
            Clip::Six => "d6",
            Clip::Seven => "d7",
            Clip::Eight => "d8",
            Clip::Nine => "d9",
            Clip::Ten => "shi",
            Clip::Hundred => "bai",
            Clip::Thousand => "qian",
            Clip::TenThousand => "wan",
            Clip::HundredMillion => "yi",
            Clip::Point => "dian",
            Clip::Yuan => "yuan",
            Clip::WeChat => "wechat",
            Clip::Alipay => "alipay",
            Clip::MemberCard => "member_card",
            Clip::Recharge => "recharge",
            Clip::Cash => "cash",
            Clip::Received => "received",
            Clip::Failed => "failed",
            Clip::Reversed => "reversed",
        }
    }

    /// What the clip says.
    #[must_use]
    pub const fn text(self) -> &'static str {
        match self {
            Clip::Zero => "零",
            Clip::One => "一",
            Clip::Two => "二",
            Clip::Three => "三",
            Clip::Four => "四",
            Clip::Five => "五",
            Clip::Six => "六",
            Clip::Seven => "七",
            Clip::Eight => "八",
            Clip::Nine => "九",
            Clip::Ten => "十",
            Clip::Hundred => "百",
            Clip::Thousand => "千",
            Clip::TenThousand => "万",
            Clip::HundredMillion => "亿",
            Clip::Point => "点",
            Clip::Yuan => "元",
            Clip::WeChat => "微信收款",
            Clip::Alipay => "支付宝收款",
            Clip::MemberCard => "会员卡消费",
            Clip::Recharge => "会员充值",
            Clip::Cash => "现金收款",
            Clip::Received => "收款",
            Clip::Failed => "支付失败",
            Clip::Reversed => "支付已撤销",
        }
    }

    /// The clip of one character of a number (零–九, 十, 百, 千, 万, 亿, 点, 元).
    #[must_use]
    pub fn of_number_char(c: char) -> Option<Clip> {
        Clip::ALL[..17]
            .iter()
            .copied()
            .find(|clip| clip.text().chars().eq([c]))
    }

    /// The clip of an opening phrase (微信收款, 支付失败, …).
    #[must_use]
    pub fn of_phrase(phrase: &str) -> Option<Clip> {
        Clip::ALL[17..]
            .iter()
            .copied()
            .find(|clip| clip.text() == phrase)
    }

    /// Whether this is an opening phrase rather than part of an amount.
    #[must_use]
    pub const fn is_phrase(self) -> bool {
        matches!(
            self,
            Clip::WeChat
                | Clip::Alipay
                | Clip::MemberCard
                | Clip::Recharge
                | Clip::Cash
                | Clip::Received
                | Clip::Failed
                | Clip::Reversed
        )
    }
}

/// The text of a sequence of clips, as it is heard: `微信收款一万零五点六元`.
#[must_use]
pub fn text_of(clips: &[Clip]) -> String {
    clips.iter().map(|c| c.text()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_characters_map_back() {
        let mut names: Vec<_> = Clip::ALL.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Clip::ALL.len());
        for c in Clip::ALL {
            let chars: Vec<char> = c.text().chars().collect();
            if c.is_phrase() {
                assert_eq!(Clip::of_phrase(c.text()), Some(c));
                assert_eq!(Clip::of_number_char(chars[0]), None, "{c:?}");
            } else {
                assert_eq!(chars.len(), 1);
                assert_eq!(Clip::of_number_char(chars[0]), Some(c));
                assert_eq!(Clip::of_phrase(c.text()), None);
            }
        }
        for (value, digit) in Clip::DIGITS.iter().enumerate() {
            assert_eq!(digit.name(), format!("d{value}"));
        }
        assert_eq!(Clip::of_number_char('两'), None);
    }
}
