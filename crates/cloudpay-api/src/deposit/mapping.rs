//! Pure mapping of deposit replies to the domain's outcomes (protocol notes §11.6, §11.7,
//! §11.9), with the payment calls' rule: only a verified answer can say "frozen", "taken"
//! or "released"; no answer, status 3/103 and anything forged are "unknown".
//!
//! | reply | `micro_freeze` | `query_freeze_order` | `deposit_consume` | `unfreeze` |
//! |---|---|---|---|---|
//! | transport error, timeout, 3, 103, forged, unreadable | Unknown | Unknown | Unknown | Unknown |
//! | never sent | NotSent | Unknown | NotSent | NotSent |
//! | 101 | Failed | Unknown | Refused | Failed |
//! | 102, 104 (also 407) | Failed | NotFound if "no such freeze", else Unknown | Refused | Failed |
//! | 0, Wx 2 / Ali 2 | Frozen | Found (frozen) | — | — |
//! | 0, Wx 1/3 / Ali 1 | UserPaying | Found (pending) | — | — |
//! | 0, Wx 4/6/7 / Ali 4, or Ali 3 never frozen | Failed | Found (failed) | — | — |
//! | 0, Wx 5 / Ali 3 after frozen | Unknown | Found (finished) | — | — |
//! | 0, consume order Wx 14/2 / Ali 2 | — | — | Consumed | — |
//! | 0, release state 2 · 1/4 · 3/5 | — | — | — | Unfrozen · Processing · Failed |

use cloudpos_domain::code::Wallet;
use cloudpos_domain::ports::{
    CloudDepositPage, CloudFreeze, CloudFreezeState, CloudUnfreeze, ConsumeOutcome, FreezeOutcome,
    FreezeQueryOutcome, GatewayError, UnfreezeOutcome,
};
use cloudpos_domain::{Money, Timestamp};

use super::wire::{
    self, FreezeListRow, FreezeOrderContent, UnfreezeListRow, UnfreezeOrderContent,
    ali_freeze_state, unfreeze_state, wx_freeze_state,
};
use crate::client::{Reply, describe};
use crate::mapping::{TradeState, is_not_found, rejected, status_text, trade_state};
use crate::wire::status;

fn seconds(s: Option<i64>) -> Option<Timestamp> {
    s.filter(|s| *s > 0).map(Timestamp::from_unix_seconds)
}

/// Folds a freeze's wallet state (with whether it was ever frozen) into a
/// [`CloudFreezeState`]; `None` for a state nobody can act on.
fn freeze_state(wx: Option<i32>, ali: Option<i32>, was_frozen: bool) -> Option<CloudFreezeState> {
    if let Some(s) = wx {
        return match s {
            wx_freeze_state::FROZEN => Some(CloudFreezeState::Frozen),
            wx_freeze_state::INITIAL | wx_freeze_state::USER_PAYING => {
                Some(CloudFreezeState::Pending)
            }
            wx_freeze_state::FINISHED => Some(CloudFreezeState::Finished),
            wx_freeze_state::NOT_PAY | wx_freeze_state::PAY_ERROR | wx_freeze_state::VOID => {
                Some(CloudFreezeState::Failed)
            }
            _ => None,
        };
    }
    if let Some(s) = ali {
        return match s {
            ali_freeze_state::FROZEN => Some(CloudFreezeState::Frozen),
            ali_freeze_state::INITIAL => Some(CloudFreezeState::Pending),
            ali_freeze_state::CLOSED if was_frozen => Some(CloudFreezeState::Finished),
            ali_freeze_state::CLOSED | ali_freeze_state::NOT_EXIST => {
                Some(CloudFreezeState::Failed)
            }
            _ => None,
        };
    }
    None
}

fn state_text(wx: Option<i32>, ali: Option<i32>) -> String {
    match (wx, ali) {
        (Some(s), _) => format!("WeChat freeze state {s}"),
        (None, Some(s)) => format!("Alipay freeze state {s}"),
        (None, None) => "the answer carries no wallet state".to_owned(),
    }
}

