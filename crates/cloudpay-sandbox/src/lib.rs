//! # A local Cloud Pay server speaking the real protocol
//!
//! The sandbox is an axum server on loopback that checks what the real service checks:
//! the outer JSON, `request_content` as a string, the HMAC over that exact string
//! (status 101 / internal 7 `参数authen_code错误.` without `authen_info` on mismatch), RSA
//! PSS signatures (`authen_info.s`, field `sign` or `signature`) on `refund` and
//! `reverse`, and then every field the protocol requires, strictly: the field tables
//! ([`schema`]) and the value rules ([`validate`]: ids that belong together, the order
//! prefix, `CNY`, positive amounts, wallets that agree with each other and with the code).
//! A failure is 101 without MAC naming the field. Every answer with status 0/102/103/104 is
//! MAC'd; 3 and 101 are not. It is the cashier's embedded default when no merchant is
//! configured, and the peer every adapter test talks to over real HTTP. One state can be
//! served on several addresses (Cloud Pay's domains, for failover tests), each of which can
//! be stopped on its own ([`SandboxHandle::listen`], [`SandboxHandle::stop_listener`]).
//!
//! The key decision is to run the protocol for real rather than to mock calls: the same
//! envelope code, keys and failure modes as production, at the price of tests going
//! through HTTP (they start a sandbox on `127.0.0.1:0` in-process, which takes a few
//! milliseconds).
//!
//! ## Scripted outcomes (last two digits of the payment code)
//! | code ends | behaviour |
//! |---|---|
//! | `00` (and any unlisted) | paid at once |
//! | `01` | user paying (Wx 9 / Ali 4); paid on the 2nd `query_order` |
//! | `02` | user paying; failed on the 2nd `query_order` |
//! | `03` | insufficient balance: status 104 (`NOTENOUGH`), order failed |
//! | `04` | user paying until reversed; auto-revoked (state 8) after 45 s |
//! | `05` | expired code: status 104 (`AUTHCODEEXPIRE`), order failed |
//! | `06` | paid, then the TCP connection is closed without an HTTP answer |
//! | `07` | paid, but the first answer is status 3 (no MAC) |
//! | `08` | paid, answer delayed 8 s |
//! | `09` | revoke race: user paying; the customer completes payment as the `reverse` arrives, so the reverse refunds it (order ends reversed, `reversed_refund_fee` = amount) |
//!
//! Durations (45 s auto-revoke, 8 s delay, refund settlement, approval expiry) are
//! [`Timings`], settable in [`SandboxConfig`] and by CLI flags.
//!
//! ## Other rules
//! - Anti-reentry: the same `out_trade_no` with identical parameters returns the stored
//!   order (status 0); different parameters → 104 / internal 407.
//! - `reverse` closes an unpaid order or refunds a paid one (Wx 8); it must come from the
//!   device that charged; repeating it is acknowledged again; an unknown number is recorded
//!   as a closed tombstone so a late `micro_pay` with it is refused (102).
//! - Refunds: paid orders only; `total_fee` must equal the order's; the sum of refunds
//!   never exceeds it (checked atomically); a new `out_refund_no` per partial refund; the
//!   same number with the same amount is idempotent, with another amount 102; at most 50
//!   per order; state 4 → 2 after a delay or at the next query.
//! - `client_order_detail`: paging, time window (inclusive), scope (shop / staff /
//!   device), order type 1/2/3, `refunded_fee` in `order_content`.
//! - `ping`: bare `{"description":"ok","status":0,"timestamp":…}`.
//! - Deposits (`micro_freeze`, `query_freeze_order`, `deposit_consume`, `unfreeze`,
//!   `query_unfreeze_order`, `query_order_list`, and `refund` with `out_freeze_no`): scripted
//!   freeze outcomes by the code's last two digits as above (`00`–`08`), consume at most what
//!   is frozen, release only with refund permission, the 30-day automatic release; see
//!   [`deposits`].
//! - Approvals (`x_create_approval`, `x_query_approval`, `x_consume_approval`, HMAC
//!   envelope) with a browser page at `/approve/{token}`.
//! - Control endpoints under `/control/` for fault injection, ledger inspection,
//!   discrepancy injection and the clock: see the crate's README.

pub mod approvals;
pub mod config;
mod control;
pub mod deposit_checks;
pub mod deposits;
pub mod envelope;
pub mod faults;
pub mod ledger;
mod listeners;
pub mod qr_payment;
pub mod schema;
mod server;
pub mod terminals;
pub mod validate;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64};
use std::sync::{Arc, Mutex};

