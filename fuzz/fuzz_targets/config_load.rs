//! The configuration a user or a tool hands the terminal, each input tried as every kind:
//!
//! - JSON records: `MerchantCredentials` (the `setup merchant --credentials` file: then
//!   `validate`, the admin's `ClerkId`, the RSA private key PEM as `configure_merchant`
//!   checks it), `BasicSettings`, `PrinterSettings` (and its device URI), `KeySettings`,
//!   `BoxSettings` (and its amount-command template), `PayPolicy`, `NetworkSettings`, and
//!   the wallet `CodeTable` (then a classification with it);
//! - text: a printer device URI (`DeviceUri`), a hotkey chord (`Chord::parse`), a key
//!   sequence (`KeySequence::parse`), a paper width, a scanner-box amount command.
//!
//! Besides "no panic": every record that loads serialises and loads back to the same
//! value (and validates the same way), and the texts that parse print a canonical form
//! that parses back to the same value (the documented round trips of `DeviceUri`,
//! `Chord` and `KeySequence`).
#![no_main]

use cloudpay_api::Secrets;
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::CodeTable;
use cloudpos_domain::money::Money;
use cloudpos_printer::DeviceUri;
use cloudpos_scanner_box::AmountCommand;
use cloudpos_terminal::{
    BasicSettings, BoxSettings, Chord, KeySequence, KeySettings, MerchantCredentials,
    NetworkSettings, PaperWidth, PayPolicy, PrinterSettings,
};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Loads `data` as a `T`; a loaded value must survive a JSON round trip unchanged.
fn load<T>(data: &[u8]) -> Option<T>
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let value: T = serde_json::from_slice(data).ok()?;
    let json = serde_json::to_vec(&value).expect("a loaded record serialises");
    let back: T = serde_json::from_slice(&json)
        .unwrap_or_else(|e| panic!("{value:?} does not load back from {json:?}: {e}"));
    assert_eq!(back, value, "JSON round trip changed the record");
    Some(value)
}

fn json_records(data: &[u8]) {
    if let Some(creds) = load::<MerchantCredentials>(data)
        && creds.validate().is_ok()
    {
        let _ = ClerkId::parse(&creds.staff_id);
        let profile = creds.profile(false);
        assert_eq!(profile.base_url, creds.base_url);
        if let Some(pem) = &creds.private_key_pem {
            let _ = Secrets::new(&creds.authen_key).with_private_key_pem(pem);
        }
    }
    if let Some(basic) = load::<BasicSettings>(data) {
        let _ = basic.validate();
    }
    if let Some(printer) = load::<PrinterSettings>(data) {
        let valid = printer.validate();
        if let Err(e) = &valid {
            let _ = e.to_string();
        }
        match printer.device_uri() {
            Ok(uri) => check_uri_round_trip(&uri),
            Err(e) => {
                let _ = e.to_string();
            }
        }
        let _ = (printer.width.columns(), printer.width.dots());
    }
    if let Some(keys) = load::<KeySettings>(data) {
        if let Err(e) = keys.validate() {
            let _ = e.to_string();
        }
        let _ = keys.active_hotkeys(true);
        let _ = keys.active_hotkeys(false);
    }
    if let Some(scanner_box) = load::<BoxSettings>(data) {
        if let Err(e) = scanner_box.validate() {
            let _ = e.to_string();
        }
        let _ = scanner_box.to_string();
        if let Ok(cmd) = AmountCommand::parse(&scanner_box.amount_command) {
            let _ = cmd.render(Money::from_fen(1230));
        }
    }
    if let Some(policy) = load::<PayPolicy>(data) {
        let _ = policy.validate();
    }
    let _ = load::<NetworkSettings>(data);
    if let Some(table) = load::<CodeTable>(data) {
        for code in ["134520273825387649", "2812345678901234", "9912345678901234", ""] {
            let _ = table.classify(code);
        }
    }
}

fn check_uri_round_trip(uri: &DeviceUri) {
    let printed = uri.to_string();
    match printed.parse::<DeviceUri>() {
        Ok(again) => assert_eq!(&again, uri, "{printed:?} parses to another device"),
        Err(e) => panic!("{uri:?} prints as {printed:?}, which does not parse: {e}"),
    }
}

fn texts(text: &str) {
    match text.parse::<DeviceUri>() {
        Ok(uri) => check_uri_round_trip(&uri),
        Err(e) => {
            let _ = e.to_string();
        }
    }
    match Chord::parse(text) {
        Ok(chord) => {
            let printed = chord.to_string();
            assert_eq!(Chord::parse(&printed), Ok(chord), "{text:?} → {printed:?}");
            let _ = chord.is_safe_global_hotkey();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    match KeySequence::parse(text) {
        Ok(seq) => {
            let printed = seq.to_string();
            assert_eq!(
                KeySequence::parse(&printed).as_ref(),
                Ok(&seq),
                "{text:?} → {printed:?}"
            );
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    if let Ok(width) = text.parse::<PaperWidth>() {
        let printed = width.to_string();
        assert_eq!(printed.parse::<PaperWidth>().ok(), Some(width), "{text:?}");
    }
    if let Ok(cmd) = AmountCommand::parse(text) {
        assert_eq!(cmd.template(), text);
        let _ = cmd.render(Money::from_fen(i64::MAX));
    }
}

/// AddressSanitizer options built into this target. `cloudpos-terminal` links SQLite
/// (through `cloudpos-storage`; nothing here calls it), whose `sqlite3.c` has two
/// function-local `static const aiOff[]` tables of the same name and size, which ASan's
/// default ODR check (level 2) reports at start-up. Level 1 still reports globals whose
/// sizes differ.
#[unsafe(no_mangle)]
pub extern "C" fn __asan_default_options() -> *const std::ffi::c_char {
    c"detect_odr_violation=1".as_ptr()
}

fuzz_target!(|data: &[u8]| {
    json_records(data);
    if let Ok(text) = std::str::from_utf8(data) {
        texts(text);
    }
});
