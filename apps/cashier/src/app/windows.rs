//! Window management: the main window (sized and placed for its monitor, shown, hidden,
//! its geometry remembered), window events, titles, and quitting.

use cloudpos_terminal::StartWindow;
use iced::{Point, Size, Task, window};

use super::{App, DeviceCommand, Message};
use crate::focus;
use crate::geometry;
use crate::i18n::tr;
use crate::screen::{payment, region};
use crate::style;
use crate::window_geometry::WindowState;

/// Our windows.
#[derive(Debug, Default, Clone)]
pub(super) struct Windows {
    pub(super) main: Option<window::Id>,
    pub(super) main_visible: bool,
    /// The main window has been sized for its monitor (geometry changes before are ours).
    pub(super) main_placed: bool,
    /// The monitor the main window opened on.
    pub(super) monitor: Option<iced::Size>,
    pub(super) payment: Option<window::Id>,
    pub(super) region: Option<window::Id>,
    pub(super) touch: Option<window::Id>,
    pub(super) focused: Vec<window::Id>,
}

impl App {
    /// The main window opens hidden; once it knows its monitor it is sized and placed to fit
    /// it (`place_main`), then shown.
    pub(super) fn main_settings(&self) -> window::Settings {
        let mut s = window::Settings {
            size: geometry::MAIN_DEFAULT,
            visible: false,
            exit_on_close_request: false,
            ..window::Settings::default()
        };
        if let Some(g) = self.geometry {
            s.size = Size::new(g.width, g.height);
            s.position = window::Position::Specific(Point::new(g.x, g.y));
        } else {
            s.position = window::Position::Centered;
        }
        #[cfg(target_os = "linux")]
        {
            s.platform_specific.application_id = "cloudpos-cashier".to_owned();
        }
        s
    }

    pub(super) fn open_main(&mut self) -> Task<Message> {
        if let Some(id) = self.windows.main {
            self.windows.main_visible = true;
            return Task::batch([
                window::set_mode(id, window::Mode::Windowed),
                window::gain_focus(id),
            ]);
        }
        let (id, open) = window::open(self.main_settings());
        self.windows.main = Some(id);
        self.windows.main_visible = true;
        self.windows.main_placed = false;
        open.map(Message::Opened)
    }

    /// Sizes and places the main window for its monitor (`geometry.rs`), shows it as the
    /// basic settings ask (normal, maximised or full screen), and gives it the keyboard.
    pub(super) fn place_main(&mut self, id: window::Id, monitor: Option<Size>) -> Task<Message> {
        if self.windows.main != Some(id) {
            return Task::none();
        }
        let mut tasks = Vec::new();
        if let Some(m) = monitor {
            self.windows.monitor = Some(m);
            let g = geometry::main_window(self.geometry, m);
            self.ctx.window = Size::new(g.width, g.height);
            tasks.push(window::set_min_size(id, Some(geometry::main_min(m))));
            tasks.push(window::resize(id, Size::new(g.width, g.height)));
            tasks.push(window::move_to(id, Point::new(g.x, g.y)));
            if self.geometry.is_some_and(|old| old != g) {
                self.geometry = Some(g);
                self.geometry_dirty = true;
            }
        }
        tasks.push(window::set_mode(id, window::Mode::Windowed));
        match self.ctx.basic.start_window {
            StartWindow::Normal => {}
            StartWindow::Maximized => tasks.push(window::maximize(id, true)),
            StartWindow::Fullscreen => tasks.push(window::set_mode(id, window::Mode::Fullscreen)),
        }
        self.windows.main_placed = true;
        tasks.push(window::gain_focus(id));
        if let Some(f) = self.screen_field() {
            tasks.push(focus::select(f));
        }
        Task::batch(tasks)
    }

    /// A window is open: give it the keyboard and put the focus where the next keystroke
    /// belongs (the widget tree exists only now).
    pub(super) fn opened(&mut self, id: window::Id) -> Task<Message> {
        if self.windows.payment == Some(id) {
            let field = self
                .payment
                .as_ref()
                .map_or(payment::CODE_FIELD, |p| p.field);
            return Task::batch([window::gain_focus(id), focus::select(field)]);
        }
        if self.windows.main == Some(id) {
            return window::monitor_size(id).map(move |size| Message::Monitor(id, size));
        }
        if self.windows.region == Some(id) {
            return window::gain_focus(id);
        }
        Task::none()
    }

    pub(super) fn toggle_main(&mut self) -> Task<Message> {
        match self.windows.main {
            Some(id) if self.windows.main_visible => {
                self.windows.main_visible = false;
                window::set_mode(id, window::Mode::Hidden)
            }
            _ => self.open_main(),
        }
    }

    pub(super) fn quit(&mut self) -> Task<Message> {
        if self.any_in_flight() {
            self.notify(
                tr(
                    "支付进行中，请等待结果后再退出",
                    "A payment is on its way: wait for its result before quitting",
                ),
                style::PENDING,
            );
            return Task::none();
        }
        let save = self.save_geometry();
        save.chain(iced::exit())
    }

