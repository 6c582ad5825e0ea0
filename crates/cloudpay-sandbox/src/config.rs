//! Sandbox configuration: the demo merchant's accounts and keys, and the timings tests
//! shrink to milliseconds.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A staff member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Sub-merchant administrator.
    Admin,
    /// Store manager (店长): may approve refunds.
    StoreManager,
    /// Clerk (收银员): may approve a login only.
    Clerk,
}

impl StaffRole {
    /// Whether this role may authorise a refund.
    #[must_use]
    pub const fn may_approve_refunds(self) -> bool {
        matches!(self, StaffRole::Admin | StaffRole::StoreManager)
    }

    /// Chinese label for the approval page.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            StaffRole::Admin => "管理员",
            StaffRole::StoreManager => "店长",
            StaffRole::Clerk => "收银员",
        }
    }
}

/// A staff member configured in Cloud Pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    /// `staff_id`.
    pub staff_id: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: StaffRole,
}

/// A shop (门店) and its devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopConfig {
    /// `out_shop_id`.
    pub out_shop_id: String,
    /// Display name.
    pub name: String,
    /// `device_id`s configured for the shop.
    pub devices: Vec<String>,
}

/// The service provider, its sub-merchant, shops, devices, staff and keys.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantConfig {
    /// Service provider (`out_mch_id`).
    pub out_mch_id: String,
    /// Sub-merchant (`out_sub_mch_id`).
    pub out_sub_mch_id: String,
    /// Display name of the sub-merchant.
    pub name: String,
    /// Order prefix (`cloud_cashier_id`): every `out_trade_no` / `out_refund_no` starts
    /// with it.
    pub order_prefix: String,
    /// Shops; the first shop's first device is the one in the credentials.
    pub shops: Vec<ShopConfig>,
    /// Staff of the sub-merchant.
    pub staff: Vec<StaffMember>,
    /// The staff id handed out in the credentials (the admin / store manager).
    pub default_staff_id: String,
    /// HMAC key; `None` → 32 random characters at start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authen_key: Option<String>,
    /// The sub-merchant's signature public key (verifies `authen_info.s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_public_key_pem: Option<String>,
    /// The matching private key, handed out in the credentials (a sandbox plays the
    /// console that generated the key pair).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_private_key_pem: Option<String>,
}

impl fmt::Debug for MerchantConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MerchantConfig")
            .field("out_mch_id", &self.out_mch_id)
            .field("out_sub_mch_id", &self.out_sub_mch_id)
            .field("order_prefix", &self.order_prefix)
            .field("shops", &self.shops)
            .field("staff", &self.staff)
            .field(
                "authen_key",
                &self.authen_key.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "sign_private_key_pem",
                &self.sign_private_key_pem.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

impl Default for MerchantConfig {
    /// The demo merchant: one shop with devices `POS-01` and `POS-02`, a second shop with
    /// `POS-03`, staff `01` (store manager) and `02` (clerk).
    fn default() -> Self {
        MerchantConfig {
            out_mch_id: "sz01SBXmch0000000001".to_owned(),
            out_sub_mch_id: "sz01SBXsub0000000001".to_owned(),
            name: "CloudPOS 沙箱商户".to_owned(),
            order_prefix: "sz01sbx".to_owned(),
            shops: vec![
                ShopConfig {
                    out_shop_id: "sz01SBXshop000000001".to_owned(),
                    name: "沙箱一号店".to_owned(),
                    devices: vec!["POS-01".to_owned(), "POS-02".to_owned()],
                },
                ShopConfig {
                    out_shop_id: "sz01SBXshop000000002".to_owned(),
                    name: "沙箱二号店".to_owned(),
                    devices: vec!["POS-03".to_owned()],
                },
            ],
            staff: vec![
                StaffMember {
                    staff_id: "01".to_owned(),
                    name: "王店长".to_owned(),
                    role: StaffRole::StoreManager,
                },
                StaffMember {
                    staff_id: "02".to_owned(),
                    name: "李收银".to_owned(),
                    role: StaffRole::Clerk,
                },
            ],
            default_staff_id: "01".to_owned(),
            authen_key: None,
            sign_public_key_pem: None,
            sign_private_key_pem: None,
        }
    }
}

impl MerchantConfig {
    /// The shop a device belongs to.
    #[must_use]
    pub fn shop_of_device(&self, device_id: &str) -> Option<&ShopConfig> {
        self.shops
            .iter()
            .find(|s| s.devices.iter().any(|d| d == device_id))
    }

    /// A shop by id.
    #[must_use]
    pub fn shop(&self, out_shop_id: &str) -> Option<&ShopConfig> {
        self.shops.iter().find(|s| s.out_shop_id == out_shop_id)
    }

    /// A staff member by id.
    #[must_use]
    pub fn staff_member(&self, staff_id: &str) -> Option<&StaffMember> {
        self.staff.iter().find(|s| s.staff_id == staff_id)
    }
}

/// How the sandbox gets its RSA signature key pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignKeyMode {
    /// Use the PEMs in [`MerchantConfig`]; when none is given, generate a 2048-bit pair
    /// at start.
    GenerateIfMissing,
    /// Use the PEMs in [`MerchantConfig`]; when none is given, `s` signatures are refused.
    ConfiguredOnly,
}