use cloudpay_api::{AuthenKey, CloudPayConfig, PssVerifier, Secrets, SignError};
use ring::rand::{SecureRandom, SystemRandom};
use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
use rsa::pkcs8::EncodePublicKey;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

pub use config::{
    MerchantConfig, SandboxConfig, ShopConfig, SignKeyMode, StaffMember, StaffRole, Timings,
};
pub use faults::{FaultConfig, FaultStats, Latency, UserPaying};
pub use ledger::{OrderState, Script};

use crate::server::{App, PersistedState};

/// Why the sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// Binding the address failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// A configured key is unusable.
    #[error("bad signature key: {0}")]
    Key(#[from] SignError),
    /// The state file could not be read.
    #[error("cannot load the state file {path}: {reason}")]
    State {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The configuration is inconsistent.
    #[error("invalid sandbox configuration: {0}")]
    Config(String),
}

/// What a terminal needs to talk to the sandbox. Serialised as the `--credentials-out`
/// file: the field names are a contract used by other tools (add fields, never rename).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxCredentials {
    /// `http://127.0.0.1:PORT/cpay/` (the first address the sandbox listens on).
    pub base_url: String,
    /// Every address the sandbox listens on, as Cloud Pay domains in order (protocol notes
    /// §11.10), when it listens on more than one; absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub base_urls: Vec<String>,
    /// Service provider.
    pub out_mch_id: String,
    /// Sub-merchant.
    pub out_sub_mch_id: String,
    /// Shop.
    pub out_shop_id: String,
    /// Device.
    pub device_id: String,
    /// Staff member (the store manager).
    pub staff_id: String,
    /// Order prefix every `out_trade_no` / `out_refund_no` starts with.
    pub order_prefix: String,
    /// HMAC key.
    pub authen_key: String,
    /// RSA private key (PKCS#1 PEM) for signing refunds and reverses, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_private_key_pem: Option<String>,
    /// The matching public key (SPKI PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_public_key_pem: Option<String>,
    /// `http://127.0.0.1:PORT/control/`.
    #[serde(default)]
    pub control_url: String,
    /// Every device of the shop (the first is `device_id`).
    #[serde(default)]
    pub devices: Vec<String>,
    /// Staff of the sub-merchant.
    #[serde(default)]
    pub staff: Vec<StaffMember>,
}

impl fmt::Debug for SandboxCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxCredentials")
            .field("base_url", &self.base_url)
            .field("out_mch_id", &self.out_mch_id)
            .field("out_sub_mch_id", &self.out_sub_mch_id)
            .field("out_shop_id", &self.out_shop_id)
            .field("device_id", &self.device_id)
            .field("staff_id", &self.staff_id)
            .field("order_prefix", &self.order_prefix)
            .field("authen_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl SandboxCredentials {
    /// A client configuration for this sandbox, as `device_id`.
    #[must_use]
    pub fn client_config(&self) -> CloudPayConfig {
        let mut c = CloudPayConfig::new(
            &self.base_url,
            &self.out_mch_id,
            &self.out_sub_mch_id,
            &self.out_shop_id,
            &self.device_id,
        );
        c.base_urls.clone_from(&self.base_urls);
        c.staff_id = Some(self.staff_id.clone());
        c
    }

    /// HMAC-only secrets.
    #[must_use]
    pub fn secrets(&self) -> Secrets {
        Secrets::new(&self.authen_key)
    }

    /// Secrets with the RSA private key too (refund and reverse signed), when there is one.
    pub fn signing_secrets(&self) -> Result<Secrets, SignError> {
        match &self.sign_private_key_pem {
            Some(pem) => Secrets::new(&self.authen_key).with_private_key_pem(pem),
            None => Ok(self.secrets()),
        }
    }
}

pub(crate) fn credentials_of(app: &App) -> SandboxCredentials {
    let m = &app.merchant;
    let shop = &m.shops[0];
    let bases = app.listening();
    SandboxCredentials {
        base_url: format!("{}/cpay/", app.http_base),
        base_urls: if bases.len() > 1 {
            bases.iter().map(|b| format!("{b}/cpay/")).collect()
        } else {
            Vec::new()
        },
        out_mch_id: m.out_mch_id.clone(),
        out_sub_mch_id: m.out_sub_mch_id.clone(),
        out_shop_id: shop.out_shop_id.clone(),
        device_id: shop.devices[0].clone(),
        staff_id: m.default_staff_id.clone(),
        order_prefix: m.order_prefix.clone(),
        authen_key: m.authen_key.clone().unwrap_or_default(),
        sign_private_key_pem: m.sign_private_key_pem.clone(),
        sign_public_key_pem: m.sign_public_key_pem.clone(),
        control_url: format!("{}/control/", app.http_base),
        devices: shop.devices.clone(),
        staff: m.staff.clone(),
    }
}

