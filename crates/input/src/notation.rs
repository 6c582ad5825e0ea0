//! Key notation (快捷键写法): the text form of keys, chords and sequences that the hotkey
//! settings page shows and stores and that [`cloudpos_domain::ports::KeyChord`] carries.
//!
//! A chord is zero or more modifiers and one key joined by `+`: `~`, `F5`, `Ctrl+E`,
//! `Ctrl+Shift+P`, `Alt+F4`, `Num0`, `Enter`. Parsing is case-insensitive, accepts common
//! aliases (`Control`, `Return`, `Escape`, `PgUp`, `Numpad0`, `Ctrl + E` with spaces) and
//! prints one canonical form (modifiers in the order Ctrl, Alt, Shift, Win).
//!
//! Keys name *physical* keys of a US-layout PC keyboard, not characters: `~` is the key left
//! of `1` (the manual's default payment-window hotkey, also written `` ` `` or `·` — what a
//! Chinese input method prints for it), pressed **without** Shift; `Shift+~` is that key with
//! Shift. `=` is the key right of `-`; a bare `+` is refused because it names no single
//! key (write `NumAdd` for the keypad plus or `Shift+=`). The comma key is printed `Comma`
//! so that sequences can be separated by commas.
//!
//! A [`KeySequence`] is chords pressed one after another, e.g. `F12, Ctrl+Enter`: in text,
//! chords are separated by commas or spaces; in JSON it is an array of chord strings.

use std::fmt;
use std::str::FromStr;

use cloudpos_domain::ports::KeyChord;
use serde::{Deserialize, Serialize};

