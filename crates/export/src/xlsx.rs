//! Streaming Excel: two sheets in constant-memory mode.

use std::path::{Path, PathBuf};

use cloudpos_domain::money::Money;
use cloudpos_domain::order::Order;
use cloudpos_domain::refund::Refund;
use cloudpos_domain::timestamp::Timestamp;
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};
use serde::{Deserialize, Serialize};

use crate::columns::{Cell, Table, sealed::Sealed};
use crate::{ExportError, ExportOptions, Progress};

/// Excel's rows per sheet, the header included.
const MAX_ROWS: u32 = 1_048_576;

/// Rows written by an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExportCounts {
    /// Order rows.
    pub orders: u64,
    /// Refund rows.
    pub refunds: u64,
}

/// One table: the sheets it filled and the one it is writing.
struct Sheet {
    table: Table,
    done: Vec<Worksheet>,
    current: Worksheet,
    /// Next row to write in `current` (0 is the header).
    next_row: u32,
    rows: u64,
}

/// Streams orders and refunds into one Excel workbook with the sheets 订单 and 退款
/// (Orders and Refunds in English).
///
/// Rows may be pushed in any interleaving; each sheet keeps only its current row in memory.
/// Nothing appears at `path` until [`XlsxExport::finish`], which writes the workbook under a
/// temporary name beside it and renames it into place.
pub struct XlsxExport {
    workbook: Workbook,
    path: PathBuf,
    options: ExportOptions,
    orders: Sheet,
    refunds: Sheet,
    header: Format,
    money: Format,
    time: Format,
    progress: Progress,
    /// Rows per sheet, the header included ([`MAX_ROWS`]; smaller in tests).
    max_rows: u32,
}

impl XlsxExport {
    /// Starts an export to `path` (an `.xlsx` file; replaced if it exists). The temporary
    /// row files live in the same directory.
    pub fn create(path: impl AsRef<Path>, options: &ExportOptions) -> Result<Self, ExportError> {
        let path = path.as_ref().to_path_buf();
        let mut workbook = Workbook::new();
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        workbook.set_tempdir(&dir)?;
        let header = Format::new().set_bold().set_align(FormatAlign::Center);
        let mut orders = Sheet::start(&mut workbook, Table::Orders, options, &header)?;
        let mut refunds = Sheet::start(&mut workbook, Table::Refunds, options, &header)?;
        orders.current.set_freeze_panes(1, 0)?;
        refunds.current.set_freeze_panes(1, 0)?;
        Ok(XlsxExport {
            workbook,
            path,
            options: *options,
            orders,
            refunds,
            header,
            money: Format::new().set_num_format("0.00"),
            time: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            progress: Progress::default(),
            max_rows: MAX_ROWS,
        })
    }

    /// A counter of rows written, to poll from elsewhere.
    #[must_use]
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }

    /// Writes one order row.
    pub fn push_order(&mut self, order: &Order) -> Result<(), ExportError> {
        self.push(order)
    }

    /// Writes one refund row.
    pub fn push_refund(&mut self, refund: &Refund) -> Result<(), ExportError> {
        self.push(refund)
    }

    /// Writes every order of a page.
    pub fn push_orders<'r>(
        &mut self,
        orders: impl IntoIterator<Item = &'r Order>,
    ) -> Result<(), ExportError> {
        orders.into_iter().try_for_each(|o| self.push(o))
    }

    /// Writes every refund of a page.
    pub fn push_refunds<'r>(
        &mut self,
        refunds: impl IntoIterator<Item = &'r Refund>,
    ) -> Result<(), ExportError> {
        refunds.into_iter().try_for_each(|r| self.push(r))
    }

    fn push<R: Sealed>(&mut self, record: &R) -> Result<(), ExportError> {
        let sheet = match R::TABLE {
            Table::Orders => &mut self.orders,
            Table::Refunds => &mut self.refunds,
        };
        if sheet.next_row >= self.max_rows {
            sheet.next_sheet(&mut self.workbook, &self.options, &self.header)?;
        }
        let row = sheet.next_row;
        let ws = &mut sheet.current;
        for (col, cell) in (0u16..).zip(record.cells(self.options.lang)) {
            match cell {
                Cell::Text(t) => {
                    if !t.is_empty() {
                        ws.write_string(row, col, t)?;
                    }
                }
                Cell::Money(m) => {
                    ws.write_number_with_format(row, col, yuan_f64(m), &self.money)?;
                }
                Cell::Time(Some(t)) => {
                    let dt = excel_time(t, self.options.offset_seconds)?;
                    ws.write_datetime_with_format(row, col, &dt, &self.time)?;
                }
                Cell::Time(None) => {}
            }
        }
        sheet.next_row += 1;
        sheet.rows += 1;
        self.progress.add();
        Ok(())
    }

    /// Adds autofilters, writes the workbook and renames it into place.
    pub fn finish(mut self) -> Result<ExportCounts, ExportError> {
        let counts = ExportCounts {
            orders: self.orders.rows,
            refunds: self.refunds.rows,
        };
        for sheet in [self.orders, self.refunds] {
            for ws in sheet.into_sheets() {
                self.workbook.push_worksheet(ws);
            }
        }
        let mut part = self.path.clone().into_os_string();
        part.push(".part");
        let part = PathBuf::from(part);
        if let Err(e) = self.workbook.save(&part) {
            // Best effort: do not leave half a file behind.
            let _ = std::fs::remove_file(&part);
            return Err(e.into());
        }
        std::fs::rename(&part, &self.path)?;
        Ok(counts)
    }
}

