//! Global hotkeys under a private Xvfb.
//!
//! `global-hotkey` connects to `$DISPLAY` and takes no display name, and changing this
//! process's environment is unsound while other test threads run. So each test starts Xvfb
//! and re-runs *this test binary* as a child with `DISPLAY` set in the child's environment
//! only, selecting one `child_*` test; the `child_*` tests do nothing unless started that way.
#![cfg(not(windows))]

mod common;

use std::process::Command;
use std::time::Duration;

use cloudpos_input::{
    Chord, HostKeySender, HotkeyAction, HotkeyError, HotkeyEvent, HotkeyService, KeySettings,
    SenderOptions,
};
use common::Xvfb;
use tokio::sync::mpsc::UnboundedReceiver;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt as _, GrabMode, ModMask};

/// Set in the child's environment to the child test's name.
const CHILD: &str = "CLOUDPOS_INPUT_TEST_CHILD";

/// Runs `test` in a child process of this binary, with `DISPLAY` = `display` (or unset).
fn run_child(test: &str, display: Option<&str>) {
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = Command::new(exe);
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, test);
    match display {
        Some(d) => cmd.env("DISPLAY", d),
        None => cmd.env_remove("DISPLAY"),
    };
    let out = cmd.output().expect("run the child test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "child test {test} failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed"),
        "child test {test} did not run:\n{stdout}\n{stderr}"
    );
}

/// Whether this process is the child started for `test`.
fn is_child(test: &str) -> bool {
    std::env::var(CHILD).is_ok_and(|t| t == test)
}

fn chord(text: &str) -> Chord {
    Chord::parse(text).unwrap()
}

async fn next_event(events: &mut UnboundedReceiver<HotkeyEvent>) -> Option<HotkeyEvent> {
    tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .ok()
        .flatten()
}

async fn no_event(events: &mut UnboundedReceiver<HotkeyEvent>) {
    let got = tokio::time::timeout(Duration::from_millis(400), events.recv()).await;
    assert!(got.is_err(), "unexpected hotkey event {got:?}");
}

#[test]
fn hotkeys_fire_reregister_and_report_taken_combinations() {
    let xvfb = Xvfb::start();
    run_child("child_hotkeys", Some(xvfb.display()));
}

