//! Customer payment codes (付款码) and the wallets they belong to.
//!
//! A wallet code is classified by its prefix and length before any network call. The table
//! is data ([`CodeTable`]), because Cloud Pay serves the current prefixes and they change;
//! [`CodeTable::default`] holds the published rules.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A mobile wallet Cloud Pay can charge through a payment code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wallet {
    /// WeChat Pay (微信支付).
    #[serde(rename = "wechat")]
    WeChat,
    /// Alipay (支付宝).
    Alipay,
    /// Cloud Pay member card (会员卡).
    MemberCard,
}

impl Wallet {
    /// Every wallet, in display order.
    pub const ALL: [Wallet; 3] = [Wallet::WeChat, Wallet::Alipay, Wallet::MemberCard];

    /// The stable machine name (`wechat`, `alipay`, `member_card`) used in JSON and files.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Wallet::WeChat => "wechat",
            Wallet::Alipay => "alipay",
            Wallet::MemberCard => "member_card",
        }
    }

    /// The name cashiers see (Chinese).
    #[must_use]
    pub const fn display_name(self) -> &'static str {
        match self {
            Wallet::WeChat => "微信支付",
            Wallet::Alipay => "支付宝",
            Wallet::MemberCard => "会员卡",
        }
    }
}

impl fmt::Display for Wallet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A wallet name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown wallet \"{0}\" (expected wechat, alipay or member_card)")]
pub struct UnknownWallet(pub String);

impl FromStr for Wallet {
    type Err = UnknownWallet;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Wallet::ALL
            .into_iter()
            .find(|w| w.as_str() == s)
            .ok_or_else(|| UnknownWallet(s.to_owned()))
    }
}

/// What a code rule recognises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum CodeScheme {
    /// A wallet we can charge.
    Wallet(Wallet),
    /// A scheme we recognise but cannot charge (for instance UnionPay QR codes, which
    /// Cloud Pay does not accept); the name is shown to the cashier.
    Unsupported(String),
}

/// One line of the classification table: codes starting with one of `prefixes` whose
/// length is within `min_len..=max_len` belong to `scheme`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRule {
    /// The scheme this rule recognises.
    pub scheme: CodeScheme,
    /// Leading digits that identify the scheme.
    pub prefixes: Vec<String>,
    /// Shortest valid code, in digits.
    pub min_len: usize,
    /// Longest valid code, in digits.
    pub max_len: usize,
}

/// The configurable prefix/length table used to classify codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeTable {
    /// Rules, tried in order; the first whose prefix matches decides.
    pub rules: Vec<CodeRule>,
}

impl Default for CodeTable {
    /// The published rules: WeChat 10–15 × 18 digits, Alipay 25–30 × 16–24 digits,
    /// member card 99 (length not published: 16–24 accepted), UnionPay 62 × 19 rejected.
    fn default() -> Self {
        let prefixes = |range: std::ops::RangeInclusive<u8>| -> Vec<String> {
            range.map(|p| p.to_string()).collect()
        };
        CodeTable {
            rules: vec![
                CodeRule {
                    scheme: CodeScheme::Wallet(Wallet::WeChat),
                    prefixes: prefixes(10..=15),
                    min_len: 18,
                    max_len: 18,
                },
                CodeRule {
                    scheme: CodeScheme::Wallet(Wallet::Alipay),
                    prefixes: prefixes(25..=30),
                    min_len: 16,
                    max_len: 24,
                },
                CodeRule {
                    scheme: CodeScheme::Wallet(Wallet::MemberCard),
                    prefixes: vec!["99".to_owned()],
                    min_len: 16,
                    max_len: 24,
                },
                CodeRule {
                    scheme: CodeScheme::Unsupported("UnionPay QR (云闪付)".to_owned()),
                    prefixes: vec!["62".to_owned()],
                    min_len: 19,
                    max_len: 19,
                },
            ],
        }
    }
}

/// Why a scanned or typed code cannot be charged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Nothing was scanned.
    #[error("the payment code is empty")]
    Empty,
    /// A character other than a digit.
    #[error("the payment code must be digits only; found '{ch}' at position {position}")]
    NotDigits {
        /// The offending character.
        ch: char,
        /// 1-based position in the trimmed code.
        position: usize,
    },
    /// A recognised scheme we cannot charge.
    #[error("{scheme} codes are not supported; ask the customer for a WeChat Pay or Alipay code")]
    Unsupported {
        /// The scheme's display name.
        scheme: String,
    },
    /// A prefix no rule knows.
    #[error(
        "unrecognised payment code (starts with {prefix}); WeChat codes start with 10–15, Alipay with 25–30"
    )]
    UnknownPrefix {
        /// The first two digits.
        prefix: String,
    },
    /// The right prefix but the wrong number of digits.
    #[error("a {wallet} code has {min}–{max} digits; this one has {len}")]
    BadLength {
        /// The scheme's name.
        wallet: String,
        /// Digits found.
        len: usize,
        /// Fewest allowed.
        min: usize,
        /// Most allowed.
        max: usize,
    },
}

/// A classified customer payment code: digits only, with its wallet.
///
/// `Debug` masks the middle digits; the code is a bearer token for about a minute.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PaymentCode {
    digits: String,
    wallet: Wallet,
}

impl PaymentCode {
    /// The digits to send to Cloud Pay.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.digits
    }

    /// The wallet this code belongs to.
    #[must_use]
    pub const fn wallet(&self) -> Wallet {
        self.wallet
    }

    /// The code with all but the first 4 and last 4 digits hidden, for logs and screens.
    #[must_use]
    pub fn masked(&self) -> String {
        mask_code(&self.digits)
    }
}

