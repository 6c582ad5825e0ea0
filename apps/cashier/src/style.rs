//! Look and feel: one colour per outcome, the CJK font, digits in a monospace face, money
//! right-aligned, dense zebra tables, the SANDBOX badge and the halt banner.

use std::sync::OnceLock;

use cloudpos_domain::money::Money;
use cloudpos_domain::order::{OrderState, OrderStatus};
use cloudpos_domain::refund::RefundState;
use iced::widget::{Container, Text, button, container, text};
use iced::{Background, Border, Color, Element, Font, Length, Shadow, Theme, alignment};

/// Paid: green.
pub const PAID: Color = Color::from_rgb8(0x2e, 0x7d, 0x32);
/// Failed: red.
pub const FAILED: Color = Color::from_rgb8(0xc6, 0x28, 0x28);
/// User paying / unknown / in progress: amber.
pub const PENDING: Color = Color::from_rgb8(0xe6, 0x8a, 0x00);
/// Reversed / refunded: grey-blue.
pub const REVERSED: Color = Color::from_rgb8(0x54, 0x6e, 0x7a);
/// The halt banner.
pub const HALT: Color = Color::from_rgb8(0xb7, 0x1c, 0x1c);
/// Brand blue (headers, primary buttons).
pub const BRAND: Color = Color::from_rgb8(0x15, 0x65, 0xc0);
/// Muted text.
pub const MUTED: Color = Color::from_rgb8(0x60, 0x66, 0x70);
/// Page background.
pub const PAGE: Color = Color::from_rgb8(0xf3, 0xf5, 0xf8);
/// Card background.
pub const CARD: Color = Color::WHITE;
/// Zebra stripe.
pub const STRIPE: Color = Color::from_rgb8(0xf6, 0xf8, 0xfb);
/// Selected row.
pub const SELECTED: Color = Color::from_rgb8(0xd6, 0xe6, 0xfa);
/// Lines.
pub const LINE: Color = Color::from_rgb8(0xd5, 0xdb, 0xe3);
/// Body text.
pub const TEXT: Color = Color::from_rgb8(0x21, 0x25, 0x29);

/// The app's theme: iced's light theme with the outcome colours and the brand blue.
#[must_use]
pub fn theme() -> Theme {
    Theme::custom(
        "CloudPOS",
        iced::theme::Palette {
            background: Color::WHITE,
            text: TEXT,
            primary: BRAND,
            success: PAID,
            warning: PENDING,
            danger: FAILED,
        },
    )
}

/// Height of a table row (fixed, so dense lists scan evenly).
pub const ROW_HEIGHT: f32 = 34.0;

static UI_FONT: OnceLock<&'static str> = OnceLock::new();

/// Chooses the default UI font at start-up: the first installed CJK family of the platform
/// (Microsoft YaHei on Windows, Noto Sans CJK SC on Linux, PingFang SC on macOS), or
/// `$CASHIER_FONT` when set. With none installed (some Windows LTSC and server images, a fresh
/// Wine prefix) it is the embedded [`cloudpos_fonts::ui::CJK_FALLBACK_FAMILY`], so the
/// cashier never draws blank labels. The embedded fallback fonts are loaded first, either
/// way: the text engine falls back to them for glyphs the system fonts lack.
#[must_use]
pub fn choose_ui_font() -> Font {
    let name = *UI_FONT.get_or_init(|| {
        load_fallback_fonts();
        if let Some(name) = std::env::var("CASHIER_FONT")
            .ok()
            .filter(|n| !n.trim().is_empty())
        {
            return Box::leak(name.into_boxed_str());
        }
        let candidates: &[&'static str] = if cfg!(windows) {
            &[
                "Microsoft YaHei UI",
                "Microsoft YaHei",
                "DengXian",
                "SimHei",
                "SimSun",
            ]
        } else if cfg!(target_os = "macos") {
            &["PingFang SC", "Hiragino Sans GB", "Heiti SC"]
        } else {
            &[
                "Noto Sans CJK SC",
                "Source Han Sans SC",
                "Noto Sans SC",
                "WenQuanYi Micro Hei",
                "WenQuanYi Zen Hei",
                "Droid Sans Fallback",
                "AR PL UMing CN",
            ]
        };
        let chosen = installed_font(candidates);
        let name = chosen.unwrap_or(cloudpos_fonts::ui::CJK_FALLBACK_FAMILY);
        tracing::info!(
            "UI font: {name}{}",
            if chosen.is_some() {
                ""
            } else {
                " (embedded: no CJK font installed)"
            }
        );
        name
    });
    Font::with_name(name)
}

