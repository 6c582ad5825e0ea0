//! Deposits (押金, protocol notes §11): freezes, consumes, releases, the 30-day automatic
//! release, the listing and the refund of a consume order, on the one server ledger.
//!
//! ## Scripted freeze outcomes (last two digits of the payment code)
//! | code ends | behaviour |
//! |---|---|
//! | `00`, unlisted | frozen at once (Wx 2 / Ali 2) |
//! | `01` | user paying (Wx 3 / Ali 1); frozen on the 2nd `query_freeze_order` |
//! | `02` | user paying; failed (Wx 4 / Ali 3) on the 2nd query |
//! | `03` | insufficient balance: status 104 `余额不足 (NOTENOUGH)`; stored as failed |
//! | `04` | user paying until the terminal cancels it with an `unfreeze` of the whole amount |
//! | `05` | expired code: status 104 `付款码已过期 (AUTHCODEEXPIRE)`; stored as failed |
//! | `06` | frozen, then the connection is closed before the answer |
//! | `07` | frozen, but the first answer is status 3 (no MAC) |
//! | `08` | frozen, answer delayed (the slow-answer delay) |
//!
//! ## Rules (§11.7; the statuses the notes leave open are the sandbox's choice, [I])
//! - Anti-reentry: the same `out_freeze_no` (or consume `out_trade_no`) with the same
//!   parameters returns the stored record; anything different is 104 / 407. A payment code
//!   is single use across payments and freezes.
//! - A consume takes at most what is still frozen (more is 101 naming
//!   `pay_content.total_fee`); a WeChat freeze needs `is_confirm_unfreeze: true` (101);
//!   with it the rest is released at once (counted in `total_manual_unfreeze_fee`). The
//!   consume creates an ordinary paid order: `query_order`, `client_order_detail`, refunds
//!   (which must then carry `refund_content.out_freeze_no`, 101 otherwise).
//! - A release needs refund permission: `is_sub_admin`, or `authorization_staff_id` of a
//!   staff member who may approve refunds (a clerk's is 104). It releases at most what is
//!   still frozen (101). A release of a freeze still waiting for the customer cancels it
//!   (Wx 5). A release of an unknown freeze is 104 and leaves a tombstone, so a late
//!   `micro_freeze` with that number is refused (102).
//! - The wallet releases what is still frozen by itself [`Timings::auto_unfreeze_after`]
//!   (30 days) after the freeze (`total_auto_unfreeze_fee`).

use cloudpay_api::deposit::wire::{
    self as dw, FreezeOrderContent, UnfreezeOrderContent, ali_freeze_state, unfreeze_state,
    wx_freeze_state,
};
use cloudpay_api::wire::{self, pay_platform};
use serde::{Deserialize, Serialize};
use serde_json::json;

mod listing;

use crate::config::{MerchantConfig, Timings};
use crate::ledger::{After, Done, Fail, Ledger, Order, OrderState, Script, code_matches_platform};

/// A freeze's state as the server keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FreezeState {
    /// The customer is confirming.
    UserPaying,
    /// Frozen; part may have been consumed or released.
    Frozen,
    /// Never frozen.
    Failed,
    /// Was frozen (or cancelled); nothing held any more.
    Finished,
}

