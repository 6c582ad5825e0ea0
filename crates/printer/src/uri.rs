//! Device URIs: where the receipt bytes go.
//!
//! The grammar (scheme names are case-insensitive; everything else is taken as written):
//!
//! ```text
//! device     = file / serial / tcp / cups / spooler
//! file       = "file:" PATH
//!                 ; any file or device node, verbatim: /dev/usb/lp0, /dev/lp0, LPT1,
//!                 ; \\.\COM3, /tmp/receipt.bin. "file:///dev/lp0" also works.
//! serial     = "serial:" PORT [ "?" param *( "&" param ) ]
//!                 ; PORT: COM3, /dev/ttyUSB0, /dev/ttyS0
//! param      = "baud=" 1*DIGIT                     ; default 9600 (1200–921600)
//!            / "data=" ("5" / "6" / "7" / "8")     ; default 8
//!            / "parity=" ("none" / "odd" / "even") ; default none
//!            / "stop=" ("1" / "2")                 ; default 1
//!            / "flow=" ("none" / "software" / "hardware") ; default none
//!            / "timeout=" 1*DIGIT                  ; write timeout in seconds, default 10
//!            / "status=" ("on" / "off")            ; ask DLE EOT status first, default off
//! tcp        = "tcp:" HOST ":" PORT [ "?" tparam *( "&" tparam ) ]
//!                 ; HOST: name, IPv4, or [IPv6]; raw printing port is usually 9100
//! tparam     = "timeout=" 1*DIGIT                  ; connect and write timeout, default 5 s
//!            / "status=" ("on" / "off")
//! cups       = "cups:" QUEUE                      ; Linux/macOS: `lp -d QUEUE -o raw`
//! spooler    = "spooler:" NAME                    ; Windows: the printer's name, verbatim
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::error::PrintError;

/// Parity of a serial line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Parity {
    /// No parity bit.
    None,
    /// Odd parity.
    Odd,
    /// Even parity.
    Even,
}

/// Flow control of a serial line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowControl {
    /// None.
    None,
    /// XON/XOFF.
    Software,
    /// RTS/CTS.
    Hardware,
}

/// A serial port and its line settings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SerialConfig {
    /// Port name or path (`COM3`, `/dev/ttyUSB0`).
    pub port: String,
    /// Baud rate.
    pub baud: u32,
    /// Data bits, 5–8.
    pub data_bits: u8,
    /// Parity.
    pub parity: Parity,
    /// Stop bits, 1 or 2.
    pub stop_bits: u8,
    /// Flow control.
    pub flow: FlowControl,
    /// Write timeout.
    pub timeout: Duration,
    /// Query the printer's status (`DLE EOT`) before printing.
    pub status: bool,
}

/// Where receipts are sent. Parse with [`str::parse`]; [`fmt::Display`] gives the canonical
/// text, which parses back to the same value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DeviceUri {
    /// A file or device node, written in one go.
    File {
        /// The path, verbatim.
        path: String,
    },
    /// A serial port.
    Serial(SerialConfig),
    /// A raw TCP printer (port 9100).
    Tcp {
        /// Host name or address (IPv6 without brackets).
        host: String,
        /// Port.
        port: u16,
        /// Connect and write timeout.
        timeout: Duration,
        /// Query the printer's status (`DLE EOT`) before printing.
        status: bool,
    },
    /// A CUPS queue, printed with `lp -d QUEUE -o raw`.
    Cups {
        /// Queue name.
        queue: String,
    },
    /// A Windows printer, printed raw through the spooler.
    Spooler {
        /// Printer name.
        name: String,
    },
}

const DEFAULT_SERIAL_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_TCP_TIMEOUT: Duration = Duration::from_secs(5);

