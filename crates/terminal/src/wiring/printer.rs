//! The receipt printer (`ReceiptPrinter`): ESC/POS over the transport its settings name
//! (`file:`, `serial:`, `tcp:`, `cups:`, `spooler:`).

use std::sync::Arc;

use cloudpos_domain::ports::ReceiptPrinter;
use cloudpos_printer::{EscPosPrinter, PrinterSettings};

use crate::{Result, Terminal};

/// A printer with `settings` (validated by the caller).
pub(crate) fn printer(settings: PrinterSettings) -> Arc<dyn ReceiptPrinter> {
    Arc::new(EscPosPrinter::new(settings))
}

impl Terminal {
    /// Builds the printer from the stored settings (none while they are disabled) and
    /// installs it.
    pub(crate) async fn rebuild_printer(&self) -> Result<()> {
        let settings = self.setting::<PrinterSettings>().await?;
        let printer = settings.enabled.then(|| printer(settings));
        if let Ok(mut p) = self.inner.printer.write() {
            *p = printer;
        }
        Ok(())
    }
}