/// A freeze as the server keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freeze {
    /// Merchant deposit number.
    pub out_freeze_no: String,
    /// The payment code.
    pub author_code: String,
    /// 1 WeChat, 2 Alipay.
    pub pay_platform: i32,
    /// Amount frozen, fen.
    pub freeze_fee: i64,
    /// Description.
    pub body: String,
    /// Remark.
    #[serde(default)]
    pub remark: Option<String>,
    /// Shop.
    pub out_shop_id: String,
    /// Device that froze it.
    pub device_id: String,
    /// Clerk.
    #[serde(default)]
    pub staff_id: Option<String>,
    /// State.
    pub state: FreezeState,
    /// Scripted behaviour.
    pub script: Script,
    /// Why it failed.
    #[serde(default)]
    pub failure: Option<String>,
    /// `query_freeze_order` calls seen.
    #[serde(default)]
    pub query_count: u32,
    /// Created, Unix ms.
    pub created_ms: i64,
    /// Frozen, Unix ms.
    #[serde(default)]
    pub frozen_ms: Option<i64>,
    /// Last change, Unix ms.
    pub updated_ms: i64,
    /// Upstream authorisation number.
    pub freeze_id: String,
    /// Consumed, fen.
    #[serde(default)]
    pub consumed: i64,
    /// Released by `unfreeze` and by the consume's `is_confirm_unfreeze`, fen.
    #[serde(default)]
    pub manual_unfrozen: i64,
    /// Released by the wallet after 30 days, fen.
    #[serde(default)]
    pub auto_unfrozen: i64,
    /// The consume order, once consumed.
    #[serde(default)]
    pub consume_no: Option<String>,
    /// An `unfreeze` for a number the server never saw (refuses a late `micro_freeze`).
    #[serde(default)]
    pub tombstone: bool,
    /// The anti-reentry parameters.
    #[serde(default)]
    pub fingerprint: String,
}

impl Freeze {
    /// What is still frozen.
    #[must_use]
    pub fn held(&self) -> i64 {
        if self.state == FreezeState::Frozen {
            (self.freeze_fee - self.consumed - self.manual_unfrozen - self.auto_unfrozen).max(0)
        } else {
            0
        }
    }
}

/// A release as the server keeps it (only releases that went through are stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnfreezeRec {
    /// Merchant release number.
    pub out_unfreeze_no: String,
    /// The freeze.
    pub out_freeze_no: String,
    /// Amount, fen.
    pub unfreeze_fee: i64,
    /// Remark.
    #[serde(default)]
    pub remark: Option<String>,
    /// Upstream release id.
    pub unfreeze_id: String,
    /// Shop.
    pub out_shop_id: String,
    /// Device that asked.
    pub device_id: String,
    /// Who answered for it (`is_sub_admin`, or the staff id).
    pub authority: String,
    /// Created, Unix ms.
    pub created_ms: i64,
}

/// The deposits of the server ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deposits {
    /// Freezes, in creation order.
    pub freezes: Vec<Freeze>,
    /// Releases, in creation order.
    pub unfreezes: Vec<UnfreezeRec>,
}

impl Deposits {
    /// The index of a freeze (tombstones included).
    #[must_use]
    pub fn find(&self, no: &str) -> Option<usize> {
        self.freezes.iter().position(|f| f.out_freeze_no == no)
    }

    /// The freeze whose consume created order `no`.
    #[must_use]
    pub fn of_consume(&self, no: &str) -> Option<&Freeze> {
        self.freezes
            .iter()
            .find(|f| f.consume_no.as_deref() == Some(no))
    }

    /// Whether a payment code was used by a freeze.
    #[must_use]
    pub fn code_used(&self, code: &str) -> bool {
        self.freezes
            .iter()
            .any(|f| !f.tombstone && f.author_code == code)
    }

    /// The 30-day automatic release (time-driven; run before each request).
    pub fn settle(&mut self, now_ms: i64, timings: &Timings) {
        let after = i64::try_from(timings.auto_unfreeze_after.as_millis()).unwrap_or(i64::MAX);
        for f in &mut self.freezes {
            let held = f.held();
            if held > 0
                && let Some(at) = f.frozen_ms
                && now_ms >= at.saturating_add(after)
            {
                f.auto_unfrozen += held;
                f.state = FreezeState::Finished;
                f.updated_ms = now_ms;
            }
        }
    }
}

fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

fn same_platform(f: &Freeze, given: Option<i32>) -> Result<(), Fail> {
    match given {
        Some(p) if p != f.pay_platform => Err(Fail::field(
            "pay_mch_key.pay_platform",
            &format!("{p} 与押金的支付平台 {} 不一致", f.pay_platform),
            &format!(
                "{p} does not match the deposit's pay_platform {}",
                f.pay_platform
            ),
        )),
        _ => Ok(()),
    }
}

