//! Errors of the input adapters.

use cloudpos_domain::ports::DeviceError;

/// A failure to start or use a keyboard adapter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// No display to talk to (no X server, `DISPLAY` unset, no permission).
    #[error("cannot reach the display: {0}")]
    NoDisplay(String),
    /// The display lacks something we need (an X extension such as XTEST or XInput 2).
    #[error("the display cannot do this: {0}")]
    Unsupported(String),
    /// The operating system refused (a hook, a window, `SendInput` blocked).
    #[error("{0}")]
    Os(String),
}

impl From<InputError> for DeviceError {
    fn from(e: InputError) -> Self {
        DeviceError::Unavailable(e.to_string())
    }
}
