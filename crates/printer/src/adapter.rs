//! The [`ReceiptPrinter`] adapter: settings in, copies out.

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use cloudpos_domain::ports::{DeviceError, ReceiptPrinter};
use cloudpos_domain::receipt::{Receipt, ReceiptKind};

use crate::encode::drawer_kick;
use crate::error::PrintError;
use crate::settings::{DrawerPin, PrinterSettings, SettingsError};
use crate::transport;
use crate::uri::DeviceUri;

/// Prints receipts on an ESC/POS printer according to [`PrinterSettings`].
///
/// A payment prints the configured number of copies (each marked 第n联), waiting the
/// configured interval between them; refunds, summaries and test pages print once. Each
/// copy is cut as configured. On a cash payment with a drawer configured, the drawer
/// pulse follows the first copy, so the drawer opens while later copies print. Jobs of one
/// printer never interleave. The blocking I/O runs on Tokio's blocking pool (or inline when
/// called outside a Tokio runtime).
#[derive(Clone)]
pub struct EscPosPrinter {
    settings: Arc<RwLock<PrinterSettings>>,
    device_lock: Arc<Mutex<()>>,
}

impl EscPosPrinter {
    /// A printer with these settings (not validated until printing; see
    /// [`EscPosPrinter::set_settings`]).
    #[must_use]
    pub fn new(settings: PrinterSettings) -> EscPosPrinter {
        EscPosPrinter {
            settings: Arc::new(RwLock::new(settings)),
            device_lock: Arc::new(Mutex::new(())),
        }
    }

    /// The current settings.
    #[must_use]
    pub fn settings(&self) -> PrinterSettings {
        self.settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the settings after validating them.
    pub fn set_settings(&self, settings: PrinterSettings) -> Result<(), SettingsError> {
        settings.validate()?;
        *self
            .settings
            .write()
            .unwrap_or_else(PoisonError::into_inner) = settings;
        Ok(())
    }

    /// The encoded jobs (one per copy) that [`ReceiptPrinter::print`] would send.
    pub fn jobs(
        &self,
        receipt: &Receipt,
    ) -> Result<(DeviceUri, Vec<Vec<u8>>, Duration), PrintError> {
        let s = self.settings();
        if !s.enabled {
            return Err(PrintError::NotConfigured(
                "the receipt printer is disabled".into(),
            ));
        }
        s.validate()?;
        let uri = s.device_uri()?;
        let copies = if receipt.kind == ReceiptKind::Payment {
            s.copies.max(1)
        } else {
            1
        };
        let jobs = (1..=copies)
            .map(|n| {
                let mut r = receipt.clone();
                r.copy = (n, copies);
                crate::encode_receipt(&r, &s)
            })
            .collect();
        Ok((
            uri,
            jobs,
            Duration::from_secs(u64::from(s.copy_interval_secs)),
        ))
    }

    fn run_blocking_send(
        &self,
        uri: DeviceUri,
        jobs: Vec<Vec<u8>>,
        interval: Duration,
    ) -> impl FnOnce() -> Result<(), PrintError> + Send + 'static {
        let lock = Arc::clone(&self.device_lock);
        move || {
            let _guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
            let n = jobs.len();
            for (i, job) in jobs.iter().enumerate() {
                if i > 0 && !interval.is_zero() {
                    std::thread::sleep(interval);
                }
                transport::send(&uri, job).map_err(|e| {
                    if n > 1 {
                        with_context(e, &format!("copy {} of {n}", i + 1))
                    } else {
                        e
                    }
                })?;
            }
            Ok(())
        }
    }

    async fn run(
        &self,
        uri: DeviceUri,
        jobs: Vec<Vec<u8>>,
        interval: Duration,
    ) -> Result<(), PrintError> {
        let work = self.run_blocking_send(uri, jobs, interval);
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => handle.spawn_blocking(work).await.unwrap_or_else(|e| {
                Err(PrintError::Io(format!("the printing thread failed: {e}")))
            }),
            Err(_) => work(),
        }
    }

    /// Prints a receipt (see [`ReceiptPrinter::print`]) and returns this crate's error.
    pub async fn print_receipt(&self, receipt: &Receipt) -> Result<(), PrintError> {
        let (uri, jobs, interval) = self.jobs(receipt)?;
        self.run(uri, jobs, interval).await
    }

    /// Sends the drawer pulse alone, on the configured pin (pin 2 if none is configured).
    pub async fn open_drawer(&self) -> Result<(), PrintError> {
        let s = self.settings();
        if !s.enabled {
            return Err(PrintError::NotConfigured(
                "the receipt printer is disabled".into(),
            ));
        }
        let uri = s.device_uri()?;
        let pin = s.cash_drawer.unwrap_or(DrawerPin::Pin2);
        self.run(uri, vec![drawer_kick(pin)], Duration::ZERO).await
    }
}

fn with_context(e: PrintError, ctx: &str) -> PrintError {
    let add = |m: String| format!("{ctx}: {m}");
    match e {
        PrintError::NotConfigured(m) => PrintError::NotConfigured(add(m)),
        PrintError::Unsupported(m) => PrintError::Unsupported(add(m)),
        PrintError::NoSuchDevice(m) => PrintError::NoSuchDevice(add(m)),
        PrintError::Busy(m) => PrintError::Busy(add(m)),
        PrintError::PermissionDenied(m) => PrintError::PermissionDenied(add(m)),
        PrintError::Unreachable(m) => PrintError::Unreachable(add(m)),
        PrintError::Timeout(m) => PrintError::Timeout(add(m)),
        PrintError::Fault(m) => PrintError::Fault(add(m)),
        PrintError::Io(m) => PrintError::Io(add(m)),
        other => other,
    }
}

#[async_trait]
impl ReceiptPrinter for EscPosPrinter {
    async fn print(&self, receipt: &Receipt) -> Result<(), DeviceError> {
        self.print_receipt(receipt).await.map_err(DeviceError::from)
    }

    async fn kick_drawer(&self) -> Result<(), DeviceError> {
        self.open_drawer().await.map_err(DeviceError::from)
    }
}
