//! Test control (`/control/…`, JSON) and the approval page a manager's browser opens
//! (`/approve/{token}`). None of this is part of the Cloud Pay protocol.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Form, Json, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use cloudpay_api::wire::{ApprovalKind, ApprovalState, pay_platform};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::faults::FaultConfig;
use crate::ledger::{Ledger, Order, OrderState, RefundRec, Script};
use crate::server::{App, json_response};

pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(index))
        .route("/control/ledger", get(ledger))
        .route("/control/ledger/mutate", post(mutate))
        .route(
            "/control/faults",
            get(get_faults).post(set_faults).delete(clear_faults),
        )
        .route("/control/faults/clear", post(clear_faults))
        .route("/control/time", get(get_time).post(set_time))
        .route("/control/reset", post(reset))
        .route("/control/credentials", get(credentials))
        .route("/control/approvals/{token}", get(approval_json))
        .route("/control/approvals/{token}/approve", post(approve_json))
        .route("/approve/{token}", get(approve_page).post(approve_form))
        .route("/sandbox/device-config-qr", post(device_config_qr))
        .route("/sandbox/notice", post(publish_notice))
        .route("/sandbox/notices", get(notices))
}

/// Body of `POST /sandbox/device-config-qr` (optional).
#[derive(Debug, Default, Deserialize)]
struct QrAsk {
    #[serde(default)]
    device_id: Option<String>,
}

async fn device_config_qr(State(app): State<Arc<App>>, body: axum::body::Bytes) -> Response {
    let ask: QrAsk = if body.iter().all(u8::is_ascii_whitespace) {
        QrAsk::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(a) => a,
            Err(e) => return error(StatusCode::BAD_REQUEST, format!("bad JSON: {e}")),
        }
    };
    let m = app.merchant.clone();
    let base = app.http_base.clone();
    match app.with_ledger(|l, now| l.device_config_qr(&m, ask.device_id.as_deref(), now, &base)) {
        Ok(v) => ok(&v),
        Err(e) => error(StatusCode::BAD_REQUEST, e),
    }
}

async fn publish_notice(State(app): State<Arc<App>>, Json(v): Json<Value>) -> Response {
    let mut fields = Vec::new();
    for name in ["title", "body"] {
        match v.get(name).and_then(Value::as_str).map(str::trim) {
            Some(t) if !t.is_empty() => fields.push(t.to_owned()),
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("{name} is required (a non-empty string)"),
                );
            }
        }
    }
    let n = app.with_ledger(|l, now| l.publish_notice(&fields[0], &fields[1], now));
    ok(&serde_json::to_value(n).unwrap_or(Value::Null))
}

async fn notices(State(app): State<Arc<App>>) -> Response {
    let list = app.with_ledger(|l, _| l.devices.notices.clone());
    ok(&json!({ "notices": list }))
}

fn error(code: StatusCode, message: impl Into<String>) -> Response {
    json_response(code, json!({ "error": message.into() }).to_string())
}

fn ok(value: &Value) -> Response {
    json_response(StatusCode::OK, value.to_string())
}

fn wallet_name(platform: i32) -> &'static str {
    match platform {
        pay_platform::WECHAT => "wechat",
        pay_platform::ALIPAY => "alipay",
        pay_platform::MEMBER_CARD => "member_card",
        _ => "unknown",
    }
}

pub(crate) fn order_view(l: &Ledger, o: &Order) -> Value {
    json!({
        "out_trade_no": o.out_trade_no,
        "author_code": o.author_code,
        "pay_platform": o.pay_platform,
        "wallet": wallet_name(o.pay_platform),
        "total_fee": o.total_fee,
        "state": o.state,
        "refunded_fee": l.refunded(o),
        "refund_reserved_fee": if o.duplicate { 0 } else { l.reserved_refunds(&o.out_trade_no) },
        "reversed_refund_fee": o.reversed_refund_fee,
        "device_id": o.device_id,
        "out_shop_id": o.out_shop_id,
        "staff_id": o.staff_id,
        "machine_no": o.machine_no,
        "created_at": o.created_ms.div_euclid(1000),
        "created_ms": o.created_ms,
        "paid_at": o.paid_ms.map(|ms| ms.div_euclid(1000)),
        "transaction_id": o.transaction_id,
        "script": o.script,
        "query_count": o.query_count,
        "failure": o.failure,
        "auto_revoked": o.auto_revoked,
        "tombstone": o.tombstone,
        "duplicate": o.duplicate,
        "injected": o.injected,
        "qr_code": o.qr_code,
        "trade_type": if o.qr_code.is_some() { 8 } else { 1 },
    })
}

