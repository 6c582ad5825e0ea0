//! Key settings (快捷键配置): the global hotkeys, the keys pressed in the host POS before the
//! payment window opens and after a payment (per wallet), and the wedge-scanner thresholds.
//!
//! Stored as JSON through the `Settings` port; every field has a default, so a partial or
//! older record still loads (`#[serde(default)]`).

use std::fmt;

use cloudpos_domain::code::Wallet;
use serde::{Deserialize, Serialize};

use crate::detector::{DetectorConfig, DetectorConfigError};
use crate::notation::{Chord, Key, KeySequence, Modifiers};

/// What a global hotkey does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HotkeyAction {
    /// 唤起/隐藏收银窗口: show or hide the payment window (plug-in mode; default `~`).
    PaymentWindow,
    /// 显示/隐藏主窗口: show or hide the main window (both modes; default `Ctrl+E`).
    MainWindow,
    /// 截取金额位置: select the amount region of the host screen (plug-in mode; default
    /// `Ctrl+Shift+P`).
    AmountRegion,
}

impl HotkeyAction {
    /// Every action.
    pub const ALL: [HotkeyAction; 3] = [
        HotkeyAction::PaymentWindow,
        HotkeyAction::MainWindow,
        HotkeyAction::AmountRegion,
    ];

    /// The label of the settings page.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            HotkeyAction::PaymentWindow => "唤起/隐藏收银窗口",
            HotkeyAction::MainWindow => "显示/隐藏主窗口",
            HotkeyAction::AmountRegion => "截取金额位置",
        }
    }

    /// Whether the action exists only in plug-in mode.
    #[must_use]
    pub const fn plug_in_only(self) -> bool {
        !matches!(self, HotkeyAction::MainWindow)
    }

    /// The default chord.
    #[must_use]
    pub const fn default_chord(self) -> Chord {
        match self {
            HotkeyAction::PaymentWindow => Chord::key(Key::Tilde),
            HotkeyAction::MainWindow => Chord::new(Modifiers::CTRL, Key::E),
            HotkeyAction::AmountRegion => Chord::new(
                Modifiers {
                    ctrl: true,
                    alt: false,
                    shift: true,
                    win: false,
                },
                Key::P,
            ),
        }
    }
}

impl fmt::Display for HotkeyAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One hotkey: its chord and whether it is enabled (the page's check box).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HotkeyBinding {
    /// Registered only when enabled.
    pub enabled: bool,
    /// The chord.
    pub chord: Chord,
}

impl HotkeyBinding {
    /// The enabled default of an action.
    #[must_use]
    pub const fn default_for(action: HotkeyAction) -> HotkeyBinding {
        HotkeyBinding {
            enabled: true,
            chord: action.default_chord(),
        }
    }
}

/// Keys pressed in the host POS at one moment, with optional per-wallet overrides: when
/// the wallet is known (a scanned code), its own sequence is used if set, else `default`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WalletKeys {
    /// Nothing is sent when disabled.
    pub enabled: bool,
    /// Keys for any wallet (and when the wallet is not known yet, e.g. the window opened
    /// by the hotkey).
    pub default: KeySequence,
    /// Keys for WeChat Pay, instead of `default`.
    pub wechat: Option<KeySequence>,
    /// Keys for Alipay, instead of `default`.
    pub alipay: Option<KeySequence>,
    /// Keys for a member card, instead of `default`.
    pub member_card: Option<KeySequence>,
}

impl WalletKeys {
    /// Enabled, the same keys for every wallet.
    #[must_use]
    pub fn same_for_all(keys: KeySequence) -> WalletKeys {
        WalletKeys {
            enabled: true,
            default: keys,
            ..WalletKeys::default()
        }
    }

    /// The keys to press for `wallet` (`None`: not known); empty when disabled.
    #[must_use]
    pub fn for_wallet(&self, wallet: Option<Wallet>) -> &KeySequence {
        static EMPTY: KeySequence = KeySequence::empty();
        if !self.enabled {
            return &EMPTY;
        }
        let specific = match wallet {
            Some(Wallet::WeChat) => self.wechat.as_ref(),
            Some(Wallet::Alipay) => self.alipay.as_ref(),
            Some(Wallet::MemberCard) => self.member_card.as_ref(),
            None => None,
        };
        specific.unwrap_or(&self.default)
    }
}

