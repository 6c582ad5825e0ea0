//! # CloudPOS terminal
//!
//! Every use case a cashier or a script can start is a method on [`Terminal`]: paying,
//! refunding, deposits (freeze, consume, release), recovering after a crash, logging in,
//! halting. The GUI and the CLI are thin
//! shells over it and never touch an adapter. The terminal holds the ports as trait objects,
//! so tests build one over fakes ([`testing`], behind the `testing` feature) and the
//! composition root builds one over the real adapters.
//!
//! The key decision is *commit, then call*: no payment or refund request leaves before its
//! intent row is durable, and every state the cloud reports is committed before the caller
//! hears of it. A crash at any point therefore leaves an intent that
//! [`Terminal::recover_pending`] resolves by querying and, when the outcome stays unknown,
//! reversing, so nothing is lost and nothing is charged twice.

mod approval;
mod basic;
mod binding;
mod catalog;
mod clerks;
mod complete;
mod deposit;
mod devices;
mod embedded;
mod error;
mod events;
mod export;
mod halt;
mod head_office;
mod members;
mod members_hq;
mod merchant;
mod network;
mod notices;
mod one_code;
mod paging;
mod pay;
mod policy;
mod preferences;
mod printing;
mod query;
mod reconcile;
mod recover;
mod refund;
mod relogin;
mod remark;
mod screen_reader;
mod session;
mod setting;
mod shift;
mod update;
mod voice;
mod void;
mod wiring;

pub mod clock;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use cloudpos_domain::code::CodeTable;
use cloudpos_domain::device_ports::{DeviceCloud, NoticeBoard};
use cloudpos_domain::member_ports::MemberLedger;
use cloudpos_domain::order_no::OrderNoGenerator;
use cloudpos_domain::ports::{
    Accounts, AmountReader, AmountReading, Approvals, AuditEntry, AuditTrail, Catalog, Clock,
    Ledger, PaymentGateway, ReceiptPrinter, SecretVault, Settings,
};
use cloudpos_domain::timestamp::{CHINA_OFFSET_SECONDS, Timestamp};
use tokio::sync::broadcast;

// The public API, in groups: what the apps (cashier, cloudpos) and embedders (xtask, the
// benches, the fuzz targets, tests) use. Settings keys, vault names and adapter types stay
// inside: settings are reached through `Terminal::setting`, adapters through `Terminal::open`.

// Results and errors of every use case, and what the terminal publishes.

// Deposits (押金): inputs, results and the cashier's mode.
pub use deposit::{
    CashierMode, ConsumeInput, ConsumeResult, DepositReconcile, DepositRecovery, DepositTotals,
    FreezeInput, UnfreezeInput,
};
pub use error::{Result, TerminalError};
pub use events::Event;

// Inputs and reports of the use cases.
pub use binding::{BindFailure, BindReport, DEVICE_STATE_KEY, DeviceState};
pub use catalog::ImportReport;
pub use clerks::{ClerkChanges, MIN_PASSWORD_LEN, NewClerk};
pub use cloudpos_domain::device_ports::Notice;
/// Rows an Excel import refused ([`ImportReport::errors`]) and why.
pub use cloudpos_export::{RowError, RowProblem};
pub use complete::{COMPLETION_HOLD, COMPLETION_INTERVAL, CompletionReport};
pub use export::{ExportReport, ExportTarget};
pub use halt::Halt;
pub use head_office::{
    HQ_SYNC_INTERVAL, HQ_SYNC_MAX_BACKOFF, HeadOfficeEnrolled, HeadOfficeStatus, SyncReport,
};
pub use members::{LedgerLine, MemberImport, MemberSettings, RechargeResult};
pub use members_hq::{HQ_UNREACHABLE, MemberDelivery, PendingMovement};
pub use notices::NOTICE_INTERVAL;
pub use pay::PayInput;
pub use reconcile::ReconcileRun;
pub use recover::RecoveryReport;
pub use refund::{Authorization, RefundInput, RefundResult};
pub use relogin::Relogin;
pub use session::{LoginError, Session};
pub use shift::HandoverReport;

