//! Exports read back: xlsx with calamine, CSV with the csv crate, cell by cell.

use std::path::Path;
use std::time::{Duration, Instant};

use calamine::{Data, Reader, Xlsx, open_workbook};
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState, PaymentMethod};
use cloudpos_domain::order_no::{OrderNo, RefundNo};
use cloudpos_domain::refund::{Refund, RefundState};
use cloudpos_domain::timestamp::{CHINA_OFFSET_SECONDS, Timestamp};
use cloudpos_export::{
    ExportOptions, Lang, ORDER_COLUMNS, OrderCsv, REFUND_COLUMNS, RefundCsv, XlsxExport,
    csv_cell_text,
};

/// 2026-11-22 09:00 at UTC+8.
const T0: i64 = 1_795_309_200;

const REMARKS: [&str; 8] = [
    "",
    "桌号 12，少冰",
    "=HYPERLINK(\"http://evil.example\",\"点我\")",
    "+86 138 0000 0000",
    "-1",
    "@SUM(A1:A9)",
    "line one\nline \"two\", with comma",
    "'=quoted",
];

fn order(i: u64) -> Order {
    let states = [
        OrderState::Paid,
        OrderState::Paid,
        OrderState::Failed,
        OrderState::Reversed,
        OrderState::Unknown,
    ];
    let state = states[usize::try_from(i % 5).unwrap()];
    let method = PaymentMethod::ALL[usize::try_from(i % 4).unwrap()];
    let amount = 1 + i64::try_from(i * 7919 % 2_000_000).unwrap();
    let created = Timestamp::from_unix_seconds(T0 + i64::try_from(i).unwrap());
    let paid = state == OrderState::Paid;
    Order {
        no: OrderNo::parse(&format!("sz01dev1{i:012}")).unwrap(),
        method,
        amount: Money::from_fen(amount),
        state,
        refunded: Money::from_fen(if paid && i.is_multiple_of(3) {
            amount / 2
        } else {
            0
        }),
        code_masked: None,
        store_id: "门店01".to_owned(),
        device_id: "dev01".to_owned(),
        clerk_id: ClerkId::parse(if i.is_multiple_of(2) {
            "01"
        } else {
            "zhang.san"
        })
        .unwrap(),
        shift_id: Some(3),
        body: "商品".to_owned(),
        remark: REMARKS[usize::try_from(i % 8).unwrap()].to_owned(),
        transaction_id: paid.then(|| format!("4200{:024}", i * 31)),
        reason: (state == OrderState::Failed).then(|| "余额不足 (insufficient balance)".to_owned()),
        never_reverse: false,
        cash_tendered: None,
        cash_change: None,
        lines: Vec::new(),
        created_at: created,
        updated_at: created,
        paid_at: paid.then(|| created.plus(Duration::from_secs(4))),
    }
}

fn refund(i: u64) -> Refund {
    let state = RefundState::ALL[usize::try_from(i % 4).unwrap()];
    let created = Timestamp::from_unix_seconds(T0 + 3600 + i64::try_from(i).unwrap());
    Refund {
        no: RefundNo::parse(&format!("sz01dev1{i:012}R")).unwrap(),
        order_no: OrderNo::parse(&format!("sz01dev1{i:012}")).unwrap(),
        method: PaymentMethod::Wallet(Wallet::Alipay),
        amount: Money::from_fen(1 + i64::try_from(i).unwrap()),
        state,
        reason: REMARKS[usize::try_from((i + 3) % 8).unwrap()].to_owned(),
        clerk_id: ClerkId::parse("01").unwrap(),
        authorized_by: (i % 2 == 1).then(|| ClerkId::parse("manager").unwrap()),
        shift_id: None,
        refund_id: None,
        failure: (state == RefundState::Failed).then(|| "已超过退款期限".to_owned()),
        created_at: created,
        updated_at: created,
        succeeded_at: (state == RefundState::Succeeded)
            .then(|| created.plus(Duration::from_secs(1))),
    }
}

/// What a cell should read back as.
#[derive(Debug, Clone, PartialEq)]
enum Want {
    Text(String),
    Fen(i64),
    Time(Option<Timestamp>),
}

fn text(s: &str) -> Want {
    Want::Text(s.to_owned())
}

