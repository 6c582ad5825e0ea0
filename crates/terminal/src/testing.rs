//! Fakes of the ports for tests: an in-memory Cloud Pay with the sandbox's scripted
//! outcomes, and a builder for a terminal on a temporary ledger with a virtual clock.
//!
//! Scripted outcomes by the last two digits of the payment code (as in the sandbox):
//! `00` paid, `01` user paying then paid on the 2nd query, `02` user paying then failed,
//! `03` insufficient balance, `04` user paying until reversed, `05` expired code,
//! `06` paid but the answer is lost, `07` status 3 (unknown) but paid, `09` the customer pays
//! at the moment of the reverse (the reverse refunds it).
#![allow(missing_docs, clippy::missing_panics_doc)]

mod deposits;
mod hq;
mod hq_members;

pub use deposits::{FakeDeposits, FakeFreeze};
pub use hq::{FAKE_CREDENTIAL, FAKE_ENROL_TOKEN, FakeHeadOffice, FakeOutbox, PushScript};
pub use hq_members::MovementScript;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use cloudpos_domain::clerk::{Clerk, ClerkId, Role};
use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState};
use cloudpos_domain::order_no::{OrderNo, RefundNo};
use cloudpos_domain::ports::Clock;
use cloudpos_domain::ports::{
    Accounts, Approval, ApprovalRequest, ApprovalState, ApprovalTicket, Approvals, CloudListQuery,
    CloudOrder, CloudOrderState, CloudPage, GatewayError, Ledger, OrderFilter, Page, PayOutcome,
    PayRequest, PaymentGateway, QueryOutcome, RefundFilter, RefundOutcome, RefundRequest,
    ReverseOutcome, Settings, StoreError,
};
use cloudpos_domain::refund::{Refund, RefundState};
use cloudpos_domain::shift::Shift;
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_storage::{PasswordCost, Store, StoreOptions};

use crate::clock::VirtualClock;
use crate::merchant::MERCHANT_KEY;
use crate::{MerchantProfile, Ports, Terminal, TerminalConfig};

/// The fake cloud's record of a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeOrder {
    pub code: String,
    pub amount: Money,
    pub state: CloudOrderState,
    pub refunded: Money,
    pub queries: u32,
    pub script: String,
}

/// The fake cloud's record of a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeRefund {
    pub order: String,
    /// The wallet the refund was asked for (queries must name the same one).
    pub wallet: Wallet,
    pub amount: Money,
    pub state: RefundState,
    pub queries: u32,
}

#[derive(Debug, Default)]
struct FakeState {
    orders: HashMap<String, FakeOrder>,
    refunds: HashMap<String, FakeRefund>,
    tombstones: Vec<String>,
    calls: Vec<String>,
    unreachable: bool,
    answers_lost: bool,
    reverse_retries: u32,
    refund_processing: bool,
    next_pay: Option<PayOutcome>,
    lost_query_answers: u32,
}

/// An in-memory Cloud Pay.
#[derive(Debug, Default, Clone)]
pub struct FakeGateway {
    state: Arc<Mutex<FakeState>>,
    /// Deposits (`testing/deposits.rs`).
    deposits: Arc<Mutex<FakeDeposits>>,
}

impl FakeGateway {
    #[must_use]
    pub fn new() -> Self {
        FakeGateway::default()
    }

    /// Every call from now on fails to connect: nothing reaches the fake cloud.
    pub fn set_unreachable(&self, down: bool) {
        self.state.lock().unwrap().unreachable = down;
    }

    /// Requests reach the fake cloud (and take effect) but every answer is lost.
    pub fn set_answers_lost(&self, lost: bool) {
        self.state.lock().unwrap().answers_lost = lost;
    }

    /// The next `micro_pay` answers `outcome` without touching the fake cloud's records.
    pub fn answer_next_pay(&self, outcome: PayOutcome) {
        self.state.lock().unwrap().next_pay = Some(outcome);
    }

