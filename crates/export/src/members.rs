//! Member cards in and out of Excel (会员导入 / 导出), with the commodity import's per-row
//! error report.
//!
//! The header row names the columns (Chinese or English, any order): 卡号/Card,
//! 姓名/Name, 手机/Phone, 状态/Status (`active`/`正常` or `frozen`/`冻结`, default active).
//! The export adds 余额/Balance (yuan), which an import ignores: balances move only through
//! ledger entries, never through a file.

use std::path::Path;

use calamine::Data;
use cloudpos_domain::member::{CardNo, MemberAccount, MemberCard, MemberStatus};
use cloudpos_domain::timestamp::Timestamp;
use rust_xlsxwriter::{Format, Workbook};

use crate::ExportError;
use crate::catalog::{RowError, RowProblem, column_positions, first_sheet, text};

/// The columns, in export order: (Chinese, English, required on import).
const COLUMNS: [(&str, &str, bool); 5] = [
    ("卡号", "Card", true),
    ("姓名", "Name", true),
    ("手机", "Phone", false),
    ("状态", "Status", false),
    ("余额", "Balance", false),
];

/// Other header spellings accepted on import.
const ALIASES: [(&str, usize); 4] = [("会员卡号", 0), ("会员姓名", 1), ("手机号", 2), ("电话", 2)];

/// The result of reading a member sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSheet {
    /// Valid cards, in sheet order (a repeated card number keeps its last row).
    pub members: Vec<MemberCard>,
    /// Rows skipped, with reasons.
    pub errors: Vec<RowError>,
    /// Data rows read (valid and invalid).
    pub rows: usize,
}

/// Reads the first sheet of a workbook (xlsx, xls, ods); new cards are dated `at`.
pub fn read_members(path: &Path, at: Timestamp) -> Result<MemberSheet, ExportError> {
    let range = first_sheet(path)?;
    let mut rows = range.rows();
    let header = rows
        .next()
        .ok_or_else(|| ExportError::Import(format!("{}: the sheet is empty", path.display())))?;
    let position = column_positions(path, header, &COLUMNS, &ALIASES, "卡号, 姓名")?;
    let empty = Data::Empty;
    let mut out = MemberSheet {
        members: Vec::new(),
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
        let result = (|| -> Result<MemberCard, RowProblem> {
            let no = CardNo::parse(&text(cell(0))).map_err(RowProblem::Member)?;
            let mut card = MemberCard::new(no, &text(cell(1)), &text(cell(2)), at)
                .map_err(RowProblem::Member)?;
            let status = text(cell(3));
            if !status.is_empty() {
                card.status = status.parse::<MemberStatus>().map_err(RowProblem::Member)?;
            }
            Ok(card)
        })();
        match result {
            Ok(c) => {
                out.members.retain(|x| x.card_no != c.card_no);
                out.members.push(c);
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

/// Writes the member list in the import layout plus the balance.
pub fn write_members(path: &Path, members: &[MemberAccount]) -> Result<(), ExportError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("会员")?;
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("0.00");
    for (c, (zh, _, _)) in COLUMNS.iter().enumerate() {
        let col = u16::try_from(c).unwrap_or(0);
        sheet.write_string_with_format(0, col, *zh, &bold)?;
    }
    for (i, m) in members.iter().enumerate() {
        let r = u32::try_from(i + 1).map_err(|_| ExportError::Import("too many rows".into()))?;
        sheet.write_string(r, 0, m.card.card_no.as_str())?;
        sheet.write_string(r, 1, &m.card.name)?;
        sheet.write_string(r, 2, &m.card.phone)?;
        sheet.write_string(r, 3, m.card.status.as_str())?;
        // The spreadsheet's one float: fen / 100 is exact to display below 2^53 fen.
        #[allow(clippy::cast_precision_loss)]
        let yuan = m.balance.fen() as f64 / 100.0;
        sheet.write_number_with_format(r, 4, yuan, &money)?;
    }
    book.save(path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudpos_domain::money::Money;

    #[test]
    fn round_trip_and_row_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("members.xlsx");
        let at = Timestamp::EPOCH;
        let mut frozen =
            MemberCard::new(CardNo::parse("9900000000000002").unwrap(), "李四", "", at).unwrap();
        frozen.status = MemberStatus::Frozen;
        let accounts = vec![
            MemberAccount {
                card: MemberCard::new(
                    CardNo::parse("9900000000000001").unwrap(),
                    "张三",
                    "13800138000",
                    at,
                )
                .unwrap(),
                balance: Money::from_fen(12_345),
            },
            MemberAccount {
                card: frozen,
                balance: Money::ZERO,
            },
        ];
        write_members(&path, &accounts).unwrap();
        let back = read_members(&path, at).unwrap();
        assert!(back.errors.is_empty(), "{:?}", back.errors);
        let cards: Vec<MemberCard> = accounts.into_iter().map(|a| a.card).collect();
        assert_eq!(back.members, cards);

        // Bad rows are reported by their Excel row number and skipped.
        let bad = dir.path().join("bad.xlsx");
        let mut book = Workbook::new();
        let s = book.add_worksheet();
        for (c, h) in ["Phone", "卡号", "姓名"].iter().enumerate() {
            s.write_string(0, u16::try_from(c).unwrap(), *h).unwrap();
        }
        let rows = [
            ["13800138000", "9900000000000001", "张三"],
            ["138", "9900000000000002", "李四"],
            ["", "12", "王五"],
            ["", "9900000000000004", ""],
        ];
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                s.write_string(u32::try_from(r + 1).unwrap(), u16::try_from(c).unwrap(), *v)
                    .unwrap();
            }
        }
        book.save(&bad).unwrap();
        let sheet = read_members(&bad, at).unwrap();
        assert_eq!(sheet.rows, 4);
        assert_eq!(sheet.members.len(), 1);
        let rows: Vec<usize> = sheet.errors.iter().map(|e| e.row).collect();
        assert_eq!(rows, vec![3, 4, 5]);
        assert!(
            sheet.errors[0].reason.contains("phone"),
            "{:?}",
            sheet.errors
        );
        assert!(sheet.errors[1].reason.contains("card number"));
        assert!(sheet.errors[2].reason.contains("name"));
    }

    #[test]
    fn a_sheet_without_the_card_column_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.xlsx");
        let mut book = Workbook::new();
        book.add_worksheet().write_string(0, 0, "姓名").unwrap();
        book.save(&path).unwrap();
        let err = read_members(&path, Timestamp::EPOCH).unwrap_err();
        assert!(err.to_string().contains("卡号"), "{err}");
    }
}