fn mch_echo(m: &MerchantConfig, key: &wire::PayMchKey, platform: Option<i32>) -> wire::PayMchKey {
    let platform = key.pay_platform.or(platform);
    wire::PayMchKey {
        pay_platform: platform,
        sub_pay_platform: platform.map(|p| p * 100),
        out_mch_id: m.out_mch_id.clone(),
        out_sub_mch_id: m.out_sub_mch_id.clone(),
        out_shop_id: key.out_shop_id.clone(),
        ..wire::PayMchKey::default()
    }
}

fn not_found() -> Fail {
    Fail::not_found("押金冻结单不存在 (FREEZE_ORDER_NOT_EXIST)")
}

impl Ledger {
    fn next_id(&mut self, prefix: &str, now_ms: i64) -> String {
        self.seq += 1;
        format!(
            "{prefix}{:010}{:011}",
            secs(now_ms).rem_euclid(10_000_000_000),
            self.seq
        )
    }

    /// The refunded amount of a freeze's consume order (successful refunds).
    fn freeze_refunded(&self, f: &Freeze) -> i64 {
        f.consume_no
            .as_deref()
            .and_then(|no| self.find_order(no))
            .map_or(0, |i| self.refunded(&self.orders[i]))
    }

    /// The wire `freeze_order_content` of a freeze.
    #[must_use]
    pub fn freeze_content(&self, f: &Freeze) -> FreezeOrderContent {
        let frozen = f.frozen_ms.is_some();
        let mut c = FreezeOrderContent {
            out_freeze_no: f.out_freeze_no.clone(),
            freeze_id: frozen.then(|| f.freeze_id.clone()),
            trade_type: Some(wire::trade_type::MICROPAY),
            author_code: Some(f.author_code.clone()),
            time_expire: Some(secs(f.created_ms) + 120),
            time_end: f.frozen_ms.map(secs),
            create_time: Some(secs(f.created_ms)),
            last_update_time: Some(secs(f.updated_ms)),
            is_transforming: Some(false),
            freeze_fee: f.freeze_fee,
            cash_fee: Some(if frozen { f.freeze_fee } else { 0 }),
            fee_type: Some(wire::CNY.to_owned()),
            cash_fee_type: Some(wire::CNY.to_owned()),
            body: Some(f.body.clone()),
            remark: f.remark.clone(),
            total_consume_fee: Some(f.consumed),
            total_manual_unfreeze_fee: Some(f.manual_unfrozen),
            total_auto_unfreeze_fee: Some(f.auto_unfrozen),
            total_refund_fee: Some(self.freeze_refunded(f)),
            ..FreezeOrderContent::default()
        };
        if f.pay_platform == pay_platform::ALIPAY {
            let state = match f.state {
                FreezeState::UserPaying => ali_freeze_state::INITIAL,
                FreezeState::Frozen => ali_freeze_state::FROZEN,
                FreezeState::Failed | FreezeState::Finished => ali_freeze_state::CLOSED,
            };
            c.alipay_freeze_order_content_ext = Some(dw::AlipayFreezeOrderContentExt {
                current_trade_state: state,
                product_code: Some("PRE_AUTH".to_owned()),
                ..dw::AlipayFreezeOrderContentExt::default()
            });
        } else {
            let (state, desc) = match f.state {
                FreezeState::UserPaying => (wx_freeze_state::USER_PAYING, "需要用户输入支付密码"),
                FreezeState::Frozen => (wx_freeze_state::FROZEN, "冻结成功"),
                FreezeState::Failed if f.script == Script::FailedOnSecondQuery => {
                    (wx_freeze_state::NOT_PAY, "用户取消支付")
                }
                FreezeState::Failed => (wx_freeze_state::PAY_ERROR, "冻结失败"),
                FreezeState::Finished => (wx_freeze_state::FINISHED, "已全部解冻或消费"),
            };
            c.wxpay_freeze_order_content_ext = Some(dw::WxpayFreezeOrderContentExt {
                current_trade_state: state,
                bank_type: frozen.then(|| "CFT".to_owned()),
                trade_state_desc: Some(f.failure.clone().unwrap_or_else(|| desc.to_owned())),
                ..dw::WxpayFreezeOrderContentExt::default()
            });
        }
        c
    }

