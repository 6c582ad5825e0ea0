//! The server ledger and the protocol rules applied to it: scripted payment outcomes,
//! anti-reentry, reverse, refunds, listing and approvals.
//!
//! Everything here is synchronous and runs under one lock, so each request's checks and
//! its write are atomic (a storm of concurrent partial refunds cannot over-refund). Time
//! only moves through the `now_ms` the caller passes; time-driven changes (auto-revoke,
//! refund settlement, approval expiry) are applied lazily by [`Ledger::settle`] before
//! each request.

use cloudpay_api::wire::{
    self, ApprovalKind, ApprovalState, OrderContent, RefundOrderContent, ali_state, card_state,
    pay_platform, refund_state, status, wx_state,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::{MerchantConfig, Timings};

mod cancel;
mod listing;
mod refunds;

/// A protocol failure answer: status, internal status and description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fail {
    /// Envelope status.
    pub status: i64,
    /// `internal_status`.
    pub internal: Option<i64>,
    /// Description.
    pub description: String,
}

impl Fail {
    /// Status 101 (no MAC): the call itself is wrong.
    pub fn rejected(internal: i64, description: impl Into<String>) -> Self {
        Fail {
            status: status::REJECTED,
            internal: Some(internal),
            description: description.into(),
        }
    }

    /// Status 104: a business failure.
    pub fn failed(description: impl Into<String>) -> Self {
        Fail {
            status: status::FAILED,
            internal: None,
            description: description.into(),
        }
    }

    /// Status 102: use a new number.
    pub fn new_number(description: impl Into<String>) -> Self {
        Fail {
            status: status::FAILED_NEW_NUMBER,
            internal: None,
            description: description.into(),
        }
    }

    /// Status 104 with the sandbox's "not found" internal status.
    pub fn not_found(description: impl Into<String>) -> Self {
        Fail {
            status: status::FAILED,
            internal: Some(status::INTERNAL_NOT_FOUND),
            description: description.into(),
        }
    }

    /// Status 104 + internal 407: anti-reentry.
    pub fn anti_reentry(description: impl Into<String>) -> Self {
        Fail {
            status: status::FAILED,
            internal: Some(status::INTERNAL_ANTI_REENTRY),
            description: description.into(),
        }
    }

    /// 101 "parameter error" with internal status 10.
    pub fn param(description: impl Into<String>) -> Self {
        Fail::rejected(10, format!("参数错误: {}", description.into()))
    }

    /// 101 "parameter error" (internal status 10) naming a field by its path, in Chinese
    /// and English: `参数错误: {path} {cn} ({path} {en})`.
    pub fn field(path: &str, cn: &str, en: &str) -> Self {
        Fail::rejected(10, format!("参数错误: {path} {cn} ({path} {en})"))
    }
}

/// The business state of a sandbox order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// The customer is confirming (USERPAYING).
    UserPaying,
    /// Charged.
    Paid,
    /// Not charged.
    Failed,
    /// Reversed (撤单): closed unpaid, or refunded in full if it had been paid.
    Reversed,
    /// Closed by `close_order`.
    Closed,
}

/// The scripted behaviour chosen by the last two digits of the payment code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Script {
    /// `00` and unlisted: paid at once.
    Pay,
    /// `01`: user paying; paid on the 2nd query.
    PaidOnSecondQuery,
    /// `02`: user paying; failed on the 2nd query.
    FailedOnSecondQuery,
    /// `03`: insufficient balance (status 104).
    InsufficientBalance,
    /// `04`: user paying until reversed (or auto-revoked).
    UntilReversed,
    /// `05`: expired payment code (status 104).
    ExpiredCode,
    /// `06`: paid, then the connection is dropped without an answer.
    DropAfterCommit,
    /// `07`: paid, but the first answer is status 3 (no MAC).
    Status3ThenPaid,
    /// `08`: paid, answer delayed.
    SlowAnswer,
    /// `09`: user paying; the customer completes payment as the reverse arrives, so the
    /// reverse refunds it.
    RevokeRace,
}

impl Script {
    /// The script for a payment code.
    #[must_use]
    pub fn of_code(code: &str) -> Script {
        match code.get(code.len().saturating_sub(2)..) {
            Some("01") => Script::PaidOnSecondQuery,
            Some("02") => Script::FailedOnSecondQuery,
            Some("03") => Script::InsufficientBalance,
            Some("04") => Script::UntilReversed,
            Some("05") => Script::ExpiredCode,
            Some("06") => Script::DropAfterCommit,
            Some("07") => Script::Status3ThenPaid,
            Some("08") => Script::SlowAnswer,
            Some("09") => Script::RevokeRace,
            _ => Script::Pay,
        }
    }
}

