//! 基础配置 Basic settings (D/F6, plug-in D/F4): mode (插件 / 完整), the checkout style,
//! store and device, capture options (自动抓取 / 人工输入, 抓取流水号, 扫码拉起收银窗口,
//! 预处理, 放大, 触屏), the amount and serial-number regions, the auto-pay delay, how long
//! a result stays, the language, the keys (masked), the proxy, 重新配置 and 软件更新.

use std::path::PathBuf;

use cloudpos_domain::catalog::CheckoutMode;
use cloudpos_domain::ports::ScreenRegion;
use cloudpos_terminal::{
    BasicSettings, CashierMode, Language, MerchantProfile, Mode, NetworkSettings, StartWindow,
    Terminal, TerminalError,
};
use iced::Task;

use crate::i18n::{error_text, tr, trs};
use crate::keys::{KeyAction, KeyPress, Shortcut, shortcut};
use crate::screen::call;
use crate::screen::region::Target;

/// The auto-pay delay choice (人工确认收银金额时间).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoPay(pub Option<u32>);

impl std::fmt::Display for AutoPay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            None => f.write_str(tr("人工确认（按 Enter）", "Confirm with Enter")),
            Some(s) => write!(f, "{s} {}", tr("秒后自动收款", "s, then pay")),
        }
    }
}

/// Seconds choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Secs(pub u32);

impl std::fmt::Display for Secs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0, tr("秒", "s"))
    }
}

/// Language choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lang(pub Language);

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Language::Zh => "简体中文",
            Language::En => "English",
        })
    }
}

/// Id of the configuration QR field of the re-configuration dialog (a scanner types into
/// it; its Enter applies).
pub const CONFIG_QR_FIELD: &str = "basic-config-qr";

/// The re-configuration dialog (重新配置): bind by scanning the back office's configuration
/// QR (配置扫码), or configure from a credentials file.
#[derive(Debug, Clone, Default)]
pub struct Reconfigure {
    /// The scanned configuration QR's text (takes precedence over the file).
    pub config_qr: String,
    /// The credentials file.
    pub path: String,
    /// The admin password.
    pub password: String,
    /// Inline problem.
    pub error: Option<String>,
    /// Running.
    pub busy: bool,
}