    fn unfreeze_content(f: &Freeze, u: &UnfreezeRec) -> UnfreezeOrderContent {
        let mut c = UnfreezeOrderContent {
            out_freeze_no: u.out_freeze_no.clone(),
            out_unfreeze_no: u.out_unfreeze_no.clone(),
            unfreeze_id: Some(u.unfreeze_id.clone()),
            trade_type: Some(wire::trade_type::MICROPAY),
            time_end: Some(secs(u.created_ms)),
            create_time: Some(secs(u.created_ms)),
            last_update_time: Some(secs(u.created_ms)),
            is_transforming: Some(false),
            unfreeze_fee: u.unfreeze_fee,
            fee_type: Some(wire::CNY.to_owned()),
            remark: u.remark.clone(),
            freeze_id: Some(f.freeze_id.clone()),
            ..UnfreezeOrderContent::default()
        };
        if f.pay_platform == pay_platform::ALIPAY {
            c.alipay_unfreeze_order_content_ext = Some(dw::AlipayUnfreezeOrderContentExt {
                current_trade_state: unfreeze_state::SUCCESS,
                fund_amount: Some(u.unfreeze_fee),
                ..dw::AlipayUnfreezeOrderContentExt::default()
            });
        } else {
            c.wxpay_unfreeze_order_content_ext = Some(dw::WxpayUnfreezeOrderContentExt {
                current_trade_state: unfreeze_state::SUCCESS,
            });
        }
        c
    }

    // ───────────────────────────── micro_freeze ─────────────────────────────

    /// `micro_freeze` after validation.
    pub fn micro_freeze(
        &mut self,
        m: &MerchantConfig,
        req: &dw::MicroFreezeRequest,
        now_ms: i64,
    ) -> Result<Done, Fail> {
        let fc = &req.freeze_content;
        let platform = req.pay_mch_key.pay_platform.unwrap_or(0);
        let device = req.order_client.device_id.clone().unwrap_or_default();
        let fingerprint = format!(
            "{platform}|{}|{device}|{}|{}|{}|{}",
            req.pay_mch_key.out_shop_id, fc.author_code, fc.freeze_fee, fc.fee_type, fc.body
        );
        let answer = |l: &Ledger, f: &Freeze| {
            json!({
                "freeze_order_content": l.freeze_content(f),
                "pay_mch_key": mch_echo(m, &req.pay_mch_key, None),
                "nonce_str": cloudpay_api::new_nonce(),
            })
        };
        if let Some(i) = self.deposits.find(&fc.out_freeze_no) {
            let existing = &self.deposits.freezes[i];
            if existing.tombstone {
                return Err(Fail::new_number(
                    "押金冻结单已解冻, 请使用新的冻结单号 (ORDERREVERSED)",
                ));
            }
            if existing.fingerprint != fingerprint {
                return Err(Fail::anti_reentry(
                    "冻结单号重复: 与原冻结单参数不一致, 已被防重入拦截 (anti-reentry)",
                ));
            }
            return Ok(Done {
                op: answer(self, existing),
                after: After::Answer,
            });
        }
        let code = fc.author_code.clone();
        if self.deposits.code_used(&code)
            || self
                .orders
                .iter()
                .any(|o| !o.tombstone && !o.injected && o.author_code == code)
        {
            return Err(Fail::failed(
                "付款码已使用, 请顾客刷新付款码后重试 (AUTH_CODE_INVALID)",
            ));
        }
        let script = Script::of_code(&code);
        let freeze_id = self.next_id("43000", now_ms);
        let mut f = Freeze {
            out_freeze_no: fc.out_freeze_no.clone(),
            author_code: code,
            pay_platform: platform,
            freeze_fee: fc.freeze_fee,
            body: fc.body.clone(),
            remark: fc.remark.clone(),
            out_shop_id: req.pay_mch_key.out_shop_id.clone(),
            device_id: device,
            staff_id: req.order_client.staff_id.clone(),
            state: FreezeState::Frozen,
            script,
            failure: None,
            query_count: 0,
            created_ms: now_ms,
            frozen_ms: Some(now_ms),
            updated_ms: now_ms,
            freeze_id,
            consumed: 0,
            manual_unfrozen: 0,
            auto_unfrozen: 0,
            consume_no: None,
            tombstone: false,
            fingerprint,
        };
        let mut after = After::Answer;
        let mut fail = None;
        match script {
            Script::PaidOnSecondQuery | Script::FailedOnSecondQuery | Script::UntilReversed => {
                f.state = FreezeState::UserPaying;
                f.frozen_ms = None;
            }
            Script::InsufficientBalance | Script::ExpiredCode => {
                let why = if script == Script::InsufficientBalance {
                    "余额不足 (NOTENOUGH)"
                } else {
                    "付款码已过期, 请刷新后重试 (AUTHCODEEXPIRE)"
                };
                f.state = FreezeState::Failed;
                f.frozen_ms = None;
                f.failure = Some(why.to_owned());
                fail = Some(Fail::failed(why));
            }
            Script::DropAfterCommit => after = After::DropConnection,
            Script::Status3ThenPaid => after = After::Status3,
            Script::SlowAnswer => after = After::Delay,
            Script::Pay | Script::RevokeRace => {}
        }
        let op = answer(self, &f);
        self.deposits.freezes.push(f);
        match fail {
            Some(f) => Err(f),
            None => Ok(Done { op, after }),
        }
    }

