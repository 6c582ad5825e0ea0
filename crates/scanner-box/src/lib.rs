//! Serial scanner boxes (扫码盒子): a box reads the customer's payment code and sends it over
//! a serial line (a real COM port, or USB-serial) as text ended by CR, LF or CRLF.
//!
//! - [`settings`]: [`BoxSettings`], the 盒子配置 page (port, 9600 8N1 by default, flow
//!   control, framing limits, reconnection delays, 盒子播报);
//! - [`framer`]: [`LineFramer`], a pure state machine from bytes to codes that joins partial
//!   reads and resynchronises after garbage, over-long or stale lines;
//! - [`scanner`]: [`ScannerBox`], the running reader: the
//!   [`CodeSource`](cloudpos_domain::ports::CodeSource) of box codes, with reconnection and a
//!   [`BoxState`] to show, and the amount command writer;
//! - [`command`]: [`AmountCommand`], the configurable template for boxes that speak or show
//!   the amount (the protocol depends on the box model).
//!
//! The key decision is a reader that **never gives up**: the box may be absent at start,
//! unplugged and plugged back; the reader retries with backoff (250 ms doubling to 5 s by
//! default) and reports why it is disconnected instead of failing. The price is that a wrong
//! port number shows up as a lasting "disconnected: port does not exist" state rather than an
//! error at start; the settings page should show [`ScannerBox::state`].
//!
//! Framing rule: a code is ASCII letters and digits only. A line with a corrupted byte is
//! dropped whole (never reported shortened), and every discard is logged with a preview.
//!
//! `serialport` is built without `libudev` (`default-features = false`), so nothing beyond
//! the Rust toolchain is needed on Linux; [`list_ports`] scans `/sys/class/tty` there.

pub mod command;
pub mod error;
pub mod framer;
pub mod scanner;
pub mod settings;

pub use command::AmountCommand;
pub use error::BoxError;
pub use framer::{Discard, DiscardReason, Frame, FramerConfig, LineFramer};
pub use scanner::{BoxState, ScannerBox};
pub use settings::{BoxSettings, FlowControl, Parity, list_ports};