    pub(super) fn save_geometry(&mut self) -> Task<Message> {
        self.geometry_dirty = false;
        match (self.geometry, self.terminal()) {
            (Some(g), Some(t)) => Task::perform(
                async move { crate::window_geometry::save(&t, "main", &g).await },
                Message::Done,
            ),
            _ => Task::none(),
        }
    }

    pub(super) fn window_event(&mut self, id: window::Id, event: &window::Event) -> Task<Message> {
        let main = self.windows.main == Some(id);
        match *event {
            window::Event::Moved(_) | window::Event::Resized(_)
                if main && (!self.windows.main_placed || !self.saves_geometry()) =>
            {
                if let window::Event::Resized(s) = *event {
                    self.ctx.window = s;
                }
                Task::none()
            }
            window::Event::Moved(p) if main => {
                let g = self.geometry.get_or_insert(WindowState {
                    x: p.x,
                    y: p.y,
                    width: 1180.0,
                    height: 760.0,
                });
                g.x = p.x;
                g.y = p.y;
                self.geometry_dirty = true;
                Task::none()
            }
            window::Event::Resized(s) if main => {
                self.ctx.window = s;
                let g = self.geometry.get_or_insert(WindowState {
                    x: 0.0,
                    y: 0.0,
                    width: s.width,
                    height: s.height,
                });
                g.width = s.width;
                g.height = s.height;
                self.geometry_dirty = true;
                Task::none()
            }
            window::Event::Focused => {
                if !self.windows.focused.contains(&id) {
                    self.windows.focused.push(id);
                }
                self.pause_wedge()
            }
            window::Event::Unfocused => {
                self.windows.focused.retain(|w| *w != id);
                self.pause_wedge()
            }
            window::Event::CloseRequested => {
                if main {
                    if self.ctx.plug_in() && self.terminal.is_some() && self.start_error.is_none() {
                        // 插件模式: closing the main window sends it to the background.
                        self.windows.main_visible = false;
                        return Task::batch([
                            self.save_geometry(),
                            window::set_mode(id, window::Mode::Hidden),
                        ]);
                    }
                    return self.quit();
                }
                if self.windows.payment == Some(id) {
                    return self.update(Message::Payment(payment::Message::Cancel));
                }
                if self.windows.region == Some(id) {
                    return self.update(Message::Region(region::Message::Cancel));
                }
                if self.windows.touch == Some(id) {
                    self.windows.touch = None;
                }
                window::close(id)
            }
            window::Event::Closed => {
                self.windows.focused.retain(|w| *w != id);
                if self.windows.main == Some(id) {
                    self.windows.main = None;
                }
                if self.windows.payment == Some(id) {
                    self.windows.payment = None;
                    if !self
                        .payment
                        .as_ref()
                        .is_some_and(payment::Payment::in_flight)
                    {
                        self.payment = None;
                    }
                }
                if self.windows.region == Some(id) {
                    self.windows.region = None;
                    self.region = None;
                }
                if self.windows.touch == Some(id) {
                    self.windows.touch = None;
                }
                Task::none()
            }
            _ => Task::none(),
        }
    }

    /// Whether moves and resizes of the main window are remembered: not while it runs
    /// maximised or full screen (the next start does that again).
    pub(super) fn saves_geometry(&self) -> bool {
        self.ctx.basic.start_window == StartWindow::Normal
    }

    pub(super) fn pause_wedge(&self) -> Task<Message> {
        if let Some(tx) = &self.devices {
            let _ = tx.send(DeviceCommand::PauseWedge(!self.windows.focused.is_empty()));
        }
        Task::none()
    }

    /// The title of a window.
    #[must_use]
    pub fn title(&self, id: window::Id) -> String {
        let sandbox = if self.ctx.sandbox() {
            " · SANDBOX"
        } else {
            ""
        };
        if self.windows.payment == Some(id) {
            return format!("{}{sandbox}", tr("收银", "Payment"));
        }
        if self.windows.region == Some(id) {
            return tr("确定金额位置", "Choose the region").to_owned();
        }
        if self.windows.touch == Some(id) {
            return tr("收款", "Collect").to_owned();
        }
        let store = self
            .ctx
            .merchant
            .as_ref()
            .map_or("", |m| m.store_name.as_str());
        // Where the cashier is, first: the screen, then an open dialog (the taskbar shows
        // it, and the end-to-end tests wait on it).
        let mut place = String::new();
        if self.terminal.is_some() && self.start_error.is_none() {
            place.push_str(self.screen.title());
            if let Some(dialog) = self.dialog_title() {
                place.push_str(" · ");
                place.push_str(dialog);
            }
            place.push_str(" — ");
        }
        format!(
            "{place}{} {store}{sandbox}",
            tr("CloudPOS 云支付收银台", "CloudPOS cashier")
        )
    }
}