/// A freeze record → [`CloudFreeze`] (`None` when its state cannot be read).
#[must_use]
pub fn cloud_freeze(
    c: &FreezeOrderContent,
    store_id: &str,
    device_id: &str,
) -> Option<CloudFreeze> {
    let wx = c
        .wxpay_freeze_order_content_ext
        .as_ref()
        .map(|w| w.current_trade_state);
    let ali = c
        .alipay_freeze_order_content_ext
        .as_ref()
        .map(|a| a.current_trade_state);
    let was_frozen = c.time_end.is_some_and(|t| t > 0) || c.cash_fee.unwrap_or(0) > 0;
    let state = freeze_state(wx, ali, was_frozen)?;
    Some(CloudFreeze {
        no: c.out_freeze_no.clone(),
        wallet: if wx.is_some() {
            Some(Wallet::WeChat)
        } else if ali.is_some() {
            Some(Wallet::Alipay)
        } else {
            None
        },
        state,
        frozen: Money::from_fen(c.freeze_fee),
        consumed: Money::from_fen(c.total_consume_fee.unwrap_or(0)),
        released: Money::from_fen(c.total_manual_unfreeze_fee.unwrap_or(0)),
        auto_released: Money::from_fen(c.total_auto_unfreeze_fee.unwrap_or(0)),
        refunded: Money::from_fen(c.total_refund_fee.unwrap_or(0)),
        freeze_id: c.freeze_id.clone().filter(|f| !f.is_empty()),
        store_id: store_id.to_owned(),
        device_id: device_id.to_owned(),
        created_at: Timestamp::from_unix_seconds(c.create_time.unwrap_or(0)),
        frozen_at: seconds(c.time_end),
        reason: c
            .wxpay_freeze_order_content_ext
            .as_ref()
            .and_then(|w| w.trade_state_desc.clone())
            .filter(|d| !d.is_empty()),
    })
}

fn unknown_of<T>(reply: Reply<T>) -> String {
    match reply {
        Reply::Success { .. } => "unexpected answer".to_owned(),
        Reply::Status { header, .. } => status_text(&header),
        Reply::Forged { reason } => format!("forged or corrupted answer ignored: {reason}"),
        Reply::NoAnswer { reason } | Reply::NotSent { reason } => reason,
        Reply::Malformed { reason } => format!("unreadable answer: {reason}"),
    }
}

/// `micro_freeze` reply → [`FreezeOutcome`].
#[must_use]
pub fn freeze_outcome(reply: Reply<wire::MicroFreezeResponse>) -> FreezeOutcome {
    match reply {
        Reply::Success { body, .. } => {
            let c = body.freeze_order_content;
            match cloud_freeze(&c, "", "") {
                Some(f) => match f.state {
                    CloudFreezeState::Frozen => FreezeOutcome::Frozen {
                        freeze_id: f.freeze_id,
                        frozen_at: f.frozen_at,
                    },
                    CloudFreezeState::Pending => FreezeOutcome::UserPaying,
                    CloudFreezeState::Failed => FreezeOutcome::Failed {
                        reason: f
                            .reason
                            .unwrap_or_else(|| "the wallet did not freeze the amount".to_owned()),
                    },
                    CloudFreezeState::Finished => FreezeOutcome::Unknown {
                        reason: "micro_freeze answered that the freeze is already finished"
                            .to_owned(),
                    },
                },
                None => FreezeOutcome::Unknown {
                    reason: state_text(
                        c.wxpay_freeze_order_content_ext
                            .as_ref()
                            .map(|w| w.current_trade_state),
                        c.alipay_freeze_order_content_ext
                            .as_ref()
                            .map(|a| a.current_trade_state),
                    ),
                },
            }
        }
        Reply::Status { header, .. } => match header.status {
            status::REJECTED => FreezeOutcome::Failed {
                reason: rejected(&header),
            },
            status::FAILED | status::FAILED_NEW_NUMBER => FreezeOutcome::Failed {
                reason: describe(&header),
            },
            _ => FreezeOutcome::Unknown {
                reason: status_text(&header),
            },
        },
        Reply::NotSent { reason } => FreezeOutcome::NotSent { reason },
        other => FreezeOutcome::Unknown {
            reason: unknown_of(other),
        },
    }
}