/// A payment order as the server keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Merchant order number.
    pub out_trade_no: String,
    /// The payment code.
    pub author_code: String,
    /// 1 WeChat, 2 Alipay, 3 member card.
    pub pay_platform: i32,
    /// Amount, fen.
    pub total_fee: i64,
    /// `CNY`.
    pub fee_type: String,
    /// Goods description.
    pub body: String,
    /// Remark.
    #[serde(default)]
    pub remark: Option<String>,
    /// Shop.
    pub out_shop_id: String,
    /// Device that charged.
    pub device_id: String,
    /// Clerk.
    #[serde(default)]
    pub staff_id: Option<String>,
    /// Machine that charged.
    #[serde(default)]
    pub machine_no: Option<String>,
    /// Business state.
    pub state: OrderState,
    /// Scripted behaviour.
    pub script: Script,
    /// Why it failed.
    #[serde(default)]
    pub failure: Option<String>,
    /// `query_order` calls seen.
    #[serde(default)]
    pub query_count: u32,
    /// Created, Unix ms.
    pub created_ms: i64,
    /// Paid, Unix ms.
    #[serde(default)]
    pub paid_ms: Option<i64>,
    /// Last change, Unix ms.
    pub updated_ms: i64,
    /// Upstream transaction id.
    pub transaction_id: String,
    /// Money returned by reversing a paid order, fen.
    #[serde(default)]
    pub reversed_refund_fee: i64,
    /// Revoked by the 45 s rule, not by a `reverse` call.
    #[serde(default)]
    pub auto_revoked: bool,
    /// A `reverse` for a number the server never saw: kept so a late `micro_pay` with the
    /// number is refused.
    #[serde(default)]
    pub tombstone: bool,
    /// An injected record sharing the number of another order (another physical device
    /// with the same store+device id).
    #[serde(default)]
    pub duplicate: bool,
    /// Added by discrepancy injection (the terminal never made it).
    #[serde(default)]
    pub injected: bool,
    /// Discrepancy injection: the refunded amount the listing reports instead of the sum
    /// of successful refunds.
    #[serde(default)]
    pub refunded_override: Option<i64>,
    /// The anti-reentry parameters.
    #[serde(default)]
    pub fingerprint: String,
    /// A customer slow to confirm (fault injection): how the payment ends, and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<Held>,
    /// Paid by a customer scanning the shop's printed QR code (一码支付, trade type 8): the
    /// code's id, which is also the order's `device_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code: Option<String>,
}

/// A user-paying order that resolves by itself at a set time (the customer confirming or
/// abandoning on the phone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    /// When the customer acts, Unix ms.
    pub until_ms: i64,
    /// The customer abandons instead of confirming.
    pub fails: bool,
}

/// A refund's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundRecState {
    /// Accepted, money on its way (4).
    Processing,
    /// Done (2).
    Succeeded,
    /// Failed (3).
    Failed,
}

/// A refund as the server keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRec {
    /// Merchant refund number.
    pub out_refund_no: String,
    /// The order.
    pub out_trade_no: String,
    /// This refund, fen.
    pub refund_fee: i64,
    /// The order amount, fen.
    pub total_fee: i64,
    /// State.
    pub state: RefundRecState,
    /// Upstream refund id.
    pub refund_id: String,
    /// Reason.
    #[serde(default)]
    pub reason: Option<String>,
    /// Shop of the order.
    pub out_shop_id: String,
    /// Device that asked.
    pub device_id: String,
    /// Clerk that asked.
    #[serde(default)]
    pub staff_id: Option<String>,
    /// Wallet of the order.
    pub pay_platform: i32,
    /// Created, Unix ms.
    pub created_ms: i64,
    /// Turns successful at, Unix ms.
    pub settle_ms: i64,
    /// Succeeded at, Unix ms.
    #[serde(default)]
    pub succeeded_ms: Option<i64>,
}

