//! The devices in words: hotkeys (their actions, settings and registration problems), the
//! scanners and the scanner box, and the printer's settings.

use cloudpos_terminal::{
    BoxState, ChordError, DeviceProblem, HotkeyAction, HotkeyError, KeySettingsError, SettingsError,
};

use super::{logged, tr, trs};

/// The name of a hotkey's action.
#[must_use]
pub fn hotkey_action_text(action: HotkeyAction) -> &'static str {
    match action {
        HotkeyAction::PaymentWindow => tr("唤起/隐藏收银窗口", "Payment window"),
        HotkeyAction::MainWindow => tr("显示/隐藏主窗口", "Show/hide the main window"),
        HotkeyAction::AmountRegion => tr("截取金额位置", "Choose the amount region"),
    }
}

/// A hotkey that could not be registered.
#[must_use]
pub fn hotkey_error_text(e: &HotkeyError) -> String {
    match e {
        HotkeyError::NoDisplay(detail) => {
            logged("hotkeys", detail);
            tr(
                "全局快捷键不可用：没有可用的显示",
                "Global hotkeys are unavailable: no display",
            )
            .to_owned()
        }
        HotkeyError::Taken { action, chord } => trs(
            format!(
                "{chord}（{}）已被其他程序占用：请关闭该程序或换一个键",
                hotkey_action_text(*action)
            ),
            format!(
                "{chord} ({}) is already used by another program: close it or choose another key",
                hotkey_action_text(*action)
            ),
        ),
        HotkeyError::Unsupported {
            action,
            chord,
            reason,
        } => {
            logged("hotkey unsupported", reason);
            trs(
                format!(
                    "{chord}（{}）不能作为全局快捷键：请换一个键",
                    hotkey_action_text(*action)
                ),
                format!(
                    "{chord} ({}) cannot be a global hotkey here: choose another key",
                    hotkey_action_text(*action)
                ),
            )
        }
        HotkeyError::Invalid(detail) => {
            logged("hotkeys invalid", &detail.to_string());
            tr(
                "快捷键设置有误：每个快捷键须不同，且字母数字键须加 Ctrl 或 Alt",
                "Bad hotkeys: each must differ, and typing keys need Ctrl or Alt",
            )
            .to_owned()
        }
        HotkeyError::Os(detail) => {
            logged("hotkeys", detail);
            tr(
                "全局快捷键注册失败，请重试",
                "Registering the global hotkeys failed: try again",
            )
            .to_owned()
        }
        HotkeyError::Stopped => tr(
            "快捷键服务已停止，请重启收银台",
            "The hotkey service stopped: restart the cashier",
        )
        .to_owned(),
    }
}

/// A device that could not start.
#[must_use]
pub fn device_problem_text(p: &DeviceProblem) -> String {
    match p {
        DeviceProblem::HotkeysUnavailable(e) | DeviceProblem::Hotkey(e) => hotkey_error_text(e),
        DeviceProblem::ScannerListener(detail) => {
            logged("scanner listener", detail);
            tr(
                "扫码枪监听不可用：扫码不会自动唤起收银窗口，可按 ~ 唤起后再扫",
                "The scanner listener is unavailable: press ~ before scanning",
            )
            .to_owned()
        }
        DeviceProblem::ScannerBox(detail) => {
            logged("scanner box", detail);
            tr(
                "扫码盒不可用：请检查连接和端口设置",
                "The scanner box is unavailable: check its cable and port",
            )
            .to_owned()
        }
    }
}

/// What the scanner box is doing.
#[must_use]
pub fn box_state_text(state: &BoxState) -> String {
    match state {
        BoxState::Connecting => tr("扫码盒：正在连接…", "Scanner box: connecting…").to_owned(),
        BoxState::Connected { port } => trs(
            format!("扫码盒：已连接 {port}"),
            format!("Scanner box: connected on {port}"),
        ),
        BoxState::Disconnected { reason, retry_in } => {
            logged("scanner box", reason);
            let secs = retry_in.as_secs().max(1);
            trs(
                format!("扫码盒：未连接，{secs} 秒后重试"),
                format!("Scanner box: not connected, retrying in {secs} s"),
            )
        }
        BoxState::Stopped => tr("扫码盒：已停止", "Scanner box: stopped").to_owned(),
    }
}