/// `query_freeze_order` reply → [`FreezeQueryOutcome`]. A failed query says nothing about
/// the freeze, so every failure but "no such freeze" is `Unknown`.
#[must_use]
pub fn freeze_query_outcome(
    reply: Reply<wire::QueryFreezeOrderResponse>,
    store_id: &str,
    device_id: &str,
) -> FreezeQueryOutcome {
    match reply {
        Reply::Success { body, .. } => {
            let device = body
                .order_client
                .as_ref()
                .and_then(|c| c.device_id.clone())
                .unwrap_or_else(|| device_id.to_owned());
            let store = body
                .pay_mch_key
                .as_ref()
                .map(|k| k.out_shop_id.clone())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| store_id.to_owned());
            match cloud_freeze(&body.freeze_order_content, &store, &device) {
                Some(f) => FreezeQueryOutcome::Found(Box::new(f)),
                None => FreezeQueryOutcome::Unknown {
                    reason: "the freeze's state cannot be read".to_owned(),
                },
            }
        }
        Reply::Status {
            header,
            authenticated: true,
        } if is_not_found(&header) => FreezeQueryOutcome::NotFound,
        other => FreezeQueryOutcome::Unknown {
            reason: unknown_of(other),
        },
    }
}

/// `deposit_consume` reply → [`ConsumeOutcome`].
#[must_use]
pub fn consume_outcome(reply: Reply<wire::DepositConsumeResponse>) -> ConsumeOutcome {
    match reply {
        Reply::Success { body, .. } => {
            let c = body.order_content;
            match trade_state(&c.order) {
                TradeState::Paid => ConsumeOutcome::Consumed {
                    transaction_id: c.order.transaction_id.clone().filter(|t| !t.is_empty()),
                    paid_at: seconds(c.order.time_end),
                    released: c.manual_unfreeze_fee.map(Money::from_fen),
                },
                TradeState::Failed(reason) => ConsumeOutcome::Refused { reason },
                other => ConsumeOutcome::Unknown {
                    reason: format!("consume order state {other:?}"),
                },
            }
        }
        Reply::Status { header, .. } => match header.status {
            status::REJECTED => ConsumeOutcome::Refused {
                reason: rejected(&header),
            },
            status::FAILED | status::FAILED_NEW_NUMBER => ConsumeOutcome::Refused {
                reason: describe(&header),
            },
            _ => ConsumeOutcome::Unknown {
                reason: status_text(&header),
            },
        },
        Reply::NotSent { reason } => ConsumeOutcome::NotSent { reason },
        other => ConsumeOutcome::Unknown {
            reason: unknown_of(other),
        },
    }
}

/// The state of a release record.
#[must_use]
pub fn unfreeze_outcome_of(c: &UnfreezeOrderContent) -> UnfreezeOutcome {
    let state = c
        .wxpay_unfreeze_order_content_ext
        .as_ref()
        .map(|w| w.current_trade_state)
        .or_else(|| {
            c.alipay_unfreeze_order_content_ext
                .as_ref()
                .map(|a| a.current_trade_state)
        });
    match state {
        Some(unfreeze_state::SUCCESS) => UnfreezeOutcome::Unfrozen {
            unfreeze_id: c.unfreeze_id.clone().filter(|u| !u.is_empty()),
        },
        None | Some(unfreeze_state::INITIAL | unfreeze_state::NOT_UPSTREAM) => {
            UnfreezeOutcome::Processing
        }
        Some(unfreeze_state::FAILED | unfreeze_state::NOT_EXIST) => UnfreezeOutcome::Failed {
            reason: "the release failed".to_owned(),
        },
        Some(other) => UnfreezeOutcome::Unknown {
            reason: format!("release state {other}"),
        },
    }
}

