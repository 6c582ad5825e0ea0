//! Receipts: built from ledger records, printed automatically after a payment or refund when
//! the printer is enabled (a printing failure never fails the payment: the order stays and can
//! be printed again), printed on demand, and previewed as PNG.

use std::sync::Arc;

use cloudpos_domain::order::{Order, OrderState};
use cloudpos_domain::order_no::{OrderNo, RefundNo};
use cloudpos_domain::ports::ReceiptPrinter;
use cloudpos_domain::receipt::{Receipt, ReceiptKind};
use cloudpos_domain::refund::Refund;
use cloudpos_domain::shift::Summary;
use cloudpos_printer::{PaperWidth, PrinterSettings};

use crate::{Event, Result, Setting, Terminal, TerminalError};

fn device_error(e: impl std::fmt::Display) -> TerminalError {
    TerminalError::Invalid(format!("printer: {e}"))
}

impl Setting for PrinterSettings {
    const KEY: &'static str = "printer";
    const NAME: &'static str = "printer settings";
    const AUDIT_ACTION: &'static str = "config_printer";

    fn check(&mut self) -> Result<()> {
        self.validate().map_err(device_error)
    }

    /// The printer is rebuilt with them (none while disabled).
    async fn applied(&self, terminal: &Terminal) -> Result<()> {
        terminal.rebuild_printer().await
    }
}

/// Paper width from the CLI's `58`, `80` or a number of columns.
pub fn paper_width(text: &str) -> Result<PaperWidth> {
    match text.trim().trim_end_matches("mm") {
        "58" => Ok(PaperWidth::Mm58),
        "80" => Ok(PaperWidth::Mm80),
        other => other
            .parse::<u16>()
            .ok()
            .filter(|c| {
                (cloudpos_printer::settings::MIN_COLUMNS..=cloudpos_printer::settings::MAX_COLUMNS)
                    .contains(c)
            })
            .map(PaperWidth::Columns)
            .ok_or_else(|| {
                TerminalError::Invalid(format!(
                    "paper width \"{text}\": use 58, 80, or a number of columns from 16 to 72"
                ))
            }),
    }
}

impl Terminal {
    pub(crate) fn printer(&self) -> Option<Arc<dyn ReceiptPrinter>> {
        self.inner.printer.read().ok().and_then(|p| p.clone())
    }

