//! The HTTP server: our own accept loop (so a handler can drop or reset its TCP connection
//! without answering), the shared state, and the `/cpay/` protocol handler.

use std::convert::Infallible;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cloudpay_api::wire::{self, endpoint, status};
use cloudpay_api::{AuthenKey, PssVerifier};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tower::ServiceExt as _;

use crate::config::{MerchantConfig, Timings};
use crate::envelope::{Gate, authenticate};
use crate::faults::{Faults, Hold};
use crate::ledger::{After, Done, Fail, Ledger};
use crate::validate::{self, Checked};

/// What the state file holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PersistedState {
    pub version: u32,
    pub merchant: MerchantConfig,
    pub ledger: Ledger,
    #[serde(default)]
    pub clock_offset_ms: i64,
}

/// Shared server state.
pub(crate) struct App {
    pub merchant: MerchantConfig,
    pub key: AuthenKey,
    pub verifier: Option<PssVerifier>,
    pub timings: Timings,
    pub ledger: Mutex<Ledger>,
    pub faults: Mutex<Faults>,
    pub offset_ms: AtomicI64,
    pub state_file: Option<PathBuf>,
    pub http_base: String,
    /// `http://ADDR` of every address served, in the order they were started.
    pub listening: Mutex<Vec<String>>,
    pub shutdown: watch::Receiver<bool>,
    pub log_seq: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl App {
    /// Sandbox time: the system clock plus the control offset, Unix ms.
    pub fn now_ms(&self) -> i64 {
        let system = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        system.saturating_add(self.offset_ms.load(Ordering::SeqCst))
    }

    /// Runs `f` on the settled ledger under the lock, then persists.
    pub fn with_ledger<R>(&self, f: impl FnOnce(&mut Ledger, i64) -> R) -> R {
        let mut ledger = lock(&self.ledger);
        let now = self.now_ms();
        ledger.settle(now, &self.timings);
        let result = f(&mut ledger, now);
        self.persist(&ledger);
        result
    }

    /// `http://ADDR` of every address served, in order.
    pub fn listening(&self) -> Vec<String> {
        lock(&self.listening).clone()
    }

    /// The fault state.
    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        lock(&self.faults)
    }

    /// Writes the state file (under the ledger lock, so a committed change is on disk
    /// before its answer leaves — or before the connection is dropped).
    pub fn persist(&self, ledger: &Ledger) {
        let Some(path) = &self.state_file else {
            return;
        };
        let state = PersistedState {
            version: 1,
            merchant: self.merchant.clone(),
            ledger: ledger.clone(),
            clock_offset_ms: self.offset_ms.load(Ordering::SeqCst),
        };
        let result = serde_json::to_vec_pretty(&state)
            .map_err(io::Error::other)
            .and_then(|bytes| {
                let tmp = path.with_extension("tmp");
                std::fs::write(&tmp, bytes)?;
                std::fs::rename(&tmp, path)
            });
        if let Err(e) = result {
            tracing::warn!("could not write the state file {}: {e}", path.display());
        }
    }

    /// Sleeps, or returns early when the server shuts down.
    pub async fn sleep(&self, d: Duration) {
        let mut rx = self.shutdown.clone();
        tokio::select! {
            () = tokio::time::sleep(d) => {}
            () = stopped(&mut rx) => {}
        }
    }

    fn log_id(&self) -> i64 {
        let n = self.log_seq.fetch_add(1, Ordering::Relaxed);
        i64::try_from(n % 4_000_000_000).unwrap_or(0)
    }

    /// A protocol answer: `response_content` as a string, MAC'd unless status 3/101.
    pub fn envelope(
        &self,
        status_code: i64,
        internal: Option<i64>,
        description: &str,
        op: Option<(&str, Value)>,
    ) -> Response {
        let mut map = Map::new();
        map.insert("status".into(), status_code.into());
        map.insert("description".into(), description.into());
        map.insert("log_id".into(), self.log_id().into());
        if let Some(i) = internal {
            map.insert("internal_status".into(), i.into());
        }
        if let Some((name, value)) = op {
            map.insert(name.into(), value);
        }
        let content = Value::Object(map).to_string();
        let authen_info = status::requires_mac(status_code).then(|| self.key.authen_info(&content));
        let body = serde_json::to_string(&wire::ResponseEnvelope {
            response_content: content,
            authen_info,
        })
        .unwrap_or_default();
        json_response(StatusCode::OK, body)
    }

    fn fail(&self, f: &Fail) -> Response {
        self.envelope(f.status, f.internal, &f.description, None)
    }

    fn ok(&self, name: &str, op: Value) -> Response {
        self.envelope(
            status::SUCCESS,
            None,
            "操作成功。",
            Some((endpoint::response_object(name), op)),
        )
    }

