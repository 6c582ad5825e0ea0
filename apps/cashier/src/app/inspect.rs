//! Read-only access to the app's state, for the tests (they assert on what each screen
//! holds) and the window title.

use iced::window;

use super::App;
use crate::ctx::Ctx;
use crate::screen::refund::RefundScreen;
use crate::screen::summary::SummaryPanel;
use crate::screen::{
    Screen, basic, checkout, clerks, commodities, deposits, hotkeys, login, members, one_code,
    orders, payment, printer, update, voice,
};
use cloudpos_domain::order::Order;

impl App {
    /// The shared state screens read.
    #[must_use]
    pub fn ctx(&self) -> &Ctx {
        &self.ctx
    }

    /// The main screen shown.
    #[must_use]
    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// The main window, once open.
    #[must_use]
    pub fn main_window(&self) -> Option<window::Id> {
        self.windows.main
    }

    /// The payment window, when open.
    #[must_use]
    pub fn payment_window(&self) -> Option<window::Id> {
        self.windows.payment
    }

    /// The payment window's state, when open.
    #[must_use]
    pub fn payment(&self) -> Option<&payment::Payment> {
        self.payment.as_ref()
    }

    /// The login screen.
    #[must_use]
    pub fn login(&self) -> &login::Login {
        &self.login
    }

    /// The checkout screen.
    #[must_use]
    pub fn checkout(&self) -> &checkout::Checkout {
        &self.checkout
    }

    /// The commodities screen.
    #[must_use]
    pub fn commodities(&self) -> &commodities::Commodities {
        &self.commodities
    }

    /// The orders screen.
    #[must_use]
    pub fn orders(&self) -> &orders::Orders {
        &self.orders
    }

    /// The refund screen.
    #[must_use]
    pub fn refund_screen(&self) -> &RefundScreen {
        &self.refund
    }

    /// The summary panel, when shown.
    #[must_use]
    pub fn summary(&self) -> Option<&SummaryPanel> {
        self.summary.as_ref()
    }

    /// The basic settings page.
    #[must_use]
    pub fn basic(&self) -> &basic::Basic {
        &self.basic
    }

    /// The printer page.
    #[must_use]
    pub fn printer(&self) -> &printer::Printer {
        &self.printer
    }

    /// The hotkeys page.
    #[must_use]
    pub fn hotkeys(&self) -> &hotkeys::Hotkeys {
        &self.hotkeys
    }

    /// The clerks screen.
    #[must_use]
    pub fn clerks(&self) -> &clerks::Clerks {
        &self.clerks
    }

    /// The deposit screen.
    #[must_use]
    pub fn deposits(&self) -> &deposits::Deposits {
        &self.deposits
    }

    /// The one-code pay printing page.
    #[must_use]
    pub fn one_code(&self) -> &one_code::OneCode {
        &self.one_code
    }

    /// The member screen.
    #[must_use]
    pub fn members(&self) -> &members::Members {
        &self.members
    }

    /// The voice settings page.
    #[must_use]
    pub fn voice(&self) -> &voice::Voice {
        &self.voice
    }

    /// The software update state (the feed's last answer, the dialog).
    #[must_use]
    pub fn updates(&self) -> &update::Updates {
        &self.updates
    }

    /// The status line.
    #[must_use]
    pub fn status(&self) -> Option<&str> {
        self.status.as_ref().map(|(s, _)| s.as_str())
    }

    /// Payments being resolved after a crash.
    #[must_use]
    pub fn pending(&self) -> &[Order] {
        &self.pending
    }
}
