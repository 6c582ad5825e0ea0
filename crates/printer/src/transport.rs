//! Sending bytes to a device: files and device nodes, serial ports, raw TCP, CUPS and the
//! Windows spooler. Every function here blocks; call it from a blocking thread. Each one
//! has a deadline, so a dead printer costs a timeout error, never a hung till.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Duration;

use crate::encode::cmd;
use crate::error::{PrintError, io_error};
use crate::uri::{DeviceUri, FlowControl, Parity, SerialConfig};

/// How long a write to a file or device node may take before giving up.
pub const FILE_TIMEOUT: Duration = Duration::from_secs(20);
/// How long `lp` may take to accept a job.
pub const CUPS_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait for a `DLE EOT` status answer.
pub const STATUS_TIMEOUT: Duration = Duration::from_millis(500);

/// Sends `bytes` to the device at `uri` (a [`DeviceUri`] string).
pub fn send_to(uri: &str, bytes: &[u8]) -> Result<(), PrintError> {
    send(&uri.parse()?, bytes)
}

/// Sends `bytes` to a device, as one job.
pub fn send(uri: &DeviceUri, bytes: &[u8]) -> Result<(), PrintError> {
    match uri {
        DeviceUri::File { path } => send_file(path, bytes),
        DeviceUri::Serial(c) => send_serial(c, bytes),
        DeviceUri::Tcp {
            host,
            port,
            timeout,
            status,
        } => send_tcp(host, *port, *timeout, *status, bytes),
        DeviceUri::Cups { queue } => send_cups(queue, bytes),
        DeviceUri::Spooler { name } => send_spooler(name, bytes),
    }
}

/// Runs `f` on a helper thread and gives up after `timeout` (the thread is left to finish
/// or fail on its own; blocking device writes cannot be interrupted portably).
fn with_deadline<T: Send + 'static>(
    what: &str,
    timeout: Duration,
    f: impl FnOnce() -> Result<T, PrintError> + Send + 'static,
) -> Result<T, PrintError> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("cloudpos-printer-io".into())
        .spawn(move || {
            let _ = tx.send(f());
        });
    if let Err(e) = spawned {
        return Err(PrintError::Io(format!(
            "{what}: cannot start the I/O thread: {e}"
        )));
    }
    match rx.recv_timeout(timeout) {
        Ok(r) => r,
        Err(_) => Err(PrintError::Timeout(format!(
            "{what}: no progress after {} s (the printer is off, offline, out of paper or jammed)",
            timeout.as_secs()
        ))),
    }
}

