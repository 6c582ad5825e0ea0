//! The protocol notes' request field tables as data (§1.2, §3.1–§3.3, §6.1–§6.8; the
//! deposit endpoints of §11 in `deposit_checks`), and the
//! first check every request passes: each field the tables mark required is present and
//! not empty, and every field that is present has its documented JSON type and length.
//! The rules about values (ids belong together, the order prefix, wallets that agree, …)
//! come after, in `validate`.
//!
//! A failure is status 101 without MAC whose description names the field by its path, e.g.
//! `参数错误: pay_mch_key.pay_platform 必填 (pay_mch_key.pay_platform is required)`.
//!
//! `String(n)` limits are counted in UTF-8 bytes, the stricter reading. Unknown fields are
//! ignored (the published examples carry fields the tables do not list). A JSON `null` is
//! read as an absent field.

use cloudpay_api::wire::endpoint;
use serde_json::Value;

use crate::ledger::Fail;

/// The JSON type of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string of at most this many bytes (`String(n)`).
    Str(usize),
    /// An integer (`Number`): no fraction, not a string.
    Int,
    /// `true` or `false`.
    Bool,
    /// A JSON object.
    Object,
}

/// One row of a field table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Dotted path from the top of `request_content`.
    pub path: &'static str,
    /// Its type.
    pub kind: Kind,
    /// Whether the field must be present (and, for a string, not empty).
    pub required: bool,
}

pub(crate) const fn req(path: &'static str, kind: Kind) -> Field {
    Field {
        path,
        kind,
        required: true,
    }
}

pub(crate) const fn opt(path: &'static str, kind: Kind) -> Field {
    Field {
        path,
        kind,
        required: false,
    }
}

pub(crate) const ID: Kind = Kind::Str(32);
pub(crate) const ID64: Kind = Kind::Str(64);

/// `nonce_str`: String(32), required in every `request_content` (§1.2).
const NONCE: Field = req("nonce_str", Kind::Str(32));

/// `pay_mch_key` (§3.1) with `pay_platform` required on every call but `query_order` and
/// the sandbox's own `x_` calls.
pub(crate) fn mch_key(platform_required: bool) -> Vec<Field> {
    vec![
        req("pay_mch_key", Kind::Object),
        Field {
            path: "pay_mch_key.pay_platform",
            kind: Kind::Int,
            required: platform_required,
        },
        opt("pay_mch_key.sub_pay_platform", Kind::Int),
        req("pay_mch_key.out_mch_id", ID),
        req("pay_mch_key.out_sub_mch_id", ID),
        req("pay_mch_key.out_shop_id", ID),
    ]
}

/// `order_client` (§3.2): `terminal_type`, `sdk_version` (String(10)) and
/// `spbill_create_ip` (String(16)) always; `device_id` on `micro_pay`, `refund` and the
/// calls that must come from a given device (`reverse`, approvals); `machine_no` on
/// `micro_pay`.
pub(crate) fn order_client(device: bool, machine: bool) -> Vec<Field> {
    vec![
        req("order_client", Kind::Object),
        Field {
            path: "order_client.device_id",
            kind: ID64,
            required: device,
        },
        opt("order_client.staff_id", ID64),
        req("order_client.terminal_type", Kind::Int),
        opt("order_client.sub_terminal_type", Kind::Int),
        Field {
            path: "order_client.machine_no",
            kind: ID,
            required: machine,
        },
        req("order_client.sdk_version", Kind::Str(10)),
        req("order_client.spbill_create_ip", Kind::Str(16)),
        opt("order_client.sn_code", Kind::Str(127)),
    ]
}

