//! Full mode: the commodity catalogue (search, add, edit, delete, Excel import and inventory
//! export) and checkout: a cart paid by wallet code or in cash with change.

use std::path::Path;

use cloudpos_domain::catalog::{Cart, CartLine, Commodity, cash_change};
use cloudpos_domain::clerk::Permission;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{NewOrder, Order, PaymentMethod};
use cloudpos_domain::ports::{CommodityQuery, Page};
use cloudpos_export::RowError;
use serde::Serialize;

use crate::pay::illegal;
use crate::{Event, PayInput, Result, Terminal, TerminalError};

/// What an Excel import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Data rows read.
    pub rows: usize,
    /// Commodities saved (added or replaced by SKU).
    pub imported: usize,
    /// Rows skipped, with row number and reason.
    pub errors: Vec<RowError>,
}

impl Terminal {
    async fn catalog_manager(&self) -> Result<()> {
        let (_, me) = self.current_clerk().await?;
        if me.may(Permission::Configure) {
            Ok(())
        } else {
            Err(TerminalError::PermissionDenied(format!(
                "{} ({}) may not change commodities",
                me.id,
                me.role.display_name()
            )))
        }
    }

    /// Searches commodities (SKU, barcode, name or category), a page at a time.
    pub async fn commodities(&self, query: &CommodityQuery) -> Result<Page<Commodity>> {
        self.current_clerk().await?;
        Ok(self.inner.ports.catalog.search(query).await?)
    }

    /// The commodity with this SKU or barcode (what a scanner or the 货号 field gives).
    pub async fn commodity_by_code(&self, code: &str) -> Result<Option<Commodity>> {
        let code = code.trim();
        let catalog = &self.inner.ports.catalog;
        if let Some(c) = catalog.by_sku(code).await? {
            return Ok(Some(c));
        }
        Ok(catalog.by_barcode(code).await?)
    }

    /// Adds or replaces a commodity (managers and admins).
    pub async fn save_commodity(&self, commodity: &Commodity) -> Result<()> {
        self.catalog_manager().await?;
        commodity
            .validate()
            .map_err(|e| TerminalError::Invalid(e.to_string()))?;
        Ok(self.inner.ports.catalog.upsert(commodity).await?)
    }

    /// Deletes a commodity (managers and admins).
    pub async fn delete_commodity(&self, sku: &str) -> Result<()> {
        self.catalog_manager().await?;
        Ok(self.inner.ports.catalog.delete(sku).await?)
    }

    /// Imports commodities from an Excel workbook: valid rows are saved together (all or
    /// none of them), invalid rows reported. `progress(done, total)` after each batch.
    pub async fn import_commodities(
        &self,
        path: &Path,
        mut progress: impl FnMut(usize, usize) + Send,
    ) -> Result<ImportReport> {
        self.catalog_manager().await?;
        let path = path.to_owned();
        let sheet = tokio::task::spawn_blocking(move || cloudpos_export::read_commodities(&path))
            .await
            .map_err(|e| TerminalError::Invalid(e.to_string()))?
            .map_err(|e| TerminalError::Invalid(e.to_string()))?;
        let total = sheet.commodities.len();
        progress(0, total);
        self.inner
            .ports
            .catalog
            .upsert_many(&sheet.commodities)
            .await?;
        progress(total, total);
        let (_, me) = self.current_clerk().await?;
        self.audit(
            me.id.as_str(),
            "commodities_imported",
            serde_json::json!({"rows": sheet.rows, "imported": total, "errors": sheet.errors.len()}),
        )
        .await?;
        Ok(ImportReport {
            rows: sheet.rows,
            imported: total,
            errors: sheet.errors,
        })
    }

