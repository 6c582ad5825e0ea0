//! The running scanner box: a reader thread that opens the port, frames codes, reconnects
//! when the box is unplugged, and writes the amount command.

use std::io::{ErrorKind, Write as _};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use cloudpos_domain::money::Money;
use cloudpos_domain::ports::{Clock, CodeOrigin, CodeSource, ScannedCode};
use serialport::SerialPort;
use tokio::sync::{mpsc, watch};

use crate::command::AmountCommand;
use crate::error::BoxError;
use crate::framer::{Frame, FramerConfig, LineFramer};
use crate::settings::BoxSettings;

/// How often the reader wakes up without data (stop requests, stale lines).
const READ_TIMEOUT: Duration = Duration::from_millis(100);

/// The connection state, for the status bar and the settings page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoxState {
    /// Opening the port for the first time.
    Connecting,
    /// Open and reading.
    Connected {
        /// The port.
        port: String,
    },
    /// Not open; the next attempt comes after `retry_in`.
    Disconnected {
        /// Why (unplugged, no such port, busy, no permission).
        reason: String,
        /// Delay before the next attempt.
        retry_in: Duration,
    },
    /// [`ScannerBox::stop`] was called.
    Stopped,
}

impl BoxState {
    /// Whether the box is connected.
    #[must_use]
    pub fn is_connected(&self) -> bool {
        matches!(self, BoxState::Connected { .. })
    }
}

type Writer = Arc<Mutex<Option<Box<dyn SerialPort>>>>;

/// A scanner box on a serial port: a [`CodeSource`] of codes (origin
/// [`CodeOrigin::ScannerBox`]) that survives unplugging, plus the amount command.
pub struct ScannerBox {
    codes: tokio::sync::Mutex<mpsc::UnboundedReceiver<ScannedCode>>,
    state: watch::Receiver<BoxState>,
    writer: Writer,
    command: Option<AmountCommand>,
    stop: Option<std_mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ScannerBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScannerBox")
            .field("state", &*self.state.borrow())
            .finish_non_exhaustive()
    }
}

