//! Member cards (会员卡): add, look up, recharge by the payer's wallet code, pay with the
//! card, the card's ledger, admin adjustments, Excel import and export, and the bonus rules.
//!
//! A recharge is an ordinary payment through the payment loop ([`Terminal::pay_inner`]):
//! its intent is committed together with the credit it promises, and the ledger applies
//! that credit in the transaction that records the payment paid, whichever path gets
//! there (the loop, recovery after a crash, a query, completion), and never otherwise. A
//! card payment never leaves the till: the paid order and the card's debit are one
//! transaction. Refunds and voids of card payments go back to the card (in the ledger).
//!
//! With a head office configured the cards are chain-wide and every one of these goes to
//! the head office instead (`members_hq.rs`).

use std::path::Path;

use cloudpos_domain::clerk::Permission;
use cloudpos_domain::code::{Wallet, mask_code};
use cloudpos_domain::member::{
    BonusRules, CardNo, EntryKind, MemberAccount, MemberCard, MemberEntry, Recharge,
    running_balances,
};
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{NewOrder, Order, PaymentMethod};
use cloudpos_domain::ports::StoreError;
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_export::RowError;
use serde::{Deserialize, Serialize};

use crate::pay::illegal;
use crate::{Event, PayInput, Result, Setting, Terminal, TerminalError};

/// The member settings: the recharge bonus rules (充 100 送 10).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSettings {
    /// The bonus rules; none by default.
    #[serde(default)]
    pub bonus: BonusRules,
}

impl Setting for MemberSettings {
    const KEY: &'static str = "member";
    const NAME: &'static str = "member settings";
    const AUDIT_ACTION: &'static str = "config_member";

    fn check(&mut self) -> Result<()> {
        self.bonus = BonusRules::new(std::mem::take(&mut self.bonus.rules))
            .map_err(|e| TerminalError::Invalid(e.to_string()))?;
        Ok(())
    }
}

/// What a recharge did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RechargeResult {
    /// The wallet payment (its state says whether it was paid).
    pub order: Order,
    /// The card as it stands after the payment.
    pub account: MemberAccount,
    /// The bonus promised with the payment.
    pub bonus: Money,
    /// Whether the ledger credited the card (true exactly when the payment is paid).
    pub credited: bool,
}

/// One entry of a card's ledger with the balance after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerLine {
    /// The entry.
    pub entry: MemberEntry,
    /// The balance once it was applied.
    pub balance_after: Money,
}

/// What a member import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberImport {
    /// Data rows read.
    pub rows: usize,
    /// Cards saved (added, or name/phone/status updated).
    pub imported: usize,
    /// Rows skipped, with row number and reason.
    pub errors: Vec<RowError>,
}

fn card_no(text: &str) -> Result<CardNo> {
    CardNo::parse(text).map_err(|e| TerminalError::Invalid(e.to_string()))
}

impl Terminal {
    /// Adds a member card (clerks who may take payments).
    pub async fn add_member(&self, card: &str, name: &str, phone: &str) -> Result<MemberAccount> {
        let (_, clerk) = self.current_clerk().await?;
        let card = MemberCard::new(card_no(card)?, name, phone, self.now())
            .map_err(|e| TerminalError::Invalid(e.to_string()))?;
        let account = if let Some(chain) = self.chain_members().await? {
            self.chain_put(&chain, std::slice::from_ref(&card), false)
                .await?
                .pop()
        } else {
            self.inner.ports.members.add_member(&card).await?;
            None
        };
        self.audit(
            clerk.id.as_str(),
            "member_add",
            serde_json::json!({"card": card.card_no.as_str(), "name": card.name}),
        )
        .await?;
        Ok(account.unwrap_or(MemberAccount {
            card,
            balance: Money::ZERO,
        }))
    }

    /// The card with this number, with its balance.
    pub async fn member(&self, card: &str) -> Result<MemberAccount> {
        self.current_clerk().await?;
        let no = card_no(card)?;
        if let Some(chain) = self.chain_members().await? {
            return self.chain_account(&chain, &no).await;
        }
        self.inner
            .ports
            .members
            .member(&no)
            .await?
            .ok_or_else(|| TerminalError::NotFound(format!("member card {no}")))
    }

    /// The cards registered under a phone number.
    pub async fn members_by_phone(&self, phone: &str) -> Result<Vec<MemberAccount>> {
        self.current_clerk().await?;
        if let Some(chain) = self.chain_members().await? {
            return self.chain_by_phone(&chain, phone).await;
        }
        Ok(self.inner.ports.members.members_by_phone(phone).await?)
    }

    /// The bonus a recharge of `amount` earns under the current rules (shown before
    /// charging).
    pub async fn recharge_bonus(&self, amount: Money) -> Result<Money> {
        Ok(self
            .setting::<MemberSettings>()
            .await?
            .bonus
            .bonus_for(amount))
    }

