//! Pure mapping of wire replies to the domain's outcomes (protocol notes §4 and §6.2).
//!
//! The rule that runs through all of it: only a *verified* answer can say "paid" or "not
//! paid". No answer, status 3/103, and anything forged are "unknown" (query, then reverse);
//! anti-reentry (104 + internal 407) is its own outcome because that order must never be
//! reversed.

use cloudpos_domain::code::Wallet;
use cloudpos_domain::ports::{
    CloudOrder, CloudOrderState, CloudPage, CloudRefund, GatewayError, PayOutcome, QueryOutcome,
    RefundOutcome, ReverseOutcome,
};
use cloudpos_domain::{Money, RefundState, Timestamp};

use crate::client::{Reply, describe, wallet_of};
use crate::wire::{
    self, OrderContent, RefundOrderContent, ResponseHeader, ali_state, card_state, refund_state,
    status, wx_state,
};

/// The business state of an order, folded over the three wallets' enums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TradeState {
    /// Charged (possibly refunded since).
    Paid,
    /// The customer is confirming, or the system is still processing.
    Pending,
    /// Not charged.
    Failed(String),
    /// Reversed (撤单).
    Reversed,
    /// The platform has no such order.
    NotFound,
    /// No state we can act on (initial, missing, unknown value).
    Unknown(String),
}

