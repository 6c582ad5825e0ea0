//! Running the real `cashier` binary under a private Xvfb and driving it with xdotool.
#![allow(dead_code, missing_docs, clippy::missing_panics_doc)]

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
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1440x900x24",
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

/// The app, killed on drop.
pub struct Cashier(pub Child);

impl Cashier {
    /// Starts the binary on `home` and `x`, drawing with tiny-skia.
    pub fn start(x: &Xvfb, home: &Path, runtime_dir: &Path) -> Cashier {
        Cashier(
            Command::new(env!("CARGO_BIN_EXE_cashier"))
                .args(["--home", home.to_str().unwrap()])
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
