//! The fake cloud's deposits, scripted by the last two digits of the payment code as in the
//! sandbox: `00` frozen at once, `01` user paying then frozen on the 2nd query, `02` user
//! paying then failed, `03` insufficient balance, `04` user paying until the terminal releases
//! it, `05` expired code, `06` frozen but the answer is lost, `07` first answer status 3 but
//! frozen. A release answered for by staff `02` (a clerk in the test terminal) is refused.

use std::collections::HashMap;

use async_trait::async_trait;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::order_no::{FreezeNo, UnfreezeNo};
use cloudpos_domain::ports::{
    CloudDepositPage, CloudFreeze, CloudFreezeState, CloudOrderState, CloudUnfreeze,
    ConsumeOutcome, ConsumeRequest, DepositGateway, DepositListKind, DepositListQuery,
    FreezeOutcome, FreezeQueryOutcome, FreezeRequest, GatewayError, PaymentGateway, RefundOutcome,
    RefundRequest, UnfreezeAuthority, UnfreezeOutcome, UnfreezeRequest,
};
use cloudpos_domain::timestamp::Timestamp;

use super::{FakeGateway, FakeOrder};

/// The fake cloud's record of a freeze.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeFreeze {
    pub code: String,
    pub wallet: Wallet,
    pub amount: Money,
    pub state: CloudFreezeState,
    pub consumed: Money,
    pub released: Money,
    pub queries: u32,
    pub script: String,
    pub consume_no: Option<String>,
}

/// The fake cloud's deposits and releases.
#[derive(Debug, Default)]
pub struct FakeDeposits {
    pub(super) freezes: HashMap<String, FakeFreeze>,
    /// Release number → (freeze number, amount).
    pub(super) unfreezes: HashMap<String, (String, Money)>,
    pub(super) tombstones: Vec<String>,
}

impl FakeGateway {
    /// The fake cloud's freezes.
    #[must_use]
    pub fn freezes(&self) -> HashMap<String, FakeFreeze> {
        self.deposits.lock().unwrap().freezes.clone()
    }

    /// The fake cloud's releases: number → (freeze number, amount).
    #[must_use]
    pub fn unfreezes(&self) -> HashMap<String, (String, Money)> {
        self.deposits.lock().unwrap().unfreezes.clone()
    }

    /// The wallet releases a frozen deposit by itself (30 days after the freeze).
    pub fn auto_release(&self, no: &str) {
        if let Some(f) = self.deposits.lock().unwrap().freezes.get_mut(no)
            && f.state == CloudFreezeState::Frozen
        {
            f.state = CloudFreezeState::Finished;
        }
    }

    fn note(&self, call: String) -> (bool, bool) {
        let mut s = self.state.lock().unwrap();
        s.calls.push(call);
        (s.unreachable, s.answers_lost)
    }

    fn cloud_freeze(no: &str, f: &FakeFreeze) -> CloudFreeze {
        let auto = if f.state == CloudFreezeState::Finished
            && f.consumed.fen() == 0
            && f.released.fen() == 0
        {
            f.amount
        } else {
            Money::ZERO
        };
        CloudFreeze {
            no: no.to_owned(),
            wallet: Some(f.wallet),
            state: f.state,
            frozen: f.amount,
            consumed: f.consumed,
            released: f.released,
            auto_released: auto,
            refunded: Money::ZERO,
            freeze_id: Some(format!("auth-{no}")),
            store_id: "shop1".into(),
            device_id: "dev1".into(),
            created_at: Timestamp::EPOCH,
            frozen_at: Some(Timestamp::from_unix_seconds(1_000)),
            reason: None,
        }
    }
}

