//! 一码支付打印 One-code pay printing (Q): customers pay by scanning the shop's printed QR code
//! with their own phone; the till prints a receipt for and announces each paid one, once.
//! The page sets it on or off, where it starts (从现在开始 / 从上次打印处继续), how often it
//! looks (seconds, 5 by default) and which printed codes it watches (all when empty), and
//! lists the payments handled lately. Saving needs the configure permission: the terminal
//! refuses a clerk, and the page says so. The watching itself runs in the background
//! (`Terminal::spawn_one_code_watcher`, started with the app).

use cloudpos_domain::one_code::{OneCodeEntry, OneCodeState};
use cloudpos_terminal::{OneCodeFrom, OneCodeSettings, Terminal, TerminalError};
use iced::widget::{Space, button, checkbox, column, container, radio, row, text, text_input};
use iced::{Alignment, Element, Length, Task};

use crate::ctx::Ctx;
use crate::i18n::{error_text, tr, trs};
use crate::keys::{KeyAction, KeyPress, Shortcut, shortcut};
use crate::screen::call;
use crate::style;
use crate::widgets;

/// The interval field.
pub const INTERVAL_FIELD: &str = "one_code_interval";
/// The QR codes field.
pub const CODES_FIELD: &str = "one_code_codes";

/// How many handled payments the page lists.
pub const RECENT: u32 = 10;

/// What opening the page reads.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The stored settings.
    pub settings: OneCodeSettings,
    /// The payments handled lately, newest first.
    pub recent: Vec<OneCodeEntry>,
}

/// The one-code pay printing page.
#[derive(Debug, Clone, Default)]
pub struct OneCode {
    /// The settings as stored (what is edited starts from them).
    pub settings: OneCodeSettings,
    /// The interval as typed.
    pub interval: String,
    /// The QR codes as typed (comma-separated).
    pub codes: String,
    /// The payments handled lately.
    pub recent: Vec<OneCodeEntry>,
    /// The stored settings have arrived (nothing is saved over them before).
    pub loaded: bool,
    /// Saving.
    pub busy: bool,
    /// Inline problem.
    pub error: Option<String>,
    /// Inline success.
    pub notice: Option<String>,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum Message {
    /// The stored settings and the recent payments arrived.
    Loaded(Result<Loaded, TerminalError>),
    /// 开启一码支付打印.
    Enabled(bool),
    /// Where watching starts.
    From(OneCodeFrom),
    /// The interval field.
    Interval(String),
    /// The QR codes field.
    Codes(String),
    /// 恢复默认.
    Defaults,
    /// 保存配置.
    Save,
    /// Saved (and read back).
    Saved(Result<Loaded, TerminalError>),
}

/// What the app must do.
#[derive(Debug, Clone)]
pub enum Event {
    /// Store the settings.
    Save(OneCodeSettings),
}

async fn read(t: &Terminal) -> Result<Loaded, TerminalError> {
    Ok(Loaded {
        settings: t.setting::<OneCodeSettings>().await?,
        recent: t.one_code_recent(RECENT).await?,
    })
}

impl OneCode {
    /// Loads the settings and the recent payments (it was opened).
    pub fn load(terminal: &Terminal) -> Task<Message> {
        call(terminal, |t| async move { read(&t).await }, Message::Loaded)
    }

    /// Runs an event's terminal call: saving, then reading back.
    pub fn perform(&self, event: Event, terminal: &Terminal) -> Task<Message> {
        match event {
            Event::Save(settings) => call(
                terminal,
                |t| async move {
                    t.set_setting(&settings).await?;
                    read(&t).await
                },
                Message::Saved,
            ),
        }
    }

    /// The page's keys: Enter saves.
    #[must_use]
    pub fn shortcut(&self, press: &KeyPress) -> Option<KeyAction<Message>> {
        (shortcut(press) == Shortcut::Enter).then_some(KeyAction::Send(Message::Save))
    }

    fn edited(&mut self) {
        self.error = None;
        self.notice = None;
    }

    fn show(&mut self, loaded: Loaded) {
        self.interval = loaded.settings.interval_secs.to_string();
        self.codes = loaded.settings.qr_codes.join(", ");
        self.settings = loaded.settings;
        self.recent = loaded.recent;
        self.loaded = true;
    }

