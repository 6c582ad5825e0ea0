//! The commodity list in and out of Excel (商品导入 / 导出库存).
//!
//! The sheet has a header row naming the columns (Chinese or English, in any order; extra
//! columns are ignored): 货号/SKU, 条码/Barcode, 名称/Name, 类别/Category, 单位/Unit,
//! 单价/Price (yuan), 库存/Stock. Every other row is one commodity. Rows that do not make a
//! valid commodity are reported with their row number and reason and skipped; the others
//! are returned for the caller to save. A file that is not a workbook is an error naming it.

use std::panic::AssertUnwindSafe;
use std::path::Path;

use calamine::{Data, Range, Reader, open_workbook_auto};
use cloudpos_domain::catalog::{Commodity, CommodityError};
use cloudpos_domain::money::{Money, MoneyError};
use rust_xlsxwriter::{Format, Workbook};

use crate::ExportError;
use crate::compound::{check_compound_file, is_compound_file};

/// The columns, in export order: (Chinese, English, required).
const COLUMNS: [(&str, &str, bool); 7] = [
    ("货号", "SKU", true),
    ("条码", "Barcode", false),
    ("名称", "Name", true),
    ("类别", "Category", false),
    ("单位", "Unit", false),
    ("单价", "Price", true),
    ("库存", "Stock", false),
];

/// Other header spellings accepted on import.
const ALIASES: [(&str, usize); 8] = [
    ("商品编号", 0),
    ("编号", 0),
    ("商品条码", 1),
    ("商品名称", 2),
    ("商品类别", 3),
    ("价格", 5),
    ("售价", 5),
    ("库存数量", 6),
];

/// A row that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// 1-based row number as Excel shows it.
    pub row: usize,
    /// What is wrong, in English (the command line's words).
    pub reason: String,
    /// What is wrong, as a kind a screen words in its own language.
    #[serde(skip)]
    pub problem: RowProblem,
}

/// Why a row was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    /// The price cell is not an amount in yuan with at most two decimals.
    #[error("{0}")]
    Price(MoneyError),
    /// The stock cell is not a whole number (its text).
    #[error("stock \"{0}\" is not a whole number")]
    Stock(String),
    /// The commodity's fields are invalid.
    #[error("{0}")]
    Commodity(CommodityError),
    /// The member's fields are invalid (member import).
    #[error("{0}")]
    Member(cloudpos_domain::member::MemberError),
}

/// The result of reading a commodity sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogSheet {
    /// Valid commodities, in sheet order (a repeated SKU keeps its last row).
    pub commodities: Vec<Commodity>,
    /// Rows skipped, with reasons.
    pub errors: Vec<RowError>,
    /// Data rows read (valid and invalid).
    pub rows: usize,
}

pub(crate) fn text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        // Whole numbers (barcodes, SKUs typed as numbers) without a decimal point.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Int(i) => i.to_string(),
        other => other.to_string().trim().to_owned(),
    }
}

/// A price cell as money: text is parsed strictly; a number cell is read through its decimal
/// text (two decimals at most, or the row is refused).
fn price(cell: &Data) -> Result<Money, RowProblem> {
    let t = match cell {
        Data::Float(f) => {
            // Excel stores 12.3 as the nearest double; print it with enough digits and let the
            // strict parser reject anything that is not a whole number of fen.
            let s = format!("{f:.6}");
            let s = s.trim_end_matches('0').trim_end_matches('.').to_owned();
            if s.is_empty() { "0".to_owned() } else { s }
        }
        other => text(other),
    };
    Money::parse_yuan(&t).map_err(RowProblem::Price)
}

fn stock(cell: &Data) -> Result<i64, RowProblem> {
    match cell {
        Data::Empty => Ok(0),
        Data::Int(i) => Ok(*i),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => Ok(*f as i64),
        other => {
            let t = text(other);
            if t.is_empty() {
                return Ok(0);
            }
            t.parse::<i64>().map_err(|_| RowProblem::Stock(t))
        }
    }
}