    /// Recharges a card by the payer's wallet code: a normal exactly-once payment whose
    /// credit (amount plus bonus) the ledger applies exactly when it is recorded paid.
    pub async fn recharge_member(
        &self,
        card: &str,
        amount: Money,
        code: &str,
    ) -> Result<RechargeResult> {
        let account = self.member(card).await?;
        if account.card.status != cloudpos_domain::member::MemberStatus::Active {
            // The head office credits a paid recharge whatever the card's status: the till
            // checks it before charging the wallet (the local ledger checks it too).
            return Err(
                StoreError::Member(cloudpos_domain::member::MemberError::NotActive(
                    account.card.status,
                ))
                .into(),
            );
        }
        let bonus = self.recharge_bonus(amount).await?;
        let recharge = Recharge {
            card_no: account.card.card_no.clone(),
            amount,
            bonus,
        };
        let order = self
            .pay_inner(
                PayInput {
                    amount,
                    code: code.to_owned(),
                    remark: format!("会员充值 {}", account.card.card_no),
                    body: Some("会员充值".to_owned()),
                    timeout: None,
                },
                Vec::new(),
                Some(recharge),
            )
            .await?;
        let chain = self.chain_members().await?;
        let credited = match &chain {
            // Chain-wide: the credit was queued with the paid state; sent now, or later by
            // the head-office sync (`credited` false on a paid order: the credit is pending).
            Some(chain) if order.state == cloudpos_domain::order::OrderState::Paid => {
                self.chain_credit_recharge(chain, &order).await?
            }
            Some(_) => false,
            None => self
                .inner
                .ports
                .members
                .recharge_of(&order.no)
                .await?
                .is_some_and(|r| r.credited),
        };
        let account = match self.member(account.card.card_no.as_str()).await {
            Ok(a) => a,
            // The head office went away after the payment: the card as it was before.
            Err(_) if chain.is_some() => account,
            Err(e) => return Err(e),
        };
        Ok(RechargeResult {
            order,
            account,
            bonus,
            credited,
        })
    }

    /// Pays `amount` from a member card (chosen, or its barcode scanned): the paid order
    /// and the debit are one transaction; an insufficient balance is refused with it.
    pub async fn pay_member(&self, card: &str, amount: Money, remark: &str) -> Result<Order> {
        self.pay_by_card(card, amount, remark, Vec::new()).await
    }