/// The basic settings page.
#[derive(Debug, Clone)]
pub struct Basic {
    /// The settings being edited.
    pub settings: BasicSettings,
    /// The confidence threshold, in percent, as typed.
    pub threshold: String,
    /// Proxy URL.
    pub proxy_url: String,
    /// Proxy user.
    pub proxy_user: String,
    /// Proxy password typed (empty: keep the sealed one).
    pub proxy_password: String,
    /// A proxy password is sealed.
    pub has_proxy_password: bool,
    /// The other network settings, kept as loaded.
    pub network: NetworkSettings,
    /// 收银 / 押金 / 混合.
    pub cashier_mode: CashierMode,
    /// The cashier mode as loaded (saved only when changed).
    loaded_cashier_mode: CashierMode,
    /// The re-configuration dialog.
    pub reconfigure: Option<Reconfigure>,
    /// Inline problem.
    pub error: Option<String>,
    /// Inline success.
    pub notice: Option<String>,
    /// Saving.
    pub busy: bool,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum Message {
    /// The stored settings arrived.
    Loaded(Result<(BasicSettings, NetworkSettings, bool, CashierMode), TerminalError>),
    /// 插件 / 完整.
    Mode(Mode),
    /// 收银模式 / 押金模式 / 收银 + 押金混合模式.
    CashierMode(CashierMode),
    /// How the main window opens at start-up.
    StartWindow(StartWindow),
    /// The full-mode checkout style.
    Checkout(CheckoutMode),
    /// 自动抓取 (true) / 人工输入 (false).
    Capture(bool),
    /// 抓取流水号.
    CaptureSerial(bool),
    /// 扫码拉起收银窗口.
    ScanOpens(bool),
    /// 预处理.
    Preprocess(bool),
    /// 放大.
    Zoom(bool),
    /// 触屏.
    Touch(bool),
    /// Auto-pay delay.
    AutoPay(AutoPay),
    /// Result display time.
    ResultSecs(Secs),
    /// Language.
    Language(Lang),
    /// Threshold typed.
    Threshold(String),
    /// 确定金额位置 / 确定流水号位置.
    PickRegion(Target),
    /// A region was drawn (or the overlay was left with `None`).
    RegionPicked(Target, Option<ScreenRegion>),
    /// Forget a region.
    ClearRegion(Target),
    /// Proxy URL typed.
    ProxyUrl(String),
    /// Proxy user typed.
    ProxyUser(String),
    /// Proxy password typed.
    ProxyPassword(String),
    /// 保存配置.
    Save,
    /// Saved.
    Saved(Result<(), TerminalError>),
    /// 软件更新.
    CheckUpdate,
    /// 重新配置.
    OpenReconfigure,
    /// Configuration QR scanned or typed.
    ReconfigureQr(String),
    /// Credentials path typed.
    ReconfigurePath(String),
    /// Admin password typed.
    ReconfigurePassword(String),
    /// Apply the credentials.
    ReconfigureSubmit,
    /// Applied.
    Reconfigured(Result<MerchantProfile, TerminalError>),
    /// Close the dialog.
    CloseDialog,
    /// 重新登录.
    Relogin,
}

/// What the app must do.
#[derive(Debug, Clone)]
pub enum Event {
    /// Store the settings (and the network settings; `proxy_password` as for
    /// `set_network_settings`).
    Save {
        /// Basic settings.
        basic: BasicSettings,
        /// Network settings.
        network: NetworkSettings,
        /// Proxy password change.
        proxy_password: Option<String>,
        /// The cashier mode, when it changed.
        cashier_mode: Option<CashierMode>,
    },
    /// Open the region overlay.
    PickRegion(Target),
    /// Configure the merchant from a credentials file.
    Reconfigure {
        /// The file.
        path: PathBuf,
        /// The admin password.
        password: String,
    },
    /// Bind this till by a configuration QR (配置扫码).
    Bind {
        /// The QR's text.
        qr: String,
        /// The admin password.
        password: String,
    },
    /// Go to the login screen.
    Relogin,
    /// Open the 软件更新 dialog.
    SoftwareUpdate,
}

impl Basic {
    /// The page over the settings in force.
    #[must_use]
    pub fn new(settings: BasicSettings) -> Basic {
        Basic {
            threshold: (settings.min_confidence_permille / 10).to_string(),
            settings,
            proxy_url: String::new(),
            proxy_user: String::new(),
            proxy_password: String::new(),
            has_proxy_password: false,
            network: NetworkSettings::default(),
            cashier_mode: CashierMode::default(),
            loaded_cashier_mode: CashierMode::default(),
            reconfigure: None,
            error: None,
            notice: None,
            busy: false,
        }
    }

    /// Loads the settings the page edits (it was opened).
    pub fn load(terminal: &Terminal) -> Task<Message> {
        call(
            terminal,
            |t| async move {
                Ok((
                    t.setting::<cloudpos_terminal::BasicSettings>().await?,
                    t.setting::<cloudpos_terminal::NetworkSettings>().await?,
                    t.has_proxy_password().await?,
                    t.setting::<CashierMode>().await?,
                ))
            },
            Message::Loaded,
        )
    }