    /// `query_freeze_order`: advances the scripted states that resolve on queries.
    pub fn query_freeze(
        &mut self,
        m: &MerchantConfig,
        req: &dw::QueryFreezeOrderRequest,
        now_ms: i64,
    ) -> Result<Done, Fail> {
        let Some(i) = self.deposits.find(&req.out_freeze_no) else {
            return Err(not_found());
        };
        let f = &mut self.deposits.freezes[i];
        if f.tombstone {
            return Err(not_found());
        }
        same_platform(f, req.pay_mch_key.pay_platform)?;
        if f.state == FreezeState::UserPaying {
            f.query_count += 1;
            if f.query_count >= 2 {
                match f.script {
                    Script::PaidOnSecondQuery => {
                        f.state = FreezeState::Frozen;
                        f.frozen_ms = Some(now_ms);
                        f.updated_ms = now_ms;
                    }
                    Script::FailedOnSecondQuery => {
                        f.state = FreezeState::Failed;
                        f.failure = Some("用户取消支付 (USERCANCEL)".to_owned());
                        f.updated_ms = now_ms;
                    }
                    _ => {}
                }
            }
        }
        let f = &self.deposits.freezes[i];
        let client = wire::OrderClient {
            device_id: Some(f.device_id.clone()),
            staff_id: f.staff_id.clone(),
            ..req.order_client.clone()
        };
        Ok(Done {
            op: json!({
                "freeze_order_content": self.freeze_content(f),
                "pay_mch_key": mch_echo(m, &req.pay_mch_key, Some(f.pay_platform)),
                "order_client": client,
                "nonce_str": cloudpay_api::new_nonce(),
            }),
            after: After::Answer,
        })
    }

    // ───────────────────────────── deposit_consume ─────────────────────────────