    /// Records a payment in the fake cloud as if a request had arrived (e.g. before a crash).
    pub fn record_paid(&self, no: &str, code: &str, amount: Money) {
        self.state.lock().unwrap().orders.insert(
            no.to_owned(),
            FakeOrder {
                code: code.to_owned(),
                amount,
                state: CloudOrderState::Paid,
                refunded: Money::ZERO,
                queries: 0,
                script: "00".into(),
            },
        );
    }

    /// The next `n` `query_order` answers are lost (the queries reach the fake cloud).
    pub fn lose_query_answers(&self, n: u32) {
        self.state.lock().unwrap().lost_query_answers = n;
    }

    /// The next `n` reverse calls answer "retry".
    pub fn fail_reverses(&self, n: u32) {
        self.state.lock().unwrap().reverse_retries = n;
    }

    /// Refunds answer "processing" first and succeed on the first query.
    pub fn slow_refunds(&self, on: bool) {
        self.state.lock().unwrap().refund_processing = on;
    }

    #[must_use]
    pub fn order(&self, no: &str) -> Option<FakeOrder> {
        self.state.lock().unwrap().orders.get(no).cloned()
    }

    #[must_use]
    pub fn orders(&self) -> HashMap<String, FakeOrder> {
        self.state.lock().unwrap().orders.clone()
    }

    #[must_use]
    pub fn refunds(&self) -> HashMap<String, FakeRefund> {
        self.state.lock().unwrap().refunds.clone()
    }

    /// The calls made, as `name:order_no`.
    #[must_use]
    pub fn calls(&self) -> Vec<String> {
        self.state.lock().unwrap().calls.clone()
    }

    #[must_use]
    pub fn count_calls(&self, name: &str) -> usize {
        self.calls()
            .iter()
            .filter(|c| c.starts_with(&format!("{name}:")))
            .count()
    }

    /// Payments per code that ended with money kept (paid, not reversed).
    #[must_use]
    pub fn charged_codes(&self) -> HashMap<String, usize> {
        let mut m = HashMap::new();
        for o in self.orders().values() {
            if o.state == CloudOrderState::Paid {
                *m.entry(o.code.clone()).or_default() += 1;
            }
        }
        m
    }
}

impl FakeGateway {
    fn answers_lost(&self) -> bool {
        self.state.lock().unwrap().answers_lost
    }

    fn do_micro_pay(&self, request: &PayRequest) -> PayOutcome {
        let mut s = self.state.lock().unwrap();
        s.calls.push(format!("micro_pay:{}", request.order_no));
        if s.unreachable {
            return PayOutcome::NotSent {
                reason: "connection refused".into(),
            };
        }
        if let Some(outcome) = s.next_pay.take() {
            return outcome;
        }
        let no = request.order_no.to_string();
        if s.tombstones.contains(&no) {
            return PayOutcome::Failed {
                reason: "order closed".into(),
            };
        }
        if let Some(existing) = s.orders.get(&no)
            && (existing.amount != request.amount || existing.code != request.code.as_str())
        {
            return PayOutcome::DuplicateBlocked {
                reason: "anti-reentry (407)".into(),
            };
        }
        let code = request.code.as_str().to_owned();
        let script = code[code.len() - 2..].to_owned();
        let state = match script.as_str() {
            "01" | "02" | "04" | "09" => CloudOrderState::Pending,
            "03" | "05" => CloudOrderState::Failed,
            _ => CloudOrderState::Paid,
        };
        s.orders.entry(no).or_insert(FakeOrder {
            code,
            amount: request.amount,
            state,
            refunded: Money::ZERO,
            queries: 0,
            script: script.clone(),
        });
        match script.as_str() {
            "01" | "02" | "04" | "09" => PayOutcome::UserPaying,
            "03" => PayOutcome::Failed {
                reason: "余额不足".into(),
            },
            "05" => PayOutcome::Failed {
                reason: "付款码已过期".into(),
            },
            "06" => PayOutcome::Unknown {
                reason: "connection closed without a response".into(),
            },
            "07" => PayOutcome::Unknown {
                reason: "status 3".into(),
            },
            _ => PayOutcome::Paid {
                transaction_id: Some("42000".into()),
                paid_at: Some(Timestamp::from_unix_seconds(1_000)),
            },
        }
    }

