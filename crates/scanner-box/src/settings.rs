//! Scanner-box settings (盒子配置): the serial line, the framing limits, reconnection and
//! the optional amount command.
//!
//! Stored as JSON through the `Settings` port; every field has a default, so a partial or
//! older record still loads (`#[serde(default)]`). The manual's defaults: 9600 baud, 8 data
//! bits, no parity, 1 stop bit (and no flow control).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::command::AmountCommand;
use crate::error::BoxError;

/// Parity (校验位).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parity {
    /// None (无).
    #[default]
    None,
    /// Odd (奇).
    Odd,
    /// Even (偶).
    Even,
}

/// Flow control (流控制).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowControl {
    /// None.
    #[default]
    None,
    /// XON/XOFF.
    Software,
    /// RTS/CTS.
    Hardware,
}

/// The scanner box's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BoxSettings {
    /// Whether a box is used at all.
    pub enabled: bool,
    /// The port (端口号): `COM3` on Windows, `/dev/ttyUSB0` or `/dev/ttyS0` on Linux.
    pub port: String,
    /// Baud rate (波特率), default 9600.
    pub baud_rate: u32,
    /// Data bits (数据位数), 5–8, default 8.
    pub data_bits: u8,
    /// Parity (校验位), default none.
    pub parity: Parity,
    /// Stop bits (停止位), 1 or 2, default 1.
    pub stop_bits: u8,
    /// Flow control, default none.
    pub flow_control: FlowControl,
    /// The longest code accepted (default 128); longer lines are discarded.
    pub max_code_len: usize,
    /// A partial line older than this when more bytes arrive is discarded (default 500 ms;
    /// a box sends a whole code in one burst).
    pub partial_timeout_ms: u32,
    /// First reconnection delay after the box is lost (default 250 ms), doubled after each
    /// failed attempt…
    pub reconnect_min_ms: u32,
    /// …up to this (default 5000 ms).
    pub reconnect_max_ms: u32,
    /// 开启盒子播报: send the amount command after a payment.
    pub announce: bool,
    /// The amount command template (see [`AmountCommand`]); its format depends on the box
    /// model.
    pub amount_command: String,
}

impl Default for BoxSettings {
    fn default() -> Self {
        BoxSettings {
            enabled: false,
            port: String::new(),
            baud_rate: 9600,
            data_bits: 8,
            parity: Parity::None,
            stop_bits: 1,
            flow_control: FlowControl::None,
            max_code_len: 128,
            partial_timeout_ms: 500,
            reconnect_min_ms: 250,
            reconnect_max_ms: 5000,
            announce: false,
            amount_command: AmountCommand::DEFAULT_TEMPLATE.to_owned(),
        }
    }
}

/// Baud rates a serial box may use.
pub const BAUD_RANGE: std::ops::RangeInclusive<u32> = 300..=921_600;

impl BoxSettings {
    /// Settings for a port with the manual's defaults, enabled.
    #[must_use]
    pub fn for_port(port: impl Into<String>) -> BoxSettings {
        BoxSettings {
            enabled: true,
            port: port.into(),
            ..BoxSettings::default()
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`BoxError::InvalidSettings`] naming the field.
    pub fn validate(&self) -> Result<(), BoxError> {
        let bad = |m: String| Err(BoxError::InvalidSettings(m));
        if self.port.trim().is_empty() {
            return bad("choose the box's port (e.g. COM3, /dev/ttyUSB0)".into());
        }
        if !BAUD_RANGE.contains(&self.baud_rate) {
            return bad(format!(
                "baud rate {} is out of range ({}–{}; boxes usually use 9600)",
                self.baud_rate,
                BAUD_RANGE.start(),
                BAUD_RANGE.end()
            ));
        }
        if !(5..=8).contains(&self.data_bits) {
            return bad(format!("data bits must be 5–8, not {}", self.data_bits));
        }
        if !(1..=2).contains(&self.stop_bits) {
            return bad(format!("stop bits must be 1 or 2, not {}", self.stop_bits));
        }
        if !(8..=4096).contains(&self.max_code_len) {
            return bad(format!(
                "the longest code must be 8–4096 characters, not {}",
                self.max_code_len
            ));
        }
        if !(20..=60_000).contains(&self.partial_timeout_ms) {
            return bad(format!(
                "the partial-line timeout must be 20–60000 ms, not {}",
                self.partial_timeout_ms
            ));
        }
        if self.reconnect_min_ms < 10
            || self.reconnect_max_ms < self.reconnect_min_ms
            || self.reconnect_max_ms > 600_000
        {
            return bad(format!(
                "reconnection delays must satisfy 10 ≤ first ({}) ≤ longest ({}) ≤ 600000 ms",
                self.reconnect_min_ms, self.reconnect_max_ms
            ));
        }
        AmountCommand::parse(&self.amount_command)?;
        Ok(())
    }

    /// The partial-line timeout.
    #[must_use]
    pub fn partial_timeout(&self) -> Duration {
        Duration::from_millis(u64::from(self.partial_timeout_ms))
    }

    /// The serialport builder for these settings (not validated).
    #[must_use]
    pub(crate) fn builder(&self, read_timeout: Duration) -> serialport::SerialPortBuilder {
        serialport::new(self.port.trim(), self.baud_rate)
            .data_bits(match self.data_bits {
                5 => serialport::DataBits::Five,
                6 => serialport::DataBits::Six,
                7 => serialport::DataBits::Seven,
                _ => serialport::DataBits::Eight,
            })
            .parity(match self.parity {
                Parity::None => serialport::Parity::None,
                Parity::Odd => serialport::Parity::Odd,
                Parity::Even => serialport::Parity::Even,
            })
            .stop_bits(if self.stop_bits == 2 {
                serialport::StopBits::Two
            } else {
                serialport::StopBits::One
            })
            .flow_control(match self.flow_control {
                FlowControl::None => serialport::FlowControl::None,
                FlowControl::Software => serialport::FlowControl::Software,
                FlowControl::Hardware => serialport::FlowControl::Hardware,
            })
            .timeout(read_timeout)
    }
}

impl fmt::Display for BoxSettings {
    /// `COM3 9600 8N1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parity = match self.parity {
            Parity::None => 'N',
            Parity::Odd => 'O',
            Parity::Even => 'E',
        };
        write!(
            f,
            "{} {} {}{}{}",
            self.port, self.baud_rate, self.data_bits, parity, self.stop_bits
        )
    }
}