    /// Exports the whole catalogue (inventory) to an Excel workbook in the import layout.
    pub async fn export_inventory(&self, path: &Path) -> Result<usize> {
        self.current_clerk().await?;
        let all = self
            .inner
            .ports
            .catalog
            .search(&CommodityQuery::default())
            .await?
            .items;
        let n = all.len();
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || cloudpos_export::write_commodities(&path, &all))
            .await
            .map_err(|e| TerminalError::Invalid(e.to_string()))?
            .map_err(|e| TerminalError::Invalid(e.to_string()))?;
        Ok(n)
    }

    /// Full or simple checkout by wallet code: pays the cart's total and records its lines.
    /// The sold quantities leave stock with the write that records the order paid, also when
    /// that happens later (a lost answer settled by query, a completion after a full disk,
    /// recovery after a crash), exactly once.
    pub async fn checkout(&self, cart: &Cart, code: &str, remark: &str) -> Result<Order> {
        if cart.is_empty() {
            return Err(TerminalError::Invalid("the cart is empty".into()));
        }
        let total = cart
            .total()
            .map_err(|e| TerminalError::Invalid(e.to_string()))?;
        let order = self
            .pay_with_lines(
                PayInput {
                    amount: total,
                    code: code.to_owned(),
                    remark: remark.to_owned(),
                    body: Some(cart.body()),
                    timeout: None,
                },
                cart.lines().to_vec(),
            )
            .await?;
        Ok(order)
    }

    /// Checkout paid from a member card (会员卡, chosen at the till rather than scanned into
    /// the code field): the cart's total is debited from the card in the transaction that
    /// records the paid order with its lines; an insufficient balance is refused with the
    /// balance. The sold quantities then leave stock. With a head office (chain-wide cards)
    /// they leave it in the transaction that records the debit applied, so a payment whose
    /// answer was lost, completed later by `hq sync` or recovery, takes stock exactly once.
    pub async fn checkout_by_card(&self, cart: &Cart, card: &str, remark: &str) -> Result<Order> {
        if cart.is_empty() {
            return Err(TerminalError::Invalid("the cart is empty".into()));
        }
        let total = cart
            .total()
            .map_err(|e| TerminalError::Invalid(e.to_string()))?;
        let order = self
            .pay_by_card(card, total, remark, cart.lines().to_vec())
            .await?;
        // A chain-wide card payment's quantities left stock in the transaction that
        // recorded its debit applied (also when a later sync or recovery completes it).
        let chain_wide = self
            .inner
            .ports
            .members
            .hq_intent(order.no.as_str())
            .await?
            .is_some();
        if !chain_wide {
            self.take_from_stock(cart.lines()).await;
        }
        Ok(order)
    }

    /// A cash payment (full mode): `amount` due, `tendered` handed over; records the change.
    /// Never goes to the cloud. `lines` may be empty (total-amount checkout).
    pub async fn pay_cash(
        &self,
        amount: Money,
        tendered: Money,
        lines: Vec<CartLine>,
        remark: &str,
    ) -> Result<Order> {
        self.ensure_not_halted().await?;
        let (session, clerk) = self.current_clerk().await?;
        self.policy()
            .check_amount(amount, crate::AmountLimit::Payment)?;
        let change =
            cash_change(amount, tendered).map_err(|e| TerminalError::Invalid(e.to_string()))?;
        let merchant = self.merchant().await?.ok_or(TerminalError::NotConfigured)?;
        let now = self.now();
        let no = {
            let mut g = self.generator_for(&merchant).await?;
            let g = g
                .as_mut()
                .ok_or_else(|| TerminalError::Invalid("order number generator missing".into()))?;
            for issued in self.inner.ports.ledger.latest_numbers().await? {
                g.resume_after(&issued);
            }
            g.next_order_no(now)
        };
        let mut order = Order::new(
            NewOrder {
                no,
                method: PaymentMethod::Cash,
                amount,
                code_masked: None,
                store_id: merchant.out_shop_id.clone(),
                device_id: merchant.device_id.clone(),
                clerk_id: clerk.id.clone(),
                shift_id: Some(session.shift_id),
                body: if lines.is_empty() {
                    "现金收款".to_owned()
                } else {
                    Cart::from_lines(&lines).body()
                },
                remark: remark.to_owned(),
            },
            now,
        );
        order.lines.clone_from(&lines);
        order.cash_tendered = Some(tendered);
        order.cash_change = Some(change);
        order.mark_paid(None, now, now).map_err(illegal)?;
        self.inner.ports.ledger.insert_order(&order).await?;
        self.emit(Event::Order(order.clone()));
        self.take_from_stock(&lines).await;
        self.after_paid(&order).await;
        Ok(order)
    }

    /// Takes sold quantities out of stock; a commodity deleted meanwhile is only logged.
    pub(crate) async fn take_from_stock(&self, lines: &[CartLine]) {
        if lines.is_empty() {
            return;
        }
        let changes: Vec<(String, i64)> = lines
            .iter()
            .map(|l| (l.sku.clone(), -i64::from(l.quantity)))
            .collect();
        if let Err(e) = self.inner.ports.catalog.adjust_stock(&changes).await {
            tracing::warn!(error = %e, "stock not updated after a sale");
        }
    }
}
