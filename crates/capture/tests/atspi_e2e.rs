//! AT-SPI end to end: a GTK window (`tests/atspi/amount_window.py`, the host POS) shows the
//! total in a text box on a private Xvfb and a private session bus; the AT-SPI text source
//! finds the element under the region's centre on the accessibility bus and reads the total
//! as text, and the one-shot reader takes it (source `at-spi`) instead of OCR. A region off
//! the text box, and a bus that cannot be reached, fall back to OCR.
//!
//! Needs Xvfb, dbus-daemon, at-spi2-core and GTK 3 for Python
//! (`apt-get install xvfb dbus at-spi2-core python3-gi gir1.2-gtk-3.0`); `.ci/run` installs
//! them. The test starts its own X server and session bus and never touches the process's
//! `DISPLAY` or `DBUS_SESSION_BUS_ADDRESS`.
#![cfg(not(windows))]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cloudpos_capture::grab::x11::X11Grabber;
use cloudpos_capture::text::atspi::AtSpiTextSource;
use cloudpos_capture::{
    ReadOptions, ReadSource, ScreenGrabber, ScreenRegion, TextSource, grab_and_read_with,
};

/// A child process stopped (SIGTERM, then SIGKILL) on drop.
struct Service {
    child: Child,
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `program` and returns it with the first line it prints on stdout.
fn start_with_line(
    name: &'static str,
    program: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Service, String) {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => panic!(
            "cannot start {program} ({e}): this test needs `apt-get install xvfb dbus at-spi2-core python3-gi gir1.2-gtk-3.0`"
        ),
    };
    let line = first_line(name, &mut child);
    (Service { child }, line)
}

fn first_line(name: &str, child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(line) if !line.trim().is_empty() => line.trim().to_owned(),
        _ => {
            let _ = child.kill();
            let status = child.wait().ok();
            panic!("{name} printed nothing within 30 s (exit status {status:?})");
        }
    }
}

/// Debian's Python (with the `gi` bindings), not a pyenv or venv one earlier on PATH.
fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

/// The GTK host window: its process (stdin kept open; closing it ends the window) and the
/// text box's rectangle on the screen.
struct HostWindow {
    _service: Service,
    _stdin: ChildStdin,
    entry: (i32, i32, u32, u32),
}

fn host_window(display: &str, bus: &str, runtime: &Path, x: i32, y: i32, text: &str) -> HostWindow {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/atspi/amount_window.py");
    let mut child = Command::new(python())
        .arg(&script)
        .args([x.to_string(), y.to_string(), text.to_owned()])
        .env("DISPLAY", display)
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .env("XDG_RUNTIME_DIR", runtime)
        .env("GDK_BACKEND", "x11")
        .env_remove("NO_AT_BRIDGE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", script.display()));
    let stdin = child.stdin.take().expect("piped stdin");
    let line = first_line("the GTK window", &mut child);
    let n: Vec<i64> = line
        .strip_prefix("ready ")
        .unwrap_or_else(|| panic!("the GTK window said {line:?}"))
        .split_whitespace()
        .map(|v| v.parse().expect("a number"))
        .collect();
    let entry = (
        i32::try_from(n[0]).expect("x"),
        i32::try_from(n[1]).expect("y"),
        u32::try_from(n[2]).expect("w"),
        u32::try_from(n[3]).expect("h"),
    );
    HostWindow {
        _service: Service { child },
        _stdin: stdin,
        entry,
    }
}

fn region(x: i32, y: i32, width: u32, height: u32) -> ScreenRegion {
    ScreenRegion {
        screen: 0,
        x,
        y,
        width,
        height,
        scale_percent: 100,
    }
}

#[test]
fn the_total_in_a_gtk_text_box_is_read_through_atspi() {
    let (xvfb, number) = start_with_line(
        "Xvfb",
        "Xvfb",
        &[
            "-displayfd",
            "1",
            "-screen",
            "0",
            "800x600x24",
            "-nolisten",
            "tcp",
            "-noreset",
        ],
        &[],
    );
    let display = format!(":{number}");
    let runtime = tempfile::tempdir().expect("temp dir");
    let runtime_path = runtime.path().to_str().expect("UTF-8 path").to_owned();
    // A private session bus; it starts the accessibility bus (at-spi-bus-launcher) on
    // demand, which stops with it.
    let (dbus, bus) = start_with_line(
        "dbus-daemon",
        "dbus-daemon",
        &["--session", "--nofork", "--nopidfile", "--print-address=1"],
        &[
            ("DISPLAY", display.as_str()),
            ("XDG_RUNTIME_DIR", runtime_path.as_str()),
        ],
    );
    let host = host_window(&display, &bus, runtime.path(), 120, 140, "¥88.60");
    let (ex, ey, ew, eh) = host.entry;
    assert!(
        ew > 100 && eh > 20,
        "the text box has a size: {:?}",
        host.entry
    );
    let grabber = X11Grabber::connect(Some(&display)).expect("the grabber reaches Xvfb");
    let screens = grabber.screens().expect("screens");
    let source = AtSpiTextSource::with_session_bus(&bus);
    assert_eq!(source.source(), ReadSource::AtSpi);

    // The region drawn over the text box (a little inside it, as a cashier draws it).
    let total = region(ex + 10, ey + 5, ew - 20, eh - 10);
    // GTK registers its tree shortly after the window maps: ask until it is there.
    let deadline = Instant::now() + Duration::from_secs(30);
    let texts = loop {
        match source.texts_at(&screens[0], &total) {
            Ok(texts) if !texts.is_empty() => break texts,
            other => {
                assert!(
                    Instant::now() < deadline,
                    "no text at the text box through AT-SPI within 30 s (last answer {other:?})"
                );
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    };
    assert_eq!(
        texts.first().map(String::as_str),
        Some("¥88.60"),
        "texts {texts:?}"
    );

    // The one-shot reader takes the text read, exactly, with full confidence.
    let reading = grab_and_read_with(&grabber, Some(&source), &total, &ReadOptions::default())
        .expect("a reading");
    assert_eq!(reading.source, ReadSource::AtSpi);
    assert_eq!(
        reading.amount.map(cloudpos_domain::money::Money::fen),
        Some(8860),
        "{reading:?}"
    );
    assert_eq!(reading.text, "¥88.60");

    // Off the text box (the screen's empty corner): nothing there, so the reader grabs the
    // pixels and OCR finds no amount in the black corner.
    let corner = region(700, 500, 80, 40);
    assert_eq!(
        source.texts_at(&screens[0], &corner).expect("answer"),
        Vec::<String>::new()
    );
    let blank = grab_and_read_with(&grabber, Some(&source), &corner, &ReadOptions::default())
        .expect("a reading");
    assert_eq!(blank.source, ReadSource::Ocr);
    assert_eq!(blank.amount, None);

    // A bus that cannot be reached is an error of the source (the reader falls back to OCR
    // and reads the drawn total).
    let dead = AtSpiTextSource::with_session_bus(&format!("unix:path={runtime_path}/no-such-bus"));
    let err = dead.texts_at(&screens[0], &total).expect_err("no bus");
    assert!(err.to_string().contains("AT-SPI"), "{err}");
    let fallback = grab_and_read_with(&grabber, Some(&dead), &total, &ReadOptions::default())
        .expect("a reading");
    assert_eq!(fallback.source, ReadSource::Ocr);

    drop(host);
    drop(dbus);
    drop(xvfb);
}