#[async_trait]
impl DepositGateway for FakeGateway {
    async fn micro_freeze(&self, request: &FreezeRequest) -> FreezeOutcome {
        let (down, lost) = self.note(format!("micro_freeze:{}", request.no));
        if down {
            return FreezeOutcome::NotSent {
                reason: "connection refused".into(),
            };
        }
        let no = request.no.to_string();
        let code = request.code.as_str().to_owned();
        let script = code[code.len() - 2..].to_owned();
        let mut d = self.deposits.lock().unwrap();
        if d.tombstones.contains(&no) {
            return FreezeOutcome::Failed {
                reason: "the number was released (tombstone)".into(),
            };
        }
        let state = match script.as_str() {
            "01" | "02" | "04" => CloudFreezeState::Pending,
            "03" | "05" => CloudFreezeState::Failed,
            _ => CloudFreezeState::Frozen,
        };
        d.freezes.entry(no).or_insert(FakeFreeze {
            code,
            wallet: request.code.wallet(),
            amount: request.amount,
            state,
            consumed: Money::ZERO,
            released: Money::ZERO,
            queries: 0,
            script: script.clone(),
            consume_no: None,
        });
        if lost {
            return FreezeOutcome::Unknown {
                reason: "the answer was lost".into(),
            };
        }
        match script.as_str() {
            "01" | "02" | "04" => FreezeOutcome::UserPaying,
            "03" => FreezeOutcome::Failed {
                reason: "余额不足".into(),
            },
            "05" => FreezeOutcome::Failed {
                reason: "付款码已过期".into(),
            },
            "06" => FreezeOutcome::Unknown {
                reason: "connection closed without a response".into(),
            },
            "07" => FreezeOutcome::Unknown {
                reason: "status 3".into(),
            },
            _ => FreezeOutcome::Frozen {
                freeze_id: Some(format!("auth-{}", request.no)),
                frozen_at: Some(Timestamp::from_unix_seconds(1_000)),
            },
        }
    }

    async fn query_freeze(&self, no: &FreezeNo, _wallet: Wallet) -> FreezeQueryOutcome {
        let (down, lost) = self.note(format!("query_freeze:{no}"));
        if down || lost {
            return FreezeQueryOutcome::Unknown {
                reason: "connection refused".into(),
            };
        }
        let mut d = self.deposits.lock().unwrap();
        let Some(f) = d.freezes.get_mut(no.as_str()) else {
            return FreezeQueryOutcome::NotFound;
        };
        f.queries += 1;
        if f.state == CloudFreezeState::Pending {
            match f.script.as_str() {
                "01" if f.queries >= 2 => f.state = CloudFreezeState::Frozen,
                "02" if f.queries >= 2 => f.state = CloudFreezeState::Failed,
                _ => {}
            }
        }
        FreezeQueryOutcome::Found(Box::new(Self::cloud_freeze(no.as_str(), f)))
    }

    async fn deposit_consume(&self, request: &ConsumeRequest) -> ConsumeOutcome {
        let (down, lost) = self.note(format!("deposit_consume:{}", request.order_no));
        if down {
            return ConsumeOutcome::NotSent {
                reason: "connection refused".into(),
            };
        }
        let outcome = {
            let mut d = self.deposits.lock().unwrap();
            match d.freezes.get_mut(request.freeze_no.as_str()) {
                None => ConsumeOutcome::Refused {
                    reason: "no such freeze".into(),
                },
                Some(f) if f.consume_no.as_deref() == Some(request.order_no.as_str()) => {
                    ConsumeOutcome::Consumed {
                        transaction_id: Some("42000".into()),
                        paid_at: Some(Timestamp::from_unix_seconds(1_000)),
                        released: Some(f.released),
                    }
                }
                Some(f) if f.state != CloudFreezeState::Frozen => ConsumeOutcome::Refused {
                    reason: "the freeze is not frozen".into(),
                },
                Some(f) if request.amount > f.amount => ConsumeOutcome::Refused {
                    reason: "consume above the frozen amount".into(),
                },
                Some(f) => {
                    f.consumed = request.amount;
                    f.released = Money::from_fen(f.amount.fen() - request.amount.fen());
                    f.state = CloudFreezeState::Finished;
                    f.consume_no = Some(request.order_no.to_string());
                    let code = f.code.clone();
                    let released = f.released;
                    self.state.lock().unwrap().orders.insert(
                        request.order_no.to_string(),
                        FakeOrder {
                            code,
                            amount: request.amount,
                            state: CloudOrderState::Paid,
                            refunded: Money::ZERO,
                            queries: 0,
                            script: "00".into(),
                        },
                    );
                    ConsumeOutcome::Consumed {
                        transaction_id: Some("42000".into()),
                        paid_at: Some(Timestamp::from_unix_seconds(1_000)),
                        released: Some(released),
                    }
                }
            }
        };
        if lost {
            return ConsumeOutcome::Unknown {
                reason: "the answer was lost".into(),
            };
        }
        outcome
    }