/// Loads the embedded fallback fonts into the text engine (without copying them), and makes
/// the embedded monospaced face the monospace family when the system has none.
fn load_fallback_fonts() {
    use iced::advanced::graphics::text::cosmic_text::fontdb::Source;
    use std::sync::Arc;

    let Ok(mut system) = iced::advanced::graphics::text::font_system().write() else {
        return;
    };
    let db = system.raw().db_mut();
    let system_mono = db.faces().any(|f| f.monospaced);
    db.load_font_source(Source::Binary(Arc::new(cloudpos_fonts::ui::CJK_FALLBACK)));
    db.load_font_source(Source::Binary(Arc::new(cloudpos_fonts::ui::MONO_FALLBACK)));
    if !system_mono {
        tracing::info!(
            "monospace font: {} (embedded: no monospaced font installed)",
            cloudpos_fonts::ui::MONO_FALLBACK_FAMILY
        );
        db.set_monospace_family(cloudpos_fonts::ui::MONO_FALLBACK_FAMILY);
    }
}

/// The first of `candidates` the text engine knows.
fn installed_font(candidates: &[&'static str]) -> Option<&'static str> {
    let Ok(mut system) = iced::advanced::graphics::text::font_system().write() else {
        return None;
    };
    let db = system.raw().db();
    candidates.iter().copied().find(|wanted| {
        db.faces()
            .any(|f| f.families.iter().any(|(family, _)| family == wanted))
    })
}

/// The face for numbers: amounts, order numbers, codes, times.
pub const MONO: Font = Font::MONOSPACE;

/// Bold variant of the UI font.
#[must_use]
pub fn bold() -> Font {
    Font {
        weight: iced::font::Weight::Bold,
        ..choose_ui_font()
    }
}

/// The colour of a payment state.
#[must_use]
pub fn state_color(state: OrderState) -> Color {
    match state {
        OrderState::Paid => PAID,
        OrderState::Failed => FAILED,
        OrderState::Reversed => REVERSED,
        OrderState::Created
        | OrderState::Submitted
        | OrderState::UserPaying
        | OrderState::Unknown
        | OrderState::Reversing => PENDING,
    }
}

/// The colour of an order's folded status.
#[must_use]
pub fn status_color(status: OrderStatus) -> Color {
    match status {
        OrderStatus::Paid => PAID,
        OrderStatus::Failed => FAILED,
        OrderStatus::Reversed | OrderStatus::Refunded | OrderStatus::PartiallyRefunded => REVERSED,
        OrderStatus::Unknown => PENDING,
    }
}

/// The colour of a refund state.
#[must_use]
pub fn refund_color(state: RefundState) -> Color {
    match state {
        RefundState::Succeeded => REVERSED,
        RefundState::Failed => FAILED,
        RefundState::Requested | RefundState::Processing => PENDING,
    }
}

/// An amount: monospace digits, right-aligned in its cell.
pub fn money<'a>(amount: Money, size: f32) -> Text<'a> {
    text(format!("¥{amount}"))
        .font(MONO)
        .size(size)
        .align_x(alignment::Horizontal::Right)
        .width(Length::Fill)
}

/// Monospace text (numbers, order numbers, codes).
#[allow(clippy::needless_pass_by_value)] // any displayable value
pub fn mono<'a>(value: impl ToString, size: f32) -> Text<'a> {
    text(value.to_string()).font(MONO).size(size)
}

/// A long identifier (order number) in a table cell: monospace, wrapping between any two
/// characters when the column is narrow, so it is never cut off.
#[allow(clippy::needless_pass_by_value)] // any displayable value
pub fn code<'a>(value: impl ToString, size: f32) -> Text<'a> {
    text(value.to_string())
        .font(MONO)
        .size(size)
        .wrapping(iced::widget::text::Wrapping::Glyph)
}

/// Muted small text.
#[allow(clippy::needless_pass_by_value)] // any displayable value
pub fn hint<'a>(value: impl ToString) -> Text<'a> {
    text(value.to_string()).size(13).color(MUTED)
}

/// A heading.
#[allow(clippy::needless_pass_by_value)] // any displayable value
pub fn heading<'a>(value: impl ToString) -> Text<'a> {
    text(value.to_string()).size(22).font(bold())
}

/// A coloured pill with text.
#[allow(clippy::needless_pass_by_value)] // any displayable value
pub fn badge<'a, M: 'a>(
    label: impl ToString,
    background: Color,
    foreground: Color,
) -> Element<'a, M> {
    container(
        text(label.to_string())
            .size(13)
            .font(bold())
            .color(foreground),
    )
    .padding([2, 8])
    .style(move |_: &Theme| container::Style {
        background: Some(Background::Color(background)),
        border: Border {
            radius: 10.0.into(),
            ..Border::default()
        },
        ..container::Style::default()
    })
    .into()
}

/// The SANDBOX mark every screen shows when running against a sandbox.
pub fn sandbox_badge<'a, M: 'a>() -> Element<'a, M> {
    badge(
        crate::i18n::tr("SANDBOX 沙箱演示", "SANDBOX"),
        Color::from_rgb8(0xff, 0xd5, 0x4f),
        Color::from_rgb8(0x3e, 0x27, 0x23),
    )
}