fn order_row(o: &Order) -> Vec<Want> {
    let st = o.status();
    vec![
        text(o.no.as_str()),
        text(st.display_name()),
        text(st.as_str()),
        text(o.method.display_name()),
        Want::Fen(o.amount.fen()),
        Want::Fen(o.refunded.fen()),
        text(o.clerk_id.as_str()),
        text(&o.store_id),
        text(&o.device_id),
        Want::Time(Some(o.created_at)),
        Want::Time(o.paid_at),
        text(o.transaction_id.as_deref().unwrap_or("")),
        text(&o.remark),
        text(o.reason.as_deref().unwrap_or("")),
    ]
}

fn refund_row(r: &Refund) -> Vec<Want> {
    vec![
        text(r.no.as_str()),
        text(r.order_no.as_str()),
        text(r.state.display_name()),
        text(r.state.as_str()),
        text(r.method.display_name()),
        Want::Fen(r.amount.fen()),
        text(r.clerk_id.as_str()),
        text(r.authorized_by.as_ref().map_or("", ClerkId::as_str)),
        text(&r.reason),
        Want::Time(Some(r.created_at)),
        Want::Time(r.succeeded_at),
        text(r.failure.as_deref().unwrap_or("")),
    ]
}

/// Shop time of a timestamp as (y, m, d, h, min, s).
fn civil(t: Timestamp) -> (u16, u8, u8, u8, u8, u8) {
    let c = t.civil(CHINA_OFFSET_SECONDS).unwrap();
    (
        u16::try_from(c.year).unwrap(),
        c.month,
        c.day,
        c.hour,
        c.minute,
        c.second,
    )
}

fn check_xlsx_cell(got: &Data, want: &Want, at: &str) {
    match (got, want) {
        (Data::String(s), Want::Text(w)) => assert_eq!(s, w, "{at}"),
        (Data::Empty, Want::Text(w)) => assert_eq!(w, "", "{at}"),
        (Data::Float(f), Want::Fen(fen)) => {
            // The cell holds the double nearest the decimal: ×100 and rounding is exact.
            #[allow(clippy::cast_possible_truncation)]
            let back = (f * 100.0).round() as i64;
            assert_eq!(back, *fen, "{at}: {f}");
        }
        (Data::DateTime(dt), Want::Time(Some(t))) => {
            let (y, mo, d, h, mi, s, _ms) = dt.to_ymd_hms_milli();
            assert_eq!((y, mo, d, h, mi, s), civil(*t), "{at}");
        }
        (Data::Empty, Want::Time(None)) => {}
        _ => panic!("{at}: got {got:?}, want {want:?}"),
    }
}

fn check_csv_cell(got: &str, want: &Want, at: &str) {
    match want {
        Want::Text(w) => {
            assert_eq!(csv_cell_text(got), w, "{at}");
            // Nothing a spreadsheet would evaluate.
            assert!(!got.starts_with(['=', '+', '-', '@']), "{at}: {got:?}");
        }
        Want::Fen(fen) => assert_eq!(got, Money::from_fen(*fen).to_yuan_string(), "{at}"),
        Want::Time(Some(t)) => assert_eq!(got, t.format(CHINA_OFFSET_SECONDS), "{at}"),
        Want::Time(None) => assert_eq!(got, "", "{at}"),
    }
}

fn headers(cols: &[(&str, &str, u8)], lang: Lang) -> Vec<String> {
    cols.iter()
        .map(|(zh, en, _)| if lang == Lang::Zh { *zh } else { *en }.to_owned())
        .collect()
}

fn read_xlsx(path: &Path, sheet: &str) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    range.rows().map(<[Data]>::to_vec).collect()
}