/// Defines [`Key`] and its tables from one list, so names, hotkey codes, X11 keysyms and
/// Windows virtual-key codes cannot drift apart.
///
/// Row: `Variant, "canonical name", [aliases], hotkey code, X11 keysym, Windows VK, extended`.
macro_rules! keys {
    ($( $(#[$doc:meta])* $variant:ident, $name:literal, [$($alias:literal),*], $code:ident, $keysym:literal, $vk:literal, $ext:literal; )*) => {
        /// A physical key (US PC layout). See the [module documentation](self) for the names.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Key {
            $( $(#[$doc])* $variant, )*
        }

        impl Key {
            /// Every key, in table order.
            pub const ALL: &'static [Key] = &[$(Key::$variant,)*];

            /// The canonical name, as [`Chord`]'s `Display` prints it.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self { $(Key::$variant => $name,)* }
            }

            /// Other accepted spellings (matched case-insensitively, like the name).
            #[must_use]
            pub const fn aliases(self) -> &'static [&'static str] {
                match self { $(Key::$variant => &[$($alias),*],)* }
            }

            /// The key code `global-hotkey` registers.
            #[must_use]
            pub(crate) const fn hotkey_code(self) -> global_hotkey::hotkey::Code {
                match self { $(Key::$variant => global_hotkey::hotkey::Code::$code,)* }
            }

            /// The X11 keysym of the key's first level (what it types without Shift, or
            /// the keypad digit for `Num0`–`Num9`).
            #[must_use]
            pub const fn x11_keysym(self) -> u32 {
                match self { $(Key::$variant => $keysym,)* }
            }

            /// The Windows virtual-key code, and whether `SendInput` must flag it as an
            /// extended key.
            #[must_use]
            pub const fn windows_vk(self) -> (u16, bool) {
                match self { $(Key::$variant => ($vk, $ext),)* }
            }
        }
    };
}

keys! {
    /// Letter A.
    A, "A", [], KeyA, 0x61, 0x41, false;
    /// Letter B.
    B, "B", [], KeyB, 0x62, 0x42, false;
    /// Letter C.
    C, "C", [], KeyC, 0x63, 0x43, false;
    /// Letter D.
    D, "D", [], KeyD, 0x64, 0x44, false;
    /// Letter E.
    E, "E", [], KeyE, 0x65, 0x45, false;
    /// Letter F.
    F, "F", [], KeyF, 0x66, 0x46, false;
    /// Letter G.
    G, "G", [], KeyG, 0x67, 0x47, false;
    /// Letter H.
    H, "H", [], KeyH, 0x68, 0x48, false;
    /// Letter I.
    I, "I", [], KeyI, 0x69, 0x49, false;
    /// Letter J.
    J, "J", [], KeyJ, 0x6a, 0x4a, false;
    /// Letter K.
    K, "K", [], KeyK, 0x6b, 0x4b, false;
    /// Letter L.
    L, "L", [], KeyL, 0x6c, 0x4c, false;
    /// Letter M.
    M, "M", [], KeyM, 0x6d, 0x4d, false;
    /// Letter N.
    N, "N", [], KeyN, 0x6e, 0x4e, false;
    /// Letter O.
    O, "O", [], KeyO, 0x6f, 0x4f, false;
    /// Letter P.
    P, "P", [], KeyP, 0x70, 0x50, false;
    /// Letter Q.
    Q, "Q", [], KeyQ, 0x71, 0x51, false;
    /// Letter R.
    R, "R", [], KeyR, 0x72, 0x52, false;
    /// Letter S.
    S, "S", [], KeyS, 0x73, 0x53, false;
    /// Letter T.
    T, "T", [], KeyT, 0x74, 0x54, false;
    /// Letter U.
    U, "U", [], KeyU, 0x75, 0x55, false;
    /// Letter V.
    V, "V", [], KeyV, 0x76, 0x56, false;
    /// Letter W.
    W, "W", [], KeyW, 0x77, 0x57, false;
    /// Letter X.
    X, "X", [], KeyX, 0x78, 0x58, false;
    /// Letter Y.
    Y, "Y", [], KeyY, 0x79, 0x59, false;
    /// Letter Z.
    Z, "Z", [], KeyZ, 0x7a, 0x5a, false;
    /// Digit 0 of the main keyboard.
    Digit0, "0", [], Digit0, 0x30, 0x30, false;
    /// Digit 1 of the main keyboard.
    Digit1, "1", [], Digit1, 0x31, 0x31, false;
    /// Digit 2 of the main keyboard.
    Digit2, "2", [], Digit2, 0x32, 0x32, false;
    /// Digit 3 of the main keyboard.
    Digit3, "3", [], Digit3, 0x33, 0x33, false;
    /// Digit 4 of the main keyboard.
    Digit4, "4", [], Digit4, 0x34, 0x34, false;
    /// Digit 5 of the main keyboard.
    Digit5, "5", [], Digit5, 0x35, 0x35, false;
    /// Digit 6 of the main keyboard.
    Digit6, "6", [], Digit6, 0x36, 0x36, false;
    /// Digit 7 of the main keyboard.
    Digit7, "7", [], Digit7, 0x37, 0x37, false;
    /// Digit 8 of the main keyboard.
    Digit8, "8", [], Digit8, 0x38, 0x38, false;
    /// Digit 9 of the main keyboard.
    Digit9, "9", [], Digit9, 0x39, 0x39, false;
    /// F1.
    F1, "F1", [], F1, 0xffbe, 0x70, false;
    /// F2.
    F2, "F2", [], F2, 0xffbf, 0x71, false;
    /// F3.
    F3, "F3", [], F3, 0xffc0, 0x72, false;
    /// F4.
    F4, "F4", [], F4, 0xffc1, 0x73, false;
    /// F5.
    F5, "F5", [], F5, 0xffc2, 0x74, false;
    /// F6.
    F6, "F6", [], F6, 0xffc3, 0x75, false;
    /// F7.
    F7, "F7", [], F7, 0xffc4, 0x76, false;
    /// F8.
    F8, "F8", [], F8, 0xffc5, 0x77, false;
    /// F9.
    F9, "F9", [], F9, 0xffc6, 0x78, false;
    /// F10.
    F10, "F10", [], F10, 0xffc7, 0x79, false;
    /// F11.
    F11, "F11", [], F11, 0xffc8, 0x7a, false;
    /// F12.
    F12, "F12", [], F12, 0xffc9, 0x7b, false;
    /// F13.
    F13, "F13", [], F13, 0xffca, 0x7c, false;
    /// F14.
    F14, "F14", [], F14, 0xffcb, 0x7d, false;
    /// F15.
    F15, "F15", [], F15, 0xffcc, 0x7e, false;
    /// F16.
    F16, "F16", [], F16, 0xffcd, 0x7f, false;
    /// F17.
    F17, "F17", [], F17, 0xffce, 0x80, false;
    /// F18.
    F18, "F18", [], F18, 0xffcf, 0x81, false;
    /// F19.
    F19, "F19", [], F19, 0xffd0, 0x82, false;
    /// F20.
    F20, "F20", [], F20, 0xffd1, 0x83, false;
    /// F21.
    F21, "F21", [], F21, 0xffd2, 0x84, false;
    /// F22.
    F22, "F22", [], F22, 0xffd3, 0x85, false;
    /// F23.
    F23, "F23", [], F23, 0xffd4, 0x86, false;
    /// F24.
    F24, "F24", [], F24, 0xffd5, 0x87, false;
    /// Keypad 0.
    Num0, "Num0", ["Numpad0", "KP0", "Num 0"], Numpad0, 0xffb0, 0x60, false;
    /// Keypad 1.
    Num1, "Num1", ["Numpad1", "KP1", "Num 1"], Numpad1, 0xffb1, 0x61, false;
    /// Keypad 2.
    Num2, "Num2", ["Numpad2", "KP2", "Num 2"], Numpad2, 0xffb2, 0x62, false;
    /// Keypad 3.
    Num3, "Num3", ["Numpad3", "KP3", "Num 3"], Numpad3, 0xffb3, 0x63, false;
    /// Keypad 4.
    Num4, "Num4", ["Numpad4", "KP4", "Num 4"], Numpad4, 0xffb4, 0x64, false;
    /// Keypad 5.
    Num5, "Num5", ["Numpad5", "KP5", "Num 5"], Numpad5, 0xffb5, 0x65, false;
    /// Keypad 6.
    Num6, "Num6", ["Numpad6", "KP6", "Num 6"], Numpad6, 0xffb6, 0x66, false;
    /// Keypad 7.
    Num7, "Num7", ["Numpad7", "KP7", "Num 7"], Numpad7, 0xffb7, 0x67, false;
    /// Keypad 8.
    Num8, "Num8", ["Numpad8", "KP8", "Num 8"], Numpad8, 0xffb8, 0x68, false;
    /// Keypad 9.
    Num9, "Num9", ["Numpad9", "KP9", "Num 9"], Numpad9, 0xffb9, 0x69, false;
    /// Keypad `+`.
    NumAdd, "NumAdd", ["NumPlus", "NumpadAdd", "KPAdd"], NumpadAdd, 0xffab, 0x6b, false;
    /// Keypad `-`.
    NumSubtract, "NumSubtract", ["Num-", "NumMinus", "NumpadSubtract", "KPSubtract"], NumpadSubtract, 0xffad, 0x6d, false;
    /// Keypad `*`.
    NumMultiply, "NumMultiply", ["Num*", "NumpadMultiply", "KPMultiply"], NumpadMultiply, 0xffaa, 0x6a, false;
    /// Keypad `/`.
    NumDivide, "NumDivide", ["Num/", "NumpadDivide", "KPDivide"], NumpadDivide, 0xffaf, 0x6f, true;
    /// Keypad `.`.
    NumDecimal, "NumDecimal", ["Num.", "NumDot", "NumpadDecimal", "KPDecimal"], NumpadDecimal, 0xffae, 0x6e, false;
    /// Keypad Enter.
    NumEnter, "NumEnter", ["NumpadEnter", "KPEnter"], NumpadEnter, 0xff8d, 0x0d, true;
    /// Enter (回车).
    Enter, "Enter", ["Return", "回车"], Enter, 0xff0d, 0x0d, false;
    /// Escape.
    Esc, "Esc", ["Escape"], Escape, 0xff1b, 0x1b, false;
    /// Tab.
    Tab, "Tab", [], Tab, 0xff09, 0x09, false;
    /// Space bar.
    Space, "Space", ["空格"], Space, 0x20, 0x20, false;
    /// Backspace.
    Backspace, "Backspace", ["Back", "BS"], Backspace, 0xff08, 0x08, false;
    /// Delete.
    Delete, "Delete", ["Del"], Delete, 0xffff, 0x2e, true;
    /// Insert.
    Insert, "Insert", ["Ins"], Insert, 0xff63, 0x2d, true;
    /// Home.
    Home, "Home", [], Home, 0xff50, 0x24, true;
    /// End.
    End, "End", [], End, 0xff57, 0x23, true;
    /// Page Up.
    PageUp, "PageUp", ["PgUp", "Prior"], PageUp, 0xff55, 0x21, true;
    /// Page Down.
    PageDown, "PageDown", ["PgDn", "Next"], PageDown, 0xff56, 0x22, true;
    /// Arrow up.
    Up, "Up", ["ArrowUp"], ArrowUp, 0xff52, 0x26, true;
    /// Arrow down.
    Down, "Down", ["ArrowDown"], ArrowDown, 0xff54, 0x28, true;
    /// Arrow left.
    Left, "Left", ["ArrowLeft"], ArrowLeft, 0xff51, 0x25, true;
    /// Arrow right.
    Right, "Right", ["ArrowRight"], ArrowRight, 0xff53, 0x27, true;
    /// The key left of `1` (`` ` `` / `~`): the default payment-window hotkey.
    Tilde, "~", ["`", "·", "～", "Tilde", "Grave", "Backquote", "Backtick"], Backquote, 0x60, 0xc0, false;
    /// `-` of the main keyboard.
    Minus, "-", ["Minus"], Minus, 0x2d, 0xbd, false;
    /// `=` of the main keyboard (`+` with Shift).
    Equal, "=", ["Equal", "Equals"], Equal, 0x3d, 0xbb, false;
    /// `[`.
    BracketLeft, "[", ["BracketLeft"], BracketLeft, 0x5b, 0xdb, false;
    /// `]`.
    BracketRight, "]", ["BracketRight"], BracketRight, 0x5d, 0xdd, false;
    /// `\`.
    Backslash, "\\", ["Backslash"], Backslash, 0x5c, 0xdc, false;
    /// `;`.
    Semicolon, ";", ["Semicolon"], Semicolon, 0x3b, 0xba, false;
    /// `'`.
    Quote, "'", ["Quote", "Apostrophe"], Quote, 0x27, 0xde, false;
    /// `,` (printed `Comma`, because commas separate the chords of a sequence).
    Comma, "Comma", [","], Comma, 0x2c, 0xbc, false;
    /// `.` of the main keyboard.
    Period, ".", ["Period", "Dot"], Period, 0x2e, 0xbe, false;
    /// `/` of the main keyboard.
    Slash, "/", ["Slash"], Slash, 0x2f, 0xbf, false;
    /// Print Screen.
    PrintScreen, "PrintScreen", ["PrtSc", "PrtScn", "Print"], PrintScreen, 0xff61, 0x2c, true;
    /// Pause / Break.
    Pause, "Pause", ["Break"], Pause, 0xff13, 0x13, false;
    /// Scroll Lock.
    ScrollLock, "ScrollLock", ["ScrLk"], ScrollLock, 0xff14, 0x91, false;
    /// The context-menu key.
    Menu, "Menu", ["Apps", "ContextMenu"], ContextMenu, 0xff67, 0x5d, true;
}

impl Key {
    /// Finds a key by name or alias, ignoring ASCII case.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Key> {
        let name = name.trim();
        Key::ALL.iter().copied().find(|k| {
            k.name().eq_ignore_ascii_case(name)
                || k.aliases().iter().any(|a| a.eq_ignore_ascii_case(name))
        })
    }

    /// The key that types the X11 keysym `keysym` at its first level (inverse of
    /// [`Key::x11_keysym`]; upper-case letters are accepted too).
    #[must_use]
    pub fn from_x11_keysym(keysym: u32) -> Option<Key> {
        let keysym = if (0x41..=0x5a).contains(&keysym) {
            keysym + 0x20
        } else {
            keysym
        };
        Key::ALL.iter().copied().find(|k| k.x11_keysym() == keysym)
    }

    /// Whether pressing this key alone types text or edits it (letters, digits, Enter,
    /// Space, Tab, Backspace): such a key cannot be a global hotkey without Ctrl, Alt or
    /// Win, or the cashier could no longer type it (and a scanner's digits would vanish).
    #[must_use]
    pub fn is_typing_key(self) -> bool {
        let keysym = self.x11_keysym();
        matches!(keysym, 0x30..=0x39 | 0x61..=0x7a | 0xffb0..=0xffb9)
            || matches!(
                self,
                Key::Enter | Key::NumEnter | Key::Space | Key::Tab | Key::Backspace
            )
    }

    /// The digit this key types, for the digit keys of the main keyboard and the keypad.
    #[must_use]
    pub fn digit(self) -> Option<char> {
        match self.x11_keysym() {
            k @ 0x30..=0x39 => char::from_u32(k),
            k @ 0xffb0..=0xffb9 => char::from_u32(k - 0xffb0 + 0x30),
            _ => None,
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Modifier keys held with a [`Key`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Modifiers {
    /// Ctrl.
    pub ctrl: bool,
    /// Alt.
    pub alt: bool,
    /// Shift.
    pub shift: bool,
    /// The Windows (Super) key.
    pub win: bool,
}

impl Modifiers {
    /// No modifier.
    pub const NONE: Modifiers = Modifiers {
        ctrl: false,
        alt: false,
        shift: false,
        win: false,
    };
    /// Ctrl only.
    pub const CTRL: Modifiers = Modifiers {
        ctrl: true,
        alt: false,
        shift: false,
        win: false,
    };
    /// Alt only.
    pub const ALT: Modifiers = Modifiers {
        ctrl: false,
        alt: true,
        shift: false,
        win: false,
    };
    /// Shift only.
    pub const SHIFT: Modifiers = Modifiers {
        ctrl: false,
        alt: false,
        shift: true,
        win: false,
    };

    /// Whether no modifier is held.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        !(self.ctrl || self.alt || self.shift || self.win)
    }

    /// The modifiers as canonical names, in printing order.
    #[must_use]
    pub fn names(self) -> Vec<&'static str> {
        let mut v = Vec::new();
        for (on, name) in [
            (self.ctrl, "Ctrl"),
            (self.alt, "Alt"),
            (self.shift, "Shift"),
            (self.win, "Win"),
        ] {
            if on {
                v.push(name);
            }
        }
        v
    }
}

/// Which modifier a token names, if any.
fn modifier_of(token: &str) -> Option<Modifiers> {
    let t = token.to_ascii_lowercase();
    Some(match t.as_str() {
        "ctrl" | "control" | "ctl" | "strg" => Modifiers::CTRL,
        "alt" | "option" | "opt" => Modifiers::ALT,
        "shift" => Modifiers::SHIFT,
        "win" | "windows" | "super" | "meta" | "cmd" | "command" | "logo" => Modifiers {
            win: true,
            ..Modifiers::NONE
        },
        _ => return None,
    })
}

/// A key with its modifiers: one hotkey, or one step of a [`KeySequence`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Chord {
    /// Held modifiers.
    pub modifiers: Modifiers,
    /// The key pressed.
    pub key: Key,
}

/// Why a chord or sequence text was refused. Every message quotes the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChordError {
    /// Nothing written.
    #[error("no key given")]
    Empty,
    /// A word that is no key name.
    #[error(
        "\"{text}\": unknown key \"{token}\" (examples: A, 5, F5, Num0, Enter, Esc, Space, ~, PageUp)"
    )]
    UnknownKey {
        /// The whole chord.
        text: String,
        /// The unknown part.
        token: String,
    },
    /// Only modifiers, or a trailing `+`.
    #[error("\"{text}\": a modifier needs a key, e.g. {text_hint}E")]
    MissingKey {
        /// The whole chord.
        text: String,
        /// The chord's modifiers, for the hint.
        text_hint: String,
    },
    /// Two keys that are not modifiers, or a modifier after the key.
    #[error(
        "\"{text}\": a chord has one key, after its modifiers (like Ctrl+Shift+P); \"{token}\" is one key too many"
    )]
    TooManyKeys {
        /// The whole chord.
        text: String,
        /// The extra part.
        token: String,
    },
    /// The same modifier twice.
    #[error("\"{text}\": {modifier} is given twice")]
    DuplicateModifier {
        /// The whole chord.
        text: String,
        /// The repeated modifier.
        modifier: String,
    },
    /// A bare `+`, which names no single key.
    #[error(
        "\"{text}\": \"+\" is not one key; write NumAdd for the keypad plus, or Shift+= for the main keyboard"
    )]
    Plus {
        /// The whole chord.
        text: String,
    },
    /// An empty part between two `+`.
    #[error("\"{text}\": empty part between \"+\" signs")]
    EmptyPart {
        /// The whole chord.
        text: String,
    },
}

