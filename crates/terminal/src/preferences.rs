//! UI preferences kept in the settings: the windows' remembered geometry and the auto-login
//! choice. Preferences need no permission and are not audited.

use cloudpos_domain::clerk::ClerkId;
use serde::{Deserialize, Serialize};

use crate::{Result, Session, Terminal, TerminalError};

/// Settings key prefix of remembered window geometry (`ui.window.<name>`).
pub const WINDOW_KEY_PREFIX: &str = "ui.window.";
/// Settings key of the auto-login choice.
pub const AUTO_LOGIN_KEY: &str = "ui.auto_login";

/// A window's remembered geometry, in logical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WindowState {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
}

impl WindowState {
    /// Whether the geometry is usable (positive size of at least 200 × 150, finite, on a
    /// plausible desktop); a damaged record is ignored rather than opening an invisible
    /// window.
    #[must_use]
    pub fn is_plausible(&self) -> bool {
        [self.x, self.y, self.width, self.height]
            .iter()
            .all(|v| v.is_finite())
            && self.width >= 200.0
            && self.height >= 150.0
            && self.width <= 16_384.0
            && self.height <= 16_384.0
            && self.x.abs() <= 32_768.0
            && self.y.abs() <= 32_768.0
    }
}

impl Terminal {
    /// The remembered geometry of the window `name` (e.g. `main`), if any and plausible.
    pub async fn window_state(&self, name: &str) -> Result<Option<WindowState>> {
        let key = format!("{WINDOW_KEY_PREFIX}{name}");
        Ok(self
            .inner
            .ports
            .settings
            .get(&key)
            .await?
            .and_then(|v| serde_json::from_value::<WindowState>(v).ok())
            .filter(WindowState::is_plausible))
    }

    /// Remembers the geometry of the window `name` (a UI preference: no permission needed,
    /// not audited). Implausible geometry is ignored.
    pub async fn set_window_state(&self, name: &str, state: &WindowState) -> Result<()> {
        if !state.is_plausible() {
            return Ok(());
        }
        let key = format!("{WINDOW_KEY_PREFIX}{name}");
        let value =
            serde_json::to_value(state).map_err(|e| TerminalError::Invalid(e.to_string()))?;
        Ok(self.inner.ports.settings.put(&key, &value).await?)
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
