//! Shared by the `cloudpay_*` targets: parse one response body as every operation's
//! answer, map it to the domain outcome, and check the rule the whole client rests on —
//! only a verified answer (status 0, MAC checked) can say "paid", "user paying",
//! "reversed" or "refund accepted".

use cloudpay_api::mapping::{
    cloud_page, pay_outcome, query_outcome, query_refund_outcome, refund_outcome,
    reverse_outcome,
};
use cloudpay_api::wire::{self, status};
use cloudpay_api::{AuthenKey, Reply, parse_reply};
use cloudpos_domain::ports::{PayOutcome, QueryOutcome, RefundOutcome, ReverseOutcome};

/// The `authen_key` of the recorded exchanges in `fixtures/cloudpay/exchanges`, so the
/// recorded bodies in the corpus verify and reach the inner parsing.
pub const FIXTURE_KEY: &str = "CloudPOSFixtureAuthenKey20240601";

/// What kind of reply it was, kept before the reply is consumed by a mapping function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// `Reply::Success`.
    pub verified: bool,
    /// `Reply::Status { authenticated: true, .. }`.
    pub authenticated_status: bool,
    /// The status of a `Reply::Status`.
    pub status: Option<i64>,
}

/// Checks the shape `parse_reply` promises and returns the reply's [`Kind`].
pub fn kind<T>(reply: &Reply<T>) -> Kind {
    match reply {
        Reply::Success { header, .. } => {
            assert_eq!(header.status, status::SUCCESS, "Success with a non-zero status");
            Kind {
                verified: true,
                authenticated_status: false,
                status: None,
            }
        }
        Reply::Status {
            header,
            authenticated,
        } => {
            if *authenticated {
                assert_ne!(header.status, status::SUCCESS, "a verified 0 is a Success");
            } else {
                assert!(
                    !status::requires_mac(header.status),
                    "status {} accepted without a MAC",
                    header.status
                );
            }
            Kind {
                verified: false,
                authenticated_status: *authenticated,
                status: Some(header.status),
            }
        }
        Reply::NotSent { .. } => panic!("parse_reply never answers NotSent"),
        Reply::Forged { reason } | Reply::NoAnswer { reason } | Reply::Malformed { reason } => {
            assert!(!reason.is_empty());
            Kind {
                verified: false,
                authenticated_status: false,
                status: None,
            }
        }
    }
}

/// Parses `body` as the answer of every operation, maps it, and checks the outcomes.
pub fn exercise(key: &AuthenKey, body: &str) {
    // micro_pay
    let reply = parse_reply::<wire::MicroPayResponse>(key, "micro_pay", body);
    let k = kind(&reply);
    match pay_outcome(reply) {
        PayOutcome::Paid { .. } | PayOutcome::UserPaying => assert!(k.verified, "{k:?}"),
        PayOutcome::DuplicateBlocked { .. } => assert!(k.authenticated_status, "{k:?}"),
        // 101 is trusted without a MAC by design (see the crate docs); anything else that
        // says "not paid" must be verified.
        PayOutcome::Failed { .. } => assert!(
            k.verified || k.authenticated_status || k.status == Some(status::REJECTED),
            "{k:?}"
        ),
        PayOutcome::NotSent { .. } => panic!("NotSent from a received body"),
        PayOutcome::Unknown { .. } => {}
    }

    // query_order
    let reply = parse_reply::<wire::QueryOrderResponse>(key, "query_order", body);
    let k = kind(&reply);
    match query_outcome(reply) {
        QueryOutcome::Paid { .. }
        | QueryOutcome::UserPaying
        | QueryOutcome::Reversed
        | QueryOutcome::Failed { .. } => assert!(k.verified, "{k:?}"),
        QueryOutcome::NotFound => assert!(k.verified || k.authenticated_status, "{k:?}"),
        QueryOutcome::Unknown { .. } => {}
    }

    // reverse
    let reply = parse_reply::<wire::ReverseResponse>(key, "reverse", body);
    let k = kind(&reply);
    match reverse_outcome(reply) {
        ReverseOutcome::Reversed => assert!(k.verified, "{k:?}"),
        ReverseOutcome::Refused { .. } => assert!(
            k.authenticated_status || k.status == Some(status::REJECTED),
            "{k:?}"
        ),
        ReverseOutcome::Retry { .. } => {}
    }

    // refund
    let reply = parse_reply::<wire::RefundResponse>(key, "refund", body);
    let k = kind(&reply);
    check_refund(refund_outcome(reply), k);

    // query_refund_order, for a refund number in the fixtures and for an empty one
    for refund_no in ["sz010002cz1156680R001", ""] {
        let reply = parse_reply::<wire::QueryRefundOrderResponse>(key, "query_refund_order", body);
        let k = kind(&reply);
        check_refund(query_refund_outcome(reply, refund_no), k);
    }

    // client_order_detail
    let reply = parse_reply::<wire::OrderDetailQuery>(key, "order_detail_query", body);
    let k = kind(&reply);
    if let Ok(page) = cloud_page(reply) {
        assert!(k.verified, "{k:?}");
        for order in &page.orders {
            let _ = (order.amount.to_string(), order.refunded.to_string());
        }
        for refund in &page.refunds {
            let _ = refund.amount.to_string();
        }
    }

    // The calls that only need a Result.
    let reply = parse_reply::<wire::CloseOrderResponse>(key, "close_order", body);
    let k = kind(&reply);
    assert_eq!(reply.into_result().is_ok(), k.verified);
    let reply = parse_reply::<wire::ApprovalTicket>(key, "x_create_approval", body);
    let k = kind(&reply);
    assert_eq!(reply.into_result().is_ok(), k.verified);
    let reply = parse_reply::<wire::ApprovalStatus>(key, "x_query_approval", body);
    let k = kind(&reply);
    assert_eq!(reply.into_result().is_ok(), k.verified);

    // ping's bare answer.
    let _ = serde_json::from_str::<wire::PingResponse>(body);
}

fn check_refund(outcome: RefundOutcome, k: Kind) {
    match outcome {
        RefundOutcome::Succeeded { .. } | RefundOutcome::Processing { .. } => {
            assert!(k.verified, "{k:?}");
        }
        RefundOutcome::Failed { .. } => assert!(
            k.verified || k.authenticated_status || k.status == Some(status::REJECTED),
            "{k:?}"
        ),
        RefundOutcome::NotSent { .. } => panic!("NotSent from a received body"),
        RefundOutcome::Unknown { .. } => {}
    }
}
