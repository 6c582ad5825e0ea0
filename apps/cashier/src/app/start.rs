//! Start-up: opening the terminal (or the demo), loading the shared state every screen
//! reads, and what the first load decides (the main window, the first screen, payments a
//! crash left open).

use std::path::PathBuf;
use std::sync::Arc;

use cloudpos_domain::order::{Order, OrderStatus};
use cloudpos_domain::ports::OrderFilter;
use cloudpos_terminal::{EmbeddedSandbox, KeySettings, RecoveryReport, Terminal, TerminalError};
use iced::Task;

use super::windows::Windows;
use super::{App, DeviceCommand, Message};
use crate::ctx::Ctx;
use crate::geometry;
use crate::i18n::{self, error_text, tr, trs};
use crate::instance_lock::InstanceLock;
use crate::screen::refund::RefundScreen;
use crate::screen::{
    Screen, basic, checkout, clerks, commodities, deposits, hotkeys, login, members, notices,
    one_code, orders, printer, update, voice,
};
use crate::style;
use crate::window_geometry::WindowState;

/// What the binary passes in.
#[derive(Debug, Clone)]
pub struct Options {
    /// The data directory.
    pub home: PathBuf,
    /// The single-instance lock (checked for "come to the front" requests).
    pub lock: Option<Arc<InstanceLock>>,
    /// Start the devices (global hotkeys, scanner listener, scanner box).
    pub devices: bool,
    /// The folder a software update is installed into; `None`: the running program's own
    /// (tests point it at a scratch folder).
    pub program_dir: Option<PathBuf>,
}

/// The terminal and the sandbox it runs on, once open.
#[derive(Debug, Clone)]
pub struct Started {
    /// The terminal.
    pub terminal: Terminal,
    /// The embedded sandbox, kept alive with the app.
    pub sandbox: Option<Arc<EmbeddedSandbox>>,
    /// What finishing an earlier software update at start had to say (it rolled one back).
    pub update_note: Option<String>,
}

/// Everything the screens read, loaded from the terminal in one go.
#[derive(Debug, Clone)]
pub struct Loaded {
    ctx: Ctx,
    geometry: Option<WindowState>,
}

fn default_dir(home: &std::path::Path) -> PathBuf {
    std::env::var_os(if cfg!(windows) { "USERPROFILE" } else { "HOME" })
        .map_or_else(|| home.to_owned(), PathBuf::from)
}

impl App {
    /// The app before the terminal is open (the binary's boot).
    pub fn new(options: Options) -> (App, Task<Message>) {
        let home = options.home.clone();
        let app = App::blank(options);
        let task = Task::perform(
            async move {
                // Finish what an earlier software update left (an interrupted install is
                // rolled back) before anything runs on the program's files, as the CLI does.
                let update_note =
                    tokio::task::spawn_blocking(cloudpos_terminal::finish_update_at_start)
                        .await
                        .ok()
                        .flatten();
                match Terminal::open_or_demo(&home).await {
                    Ok((terminal, sandbox)) => Ok(Started {
                        terminal,
                        sandbox: sandbox.map(Arc::new),
                        update_note,
                    }),
                    Err(e) => {
                        tracing::error!("the terminal could not open: {e}");
                        Err(error_text(&e))
                    }
                }
            },
            Message::Started,
        );
        (app, task)
    }

    /// The app over a terminal already open (tests): no reconciler, and devices only when
    /// `options.devices` asks for them.
    pub fn with_terminal(terminal: Terminal, options: Options) -> (App, Task<Message>) {
        let mut app = App::blank(options);
        let task = app.started(
            Started {
                terminal,
                sandbox: None,
                update_note: None,
            },
            false,
        );
        (app, task)
    }

