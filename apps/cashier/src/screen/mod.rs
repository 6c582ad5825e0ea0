//! The screens, one module each in halloy's shape: `Message` (what the cashier did),
//! `Event` (what must happen next), `update` (state only, no terminal), `view` (drawing
//! only), and beside them `perform` — the terminal call an event asks for, run on iced's
//! executor, its answer coming back as the screen's own message — and `shortcut`, the keys
//! the screen answers. The few events only the app can act on (log in, open a window, go to
//! another screen) are matched by the app before it hands the rest to `perform`.

pub mod basic;
pub mod checkout;
pub mod clerks;
pub mod commodities;
pub mod deposits;
pub mod hotkeys;
pub mod login;
pub mod members;
pub mod notices;
pub mod one_code;
pub mod orders;
pub mod payment;
pub mod printer;
pub mod refund;
pub mod region;
pub mod summary;
pub mod update;
pub mod voice;

use cloudpos_terminal::Terminal;
use iced::Task;

use crate::i18n::tr;

/// Runs one terminal call on iced's executor; `to` turns its answer into a message.
pub(crate) fn call<T, F, M>(
    terminal: &Terminal,
    call: impl FnOnce(Terminal) -> F,
    to: impl FnOnce(T) -> M + Send + 'static,
) -> Task<M>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
    M: Send + 'static,
{
    Task::perform(call(terminal.clone()), to)
}

/// A screen of the main window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Screen {
    /// 登录.
    Login,
    /// 收银 (full mode).
    Checkout,
    /// 商品管理 (full mode).
    Commodities,
    /// 订单查询.
    Orders,
    /// 退款操作.
    Refund,
    /// 基础配置.
    Basic,
    /// 打印机配置.
    Printer,
    /// 快捷键设置.
    Hotkeys,
    /// 店员管理 (M; not in the manual's numbered navigation).
    Clerks,
    /// 语音播报 (V; a configuration page the manuals' navigation has no number for).
    Voice,
    /// 押金 (J; in 押金模式 and 混合模式, beside the manual's navigation).
    Deposits,
    /// 一码支付打印 (Q; a configuration page the manuals' navigation has no number for).
    OneCode,
    /// 会员 (K; member cards, beside the manual's navigation).
    Members,
}

impl Screen {
    /// The navigation of a mode with each screen's letter and function key, exactly as the
    /// manual gives them: full mode L/F1 C/F2 G/F3 P/F4 R/F5 D/F6 Y/F7 S/F8; plug-in mode
    /// L/F1 P/F2 R/F3 D/F4 Y/F5 S/F6.
    #[must_use]
    pub fn navigation(plug_in: bool) -> &'static [(Screen, char, u8)] {
        if plug_in {
            &[
                (Screen::Login, 'L', 1),
                (Screen::Orders, 'P', 2),
                (Screen::Refund, 'R', 3),
                (Screen::Basic, 'D', 4),
                (Screen::Printer, 'Y', 5),
                (Screen::Hotkeys, 'S', 6),
            ]
        } else {
            &[
                (Screen::Login, 'L', 1),
                (Screen::Checkout, 'C', 2),
                (Screen::Commodities, 'G', 3),
                (Screen::Orders, 'P', 4),
                (Screen::Refund, 'R', 5),
                (Screen::Basic, 'D', 6),
                (Screen::Printer, 'Y', 7),
                (Screen::Hotkeys, 'S', 8),
            ]
        }
    }

    /// The screen of a navigation letter (upper or lower case) in a mode.
    #[must_use]
    pub fn by_letter(plug_in: bool, letter: char) -> Option<Screen> {
        let l = letter.to_ascii_uppercase();
        Screen::navigation(plug_in)
            .iter()
            .find(|(_, c, _)| *c == l)
            .map(|(s, _, _)| *s)
    }

    /// The screen of a function key (F1 = 1) in a mode.
    #[must_use]
    pub fn by_function_key(plug_in: bool, n: u8) -> Option<Screen> {
        Screen::navigation(plug_in)
            .iter()
            .find(|(_, _, f)| *f == n)
            .map(|(s, _, _)| *s)
    }

    /// The name on the navigation bar.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Screen::Login => tr("登录", "Login"),
            Screen::Checkout => tr("收银", "Checkout"),
            Screen::Commodities => tr("商品管理", "Commodities"),
            Screen::Orders => tr("订单查询", "Orders"),
            Screen::Refund => tr("退款操作", "Refunds"),
            Screen::Basic => tr("基础配置", "Basic settings"),
            Screen::Printer => tr("打印机配置", "Printer"),
            Screen::Hotkeys => tr("快捷键设置", "Hotkeys"),
            Screen::Clerks => tr("店员管理", "Clerks"),
            Screen::Voice => tr("语音播报", "Voice"),
            Screen::Deposits => tr("押金", "Deposits"),
            Screen::OneCode => tr("一码支付打印", "QR code printing"),
            Screen::Members => tr("会员", "Members"),
        }
    }
}