    fn do_query_order(
        &self,
        order_no: &OrderNo,
        _: Option<cloudpos_domain::code::Wallet>,
    ) -> QueryOutcome {
        let mut s = self.state.lock().unwrap();
        s.calls.push(format!("query_order:{order_no}"));
        if s.unreachable {
            return QueryOutcome::Unknown {
                reason: "connection refused".into(),
            };
        }
        let tomb = s.tombstones.contains(&order_no.to_string());
        let Some(o) = s.orders.get_mut(order_no.as_str()) else {
            return if tomb {
                QueryOutcome::Reversed
            } else {
                QueryOutcome::NotFound
            };
        };
        o.queries += 1;
        if o.state == CloudOrderState::Pending {
            match o.script.as_str() {
                "01" if o.queries >= 2 => o.state = CloudOrderState::Paid,
                "02" if o.queries >= 2 => o.state = CloudOrderState::Failed,
                _ => {}
            }
        }
        match o.state {
            CloudOrderState::Paid => QueryOutcome::Paid {
                transaction_id: Some("42000".into()),
                paid_at: Some(Timestamp::from_unix_seconds(1_000)),
            },
            CloudOrderState::Pending => QueryOutcome::UserPaying,
            CloudOrderState::Failed => QueryOutcome::Failed {
                reason: "pay error".into(),
            },
            CloudOrderState::Reversed => QueryOutcome::Reversed,
        }
    }

    fn do_reverse(
        &self,
        order_no: &OrderNo,
        _: Option<cloudpos_domain::code::Wallet>,
    ) -> ReverseOutcome {
        let mut s = self.state.lock().unwrap();
        s.calls.push(format!("reverse:{order_no}"));
        if s.unreachable {
            return ReverseOutcome::Retry {
                reason: "connection refused".into(),
            };
        }
        if s.reverse_retries > 0 {
            s.reverse_retries -= 1;
            return ReverseOutcome::Retry {
                reason: "system busy".into(),
            };
        }
        match s.orders.get_mut(order_no.as_str()) {
            Some(o) => {
                // `09`: the customer finishes paying right now; the reverse refunds it.
                o.state = CloudOrderState::Reversed;
            }
            None => s.tombstones.push(order_no.to_string()),
        }
        ReverseOutcome::Reversed
    }

    fn do_refund(&self, request: &RefundRequest) -> RefundOutcome {
        let mut s = self.state.lock().unwrap();
        s.calls.push(format!("refund:{}", request.order_no));
        if s.unreachable {
            return RefundOutcome::NotSent {
                reason: "connection refused".into(),
            };
        }
        if let Some(r) = s.refunds.get(request.refund_no.as_str()) {
            return if r.amount == request.amount {
                match r.state {
                    RefundState::Succeeded => RefundOutcome::Succeeded {
                        refund_id: Some("rf".into()),
                    },
                    RefundState::Failed => RefundOutcome::Failed {
                        reason: "failed".into(),
                    },
                    _ => RefundOutcome::Processing {
                        refund_id: Some("rf".into()),
                    },
                }
            } else {
                RefundOutcome::Failed {
                    reason: "same refund number, different amount".into(),
                }
            };
        }
        let processing = s.refund_processing;
        let held: Money = s
            .refunds
            .values()
            .filter(|r| r.order == request.order_no.as_str() && r.state != RefundState::Failed)
            .map(|r| r.amount)
            .sum();
        let Some(o) = s.orders.get_mut(request.order_no.as_str()) else {
            return RefundOutcome::Failed {
                reason: "order not found".into(),
            };
        };
        if o.state != CloudOrderState::Paid || held + request.amount > o.amount {
            return RefundOutcome::Failed {
                reason: "refund above the paid amount".into(),
            };
        }
        let state = if processing {
            RefundState::Processing
        } else {
            RefundState::Succeeded
        };
        if state == RefundState::Succeeded {
            o.refunded = o.refunded + request.amount;
        }
        s.refunds.insert(
            request.refund_no.to_string(),
            FakeRefund {
                order: request.order_no.to_string(),
                wallet: request.wallet,
                amount: request.amount,
                state,
                queries: 0,
            },
        );
        if processing {
            RefundOutcome::Processing {
                refund_id: Some("rf".into()),
            }
        } else {
            RefundOutcome::Succeeded {
                refund_id: Some("rf".into()),
            }
        }
    }