/// A key or key sequence written wrongly on the hotkey page.
#[must_use]
pub fn chord_error_text(e: &ChordError) -> String {
    match e {
        ChordError::Empty => tr("请按下或填写一个键", "Give a key").to_owned(),
        ChordError::UnknownKey { text, token } => trs(
            format!("“{text}”：没有叫“{token}”的键（例如 A、5、F5、Num0、Enter、Esc、Space、~）"),
            format!(
                "\"{text}\": unknown key \"{token}\" (e.g. A, 5, F5, Num0, Enter, Esc, Space, ~)"
            ),
        ),
        ChordError::MissingKey { text, text_hint } => trs(
            format!("“{text}”：修饰键后面还要一个键，例如 {text_hint}E"),
            format!("\"{text}\": a modifier needs a key, e.g. {text_hint}E"),
        ),
        ChordError::TooManyKeys { text, token } => trs(
            format!("“{text}”：一个组合只能有一个主键（如 Ctrl+Shift+P），“{token}”多了"),
            format!(
                "\"{text}\": one key per chord (like Ctrl+Shift+P); \"{token}\" is one too many"
            ),
        ),
        ChordError::DuplicateModifier { text, modifier } => trs(
            format!("“{text}”：{modifier} 写了两次"),
            format!("\"{text}\": {modifier} is given twice"),
        ),
        ChordError::Plus { text } => trs(
            format!("“{text}”：“+”不是一个键；小键盘加号写 NumAdd，主键盘写 Shift+="),
            format!("\"{text}\": \"+\" is not one key; write NumAdd or Shift+="),
        ),
        ChordError::EmptyPart { text } => trs(
            format!("“{text}”：两个“+”之间是空的"),
            format!("\"{text}\": empty part between \"+\" signs"),
        ),
    }
}

/// Hotkey settings that do not go together.
#[must_use]
pub fn key_settings_error_text(e: &KeySettingsError) -> String {
    match e {
        KeySettingsError::DuplicateHotkey {
            chord,
            first,
            second,
        } => trs(
            format!(
                "{chord} 同时设给了“{}”和“{}”：请各用一个键",
                hotkey_action_text(*first),
                hotkey_action_text(*second)
            ),
            format!(
                "{chord} is set for both {} and {}: give each its own key",
                hotkey_action_text(*first),
                hotkey_action_text(*second)
            ),
        ),
        KeySettingsError::TypingKey { chord, action } => trs(
            format!(
                "{chord} 不能作为“{}”的快捷键：它会让这个键在所有程序里都打不出字（扫码的数字也会被吞掉）；请加 Ctrl 或 Alt，或用 F 键、~",
                hotkey_action_text(*action)
            ),
            format!(
                "{chord} cannot be the {} hotkey: the key would stop typing everywhere; add Ctrl or Alt, or use an F key or ~",
                hotkey_action_text(*action)
            ),
        ),
        KeySettingsError::ChordDelay(ms) => trs(
            format!("按键间隔 {ms} 毫秒太长：最多 2000 毫秒"),
            format!("The pause between keys ({ms} ms) must be at most 2000 ms"),
        ),
        KeySettingsError::Detector(detail) => {
            logged("scanner detector settings", &detail.to_string());
            tr(
                "扫码枪识别参数超出范围",
                "The scanner detection settings are out of range",
            )
            .to_owned()
        }
    }
}

/// A printer setting out of range.
#[must_use]
pub fn printer_settings_error_text(e: &SettingsError) -> String {
    logged("printer settings", &e.message);
    let field = match e.field {
        "device" => tr("设备地址", "Device"),
        "copies" => tr("小票份数（1–9）", "Copies (1–9)"),
        "copy_interval_secs" => tr("间隔（0–60 秒）", "Interval (0–60 s)"),
        "width" => tr("小票宽度", "Paper width"),
        "top_margin" => tr("头部空白", "Top margin"),
        "bottom_margin" => tr("底部空白", "Bottom margin"),
        "closing_line" => tr(
            "惠顾语（一行，最多 100 字）",
            "Closing line (one line, at most 100 characters)",
        ),
        _ => tr("打印机设置", "Printer setting"),
    };
    trs(format!("{field}有误"), format!("{field}: {}", e.message))
}