fn refund_view(r: &RefundRec) -> Value {
    json!({
        "out_refund_no": r.out_refund_no,
        "out_trade_no": r.out_trade_no,
        "refund_fee": r.refund_fee,
        "total_fee": r.total_fee,
        "state": r.state,
        "refund_id": r.refund_id,
        "device_id": r.device_id,
        "out_shop_id": r.out_shop_id,
        "staff_id": r.staff_id,
        "reason": r.reason,
        "created_at": r.created_ms.div_euclid(1000),
        "succeeded_at": r.succeeded_ms.map(|ms| ms.div_euclid(1000)),
    })
}

async fn index(State(app): State<Arc<App>>) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>CloudPay sandbox</title></head>\
         <body><h1>CloudPay 沙箱 (sandbox)</h1><p>Protocol endpoints: <code>{0}/cpay/…</code></p>\
         <p>Ledger: <a href=\"/control/ledger\">/control/ledger</a> · faults: \
         <a href=\"/control/faults\">/control/faults</a> · time: <a href=\"/control/time\">/control/time</a></p>\
         <p>Merchant {1} · prefix <code>{2}</code></p></body></html>",
        html_escape(&app.http_base),
        html_escape(&app.merchant.name),
        html_escape(&app.merchant.order_prefix),
    ))
}

async fn ledger(State(app): State<Arc<App>>) -> Response {
    let m = &app.merchant;
    let view = app.with_ledger(|l, now| {
        json!({
            "now": now.div_euclid(1000),
            "now_ms": now,
            "orders": l.orders.iter().map(|o| order_view(l, o)).collect::<Vec<_>>(),
            "refunds": l.refunds.iter().map(refund_view).collect::<Vec<_>>(),
            "approvals": l.approvals.iter().map(|a| Ledger::approval_view(m, a, now)).collect::<Vec<_>>(),
            "deposits": l.deposits_view(),
        })
    });
    ok(&view)
}

/// A discrepancy to inject into the server ledger.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum Mutation {
    /// Change an order's amount.
    SetAmount {
        out_trade_no: String,
        total_fee: i64,
    },
    /// Change an order's state.
    SetState {
        out_trade_no: String,
        state: OrderState,
    },
    /// Change the refunded amount the listing reports.
    SetRefunded {
        out_trade_no: String,
        refunded_fee: i64,
    },
    /// Delete an order (and its refunds): missing in the cloud.
    DeleteOrder { out_trade_no: String },
    /// Add an order the terminal never made.
    AddOrder {
        out_trade_no: String,
        total_fee: i64,
        #[serde(default)]
        state: Option<OrderState>,
        #[serde(default)]
        pay_platform: Option<i32>,
        #[serde(default)]
        author_code: Option<String>,
        #[serde(default)]
        out_shop_id: Option<String>,
        #[serde(default)]
        device_id: Option<String>,
        #[serde(default)]
        staff_id: Option<String>,
        /// The terminal it claims to come from (`INJECTED` when absent).
        #[serde(default)]
        machine_no: Option<String>,
        /// Unix seconds; now when absent.
        #[serde(default)]
        created_at: Option<i64>,
    },
    /// Change a deposit's amounts or state (deposit discrepancies).
    SetFreeze {
        out_freeze_no: String,
        #[serde(default)]
        state: Option<crate::deposits::FreezeState>,
        #[serde(default)]
        freeze_fee: Option<i64>,
        #[serde(default)]
        consumed: Option<i64>,
        #[serde(default)]
        manual_unfrozen: Option<i64>,
    },
    /// Delete a deposit and its releases: missing in the cloud.
    DeleteFreeze { out_freeze_no: String },
    /// Add a second order with an existing number, paid from another machine configured
    /// with the same store and device id.
    AddDuplicate {
        out_trade_no: String,
        #[serde(default)]
        total_fee: Option<i64>,
        #[serde(default)]
        machine_no: Option<String>,
        #[serde(default)]
        author_code: Option<String>,
    },
}