fn random_key() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut bytes = [0u8; 32];
    if SystemRandom::new().fill(&mut bytes).is_err() {
        return cloudpay_api::new_nonce();
    }
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// Generates a 2048-bit RSA key pair: (PKCS#1 private PEM, SPKI public PEM).
pub fn generate_sign_key_pair() -> Result<(String, String), SandboxError> {
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
        .map_err(|e| SandboxError::Config(format!("RSA key generation failed: {e}")))?;
    let private = key
        .to_pkcs1_pem(LineEnding::LF)
        .map_err(|e| SandboxError::Config(e.to_string()))?
        .to_string();
    let public = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| SandboxError::Config(e.to_string()))?;
    Ok((private, public))
}

fn check_merchant(m: &MerchantConfig) -> Result<(), SandboxError> {
    if m.shops.is_empty() || m.shops.iter().any(|s| s.devices.is_empty()) {
        return Err(SandboxError::Config(
            "every merchant needs a shop, and every shop a device".to_owned(),
        ));
    }
    if m.order_prefix.is_empty() || m.order_prefix.len() > 12 {
        return Err(SandboxError::Config(
            "the order prefix must have 1–12 characters".to_owned(),
        ));
    }
    if m.staff_member(&m.default_staff_id).is_none() {
        return Err(SandboxError::Config(format!(
            "default staff {} is not in the staff list",
            m.default_staff_id
        )));
    }
    Ok(())
}

/// Starts sandboxes.
#[derive(Debug)]
pub struct Sandbox;