/// Whether `path` names a device rather than a regular file (open it, never create it).
fn is_device_path(path: &str) -> bool {
    let upper = path.trim_end_matches(':').to_ascii_uppercase();
    let dos_device = ["LPT", "COM"].iter().any(|p| {
        upper
            .strip_prefix(p)
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    }) || upper == "PRN";
    path.starts_with("/dev/") || path.starts_with(r"\\.\") || path.starts_with("//./") || dos_device
}

fn send_file(path: &str, bytes: &[u8]) -> Result<(), PrintError> {
    let what = format!("printer file {path}");
    let path = path.to_owned();
    let data = bytes.to_vec();
    let inner = what.clone();
    with_deadline(&what, FILE_TIMEOUT, move || {
        let what = inner;
        let mut opts = std::fs::OpenOptions::new();
        if is_device_path(&path) {
            opts.write(true);
        } else {
            opts.append(true).create(true);
        }
        let mut f = opts.open(&path).map_err(|e| io_error(&what, &e))?;
        f.write_all(&data).map_err(|e| io_error(&what, &e))?;
        f.flush().map_err(|e| io_error(&what, &e))
    })
}

fn serial_error(port: &str, e: &serialport::Error) -> PrintError {
    let what = format!("serial port {port}");
    match &e.kind {
        serialport::ErrorKind::NoDevice => {
            let d = e.description.to_ascii_lowercase();
            if d.contains("busy") || d.contains("denied") || d.contains("lock") {
                PrintError::Busy(format!(
                    "{what} is busy: another program (or another printer setting) has it open"
                ))
            } else {
                PrintError::NoSuchDevice(format!("{what}: no such port ({})", e.description))
            }
        }
        serialport::ErrorKind::InvalidInput => {
            PrintError::InvalidSettings(format!("{what}: {}", e.description))
        }
        serialport::ErrorKind::Io(kind) => {
            io_error(&what, &std::io::Error::new(*kind, e.description.clone()))
        }
        serialport::ErrorKind::Unknown => PrintError::Io(format!("{what}: {}", e.description)),
    }
}

fn send_serial(c: &SerialConfig, bytes: &[u8]) -> Result<(), PrintError> {
    let data_bits = match c.data_bits {
        5 => serialport::DataBits::Five,
        6 => serialport::DataBits::Six,
        7 => serialport::DataBits::Seven,
        _ => serialport::DataBits::Eight,
    };
    let parity = match c.parity {
        Parity::None => serialport::Parity::None,
        Parity::Odd => serialport::Parity::Odd,
        Parity::Even => serialport::Parity::Even,
    };
    let stop_bits = if c.stop_bits == 2 {
        serialport::StopBits::Two
    } else {
        serialport::StopBits::One
    };
    let flow = match c.flow {
        FlowControl::None => serialport::FlowControl::None,
        FlowControl::Software => serialport::FlowControl::Software,
        FlowControl::Hardware => serialport::FlowControl::Hardware,
    };
    let mut port = serialport::new(&c.port, c.baud)
        .data_bits(data_bits)
        .parity(parity)
        .stop_bits(stop_bits)
        .flow_control(flow)
        .timeout(c.timeout)
        .open()
        .map_err(|e| serial_error(&c.port, &e))?;
    let what = format!("serial port {}", c.port);
    if c.status {
        port.set_timeout(STATUS_TIMEOUT)
            .map_err(|e| serial_error(&c.port, &e))?;
        check_status(&mut port, &what)?;
        port.set_timeout(c.timeout)
            .map_err(|e| serial_error(&c.port, &e))?;
    }
    port.write_all(bytes).map_err(|e| io_error(&what, &e))?;
    port.flush().map_err(|e| io_error(&what, &e))
}

fn send_tcp(
    host: &str,
    port: u16,
    timeout: Duration,
    status: bool,
    bytes: &[u8],
) -> Result<(), PrintError> {
    let what = if host.contains(':') {
        format!("network printer [{host}]:{port}")
    } else {
        format!("network printer {host}:{port}")
    };
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| {
            PrintError::NoSuchDevice(format!("{what}: cannot resolve the host name ({e})"))
        })?
        .collect();
    let mut last = None;
    let mut stream = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let mut stream = match (stream, last) {
        (Some(s), _) => s,
        (None, Some(e)) => return Err(io_error(&what, &e)),
        (None, None) => {
            return Err(PrintError::NoSuchDevice(format!(
                "{what}: the host has no address"
            )));
        }
    };
    let io = |e: std::io::Error| io_error(&what, &e);
    stream.set_nodelay(true).map_err(io)?;
    stream.set_write_timeout(Some(timeout)).map_err(io)?;
    if status {
        stream.set_read_timeout(Some(STATUS_TIMEOUT)).map_err(io)?;
        check_status(&mut stream, &what)?;
    }
    stream.write_all(bytes).map_err(io)?;
    stream.flush().map_err(io)?;
    let _ = stream.shutdown(std::net::Shutdown::Write);
    Ok(())
}

/// Asks `DLE EOT 1/2/4` and turns a reported problem into [`PrintError::Fault`]. A printer
/// that does not answer (many do not over every transport) is assumed ready.
fn check_status(io: &mut (impl Read + Write), what: &str) -> Result<(), PrintError> {
    let mut ask = |q: &[u8]| -> Option<u8> {
        io.write_all(q).ok()?;
        io.flush().ok()?;
        let mut b = [0u8; 1];
        match io.read(&mut b) {
            // Status bytes have bit 1 and bit 4 set and bits 0 and 7 clear.
            Ok(1) if b[0] & 0x93 == 0x12 => Some(b[0]),
            _ => None,
        }
    };
    let Some(printer) = ask(cmd::STATUS_PRINTER) else {
        return Ok(());
    };
    let paper = ask(cmd::STATUS_PAPER).unwrap_or(0);
    if paper & 0x60 != 0 {
        return Err(PrintError::Fault(format!(
            "{what}: the printer is out of paper"
        )));
    }
    if printer & 0x08 != 0 {
        let cause = ask(cmd::STATUS_OFFLINE).unwrap_or(0);
        let why = if cause & 0x04 != 0 {
            "the cover is open"
        } else if cause & 0x20 != 0 {
            "it is out of paper"
        } else if cause & 0x40 != 0 {
            "of an error (cutter jam or overheating)"
        } else {
            "of an unknown reason"
        };
        return Err(PrintError::Fault(format!(
            "{what}: the printer is offline because {why}"
        )));
    }
    Ok(())
}