    fn do_query_refund(
        &self,
        order_no: &OrderNo,
        wallet: Wallet,
        refund_no: &RefundNo,
    ) -> RefundOutcome {
        let mut s = self.state.lock().unwrap();
        s.calls.push(format!("query_refund:{order_no}"));
        if s.unreachable {
            return RefundOutcome::Unknown {
                reason: "connection refused".into(),
            };
        }
        let Some(r) = s.refunds.get_mut(refund_no.as_str()) else {
            return RefundOutcome::Unknown {
                reason: "refund not found".into(),
            };
        };
        // As a strict Cloud Pay: the query must name the order's wallet (status 101).
        if r.wallet != wallet {
            return RefundOutcome::Unknown {
                reason: format!(
                    "rejected: pay_mch_key.pay_platform {wallet} does not match the order's {}",
                    r.wallet
                ),
            };
        }
        r.queries += 1;
        if r.state == RefundState::Processing {
            r.state = RefundState::Succeeded;
            let (order, amount) = (r.order.clone(), r.amount);
            if let Some(o) = s.orders.get_mut(&order) {
                o.refunded = o.refunded + amount;
            }
        }
        RefundOutcome::Succeeded {
            refund_id: Some("rf".into()),
        }
    }
}

#[async_trait]
impl PaymentGateway for FakeGateway {
    async fn micro_pay(&self, request: &PayRequest) -> PayOutcome {
        let outcome = self.do_micro_pay(request);
        if self.answers_lost() {
            return PayOutcome::Unknown {
                reason: "the answer was lost".into(),
            };
        }
        outcome
    }

    async fn query_order(
        &self,
        order_no: &OrderNo,
        wallet: Option<cloudpos_domain::code::Wallet>,
    ) -> QueryOutcome {
        let outcome = self.do_query_order(order_no, wallet);
        let lost_one = {
            let mut s = self.state.lock().unwrap();
            let lost = s.lost_query_answers > 0;
            s.lost_query_answers = s.lost_query_answers.saturating_sub(1);
            lost
        };
        if self.answers_lost() || lost_one {
            return QueryOutcome::Unknown {
                reason: "operation timed out".into(),
            };
        }
        outcome
    }

    async fn reverse(
        &self,
        order_no: &OrderNo,
        wallet: Option<cloudpos_domain::code::Wallet>,
    ) -> ReverseOutcome {
        let outcome = self.do_reverse(order_no, wallet);
        if self.answers_lost() {
            return ReverseOutcome::Retry {
                reason: "the answer was lost".into(),
            };
        }
        outcome
    }

    async fn refund(&self, request: &RefundRequest) -> RefundOutcome {
        let outcome = self.do_refund(request);
        if self.answers_lost() {
            return RefundOutcome::Unknown {
                reason: "the answer was lost".into(),
            };
        }
        outcome
    }

    async fn query_refund(
        &self,
        order_no: &OrderNo,
        wallet: Wallet,
        refund_no: &RefundNo,
    ) -> RefundOutcome {
        let outcome = self.do_query_refund(order_no, wallet, refund_no);
        if self.answers_lost() {
            return RefundOutcome::Unknown {
                reason: "the answer was lost".into(),
            };
        }
        outcome
    }