async fn mutate(State(app): State<Arc<App>>, Json(mutation): Json<Mutation>) -> Response {
    let m = &app.merchant;
    let result = app.with_ledger(|l, now| -> Result<Value, (StatusCode, String)> {
        let find = |l: &Ledger, no: &str| {
            l.find_order(no)
                .ok_or_else(|| (StatusCode::NOT_FOUND, format!("no order {no}")))
        };
        let index = match mutation {
            Mutation::SetAmount {
                out_trade_no,
                total_fee,
            } => {
                let i = find(l, &out_trade_no)?;
                l.orders[i].total_fee = total_fee;
                i
            }
            Mutation::SetState {
                out_trade_no,
                state,
            } => {
                let i = find(l, &out_trade_no)?;
                let o = &mut l.orders[i];
                o.state = state;
                o.updated_ms = now;
                if state == OrderState::Paid && o.paid_ms.is_none() {
                    o.paid_ms = Some(now);
                }
                i
            }
            Mutation::SetRefunded {
                out_trade_no,
                refunded_fee,
            } => {
                let i = find(l, &out_trade_no)?;
                l.orders[i].refunded_override = Some(refunded_fee);
                i
            }
            Mutation::SetFreeze {
                out_freeze_no,
                state,
                freeze_fee,
                consumed,
                manual_unfrozen,
            } => {
                let Some(i) = l.deposits.find(&out_freeze_no) else {
                    return Err((StatusCode::NOT_FOUND, format!("no deposit {out_freeze_no}")));
                };
                let f = &mut l.deposits.freezes[i];
                f.state = state.unwrap_or(f.state);
                f.freeze_fee = freeze_fee.unwrap_or(f.freeze_fee);
                f.consumed = consumed.unwrap_or(f.consumed);
                f.manual_unfrozen = manual_unfrozen.unwrap_or(f.manual_unfrozen);
                f.updated_ms = now;
                return Ok(json!({ "ok": true, "deposits": l.deposits_view() }));
            }
            Mutation::DeleteFreeze { out_freeze_no } => {
                if l.deposits.find(&out_freeze_no).is_none() {
                    return Err((StatusCode::NOT_FOUND, format!("no deposit {out_freeze_no}")));
                }
                l.deposits
                    .freezes
                    .retain(|f| f.out_freeze_no != out_freeze_no);
                l.deposits
                    .unfreezes
                    .retain(|u| u.out_freeze_no != out_freeze_no);
                return Ok(json!({ "ok": true, "deleted": out_freeze_no }));
            }
            Mutation::DeleteOrder { out_trade_no } => {
                find(l, &out_trade_no)?;
                l.orders.retain(|o| o.out_trade_no != out_trade_no);
                l.refunds.retain(|r| r.out_trade_no != out_trade_no);
                return Ok(json!({ "ok": true, "deleted": out_trade_no }));
            }
            Mutation::AddOrder {
                out_trade_no,
                total_fee,
                state,
                pay_platform: platform,
                author_code,
                out_shop_id,
                device_id,
                staff_id,
                machine_no,
                created_at,
            } => {
                if l.find_order(&out_trade_no).is_some() {
                    return Err((
                        StatusCode::CONFLICT,
                        format!("order {out_trade_no} exists; use add_duplicate"),
                    ));
                }
                let shop = out_shop_id.unwrap_or_else(|| m.shops[0].out_shop_id.clone());
                let device = device_id.unwrap_or_else(|| {
                    m.shop(&shop)
                        .and_then(|s| s.devices.first().cloned())
                        .unwrap_or_default()
                });
                let created = created_at.map_or(now, |s| s.saturating_mul(1000));
                let state = state.unwrap_or(OrderState::Paid);
                l.seq += 1;
                l.orders.push(Order {
                    out_trade_no,
                    author_code: author_code.unwrap_or_else(|| "134500000000000000".to_owned()),
                    pay_platform: platform.unwrap_or(pay_platform::WECHAT),
                    total_fee,
                    fee_type: "CNY".to_owned(),
                    body: "injected".to_owned(),
                    remark: None,
                    out_shop_id: shop,
                    device_id: device,
                    staff_id,
                    machine_no: Some(machine_no.unwrap_or_else(|| "INJECTED".to_owned())),
                    state,
                    script: Script::Pay,
                    failure: None,
                    query_count: 0,
                    created_ms: created,
                    paid_ms: (state == OrderState::Paid).then_some(created),
                    updated_ms: created,
                    transaction_id: format!("4200099{:020}", l.seq),
                    reversed_refund_fee: 0,
                    auto_revoked: false,
                    tombstone: false,
                    duplicate: false,
                    injected: true,
                    refunded_override: None,
                    fingerprint: String::new(),
                    held: None,
                    qr_code: None,
                });
                l.orders.len() - 1
            }
            Mutation::AddDuplicate {
                out_trade_no,
                total_fee,
                machine_no,
                author_code,
            } => {
                let i = find(l, &out_trade_no)?;
                let mut dup = l.orders[i].clone();
                l.seq += 1;
                dup.total_fee = total_fee.unwrap_or(dup.total_fee);
                dup.machine_no = Some(machine_no.unwrap_or_else(|| "OTHER-MACHINE".to_owned()));
                dup.author_code = author_code.unwrap_or_else(|| "134599999999999900".to_owned());
                dup.state = OrderState::Paid;
                dup.created_ms = now;
                dup.paid_ms = Some(now);
                dup.updated_ms = now;
                dup.transaction_id = format!("4200098{:020}", l.seq);
                dup.duplicate = true;
                dup.injected = true;
                dup.refunded_override = None;
                dup.reversed_refund_fee = 0;
                l.orders.push(dup);
                l.orders.len() - 1
            }
        };
        Ok(json!({ "ok": true, "order": order_view(l, &l.orders[index]) }))
    });
    match result {
        Ok(v) => ok(&v),
        Err((code, message)) => error(code, message),
    }
}

