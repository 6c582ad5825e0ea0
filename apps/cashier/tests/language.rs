//! One language: everything a cashier reads comes from the UI's language tables, and no
//! English reaches the Chinese screen.
//!
//! - The tables are the `tr("中文", "English")` and `trs(format!("中文…"), format!("…"))`
//!   pairs in the source: this test walks every one and fails on a pair whose Chinese side
//!   has no Chinese, and on text handed to a widget as a bare literal with English words.
//! - Lower layers report errors as kinds: every kind of every error the screens show is
//!   worded here with English payloads (as the lower layers fill them), and the Chinese
//!   sentence must contain no English word.
#![allow(missing_docs, clippy::missing_panics_doc)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use cashier::i18n;
use cloudpos_domain::catalog::{CartError, CommodityError};
use cloudpos_domain::clerk::{BadClerkId, ClerkId};
use cloudpos_domain::code::CodeError;
use cloudpos_domain::deposit::DepositError;
use cloudpos_domain::money::{Money, MoneyError, MoneyErrorKind};
use cloudpos_domain::ports::{DeviceError, GatewayError, StoreError};
use cloudpos_domain::refund::RefundError;
use cloudpos_terminal::{
    BindFailure, BoxState, Chord, ChordError, DeviceProblem, Halt, HotkeyAction, HotkeyError,
    KeySettingsError, Language, LoginError, RowProblem, TerminalError, UpdateError,
};

fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Runs of three or more ASCII letters, minus what may appear in any language: the SANDBOX
/// mark, key names, example values, and identifiers the caller put in the payload.
fn english_words(text: &str, identifiers: &[&str]) -> Vec<String> {
    let mut t = text.to_owned();
    for id in identifiers {
        t = t.replace(id, " ");
    }
    const NEUTRAL: &[&str] = &[
        "SANDBOX", "Ctrl", "Shift", "Alt", "Win", "Enter", "Esc", "Space", "NumAdd", "Num", "Tab",
        "PageUp", "YYYY", "MM", "DD", "HH", "http",
    ];
    t.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 3 && !NEUTRAL.contains(w))
        .map(str::to_owned)
        .collect()
}

fn sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out.sort();
    out
}

/// The source with comments blanked out (string contents kept), and without its unit tests.
fn code_of(source: &str) -> String {
    let source = source.find("#[cfg(test)]").map_or(source, |i| &source[..i]);
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '\'' => {
                // A char literal ('"', '\'') or a lifetime: copy it without reading a string.
                out.push(c);
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with('\\') {
                    for _ in 0..3 {
                        if let Some(n) = chars.next() {
                            out.push(n);
                        }
                    }
                } else if rest.chars().nth(1) == Some('\'') {
                    for _ in 0..2 {
                        if let Some(n) = chars.next() {
                            out.push(n);
                        }
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// The string literals that follow `call(` (after optional whitespace), with their line.
fn literal_args<'a>(code: &'a str, call: &str) -> Vec<(usize, &'a str, &'a str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = code[from..].find(call) {
        let at = from + i;
        from = at + call.len();
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = code[from..].trim_start();
        let Some(rest) = rest.strip_prefix('"') else {
            continue;
        };
        let Some(end) = string_end(rest) else {
            continue;
        };
        let first = &rest[..end];
        // A second literal argument, if any.
        let after = rest[end + 1..].trim_start();
        let second = after
            .strip_prefix(',')
            .map(str::trim_start)
            .and_then(|a| a.strip_prefix('"'))
            .and_then(|a| string_end(a).map(|e| &a[..e]))
            .unwrap_or("");
        let line = code[..at].matches('\n').count() + 1;
        found.push((line, first, second));
    }
    found
}

fn string_end(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i),
            _ => {}
        }
    }
    None
}

