//! The halt switch: set by reconciliation on any mismatch with the cloud, persisted, and
//! checked by `pay` and `refund` before anything is written or sent.

use cloudpos_domain::clerk::{ClerkId, Permission};
use cloudpos_domain::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{Event, Result, Terminal, TerminalError};

/// Settings key of the halt switch.
pub const HALT_KEY: &str = "halt";

/// Why and since when the till is halted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Halt {
    /// One line for the banner.
    pub reason: String,
    /// Details (e.g. each discrepancy), one per line.
    pub details: Vec<String>,
    /// When it was set.
    pub since: Timestamp,
}

impl Terminal {
    /// The halt, if set.
    pub async fn halt_state(&self) -> Result<Option<Halt>> {
        match self.inner.ports.settings.get(HALT_KEY).await? {
            None => Ok(None),
            Some(v) => Ok(Some(serde_json::from_value(v).unwrap_or_else(|e| Halt {
                reason: format!("the halt record is unreadable ({e}); treated as halted"),
                details: vec![],
                since: Timestamp::EPOCH,
            }))),
        }
    }

    /// Fails with [`TerminalError::Unbound`] while the device is unbound or its key reset,
    /// then with [`TerminalError::Halted`] while halted. Every use case that moves money calls
    /// it first.
    pub(crate) async fn ensure_not_halted(&self) -> Result<()> {
        self.ensure_bound().await?;
        match self.halt_state().await? {
            Some(h) => Err(TerminalError::Halted(h.reason)),
            None => Ok(()),
        }
    }

    /// Halts payments and refunds (persisted; survives restarts). Keeps the first reason
    /// if already halted, adding the new details.
    pub async fn halt(&self, reason: &str, details: Vec<String>) -> Result<Halt> {
        let halt = match self.halt_state().await? {
            Some(mut existing) => {
                for d in details {
                    if !existing.details.contains(&d) {
                        existing.details.push(d);
                    }
                }
                existing
            }
            None => Halt {
                reason: reason.to_owned(),
                details,
                since: self.now(),
            },
        };
        let value =
            serde_json::to_value(&halt).map_err(|e| TerminalError::Invalid(e.to_string()))?;
        self.inner.ports.settings.put(HALT_KEY, &value).await?;
        self.audit(
            "system",
            "halted",
            serde_json::json!({"reason": halt.reason, "details": halt.details}),
        )
        .await?;
        tracing::error!(reason = %halt.reason, "payments and refunds halted");
        self.emit(Event::Halted(halt.reason.clone()));
        Ok(halt)
    }

    /// Clears the halt: only an admin (checked with their password), and audited.
    pub async fn clear_halt(&self, admin: &ClerkId, password: &str) -> Result<()> {
        let clerk = self.authenticate(admin, password).await?;
        if !clerk.may(Permission::ClearHalt) {
            return Err(TerminalError::PermissionDenied(format!(
                "{} ({}) may not clear a halt; an admin must",
                clerk.id,
                clerk.role.display_name()
            )));
        }
        let previous = self.halt_state().await?;
        self.inner.ports.settings.remove(HALT_KEY).await?;
        self.audit(
            admin.as_str(),
            "halt_cleared",
            serde_json::json!({"was": previous.map(|h| h.reason)}),
        )
        .await?;
        self.emit(Event::HaltCleared);
        Ok(())
    }
}