impl FromStr for DeviceUri {
    type Err = PrintError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason: String| PrintError::InvalidUri {
            uri: text.to_owned(),
            reason,
        };
        let t = text.trim();
        let Some((scheme, rest)) = t.split_once(':') else {
            return Err(bad(
                "expected a scheme: file:, serial:, tcp:, cups: or spooler: \
                 (e.g. serial:COM3?baud=9600, tcp:192.168.1.50:9100)"
                    .into(),
            ));
        };
        if rest.is_empty() {
            return Err(bad(format!("nothing after \"{scheme}:\"")));
        }
        if rest.chars().any(char::is_control) {
            return Err(bad("contains control characters".into()));
        }
        match scheme.to_ascii_lowercase().as_str() {
            "file" => {
                let path = match rest.strip_prefix("//") {
                    Some(p) if p.starts_with('/') => p,
                    _ => rest,
                };
                Ok(DeviceUri::File {
                    path: path.to_owned(),
                })
            }
            "serial" => parse_serial(rest).map(DeviceUri::Serial).map_err(bad),
            "tcp" => parse_tcp(rest).map_err(bad),
            "cups" => {
                if rest.len() > 127
                    || rest
                        .chars()
                        .any(|c| c.is_whitespace() || matches!(c, '/' | '\\' | '"' | '\'' | '#'))
                {
                    return Err(bad(
                        "a CUPS queue name has no spaces, slashes, quotes or '#' (see `lpstat -p`)"
                            .into(),
                    ));
                }
                Ok(DeviceUri::Cups {
                    queue: rest.to_owned(),
                })
            }
            "spooler" => Ok(DeviceUri::Spooler {
                name: rest.to_owned(),
            }),
            other => Err(bad(format!(
                "unknown scheme \"{other}\": use file:, serial:, tcp:, cups: or spooler:"
            ))),
        }
    }
}

fn split_query(rest: &str) -> (&str, Vec<(&str, &str)>, Option<&str>) {
    let (base, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let mut params = Vec::new();
    let mut malformed = None;
    if let Some(q) = query {
        for part in q.split('&').filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                Some((k, v)) => params.push((k, v)),
                None => {
                    malformed.get_or_insert(part);
                }
            }
        }
    }
    (base, params, malformed)
}

fn on_off(key: &str, v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "on" | "1" | "true" | "yes" => Ok(true),
        "off" | "0" | "false" | "no" => Ok(false),
        _ => Err(format!("{key}={v}: use on or off")),
    }
}

fn seconds(key: &str, v: &str) -> Result<Duration, String> {
    match v.parse::<u64>() {
        Ok(s @ 1..=300) => Ok(Duration::from_secs(s)),
        _ => Err(format!("{key}={v}: a whole number of seconds, 1–300")),
    }
}

fn parse_serial(rest: &str) -> Result<SerialConfig, String> {
    let (port, params, malformed) = split_query(rest);
    if let Some(m) = malformed {
        return Err(format!("parameter \"{m}\" has no value (write name=value)"));
    }
    if port.is_empty() {
        return Err("no serial port name (e.g. serial:COM3 or serial:/dev/ttyUSB0)".into());
    }
    let mut c = SerialConfig {
        port: port.to_owned(),
        baud: 9600,
        data_bits: 8,
        parity: Parity::None,
        stop_bits: 1,
        flow: FlowControl::None,
        timeout: DEFAULT_SERIAL_TIMEOUT,
        status: false,
    };
    for (k, v) in params {
        match k.to_ascii_lowercase().as_str() {
            "baud" => {
                c.baud = match v.parse::<u32>() {
                    Ok(b @ 50..=4_000_000) => b,
                    _ => return Err(format!("baud={v}: expected a rate such as 9600 or 115200")),
                }
            }
            "data" | "databits" => {
                c.data_bits = match v {
                    "5" => 5,
                    "6" => 6,
                    "7" => 7,
                    "8" => 8,
                    _ => return Err(format!("data={v}: data bits are 5, 6, 7 or 8")),
                }
            }
            "parity" => {
                c.parity = match v.to_ascii_lowercase().as_str() {
                    "none" | "n" => Parity::None,
                    "odd" | "o" => Parity::Odd,
                    "even" | "e" => Parity::Even,
                    _ => return Err(format!("parity={v}: use none, odd or even")),
                }
            }
            "stop" | "stopbits" => {
                c.stop_bits = match v {
                    "1" => 1,
                    "2" => 2,
                    _ => return Err(format!("stop={v}: stop bits are 1 or 2")),
                }
            }
            "flow" => {
                c.flow = match v.to_ascii_lowercase().as_str() {
                    "none" => FlowControl::None,
                    "software" | "xonxoff" => FlowControl::Software,
                    "hardware" | "rtscts" => FlowControl::Hardware,
                    _ => return Err(format!("flow={v}: use none, software or hardware")),
                }
            }
            "timeout" => c.timeout = seconds(k, v)?,
            "status" => c.status = on_off(k, v)?,
            _ => {
                return Err(format!(
                    "unknown serial parameter \"{k}\" (known: baud, data, parity, stop, flow, timeout, status)"
                ));
            }
        }
    }
    Ok(c)
}