/// `unfreeze` reply → [`UnfreezeOutcome`].
#[must_use]
pub fn unfreeze_outcome(reply: Reply<wire::UnfreezeResponse>) -> UnfreezeOutcome {
    match reply {
        Reply::Success { body, .. } => unfreeze_outcome_of(&body.unfreeze_order_content),
        Reply::Status { header, .. } => match header.status {
            status::REJECTED => UnfreezeOutcome::Failed {
                reason: rejected(&header),
            },
            status::FAILED | status::FAILED_NEW_NUMBER => UnfreezeOutcome::Failed {
                reason: describe(&header),
            },
            _ => UnfreezeOutcome::Unknown {
                reason: status_text(&header),
            },
        },
        Reply::NotSent { reason } => UnfreezeOutcome::NotSent { reason },
        other => UnfreezeOutcome::Unknown {
            reason: unknown_of(other),
        },
    }
}

/// `query_unfreeze_order` reply → [`UnfreezeOutcome`] of release `unfreeze_no`.
#[must_use]
pub fn query_unfreeze_outcome(
    reply: Reply<wire::QueryUnfreezeOrderResponse>,
    unfreeze_no: &str,
) -> UnfreezeOutcome {
    match reply {
        Reply::Success { body, .. } => match body
            .unfreeze_order_content
            .iter()
            .find(|u| u.out_unfreeze_no == unfreeze_no)
        {
            Some(u) => unfreeze_outcome_of(u),
            None => UnfreezeOutcome::NotFound,
        },
        Reply::Status {
            header,
            authenticated: true,
        } if is_not_found(&header) => UnfreezeOutcome::NotFound,
        other => UnfreezeOutcome::Unknown {
            reason: unknown_of(other),
        },
    }
}

fn list_freeze(row: &FreezeListRow) -> Option<CloudFreeze> {
    let was_frozen = row.time_end.is_some_and(|t| t > 0);
    let state = freeze_state(
        row.wxpay_current_trade_state,
        row.alipay_current_trade_state,
        was_frozen,
    )?;
    Some(CloudFreeze {
        no: row.out_freeze_no.clone(),
        wallet: if row.wxpay_current_trade_state.is_some() {
            Some(Wallet::WeChat)
        } else if row.alipay_current_trade_state.is_some() {
            Some(Wallet::Alipay)
        } else {
            None
        },
        state,
        frozen: Money::from_fen(row.freeze_fee),
        consumed: Money::from_fen(row.total_consume_fee),
        released: Money::from_fen(row.total_manual_unfreeze_fee),
        auto_released: Money::from_fen(row.total_auto_unfreeze_fee),
        refunded: Money::from_fen(row.total_refund_fee),
        freeze_id: row.freeze_id.clone().filter(|f| !f.is_empty()),
        store_id: row.out_shop_id.clone().unwrap_or_default(),
        device_id: row.device_id.clone().unwrap_or_default(),
        created_at: Timestamp::from_unix_seconds(row.create_time),
        frozen_at: seconds(row.time_end),
        reason: None,
    })
}

fn list_unfreeze(row: &UnfreezeListRow) -> CloudUnfreeze {
    let state = row
        .wxpay_current_trade_state
        .or(row.alipay_current_trade_state);
    CloudUnfreeze {
        no: row.out_unfreeze_no.clone(),
        freeze_no: row.out_freeze_no.clone(),
        amount: Money::from_fen(row.unfreeze_fee),
        succeeded: state == Some(unfreeze_state::SUCCESS),
        store_id: row.out_shop_id.clone().unwrap_or_default(),
        device_id: row.device_id.clone().unwrap_or_default(),
        created_at: Timestamp::from_unix_seconds(row.create_time),
    }
}

