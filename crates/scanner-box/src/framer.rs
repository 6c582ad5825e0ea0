//! Framing of the byte stream from a scanner box into codes, with resynchronisation.
//!
//! A box sends each code as ASCII text ended by CR, LF or CRLF, possibly split across reads.
//! [`LineFramer`] is a pure state machine fed with bytes and a monotonic timestamp:
//!
//! - CR, LF and CRLF all end a line; empty lines (the LF of a CRLF) are ignored.
//! - A line of ASCII letters and digits is a code (surrounding spaces are trimmed); a line
//!   with other printable characters is discarded as "not a code".
//! - A non-printable byte (control character other than CR/LF, or ≥ 0x80) before a line
//!   starts is skipped; inside a line it spoils the whole line, which is discarded up to the
//!   next terminator — a code with a corrupted byte in it is never reported, shortened or not.
//! - A line longer than `max_len` without a terminator is discarded up to the next terminator.
//! - When bytes arrive more than `partial_timeout` after the previous ones, an unfinished
//!   line is discarded first (a box sends a code in one burst), so noise without a terminator
//!   cannot stick to the next code.
//!
//! Every discard is reported as a [`Frame::Discarded`] for the log; nothing is silently lost.

use std::fmt;
use std::time::Duration;

/// Framing limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramerConfig {
    /// The longest code.
    pub max_len: usize,
    /// Age after which an unfinished line is stale.
    pub partial_timeout: Duration,
}

impl Default for FramerConfig {
    fn default() -> Self {
        FramerConfig {
            max_len: 128,
            partial_timeout: Duration::from_millis(500),
        }
    }
}

/// Why bytes were discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiscardReason {
    /// Non-printable bytes (noise, a wrong baud rate, a binary protocol).
    Garbage,
    /// A line with characters a code cannot have (`-`, `/`, …).
    NotACode,
    /// A line longer than the longest code.
    TooLong,
    /// An unfinished line left idle.
    Stale,
}

impl fmt::Display for DiscardReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DiscardReason::Garbage => "non-printable bytes",
            DiscardReason::NotACode => "not a code (only letters and digits)",
            DiscardReason::TooLong => "line too long",
            DiscardReason::Stale => "unfinished line, no terminator",
        })
    }
}

/// Bytes thrown away, for the log.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Discard {
    /// Why.
    pub reason: DiscardReason,
    /// How many bytes.
    pub len: usize,
    /// The first bytes, escaped (`12\x00\xff`).
    pub preview: String,
}

impl fmt::Display for Discard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "discarded {} byte(s) from the scanner box ({}): \"{}\"",
            self.len, self.reason, self.preview
        )?;
        if self.len > PREVIEW_BYTES {
            f.write_str("…")?;
        }
        Ok(())
    }
}

/// What the framer yields.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Frame {
    /// A code.
    Code(String),
    /// Bytes discarded.
    Discarded(Discard),
}

const PREVIEW_BYTES: usize = 48;

/// The framing state machine. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct LineFramer {
    config: FramerConfig,
    line: Vec<u8>,
    /// Discarded bytes being collected (preview only) and their count.
    dropped: Vec<u8>,
    dropped_len: usize,
    /// Set while skipping to the next terminator.
    skipping: Option<DiscardReason>,
    last_at: Option<Duration>,
}

impl LineFramer {
    /// A framer with these limits.
    #[must_use]
    pub fn new(config: FramerConfig) -> LineFramer {
        LineFramer {
            config,
            line: Vec::new(),
            dropped: Vec::new(),
            dropped_len: 0,
            skipping: None,
            last_at: None,
        }
    }

