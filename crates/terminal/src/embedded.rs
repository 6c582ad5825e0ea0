//! The embedded default (design §4): with no merchant configured, the terminal runs a local
//! Cloud Pay sandbox and a demo merchant, so the product works on a fresh machine with no
//! configuration. Every screen and receipt then says SANDBOX.
//!
//! One process per data directory *hosts* the sandbox (holding `sandbox/host.lock`); other
//! processes on the same directory (the CLI beside the GUI) *join* it through the address it
//! publishes in `sandbox/url`. The sandbox keeps its ledger in `sandbox/state.json`, so the
//! demo's payments survive restarts and stay consistent with the local ledger. Its keys are
//! fixed, public demo keys: it is a toy on loopback, and nothing secret is written there.
//!
//! The server is behind the cargo feature `embedded-sandbox` (on by default in the cashier
//! and the CLI). A build without it runs only a configured merchant: [`Terminal::open_or_demo`]
//! then says so instead of starting the demo ([`NO_EMBEDDED_SANDBOX`]).

use std::path::Path;

use cloudpos_domain::clerk::Role;

#[cfg(feature = "embedded-sandbox")]
use crate::{MERCHANT_KEY, MerchantCredentials};
use crate::{Result, Terminal, TerminalError};

/// Why a build without the `embedded-sandbox` feature cannot run the demo: the error
/// [`Terminal::open_or_demo`] returns there when no real merchant is configured.
pub const NO_EMBEDDED_SANDBOX: &str = "no merchant is configured, and the demo cannot run: this build has no embedded sandbox (it was built without the `embedded-sandbox` feature); configure a merchant with `cloudpos setup merchant --credentials FILE`";

/// The demo merchant's HMAC key (public: the embedded sandbox is a local toy).
pub const DEMO_AUTHEN_KEY: &str = "CloudPOS-embedded-sandbox-demo-key";
/// Demo clerks: (id, password, role, name).
pub const DEMO_CLERKS: [(&str, &str, Role, &str); 2] = [
    ("01", "0101", Role::MerchantAdmin, "王店长"),
    ("02", "0202", Role::Clerk, "李收银"),
];

/// Settings key recording that the demo catalogue was offered (it is offered once: goods
/// the user deletes stay deleted).
#[cfg(feature = "embedded-sandbox")]
pub const DEMO_CATALOGUE_KEY: &str = "demo_catalogue";

/// One demo commodity: (货号, 条码, 名称, 类别, 单位, 单价 in fen, 库存).
pub type DemoGood = (
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
    i64,
    i64,
);

