//! The embedded default (design §4): with no merchant configured, the terminal runs a local
//! Cloud Pay sandbox and a demo merchant, so the product works on a fresh machine with no
//! configuration. Every screen and receipt then says SANDBOX.
//!
//! One process per data directory *hosts* the sandbox; other processes on the same directory
//! (the CLI beside the GUI) *join* it (`wiring/sandbox.rs` builds or finds it). The sandbox
//! keeps its ledger in the data directory, so the demo's payments survive restarts and stay
//! consistent with the local ledger. Its keys are fixed, public demo keys: it is a toy on
//! loopback, and nothing secret is written there.
//!
//! The server is behind the cargo feature `embedded-sandbox` (on by default in the cashier
//! and the CLI). A build without it runs only a configured merchant: [`Terminal::open_or_demo`]
//! then says so instead of starting the demo ([`NO_EMBEDDED_SANDBOX`]).

use std::path::Path;

use cloudpos_domain::catalog::Commodity;
use cloudpos_domain::clerk::{Clerk, ClerkId, Role};
use cloudpos_domain::money::Money;
use cloudpos_domain::ports::CommodityQuery;

use crate::merchant::MERCHANT_KEY;
use crate::wiring::{HostedSandbox, demo_credentials, host_or_join};
use crate::{MerchantProfile, Result, Terminal, TerminalError};

/// Why a build without the `embedded-sandbox` feature cannot run the demo: the error
/// [`Terminal::open_or_demo`] returns there when no real merchant is configured.
pub const NO_EMBEDDED_SANDBOX: &str = "no merchant is configured, and the demo cannot run: this build has no embedded sandbox (it was built without the `embedded-sandbox` feature); configure a merchant with `cloudpos setup merchant --credentials FILE`";

/// Demo clerks: (id, password, role, name).
pub const DEMO_CLERKS: [(&str, &str, Role, &str); 2] = [
    ("01", "0101", Role::MerchantAdmin, "王店长"),
    ("02", "0202", Role::Clerk, "李收银"),
];

/// Settings key recording that the demo catalogue was offered (it is offered once: goods
/// the user deletes stay deleted).
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
    hosted: Option<HostedSandbox>,
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
        self.hosted.is_some()
    }

    /// The control URL (ledger inspection, approvals) when hosted here.
    #[must_use]
    pub fn control_url(&self) -> Option<String> {
        self.hosted.as_ref().map(HostedSandbox::control_url)
    }
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
        let (hosted, base_url) = host_or_join(home).await?;
        let sandbox = EmbeddedSandbox { hosted, base_url };
        terminal.start_demo(existing, &sandbox).await?;
        Ok((terminal, Some(sandbox)))
    }

    /// Configures the demo merchant on `sandbox` (or follows it to its new address) and
    /// offers the demo catalogue.
    async fn start_demo(
        &self,
        existing: Option<MerchantProfile>,
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
    async fn offer_demo_catalogue(&self) -> Result<()> {
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

    async fn configure_demo(&self, sandbox: &EmbeddedSandbox) -> Result<()> {
        let (_, admin_pw, _, _) = DEMO_CLERKS[0];
        let creds = demo_credentials(&sandbox.base_url)?;
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
