//! The amount command (盒子播报): bytes written to the box after a payment so that it speaks
//! or shows the amount.
//!
//! **The protocol depends on the box model** and is not standardised; the manual of the
//! original terminal supports one model (世麦 QR80SR) only. The command is therefore a
//! template in the settings, so a model's format can be entered without a new release:
//!
//! - `{yuan}` → the amount in yuan with two decimals (`12.30`);
//! - `{fen}` → the amount in fen (`1230`);
//! - `{{` and `}}` → literal braces;
//! - `\r`, `\n`, `\t`, `\\` and `\xHH` (any byte, e.g. `\x02` STX) as escapes.
//!
//! Templates are ASCII (write other bytes as `\xHH`). The default, `AMOUNT:{yuan}\r\n`, is a
//! placeholder format, not a known model's protocol.

use cloudpos_domain::money::Money;

use crate::error::BoxError;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Bytes(Vec<u8>),
    Yuan,
    Fen,
}

/// A parsed amount-command template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountCommand {
    template: String,
    parts: Vec<Part>,
}

impl AmountCommand {
    /// The default template.
    pub const DEFAULT_TEMPLATE: &'static str = "AMOUNT:{yuan}\\r\\n";

    /// Parses a template.
    ///
    /// # Errors
    /// [`BoxError::InvalidSettings`] for an unknown placeholder, a bad escape, an unclosed
    /// brace or a non-ASCII character.
    pub fn parse(template: &str) -> Result<AmountCommand, BoxError> {
        let bad =
            |m: String| BoxError::InvalidSettings(format!("amount command \"{template}\": {m}"));
        let mut parts = Vec::new();
        let mut bytes = Vec::new();
        let mut chars = template.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    bytes.push(b'{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    bytes.push(b'}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => name.push(c),
                            None => return Err(bad("a \"{\" is not closed".into())),
                        }
                    }
                    let part = match name.as_str() {
                        "yuan" => Part::Yuan,
                        "fen" => Part::Fen,
                        other => {
                            return Err(bad(format!(
                                "unknown placeholder {{{other}}}; use {{yuan}} or {{fen}}"
                            )));
                        }
                    };
                    if !bytes.is_empty() {
                        parts.push(Part::Bytes(std::mem::take(&mut bytes)));
                    }
                    parts.push(part);
                }
                '}' => return Err(bad("a \"}\" without \"{\" (write }} for a brace)".into())),
                '\\' => match chars.next() {
                    Some('r') => bytes.push(b'\r'),
                    Some('n') => bytes.push(b'\n'),
                    Some('t') => bytes.push(b'\t'),
                    Some('\\') => bytes.push(b'\\'),
                    Some('x') => {
                        let hex: String = chars.by_ref().take(2).collect();
                        let byte = u8::from_str_radix(&hex, 16)
                            .ok()
                            .filter(|_| hex.len() == 2)
                            .ok_or_else(|| {
                                bad(format!("\\x needs two hex digits, not \"{hex}\""))
                            })?;
                        bytes.push(byte);
                    }
                    Some(other) => {
                        return Err(bad(format!(
                            "unknown escape \\{other}; use \\r \\n \\t \\\\ or \\xHH"
                        )));
                    }
                    None => return Err(bad("a trailing \\".into())),
                },
                c if c.is_ascii() => bytes.push(c as u8),
                c => {
                    return Err(bad(format!(
                        "\"{c}\" is not ASCII; write its bytes as \\xHH"
                    )));
                }
            }
        }
        if !bytes.is_empty() {
            parts.push(Part::Bytes(bytes));
        }
        Ok(AmountCommand {
            template: template.to_owned(),
            parts,
        })
    }

    /// The template text.
    #[must_use]
    pub fn template(&self) -> &str {
        &self.template
    }

    /// The bytes for an amount.
    #[must_use]
    pub fn render(&self, amount: Money) -> Vec<u8> {
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Bytes(b) => out.extend_from_slice(b),
                Part::Yuan => out.extend_from_slice(amount.to_yuan_string().as_bytes()),
                Part::Fen => out.extend_from_slice(amount.fen().to_string().as_bytes()),
            }
        }
        out
    }
}

impl Default for AmountCommand {
    fn default() -> Self {
        AmountCommand::parse(AmountCommand::DEFAULT_TEMPLATE).expect("the default template parses")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_placeholders_and_escapes() {
        let c = AmountCommand::default();
        assert_eq!(c.render(Money::from_fen(1230)), b"AMOUNT:12.30\r\n");
        let c = AmountCommand::parse("\\x02P{fen}{{x}}\\x03\\t\\\\").unwrap();
        assert_eq!(c.render(Money::from_fen(5)), b"\x02P5{x}\x03\t\\");
        assert_eq!(
            AmountCommand::parse("").unwrap().render(Money::from_fen(1)),
            b""
        );
    }

    #[test]
    fn clear_errors() {
        for (template, word) in [
            ("{cents}", "unknown placeholder"),
            ("{yuan", "not closed"),
            ("x}", "without"),
            ("\\q", "unknown escape"),
            ("\\x4", "two hex digits"),
            ("\\xZZ", "two hex digits"),
            ("a\\", "trailing"),
            ("金额{yuan}", "not ASCII"),
        ] {
            let e = AmountCommand::parse(template).unwrap_err().to_string();
            assert!(e.contains(word), "{template}: {e}");
        }
    }
}