/// The demo merchant's goods: (货号, 条码, 名称, 类别, 单位, 单价 in fen, 库存). Packaged goods
/// carry valid EAN-13 barcodes (GS1 China prefix 690) for the full cart, scanned or typed;
/// services and loose goods have none and suit the simple checkout's list with a quantity;
/// the total-amount checkout needs no goods at all.
pub const DEMO_CATALOGUE: [DemoGood; 21] = [
    (
        "A001",
        Some("6901234560015"),
        "农夫山泉 550ml",
        "饮料",
        "瓶",
        200,
        120,
    ),
    (
        "A002",
        Some("6901234560022"),
        "可口可乐 330ml",
        "饮料",
        "罐",
        350,
        96,
    ),
    (
        "A003",
        Some("6901234560039"),
        "康师傅冰红茶 500ml",
        "饮料",
        "瓶",
        300,
        80,
    ),
    (
        "A004",
        Some("6901234560046"),
        "怡宝纯净水 1.5L",
        "饮料",
        "瓶",
        450,
        40,
    ),
    (
        "B001",
        Some("6901234560053"),
        "乐事薯片 原味 70g",
        "零食",
        "袋",
        790,
        60,
    ),
    (
        "B002",
        Some("6901234560060"),
        "奥利奥夹心饼干 116g",
        "零食",
        "盒",
        1090,
        30,
    ),
    (
        "B003",
        Some("6901234560077"),
        "旺旺雪饼 84g",
        "零食",
        "袋",
        650,
        45,
    ),
    (
        "B004",
        Some("6901234560084"),
        "德芙牛奶巧克力 43g",
        "零食",
        "块",
        990,
        50,
    ),
    (
        "C001",
        Some("6901234560091"),
        "康师傅红烧牛肉面",
        "方便食品",
        "桶",
        550,
        48,
    ),
    (
        "C002",
        Some("6901234560107"),
        "统一老坛酸菜牛肉面",
        "方便食品",
        "桶",
        550,
        48,
    ),
    (
        "C003",
        Some("6901234560114"),
        "双汇王中王火腿肠",
        "方便食品",
        "支",
        250,
        100,
    ),
    (
        "D001",
        Some("6901234560121"),
        "蒙牛纯牛奶 250ml",
        "乳品",
        "盒",
        320,
        80,
    ),
    (
        "D002",
        Some("6901234560138"),
        "安慕希酸奶 205g",
        "乳品",
        "盒",
        650,
        36,
    ),
    (
        "E001",
        Some("6901234560145"),
        "维达抽纸 3层 100抽",
        "日用品",
        "包",
        680,
        75,
    ),
    (
        "E002",
        Some("6901234560152"),
        "舒肤佳香皂 100g",
        "日用品",
        "块",
        590,
        40,
    ),
    (
        "E003",
        Some("6901234560169"),
        "高露洁牙膏 140g",
        "日用品",
        "支",
        1290,
        25,
    ),
    (
        "F001",
        Some("6901234560176"),
        "得力中性笔 0.5mm 黑",
        "文具",
        "支",
        250,
        200,
    ),
    (
        "F002",
        Some("6901234560183"),
        "晨光笔记本 A5",
        "文具",
        "本",
        800,
        60,
    ),
    ("S001", None, "复印 A4 黑白", "服务", "张", 50, 9999),
    ("S002", None, "打印 A4 彩色", "服务", "张", 200, 9999),
    ("S003", None, "散装鸡蛋", "生鲜", "斤", 650, 200),
];

/// A sandbox this process hosts (dropping it stops the server and releases the lock), or
/// one another process hosts. A build without the `embedded-sandbox` feature never makes one.
pub struct EmbeddedSandbox {
    #[cfg(feature = "embedded-sandbox")]
    handle: Option<cloudpay_sandbox::SandboxHandle>,
    #[cfg(feature = "embedded-sandbox")]
    _lock: Option<std::fs::File>,
    base_url: String,
}

impl std::fmt::Debug for EmbeddedSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedSandbox")
            .field("base_url", &self.base_url)
            .field("hosted_here", &self.hosted_here())
            .finish()
    }
}

impl EmbeddedSandbox {
    /// The sandbox's Cloud Pay base URL.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Whether this process runs the server.
    #[must_use]
    pub fn hosted_here(&self) -> bool {
        #[cfg(feature = "embedded-sandbox")]
        return self.handle.is_some();
        #[cfg(not(feature = "embedded-sandbox"))]
        return false;
    }

    /// The control URL (ledger inspection, approvals) when hosted here.
    #[must_use]
    pub fn control_url(&self) -> Option<String> {
        #[cfg(feature = "embedded-sandbox")]
        return self
            .handle
            .as_ref()
            .map(cloudpay_sandbox::SandboxHandle::control_url);
        #[cfg(not(feature = "embedded-sandbox"))]
        return None;
    }

