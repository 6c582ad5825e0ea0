//! What the cashier GUI needs beyond the use cases every shell shares: one running GUI per
//! data directory, the window's size and position, the auto-login choice, re-login with a
//! handover, order remarks, the proxy settings, the refund list, and a receipt preview with
//! settings that are not saved yet.
//!
//! Everything here is a small method over the same ports as the rest of the terminal, so the
//! GUI still never names an adapter. Settings written here are UI preferences (no permission
//! needed, not audited) except the remark, the proxy and the handover, which are audited like
//! every other change a cashier makes.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use cloudpos_domain::clerk::{ClerkId, Permission};
use cloudpos_domain::order::Order;
use cloudpos_domain::order_no::OrderNo;
use cloudpos_domain::ports::{ClerkQuery, Page, RefundFilter};
use cloudpos_domain::receipt::Receipt;
use cloudpos_domain::refund::Refund;
use cloudpos_printer::PrinterSettings;
use serde::{Deserialize, Serialize};

use crate::{
    Event, HandoverReport, NETWORK_KEY, NetworkSettings, PROXY_PASSWORD_SECRET, Result, Session,
    Terminal, TerminalError,
};

/// Settings key prefix of remembered window geometry (`ui.window.<name>`).
pub const WINDOW_KEY_PREFIX: &str = "ui.window.";
/// Settings key of the auto-login choice.
pub const AUTO_LOGIN_KEY: &str = "ui.auto_login";
/// Name of the lock file that marks the GUI running on a data directory.
pub const INSTANCE_LOCK_FILE: &str = "cashier.lock";
/// Name of the file a second start leaves to ask the running GUI to come forward.
pub const RAISE_REQUEST_FILE: &str = "cashier.raise";

/// Holds the data directory's GUI lock while alive: a second GUI on the same directory is
/// refused (two windows taking payments on one ledger and one device id would confuse the
/// cashier, and the CLI beside the GUI needs no lock). The lock is an OS file lock, so it is
/// released when the process dies, even by a crash.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
    raise: PathBuf,
}

/// Another GUI holds the lock of this data directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the cashier is already running on {home} (process {pid}); it was asked to come to the front"
)]
pub struct AlreadyRunning {
    /// The data directory.
    pub home: String,
    /// The process id written by the running GUI (`?` when unreadable).
    pub pid: String,
}

impl InstanceLock {
    /// Takes the lock of `home` (created if missing). When another GUI holds it, leaves a
    /// request for that GUI to come to the front (see [`InstanceLock::take_raise_request`])
    /// and returns [`AlreadyRunning`].
    pub fn acquire(home: &Path) -> std::result::Result<InstanceLock, LockError> {
        std::fs::create_dir_all(home)
            .map_err(|e| LockError::Io(format!("{}: {e}", home.display())))?;
        let path = home.join(INSTANCE_LOCK_FILE);
        let raise = home.join(RAISE_REQUEST_FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| LockError::Io(format!("{}: {e}", path.display())))?;
        if file.try_lock().is_err() {
            let pid = std::fs::read_to_string(&path)
                .ok()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "?".to_owned());
            std::fs::write(&raise, std::process::id().to_string())
                .map_err(|e| LockError::Io(format!("{}: {e}", raise.display())))?;
            return Err(LockError::AlreadyRunning(AlreadyRunning {
                home: home.display().to_string(),
                pid,
            }));
        }
        // Ours: record the pid for the message a second start prints. A stale raise request
        // from before a crash is dropped.
        file.set_len(0)
            .and_then(|()| file.write_all(std::process::id().to_string().as_bytes()))
            .and_then(|()| file.flush())
            .map_err(|e| LockError::Io(format!("{}: {e}", path.display())))?;
        let _ = std::fs::remove_file(&raise);
        Ok(InstanceLock { _file: file, raise })
    }

    /// Whether a second start asked this GUI to come to the front since the last call (the
    /// request is consumed).
    #[must_use]
    pub fn take_raise_request(&self) -> bool {
        std::fs::remove_file(&self.raise).is_ok()
    }
}