    /// [`Terminal::pay_member`] with the cart's lines (checkout by card).
    pub(crate) async fn pay_by_card(
        &self,
        card: &str,
        amount: Money,
        remark: &str,
        lines: Vec<cloudpos_domain::catalog::CartLine>,
    ) -> Result<Order> {
        self.ensure_not_halted().await?;
        let (session, clerk) = self.current_clerk().await?;
        if !clerk.may(Permission::Pay) {
            return Err(TerminalError::PermissionDenied(format!(
                "{} may not take payments",
                clerk.id
            )));
        }
        self.policy()
            .check_amount(amount, crate::AmountLimit::Payment)?;
        let no = card_no(card)?;
        let merchant = self.merchant().await?.ok_or(TerminalError::NotConfigured)?;
        let chain = self.chain_members().await?;
        if let Some(chain) = &chain {
            // Refused before anything is written when the head office cannot be reached,
            // the card is unknown or frozen, or the balance is short.
            let account = self.chain_account(chain, &no).await?;
            cloudpos_domain::member::check_payment(account.card.status, account.balance, amount)
                .map_err(StoreError::Member)?;
        }
        let body = if lines.is_empty() {
            "会员卡消费".to_owned()
        } else {
            cloudpos_domain::catalog::Cart::from_lines(&lines).body()
        };
        for _ in 0..8 {
            let now = self.now();
            let mut order = Order::new(
                NewOrder {
                    no: self.next_order_no(&merchant, now).await?,
                    method: PaymentMethod::Wallet(Wallet::MemberCard),
                    amount,
                    code_masked: Some(mask_code(no.as_str())),
                    store_id: merchant.out_shop_id.clone(),
                    device_id: merchant.device_id.clone(),
                    clerk_id: clerk.id.clone(),
                    shift_id: Some(session.shift_id),
                    body: body.clone(),
                    remark: remark.to_owned(),
                },
                now,
            );
            order.lines.clone_from(&lines);
            order.mark_paid(None, now, now).map_err(illegal)?;
            let written = match &chain {
                None => self.inner.ports.members.pay_with_card(&order, &no).await,
                Some(chain) => self.chain_debit(chain, &order, &no, &clerk.id).await?,
            };
            match written {
                Ok(()) => {
                    self.emit(Event::Order(order.clone()));
                    self.after_paid(&order).await;
                    return Ok(order);
                }
                Err(StoreError::Duplicate(what)) if what.starts_with("order number") => {
                    let mut g = self.generator_for(&merchant).await?;
                    if let Some(g) = g.as_mut() {
                        for issued in self.inner.ports.ledger.latest_numbers().await? {
                            g.resume_after(&issued);
                        }
                    }
                }
                Err(StoreError::NotFound(_)) => {
                    return Err(TerminalError::NotFound(format!("member card {no}")));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(TerminalError::Invalid(
            "could not allocate a unique order number".into(),
        ))
    }

    /// A card's ledger, oldest first, each entry with the balance after it.
    pub async fn member_ledger(&self, card: &str) -> Result<Vec<LedgerLine>> {
        let account = self.member(card).await?;
        let entries = match self.chain_members().await? {
            Some(chain) => self.chain_entries(&chain, &account.card.card_no).await?,
            None => {
                self.inner
                    .ports
                    .members
                    .entries(&account.card.card_no)
                    .await?
            }
        };
        Ok(running_balances(&entries)
            .into_iter()
            .map(|(entry, balance_after)| LedgerLine {
                entry,
                balance_after,
            })
            .collect())
    }

    /// Corrects a card's balance by `amount` (either sign) with a reason: admins only,
    /// audited. The balance never goes below zero.
    pub async fn adjust_member(
        &self,
        card: &str,
        amount: Money,
        reason: &str,
    ) -> Result<MemberAccount> {
        let (_, clerk) = self.current_clerk().await?;
        if !clerk.may(Permission::AdjustBalance) {
            return Err(TerminalError::PermissionDenied(format!(
                "{} ({}) may not adjust member balances: admins only",
                clerk.id,
                clerk.role.display_name()
            )));
        }
        let account = self.member(card).await?;
        let entry = MemberEntry {
            card_no: account.card.card_no.clone(),
            kind: EntryKind::Adjustment,
            amount,
            reference: None,
            reason: Some(reason.trim().to_owned()),
            clerk_id: Some(clerk.id.clone()),
            at: self.now(),
        };
        match self.chain_members().await? {
            Some(chain) => self.chain_adjust(&chain, &entry, &clerk.id).await?,
            None => self.inner.ports.members.adjust(&entry).await?,
        }
        self.audit(
            clerk.id.as_str(),
            "member_adjust",
            serde_json::json!({
                "card": entry.card_no.as_str(),
                "amount_fen": amount.fen(),
                "reason": reason.trim(),
            }),
        )
        .await?;
        self.member(card).await
    }

    /// Imports members from an Excel workbook: valid rows are saved in one transaction
    /// (new cards added, known cards' name, phone and status updated; balances are never
    /// imported), bad rows reported by number (managers and admins).
    pub async fn import_members(&self, path: &Path) -> Result<MemberImport> {
        let (_, clerk) = self.current_clerk().await?;
        if !clerk.may(Permission::Configure) {
            return Err(TerminalError::PermissionDenied(format!(
                "{} ({}) may not import members",
                clerk.id,
                clerk.role.display_name()
            )));
        }
        let path = path.to_owned();
        let at: Timestamp = self.now();
        let sheet = tokio::task::spawn_blocking(move || cloudpos_export::read_members(&path, at))
            .await
            .map_err(|e| TerminalError::Invalid(e.to_string()))?
            .map_err(|e| TerminalError::Invalid(e.to_string()))?;
        match self.chain_members().await? {
            Some(chain) => {
                self.chain_put(&chain, &sheet.members, true).await?;
            }
            None => {
                self.inner
                    .ports
                    .members
                    .upsert_members(&sheet.members)
                    .await?;
            }
        }
        self.audit(
            clerk.id.as_str(),
            "members_imported",
            serde_json::json!({"rows": sheet.rows, "imported": sheet.members.len(), "errors": sheet.errors.len()}),
        )
        .await?;
        Ok(MemberImport {
            rows: sheet.rows,
            imported: sheet.members.len(),
            errors: sheet.errors,
        })
    }

    /// Exports every card with its balance to an Excel workbook in the import layout.
    pub async fn export_members(&self, path: &Path) -> Result<usize> {
        self.current_clerk().await?;
        let all = match self.chain_members().await? {
            Some(chain) => self.chain_all(&chain).await?,
            None => self.inner.ports.members.members().await?,
        };
        let n = all.len();
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || cloudpos_export::write_members(&path, &all))
            .await
            .map_err(|e| TerminalError::Invalid(e.to_string()))?
            .map_err(|e| TerminalError::Invalid(e.to_string()))?;
        Ok(n)
    }
}
