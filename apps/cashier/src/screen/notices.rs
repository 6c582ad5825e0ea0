//! 公告 Notices (seed 003 §7): the app fetches the notices of the service provider or the
//! merchant in the background (at start and every few minutes, never waiting for them), the
//! header shows 公告 with the number unread, and this reader lists them newest first (unread
//! marked ●) beside the text of the one selected; opening one marks it read.

use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::{NOTICE_INTERVAL, Notice, Terminal, TerminalError};
use iced::widget::{Space, button, column, container, row, text};
use iced::{Element, Length, Task};

use crate::ctx::Ctx;
use crate::i18n::{error_text, tr, trs};
use crate::keys::{KeyPress, Shortcut, shortcut};
use crate::screen::call;
use crate::style;
use crate::widgets;

/// The app's notices: what the terminal keeps, the fetch schedule, and the reader.
#[derive(Debug, Clone, Default)]
pub struct Notices {
    /// The notices kept, newest first.
    pub list: Vec<Notice>,
    /// A fetch is on its way.
    pub fetching: bool,
    /// The next background fetch is due at this time (`None`: at once).
    pub next_fetch: Option<Timestamp>,
    /// The reader, when open: the index of the notice shown.
    pub reader: Option<usize>,
    /// Why the last fetch failed, in words (shown in the reader).
    pub error: Option<String>,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum Message {
    /// The cloud answered (how many were new), or not.
    Fetched(Result<usize, TerminalError>),
    /// The kept notices were read.
    Loaded(Result<Vec<Notice>, TerminalError>),
    /// Open the reader (the header's 公告).
    Open,
    /// Show this notice (marks it read).
    Select(usize),
    /// Marked read.
    Marked(Result<(), TerminalError>),
    /// Close the reader.
    Close,
}

/// What the app must do.
#[derive(Debug, Clone)]
pub enum Event {
    /// Ask the cloud, then read what is kept.
    Fetch,
    /// Read what is kept.
    Load,
    /// Mark a notice read.
    MarkRead(String),
}

impl Notices {
    /// Runs an event's terminal call.
    pub fn perform(&self, event: Event, terminal: &Terminal) -> Task<Message> {
        match event {
            Event::Fetch => call(
                terminal,
                |t| async move { t.refresh_notices().await },
                Message::Fetched,
            ),
            Event::Load => call(
                terminal,
                |t| async move { t.notices().await },
                Message::Loaded,
            ),
            Event::MarkRead(id) => call(
                terminal,
                move |t| async move { t.mark_notice_read(&id).await },
                Message::Marked,
            ),
        }
    }

    /// How many notices nobody has read: the header's badge.
    #[must_use]
    pub fn unread(&self) -> usize {
        self.list.iter().filter(|n| n.unread()).count()
    }

    /// Whether a background fetch is due at `now`.
    #[must_use]
    pub fn due(&self, now: Timestamp) -> bool {
        !self.fetching && self.next_fetch.is_none_or(|at| now >= at)
    }

    /// Starts a fetch (the app runs it) unless one is on its way.
    pub fn start_fetch(&mut self) -> Option<Event> {
        if self.fetching {
            return None;
        }
        self.fetching = true;
        Some(Event::Fetch)
    }

    /// The reader's keys: Esc closes it, ↑/↓ move between notices; it takes every key.
    #[must_use]
    pub fn shortcut(&self, press: &KeyPress) -> Option<Message> {
        let at = self.reader?;
        match shortcut(press) {
            Shortcut::Escape => Some(Message::Close),
            Shortcut::Up if at > 0 => Some(Message::Select(at - 1)),
            Shortcut::Down if at + 1 < self.list.len() => Some(Message::Select(at + 1)),
            _ => None,
        }
    }

    fn select(&mut self, i: usize, now: Timestamp) -> Option<Event> {
        let n = self.list.get_mut(i)?;
        self.reader = Some(i);
        if n.unread() {
            n.read_at = Some(now);
            return Some(Event::MarkRead(n.id.clone()));
        }
        None
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message, ctx: &Ctx) -> Option<Event> {
        match message {
            Message::Fetched(result) => {
                self.fetching = false;
                self.next_fetch = Some(ctx.now.plus(NOTICE_INTERVAL));
                match result {
                    Ok(_) => self.error = None,
                    Err(e) => {
                        tracing::info!("notices: {e}");
                        self.error = Some(error_text(&e));
                    }
                }
                Some(Event::Load)
            }
            Message::Loaded(Ok(list)) => {
                let shown = self
                    .reader
                    .and_then(|i| self.list.get(i))
                    .map(|n| n.id.clone());
                self.list = list;
                if self.reader.is_some() {
                    let at = shown
                        .and_then(|id| self.list.iter().position(|n| n.id == id))
                        .unwrap_or(0);
                    self.reader = Some(at);
                }
                None
            }
            Message::Loaded(Err(e)) => {
                self.error = Some(error_text(&e));
                None
            }
            Message::Open => {
                // The newest unread first, else the newest.
                let first = self.list.iter().position(Notice::unread).unwrap_or(0);
                self.reader = Some(first);
                self.select(first, ctx.now)
            }
            Message::Select(i) => self.select(i, ctx.now),
            Message::Marked(Err(e)) => {
                self.error = Some(error_text(&e));
                Some(Event::Load)
            }
            Message::Marked(Ok(())) => None,
            Message::Close => {
                self.reader = None;
                None
            }
        }
    }