/// An approval challenge (a manager's phone, played by a web page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// Token.
    pub token: String,
    /// Login or refund.
    pub kind: ApprovalKind,
    /// Refund: the order.
    #[serde(default)]
    pub out_trade_no: Option<String>,
    /// Refund: the amount, fen.
    #[serde(default)]
    pub amount: Option<i64>,
    /// Shop of the device that asked.
    pub out_shop_id: String,
    /// Device that asked.
    pub device_id: String,
    /// Created, Unix ms.
    pub created_ms: i64,
    /// Expires, Unix ms.
    pub expires_ms: i64,
    /// Pending, approved or used (expiry is derived from the clock).
    pub state: ApprovalState,
    /// Who approved.
    #[serde(default)]
    pub staff_id: Option<String>,
    /// Approved at, Unix ms.
    #[serde(default)]
    pub approved_ms: Option<i64>,
    /// Consumed at, Unix ms.
    #[serde(default)]
    pub used_ms: Option<i64>,
}

impl Approval {
    /// The state at `now_ms` (an unconsumed challenge past its expiry is expired).
    #[must_use]
    pub fn state_at(&self, now_ms: i64) -> ApprovalState {
        match self.state {
            ApprovalState::Used => ApprovalState::Used,
            _ if now_ms >= self.expires_ms => ApprovalState::Expired,
            s => s,
        }
    }
}

/// What the HTTP layer must do after answering `micro_pay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Answer normally.
    Answer,
    /// Answer with status 3 and no MAC (the order stays committed).
    Status3,
    /// Drop the TCP connection without answering.
    DropConnection,
    /// Hold the answer for the slow-answer delay.
    Delay,
}

/// A successful operation: the operation object to send, and what to do around it.
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    /// The response object.
    pub op: Value,
    /// Post-processing.
    pub after: After,
}

impl Done {
    fn answer(op: Value) -> Self {
        Done {
            op,
            after: After::Answer,
        }
    }
}

/// The whole server state (persisted as JSON when a state file is configured).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// Orders, in creation order (injected duplicates included).
    pub orders: Vec<Order>,
    /// Refunds, in creation order.
    pub refunds: Vec<RefundRec>,
    /// Approval challenges.
    pub approvals: Vec<Approval>,
    /// Sequence for upstream ids.
    pub seq: u64,
    /// Deposits (`deposits.rs`).
    #[serde(default)]
    pub deposits: crate::deposits::Deposits,
    /// Devices added, configuration QRs, bindings and notices (`terminals.rs`).
    #[serde(default)]
    pub devices: crate::terminals::DeviceBook,
}

/// Most partial refunds per order (WeChat's rule).
pub const MAX_REFUNDS_PER_ORDER: usize = 50;

fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

/// A call about an existing order must name the order's wallet: `pay_platform`, when
/// given, is the order's (status 101 naming the field otherwise).
fn same_platform(order: &Order, given: Option<i32>) -> Result<(), Fail> {
    match given {
        Some(p) if p != order.pay_platform => Err(Fail::field(
            "pay_mch_key.pay_platform",
            &format!("{p} 与订单的支付平台 {} 不一致", order.pay_platform),
            &format!(
                "{p} does not match the order's pay_platform {}",
                order.pay_platform
            ),
        )),
        _ => Ok(()),
    }
}

/// Whether a payment code's prefix belongs to a `pay_platform`.
#[must_use]
pub fn code_matches_platform(code: &str, platform: i32) -> bool {
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let prefix: u32 = code.get(..2).and_then(|p| p.parse().ok()).unwrap_or(0);
    match platform {
        pay_platform::WECHAT => (10..=15).contains(&prefix),
        pay_platform::ALIPAY => (25..=30).contains(&prefix),
        pay_platform::MEMBER_CARD => prefix == 99,
        _ => false,
    }
}

impl Ledger {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// The index of the order with this number (not an injected duplicate).
    #[must_use]
    pub fn find_order(&self, no: &str) -> Option<usize> {
        self.orders
            .iter()
            .position(|o| o.out_trade_no == no && !o.duplicate)
    }

    /// Applies time-driven changes: auto-revoke of unpaid orders, refund settlement, the
    /// 30-day automatic release of deposits.
    pub fn settle(&mut self, now_ms: i64, timings: &Timings) {
        let revoke_ms = i64::try_from(timings.auto_revoke_after.as_millis()).unwrap_or(i64::MAX);
        for o in &mut self.orders {
            if o.state != OrderState::UserPaying {
                continue;
            }
            let revoke_at = o.created_ms.saturating_add(revoke_ms);
            if let Some(h) = o.held
                && now_ms >= h.until_ms
                && h.until_ms < revoke_at
            {
                if h.fails {
                    o.state = OrderState::Failed;
                    o.failure = Some("用户取消支付 (USERCANCEL)".to_owned());
                } else {
                    o.state = OrderState::Paid;
                    o.paid_ms = Some(h.until_ms);
                }
                o.updated_ms = now_ms;
            } else if now_ms >= revoke_at {
                o.state = OrderState::Reversed;
                o.auto_revoked = true;
                o.updated_ms = now_ms;
            }
        }
        for r in &mut self.refunds {
            if r.state == RefundRecState::Processing && now_ms >= r.settle_ms {
                r.state = RefundRecState::Succeeded;
                r.succeeded_ms = Some(now_ms);
            }
        }
        self.deposits.settle(now_ms, timings);
    }

