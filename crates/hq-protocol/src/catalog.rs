//! The catalogue, managed at the head office and streamed down to the tills.

use cloudpos_domain::catalog::Commodity;
use cloudpos_domain::money::Money;
use serde::{Deserialize, Serialize};

use crate::change::RecordError;

/// One catalogue change: the commodity after it, or its tombstone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommodityChange {
    /// Position in the head office's catalogue stream (ascending, never reused).
    pub version: i64,
    /// Article number (货号): the key.
    pub sku: String,
    /// Barcode, unique when present.
    pub barcode: Option<String>,
    /// Name.
    pub name: String,
    /// Category.
    pub category: String,
    /// Unit.
    pub unit: String,
    /// Unit price, fen.
    pub price_fen: i64,
    /// Deleted at the head office: the till removes the SKU.
    pub deleted: bool,
}

impl CommodityChange {
    /// The till's commodity for this change, keeping the till's own `stock` (stock is
    /// counted at each till, never sent down). `None` for a tombstone.
    #[must_use]
    pub fn to_commodity(&self, stock: i64) -> Option<Commodity> {
        (!self.deleted).then(|| Commodity {
            sku: self.sku.clone(),
            barcode: self.barcode.clone(),
            name: self.name.clone(),
            category: self.category.clone(),
            unit: self.unit.clone(),
            price: Money::from_fen(self.price_fen),
            stock,
        })
    }
}

/// `GET /api/v1/catalog?since_version=N&limit=M`: changes with `version > N`, ascending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogChanges {
    /// Contract version.
    pub v: u32,
    /// The changes, ascending by version; at most `limit`.
    pub changes: Vec<CommodityChange>,
    /// The highest version the head office has now.
    pub latest_version: i64,
    /// More changes follow: ask again with the last change's version.
    pub more: bool,
}

/// What the owner sends to create or update a commodity (`PUT /api/v1/commodities/{sku}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommodityInput {
    /// Barcode.
    #[serde(default)]
    pub barcode: Option<String>,
    /// Name.
    pub name: String,
    /// Category.
    #[serde(default)]
    pub category: String,
    /// Unit.
    #[serde(default)]
    pub unit: String,
    /// Unit price, fen.
    pub price_fen: i64,
}

impl CommodityInput {
    /// Checks the commodity with the till's own rules ([`Commodity::validate`]).
    pub fn validate(&self, sku: &str) -> Result<(), RecordError> {
        let c = Commodity {
            sku: sku.to_owned(),
            barcode: self.barcode.clone(),
            name: self.name.clone(),
            category: self.category.clone(),
            unit: self.unit.clone(),
            price: Money::from_fen(self.price_fen),
            stock: 0,
        };
        c.validate().map_err(|e| RecordError {
            field: "commodity".into(),
            problem: e.to_string(),
        })?;
        if self.category.len() > 64 || self.unit.len() > 16 {
            return Err(RecordError {
                field: "commodity".into(),
                problem: format!("commodity {sku}: the category or unit is too long"),
            });
        }
        Ok(())
    }
}
