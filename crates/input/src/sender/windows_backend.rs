//! Windows: `SendInput`.

use crate::error::InputError;
use crate::notation::Chord;
use crate::win;

/// Presses keys with `SendInput` (stateless).
pub(crate) struct Injector;

impl Injector {
    /// `_display` is an X11 notion and ignored.
    #[allow(clippy::unnecessary_wraps, clippy::needless_pass_by_value)]
    pub(crate) fn new(_display: Option<String>) -> Result<Injector, InputError> {
        Ok(Injector)
    }

    #[allow(clippy::unused_self)]
    pub(crate) fn press(&mut self, chord: &Chord) -> Result<(), InputError> {
        win::send_chord(chord)
    }
}