/// The serial ports the system knows (for the port list of the settings page). Empty when
/// they cannot be listed.
#[must_use]
pub fn list_ports() -> Vec<String> {
    serialport::available_ports()
        .map(|ports| ports.into_iter().map(|p| p.port_name).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_defaults() {
        let s = BoxSettings::default();
        assert_eq!(
            (s.baud_rate, s.data_bits, s.parity, s.stop_bits),
            (9600, 8, Parity::None, 1)
        );
        assert_eq!(s.flow_control, FlowControl::None);
        assert!(!s.enabled);
        assert_eq!(BoxSettings::for_port("COM3").to_string(), "COM3 9600 8N1");
    }

    #[test]
    fn validation_names_the_field() {
        let ok = BoxSettings::for_port("COM3");
        assert!(ok.validate().is_ok());
        let cases: Vec<(BoxSettings, &str)> = vec![
            (
                BoxSettings {
                    port: " ".into(),
                    ..ok.clone()
                },
                "port",
            ),
            (
                BoxSettings {
                    baud_rate: 0,
                    ..ok.clone()
                },
                "baud",
            ),
            (
                BoxSettings {
                    data_bits: 9,
                    ..ok.clone()
                },
                "data bits",
            ),
            (
                BoxSettings {
                    stop_bits: 3,
                    ..ok.clone()
                },
                "stop bits",
            ),
            (
                BoxSettings {
                    max_code_len: 2,
                    ..ok.clone()
                },
                "longest code",
            ),
            (
                BoxSettings {
                    partial_timeout_ms: 1,
                    ..ok.clone()
                },
                "partial-line",
            ),
            (
                BoxSettings {
                    reconnect_min_ms: 900,
                    reconnect_max_ms: 100,
                    ..ok.clone()
                },
                "reconnection",
            ),
            (
                BoxSettings {
                    amount_command: "AMOUNT:{cents}".into(),
                    ..ok.clone()
                },
                "{cents}",
            ),
        ];
        for (settings, word) in cases {
            let e = settings.validate().unwrap_err().to_string();
            assert!(e.contains(word), "{e} should mention {word}");
        }
    }

    #[test]
    fn json_round_trip_and_partial_records() {
        let s = BoxSettings {
            parity: Parity::Even,
            stop_bits: 2,
            announce: true,
            ..BoxSettings::for_port("/dev/ttyUSB0")
        };
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["parity"], "even");
        assert_eq!(json["baud_rate"], 9600);
        assert_eq!(serde_json::from_value::<BoxSettings>(json).unwrap(), s);
        let partial: BoxSettings =
            serde_json::from_str(r#"{"enabled": true, "port": "COM4"}"#).unwrap();
        assert_eq!(partial, BoxSettings::for_port("COM4"));
        assert!(serde_json::from_str::<BoxSettings>(r#"{"parity": "mark"}"#).is_err());
    }

    #[test]
    fn builder_carries_the_line_settings() {
        let s = BoxSettings {
            data_bits: 7,
            parity: Parity::Odd,
            stop_bits: 2,
            flow_control: FlowControl::Hardware,
            ..BoxSettings::for_port("COM5")
        };
        let b = s.builder(Duration::from_millis(100));
        let dbg = format!("{b:?}");
        assert!(
            dbg.contains("Seven")
                && dbg.contains("Odd")
                && dbg.contains("Two")
                && dbg.contains("Hardware"),
            "{dbg}"
        );
    }
}