    async fn unfreeze(&self, request: &UnfreezeRequest) -> UnfreezeOutcome {
        let (down, lost) = self.note(format!("unfreeze:{}", request.freeze_no));
        if down {
            return UnfreezeOutcome::NotSent {
                reason: "connection refused".into(),
            };
        }
        let outcome = {
            let mut d = self.deposits.lock().unwrap();
            if let Some((freeze, amount)) = d.unfreezes.get(request.unfreeze_no.as_str()) {
                if freeze == request.freeze_no.as_str() && *amount == request.amount {
                    UnfreezeOutcome::Unfrozen {
                        unfreeze_id: Some("uf".into()),
                    }
                } else {
                    UnfreezeOutcome::Failed {
                        reason: "release number reused".into(),
                    }
                }
            } else if request.authority == UnfreezeAuthority::Staff(Some("02".into())) {
                UnfreezeOutcome::Failed {
                    reason: "staff 02 has no refund permission".into(),
                }
            } else {
                match d.freezes.get_mut(request.freeze_no.as_str()) {
                    None => {
                        d.tombstones.push(request.freeze_no.to_string());
                        UnfreezeOutcome::Failed {
                            reason: "押金冻结单不存在".into(),
                        }
                    }
                    Some(f)
                        if matches!(
                            f.state,
                            CloudFreezeState::Frozen | CloudFreezeState::Pending
                        ) && request.amount <= f.amount =>
                    {
                        f.released = request.amount;
                        f.state = CloudFreezeState::Finished;
                        d.unfreezes.insert(
                            request.unfreeze_no.to_string(),
                            (request.freeze_no.to_string(), request.amount),
                        );
                        UnfreezeOutcome::Unfrozen {
                            unfreeze_id: Some("uf".into()),
                        }
                    }
                    Some(_) => UnfreezeOutcome::Failed {
                        reason: "nothing is frozen".into(),
                    },
                }
            }
        };
        if lost {
            return UnfreezeOutcome::Unknown {
                reason: "the answer was lost".into(),
            };
        }
        outcome
    }

    async fn query_unfreeze(
        &self,
        freeze_no: &FreezeNo,
        _wallet: Wallet,
        unfreeze_no: &UnfreezeNo,
    ) -> UnfreezeOutcome {
        let (down, lost) = self.note(format!("query_unfreeze:{freeze_no}"));
        if down || lost {
            return UnfreezeOutcome::Unknown {
                reason: "connection refused".into(),
            };
        }
        match self
            .deposits
            .lock()
            .unwrap()
            .unfreezes
            .get(unfreeze_no.as_str())
        {
            Some(_) => UnfreezeOutcome::Unfrozen {
                unfreeze_id: Some("uf".into()),
            },
            None => UnfreezeOutcome::NotFound,
        }
    }

    async fn deposit_refund(&self, request: &RefundRequest, freeze_no: &FreezeNo) -> RefundOutcome {
        self.note(format!("deposit_refund:{freeze_no}"));
        self.refund(request).await
    }

    async fn list_deposits(
        &self,
        query: &DepositListQuery,
    ) -> Result<CloudDepositPage, GatewayError> {
        if self.state.lock().unwrap().unreachable {
            return Err(GatewayError::Unreachable("connection refused".into()));
        }
        let d = self.deposits.lock().unwrap();
        let mut page = CloudDepositPage::default();
        if query.page > 1 {
            return Ok(page);
        }
        match query.kind {
            DepositListKind::Freezes => {
                page.freezes = d
                    .freezes
                    .iter()
                    .map(|(no, f)| Self::cloud_freeze(no, f))
                    .collect();
                page.total = u64::try_from(page.freezes.len()).unwrap_or(0);
            }
            DepositListKind::Unfreezes => {
                page.unfreezes = d
                    .unfreezes
                    .iter()
                    .map(|(no, (freeze, amount))| CloudUnfreeze {
                        no: no.clone(),
                        freeze_no: freeze.clone(),
                        amount: *amount,
                        succeeded: true,
                        store_id: "shop1".into(),
                        device_id: "dev1".into(),
                        created_at: Timestamp::EPOCH,
                    })
                    .collect();
                page.total = u64::try_from(page.unfreezes.len()).unwrap_or(0);
            }
        }
        Ok(page)
    }
}