// The merchant, and opening a data directory (with the embedded demo when none is set up).
pub use embedded::{DEMO_CATALOGUE, DEMO_CLERKS, EmbeddedSandbox, NO_EMBEDDED_SANDBOX};
pub use merchant::{MerchantCredentials, MerchantProfile};
pub use wiring::resolve_home;

// Settings, all read and changed through one mechanism: `Terminal::setting::<T>()` and
// `Terminal::set_setting(&T)` for every `T: Setting`.
pub use basic::{BasicSettings, Language, Mode, StartWindow};
/// Key and hotkey settings (the input adapter's configuration types).
pub use cloudpos_input::{HotkeyBinding, KeySettings, WalletKeys};
/// Printer settings (the printer adapter's configuration types).
pub use cloudpos_printer::{
    CodePage, CutMode, DrawerPin, FontSize, PaperWidth, PrinterSettings, SettingsError,
};
/// Scanner box settings (the scanner box adapter's configuration type) and the serial ports
/// to pick from.
pub use cloudpos_scanner_box::{BoxSettings, list_ports};
pub use head_office::HeadOfficeSettings;
pub use network::NetworkSettings;
pub use one_code::{MARK_KEY as ONE_CODE_MARK_KEY, OneCodeFrom, OneCodeSettings};
pub use policy::{AmountLimit, PayPolicy};
pub use printing::paper_width;
pub use reconcile::ReconcilePolicy;
pub use setting::{Guard, Setting};
pub use update::UpdateSettings;
pub use voice::VoiceSettings;

// Plug-in mode's devices and screen reading.
pub use devices::{
    BoxState, Chord, ChordError, DeviceEvent, DeviceProblem, HotkeyAction, HotkeyError,
    KeySequence, KeySettingsError,
};
pub use screen_reader::{PictureReading, parse_screen_region, screen_region_text};
pub use wiring::Devices;

// Voice announcements rendered or spoken.
pub use voice::{RenderedAnnouncement, render_announcement, spoken_words};

// Software updates.
/// The update adapter's error, and the platform this build installs for.
pub use cloudpos_update::{UpdateError, this_target as update_target};
pub use update::{
    CURRENT_VERSION, UpdateApplied, UpdateCheck, UpdateStatus, UpdateTarget, finish_update_at_start,
};

/// The adapters a terminal runs on.
#[derive(Clone)]
pub struct Ports {
    /// Orders, refunds, shifts.
    pub ledger: Arc<dyn Ledger>,
    /// Member cards and their entries (the same store as the ledger: a recharge is
    /// credited in the transaction that records it paid).
    pub members: Arc<dyn MemberLedger>,
    /// Commodities.
    pub catalog: Arc<dyn Catalog>,
    /// Clerks and passwords.
    pub accounts: Arc<dyn Accounts>,
    /// Settings.
    pub settings: Arc<dyn Settings>,
    /// Sealed secrets.
    pub vault: Arc<dyn SecretVault>,
    /// Audit chain.
    pub audit: Arc<dyn AuditTrail>,
    /// Handled one-code payments (一码支付).
    pub one_code: Arc<dyn cloudpos_domain::one_code::OneCodeJournal>,
    /// Cloud Pay, when a merchant is configured.
    pub gateway: Option<Arc<dyn PaymentGateway>>,
    /// One-time approvals by a manager's phone (usually the same Cloud Pay client).
    pub approvals: Option<Arc<dyn Approvals>>,
    /// Receipt printer, when one is configured.
    pub printer: Option<Arc<dyn ReceiptPrinter>>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Notices (公告) fetched from the cloud, with their read state.
    pub notices: Arc<dyn NoticeBoard>,
    /// The outbox for the head office and the catalogue it manages (the ledger's store),
    /// when the store keeps one.
    pub head_office: Option<Arc<dyn cloudpos_domain::hq_ports::HeadOfficeStore>>,
}

/// Tunables of a terminal.
#[derive(Debug, Clone)]
pub struct TerminalConfig {
    /// Payment loop timings.
    pub policy: PayPolicy,
    /// Code classification table.
    pub codes: CodeTable,
    /// UTC offset of the shop, for order numbers and display.
    pub offset_seconds: i32,
}

