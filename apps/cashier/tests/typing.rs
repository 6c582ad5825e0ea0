//! Scanner-speed typing, headless: whole key sequences arrive in **one batch** (what the
//! windowing loop delivers when a scanner types faster than a frame), and the app runs the
//! way iced's runtime runs it — the batch goes through the widgets, then the app handles the
//! messages, then the window is rebuilt, the focus operations the app returned are applied,
//! and redraw events follow. Every key must land in the field the key before it moved to.
//!
//! The real binary is driven the same way under Xvfb by `tests/e2e.rs`
//! (`e2e_every_form_at_scanner_speed`).
#![allow(missing_docs, clippy::missing_panics_doc)]

use std::collections::{HashMap, VecDeque};

use cashier::app::Message;
use cashier::screen::Screen;
use cashier::{App, Options};
use cloudpos_domain::catalog::Commodity;
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::money::Money;
use cloudpos_domain::ports::Catalog;
use cloudpos_terminal::testing::{TestTerminal, test_terminal};
use cloudpos_terminal::{BasicSettings, Mode};
use iced::keyboard::Key;
use iced::keyboard::key::Named;
use iced::{Event, Size, Task, window};
use iced_test::core::renderer::Headless;
use iced_test::core::widget::Operation;
use iced_test::core::widget::operation::Outcome;
use iced_test::core::{clipboard, mouse};
use iced_test::runtime::futures::futures::StreamExt;
use iced_test::runtime::task::into_stream;
use iced_test::runtime::user_interface::{Cache, UserInterface};
use iced_test::runtime::{Action, window as runtime_window};
use iced_test::simulator::{tap_key, typewrite};

type Renderer = iced_test::renderer::Renderer;

/// The app on a test terminal, with one user interface per window kept across frames.
struct Till {
    app: App,
    tt: TestTerminal,
    _dir: tempfile::TempDir,
    renderer: Renderer,
    caches: HashMap<window::Id, Cache>,
    operations: Vec<Box<dyn Operation>>,
}

const SIZE: Size = Size::new(1280.0, 800.0);

impl Till {
    async fn start(full: bool) -> Till {
        let dir = tempfile::tempdir().unwrap();
        let tt = test_terminal(dir.path()).await;
        if full {
            let t = &tt.terminal;
            t.login(&ClerkId::parse("09").unwrap(), "pw09")
                .await
                .unwrap();
            let mut b = t.setting::<BasicSettings>().await.unwrap();
            b.mode = Mode::Full;
            t.set_setting(&b).await.unwrap();
            t.logout().await.unwrap();
        }
        let (app, task) = App::with_terminal(
            tt.terminal.clone(),
            Options {
                home: dir.path().to_owned(),
                lock: None,
                devices: false,
                program_dir: None,
            },
        );
        let renderer = <Renderer as Headless>::new(iced::Font::DEFAULT, iced::Pixels(16.0), None)
            .await
            .expect("a headless renderer");
        let mut h = Till {
            app,
            tt,
            _dir: dir,
            renderer,
            caches: HashMap::new(),
            operations: Vec::new(),
        };
        h.run(task).await;
        h.settle().await;
        h
    }

    fn main(&self) -> window::Id {
        self.app.main_window().expect("main window")
    }

    /// Drives a task and every task it leads to, as the runtime would.
    async fn run(&mut self, task: Task<Message>) {
        let mut queue = VecDeque::from([task]);
        let mut steps = 0;
        while let Some(task) = queue.pop_front() {
            let Some(mut stream) = into_stream(task) else {
                continue;
            };
            while let Some(action) = stream.next().await {
                steps += 1;
                assert!(steps < 20_000, "runaway tasks");
                match action {
                    Action::Output(m) => queue.push_back(self.app.update(m)),
                    Action::Widget(op) => self.operations.push(op),
                    Action::Window(runtime_window::Action::Open(id, _settings, tx)) => {
                        let _ = tx.send(id);
                    }
                    Action::Window(runtime_window::Action::Close(id)) => {
                        queue
                            .push_back(self.app.update(Message::Window(id, window::Event::Closed)));
                    }
                    _ => {}
                }
            }
        }
    }

    /// One frame of `window`: rebuild from the app's state, apply the focus operations the
    /// app returned, deliver `events` in one batch; the messages they produced.
    fn frame(&mut self, window: window::Id, events: &[Event]) -> Vec<Message> {
        let cache = self.caches.remove(&window).unwrap_or_default();
        let mut messages = Vec::new();
        let cache = {
            let mut ui =
                UserInterface::build(self.app.view(window), SIZE, cache, &mut self.renderer);
            for mut op in self.operations.drain(..) {
                loop {
                    ui.operate(&self.renderer, op.as_mut());
                    match op.finish() {
                        Outcome::Chain(next) => op = next,
                        _ => break,
                    }
                }
            }
            let _ = ui.update(
                events,
                mouse::Cursor::Unavailable,
                &mut self.renderer,
                &mut clipboard::Null,
                &mut messages,
            );
            ui.into_cache()
        };
        self.caches.insert(window, cache);
        messages
    }