impl Chord {
    /// A chord without modifiers.
    #[must_use]
    pub const fn key(key: Key) -> Chord {
        Chord {
            modifiers: Modifiers::NONE,
            key,
        }
    }

    /// A chord with modifiers.
    #[must_use]
    pub const fn new(modifiers: Modifiers, key: Key) -> Chord {
        Chord { modifiers, key }
    }

    /// Parses the notation (see the [module documentation](self)).
    ///
    /// # Errors
    /// A [`ChordError`] naming the part that is wrong.
    pub fn parse(text: &str) -> Result<Chord, ChordError> {
        let original = text.trim();
        if original.is_empty() {
            return Err(ChordError::Empty);
        }
        // Split on '+'; a '+' right after another separator or at the very start is the
        // key itself (so "Ctrl++" and "+" reach the bare-plus error, not "empty part").
        let mut parts: Vec<String> = Vec::new();
        let mut current = String::new();
        let chars: Vec<char> = original.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '+' && !current.trim().is_empty() {
                parts.push(std::mem::take(&mut current));
            } else if c == '+' {
                // A '+' with nothing before it in this part: the key "+", when it ends the
                // text; otherwise an empty part ("Ctrl++E" or "+E").
                if i + 1 == chars.len() {
                    current.push('+');
                } else {
                    return Err(ChordError::EmptyPart {
                        text: original.to_owned(),
                    });
                }
            } else {
                current.push(c);
            }
            i += 1;
        }
        if current.trim().is_empty() {
            // "Ctrl+" : modifiers without key.
            let mods = parse_modifiers(original, &parts)?;
            return Err(missing_key(original, mods));
        }
        parts.push(current);
        let (key_part, mod_parts) = parts.split_last().expect("at least one part");
        let modifiers = parse_modifiers(original, mod_parts)?;
        let key_token = key_part.trim();
        if key_token == "+" {
            return Err(ChordError::Plus {
                text: original.to_owned(),
            });
        }
        match Key::from_name(key_token) {
            Some(key) => Ok(Chord { modifiers, key }),
            None => match modifier_of(key_token) {
                Some(m) => Err(missing_key(original, union(modifiers, m))),
                None => Err(ChordError::UnknownKey {
                    text: original.to_owned(),
                    token: key_token.to_owned(),
                }),
            },
        }
    }

    /// Whether the chord is acceptable as a *global* hotkey: a typing key (letter, digit,
    /// Enter, Space, Tab, Backspace) needs Ctrl, Alt or Win.
    #[must_use]
    pub fn is_safe_global_hotkey(&self) -> bool {
        let m = self.modifiers;
        !self.key.is_typing_key() || m.ctrl || m.alt || m.win
    }

    /// The domain's text form.
    #[must_use]
    pub fn to_key_chord(&self) -> KeyChord {
        KeyChord(self.to_string())
    }
}

