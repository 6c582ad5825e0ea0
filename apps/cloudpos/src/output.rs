//! How results are printed: one JSON object (a contract) or a short human line.

use cloudpos_domain::order::Order;
use cloudpos_domain::refund::Refund;
use serde_json::{Value, json};

/// The JSON object of an order. At least `out_trade_no`, `state`, `wallet`, `amount_fen`,
/// `refunded_fen`, `created_at` (a contract); more fields may be added.
pub fn order_json(o: &Order, offset: i32) -> Value {
    json!({
        "out_trade_no": o.no.as_str(),
        "state": o.status().as_str(),
        "payment_state": o.state.as_str(),
        "wallet": o.method.as_str(),
        "amount_fen": o.amount.fen(),
        "amount": o.amount.to_string(),
        "refunded_fen": o.refunded.fen(),
        "created_at": o.created_at.rfc3339(offset),
        "paid_at": o.paid_at.map(|t| t.rfc3339(offset)),
        "transaction_id": o.transaction_id,
        "reason": o.reason,
        "remark": o.remark,
        "clerk_id": o.clerk_id.as_str(),
        "store_id": o.store_id,
        "device_id": o.device_id,
        "code": o.code_masked,
    })
}

/// The JSON object of a refund result: the order's fields plus the refund's.
pub fn refund_json(r: &Refund, o: &Order, offset: i32) -> Value {
    let mut v = order_json(o, offset);
    if let Value::Object(map) = &mut v {
        map.insert("out_refund_no".into(), json!(r.no.as_str()));
        map.insert("refund_state".into(), json!(r.state.as_str()));
        map.insert("refund_fen".into(), json!(r.amount.fen()));
        map.insert("refund_reason".into(), json!(r.reason));
        map.insert("refund_failure".into(), json!(r.failure));
        map.insert(
            "authorized_by".into(),
            json!(
                r.authorized_by
                    .as_ref()
                    .map(cloudpos_domain::clerk::ClerkId::as_str)
            ),
        );
        map.insert(
            "refund_created_at".into(),
            json!(r.created_at.rfc3339(offset)),
        );
    }
    v
}

/// One line for people.
pub fn order_line(o: &Order, offset: i32) -> String {
    let mut line = format!(
        "{:<18} {}  ¥{:>10}  {}  {}",
        o.status().as_str(),
        o.no,
        o.amount,
        o.method.display_name(),
        o.created_at.format(offset),
    );
    if o.refunded.is_positive() {
        line.push_str(&format!("  refunded ¥{}", o.refunded));
    }
    if let Some(r) = o
        .reason
        .as_deref()
        .filter(|_| !matches!(o.state, cloudpos_domain::order::OrderState::Paid))
    {
        line.push_str(&format!("  ({r})"));
    }
    line
}
