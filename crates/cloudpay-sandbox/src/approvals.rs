//! Approval challenges: a manager's phone, played by a web page. The terminal creates a
//! challenge (login, or a refund of an amount on an order), shows `approve_url` as a QR
//! code, polls it, and consumes it exactly once.

use cloudpay_api::wire::{self, ApprovalKind, ApprovalState, ApprovalStatus};
use serde_json::{Value, json};

use crate::config::{MerchantConfig, Timings};
use crate::ledger::{Approval, Done, Fail, Ledger, OrderState};

/// Why a manager's approval was not accepted (with the HTTP status for the page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApproveError {
    /// HTTP status.
    pub http: u16,
    /// Message.
    pub message: String,
}

fn approve_error(http: u16, message: impl Into<String>) -> ApproveError {
    ApproveError {
        http,
        message: message.into(),
    }
}

impl Ledger {
    fn approval_index(&self, token: &str) -> Option<usize> {
        self.approvals.iter().position(|a| a.token == token)
    }

    /// The wire status of a challenge at `now_ms`.
    #[must_use]
    pub fn approval_status(m: &MerchantConfig, a: &Approval, now_ms: i64) -> ApprovalStatus {
        ApprovalStatus {
            token: a.token.clone(),
            status: a.state_at(now_ms),
            kind: a.kind,
            staff_name: a
                .staff_id
                .as_deref()
                .and_then(|s| m.staff_member(s))
                .map(|s| s.name.clone()),
            staff_id: a.staff_id.clone(),
            out_trade_no: a.out_trade_no.clone(),
            amount: a.amount,
            expires_at: a.expires_ms.div_euclid(1000),
        }
    }

    /// `x_create_approval`.
    pub fn create_approval(
        &mut self,
        req: &wire::CreateApprovalRequest,
        kind: ApprovalKind,
        device_id: &str,
        now_ms: i64,
        timings: &Timings,
        http_base: &str,
    ) -> Result<Done, Fail> {
        let deposit = req
            .out_trade_no
            .as_deref()
            .and_then(|no| self.deposits.find(no))
            .map(|i| &self.deposits.freezes[i]);
        if kind == ApprovalKind::Refund && deposit.is_some() {
            // A deposit's release is approved like a refund, for the deposit and the
            // amount it still holds.
            if deposit.is_some_and(|f| f.held() == 0) {
                return Err(Fail::failed("押金没有冻结金额, 不能授权解冻"));
            }
        } else if kind == ApprovalKind::Refund {
            let no = req.out_trade_no.as_deref().unwrap_or_default();
            let Some(i) = self.find_order(no) else {
                return Err(Fail::not_found("订单不存在 (ORDERNOTEXIST)"));
            };
            if self.orders[i].state != OrderState::Paid || self.orders[i].tombstone {
                return Err(Fail::failed("订单未支付, 不能授权退款"));
            }
        }
        let ttl = i64::try_from(timings.approval_ttl.as_millis()).unwrap_or(i64::MAX);
        let token = cloudpay_api::new_nonce().to_ascii_lowercase();
        let approval = Approval {
            token: token.clone(),
            kind,
            out_trade_no: req
                .out_trade_no
                .clone()
                .filter(|_| kind == ApprovalKind::Refund),
            amount: req.amount.filter(|_| kind == ApprovalKind::Refund),
            out_shop_id: req.pay_mch_key.out_shop_id.clone(),
            device_id: device_id.to_owned(),
            created_ms: now_ms,
            expires_ms: now_ms.saturating_add(ttl),
            state: ApprovalState::Pending,
            staff_id: None,
            approved_ms: None,
            used_ms: None,
        };
        let ticket = wire::ApprovalTicket {
            token: token.clone(),
            approve_url: format!("{http_base}/approve/{token}"),
            expires_at: approval.expires_ms.div_euclid(1000),
        };
        self.approvals.push(approval);
        Ok(Done {
            op: serde_json::to_value(ticket).unwrap_or(Value::Null),
            after: crate::ledger::After::Answer,
        })
    }

    /// `x_query_approval` (`consume == false`) or `x_consume_approval`, for the device that
    /// created the challenge.
    pub fn approval_for_device(
        &mut self,
        m: &MerchantConfig,
        token: &str,
        device_id: &str,
        now_ms: i64,
        consume: bool,
    ) -> Result<Done, Fail> {
        let Some(i) = self.approval_index(token) else {
            return Err(Fail::not_found("授权请求不存在 (no such approval)"));
        };
        let a = &mut self.approvals[i];
        if a.device_id != device_id {
            return Err(Fail::failed(
                "授权请求属于另一台设备 (approval of another device)",
            ));
        }
        if consume {
            match a.state_at(now_ms) {
                ApprovalState::Approved => {
                    a.state = ApprovalState::Used;
                    a.used_ms = Some(now_ms);
                }
                ApprovalState::Pending => {
                    return Err(Fail::failed("授权尚未批准 (not approved yet)"));
                }
                ApprovalState::Expired => return Err(Fail::failed("授权已过期 (expired)")),
                ApprovalState::Used => {
                    return Err(Fail::failed("授权已使用, 不能重复使用 (already used)"));
                }
            }
        }
        let status = Ledger::approval_status(m, a, now_ms);
        Ok(Done {
            op: serde_json::to_value(status).unwrap_or(Value::Null),
            after: crate::ledger::After::Answer,
        })
    }

    /// A manager approves (the web page or the control endpoint).
    pub fn approve(
        &mut self,
        m: &MerchantConfig,
        token: &str,
        staff_id: &str,
        now_ms: i64,
    ) -> Result<ApprovalStatus, ApproveError> {
        let Some(i) = self.approval_index(token) else {
            return Err(approve_error(404, "no such approval"));
        };
        let Some(staff) = m.staff_member(staff_id) else {
            return Err(approve_error(
                400,
                format!("unknown staff member {staff_id}"),
            ));
        };
        let a = &mut self.approvals[i];
        if a.kind == ApprovalKind::Refund && !staff.role.may_approve_refunds() {
            return Err(approve_error(
                403,
                format!(
                    "{} ({}) may not authorise refunds",
                    staff.name,
                    staff.role.label()
                ),
            ));
        }
        match a.state_at(now_ms) {
            ApprovalState::Pending => {
                a.state = ApprovalState::Approved;
                a.staff_id = Some(staff_id.to_owned());
                a.approved_ms = Some(now_ms);
            }
            ApprovalState::Approved if a.staff_id.as_deref() == Some(staff_id) => {}
            ApprovalState::Approved => {
                return Err(approve_error(409, "already approved by someone else"));
            }
            ApprovalState::Expired => return Err(approve_error(410, "the approval has expired")),
            ApprovalState::Used => return Err(approve_error(409, "the approval was already used")),
        }
        Ok(Ledger::approval_status(m, &self.approvals[i], now_ms))
    }

    /// JSON view of a challenge for the ledger listing.
    #[must_use]
    pub fn approval_view(m: &MerchantConfig, a: &Approval, now_ms: i64) -> Value {
        json!({
            "token": a.token,
            "kind": a.kind,
            "status": a.state_at(now_ms),
            "staff_id": a.staff_id,
            "staff_name": a.staff_id.as_deref().and_then(|s| m.staff_member(s)).map(|s| s.name.clone()),
            "out_trade_no": a.out_trade_no,
            "amount": a.amount,
            "device_id": a.device_id,
            "out_shop_id": a.out_shop_id,
            "created_at": a.created_ms.div_euclid(1000),
            "expires_at": a.expires_ms.div_euclid(1000),
        })
    }
}
