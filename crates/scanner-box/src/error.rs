//! Errors of the scanner-box adapter.

use cloudpos_domain::ports::DeviceError;

/// A failure of the scanner box.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoxError {
    /// The settings are wrong; the message names the field.
    #[error("scanner box settings: {0}")]
    InvalidSettings(String),
    /// The box is disabled in the settings.
    #[error("no scanner box is configured")]
    Disabled,
    /// The box is not connected now (unplugged, busy, wrong port).
    #[error("the scanner box is not connected: {0}")]
    Disconnected(String),
    /// Writing to the box failed.
    #[error("writing to the scanner box failed: {0}")]
    Write(String),
    /// The amount command is switched off.
    #[error("the box announcement (盒子播报) is switched off")]
    AnnounceOff,
    /// Another operating-system failure.
    #[error("{0}")]
    Os(String),
}

impl From<BoxError> for DeviceError {
    fn from(e: BoxError) -> Self {
        match e {
            BoxError::InvalidSettings(_) | BoxError::Disabled | BoxError::AnnounceOff => {
                DeviceError::NotConfigured(e.to_string())
            }
            BoxError::Disconnected(_) | BoxError::Os(_) => DeviceError::Unavailable(e.to_string()),
            BoxError::Write(_) => DeviceError::Fault(e.to_string()),
        }
    }
}