/// Folds `order_content`'s wallet state into a [`TradeState`].
#[must_use]
pub fn trade_state(content: &OrderContent) -> TradeState {
    if let Some(wx) = &content.wxpay_order_content_ext {
        let desc = |default: &str| {
            wx.trade_state_desc
                .clone()
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        return match wx.current_trade_state {
            wx_state::SUCCESS
            | wx_state::UNIFIED_PAID
            | wx_state::REFUND
            | wx_state::DEPOSIT_UNFROZEN
            | wx_state::DEPOSIT_CONSUMED => TradeState::Paid,
            wx_state::USER_PAYING | wx_state::ACCEPTED | wx_state::WAITING => TradeState::Pending,
            wx_state::NOT_PAY => TradeState::Failed(desc("the customer did not pay (NOTPAY)")),
            wx_state::PAY_ERROR => TradeState::Failed(desc("payment error (PAYERROR)")),
            wx_state::CLOSED => TradeState::Failed(desc("order closed")),
            wx_state::VOID => TradeState::Failed(desc("void: not known upstream")),
            wx_state::REVOKED => TradeState::Reversed,
            other => TradeState::Unknown(format!("WeChat trade state {other}")),
        };
    }
    if let Some(ali) = &content.alipay_order_content_ext {
        return match ali.current_trade_state {
            ali_state::SUCCESS | ali_state::FINISHED => TradeState::Paid,
            ali_state::WAIT_BUYER_PAY => TradeState::Pending,
            ali_state::CLOSED => {
                // "Closed or refunded": a refunded order was paid (refunds are tracked
                // separately); otherwise it was closed unpaid or cancelled.
                let refunded = ali.refund_fee.unwrap_or(0) > 0
                    || content.refunded_fee.unwrap_or(0) > 0
                    || ali.gmt_refund.is_some();
                if refunded {
                    TradeState::Paid
                } else {
                    TradeState::Failed("Alipay trade closed (TRADE_CLOSED)".to_owned())
                }
            }
            ali_state::NOT_EXIST => TradeState::NotFound,
            other => TradeState::Unknown(format!("Alipay trade state {other}")),
        };
    }
    if let Some(card) = &content.card_order_content_ext {
        return match card.current_trade_state {
            card_state::SUCCESS | card_state::REFUNDED => TradeState::Paid,
            card_state::WAITING => TradeState::Pending,
            card_state::CLOSED => TradeState::Failed("member-card order closed".to_owned()),
            other => TradeState::Unknown(format!("member-card trade state {other}")),
        };
    }
    TradeState::Unknown("the answer carries no wallet state".to_owned())
}

fn millis(seconds: Option<i64>) -> Option<Timestamp> {
    seconds.filter(|s| *s > 0).map(Timestamp::from_unix_seconds)
}

pub(crate) fn rejected(header: &ResponseHeader) -> String {
    format!(
        "rejected by Cloud Pay (status {}): {}",
        header.status,
        describe(header)
    )
}

pub(crate) fn status_text(header: &ResponseHeader) -> String {
    format!("Cloud Pay status {}: {}", header.status, describe(header))
}

/// Whether a (verified) failure status says the order or refund does not exist.
#[must_use]
pub fn is_not_found(header: &ResponseHeader) -> bool {
    if !matches!(header.status, status::FAILED | status::FAILED_NEW_NUMBER) {
        return false;
    }
    if header.internal_status == Some(status::INTERNAL_NOT_FOUND) {
        return true;
    }
    let d = header.description.to_ascii_lowercase();
    header.description.contains("不存在")
        || d.contains("not exist")
        || d.contains("not found")
        || d.contains("ordernotexist")
}

/// `micro_pay` reply → [`PayOutcome`].
#[must_use]
pub fn pay_outcome(reply: Reply<wire::MicroPayResponse>) -> PayOutcome {
    match reply {
        Reply::Success { body, .. } => {
            let content = body.order_content;
            match trade_state(&content) {
                TradeState::Paid => PayOutcome::Paid {
                    transaction_id: content.transaction_id.filter(|t| !t.is_empty()),
                    paid_at: millis(content.time_end),
                },
                TradeState::Pending => PayOutcome::UserPaying,
                TradeState::Failed(reason) => PayOutcome::Failed { reason },
                TradeState::Reversed => PayOutcome::Failed {
                    reason: "the order was already reversed (撤单); use a new order number"
                        .to_owned(),
                },
                TradeState::NotFound => PayOutcome::Unknown {
                    reason: "micro_pay answered that the order does not exist".to_owned(),
                },
                TradeState::Unknown(reason) => PayOutcome::Unknown { reason },
            }
        }
        Reply::Status { header, .. } => match header.status {
            status::INTERNAL_ERROR | status::UNKNOWN => PayOutcome::Unknown {
                reason: status_text(&header),
            },
            status::REJECTED => PayOutcome::Failed {
                reason: rejected(&header),
            },
            status::FAILED if header.internal_status == Some(status::INTERNAL_ANTI_REENTRY) => {
                PayOutcome::DuplicateBlocked {
                    reason: describe(&header),
                }
            }
            status::FAILED | status::FAILED_NEW_NUMBER => PayOutcome::Failed {
                reason: describe(&header),
            },
            _ => PayOutcome::Unknown {
                reason: status_text(&header),
            },
        },
        Reply::Forged { reason } => PayOutcome::Unknown {
            reason: format!("forged or corrupted answer ignored: {reason}"),
        },
        Reply::NoAnswer { reason } => PayOutcome::Unknown { reason },
        Reply::NotSent { reason } => PayOutcome::NotSent { reason },
        Reply::Malformed { reason } => PayOutcome::Unknown {
            reason: format!("unreadable answer: {reason}"),
        },
    }
}

/// `query_order` reply → [`QueryOutcome`]. A failed query says nothing about the payment,
/// so every failure status except "no such order" is `Unknown`.
#[must_use]
pub fn query_outcome(reply: Reply<wire::QueryOrderResponse>) -> QueryOutcome {
    match reply {
        Reply::Success { body, .. } => {
            let content = body.order_content;
            match trade_state(&content) {
                TradeState::Paid => QueryOutcome::Paid {
                    transaction_id: content.transaction_id.filter(|t| !t.is_empty()),
                    paid_at: millis(content.time_end),
                },
                TradeState::Pending => QueryOutcome::UserPaying,
                TradeState::Failed(reason) => QueryOutcome::Failed { reason },
                TradeState::Reversed => QueryOutcome::Reversed,
                TradeState::NotFound => QueryOutcome::NotFound,
                TradeState::Unknown(reason) => QueryOutcome::Unknown { reason },
            }
        }
        Reply::Status {
            header,
            authenticated: true,
        } if is_not_found(&header) => QueryOutcome::NotFound,
        Reply::Status { header, .. } => QueryOutcome::Unknown {
            reason: if header.status == status::REJECTED {
                rejected(&header)
            } else {
                status_text(&header)
            },
        },
        Reply::Forged { reason } => QueryOutcome::Unknown {
            reason: format!("forged or corrupted answer ignored: {reason}"),
        },
        Reply::NoAnswer { reason } | Reply::NotSent { reason } => QueryOutcome::Unknown { reason },
        Reply::Malformed { reason } => QueryOutcome::Unknown {
            reason: format!("unreadable answer: {reason}"),
        },
    }
}

/// `reverse` reply → [`ReverseOutcome`].
#[must_use]
pub fn reverse_outcome(reply: Reply<wire::ReverseResponse>) -> ReverseOutcome {
    match reply {
        Reply::Success { .. } => ReverseOutcome::Reversed,
        Reply::Status { header, .. } => match header.status {
            status::INTERNAL_ERROR | status::UNKNOWN => ReverseOutcome::Retry {
                reason: status_text(&header),
            },
            status::REJECTED => ReverseOutcome::Refused {
                reason: rejected(&header),
            },
            // Cloud Pay does not know the order (yet): a micro_pay may still be in flight,
            // so ask again rather than give up; the caller's query settles it.
            _ if is_not_found(&header) => ReverseOutcome::Retry {
                reason: format!(
                    "Cloud Pay does not know the order yet: {}",
                    describe(&header)
                ),
            },
            // WeChat refuses to reverse while the customer is entering a password.
            _ if header.description.contains("USERPAYING")
                || header.description.contains("支付中") =>
            {
                ReverseOutcome::Retry {
                    reason: describe(&header),
                }
            }
            status::FAILED | status::FAILED_NEW_NUMBER => ReverseOutcome::Refused {
                reason: describe(&header),
            },
            _ => ReverseOutcome::Retry {
                reason: status_text(&header),
            },
        },
        Reply::Forged { reason } => ReverseOutcome::Retry {
            reason: format!("forged or corrupted answer ignored: {reason}"),
        },
        Reply::NoAnswer { reason } | Reply::NotSent { reason } => ReverseOutcome::Retry { reason },
        Reply::Malformed { reason } => ReverseOutcome::Retry {
            reason: format!("unreadable answer: {reason}"),
        },
    }
}

/// The refund state of a refund record.
#[must_use]
pub fn refund_outcome_of(content: &RefundOrderContent) -> RefundOutcome {
    let refund_id = content.refund_id.clone().filter(|r| !r.is_empty());
    let state = content
        .wxpay_refund_order_content_ext
        .as_ref()
        .map(|w| (w.state, "WeChat"))
        .or_else(|| {
            content
                .alipay_refund_order_content_ext
                .as_ref()
                .and_then(|a| a.refund_status)
                .map(|s| (s, "Alipay"))
        })
        .or_else(|| {
            content
                .card_refund_order_content_ext
                .as_ref()
                .map(|c| (c.state, "member card"))
        });
    match state {
        // Accepted without a state: accepted means processing (query for the result).
        None | Some((refund_state::INITIAL | refund_state::PROCESSING, _)) => {
            RefundOutcome::Processing { refund_id }
        }
        Some((refund_state::SUCCESS, _)) => RefundOutcome::Succeeded { refund_id },
        Some((refund_state::FAILED, _)) => RefundOutcome::Failed {
            reason: "the refund failed".to_owned(),
        },
        Some((refund_state::TRANSFERRED, "WeChat")) => RefundOutcome::Failed {
            reason: "refund to the customer's card failed; the money went back to the \
                     sub-merchant (转入代发): handle it manually"
                .to_owned(),
        },
        Some((refund_state::TRANSFERRED, _)) => RefundOutcome::Failed {
            reason: "the order does not exist".to_owned(),
        },
        Some((refund_state::VOID, _)) => RefundOutcome::Failed {
            reason: "the refund is void".to_owned(),
        },
        Some((other, wallet)) => RefundOutcome::Unknown {
            reason: format!("{wallet} refund state {other}"),
        },
    }
}

fn refund_failure<T>(reply: Reply<T>) -> RefundOutcome {
    match reply {
        Reply::Success { .. } => RefundOutcome::Unknown {
            reason: "unexpected answer".to_owned(),
        },
        Reply::Status { header, .. } => match header.status {
            status::REJECTED => RefundOutcome::Failed {
                reason: rejected(&header),
            },
            status::FAILED | status::FAILED_NEW_NUMBER => RefundOutcome::Failed {
                reason: describe(&header),
            },
            _ => RefundOutcome::Unknown {
                reason: status_text(&header),
            },
        },
        Reply::Forged { reason } => RefundOutcome::Unknown {
            reason: format!("forged or corrupted answer ignored: {reason}"),
        },
        Reply::NoAnswer { reason } => RefundOutcome::Unknown { reason },
        Reply::NotSent { reason } => RefundOutcome::NotSent { reason },
        Reply::Malformed { reason } => RefundOutcome::Unknown {
            reason: format!("unreadable answer: {reason}"),
        },
    }
}

/// `refund` reply → [`RefundOutcome`].
#[must_use]
pub fn refund_outcome(reply: Reply<wire::RefundResponse>) -> RefundOutcome {
    match reply {
        Reply::Success { body, .. } => refund_outcome_of(&body.refund_order_content),
        other => refund_failure(other),
    }
}

/// `query_refund_order` reply → [`RefundOutcome`] of refund `refund_no`.
#[must_use]
pub fn query_refund_outcome(
    reply: Reply<wire::QueryRefundOrderResponse>,
    refund_no: &str,
) -> RefundOutcome {
    match reply {
        Reply::Success { body, .. } => {
            match body
                .refund_order_content
                .iter()
                .find(|r| r.out_refund_no == refund_no)
            {
                Some(r) => refund_outcome_of(r),
                None => RefundOutcome::Failed {
                    reason: format!("Cloud Pay has no refund {refund_no}"),
                },
            }
        }
        Reply::Status {
            header,
            authenticated: true,
        } if is_not_found(&header) => RefundOutcome::Failed {
            reason: format!("Cloud Pay has no refund {refund_no}: {}", describe(&header)),
        },
        // A failed *query* says nothing about the refund.
        Reply::Status { header, .. } => RefundOutcome::Unknown {
            reason: status_text(&header),
        },
        other => refund_failure(other),
    }
}

/// The listing's state of a payment.
#[must_use]
pub fn cloud_order_state(content: &OrderContent) -> CloudOrderState {
    match trade_state(content) {
        TradeState::Paid => CloudOrderState::Paid,
        TradeState::Pending | TradeState::Unknown(_) => CloudOrderState::Pending,
        TradeState::Failed(_) | TradeState::NotFound => CloudOrderState::Failed,
        TradeState::Reversed => CloudOrderState::Reversed,
    }
}

fn wallet_from(content: &OrderContent, mch: Option<&wire::PayMchKey>) -> Option<Wallet> {
    mch.and_then(|m| m.pay_platform)
        .and_then(wallet_of)
        .or_else(|| {
            if content.wxpay_order_content_ext.is_some() {
                Some(Wallet::WeChat)
            } else if content.alipay_order_content_ext.is_some() {
                Some(Wallet::Alipay)
            } else if content.card_order_content_ext.is_some() {
                Some(Wallet::MemberCard)
            } else {
                None
            }
        })
}

fn refund_state_of(content: &RefundOrderContent) -> RefundState {
    match refund_outcome_of(content) {
        RefundOutcome::Succeeded { .. } => RefundState::Succeeded,
        RefundOutcome::Processing { .. } | RefundOutcome::Unknown { .. } => RefundState::Processing,
        RefundOutcome::Failed { .. } | RefundOutcome::NotSent { .. } => RefundState::Failed,
    }
}

/// `client_order_detail` page → [`CloudPage`].
pub fn cloud_page(reply: Reply<wire::OrderDetailQuery>) -> Result<CloudPage, GatewayError> {
    let query = reply.into_result()?;
    let mut page = CloudPage {
        total: query.total_count,
        ..CloudPage::default()
    };
    for detail in query.order_details {
        let shop = detail
            .shop_info
            .as_ref()
            .and_then(|s| s.out_shop_id.clone());
        if let Some(order) = detail.receipt.order {
            let c = &order.order_content;
            page.orders.push(CloudOrder {
                no: c.out_trade_no.clone(),
                wallet: wallet_from(c, order.order_mch.as_ref()),
                amount: Money::from_fen(c.total_fee),
                refunded: Money::from_fen(c.refunded_fee.unwrap_or(0)),
                state: cloud_order_state(c),
                store_id: order
                    .order_mch
                    .as_ref()
                    .map(|m| m.out_shop_id.clone())
                    .filter(|s| !s.is_empty())
                    .or_else(|| shop.clone())
                    .unwrap_or_default(),
                device_id: order
                    .order_client
                    .as_ref()
                    .and_then(|oc| oc.device_id.clone())
                    .unwrap_or_default(),
                machine_no: order
                    .order_client
                    .as_ref()
                    .and_then(|oc| oc.machine_no.clone()),
                transaction_id: c.transaction_id.clone().filter(|t| !t.is_empty()),
                created_at: Timestamp::from_unix_seconds(c.create_time.unwrap_or(0)),
                paid_at: c
                    .time_end
                    .filter(|&t| t > 0)
                    .map(Timestamp::from_unix_seconds),
                one_code: c.trade_type == Some(wire::trade_type::ONE_CODE),
            });
        }
        if let Some(refund) = detail.receipt.refund_order {
            let c = &refund.refund_order_content;
            page.refunds.push(CloudRefund {
                no: c.out_refund_no.clone(),
                order_no: c.out_trade_no.clone(),
                amount: Money::from_fen(c.refund_fee),
                state: refund_state_of(c),
                device_id: refund
                    .order_client
                    .as_ref()
                    .and_then(|oc| oc.device_id.clone())
                    .unwrap_or_default(),
                created_at: Timestamp::from_unix_seconds(c.create_time.unwrap_or(0)),
            });
        }
    }
    Ok(page)
}
