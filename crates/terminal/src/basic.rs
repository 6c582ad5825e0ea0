//! The basic configuration page (基础配置): mode, checkout style, how the amount is captured
//! in plug-in mode, automatic payment, how long a result stays on screen, language.

use cloudpos_domain::catalog::CheckoutMode;
use cloudpos_domain::ports::ScreenRegion;
use serde::{Deserialize, Serialize};

use crate::{Result, Setting, Terminal, TerminalError};

/// Plug-in mode (beside the shop's POS program) or full mode (our own POS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// 插件模式.
    #[default]
    Plugin,
    /// 完整模式.
    Full,
}

/// Screen language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// 简体中文 (default).
    #[default]
    Zh,
    /// English.
    En,
}

/// How the main window opens at start-up (till screens usually run it maximised or full
/// screen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartWindow {
    /// A window sized to fit the screen (the last size and place when they still fit).
    #[default]
    Normal,
    /// Maximised (最大化).
    Maximized,
    /// Full screen without a title bar (全屏).
    Fullscreen,
}

/// The basic configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BasicSettings {
    /// Plug-in or full mode.
    pub mode: Mode,
    /// Full mode: full cart, simple (one commodity) or total amount.
    pub checkout_mode: CheckoutMode,
    /// Plug-in: read the amount from the screen when the payment window opens (自动抓取);
    /// otherwise the cashier types it (人工输入).
    pub capture_amount: bool,
    /// Plug-in: also read the receipt/serial number region into the remark (抓取流水号).
    pub capture_serial: bool,
    /// Plug-in: a scanned payment code opens the payment window (扫码拉起收银窗口).
    pub scan_opens_window: bool,
    /// Capture preprocessing (预处理): binarise the text line. Off by default: the trained
    /// normalisation already runs, and on the committed fixtures binarising reads fewer
    /// amounts (293/300 against 297/300); turn it on for a host measured to need it.
    pub preprocess: bool,
    /// Capture zoom (放大) of small text before normalising. Off by default for the same
    /// reason (295/300).
    pub zoom: bool,
    /// Touch screen: on-screen keypad and buttons (支持触屏).
    pub touch: bool,
    /// Pay automatically this many seconds after code and amount are present; `None` waits
    /// for Enter (人工确认).
    pub auto_pay_secs: Option<u32>,
    /// How long the result stays on screen, in seconds.
    pub result_display_secs: u32,
    /// Screen language.
    pub language: Language,
    /// Where the host POS shows the total.
    pub amount_region: Option<ScreenRegion>,
    /// Where the host POS shows the receipt number.
    pub serial_region: Option<ScreenRegion>,
    /// Below this confidence (per mille) a captured amount needs the cashier's confirmation.
    pub min_confidence_permille: u16,
    /// How the main window opens at start-up.
    pub start_window: StartWindow,
}

impl Default for BasicSettings {
    fn default() -> Self {
        BasicSettings {
            mode: Mode::Plugin,
            checkout_mode: CheckoutMode::Full,
            capture_amount: true,
            capture_serial: false,
            scan_opens_window: true,
            preprocess: false,
            zoom: false,
            touch: false,
            auto_pay_secs: None,
            result_display_secs: 3,
            language: Language::Zh,
            amount_region: None,
            serial_region: None,
            min_confidence_permille: 900,
            start_window: StartWindow::Normal,
        }
    }
}

impl BasicSettings {
    /// Checks the values.
    pub fn validate(&self) -> Result<()> {
        if self.auto_pay_secs.is_some_and(|s| s > 60) {
            return Err(TerminalError::Invalid(
                "the auto-pay delay may be at most 60 s".into(),
            ));
        }
        if !(1..=60).contains(&self.result_display_secs) {
            return Err(TerminalError::Invalid(
                "the result is shown for 1–60 s".into(),
            ));
        }
        if self.min_confidence_permille > 1000 {
            return Err(TerminalError::Invalid(
                "the confidence threshold is at most 1000 per mille".into(),
            ));
        }
        for r in [self.amount_region, self.serial_region]
            .into_iter()
            .flatten()
        {
            if r.width == 0 || r.height == 0 || !(50..=400).contains(&r.scale_percent) {
                return Err(TerminalError::Invalid(format!(
                    "invalid screen region {r:?}"
                )));
            }
        }
        Ok(())
    }
}

impl Setting for BasicSettings {
    const KEY: &'static str = "basic";
    const NAME: &'static str = "basic settings";
    const AUDIT_ACTION: &'static str = "config_basic";

    fn check(&mut self) -> Result<()> {
        self.validate()
    }

    /// A screen reader built from the old regions is dropped (rebuilt at the next read).
    async fn applied(&self, terminal: &Terminal) -> Result<()> {
        terminal.forget_built_reader();
        Ok(())
    }
}