    /// `deposit_consume` after validation, from `device_id`.
    pub fn deposit_consume(
        &mut self,
        m: &MerchantConfig,
        req: &dw::DepositConsumeRequest,
        device_id: &str,
        now_ms: i64,
    ) -> Result<Done, Fail> {
        let pc = &req.pay_content;
        let Some(fi) = self.deposits.find(&pc.out_freeze_no) else {
            return Err(not_found());
        };
        let f = self.deposits.freezes[fi].clone();
        if f.tombstone {
            return Err(not_found());
        }
        same_platform(&f, req.pay_mch_key.pay_platform)?;
        let answer = |l: &Ledger, order: &Order, f: &Freeze, released: i64| {
            let mut content = dw::ConsumeOrderContent {
                order: l.order_content(order, false),
                out_freeze_no: Some(f.out_freeze_no.clone()),
                freeze_fee: Some(f.freeze_fee),
                is_deposit_mode: Some(true),
                is_confirm_unfreeze: Some(true),
                manual_unfreeze_fee: Some(released),
                freeze_id: Some(f.freeze_id.clone()),
            };
            if let Some(wx) = &mut content.order.wxpay_order_content_ext {
                wx.current_trade_state = wire::wx_state::DEPOSIT_CONSUMED;
                wx.trade_state_desc = Some("押金消费成功".to_owned());
            }
            json!({
                "order_content": content,
                "pay_mch_key": mch_echo(m, &req.pay_mch_key, Some(f.pay_platform)),
                "nonce_str": cloudpay_api::new_nonce(),
            })
        };
        if let Some(i) = self.find_order(&pc.out_trade_no) {
            let o = &self.orders[i];
            if f.consume_no.as_deref() == Some(pc.out_trade_no.as_str())
                && o.total_fee == pc.total_fee
            {
                let released = f.freeze_fee - f.consumed - f.auto_unfrozen;
                return Ok(Done {
                    op: answer(self, o, &f, released.max(0)),
                    after: After::Answer,
                });
            }
            return Err(Fail::anti_reentry(
                "订单号重复: 与原订单参数不一致, 已被防重入拦截 (anti-reentry)",
            ));
        }
        if f.pay_platform == pay_platform::WECHAT && !pc.is_confirm_unfreeze {
            return Err(Fail::field(
                "pay_content.is_confirm_unfreeze",
                "微信押金消费必须为 true",
                "must be true for a WeChat Pay deposit",
            ));
        }
        if pc.wxpay_pay_content_ext.is_some() && f.pay_platform != pay_platform::WECHAT {
            return Err(Fail::field(
                "pay_content.wxpay_pay_content_ext",
                "只用于微信支付",
                "is for WeChat Pay only",
            ));
        }
        if f.state != FreezeState::Frozen {
            return Err(Fail::failed(
                "押金冻结单状态不允许消费: 未冻结或已完结 (the freeze is not frozen)",
            ));
        }
        let held = f.held();
        if pc.total_fee > held {
            return Err(Fail::field(
                "pay_content.total_fee",
                &format!("超过押金剩余冻结金额 {held} 分"),
                &format!("is above the {held} fen still frozen"),
            ));
        }
        let rest = if pc.is_confirm_unfreeze {
            held - pc.total_fee
        } else {
            0
        };
        let order = Order {
            out_trade_no: pc.out_trade_no.clone(),
            author_code: f.author_code.clone(),
            pay_platform: f.pay_platform,
            total_fee: pc.total_fee,
            fee_type: pc.fee_type.clone(),
            body: pc.body.clone(),
            remark: pc.remark.clone(),
            out_shop_id: req.pay_mch_key.out_shop_id.clone(),
            device_id: device_id.to_owned(),
            staff_id: req.order_client.staff_id.clone(),
            machine_no: req.order_client.machine_no.clone(),
            state: OrderState::Paid,
            script: Script::Pay,
            failure: None,
            query_count: 0,
            created_ms: now_ms,
            paid_ms: Some(now_ms),
            updated_ms: now_ms,
            transaction_id: f.freeze_id.clone(),
            reversed_refund_fee: 0,
            auto_revoked: false,
            tombstone: false,
            duplicate: false,
            injected: false,
            refunded_override: None,
            fingerprint: format!("deposit|{}|{}", f.out_freeze_no, pc.total_fee),
            held: None,
            qr_code: None,
        };
        let g = &mut self.deposits.freezes[fi];
        g.consumed += pc.total_fee;
        g.manual_unfrozen += rest;
        g.consume_no = Some(pc.out_trade_no.clone());
        if g.held() == 0 {
            g.state = FreezeState::Finished;
        }
        g.updated_ms = now_ms;
        let f = g.clone();
        let op = answer(self, &order, &f, rest);
        self.orders.push(order);
        Ok(Done {
            op,
            after: After::Answer,
        })
    }

    /// A refund of a consume order must name its deposit (`refund_content.out_freeze_no`,
    /// §11.7), and a refund naming a deposit must be of that deposit's consume order.
    pub fn check_deposit_refund(&self, req: &wire::RefundRequest) -> Result<(), Fail> {
        let rc = &req.refund_content;
        let consume_of = self.deposits.of_consume(&rc.out_trade_no);
        match (&rc.out_freeze_no, consume_of) {
            (None, None) => Ok(()),
            (None, Some(_)) => Err(Fail::field(
                "refund_content.out_freeze_no",
                "押金消费订单退款时必填",
                "is required to refund a deposit's consume order",
            )),
            (Some(no), Some(f)) if &f.out_freeze_no == no => Ok(()),
            (Some(no), _) => Err(Fail::field(
                "refund_content.out_freeze_no",
                &format!("\"{no}\" 不是订单 {} 的押金", rc.out_trade_no),
                "is not the deposit whose consume created the order",
            )),
        }
    }

