//! The owner's page: today's takings per store and wallet, a chart by hour, the tills' sync
//! state and order search. Server-rendered (askama), Chinese, no script.

use std::fmt::Write as _;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use cloudpos_domain::money::Money;
use cloudpos_domain::order::PaymentMethod;
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_hq_protocol::{
    DepositsHeld, ErrorCode, OrderView, SummaryGroup, TerminalView, Totals,
};

use crate::auth;
use crate::db::now_ms;
use crate::query::{self, Grouping, OrderQuery};
use crate::server::{ApiError, AppState, LoginForm, SESSION_COOKIE, owner};

/// Yuan with two decimals and the ¥ sign, from fen.
#[must_use]
pub fn yuan(fen: impl std::borrow::Borrow<i64>) -> String {
    format!("¥{}", Money::from_fen(*fen.borrow()))
}

/// One row of a takings table.
pub struct Row {
    /// Machine key (store, wallet …).
    pub key: String,
    /// What people read.
    pub label: String,
    /// Paid orders.
    pub paid_count: u64,
    /// Paid, fen.
    pub paid_fen: i64,
    /// Refunded, fen.
    pub refunded_fen: i64,
}

impl Row {
    fn of(g: &SummaryGroup, label: String) -> Row {
        Row {
            key: g.key.clone(),
            label,
            paid_count: g.paid_count,
            paid_fen: g.paid_fen,
            refunded_fen: g.refunded_fen,
        }
    }

    /// Paid minus refunded, fen.
    pub fn net_fen(&self) -> i64 {
        self.paid_fen - self.refunded_fen
    }
}

fn wallet_label(key: &str) -> String {
    key.parse::<PaymentMethod>()
        .map_or_else(|_| key.to_owned(), |m| m.display_name().to_owned())
}

/// One till's line in the sync table.
pub struct TillRow {
    /// The terminal.
    pub t: TerminalView,
    /// 正常 / 积压 / 离线 / 出错 / 未联系 / 未激活.
    pub status: &'static str,
    /// CSS class of the status.
    pub class: &'static str,
    /// Last contact, shop time, or —.
    pub contact: String,
    /// Lag in words.
    pub lag: String,
}

fn till_row(t: TerminalView, offset: i32, now: i64) -> TillRow {
    let contact_ms = t
        .last_contact
        .as_deref()
        .and_then(|c| Timestamp::parse_local(&c[..19.min(c.len())], offset).ok())
        .map(Timestamp::unix_millis);
    let (status, class) = if !t.enrolled {
        ("未激活", "idle")
    } else if contact_ms.is_none() {
        ("未联系", "idle")
    } else if t.last_error.is_some() {
        ("出错", "bad")
    } else if contact_ms.is_none_or(|c| now - c > 5 * 60_000) {
        ("离线", "bad")
    } else if t.backlog > 0 {
        ("积压", "warn")
    } else {
        ("正常", "ok")
    };
    let contact = contact_ms.map_or_else(
        || "—".into(),
        |c| Timestamp::from_unix_millis(c).format(offset),
    );
    let lag = t.lag_ms.map_or_else(
        || "—".into(),
        |ms| {
            if ms < 1000 {
                format!("{ms} 毫秒")
            } else {
                format!("{}.{} 秒", ms / 1000, ms % 1000 / 100)
            }
        },
    );
    TillRow {
        t,
        status,
        class,
        contact,
        lag,
    }
}

