//! Small real workbooks for the `excel_import` corpus: commodity lists written by
//! `cloudpos_export::write_commodities` (the inventory export, which imports back), and
//! hand-made sheets written with `rust_xlsxwriter` (English and alias headers, numbers
//! typed as numbers, bad rows, empty rows, formulas, dates, several sheets, an empty
//! sheet). Each is written as `<dir>/<name>.xlsx`; `../seeds.py` turns them into corpus
//! entries (and into xls and ods copies with LibreOffice).

use std::path::{Path, PathBuf};

use cloudpos_domain::catalog::Commodity;
use cloudpos_domain::money::Money;
use cloudpos_export::{read_commodities, write_commodities};
use rust_xlsxwriter::{ExcelDateTime, Formula, Workbook, XlsxError};

fn item(sku: &str, name: &str, fen: i64, stock: i64) -> Commodity {
    Commodity {
        sku: sku.into(),
        barcode: Some(format!("69{:0>11}", sku.len() * 7919)),
        name: name.into(),
        category: "饮料".into(),
        unit: "瓶".into(),
        price: Money::from_fen(fen),
        stock,
    }
}

fn seed(dir: &Path, name: &str, xlsx: &Path) {
    let out = dir.join(format!("{name}.xlsx"));
    std::fs::copy(xlsx, &out).expect("copy the workbook");
    let result = read_commodities(&out);
    println!("{name}: {result:?}");
}

fn hand_made(path: &Path, build: impl FnOnce(&mut Workbook) -> Result<(), XlsxError>) {
    let mut book = Workbook::new();
    build(&mut book).expect("build workbook");
    book.save(path).expect("save workbook");
}

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("usage: seedgen OUT_DIR"));
    std::fs::create_dir_all(&dir).expect("output dir");
    let tmp = std::env::temp_dir().join(format!("cloudpos-seedgen-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");

    // The inventory export, which is the import layout.
    let p = tmp.join("export.xlsx");
    write_commodities(
        &p,
        &[
            item("K1", "可乐", 350, 10),
            item("K2", "雪碧", 300, -2),
            item("A-0001", "矿泉水 550ml", 150, 0),
        ],
    )
    .expect("write_commodities");
    seed(&dir, "export", &p);
    let p = tmp.join("export-empty.xlsx");
    write_commodities(&p, &[]).expect("write_commodities");
    seed(&dir, "export-empty", &p);

    // English headers in another order, numbers typed as numbers, an extra column.
    let p = tmp.join("english.xlsx");
    hand_made(&p, |b| {
        let s = b.add_worksheet();
        for (c, h) in ["Name", "SKU", "Price", "Stock", "Note", "Barcode"].iter().enumerate() {
            s.write_string(0, c as u16, *h)?;
        }
        s.write_string(1, 0, "Cola")?;
        s.write_number(1, 1, 123_456.0)?;
        s.write_number(1, 2, 3.5)?;
        s.write_number(1, 3, 12.0)?;
        s.write_string(1, 4, "=cmd|' /C calc'!A0")?;
        s.write_number(1, 5, 6_901_234_567_892.0)?;
        s.write_string(2, 0, "Tea")?;
        s.write_string(2, 1, "T1")?;
        s.write_string(2, 2, "4")?;
        s.write_string(2, 3, "")?;
        Ok(())
    });
    seed(&dir, "english", &p);

    // Alias headers with trailing colons and asterisks, bad rows of every kind.
    let p = tmp.join("bad-rows.xlsx");
    hand_made(&p, |b| {
        let s = b.add_worksheet();
        for (c, h) in ["商品名称", "商品编号*", "售价：", "库存数量", "商品条码"].iter().enumerate() {
            s.write_string(0, c as u16, *h)?;
        }
        let rows: [(&str, &str, &str, &str, &str); 7] = [
            ("可乐", "K1", "3.5", "10", "6901234567892"),
            ("", "K2", "3.5", "1", ""),
            ("雪碧", "K3", "3.555", "1", ""),
            ("芬达", "K4", "-1", "1", ""),
            ("冰红茶", "K5", "4", "x", ""),
            ("绿茶", "K 6", "1e3", "9999999999999999999", "条码!"),
            ("可乐", "K1", "92233720368547758.07", "-5", ""),
        ];
        for (r, (name, sku, price, stock, barcode)) in rows.iter().enumerate() {
            let r = (r + 1) as u32;
            s.write_string(r, 0, *name)?;
            s.write_string(r, 1, *sku)?;
            s.write_string(r, 2, *price)?;
            s.write_string(r, 3, *stock)?;
            s.write_string(r, 4, *barcode)?;
        }
        // An empty row, then numbers, a formula, a date and a boolean.
        s.write_string(9, 0, "公式")?;
        s.write_number(9, 1, 42.0)?;
        s.write_formula(9, 2, Formula::new("=1+1").set_result("2"))?;
        s.write_datetime(9, 3, ExcelDateTime::from_ymd(2026, 11, 22)?)?;
        s.write_boolean(9, 4, true)?;
        s.write_number(10, 0, 1e300)?;
        s.write_number(10, 1, -0.5)?;
        s.write_number(10, 2, 0.1 + 0.2)?;
        Ok(())
    });
    seed(&dir, "bad-rows", &p);

    // Two sheets (only the first is read); the header lacks a required column.
    let p = tmp.join("two-sheets.xlsx");
    hand_made(&p, |b| {
        let s = b.add_worksheet().set_name("说明")?;
        s.write_string(0, 0, "货号")?;
        s.write_string(0, 1, "名称")?;
        s.write_string(1, 0, "X1")?;
        s.write_string(1, 1, "缺单价")?;
        let s = b.add_worksheet().set_name("商品")?;
        s.write_string(0, 0, "货号")?;
        s.write_string(0, 1, "名称")?;
        s.write_string(0, 2, "单价")?;
        s.write_string(1, 0, "Y1")?;
        s.write_string(1, 1, "面包")?;
        s.write_number(1, 2, 5.0)?;
        Ok(())
    });
    seed(&dir, "two-sheets", &p);

    // An empty sheet, and a sheet whose only cell is far from A1.
    let p = tmp.join("empty.xlsx");
    hand_made(&p, |b| {
        b.add_worksheet();
        Ok(())
    });
    seed(&dir, "empty", &p);
    let p = tmp.join("far-cell.xlsx");
    hand_made(&p, |b| {
        let s = b.add_worksheet();
        s.write_string(0, 0, "货号")?;
        s.write_string(0, 1, "名称")?;
        s.write_string(0, 2, "单价")?;
        s.write_string(2000, 60, "far")?;
        Ok(())
    });
    seed(&dir, "far-cell", &p);

    let _ = std::fs::remove_dir_all(&tmp);
}
