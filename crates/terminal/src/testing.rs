//! Fakes of the ports for tests: an in-memory Cloud Pay with the sandbox's scripted
//! outcomes, and a builder for a terminal on a temporary ledger with a virtual clock.
//!
//! Scripted outcomes by the last two digits of the payment code (as in the sandbox):
//! `00` paid, `01` user paying then paid on the 2nd query, `02` user paying then failed,
//! `03` insufficient balance, `04` user paying until reversed, `05` expired code,
//! `06` paid but the answer is lost, `07` status 3 (unknown) but paid, `09` the customer pays
//! at the moment of the reverse (the reverse refunds it).
#![allow(missing_docs, clippy::missing_panics_doc)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use cloudpos_domain::clerk::{Clerk, ClerkId, Role};
use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::order_no::{OrderNo, RefundNo};
use cloudpos_domain::ports::Clock;
use cloudpos_domain::ports::{
    Accounts, Approval, ApprovalRequest, ApprovalState, ApprovalTicket, Approvals, CloudListQuery,
    CloudOrder, CloudOrderState, CloudPage, GatewayError, PayOutcome, PayRequest, PaymentGateway,
    QueryOutcome, RefundOutcome, RefundRequest, ReverseOutcome, Settings,
};
use cloudpos_domain::refund::RefundState;
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_storage::{PasswordCost, Store, StoreOptions};

use crate::clock::VirtualClock;
use crate::{MERCHANT_KEY, MerchantProfile, Ports, Terminal, TerminalConfig};

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
}

/// An in-memory Cloud Pay.
#[derive(Debug, Default, Clone)]
pub struct FakeGateway {
    state: Arc<Mutex<FakeState>>,
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
        if self.answers_lost() {
            return QueryOutcome::Unknown {
                reason: "the answer was lost".into(),
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
    let terminal = Terminal::new(
        Ports {
            ledger: s.clone(),
            catalog: s.clone(),
            accounts: s.clone(),
            settings: s.clone(),
            vault: s.clone(),
            audit: s.clone(),
            gateway: Some(Arc::new(gateway.clone())),
            approvals: Some(Arc::new(approvals.clone())),
            printer: None,
            clock: clock.clone(),
        },
        TerminalConfig::default(),
    );
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
    }
}

/// A WeChat-shaped code whose last two digits pick the script, unique per `n`.
#[must_use]
pub fn code(n: u32, script: &str) -> String {
    format!("1345{n:012}{script}")
}