/// Why the GUI lock could not be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockError {
    /// Another GUI runs on the directory.
    #[error(transparent)]
    AlreadyRunning(#[from] AlreadyRunning),
    /// The lock file could not be created.
    #[error("cannot create the lock file: {0}")]
    Io(String),
}

/// A window's remembered geometry, in logical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WindowState {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
}

impl WindowState {
    /// Whether the geometry is usable (positive size of at least 200 × 150, finite, on a
    /// plausible desktop); a damaged record is ignored rather than opening an invisible
    /// window.
    #[must_use]
    pub fn is_plausible(&self) -> bool {
        [self.x, self.y, self.width, self.height]
            .iter()
            .all(|v| v.is_finite())
            && self.width >= 200.0
            && self.height >= 150.0
            && self.width <= 16_384.0
            && self.height <= 16_384.0
            && self.x.abs() <= 32_768.0
            && self.y.abs() <= 32_768.0
    }
}

/// The re-login of [`Terminal::login_with_handover`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relogin {
    /// The session now in force.
    pub session: Session,
    /// The previous clerk's shift, closed with its summary, when another clerk was logged in.
    pub handover: Option<HandoverReport>,
    /// The clerk's own session was resumed (same clerk logging in again).
    pub resumed: bool,
}

impl Terminal {
    /// The remembered geometry of the window `name` (e.g. `main`), if any and plausible.
    pub async fn window_state(&self, name: &str) -> Result<Option<WindowState>> {
        let key = format!("{WINDOW_KEY_PREFIX}{name}");
        Ok(self
            .inner
            .ports
            .settings
            .get(&key)
            .await?
            .and_then(|v| serde_json::from_value::<WindowState>(v).ok())
            .filter(WindowState::is_plausible))
    }

    /// Remembers the geometry of the window `name` (a UI preference: no permission needed,
    /// not audited). Implausible geometry is ignored.
    pub async fn set_window_state(&self, name: &str, state: &WindowState) -> Result<()> {
        if !state.is_plausible() {
            return Ok(());
        }
        let key = format!("{WINDOW_KEY_PREFIX}{name}");
        let value =
            serde_json::to_value(state).map_err(|e| TerminalError::Invalid(e.to_string()))?;
        Ok(self.inner.ports.settings.put(&key, &value).await?)
    }

    /// The clerk whose session resumes at start-up without a password (自动登录), if one
    /// chose it.
    pub async fn auto_login(&self) -> Result<Option<ClerkId>> {
        Ok(self
            .inner
            .ports
            .settings
            .get(AUTO_LOGIN_KEY)
            .await?
            .and_then(|v| v.as_str().and_then(|s| ClerkId::parse(s).ok())))
    }

    /// Turns auto-login on or off for the logged-in clerk. Only the session is resumed at
    /// start-up (no password is stored); a logout or handover ends it.
    pub async fn set_auto_login(&self, on: bool) -> Result<()> {
        let (_, me) = self.current_clerk().await?;
        let settings = &self.inner.ports.settings;
        if on {
            settings
                .put(
                    AUTO_LOGIN_KEY,
                    &serde_json::Value::String(me.id.to_string()),
                )
                .await?;
        } else {
            settings.remove(AUTO_LOGIN_KEY).await?;
        }
        self.audit(
            me.id.as_str(),
            "auto_login",
            serde_json::json!({ "on": on }),
        )
        .await
    }