    /// The wire `order_content` of an order.
    #[must_use]
    pub fn order_content(&self, o: &Order, with_refunded: bool) -> OrderContent {
        let refunded = self.refunded(o);
        let paid = o.paid_ms.is_some() && o.state != OrderState::Failed;
        let mut content = OrderContent {
            out_trade_no: o.out_trade_no.clone(),
            transaction_id: (!o.tombstone).then(|| o.transaction_id.clone()),
            trade_type: Some(if o.qr_code.is_some() {
                wire::trade_type::ONE_CODE
            } else {
                wire::trade_type::MICROPAY
            }),
            author_code: (!o.tombstone && o.qr_code.is_none()).then(|| o.author_code.clone()),
            time_expire: Some(secs(o.created_ms) + 120),
            time_end: o.paid_ms.map(secs),
            create_time: Some(secs(o.created_ms)),
            last_update_time: Some(secs(o.updated_ms)),
            is_transforming: Some(false),
            total_fee: o.total_fee,
            fee_type: Some(o.fee_type.clone()),
            cash_fee: paid.then_some(o.total_fee),
            cash_fee_type: paid.then(|| wire::CNY.to_owned()),
            settlement_total_fee: Some(o.total_fee),
            refunded_fee: with_refunded.then_some(refunded),
            body: Some(o.body.clone()),
            remark: o.remark.clone(),
            ..OrderContent::default()
        };
        match o.pay_platform {
            pay_platform::ALIPAY => {
                let fully_refunded = o.state == OrderState::Paid && refunded >= o.total_fee;
                let state = match o.state {
                    OrderState::UserPaying => ali_state::WAIT_BUYER_PAY,
                    OrderState::Paid if fully_refunded => ali_state::CLOSED,
                    OrderState::Paid => ali_state::SUCCESS,
                    OrderState::Failed | OrderState::Reversed | OrderState::Closed => {
                        ali_state::CLOSED
                    }
                };
                content.alipay_order_content_ext = Some(wire::AlipayOrderContentExt {
                    current_trade_state: state,
                    fund_bill_list: paid.then(|| {
                        vec![wire::FundBill {
                            fund_channel: "ALIPAYACCOUNT".to_owned(),
                            amount: o.total_fee,
                            real_amount: Some(o.total_fee),
                        }]
                    }),
                    buyer_logon_id: Some("sbx***@example.com".to_owned()),
                    refund_fee: (refunded > 0).then_some(refunded),
                    gmt_refund: (refunded > 0).then(|| secs(o.updated_ms)),
                    gmt_close: matches!(
                        o.state,
                        OrderState::Reversed | OrderState::Closed | OrderState::Failed
                    )
                    .then(|| secs(o.updated_ms)),
                    ..wire::AlipayOrderContentExt::default()
                });
            }
            pay_platform::MEMBER_CARD => {
                let state = match o.state {
                    OrderState::UserPaying => card_state::WAITING,
                    OrderState::Paid if refunded >= o.total_fee => card_state::REFUNDED,
                    OrderState::Paid => card_state::SUCCESS,
                    OrderState::Failed | OrderState::Reversed | OrderState::Closed => {
                        card_state::CLOSED
                    }
                };
                content.card_order_content_ext = Some(wire::CardOrderContentExt {
                    current_trade_state: state,
                    membership_number: Some(o.author_code.clone()),
                });
            }
            _ => {
                let (state, desc) = match o.state {
                    OrderState::UserPaying => (wx_state::USER_PAYING, "需要用户输入支付密码"),
                    OrderState::Paid if refunded > 0 => (wx_state::REFUND, "转入退款"),
                    OrderState::Paid => (wx_state::SUCCESS, "支付成功"),
                    OrderState::Failed => (wx_state::PAY_ERROR, "支付失败"),
                    OrderState::Reversed => (wx_state::REVOKED, "已撤销"),
                    OrderState::Closed => (wx_state::CLOSED, "已关闭"),
                };
                content.wxpay_order_content_ext = Some(wire::WxpayOrderContentExt {
                    current_trade_state: state,
                    bank_type: paid.then(|| "CFT".to_owned()),
                    trade_state_desc: Some(o.failure.clone().unwrap_or_else(|| desc.to_owned())),
                    ..wire::WxpayOrderContentExt::default()
                });
            }
        }
        content
    }