    /// The settings as edited, or what is wrong with the interval.
    pub fn edited_settings(&self) -> Result<OneCodeSettings, String> {
        let interval_secs = self
            .interval
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|s| (1..=3600).contains(s))
            .ok_or_else(|| {
                tr(
                    "间隔为 1 到 3600 秒的整数",
                    "The interval is a whole number of seconds from 1 to 3600",
                )
                .to_owned()
            })?;
        Ok(OneCodeSettings {
            interval_secs,
            qr_codes: self
                .codes
                .split([',', '，', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            ..self.settings.clone()
        })
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message) -> Option<Event> {
        match message {
            Message::Loaded(Ok(loaded)) => {
                *self = OneCode::default();
                self.show(loaded);
                None
            }
            Message::Loaded(Err(e)) => {
                self.error = Some(error_text(&e));
                None
            }
            Message::Enabled(on) => {
                self.settings.enabled = on;
                self.edited();
                None
            }
            Message::From(from) => {
                self.settings.from = from;
                self.edited();
                None
            }
            Message::Interval(v) => {
                self.interval = v;
                self.edited();
                None
            }
            Message::Codes(v) => {
                self.codes = v;
                self.edited();
                None
            }
            Message::Defaults => {
                let recent = std::mem::take(&mut self.recent);
                self.show(Loaded {
                    settings: OneCodeSettings::default(),
                    recent,
                });
                self.edited();
                None
            }
            Message::Save => {
                if self.busy || !self.loaded {
                    return None;
                }
                self.edited();
                match self.edited_settings() {
                    Ok(s) => {
                        self.busy = true;
                        Some(Event::Save(s))
                    }
                    Err(e) => {
                        self.error = Some(e);
                        None
                    }
                }
            }
            Message::Saved(r) => {
                self.busy = false;
                match r {
                    Ok(loaded) => {
                        self.show(loaded);
                        self.notice = Some(
                            tr("一码支付打印设置已保存", "One-code printing settings saved")
                                .to_owned(),
                        );
                    }
                    Err(e) => self.error = Some(error_text(&e)),
                }
                None
            }
        }
    }

    fn recent_view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let mut list = column![style::heading(tr("最近打印", "Handled lately"))].spacing(6);
        if self.recent.is_empty() {
            list = list.push(style::hint(tr(
                "还没有一码支付收款。",
                "No printed-QR-code payment yet.",
            )));
        }
        for e in &self.recent {
            let p = &e.payment;
            let state = match (e.state, e.printed) {
                (OneCodeState::Done, true) => (tr("已打印", "printed"), style::PAID),
                (OneCodeState::Done, false) => (tr("未打印", "not printed"), style::PENDING),
                (OneCodeState::Interrupted, _) => {
                    (tr("中断，请补打", "interrupted: reprint"), style::FAILED)
                }
                (OneCodeState::Claimed, _) => (tr("处理中", "handling"), style::PENDING),
            };
            list = list.push(
                row![
                    style::mono(ctx.time(p.paid_at), 14.0).width(Length::Fixed(170.0)),
                    text(p.wallet.map_or("?", |w| w.display_name())).width(Length::Fixed(80.0)),
                    style::money(p.amount, 15.0).width(Length::Fixed(100.0)),
                    style::code(&p.out_trade_no, 13.0).width(Length::Fill),
                    text(state.0).color(state.1),
                ]
                .spacing(10)
                .align_y(Alignment::Center),
            );
        }
        list.into()
    }

    /// Draws the page.
    pub fn view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let s = &self.settings;
        let general = column![
            style::heading(tr("一码支付打印", "One-code pay printing")),
            checkbox(s.enabled)
                .label(tr(
                    "开启一码支付打印（顾客扫店铺收款码付款后自动打印小票并播报）",
                    "Print and announce payments customers make by scanning the shop's QR code",
                ))
                .on_toggle(Message::Enabled),
            widgets::inline(
                tr("从何时开始", "Start from"),
                120.0,
                column![
                    radio(
                        tr("从现在开始（每次打开收银台后的新收款）", "Now (new payments after each start)"),
                        OneCodeFrom::Now,
                        Some(s.from),
                        Message::From
                    ),
                    radio(
                        tr("从上次打印处继续（补打关机期间的收款）", "The last one printed (catch up after a pause)"),
                        OneCodeFrom::Last,
                        Some(s.from),
                        Message::From
                    ),
                ]
                .spacing(6),
            ),
            widgets::inline(
                tr("查询间隔(秒)", "Interval (s)"),
                120.0,
                text_input("5", &self.interval)
                    .id(INTERVAL_FIELD)
                    .on_input(Message::Interval)
                    .on_submit(Message::Save)
                    .font(style::MONO)
                    .width(Length::Fixed(90.0)),
            ),
            widgets::inline(
                tr("收款码编号", "QR codes"),
                120.0,
                text_input(tr("留空：全部收款码", "empty: every code"), &self.codes)
                    .id(CODES_FIELD)
                    .on_input(Message::Codes)
                    .on_submit(Message::Save)
                    .width(Length::Fixed(320.0)),
            ),
            style::hint(tr(
                "每笔收款只打印和播报一次：重启或断电后也不会重复打印。多个收款码用逗号分隔。",
                "Each payment is printed and announced once, also after a restart or a power cut. Separate codes with commas.",
            )),
        ]
        .spacing(12);

        let mut col = column![
            container(general)
                .padding(16)
                .width(Length::Fill)
                .style(style::card),
            container(self.recent_view(ctx))
                .padding(16)
                .width(Length::Fill)
                .style(style::card),
        ]
        .spacing(12);
        if !ctx.may(cloudpos_domain::clerk::Permission::Configure) {
            col = col.push(widgets::notice(
                tr(
                    "只有店长及以上可以修改配置",
                    "Only a store manager or above changes the configuration",
                ),
                style::PENDING,
            ));
        }
        if let Some(e) = &self.error {
            col = col.push(widgets::notice(e, style::FAILED));
        }
        if let Some(n) = &self.notice {
            col = col.push(widgets::notice(n, style::PAID));
        }
        let buttons = row![
            button(text(if self.busy {
                tr("正在保存…", "Saving…")
            } else {
                tr("保存配置 (Enter)", "Save (Enter)")
            }))
            .padding(10)
            .on_press_maybe((!self.busy && self.loaded).then_some(Message::Save)),
            button(text(tr("恢复默认", "Defaults")))
                .style(button::secondary)
                .padding(10)
                .on_press(Message::Defaults),
            Space::new().width(Length::Fill),
            style::hint(trs(
                format!("每 {} 秒查询一次", s.interval_secs),
                format!("Looks every {} s", s.interval_secs),
            )),
        ]
        .spacing(10)
        .align_y(Alignment::Center);
        column![
            widgets::scroll(col.padding(14)).height(Length::Fill),
            container(buttons).padding([8, 14]),
        ]
        .into()
    }
}