    /// Runs an event's terminal call: saving the settings (the network settings only when
    /// they changed), or configuring the merchant from a credentials file. The region
    /// overlay, the login screen and the 软件更新 dialog are the app's.
    pub fn perform(&self, event: Event, terminal: &Terminal) -> Task<Message> {
        match event {
            Event::Save {
                basic,
                network,
                proxy_password,
                cashier_mode,
            } => {
                let network_changed = proxy_password.is_some() || network != self.network;
                call(
                    terminal,
                    move |t| async move {
                        t.set_setting(&basic).await?;
                        if let Some(mode) = cashier_mode {
                            t.set_setting(&mode).await?;
                        }
                        if network_changed {
                            t.set_network_settings(&network, proxy_password.as_deref())
                                .await?;
                        }
                        Ok(())
                    },
                    Message::Saved,
                )
            }
            Event::Reconfigure { path, password } => call(
                terminal,
                |t| async move {
                    let text = tokio::fs::read_to_string(&path)
                        .await
                        .map_err(|e| TerminalError::Invalid(format!("{}: {e}", path.display())))?;
                    let creds: cloudpos_terminal::MerchantCredentials = serde_json::from_str(&text)
                        .map_err(|e| TerminalError::Invalid(format!("{}: {e}", path.display())))?;
                    let sandbox = creds.base_url.contains("127.0.0.1")
                        || creds.base_url.contains("localhost");
                    t.configure_merchant(&creds, &password, sandbox).await
                },
                Message::Reconfigured,
            ),
            Event::Bind { qr, password } => call(
                terminal,
                |t| async move {
                    t.bind_by_config_qr(&qr, &password).await?;
                    t.merchant().await?.ok_or(TerminalError::NotConfigured)
                },
                Message::Reconfigured,
            ),
            Event::PickRegion(_) | Event::Relogin | Event::SoftwareUpdate => Task::none(),
        }
    }

    /// The page's keys: Esc closes its dialog, Enter saves.
    #[must_use]
    pub fn shortcut(&self, press: &KeyPress) -> Option<KeyAction<Message>> {
        match shortcut(press) {
            Shortcut::Escape => Some(KeyAction::Send(Message::CloseDialog)),
            Shortcut::Enter => Some(KeyAction::Send(Message::Save)),
            _ => None,
        }
    }

