//! Keyboard shortcuts: what a key press means (the manual's letters and function keys,
//! Enter, Esc, Tab, arrows, Ctrl+C, Ctrl+E, `~`, + and -), and the text of a combination
//! pressed on the hotkey page (in the notation of the hotkey settings).

use iced::keyboard::key::{Named, Physical};
use iced::keyboard::{Key, Modifiers};

/// A key press as the app sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPress {
    /// The logical key.
    pub key: Key,
    /// The physical key.
    pub physical: Physical,
    /// Modifiers held.
    pub modifiers: Modifiers,
    /// A widget (a focused text field) already used the key.
    pub captured: bool,
}

impl KeyPress {
    /// A plain press of `key` nobody used (tests and synthetic presses).
    #[must_use]
    pub fn plain(key: Key) -> KeyPress {
        KeyPress {
            key,
            physical: Physical::Unidentified(iced::keyboard::key::NativeCode::Unidentified),
            modifiers: Modifiers::default(),
            captured: false,
        }
    }

    /// A plain press of a character key.
    #[must_use]
    pub fn char(c: char) -> KeyPress {
        KeyPress::plain(Key::Character(c.to_string().into()))
    }
}

/// What a key press asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    /// Esc: cancel or close.
    Escape,
    /// Enter: confirm.
    Enter,
    /// Tab (`back`: Shift+Tab): next or previous field.
    Tab {
        /// Shift held.
        back: bool,
    },
    /// Arrow up.
    Up,
    /// Arrow down.
    Down,
    /// F1–F12.
    Function(u8),
    /// A letter without Ctrl, Alt or Win (upper case).
    Letter(char),
    /// Ctrl+C.
    Copy,
    /// Ctrl+E: show or hide the main window.
    ToggleMain,
    /// `~` (the payment window's default hotkey).
    Tilde,
    /// `+`.
    Plus,
    /// `-`.
    Minus,
    /// Anything else.
    Other,
}

/// The meaning of a key press.
#[must_use]
pub fn shortcut(press: &KeyPress) -> Shortcut {
    let m = press.modifiers;
    match press.key.as_ref() {
        Key::Named(Named::Escape) => Shortcut::Escape,
        Key::Named(Named::Enter) => Shortcut::Enter,
        Key::Named(Named::Tab) => Shortcut::Tab { back: m.shift() },
        Key::Named(Named::ArrowUp) => Shortcut::Up,
        Key::Named(Named::ArrowDown) => Shortcut::Down,
        Key::Named(named) => function_number(named).map_or(Shortcut::Other, Shortcut::Function),
        Key::Character(c) => {
            let mut chars = c.chars();
            let (Some(ch), None) = (chars.next(), chars.next()) else {
                return Shortcut::Other;
            };
            if m.control() && !m.alt() {
                return match ch.to_ascii_lowercase() {
                    'c' => Shortcut::Copy,
                    'e' => Shortcut::ToggleMain,
                    _ => Shortcut::Other,
                };
            }
            if m.control() || m.alt() || m.logo() {
                return Shortcut::Other;
            }
            match ch {
                '~' | '`' | '·' | '～' => Shortcut::Tilde,
                '+' => Shortcut::Plus,
                '-' => Shortcut::Minus,
                c if c.is_ascii_alphabetic() => Shortcut::Letter(c.to_ascii_uppercase()),
                _ => Shortcut::Other,
            }
        }
        Key::Unidentified => Shortcut::Other,
    }
}

fn function_number(named: Named) -> Option<u8> {
    Some(match named {
        Named::F1 => 1,
        Named::F2 => 2,
        Named::F3 => 3,
        Named::F4 => 4,
        Named::F5 => 5,
        Named::F6 => 6,
        Named::F7 => 7,
        Named::F8 => 8,
        Named::F9 => 9,
        Named::F10 => 10,
        Named::F11 => 11,
        Named::F12 => 12,
        _ => return None,
    })
}

/// What a screen (or a dialog) does with a key press the app passed on to it: its
/// `shortcut` answers `None` for a key that is not its own, and the app's global keys (the
/// navigation letters, F1–F8) get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyAction<M> {
    /// Update the screen with this message, in the same update as the key.
    Send(M),
    /// Put the focus in this field, its text selected.
    Focus(&'static str),
    /// Take the key and do nothing with it (a dialog of the screen's holds the keyboard).
    Swallow,
}

impl<M> KeyAction<M> {
    /// The same action with the message wrapped (a screen's message in the app's).
    pub fn map<N>(self, f: impl FnOnce(M) -> N) -> KeyAction<N> {
        match self {
            KeyAction::Send(m) => KeyAction::Send(f(m)),
            KeyAction::Focus(id) => KeyAction::Focus(id),
            KeyAction::Swallow => KeyAction::Swallow,
        }
    }
}

