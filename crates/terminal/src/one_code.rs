//! One-code pay printing (一码支付打印): customers pay by scanning the shop's printed QR
//! code with their own phone; the till watches the shop's listing (`client_order_detail`
//! for the whole shop, trade type 8), and prints a receipt for and announces each new paid
//! one exactly once.
//!
//! Exactly once rests on the journal (`OneCodeJournal`, claim → done): a payment is claimed
//! durably before anything is printed or said, and a claim is taken once per order number,
//! so a restart, a crash or a second watcher never prints it again. A crash between the
//! claim and the done mark leaves the payment *interrupted*: it is not printed again (it
//! may have been) but reported at the next start, so the cashier can re-print it.
//!
//! Where watching starts is the mark (`one_code_mark`): payments paid before it are never
//! handled. Saving the settings enabled with "from now" (or for the first time) moves it to
//! that moment; the cashier's watcher moves it to its own start when the setting says "from
//! now", so payments taken while the till was closed are not printed at opening; with "from
//! the last one printed" it stays, and the watcher catches up on everything paid since the
//! last payment it handled. `cloudpos onecode watch` never moves an existing mark.

use std::time::Duration;

use cloudpos_domain::announcement::Announcement;
use cloudpos_domain::one_code::{OneCodeEntry, OneCodePayment};
use cloudpos_domain::order::PaymentMethod;
use cloudpos_domain::ports::{CloudListKind, CloudListQuery, CloudOrder};
use cloudpos_domain::receipt::{Receipt, ReceiptKind};
use cloudpos_domain::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{Event, Result, Setting, Terminal, TerminalError};

/// Settings key of the mark: payments paid before it are never handled.
pub const MARK_KEY: &str = "one_code_mark";

/// Listing pages while watching.
const PAGE: u32 = 100;
/// How far before the last scan (or payment) the next scan starts: a payment listed by its
/// creation time may be paid some minutes after it was created.
const OVERLAP: Duration = Duration::from_secs(30 * 60);

/// Where the watcher starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OneCodeFrom {
    /// From now: from the moment the setting is saved, and from each start of the cashier
    /// (payments taken while it was closed are not printed).
    #[default]
    Now,
    /// From the last one printed: after a pause, everything paid since is printed.
    Last,
}

impl OneCodeFrom {
    /// The command-line name (`now`, `last`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            OneCodeFrom::Now => "now",
            OneCodeFrom::Last => "last",
        }
    }
}

impl std::str::FromStr for OneCodeFrom {
    type Err = TerminalError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "now" => Ok(OneCodeFrom::Now),
            "last" => Ok(OneCodeFrom::Last),
            _ => Err(TerminalError::Invalid(format!(
                "\"{s}\": one-code printing starts from now or last"
            ))),
        }
    }
}

/// The one-code pay printing settings (一码支付打印).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OneCodeSettings {
    /// The cashier watches in the background.
    pub enabled: bool,
    /// Where watching starts.
    pub from: OneCodeFrom,
    /// Seconds between two looks at the listing (5).
    pub interval_secs: u64,
    /// The printed QR codes (their ids) to watch; empty: every code of the shop.
    pub qr_codes: Vec<String>,
}

impl Default for OneCodeSettings {
    fn default() -> Self {
        OneCodeSettings {
            enabled: false,
            from: OneCodeFrom::Now,
            interval_secs: 5,
            qr_codes: Vec::new(),
        }
    }
}

impl OneCodeSettings {
    /// The interval as a duration.
    #[must_use]
    pub fn interval(&self) -> Duration {
        Duration::from_secs(self.interval_secs)
    }

    /// Whether payments through `qr_code` are watched.
    #[must_use]
    pub fn watches(&self, qr_code: &str) -> bool {
        self.qr_codes.is_empty() || self.qr_codes.iter().any(|c| c == qr_code)
    }
}

impl Setting for OneCodeSettings {
    const KEY: &'static str = "one_code";
    const NAME: &'static str = "one-code pay printing settings";
    const AUDIT_ACTION: &'static str = "config_one_code";

