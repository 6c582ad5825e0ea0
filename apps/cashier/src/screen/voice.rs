//! 语音播报 Voice announcements (V): on or off, the volume (0–100 %), which events speak
//! (微信/支付宝收款, 会员卡消费, 会员充值, 一码支付收款, 现金收款, 支付失败, 支付已撤销), and 试听
//! (a sample announcement played now at the volume on the slider, even when the voice is
//! off). Saving needs the configure permission: the terminal refuses a clerk, and the page
//! says so.

use cloudpos_domain::announcement::{Announcement, AnnouncementKind, MoneySource, VoiceEvent};
use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_terminal::{Terminal, TerminalError, VoiceSettings};
use iced::widget::{Space, button, checkbox, column, container, row, slider, text};
use iced::{Alignment, Element, Length, Task};

use crate::ctx::Ctx;
use crate::i18n::{error_text, tr, trs};
use crate::keys::{KeyAction, KeyPress, Shortcut, shortcut};
use crate::screen::call;
use crate::style;
use crate::widgets;

/// What 试听 says: 微信收款十二点三四元.
#[must_use]
pub fn sample() -> Option<Announcement> {
    Announcement::sample(AnnouncementKind::Received {
        source: MoneySource::Wallet(Wallet::WeChat),
        amount: Money::from_fen(1234),
    })
}

/// The name of an event on the page.
#[must_use]
pub fn event_text(event: VoiceEvent) -> &'static str {
    match event {
        VoiceEvent::Paid => tr("微信/支付宝收款", "WeChat Pay / Alipay received"),
        VoiceEvent::MemberCard => tr("会员卡消费", "Member card payment"),
        VoiceEvent::Recharge => tr("会员充值", "Member card recharge"),
        VoiceEvent::OneCode => tr("一码支付收款", "Printed QR code payment"),
        VoiceEvent::Cash => tr("现金收款", "Cash sale"),
        VoiceEvent::Failed => tr("支付失败", "Payment failed"),
        VoiceEvent::Reversed => tr("支付已撤销", "Payment reversed"),
    }
}

/// The voice settings page.
#[derive(Debug, Clone, Default)]
pub struct Voice {
    /// The settings being edited.
    pub settings: VoiceSettings,
    /// The stored settings have arrived (nothing is saved over them before).
    pub loaded: bool,
    /// Saving.
    pub busy: bool,
    /// 试听 is playing.
    pub playing: bool,
    /// Inline problem.
    pub error: Option<String>,
    /// Inline success.
    pub notice: Option<String>,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum Message {
    /// The stored settings arrived.
    Loaded(Result<VoiceSettings, TerminalError>),
    /// 开启语音播报.
    Enabled(bool),
    /// The volume slider.
    Volume(u8),
    /// An event's check box.
    Speaks(VoiceEvent, bool),
    /// 恢复默认.
    Defaults,
    /// 保存配置.
    Save,
    /// Saved.
    Saved(Result<(), TerminalError>),
    /// 试听.
    Try,
    /// 试听 finished (or could not play).
    Tried(Result<(), TerminalError>),
}

/// What the app must do.
#[derive(Debug, Clone)]
pub enum Event {
    /// Store the settings.
    Save(VoiceSettings),
    /// Play `announcement` now at `volume`.
    Try {
        /// The sample.
        announcement: Announcement,
        /// 0–100.
        volume: u8,
    },
}

impl Voice {
    /// Loads the settings the page edits (it was opened).
    pub fn load(terminal: &Terminal) -> Task<Message> {
        call(
            terminal,
            |t| async move { t.setting::<cloudpos_terminal::VoiceSettings>().await },
            Message::Loaded,
        )
    }