/// The whole 快捷键配置 page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KeySettings {
    /// 唤起/隐藏收银窗口 (default `~`).
    pub payment_window: HotkeyBinding,
    /// 显示/隐藏主窗口 (default `Ctrl+E`).
    pub main_window: HotkeyBinding,
    /// 截取金额位置 (default `Ctrl+Shift+P`).
    pub amount_region: HotkeyBinding,
    /// 扫码拉起收银窗口前触发的键盘消息: pressed in the host POS before the payment window
    /// opens.
    pub before_window: WalletKeys,
    /// 支付完成之后触发的键盘消息: pressed in the host POS after a successful payment.
    pub after_payment: WalletKeys,
    /// Pause between two chords sent to the host POS, in milliseconds (default 50).
    pub chord_delay_ms: u32,
    /// Wedge-scanner detection thresholds.
    pub wedge: DetectorConfig,
}

impl Default for KeySettings {
    fn default() -> Self {
        KeySettings {
            payment_window: HotkeyBinding::default_for(HotkeyAction::PaymentWindow),
            main_window: HotkeyBinding::default_for(HotkeyAction::MainWindow),
            amount_region: HotkeyBinding::default_for(HotkeyAction::AmountRegion),
            before_window: WalletKeys::default(),
            after_payment: WalletKeys::default(),
            chord_delay_ms: 50,
            wedge: DetectorConfig::default(),
        }
    }
}

/// Why key settings were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeySettingsError {
    /// Two enabled hotkeys share a chord.
    #[error("{chord} is set for both {first} and {second}; give each its own key")]
    DuplicateHotkey {
        /// The chord.
        chord: Chord,
        /// One action.
        first: HotkeyAction,
        /// The other.
        second: HotkeyAction,
    },
    /// A hotkey on a typing key without Ctrl/Alt/Win.
    #[error(
        "{chord} cannot be the {action} hotkey: it would stop that key from typing everywhere (and swallow scanned digits); add Ctrl or Alt, or use an F key or ~"
    )]
    TypingKey {
        /// The chord.
        chord: Chord,
        /// Its action.
        action: HotkeyAction,
    },
    /// The chord delay is out of range.
    #[error("the pause between keys ({0} ms) must be at most 2000 ms")]
    ChordDelay(u32),
    /// Bad detector thresholds.
    #[error(transparent)]
    Detector(#[from] DetectorConfigError),
}

impl KeySettings {
    /// The binding of an action.
    #[must_use]
    pub fn binding(&self, action: HotkeyAction) -> &HotkeyBinding {
        match action {
            HotkeyAction::PaymentWindow => &self.payment_window,
            HotkeyAction::MainWindow => &self.main_window,
            HotkeyAction::AmountRegion => &self.amount_region,
        }
    }

    /// The enabled hotkeys to register: all three in plug-in mode, only the main-window
    /// hotkey in full mode.
    #[must_use]
    pub fn active_hotkeys(&self, plug_in_mode: bool) -> Vec<(HotkeyAction, Chord)> {
        HotkeyAction::ALL
            .into_iter()
            .filter(|a| plug_in_mode || !a.plug_in_only())
            .filter_map(|a| {
                let b = self.binding(a);
                b.enabled.then_some((a, b.chord))
            })
            .collect()
    }

    /// The pause between chords.
    #[must_use]
    pub fn chord_delay(&self) -> std::time::Duration {
        std::time::Duration::from_millis(u64::from(self.chord_delay_ms))
    }

    /// Checks the settings before saving.
    ///
    /// # Errors
    /// The first problem found.
    pub fn validate(&self) -> Result<(), KeySettingsError> {
        validate_hotkeys(&self.active_hotkeys(true))?;
        if self.chord_delay_ms > 2000 {
            return Err(KeySettingsError::ChordDelay(self.chord_delay_ms));
        }
        self.wedge.validate()?;
        Ok(())
    }
}

