//! The cashier's embedded fallback fonts, for PCs without Chinese fonts.
//!
//! A Windows installation without a CJK font (some LTSC and server images, a fresh Wine
//! prefix) would make the cashier draw every label blank: iced finds no face with the
//! glyphs. The cashier therefore loads these two subsets at start and uses them when the
//! system has no CJK family (and, for numbers, no monospaced face):
//!
//! - [`CJK_FALLBACK`], family [`CJK_FALLBACK_FAMILY`]: Noto Sans CJK SC Regular (SIL OFL
//!   1.1), subset to ASCII, Latin-1, CJK punctuation, fullwidth forms, all 6,763 hanzi of
//!   GB 2312 and every character of the cashier's own labels; about 1.5 MB.
//! - [`MONO_FALLBACK`], family [`MONO_FALLBACK_FAMILY`]: DejaVu Sans Mono (Bitstream Vera
//!   licence), subset to ASCII, Latin-1, punctuation, arrows and symbols; about 90 KB.
//!
//! Both are renamed, as their licences require of modified fonts; the licences and the
//! script that made them are in `fonts/` (`build_ui_fallback.py`, see `fonts/README.md`).
//! Characters outside the subsets (rare hanzi, traditional forms) still need a system font.

/// Family name of [`CJK_FALLBACK`].
pub const CJK_FALLBACK_FAMILY: &str = "CloudPOS CJK Fallback";

/// The CJK fallback font (OpenType, CFF outlines).
pub static CJK_FALLBACK: &[u8] = include_bytes!("../fonts/cloudpos-cjk-fallback.otf");

/// Family name of [`MONO_FALLBACK`].
pub const MONO_FALLBACK_FAMILY: &str = "CloudPOS Mono Fallback";

/// The monospaced fallback font (TrueType outlines).
pub static MONO_FALLBACK: &[u8] = include_bytes!("../fonts/cloudpos-mono-fallback.ttf");