    /// Feeds bytes read at `now`.
    pub fn push(&mut self, bytes: &[u8], now: Duration) -> Vec<Frame> {
        let mut out = self.poll(now);
        if bytes.is_empty() {
            return out;
        }
        self.last_at = Some(now);
        for &b in bytes {
            match b {
                b'\r' | b'\n' => self.end_line(&mut out),
                0x20..=0x7e => {
                    if self.skipping.is_some() {
                        self.drop_byte(b);
                        continue;
                    }
                    if self.line.is_empty() && self.dropped_len > 0 {
                        self.emit(DiscardReason::Garbage, &mut out);
                    }
                    self.line.push(b);
                    if self.line.len() > self.config.max_len {
                        self.spoil(DiscardReason::TooLong);
                    }
                }
                _ => {
                    if self.skipping.is_none() && !self.line.is_empty() {
                        self.spoil(DiscardReason::Garbage);
                    }
                    self.drop_byte(b);
                }
            }
        }
        // Leading garbage is reported at once rather than with the next line.
        if self.skipping.is_none() && self.line.is_empty() && self.dropped_len > 0 {
            self.emit(DiscardReason::Garbage, &mut out);
        }
        out
    }

    /// Discards an unfinished line idle for longer than the partial timeout at `now`.
    pub fn poll(&mut self, now: Duration) -> Vec<Frame> {
        let mut out = Vec::new();
        let idle = self
            .last_at
            .is_some_and(|last| now.saturating_sub(last) > self.config.partial_timeout);
        if idle {
            if let Some(reason) = self.skipping.take() {
                self.emit(reason, &mut out);
            } else if !self.line.is_empty() {
                self.spoil(DiscardReason::Stale);
                self.skipping = None;
                self.emit(DiscardReason::Stale, &mut out);
            }
        }
        out
    }

    /// Forgets any unfinished line (e.g. after the box was unplugged).
    pub fn reset(&mut self) {
        self.line.clear();
        self.dropped.clear();
        self.dropped_len = 0;
        self.skipping = None;
        self.last_at = None;
    }