    fn check(&mut self) -> Result<()> {
        if !(1..=3600).contains(&self.interval_secs) {
            return Err(TerminalError::Invalid(format!(
                "the one-code interval is 1 to 3600 seconds, not {}",
                self.interval_secs
            )));
        }
        let mut codes: Vec<String> = Vec::new();
        for code in &self.qr_codes {
            let code = code.trim();
            if code.is_empty()
                || code.len() > 32
                || !code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(TerminalError::Invalid(format!(
                    "QR code id \"{code}\": 1 to 32 letters, digits, - or _"
                )));
            }
            if !codes.iter().any(|c| c == code) {
                codes.push(code.to_owned());
            }
        }
        self.qr_codes = codes;
        Ok(())
    }

    /// Saved enabled with "from now" (or the first time): watching starts now.
    async fn applied(&self, terminal: &Terminal) -> Result<()> {
        if self.enabled
            && (self.from == OneCodeFrom::Now || terminal.one_code_mark().await?.is_none())
        {
            terminal.set_one_code_mark(terminal.now()).await?;
        }
        Ok(())
    }
}

/// The mark, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Mark {
    since: Timestamp,
}

/// The watcher's memory within one process: how far the listing was last read.
#[derive(Default)]
pub(crate) struct OneCodeState {
    scanned_to: std::sync::Mutex<Option<Timestamp>>,
}

impl Terminal {
    /// Where watching starts: payments paid before it are never handled (`None`: never
    /// started).
    pub async fn one_code_mark(&self) -> Result<Option<Timestamp>> {
        Ok(self
            .inner
            .ports
            .settings
            .get(MARK_KEY)
            .await?
            .and_then(|v| serde_json::from_value::<Mark>(v).ok())
            .map(|m| m.since))
    }

    async fn set_one_code_mark(&self, since: Timestamp) -> Result<()> {
        let value = serde_json::to_value(Mark { since })
            .map_err(|e| TerminalError::Invalid(e.to_string()))?;
        self.inner.ports.settings.put(MARK_KEY, &value).await?;
        if let Ok(mut s) = self.inner.one_code.scanned_to.lock() {
            *s = None;
        }
        Ok(())
    }

    /// Starts watching in this process: claims a crash left open become interrupted and are
    /// returned (never printed again automatically); the mark is set to now when there is
    /// none, or when `session_start` (the cashier opening) and the settings say "from now".
    pub async fn one_code_begin(&self, session_start: bool) -> Result<Vec<OneCodeEntry>> {
        let interrupted = self
            .inner
            .ports
            .one_code
            .interrupt_open_one_code(self.now())
            .await?;
        for e in &interrupted {
            tracing::warn!(
                order = %e.payment.out_trade_no,
                amount = %e.payment.amount,
                "a one-code payment was being printed when the till stopped; it is not printed \
                 again: re-print it if the receipt is missing"
            );
        }
        let settings = self.setting::<OneCodeSettings>().await?;
        let reset = session_start && settings.enabled && settings.from == OneCodeFrom::Now;
        if reset || self.one_code_mark().await?.is_none() {
            self.set_one_code_mark(self.now()).await?;
        }
        Ok(interrupted)
    }

    /// Looks at the shop's listing once: every paid one-code payment since the mark not yet
    /// handled is claimed, announced, printed (when a printer is set up) and marked done, in
    /// the order paid. Returns the payments this call handled.
    pub async fn one_code_poll(&self) -> Result<Vec<OneCodePayment>> {
        let gateway = self.gateway()?;
        let merchant = self.merchant().await?.ok_or(TerminalError::NotConfigured)?;
        let settings = self.setting::<OneCodeSettings>().await?;
        let Some(since) = self.one_code_mark().await? else {
            self.set_one_code_mark(self.now()).await?;
            return Ok(Vec::new());
        };
        let journal = &self.inner.ports.one_code;
        let now = self.now();
        let scanned = self.inner.one_code.scanned_to.lock().ok().and_then(|s| *s);
        let last = journal.last_one_code_paid().await?;
        let start = [Some(since), scanned, last]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(since)
            .minus(OVERLAP);
        let to = now.plus(Duration::from_secs(60));

        let mut found: Vec<(OneCodePayment, CloudOrder)> = Vec::new();
        let mut seen = 0u64;
        let mut page = 1;
        loop {
            let p = gateway
                .list(&CloudListQuery {
                    from: start,
                    to,
                    kind: CloudListKind::Orders,
                    page,
                    page_size: PAGE,
                    shop_wide: true,
                })
                .await?;
            seen += u64::try_from(p.orders.len() + p.refunds.len()).unwrap_or(u64::MAX);
            let empty = p.orders.is_empty() && p.refunds.is_empty();
            for o in p.orders {
                if o.store_id != merchant.out_shop_id {
                    continue;
                }
                if let Some(pay) = OneCodePayment::of_cloud(&o)
                    && pay.paid_at >= since
                    && settings.watches(&pay.qr_code)
                    && !found
                        .iter()
                        .any(|(f, _)| f.out_trade_no == pay.out_trade_no)
                {
                    found.push((pay, o));
                }
            }
            if empty || seen >= p.total || page > 10_000 {
                break;
            }
            page += 1;
        }
        found.sort_by(|a, b| {
            (a.0.paid_at, &a.0.out_trade_no).cmp(&(b.0.paid_at, &b.0.out_trade_no))
        });

        let mut handled = Vec::new();
        for (pay, order) in found {
            if !journal.claim_one_code(&pay, self.now()).await? {
                continue;
            }
            if let Some(a) = Announcement::of_one_code(&order) {
                self.announce(&a);
            }
            let printed = self.print_one_code(&pay).await;
            journal
                .finish_one_code(&pay.out_trade_no, printed, self.now())
                .await?;
            self.emit(Event::OneCodePaid(pay.clone()));
            handled.push(pay);
        }
        if let Ok(mut s) = self.inner.one_code.scanned_to.lock() {
            *s = Some(now);
        }
        Ok(handled)
    }

