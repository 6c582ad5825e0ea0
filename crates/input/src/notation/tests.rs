//! Unit tests of `notation`.

use super::*;

fn p(s: &str) -> Chord {
    Chord::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn parses_the_manual_defaults() {
    assert_eq!(p("~"), Chord::key(Key::Tilde));
    assert_eq!(p("Ctrl+E"), Chord::new(Modifiers::CTRL, Key::E));
    assert_eq!(
        p("Ctrl+Shift+P"),
        Chord::new(
            Modifiers {
                ctrl: true,
                shift: true,
                ..Modifiers::NONE
            },
            Key::P
        )
    );
    assert_eq!(p("F5"), Chord::key(Key::F5));
    assert_eq!(p("Enter"), Chord::key(Key::Enter));
    assert_eq!(p("Alt+F4"), Chord::new(Modifiers::ALT, Key::F4));
    assert_eq!(p("Num0"), Chord::key(Key::Num0));
    assert_eq!(p("7"), Chord::key(Key::Digit7));
    assert_eq!(p("q"), Chord::key(Key::Q));
}

#[test]
fn prints_canonically() {
    for (input, canonical) in [
        ("~", "~"),
        ("`", "~"),
        ("·", "~"),
        ("ctrl+e", "Ctrl+E"),
        ("shift+control+p", "Ctrl+Shift+P"),
        ("Ctrl + Shift + P", "Ctrl+Shift+P"),
        ("win+alt+d", "Alt+Win+D"),
        ("return", "Enter"),
        ("ESCAPE", "Esc"),
        ("numpad0", "Num0"),
        ("NumPlus", "NumAdd"),
        ("Num-", "NumSubtract"),
        ("pgdn", "PageDown"),
        ("Ctrl+,", "Ctrl+Comma"),
        ("f12", "F12"),
        ("Super+L", "Win+L"),
    ] {
        assert_eq!(p(input).to_string(), canonical, "{input}");
    }
}

#[test]
fn every_key_round_trips() {
    for &key in Key::ALL {
        let chord = Chord::key(key);
        assert_eq!(p(&chord.to_string()), chord, "{key:?}");
        let full = Chord::new(
            Modifiers {
                ctrl: true,
                alt: true,
                shift: true,
                win: true,
            },
            key,
        );
        assert_eq!(p(&full.to_string()), full, "{key:?}");
        for alias in key.aliases() {
            assert_eq!(Key::from_name(alias), Some(key), "{alias}");
        }
    }
}

#[test]
fn names_are_unique() {
    let mut seen = std::collections::HashSet::new();
    for &key in Key::ALL {
        for name in std::iter::once(key.name()).chain(key.aliases().iter().copied()) {
            assert!(seen.insert(name.to_ascii_lowercase()), "{name} twice");
        }
    }
}

#[test]
fn clear_errors() {
    let e = |s: &str| Chord::parse(s).unwrap_err();
    assert_eq!(e(""), ChordError::Empty);
    assert_eq!(e("   "), ChordError::Empty);
    assert!(matches!(e("Ctrl+"), ChordError::MissingKey { .. }));
    assert!(e("Ctrl+").to_string().contains("Ctrl+E"), "{}", e("Ctrl+"));
    assert!(matches!(e("Ctrl+Shift"), ChordError::MissingKey { .. }));
    assert!(matches!(e("Shift"), ChordError::MissingKey { .. }));
    assert!(matches!(e("Ctrl+Foo"), ChordError::UnknownKey { ref token, .. } if token == "Foo"));
    assert!(e("Ctrl+Foo").to_string().contains("unknown key \"Foo\""));
    assert!(matches!(e("A+B"), ChordError::TooManyKeys { .. }));
    assert!(matches!(e("E+Ctrl"), ChordError::TooManyKeys { .. }));
    assert!(matches!(
        e("Ctrl+Control+E"),
        ChordError::DuplicateModifier { .. }
    ));
    assert!(matches!(e("+"), ChordError::Plus { .. }));
    assert!(matches!(e("Ctrl++"), ChordError::Plus { .. }));
    assert!(e("Ctrl++").to_string().contains("NumAdd"));
    assert!(matches!(e("Ctrl++E"), ChordError::EmptyPart { .. }));
    assert!(matches!(e("F25"), ChordError::UnknownKey { .. }));
    assert!(matches!(e("Hyper+E"), ChordError::UnknownKey { .. }));
}

#[test]
fn key_chord_conversion() {
    let chord = p("ctrl+shift+p");
    let kc: KeyChord = chord.into();
    assert_eq!(kc, KeyChord("Ctrl+Shift+P".into()));
    assert_eq!(Chord::try_from(&kc).unwrap(), chord);
    assert!(Chord::try_from(KeyChord("Ctrl+".into())).is_err());
}

#[test]
fn global_hotkey_safety() {
    assert!(p("~").is_safe_global_hotkey());
    assert!(p("F5").is_safe_global_hotkey());
    assert!(p("Ctrl+E").is_safe_global_hotkey());
    assert!(!p("E").is_safe_global_hotkey());
    assert!(!p("Shift+E").is_safe_global_hotkey());
    assert!(!p("5").is_safe_global_hotkey());
    assert!(!p("Num5").is_safe_global_hotkey());
    assert!(!p("Enter").is_safe_global_hotkey());
    assert!(p("Alt+Enter").is_safe_global_hotkey());
}

#[test]
fn sequences() {
    let s = KeySequence::parse("F12, Ctrl+Enter").unwrap();
    assert_eq!(s.0, vec![p("F12"), p("Ctrl+Enter")]);
    assert_eq!(s.to_string(), "F12, Ctrl+Enter");
    assert_eq!(KeySequence::parse("F12 Ctrl + Enter").unwrap(), s);
    assert_eq!(KeySequence::parse("F12，Ctrl+Enter").unwrap(), s);
    assert_eq!(KeySequence::parse("  ").unwrap(), KeySequence::empty());
    assert_eq!(
        KeySequence::parse("Ctrl+, Comma").unwrap().0,
        vec![p("Ctrl+,"), p(",")]
    );
    assert!(KeySequence::parse("F12, Ctrl+").is_err());
    assert_eq!(
        s.key_chords(),
        vec![KeyChord("F12".into()), KeyChord("Ctrl+Enter".into())]
    );
}

#[test]
fn sequence_serde() {
    let s = KeySequence::parse("F12, Ctrl+Enter").unwrap();
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(json, r#"["F12","Ctrl+Enter"]"#);
    assert_eq!(serde_json::from_str::<KeySequence>(&json).unwrap(), s);
    assert_eq!(
        serde_json::from_str::<KeySequence>(r#""f12 ctrl+return""#).unwrap(),
        s
    );
    let err = serde_json::from_str::<KeySequence>(r#"["F12","Ctrl+"]"#).unwrap_err();
    assert!(err.to_string().contains("Ctrl+"), "{err}");
    assert_eq!(serde_json::to_string(&p("~")).unwrap(), r#""~""#);
    assert_eq!(
        serde_json::from_str::<Chord>(r#""ctrl+e""#).unwrap(),
        p("Ctrl+E")
    );
}

#[test]
fn keysym_and_digits() {
    assert_eq!(Key::from_x11_keysym(0x61), Some(Key::A));
    assert_eq!(Key::from_x11_keysym(0x41), Some(Key::A));
    assert_eq!(Key::from_x11_keysym(0xff0d), Some(Key::Enter));
    assert_eq!(Key::Num7.digit(), Some('7'));
    assert_eq!(Key::Digit3.digit(), Some('3'));
    assert_eq!(Key::A.digit(), None);
}
