//! The cashier mode (收银模式 / 押金模式 / 收银 + 押金混合模式): which till screens a shop uses,
//! a [`Setting`] read with `Terminal::setting::<CashierMode>()` and changed with
//! `Terminal::set_setting(&mode)` (configure permission; audited as `config_cashier_mode`).

use serde::{Deserialize, Serialize};

use crate::{Result, Setting, TerminalError};

/// Which till screens a shop uses (the smart-POS manual's 收银模式 / 押金模式 /
/// 收银 + 押金混合模式). A display choice for the shells: the use cases themselves accept
/// payments and deposits in every mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CashierMode {
    /// 收银模式: payments only (the default).
    #[default]
    Payments,
    /// 押金模式: deposits only.
    Deposits,
    /// 收银 + 押金混合模式: both.
    Mixed,
}

impl CashierMode {
    /// Every mode.
    pub const ALL: [CashierMode; 3] = [
        CashierMode::Payments,
        CashierMode::Deposits,
        CashierMode::Mixed,
    ];

    /// Stable machine name: `payments`, `deposits`, `mixed`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            CashierMode::Payments => "payments",
            CashierMode::Deposits => "deposits",
            CashierMode::Mixed => "mixed",
        }
    }

    /// The name users see.
    #[must_use]
    pub const fn display_name(self) -> &'static str {
        match self {
            CashierMode::Payments => "收银模式",
            CashierMode::Deposits => "押金模式",
            CashierMode::Mixed => "收银 + 押金混合模式",
        }
    }

    /// Whether the till shows payments.
    #[must_use]
    pub const fn payments(self) -> bool {
        matches!(self, CashierMode::Payments | CashierMode::Mixed)
    }

    /// Whether the till shows deposits.
    #[must_use]
    pub const fn deposits(self) -> bool {
        matches!(self, CashierMode::Deposits | CashierMode::Mixed)
    }
}

impl std::str::FromStr for CashierMode {
    type Err = TerminalError;
    fn from_str(s: &str) -> Result<Self> {
        CashierMode::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                TerminalError::Invalid(format!(
                    "unknown cashier mode \"{s}\" (expected payments, deposits or mixed)"
                ))
            })
    }
}

impl Setting for CashierMode {
    // Stored as the bare machine name ("mixed"), as before it was a typed setting.
    const KEY: &'static str = "cashier_mode";
    const NAME: &'static str = "cashier mode";
    const AUDIT_ACTION: &'static str = "config_cashier_mode";
}