/// A white card with a border.
pub fn card(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(CARD)),
        border: Border {
            color: LINE,
            width: 1.0,
            radius: 6.0.into(),
        },
        ..container::Style::default()
    }
}

/// The page background.
pub fn page(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(PAGE)),
        ..container::Style::default()
    }
}

/// A solid colour band (banners, headers).
pub fn band(color: Color) -> impl Fn(&Theme) -> container::Style {
    move |_| container::Style {
        background: Some(Background::Color(color)),
        text_color: Some(Color::WHITE),
        ..container::Style::default()
    }
}

/// A box tinted with an outcome colour (result panels).
pub fn outcome_box(color: Color) -> impl Fn(&Theme) -> container::Style {
    move |_| container::Style {
        background: Some(Background::Color(Color { a: 0.12, ..color })),
        border: Border {
            color,
            width: 2.0,
            radius: 8.0.into(),
        },
        text_color: Some(color),
        ..container::Style::default()
    }
}

/// A table row: zebra stripes, highlighted when selected.
pub fn row_style(index: usize, selected: bool) -> impl Fn(&Theme) -> container::Style {
    move |_| container::Style {
        background: Some(Background::Color(if selected {
            SELECTED
        } else if index % 2 == 1 {
            STRIPE
        } else {
            CARD
        })),
        ..container::Style::default()
    }
}

/// A table header row.
pub fn header_row(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(Color::from_rgb8(0xe8, 0xed, 0xf3))),
        text_color: Some(Color::from_rgb8(0x33, 0x3a, 0x44)),
        ..container::Style::default()
    }
}

/// The shade behind a modal dialog.
pub fn shade(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(Color {
            a: 0.45,
            ..Color::BLACK
        })),
        ..container::Style::default()
    }
}

/// The edge of a dialog box.
pub const DIALOG_EDGE: Color = Color::from_rgb8(0x90, 0x9a, 0xa6);

/// A dialog box: white, with a firm edge and **no shadow**. iced's software renderer paints
/// a shadow without the clip of the region it is redrawing, so every partial redraw (a key
/// typed, the text cursor blinking) laid the shadow again over the whole dialog, which
/// darkened to a black panel with its labels gone and the unredrawn parts stale.
pub fn dialog(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(CARD)),
        text_color: Some(TEXT),
        border: Border {
            color: DIALOG_EDGE,
            width: 2.0,
            radius: 10.0.into(),
        },
        shadow: Shadow::default(),
        ..container::Style::default()
    }
}

/// A navigation button: highlighted when it is the current screen.
pub fn nav_button(active: bool) -> impl Fn(&Theme, button::Status) -> button::Style {
    move |theme, status| {
        let base = button::text(theme, status);
        if active {
            button::Style {
                background: Some(Background::Color(BRAND)),
                text_color: Color::WHITE,
                border: Border {
                    radius: 6.0.into(),
                    ..Border::default()
                },
                ..base
            }
        } else {
            button::Style {
                background: match status {
                    button::Status::Hovered => {
                        Some(Background::Color(Color::from_rgb8(0xe3, 0xec, 0xf7)))
                    }
                    _ => None,
                },
                text_color: Color::from_rgb8(0x26, 0x32, 0x38),
                border: Border {
                    radius: 6.0.into(),
                    ..Border::default()
                },
                ..base
            }
        }
    }
}

/// A clickable table row (no button chrome).
pub fn row_button(_: &Theme, status: button::Status) -> button::Style {
    button::Style {
        background: match status {
            button::Status::Hovered => Some(Background::Color(Color { a: 0.06, ..BRAND })),
            _ => None,
        },
        text_color: Color::from_rgb8(0x21, 0x21, 0x21),
        ..button::Style::default()
    }
}

/// A container filling its cell, for table columns.
pub fn cell<'a, M: 'a>(content: impl Into<Element<'a, M>>, portion: u16) -> Container<'a, M> {
    container(content)
        .width(Length::FillPortion(portion))
        .align_y(alignment::Vertical::Center)
        .clip(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_box_casts_a_shadow() {
        // See `dialog`: the software renderer draws shadows outside the redrawn region.
        let theme = theme();
        for style in [dialog(&theme), card(&theme), page(&theme), shade(&theme)] {
            assert!(style.shadow.color.a <= 0.0, "{style:?}");
        }
        assert!(outcome_box(PAID)(&theme).shadow.color.a <= 0.0);
        assert!(band(BRAND)(&theme).shadow.color.a <= 0.0);
    }
}
