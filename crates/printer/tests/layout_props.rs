//! Property: no laid-out line ever exceeds the paper, whatever the names (CJK, emoji,
//! combining marks, controls), amounts, widths and font sizes; and the printer model never
//! has to wrap a line itself.

mod common;

use cloudpos_domain::money::Money;
use cloudpos_domain::order::PaymentMethod;
use cloudpos_domain::receipt::ReceiptKind;
use cloudpos_printer::layout::{Block, LayoutOptions, layout};
use cloudpos_printer::text::columns;
use cloudpos_printer::{
    CodePage, FontSize, PaperWidth, PreviewOptions, PrinterSettings, decode, encode_receipt,
};
use proptest::prelude::*;
use unicode_width::UnicodeWidthStr;

fn name() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9 ]{0,12}",
        "[\u{4e00}-\u{9fa5}]{0,20}",
        "[\u{3400}-\u{4dbf}\u{20000}-\u{2a6df}]{0,4}",
        Just("😀👍🏽🧧".to_owned()),
        Just("e\u{301}\u{200d}\u{fe0f}".to_owned()),
        Just("（）【】，。·×“”—…￥".to_owned()),
        Just("\t\n\r\u{1b}\u{7f}".to_owned()),
        "\\PC{0,8}",
    ];
    proptest::collection::vec(piece, 0..6).prop_map(|v| v.concat())
}

fn width() -> impl Strategy<Value = PaperWidth> {
    prop_oneof![
        Just(PaperWidth::Mm58),
        Just(PaperWidth::Mm80),
        (16u16..=72).prop_map(PaperWidth::Columns),
    ]
}

fn font() -> impl Strategy<Value = FontSize> {
    prop_oneof![
        Just(FontSize::Normal),
        Just(FontSize::DoubleHeight),
        Just(FontSize::DoubleWidthHeight),
    ]
}

fn code_page() -> impl Strategy<Value = CodePage> {
    prop_oneof![
        Just(CodePage::Gb18030),
        Just(CodePage::Gbk),
        Just(CodePage::Big5),
        Just(CodePage::Ascii),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn lines_never_exceed_the_paper(
        store in name(),
        names in proptest::collection::vec((name(), name(), 0i64..10_000_000_000, 1u32..=9999), 0..5),
        remark in name(),
        closing in name(),
        order_no in "[0-9A-Za-z]{1,32}",
        amount in -10_000_000_000i64..100_000_000_000,
        kind in prop_oneof![Just(ReceiptKind::Payment), Just(ReceiptKind::Refund), Just(ReceiptKind::TestPage), Just(ReceiptKind::Summary)],
        width in width(),
        font in font(),
        code_page in code_page(),
    ) {
        let mut r = common::payment();
        r.kind = kind;
        r.store_name = store;
        r.remark = remark;
        r.closing_line = closing;
        r.order_no = Some(order_no);
        r.amount = Money::from_fen(amount);
        r.method = Some(PaymentMethod::Cash);
        r.cash = Some((Money::from_fen(amount), Money::from_fen(i64::MAX / 3)));
        r.lines = names
            .into_iter()
            .map(|(n, u, fen, q)| common::line("S", &n, &u, fen, q))
            .collect();
        r.extra = vec![("附加".into(), r.store_name.clone())];
        if kind == ReceiptKind::Summary {
            r.summary = common::summary().summary;
        }
        let settings = PrinterSettings { width, font_size: font, code_page, ..PrinterSettings::default() };
        let cols = width.columns();
        let blocks = layout(&r, &LayoutOptions::from_settings(&settings));
        let mut text_lines = Vec::new();
        for b in &blocks {
            if let Block::Text { text, style, .. } = b {
                let w = usize::from(style.width);
                prop_assert!(columns(text) * w <= cols, "{text:?} x{w} > {cols}");
                prop_assert!(text.width_cjk() * w <= cols, "{text:?} (unicode-width) x{w} > {cols}");
                prop_assert!(!text.chars().any(char::is_control));
                if !text.trim_end().is_empty() {
                    text_lines.push(text.trim_end().to_owned());
                }
            }
        }
        // The printer model prints exactly those lines: it never had to wrap one.
        let bytes = encode_receipt(&r, &settings);
        let (img, seen) = decode(&bytes, &PreviewOptions::for_settings(&settings));
        let printed: Vec<String> = seen.lines.into_iter().filter(|l| !l.is_empty()).collect();
        prop_assert_eq!(printed, text_lines);
        prop_assert_eq!(img.width(), width.dots());
    }

    #[test]
    fn decoder_survives_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = decode(&bytes, &PreviewOptions::for_width(PaperWidth::Mm58));
    }

    #[test]
    fn decoder_survives_mutated_receipts(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..20)) {
        let mut bytes = encode_receipt(&common::payment(), &PrinterSettings::default());
        for (at, v) in flips {
            let i = at % bytes.len();
            bytes[i] = v;
        }
        let _ = decode(&bytes, &PreviewOptions::for_width(PaperWidth::Mm80));
    }
}