fn read_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..]);
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn xlsx_export(dir: &Path, orders: &[Order], refunds: &[Refund], lang: Lang) -> std::path::PathBuf {
    let path = dir.join("export.xlsx");
    let opts = ExportOptions {
        lang,
        ..ExportOptions::default()
    };
    let mut x = XlsxExport::create(&path, &opts).unwrap();
    let progress = x.progress();
    // Pages interleaved, as a terminal paging both lists would push them.
    let (mut os, mut rs) = (orders.chunks(50), refunds.chunks(20));
    loop {
        let (o, r) = (os.next(), rs.next());
        if o.is_none() && r.is_none() {
            break;
        }
        x.push_orders(o.unwrap_or_default()).unwrap();
        x.push_refunds(r.unwrap_or_default()).unwrap();
    }
    let counts = x.finish().unwrap();
    assert_eq!(
        (counts.orders, counts.refunds),
        (orders.len() as u64, refunds.len() as u64)
    );
    assert_eq!(progress.rows(), (orders.len() + refunds.len()) as u64);
    assert!(!dir.join("export.xlsx.part").exists());
    path
}

#[test]
fn xlsx_reads_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let orders: Vec<Order> = (0..200).map(order).collect();
    let refunds: Vec<Refund> = (0..80).map(refund).collect();
    let path = xlsx_export(dir.path(), &orders, &refunds, Lang::Zh);

    let rows = read_xlsx(&path, "订单");
    assert_eq!(rows.len(), orders.len() + 1);
    let head: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    assert_eq!(head, headers(&ORDER_COLUMNS, Lang::Zh));
    for (i, (got, o)) in rows[1..].iter().zip(&orders).enumerate() {
        let want = order_row(o);
        assert_eq!(got.len(), want.len(), "row {i}");
        for (c, (g, w)) in got.iter().zip(&want).enumerate() {
            check_xlsx_cell(g, w, &format!("订单 row {i} col {c}"));
        }
    }
    let rows = read_xlsx(&path, "退款");
    assert_eq!(rows.len(), refunds.len() + 1);
    let head: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    assert_eq!(head, headers(&REFUND_COLUMNS, Lang::Zh));
    for (i, (got, r)) in rows[1..].iter().zip(&refunds).enumerate() {
        // calamine trims trailing empty cells of the used range only at the sheet level.
        let want = refund_row(r);
        for (c, w) in want.iter().enumerate() {
            let g = got.get(c).unwrap_or(&Data::Empty);
            check_xlsx_cell(g, w, &format!("退款 row {i} col {c}"));
        }
    }
}

#[test]
fn xlsx_formulas_are_only_text() {
    let dir = tempfile::tempdir().unwrap();
    let orders: Vec<Order> = (0..8).map(order).collect();
    let path = xlsx_export(dir.path(), &orders, &[], Lang::En);
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let formulas = wb.worksheet_formula("Orders").unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no cell is a formula"
    );
    let rows = read_xlsx(&path, "Orders");
    assert_eq!(
        rows[3][12],
        Data::String("=HYPERLINK(\"http://evil.example\",\"点我\")".to_owned())
    );
    let head: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    assert_eq!(head, headers(&ORDER_COLUMNS, Lang::En));
    assert_eq!(rows[1][1], Data::String("Paid".to_owned()));
    assert_eq!(rows[1][3], Data::String("WeChat Pay".to_owned()));
}

#[test]
fn csv_reads_back_exactly_and_is_injection_safe() {
    let orders: Vec<Order> = (0..200).map(order).collect();
    let refunds: Vec<Refund> = (0..80).map(refund).collect();

    let mut csv = OrderCsv::new(Vec::new(), &ExportOptions::default()).unwrap();
    csv.push_all(&orders).unwrap();
    let (n, bytes) = csv.finish().unwrap();
    assert_eq!(n, 200);
    let rows = read_csv(&bytes);
    assert_eq!(rows[0], headers(&ORDER_COLUMNS, Lang::Zh));
    assert_eq!(rows.len(), 201);
    for (i, (got, o)) in rows[1..].iter().zip(&orders).enumerate() {
        let want = order_row(o);
        assert_eq!(got.len(), want.len());
        for (c, (g, w)) in got.iter().zip(&want).enumerate() {
            check_csv_cell(g, w, &format!("orders row {i} col {c}"));
        }
    }
    // The dangerous remarks, as stored in the file.
    assert_eq!(rows[3][12], "'=HYPERLINK(\"http://evil.example\",\"点我\")");
    assert_eq!(rows[4][12], "'+86 138 0000 0000");
    assert_eq!(rows[5][12], "'-1");
    assert_eq!(rows[6][12], "'@SUM(A1:A9)");
    assert_eq!(rows[8][12], "''=quoted");
    // Long digit runs are marked as text for Excel; amounts are bare numbers.
    assert_eq!(rows[1][11], format!("\t4200{:024}", 0));
    assert_eq!(rows[1][4], "0.01");
    // CRLF line ends, Excel's own.
    assert!(bytes.windows(2).any(|w| w == b"\r\n"));

    let mut csv = RefundCsv::new(Vec::new(), &ExportOptions::default()).unwrap();
    for r in &refunds {
        csv.push(r).unwrap();
    }
    let (_, bytes) = csv.finish().unwrap();
    let rows = read_csv(&bytes);
    assert_eq!(rows[0], headers(&REFUND_COLUMNS, Lang::Zh));
    for (i, (got, r)) in rows[1..].iter().zip(&refunds).enumerate() {
        for (c, (g, w)) in got.iter().zip(&refund_row(r)).enumerate() {
            check_csv_cell(g, w, &format!("refunds row {i} col {c}"));
        }
    }
}

