//! Streaming CSV: UTF-8 with a BOM, formula-injection safe.

use std::borrow::Cow;
use std::io::Write;
use std::marker::PhantomData;

use cloudpos_domain::order::Order;
use cloudpos_domain::refund::Refund;

use crate::columns::{Cell, Row};
use crate::{ExportError, ExportOptions, Progress};

/// The UTF-8 byte order mark Excel looks for.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Text of at least this many digits only is marked as text for Excel.
const LONG_DIGITS: usize = 12;

/// Streams one table (orders or refunds) to a CSV file.
///
/// ```
/// use cloudpos_export::{ExportOptions, OrderCsv};
/// let mut csv = OrderCsv::new(Vec::new(), &ExportOptions::default())?;
/// let (rows, bytes) = csv.finish()?;
/// assert_eq!(rows, 0);
/// assert!(String::from_utf8(bytes).unwrap().starts_with("\u{feff}订单号,状态,"));
/// # Ok::<(), cloudpos_export::ExportError>(())
/// ```
pub struct CsvExport<W: Write, R: Row> {
    out: csv::Writer<W>,
    options: ExportOptions,
    rows: u64,
    progress: Progress,
    record: Vec<Cow<'static, str>>,
    _row: PhantomData<fn(&R)>,
}

/// Orders to CSV.
pub type OrderCsv<W> = CsvExport<W, Order>;
/// Refunds to CSV.
pub type RefundCsv<W> = CsvExport<W, Refund>;

impl<W: Write, R: Row> CsvExport<W, R> {
    /// Writes the BOM and the header row.
    pub fn new(mut writer: W, options: &ExportOptions) -> Result<Self, ExportError> {
        writer.write_all(BOM)?;
        let mut out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(writer);
        out.write_record(R::TABLE.headers(options.lang))?;
        Ok(CsvExport {
            out,
            options: *options,
            rows: 0,
            progress: Progress::default(),
            record: Vec::new(),
            _row: PhantomData,
        })
    }

    /// A counter of rows written, to poll from elsewhere.
    #[must_use]
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }

    /// Writes one row.
    pub fn push(&mut self, row: &R) -> Result<(), ExportError> {
        self.record.clear();
        for cell in row.cells(self.options.lang) {
            self.record.push(self.cell_text(cell));
        }
        self.out
            .write_record(self.record.iter().map(|c| c.as_bytes()))?;
        self.rows += 1;
        self.progress.add();
        Ok(())
    }

    /// Writes every row of a page.
    pub fn push_all<'r>(&mut self, rows: impl IntoIterator<Item = &'r R>) -> Result<(), ExportError>
    where
        R: 'r,
    {
        rows.into_iter().try_for_each(|r| self.push(r))
    }

    /// Flushes; returns the number of data rows and the writer.
    pub fn finish(self) -> Result<(u64, W), ExportError> {
        let writer = self
            .out
            .into_inner()
            .map_err(|e| ExportError::Io(e.into_error()))?;
        Ok((self.rows, writer))
    }

    fn cell_text(&self, cell: Cell<'_>) -> Cow<'static, str> {
        match cell {
            Cell::Text(t) => Cow::Owned(safe_text(&t).into_owned()),
            Cell::Money(m) => Cow::Owned(m.to_yuan_string()),
            Cell::Time(Some(t)) => Cow::Owned(t.format(self.options.offset_seconds)),
            Cell::Time(None) => Cow::Borrowed(""),
        }
    }
}

/// A text cell made safe for spreadsheets (see the crate documentation). Text starting with
/// `'` is prefixed too, so [`csv_cell_text`] can always tell a prefix from the text.
fn safe_text(t: &str) -> Cow<'_, str> {
    match t.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\'') => Cow::Owned(format!("'{t}")),
        _ if t.len() >= LONG_DIGITS && t.bytes().all(|b| b.is_ascii_digit()) => {
            Cow::Owned(format!("\t{t}"))
        }
        _ => Cow::Borrowed(t),
    }
}

/// The original text of a CSV text cell written by this crate: removes the `'` put before
/// text that a spreadsheet would take for a formula (or that starts with `'` itself), and
/// the tab put before long digit runs.
#[must_use]
pub fn csv_cell_text(cell: &str) -> &str {
    if let Some(rest) = cell.strip_prefix('\'')
        && rest.starts_with(['=', '+', '-', '@', '\t', '\r', '\''])
    {
        return rest;
    }
    if let Some(rest) = cell.strip_prefix('\t')
        && rest.len() >= LONG_DIGITS
        && rest.bytes().all(|b| b.is_ascii_digit())
    {
        return rest;
    }
    cell
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dangerous_text_is_neutralised_and_recoverable() {
        for t in [
            "=1+1",
            "+86 138",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=HYPERLINK(\"http://x\")",
            "'=x",
            "'quoted",
        ] {
            let safe = safe_text(t);
            assert!(safe.starts_with('\''), "{t:?} → {safe:?}");
            assert_eq!(csv_cell_text(&safe), t);
        }
        for t in ["", "普通文字", "sz01", "12345678901", "a=b", "x'"] {
            assert_eq!(safe_text(t), t);
            assert_eq!(csv_cell_text(t), t);
        }
        let long = "4200001234567890123456789012";
        assert_eq!(safe_text(long), format!("\t{long}"));
        assert_eq!(csv_cell_text(&safe_text(long)), long);
    }
}