/// The field table of an endpoint (`None` for `ping`, which takes anything).
#[must_use]
pub fn fields(name: &str) -> Option<Vec<Field>> {
    let mut f = Vec::new();
    match name {
        endpoint::MICRO_PAY => {
            f.extend(mch_key(true));
            f.extend([
                req("pay_content", Kind::Object),
                req("pay_content.out_trade_no", ID),
                req("pay_content.author_code", Kind::Str(128)),
                req("pay_content.total_fee", Kind::Int),
                req("pay_content.fee_type", Kind::Str(3)),
                req("pay_content.body", Kind::Str(128)),
                opt("pay_content.detail", Kind::Str(6000)),
                opt("pay_content.remark", Kind::Str(127)),
                opt("pay_content.client_flow_id", ID64),
                opt("pay_content.caller_notify_url", Kind::Str(255)),
                opt("pay_content.time_expire", Kind::Int),
                opt("pay_content.wxpay_pay_content_ext", Kind::Object),
                opt("pay_content.alipay_pay_content_ext", Kind::Object),
            ]);
            f.extend(order_client(true, true));
        }
        endpoint::QUERY_ORDER => {
            f.extend(mch_key(false));
            f.extend(order_client(false, false));
            f.extend([req("out_trade_no", ID), opt("trade_type", Kind::Int)]);
        }
        endpoint::REFUND => {
            f.extend(mch_key(true));
            f.extend([
                opt("pay_mch_key.is_sub_admin", Kind::Bool),
                opt("pay_mch_key.authorization_staff_id", ID64),
                opt("pay_mch_key.authorization_name", ID),
                req("refund_content", Kind::Object),
                req("refund_content.out_trade_no", ID),
                req("refund_content.out_refund_no", ID),
                req("refund_content.total_fee", Kind::Int),
                req("refund_content.refund_fee", Kind::Int),
                req("refund_content.refund_fee_type", Kind::Str(3)),
                opt("refund_content.refund_reason", Kind::Str(64)),
                opt("refund_content.client_refund_flow_id", ID64),
                opt("refund_content.out_freeze_no", ID),
                opt("refund_content.wx_pay_refund_content_ext", Kind::Object),
                opt("api_version", Kind::Int),
            ]);
            f.extend(order_client(true, false));
        }
        endpoint::QUERY_REFUND_ORDER => {
            f.extend(mch_key(true));
            f.extend(order_client(false, false));
            // §6.5 lists out_refund_no; the answer is an array, so a query by order alone
            // lists all of its refunds.
            f.extend([req("out_trade_no", ID), opt("out_refund_no", ID)]);
        }
        endpoint::REVERSE => {
            f.extend(mch_key(true));
            // "Must be issued from the same terminal that paid" (§6.2 step 4).
            f.extend(order_client(true, false));
            f.push(req("out_trade_no", ID));
        }
        endpoint::CLOSE_ORDER => {
            f.extend(mch_key(true));
            f.extend(order_client(false, false));
            f.extend([req("out_trade_no", ID), req("trade_type", Kind::Int)]);
        }
        endpoint::CLIENT_ORDER_DETAIL => {
            // Flat (§6.8). `nonce_str` is marked optional there but §1.2 requires it in
            // every request_content; the stricter reading is kept.
            f.extend([
                opt("pay_platform", Kind::Int),
                req("out_sub_mch_id", ID),
                opt("out_shop_id", ID),
                opt("staff_id", ID64),
                opt("device_id", ID64),
                opt("query_order_type", Kind::Int),
                opt("start_time", Kind::Int),
                req("end_time", Kind::Int),
                req("page_num", Kind::Int),
                req("page_size", Kind::Int),
            ]);
        }
        endpoint::X_CREATE_APPROVAL => {
            f.extend(mch_key(false));
            f.extend(order_client(true, false));
            f.extend([
                req("kind", Kind::Str(16)),
                opt("out_trade_no", ID),
                opt("amount", Kind::Int),
            ]);
        }
        endpoint::X_QUERY_APPROVAL | endpoint::X_CONSUME_APPROVAL => {
            f.extend(mch_key(false));
            f.extend(order_client(true, false));
            f.push(req("token", ID64));
        }
        cloudpay_api::device::X_UNBIND_DEVICE => {
            // The admin who unbinds is named (解绑设备 is the merchant admin's).
            f.extend(mch_key(false));
            f.extend(order_client(true, false));
            f.push(req("order_client.staff_id", ID64));
        }
        cloudpay_api::device::X_QUERY_NOTICE_LIST => {
            f.extend(mch_key(false));
            f.extend(order_client(true, false));
            f.push(opt("start_time", Kind::Int));
        }
        // The deposit endpoints (§11): `deposit_checks.rs`.
        other => f.extend(crate::deposit_checks::fields(other)?),
    }
    f.push(NONCE);
    Some(f)
}

