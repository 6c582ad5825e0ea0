//! Running the real `cashier` binary under a private Xvfb and driving it with xdotool.
#![allow(dead_code, missing_docs, clippy::missing_panics_doc)]

use cloudpos_terminal::BasicSettings;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Xvfb on a display it chose itself (`-displayfd`), stopped with SIGTERM on drop so that
/// it removes its socket.
pub struct Xvfb {
    child: Child,
    /// `:N`.
    pub display: String,
}

impl Xvfb {
    pub fn start() -> Xvfb {
        Xvfb::start_sized(1440, 900)
    }

    /// Xvfb with one screen of `width` × `height`.
    pub fn start_sized(width: u32, height: u32) -> Xvfb {
        let screen = format!("{width}x{height}x24");
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                &screen,
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is installed");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("Xvfb prints its display");
        let display = format!(":{}", line.trim());
        assert!(display.len() > 1, "Xvfb display: {line:?}");
        Xvfb { child, display }
    }

    /// Runs xdotool on this display; its standard output.
    pub fn xdotool(&self, args: &[&str]) -> String {
        let out = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .output()
            .expect("xdotool is installed");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Types text into the focused window, key by key.
    pub fn type_text(&self, text: &str) {
        self.xdotool(&["type", "--delay", "30", text]);
    }

    /// Presses keys (xdotool names: `Return`, `Tab`, `grave`, `F2`, `ctrl+c`).
    pub fn key(&self, keys: &str) {
        self.xdotool(&["key", keys]);
    }

    /// Types `text` at scanner speed: 2 ms between keys.
    pub fn scan(&self, text: &str) {
        self.xdotool(&["type", "--delay", "2", text]);
    }

    /// Sends `steps` in one xdotool run at scanner speed (2 ms between keys): text and named
    /// keys (Tab, Return, F3, …) mixed, as a scanner with a Tab or Enter suffix sends them.
    pub fn burst(&self, steps: &[Step<'_>]) {
        let mut args = vec!["key".to_owned(), "--delay".to_owned(), "2".to_owned()];
        for step in steps {
            match step {
                Step::Text(t) => args.extend(t.chars().map(keysym)),
                Step::Key(k) => args.push((*k).to_owned()),
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.xdotool(&args);
    }

    /// The title of `window`.
    pub fn title(&self, window: &str) -> String {
        self.xdotool(&["getwindowname", window])
    }

    /// Waits until the title of `window` satisfies `want` (the cashier's title starts with
    /// its screen and open dialog); the title. Panics naming the last title after `timeout`.
    pub fn wait_title(
        &self,
        window: &str,
        what: &str,
        timeout: Duration,
        want: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let title = self.title(window);
            if want(&title) {
                return title;
            }
            assert!(
                Instant::now() < deadline,
                "waited {timeout:?} for {what}; the window title is {title:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the cashier's main window shows `screen` (its title starts with it),
    /// with no dialog open unless `dialog` names the one expected.
    pub fn wait_screen(&self, window: &str, screen: &str, dialog: Option<&str>) -> String {
        let want = match dialog {
            Some(d) => format!("{screen} · {d} — "),
            None => format!("{screen} — "),
        };
        self.wait_title(window, &want, Duration::from_secs(60), |t| {
            t.starts_with(&want)
        })
    }

    /// Gives `window` the keyboard.
    pub fn focus(&self, window: &str) {
        self.xdotool(&["windowfocus", "--sync", window]);
    }

    /// The id of the visible window whose WM_CLASS is exactly `class`, waiting up to
    /// `timeout`.
    pub fn wait_window(&self, class: &str, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let found =
                self.xdotool(&["search", "--onlyvisible", "--class", &format!("^{class}$")]);
            if let Some(id) = found.lines().last().filter(|l| !l.is_empty()) {
                return id.to_owned();
            }
            assert!(
                start.elapsed() < timeout,
                "no {class} window after {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Screenshot of one window (or `root`) as PNG.
    pub fn screenshot(&self, window: &str, path: &Path) -> bool {
        Command::new("import")
            .args(["-window", window, path.to_str().unwrap()])
            .env("DISPLAY", &self.display)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// A screenshot of `window` once it is quiet: shots until two in a row differ only in
    /// small things that never stop changing (the blinking text cursor, a countdown, the
    /// clock). Panics after `timeout`.
    pub fn settled_shot(&self, window: &str, path: &Path, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut last: Option<image::RgbImage> = None;
        loop {
            std::thread::sleep(Duration::from_millis(300));
            assert!(
                self.screenshot(window, path),
                "screenshot {}",
                path.display()
            );
            let Ok(img) = image::open(path) else { continue };
            let img = img.to_rgb8();
            if let Some(prev) = &last {
                let area = (img.width() * img.height()) as usize;
                if prev.dimensions() == img.dimensions()
                    && differing_pixels(prev, &img) < (area / 300).max(1500)
                {
                    return;
                }
            }
            last = Some(img);
            assert!(
                Instant::now() < deadline,
                "{} never settled after {timeout:?}",
                path.display()
            );
        }
    }

    /// Takes screenshots of `window` until one has more than `min` pixels of `rgb`, up to
    /// `timeout`; the count of the last one.
    pub fn wait_color(
        &self,
        window: &str,
        path: &Path,
        rgb: [u8; 3],
        min: usize,
        timeout: Duration,
    ) -> usize {
        let deadline = Instant::now() + timeout;
        let mut n = 0;
        while Instant::now() < deadline {
            if self.screenshot(window, path) {
                n = count_color(path, rgb);
                if n > min {
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        n
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

/// A piece of what a burst of keys sends.
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    /// Characters (ASCII), one key each.
    Text(&'a str),
    /// A named key: `Tab`, `Return`, `Escape`, `F3`, `n`, `shift+Tab`.
    Key(&'a str),
}

/// The X keysym name of an ASCII character, for `xdotool key`.
fn keysym(c: char) -> String {
    match c {
        '0'..='9' | 'a'..='z' | 'A'..='Z' => c.to_string(),
        '.' => "period".into(),
        '-' => "minus".into(),
        '+' => "plus".into(),
        ' ' => "space".into(),
        '_' => "underscore".into(),
        '/' => "slash".into(),
        ':' => "colon".into(),
        '@' => "at".into(),
        ',' => "comma".into(),
        '~' => "asciitilde".into(),
        '`' => "grave".into(),
        other => panic!("no keysym for {other:?} in these tests"),
    }
}

/// Opens the data directory as the cashier will (embedded sandbox and demo merchant), runs
/// `f` logged in as the demo admin, logs out and releases the sandbox.
pub fn prepare<F>(home: &Path, f: impl FnOnce(cloudpos_terminal::Terminal) -> F)
where
    F: std::future::Future<Output = ()>,
{
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (t, sandbox) = cloudpos_terminal::Terminal::open_or_demo(home)
            .await
            .unwrap();
        t.login(
            &cloudpos_domain::clerk::ClerkId::parse("01").unwrap(),
            "0101",
        )
        .await
        .unwrap();
        f(t.clone()).await;
        t.logout().await.unwrap();
        t.flush_prints().await;
        drop(sandbox);
    });
}

/// Full mode, for the checkout and commodity screens.
pub async fn full_mode(t: cloudpos_terminal::Terminal) {
    let mut basic = t.setting::<BasicSettings>().await.unwrap();
    basic.mode = cloudpos_terminal::Mode::Full;
    t.set_setting(&basic).await.unwrap();
}

/// The ledger and settings the running cashier writes, read through the terminal API from
/// this process (it joins the cashier's embedded sandbox).
pub struct Reader {
    pub rt: tokio::runtime::Runtime,
    pub terminal: cloudpos_terminal::Terminal,
    _sandbox: Option<cloudpos_terminal::EmbeddedSandbox>,
}

impl Reader {
    pub fn open(home: &Path) -> Reader {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let (terminal, sandbox) = rt
            .block_on(cloudpos_terminal::Terminal::open_or_demo(home))
            .unwrap();
        Reader {
            rt,
            terminal,
            _sandbox: sandbox,
        }
    }

    /// Runs `f` on the terminal.
    pub fn read<T, F>(&self, f: impl FnOnce(cloudpos_terminal::Terminal) -> F) -> T
    where
        F: std::future::Future<Output = T>,
    {
        self.rt.block_on(f(self.terminal.clone()))
    }

    /// Polls `f` until it returns `Some`, up to `timeout`; panics with `what` otherwise.
    pub fn wait_for<T, F>(
        &self,
        what: &str,
        timeout: Duration,
        f: impl Fn(cloudpos_terminal::Terminal) -> F,
    ) -> T
    where
        F: std::future::Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = self.read(&f) {
                return v;
            }
            assert!(Instant::now() < deadline, "waited {timeout:?} for {what}");
            std::thread::sleep(Duration::from_millis(150));
        }
    }
}

/// The app, killed on drop.
pub struct Cashier(pub Child);

/// The main window's id once it is visible and has the keyboard.
pub fn main_window(x: &Xvfb) -> String {
    let main = x.wait_window("cloudpos-cashier", Duration::from_secs(90));
    x.wait_title(
        &main,
        "the terminal to open",
        Duration::from_secs(90),
        |t| t.contains(" — "),
    );
    x.focus(&main);
    main
}

impl Cashier {
    /// Starts the binary on `home` and `x`, drawing with tiny-skia.
    pub fn start(x: &Xvfb, home: &Path, runtime_dir: &Path) -> Cashier {
        Cashier::start_with(x, home, runtime_dir, &[])
    }

    /// Starts the binary with `args` after `--home`.
    pub fn start_with(x: &Xvfb, home: &Path, runtime_dir: &Path, args: &[&str]) -> Cashier {
        Cashier(
            Command::new(env!("CARGO_BIN_EXE_cashier"))
                .args(["--home", home.to_str().unwrap()])
                .args(args)
                .env("DISPLAY", &x.display)
                .env("ICED_BACKEND", "tiny-skia")
                .env("XDG_RUNTIME_DIR", runtime_dir)
                .env_remove("WAYLAND_DISPLAY")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("cashier starts"),
        )
    }
}

impl Drop for Cashier {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Pixels within a small distance of `rgb`.
pub fn count_color(png: &Path, rgb: [u8; 3]) -> usize {
    let Ok(img) = image::open(png) else {
        return 0;
    };
    img.to_rgb8()
        .pixels()
        .filter(|p| p.0.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 12))
        .count()
}

/// Whether two frames are the same below row `top`.
pub fn same_below(a: &image::RgbImage, b: &image::RgbImage, top: u32) -> bool {
    a.dimensions() == b.dimensions()
        && (top..a.height()).all(|y| {
            (0..a.width()).all(|x| {
                let (p, q) = (a.get_pixel(x, y).0, b.get_pixel(x, y).0);
                p.iter().zip(q).all(|(u, v)| u.abs_diff(v) <= 24)
            })
        })
}

/// How many pixels differ visibly between two frames of the same size.
pub fn differing_pixels(a: &image::RgbImage, b: &image::RgbImage) -> usize {
    a.pixels()
        .zip(b.pixels())
        .filter(|(p, q)| p.0.iter().zip(q.0).any(|(u, v)| u.abs_diff(v) > 24))
        .count()
}