impl Sandbox {
    /// Starts a sandbox on the current tokio runtime: loads the state file if there is
    /// one, fills in missing keys (random `authen_key`; an RSA pair when
    /// [`SignKeyMode::GenerateIfMissing`]), binds, and serves until
    /// [`SandboxHandle::shutdown`] or until the handle is dropped.
    pub async fn start(config: SandboxConfig) -> Result<SandboxHandle, SandboxError> {
        let (mut merchant, ledger, offset) = match &config.state_file {
            Some(path) if path.exists() => {
                let text = std::fs::read_to_string(path).map_err(|e| SandboxError::State {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                let state: PersistedState =
                    serde_json::from_str(&text).map_err(|e| SandboxError::State {
                        path: path.clone(),
                        reason: e.to_string(),
                    })?;
                (state.merchant, state.ledger, state.clock_offset_ms)
            }
            _ => (config.merchant.clone(), ledger::Ledger::default(), 0),
        };
        check_merchant(&merchant)?;
        if merchant.authen_key.as_deref().is_none_or(str::is_empty) {
            merchant.authen_key = Some(random_key());
        }
        match (
            &merchant.sign_public_key_pem,
            &merchant.sign_private_key_pem,
        ) {
            (Some(_), _) => {}
            (None, Some(private)) => {
                let signer = cloudpay_api::PssSigner::from_pem(private)?;
                let public = signer
                    .public_key()
                    .to_public_key_pem(LineEnding::LF)
                    .map_err(|e| SandboxError::Config(e.to_string()))?;
                merchant.sign_public_key_pem = Some(public);
            }
            (None, None) if config.sign_key == SignKeyMode::GenerateIfMissing => {
                let (private, public) = tokio::task::spawn_blocking(generate_sign_key_pair)
                    .await
                    .map_err(|e| SandboxError::Config(e.to_string()))??;
                merchant.sign_private_key_pem = Some(private);
                merchant.sign_public_key_pem = Some(public);
            }
            (None, None) => {}
        }
        let verifier = merchant
            .sign_public_key_pem
            .as_deref()
            .map(PssVerifier::from_pem)
            .transpose()?;
        let (listener, addr) = listeners::bind(config.addr).await?;
        let mut extra = Vec::with_capacity(config.extra_addrs.len());
        for a in &config.extra_addrs {
            extra.push(listeners::bind(*a).await?);
        }
        let (stop_tx, stop_rx) = watch::channel(false);
        let key = AuthenKey::new(merchant.authen_key.as_deref().unwrap_or_default());
        let app = Arc::new(App {
            merchant,
            key,
            verifier,
            timings: config.timings,
            ledger: Mutex::new(ledger),
            faults: Mutex::new(faults::Faults::default()),
            offset_ms: AtomicI64::new(offset),
            state_file: config.state_file.clone(),
            http_base: format!("http://{addr}"),
            listening: Mutex::new(Vec::new()),
            shutdown: stop_rx,
            log_seq: AtomicU64::new(1_000_000),
        });
        app.with_ledger(|_, _| ());
        let router = server::router(Arc::clone(&app));
        let handle = SandboxHandle {
            addr,
            app,
            stop: stop_tx,
            router,
            listeners: Mutex::new(Vec::new()),
        };
        handle.serve(listener, addr);
        for (listener, addr) in extra {
            handle.serve(listener, addr);
        }
        Ok(handle)
    }
}

/// A running sandbox: one shared state served on one or more addresses. Dropping it stops
/// the server.
pub struct SandboxHandle {
    addr: SocketAddr,
    app: Arc<App>,
    stop: watch::Sender<bool>,
    router: axum::Router,
    listeners: Mutex<Vec<listeners::Listener>>,
}

impl fmt::Debug for SandboxHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxHandle")
            .field("addr", &self.addr)
            .field("addrs", &self.addrs())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SandboxHandle {
    fn serve(&self, listener: tokio::net::TcpListener, addr: SocketAddr) {
        let served = listeners::spawn(listener, addr, self.router.clone());
        lock(&self.app.listening).push(format!("http://{addr}"));
        tracing::info!("cloudpay sandbox listening on http://{addr}");
        lock(&self.listeners).push(served);
    }

    /// The first listening address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every address the sandbox listened on, in order, including stopped ones.
    #[must_use]
    pub fn addrs(&self) -> Vec<SocketAddr> {
        lock(&self.listeners).iter().map(|l| l.addr).collect()
    }

    /// Whether the sandbox still accepts connections on `addr`.
    #[must_use]
    pub fn is_listening(&self, addr: SocketAddr) -> bool {
        lock(&self.listeners)
            .iter()
            .any(|l| l.addr == addr && l.running())
    }

    /// Also serves the same state on `addr` (port 0 picks a free one): another Cloud Pay
    /// domain for failover tests. Returns the address bound.
    pub async fn listen(&self, addr: SocketAddr) -> Result<SocketAddr, SandboxError> {
        let (listener, bound) = listeners::bind(addr).await?;
        self.serve(listener, bound);
        Ok(bound)
    }

    /// Stops serving on `addr` (a domain going down): no new connections, open ones
    /// closed. The state and the other addresses stay. Returns whether it was listening.
    pub async fn stop_listener(&self, addr: SocketAddr) -> bool {
        let task = lock(&self.listeners)
            .iter_mut()
            .find(|l| l.addr == addr && l.running())
            .and_then(listeners::Listener::stop);
        match task {
            Some(task) => {
                let _ = task.await;
                true
            }
            None => false,
        }
    }

    /// `http://127.0.0.1:PORT/cpay/` of the first address.
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("{}/cpay/", self.app.http_base)
    }

    /// The `/cpay/` base URL of every address, in order (stopped ones included).
    #[must_use]
    pub fn base_urls(&self) -> Vec<String> {
        self.addrs()
            .into_iter()
            .map(|a| format!("http://{a}/cpay/"))
            .collect()
    }

    /// `http://127.0.0.1:PORT/control/` of the first address still listening.
    #[must_use]
    pub fn control_url(&self) -> String {
        let running = lock(&self.listeners)
            .iter()
            .find(|l| l.running())
            .map(|l| format!("http://{}", l.addr));
        format!(
            "{}/control/",
            running.unwrap_or_else(|| self.app.http_base.clone())
        )
    }

    /// The credentials of the demo merchant (first shop, first device).
    #[must_use]
    pub fn credentials(&self) -> SandboxCredentials {
        credentials_of(&self.app)
    }

    /// Stops accepting, closes connections, and waits for the server tasks.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let tasks: Vec<_> = lock(&self.listeners)
            .iter_mut()
            .filter_map(listeners::Listener::stop)
            .collect();
        for task in tasks {
            let _ = task.await;
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for l in lock(&self.listeners).iter_mut() {
            let _ = l.stop();
        }
    }
}