    fn status3(&self) -> Response {
        self.envelope(
            status::INTERNAL_ERROR,
            Some(1),
            "系统内部错误, 请重试 (internal error)",
            None,
        )
    }
}

pub(crate) fn json_response(code: StatusCode, body: String) -> Response {
    let mut r = (code, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

// ───────────────────────────── connections ─────────────────────────────

/// Per-connection control: a handler can ask for its connection to be closed (or reset)
/// without an HTTP answer.
#[derive(Debug, Default)]
pub(crate) struct ConnCtl {
    notify: Notify,
    reset: AtomicBool,
}

impl ConnCtl {
    fn kill(&self, reset: bool) {
        if reset {
            self.reset.store(true, Ordering::SeqCst);
        }
        self.notify.notify_one();
    }

    /// Closes the connection (RST when `reset`) and never returns: the connection task
    /// drops this handler's future.
    pub async fn abort(&self, reset: bool) -> Response {
        self.kill(reset);
        std::future::pending().await
    }
}

/// A TCP stream that resets (SO_LINGER 0) instead of closing when asked to.
struct KillableStream {
    inner: TcpStream,
    ctl: Arc<ConnCtl>,
}

impl Drop for KillableStream {
    fn drop(&mut self) {
        if self.ctl.reset.load(Ordering::SeqCst) {
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Resolves once shutdown was requested (at once if it already was).
pub(crate) async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Accepts connections until shutdown.
pub(crate) async fn serve(listener: TcpListener, router: Router, shutdown: watch::Receiver<bool>) {
    let mut stop = shutdown.clone();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = stopped(&mut stop) => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(stream, router.clone(), shutdown.clone()));
    }
}

async fn serve_connection(stream: TcpStream, router: Router, shutdown: watch::Receiver<bool>) {
    let ctl = Arc::new(ConnCtl::default());
    let io = TokioIo::new(KillableStream {
        inner: stream,
        ctl: Arc::clone(&ctl),
    });
    let handler_ctl = Arc::clone(&ctl);
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(Arc::clone(&handler_ctl));
        router.clone().oneshot(req)
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service);
    tokio::pin!(conn);
    let mut stop = shutdown;
    tokio::select! {
        _ = conn.as_mut() => {}
        () = ctl.notify.notified() => {}
        () = stopped(&mut stop) => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_millis(500), conn).await;
        }
    }
}

/// A body that sends the first half of an answer (with the full `Content-Length`), then
/// closes the connection.
struct TruncatedBody {
    first: Option<Bytes>,
    ctl: Arc<ConnCtl>,
    armed: bool,
}

impl http_body::Body for TruncatedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(Ok(Frame::data(first))));
        }
        if !self.armed {
            self.armed = true;
            // Let hyper flush what it has, then drop the connection.
            let ctl = Arc::clone(&self.ctl);
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(30)).await;
                ctl.kill(false);
            });
        }
        Poll::Pending
    }
}

async fn truncate(response: Response, ctl: Arc<ConnCtl>) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return ctl.abort(false).await;
    };
    let half = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    Response::from_parts(
        parts,
        Body::new(TruncatedBody {
            first: Some(half),
            ctl,
            armed: false,
        }),
    )
}

// ───────────────────────────── routes ─────────────────────────────

/// The full router: `/cpay/{endpoint}`, `/control/…`, `/approve/{token}`.
pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route(
            &format!("/cpay/{}", cloudpay_api::binding::USE_DEVICE_SETTING),
            get(use_device_setting),
        )
        .route("/cpay/{name}", post(cpay))
        .merge(crate::control::routes())
        .merge(crate::qr_payment::routes())
        .with_state(app)
}

async fn cpay(
    State(app): State<Arc<App>>,
    Extension(conn): Extension<Arc<ConnCtl>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let plan = app.faults().plan(&name);
    if let Some(d) = plan.latency {
        app.sleep(d).await;
    }
    if plan.reset_before_commit {
        return conn.abort(true).await;
    }
    if plan.hang {
        app.sleep(app.timings.hang_for).await;
        return conn.abort(false).await;
    }
    if let Some(code) = plan.http5xx {
        let code = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        return (code, "injected fault: server error").into_response();
    }
    if name == endpoint::PING {
        if plan.status3 || plan.status103 {
            let s = if plan.status3 { 3 } else { 103 };
            return json_response(
                StatusCode::OK,
                json!({"status": s, "description": "injected fault", "timestamp": app.now_ms() / 1000})
                    .to_string(),
            );
        }
        let answer = json!({"description": "ok", "status": 0, "timestamp": app.now_ms() / 1000});
        return json_response(StatusCode::OK, answer.to_string());
    }
    if plan.status3 {
        return app.status3();
    }
    if plan.status103 {
        return app.fail(&Fail {
            status: status::UNKNOWN,
            internal: None,
            description: "系统繁忙, 请3秒后重试 (unknown, injected)".to_owned(),
        });
    }
    let (mut response, after) = handle(&app, &name, &body, plan.user_paying);
    match after {
        After::Answer => {}
        After::Status3 => response = app.status3(),
        After::DropConnection => return conn.abort(false).await,
        After::Delay => app.sleep(app.timings.slow_answer_delay).await,
    }
    if plan.drop_after_commit {
        return conn.abort(false).await;
    }
    if plan.truncate {
        return truncate(response, conn).await;
    }
    response
}