    // ───────────────────────────── unfreeze ─────────────────────────────

    /// `unfreeze` after validation, from `device_id`.
    pub fn unfreeze(
        &mut self,
        m: &MerchantConfig,
        req: &dw::UnfreezeRequest,
        device_id: &str,
        now_ms: i64,
    ) -> Result<Done, Fail> {
        let uc = &req.unfreeze_content;
        let key = &req.pay_mch_key;
        let answer = |f: &Freeze, u: &UnfreezeRec| {
            json!({
                "pay_mch_key": mch_echo(m, key, Some(f.pay_platform)),
                "unfreeze_order_content": Ledger::unfreeze_content(f, u),
                "nonce_str": cloudpay_api::new_nonce(),
            })
        };
        // Refund permission (§11.5): the admin flag, or a staff member who may refund.
        let authority = if key.is_sub_admin == Some(true) {
            "sub_admin".to_owned()
        } else {
            let staff = key.authorization_staff_id.clone().unwrap_or_default();
            match m.staff_member(&staff) {
                Some(s) if s.role.may_approve_refunds() => staff,
                _ => {
                    return Err(Fail::failed(format!(
                        "员工 {staff} 没有退款权限, 不能解冻押金 (no refund permission)"
                    )));
                }
            }
        };
        if let Some(u) = self
            .deposits
            .unfreezes
            .iter()
            .find(|u| u.out_unfreeze_no == uc.out_unfreeze_no)
        {
            if u.out_freeze_no == uc.out_freeze_no && u.unfreeze_fee == uc.unfreeze_fee {
                let f = self
                    .deposits
                    .find(&u.out_freeze_no)
                    .map(|i| &self.deposits.freezes[i])
                    .ok_or_else(not_found)?;
                return Ok(Done {
                    op: answer(f, u),
                    after: After::Answer,
                });
            }
            return Err(Fail::new_number(
                "解冻单号已使用, 参数与原解冻不一致, 请使用新的解冻单号 (OUT_UNFREEZE_NO_USED)",
            ));
        }
        let Some(fi) = self.deposits.find(&uc.out_freeze_no) else {
            // Unknown number: remember it, so a late micro_freeze with it is refused.
            let freeze_id = self.next_id("43000", now_ms);
            self.deposits.freezes.push(Freeze {
                out_freeze_no: uc.out_freeze_no.clone(),
                author_code: String::new(),
                pay_platform: key.pay_platform.unwrap_or(pay_platform::WECHAT),
                freeze_fee: 0,
                body: String::new(),
                remark: None,
                out_shop_id: key.out_shop_id.clone(),
                device_id: device_id.to_owned(),
                staff_id: None,
                state: FreezeState::Failed,
                script: Script::Pay,
                failure: Some("解冻时不存在 (released before it arrived)".to_owned()),
                query_count: 0,
                created_ms: now_ms,
                frozen_ms: None,
                updated_ms: now_ms,
                freeze_id,
                consumed: 0,
                manual_unfrozen: 0,
                auto_unfrozen: 0,
                consume_no: None,
                tombstone: true,
                fingerprint: String::new(),
            });
            return Err(not_found());
        };
        let f = &self.deposits.freezes[fi];
        if f.tombstone {
            return Err(not_found());
        }
        same_platform(f, key.pay_platform)?;
        let available = match f.state {
            FreezeState::Frozen => f.held(),
            // Cancelling a freeze the customer has not confirmed.
            FreezeState::UserPaying => f.freeze_fee,
            FreezeState::Failed | FreezeState::Finished => {
                return Err(Fail::failed(
                    "押金冻结单已完结, 没有冻结金额 (nothing is frozen)",
                ));
            }
        };
        if uc.unfreeze_fee > available {
            return Err(Fail::field(
                "unfreeze_content.unfreeze_fee",
                &format!("超过押金剩余冻结金额 {available} 分"),
                &format!("is above the {available} fen still frozen"),
            ));
        }
        let unfreeze_id = self.next_id("44000", now_ms);
        let g = &mut self.deposits.freezes[fi];
        g.manual_unfrozen += uc.unfreeze_fee;
        // A cancelled freeze (still waiting for the customer) ends, as does one with
        // nothing left.
        if g.state == FreezeState::UserPaying || g.held() == 0 {
            g.state = FreezeState::Finished;
        }
        g.updated_ms = now_ms;
        let rec = UnfreezeRec {
            out_unfreeze_no: uc.out_unfreeze_no.clone(),
            out_freeze_no: uc.out_freeze_no.clone(),
            unfreeze_fee: uc.unfreeze_fee,
            remark: uc.remark.clone(),
            unfreeze_id,
            out_shop_id: key.out_shop_id.clone(),
            device_id: device_id.to_owned(),
            authority,
            created_ms: now_ms,
        };
        let f = g.clone();
        let op = answer(&f, &rec);
        self.deposits.unfreezes.push(rec);
        Ok(Done {
            op,
            after: After::Answer,
        })
    }