    #[cfg(feature = "embedded-sandbox")]
    async fn host_or_join(home: &Path) -> Result<EmbeddedSandbox> {
        use cloudpay_sandbox::{MerchantConfig, Sandbox, SandboxConfig, SignKeyMode};
        use std::fs::OpenOptions;

        let dir = home.join("sandbox");
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, &e))?;
        let lock_path = dir.join("host.lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io(&lock_path, &e))?;
        let url_path = dir.join("url");
        if lock.try_lock().is_err() {
            // Another process hosts it.
            let base_url = std::fs::read_to_string(&url_path)
                .map_err(|e| io(&url_path, &e))?
                .trim()
                .to_owned();
            return Ok(EmbeddedSandbox {
                handle: None,
                _lock: None,
                base_url,
            });
        }
        let merchant = MerchantConfig {
            authen_key: Some(DEMO_AUTHEN_KEY.to_owned()),
            ..MerchantConfig::default()
        };
        let handle = Sandbox::start(SandboxConfig {
            merchant,
            sign_key: SignKeyMode::ConfiguredOnly,
            state_file: Some(dir.join("state.json")),
            ..SandboxConfig::default()
        })
        .await
        .map_err(|e| TerminalError::Invalid(format!("cannot start the embedded sandbox: {e}")))?;
        let base_url = handle.base_url();
        let tmp = dir.join("url.tmp");
        std::fs::write(&tmp, &base_url).map_err(|e| io(&tmp, &e))?;
        std::fs::rename(&tmp, &url_path).map_err(|e| io(&url_path, &e))?;
        Ok(EmbeddedSandbox {
            handle: Some(handle),
            _lock: Some(lock),
            base_url,
        })
    }
}

#[cfg(feature = "embedded-sandbox")]
fn io(path: &Path, e: &std::io::Error) -> TerminalError {
    TerminalError::Invalid(format!("embedded sandbox: {}: {e}", path.display()))
}

impl Terminal {
    /// Opens `home` like [`Terminal::open`]; when no real merchant is configured there, runs
    /// the embedded sandbox (hosting or joining it) and, on first use, configures the demo
    /// merchant and the demo clerks ([`DEMO_CLERKS`]). Keep the returned sandbox alive as
    /// long as the terminal.
    ///
    /// # Errors
    /// Besides those of [`Terminal::open`]: in a build without the `embedded-sandbox`
    /// feature, [`TerminalError::Invalid`] with [`NO_EMBEDDED_SANDBOX`] when no real merchant
    /// is configured.
    pub async fn open_or_demo(home: &Path) -> Result<(Terminal, Option<EmbeddedSandbox>)> {
        let terminal = Terminal::open(home).await?;
        let existing = terminal.merchant().await?;
        if existing.as_ref().is_some_and(|m| !m.embedded) {
            return Ok((terminal, None));
        }
        #[cfg(feature = "embedded-sandbox")]
        {
            let sandbox = EmbeddedSandbox::host_or_join(home).await?;
            terminal.start_demo(existing, &sandbox).await?;
            Ok((terminal, Some(sandbox)))
        }
        #[cfg(not(feature = "embedded-sandbox"))]
        {
            let _ = existing;
            Err(TerminalError::Invalid(NO_EMBEDDED_SANDBOX.to_owned()))
        }
    }

    /// Configures the demo merchant on `sandbox` (or follows it to its new address) and
    /// offers the demo catalogue.
    #[cfg(feature = "embedded-sandbox")]
    async fn start_demo(
        &self,
        existing: Option<crate::MerchantProfile>,
        sandbox: &EmbeddedSandbox,
    ) -> Result<()> {
        match existing {
            None => self.configure_demo(sandbox).await?,
            Some(mut profile) if profile.base_url != sandbox.base_url => {
                // The sandbox listens on a new port after each start.
                profile.base_url = sandbox.base_url.clone();
                profile.base_urls.clear();
                let value = serde_json::to_value(&profile)
                    .map_err(|e| TerminalError::Invalid(e.to_string()))?;
                self.inner.ports.settings.put(MERCHANT_KEY, &value).await?;
                self.rebuild_gateway().await?;
            }
            Some(_) => {}
        }
        self.offer_demo_catalogue().await
    }