/// The cells of the first sheet of a workbook.
///
/// calamine 0.38 panics on some malformed files instead of returning an error: an `.xls`
/// cut short after its 512-byte header makes its compound-file reader (`cfb.rs`) index out
/// of bounds (found by the `excel_import` fuzz target). A panic inside the reader is turned
/// into the same "not a readable workbook" error as any other bad file, so an import never
/// fails with a panic, whoever calls it. A compound file (`.xls`) is first checked for
/// damaged sector chains, which would make calamine allocate without bound
/// ([`crate::compound`]).
pub(crate) fn first_sheet(path: &Path) -> Result<Range<Data>, ExportError> {
    let unreadable = |why: String| {
        ExportError::Import(format!(
            "{} is not a readable Excel workbook: {why}",
            path.display()
        ))
    };
    if is_compound_file(path).map_err(|e| unreadable(e.to_string()))? {
        check_compound_file(path)
            .map_err(|e| unreadable(format!("the .xls container is damaged ({e})")))?;
    }
    let read = || -> Result<Range<Data>, ExportError> {
        let mut book = open_workbook_auto(path).map_err(|e| {
            ExportError::Import(format!(
                "{} is not a readable Excel workbook: {e}",
                path.display()
            ))
        })?;
        let sheet = book
            .sheet_names()
            .first()
            .cloned()
            .ok_or_else(|| ExportError::Import(format!("{} has no sheets", path.display())))?;
        book.worksheet_range(&sheet)
            .map_err(|e| ExportError::Import(format!("{}: sheet {sheet}: {e}", path.display())))
    };
    std::panic::catch_unwind(AssertUnwindSafe(read)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(ExportError::Import(format!(
            "{} is not a readable Excel workbook: the reader failed on it ({what})",
            path.display()
        )))
    })
}

/// Maps each of `columns` (Chinese heading, English heading, required) to its position in
/// the sheet's `header` row, by heading or one of `aliases`; refuses a header that lacks a
/// required column, naming the missing ones and what is `expected` at least.
pub(crate) fn column_positions<const N: usize>(
    path: &Path,
    header: &[Data],
    columns: &[(&str, &str, bool); N],
    aliases: &[(&str, usize)],
    expected: &str,
) -> Result<[Option<usize>; N], ExportError> {
    let mut position = [None; N];
    for (i, cell) in header.iter().enumerate() {
        let h = text(cell);
        let h = h.trim_end_matches(['*', '：', ':']).trim();
        let col = columns
            .iter()
            .position(|(zh, en, _)| h == *zh || h.eq_ignore_ascii_case(en))
            .or_else(|| aliases.iter().find(|(a, _)| h == *a).map(|(_, c)| *c));
        if let Some(c) = col {
            position[c].get_or_insert(i);
        }
    }
    let missing: Vec<&str> = columns
        .iter()
        .zip(position)
        .filter(|((_, _, required), p)| *required && p.is_none())
        .map(|((zh, _, _), _)| *zh)
        .collect();
    if !missing.is_empty() {
        return Err(ExportError::Import(format!(
            "{}: the header row lacks the column(s) {} (expected {expected} at least)",
            path.display(),
            missing.join(", ")
        )));
    }
    Ok(position)
}

/// Reads the first sheet of a workbook (xlsx, xls, ods).
pub fn read_commodities(path: &Path) -> Result<CatalogSheet, ExportError> {
    let range = first_sheet(path)?;
    let mut rows = range.rows();
    let header = rows
        .next()
        .ok_or_else(|| ExportError::Import(format!("{}: the sheet is empty", path.display())))?;
    let position = column_positions(path, header, &COLUMNS, &ALIASES, "货号, 名称, 单价")?;
    let empty = Data::Empty;
    let mut out = CatalogSheet {
        commodities: Vec::new(),
        errors: Vec::new(),
        rows: 0,
    };
    for (i, row) in rows.enumerate() {
        let excel_row = i + 2;
        let cell = |c: usize| position[c].and_then(|p| row.get(p)).unwrap_or(&empty);
        if row.iter().all(|c| text(c).is_empty()) {
            continue;
        }
        out.rows += 1;
        let result = (|| -> Result<Commodity, RowProblem> {
            let barcode = text(cell(1));
            let c = Commodity {
                sku: text(cell(0)),
                barcode: (!barcode.is_empty()).then_some(barcode),
                name: text(cell(2)),
                category: text(cell(3)),
                unit: text(cell(4)),
                price: price(cell(5))?,
                stock: stock(cell(6))?,
            };
            c.validate().map_err(RowProblem::Commodity)?;
            Ok(c)
        })();
        match result {
            Ok(c) => {
                out.commodities.retain(|x| x.sku != c.sku);
                out.commodities.push(c);
            }
            Err(problem) => out.errors.push(RowError {
                row: excel_row,
                reason: problem.to_string(),
                problem,
            }),
        }
    }
    Ok(out)
}