/// The bar chart of paid amounts per hour, as inline SVG.
#[must_use]
pub fn hourly_svg(hours: &[i64; 24]) -> String {
    let (w, h, left, bottom) = (720_i64, 220_i64, 56_i64, 24_i64);
    let max = hours.iter().copied().max().unwrap_or(0).max(1);
    let plot_h = h - bottom - 12;
    let bar_w = (w - left - 8) / 24;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg id="hourly-chart" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="今日每小时收款">"##
    );
    let _ = write!(
        s,
        r##"<line x1="{left}" y1="{y}" x2="{x2}" y2="{y}" stroke="#999"/>"##,
        y = h - bottom,
        x2 = w - 4
    );
    let _ = write!(
        s,
        r##"<text x="{x}" y="16" font-size="12" text-anchor="end" fill="#555">{}</text>"##,
        yuan(max),
        x = left - 4
    );
    let _ = write!(
        s,
        r##"<text x="{x}" y="{y}" font-size="12" text-anchor="end" fill="#555">¥0</text>"##,
        x = left - 4,
        y = h - bottom
    );
    for (i, fen) in hours.iter().enumerate() {
        let i = i as i64;
        let bh = if *fen > 0 {
            (fen * plot_h / max).max(1)
        } else {
            0
        };
        let x = left + i * bar_w + 2;
        let y = h - bottom - bh;
        let _ = write!(
            s,
            r##"<rect class="bar" data-hour="{i}" data-fen="{fen}" x="{x}" y="{y}" width="{bw}" height="{bh}" fill="#2f7d4f"><title>{i:02}:00 {}</title></rect>"##,
            yuan(*fen),
            bw = bar_w - 4
        );
        if i % 3 == 0 {
            let _ = write!(
                s,
                r##"<text x="{tx}" y="{ty}" font-size="11" text-anchor="middle" fill="#555">{i:02}时</text>"##,
                tx = x + (bar_w - 4) / 2,
                ty = h - 6
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    day: String,
    total: Totals,
    stores: Vec<Row>,
    wallets: Vec<Row>,
    chart: String,
    deposits: Vec<(String, DepositsHeld)>,
    tills: Vec<TillRow>,
    dev_open: bool,
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersTemplate {
    q: OrderQuery,
    items: Vec<OrderView>,
    total: u64,
    page: u32,
    pages: u32,
    error: Option<String>,
    prev: Option<String>,
    next: Option<String>,
    dev_open: bool,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTemplate {
    error: Option<String>,
}

fn html(t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("页面生成失败: {e}"),
        )
            .into_response(),
    }
}

async fn gate(s: &AppState, headers: &HeaderMap) -> Result<(), Response> {
    match owner(s, headers).await {
        Ok(()) => Ok(()),
        Err(ApiError(e))
            if e.error == ErrorCode::Unauthorized || e.error == ErrorCode::Forbidden =>
        {
            Err(Redirect::to("/login").into_response())
        }
        Err(e) => Err(e.into_response()),
    }
}

async fn dashboard(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Err(r) = gate(&s, &headers).await {
        return r;
    }
    let off = s.config.offset_seconds;
    let start = Timestamp::from_unix_millis(now_ms()).start_of_day(off);
    let end = Timestamp::from_unix_millis(start.unix_millis() + 86_400_000);
    let built = async {
        let stores = query::summary(&s.pool, Some(start), Some(end), Grouping::Store, off).await?;
        let wallets =
            query::summary(&s.pool, Some(start), Some(end), Grouping::Wallet, off).await?;
        let hours = query::hourly(&s.pool, start).await?;
        let tills = query::terminals(&s.pool, off).await?;
        let deposits = crate::deposits::held_by_store(&s.pool).await?;
        Ok::<_, cloudpos_hq_protocol::ErrorBody>((stores, wallets, hours, tills, deposits))
    }
    .await;
    let (stores, wallets, hours, tills, deposits) = match built {
        Ok(x) => x,
        Err(e) => return ApiError(e).into_response(),
    };
    let now = now_ms();
    html(&Dashboard {
        day: start.format(off)[..10].to_owned(),
        total: stores.total,
        stores: stores
            .groups
            .iter()
            .map(|g| Row::of(g, g.key.clone()))
            .collect(),
        wallets: wallets
            .groups
            .iter()
            .map(|g| Row::of(g, wallet_label(&g.key)))
            .collect(),
        chart: hourly_svg(&hours),
        deposits,
        tills: tills
            .terminals
            .into_iter()
            .map(|t| till_row(t, off, now))
            .collect(),
        dev_open: s.config.dev_open,
    })
}

fn page_link(q: &OrderQuery, page: u32) -> String {
    let enc = |v: &Option<String>| {
        v.as_deref()
            .unwrap_or("")
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "/orders?order_no={}&store={}&state={}&from={}&to={}&page={page}",
        enc(&q.order_no),
        enc(&q.store),
        enc(&q.state),
        enc(&q.from),
        enc(&q.to)
    )
}

async fn orders_page(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(mut q): Query<OrderQuery>,
) -> Response {
    if let Err(r) = gate(&s, &headers).await {
        return r;
    }
    q.page_size = Some(50);
    let (items, total, page, pages, error) =
        match query::orders(&s.pool, &q, s.config.offset_seconds).await {
            Ok(p) => {
                let pages = u32::try_from(p.total.div_ceil(u64::from(p.page_size)))
                    .unwrap_or(u32::MAX)
                    .max(1);
                (p.items, p.total, p.page, pages, None)
            }
            Err(e) if e.error == ErrorCode::BadRequest => (Vec::new(), 0, 0, 1, Some(e.message)),
            Err(e) => return ApiError(e).into_response(),
        };
    let prev = (page > 0).then(|| page_link(&q, page - 1));
    let next = (page + 1 < pages).then(|| page_link(&q, page + 1));
    html(&OrdersTemplate {
        q,
        items,
        total,
        page,
        pages,
        error,
        prev,
        next,
        dev_open: s.config.dev_open,
    })
}

async fn login_page() -> Response {
    html(&LoginTemplate { error: None })
}

async fn login_submit(State(s): State<Arc<AppState>>, Form(form): Form<LoginForm>) -> Response {
    let id = match auth::verify_owner(&s.pool, &form.name, &form.password).await {
        Ok(Some(id)) => id,
        Ok(None) => {
            let mut r = html(&LoginTemplate {
                error: Some("用户名或密码不对".into()),
            });
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            return r;
        }
        Err(e) => return ApiError(e).into_response(),
    };
    let token = match auth::new_session(&s.pool, id).await {
        Ok(t) => t,
        Err(e) => return ApiError(e).into_response(),
    };
    let secure = if s.config.tls.is_some() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        token.as_str(),
        auth::SESSION_TTL.as_secs()
    );
    let mut r = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

async fn logout(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Some(token) = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(';')
                .find_map(|kv| kv.trim().strip_prefix("hq_session="))
        })
    {
        let _ = auth::end_session(&s.pool, token).await;
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("hq_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    r
}

/// The page routes.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(dashboard))
        .route("/orders", get(orders_page))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
}
