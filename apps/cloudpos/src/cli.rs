//! The command-line grammar. Command and flag names are a contract: keep them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// CloudPOS cashier terminal (command line). Passwords are read from stdin.
#[derive(Debug, Parser)]
#[command(name = "cloudpos", version, about, long_about = None)]
pub struct Cli {
    /// Data directory (default: $CLOUDPOS_HOME, else the platform's data directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// More log output on stderr (-v info, -vv debug; or set CLOUDPOS_LOG).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Configure the terminal.
    #[command(subcommand)]
    Setup(SetupCommand),
    /// Log in (password on stdin, or --qr to approve on a phone); opens a shift.
    Login {
        /// Clerk id.
        #[arg(long, value_name = "ID", required_unless_present = "qr")]
        staff: Option<String>,
        /// Show a QR code to scan and approve instead of typing a password.
        #[arg(long, conflicts_with = "staff")]
        qr: bool,
    },
    /// Log out.
    Logout,
    /// Show the merchant, the session and the halt switch.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Take a wallet payment.
    Pay(PayArgs),
    /// Refund part or all of a paid order.
    Refund(RefundArgs),
    /// Deposits (押金 / pre-authorisation): freeze, consume, unfreeze, query, list.
    #[command(subcommand)]
    Deposit(crate::cli_deposit::DepositCommand),
    /// Member cards (会员卡): add, find, recharge, pay, ledger, import, export, adjust.
    #[command(subcommand)]
    Member(crate::cli_member::MemberCommand),
    /// Show one order (asking Cloud Pay if it is not final yet).
    Query {
        /// Order number (out_trade_no).
        #[arg(long, value_name = "NO")]
        order: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List orders, newest first.
    Orders(OrdersArgs),
    /// Show or change the configuration (changes need the configure permission).
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage clerks (needs the manage-clerks permission).
    #[command(subcommand)]
    Clerk(ClerkCommand),
    /// Plug-in mode: read the amount off the screen or out of pictures; set the regions.
    #[command(subcommand)]
    Capture(CaptureCommand),
    /// Plug-in mode: press keys in the focused window as the payment window does in the host
    /// POS (SendInput on Windows, XTEST on X11), to try a key sequence.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The halt switch set by reconciliation.
    #[command(subcommand)]
    Halt(HaltCommand),
    /// Hand over: close the shift with its summary and log out.
    Handover {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Also print the handover slip on the configured printer.
        #[arg(long)]
        print: bool,
    },
    /// Summary of a period (default: since login) for one clerk or all (managers).
    Summary(SummaryArgs),
    /// Closed and open shifts, newest first.
    Shifts {
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Void a paid order taken today (the money goes back); a clerk needs --manager.
    Void {
        /// Order number.
        #[arg(long, value_name = "NO")]
        order: String,
        /// A manager authorises it (their password on stdin).
        #[arg(long, value_name = "ID")]
        manager: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print receipts, a test page, or a preview picture.
    #[command(subcommand)]
    Print(PrintCommand),
    /// The audit chain of privileged actions.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Notices (公告) from the service provider or the merchant, newest first, read or
    /// unread (fetched from Cloud Pay first when it can be reached).
    Notices {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Mark this notice read (its id).
        #[arg(long, value_name = "ID", conflicts_with = "mark_all_read")]
        mark_read: Option<String>,
        /// Mark every notice read.
        #[arg(long)]
        mark_all_read: bool,
    },
    /// A guided tour on the embedded sandbox: log in, pay, see a failure, refund with a
    /// manager's authorisation, list the orders.
    Demo,
    /// Compare the ledger with Cloud Pay and halt on any discrepancy.
    Reconcile(ReconcileArgs),
    /// Resolve payments, refunds and deposits left open by a crash or a lost answer.
    Recover {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Voice announcements (语音播报): hear or render what the till says.
    #[command(subcommand)]
    Voice(VoiceCommand),
    /// One-code pay printing (一码支付打印): payments customers make by scanning the shop's
    /// printed QR code, printed and announced once each.
    #[command(subcommand)]
    Onecode(crate::cli_onecode::OnecodeCommand),
    /// Software update (软件更新): without a subcommand, the running version, the feed and
    /// the trusted key; `check` asks the feed; `apply` installs its signed release (admin).
    Update(UpdateArgs),
    /// The head office (总部): the sync state, or a sync now.
    #[command(subcommand)]
    Hq(HqCommand),
}

/// `update [check|apply]`
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// What to do (default: show the version and the update settings).
    #[command(subcommand)]
    pub command: Option<UpdateCommand>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `update …`
#[derive(Debug, Subcommand)]
pub enum UpdateCommand {
    /// Ask the feed for its latest release (its signature is verified first).
    Check {
        /// Print JSON: {"current","latest","available","notes",…}.
        #[arg(long)]
        json: bool,
    },
    /// Download, verify (signature, sha256, newer) and install the feed's release, then
    /// check that the new cloudpos starts; rolls back if not. An admin, password on stdin;
    /// refused while a payment or refund is open. The data directory is not touched.
    Apply {
        /// The folder holding cashier and cloudpos (default: this program's folder).
        #[arg(long, value_name = "DIR")]
        program_dir: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `config update …`: without options, shows the settings.
#[derive(Debug, Args)]
pub struct UpdateConfigArgs {
    /// The update feed: the directory `cargo xtask sign-release` wrote, served over HTTP
    /// (e.g. http://10.0.0.5/cloudpos/windows-x86_64/); "" removes it.
    #[arg(long, value_name = "URL")]
    pub feed: Option<String>,
    /// Trust this public key (a .pub file written by `cargo xtask keygen`) instead of the
    /// one built into the program, for a service provider's own builds.
    #[arg(long, value_name = "FILE", conflicts_with = "builtin_key")]
    pub public_key: Option<PathBuf>,
    /// Go back to the public key built into the program.
    #[arg(long)]
    pub builtin_key: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `voice …`
#[derive(Debug, Subcommand)]
pub enum VoiceCommand {
    /// Say "微信收款 12.34 元" on the sound device, or write it to a WAV file with --out.
    Say {
        /// Amount in yuan, at most 2 decimals (e.g. 12.34).
        #[arg(long, value_name = "YUAN", allow_hyphen_values = true)]
        amount: String,
        /// wechat, alipay or member_card.
        #[arg(long, value_name = "WALLET")]
        wallet: String,
        /// Write a WAV file (16 kHz mono 16-bit PCM) instead of playing.
        #[arg(long, value_name = "FILE.wav")]
        out: Option<PathBuf>,
        /// Volume 0–100 (default: the configured volume when playing, 100 in a file).
        #[arg(long, value_name = "PERCENT")]
        volume: Option<u8>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `clerk …`
#[derive(Debug, Subcommand)]
pub enum ClerkCommand {
    /// Add a clerk (password on stdin).
    Add {
        /// Login id.
        #[arg(long, value_name = "ID")]
        id: String,
        /// Name.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// clerk, manager, admin (or provider_admin).
        #[arg(long, value_name = "ROLE")]
        role: String,
        /// Phone.
        #[arg(long, value_name = "P", default_value = "")]
        phone: String,
        /// May refund without a manager.
        #[arg(long)]
        can_refund: bool,
        /// The Cloud Pay staff id this clerk maps to (for QR login and approvals).
        #[arg(long, value_name = "STAFF")]
        cloud_staff_id: Option<String>,
    },
    /// List or search clerks (by id, name or phone).
    List {
        /// Search text.
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a clerk's fields.
    Edit {
        /// Login id.
        #[arg(long, value_name = "ID")]
        id: String,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        /// New phone.
        #[arg(long)]
        phone: Option<String>,
        /// New role.
        #[arg(long)]
        role: Option<String>,
        /// Refund permission: true or false.
        #[arg(long, value_name = "BOOL")]
        can_refund: Option<bool>,
        /// Cloud Pay staff id ("" clears it).
        #[arg(long, value_name = "STAFF")]
        cloud_staff_id: Option<String>,
    },
    /// Remove a clerk.
    Remove {
        /// Login id.
        #[arg(long, value_name = "ID")]
        id: String,
    },
    /// Set a new password (on stdin); also lifts a lockout.
    ResetPassword {
        /// Login id.
        #[arg(long, value_name = "ID")]
        id: String,
    },
}

/// `halt …`
#[derive(Debug, Subcommand)]
pub enum HaltCommand {
    /// Is the till halted, and why.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Clear the halt (the logged-in admin's password on stdin).
    Clear,
}

/// `audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; exit 0 when intact, else name the first bad record.
    Verify {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The newest records.
    List {
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `summary …`
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// Start (YYYY-MM-DD[ HH:MM[:SS]] shop time, or Unix seconds); default: since login.
    #[arg(long, value_name = "T")]
    pub from: Option<String>,
    /// End (exclusive); default: now.
    #[arg(long, value_name = "T")]
    pub to: Option<String>,
    /// One clerk (managers may ask for anyone).
    #[arg(long, value_name = "ID")]
    pub clerk: Option<String>,
    /// A shift's summary (re-print a handover).
    #[arg(long, value_name = "ID", conflicts_with_all = ["from", "to", "clerk"])]
    pub shift: Option<i64>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the statistics picture (amount per hour and wallet) to FILE.
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,
    /// Also print the summary slip on the configured printer.
    #[arg(long)]
    pub print: bool,
}

/// `setup …`
#[derive(Debug, Subcommand)]
pub enum SetupCommand {
    /// Configure the merchant from a credentials file; the admin password is read from stdin.
    Merchant {
        /// JSON credentials (as written by `cloudpay-sandbox --credentials-out`).
        #[arg(long, value_name = "FILE")]
        credentials: PathBuf,
        /// Mark the terminal as running on a sandbox (SANDBOX on every screen and receipt).
        #[arg(long)]
        sandbox: bool,
    },
    /// Bind this till by the configuration QR of the merchant back office (配置扫码); the
    /// admin password is read from stdin.
    Bind {
        /// The QR's text (a URL …/use_device_setting?osi=…&si=…; valid 5 minutes, once).
        #[arg(long, value_name = "TEXT")]
        config_qr: String,
        /// Print JSON: out_mch_id, out_sub_mch_id, out_shop_id, device_id, staff_id.
        #[arg(long)]
        json: bool,
    },
    /// Unbind this device from Cloud Pay (解绑设备; admin): payments, refunds and deposits
    /// are refused until it is bound again. Records stay readable.
    Unbind,
    /// Clear the key (重置密钥; admin). Binding again must be with the same device.
    ResetKey,
}

/// `config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// What the 基础配置 page sets: plug-in or full mode, the checkout style, capture,
    /// automatic payment, language, how the window opens. Without options, shows them.
    Basic(BasicConfigArgs),
    /// Timings of the payment loop (query interval, timeout before reversing, …).
    Payment(PaymentConfigArgs),
    /// The receipt printer (used for automatic printing after payments and refunds).
    Printer(PrinterConfigArgs),
    /// How the terminal reaches Cloud Pay: proxy (代理), timeouts, an extra root CA.
    Network(NetworkConfigArgs),
    /// Voice announcements (语音播报): on or off, volume, which events speak.
    Voice(VoiceConfigArgs),
    /// Member cards: the recharge bonus rules (充 100 送 10). Without options, shows them.
    Member {
        /// Rules as THRESHOLD:BONUS in yuan, comma-separated (`100:10,200:30`); the
        /// highest threshold reached applies; empty text clears them.
        #[arg(long, value_name = "RULES")]
        bonus: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Software update: the feed URL and the trusted public key (admin only).
    Update(UpdateConfigArgs),
    /// One-code pay printing (一码支付打印): on or off, from when, how often, which QR codes.
    Onecode(crate::cli_onecode::OnecodeConfigArgs),
    /// Connect this till to a head office: exchanges the one-time enrolment token from
    /// `cloudpos-hq enrol` (configure permission; audited).
    Hq {
        /// The head office's address (https://…, or http:// to this machine only).
        #[arg(long, value_name = "URL")]
        url: String,
        /// The one-time token `cloudpos-hq enrol` printed.
        #[arg(long, value_name = "TOKEN")]
        enrol_token: String,
    },
    /// Reconciliation: how often, and how long records may stay in flight.
    Reconcile {
        /// Seconds between background runs (default 30).
        #[arg(long, value_name = "SECS")]
        interval_secs: Option<u64>,
        /// Records touched more recently are still settling (default 120000).
        #[arg(long, value_name = "MS")]
        grace_ms: Option<u64>,
        /// Back to the defaults.
        #[arg(long)]
        reset: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `reconcile …`
#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Run once and exit: 0 when clean, non-zero (and halted) on any discrepancy.
    #[arg(long)]
    pub once: bool,
    /// Check this window instead of the one since the last checkpoint (start).
    #[arg(long, value_name = "T", requires = "to")]
    pub from: Option<String>,
    /// End of the window.
    #[arg(long, value_name = "T", requires = "from")]
    pub to: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `config printer …`: without options, shows the current settings.
#[derive(Debug, Args)]
pub struct PrinterConfigArgs {
    /// Print receipts automatically: true or false.
    #[arg(long, value_name = "BOOL")]
    pub enabled: Option<bool>,
    /// Device URI: file:PATH, serial:PORT?baud=9600&parity=none&data=8&stop=1&flow=none,
    /// tcp:HOST:PORT, cups:QUEUE (Linux), spooler:NAME (Windows).
    #[arg(long, value_name = "URI")]
    pub device: Option<String>,
    /// Copies of a payment receipt (refunds print one).
    #[arg(long, value_name = "N")]
    pub copies: Option<u32>,
    /// Seconds between copies (to tear them off).
    #[arg(long, value_name = "SECS")]
    pub interval: Option<u32>,
    /// Paper: 58, 80, or a number of columns (16–72).
    #[arg(long, value_name = "W")]
    pub width: Option<String>,
    /// Blank lines before the receipt.
    #[arg(long, value_name = "LINES")]
    pub top_margin: Option<u8>,
    /// Blank lines after the receipt.
    #[arg(long, value_name = "LINES")]
    pub bottom_margin: Option<u8>,
    /// normal, double_height or double_width_height.
    #[arg(long, value_name = "SIZE")]
    pub font_size: Option<String>,
    /// Closing line (惠顾语).
    #[arg(long, value_name = "TEXT")]
    pub closing_line: Option<String>,
    /// Paper cut: none, partial or full.
    #[arg(long, value_name = "MODE")]
    pub cut: Option<String>,
    /// Cash drawer kick on cash payments: none, pin2 or pin5.
    #[arg(long, value_name = "PIN")]
    pub drawer: Option<String>,
    /// gb18030, gbk, big5 or ascii.
    #[arg(long, value_name = "PAGE")]
    pub code_page: Option<String>,
    /// Print the order number as QR code and barcode: true or false.
    #[arg(long, value_name = "BOOL")]
    pub print_codes: Option<bool>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `print …`
#[derive(Debug, Subcommand)]
pub enum PrintCommand {
    /// Print the test page.
    Test {
        /// Printer (default: the configured one).
        #[arg(long, value_name = "URI")]
        device: Option<String>,
        /// 58, 80 or columns (default: the configured width).
        #[arg(long, value_name = "W")]
        width: Option<String>,
    },
    /// Print (again) the receipt of an order or a refund.
    Receipt {
        /// Order number.
        #[arg(
            long,
            value_name = "NO",
            required_unless_present = "refund",
            conflicts_with = "refund"
        )]
        order: Option<String>,
        /// Refund number.
        #[arg(long, value_name = "NO")]
        refund: Option<String>,
        /// Printer (default: the configured one).
        #[arg(long, value_name = "URI")]
        device: Option<String>,
        /// 58, 80 or columns (default: the configured width).
        #[arg(long, value_name = "W")]
        width: Option<String>,
    },
    /// Write a PNG of a receipt as the paper would look: an order's, a refund's, a shift's
    /// handover slip, or the test page.
    Preview {
        /// Order number.
        #[arg(long, value_name = "NO", required_unless_present_any = ["refund", "shift", "test"], conflicts_with_all = ["refund", "shift", "test"])]
        order: Option<String>,
        /// Refund number.
        #[arg(long, value_name = "NO", conflicts_with_all = ["shift", "test"])]
        refund: Option<String>,
        /// Shift id (its handover slip).
        #[arg(long, value_name = "ID", conflicts_with = "test")]
        shift: Option<i64>,
        /// The printer test page.
        #[arg(long)]
        test: bool,
        /// 58, 80 or columns.
        #[arg(long, value_name = "W")]
        width: String,
        /// Output file.
        #[arg(long, value_name = "FILE")]
        png: PathBuf,
    },
}

/// `config basic …`: without options, shows the current settings.
#[derive(Debug, Args)]
pub struct BasicConfigArgs {
    /// plugin (插件模式, beside the shop's POS program) or full (完整模式, our own POS).
    #[arg(long, value_name = "MODE")]
    pub mode: Option<ModeArg>,
    /// Full mode's checkout style: full (全功能), simple (简单) or total (总额).
    #[arg(long, value_name = "STYLE")]
    pub checkout: Option<CheckoutArg>,
    /// Plug-in: read the amount off the screen (自动抓取) or let the cashier type it.
    #[arg(long, value_name = "BOOL")]
    pub capture_amount: Option<bool>,
    /// Plug-in: also read the receipt number into the remark (抓取流水号).
    #[arg(long, value_name = "BOOL")]
    pub capture_serial: Option<bool>,
    /// Plug-in: a scanned payment code opens the payment window (扫码拉起收银窗口).
    #[arg(long, value_name = "BOOL")]
    pub scan_opens_window: Option<bool>,
    /// Capture preprocessing (预处理).
    #[arg(long, value_name = "BOOL")]
    pub preprocess: Option<bool>,
    /// Capture zoom (放大).
    #[arg(long, value_name = "BOOL")]
    pub zoom: Option<bool>,
    /// Touch screen: on-screen keypad and buttons (支持触屏).
    #[arg(long, value_name = "BOOL")]
    pub touch: Option<bool>,
    /// Pay automatically this many seconds (0–60) after amount and code are present, or
    /// `off` to wait for Enter (人工确认).
    #[arg(long, value_name = "SECS|off")]
    pub auto_pay: Option<String>,
    /// Seconds the result stays on screen (1–60).
    #[arg(long, value_name = "SECS")]
    pub result_secs: Option<u32>,
    /// Below this confidence (per mille, 0–1000) a captured amount needs confirming.
    #[arg(long, value_name = "PERMILLE")]
    pub min_confidence: Option<u16>,
    /// Screen language: zh (简体中文) or en.
    #[arg(long, value_name = "LANG")]
    pub language: Option<LanguageArg>,
    /// How the main window opens: normal, maximized or fullscreen.
    #[arg(long, value_name = "HOW")]
    pub window: Option<WindowArg>,
    /// Back to the defaults (before applying the other options).
    #[arg(long)]
    pub reset: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `config voice …`: without options, shows the current settings.
#[derive(Debug, Args)]
pub struct VoiceConfigArgs {
    /// Speak at all: true or false.
    #[arg(long, value_name = "BOOL")]
    pub enabled: Option<bool>,
    /// Volume, 0–100 (default 80).
    #[arg(long, value_name = "PERCENT")]
    pub volume: Option<u8>,
    /// The events that speak, comma-separated: paid, member_card, recharge, one_code, cash,
    /// failed, reversed; `all`; or "" for none (default: all but cash).
    #[arg(long, value_name = "LIST")]
    pub events: Option<String>,
    /// Back to the defaults.
    #[arg(long)]
    pub reset: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `--mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// 插件模式.
    Plugin,
    /// 完整模式.
    Full,
}

/// `--checkout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckoutArg {
    /// 全功能收银.
    Full,
    /// 简单收银.
    Simple,
    /// 总额收银.
    Total,
}

/// `--language`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LanguageArg {
    /// 简体中文.
    Zh,
    /// English.
    En,
}

/// `--window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WindowArg {
    /// Sized to fit the screen.
    Normal,
    /// Maximised.
    Maximized,
    /// Full screen.
    Fullscreen,
}

/// `config network …`: without options, shows the current settings (never the password).
#[derive(Debug, Args)]
pub struct NetworkConfigArgs {
    /// HTTP proxy, e.g. http://10.0.0.1:3128 (an empty value removes it).
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Proxy user (an empty value removes it).
    #[arg(long, value_name = "USER")]
    pub proxy_user: Option<String>,
    /// Read the proxy password from stdin (sealed; an empty line removes it).
    #[arg(long)]
    pub proxy_password_stdin: bool,
    /// Connect timeout, 100–120000 ms (default 3000).
    #[arg(long, value_name = "MS")]
    pub connect_timeout_ms: Option<u64>,
    /// Whole-request timeout, 100–120000 ms (default 10000).
    #[arg(long, value_name = "MS")]
    pub request_timeout_ms: Option<u64>,
    /// Extra trusted root CA for TLS to Cloud Pay (PEM file; an empty value removes it).
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Back to the defaults (no proxy, default timeouts, no extra CA).
    #[arg(long)]
    pub reset: bool,
    /// Also probe the merchant's Cloud Pay domains (`/cpay/ping`, in order) and name the
    /// one in use: the first that answers.
    #[arg(long)]
    pub show: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `config payment …`: without options, shows the current values.
#[derive(Debug, Args)]
pub struct PaymentConfigArgs {
    /// Wait between queries while the outcome is open (default 2000).
    #[arg(long, value_name = "MS")]
    pub poll_ms: Option<u64>,
    /// From the order's creation to reversing it if still unresolved (default 45000).
    #[arg(long, value_name = "MS")]
    pub timeout_ms: Option<u64>,
    /// Never reverse sooner than this after creation (default 15000).
    #[arg(long, value_name = "MS")]
    pub min_reverse_ms: Option<u64>,
    /// First wait between reverse attempts (default 1000; doubles up to 5000).
    #[arg(long, value_name = "MS")]
    pub reverse_backoff_ms: Option<u64>,
    /// How long a payment keeps retrying an unacknowledged reverse before returning (default 12000).
    #[arg(long, value_name = "MS")]
    pub reverse_budget_ms: Option<u64>,
    /// Wait between refund queries (default 2000).
    #[arg(long, value_name = "MS")]
    pub refund_poll_ms: Option<u64>,
    /// How long a refund waits for a final answer before returning (default 30000).
    #[arg(long, value_name = "MS")]
    pub refund_timeout_ms: Option<u64>,
    /// The largest amount one payment may be, wallet or cash (default 50000.00).
    #[arg(long, value_name = "YUAN")]
    pub max_payment: Option<String>,
    /// The largest amount one refund may be (default 50000.00).
    #[arg(long, value_name = "YUAN")]
    pub max_refund: Option<String>,
    /// Back to the defaults.
    #[arg(long)]
    pub reset: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `pay …`
#[derive(Debug, Args)]
pub struct PayArgs {
    /// Amount in yuan, at most 2 decimals (e.g. 12.34; full-width `１２．３４` and `12。34`
    /// as Chinese input methods type them are accepted). At most the configured maximum per
    /// payment (`config payment --max-payment`, default 50000.00).
    #[arg(long, value_name = "YUAN", allow_hyphen_values = true)]
    pub amount: String,
    /// The customer's payment code.
    #[arg(long, value_name = "CODE")]
    pub code: String,
    /// Remark (e.g. the host POS receipt number).
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub remark: String,
    /// Seconds from the order's creation to reversing it if still unresolved (default 45).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Announce the result on the sound device (as configured with `config voice`) and wait
    /// for it before exiting.
    #[arg(long)]
    pub speak: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `refund …`
#[derive(Debug, Args)]
pub struct RefundArgs {
    /// Order number (out_trade_no).
    #[arg(long, value_name = "NO")]
    pub order: String,
    /// Amount to refund in yuan (full-width digits accepted); at most what is left to refund
    /// and the configured maximum per refund (`config payment --max-refund`).
    #[arg(long, value_name = "YUAN", allow_hyphen_values = true)]
    pub amount: String,
    /// Reason.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub reason: String,
    /// A manager authorises the refund (their password is read from stdin).
    #[arg(long, value_name = "ID", conflicts_with_all = ["qr", "approval"])]
    pub manager: Option<String>,
    /// A manager approves on their phone: show a QR code and wait (up to 5 minutes).
    #[arg(long, conflicts_with = "approval")]
    pub qr: bool,
    /// Use a challenge a manager already approved (from an earlier --qr).
    #[arg(long, value_name = "TOKEN")]
    pub approval: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `orders …`
#[derive(Debug, Args)]
pub struct OrdersArgs {
    /// Created at or after (YYYY-MM-DD[ HH:MM[:SS]] shop time, or Unix seconds).
    #[arg(long, value_name = "T")]
    pub from: Option<String>,
    /// Created before.
    #[arg(long, value_name = "T")]
    pub to: Option<String>,
    /// paid, failed, reversed, partially_refunded, refunded or unknown.
    #[arg(long, value_name = "S")]
    pub state: Option<String>,
    /// Clerk id.
    #[arg(long, value_name = "ID")]
    pub clerk: Option<String>,
    /// Print a JSON array.
    #[arg(long, conflicts_with_all = ["csv", "xlsx"])]
    pub json: bool,
    /// Export to CSV (orders to FILE, refunds to FILE-refunds.csv).
    #[arg(long, value_name = "FILE", conflicts_with = "xlsx")]
    pub csv: Option<PathBuf>,
    /// Export to an Excel workbook (sheets 订单 and 退款).
    #[arg(long, value_name = "FILE")]
    pub xlsx: Option<PathBuf>,
}

/// `keys …`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Press a key sequence now in whatever window has the keyboard focus, with the
    /// configured pause between chords (e.g. `--keys "F12, Enter"`; `--delay` waits first,
    /// to click into the host program).
    Send {
        /// Chords separated by commas or spaces: `F12, Ctrl+Enter`, `Alt+F4`, `Num0`.
        #[arg(long, value_name = "SEQ")]
        keys: String,
        /// Seconds to wait before pressing.
        #[arg(long, value_name = "SECS", default_value_t = 0)]
        delay: u64,
    },
}

/// `capture …`
#[derive(Debug, Subcommand)]
pub enum CaptureCommand {
    /// Read amounts (or serial numbers) in pictures of a region, or off the screen now.
    /// A negative total (a return in progress on the host) is read with its sign
    /// (`amount_fen` < 0, `kind` `return`). Exit 0 when an amount was read in every
    /// picture, 3 when one had none (with --screen: 3 also when the read needs the
    /// cashier's confirmation).
    Read {
        /// A picture (PNG, JPEG, BMP) of an amount region; repeat for several.
        #[arg(
            long = "image",
            value_name = "FILE",
            required_unless_present = "screen"
        )]
        images: Vec<PathBuf>,
        /// Read the configured region of the screen now.
        #[arg(long, conflicts_with = "images")]
        screen: bool,
        /// Read receipt/serial numbers instead of amounts.
        #[arg(long)]
        serial: bool,
        /// Print JSON (one object per picture).
        #[arg(long)]
        json: bool,
    },
    /// Where the host POS shows the total and the receipt number.
    #[command(subcommand)]
    Region(RegionCommand),
}

/// `capture region …`
#[derive(Debug, Subcommand)]
pub enum RegionCommand {
    /// Set the amount region (or, with --serial, the receipt-number region; that also turns
    /// on reading it into the remark). Needs the configure permission.
    Set {
        /// Screen index (0 = primary).
        #[arg(long, default_value_t = 0)]
        screen: u32,
        /// The rectangle, physical pixels of that screen: X,Y,W,H.
        #[arg(long, value_name = "X,Y,W,H")]
        rect: String,
        /// The screen's display scale in percent when the rectangle was measured.
        #[arg(long, default_value_t = 100)]
        scale: u32,
        /// Set the receipt-number region instead of the amount region.
        #[arg(long)]
        serial: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the regions.
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove both regions (the cashier types amounts). Needs the configure permission.
    Clear {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `hq …`: the head office (总部) link.
#[derive(Debug, Subcommand)]
pub enum HqCommand {
    /// The link's state: changes pending, the last successful sync, the lag.
    Status {
        /// Print JSON: `{"pending","last_sync","lag_ms",…}`.
        #[arg(long)]
        json: bool,
    },
    /// Push the outbox and pull the catalogue now.
    Sync {
        /// Sync once and exit (non-zero when the head office cannot be reached).
        #[arg(long)]
        once: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}