    fn blank(options: Options) -> App {
        let dir = default_dir(&options.home);
        App {
            terminal: None,
            sandbox: None,
            start_error: None,
            ctx: Ctx::default(),
            windows: Windows::default(),
            screen: Screen::Login,
            login: login::Login::default(),
            checkout: checkout::Checkout::new(cloudpos_domain::catalog::CheckoutMode::Full),
            commodities: commodities::Commodities::new(dir.clone()),
            members: members::Members::new(dir),
            orders: orders::Orders::default(),
            refund: RefundScreen::default(),
            basic: basic::Basic::new(cloudpos_terminal::BasicSettings::default()),
            printer: printer::Printer::new(&cloudpos_terminal::PrinterSettings::default()),
            hotkeys: hotkeys::Hotkeys::new(KeySettings::default()),
            clerks: clerks::Clerks::default(),
            voice: voice::Voice::default(),
            deposits: deposits::Deposits::default(),
            one_code: one_code::OneCode::default(),
            updates: update::Updates::default(),
            notices: notices::Notices::default(),
            payment: None,
            region: None,
            summary: None,
            halt_clear: None,
            pending: Vec::new(),
            recovery: None,
            devices: None,
            status: None,
            geometry: None,
            geometry_dirty: false,
            orders_dirty: false,
            reconciler: None,
            one_code_watcher: None,
            head_office_sync: None,
            head_office: None,
            epoch: 0,
            page_loading: false,
            copied: Vec::new(),
            options,
        }
    }

    // ───────────────────────── start-up ─────────────────────────

    pub(super) fn started(&mut self, started: Started, background: bool) -> Task<Message> {
        let t = started.terminal.clone();
        // The status bar's 总部同步 state (published by the background sync).
        self.head_office = Some(t.watch_head_office());
        self.terminal = Some(started.terminal);
        self.sandbox = started.sandbox;
        if started.update_note.is_some() {
            // An interrupted install rolled back, or leftovers that could not be removed;
            // the detail is in the log (finish_update_at_start wrote it).
            self.notify(
                tr(
                    "上次软件更新没有正常完成，启动时已处理（详情见日志）",
                    "The last software update did not finish normally; it was dealt with at start (see the log)",
                ),
                style::PENDING,
            );
        }
        let mut tasks = vec![self.load_ctx(true)];
        let t2 = t.clone();
        tasks.push(Task::perform(
            async move {
                t2.orders(&OrderFilter {
                    status: Some(OrderStatus::Unknown),
                    page_size: 50,
                    ..OrderFilter::default()
                })
                .await
                .map(|p| p.items)
            },
            Message::Pending,
        ));
        if background {
            let t3 = t.clone();
            tasks.push(Task::perform(
                async move { t3.recover_pending().await },
                Message::Recovered,
            ));
            self.reconciler = Some(t.spawn_reconciler());
            // 一码支付打印: watches the shop's printed-QR-code payments while it is enabled.
            self.one_code_watcher = Some(t.spawn_one_code_watcher());
            // 总部同步: pushes the outbox and pulls the catalogue while a head office is set.
            self.head_office_sync = Some(t.spawn_head_office_sync());
            // 语音播报: this process speaks (tests and scripts never touch a sound device).
            let t4 = t.clone();
            tasks.push(Task::perform(
                async move { t4.start_voice().await },
                Message::Done,
            ));
        }
        Task::batch(tasks)
    }

    pub(super) fn load_ctx(&self, with_geometry: bool) -> Task<Message> {
        let Some(t) = self.terminal.clone() else {
            return Task::none();
        };
        Task::perform(
            async move {
                let merchant = t.merchant().await?;
                let (session, clerk) = match t.current_clerk().await {
                    Ok((s, c)) => (Some(s), Some(c)),
                    Err(TerminalError::NotLoggedIn) => (None, None),
                    Err(e) => return Err(e),
                };
                let ctx = Ctx {
                    merchant,
                    session,
                    clerk,
                    halt: t.halt_state().await?,
                    basic: t.setting::<cloudpos_terminal::BasicSettings>().await?,
                    keys: t.setting::<cloudpos_terminal::KeySettings>().await?,
                    now: t.now(),
                    offset_seconds: t.offset_seconds(),
                    pay_timeout: t.policy().pay_timeout,
                    window: geometry::MAIN_DEFAULT,
                    codes: Some(t.code_table()),
                    cashier_mode: t.setting::<cloudpos_terminal::CashierMode>().await?,
                };
                let geometry = if with_geometry {
                    crate::window_geometry::saved(&t, "main")
                        .await
                        .ok()
                        .flatten()
                } else {
                    None
                };
                Ok(Box::new(Loaded { ctx, geometry }))
            },
            Message::Loaded,
        )
    }