    /// The session to resume at start-up: the stored session when its clerk chose
    /// auto-login, else `None` (the login screen shows).
    pub async fn resume_auto_login(&self) -> Result<Option<Session>> {
        let Some(auto) = self.auto_login().await? else {
            return Ok(None);
        };
        match self.current_clerk().await {
            Ok((session, clerk)) if clerk.id == auto => Ok(Some(session)),
            Ok(_) | Err(TerminalError::NotLoggedIn) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Logs a clerk in at a till where someone may still be logged in: the password is
    /// checked first; when another clerk's session is open, that shift is handed over
    /// (closed with its summary, 交接班) before the new one starts; when the same clerk logs
    /// in again, their session simply continues.
    pub async fn login_with_handover(&self, id: &ClerkId, password: &str) -> Result<Relogin> {
        let clerk = self.authenticate(id, password).await?;
        match self.current_clerk().await {
            Ok((session, current)) if current.id == clerk.id => {
                self.audit(
                    clerk.id.as_str(),
                    "login",
                    serde_json::json!({"shift": session.shift_id, "resumed": true}),
                )
                .await?;
                self.emit(Event::SessionChanged);
                Ok(Relogin {
                    session,
                    handover: None,
                    resumed: true,
                })
            }
            Ok(_) => {
                let report = self.handover().await?;
                let session = self.start_session(&clerk).await?;
                Ok(Relogin {
                    session,
                    handover: Some(report),
                    resumed: false,
                })
            }
            Err(TerminalError::NotLoggedIn) => Ok(Relogin {
                session: self.start_session(&clerk).await?,
                handover: None,
                resumed: false,
            }),
            Err(e) => Err(e),
        }
    }

    /// [`Terminal::finish_qr_login`] with the handover of [`Terminal::login_with_handover`]:
    /// `Ok(None)` while the QR code is not approved yet.
    pub async fn finish_qr_login_with_handover(&self, token: &str) -> Result<Option<Relogin>> {
        let status = self.approval(token).await?;
        if status.state != cloudpos_domain::ports::ApprovalState::Approved {
            // Pending, or the error finish_qr_login words for expired / used codes.
            return self.finish_qr_login(token).await.map(|s| {
                s.map(|session| Relogin {
                    session,
                    handover: None,
                    resumed: false,
                })
            });
        }
        // Hand over only for an approver who maps to a clerk here.
        let approver = match status.staff_id.as_deref().filter(|s| !s.is_empty()) {
            Some(staff) => self
                .inner
                .ports
                .accounts
                .clerks(&ClerkQuery::default())
                .await?
                .into_iter()
                .find(|c| c.cloud_staff_id.as_deref() == Some(staff)),
            None => None,
        };
        let mut handover = None;
        if let Some(next) = &approver
            && let Ok((_, current)) = self.current_clerk().await
            && current.id != next.id
        {
            handover = Some(self.handover().await?);
        }
        let session = self.finish_qr_login(token).await?;
        Ok(session.map(|session| Relogin {
            session,
            handover,
            resumed: false,
        }))
    }

    /// Replaces an order's remark (备注, key E of the order list): any clerk on their own
    /// orders, managers on every order. Only final payments are edited, so the payment
    /// loop never writes over the new text. Audited.
    pub async fn set_order_remark(&self, no: &OrderNo, remark: &str) -> Result<Order> {
        let (_, me) = self.current_clerk().await?;
        let remark = remark.trim();
        if remark.chars().count() > 200 {
            return Err(TerminalError::Invalid(
                "a remark has at most 200 characters".into(),
            ));
        }
        if remark.chars().any(char::is_control) {
            return Err(TerminalError::Invalid(
                "a remark is one line of text".into(),
            ));
        }
        let ledger = &self.inner.ports.ledger;
        let mut order = ledger
            .order(no)
            .await?
            .ok_or_else(|| TerminalError::NotFound(format!("order {no}")))?;
        if order.clerk_id != me.id && !me.may(Permission::SeeAllSummaries) {
            return Err(TerminalError::PermissionDenied(format!(
                "{} may edit only their own orders' remarks",
                me.id
            )));
        }
        if !order.state.is_final() {
            return Err(TerminalError::Invalid(format!(
                "order {no} is still {}; edit the remark once the payment is final",
                order.state
            )));
        }
        let before = order.remark.clone();
        order.remark = remark.to_owned();
        order.updated_at = self.now();
        ledger.update_order(&order, order.state).await?;
        self.audit(
            me.id.as_str(),
            "order_remark",
            serde_json::json!({"order": no.as_str(), "was": before, "now": order.remark}),
        )
        .await?;
        self.emit(Event::Order(order.clone()));
        Ok(order)
    }

    /// Stores the network settings (代理 proxy URL, user, timeouts) and rebuilds the Cloud
    /// Pay client with them (configure permission; audited). `proxy_password`: `None` keeps
    /// the sealed password, `Some("")` removes it, `Some(p)` seals `p`.
    pub async fn set_network_settings(
        &self,
        settings: &NetworkSettings,
        proxy_password: Option<&str>,
    ) -> Result<()> {
        self.configure_guard().await?;
        let mut settings = settings.clone();
        settings.proxy_url = settings
            .proxy_url
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty());
        settings.proxy_user = settings
            .proxy_user
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty());
        if let Some(url) = &settings.proxy_url {
            let scheme_ok = ["http://", "https://", "socks5://", "socks5h://"]
                .iter()
                .any(|s| url.starts_with(s));
            let host = url.split("://").nth(1).unwrap_or_default();
            if !scheme_ok || host.is_empty() || url.chars().any(char::is_whitespace) {
                return Err(TerminalError::Invalid(format!(
                    "proxy \"{url}\": write it as http://HOST:PORT (e.g. http://10.0.0.1:3128)"
                )));
            }
        }
        if settings.proxy_url.is_none() && settings.proxy_user.is_some() {
            return Err(TerminalError::Invalid(
                "a proxy user needs a proxy address".into(),
            ));
        }
        for (name, v) in [
            ("connect timeout", settings.connect_timeout_ms),
            ("request timeout", settings.request_timeout_ms),
        ] {
            if v.is_some_and(|ms| !(100..=120_000).contains(&ms)) {
                return Err(TerminalError::Invalid(format!(
                    "the {name} must be 100–120000 ms"
                )));
            }
        }
        let value =
            serde_json::to_value(&settings).map_err(|e| TerminalError::Invalid(e.to_string()))?;
        self.inner.ports.settings.put(NETWORK_KEY, &value).await?;
        let vault = &self.inner.ports.vault;
        match proxy_password {
            None => {}
            Some("") => vault.delete(PROXY_PASSWORD_SECRET).await?,
            Some(p) => vault.store(PROXY_PASSWORD_SECRET, p.as_bytes()).await?,
        }
        let (_, me) = self.current_clerk().await?;
        self.audit(
            me.id.as_str(),
            "config_network",
            serde_json::json!({
                "proxy_url": settings.proxy_url,
                "proxy_user": settings.proxy_user,
                "proxy_password": proxy_password.map(|p| if p.is_empty() { "removed" } else { "set" }),
                "connect_timeout_ms": settings.connect_timeout_ms,
                "request_timeout_ms": settings.request_timeout_ms,
            }),
        )
        .await?;
        self.rebuild_gateway().await
    }