fn faults_view(app: &App) -> Value {
    let (config, stats) = app.faults().snapshot();
    json!({ "config": config, "stats": stats })
}

async fn get_faults(State(app): State<Arc<App>>) -> Response {
    ok(&faults_view(&app))
}

async fn set_faults(State(app): State<Arc<App>>, Json(config): Json<FaultConfig>) -> Response {
    if let Err(e) = app.faults().set(config) {
        return error(StatusCode::BAD_REQUEST, e);
    }
    ok(&faults_view(&app))
}

async fn clear_faults(State(app): State<Arc<App>>) -> Response {
    app.faults().clear();
    ok(&faults_view(&app))
}

fn time_view(app: &App) -> Value {
    let now = app.now_ms();
    json!({
        "now": now.div_euclid(1000),
        "now_ms": now,
        "offset_ms": app.offset_ms.load(Ordering::SeqCst),
    })
}

async fn get_time(State(app): State<Arc<App>>) -> Response {
    ok(&time_view(&app))
}

/// Moves the sandbox clock: `advance_ms` / `advance_seconds` add to the offset,
/// `offset_ms` sets it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeChange {
    #[serde(default)]
    advance_ms: Option<i64>,
    #[serde(default)]
    advance_seconds: Option<i64>,
    #[serde(default)]
    offset_ms: Option<i64>,
}

async fn set_time(State(app): State<Arc<App>>, Json(change): Json<TimeChange>) -> Response {
    if let Some(offset) = change.offset_ms {
        app.offset_ms.store(offset, Ordering::SeqCst);
    }
    let advance = change
        .advance_ms
        .unwrap_or(0)
        .saturating_add(change.advance_seconds.unwrap_or(0).saturating_mul(1000));
    app.offset_ms.fetch_add(advance, Ordering::SeqCst);
    // Apply time-driven changes now and persist the new offset.
    app.with_ledger(|_, _| ());
    ok(&time_view(&app))
}

async fn reset(State(app): State<Arc<App>>) -> Response {
    app.faults().clear();
    app.offset_ms.store(0, Ordering::SeqCst);
    app.with_ledger(|l, _| *l = Ledger::default());
    ok(&json!({ "ok": true }))
}

async fn credentials(State(app): State<Arc<App>>) -> Response {
    ok(&serde_json::to_value(crate::credentials_of(&app)).unwrap_or(Value::Null))
}

async fn approval_json(State(app): State<Arc<App>>, Path(token): Path<String>) -> Response {
    let m = &app.merchant;
    let found = app.with_ledger(|l, now| {
        l.approvals
            .iter()
            .find(|a| a.token == token)
            .map(|a| Ledger::approval_status(m, a, now))
    });
    match found {
        Some(status) => ok(&serde_json::to_value(status).unwrap_or(Value::Null)),
        None => error(StatusCode::NOT_FOUND, "no such approval"),
    }
}

/// `{"staff_id": "01"}`.
#[derive(Debug, Deserialize)]
struct ApproveBody {
    staff_id: String,
}

