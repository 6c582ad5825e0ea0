//! 快捷键设置 Hotkeys (S/F8, plug-in S/F6): each global hotkey with its check box and a
//! press-to-record field (click 录制, press the combination); the keys pressed in the host
//! POS before the payment window opens and after a payment, per wallet. Full mode has only
//! the show/hide hotkey.

use cloudpos_terminal::{
    Chord, HotkeyAction, KeySequence, KeySettings, Terminal, TerminalError, WalletKeys,
};
use iced::widget::{Space, button, checkbox, column, container, row, text, text_input};
use iced::{Alignment, Element, Length, Task};

use crate::ctx::Ctx;
use crate::i18n::{error_text, tr, trs};
use crate::keys::{KeyAction, KeyPress, Shortcut, chord_text, digit, shortcut};
use crate::screen::call;
use crate::style;
use crate::widgets;

/// Which key sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// 扫码拉起收银窗口前触发的键盘消息.
    Before,
    /// 支付完成之后触发的键盘消息.
    After,
}

/// Which wallet's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Every wallet.
    Default,
    /// WeChat Pay.
    WeChat,
    /// Alipay.
    Alipay,
    /// Member card.
    MemberCard,
}

const SLOTS: [Slot; 4] = [Slot::Default, Slot::WeChat, Slot::Alipay, Slot::MemberCard];

/// The texts of one moment's key sequences.
#[derive(Debug, Clone, Default)]
pub struct Sequences {
    /// Enabled.
    pub enabled: bool,
    /// Default, WeChat, Alipay, member card.
    pub texts: [String; 4],
}

impl Sequences {
    fn from(keys: &WalletKeys) -> Sequences {
        let opt = |s: &Option<KeySequence>| s.as_ref().map(ToString::to_string).unwrap_or_default();
        Sequences {
            enabled: keys.enabled,
            texts: [
                keys.default.to_string(),
                opt(&keys.wechat),
                opt(&keys.alipay),
                opt(&keys.member_card),
            ],
        }
    }

    fn keys(&self) -> Result<WalletKeys, String> {
        let parse = |t: &str| -> Result<Option<KeySequence>, String> {
            if t.trim().is_empty() {
                Ok(None)
            } else {
                KeySequence::parse(t)
                    .map(Some)
                    .map_err(|e| crate::i18n::chord_error_text(&e))
            }
        };
        Ok(WalletKeys {
            enabled: self.enabled,
            default: parse(&self.texts[0])?.unwrap_or_default(),
            wechat: parse(&self.texts[1])?,
            alipay: parse(&self.texts[2])?,
            member_card: parse(&self.texts[3])?,
        })
    }
}

/// The hotkeys page.
#[derive(Debug, Clone)]
pub struct Hotkeys {
    /// The settings being edited.
    pub keys: KeySettings,
    /// The hotkey being recorded.
    pub recording: Option<HotkeyAction>,
    /// Before-window keys.
    pub before: Sequences,
    /// After-payment keys.
    pub after: Sequences,
    /// Pause between keys, in ms, as typed.
    pub delay: String,
    /// Inline problem.
    pub error: Option<String>,
    /// Inline success.
    pub notice: Option<String>,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum Message {
    /// The stored settings arrived.
    Loaded(Result<KeySettings, TerminalError>),
    /// A hotkey's check box.
    Enabled(HotkeyAction, bool),
    /// 录制: the next key combination pressed becomes this hotkey.
    Record(HotkeyAction),
    /// A combination was pressed while recording (`None`: Esc, stop recording).
    Recorded(Option<String>),
    /// A sequence's check box.
    SequenceEnabled(Moment, bool),
    /// A sequence typed.
    Sequence(Moment, Slot, String),
    /// Pause typed.
    Delay(String),
    /// 恢复默认.
    Defaults,
    /// 保存.
    Save,
    /// Saved.
    Saved(Result<(), TerminalError>),
}

/// What the app must do.
#[derive(Debug, Clone)]
pub enum Event {
    /// Store (and register) the settings.
    Save(KeySettings),
}

impl Hotkeys {
    /// The hotkeys shown in a mode, in order: the digit keys 1, 2, 3 record them.
    #[must_use]
    pub fn shown(plug_in: bool) -> Vec<HotkeyAction> {
        HotkeyAction::ALL
            .into_iter()
            .filter(|a| plug_in || !a.plug_in_only())
            .collect()
    }

    /// The page over `keys`.
    #[must_use]
    pub fn new(keys: KeySettings) -> Hotkeys {
        Hotkeys {
            recording: None,
            before: Sequences::from(&keys.before_window),
            after: Sequences::from(&keys.after_payment),
            delay: keys.chord_delay_ms.to_string(),
            keys,
            error: None,
            notice: None,
        }
    }