/// Masks all but the first 4 and last 4 characters of a code.
#[must_use]
pub fn mask_code(code: &str) -> String {
    let n = code.chars().count();
    if n <= 8 {
        return "*".repeat(n);
    }
    code.chars()
        .enumerate()
        .map(|(i, c)| if i < 4 || i >= n - 4 { c } else { '*' })
        .collect()
}

impl fmt::Debug for PaymentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PaymentCode({}, {})", self.wallet, self.masked())
    }
}

impl CodeTable {
    /// Classifies a scanned or typed code. Surrounding whitespace (a scanner's CR/LF) is
    /// ignored; anything else that is not a digit is an error.
    pub fn classify(&self, raw: &str) -> Result<PaymentCode, CodeError> {
        let code = raw.trim();
        if code.is_empty() {
            return Err(CodeError::Empty);
        }
        if let Some((i, ch)) = code.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            return Err(CodeError::NotDigits {
                ch,
                position: i + 1,
            });
        }
        let rule = self
            .rules
            .iter()
            .find(|r| r.prefixes.iter().any(|p| code.starts_with(p.as_str())))
            .ok_or_else(|| CodeError::UnknownPrefix {
                prefix: code.chars().take(2).collect(),
            })?;
        let wallet = match &rule.scheme {
            CodeScheme::Unsupported(name) => {
                return Err(CodeError::Unsupported {
                    scheme: name.clone(),
                });
            }
            CodeScheme::Wallet(w) => *w,
        };
        let len = code.len();
        if len < rule.min_len || len > rule.max_len {
            return Err(CodeError::BadLength {
                wallet: wallet.display_name().to_owned(),
                len,
                min: rule.min_len,
                max: rule.max_len,
            });
        }
        Ok(PaymentCode {
            digits: code.to_owned(),
            wallet,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn classify(code: &str) -> Result<Wallet, CodeError> {
        CodeTable::default().classify(code).map(|c| c.wallet())
    }

    #[test]
    fn classifies_each_wallet() {
        assert_eq!(classify("134520273825387649"), Ok(Wallet::WeChat));
        assert_eq!(classify("104520273825387600"), Ok(Wallet::WeChat));
        assert_eq!(classify("154520273825387600\r\n"), Ok(Wallet::WeChat));
        assert_eq!(classify("2812345678901234"), Ok(Wallet::Alipay));
        assert_eq!(classify("301234567890123456789012"), Ok(Wallet::Alipay));
        assert_eq!(classify("9912345678901234"), Ok(Wallet::MemberCard));
    }

    #[test]
    fn rejects_with_reasons() {
        assert_eq!(classify(""), Err(CodeError::Empty));
        assert_eq!(classify("  "), Err(CodeError::Empty));
        assert_eq!(
            classify("13452027382538764a"),
            Err(CodeError::NotDigits {
                ch: 'a',
                position: 18
            })
        );
        assert!(matches!(
            classify("6212345678901234567"),
            Err(CodeError::Unsupported { .. })
        ));
        assert_eq!(
            classify("164520273825387649"),
            Err(CodeError::UnknownPrefix {
                prefix: "16".into()
            })
        );
        assert_eq!(
            classify("1345202738253876"),
            Err(CodeError::BadLength {
                wallet: "微信支付".into(),
                len: 16,
                min: 18,
                max: 18
            })
        );
        assert!(matches!(
            classify("281234567890123"),
            Err(CodeError::BadLength { len: 15, .. })
        ));
        assert!(matches!(
            classify("2812345678901234567890123"),
            Err(CodeError::BadLength { len: 25, .. })
        ));
    }

    #[test]
    fn table_is_configurable_data() {
        let mut table = CodeTable::default();
        table.rules.insert(
            0,
            CodeRule {
                scheme: CodeScheme::Wallet(Wallet::WeChat),
                prefixes: vec!["16".into()],
                min_len: 18,
                max_len: 18,
            },
        );
        assert_eq!(
            table.classify("164520273825387649").map(|c| c.wallet()),
            Ok(Wallet::WeChat)
        );
        let json = serde_json::to_string(&table).unwrap();
        let back: CodeTable = serde_json::from_str(&json).unwrap();
        assert_eq!(back, table);
    }

    #[test]
    fn debug_masks_the_code() {
        let code = CodeTable::default().classify("134520273825387649").unwrap();
        assert_eq!(
            format!("{code:?}"),
            "PaymentCode(wechat, 1345**********7649)"
        );
        assert_eq!(mask_code("1234"), "****");
    }

    #[test]
    fn wallet_names_round_trip() {
        for w in Wallet::ALL {
            assert_eq!(w.as_str().parse::<Wallet>(), Ok(w));
            assert_eq!(
                serde_json::to_string(&w).unwrap(),
                format!("\"{}\"", w.as_str())
            );
        }
        assert!("unionpay".parse::<Wallet>().is_err());
    }

    proptest! {
        #[test]
        fn any_wechat_shaped_code_is_wechat(prefix in 10u8..=15, rest in "[0-9]{16}") {
            let code = format!("{prefix}{rest}");
            prop_assert_eq!(classify(&code), Ok(Wallet::WeChat));
        }

        #[test]
        fn any_alipay_shaped_code_is_alipay(prefix in 25u8..=30, rest in "[0-9]{14,22}") {
            let code = format!("{prefix}{rest}");
            prop_assert_eq!(classify(&code), Ok(Wallet::Alipay));
        }

        #[test]
        fn classifier_never_panics(text in "\\PC{0,40}") {
            let _ = CodeTable::default().classify(&text);
        }
    }
}
