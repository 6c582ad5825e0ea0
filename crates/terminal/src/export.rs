//! Exports: the order query's results (and the matching refunds) to Excel or CSV, streamed
//! page by page; and the statistics picture of a period.

use std::path::{Path, PathBuf};

use cloudpos_domain::clerk::{ClerkId, Permission};
use cloudpos_domain::ports::{OrderFilter, RefundFilter};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_export::{ExportOptions, Lang, OrderCsv, RefundCsv, StatsInput, XlsxExport};

use crate::{Result, Terminal, TerminalError};

/// Where an export goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportTarget {
    /// One workbook with two sheets (订单, 退款).
    Xlsx(PathBuf),
    /// Orders to this file, refunds beside it (`NAME-refunds.csv`).
    Csv(PathBuf),
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExportReport {
    /// Order rows.
    pub orders: u64,
    /// Refund rows.
    pub refunds: u64,
    /// Files written.
    pub files: Vec<PathBuf>,
}

fn export_error(e: impl std::fmt::Display) -> TerminalError {
    TerminalError::Invalid(format!("export failed: {e}"))
}

/// `orders.csv` → `orders-refunds.csv`.
fn refunds_path(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("orders");
    let ext = path.extension().and_then(|s| s.to_str()).unwrap_or("csv");
    path.with_file_name(format!("{stem}-refunds.{ext}"))
}

impl Terminal {
    /// The filter as this clerk may see it: everything for managers, own records otherwise.
    async fn visible_clerk(&self, wanted: Option<&ClerkId>) -> Result<Option<ClerkId>> {
        let (_, me) = self.current_clerk().await?;
        if !me.may(Permission::ExportOrders) {
            return Err(TerminalError::PermissionDenied(format!(
                "{} may not export",
                me.id
            )));
        }
        match wanted {
            Some(c) if me.may(Permission::SeeAllSummaries) || c == &me.id => Ok(Some(c.clone())),
            Some(c) => Err(TerminalError::PermissionDenied(format!(
                "{} may see only their own orders, not {c}'s",
                me.id
            ))),
            None if me.may(Permission::SeeAllSummaries) => Ok(None),
            None => Ok(Some(me.id.clone())),
        }
    }

    /// Exports the orders matching `filter` (a clerk without the see-all permission gets
    /// only their own) and the refunds of the same period and clerk. `progress(done, total)`
    /// is called after each page.
    pub async fn export(
        &self,
        filter: &OrderFilter,
        target: ExportTarget,
        mut progress: impl FnMut(u64, u64) + Send,
    ) -> Result<ExportReport> {
        let clerk = self.visible_clerk(filter.clerk.as_ref()).await?;
        let ledger = &self.inner.ports.ledger;
        let mut orders_filter = filter.clone();
        orders_filter.clerk.clone_from(&clerk);
        let refund_filter = RefundFilter {
            from: filter.from,
            to: filter.to,
            clerk: clerk.clone(),
            order_no: filter.order_no.clone(),
            ..RefundFilter::default()
        };
        let total = ledger
            .orders(&OrderFilter {
                page_size: 1,
                ..orders_filter.clone()
            })
            .await?
            .total
            + ledger
                .refunds(&RefundFilter {
                    page_size: 1,
                    ..refund_filter.clone()
                })
                .await?
                .total;
        let options = ExportOptions {
            lang: Lang::Zh,
            offset_seconds: self.offset_seconds(),
        };
        let mut done = 0u64;
        progress(0, total);
        match target {
            ExportTarget::Xlsx(path) => {
                let mut x = XlsxExport::create(&path, &options).map_err(export_error)?;
                self.each_order_page(&orders_filter, |page| {
                    for o in page {
                        x.push_order(o).map_err(export_error)?;
                    }
                    done += page.len() as u64;
                    progress(done, total);
                    Ok(())
                })
                .await?;
                self.each_refund_page(&refund_filter, |page| {
                    for r in page {
                        x.push_refund(r).map_err(export_error)?;
                    }
                    done += page.len() as u64;
                    progress(done, total);
                    Ok(())
                })
                .await?;
                let counts = x.finish().map_err(export_error)?;
                Ok(ExportReport {
                    orders: counts.orders,
                    refunds: counts.refunds,
                    files: vec![path],
                })
            }
            ExportTarget::Csv(path) => {
                let file = std::fs::File::create(&path)
                    .map_err(|e| export_error(format!("{}: {e}", path.display())))?;
                let mut orders =
                    OrderCsv::new(std::io::BufWriter::new(file), &options).map_err(export_error)?;
                self.each_order_page(&orders_filter, |page| {
                    orders.push_all(page).map_err(export_error)?;
                    done += page.len() as u64;
                    progress(done, total);
                    Ok(())
                })
                .await?;
                let (order_rows, _) = orders.finish().map_err(export_error)?;
                let rpath = refunds_path(&path);
                let file = std::fs::File::create(&rpath)
                    .map_err(|e| export_error(format!("{}: {e}", rpath.display())))?;
                let mut refunds = RefundCsv::new(std::io::BufWriter::new(file), &options)
                    .map_err(export_error)?;
                self.each_refund_page(&refund_filter, |page| {
                    refunds.push_all(page).map_err(export_error)?;
                    done += page.len() as u64;
                    progress(done, total);
                    Ok(())
                })
                .await?;
                let (refund_rows, _) = refunds.finish().map_err(export_error)?;
                Ok(ExportReport {
                    orders: order_rows,
                    refunds: refund_rows,
                    files: vec![path, rpath],
                })
            }
        }
    }

    /// The statistics picture (PNG) of `[from, to)` for `clerk` (visibility as for
    /// summaries): amount per hour and payment method.
    pub async fn stats_png(
        &self,
        from: Timestamp,
        to: Timestamp,
        clerk: Option<&ClerkId>,
    ) -> Result<Vec<u8>> {
        let clerk = self.visible_clerk(clerk).await?;
        let store = self
            .merchant()
            .await?
            .map(|m| m.store_name)
            .unwrap_or_default();
        let mut orders = Vec::new();
        self.each_order_page(
            &OrderFilter {
                paid_from: Some(from),
                paid_to: Some(to),
                clerk: clerk.clone(),
                ..OrderFilter::default()
            },
            |p| {
                orders.extend_from_slice(p);
                Ok(())
            },
        )
        .await?;
        let mut refunds = Vec::new();
        self.each_refund_page(
            &RefundFilter {
                succeeded_from: Some(from),
                succeeded_to: Some(to),
                clerk,
                ..RefundFilter::default()
            },
            |p| {
                refunds.extend_from_slice(p);
                Ok(())
            },
        )
        .await?;
        let input = StatsInput::from_records(
            &store,
            (from, to),
            self.offset_seconds(),
            Lang::Zh,
            &orders,
            &refunds,
        );
        cloudpos_export::stats_png(&input).map_err(export_error)
    }
}
