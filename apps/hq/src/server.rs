//! The HTTP service: routes, credentials, error answers, and our own accept loop (plain
//! HTTP on loopback, or TLS through rustls with the certificate and key files given).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine as _;
use cloudpos_hq_protocol::{
    CommodityInput, EnrolRequest, ErrorBody, ErrorCode, MAX_PUSH_BYTES, PushRequest,
};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt as _;

use crate::ingest::IngestOptions;
use crate::query::{Grouping, OrderQuery};
use crate::{auth, catalog, members, query, web};

/// Certificate chain and private key (PEM files) for TLS.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain, leaf first.
    pub cert: PathBuf,
    /// Private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// How the service runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen (port 0 picks a free one).
    pub listen: SocketAddr,
    /// TLS; required unless `listen` is a loopback address.
    pub tls: Option<TlsFiles>,
    /// Serve the owner's API and page without a credential (loopback only; for a developer).
    pub dev_open: bool,
    /// The shop's UTC offset in seconds (display, `from`/`to`, days).
    pub offset_seconds: i32,
    /// Testing only: abort before committing the Nth push with new changes.
    pub crash_before_commit: Option<u64>,
}

impl ServerConfig {
    /// Plain HTTP on `127.0.0.1:0`, shop time UTC+8, credentials required.
    #[must_use]
    pub fn loopback() -> ServerConfig {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: None,
            dev_open: false,
            offset_seconds: cloudpos_domain::timestamp::CHINA_OFFSET_SECONDS,
            crash_before_commit: None,
        }
    }

    /// Refuses plain HTTP and `--dev-open` anywhere but loopback.
    pub fn check(&self) -> anyhow::Result<()> {
        let loopback = self.listen.ip().is_loopback();
        if !loopback && self.tls.is_none() {
            anyhow::bail!(
                "refusing to serve plain HTTP on {}: tills' credentials and the owner's password would cross the network in clear. \
                 Give --tls-cert and --tls-key, or listen on a loopback address (127.0.0.1) behind your own TLS proxy",
                self.listen
            );
        }
        if self.dev_open && !loopback {
            anyhow::bail!(
                "--dev-open is only allowed when listening on a loopback address (127.0.0.1 or ::1)"
            );
        }
        Ok(())
    }
}

/// Shared state of the handlers.
pub(crate) struct AppState {
    pub pool: PgPool,
    pub config: ServerConfig,
    pub ingest: IngestOptions,
}

/// A running service.
pub struct Running {
    addr: SocketAddr,
    scheme: &'static str,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// The bound address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT` (or `https://`).
    #[must_use]
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Stops accepting and closes connections.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// An error answer: the contract's body with its HTTP status.
pub(crate) struct ApiError(pub ErrorBody);

impl From<ErrorBody> for ApiError {
    fn from(e: ErrorBody) -> ApiError {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.error.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(self.0)).into_response()
    }
}

type ApiResult<T> = Result<axum::Json<T>, ApiError>;

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn till_credential(headers: &HeaderMap) -> Result<&str, ApiError> {
    bearer(headers).filter(|t| !t.is_empty()).ok_or_else(|| {
        ApiError(ErrorBody::new(
            ErrorCode::Unauthorized,
            "no credential: send Authorization: Bearer <the credential from enrolment>",
        ))
    })
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError(ErrorBody::new(
            ErrorCode::BadRequest,
            format!("the body is not a valid request: {e}"),
        ))
    })
}

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "hq_session";

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Checks the owner's credential: a session (cookie or bearer `hqs_…`), or HTTP Basic.
pub(crate) async fn owner(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    if state.config.dev_open {
        return Ok(());
    }
    let unauthorized = || {
        ApiError(ErrorBody::new(
            ErrorCode::Unauthorized,
            "an owner's credential is needed: log in (POST /api/v1/login, or the page), or send HTTP Basic with a user from `cloudpos-hq user add`",
        ))
    };
    if let Some(token) = bearer(headers) {
        if token.starts_with("hqt_") {
            return Err(ApiError(ErrorBody::new(
                ErrorCode::Forbidden,
                "a till's credential cannot read the owner's data",
            )));
        }
        return if auth::session_valid(&state.pool, token).await? {
            Ok(())
        } else {
            Err(unauthorized())
        };
    }
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(unauthorized)?;
        let (name, pw) = decoded.split_once(':').ok_or_else(unauthorized)?;
        return match auth::verify_owner(&state.pool, name, pw).await? {
            Some(_) => Ok(()),
            None => Err(unauthorized()),
        };
    }
    if let Some(token) = cookie(headers, SESSION_COOKIE)
        && auth::session_valid(&state.pool, token).await?
    {
        return Ok(());
    }
    Err(unauthorized())
}