    fn edited(&mut self) {
        self.notice = None;
        self.error = None;
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message) -> Option<Event> {
        let s = &mut self.settings;
        match message {
            Message::Loaded(Ok((basic, network, has_pw, cashier_mode))) => {
                *self = Basic::new(basic);
                self.cashier_mode = cashier_mode;
                self.loaded_cashier_mode = cashier_mode;
                self.proxy_url = network.proxy_url.clone().unwrap_or_default();
                self.proxy_user = network.proxy_user.clone().unwrap_or_default();
                self.has_proxy_password = has_pw;
                self.network = network;
                return None;
            }
            Message::Loaded(Err(e)) => {
                self.error = Some(error_text(&e));
                return None;
            }
            Message::Mode(m) => s.mode = m,
            Message::CashierMode(m) => self.cashier_mode = m,
            Message::StartWindow(w) => s.start_window = w,
            Message::Checkout(c) => s.checkout_mode = c,
            Message::Capture(on) => s.capture_amount = on,
            Message::CaptureSerial(on) => s.capture_serial = on,
            Message::ScanOpens(on) => s.scan_opens_window = on,
            Message::Preprocess(on) => s.preprocess = on,
            Message::Zoom(on) => s.zoom = on,
            Message::Touch(on) => s.touch = on,
            Message::AutoPay(a) => s.auto_pay_secs = a.0,
            Message::ResultSecs(Secs(n)) => s.result_display_secs = n,
            Message::Language(Lang(l)) => s.language = l,
            Message::Threshold(v) => {
                self.threshold = v.chars().filter(char::is_ascii_digit).collect();
            }
            Message::PickRegion(t) => return Some(Event::PickRegion(t)),
            Message::RegionPicked(t, region) => {
                let r = region?;
                match t {
                    Target::Amount => s.amount_region = Some(r),
                    Target::Serial => s.serial_region = Some(r),
                }
                self.notice = Some(
                    tr(
                        "位置已选定，保存配置后生效",
                        "Region chosen; save to keep it",
                    )
                    .to_owned(),
                );
                return None;
            }
            Message::ClearRegion(t) => match t {
                Target::Amount => s.amount_region = None,
                Target::Serial => s.serial_region = None,
            },
            Message::ProxyUrl(v) => self.proxy_url = v,
            Message::ProxyUser(v) => self.proxy_user = v,
            Message::ProxyPassword(v) => self.proxy_password = v,
            Message::Save => {
                let pct: u16 = match self.threshold.parse() {
                    Ok(p) if p <= 100 => p,
                    _ => {
                        self.error = Some(
                            tr("可信度阈值为 0–100", "The confidence threshold is 0–100")
                                .to_owned(),
                        );
                        return None;
                    }
                };
                self.settings.min_confidence_permille = pct * 10;
                self.busy = true;
                self.error = None;
                self.notice = None;
                let network = NetworkSettings {
                    proxy_url: Some(self.proxy_url.trim().to_owned()).filter(|u| !u.is_empty()),
                    proxy_user: Some(self.proxy_user.trim().to_owned()).filter(|u| !u.is_empty()),
                    ..self.network.clone()
                };
                let proxy_password = if network.proxy_url.is_none() && self.has_proxy_password {
                    Some(String::new())
                } else {
                    Some(self.proxy_password.clone()).filter(|p| !p.is_empty())
                };
                return Some(Event::Save {
                    basic: self.settings.clone(),
                    network,
                    proxy_password,
                    cashier_mode: (self.cashier_mode != self.loaded_cashier_mode)
                        .then_some(self.cashier_mode),
                });
            }
            Message::Saved(r) => {
                self.busy = false;
                match r {
                    Ok(()) => {
                        self.notice = Some(tr("配置已保存", "Settings saved").to_owned());
                        self.loaded_cashier_mode = self.cashier_mode;
                        if !self.proxy_password.is_empty() {
                            self.has_proxy_password = true;
                        }
                        self.proxy_password.clear();
                    }
                    Err(e) => self.error = Some(error_text(&e)),
                }
                return None;
            }
            Message::CheckUpdate => return Some(Event::SoftwareUpdate),
            Message::OpenReconfigure => {
                self.reconfigure = Some(Reconfigure::default());
                return None;
            }
            Message::ReconfigureQr(v) => {
                if let Some(r) = &mut self.reconfigure {
                    r.config_qr = v;
                }
                return None;
            }
            Message::ReconfigurePath(v) => {
                if let Some(r) = &mut self.reconfigure {
                    r.path = v;
                }
                return None;
            }
            Message::ReconfigurePassword(v) => {
                if let Some(r) = &mut self.reconfigure {
                    r.password = v;
                }
                return None;
            }
            Message::ReconfigureSubmit => {
                let r = self.reconfigure.as_mut()?;
                let qr = r.config_qr.trim().to_owned();
                if (qr.is_empty() && r.path.trim().is_empty()) || r.password.is_empty() {
                    r.error = Some(
                        tr(
                            "请填写管理员密码，并扫描配置二维码或填写凭证文件",
                            "Give the admin password, and scan the configuration QR or give the credentials file",
                        )
                        .to_owned(),
                    );
                    return None;
                }
                r.busy = true;
                r.error = None;
                if !qr.is_empty() {
                    return Some(Event::Bind {
                        qr,
                        password: std::mem::take(&mut r.password),
                    });
                }
                return Some(Event::Reconfigure {
                    path: PathBuf::from(r.path.trim()),
                    password: std::mem::take(&mut r.password),
                });
            }
            Message::Reconfigured(result) => {
                match result {
                    Ok(m) => {
                        self.reconfigure = None;
                        self.notice = Some(trs(
                            format!(
                                "商户已重新配置：{} {}，请重新登录",
                                m.out_sub_mch_id, m.store_name
                            ),
                            format!(
                                "Merchant reconfigured: {} {}; log in again",
                                m.out_sub_mch_id, m.store_name
                            ),
                        ));
                    }
                    Err(e) => {
                        if let Some(r) = &mut self.reconfigure {
                            r.busy = false;
                            r.error = Some(error_text(&e));
                        }
                    }
                }
                return None;
            }
            Message::CloseDialog => {
                if !self.reconfigure.as_ref().is_some_and(|r| r.busy) {
                    self.reconfigure = None;
                }
                return None;
            }
            Message::Relogin => return Some(Event::Relogin),
        }
        self.edited();
        None
    }
}

mod view;