/// `order_client.device_id` of a request, when it names one.
fn asking_device(content: &str) -> Option<String> {
    let v: Value = serde_json::from_str(content).ok()?;
    v.pointer("/order_client/device_id")
        .and_then(Value::as_str)
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
}

/// `GET /cpay/use_device_setting?osi=&si=&sn=` (binding by configuration QR; see
/// `terminals.rs`): no request envelope, the usual answer envelope MAC'd with the key it
/// delivers.
async fn use_device_setting(
    State(app): State<Arc<App>>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let merchant = app.merchant.clone();
    match app.with_ledger(|l, now| l.use_device_setting(&merchant, &query, now)) {
        Ok(op) => app.ok(cloudpay_api::binding::USE_DEVICE_SETTING, op),
        // 3214 names the device, as the real service's description does.
        Err(f) if f.internal == Some(cloudpay_api::binding::INTERNAL_BOUND_ELSEWHERE) => {
            let si = query
                .iter()
                .find(|(k, _)| k == "si")
                .map(|(_, v)| v.clone());
            let device = lock(&app.ledger)
                .devices
                .qrs
                .iter()
                .find(|q| Some(&q.setting_id) == si.as_ref())
                .map(|q| q.device_id.clone())
                .unwrap_or_default();
            app.envelope(
                f.status,
                f.internal,
                &f.description,
                Some((
                    cloudpay_api::binding::USE_DEVICE_SETTING,
                    json!({ "device_id": device }),
                )),
            )
        }
        Err(f) => app.fail(&f),
    }
}

/// Parses, authenticates and dispatches one protocol request.
fn handle(app: &App, name: &str, body: &[u8], hold: Option<Hold>) -> (Response, After) {
    let gate = Gate {
        out_sub_mch_id: &app.merchant.out_sub_mch_id,
        key: &app.key,
        verifier: app.verifier.as_ref(),
    };
    match authenticate(&gate, name, body).and_then(|content| dispatch(app, name, &content, hold)) {
        Ok(done) => {
            let after = done.after;
            (app.ok(name, done.op), after)
        }
        Err(f) => (app.fail(&f), After::Answer),
    }
}

fn dispatch(app: &App, name: &str, content: &str, hold: Option<Hold>) -> Result<Done, Fail> {
    let book = lock(&app.ledger).devices.clone();
    let merchant = book.merchant(&app.merchant);
    let m = merchant.as_ref();
    let t = &app.timings;
    let checked = validate::check(m, name, content)?;
    if let Some(device) = asking_device(content)
        && book.is_unbound(&device)
    {
        return Err(Fail::failed(format!(
            "设备 {device} 已解绑, 请重新扫描配置二维码绑定 (device unbound)"
        )));
    }
    match checked {
        Checked::UnbindDevice(_, device) => app.with_ledger(|l, now| l.unbind_device(&device, now)),
        Checked::NoticeList(req, _) => Ok(app.with_ledger(|l, _| l.notice_list(req.start_time))),
        Checked::MicroPay(req) => app.with_ledger(|l, now| l.micro_pay(m, &req, now, hold)),
        Checked::QueryOrder(req) => app.with_ledger(|l, now| l.query_order(m, &req, now)),
        Checked::Reverse(req, device) => app.with_ledger(|l, now| l.reverse(&req, &device, now, t)),
        Checked::Close(req) => app.with_ledger(|l, now| l.close_order(&req, now)),
        Checked::Refund(req, device) => app.with_ledger(|l, now| {
            l.check_deposit_refund(&req)?;
            l.refund(m, &req, &device, now, t)
        }),
        Checked::QueryRefund(req) => app.with_ledger(|l, now| l.query_refund(m, &req, now, t)),
        Checked::Detail(req) => Ok(Done {
            op: app.with_ledger(|l, _| l.order_detail(m, &req)),
            after: After::Answer,
        }),
        Checked::CreateApproval(req, kind, device) => {
            app.with_ledger(|l, now| l.create_approval(&req, kind, &device, now, t, &app.http_base))
        }
        Checked::ApprovalToken(req, device) => {
            let consume = name == endpoint::X_CONSUME_APPROVAL;
            app.with_ledger(|l, now| l.approval_for_device(m, &req.token, &device, now, consume))
        }
        Checked::Deposit(d) => crate::deposits::dispatch(app, d),
    }
}
