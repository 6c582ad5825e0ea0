//! 确定金额位置 The region selection overlay: a full-screen, see-through window over the
//! host POS; the cashier drags a rectangle around the total (or the serial number) and lets
//! go; a right click (or Esc) leaves without changing anything. The rectangle is stored in
//! physical pixels of that screen, with its scale factor.

use cloudpos_domain::ports::ScreenRegion;
use cloudpos_terminal::{Terminal, TerminalError};
use iced::widget::{Space, container, mouse_area, pin, stack, text};
use iced::{Background, Border, Color, Element, Length, Point, Task, Theme};

use crate::i18n::tr;
use crate::keys::{self, KeyPress, Shortcut};
use crate::screen::call;
use crate::style;

/// Which region is being chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// The total (确定金额位置).
    Amount,
    /// The serial number (确定流水号位置).
    Serial,
}

/// The overlay.
#[derive(Debug, Clone)]
pub struct Region {
    /// What is being chosen.
    pub target: Target,
    /// The screen index recorded with the region.
    pub screen: u32,
    /// The window's scale factor (physical / logical pixels).
    pub scale: f32,
    cursor: Option<Point>,
    start: Option<Point>,
}

/// What happened.
#[derive(Debug, Clone, Copy)]
pub enum Message {
    /// The mouse moved (logical position in the overlay).
    Moved(Point),
    /// Left button pressed: start the rectangle.
    Pressed,
    /// Left button released: the rectangle is done.
    Released,
    /// Right click or Esc: leave.
    Cancel,
    /// The window's scale factor.
    Scale(f32),
}

/// What the app must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Close the overlay with the region drawn, or `None` when left.
    Done(Target, Option<ScreenRegion>),
}

impl Region {
    /// An overlay choosing `target` on `screen`.
    #[must_use]
    pub fn new(target: Target, screen: u32) -> Region {
        Region {
            target,
            screen,
            scale: 1.0,
            cursor: None,
            start: None,
        }
    }

    /// The rectangle being drawn, in logical pixels: (x, y, width, height).
    #[must_use]
    pub fn rect(&self) -> Option<(f32, f32, f32, f32)> {
        let (a, b) = (self.start?, self.cursor?);
        Some((
            a.x.min(b.x),
            a.y.min(b.y),
            (a.x - b.x).abs(),
            (a.y - b.y).abs(),
        ))
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message) -> Option<Event> {
        match message {
            Message::Moved(p) => {
                self.cursor = Some(p);
                None
            }
            Message::Pressed => {
                self.start = self.cursor;
                None
            }
            Message::Released => {
                let (x, y, w, h) = self.rect()?;
                self.start = None;
                if w < 4.0 || h < 4.0 {
                    // A click, not a rectangle: keep waiting.
                    return None;
                }
                let s = self.scale.max(0.5);
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let region = ScreenRegion {
                    screen: self.screen,
                    x: (x * s).round() as i32,
                    y: (y * s).round() as i32,
                    width: (w * s).round() as u32,
                    height: (h * s).round() as u32,
                    scale_percent: (s * 100.0).round() as u32,
                };
                Some(Event::Done(self.target, Some(region)))
            }
            Message::Cancel => Some(Event::Done(self.target, None)),
            Message::Scale(s) => {
                self.scale = s;
                None
            }
        }
    }

    /// Draws the overlay.
    pub fn view(&self) -> Element<'_, Message> {
        let what = match self.target {
            Target::Amount => tr("金额", "the total"),
            Target::Serial => tr("流水号", "the serial number"),
        };
        let help = container(
            text(format!(
                "{}{}{}",
                tr("按住鼠标左键框选收银软件上的", "Drag a rectangle around "),
                what,
                tr(
                    "（可包含 ¥ 符号）· 右键或 Esc 退出",
                    " (the ¥ sign may be inside) · right-click or Esc leaves"
                )
            ))
            .size(20),
        )
        .padding(12)
        .style(style::band(style::BRAND));
        let mut layers = vec![
            container(Space::new().width(Length::Fill).height(Length::Fill))
                .style(|_: &Theme| container::Style {
                    background: Some(Background::Color(Color {
                        a: 0.18,
                        ..Color::BLACK
                    })),
                    ..container::Style::default()
                })
                .into(),
            pin(help).x(24.0).y(24.0).into(),
        ];
        if let Some((x, y, w, h)) = self.rect() {
            layers.push(
                pin(container(
                    Space::new()
                        .width(Length::Fixed(w))
                        .height(Length::Fixed(h)),
                )
                .style(|_: &Theme| container::Style {
                    background: Some(Background::Color(Color {
                        a: 0.15,
                        ..style::PAID
                    })),
                    border: Border {
                        color: style::PAID,
                        width: 2.0,
                        radius: 0.0.into(),
                    },
                    ..container::Style::default()
                }))
                .x(x)
                .y(y)
                .into(),
            );
        }
        mouse_area(stack(layers).width(Length::Fill).height(Length::Fill))
            .on_move(Message::Moved)
            .on_press(Message::Pressed)
            .on_release(Message::Released)
            .on_right_press(Message::Cancel)
            .interaction(iced::mouse::Interaction::Crosshair)
            .into()
    }
}

/// The overlay's keys: Esc leaves.
#[must_use]
pub fn shortcut(press: &KeyPress) -> Option<Message> {
    (keys::shortcut(press) == Shortcut::Escape).then_some(Message::Cancel)
}

/// Stores `region` as the amount's or the serial number's in the basic settings.
pub fn save(
    terminal: &Terminal,
    target: Target,
    region: ScreenRegion,
) -> Task<Result<Option<ScreenRegion>, TerminalError>> {
    call(
        terminal,
        move |t| async move {
            let mut basic = t.setting::<cloudpos_terminal::BasicSettings>().await?;
            match target {
                Target::Amount => basic.amount_region = Some(region),
                Target::Serial => basic.serial_region = Some(region),
            }
            t.set_setting(&basic).await?;
            Ok(Some(region))
        },
        |r| r,
    )
}