    /// Whether a proxy password is sealed (the settings page shows "已设置", never the text).
    pub async fn has_proxy_password(&self) -> Result<bool> {
        Ok(self
            .inner
            .ports
            .vault
            .load(PROXY_PASSWORD_SECRET)
            .await?
            .is_some())
    }

    /// Refunds matching a filter, newest first: every clerk's for managers, only one's own
    /// otherwise (退款操作 list).
    pub async fn refunds(&self, filter: &RefundFilter) -> Result<Page<Refund>> {
        let (_, me) = self.current_clerk().await?;
        let mut filter = filter.clone();
        if !me.may(Permission::SeeAllSummaries) {
            filter.clerk = Some(me.id.clone());
        }
        Ok(self.inner.ports.ledger.refunds(&filter).await?)
    }

    /// The refunds of one order, oldest first (the refund dialog shows what is already
    /// refunded or still in progress).
    pub async fn refunds_of(&self, no: &OrderNo) -> Result<Vec<Refund>> {
        self.current_clerk().await?;
        Ok(self.inner.ports.ledger.refunds_of(no).await?)
    }

    /// A PNG of `receipt` printed with `settings` (the printer page's live preview of
    /// settings not saved yet).
    #[must_use]
    pub fn receipt_preview_with(&self, receipt: &Receipt, settings: &PrinterSettings) -> Vec<u8> {
        cloudpos_printer::preview_png(receipt, settings)
    }
}
