//! What every screen may read: the merchant, who is logged in, the halt, the settings in
//! force and the time. The app refreshes it from the terminal; screens never change it.

use std::time::Duration;

use cloudpos_domain::clerk::{Clerk, Permission};
use cloudpos_domain::code::{CodeTable, PaymentCode};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::{
    BasicSettings, CashierMode, Halt, KeySettings, MerchantProfile, Mode, Session,
};

/// The shared, read-only state screens are drawn from.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The merchant (store name, SANDBOX).
    pub merchant: Option<MerchantProfile>,
    /// The session, when someone is logged in.
    pub session: Option<Session>,
    /// The logged-in clerk.
    pub clerk: Option<Clerk>,
    /// The halt, when reconciliation stopped the till.
    pub halt: Option<Halt>,
    /// The basic settings in force.
    pub basic: BasicSettings,
    /// The key settings in force.
    pub keys: KeySettings,
    /// Now, by the terminal's clock (refreshed on every tick).
    pub now: Timestamp,
    /// The shop's UTC offset.
    pub offset_seconds: i32,
    /// Time from a payment's creation to its automatic reversal.
    pub pay_timeout: Duration,
    /// The main window's content size (screens adapt to it).
    pub window: iced::Size,
    /// The merchant's code table, as the terminal classifies codes (`None` until loaded).
    pub codes: Option<CodeTable>,
    /// 收银 / 押金 / 混合: whether the deposit screen is shown.
    pub cashier_mode: CashierMode,
}

impl Default for Ctx {
    fn default() -> Self {
        Ctx {
            merchant: None,
            session: None,
            clerk: None,
            halt: None,
            basic: BasicSettings::default(),
            keys: KeySettings::default(),
            now: Timestamp::EPOCH,
            offset_seconds: cloudpos_domain::timestamp::CHINA_OFFSET_SECONDS,
            pay_timeout: Duration::from_secs(45),
            window: crate::geometry::MAIN_DEFAULT,
            codes: None,
            cashier_mode: CashierMode::default(),
        }
    }
}

impl Ctx {
    /// Running against a sandbox: every screen says SANDBOX.
    #[must_use]
    pub fn sandbox(&self) -> bool {
        self.merchant.as_ref().is_some_and(|m| m.sandbox)
    }

    /// The main window is narrow (a 1024 × 768 screen): screens use their compact layout.
    #[must_use]
    pub fn compact(&self) -> bool {
        self.window.width < crate::geometry::COMPACT_WIDTH
    }

    /// The tallest a dialog may be in the main window.
    #[must_use]
    pub fn dialog_max_height(&self) -> f32 {
        (self.window.height - 24.0).max(300.0)
    }

    /// The wallet payment code `text` is, by the merchant's code table, if it is one.
    #[must_use]
    pub fn payment_code(&self, text: &str) -> Option<PaymentCode> {
        self.codes.as_ref()?.classify(text).ok()
    }

    /// Plug-in mode (beside the shop's POS program).
    #[must_use]
    pub fn plug_in(&self) -> bool {
        self.basic.mode == Mode::Plugin
    }

    /// Whether the logged-in clerk holds `permission`.
    #[must_use]
    pub fn may(&self, permission: Permission) -> bool {
        self.clerk.as_ref().is_some_and(|c| c.may(permission))
    }

    /// A time as the shop reads it (`YYYY-MM-DD HH:MM:SS`).
    #[must_use]
    pub fn time(&self, t: Timestamp) -> String {
        t.format(self.offset_seconds)
    }

    /// A time in a dense list: `MM-DD HH:MM:SS`.
    #[must_use]
    pub fn short_time(&self, t: Timestamp) -> String {
        let full = self.time(t);
        full.get(5..).unwrap_or(&full).to_owned()
    }

    /// The clerk as a label: `01 王店长`.
    #[must_use]
    pub fn clerk_label(&self) -> String {
        self.clerk
            .as_ref()
            .map(|c| format!("{} {}", c.id, c.name))
            .unwrap_or_default()
    }
}
