//! The windows' remembered geometry: kept as a UI preference in the terminal's settings
//! (`ui.window.<name>`), needing no permission and not audited.

use cloudpos_terminal::{Terminal, TerminalError};
use serde::{Deserialize, Serialize};

/// Settings key prefix of remembered window geometry (`ui.window.<name>`).
pub const WINDOW_KEY_PREFIX: &str = "ui.window.";

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

/// The remembered geometry of the window `name` (e.g. `main`), if any and plausible.
///
/// # Errors
/// The settings could not be read.
pub async fn saved(t: &Terminal, name: &str) -> Result<Option<WindowState>, TerminalError> {
    Ok(t.ui_preference(&format!("{WINDOW_KEY_PREFIX}{name}"))
        .await?
        .and_then(|v| serde_json::from_value::<WindowState>(v).ok())
        .filter(WindowState::is_plausible))
}

/// Remembers the geometry of the window `name`. Implausible geometry is ignored.
///
/// # Errors
/// The settings could not be written.
pub async fn save(t: &Terminal, name: &str, state: &WindowState) -> Result<(), TerminalError> {
    if !state.is_plausible() {
        return Ok(());
    }
    let value = serde_json::to_value(state).map_err(|e| TerminalError::Invalid(e.to_string()))?;
    t.set_ui_preference(&format!("{WINDOW_KEY_PREFIX}{name}"), &value)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudpos_terminal::testing::test_terminal;

    #[tokio::test]
    async fn window_geometry_is_remembered_and_nonsense_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let t = test_terminal(dir.path()).await.terminal;
        assert_eq!(saved(&t, "main").await.unwrap(), None);
        let w = WindowState {
            x: 40.0,
            y: 30.0,
            width: 1100.0,
            height: 720.0,
        };
        save(&t, "main", &w).await.unwrap();
        assert_eq!(saved(&t, "main").await.unwrap(), Some(w));
        let tiny = WindowState { width: 3.0, ..w };
        save(&t, "main", &tiny).await.unwrap();
        assert_eq!(saved(&t, "main").await.unwrap(), Some(w));
        assert_eq!(saved(&t, "payment").await.unwrap(), None);
    }
}