    /// Runs an event's terminal call: saving, or playing the sample.
    pub fn perform(&self, event: Event, terminal: &Terminal) -> Task<Message> {
        match event {
            Event::Save(settings) => call(
                terminal,
                |t| async move { t.set_setting(&settings).await },
                Message::Saved,
            ),
            Event::Try {
                announcement,
                volume,
            } => call(
                terminal,
                move |t| async move { t.say_now(&announcement, Some(volume)).await },
                Message::Tried,
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

    /// Handles a message.
    pub fn update(&mut self, message: Message) -> Option<Event> {
        match message {
            Message::Loaded(Ok(settings)) => {
                *self = Voice {
                    settings,
                    loaded: true,
                    ..Voice::default()
                };
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
            Message::Volume(v) => {
                self.settings.volume = v.min(100);
                self.edited();
                None
            }
            Message::Speaks(event, on) => {
                if on {
                    self.settings.events.insert(event);
                } else {
                    self.settings.events.remove(&event);
                }
                self.edited();
                None
            }
            Message::Defaults => {
                self.settings = VoiceSettings::default();
                self.edited();
                None
            }
            Message::Save => {
                if self.busy || !self.loaded {
                    return None;
                }
                self.busy = true;
                self.edited();
                Some(Event::Save(self.settings.clone()))
            }
            Message::Saved(r) => {
                self.busy = false;
                match r {
                    Ok(()) => {
                        self.notice =
                            Some(tr("语音播报设置已保存", "Voice settings saved").to_owned());
                    }
                    Err(e) => self.error = Some(error_text(&e)),
                }
                None
            }
            Message::Try => {
                if self.playing {
                    return None;
                }
                let announcement = sample()?;
                self.playing = true;
                self.edited();
                Some(Event::Try {
                    announcement,
                    volume: self.settings.volume,
                })
            }
            Message::Tried(r) => {
                self.playing = false;
                if let Err(e) = r {
                    // The sound device's own words are English: logged, not shown.
                    tracing::warn!("voice preview: {e}");
                    self.error = Some(
                        tr(
                            "无法试听：没有可用的声音设备，请检查音箱或耳机是否接好、系统声音是否打开",
                            "Cannot play: no sound device is available; check the speaker and the system sound",
                        )
                        .to_owned(),
                    );
                }
                None
            }
        }
    }

    /// Draws the page.
    pub fn view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let s = &self.settings;
        let volume = row![
            slider(0..=100u8, s.volume, Message::Volume)
                .step(5u8)
                .width(Length::Fixed(260.0)),
            style::mono(format!("{:>3} %", s.volume), 16.0),
        ]
        .spacing(14)
        .align_y(Alignment::Center);
        let general = column![
            style::heading(tr("语音播报", "Voice announcements")),
            checkbox(s.enabled)
                .label(tr(
                    "开启语音播报（收款到账时播报金额）",
                    "Speak (announce the amount when money arrives)"
                ))
                .on_toggle(Message::Enabled),
            widgets::inline(tr("音量", "Volume"), 120.0, volume),
            style::hint(tr(
                "播报不会延误收款：没有声音设备时照常收款，只是不出声。",
                "Speaking never delays a payment: without a sound device the till takes payments silently.",
            )),
        ]
        .spacing(12);

        let mut events =
            column![style::heading(tr("播报哪些事件", "What is announced"))].spacing(10);
        for pair in VoiceEvent::ALL.chunks(2) {
            let mut line = row![].spacing(24);
            for &event in pair {
                line = line.push(
                    checkbox(s.events.contains(&event))
                        .label(event_text(event))
                        .on_toggle(move |on| Message::Speaks(event, on))
                        .width(Length::Fixed(240.0)),
                );
            }
            events = events.push(line);
        }
        if !s.enabled {
            events = events.push(style::hint(tr(
                "语音播报已关闭：以上事件都不播报。",
                "The voice is off: none of these is announced.",
            )));
        }

        let words = sample()
            .and_then(|a| cloudpos_terminal::spoken_words(&a).ok())
            .unwrap_or_default();
        let preview = column![
            style::heading(tr("试听", "Listen")),
            row![
                button(text(if self.playing {
                    tr("正在播放…", "Playing…")
                } else {
                    tr("试听", "Listen")
                }))
                .style(button::secondary)
                .padding([8, 16])
                .on_press_maybe((!self.playing).then_some(Message::Try)),
                style::hint(trs(
                    format!("按当前音量播放：“{words}”"),
                    format!("Plays at the volume above: \"{words}\""),
                )),
            ]
            .spacing(14)
            .align_y(Alignment::Center),
        ]
        .spacing(10);

        let mut col = column![
            container(general)
                .padding(16)
                .width(Length::Fill)
                .style(style::card),
            container(events)
                .padding(16)
                .width(Length::Fill)
                .style(style::card),
            container(preview)
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
        // The buttons stay in view below the settings, which scroll on a short screen.
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