async fn approve_json(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    Json(body): Json<ApproveBody>,
) -> Response {
    let m = &app.merchant;
    match app.with_ledger(|l, now| l.approve(m, &token, &body.staff_id, now)) {
        Ok(status) => ok(&serde_json::to_value(status).unwrap_or(Value::Null)),
        Err(e) => error(
            StatusCode::from_u16(e.http).unwrap_or(StatusCode::BAD_REQUEST),
            e.message,
        ),
    }
}

async fn approve_form(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    Form(body): Form<ApproveBody>,
) -> Response {
    let m = &app.merchant;
    let result = app.with_ledger(|l, now| l.approve(m, &token, &body.staff_id, now));
    let page = match result {
        Ok(status) => page(
            "已批准 Approved",
            &format!(
                "<p class=\"ok\">✔ 已由 {} 批准。终端将自动继续。</p>",
                html_escape(&format!(
                    "{} {}",
                    status.staff_id.unwrap_or_default(),
                    status.staff_name.unwrap_or_default()
                ))
            ),
        ),
        Err(e) => {
            let html = page(
                "未能批准 Not approved",
                &format!("<p class=\"err\">✘ {}</p>", html_escape(&e.message)),
            );
            let code = StatusCode::from_u16(e.http).unwrap_or(StatusCode::BAD_REQUEST);
            return (code, Html(html)).into_response();
        }
    };
    Html(page).into_response()
}

async fn approve_page(State(app): State<Arc<App>>, Path(token): Path<String>) -> Response {
    let m = &app.merchant;
    let found = app.with_ledger(|l, now| {
        l.approvals
            .iter()
            .find(|a| a.token == token)
            .map(|a| (a.clone(), a.state_at(now), now))
    });
    let Some((a, state, now)) = found else {
        return (
            StatusCode::NOT_FOUND,
            Html(page(
                "授权请求不存在",
                "<p class=\"err\">No such approval.</p>",
            )),
        )
            .into_response();
    };
    let what = match a.kind {
        ApprovalKind::Login => format!("登录收银终端 <b>{}</b> (login)", html_escape(&a.device_id)),
        ApprovalKind::Refund => format!(
            "退款 <b>¥{}</b> · 订单 <code>{}</code> (refund)",
            cloudpos_domain::Money::from_fen(a.amount.unwrap_or(0)),
            html_escape(a.out_trade_no.as_deref().unwrap_or_default())
        ),
    };
    let shop = m
        .shop(&a.out_shop_id)
        .map_or(a.out_shop_id.clone(), |s| s.name.clone());
    let remaining = (a.expires_ms - now).max(0) / 1000;
    let mut body = format!(
        "<p class=\"what\">{what}</p><p class=\"meta\">门店 {} · 设备 {} · 剩余 {remaining} 秒</p>",
        html_escape(&shop),
        html_escape(&a.device_id)
    );
    if state == ApprovalState::Pending {
        let options: String = m
            .staff
            .iter()
            .filter(|s| a.kind == ApprovalKind::Login || s.role.may_approve_refunds())
            .map(|s| {
                format!(
                    "<option value=\"{0}\">{0} {1} ({2})</option>",
                    html_escape(&s.staff_id),
                    html_escape(&s.name),
                    s.role.label()
                )
            })
            .collect();
        body.push_str(&format!(
            "<form method=\"post\"><label>授权人 <select name=\"staff_id\">{options}</select></label> \
             <button type=\"submit\">批准 Approve</button></form>"
        ));
    } else {
        let label = match state {
            ApprovalState::Pending => "待批准",
            ApprovalState::Approved => "已批准 (approved)",
            ApprovalState::Expired => "已过期 (expired)",
            ApprovalState::Used => "已使用 (used)",
        };
        body.push_str(&format!("<p class=\"meta\">状态: {label}</p>"));
    }
    Html(page("CloudPay 沙箱授权", &body)).into_response()
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t}</title>\
         <style>body{{font-family:sans-serif;max-width:28em;margin:2em auto;padding:0 1em}}\
         .what{{font-size:1.3em}}.meta{{color:#555}}.ok{{color:#070}}.err{{color:#b00}}\
         button{{font-size:1.2em;padding:.4em 1.2em;margin-top:1em}}select{{font-size:1.1em}}</style>\
         </head><body><h1>{t}</h1><p class=\"meta\">SANDBOX · 沙箱环境</p>{body}</body></html>",
        t = html_escape(title)
    )
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