    pub(crate) async fn receipt_base(&self, kind: ReceiptKind) -> Result<Receipt> {
        let merchant = self.merchant().await?;
        Ok(Receipt {
            kind,
            store_name: merchant
                .as_ref()
                .map(|m| m.store_name.clone())
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| "CloudPOS".to_owned()),
            sandbox: merchant.as_ref().is_some_and(|m| m.sandbox),
            offset_seconds: self.offset_seconds(),
            time: self.now(),
            ..Receipt::default()
        })
    }

    pub(crate) async fn clerk_label(&self, id: &cloudpos_domain::clerk::ClerkId) -> Result<String> {
        Ok(match self.inner.ports.accounts.clerk(id).await? {
            Some(c) if !c.name.is_empty() => format!("{} {}", c.id, c.name),
            _ => id.to_string(),
        })
    }

    /// The payment receipt of an order.
    pub async fn order_receipt(&self, order: &Order) -> Result<Receipt> {
        let mut r = self.receipt_base(ReceiptKind::Payment).await?;
        r.order_no = Some(order.no.to_string());
        r.transaction_id.clone_from(&order.transaction_id);
        r.time = order.paid_at.unwrap_or(order.created_at);
        r.clerk = self.clerk_label(&order.clerk_id).await?;
        r.device_id.clone_from(&order.device_id);
        r.method = Some(order.method);
        r.amount = order.amount;
        r.refunded = order.refunded;
        r.cash = order.cash_tendered.zip(order.cash_change);
        r.lines.clone_from(&order.lines);
        r.remark.clone_from(&order.remark);
        Ok(r)
    }

    /// The receipt of a refund.
    pub async fn refund_receipt(&self, refund: &Refund, order: &Order) -> Result<Receipt> {
        let mut r = self.receipt_base(ReceiptKind::Refund).await?;
        r.order_no = Some(order.no.to_string());
        r.refund_no = Some(refund.no.to_string());
        r.transaction_id.clone_from(&order.transaction_id);
        r.time = refund.succeeded_at.unwrap_or(refund.created_at);
        r.clerk = self.clerk_label(&refund.clerk_id).await?;
        r.device_id.clone_from(&order.device_id);
        r.method = Some(order.method);
        r.amount = order.amount;
        r.refund_amount = Some(refund.amount);
        r.refunded = order.refunded;
        r.remark.clone_from(&refund.reason);
        if let Some(m) = &refund.authorized_by {
            r.extra
                .push(("授权人".to_owned(), self.clerk_label(m).await?));
        }
        Ok(r)
    }

    /// The receipt of a summary (handover slip).
    pub async fn summary_receipt(&self, summary: &Summary) -> Result<Receipt> {
        let mut r = self.receipt_base(ReceiptKind::Summary).await?;
        if let Some(c) = &summary.clerk {
            r.clerk = self.clerk_label(c).await?;
        }
        r.summary = Some(summary.clone());
        // Deposits apart from the payments (a freeze is not income; a consume's paid order
        // is in the table already).
        let d = self
            .deposit_totals_of(summary.from, summary.to, summary.clerk.as_ref())
            .await?;
        if !d.is_empty() {
            for (what, count, amount) in [
                ("押金冻结", d.frozen_count, d.frozen),
                ("押金消费", d.consumed_count, d.consumed),
                ("押金解冻", d.released_count, d.released),
            ] {
                r.extra
                    .push((format!("{what} {count} 笔"), amount.to_string()));
            }
        }
        Ok(r)
    }

    /// The printer test page.
    pub async fn test_receipt(&self, settings: &PrinterSettings) -> Result<Receipt> {
        let base = self.receipt_base(ReceiptKind::TestPage).await?;
        let mut r = cloudpos_printer::test_page(settings, &base.store_name, self.now());
        r.sandbox = base.sandbox;
        Ok(r)
    }

    async fn load_order(&self, no: &OrderNo) -> Result<Order> {
        self.inner
            .ports
            .ledger
            .order(no)
            .await?
            .ok_or_else(|| TerminalError::NotFound(format!("order {no}")))
    }

    /// Prints a receipt with the configured printer, or with `settings` (another device or
    /// width) when given.
    pub async fn print_receipt(
        &self,
        receipt: &Receipt,
        settings: Option<PrinterSettings>,
    ) -> Result<()> {
        let printer: Arc<dyn ReceiptPrinter> = match settings {
            Some(s) => {
                s.validate().map_err(device_error)?;
                crate::wiring::printer(s)
            }
            None => self.printer().ok_or(TerminalError::NoPrinter)?,
        };
        printer
            .print(receipt)
            .await
            .map_err(TerminalError::Printing)
    }

    /// Prints (or re-prints) an order's receipt.
    pub async fn print_order(&self, no: &OrderNo, settings: Option<PrinterSettings>) -> Result<()> {
        let order = self.load_order(no).await?;
        let receipt = self.order_receipt(&order).await?;
        self.print_receipt(&receipt, settings).await
    }

    /// The receipt of a refund, by number.
    pub async fn refund_receipt_of(&self, no: &RefundNo) -> Result<Receipt> {
        let refund = self
            .inner
            .ports
            .ledger
            .refund(no)
            .await?
            .ok_or_else(|| TerminalError::NotFound(format!("refund {no}")))?;
        let order = self.load_order(&refund.order_no).await?;
        self.refund_receipt(&refund, &order).await
    }

    /// Prints (or re-prints) a refund's receipt.
    pub async fn print_refund(
        &self,
        no: &RefundNo,
        settings: Option<PrinterSettings>,
    ) -> Result<()> {
        let receipt = self.refund_receipt_of(no).await?;
        self.print_receipt(&receipt, settings).await
    }

    /// A PNG of an order's receipt the way the paper would look.
    pub async fn order_preview(&self, no: &OrderNo, width: PaperWidth) -> Result<Vec<u8>> {
        let order = self.load_order(no).await?;
        let receipt = self.order_receipt(&order).await?;
        let settings = PrinterSettings {
            width,
            ..self.setting::<PrinterSettings>().await?
        };
        Ok(cloudpos_printer::preview_png(&receipt, &settings))
    }

    /// A PNG of any receipt with the stored settings (or `width`).
    pub async fn receipt_preview(
        &self,
        receipt: &Receipt,
        width: Option<PaperWidth>,
    ) -> Result<Vec<u8>> {
        let mut settings = self.setting::<PrinterSettings>().await?;
        if let Some(w) = width {
            settings.width = w;
        }
        Ok(cloudpos_printer::preview_png(receipt, &settings))
    }

    /// Prints in the background when the printer is enabled; a failure is logged and
    /// published as [`Event::PrintFailed`], never returned to the payment.
    pub(crate) fn auto_print(&self, receipt: Receipt, what: String) {
        let Some(printer) = self.printer() else {
            return;
        };
        let events = self.inner.events.clone();
        let handle = tokio::spawn(async move {
            if let Err(e) = printer.print(&receipt).await {
                tracing::warn!(%what, error = %e, "receipt not printed; it can be printed again from the order list");
                let _ = events.send(Event::PrintFailed {
                    what,
                    reason: e.to_string(),
                });
            }
        });
        if let Ok(mut pending) = self.inner.prints.lock() {
            pending.retain(|h| !h.is_finished());
            pending.push(handle);
        }
    }

    /// Waits for background printing to finish (the CLI calls this before exiting).
    pub async fn flush_prints(&self) {
        let pending: Vec<_> = self
            .inner
            .prints
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default();
        for h in pending {
            let _ = h.await;
        }
    }

    /// Announces a payment's final state (never waits) and auto-prints a paid order's
    /// receipt (copies as configured).
    pub(crate) async fn after_paid(&self, order: &Order) {
        self.announce_order(order);
        if order.state != OrderState::Paid || self.printer().is_none() {
            return;
        }
        match self.order_receipt(order).await {
            Ok(r) => self.auto_print(r, format!("order {}", order.no)),
            Err(e) => tracing::warn!(order = %order.no, error = %e, "receipt not built"),
        }
    }

    /// Auto-prints a succeeded refund's receipt.
    pub(crate) async fn after_refunded(&self, refund: &Refund, order: &Order) {
        if self.printer().is_none() {
            return;
        }
        match self.refund_receipt(refund, order).await {
            Ok(r) => self.auto_print(r, format!("refund {}", refund.no)),
            Err(e) => tracing::warn!(refund = %refund.no, error = %e, "receipt not built"),
        }
    }
}

impl Terminal {
    /// A PNG of `receipt` printed with `settings` (the printer page's live preview of
    /// settings not saved yet).
    #[must_use]
    pub fn receipt_preview_with(
        &self,
        receipt: &cloudpos_domain::receipt::Receipt,
        settings: &cloudpos_printer::PrinterSettings,
    ) -> Vec<u8> {
        cloudpos_printer::preview_png(receipt, settings)
    }
}