async fn enrol(
    State(s): State<Arc<AppState>>,
    body: Bytes,
) -> ApiResult<cloudpos_hq_protocol::EnrolResponse> {
    let req: EnrolRequest = parse_json(&body)?;
    Ok(axum::Json(auth::exchange(&s.pool, &req).await?))
}

async fn push(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<cloudpos_hq_protocol::PushResponse> {
    let credential = till_credential(&headers)?;
    let req: PushRequest = parse_json(&body)?;
    Ok(axum::Json(
        crate::ingest::push(&s.pool, credential, &req, &s.ingest).await?,
    ))
}

#[derive(Debug, Deserialize)]
struct CatalogParams {
    since_version: Option<i64>,
    limit: Option<u32>,
}

async fn catalog_changes(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(p): Query<CatalogParams>,
) -> ApiResult<cloudpos_hq_protocol::CatalogChanges> {
    let credential = till_credential(&headers)?;
    if auth::terminal_of(&s.pool, credential).await?.is_none() {
        return Err(ApiError(ErrorBody::new(
            ErrorCode::Unauthorized,
            "this till's credential is not known here; enrol it again",
        )));
    }
    Ok(axum::Json(
        catalog::changes_since(
            &s.pool,
            p.since_version.unwrap_or(0),
            p.limit.unwrap_or(1000),
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize)]
struct SummaryParams {
    from: Option<String>,
    to: Option<String>,
    group: Option<String>,
}

async fn summary(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(p): Query<SummaryParams>,
) -> ApiResult<cloudpos_hq_protocol::SummaryResponse> {
    owner(&s, &headers).await?;
    let off = s.config.offset_seconds;
    let from = query::parse_time("from", p.from.as_deref(), off)?;
    let to = query::parse_time("to", p.to.as_deref(), off)?;
    let group = Grouping::parse(p.group.as_deref().unwrap_or("store"))?;
    Ok(axum::Json(
        query::summary(&s.pool, from, to, group, off).await?,
    ))
}

async fn orders(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<OrderQuery>,
) -> ApiResult<cloudpos_hq_protocol::OrdersPage> {
    owner(&s, &headers).await?;
    Ok(axum::Json(
        query::orders(&s.pool, &q, s.config.offset_seconds).await?,
    ))
}

async fn deposits(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<crate::deposits::DepositQuery>,
) -> ApiResult<cloudpos_hq_protocol::DepositsPage> {
    owner(&s, &headers).await?;
    Ok(axum::Json(
        crate::deposits::deposits(&s.pool, &q, s.config.offset_seconds).await?,
    ))
}

async fn terminals(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
) -> ApiResult<cloudpos_hq_protocol::TerminalsResponse> {
    owner(&s, &headers).await?;
    Ok(axum::Json(
        query::terminals(&s.pool, s.config.offset_seconds).await?,
    ))
}

async fn commodities(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
) -> ApiResult<Vec<cloudpos_hq_protocol::CommodityChange>> {
    owner(&s, &headers).await?;
    Ok(axum::Json(catalog::list(&s.pool).await?))
}

async fn put_commodity(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(sku): Path<String>,
    body: Bytes,
) -> ApiResult<cloudpos_hq_protocol::CommodityChange> {
    owner(&s, &headers).await?;
    let input: CommodityInput = parse_json(&body)?;
    Ok(axum::Json(catalog::put(&s.pool, &sku, &input).await?))
}

async fn delete_commodity(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(sku): Path<String>,
) -> ApiResult<cloudpos_hq_protocol::CommodityChange> {
    owner(&s, &headers).await?;
    Ok(axum::Json(catalog::delete(&s.pool, &sku).await?))
}

async fn put_members(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<cloudpos_hq_protocol::CardsResponse> {
    let till = members::till(&s.pool, till_credential(&headers)?).await?;
    let req: cloudpos_hq_protocol::PutCards = parse_json(&body)?;
    Ok(axum::Json(members::put_cards(&s.pool, &till, &req).await?))
}

#[derive(Debug, Deserialize)]
struct MembersParams {
    phone: Option<String>,
}

async fn list_members(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(p): Query<MembersParams>,
) -> ApiResult<cloudpos_hq_protocol::CardsResponse> {
    members::till(&s.pool, till_credential(&headers)?).await?;
    Ok(axum::Json(
        members::cards(&s.pool, p.phone.as_deref()).await?,
    ))
}

async fn member(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(card_no): Path<String>,
) -> ApiResult<cloudpos_hq_protocol::CardView> {
    members::till(&s.pool, till_credential(&headers)?).await?;
    Ok(axum::Json(members::card(&s.pool, &card_no).await?))
}

async fn member_entries(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(card_no): Path<String>,
) -> ApiResult<cloudpos_hq_protocol::EntriesResponse> {
    members::till(&s.pool, till_credential(&headers)?).await?;
    Ok(axum::Json(members::entries(&s.pool, &card_no).await?))
}

async fn member_movement(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<cloudpos_hq_protocol::MovementResponse> {
    let till = members::till(&s.pool, till_credential(&headers)?).await?;
    let req: cloudpos_hq_protocol::MovementRequest = parse_json(&body)?;
    Ok(axum::Json(members::movement(&s.pool, &till, &req).await?))
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    pub name: String,
    pub password: String,
}

async fn api_login(State(s): State<Arc<AppState>>, body: Bytes) -> Result<Response, ApiError> {
    let form: LoginForm = parse_json(&body)?;
    let Some(id) = auth::verify_owner(&s.pool, &form.name, &form.password).await? else {
        return Err(ApiError(ErrorBody::new(
            ErrorCode::Unauthorized,
            "wrong user name or password",
        )));
    };
    let token = auth::new_session(&s.pool, id).await?;
    Ok(axum::Json(serde_json::json!({
        "token": token.as_str(),
        "expires_in_s": auth::SESSION_TTL.as_secs(),
    }))
    .into_response())
}

async fn not_found() -> ApiError {
    ApiError(ErrorBody::new(ErrorCode::NotFound, "no such endpoint"))
}

/// The router (exposed for tests that drive it without a socket).
pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/api/v1/enrol", post(enrol))
        .route("/api/v1/push", post(push))
        .route("/api/v1/catalog", get(catalog_changes))
        .route("/api/v1/summary", get(summary))
        .route("/api/v1/orders", get(orders))
        .route("/api/v1/deposits", get(deposits))
        .route("/api/v1/terminals", get(terminals))
        .route("/api/v1/commodities", get(commodities))
        .route(
            "/api/v1/commodities/{sku}",
            put(put_commodity).delete(delete_commodity),
        )
        .route("/api/v1/members", post(put_members).get(list_members))
        .route("/api/v1/members/{card_no}", get(member))
        .route("/api/v1/members/{card_no}/entries", get(member_entries))
        .route("/api/v1/member-movements", post(member_movement))
        .route("/api/v1/login", post(api_login))
        .merge(web::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_PUSH_BYTES))
        .with_state(state)
}

fn tls_acceptor(files: &TlsFiles) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .and_then(Iterator::collect)
        .map_err(|e| {
            anyhow::anyhow!("reading the TLS certificate {}: {e}", files.cert.display())
        })?;
    if certs.is_empty() {
        anyhow::bail!("no certificate in {}", files.cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| anyhow::anyhow!("reading the TLS private key {}: {e}", files.key.display()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| anyhow::anyhow!("the TLS certificate and key do not fit together: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Starts serving on an already connected and migrated pool.
pub async fn start(pool: PgPool, config: ServerConfig) -> anyhow::Result<Running> {
    config.check()?;
    let tls = config.tls.as_ref().map(tls_acceptor).transpose()?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr()?;
    let ingest = match config.crash_before_commit {
        Some(n) => IngestOptions::crash_before_commit(n),
        None => IngestOptions::default(),
    };
    let state = Arc::new(AppState {
        pool,
        config,
        ingest,
    });
    let app = router(state);
    let (stop, stopped) = watch::channel(false);
    let scheme = if tls.is_some() { "https" } else { "http" };
    let task = tokio::spawn(accept_loop(listener, app, tls, stopped));
    Ok(Running {
        addr,
        scheme,
        stop,
        task,
    })
}

async fn accept_loop(
    listener: TcpListener,
    app: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => return,
        };
        let (stream, _peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: wait a moment instead of spinning.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let tls = tls.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            match tls {
                Some(acceptor) => {
                    let Ok(Ok(s)) =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                            .await
                    else {
                        return;
                    };
                    serve(TokioIo::new(s), app, stop).await;
                }
                None => serve(TokioIo::new(stream), app, stop).await,
            }
        });
    }
}

async fn serve<I>(io: TokioIo<I>, app: Router, mut stop: watch::Receiver<bool>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service =
        hyper::service::service_fn(move |req: hyper::Request<Incoming>| app.clone().oneshot(req));
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_millis(500), conn).await;
        }
    }
}