impl Default for TerminalConfig {
    fn default() -> Self {
        TerminalConfig {
            policy: PayPolicy::default(),
            codes: CodeTable::default(),
            offset_seconds: CHINA_OFFSET_SECONDS,
        }
    }
}

pub(crate) struct Inner {
    ports: Ports,
    gateway: RwLock<Option<Arc<dyn PaymentGateway>>>,
    approvals: RwLock<Option<Arc<dyn Approvals>>>,
    /// The device's own calls (unbinding, notices), with the gateway.
    device_cloud: RwLock<Option<Arc<dyn DeviceCloud>>>,
    printer: RwLock<Option<Arc<dyn ReceiptPrinter>>>,
    amount_reader: RwLock<Option<Arc<dyn AmountReader>>>,
    /// The reader was built from the basic settings (rebuilt when they change), not installed.
    amount_reader_built: std::sync::atomic::AtomicBool,
    prints: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    policy: RwLock<PayPolicy>,
    config: TerminalConfig,
    generator: tokio::sync::Mutex<Option<OrderNoGenerator>>,
    recent_codes: Mutex<HashMap<String, Timestamp>>,
    /// Orders whose latest change the ledger could not write (see `complete.rs`).
    unwritten: Mutex<HashMap<cloudpos_domain::order_no::OrderNo, complete::Unwritten>>,
    events: broadcast::Sender<Event>,
    voice: voice::VoiceState,
    one_code: one_code::OneCodeState,
    head_office: head_office::HeadOfficeState,
}

/// The cashier terminal: every use case, over the ports. Cheap to clone.
#[derive(Clone)]
pub struct Terminal {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Terminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terminal").finish_non_exhaustive()
    }
}

impl Terminal {
    /// A terminal over `ports`.
    #[must_use]
    pub fn new(ports: Ports, config: TerminalConfig) -> Terminal {
        let (events, _) = broadcast::channel(256);
        Terminal {
            inner: Arc::new(Inner {
                gateway: RwLock::new(ports.gateway.clone()),
                approvals: RwLock::new(ports.approvals.clone()),
                device_cloud: RwLock::new(None),
                printer: RwLock::new(ports.printer.clone()),
                amount_reader: RwLock::new(None),
                amount_reader_built: std::sync::atomic::AtomicBool::new(false),
                prints: Mutex::new(Vec::new()),
                policy: RwLock::new(config.policy.clone()),
                ports,
                config,
                generator: tokio::sync::Mutex::new(None),
                recent_codes: Mutex::new(HashMap::new()),
                unwritten: Mutex::new(HashMap::new()),
                events,
                voice: voice::VoiceState::default(),
                one_code: one_code::OneCodeState::default(),
                head_office: head_office::HeadOfficeState::default(),
            }),
        }
    }

    /// Replaces the Cloud Pay gateway and approvals (after the merchant is (re)configured).
    pub fn set_cloud(
        &self,
        gateway: Option<Arc<dyn PaymentGateway>>,
        approvals: Option<Arc<dyn Approvals>>,
    ) {
        if let Ok(mut g) = self.inner.gateway.write() {
            *g = gateway;
        }
        if let Ok(mut a) = self.inner.approvals.write() {
            *a = approvals;
        }
    }

    /// Subscribes to state changes.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    /// The payment loop timings and limits in force (kept in memory; changed with
    /// `set_setting(&PayPolicy)`).
    #[must_use]
    pub fn policy(&self) -> PayPolicy {
        self.inner
            .policy
            .read()
            .map(|p| p.clone())
            .unwrap_or_default()
    }

    /// The shop's UTC offset.
    #[must_use]
    pub fn offset_seconds(&self) -> i32 {
        self.inner.config.offset_seconds
    }

    /// This merchant's code table (which prefixes and lengths are which wallet's codes).
    #[must_use]
    pub fn code_table(&self) -> CodeTable {
        self.inner.config.codes.clone()
    }