const fn union(a: Modifiers, b: Modifiers) -> Modifiers {
    Modifiers {
        ctrl: a.ctrl || b.ctrl,
        alt: a.alt || b.alt,
        shift: a.shift || b.shift,
        win: a.win || b.win,
    }
}

fn missing_key(text: &str, mods: Modifiers) -> ChordError {
    let mut hint = mods.names().join("+");
    if hint.is_empty() {
        hint.push_str("Ctrl");
    }
    hint.push('+');
    ChordError::MissingKey {
        text: text.to_owned(),
        text_hint: hint,
    }
}

fn parse_modifiers(text: &str, parts: &[String]) -> Result<Modifiers, ChordError> {
    let mut mods = Modifiers::NONE;
    for part in parts {
        let token = part.trim();
        let Some(m) = modifier_of(token) else {
            if Key::from_name(token).is_some() || token == "+" {
                return Err(ChordError::TooManyKeys {
                    text: text.to_owned(),
                    token: token.to_owned(),
                });
            }
            return Err(ChordError::UnknownKey {
                text: text.to_owned(),
                token: token.to_owned(),
            });
        };
        let overlap = (m.ctrl && mods.ctrl)
            || (m.alt && mods.alt)
            || (m.shift && mods.shift)
            || (m.win && mods.win);
        if overlap {
            return Err(ChordError::DuplicateModifier {
                text: text.to_owned(),
                modifier: m.names().join(""),
            });
        }
        mods = union(mods, m);
    }
    Ok(mods)
}

