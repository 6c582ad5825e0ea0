//! AT-SPI (the Linux accessibility bus): the texts of the element under the centre of a
//! region, for reading the host program's total from its text box (003's 文本框抓取) instead
//! of the screen pixels.
//!
//! The accessibility bus is a D-Bus bus of its own, found through the session bus
//! (`org.a11y.Bus.GetAddress`, which starts it on demand). Applications that publish an
//! accessibility tree (GTK 3/4 always; Qt, Electron and Java when accessibility is on)
//! register with its registry. A read walks the registry's applications (skipping this
//! process), finds the top-level window containing the point (`Component.Contains`), descends
//! with `Component.GetAccessibleAtPoint` to the deepest element there, and collects, in this
//! order, its `Text` interface's text (entries, labels, text views) and its `Name`.
//!
//! Calls go through `atspi-proxies` (typed proxies of the AT-SPI interfaces) over `zbus`'s
//! blocking API. The connection is made on first use and kept; when the bus cannot be reached
//! the source says so (the reader then falls back to OCR) and tries again no sooner than
//! [`RETRY_AFTER`], so a desktop without accessibility costs nothing per read. Every call has
//! a [`CALL_TIMEOUT`]: a hung application cannot stall the payment window.
//!
//! Not read: the `Value` interface (a number as `f64`; the amounts of interest are text),
//! applications that publish nothing (programs under Wine, most custom-drawn POS screens —
//! OCR reads those).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use atspi_proxies::accessible::AccessibleProxyBlocking;
use atspi_proxies::bus::BusProxyBlocking;
use atspi_proxies::common::{CoordType, Interface, ObjectRefOwned};
use atspi_proxies::component::ComponentProxyBlocking;
use atspi_proxies::text::TextProxyBlocking;
use cloudpos_domain::ports::ScreenRegion;
use zbus::blocking::Connection;
use zbus::proxy::CacheProperties;

use super::{ReadSource, TextSource};
use crate::CaptureError;
use crate::grab::{ScreenInfo, absolute_origin};

/// How long one call into an application may take.
pub const CALL_TIMEOUT: Duration = Duration::from_millis(800);
/// After the bus could not be reached, how long before trying again.
pub const RETRY_AFTER: Duration = Duration::from_secs(30);
/// The registry's well-known name on the accessibility bus.
const REGISTRY: &str = "org.a11y.atspi.Registry";
/// The root object of the registry (and of every application).
const ROOT: &str = "/org/a11y/atspi/accessible/root";
/// The deepest descent through `GetAccessibleAtPoint` (a guard against cyclic trees).
const MAX_DEPTH: usize = 32;
/// The most characters taken from one text element.
const MAX_TEXT: i32 = 256;

/// Where the session bus is.
#[derive(Debug, Clone)]
enum SessionBus {
    /// `$DBUS_SESSION_BUS_ADDRESS`, as every desktop program.
    FromEnvironment,
    /// An explicit address (tests with a private bus).
    Address(String),
}

/// The connection to the accessibility bus, made on first use.
#[derive(Default)]
struct State {
    connection: Option<Connection>,
    failed_at: Option<Instant>,
    failure: String,
}

/// Reads texts through AT-SPI.
pub struct AtSpiTextSource {
    session: SessionBus,
    state: Mutex<State>,
}

impl std::fmt::Debug for AtSpiTextSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtSpiTextSource")
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl Default for AtSpiTextSource {
    fn default() -> Self {
        AtSpiTextSource::new()
    }
}

fn bus_error(what: &str, e: &impl std::fmt::Display) -> CaptureError {
    CaptureError::TextRead(format!("AT-SPI {what}: {e}"))
}

impl AtSpiTextSource {
    /// A source on this desktop's session bus (`$DBUS_SESSION_BUS_ADDRESS`). Connects on the
    /// first read, not now.
    #[must_use]
    pub fn new() -> AtSpiTextSource {
        AtSpiTextSource {
            session: SessionBus::FromEnvironment,
            state: Mutex::new(State::default()),
        }
    }

    /// A source on the session bus at `address` (e.g. `unix:path=/tmp/bus`).
    #[must_use]
    pub fn with_session_bus(address: &str) -> AtSpiTextSource {
        AtSpiTextSource {
            session: SessionBus::Address(address.to_owned()),
            state: Mutex::new(State::default()),
        }
    }

    /// Connects to the accessibility bus: asks the session bus for its address.
    fn connect(&self) -> Result<Connection, CaptureError> {
        let session = match &self.session {
            SessionBus::FromEnvironment => zbus::blocking::connection::Builder::session(),
            SessionBus::Address(a) => zbus::blocking::connection::Builder::address(a.as_str()),
        }
        .map_err(|e| bus_error("cannot reach the session bus", &e))?
        .method_timeout(CALL_TIMEOUT)
        .build()
        .map_err(|e| bus_error("cannot reach the session bus", &e))?;
        let address = BusProxyBlocking::builder(&session)
            .cache_properties(CacheProperties::No)
            .build()
            .and_then(|bus| bus.get_address())
            .map_err(|e| bus_error("the accessibility bus is not available", &e))?;
        zbus::blocking::connection::Builder::address(address.as_str())
            .map_err(|e| bus_error("bad accessibility bus address", &e))?
            .method_timeout(CALL_TIMEOUT)
            .build()
            .map_err(|e| bus_error("cannot reach the accessibility bus", &e))
    }