impl ScannerBox {
    /// Starts reading. The box need not be present: the reader keeps trying (see
    /// [`ScannerBox::state`]). `clock` stamps the codes.
    ///
    /// # Errors
    /// [`BoxError::Disabled`] or [`BoxError::InvalidSettings`].
    pub fn start(settings: BoxSettings, clock: Arc<dyn Clock>) -> Result<ScannerBox, BoxError> {
        if !settings.enabled {
            return Err(BoxError::Disabled);
        }
        settings.validate()?;
        let command = if settings.announce {
            Some(AmountCommand::parse(&settings.amount_command)?)
        } else {
            None
        };
        let (codes_tx, codes_rx) = mpsc::unbounded_channel();
        let (state_tx, state_rx) = watch::channel(BoxState::Connecting);
        let (stop_tx, stop_rx) = std_mpsc::channel();
        let writer: Writer = Arc::new(Mutex::new(None));
        let reader = Reader {
            settings,
            clock,
            codes: codes_tx,
            state: state_tx,
            writer: Arc::clone(&writer),
            stop: stop_rx,
        };
        let thread = std::thread::Builder::new()
            .name("cloudpos-scanner-box".into())
            .spawn(move || reader.run())
            .map_err(|e| BoxError::Os(format!("starting the scanner box reader: {e}")))?;
        Ok(ScannerBox {
            codes: tokio::sync::Mutex::new(codes_rx),
            state: state_rx,
            writer,
            command,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The connection state now.
    #[must_use]
    pub fn state(&self) -> BoxState {
        self.state.borrow().clone()
    }

    /// A receiver of state changes (for a status indicator).
    #[must_use]
    pub fn state_changes(&self) -> watch::Receiver<BoxState> {
        self.state.clone()
    }

    /// Writes the amount command for `amount` (after a payment). Blocks for the write, at
    /// most ~100 ms.
    ///
    /// # Errors
    /// [`BoxError::AnnounceOff`] when 盒子播报 is off, [`BoxError::Disconnected`] when the
    /// box is not connected, [`BoxError::Write`] when the write fails.
    pub fn send_amount(&self, amount: Money) -> Result<(), BoxError> {
        let command = self.command.as_ref().ok_or(BoxError::AnnounceOff)?;
        self.write_raw(&command.render(amount))
    }

    /// Writes bytes to the box as they are (for box-specific commands).
    ///
    /// # Errors
    /// [`BoxError::Disconnected`] or [`BoxError::Write`].
    pub fn write_raw(&self, bytes: &[u8]) -> Result<(), BoxError> {
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| BoxError::Write("the writer is broken".into()))?;
        let Some(port) = writer.as_mut() else {
            let why = match self.state() {
                BoxState::Disconnected { reason, .. } => reason,
                BoxState::Connecting => "still connecting".into(),
                BoxState::Stopped => "stopped".into(),
                BoxState::Connected { .. } => "the port cannot be written".into(),
            };
            return Err(BoxError::Disconnected(why));
        };
        port.write_all(bytes)
            .and_then(|()| port.flush())
            .map_err(|e| BoxError::Write(e.to_string()))
    }

    /// Stops reading and closes the port; [`CodeSource::next_code`] then returns the codes
    /// already read, then `None`.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ScannerBox {
    fn drop(&mut self) {
        self.stop();
    }
}

#[async_trait]
impl CodeSource for ScannerBox {
    async fn next_code(&self) -> Option<ScannedCode> {
        self.codes.lock().await.recv().await
    }
}

/// The reader thread's state.
struct Reader {
    settings: BoxSettings,
    clock: Arc<dyn Clock>,
    codes: mpsc::UnboundedSender<ScannedCode>,
    state: watch::Sender<BoxState>,
    writer: Writer,
    stop: std_mpsc::Receiver<()>,
}

impl Reader {
    fn run(self) {
        let port_name = self.settings.port.trim().to_owned();
        let mut framer = LineFramer::new(FramerConfig {
            max_len: self.settings.max_code_len,
            partial_timeout: self.settings.partial_timeout(),
        });
        let min_delay = Duration::from_millis(u64::from(self.settings.reconnect_min_ms));
        let max_delay = Duration::from_millis(u64::from(self.settings.reconnect_max_ms));
        let mut delay = min_delay;
        let epoch = Instant::now();
        let mut last_reason = String::new();
        loop {
            let reason = match self.settings.builder(READ_TIMEOUT).open() {
                Err(e) => open_error(&e, &port_name),
                Ok(mut port) => {
                    delay = min_delay;
                    last_reason.clear();
                    match port.try_clone() {
                        Ok(w) => self.set_writer(Some(w)),
                        Err(e) => {
                            tracing::warn!("scanner box {port_name}: no writer for commands: {e}");
                        }
                    }
                    tracing::info!("scanner box connected on {port_name}");
                    self.state.send_replace(BoxState::Connected {
                        port: port_name.clone(),
                    });
                    let ended = self.read(&mut *port, &mut framer, epoch);
                    self.set_writer(None);
                    framer.reset();
                    match ended {
                        Ended::Stop => break,
                        Ended::Lost(reason) => reason,
                    }
                }
            };
            if reason != last_reason {
                tracing::warn!("scanner box {port_name}: {reason}; retrying");
                last_reason.clone_from(&reason);
            }
            self.state.send_replace(BoxState::Disconnected {
                reason,
                retry_in: delay,
            });
            match self.stop.recv_timeout(delay) {
                Err(std_mpsc::RecvTimeoutError::Timeout) => {}
                Ok(()) | Err(std_mpsc::RecvTimeoutError::Disconnected) => break,
            }
            delay = (delay * 2).min(max_delay);
        }
        self.set_writer(None);
        self.state.send_replace(BoxState::Stopped);
    }

    fn set_writer(&self, port: Option<Box<dyn SerialPort>>) {
        if let Ok(mut w) = self.writer.lock() {
            *w = port;
        }
    }

    /// Reads until the port fails or a stop is requested.
    fn read(&self, port: &mut dyn SerialPort, framer: &mut LineFramer, epoch: Instant) -> Ended {
        let mut buf = [0u8; 1024];
        loop {
            match self.stop.try_recv() {
                Err(std_mpsc::TryRecvError::Empty) => {}
                Ok(()) | Err(std_mpsc::TryRecvError::Disconnected) => return Ended::Stop,
            }
            let frames = match port.read(&mut buf) {
                Ok(0) => {
                    return Ended::Lost(
                        "the box closed the line (unplugged or switched off)".into(),
                    );
                }
                Ok(n) => framer.push(&buf[..n], epoch.elapsed()),
                Err(e) if e.kind() == ErrorKind::TimedOut || e.kind() == ErrorKind::WouldBlock => {
                    framer.poll(epoch.elapsed())
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Ended::Lost(read_error(&e)),
            };
            for frame in frames {
                match frame {
                    Frame::Code(text) => {
                        tracing::info!(len = text.len(), "scanner box code");
                        let code = ScannedCode {
                            text,
                            origin: CodeOrigin::ScannerBox,
                            at: self.clock.now(),
                        };
                        if self.codes.send(code).is_err() {
                            return Ended::Stop;
                        }
                    }
                    Frame::Discarded(d) => tracing::warn!("{d}"),
                }
            }
        }
    }
}

enum Ended {
    Stop,
    Lost(String),
}

fn open_error(e: &serialport::Error, port: &str) -> String {
    match e.kind() {
        serialport::ErrorKind::NoDevice => format!("port {port} is not there (unplugged?): {e}"),
        serialport::ErrorKind::Io(ErrorKind::NotFound) => {
            format!("port {port} does not exist (unplugged, or a wrong port number): {e}")
        }
        serialport::ErrorKind::Io(ErrorKind::PermissionDenied) => format!(
            "no permission to open {port} (on Linux, add the user to the dialout group): {e}"
        ),
        _ if e.description.contains("busy") || e.description.contains("Access is denied") => {
            format!("port {port} is busy: another program has it open: {e}")
        }
        _ => format!("cannot open {port}: {e}"),
    }
}

fn read_error(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::BrokenPipe | ErrorKind::UnexpectedEof | ErrorKind::NotConnected => {
            format!("the box was unplugged or switched off ({e})")
        }
        _ => format!("reading failed, the box was probably unplugged ({e})"),
    }
}