    /// `query_unfreeze_order`: the releases of a freeze (one, when numbered).
    pub fn query_unfreeze(
        &self,
        m: &MerchantConfig,
        req: &dw::QueryUnfreezeOrderRequest,
    ) -> Result<Done, Fail> {
        let Some(fi) = self.deposits.find(&req.out_freeze_no) else {
            return Err(not_found());
        };
        let f = &self.deposits.freezes[fi];
        if f.tombstone {
            return Err(not_found());
        }
        same_platform(f, req.pay_mch_key.pay_platform)?;
        let list: Vec<UnfreezeOrderContent> = self
            .deposits
            .unfreezes
            .iter()
            .filter(|u| {
                u.out_freeze_no == req.out_freeze_no
                    && req
                        .out_unfreeze_no
                        .as_deref()
                        .is_none_or(|no| u.out_unfreeze_no == no)
            })
            .map(|u| Ledger::unfreeze_content(f, u))
            .collect();
        if list.is_empty() && req.out_unfreeze_no.is_some() {
            return Err(Fail::not_found(
                "押金解冻单不存在 (UNFREEZE_ORDER_NOT_EXIST)",
            ));
        }
        Ok(Done {
            op: json!({
                "pay_mch_key": mch_echo(m, &req.pay_mch_key, Some(f.pay_platform)),
                "unfreeze_order_content": list,
                "order_client": [req.order_client],
                "nonce_str": cloudpay_api::new_nonce(),
            }),
            after: After::Answer,
        })
    }
}

/// Whether a payment code may hold a deposit: WeChat Pay or Alipay, prefix fitting the
/// platform.
#[must_use]
pub fn freeze_code_fits(code: &str, platform: i32) -> bool {
    matches!(platform, pay_platform::WECHAT | pay_platform::ALIPAY)
        && code_matches_platform(code, platform)
}

/// Runs a checked deposit call on the ledger.
pub(crate) fn dispatch(
    app: &crate::server::App,
    d: crate::deposit_checks::DepositChecked,
) -> Result<Done, Fail> {
    use crate::deposit_checks::DepositChecked;
    let m = &app.merchant;
    match d {
        DepositChecked::Freeze(req) => app.with_ledger(|l, now| l.micro_freeze(m, &req, now)),
        DepositChecked::QueryFreeze(req) => app.with_ledger(|l, now| l.query_freeze(m, &req, now)),
        DepositChecked::Consume(req, device) => {
            app.with_ledger(|l, now| l.deposit_consume(m, &req, &device, now))
        }
        DepositChecked::Unfreeze(req, device) => {
            app.with_ledger(|l, now| l.unfreeze(m, &req, &device, now))
        }
        DepositChecked::QueryUnfreeze(req) => app.with_ledger(|l, _| l.query_unfreeze(m, &req)),
        DepositChecked::List(req) => Ok(Done {
            op: app.with_ledger(|l, _| l.order_list(m, &req)),
            after: After::Answer,
        }),
    }
}