fn parse_tcp(rest: &str) -> Result<DeviceUri, String> {
    let (addr, params, malformed) = split_query(rest);
    if let Some(m) = malformed {
        return Err(format!("parameter \"{m}\" has no value (write name=value)"));
    }
    let addr = addr.strip_prefix("//").unwrap_or(addr);
    let (host, port) = if let Some(v6) = addr.strip_prefix('[') {
        let Some((h, p)) = v6.split_once("]:") else {
            return Err("write an IPv6 address as [addr]:port".into());
        };
        (h, p)
    } else {
        match addr.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, p),
            Some(_) => return Err("write an IPv6 address as [addr]:port".into()),
            None => return Err("expected HOST:PORT, e.g. tcp:192.168.1.50:9100".into()),
        }
    };
    if host.is_empty() {
        return Err("no host name or address".into());
    }
    if host
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, '/' | '@' | '?' | '#'))
    {
        return Err(format!("\"{host}\" is not a host name or address"));
    }
    let port = match port.parse::<u16>() {
        Ok(p) if p > 0 => p,
        _ => {
            return Err(format!(
                "port \"{port}\" is not 1–65535 (raw printing uses 9100)"
            ));
        }
    };
    let mut timeout = DEFAULT_TCP_TIMEOUT;
    let mut status = false;
    for (k, v) in params {
        match k.to_ascii_lowercase().as_str() {
            "timeout" => timeout = seconds(k, v)?,
            "status" => status = on_off(k, v)?,
            _ => {
                return Err(format!(
                    "unknown tcp parameter \"{k}\" (known: timeout, status)"
                ));
            }
        }
    }
    Ok(DeviceUri::Tcp {
        host: host.to_owned(),
        port,
        timeout,
        status,
    })
}