/// Checks a set of hotkeys: no duplicates, no bare typing keys.
///
/// # Errors
/// The first problem found.
pub fn validate_hotkeys(bindings: &[(HotkeyAction, Chord)]) -> Result<(), KeySettingsError> {
    for (i, (action, chord)) in bindings.iter().enumerate() {
        if !chord.is_safe_global_hotkey() {
            return Err(KeySettingsError::TypingKey {
                chord: *chord,
                action: *action,
            });
        }
        if let Some((other, _)) = bindings[..i].iter().find(|(_, c)| c == chord) {
            return Err(KeySettingsError::DuplicateHotkey {
                chord: *chord,
                first: *other,
                second: *action,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_manuals() {
        let s = KeySettings::default();
        let active: Vec<String> = s
            .active_hotkeys(true)
            .iter()
            .map(|(_, c)| c.to_string())
            .collect();
        assert_eq!(active, vec!["~", "Ctrl+E", "Ctrl+Shift+P"]);
        assert_eq!(
            s.active_hotkeys(false),
            vec![(HotkeyAction::MainWindow, s.main_window.chord)]
        );
        assert!(s.validate().is_ok());
    }

    #[test]
    fn json_round_trip_and_partial_records() {
        let s = KeySettings {
            before_window: WalletKeys::same_for_all(KeySequence::parse("F12").unwrap()),
            after_payment: WalletKeys {
                enabled: true,
                default: KeySequence::parse("Ctrl+Enter").unwrap(),
                alipay: Some(KeySequence::parse("F9, Enter").unwrap()),
                ..WalletKeys::default()
            },
            ..KeySettings::default()
        };
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["payment_window"]["chord"], "~");
        assert_eq!(
            json["after_payment"]["alipay"],
            serde_json::json!(["F9", "Enter"])
        );
        let back: KeySettings = serde_json::from_value(json).unwrap();
        assert_eq!(back, s);

        let partial: KeySettings =
            serde_json::from_str(r#"{"main_window": {"enabled": false, "chord": "Ctrl+M"}}"#)
                .unwrap();
        assert_eq!(
            partial.payment_window,
            HotkeyBinding::default_for(HotkeyAction::PaymentWindow)
        );
        assert!(!partial.main_window.enabled);
        assert_eq!(partial.main_window.chord.to_string(), "Ctrl+M");
        let bad = serde_json::from_str::<KeySettings>(
            r#"{"main_window": {"enabled": true, "chord": "Ctrl+"}}"#,
        );
        assert!(bad.is_err());
    }

    #[test]
    fn per_wallet_sequences() {
        let keys = WalletKeys {
            enabled: true,
            default: KeySequence::parse("F12").unwrap(),
            wechat: Some(KeySequence::parse("F10").unwrap()),
            ..WalletKeys::default()
        };
        assert_eq!(keys.for_wallet(Some(Wallet::WeChat)).to_string(), "F10");
        assert_eq!(keys.for_wallet(Some(Wallet::Alipay)).to_string(), "F12");
        assert_eq!(keys.for_wallet(None).to_string(), "F12");
        let off = WalletKeys {
            enabled: false,
            ..keys
        };
        assert!(off.for_wallet(Some(Wallet::WeChat)).is_empty());
    }

    #[test]
    fn validation() {
        let mut s = KeySettings::default();
        s.amount_region.chord = Chord::parse("Ctrl+E").unwrap();
        let e = s.validate().unwrap_err();
        assert!(matches!(e, KeySettingsError::DuplicateHotkey { .. }), "{e}");
        assert!(e.to_string().contains("Ctrl+E"), "{e}");
        // A disabled duplicate is fine.
        s.amount_region.enabled = false;
        assert!(s.validate().is_ok());

        let mut s = KeySettings::default();
        s.payment_window.chord = Chord::parse("5").unwrap();
        let e = s.validate().unwrap_err();
        assert!(matches!(e, KeySettingsError::TypingKey { .. }), "{e}");
        assert!(e.to_string().contains("唤起/隐藏收银窗口"), "{e}");

        let s = KeySettings {
            chord_delay_ms: 5000,
            ..KeySettings::default()
        };
        assert!(matches!(
            s.validate(),
            Err(KeySettingsError::ChordDelay(5000))
        ));
    }
}
