//! Damaged workbooks found by the `excel_import` fuzz target: each is refused with an
//! import error that names the file, quickly and in bounded memory.

use std::path::Path;

use cloudpos_export::{ExportError, read_commodities};

/// A 6.7 KiB `.xls` whose sector chain loops: before the compound-file check, calamine
/// allocated without bound reading it (the fuzzer stopped it at 2 GiB), so this test would
/// exhaust the machine's memory instead of passing.
#[test]
fn an_xls_whose_sector_chain_loops_is_refused() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/damaged/looping-chain.xls");
    let err = read_commodities(&path).expect_err("a damaged file is refused");
    let ExportError::Import(message) = &err else {
        panic!("expected an import error, got {err:?}");
    };
    assert!(message.contains("looping-chain.xls"), "{message}");
    assert!(message.contains("damaged"), "{message}");
}
