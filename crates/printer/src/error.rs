//! Errors of this crate and their mapping onto the domain's [`DeviceError`].

use cloudpos_domain::ports::DeviceError;

/// Why printing (or configuring a printer) failed. Every variant carries a message a
/// cashier or a support engineer can act on; none of them means the order is lost: the
/// caller keeps the order and can reprint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintError {
    /// The printer is disabled or no device is set.
    #[error("the receipt printer is not configured: {0}")]
    NotConfigured(String),
    /// A setting is invalid (see [`crate::PrinterSettings::validate`]).
    #[error("invalid printer setting: {0}")]
    InvalidSettings(String),
    /// The device URI does not follow the grammar (see [`crate::DeviceUri`]).
    #[error("invalid printer device \"{uri}\": {reason}")]
    InvalidUri {
        /// The URI as given.
        uri: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The transport does not exist on this operating system.
    #[error("{0}")]
    Unsupported(String),
    /// The device (port, file, queue, host) does not exist.
    #[error("{0}")]
    NoSuchDevice(String),
    /// The device exists but another program holds it.
    #[error("{0}")]
    Busy(String),
    /// Access to the device was denied.
    #[error("{0}")]
    PermissionDenied(String),
    /// The network printer refused the connection or is unreachable.
    #[error("{0}")]
    Unreachable(String),
    /// The device stopped accepting data in time.
    #[error("{0}")]
    Timeout(String),
    /// The printer reported a fault (paper out, cover open, offline).
    #[error("{0}")]
    Fault(String),
    /// Any other I/O failure while sending.
    #[error("{0}")]
    Io(String),
}

impl From<PrintError> for DeviceError {
    fn from(e: PrintError) -> DeviceError {
        match e {
            PrintError::NotConfigured(m) => {
                DeviceError::NotConfigured(format!("receipt printer ({m})"))
            }
            PrintError::InvalidSettings(_) | PrintError::InvalidUri { .. } => {
                DeviceError::NotConfigured(format!("receipt printer ({e})"))
            }
            PrintError::Fault(m) => DeviceError::Fault(m),
            other => DeviceError::Unavailable(other.to_string()),
        }
    }
}

/// Maps an I/O error while opening or writing `what` to a specific [`PrintError`].
pub(crate) fn io_error(what: &str, e: &std::io::Error) -> PrintError {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => PrintError::NoSuchDevice(format!("{what}: no such device or file")),
        K::PermissionDenied => PrintError::PermissionDenied(format!(
            "{what}: permission denied (on Linux, add the user to the `lp` or `dialout` group)"
        )),
        K::ResourceBusy => PrintError::Busy(format!(
            "{what}: the device is busy (another program is using it)"
        )),
        K::ConnectionRefused => PrintError::Unreachable(format!(
            "{what}: connection refused (is the printer on, and is the port right? raw printing uses 9100)"
        )),
        K::TimedOut | K::WouldBlock => PrintError::Timeout(format!(
            "{what}: timed out (the printer is off, offline, out of paper or not answering)"
        )),
        K::HostUnreachable | K::NetworkUnreachable | K::AddrNotAvailable => {
            PrintError::Unreachable(format!("{what}: unreachable ({e})"))
        }
        K::BrokenPipe | K::ConnectionReset | K::ConnectionAborted | K::NotConnected => {
            PrintError::Io(format!(
                "{what}: the connection was dropped while printing ({e})"
            ))
        }
        _ => match e.raw_os_error() {
            // ENXIO / ENODEV: a device node whose hardware is gone (e.g. /dev/usb/lp0 unplugged).
            Some(6 | 19) if cfg!(unix) => {
                PrintError::NoSuchDevice(format!("{what}: the device is not connected ({e})"))
            }
            // EBUSY.
            Some(16) if cfg!(unix) => PrintError::Busy(format!("{what}: the device is busy ({e})")),
            _ => PrintError::Io(format!("{what}: {e}")),
        },
    }
}