/// The digit of a plain digit key press (1–9).
#[must_use]
pub fn digit(press: &KeyPress) -> Option<usize> {
    match press.key.as_ref() {
        Key::Character(c) if !press.modifiers.control() && !press.modifiers.alt() => {
            c.parse::<usize>().ok().filter(|d| (1..=9).contains(d))
        }
        _ => None,
    }
}

/// The combination pressed, in hotkey notation (`Ctrl+Shift+P`, `F5`, `~`), or `None` for
/// a bare modifier (still being held) and Esc (which stops recording).
#[must_use]
pub fn chord_text(press: &KeyPress) -> Option<String> {
    let key = match &press.physical {
        Physical::Code(code) => physical_name(&format!("{code:?}"))?,
        Physical::Unidentified(_) => logical_name(&press.key)?,
    };
    let m = press.modifiers;
    let mut parts = Vec::new();
    if m.control() {
        parts.push("Ctrl".to_owned());
    }
    if m.alt() {
        parts.push("Alt".to_owned());
    }
    if m.shift() {
        parts.push("Shift".to_owned());
    }
    if m.logo() {
        parts.push("Win".to_owned());
    }
    parts.push(key);
    Some(parts.join("+"))
}

/// The notation of a physical key code's debug name (`KeyA` → `A`, `Digit1` → `1`,
/// `Numpad0` → `Num0`, `Backquote` → `~`).
fn physical_name(code: &str) -> Option<String> {
    if matches!(
        code,
        "ControlLeft"
            | "ControlRight"
            | "ShiftLeft"
            | "ShiftRight"
            | "AltLeft"
            | "AltRight"
            | "SuperLeft"
            | "SuperRight"
            | "Meta"
            | "Escape"
    ) {
        return None;
    }
    if let Some(rest) = code.strip_prefix("Key") {
        return Some(rest.to_owned());
    }
    if let Some(rest) = code.strip_prefix("Digit") {
        return Some(rest.to_owned());
    }
    if let Some(rest) = code.strip_prefix("Numpad") {
        return Some(format!("Num{rest}"));
    }
    Some(
        match code {
            "Backquote" => "~",
            "ArrowUp" => "Up",
            "ArrowDown" => "Down",
            "ArrowLeft" => "Left",
            "ArrowRight" => "Right",
            "Minus" => "-",
            "Equal" => "=",
            "BracketLeft" => "[",
            "BracketRight" => "]",
            "Semicolon" => ";",
            "Quote" => "'",
            "Backslash" => "\\",
            "Period" => ".",
            "Slash" => "/",
            other => other,
        }
        .to_owned(),
    )
}

/// The notation of a logical key, when the physical key is unknown.
fn logical_name(key: &Key) -> Option<String> {
    match key.as_ref() {
        Key::Named(Named::Escape | Named::Control | Named::Shift | Named::Alt | Named::Super) => {
            None
        }
        Key::Named(n) => function_number(n)
            .map(|f| format!("F{f}"))
            .or_else(|| Some(format!("{n:?}"))),
        Key::Character(c) => Some(match c {
            "`" | "~" => "~".to_owned(),
            other => other.to_uppercase(),
        }),
        Key::Unidentified => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_are_shortcuts_only_without_modifiers() {
        assert_eq!(shortcut(&KeyPress::char('p')), Shortcut::Letter('P'));
        assert_eq!(shortcut(&KeyPress::char('~')), Shortcut::Tilde);
        assert_eq!(shortcut(&KeyPress::char('`')), Shortcut::Tilde);
        let mut ctrl_c = KeyPress::char('c');
        ctrl_c.modifiers = Modifiers::CTRL;
        assert_eq!(shortcut(&ctrl_c), Shortcut::Copy);
        let mut alt_p = KeyPress::char('p');
        alt_p.modifiers = Modifiers::ALT;
        assert_eq!(shortcut(&alt_p), Shortcut::Other);
        assert_eq!(
            shortcut(&KeyPress::plain(Key::Named(Named::F4))),
            Shortcut::Function(4)
        );
    }

    #[test]
    fn recorded_chords_use_the_hotkey_notation() {
        let mut p = KeyPress::char('p');
        p.modifiers = Modifiers::CTRL | Modifiers::SHIFT;
        assert_eq!(chord_text(&p).as_deref(), Some("Ctrl+Shift+P"));
        assert_eq!(chord_text(&KeyPress::char('`')).as_deref(), Some("~"));
        assert_eq!(
            chord_text(&KeyPress::plain(Key::Named(Named::F5))).as_deref(),
            Some("F5")
        );
        assert_eq!(
            chord_text(&KeyPress::plain(Key::Named(Named::Escape))),
            None
        );
        assert_eq!(physical_name("KeyE").as_deref(), Some("E"));
        assert_eq!(physical_name("Numpad0").as_deref(), Some("Num0"));
        assert_eq!(physical_name("ShiftLeft"), None);
    }
}