    /// Classifies a scanned or typed code with this merchant's code table (the one `pay`
    /// uses): which wallet's payment code it is, or why it is none.
    ///
    /// # Errors
    /// Why the text is not a payment code this merchant can charge.
    pub fn classify_code(
        &self,
        code: &str,
    ) -> std::result::Result<cloudpos_domain::code::PaymentCode, cloudpos_domain::code::CodeError>
    {
        self.inner.config.codes.classify(code)
    }

    /// Now, by the terminal's clock.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        self.inner.ports.clock.now()
    }

    fn gateway(&self) -> Result<Arc<dyn PaymentGateway>> {
        self.inner
            .gateway
            .read()
            .ok()
            .and_then(|g| g.clone())
            .ok_or(TerminalError::NotConfigured)
    }

    /// Installs (or removes) the device's own cloud calls; the wiring does it with the
    /// gateway.
    pub fn set_device_cloud(&self, cloud: Option<Arc<dyn DeviceCloud>>) {
        if let Ok(mut d) = self.inner.device_cloud.write() {
            *d = cloud;
        }
    }

    fn device_cloud(&self) -> Result<Arc<dyn DeviceCloud>> {
        self.inner
            .device_cloud
            .read()
            .ok()
            .and_then(|d| d.clone())
            .ok_or(TerminalError::NotConfigured)
    }

    fn emit(&self, event: Event) {
        // Nobody listening is fine.
        let _ = self.inner.events.send(event);
    }

    /// Installs the reader of the host POS screen (plug-in mode), in place of the one the
    /// terminal builds from the basic settings; `None` goes back to that one.
    pub fn set_amount_reader(&self, reader: Option<Arc<dyn AmountReader>>) {
        if let Ok(mut r) = self.inner.amount_reader.write() {
            *r = reader;
        }
        self.inner
            .amount_reader_built
            .store(false, std::sync::atomic::Ordering::SeqCst);
    }

    fn installed_amount_reader(&self) -> Option<Arc<dyn AmountReader>> {
        self.inner.amount_reader.read().ok().and_then(|r| r.clone())
    }

    fn install_built_reader(&self, reader: Arc<dyn AmountReader>) {
        if let Ok(mut r) = self.inner.amount_reader.write() {
            *r = Some(reader);
        }
        self.inner
            .amount_reader_built
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Drops a reader built from the basic settings (they changed); an installed one stays.
    fn forget_built_reader(&self) {
        if self
            .inner
            .amount_reader_built
            .swap(false, std::sync::atomic::Ordering::SeqCst)
            && let Ok(mut r) = self.inner.amount_reader.write()
        {
            *r = None;
        }
    }

    /// Reads the amount off the host POS screen now (plug-in mode).
    pub async fn read_amount(&self) -> Result<AmountReading> {
        self.screen_reader()
            .await?
            .read_amount()
            .await
            .map_err(|e| TerminalError::Invalid(format!("could not read the amount: {e}")))
    }

    /// Reads the host's receipt/serial number now, when a region is configured.
    pub async fn read_serial(&self) -> Result<Option<String>> {
        self.screen_reader()
            .await?
            .read_serial()
            .await
            .map_err(|e| TerminalError::Invalid(format!("could not read the serial number: {e}")))
    }

    /// Checks the audit chain (read-only; anyone may).
    pub async fn verify_audit(&self) -> Result<cloudpos_domain::ports::AuditVerdict> {
        Ok(self.inner.ports.audit.verify().await?)
    }

    /// The newest audit records, newest first.
    pub async fn audit_log(&self, limit: u32) -> Result<Vec<cloudpos_domain::ports::AuditRecord>> {
        Ok(self.inner.ports.audit.recent(limit).await?)
    }

    /// Appends to the audit chain; a failure to audit fails the action that asked for it.
    async fn audit(&self, actor: &str, action: &str, detail: serde_json::Value) -> Result<()> {
        self.inner
            .ports
            .audit
            .append(&AuditEntry {
                at: self.now(),
                actor: actor.to_owned(),
                action: action.to_owned(),
                detail: detail.to_string(),
            })
            .await?;
        Ok(())
    }
}