/// The value at a dotted path; `None` when it or a parent is absent or `null`.
#[must_use]
pub fn lookup<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let mut v = root;
    for key in path.split('.') {
        v = v.get(key)?;
        if v.is_null() {
            return None;
        }
    }
    Some(v)
}

fn parent_present(root: &Value, path: &str) -> bool {
    match path.rsplit_once('.') {
        None => true,
        Some((parent, _)) => lookup(root, parent).is_some(),
    }
}

/// Checks `content` against the table of `name`: presence, type and length of every field.
pub fn check(name: &str, content: &Value) -> Result<(), Fail> {
    if !content.is_object() {
        return Err(Fail::rejected(
            2,
            "request_content 必须是 JSON 对象 (request_content must be a JSON object)",
        ));
    }
    let Some(table) = fields(name) else {
        return Ok(());
    };
    for field in table {
        // A child of an absent optional object is not looked at (a required parent has
        // already been reported).
        if !parent_present(content, field.path) {
            continue;
        }
        let Some(value) = lookup(content, field.path) else {
            if field.required {
                return Err(Fail::field(field.path, "必填", "is required"));
            }
            continue;
        };
        check_kind(field, value)?;
    }
    Ok(())
}

fn check_kind(field: Field, value: &Value) -> Result<(), Fail> {
    let path = field.path;
    match field.kind {
        Kind::Str(max) => {
            let Some(text) = value.as_str() else {
                return Err(Fail::field(path, "必须是字符串", "must be a string"));
            };
            if field.required && text.trim().is_empty() {
                return Err(Fail::field(path, "必填", "is required"));
            }
            if text.len() > max {
                return Err(Fail::field(
                    path,
                    &format!("超过 {max} 字节"),
                    &format!("is longer than {max} bytes"),
                ));
            }
        }
        Kind::Int => {
            if !(value.is_i64() || value.is_u64()) {
                return Err(Fail::field(path, "必须是整数", "must be an integer"));
            }
        }
        Kind::Bool => {
            if !value.is_boolean() {
                return Err(Fail::field(path, "必须是布尔值", "must be true or false"));
            }
        }
        Kind::Object => {
            if !value.is_object() {
                return Err(Fail::field(path, "必须是对象", "must be an object"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn absent_null_and_empty_are_all_missing() {
        let names = |v: Value| {
            check(endpoint::QUERY_ORDER, &v)
                .err()
                .map(|f| f.description)
                .unwrap_or_default()
        };
        let base = || {
            json!({"pay_mch_key": {"out_mch_id": "m", "out_sub_mch_id": "s", "out_shop_id": "p"},
                   "order_client": {"terminal_type": 4, "sdk_version": "1.0", "spbill_create_ip": "1.2.3.4"},
                   "out_trade_no": "x1", "nonce_str": "N"})
        };
        assert!(check(endpoint::QUERY_ORDER, &base()).is_ok());
        let mut v = base();
        v["out_trade_no"] = Value::Null;
        assert!(names(v).contains("out_trade_no is required"));
        let mut v = base();
        v["order_client"]["sdk_version"] = json!(" ");
        assert!(names(v).contains("order_client.sdk_version is required"));
        let mut v = base();
        v["order_client"]["sdk_version"] = json!("1.0.0.0.0.0");
        assert!(names(v).contains("order_client.sdk_version is longer than 10 bytes"));
        let mut v = base();
        v["order_client"]["terminal_type"] = json!(4.5);
        assert!(names(v).contains("order_client.terminal_type must be an integer"));
        let mut v = base();
        v.as_object_mut().unwrap().remove("pay_mch_key");
        assert!(names(v).contains("pay_mch_key is required"));
        assert!(check(endpoint::QUERY_ORDER, &json!("text")).is_err());
    }

    #[test]
    fn every_endpoint_has_a_table_with_a_nonce() {
        for name in crate::envelope::KNOWN {
            let table = fields(name).unwrap();
            assert!(table.contains(&NONCE), "{name}");
        }
        assert!(fields(endpoint::PING).is_none());
    }
}
