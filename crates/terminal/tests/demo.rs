//! The embedded demo merchant comes with goods to try full mode on, once, and never a real
//! merchant; a build without the embedded sandbox says so.
//!
//! `cargo test --workspace` runs these with the feature `embedded-sandbox` (the cashier and
//! the CLI turn it on); `cargo test -p cloudpos-terminal --test demo` runs them without it.
#![allow(missing_docs)]

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::ports::CommodityQuery;
#[cfg(feature = "embedded-sandbox")]
use cloudpos_terminal::DEMO_CATALOGUE;
use cloudpos_terminal::Terminal;

#[cfg(feature = "embedded-sandbox")]
fn ean13_ok(code: &str) -> bool {
    let digits: Vec<u32> = code.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 13 || code.len() != 13 {
        return false;
    }
    let sum: u32 = digits[..12]
        .iter()
        .enumerate()
        .map(|(i, d)| if i % 2 == 1 { d * 3 } else { *d })
        .sum();
    (10 - sum % 10) % 10 == digits[12]
}

fn all() -> CommodityQuery {
    CommodityQuery {
        page_size: 100,
        ..CommodityQuery::default()
    }
}

#[cfg(feature = "embedded-sandbox")]
#[tokio::test]
async fn the_demo_catalogue_is_offered_once_and_stays_deleted() {
    let home = tempfile::tempdir().unwrap();
    let (t, sandbox) = Terminal::open_or_demo(home.path()).await.unwrap();
    assert!(sandbox.is_some(), "the embedded sandbox");
    t.login(&ClerkId::parse("01").unwrap(), "0101")
        .await
        .unwrap();
    let goods = t.commodities(&all()).await.unwrap();
    assert_eq!(goods.total as usize, DEMO_CATALOGUE.len());
    assert!(goods.items.len() >= 20);
    let mut categories = std::collections::BTreeSet::new();
    for c in &goods.items {
        c.validate().unwrap();
        assert!(c.price.fen() > 0, "{c:?}");
        assert!(!c.category.is_empty() && !c.unit.is_empty(), "{c:?}");
        if let Some(b) = &c.barcode {
            assert!(ean13_ok(b), "{} has a valid EAN-13 check digit: {b}", c.sku);
        }
        categories.insert(c.category.clone());
    }
    assert!(categories.len() >= 6, "{categories:?}");
    let scanned = goods.items.iter().filter(|c| c.barcode.is_some()).count();
    assert!(scanned >= 15, "packaged goods to scan in the full cart");
    assert!(
        goods.items.len() - scanned >= 2,
        "goods without a barcode for the simple checkout's list"
    );
    // A barcode finds its commodity, as the checkout's scanner does.
    let cola = t.commodity_by_code("6901234560022").await.unwrap().unwrap();
    assert_eq!((cola.sku.as_str(), cola.price.fen()), ("A002", 350));

    // The user deletes two; reopening does not bring them back.
    t.delete_commodity("A001").await.unwrap();
    t.delete_commodity("S003").await.unwrap();
    t.logout().await.unwrap();
    drop(t);
    drop(sandbox);
    let (t, _sandbox) = Terminal::open_or_demo(home.path()).await.unwrap();
    t.login(&ClerkId::parse("02").unwrap(), "0202")
        .await
        .unwrap();
    let again = t.commodities(&all()).await.unwrap();
    assert_eq!(again.total as usize, DEMO_CATALOGUE.len() - 2);
    assert!(t.commodity_by_code("A001").await.unwrap().is_none());
}

#[tokio::test]
async fn a_real_merchant_never_gets_the_demo_goods() {
    let cloud = cloudpay_sandbox::Sandbox::start(cloudpay_sandbox::SandboxConfig::default())
        .await
        .unwrap();
    let creds: cloudpos_terminal::MerchantCredentials =
        serde_json::from_value(serde_json::to_value(cloud.credentials()).unwrap()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let t = Terminal::open(home.path()).await.unwrap();
    t.configure_merchant(&creds, "admin-pw", true)
        .await
        .unwrap();
    drop(t);
    let (t, sandbox) = Terminal::open_or_demo(home.path()).await.unwrap();
    assert!(
        sandbox.is_none(),
        "a configured merchant runs without the embedded sandbox"
    );
    t.login(&ClerkId::parse(&creds.staff_id).unwrap(), "admin-pw")
        .await
        .unwrap();
    assert_eq!(t.commodities(&all()).await.unwrap().total, 0);
}

/// A build without the feature `embedded-sandbox` has no server to run the demo on: opening
/// a data directory with no merchant says the build has none, and configures nothing.
#[cfg(not(feature = "embedded-sandbox"))]
#[tokio::test]
async fn without_the_feature_the_demo_says_the_build_has_no_sandbox() {
    let home = tempfile::tempdir().unwrap();
    let err = Terminal::open_or_demo(home.path()).await.unwrap_err();
    assert_eq!(
        err,
        cloudpos_terminal::TerminalError::Invalid(cloudpos_terminal::NO_EMBEDDED_SANDBOX.into())
    );
    let text = err.to_string();
    assert!(
        text.contains("built without the `embedded-sandbox` feature"),
        "{text}"
    );
    assert!(!home.path().join("sandbox").exists(), "no sandbox started");
    let t = Terminal::open(home.path()).await.unwrap();
    assert_eq!(t.merchant().await.unwrap(), None, "no demo merchant");
}