    /// Loads the settings the page edits (it was opened).
    pub fn load(terminal: &Terminal) -> Task<Message> {
        call(
            terminal,
            |t| async move { t.setting::<cloudpos_terminal::KeySettings>().await },
            Message::Loaded,
        )
    }

    /// Stores the settings. Registering them with the device worker, and reloading the
    /// settings every screen reads, are the app's.
    pub fn perform(&self, event: Event, terminal: &Terminal) -> Task<Message> {
        let Event::Save(keys) = event;
        call(
            terminal,
            |t| async move { t.set_setting(&keys).await },
            Message::Saved,
        )
    }

    /// While a hotkey is being recorded every key is the page's: the combination pressed
    /// (Esc stops recording; a modifier alone waits for its key). `None` when not recording.
    #[must_use]
    pub fn record_key(&self, press: &KeyPress) -> Option<KeyAction<Message>> {
        self.recording?;
        if shortcut(press) == Shortcut::Escape {
            return Some(KeyAction::Send(Message::Recorded(None)));
        }
        Some(chord_text(press).map_or(KeyAction::Swallow, |chord| {
            KeyAction::Send(Message::Recorded(Some(chord)))
        }))
    }

    /// The page's keys: Enter saves; the digits 1, 2, 3 record the hotkeys shown in the
    /// mode (`plug_in`), in order.
    #[must_use]
    pub fn shortcut(&self, press: &KeyPress, plug_in: bool) -> Option<KeyAction<Message>> {
        if shortcut(press) == Shortcut::Enter {
            return Some(KeyAction::Send(Message::Save));
        }
        let d = digit(press)?;
        Some(
            Hotkeys::shown(plug_in)
                .get(d.wrapping_sub(1))
                .map_or(KeyAction::Swallow, |action| {
                    KeyAction::Send(Message::Record(*action))
                }),
        )
    }

    fn binding(&mut self, action: HotkeyAction) -> &mut cloudpos_terminal::HotkeyBinding {
        match action {
            HotkeyAction::PaymentWindow => &mut self.keys.payment_window,
            HotkeyAction::MainWindow => &mut self.keys.main_window,
            HotkeyAction::AmountRegion => &mut self.keys.amount_region,
        }
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message) -> Option<Event> {
        self.notice = None;
        match message {
            Message::Loaded(Ok(k)) => *self = Hotkeys::new(k),
            Message::Loaded(Err(e)) => self.error = Some(error_text(&e)),
            Message::Enabled(a, on) => self.binding(a).enabled = on,
            Message::Record(a) => {
                self.recording = Some(a);
                self.error = None;
            }
            Message::Recorded(chord) => {
                let action = self.recording.take()?;
                let text = chord?;
                match Chord::parse(&text) {
                    Ok(c) => {
                        self.binding(action).chord = c;
                        self.error = None;
                    }
                    Err(e) => self.error = Some(crate::i18n::chord_error_text(&e)),
                }
            }
            Message::SequenceEnabled(m, on) => match m {
                Moment::Before => self.before.enabled = on,
                Moment::After => self.after.enabled = on,
            },
            Message::Sequence(m, slot, t) => {
                let i = SLOTS.iter().position(|s| *s == slot).unwrap_or(0);
                match m {
                    Moment::Before => self.before.texts[i] = t,
                    Moment::After => self.after.texts[i] = t,
                }
            }
            Message::Delay(v) => self.delay = v.chars().filter(char::is_ascii_digit).collect(),
            Message::Defaults => *self = Hotkeys::new(KeySettings::default()),
            Message::Save => {
                let mut keys = self.keys.clone();
                let result = (|| -> Result<KeySettings, String> {
                    keys.before_window = self.before.keys()?;
                    keys.after_payment = self.after.keys()?;
                    keys.chord_delay_ms = self.delay.parse().map_err(|_| {
                        tr("按键间隔请填写毫秒数", "Give the pause in milliseconds").to_owned()
                    })?;
                    keys.validate()
                        .map_err(|e| crate::i18n::key_settings_error_text(&e))?;
                    Ok(keys)
                })();
                return match result {
                    Ok(k) => Some(Event::Save(k)),
                    Err(e) => {
                        self.error = Some(e);
                        None
                    }
                };
            }
            Message::Saved(Ok(())) => {
                self.notice =
                    Some(tr("快捷键已保存并生效", "Hotkeys saved and registered").to_owned());
                self.error = None;
            }
            Message::Saved(Err(e)) => self.error = Some(error_text(&e)),
        }
        None
    }