impl fmt::Display for DeviceUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceUri::File { path } => write!(f, "file:{path}"),
            DeviceUri::Serial(c) => {
                let parity = match c.parity {
                    Parity::None => "none",
                    Parity::Odd => "odd",
                    Parity::Even => "even",
                };
                let flow = match c.flow {
                    FlowControl::None => "none",
                    FlowControl::Software => "software",
                    FlowControl::Hardware => "hardware",
                };
                write!(
                    f,
                    "serial:{}?baud={}&data={}&parity={parity}&stop={}&flow={flow}",
                    c.port, c.baud, c.data_bits, c.stop_bits
                )?;
                if c.timeout != DEFAULT_SERIAL_TIMEOUT {
                    write!(f, "&timeout={}", c.timeout.as_secs())?;
                }
                if c.status {
                    f.write_str("&status=on")?;
                }
                Ok(())
            }
            DeviceUri::Tcp {
                host,
                port,
                timeout,
                status,
            } => {
                if host.contains(':') {
                    write!(f, "tcp:[{host}]:{port}")?;
                } else {
                    write!(f, "tcp:{host}:{port}")?;
                }
                let mut sep = '?';
                if *timeout != DEFAULT_TCP_TIMEOUT {
                    write!(f, "{sep}timeout={}", timeout.as_secs())?;
                    sep = '&';
                }
                if *status {
                    write!(f, "{sep}status=on")?;
                }
                Ok(())
            }
            DeviceUri::Cups { queue } => write!(f, "cups:{queue}"),
            DeviceUri::Spooler { name } => write!(f, "spooler:{name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> DeviceUri {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_every_scheme() {
        assert_eq!(
            p("file:/dev/usb/lp0"),
            DeviceUri::File {
                path: "/dev/usb/lp0".into()
            }
        );
        assert_eq!(
            p("FILE:///dev/lp0"),
            DeviceUri::File {
                path: "/dev/lp0".into()
            }
        );
        assert_eq!(
            p(r"file:\\.\COM3"),
            DeviceUri::File {
                path: r"\\.\COM3".into()
            }
        );
        assert_eq!(
            p("file:LPT1"),
            DeviceUri::File {
                path: "LPT1".into()
            }
        );
        let DeviceUri::Serial(c) =
            p("serial:COM3?baud=19200&parity=even&data=7&stop=2&flow=hardware")
        else {
            panic!()
        };
        assert_eq!(
            (c.port.as_str(), c.baud, c.data_bits, c.stop_bits),
            ("COM3", 19200, 7, 2)
        );
        assert_eq!(
            (c.parity, c.flow, c.status),
            (Parity::Even, FlowControl::Hardware, false)
        );
        let DeviceUri::Serial(d) = p("serial:/dev/ttyUSB0") else {
            panic!()
        };
        assert_eq!(
            (d.baud, d.data_bits, d.parity, d.stop_bits),
            (9600, 8, Parity::None, 1)
        );
        assert_eq!(
            p("tcp:192.168.1.50:9100"),
            DeviceUri::Tcp {
                host: "192.168.1.50".into(),
                port: 9100,
                timeout: Duration::from_secs(5),
                status: false
            }
        );
        assert_eq!(
            p("tcp:[::1]:9100?timeout=3&status=on"),
            DeviceUri::Tcp {
                host: "::1".into(),
                port: 9100,
                timeout: Duration::from_secs(3),
                status: true
            }
        );
        assert_eq!(
            p("cups:POS58"),
            DeviceUri::Cups {
                queue: "POS58".into()
            }
        );
        assert_eq!(
            p("spooler:XP-58 (copy 1)"),
            DeviceUri::Spooler {
                name: "XP-58 (copy 1)".into()
            }
        );
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "file:/dev/usb/lp0",
            "serial:COM3?baud=9600&data=8&parity=none&stop=1&flow=none",
            "serial:/dev/ttyS0?baud=115200&data=7&parity=odd&stop=2&flow=software&timeout=3&status=on",
            "tcp:printer.local:9100",
            "tcp:[fe80::1]:9100?timeout=9&status=on",
            "cups:POS58",
            "spooler:POS-80C",
        ] {
            assert_eq!(p(s).to_string(), s);
            assert_eq!(p(&p(s).to_string()), p(s));
        }
    }

    #[test]
    fn clear_errors() {
        let cases = [
            ("", "scheme"),
            ("COM3", "scheme"),
            ("usb:0", "unknown scheme"),
            ("serial:", "nothing after"),
            ("serial:COM3?baud=fast", "baud=fast"),
            ("serial:COM3?data=9", "data bits"),
            ("serial:COM3?parity=mark", "parity"),
            ("serial:COM3?stop=3", "stop bits"),
            ("serial:COM3?flow=magic", "flow"),
            ("serial:COM3?speed=9600", "unknown serial parameter"),
            ("serial:COM3?baud", "no value"),
            ("serial:?baud=9600", "no serial port"),
            ("tcp:10.0.0.1", "HOST:PORT"),
            ("tcp:10.0.0.1:0", "1–65535"),
            ("tcp:10.0.0.1:70000", "1–65535"),
            ("tcp::9100", "no host"),
            ("tcp:fe80::1:9100", "IPv6"),
            ("tcp:h:9100?timeout=0", "seconds"),
            ("cups:my queue", "CUPS queue"),
        ];
        for (s, want) in cases {
            let e = s.parse::<DeviceUri>().unwrap_err().to_string();
            assert!(e.contains(want), "{s}: {e}");
        }
    }
}