/// Writes the commodity list (库存导出) in the import layout, so the file can be edited and
/// imported again.
pub fn write_commodities(path: &Path, commodities: &[Commodity]) -> Result<(), ExportError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("商品")?;
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("0.00");
    for (c, (zh, _, _)) in COLUMNS.iter().enumerate() {
        let col = u16::try_from(c).unwrap_or(0);
        sheet.write_string_with_format(0, col, *zh, &bold)?;
    }
    for (i, c) in commodities.iter().enumerate() {
        let r = u32::try_from(i + 1).map_err(|_| ExportError::Import("too many rows".into()))?;
        sheet.write_string(r, 0, &c.sku)?;
        sheet.write_string(r, 1, c.barcode.as_deref().unwrap_or(""))?;
        sheet.write_string(r, 2, &c.name)?;
        sheet.write_string(r, 3, &c.category)?;
        sheet.write_string(r, 4, &c.unit)?;
        // The spreadsheet's one float: fen / 100 is exact to display below 2^53 fen.
        #[allow(clippy::cast_precision_loss)]
        let yuan = c.price.fen() as f64 / 100.0;
        sheet.write_number_with_format(r, 5, yuan, &money)?;
        #[allow(clippy::cast_precision_loss)]
        sheet.write_number(r, 6, c.stock as f64)?;
    }
    book.save(path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(sku: &str, fen: i64) -> Commodity {
        Commodity {
            sku: sku.into(),
            barcode: Some(format!("69{sku:0>11}")),
            name: format!("商品{sku}"),
            category: "饮料".into(),
            unit: "瓶".into(),
            price: Money::from_fen(fen),
            stock: 12,
        }
    }

    #[test]
    fn round_trip_through_excel() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("goods.xlsx");
        let items: Vec<_> = (0..50)
            .map(|i| item(&format!("A{i}"), 100 + i * 7))
            .collect();
        write_commodities(&path, &items).unwrap();
        let back = read_commodities(&path).unwrap();
        assert!(back.errors.is_empty(), "{:?}", back.errors);
        assert_eq!(back.commodities, items);
    }

    #[test]
    fn bad_rows_are_reported_good_rows_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mixed.xlsx");
        let mut book = Workbook::new();
        let s = book.add_worksheet();
        for (c, h) in ["名称", "货号", "价格", "库存", "备注"].iter().enumerate() {
            s.write_string(0, u16::try_from(c).unwrap(), *h).unwrap();
        }
        let rows: [(&str, &str, &str, &str); 5] = [
            ("可乐", "K1", "3.5", "10"),
            ("", "K2", "3.5", "1"),
            ("雪碧", "K3", "3.555", "1"),
            ("芬达", "K4", "-1", "1"),
            ("冰红茶", "K5", "4", "x"),
        ];
        for (r, (name, sku, price, stock)) in rows.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap();
            s.write_string(r, 0, *name).unwrap();
            s.write_string(r, 1, *sku).unwrap();
            s.write_string(r, 2, *price).unwrap();
            s.write_string(r, 3, *stock).unwrap();
        }
        s.write_number(6, 1, 123_456.0).unwrap(); // SKU typed as a number
        s.write_string(6, 0, "矿泉水").unwrap();
        s.write_number(6, 2, 1.5).unwrap();
        book.save(&path).unwrap();
        let got = read_commodities(&path).unwrap();
        assert_eq!(got.rows, 6);
        let skus: Vec<_> = got.commodities.iter().map(|c| c.sku.as_str()).collect();
        assert_eq!(skus, ["K1", "123456"]);
        assert_eq!(got.commodities[1].price, Money::from_fen(150));
        let errs: Vec<_> = got
            .errors
            .iter()
            .map(|e| (e.row, e.reason.clone()))
            .collect();
        assert_eq!(errs.len(), 4, "{errs:?}");
        assert_eq!(errs[0].0, 3);
        assert!(errs[0].1.contains("name"), "{errs:?}");
        assert!(errs[1].1.contains("3 decimal places"), "{errs:?}");
        assert!(errs[2].1.contains("sign"), "{errs:?}");
        assert!(errs[3].1.contains("stock"), "{errs:?}");
    }

    #[test]
    fn a_header_row_without_required_columns_names_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-price.xlsx");
        let mut book = Workbook::new();
        let s = book.add_worksheet();
        for (c, h) in ["Name", "条码", "备注"].iter().enumerate() {
            s.write_string(0, u16::try_from(c).unwrap(), *h).unwrap();
        }
        s.write_string(1, 0, "可乐").unwrap();
        book.save(&path).unwrap();
        let err = read_commodities(&path).unwrap_err().to_string();
        assert!(err.contains("no-price.xlsx"), "{err}");
        // 名称 is there (as Name), so only the two absent ones are named as lacking.
        assert!(
            err.contains("the header row lacks the column(s) 货号, 单价 (expected"),
            "{err}"
        );
    }

    /// The 512-byte header of a compound file (the container of `.xls`) that says "one FAT
    /// sector, directory in sector 0" while the file ends right after the header.
    fn truncated_xls() -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..8].copy_from_slice(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
        h[24..26].copy_from_slice(&0x3E_u16.to_le_bytes()); // minor version
        h[26..28].copy_from_slice(&3_u16.to_le_bytes()); // major version 3
        h[28..30].copy_from_slice(&0xFFFE_u16.to_le_bytes()); // byte order
        h[30..32].copy_from_slice(&9_u16.to_le_bytes()); // 512-byte sectors
        h[32..34].copy_from_slice(&6_u16.to_le_bytes()); // 64-byte mini sectors
        h[44..48].copy_from_slice(&1_u32.to_le_bytes()); // one FAT sector
        h[48..52].copy_from_slice(&0_u32.to_le_bytes()); // directory starts at sector 0
        h[60..64].copy_from_slice(&0xFFFF_FFFE_u32.to_le_bytes()); // no mini FAT
        h[68..72].copy_from_slice(&0xFFFF_FFFE_u32.to_le_bytes()); // no DIFAT sectors
        h[76..80].copy_from_slice(&0_u32.to_le_bytes()); // the FAT is sector 0
        for slot in h[80..].chunks_mut(4) {
            slot.copy_from_slice(&0xFFFF_FFFF_u32.to_le_bytes());
        }
        h
    }

    #[test]
    fn a_truncated_xls_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["truncated.xls", "truncated.xlsx", "truncated"] {
            let path = dir.path().join(name);
            std::fs::write(&path, truncated_xls()).unwrap();
            let err = read_commodities(&path).unwrap_err().to_string();
            assert!(
                err.contains("not a readable Excel workbook"),
                "{name}: {err}"
            );
        }
    }

    #[test]
    fn a_corrupt_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.xlsx");
        std::fs::write(&path, b"PK\x03\x04 this is not really a zip").unwrap();
        let err = read_commodities(&path).unwrap_err().to_string();
        assert!(err.contains("not a readable Excel workbook"), "{err}");
        let path = dir.path().join("noheader.xlsx");
        let mut book = Workbook::new();
        book.add_worksheet().write_string(0, 0, "foo").unwrap();
        book.save(&path).unwrap();
        let err = read_commodities(&path).unwrap_err().to_string();
        assert!(err.contains("货号"), "{err}");
    }
}