/// `query_order_list` page → [`CloudDepositPage`]. A freeze whose state cannot be read is
/// listed as pending (it is then compared as in flight, never as settled).
pub fn deposit_page(
    reply: Reply<wire::QueryOrderListResponse>,
) -> Result<CloudDepositPage, GatewayError> {
    let list = reply.into_result()?;
    let mut page = CloudDepositPage {
        total: list.total_count,
        ..CloudDepositPage::default()
    };
    for detail in list.order_details {
        if let Some(row) = &detail.freeze_order {
            page.freezes
                .push(list_freeze(row).unwrap_or_else(|| CloudFreeze {
                    no: row.out_freeze_no.clone(),
                    wallet: None,
                    state: CloudFreezeState::Pending,
                    frozen: Money::from_fen(row.freeze_fee),
                    consumed: Money::from_fen(row.total_consume_fee),
                    released: Money::from_fen(row.total_manual_unfreeze_fee),
                    auto_released: Money::from_fen(row.total_auto_unfreeze_fee),
                    refunded: Money::from_fen(row.total_refund_fee),
                    freeze_id: row.freeze_id.clone(),
                    store_id: row.out_shop_id.clone().unwrap_or_default(),
                    device_id: row.device_id.clone().unwrap_or_default(),
                    created_at: Timestamp::from_unix_seconds(row.create_time),
                    frozen_at: seconds(row.time_end),
                    reason: None,
                }));
        }
        if let Some(row) = &detail.unfreeze_order {
            page.unfreezes.push(list_unfreeze(row));
        }
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ResponseHeader;

    fn ok<T>(body: T) -> Reply<T> {
        Reply::Success {
            header: ResponseHeader::default(),
            body,
        }
    }

    fn status_reply<T>(code: i64, description: &str, internal: Option<i64>) -> Reply<T> {
        Reply::Status {
            header: ResponseHeader {
                status: code,
                description: description.to_owned(),
                log_id: None,
                internal_status: internal,
            },
            authenticated: !matches!(code, 3 | 101),
        }
    }

    fn wx_freeze(state: i32, time_end: Option<i64>) -> FreezeOrderContent {
        FreezeOrderContent {
            out_freeze_no: "f1".into(),
            freeze_id: Some("auth".into()),
            freeze_fee: 1_000,
            time_end,
            create_time: Some(100),
            wxpay_freeze_order_content_ext: Some(wire::WxpayFreezeOrderContentExt {
                current_trade_state: state,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn freeze_answers_map_like_payments() {
        let f = |state, end| {
            freeze_outcome(ok(wire::MicroFreezeResponse {
                freeze_order_content: wx_freeze(state, end),
                ..Default::default()
            }))
        };
        assert_eq!(
            f(2, Some(101)),
            FreezeOutcome::Frozen {
                freeze_id: Some("auth".into()),
                frozen_at: Some(Timestamp::from_unix_seconds(101))
            }
        );
        assert_eq!(f(3, None), FreezeOutcome::UserPaying);
        assert_eq!(f(1, None), FreezeOutcome::UserPaying);
        for failed in [4, 6, 7] {
            assert!(matches!(f(failed, None), FreezeOutcome::Failed { .. }));
        }
        assert!(matches!(f(5, Some(101)), FreezeOutcome::Unknown { .. }));
        assert!(matches!(f(99, None), FreezeOutcome::Unknown { .. }));
        for (code, kind) in [
            (3, "unknown"),
            (103, "unknown"),
            (101, "failed"),
            (102, "failed"),
            (104, "failed"),
        ] {
            let o = freeze_outcome(status_reply(code, "余额不足", None));
            let got = match o {
                FreezeOutcome::Unknown { .. } => "unknown",
                FreezeOutcome::Failed { .. } => "failed",
                _ => "other",
            };
            assert_eq!(got, kind, "status {code}");
        }
        assert!(matches!(
            freeze_outcome(Reply::NotSent {
                reason: "refused".into()
            }),
            FreezeOutcome::NotSent { .. }
        ));
        assert!(matches!(
            freeze_outcome(Reply::NoAnswer {
                reason: "timeout".into()
            }),
            FreezeOutcome::Unknown { .. }
        ));
        assert!(matches!(
            freeze_outcome(Reply::Forged {
                reason: "mac".into()
            }),
            FreezeOutcome::Unknown { .. }
        ));
    }

    #[test]
    fn alipay_closed_is_finished_only_after_a_freeze() {
        let ali = |end| FreezeOrderContent {
            freeze_fee: 5,
            time_end: end,
            alipay_freeze_order_content_ext: Some(wire::AlipayFreezeOrderContentExt {
                current_trade_state: ali_freeze_state::CLOSED,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            cloud_freeze(&ali(Some(7)), "s", "d").unwrap().state,
            CloudFreezeState::Finished
        );
        assert_eq!(
            cloud_freeze(&ali(None), "s", "d").unwrap().state,
            CloudFreezeState::Failed
        );
    }

    #[test]
    fn a_failed_query_says_nothing_but_not_found() {
        assert_eq!(
            freeze_query_outcome(status_reply(104, "押金冻结单不存在", Some(2004)), "s", "d"),
            FreezeQueryOutcome::NotFound
        );
        assert!(matches!(
            freeze_query_outcome(status_reply(104, "系统错误", None), "s", "d"),
            FreezeQueryOutcome::Unknown { .. }
        ));
        let found = freeze_query_outcome(
            ok(wire::QueryFreezeOrderResponse {
                freeze_order_content: FreezeOrderContent {
                    total_consume_fee: Some(300),
                    total_manual_unfreeze_fee: Some(700),
                    ..wx_freeze(5, Some(101))
                },
                ..Default::default()
            }),
            "s",
            "d",
        );
        let FreezeQueryOutcome::Found(f) = found else {
            panic!("{found:?}")
        };
        assert_eq!(f.state, CloudFreezeState::Finished);
        assert_eq!((f.consumed.fen(), f.released.fen()), (300, 700));
        assert_eq!(f.held(), Money::ZERO);
    }

    #[test]
    fn consume_and_release_answers() {
        let consumed = consume_outcome(ok(wire::DepositConsumeResponse {
            order_content: wire::ConsumeOrderContent {
                order: crate::wire::OrderContent {
                    out_trade_no: "o".into(),
                    transaction_id: Some("t".into()),
                    time_end: Some(200),
                    total_fee: 100,
                    wxpay_order_content_ext: Some(crate::wire::WxpayOrderContentExt {
                        current_trade_state: crate::wire::wx_state::DEPOSIT_CONSUMED,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                manual_unfreeze_fee: Some(900),
                ..Default::default()
            },
            ..Default::default()
        }));
        assert_eq!(
            consumed,
            ConsumeOutcome::Consumed {
                transaction_id: Some("t".into()),
                paid_at: Some(Timestamp::from_unix_seconds(200)),
                released: Some(Money::from_fen(900)),
            }
        );
        assert!(matches!(
            consume_outcome(status_reply(104, "消费金额超过冻结金额", None)),
            ConsumeOutcome::Refused { .. }
        ));
        assert!(matches!(
            consume_outcome(status_reply(103, "busy", None)),
            ConsumeOutcome::Unknown { .. }
        ));
        let release = |state| {
            unfreeze_outcome(ok(wire::UnfreezeResponse {
                unfreeze_order_content: UnfreezeOrderContent {
                    out_unfreeze_no: "u".into(),
                    wxpay_unfreeze_order_content_ext: Some(wire::WxpayUnfreezeOrderContentExt {
                        current_trade_state: state,
                    }),
                    ..Default::default()
                },
                ..Default::default()
            }))
        };
        assert!(matches!(release(2), UnfreezeOutcome::Unfrozen { .. }));
        assert_eq!(release(4), UnfreezeOutcome::Processing);
        assert!(matches!(release(3), UnfreezeOutcome::Failed { .. }));
        assert!(matches!(
            unfreeze_outcome(status_reply(104, "无退款权限", None)),
            UnfreezeOutcome::Failed { .. }
        ));
        assert_eq!(
            query_unfreeze_outcome(ok(wire::QueryUnfreezeOrderResponse::default()), "u"),
            UnfreezeOutcome::NotFound
        );
    }
}