    /// The header's 公告 button: with the number unread, in the brand colour, when there are
    /// unread notices.
    pub fn badge<'a>(&self) -> Element<'a, Message> {
        let unread = self.unread();
        let label = if unread > 0 {
            trs(format!("公告 {unread}"), format!("Notices {unread}"))
        } else {
            tr("公告", "Notices").to_owned()
        };
        button(text(label).size(13).font(style::bold()))
            .padding([3, 10])
            .style(if unread > 0 {
                button::danger
            } else {
                button::secondary
            })
            .on_press(Message::Open)
            .into()
    }

    /// The reader, when it is open.
    pub fn view<'a>(&'a self, ctx: &'a Ctx) -> Option<Element<'a, Message>> {
        let at = self.reader?;
        let mut titles = column![].spacing(4);
        for (i, n) in self.list.iter().enumerate() {
            let mark = if n.unread() { "● " } else { "  " };
            let line = column![
                text(format!("{mark}{}", n.title))
                    .size(15)
                    .font(if n.unread() {
                        style::bold()
                    } else {
                        iced::Font::default()
                    }),
                text(ctx.time(n.published_at)).size(12).color(if i == at {
                    iced::Color::WHITE
                } else {
                    style::MUTED
                }),
            ]
            .spacing(2);
            titles = titles.push(
                button(line)
                    .width(Length::Fill)
                    .padding([6, 8])
                    .style(if i == at {
                        button::primary
                    } else {
                        button::text
                    })
                    .on_press(Message::Select(i)),
            );
        }
        let detail: Element<'a, Message> = match self.list.get(at) {
            None => style::hint(tr("暂无公告", "No notices yet")).into(),
            Some(n) => column![
                text(n.title.clone()).size(20).font(style::bold()),
                text(ctx.time(n.published_at)).size(13).color(style::MUTED),
                widgets::scroll(text(n.body.clone()).size(16)).height(Length::Fill),
            ]
            .spacing(10)
            .into(),
        };
        let mut body = column![
            row![
                container(widgets::scroll(titles))
                    .width(Length::FillPortion(2))
                    .height(Length::Fixed(300.0)),
                container(detail)
                    .width(Length::FillPortion(3))
                    .height(Length::Fixed(300.0))
                    .padding([0, 8]),
            ]
            .spacing(12),
        ]
        .spacing(12);
        if let Some(e) = &self.error {
            body = body.push(widgets::notice(
                &trs(
                    format!("暂时无法获取新公告：{e}"),
                    format!("New notices cannot be fetched now: {e}"),
                ),
                style::FAILED,
            ));
        }
        body = body.push(row![
            Space::new().width(Length::Fill),
            button(text(tr("关闭 (Esc)", "Close (Esc)")))
                .style(button::secondary)
                .on_press(Message::Close),
        ]);
        Some(widgets::dialog(ctx, tr("公告", "Notices"), body, 720.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(id: &str, read: bool) -> Notice {
        Notice {
            id: id.to_owned(),
            title: format!("标题 {id}"),
            body: format!("正文 {id}"),
            published_at: Timestamp::from_unix_seconds(1_800_000_000),
            read_at: read.then(|| Timestamp::from_unix_seconds(1_800_000_100)),
        }
    }

    #[test]
    fn the_reader_opens_on_the_newest_unread_and_marks_what_it_shows() {
        let ctx = Ctx::default();
        let mut n = Notices::default();
        assert!(n.due(ctx.now));
        assert!(matches!(n.start_fetch(), Some(Event::Fetch)));
        assert!(n.start_fetch().is_none(), "one fetch at a time");
        // Offline: the error is kept, what is stored is still read, and the next try is due
        // after the interval.
        let e = n.update(Message::Fetched(Err(TerminalError::NotConfigured)), &ctx);
        assert!(matches!(e, Some(Event::Load)));
        assert!(n.error.is_some() && !n.due(ctx.now));
        assert!(n.due(ctx.now.plus(NOTICE_INTERVAL)));
        n.update(
            Message::Loaded(Ok(vec![
                notice("N3", true),
                notice("N2", false),
                notice("N1", false),
            ])),
            &ctx,
        );
        assert_eq!(n.unread(), 2);
        match n.update(Message::Open, &ctx) {
            Some(Event::MarkRead(id)) => assert_eq!(id, "N2"),
            other => panic!("{other:?}"),
        }
        assert_eq!((n.reader, n.unread()), (Some(1), 1));
        // ↓ shows N1 and marks it; ↑ goes back without marking anything.
        let press = |named| KeyPress::plain(iced::keyboard::Key::Named(named));
        let down = n
            .shortcut(&press(iced::keyboard::key::Named::ArrowDown))
            .unwrap();
        assert!(matches!(n.update(down, &ctx), Some(Event::MarkRead(id)) if id == "N1"));
        assert_eq!(n.unread(), 0);
        assert!(
            n.shortcut(&press(iced::keyboard::key::Named::ArrowDown))
                .is_none()
        );
        let up = n
            .shortcut(&press(iced::keyboard::key::Named::ArrowUp))
            .unwrap();
        assert!(n.update(up, &ctx).is_none());
        let esc = n
            .shortcut(&press(iced::keyboard::key::Named::Escape))
            .unwrap();
        n.update(esc, &ctx);
        assert!(n.reader.is_none());
    }
}