    pub(super) fn loaded(&mut self, loaded: Loaded) -> Task<Message> {
        let first = self.windows.main.is_none();
        let was_logged_in = self.ctx.session.is_some();
        let old_mode = self.ctx.basic.mode;
        let old_checkout = self.ctx.basic.checkout_mode;
        let mut ctx = loaded.ctx;
        if first {
            // A session survives a restart only when its clerk chose auto-login.
            self.geometry = loaded.geometry;
        }
        i18n::set_language(ctx.basic.language);
        ctx.window = self.ctx.window;
        std::mem::swap(&mut self.ctx, &mut ctx);
        let mut tasks = Vec::new();
        if first {
            self.checkout = checkout::Checkout::new(self.ctx.basic.checkout_mode);
            tasks.push(self.open_main());
            tasks.push(self.first_screen());
        } else if self.ctx.session.is_none() && was_logged_in {
            self.screen = Screen::Login;
            tasks.push(self.start_qr_if_needed());
        }
        if old_mode != self.ctx.basic.mode
            && !Screen::navigation(self.ctx.plug_in())
                .iter()
                .any(|(s, _, _)| *s == self.screen)
        {
            tasks.push(self.navigate(Screen::Orders));
        }
        if !first
            && old_mode != self.ctx.basic.mode
            && let Some(tx) = &self.devices
        {
            // The one device worker switches over in place: it releases the old mode's
            // hotkeys before taking the new one's (a second worker would find its own
            // keys still taken).
            let _ = tx.send(DeviceCommand::SetMode {
                plug_in: self.ctx.plug_in(),
                keys: Box::new(self.ctx.keys.clone()),
            });
        }
        if !first && old_checkout != self.ctx.basic.checkout_mode && !self.checkout.in_flight() {
            self.checkout.mode = self.ctx.basic.checkout_mode;
        }
        tasks.push(self.sync_touch_window());
        Task::batch(tasks)
    }

    /// At start-up: resume an auto-login session, else the login screen.
    pub(super) fn first_screen(&mut self) -> Task<Message> {
        let Some(t) = self.terminal() else {
            return Task::none();
        };
        if self.ctx.session.is_some() {
            Task::perform(async move { t.resume_auto_login().await }, |r| match r {
                Ok(Some(_)) => Message::Home,
                _ => Message::Navigate(Screen::Login),
            })
        } else {
            self.navigate(Screen::Login)
        }
    }

    /// Payments a crash left open (only those still open matter; recovery may already
    /// have closed some).
    pub(super) fn pending_found(
        &mut self,
        found: Result<Vec<Order>, TerminalError>,
    ) -> Task<Message> {
        match found {
            Ok(list) => {
                for o in list {
                    if !self.pending.iter().any(|p| p.no == o.no) {
                        self.pending.push(o);
                    }
                }
            }
            Err(e) => self.notify(error_text(&e), style::FAILED),
        }
        Task::none()
    }

    /// Start-up recovery finished: what it resolved, in the recovery panel.
    pub(super) fn recovered(
        &mut self,
        report: Result<RecoveryReport, TerminalError>,
    ) -> Task<Message> {
        match report {
            Ok(report) if report.orders_found + report.refunds_found > 0 => {
                self.recovery = Some(trs(
                    format!(
                        "上次未完成的支付已处理：{} 笔成功，{} 笔失败，{} 笔撤单，{} 笔仍在处理；退款 {} 笔（{} 笔处理中）",
                        report.paid,
                        report.failed,
                        report.reversed,
                        report.still_open,
                        report.refunds_found,
                        report.refunds_open
                    ),
                    format!(
                        "Unfinished payments resolved: {} paid, {} failed, {} reversed, {} still open; {} refunds ({} open)",
                        report.paid,
                        report.failed,
                        report.reversed,
                        report.still_open,
                        report.refunds_found,
                        report.refunds_open
                    ),
                ));
            }
            Ok(_) => {}
            Err(e) => self.notify(
                trs(
                    format!("恢复未完成的支付失败：{}", error_text(&e)),
                    format!("Recovery failed: {}", error_text(&e)),
                ),
                style::FAILED,
            ),
        }
        Task::none()
    }
}