impl Sheet {
    fn start(
        workbook: &mut Workbook,
        table: Table,
        options: &ExportOptions,
        header: &Format,
    ) -> Result<Sheet, ExportError> {
        Ok(Sheet {
            table,
            done: Vec::new(),
            current: new_worksheet(workbook, table, 1, options, header)?,
            next_row: 1,
            rows: 0,
        })
    }

    fn next_sheet(
        &mut self,
        workbook: &mut Workbook,
        options: &ExportOptions,
        header: &Format,
    ) -> Result<(), ExportError> {
        let part = u32::try_from(self.done.len())
            .unwrap_or(u32::MAX)
            .saturating_add(2);
        let mut next = new_worksheet(workbook, self.table, part, options, header)?;
        next.set_freeze_panes(1, 0)?;
        let mut full = std::mem::replace(&mut self.current, next);
        filter(&mut full, self.table, self.next_row - 1)?;
        self.done.push(full);
        self.next_row = 1;
        Ok(())
    }

    fn into_sheets(mut self) -> Vec<Worksheet> {
        let last = self.next_row - 1;
        // An autofilter failure only loses the filter buttons.
        let _ = filter(&mut self.current, self.table, last);
        self.done.push(self.current);
        self.done
    }
}

fn filter(ws: &mut Worksheet, table: Table, last_row: u32) -> Result<(), ExportError> {
    let last_col = u16::try_from(table.columns().len() - 1).unwrap_or(0);
    ws.autofilter(0, 0, last_row, last_col)?;
    Ok(())
}

fn new_worksheet(
    workbook: &mut Workbook,
    table: Table,
    part: u32,
    options: &ExportOptions,
    header: &Format,
) -> Result<Worksheet, ExportError> {
    let mut ws = workbook.new_worksheet_with_constant_memory()?;
    let name = table.sheet_name(options.lang);
    if part == 1 {
        ws.set_name(name)?;
    } else {
        ws.set_name(format!("{name} {part}"))?;
    }
    for (col, (_, _, width)) in (0u16..).zip(table.columns()) {
        ws.set_column_width(col, f64::from(*width))?;
    }
    for (col, h) in (0u16..).zip(table.headers(options.lang)) {
        ws.write_string_with_format(0, col, h, header)?;
    }
    Ok(ws)
}

/// The amount in yuan as the spreadsheet's number: the one float of the crate (see the
/// crate documentation: exact to display below 2^53 fen).
#[allow(clippy::cast_precision_loss)]
fn yuan_f64(m: Money) -> f64 {
    m.fen() as f64 / 100.0
}

fn excel_time(t: Timestamp, offset_seconds: i32) -> Result<ExcelDateTime, ExportError> {
    Ok(ExcelDateTime::from_timestamp(
        t.unix_seconds() + i64::from(offset_seconds),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx, open_workbook};
    use cloudpos_domain::clerk::ClerkId;
    use cloudpos_domain::order::PaymentMethod;
    use cloudpos_domain::order_no::{OrderNo, RefundNo};
    use cloudpos_domain::refund::RefundState;

    fn refund(i: u32) -> Refund {
        let t = Timestamp::from_unix_seconds(1_795_276_800);
        Refund {
            no: RefundNo::parse(&format!("R{i}")).unwrap(),
            order_no: OrderNo::parse("O1").unwrap(),
            method: PaymentMethod::Cash,
            amount: Money::from_fen(i64::from(i)),
            state: RefundState::Succeeded,
            reason: String::new(),
            clerk_id: ClerkId::parse("01").unwrap(),
            authorized_by: None,
            shift_id: None,
            refund_id: None,
            failure: None,
            created_at: t,
            updated_at: t,
            succeeded_at: Some(t),
        }
    }

    #[test]
    fn a_full_sheet_continues_on_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.xlsx");
        let mut x = XlsxExport::create(&path, &ExportOptions::default()).unwrap();
        x.max_rows = 5;
        for i in 0..11 {
            x.push_refund(&refund(i)).unwrap();
        }
        let counts = x.finish().unwrap();
        assert_eq!(counts.refunds, 11);
        let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
        assert_eq!(wb.sheet_names(), ["订单", "退款", "退款 2", "退款 3"]);
        let mut numbers = Vec::new();
        for (sheet, rows) in [("退款", 5), ("退款 2", 5), ("退款 3", 4)] {
            let range = wb.worksheet_range(sheet).unwrap();
            assert_eq!(range.height(), rows, "{sheet}");
            assert_eq!(
                range.get((0, 0)),
                Some(&Data::String("退款单号".to_owned()))
            );
            for r in 1..rows {
                numbers.push(range.get((r, 0)).unwrap().to_string());
            }
        }
        let want: Vec<String> = (0..11).map(|i| format!("R{i}")).collect();
        assert_eq!(numbers, want);
    }
}