    fn end_line(&mut self, out: &mut Vec<Frame>) {
        if let Some(reason) = self.skipping.take() {
            self.emit(reason, out);
            return;
        }
        if self.dropped_len > 0 {
            self.emit(DiscardReason::Garbage, out);
        }
        if self.line.is_empty() {
            return;
        }
        let line = std::mem::take(&mut self.line);
        let text = String::from_utf8_lossy(&line);
        let code = text.trim_matches(' ');
        if !code.is_empty() && code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            out.push(Frame::Code(code.to_owned()));
        } else {
            for &b in &line {
                self.drop_byte(b);
            }
            self.emit(DiscardReason::NotACode, out);
        }
    }

    /// Moves the current line to the discarded bytes and skips to the next terminator.
    fn spoil(&mut self, reason: DiscardReason) {
        let line = std::mem::take(&mut self.line);
        for b in line {
            self.drop_byte(b);
        }
        self.skipping = Some(reason);
    }

    fn drop_byte(&mut self, b: u8) {
        if self.dropped.len() < PREVIEW_BYTES {
            self.dropped.push(b);
        }
        self.dropped_len += 1;
    }

    fn emit(&mut self, reason: DiscardReason, out: &mut Vec<Frame>) {
        let preview: String = self
            .dropped
            .iter()
            .flat_map(|&b| std::ascii::escape_default(b))
            .map(char::from)
            .collect();
        out.push(Frame::Discarded(Discard {
            reason,
            len: self.dropped_len,
            preview,
        }));
        self.dropped.clear();
        self.dropped_len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn codes(frames: &[Frame]) -> Vec<&str> {
        frames
            .iter()
            .filter_map(|f| match f {
                Frame::Code(c) => Some(c.as_str()),
                Frame::Discarded(_) => None,
            })
            .collect()
    }

    fn discards(frames: &[Frame]) -> Vec<(DiscardReason, usize)> {
        frames
            .iter()
            .filter_map(|f| match f {
                Frame::Discarded(d) => Some((d.reason, d.len)),
                Frame::Code(_) => None,
            })
            .collect()
    }

    fn framer() -> LineFramer {
        LineFramer::new(FramerConfig {
            max_len: 32,
            partial_timeout: ms(500),
        })
    }

    #[test]
    fn terminators() {
        let mut f = framer();
        let out = f.push(b"111\r\n222\n333\r444\r\n\r\n", ms(0));
        assert_eq!(codes(&out), vec!["111", "222", "333", "444"]);
        assert!(discards(&out).is_empty());
    }

    #[test]
    fn split_reads_are_joined() {
        let mut f = framer();
        assert!(f.push(b"2845", ms(0)).is_empty());
        assert!(f.push(b"6789012", ms(30)).is_empty());
        let out = f.push(b"34567\r", ms(60));
        assert_eq!(codes(&out), vec!["2845678901234567"]);
        // A CRLF split between reads.
        assert!(f.push(b"\n", ms(120)).is_empty());
    }

    #[test]
    fn leading_garbage_is_skipped_and_reported() {
        let mut f = framer();
        let out = f.push(b"\x00\xff\x07134567890123456789\r\n", ms(0));
        assert_eq!(codes(&out), vec!["134567890123456789"]);
        assert_eq!(discards(&out), vec![(DiscardReason::Garbage, 3)]);
        let mut f = framer();
        let out = f.push(b"\xfe\xfe", ms(0));
        assert_eq!(discards(&out), vec![(DiscardReason::Garbage, 2)]);
        if let Frame::Discarded(d) = &out[0] {
            assert_eq!(d.preview, "\\xfe\\xfe");
            assert!(d.to_string().contains("non-printable"), "{d}");
        }
    }

    #[test]
    fn garbage_inside_a_line_spoils_it() {
        let mut f = framer();
        let out = f.push(b"1345\x006789012345678\r\n999888777666555444\r\n", ms(0));
        assert_eq!(codes(&out), vec!["999888777666555444"]);
        assert_eq!(discards(&out), vec![(DiscardReason::Garbage, 18)]);
    }

    #[test]
    fn not_a_code() {
        let mut f = framer();
        let out = f.push(b"http://x.cn/a\r\n  1234  \r\n", ms(0));
        assert_eq!(codes(&out), vec!["1234"]);
        assert_eq!(discards(&out), vec![(DiscardReason::NotACode, 13)]);
    }

    #[test]
    fn overlong_lines_are_skipped_to_the_terminator() {
        let mut f = framer();
        let long = vec![b'7'; 100];
        let mut out = f.push(&long, ms(0));
        assert!(codes(&out).is_empty());
        out.extend(f.push(b"777\r\n134567890123456789\r\n", ms(10)));
        assert_eq!(codes(&out), vec!["134567890123456789"]);
        assert_eq!(discards(&out), vec![(DiscardReason::TooLong, 103)]);
    }

    #[test]
    fn stale_partials_are_dropped_when_bytes_resume() {
        let mut f = framer();
        assert!(f.push(b"AB", ms(0)).is_empty());
        let out = f.push(b"134567890123456789\r\n", ms(2000));
        assert_eq!(codes(&out), vec!["134567890123456789"]);
        assert_eq!(discards(&out), vec![(DiscardReason::Stale, 2)]);
        // An over-long line without terminator ends by timeout too.
        let mut f = framer();
        f.push(&[b'1'; 50], ms(0));
        assert_eq!(discards(&f.poll(ms(400))), vec![]);
        assert_eq!(
            discards(&f.poll(ms(600))),
            vec![(DiscardReason::TooLong, 50)]
        );
        let out = f.push(b"134567890123456789\n", ms(700));
        assert_eq!(codes(&out), vec!["134567890123456789"]);
    }

    #[test]
    fn reset_forgets() {
        let mut f = framer();
        f.push(b"123", ms(0));
        f.reset();
        assert_eq!(codes(&f.push(b"456\n", ms(1))), vec!["456"]);
    }
}