    async fn list(&self, query: &CloudListQuery) -> Result<CloudPage, GatewayError> {
        let s = self.state.lock().unwrap();
        if s.unreachable {
            return Err(GatewayError::Unreachable("connection refused".into()));
        }
        let _ = query;
        Ok(CloudPage {
            total: u64::try_from(s.orders.len()).unwrap_or(0),
            orders: s
                .orders
                .iter()
                .map(|(no, o)| CloudOrder {
                    no: no.clone(),
                    wallet: None,
                    amount: o.amount,
                    refunded: o.refunded,
                    state: o.state,
                    store_id: "shop1".into(),
                    device_id: "dev1".into(),
                    machine_no: None,
                    transaction_id: None,
                    created_at: Timestamp::EPOCH,
                    paid_at: None,
                    one_code: false,
                })
                .collect(),
            refunds: vec![],
        })
    }

    async fn ping(&self) -> Result<Timestamp, GatewayError> {
        if self.state.lock().unwrap().unreachable {
            return Err(GatewayError::Unreachable("connection refused".into()));
        }
        Ok(Timestamp::EPOCH)
    }
}

/// In-memory approval challenges; tests approve them with [`FakeApprovals::approve`].
#[derive(Clone)]
pub struct FakeApprovals {
    clock: Arc<VirtualClock>,
    state: Arc<Mutex<HashMap<String, Approval>>>,
}

impl FakeApprovals {
    #[must_use]
    pub fn new(clock: Arc<VirtualClock>) -> Self {
        FakeApprovals {
            clock,
            state: Arc::default(),
        }
    }

    /// A manager (Cloud Pay staff id) approves on their phone.
    pub fn approve(&self, token: &str, staff_id: &str) {
        let mut s = self.state.lock().unwrap();
        let a = s.get_mut(token).expect("known token");
        if a.state == ApprovalState::Pending {
            a.state = ApprovalState::Approved;
            a.staff_id = Some(staff_id.to_owned());
        }
    }

    fn refresh(&self, a: &mut Approval) {
        if matches!(a.state, ApprovalState::Pending | ApprovalState::Approved)
            && self.clock.now() >= a.expires_at
        {
            a.state = ApprovalState::Expired;
        }
    }
}

#[async_trait]
impl Approvals for FakeApprovals {
    async fn create(&self, request: &ApprovalRequest) -> Result<ApprovalTicket, GatewayError> {
        let mut s = self.state.lock().unwrap();
        let token = format!("tok{}", s.len() + 1);
        let expires_at = self.clock.now().plus(std::time::Duration::from_secs(300));
        s.insert(
            token.clone(),
            Approval {
                token: token.clone(),
                state: ApprovalState::Pending,
                request: request.clone(),
                staff_id: None,
                staff_name: None,
                expires_at,
            },
        );
        Ok(ApprovalTicket {
            approve_url: format!("http://fake/approve/{token}"),
            token,
            expires_at,
        })
    }

    async fn status(&self, token: &str) -> Result<Approval, GatewayError> {
        let mut s = self.state.lock().unwrap();
        let a = s.get_mut(token).ok_or_else(|| GatewayError::Refused {
            status: 104,
            description: "no such approval".into(),
        })?;
        self.refresh(a);
        Ok(a.clone())
    }

    async fn consume(&self, token: &str) -> Result<Approval, GatewayError> {
        let mut s = self.state.lock().unwrap();
        let a = s.get_mut(token).ok_or_else(|| GatewayError::Refused {
            status: 104,
            description: "no such approval".into(),
        })?;
        self.refresh(a);
        if a.state != ApprovalState::Approved {
            return Err(GatewayError::Refused {
                status: 104,
                description: format!("approval is {:?}", a.state),
            });
        }
        a.state = ApprovalState::Used;
        Ok(a.clone())
    }
}

/// Which ledger writes [`FaultyLedger`] refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LedgerFault {
    /// None: every call goes through.
    #[default]
    Healthy,
    /// Order updates fail as on a full disk; new intents (inserts) still go through. This is
    /// the moment after `micro_pay` answered: the intent is on disk, the answer cannot be.
    OrderUpdatesFail,
    /// Every write fails as on a full disk; reads go through.
    AllWritesFail,
}