    /// The receipt of a one-code payment.
    pub async fn one_code_receipt(&self, pay: &OneCodePayment) -> Result<Receipt> {
        let mut r = self.receipt_base(ReceiptKind::Payment).await?;
        r.order_no = Some(pay.out_trade_no.clone());
        r.transaction_id.clone_from(&pay.transaction_id);
        r.time = pay.paid_at;
        r.device_id.clone_from(&pay.qr_code);
        r.method = pay.wallet.map(PaymentMethod::Wallet);
        r.amount = pay.amount;
        r.extra.push(("收款方式".to_owned(), "一码支付".to_owned()));
        r.extra.push(("收款码".to_owned(), pay.qr_code.clone()));
        Ok(r)
    }

    /// Prints a one-code receipt with the configured printer; whether it printed (a failure
    /// is logged and published, never retried: the payment stays handled).
    async fn print_one_code(&self, pay: &OneCodePayment) -> bool {
        let Some(printer) = self.printer() else {
            return false;
        };
        let what = format!("one-code payment {}", pay.out_trade_no);
        let result = match self.one_code_receipt(pay).await {
            Ok(r) => printer.print(&r).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match result {
            Ok(()) => true,
            Err(reason) => {
                tracing::warn!(%what, %reason, "one-code receipt not printed");
                self.emit(Event::PrintFailed { what, reason });
                false
            }
        }
    }

    /// The most recent handled one-code payments, newest first.
    pub async fn one_code_recent(&self, limit: u32) -> Result<Vec<OneCodeEntry>> {
        Ok(self.inner.ports.one_code.recent_one_code(limit).await?)
    }

    /// Re-prints a handled one-code payment's receipt (one an interruption may have cost).
    pub async fn reprint_one_code(&self, out_trade_no: &str) -> Result<()> {
        let entry = self
            .one_code_recent(10_000)
            .await?
            .into_iter()
            .find(|e| e.payment.out_trade_no == out_trade_no)
            .ok_or_else(|| TerminalError::NotFound(format!("one-code payment {out_trade_no}")))?;
        let receipt = self.one_code_receipt(&entry.payment).await?;
        self.print_receipt(&receipt, None).await
    }

    /// The cashier's one-code watcher, until the task is dropped or aborted: starts with
    /// [`Terminal::one_code_begin`] (a session start), then, while the settings are enabled,
    /// runs [`Terminal::one_code_poll`] every interval. Failures are logged and retried; it
    /// never halts the till and runs beside the reconciler, not inside it.
    pub fn spawn_one_code_watcher(&self) -> tokio::task::JoinHandle<()> {
        let t = self.clone();
        tokio::spawn(async move {
            if let Err(e) = t.one_code_begin(true).await {
                tracing::warn!(error = %e, "one-code watching did not start");
            }
            loop {
                let settings = t.setting::<OneCodeSettings>().await.unwrap_or_default();
                if settings.enabled && t.merchant().await.ok().flatten().is_some() {
                    match t.one_code_poll().await {
                        Ok(handled) if !handled.is_empty() => {
                            tracing::info!(payments = handled.len(), "one-code payments printed");
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "one-code listing not read"),
                    }
                }
                t.inner.ports.clock.sleep(settings.interval()).await;
            }
        })
    }
}