    /// Stocks the demo merchant's shelves with [`DEMO_CATALOGUE`], once: only on the embedded
    /// demo (never a real merchant), only while its catalogue is empty, and never again after
    /// that (goods the user deletes stay deleted).
    #[cfg(feature = "embedded-sandbox")]
    async fn offer_demo_catalogue(&self) -> Result<()> {
        use cloudpos_domain::catalog::Commodity;
        use cloudpos_domain::money::Money;
        use cloudpos_domain::ports::CommodityQuery;

        let settings = &self.inner.ports.settings;
        if settings.get(DEMO_CATALOGUE_KEY).await?.is_some()
            || !self.merchant().await?.is_some_and(|m| m.embedded)
        {
            return Ok(());
        }
        let empty = self
            .inner
            .ports
            .catalog
            .search(&CommodityQuery {
                page_size: 1,
                ..CommodityQuery::default()
            })
            .await?
            .total
            == 0;
        if empty {
            let goods: Vec<Commodity> = DEMO_CATALOGUE
                .iter()
                .map(
                    |&(sku, barcode, name, category, unit, fen, stock)| Commodity {
                        sku: sku.to_owned(),
                        barcode: barcode.map(str::to_owned),
                        name: name.to_owned(),
                        category: category.to_owned(),
                        unit: unit.to_owned(),
                        price: Money::from_fen(fen),
                        stock,
                    },
                )
                .collect();
            self.inner.ports.catalog.upsert_many(&goods).await?;
            tracing::info!(count = goods.len(), "demo catalogue added");
        }
        settings
            .put(
                DEMO_CATALOGUE_KEY,
                &serde_json::json!({ "offered_at": self.now(), "added": empty }),
            )
            .await?;
        Ok(())
    }

    #[cfg(feature = "embedded-sandbox")]
    async fn configure_demo(&self, sandbox: &EmbeddedSandbox) -> Result<()> {
        use cloudpos_domain::clerk::{Clerk, ClerkId};
        let m = cloudpay_sandbox::MerchantConfig::default();
        let shop = m
            .shops
            .first()
            .ok_or_else(|| TerminalError::Invalid("embedded sandbox has no shop".into()))?;
        let device = shop
            .devices
            .first()
            .cloned()
            .ok_or_else(|| TerminalError::Invalid("embedded sandbox has no device".into()))?;
        let (admin_id, admin_pw, _, _) = DEMO_CLERKS[0];
        let creds = MerchantCredentials {
            base_url: sandbox.base_url.clone(),
            base_urls: Vec::new(),
            out_mch_id: m.out_mch_id.clone(),
            out_sub_mch_id: m.out_sub_mch_id.clone(),
            out_shop_id: shop.out_shop_id.clone(),
            device_id: device,
            staff_id: admin_id.to_owned(),
            order_prefix: m.order_prefix.clone(),
            authen_key: DEMO_AUTHEN_KEY.to_owned(),
            private_key_pem: None,
            store_name: Some("CloudPOS 演示门店".to_owned()),
        };
        let mut profile = self.configure_merchant(&creds, admin_pw, true).await?;
        profile.embedded = true;
        let value =
            serde_json::to_value(&profile).map_err(|e| TerminalError::Invalid(e.to_string()))?;
        self.inner.ports.settings.put(MERCHANT_KEY, &value).await?;
        let accounts = &self.inner.ports.accounts;
        for (id, pw, role, name) in DEMO_CLERKS {
            let clerk_id = ClerkId::parse(id).map_err(|e| TerminalError::Invalid(e.to_string()))?;
            let clerk = Clerk {
                id: clerk_id.clone(),
                name: name.to_owned(),
                phone: String::new(),
                role,
                can_refund: role != Role::Clerk,
                cloud_staff_id: Some(id.to_owned()),
                created_at: self.now(),
            };
            if accounts.clerk(&clerk_id).await?.is_some() {
                accounts.update_clerk(&clerk).await?;
            } else {
                accounts.create_clerk(&clerk, pw).await?;
            }
        }
        tracing::info!("embedded sandbox and demo merchant configured");
        Ok(())
    }
}