    /// The kept connection, or a new one (not within [`RETRY_AFTER`] of a failure).
    fn connection(&self) -> Result<Connection, CaptureError> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| CaptureError::TextRead("AT-SPI state poisoned".into()))?;
        if let Some(c) = &state.connection {
            return Ok(c.clone());
        }
        if let Some(at) = state.failed_at
            && at.elapsed() < RETRY_AFTER
        {
            return Err(CaptureError::TextRead(state.failure.clone()));
        }
        match self.connect() {
            Ok(c) => {
                state.connection = Some(c.clone());
                state.failed_at = None;
                Ok(c)
            }
            Err(e) => {
                state.failed_at = Some(Instant::now());
                state.failure = e.to_string();
                Err(e)
            }
        }
    }

    /// Forgets the connection after a bus-level error (the bus restarted).
    fn forget(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.connection = None;
        }
    }
}

/// An element: its bus name and object path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Element {
    name: String,
    path: String,
}

impl Element {
    fn from_ref(r: &ObjectRefOwned) -> Option<Element> {
        if r.is_null() {
            return None;
        }
        Some(Element {
            name: r.name_as_str()?.to_owned(),
            path: r.path_as_str().to_owned(),
        })
    }

    fn accessible<'c>(&self, c: &'c Connection) -> zbus::Result<AccessibleProxyBlocking<'c>> {
        AccessibleProxyBlocking::builder(c)
            .destination(self.name.clone())?
            .path(self.path.clone())?
            .cache_properties(CacheProperties::No)
            .build()
    }

    fn component<'c>(&self, c: &'c Connection) -> zbus::Result<ComponentProxyBlocking<'c>> {
        ComponentProxyBlocking::builder(c)
            .destination(self.name.clone())?
            .path(self.path.clone())?
            .cache_properties(CacheProperties::No)
            .build()
    }

    fn text<'c>(&self, c: &'c Connection) -> zbus::Result<TextProxyBlocking<'c>> {
        TextProxyBlocking::builder(c)
            .destination(self.name.clone())?
            .path(self.path.clone())?
            .cache_properties(CacheProperties::No)
            .build()
    }
}

/// The deepest element at (`x`, `y`) (screen pixels), if an application other than this
/// process shows one there.
fn element_at(c: &Connection, x: i32, y: i32) -> zbus::Result<Option<Element>> {
    let registry = Element {
        name: REGISTRY.into(),
        path: ROOT.into(),
    };
    let me = std::process::id();
    let dbus = zbus::blocking::fdo::DBusProxy::new(c)?;
    for app_ref in registry.accessible(c)?.get_children()? {
        let Some(app) = Element::from_ref(&app_ref) else {
            continue;
        };
        // Our own windows (the payment window over the region) hold nothing of the host.
        if let Ok(name) = zbus::names::BusName::try_from(app.name.as_str())
            && dbus.get_connection_unix_process_id(name).ok() == Some(me)
        {
            continue;
        }
        // An application that does not answer is skipped, not fatal.
        let Ok(windows) = app.accessible(c).and_then(|a| a.get_children()) else {
            continue;
        };
        for window_ref in windows {
            let Some(window) = Element::from_ref(&window_ref) else {
                continue;
            };
            let inside = window
                .component(c)
                .and_then(|w| w.contains(x, y, CoordType::Screen))
                .unwrap_or(false);
            if inside {
                return descend(c, window, x, y).map(Some);
            }
        }
    }
    Ok(None)
}

/// From `start`, follows `GetAccessibleAtPoint` down to the deepest element at the point.
fn descend(c: &Connection, start: Element, x: i32, y: i32) -> zbus::Result<Element> {
    let mut current = start;
    for _ in 0..MAX_DEPTH {
        let Ok(next) = current
            .component(c)
            .and_then(|comp| comp.get_accessible_at_point(x, y, CoordType::Screen))
        else {
            break;
        };
        match Element::from_ref(&next) {
            Some(next) if next != current => current = next,
            _ => break,
        }
    }
    Ok(current)
}

/// The texts of an element, best first: its Text interface's text, then its Name.
fn texts_of(c: &Connection, element: &Element) -> zbus::Result<Vec<String>> {
    let accessible = element.accessible(c)?;
    let interfaces = accessible.get_interfaces()?;
    let mut texts = Vec::new();
    if interfaces.contains(Interface::Text) {
        let text = element.text(c)?;
        let count = text.character_count().unwrap_or(MAX_TEXT).min(MAX_TEXT);
        if let Ok(t) = text.get_text(0, count) {
            texts.push(t);
        }
    }
    if let Ok(name) = accessible.name() {
        texts.push(name);
    }
    texts.retain(|t| !t.trim().is_empty());
    texts.dedup();
    Ok(texts)
}

impl TextSource for AtSpiTextSource {
    fn texts_at(
        &self,
        screen: &ScreenInfo,
        region: &ScreenRegion,
    ) -> Result<Vec<String>, CaptureError> {
        let (x, y) = absolute_origin(screen, region);
        let cx = x + i64::from(region.width / 2);
        let cy = y + i64::from(region.height / 2);
        let (Ok(cx), Ok(cy)) = (i32::try_from(cx), i32::try_from(cy)) else {
            return Ok(Vec::new());
        };
        let c = self.connection()?;
        let found = element_at(&c, cx, cy).and_then(|element| match element {
            Some(e) => texts_of(&c, &e),
            None => Ok(Vec::new()),
        });
        found.map_err(|e| {
            if matches!(e, zbus::Error::InputOutput(_)) {
                self.forget();
            }
            bus_error("read failed", &e)
        })
    }

    fn source(&self) -> ReadSource {
        ReadSource::AtSpi
    }
}