/// A format string's text without its `{…}` placeholders.
fn without_placeholders(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn every_pair_of_the_language_tables_has_its_chinese() {
    let mut pairs = 0;
    let mut bad = Vec::new();
    for path in sources() {
        let code = code_of(&std::fs::read_to_string(&path).unwrap());
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for (line, zh, en) in literal_args(&code, "tr(") {
            pairs += 1;
            if !has_chinese(zh) {
                bad.push(format!("{name}:{line}: tr({zh:?}, {en:?}) has no Chinese"));
            }
            if en.is_empty() {
                bad.push(format!("{name}:{line}: tr({zh:?}) has no English side"));
            }
        }
        for call in ["trs(format!(", "trs(\n"] {
            for (line, zh, _) in literal_args(&code, call) {
                pairs += 1;
                let words = without_placeholders(zh);
                if !has_chinese(&words) && words.chars().any(|c| c.is_ascii_alphabetic()) {
                    bad.push(format!("{name}:{line}: trs({zh:?}, …) has no Chinese"));
                }
            }
        }
    }
    assert!(pairs > 500, "the walk found the tables ({pairs} pairs)");
    assert!(bad.is_empty(), "untranslated:\n{}", bad.join("\n"));
}

#[test]
fn no_english_is_handed_to_a_widget_outside_the_tables() {
    // Examples of what to type (an address, a port, a date format) and key names are the
    // same in every language.
    const EXAMPLES: &[&str] = &[
        "http://10.0.0.1:3128",
        "COM3 / /dev/ttyUSB0",
        "YYYY-MM-DD HH:MM",
        "Ctrl+E",
    ];
    let mut bad = Vec::new();
    for path in sources() {
        let code = code_of(&std::fs::read_to_string(&path).unwrap());
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for call in [
            "text(",
            "text_input(",
            "hint(",
            "heading(",
            "badge(",
            ".label(",
            "placeholder(",
            "notice(",
            "notify(",
            "mono(",
            "field(",
            "inline(",
            "dialog(",
            "tooltip(",
        ] {
            for (line, literal, _) in literal_args(&code, call) {
                if EXAMPLES.contains(&literal) {
                    continue;
                }
                let words = english_words(&without_placeholders(literal), &[]);
                if !words.is_empty() {
                    bad.push(format!("{name}:{line}: {call}{literal:?}"));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "shown without a Chinese side:\n{}",
        bad.join("\n")
    );
}

/// Asserts the Chinese wording of `what` has Chinese and no English word.
#[track_caller]
fn chinese(what: &str, text: &str, identifiers: &[&str]) {
    assert!(has_chinese(text), "{what}: {text:?} has no Chinese");
    let words = english_words(text, identifiers);
    assert!(words.is_empty(), "{what}: English {words:?} in {text:?}");
}

/// Every kind of terminal error (the match has no wildcard: a new kind fails to compile
/// here until it is worded and sampled).
fn kind(e: &TerminalError) -> &'static str {
    match e {
        TerminalError::NotConfigured => "not configured",
        TerminalError::NotLoggedIn => "not logged in",
        TerminalError::Halted(_) => "halted",
        TerminalError::BadAmount(_) => "bad amount",
        TerminalError::AmountNotPositive => "amount not positive",
        TerminalError::Code(_) => "code",
        TerminalError::DuplicateScan(_) => "duplicate scan",
        TerminalError::PermissionDenied(_) => "permission denied",
        TerminalError::NeedsAuthorization(_) => "needs authorisation",
        TerminalError::AuthorizationRefused(_) => "authorisation refused",
        TerminalError::Refund(_) => "refund",
        TerminalError::Deposit(_) => "deposit",
        TerminalError::Login(_) => "login",
        TerminalError::NotFound(_) => "not found",
        TerminalError::CloudUnreachable(_) => "cloud unreachable",
        TerminalError::Gateway(_) => "gateway",
        TerminalError::Store(_) => "store",
        TerminalError::Invalid(_) => "invalid",
        TerminalError::NoPrinter => "no printer",
        TerminalError::Printing(_) => "printing",
        TerminalError::AmountAboveLimit { .. } => "amount above limit",
        TerminalError::PaidNotRecorded { .. } => "paid, not recorded",
        TerminalError::ResultUnknown { .. } => "result unknown",
        TerminalError::Update(_) => "update",
        TerminalError::Unbound { .. } => "unbound",
        TerminalError::Bind(_) => "bind",
    }
}

const ORDER: &str = "sz01sbxFWDE2612050204450001";

fn money_error(kind: MoneyErrorKind) -> MoneyError {
    MoneyError {
        input: "12.345".into(),
        kind,
    }
}

fn terminal_errors() -> Vec<TerminalError> {
    let clerk = ClerkId::parse("05").unwrap();
    let mut all = vec![
        TerminalError::NotConfigured,
        TerminalError::NotLoggedIn,
        TerminalError::Halted(
            "reconciliation found 1 discrepancy with Cloud Pay (first: order x)".into(),
        ),
        TerminalError::AmountNotPositive,
        TerminalError::DuplicateScan(800),
        TerminalError::PermissionDenied("05 (店员) may not change the configuration".into()),
        TerminalError::NeedsAuthorization("05".into()),
        TerminalError::AuthorizationRefused("the approval was already used".into()),
        TerminalError::AuthorizationRefused("授权已过期 (expired)".into()),
        TerminalError::NotFound(format!("order {ORDER}")),
        TerminalError::NotFound("clerk 05".into()),
        TerminalError::NotFound("something else entirely".into()),
        TerminalError::CloudUnreachable("connection refused (os error 111)".into()),
        TerminalError::Invalid("the proxy URL is not a valid URL".into()),
        TerminalError::NoPrinter,
        TerminalError::AmountAboveLimit {
            amount: Money::from_fen(6_000_000),
            max: Money::from_fen(5_000_000),
            limit: cloudpos_terminal::AmountLimit::Payment,
        },
        TerminalError::AmountAboveLimit {
            amount: Money::from_fen(6_000_000),
            max: Money::from_fen(5_000_000),
            limit: cloudpos_terminal::AmountLimit::Refund,
        },
        TerminalError::PaidNotRecorded {
            order: Box::new(sample_order()),
            cause: "database or disk is full".into(),
        },
        TerminalError::ResultUnknown {
            order: Box::new(sample_order()),
            cause: "the follow-up was interrupted".into(),
        },
        TerminalError::Printing(DeviceError::NotConfigured("printer".into())),
        TerminalError::Printing(DeviceError::Unavailable("connection refused".into())),
        TerminalError::Printing(DeviceError::Fault("paper out".into())),
        TerminalError::Printing(DeviceError::Unreadable("garbled status".into())),
        TerminalError::Update(UpdateError::NoFeed),
        TerminalError::Update(UpdateError::Unreachable(
            "connection refused (os error 111)".into(),
        )),
        TerminalError::Update(UpdateError::BadManifest("missing field `sha256`".into())),
        TerminalError::Update(UpdateError::BadArchive("unexpected end of file".into())),
        TerminalError::Update(UpdateError::PaymentOpen("order x is user_paying".into())),
        TerminalError::Unbound { key_reset: false },
        TerminalError::Unbound { key_reset: true },
        TerminalError::Bind(BindFailure::NotAConfigQr("it is not a URL".into())),
        TerminalError::Bind(BindFailure::BoundElsewhere {
            device_id: "POS-101".into(),
        }),
        TerminalError::Bind(BindFailure::QrSpent("configuration QR expired".into())),
        TerminalError::Bind(BindFailure::Refused {
            status: 104,
            description: "配置二维码无效".into(),
        }),
        TerminalError::Bind(BindFailure::Untrusted("bad MAC".into())),
        TerminalError::Bind(BindFailure::Unreachable("connection refused".into())),
        TerminalError::Bind(BindFailure::OtherDevice {
            expected: "POS-101".into(),
            got: "POS-102".into(),
        }),
    ];
    for k in [
        MoneyErrorKind::Empty,
        MoneyErrorKind::SignNotAllowed('-'),
        MoneyErrorKind::Exponent,
        MoneyErrorKind::TooManyDecimals(3),
        MoneyErrorKind::InvalidChar {
            ch: 'x',
            position: 2,
        },
        MoneyErrorKind::MissingDigits,
        MoneyErrorKind::Overflow,
    ] {
        all.push(TerminalError::BadAmount(money_error(k)));
    }
    for c in [
        CodeError::Empty,
        CodeError::NotDigits {
            ch: 'a',
            position: 3,
        },
        CodeError::Unsupported {
            scheme: "UnionPay QR (云闪付)".into(),
        },
        CodeError::Unsupported {
            scheme: "Some Scheme".into(),
        },
        CodeError::UnknownPrefix {
            prefix: "88".into(),
        },
        CodeError::BadLength {
            wallet: "微信支付".into(),
            len: 16,
            min: 18,
            max: 18,
        },
    ] {
        all.push(TerminalError::Code(c));
    }
    let refunds = [
        RefundError::NotPaid {
            order: ORDER.into(),
            state: "failed".into(),
        },
        RefundError::NotPositive,
        RefundError::ExceedsRemaining {
            order: ORDER.into(),
            requested: Money::from_fen(2000),
            remaining: Money::from_fen(1000),
            paid: Money::from_fen(3000),
            held: Money::from_fen(2000),
        },
        RefundError::TooMany {
            order: ORDER.into(),
            max: 50,
        },
        RefundError::NotRetryable("R1".into(), "it is not failed".into()),
    ];
    for r in refunds.clone() {
        all.push(TerminalError::Refund(r));
    }
    for d in [
        DepositError::NotPositive,
        DepositError::ExceedsFrozen {
            deposit: ORDER.into(),
            requested: Money::from_fen(2000),
            frozen: Money::from_fen(1000),
        },
        DepositError::AlreadyReleased {
            deposit: ORDER.into(),
        },
        DepositError::AlreadyConsumed {
            deposit: ORDER.into(),
        },
        DepositError::NeverFrozen {
            deposit: ORDER.into(),
        },
        DepositError::WalletCannotFreeze {
            wallet: cloudpos_domain::code::Wallet::MemberCard,
        },
        DepositError::Refused {
            deposit: ORDER.into(),
            action: "consume".into(),
            reason: "freeze not frozen".into(),
        },
        DepositError::Refused {
            deposit: ORDER.into(),
            action: "release".into(),
            reason: "no refund permission".into(),
        },
        DepositError::InProgress {
            deposit: ORDER.into(),
            state: cloudpos_domain::deposit::DepositState::Consuming,
        },
    ] {
        all.push(TerminalError::Deposit(d));
    }
    for l in [
        LoginError::Locked {
            clerk: clerk.clone(),
            until: "2026-12-05 10:30:00".into(),
        },
        LoginError::WrongPasswordLocked {
            clerk: clerk.clone(),
            until: "2026-12-05 10:30:00".into(),
        },
        LoginError::WrongPassword {
            clerk: clerk.clone(),
            failures: 3,
            max: 10,
        },
        LoginError::UnknownClerk(clerk),
        LoginError::QrExpired,
        LoginError::QrUsed,
        LoginError::QrUnusable("approval store closed".into()),
        LoginError::NotALoginQr,
        LoginError::NoLinkedClerk("S09".into()),
    ] {
        all.push(TerminalError::Login(l));
    }
    for g in [
        GatewayError::Unreachable("timed out".into()),
        GatewayError::Forged("bad MAC".into()),
        GatewayError::Refused {
            status: 101,
            description: "invalid sub-merchant".into(),
        },
        GatewayError::Refused {
            status: 101,
            description: "子商户不存在 (NOSUBMCH)".into(),
        },
        GatewayError::Busy {
            status: 3,
            description: "system busy".into(),
        },
        GatewayError::NotConfigured("no keys".into()),
    ] {
        all.push(TerminalError::Gateway(g));
    }
    for s in [
        StoreError::NotFound(format!("order {ORDER}")),
        StoreError::Duplicate("clerk 05".into()),
        StoreError::Refund(refunds[1].clone()),
        StoreError::Conflict("illegal transition paid -> failed".into()),
        StoreError::Corrupt("file is not a database".into()),
        StoreError::DiskFull("no space left on device".into()),
        StoreError::Backend("database is locked".into()),
    ] {
        all.push(TerminalError::Store(s));
    }
    all
}

#[test]
fn every_kind_of_error_reads_in_chinese_without_english() {
    i18n::set_language(Language::Zh);
    let mut kinds = std::collections::BTreeSet::new();
    for e in terminal_errors() {
        kinds.insert(kind(&e));
        chinese(
            &format!("{e:?}"),
            &i18n::error_text(&e),
            &[ORDER, "R1", "S09", "POS-101", "POS-102"],
        );
    }
    assert_eq!(kinds.len(), 26, "every kind sampled: {kinds:?}");

    // What the screens word beside the terminal's errors.
    for e in [
        CommodityError::BadSku,
        CommodityError::NoName("A1".into()),
        CommodityError::NameTooLong("A1".into()),
        CommodityError::NegativePrice("A1".into()),
        CommodityError::BadBarcode("A1".into()),
    ] {
        chinese(&format!("{e:?}"), &i18n::commodity_error_text(&e), &[]);
    }
    for e in [
        CartError::TooMany(9999),
        CartError::NotInCart("A1".into()),
        CartError::Overflow,
        CartError::Empty,
    ] {
        chinese(&format!("{e:?}"), &i18n::cart_error_text(&e), &[]);
    }
    chinese(
        "bad clerk id",
        &i18n::clerk_id_error_text(&BadClerkId("a b".into())),
        &[],
    );
    let chord = Chord::parse("Ctrl+E").unwrap();
    for e in [
        HotkeyError::NoDisplay("DISPLAY unset".into()),
        HotkeyError::Taken {
            action: HotkeyAction::MainWindow,
            chord,
        },
        HotkeyError::Unsupported {
            action: HotkeyAction::PaymentWindow,
            chord,
            reason: "Unknown key".into(),
        },
        HotkeyError::Os("BadAccess".into()),
        HotkeyError::Stopped,
    ] {
        chinese(&format!("{e:?}"), &i18n::hotkey_error_text(&e), &[]);
        chinese(
            "device problem",
            &i18n::device_problem_text(&DeviceProblem::Hotkey(e.clone())),
            &[],
        );
    }
    for p in [
        DeviceProblem::ScannerListener("XInput2 missing".into()),
        DeviceProblem::ScannerBox("no such port".into()),
    ] {
        chinese(&format!("{p:?}"), &i18n::device_problem_text(&p), &[]);
    }
    for s in [
        BoxState::Connecting,
        BoxState::Connected {
            port: "/dev/ttyUSB0".into(),
        },
        BoxState::Disconnected {
            reason: "unplugged".into(),
            retry_in: Duration::from_secs(5),
        },
        BoxState::Stopped,
    ] {
        chinese(
            &format!("{s:?}"),
            &i18n::box_state_text(&s),
            &["/dev/ttyUSB0", "ttyUSB"],
        );
    }
    for e in [
        ChordError::Empty,
        ChordError::UnknownKey {
            text: "Ctrl+Foo".into(),
            token: "Foo".into(),
        },
        ChordError::MissingKey {
            text: "Ctrl+".into(),
            text_hint: "Ctrl+".into(),
        },
        ChordError::TooManyKeys {
            text: "A+B".into(),
            token: "B".into(),
        },
        ChordError::DuplicateModifier {
            text: "Ctrl+Ctrl+E".into(),
            modifier: "Ctrl".into(),
        },
        ChordError::Plus { text: "+".into() },
        ChordError::EmptyPart {
            text: "Ctrl++E".into(),
        },
    ] {
        chinese(&format!("{e:?}"), &i18n::chord_error_text(&e), &["Foo"]);
    }
    for e in [
        KeySettingsError::DuplicateHotkey {
            chord,
            first: HotkeyAction::MainWindow,
            second: HotkeyAction::PaymentWindow,
        },
        KeySettingsError::TypingKey {
            chord: Chord::parse("A").unwrap(),
            action: HotkeyAction::PaymentWindow,
        },
        KeySettingsError::ChordDelay(5000),
    ] {
        chinese(&format!("{e:?}"), &i18n::key_settings_error_text(&e), &[]);
    }
    for p in [
        RowProblem::Price(money_error(MoneyErrorKind::TooManyDecimals(3))),
        RowProblem::Stock("many".into()),
        RowProblem::Commodity(CommodityError::BadSku),
    ] {
        chinese(&format!("{p:?}"), &i18n::row_problem_text(&p), &["many"]);
    }
    let halt = Halt {
        reason: "reconciliation found 2 discrepancies with Cloud Pay (first: …)".into(),
        details: vec!["order x: paid here, not in the cloud".into(), "y".into()],
        since: cloudpos_domain::timestamp::Timestamp::EPOCH,
    };
    chinese("halt", &i18n::halt_text(&halt), &[]);
    chinese(
        "print failed",
        &i18n::print_failed_text(&format!("order {ORDER}"), "paper out"),
        &[ORDER],
    );
}

#[test]
fn an_order_shows_cloud_pays_words_or_the_kind_of_trouble_never_the_terminals_notes() {
    i18n::set_language(Language::Zh);
    let mut order = sample_order();
    for (reason, shown) in [
        ("余额不足 (NOTENOUGH)", Some("余额不足")),
        (
            "cloud unreachable: connection refused",
            Some("无法连接云支付，未扣款"),
        ),
        ("reverse refused by Cloud Pay: status 3", None),
    ] {
        order.reason = Some(reason.into());
        assert_eq!(i18n::order_reason(&order).as_deref(), shown, "{reason}");
    }
}

fn sample_order() -> cloudpos_domain::order::Order {
    cloudpos_domain::order::Order::new(
        cloudpos_domain::order::NewOrder {
            no: cloudpos_domain::order_no::OrderNo::parse(ORDER).unwrap(),
            method: cloudpos_domain::order::PaymentMethod::Wallet(
                cloudpos_domain::code::Wallet::WeChat,
            ),
            amount: Money::from_fen(100),
            code_masked: None,
            store_id: "shop".into(),
            device_id: "POS-01".into(),
            clerk_id: ClerkId::parse("01").unwrap(),
            shift_id: Some(1),
            body: String::new(),
            remark: String::new(),
        },
        cloudpos_domain::timestamp::Timestamp::EPOCH,
    )
}