#[test]
fn empty_exports_have_headers_only() {
    let (n, bytes) = OrderCsv::new(Vec::new(), &ExportOptions::default())
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(n, 0);
    assert_eq!(read_csv(&bytes), vec![headers(&ORDER_COLUMNS, Lang::Zh)]);
    let en = ExportOptions {
        lang: Lang::En,
        ..ExportOptions::default()
    };
    let (_, bytes) = RefundCsv::new(Vec::new(), &en).unwrap().finish().unwrap();
    assert_eq!(read_csv(&bytes), vec![headers(&REFUND_COLUMNS, Lang::En)]);

    let dir = tempfile::tempdir().unwrap();
    let path = xlsx_export(dir.path(), &[], &[], Lang::Zh);
    let wb: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(wb.sheet_names(), vec!["订单".to_owned(), "退款".to_owned()]);
    let rows = read_xlsx(&path, "订单");
    assert_eq!(rows.len(), 1);
    let head: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    assert_eq!(head, headers(&ORDER_COLUMNS, Lang::Zh));
    assert_eq!(read_xlsx(&path, "退款").len(), 1);
}

/// 100,000 rows to each format, timed (printed, not asserted: run with `--nocapture`).
#[test]
fn hundred_thousand_rows() {
    const N: u64 = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let page_size = 5_000;

    let t = Instant::now();
    let file = std::fs::File::create(dir.path().join("orders.csv")).unwrap();
    let mut csv = OrderCsv::new(std::io::BufWriter::new(file), &ExportOptions::default()).unwrap();
    let progress = csv.progress();
    for page in 0..N / page_size {
        // The terminal builds a page, pushes it, drops it.
        let rows: Vec<Order> = (page * page_size..(page + 1) * page_size)
            .map(order)
            .collect();
        csv.push_all(&rows).unwrap();
    }
    let (n, _) = csv.finish().unwrap();
    let csv_time = t.elapsed();
    assert_eq!((n, progress.rows()), (N, N));

    let t = Instant::now();
    let path = dir.path().join("orders.xlsx");
    let mut x = XlsxExport::create(&path, &ExportOptions::default()).unwrap();
    for page in 0..N / page_size {
        let rows: Vec<Order> = (page * page_size..(page + 1) * page_size)
            .map(order)
            .collect();
        x.push_orders(&rows).unwrap();
    }
    let counts = x.finish().unwrap();
    let xlsx_time = t.elapsed();
    assert_eq!(counts.orders, N);

    let t = Instant::now();
    let gen_time = {
        for page in 0..N / page_size {
            let rows: Vec<Order> = (page * page_size..(page + 1) * page_size)
                .map(order)
                .collect();
            std::hint::black_box(rows);
        }
        t.elapsed()
    };
    let rows = read_xlsx(&path, "订单");
    assert_eq!(rows.len(), 100_001);
    check_xlsx_cell(
        &rows[100_000][0],
        &text(order(N - 1).no.as_str()),
        "last row",
    );
    eprintln!(
        "100,000 orders: csv {csv_time:.2?}, xlsx {xlsx_time:.2?} ({} bytes; building the rows \
         alone {gen_time:.2?})",
        std::fs::metadata(&path).unwrap().len()
    );
}
