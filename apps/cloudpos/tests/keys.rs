//! `cloudpos keys send`: the key sequence is parsed before anything is pressed (a bad chord is
//! a usage error naming it), and a machine without a display says so instead of pressing
//! nothing silently. The keys reaching a window are checked under Wine (`.ci/wine`, SendInput)
//! and in `cloudpos-input`'s X11 tests (XTEST).
#![allow(missing_docs)]

mod common;

use common::Env;

#[test]
fn a_bad_chord_is_refused_by_name() {
    let env = Env::start();
    let out = env
        .command(&["keys", "send", "--keys", "F12, Ctrl+Banana"])
        .env_remove("DISPLAY")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad key sequence") && err.contains("Banana"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "nothing pressed: {out:?}");
}

#[test]
fn an_empty_sequence_is_refused() {
    let env = Env::start();
    let out = env
        .command(&["keys", "send", "--keys", " , "])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no keys given"));
}

#[test]
fn without_a_display_the_keys_cannot_be_pressed() {
    let env = Env::start();
    let out = env
        .command(&["keys", "send", "--keys", "F12"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot press keys in the host program"),
        "{err}"
    );
}