impl fmt::Display for Chord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for name in self.modifiers.names() {
            f.write_str(name)?;
            f.write_str("+")?;
        }
        f.write_str(self.key.name())
    }
}

impl FromStr for Chord {
    type Err = ChordError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Chord::parse(s)
    }
}

impl From<Key> for Chord {
    fn from(key: Key) -> Self {
        Chord::key(key)
    }
}

impl From<Chord> for KeyChord {
    fn from(chord: Chord) -> Self {
        chord.to_key_chord()
    }
}

impl From<&Chord> for KeyChord {
    fn from(chord: &Chord) -> Self {
        chord.to_key_chord()
    }
}

impl TryFrom<&KeyChord> for Chord {
    type Error = ChordError;
    fn try_from(value: &KeyChord) -> Result<Self, Self::Error> {
        Chord::parse(&value.0)
    }
}

impl TryFrom<KeyChord> for Chord {
    type Error = ChordError;
    fn try_from(value: KeyChord) -> Result<Self, Self::Error> {
        Chord::parse(&value.0)
    }
}

impl Serialize for Chord {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Chord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Chord::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Chords pressed one after another (e.g. the keys sent to the host POS before the payment
/// window opens). May be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct KeySequence(pub Vec<Chord>);

impl KeySequence {
    /// No keys.
    #[must_use]
    pub const fn empty() -> KeySequence {
        KeySequence(Vec::new())
    }

    /// Whether there are no keys.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The chords.
    #[must_use]
    pub fn chords(&self) -> &[Chord] {
        &self.0
    }

    /// The chords in the domain's form, for [`cloudpos_domain::ports::KeySender::send`].
    #[must_use]
    pub fn key_chords(&self) -> Vec<KeyChord> {
        self.0.iter().map(Chord::to_key_chord).collect()
    }

    /// Parses chords separated by commas or white space (`F12, Ctrl+Enter`, `F12 Ctrl+Enter`).
    /// Spaces around `+` are allowed (`Ctrl + Enter`); a comma right after `+` is the comma
    /// key (`Ctrl+,`). Empty text is the empty sequence.
    ///
    /// # Errors
    /// The first chord's [`ChordError`].
    pub fn parse(text: &str) -> Result<KeySequence, ChordError> {
        let mut chords = Vec::new();
        for token in split_sequence(text) {
            chords.push(Chord::parse(&token)?);
        }
        Ok(KeySequence(chords))
    }
}

/// Splits sequence text into chord texts.
fn split_sequence(text: &str) -> Vec<String> {
    // First glue spaces around '+' ("Ctrl + E" -> "Ctrl+E").
    let mut glued = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_whitespace() {
            let prev = chars[..i].iter().rev().find(|c| !c.is_whitespace());
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if prev == Some(&'+') || next == Some(&'+') {
                continue;
            }
        }
        glued.push(c);
    }
    let mut tokens = Vec::new();
    let mut current = String::new();
    for c in glued.chars() {
        let is_sep = c.is_whitespace() || (c == ',' && !current.ends_with('+')) || c == '，';
        if is_sep {
            if !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

impl fmt::Display for KeySequence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, chord) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{chord}")?;
        }
        Ok(())
    }
}

impl FromStr for KeySequence {
    type Err = ChordError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeySequence::parse(s)
    }
}

impl From<Vec<Chord>> for KeySequence {
    fn from(chords: Vec<Chord>) -> Self {
        KeySequence(chords)
    }
}

impl Serialize for KeySequence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for KeySequence {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// An array of chords, or one string in sequence notation.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            List(Vec<String>),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::List(items) => items
                .iter()
                .map(|t| Chord::parse(t))
                .collect::<Result<Vec<_>, _>>()
                .map(KeySequence)
                .map_err(serde::de::Error::custom),
            Raw::Text(text) => KeySequence::parse(&text).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests;