/// The durations of the scripted behaviours (WeChat's real values by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timings {
    /// Unpaid payment-code orders are revoked (state 8) this long after creation (45 s).
    pub auto_revoke_after: Duration,
    /// How long code `…08` holds the answer (8 s).
    pub slow_answer_delay: Duration,
    /// A refund turns from processing (4) to success (2) this long after it was accepted
    /// (2 s), or earlier on a query when [`Timings::refund_settles_on_query`] is set.
    pub refund_settle_after: Duration,
    /// A processing refund is reported successful at its next `query_refund_order`.
    pub refund_settles_on_query: bool,
    /// Approval challenges expire this long after creation (5 min).
    pub approval_ttl: Duration,
    /// Orders older than this can no longer be reversed (7 days): refund instead.
    pub reverse_window: Duration,
    /// How long a "hang" fault holds a request before dropping the connection (10 min).
    pub hang_for: Duration,
    /// The wallet releases what a deposit still holds this long after the freeze (30 days,
    /// protocol notes §11.7).
    pub auto_unfreeze_after: Duration,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            auto_revoke_after: Duration::from_secs(45),
            slow_answer_delay: Duration::from_secs(8),
            refund_settle_after: Duration::from_secs(2),
            refund_settles_on_query: true,
            approval_ttl: Duration::from_secs(300),
            reverse_window: Duration::from_secs(7 * 24 * 3600),
            hang_for: Duration::from_secs(600),
            auto_unfreeze_after: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

impl Timings {
    /// Every duration in milliseconds scale for fast tests: auto-revoke 1.5 s, slow answer
    /// 300 ms, refund settle 200 ms, approvals 2 s, the deposits' automatic release 24 h
    /// (1/30 of its real span, like the auto-revoke).
    #[must_use]
    pub fn fast() -> Self {
        Timings {
            auto_revoke_after: Duration::from_millis(1_500),
            slow_answer_delay: Duration::from_millis(300),
            refund_settle_after: Duration::from_millis(200),
            refund_settles_on_query: true,
            approval_ttl: Duration::from_secs(2),
            reverse_window: Duration::from_secs(7 * 24 * 3600),
            hang_for: Duration::from_secs(30),
            auto_unfreeze_after: Duration::from_secs(30 * 24 * 120),
        }
    }
}

/// Everything [`crate::Sandbox::start`] needs.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where to listen (`127.0.0.1:0` picks a free port).
    pub addr: SocketAddr,
    /// More addresses serving the same state (Cloud Pay domains for failover, §11.10);
    /// more can be added while running with `SandboxHandle::listen`.
    pub extra_addrs: Vec<SocketAddr>,
    /// Accounts and keys.
    pub merchant: MerchantConfig,
    /// RSA key pair policy.
    pub sign_key: SignKeyMode,
    /// Durations.
    pub timings: Timings,
    /// Keep the accounts and the ledger in this JSON file (loaded at start when it exists,
    /// rewritten after every change) so a restarted sandbox keeps its state.
    pub state_file: Option<PathBuf>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            extra_addrs: Vec::new(),
            merchant: MerchantConfig::default(),
            sign_key: SignKeyMode::GenerateIfMissing,
            timings: Timings::default(),
            state_file: None,
        }
    }
}
