//! One mechanism for the settings an admin changes (basic, payment policy, printer, keys,
//! scanner box, network, reconciliation, voice, software update): each is a type with a
//! [`Setting`] impl — its key, its defaults, its checks, who may change it, what the audit
//! records and what changes in the running terminal — read with [`Terminal::setting`] and
//! changed with [`Terminal::set_setting`].
//!
//! A new setting costs a struct (`Serialize`, `Deserialize`, `Default`, `Clone`) and an
//! `impl Setting` beside it; nothing else in the terminal changes.

use std::future::Future;

use cloudpos_domain::clerk::{ClerkId, Permission, Role};
use cloudpos_domain::ports::Settings;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Result, Terminal, TerminalError};

/// Who may change a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// A clerk with the configure permission (店长 and up).
    Configure,
    /// An admin (商户管理员 or 服务商管理员): for settings that decide what the till runs.
    Admin,
}

/// A setting kept in the settings store under one key: stored as JSON, its [`Default`] when
/// absent.
pub trait Setting: Serialize + DeserializeOwned + Default + Clone + Send + Sync + 'static {
    /// Its key in the settings store. Stored data depends on it: never change it.
    const KEY: &'static str;
    /// What it is called in messages ("basic settings").
    const NAME: &'static str;
    /// The audit action recorded when it changes (`config_basic`).
    const AUDIT_ACTION: &'static str;
    /// Who may change it.
    const GUARD: Guard = Guard::Configure;

    /// Checks the values before they are stored, normalising them where there is one way to
    /// write them (a trimmed proxy address, a key in canonical form).
    ///
    /// # Errors
    /// [`TerminalError::Invalid`] (or the adapter's own error) naming the value refused.
    fn check(&mut self) -> Result<()> {
        Ok(())
    }

    /// What the audit records of a change: the stored value, unless a setting says less.
    ///
    /// # Errors
    /// The value does not serialise.
    fn audit_detail(&self) -> Result<serde_json::Value> {
        to_json(self)
    }

    /// Puts a stored change into effect in the running terminal (rebuilds an adapter,
    /// replaces what is kept in memory). Most settings are read when used: nothing to do.
    fn applied(&self, terminal: &Terminal) -> impl Future<Output = Result<()>> + Send {
        let _ = terminal;
        async { Ok(()) }
    }
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| TerminalError::Invalid(e.to_string()))
}

/// Reads `T` from `settings` (before a terminal exists: `Terminal::open`).
pub(crate) async fn read_setting<T: Setting>(settings: &dyn Settings) -> Result<T> {
    match settings.get(T::KEY).await? {
        None => Ok(T::default()),
        Some(v) => serde_json::from_value(v).map_err(|e| {
            TerminalError::Invalid(format!("the stored {} cannot be read: {e}", T::NAME))
        }),
    }
}

impl Terminal {
    /// The setting `T`: as stored, or its defaults (anyone may read).
    ///
    /// # Errors
    /// The stored value cannot be read, or the settings store failed.
    pub async fn setting<T: Setting>(&self) -> Result<T> {
        read_setting(self.inner.ports.settings.as_ref()).await
    }

    /// Changes the setting `T`: the guard ([`Setting::GUARD`]), the checks
    /// ([`Setting::check`]), then stored, audited ([`Setting::AUDIT_ACTION`]) and put into
    /// effect ([`Setting::applied`]).
    ///
    /// # Errors
    /// [`TerminalError::NotLoggedIn`] or [`TerminalError::PermissionDenied`] (the guard), the
    /// value refused by its checks, a storage failure.
    pub async fn set_setting<T: Setting>(&self, value: &T) -> Result<()> {
        let me = self.setting_guard::<T>().await?;
        let mut value = value.clone();
        value.check()?;
        let detail = value.audit_detail()?;
        self.commit_setting(&me, &value, detail).await
    }

    /// The logged-in clerk, if [`Setting::GUARD`] lets them change `T`.
    pub(crate) async fn setting_guard<T: Setting>(&self) -> Result<ClerkId> {
        match T::GUARD {
            Guard::Configure => self.configure_guard().await,
            Guard::Admin => self.admin_guard(&format!("change the {}", T::NAME)).await,
        }
    }

    /// Stores a checked value, audits the change with `detail` as `me`, and puts it into
    /// effect.
    pub(crate) async fn commit_setting<T: Setting>(
        &self,
        me: &ClerkId,
        value: &T,
        detail: serde_json::Value,
    ) -> Result<()> {
        self.inner
            .ports
            .settings
            .put(T::KEY, &to_json(value)?)
            .await?;
        self.audit(me.as_str(), T::AUDIT_ACTION, detail).await?;
        value.applied(self).await
    }

    /// The logged-in clerk, if they hold the configure permission.
    pub(crate) async fn configure_guard(&self) -> Result<ClerkId> {
        let (_, me) = self.current_clerk().await?;
        if me.may(Permission::Configure) {
            Ok(me.id)
        } else {
            Err(TerminalError::PermissionDenied(format!(
                "{} ({}) may not change the configuration",
                me.id,
                me.role.display_name()
            )))
        }
    }

    /// The logged-in clerk, if an admin (商户管理员 or 服务商管理员); `what` names the action
    /// refused otherwise.
    pub(crate) async fn admin_guard(&self, what: &str) -> Result<ClerkId> {
        let (_, me) = self.current_clerk().await?;
        if me.role.rank() >= Role::MerchantAdmin.rank() {
            Ok(me.id)
        } else {
            Err(TerminalError::PermissionDenied(format!(
                "{} ({}) may not {what}; an admin must",
                me.id,
                me.role.display_name()
            )))
        }
    }
}