    /// Draws the page.
    pub fn view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let plug_in = ctx.plug_in();
        let mut hotkeys = column![style::heading(tr("全局快捷键", "Global hotkeys"))].spacing(10);
        for (n, action) in Hotkeys::shown(plug_in).into_iter().enumerate() {
            let binding = self.keys.binding(action);
            let label = match action {
                HotkeyAction::PaymentWindow => {
                    tr("唤起/隐藏收银窗口", "Show/hide the payment window")
                }
                HotkeyAction::MainWindow => tr("显示/隐藏主窗口", "Show/hide the main window"),
                HotkeyAction::AmountRegion => tr("截取金额位置", "Choose the amount region"),
            };
            let recording = self.recording == Some(action);
            let chord: Element<'_, Message> = container(
                text(if recording {
                    tr(
                        "请按下组合键…（Esc 取消）",
                        "Press the combination… (Esc cancels)",
                    )
                    .to_owned()
                } else {
                    binding.chord.to_string()
                })
                .font(if recording {
                    style::choose_ui_font()
                } else {
                    style::MONO
                })
                .size(16)
                .color(if recording {
                    style::PENDING
                } else {
                    iced::Color::BLACK
                }),
            )
            .padding([6, 10])
            .width(Length::Fixed(220.0))
            .style(style::card)
            .into();
            hotkeys = hotkeys.push(
                row![
                    checkbox(binding.enabled)
                        .label(label)
                        .on_toggle(move |on| Message::Enabled(action, on))
                        .width(Length::Fixed(240.0)),
                    chord,
                    button(
                        text(trs(
                            format!("录制 ({})", n + 1),
                            format!("Record ({})", n + 1)
                        ))
                        .size(14)
                    )
                    .style(button::secondary)
                    .on_press(Message::Record(action)),
                ]
                .spacing(10)
                .align_y(Alignment::Center),
            );
        }
        let mut col = column![container(hotkeys).padding(16).style(style::card)].spacing(12);
        if plug_in {
            let moment = |m: Moment, title: &str, seq: &'a Sequences| {
                let mut c = column![
                    checkbox(seq.enabled)
                        .label(title.to_owned())
                        .on_toggle(move |on| Message::SequenceEnabled(m, on))
                ]
                .spacing(8);
                for (i, slot) in SLOTS.into_iter().enumerate() {
                    let label = match slot {
                        Slot::Default => tr("所有钱包", "Any wallet"),
                        Slot::WeChat => tr("微信支付", "WeChat Pay"),
                        Slot::Alipay => tr("支付宝", "Alipay"),
                        Slot::MemberCard => tr("会员卡", "Member card"),
                    };
                    c = c.push(widgets::inline(
                        label,
                        100.0,
                        text_input(
                            if slot == Slot::Default {
                                tr("例如 F12, Ctrl+Enter", "e.g. F12, Ctrl+Enter")
                            } else {
                                tr("留空同上", "empty: as above")
                            },
                            &seq.texts[i],
                        )
                        .on_input(move |t| Message::Sequence(m, slot, t))
                        .on_submit(Message::Save)
                        .font(style::MONO),
                    ));
                }
                container(c).padding(16).style(style::card)
            };
            col = col.push(moment(
                Moment::Before,
                tr(
                    "扫码拉起收银窗口前触发的键盘消息",
                    "Keys pressed in the POS before the window opens",
                ),
                &self.before,
            ));
            col = col.push(moment(
                Moment::After,
                tr(
                    "支付完成之后触发的键盘消息",
                    "Keys pressed in the POS after a payment",
                ),
                &self.after,
            ));
            col = col.push(widgets::inline(
                tr("按键间隔(毫秒)", "Pause between keys (ms)"),
                180.0,
                text_input("50", &self.delay)
                    .on_input(Message::Delay)
                    .on_submit(Message::Save)
                    .font(style::MONO)
                    .width(Length::Fixed(90.0)),
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
            button(text(tr("保存 (Enter)", "Save (Enter)")))
                .padding(10)
                .on_press(Message::Save),
            button(text(tr("恢复默认", "Defaults")))
                .style(button::secondary)
                .padding(10)
                .on_press(Message::Defaults),
            Space::new().width(Length::Fill),
            style::hint(trs(
                "默认：Ctrl+E 显示/隐藏主窗口，~ 唤起收银窗口，Ctrl+Shift+P 截取金额位置"
                    .to_owned(),
                "Defaults: Ctrl+E main window, ~ payment window, Ctrl+Shift+P amount region"
                    .to_owned(),
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