/// A [`Ledger`] over another that refuses writes on demand with
/// [`StoreError::DiskFull`], standing in for a disk that fills up (or an I/O error) at a
/// chosen moment. Reads always go through. Cheap to clone (the switch is shared).
#[derive(Clone)]
pub struct FaultyLedger {
    inner: Arc<dyn Ledger>,
    fault: Arc<Mutex<LedgerFault>>,
    refused: Arc<Mutex<u32>>,
}

impl FaultyLedger {
    #[must_use]
    pub fn new(inner: Arc<dyn Ledger>) -> Self {
        FaultyLedger {
            inner,
            fault: Arc::default(),
            refused: Arc::default(),
        }
    }

    /// Sets which writes fail from now on.
    pub fn set(&self, fault: LedgerFault) {
        *self.fault.lock().unwrap() = fault;
    }

    /// How many writes were refused so far.
    #[must_use]
    pub fn refused(&self) -> u32 {
        *self.refused.lock().unwrap()
    }

    fn check(&self, is_order_update: bool) -> Result<(), StoreError> {
        let fault = *self.fault.lock().unwrap();
        let fail = match fault {
            LedgerFault::Healthy => false,
            LedgerFault::OrderUpdatesFail => is_order_update,
            LedgerFault::AllWritesFail => true,
        };
        if fail {
            *self.refused.lock().unwrap() += 1;
            return Err(StoreError::DiskFull(
                "database or disk is full (injected)".into(),
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl Ledger for FaultyLedger {
    async fn insert_order(&self, order: &Order) -> Result<(), StoreError> {
        self.check(false)?;
        self.inner.insert_order(order).await
    }
    async fn update_order(&self, order: &Order, expected: OrderState) -> Result<(), StoreError> {
        self.check(true)?;
        self.inner.update_order(order, expected).await
    }
    async fn order(&self, no: &OrderNo) -> Result<Option<Order>, StoreError> {
        self.inner.order(no).await
    }
    async fn orders(&self, filter: &OrderFilter) -> Result<Page<Order>, StoreError> {
        self.inner.orders(filter).await
    }
    async fn unfinished_orders(&self) -> Result<Vec<Order>, StoreError> {
        self.inner.unfinished_orders().await
    }
    async fn latest_numbers(&self) -> Result<Vec<String>, StoreError> {
        self.inner.latest_numbers().await
    }
    async fn insert_refund(&self, refund: &Refund) -> Result<(), StoreError> {
        self.check(false)?;
        self.inner.insert_refund(refund).await
    }
    async fn update_refund(
        &self,
        refund: &Refund,
        expected: RefundState,
    ) -> Result<(), StoreError> {
        self.check(false)?;
        self.inner.update_refund(refund, expected).await
    }
    async fn refund(&self, no: &RefundNo) -> Result<Option<Refund>, StoreError> {
        self.inner.refund(no).await
    }
    async fn refunds_of(&self, order: &OrderNo) -> Result<Vec<Refund>, StoreError> {
        self.inner.refunds_of(order).await
    }
    async fn refunds(&self, filter: &RefundFilter) -> Result<Page<Refund>, StoreError> {
        self.inner.refunds(filter).await
    }
    async fn unfinished_refunds(&self) -> Result<Vec<Refund>, StoreError> {
        self.inner.unfinished_refunds().await
    }
    async fn open_shift(&self, clerk: &ClerkId, at: Timestamp) -> Result<Shift, StoreError> {
        self.check(false)?;
        self.inner.open_shift(clerk, at).await
    }
    async fn current_shift(&self) -> Result<Option<Shift>, StoreError> {
        self.inner.current_shift().await
    }
    async fn close_shift(&self, id: i64, at: Timestamp) -> Result<Shift, StoreError> {
        self.check(false)?;
        self.inner.close_shift(id, at).await
    }
    async fn shift(&self, id: i64) -> Result<Option<Shift>, StoreError> {
        self.inner.shift(id).await
    }
    async fn shifts(&self, clerk: Option<&ClerkId>, limit: u32) -> Result<Vec<Shift>, StoreError> {
        self.inner.shifts(clerk, limit).await
    }
}

#[async_trait]
impl cloudpos_domain::ports::DepositLedger for FaultyLedger {
    async fn insert_deposit(
        &self,
        deposit: &cloudpos_domain::deposit::Deposit,
    ) -> Result<(), StoreError> {
        self.check(false)?;
        self.inner.insert_deposit(deposit).await
    }
    async fn update_deposit(
        &self,
        deposit: &cloudpos_domain::deposit::Deposit,
        expected: cloudpos_domain::deposit::DepositState,
    ) -> Result<(), StoreError> {
        self.check(true)?;
        self.inner.update_deposit(deposit, expected).await
    }
    async fn finish_consume(
        &self,
        deposit: &cloudpos_domain::deposit::Deposit,
        expected: cloudpos_domain::deposit::DepositState,
        order: &Order,
    ) -> Result<(), StoreError> {
        self.check(true)?;
        self.inner.finish_consume(deposit, expected, order).await
    }
    async fn deposit(
        &self,
        no: &cloudpos_domain::order_no::FreezeNo,
    ) -> Result<Option<cloudpos_domain::deposit::Deposit>, StoreError> {
        self.inner.deposit(no).await
    }
    async fn deposit_of_consume(
        &self,
        no: &OrderNo,
    ) -> Result<Option<cloudpos_domain::deposit::Deposit>, StoreError> {
        self.inner.deposit_of_consume(no).await
    }
    async fn deposits(
        &self,
        filter: &cloudpos_domain::ports::DepositFilter,
    ) -> Result<Page<cloudpos_domain::deposit::Deposit>, StoreError> {
        self.inner.deposits(filter).await
    }
    async fn unfinished_deposits(
        &self,
    ) -> Result<Vec<cloudpos_domain::deposit::Deposit>, StoreError> {
        self.inner.unfinished_deposits().await
    }
}

/// A clock that only moves when the test says so: `sleep` waits until [`ManualClock::advance`]
/// has moved the time past its end. For tests of background tasks, which on a
/// [`VirtualClock`] would spin through hours in a moment.
#[derive(Debug)]
pub struct ManualClock {
    now_ms: Mutex<i64>,
    tick: tokio::sync::watch::Sender<i64>,
    sleepers: Mutex<HashMap<u64, i64>>,
    next_sleeper: std::sync::atomic::AtomicU64,
}

impl ManualClock {
    #[must_use]
    pub fn new(start: Timestamp) -> Self {
        ManualClock {
            now_ms: Mutex::new(start.unix_millis()),
            tick: tokio::sync::watch::Sender::new(start.unix_millis()),
            sleepers: Mutex::default(),
            next_sleeper: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Moves the time forward, waking the sleeps that end by then.
    pub fn advance(&self, d: Duration) {
        let mut now = self.now_ms.lock().unwrap();
        *now += i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        self.tick.send_replace(*now);
    }

    /// Waits (in real time, up to 10 s) until exactly `n` tasks sleep on this clock and none
    /// of their sleeps has ended: the tasks have done what the time allowed and are parked.
    pub async fn parked(&self, n: usize) {
        for _ in 0..10_000 {
            {
                let now = *self.now_ms.lock().unwrap();
                let sleepers = self.sleepers.lock().unwrap();
                if sleepers.len() == n && sleepers.values().all(|&until| until > now) {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!("the tasks on the manual clock did not park");
    }
}

#[async_trait]
impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_millis(*self.now_ms.lock().unwrap())
    }

    async fn sleep(&self, duration: Duration) {
        let until =
            *self.now_ms.lock().unwrap() + i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
        let id = self
            .next_sleeper
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.sleepers.lock().unwrap().insert(id, until);
        // Unregistered however the sleep ends (also when its task is aborted).
        struct Registered<'a>(&'a Mutex<HashMap<u64, i64>>, u64);
        impl Drop for Registered<'_> {
            fn drop(&mut self) {
                if let Ok(mut m) = self.0.lock() {
                    m.remove(&self.1);
                }
            }
        }
        let _registered = Registered(&self.sleepers, id);
        let mut rx = self.tick.subscribe();
        while *rx.borrow_and_update() < until {
            if rx.changed().await.is_err() {
                break;
            }
        }
    }
}

/// The demo merchant used by tests.
#[must_use]
pub fn test_merchant() -> MerchantProfile {
    MerchantProfile {
        base_url: "http://127.0.0.1:1/cpay/".into(),
        base_urls: Vec::new(),
        out_mch_id: "sp1".into(),
        out_sub_mch_id: "sub1".into(),
        out_shop_id: "shop1".into(),
        device_id: "dev1".into(),
        staff_id: "01".into(),
        order_prefix: "sz0100".into(),
        store_name: "测试门店".into(),
        sandbox: true,
        embedded: false,
    }
}

/// A terminal for tests and what it runs on.
pub struct TestTerminal {
    pub terminal: Terminal,
    pub gateway: FakeGateway,
    pub approvals: FakeApprovals,
    pub clock: Arc<VirtualClock>,
    pub store: Store,
    /// The terminal's ledger is the store behind this switch (healthy unless set).
    pub faults: FaultyLedger,
    /// The ports the terminal was built on (to build another terminal on the same ones, as
    /// after a restart).
    pub ports: Ports,
}

/// Builds a terminal on a fresh ledger in `dir`, over a [`FakeGateway`] and a virtual clock,
/// with clerks `01` (store manager, password `pw01`), `02` (clerk without refund permission,
/// `pw02`) and `09` (merchant admin, `pw09`), nobody logged in.
pub async fn test_terminal(dir: &Path) -> TestTerminal {
    let store = Store::open(
        dir,
        StoreOptions {
            password_cost: PasswordCost::TestOnly,
            check_on_open: false,
            ..StoreOptions::default()
        },
    )
    .await
    .expect("open test store");
    let gateway = FakeGateway::new();
    let clock = Arc::new(VirtualClock::new(Timestamp::from_unix_seconds(
        1_795_300_000,
    )));
    let approvals = FakeApprovals::new(clock.clone());
    let s = Arc::new(store.clone());
    let faults = FaultyLedger::new(s.clone());
    let ports = Ports {
        ledger: Arc::new(faults.clone()),
        members: s.clone(),
        catalog: s.clone(),
        accounts: s.clone(),
        settings: s.clone(),
        vault: s.clone(),
        audit: s.clone(),
        one_code: s.clone(),
        gateway: Some(Arc::new(gateway.clone())),
        approvals: Some(Arc::new(approvals.clone())),
        printer: None,
        clock: clock.clone(),
        notices: s.clone(),
        head_office: Some(s.clone()),
    };
    let terminal = Terminal::new(ports.clone(), TerminalConfig::default());
    s.put(
        MERCHANT_KEY,
        &serde_json::to_value(test_merchant()).unwrap(),
    )
    .await
    .unwrap();
    for (id, role, pw) in [
        ("01", Role::StoreManager, "pw01"),
        ("02", Role::Clerk, "pw02"),
        ("09", Role::MerchantAdmin, "pw09"),
    ] {
        if s.clerk(&ClerkId::parse(id).unwrap())
            .await
            .unwrap()
            .is_some()
        {
            continue; // reopening the same ledger
        }
        s.create_clerk(
            &Clerk {
                id: ClerkId::parse(id).unwrap(),
                name: format!("clerk {id}"),
                phone: String::new(),
                role,
                can_refund: false,
                cloud_staff_id: Some(id.to_owned()),
                created_at: Timestamp::EPOCH,
            },
            pw,
        )
        .await
        .unwrap();
    }
    TestTerminal {
        terminal,
        gateway,
        approvals,
        clock,
        store,
        faults,
        ports,
    }
}

/// A WeChat-shaped code whose last two digits pick the script, unique per `n`.
#[must_use]
pub fn code(n: u32, script: &str) -> String {
    format!("1345{n:012}{script}")
}