    /// Delivers `events` to the main window in one batch, then lets frames follow (redraw
    /// events) until the app is quiet.
    async fn batch(&mut self, events: Vec<Event>) {
        let w = self.main();
        let messages = self.frame(w, &events);
        for m in messages {
            let t = self.app.update(m);
            self.run(t).await;
        }
        self.settle().await;
    }

    /// Redraw frames until no message comes out (held keys replayed, focus applied).
    async fn settle(&mut self) {
        let w = self.main();
        let mut quiet = 0;
        for _ in 0..200 {
            let redraw = Event::Window(window::Event::RedrawRequested(
                iced_test::core::time::Instant::now(),
            ));
            let messages = self.frame(w, &[redraw]);
            if messages.is_empty() {
                quiet += 1;
                if quiet == 2 {
                    return;
                }
                continue;
            }
            quiet = 0;
            for m in messages {
                let t = self.app.update(m);
                self.run(t).await;
            }
        }
        panic!("the app never settled");
    }
}

fn text(s: &str) -> Vec<Event> {
    typewrite(s).collect()
}

fn key(named: Named) -> Vec<Event> {
    tap_key(Key::Named(named), None).collect()
}

fn letter(c: char) -> Vec<Event> {
    tap_key(
        Key::Character(c.to_string().into()),
        Some(c.to_string().into()),
    )
    .collect()
}