#[tokio::test]
async fn child_hotkeys() {
    if !is_child("child_hotkeys") {
        return;
    }
    let (service, mut events) = HotkeyService::start().expect("hotkey service");
    // The injector uses $DISPLAY too (set for this child only).
    let keys = HostKeySender::new(SenderOptions::default()).expect("key sender");

    // The manual's defaults, plug-in mode.
    service
        .apply_settings(&KeySettings::default(), true)
        .expect("register the defaults");
    assert_eq!(service.bindings().len(), 3);
    keys.press(&chord("Ctrl+Shift+P")).unwrap();
    assert_eq!(
        next_event(&mut events).await,
        Some(HotkeyEvent {
            action: HotkeyAction::AmountRegion,
            chord: chord("Ctrl+Shift+P")
        })
    );
    keys.press(&chord("~")).unwrap();
    assert_eq!(
        next_event(&mut events).await.map(|e| e.action),
        Some(HotkeyAction::PaymentWindow)
    );
    keys.press(&chord("Ctrl+E")).unwrap();
    assert_eq!(
        next_event(&mut events).await.map(|e| e.action),
        Some(HotkeyAction::MainWindow)
    );
    // Other keys, and the right key with other modifiers, do nothing.
    keys.press(&chord("E")).unwrap();
    keys.press(&chord("Ctrl+Alt+E")).unwrap();
    no_event(&mut events).await;

    // Settings change: the main window moves to F9; Ctrl+E is released.
    let mut settings = KeySettings::default();
    settings.main_window.chord = chord("F9");
    service
        .apply_settings(&settings, true)
        .expect("re-register");
    keys.press(&chord("Ctrl+E")).unwrap();
    no_event(&mut events).await;
    keys.press(&chord("F9")).unwrap();
    assert_eq!(
        next_event(&mut events).await,
        Some(HotkeyEvent {
            action: HotkeyAction::MainWindow,
            chord: chord("F9")
        })
    );

    // Another program holds Ctrl+Alt+K: registering it fails clearly, nothing changes.
    let (other, screen) = x11rb::rust_connection::RustConnection::connect(None).unwrap();
    let root = other.setup().roots[screen].root;
    let k = other
        .get_keyboard_mapping(
            other.setup().min_keycode,
            other.setup().max_keycode - other.setup().min_keycode + 1,
        )
        .unwrap()
        .reply()
        .unwrap();
    let per = usize::from(k.keysyms_per_keycode);
    let index = k
        .keysyms
        .chunks(per)
        .position(|syms| syms[0] == 0x6b)
        .expect("keycode of k");
    let keycode = other.setup().min_keycode + u8::try_from(index).unwrap();
    other
        .grab_key(
            true,
            root,
            ModMask::CONTROL | ModMask::M1,
            keycode,
            GrabMode::ASYNC,
            GrabMode::ASYNC,
        )
        .unwrap()
        .check()
        .unwrap();
    let mut taken = settings.clone();
    taken.amount_region.chord = chord("Ctrl+Alt+K");
    let err = service.apply_settings(&taken, true).unwrap_err();
    assert_eq!(
        err,
        HotkeyError::Taken {
            action: HotkeyAction::AmountRegion,
            chord: chord("Ctrl+Alt+K")
        }
    );
    assert!(err.to_string().contains("Ctrl+Alt+K"), "{err}");
    assert!(err.to_string().contains("another program"), "{err}");
    // The previous set is still registered and working.
    assert_eq!(service.bindings(), settings.active_hotkeys(true));
    keys.press(&chord("Ctrl+Shift+P")).unwrap();
    assert_eq!(
        next_event(&mut events).await.map(|e| e.action),
        Some(HotkeyAction::AmountRegion)
    );
    keys.press(&chord("F9")).unwrap();
    assert_eq!(
        next_event(&mut events).await.map(|e| e.action),
        Some(HotkeyAction::MainWindow)
    );

    // Invalid sets are refused before touching the registrations.
    let mut dup = settings.clone();
    dup.payment_window.chord = chord("F9");
    assert!(matches!(
        service.apply_settings(&dup, true),
        Err(HotkeyError::Invalid(_))
    ));

    // Full mode registers only the main-window hotkey.
    service.apply_settings(&settings, false).unwrap();
    keys.press(&chord("~")).unwrap();
    no_event(&mut events).await;

    // Clearing releases the grabs: another client may now take F9 (within the 50 ms
    // polling period of global-hotkey's X11 thread).
    service.clear().unwrap();
    assert!(service.bindings().is_empty());
    let f9 = k_code(&k, other.setup().min_keycode, 0xffc6);
    grab_soon(&other, root, f9, "F9 is free after clear()");
    other
        .ungrab_key(f9, root, ModMask::ANY)
        .unwrap()
        .check()
        .unwrap();

    // Dropping the service releases them too.
    service.apply_settings(&settings, true).unwrap();
    drop(service);
    grab_soon(&other, root, f9, "F9 is free after the service stopped");
}

/// Grabs a key without modifiers, retrying for a second while the previous owner lets go.
fn grab_soon(conn: &x11rb::rust_connection::RustConnection, root: u32, keycode: u8, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    loop {
        let result = conn
            .grab_key(
                true,
                root,
                ModMask::from(0u16),
                keycode,
                GrabMode::ASYNC,
                GrabMode::ASYNC,
            )
            .unwrap()
            .check();
        match result {
            Ok(()) => return,
            Err(e) if std::time::Instant::now() > deadline => panic!("{what}: {e:?}"),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn k_code(map: &x11rb::protocol::xproto::GetKeyboardMappingReply, min: u8, keysym: u32) -> u8 {
    let per = usize::from(map.keysyms_per_keycode);
    let index = map
        .keysyms
        .chunks(per)
        .position(|syms| syms[0] == keysym)
        .expect("keycode");
    min + u8::try_from(index).unwrap()
}

#[test]
fn no_display_is_a_clear_error() {
    run_child("child_no_display", None);
}

#[test]
fn child_no_display() {
    if !is_child("child_no_display") {
        return;
    }
    let err = HotkeyService::start().unwrap_err();
    assert!(matches!(err, HotkeyError::NoDisplay(_)), "{err:?}");
    assert!(err.to_string().contains("DISPLAY"), "{err}");
}
