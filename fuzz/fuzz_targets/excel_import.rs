//! The commodity import, `cloudpos_export::read_commodities(path)`, on a fuzzed file.
//!
//! The first byte chooses what the rest of the input is:
//! - `0..=127`: the whole file, written as is (xlsx, xls, ods, xlsb or garbage);
//! - `128..=191`: the XML of the first worksheet (`xl/worksheets/sheet1.xml`), put into an
//!   otherwise valid xlsx;
//! - `192..=255`: the shared strings (`xl/sharedStrings.xml`) of a valid xlsx whose sheet
//!   uses them.
//!
//! xlsx files are zip archives with CRC-checked, usually deflated parts, which a byte-level
//! mutator can hardly change into anything but a broken archive; the two structured modes
//! let the fuzzer reach calamine's XML parsing and our row checks. The file has no
//! extension, so calamine tries every format it knows (xls, xlsx, xlsb, ods) in turn.
//!
//! Checked: no panic, no hang, bounded memory; every commodity returned validates; every
//! row error names a data row (≥ 2); rows = commodities (before de-duplication) + errors.
//!
//! `read_commodities` turns a panic inside the spreadsheet reader (calamine, which panics
//! on some malformed files) into an import error. libfuzzer-sys's panic hook would abort
//! before that `catch_unwind` runs, so this target's hook lets a panic located in a
//! third-party crate (under the cargo registry) unwind when it happens inside
//! `read_commodities`, and then checks that the import returned an error. Such contained
//! panics are reported once per location on stderr (`contained third-party panic`) and
//! their input is saved under `fuzz/artifacts/excel_import/third-party/`, for reporting
//! upstream. Any other panic aborts as usual.
#![no_main]

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex, Once};

use cloudpos_export::read_commodities;
use libfuzzer_sys::fuzz_target;
use zip::write::SimpleFileOptions;

static PATH: LazyLock<PathBuf> = LazyLock::new(|| {
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    // One file per process, removed after each run (left behind only by a crash).
    base.join(format!("cloudpos-fuzz-excel-{}", std::process::id()))
});

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="商品" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
/// A sheet of shared-string cells: header 货号 名称 单价 库存 and two rows, from the table.
const SHEET_WITH_SHARED: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row><row r="2"><c r="A2" t="s"><v>4</v></c><c r="B2" t="s"><v>5</v></c><c r="C2" t="s"><v>6</v></c><c r="D2" t="s"><v>7</v></c></row><row r="3"><c r="A3" t="s"><v>8</v></c><c r="B3" t="s"><v>9</v></c><c r="C3"><v>1.5</v></c><c r="D3"><v>3</v></c></row></sheetData></worksheet>"#;
const SHARED_STRINGS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="10" uniqueCount="10"><si><t>货号</t></si><si><t>名称</t></si><si><t>单价</t></si><si><t>库存</t></si><si><t>A1</t></si><si><t>可乐</t></si><si><t>3.50</t></si><si><t>10</t></si><si><t>A2</t></si><si><t>雪碧</t></si></sst>"#;

/// A stored (uncompressed) xlsx with these two parts.
fn xlsx(sheet: &[u8], shared: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let parts: [(&str, &[u8]); 6] = [
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/sharedStrings.xml", shared),
    ];
    for (name, bytes) in parts {
        zip.start_file(name, opts).expect("zip entry");
        zip.write_all(bytes).expect("zip write");
    }
    zip.finish().expect("zip finish").into_inner()
}

thread_local! {
    /// Inside `read_commodities`.
    static IMPORTING: Cell<bool> = const { Cell::new(false) };
    /// Where a contained third-party panic happened during this input.
    static CONTAINED: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Panic locations already reported.
static SEEN: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(|| Mutex::new(HashSet::new()));

fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // libfuzzer-sys's hook (print, then abort), installed before the first input.
        let abort_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let location = info.location().map(ToString::to_string).unwrap_or_default();
            let third_party = location.contains("/registry/src/");
            if third_party && IMPORTING.with(Cell::get) {
                let new = SEEN.lock().is_ok_and(|mut seen| seen.insert(location.clone()));
                if new {
                    eprintln!("contained third-party panic at {location}: {info}");
                }
                CONTAINED.with(|c| *c.borrow_mut() = Some(location));
                return;
            }
            abort_hook(info);
        }));
    });
}

/// Saves the input of a contained panic, once per location.
fn save_contained(location: &str, data: &[u8]) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("artifacts/excel_import/third-party");
    let name: String = location
        .rsplit("/registry/src/")
        .next()
        .unwrap_or(location)
        .split('/')
        .skip(1)
        .collect::<Vec<_>>()
        .join("_")
        .replace(':', "_");
    let path = dir.join(name);
    if !path.exists() && std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(path, data);
    }
}

fuzz_target!(|data: &[u8]| {
    install_panic_hook();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let file = match mode {
        0..=127 => rest.to_vec(),
        128..=191 => xlsx(rest, SHARED_STRINGS.as_bytes()),
        _ => xlsx(SHEET_WITH_SHARED.as_bytes(), rest),
    };
    let path = &*PATH;
    std::fs::write(path, &file).expect("write the temp file");
    IMPORTING.with(|i| i.set(true));
    let result = read_commodities(path);
    IMPORTING.with(|i| i.set(false));
    let _ = std::fs::remove_file(path);
    if let Some(location) = CONTAINED.with(|c| c.borrow_mut().take()) {
        assert!(
            result.is_err(),
            "a reader panic at {location} did not turn into an import error"
        );
        save_contained(&location, data);
    }
    match result {
        Ok(sheet) => {
            for c in &sheet.commodities {
                c.validate().expect("an imported commodity validates");
            }
            for e in &sheet.errors {
                assert!(e.row >= 2, "row error on the header row: {e:?}");
                assert!(!e.reason.is_empty());
            }
            assert!(sheet.commodities.len() + sheet.errors.len() <= sheet.rows);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