#[cfg(unix)]
fn send_cups(queue: &str, bytes: &[u8]) -> Result<(), PrintError> {
    use std::process::{Command, Stdio};
    let what = format!("CUPS queue \"{queue}\"");
    let mut child = Command::new("lp")
        .args(["-d", queue, "-o", "raw", "-t", "CloudPOS receipt"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                PrintError::NotConfigured(
                    "the `lp` command is missing: install CUPS (e.g. apt-get install cups-client)"
                        .into(),
                )
            } else {
                PrintError::Io(format!("{what}: cannot run lp: {e}"))
            }
        })?;
    let mut stdin = child.stdin.take();
    let data = bytes.to_vec();
    let writer = std::thread::spawn(move || {
        if let Some(s) = stdin.as_mut() {
            let _ = s.write_all(&data);
        }
        drop(stdin);
    });
    let deadline = std::time::Instant::now() + CUPS_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PrintError::Timeout(format!(
                    "{what}: lp did not finish in {} s (is cupsd stuck?)",
                    CUPS_TIMEOUT.as_secs()
                )));
            }
            Err(e) => return Err(PrintError::Io(format!("{what}: waiting for lp: {e}"))),
        }
    };
    let _ = writer.join();
    let mut err = String::new();
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    if status.success() {
        return Ok(());
    }
    let err = err.trim();
    let lower = err.to_ascii_lowercase();
    Err(
        if lower.contains("does not exist") || lower.contains("not found") {
            PrintError::NoSuchDevice(format!(
                "{what} does not exist (create it, or see the queues with `lpstat -p`): {err}"
            ))
        } else if lower.contains("not accepting") {
            PrintError::Fault(format!(
                "{what} is not accepting jobs (`cupsaccept {queue}`): {err}"
            ))
        } else if lower.contains("connect")
            || lower.contains("scheduler")
            || lower.contains("no such file")
        {
            PrintError::Unreachable(format!("{what}: the CUPS scheduler is not running: {err}"))
        } else {
            PrintError::Io(format!("{what}: lp failed ({status}): {err}"))
        },
    )
}

#[cfg(not(unix))]
fn send_cups(queue: &str, _bytes: &[u8]) -> Result<(), PrintError> {
    Err(PrintError::Unsupported(format!(
        "cups:{queue}: CUPS printing works only on Linux and macOS; on Windows use spooler:PRINTER NAME"
    )))
}

#[cfg(windows)]
fn send_spooler(name: &str, bytes: &[u8]) -> Result<(), PrintError> {
    crate::spooler::print_raw(name, bytes)
}

#[cfg(not(windows))]
fn send_spooler(name: &str, _bytes: &[u8]) -> Result<(), PrintError> {
    Err(PrintError::Unsupported(format!(
        "spooler:{name}: printing through the print spooler works only on Windows; \
         on Linux or macOS use cups:QUEUE"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_paths() {
        for p in ["/dev/usb/lp0", "LPT1", "lpt2:", "COM3", r"\\.\COM10", "PRN"] {
            assert!(is_device_path(p), "{p}");
        }
        for p in ["/tmp/out.bin", "receipt.bin", "COMX", "C:\\out.bin"] {
            assert!(!is_device_path(p), "{p}");
        }
    }

    #[test]
    fn status_bytes_map_to_faults() {
        struct Fake {
            answers: Vec<u8>,
            asked: Vec<u8>,
        }
        impl Read for Fake {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.answers.is_empty() {
                    return Err(std::io::ErrorKind::TimedOut.into());
                }
                buf[0] = self.answers.remove(0);
                Ok(1)
            }
        }
        impl Write for Fake {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.asked.extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let run = |answers: Vec<u8>| {
            check_status(
                &mut Fake {
                    answers,
                    asked: vec![],
                },
                "p",
            )
        };
        assert_eq!(run(vec![]), Ok(()));
        assert_eq!(run(vec![0x16, 0x12]), Ok(()));
        assert!(
            matches!(run(vec![0x16, 0x72]), Err(PrintError::Fault(m)) if m.contains("out of paper"))
        );
        assert!(
            matches!(run(vec![0x1E, 0x12, 0x16]), Err(PrintError::Fault(m)) if m.contains("cover"))
        );
    }
}