    pub(crate) fn transaction_id(&mut self, now_ms: i64) -> String {
        let seq = self.next_seq();
        format!(
            "42000{:010}{:011}",
            secs(now_ms).rem_euclid(10_000_000_000),
            seq
        )
    }

    // ───────────────────────────── micro_pay ─────────────────────────────

    /// `micro_pay` after validation of ids and fields.
    pub fn micro_pay(
        &mut self,
        m: &MerchantConfig,
        req: &wire::MicroPayRequest,
        now_ms: i64,
        hold: Option<crate::faults::Hold>,
    ) -> Result<Done, Fail> {
        let pc = &req.pay_content;
        let platform = req.pay_mch_key.pay_platform.unwrap_or(0);
        let code = pc.author_code.clone().unwrap_or_default();
        let device = req.order_client.device_id.clone().unwrap_or_default();
        let fingerprint = format!(
            "{platform}|{}|{device}|{code}|{}|{}|{}",
            req.pay_mch_key.out_shop_id, pc.total_fee, pc.fee_type, pc.body
        );
        if let Some(i) = self.find_order(&pc.out_trade_no) {
            let existing = &self.orders[i];
            if existing.tombstone {
                return Err(Fail::new_number(
                    "订单已撤销, 请使用新的订单号 (ORDERREVERSED)",
                ));
            }
            if existing.fingerprint != fingerprint {
                return Err(Fail::anti_reentry(
                    "订单号重复: 与原订单参数不一致, 已被防重入拦截 (anti-reentry)",
                ));
            }
            // Same number, same parameters: the stored order, as it stands now.
            let content = self.order_content(existing, false);
            return Ok(Done::answer(json!({
                "pay_mch_key": pay_mch_key_echo(m, &req.pay_mch_key),
                "order_content": content,
                "nonce_str": cloudpay_api::new_nonce(),
            })));
        }
        // A wallet payment code is single use: a second order with the same code is refused,
        // as WeChat and Alipay do (a cashier re-scanning after a crash cannot charge twice).
        if !code.is_empty()
            && self
                .orders
                .iter()
                .any(|o| !o.tombstone && !o.injected && o.author_code == code)
        {
            return Err(Fail::failed(
                "付款码已使用, 请顾客刷新付款码后重新支付 (AUTH_CODE_INVALID)",
            ));
        }
        let script = Script::of_code(&code);
        let shop = req.pay_mch_key.out_shop_id.clone();
        let transaction_id = self.transaction_id(now_ms);
        let mut order = Order {
            out_trade_no: pc.out_trade_no.clone(),
            author_code: code,
            pay_platform: platform,
            total_fee: pc.total_fee,
            fee_type: pc.fee_type.clone(),
            body: pc.body.clone(),
            remark: pc.remark.clone(),
            out_shop_id: shop,
            device_id: device,
            staff_id: req.order_client.staff_id.clone(),
            machine_no: req.order_client.machine_no.clone(),
            state: OrderState::Paid,
            script,
            failure: None,
            query_count: 0,
            created_ms: now_ms,
            paid_ms: Some(now_ms),
            updated_ms: now_ms,
            transaction_id,
            reversed_refund_fee: 0,
            auto_revoked: false,
            tombstone: false,
            duplicate: false,
            injected: false,
            refunded_override: None,
            fingerprint,
            held: None,
            qr_code: None,
        };
        let mut after = After::Answer;
        let mut fail = None;
        match script {
            Script::Pay => {
                if let Some(h) = hold {
                    order.state = OrderState::UserPaying;
                    order.paid_ms = None;
                    let ms = i64::try_from(h.for_.as_millis()).unwrap_or(i64::MAX);
                    order.held = Some(Held {
                        until_ms: now_ms.saturating_add(ms),
                        fails: h.fails,
                    });
                }
            }
            Script::PaidOnSecondQuery
            | Script::FailedOnSecondQuery
            | Script::UntilReversed
            | Script::RevokeRace => {
                order.state = OrderState::UserPaying;
                order.paid_ms = None;
            }
            Script::InsufficientBalance => {
                order.state = OrderState::Failed;
                order.paid_ms = None;
                order.failure = Some("余额不足 (NOTENOUGH)".to_owned());
                fail = Some(Fail::failed("余额不足 (NOTENOUGH)"));
            }
            Script::ExpiredCode => {
                order.state = OrderState::Failed;
                order.paid_ms = None;
                order.failure = Some("付款码已过期, 请刷新后重新支付 (AUTHCODEEXPIRE)".to_owned());
                fail = Some(Fail::failed(
                    "付款码已过期, 请刷新后重新支付 (AUTHCODEEXPIRE)",
                ));
            }
            Script::DropAfterCommit => after = After::DropConnection,
            Script::Status3ThenPaid => after = After::Status3,
            Script::SlowAnswer => after = After::Delay,
        }
        let content = self.order_content(&order, false);
        self.orders.push(order);
        if let Some(f) = fail {
            return Err(f);
        }
        Ok(Done {
            op: json!({
                "pay_mch_key": pay_mch_key_echo(m, &req.pay_mch_key),
                "order_content": content,
                "nonce_str": cloudpay_api::new_nonce(),
            }),
            after,
        })
    }

