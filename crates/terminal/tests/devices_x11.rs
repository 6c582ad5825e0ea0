//! The running devices switch between plug-in and full mode in place, under a private Xvfb:
//! the hotkeys of the new mode replace those of the old through the same registration, so
//! the app never finds its own key taken (issue 13: "Ctrl+E (显示/隐藏主窗口) is already used
//! by another program" after switching to 完整模式 — a second set of devices had been started
//! while the first still held Ctrl+E).
//!
//! `global-hotkey` reads `$DISPLAY`, and changing this process's environment is unsound while
//! other test threads run, so the test starts Xvfb and re-runs this test binary as a child
//! with `DISPLAY` set in the child's environment only.
#![cfg(not(windows))]
#![allow(missing_docs)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cloudpos_input::{Chord, HotkeyError, HotkeyService};
use cloudpos_terminal::testing::test_terminal;
use cloudpos_terminal::{DeviceEvent, HotkeyAction, KeySettings};

const CHILD: &str = "CLOUDPOS_TERMINAL_DEVICES_CHILD";

/// A private Xvfb on a display it chose itself, killed on drop.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "640x480x24",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is installed (apt-get install xvfb)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("Xvfb prints its display");
        Xvfb {
            child,
            display: format!(":{}", line.trim()),
        }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_devices_switch_modes_without_colliding_with_their_own_hotkeys() {
    let x = Xvfb::start();
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args([
            "child_switch_modes",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("DISPLAY", &x.display)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn actions(bindings: &[(HotkeyAction, Chord)]) -> Vec<HotkeyAction> {
    let mut a: Vec<HotkeyAction> = bindings.iter().map(|(a, _)| *a).collect();
    a.sort_by_key(|a| format!("{a:?}"));
    a
}

#[tokio::test]
async fn child_switch_modes() {
    if std::env::var(CHILD).is_err() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tt = test_terminal(dir.path()).await;
    let keys = KeySettings::default();
    let mut devices = tt.terminal.start_devices(true).await.unwrap();
    let plug_in = actions(&devices.hotkeys());
    assert_eq!(plug_in.len(), 3, "plug-in mode: ~, Ctrl+E, Ctrl+Shift+P");

    // 完整模式: only Ctrl+E stays — re-registered by the same service, never "taken".
    devices.set_mode(&keys, false).expect("switch to full mode");
    assert_eq!(actions(&devices.hotkeys()), vec![HotkeyAction::MainWindow]);
    assert!(!devices.plug_in());
    // And back.
    devices
        .set_mode(&keys, true)
        .expect("switch back to plug-in mode");
    assert_eq!(actions(&devices.hotkeys()), plug_in);
    // Applying the same keys again (saving the hotkey page) is no collision either.
    devices.apply_keys(&keys).expect("apply again");

    // No device reported a problem along the way.
    while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(300), devices.next()).await {
        assert!(
            !matches!(e, DeviceEvent::Problem(_)),
            "no problem reported: {e:?}"
        );
    }

    // Ctrl+E is really held — once, by us: another program cannot take it.
    let (other, _events) = HotkeyService::start().unwrap();
    let taken = other.apply(&[(HotkeyAction::MainWindow, Chord::parse("Ctrl+E").unwrap())]);
    assert!(
        matches!(taken, Err(HotkeyError::Taken { .. })),
        "another program finds Ctrl+E taken: {taken:?}"
    );
}
