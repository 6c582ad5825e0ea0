//! UI preferences kept in the settings: what an app remembers for itself (`ui.` keys, such as
//! the cashier's window geometry), which needs no permission and is not audited, and the
//! auto-login choice, which is the logged-in clerk's (audited).

use cloudpos_domain::clerk::ClerkId;

use crate::{Result, Session, Terminal, TerminalError};

/// Settings key of the auto-login choice.
pub const AUTO_LOGIN_KEY: &str = "ui.auto_login";
/// Settings key prefix of UI preferences (window geometry and the like).
pub const UI_PREFIX: &str = "ui.";

impl Terminal {
    /// A UI preference an app keeps in the settings (a key starting with `ui.`, e.g. the
    /// cashier's `ui.window.main`), if stored.
    ///
    /// # Errors
    /// A key outside the `ui.` preferences, or one the terminal keeps itself
    /// (`ui.auto_login`); a settings failure.
    pub async fn ui_preference(&self, key: &str) -> Result<Option<serde_json::Value>> {
        check_ui_key(key)?;
        Ok(self.inner.ports.settings.get(key).await?)
    }

    /// Stores a UI preference (a key starting with `ui.`): no permission needed, not audited.
    ///
    /// # Errors
    /// As [`Terminal::ui_preference`].
    pub async fn set_ui_preference(&self, key: &str, value: &serde_json::Value) -> Result<()> {
        check_ui_key(key)?;
        Ok(self.inner.ports.settings.put(key, value).await?)
    }

    /// The clerk whose session resumes at start-up without a password (自动登录), if one
    /// chose it.
    pub async fn auto_login(&self) -> Result<Option<ClerkId>> {
        Ok(self
            .inner
            .ports
            .settings
            .get(AUTO_LOGIN_KEY)
            .await?
            .and_then(|v| v.as_str().and_then(|s| ClerkId::parse(s).ok())))
    }

    /// Turns auto-login on or off for the logged-in clerk. Only the session is resumed at
    /// start-up (no password is stored); a logout or handover ends it.
    pub async fn set_auto_login(&self, on: bool) -> Result<()> {
        let (_, me) = self.current_clerk().await?;
        let settings = &self.inner.ports.settings;
        if on {
            settings
                .put(
                    AUTO_LOGIN_KEY,
                    &serde_json::Value::String(me.id.to_string()),
                )
                .await?;
        } else {
            settings.remove(AUTO_LOGIN_KEY).await?;
        }
        self.audit(
            me.id.as_str(),
            "auto_login",
            serde_json::json!({ "on": on }),
        )
        .await
    }

    /// The session to resume at start-up: the stored session when its clerk chose
    /// auto-login, else `None` (the login screen shows).
    pub async fn resume_auto_login(&self) -> Result<Option<Session>> {
        let Some(auto) = self.auto_login().await? else {
            return Ok(None);
        };
        match self.current_clerk().await {
            Ok((session, clerk)) if clerk.id == auto => Ok(Some(session)),
            Ok(_) | Err(TerminalError::NotLoggedIn) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// App preferences live under `ui.`; the auto-login choice there is the terminal's own (it
/// resumes a session, so only the logged-in clerk sets it, audited).
fn check_ui_key(key: &str) -> Result<()> {
    if key.starts_with(UI_PREFIX) && key.len() > UI_PREFIX.len() && key != AUTO_LOGIN_KEY {
        Ok(())
    } else {
        Err(TerminalError::Invalid(format!(
            "\"{key}\" is not a UI preference (those are keys starting with {UI_PREFIX}, other than {AUTO_LOGIN_KEY})"
        )))
    }
}