    // ───────────────────────────── query_order ─────────────────────────────

    /// `query_order`: advances the scripted states that resolve on queries.
    pub fn query_order(
        &mut self,
        m: &MerchantConfig,
        req: &wire::QueryOrderRequest,
        now_ms: i64,
    ) -> Result<Done, Fail> {
        let Some(i) = self.find_order(&req.out_trade_no) else {
            return Err(Fail::not_found("订单不存在 (ORDERNOTEXIST)"));
        };
        same_platform(&self.orders[i], req.pay_mch_key.pay_platform)?;
        let o = &mut self.orders[i];
        if o.state == OrderState::UserPaying {
            o.query_count += 1;
            if o.query_count >= 2 {
                match o.script {
                    Script::PaidOnSecondQuery => {
                        o.state = OrderState::Paid;
                        o.paid_ms = Some(now_ms);
                        o.updated_ms = now_ms;
                    }
                    Script::FailedOnSecondQuery => {
                        o.state = OrderState::Failed;
                        o.failure = Some("用户取消支付 (USERCANCEL)".to_owned());
                        o.updated_ms = now_ms;
                    }
                    _ => {}
                }
            }
        }
        let o = &self.orders[i];
        let client = wire::OrderClient {
            device_id: Some(o.device_id.clone()),
            staff_id: o.staff_id.clone(),
            machine_no: o.machine_no.clone(),
            ..req.order_client.clone()
        };
        Ok(Done::answer(json!({
            "pay_mch_key": pay_mch_key_echo(m, &req.pay_mch_key),
            "order_content": self.order_content(o, false),
            "order_client": client,
            "nonce_str": cloudpay_api::new_nonce(),
        })))
    }

    // ───────────────────────────── reverse / close ─────────────────────────────
}

/// The `pay_mch_key` echoed in answers, with the upstream mapping a real answer carries.
fn pay_mch_key_echo(m: &MerchantConfig, key: &wire::PayMchKey) -> wire::PayMchKey {
    let mut echo = key.clone();
    echo.out_mch_id.clone_from(&m.out_mch_id);
    echo.out_sub_mch_id.clone_from(&m.out_sub_mch_id);
    if echo.pay_platform == Some(pay_platform::WECHAT) {
        echo.wxpay_pay_mch_key_ext = Some(json!({
            "app_id": "wx0000sandbox00000",
            "sub_open_id": "oSbx_sandbox_openid",
        }));
    }
    echo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_by_last_two_digits() {
        assert_eq!(Script::of_code("134520273825387600"), Script::Pay);
        assert_eq!(
            Script::of_code("134520273825387601"),
            Script::PaidOnSecondQuery
        );
        assert_eq!(Script::of_code("134520273825387609"), Script::RevokeRace);
        assert_eq!(Script::of_code("134520273825387642"), Script::Pay);
        assert_eq!(Script::of_code("1"), Script::Pay);
    }

    #[test]
    fn code_prefix_rules() {
        assert!(code_matches_platform("134520273825387649", 1));
        assert!(!code_matches_platform("134520273825387649", 2));
        assert!(code_matches_platform("2812345678901234", 2));
        assert!(code_matches_platform("9912345678901234", 3));
        assert!(!code_matches_platform("99123456789012a4", 3));
    }
}
