//! # Exports: orders and refunds to CSV and Excel, and the statistics picture
//!
//! The terminal pages through its ledger (a few thousand rows a page) and pushes each row
//! into a streaming writer; no writer ever holds more than the row it is writing:
//!
//! - [`CsvExport`] ([`OrderCsv`], [`RefundCsv`]): one table per file, UTF-8 **with a BOM**
//!   (so Excel on a Chinese Windows opens it as UTF-8, not GBK), CRLF line ends. Text cells
//!   are **formula-injection safe**: a cell starting with `=`, `+`, `-`, `@`, a tab or a
//!   carriage return (or `'` itself, so the prefix stays unambiguous) gets a leading `'`.
//!   XLSX cells are typed strings, never formulas, and are written verbatim. Money cells
//!   are plain numbers (`12.30`) and are
//!   never prefixed. Text made only of 12 or more digits (transaction ids, all-digit order
//!   numbers) gets a leading tab, which Excel hides, so it is shown as text instead of being
//!   rounded to `4.2E+27`. [`csv_cell_text`] undoes both prefixes.
//! - [`XlsxExport`]: one workbook with two sheets, 订单 and 退款 (Orders and Refunds in
//!   English), written by `rust_xlsxwriter` in *constant memory* mode (each row goes to a
//!   temporary file next to the output as soon as the next one starts), saved under a
//!   temporary name and renamed into place by [`XlsxExport::finish`]. A sheet that reaches
//!   Excel's 1,048,576 rows continues on a second sheet (订单 2, …).
//!
//! Both show the same columns ([`ORDER_COLUMNS`], [`REFUND_COLUMNS`]) with headers in
//! Chinese or English ([`Lang`]); the folded status is shown in words and as its machine name.
//!
//! **Money in Excel** is a number cell with the format `0.00`. It is computed from fen as
//! `fen as f64 / 100.0`: the **only float in the crate**, made for the spreadsheet cell
//! alone. For every amount below 2^53 fen the division is correctly rounded, so the cell
//! holds the double nearest the exact decimal — the same double Excel would store had the
//! amount been typed — and shows exactly the yuan and fen the ledger holds. CSV cells are
//! written from the integer fen by [`Money`]'s own formatting and contain no float at all.
//!
//! **Times in Excel** are real Excel date-times (shop time, whole seconds, shown as
//! `yyyy-mm-dd hh:mm:ss`), so a spreadsheet can sort, filter and group by them; in CSV they
//! are text in the same shape. Empty times are empty cells.
//!
//! **Progress**: every writer has a [`Progress`] counter ([`Progress::rows`]) another thread
//! (the CLI's progress line) can poll while the export runs.
//!
//! **Statistics picture**: [`stats_png`] draws the amount taken per hour of the day, stacked
//! per payment method, with a legend, axes, the totals, the period and the store's name, in
//! the embedded bitmap font of `cloudpos-fonts`, so it is pixel-identical on every machine.
//! [`StatsInput::from_records`] computes its input from orders and refunds.

mod catalog;
mod columns;
mod compound;
mod csv_out;
mod error;
mod members;
mod stats;
mod xlsx;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cloudpos_domain::money::Money;
use cloudpos_domain::timestamp::CHINA_OFFSET_SECONDS;
use serde::{Deserialize, Serialize};

pub use catalog::{CatalogSheet, RowError, RowProblem, read_commodities, write_commodities};
pub use columns::{ORDER_COLUMNS, REFUND_COLUMNS, Row, Table};
pub use csv_out::{CsvExport, OrderCsv, RefundCsv, csv_cell_text};
pub use error::ExportError;
pub use members::{MemberSheet, read_members, write_members};
pub use stats::{StatsInput, stats_image, stats_png};
pub use xlsx::{ExportCounts, XlsxExport};

/// The language of headers, sheet names and words in cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// Chinese (the default).
    #[default]
    Zh,
    /// English.
    En,
}

/// How to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportOptions {
    /// Language of headers and words.
    pub lang: Lang,
    /// The shop's UTC offset, for times.
    pub offset_seconds: i32,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            lang: Lang::Zh,
            offset_seconds: CHINA_OFFSET_SECONDS,
        }
    }
}

/// A counter of rows written so far, shared with whoever watches the export.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<AtomicU64>);

impl Progress {
    /// Rows written so far (orders and refunds together).
    #[must_use]
    pub fn rows(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn add(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// `12345.6` yuan as `12,345.60`: thousands grouped, for pictures and labels.
#[must_use]
pub fn yuan_grouped(m: Money) -> String {
    let fen = m.fen();
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let yuan = (abs / 100).to_string();
    let mut grouped = String::with_capacity(yuan.len() + yuan.len() / 3);
    for (i, ch) in yuan.chars().enumerate() {
        if i > 0 && (yuan.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}.{:02}", abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping() {
        assert_eq!(yuan_grouped(Money::from_fen(0)), "0.00");
        assert_eq!(yuan_grouped(Money::from_fen(123_456)), "1,234.56");
        assert_eq!(
            yuan_grouped(Money::from_fen(12_345_678_901)),
            "123,456,789.01"
        );
        assert_eq!(yuan_grouped(Money::from_fen(-100_000)), "-1,000.00");
        assert_eq!(yuan_grouped(Money::from_fen(99_999)), "999.99");
    }
}