/// Keys in one batch: text pieces separated by the named keys between them.
fn keys(parts: &[Part<'_>]) -> Vec<Event> {
    parts
        .iter()
        .flat_map(|p| match p {
            Part::Text(s) => text(s),
            Part::Key(n) => key(*n),
            Part::Letter(c) => letter(*c),
        })
        .collect()
}

#[derive(Clone, Copy)]
enum Part<'a> {
    Text(&'a str),
    Key(Named),
    Letter(char),
}
use Part::{Key as K, Letter as L, Text as T};

#[tokio::test]
async fn a_login_typed_in_one_batch_goes_to_both_fields() {
    let mut h = Till::start(false).await;
    assert_eq!(h.app.screen(), Screen::Login);
    h.batch(keys(&[
        T("02"),
        K(Named::Enter),
        T("pw02"),
        K(Named::Enter),
    ]))
    .await;
    assert_eq!(
        h.app.ctx().clerk.as_ref().map(|c| c.id.to_string()),
        Some("02".to_owned()),
        "logged in; the form said {:?} (clerk field {:?})",
        h.app.login().error,
        h.app.login().clerk_id,
    );
}

#[tokio::test]
async fn a_new_commodity_typed_in_one_batch_is_stored_field_by_field() {
    let mut h = Till::start(true).await;
    h.batch(keys(&[
        T("09"),
        K(Named::Enter),
        T("pw09"),
        K(Named::Enter),
    ]))
    .await;
    assert_eq!(h.app.screen(), Screen::Checkout);
    // F3 to the commodities, N for a new one, then every field with Tab between them and
    // Enter to save: all in one batch, as a scanner with a Tab suffix types.
    h.batch(keys(&[
        K(Named::F3),
        L('n'),
        T("A001"),
        K(Named::Tab),
        T("6901234567892"),
        K(Named::Tab),
        T("cola 可乐"),
        K(Named::Tab),
        T("饮料"),
        K(Named::Tab),
        T("罐"),
        K(Named::Tab),
        T("3.50"),
        K(Named::Tab),
        T("24"),
        K(Named::Enter),
    ]))
    .await;
    let stored = h.tt.terminal.commodity_by_code("A001").await.unwrap();
    assert_eq!(
        stored,
        Some(Commodity {
            sku: "A001".into(),
            barcode: Some("6901234567892".into()),
            name: "cola 可乐".into(),
            category: "饮料".into(),
            unit: "罐".into(),
            price: Money::from_fen(350),
            stock: 24,
        }),
        "editor error: {:?}",
        h.app
            .commodities()
            .editor
            .as_ref()
            .and_then(|e| e.error.clone())
    );
    assert!(h.app.commodities().editor.is_none(), "the dialog closed");

    // E edits the selected one (focus in 货号): two Tabs reach 名称, whose text is selected
    // on arrival, so the new name replaces it.
    h.batch(keys(&[
        L('e'),
        K(Named::Tab),
        K(Named::Tab),
        T("cola zero"),
        K(Named::Enter),
    ]))
    .await;
    let stored =
        h.tt.terminal
            .commodity_by_code("A001")
            .await
            .unwrap()
            .unwrap();
    assert_eq!(stored.name, "cola zero");
    assert_eq!(stored.barcode.as_deref(), Some("6901234567892"));
    assert_eq!(
        h.app.commodities().query,
        "",
        "nothing leaked into the search field"
    );
}

#[tokio::test]
async fn checkout_scans_by_sku_and_barcode_then_the_code_in_one_batch() {
    let mut h = Till::start(true).await;
    h.tt.store
        .upsert_many(&[Commodity {
            sku: "A001".into(),
            barcode: Some("6901234567892".into()),
            name: "可乐".into(),
            category: "饮料".into(),
            unit: "罐".into(),
            price: Money::from_fen(350),
            stock: 10,
        }])
        .await
        .unwrap();
    h.batch(keys(&[
        T("02"),
        K(Named::Enter),
        T("pw02"),
        K(Named::Enter),
    ]))
    .await;
    h.batch(keys(&[
        T("A001"),
        K(Named::Enter),
        T("6901234567892"),
        K(Named::Enter),
        K(Named::Enter),
        T(&cloudpos_terminal::testing::code(7, "00")),
        K(Named::Enter),
    ]))
    .await;
    let cashier::screen::checkout::Stage::Done(Ok(order)) = &h.app.checkout().stage else {
        panic!(
            "not paid: {:?} (error {:?}, lookup {:?}, code {:?})",
            h.app.checkout().stage,
            h.app.checkout().error,
            h.app.checkout().lookup,
            h.app.checkout().code
        )
    };
    assert_eq!(order.amount, Money::from_fen(700));
    assert_eq!(order.lines.len(), 1);
    assert_eq!(order.lines[0].quantity, 2);
}

#[tokio::test]
async fn clerk_management_typed_in_batches() {
    let mut h = Till::start(false).await;
    h.batch(keys(&[
        T("09"),
        K(Named::Enter),
        T("pw09"),
        K(Named::Enter),
    ]))
    .await;
    // M: 店员管理; N: a new clerk, every field with Tab between, Enter saves.
    h.batch(keys(&[
        L('m'),
        L('n'),
        T("05"),
        K(Named::Tab),
        T("小王"),
        K(Named::Tab),
        T("13800000005"),
        K(Named::Tab),
        T("S05"),
        K(Named::Tab),
        T("5555"),
        K(Named::Tab),
        T("5555"),
        K(Named::Enter),
    ]))
    .await;
    assert_eq!(h.app.screen(), Screen::Clerks);
    let t = h.tt.terminal.clone();
    let find =
        |list: Vec<cloudpos_domain::clerk::Clerk>| list.into_iter().find(|c| c.id.as_str() == "05");
    let added = find(t.clerks(&Default::default()).await.unwrap()).unwrap_or_else(|| {
        panic!(
            "clerk 05 added; the dialog said {:?}",
            h.app.clerks().editor.as_ref().and_then(|e| e.error.clone())
        )
    });
    assert_eq!(
        (
            added.name.as_str(),
            added.phone.as_str(),
            added.cloud_staff_id.as_deref()
        ),
        ("小王", "13800000005", Some("S05"))
    );
    assert_eq!(added.role, cloudpos_domain::clerk::Role::Clerk);
    t.authenticate(&ClerkId::parse("05").unwrap(), "5555")
        .await
        .unwrap();

    // Search for 05, then E in the same batch edits that row (it waits for the list).
    h.batch(keys(&[
        K(Named::Tab),
        T("05"),
        K(Named::Enter),
        K(Named::Escape),
        L('e'),
        T("王小五"),
        K(Named::Enter),
    ]))
    .await;
    let edited = find(t.clerks(&Default::default()).await.unwrap()).unwrap();
    assert_eq!(edited.name, "王小五");
    assert_eq!(edited.phone, "13800000005", "untouched fields stay");

    // W: a new password, twice.
    h.batch(keys(&[
        L('w'),
        T("6666"),
        K(Named::Tab),
        T("6666"),
        K(Named::Enter),
    ]))
    .await;
    t.authenticate(&ClerkId::parse("05").unwrap(), "6666")
        .await
        .unwrap();

    // D, Enter: removed.
    h.batch(keys(&[L('d'), K(Named::Enter)])).await;
    assert!(find(t.clerks(&Default::default()).await.unwrap()).is_none());
}
