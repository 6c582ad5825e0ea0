//! # The till's client of its head office
//!
//! [`HqClient`] implements the domain's [`HeadOfficeLink`] over the `cloudpos-hq-protocol`
//! contract: `POST /api/v1/enrol`, `POST /api/v1/push`, `GET /api/v1/catalog`. It is reqwest
//! with rustls (the ring provider), a connect and a request timeout, the proxy of the
//! network settings, and no redirects.
//!
//! - **Plain HTTP only to loopback.** An `http://` address is accepted only for
//!   `127.0.0.0/8`, `::1` or `localhost` (a head office on the same machine, or behind a
//!   local TLS proxy); anywhere else the till's credential would cross the network in clear,
//!   so the address is refused before anything is sent ([`check_url`]).
//! - **The outbox's records travel unchanged.** Each [`OutboxEntry::record_json`] is put
//!   into the push as it was written (a JSON raw value), so the till never re-encodes what
//!   its ledger committed, and a kind this build does not know still reaches a head office
//!   that does.
//! - **Errors say what to do next.** Every failure maps to a [`LinkError`] whose
//!   [`LinkError::retry`] follows the contract's [`ErrorCode::retry`]: no answer or a
//!   head office that cannot work now → later; `gap` → resend from `applied_through + 1`;
//!   anything else → stop and show it. A `200` whose body cannot be read is treated as no
//!   answer: the resend is skipped by the head office if it was applied.
#![deny(missing_docs)]

pub mod members;

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use cloudpos_domain::hq_ports::{
    CatalogPage, Enrolment, HeadOfficeAccess, HeadOfficeLink, LinkError, ManagedCommodity,
    OutboxEntry, PushReceipt,
};
use cloudpos_domain::member::{CardNo, MemberAccount, MemberCard, MemberEntry};
use cloudpos_domain::member_hq::{MemberMovement, MovementOutcome};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_hq_protocol::{
    CatalogChanges, EnrolRequest, EnrolResponse, ErrorBody, ErrorCode, MAX_PUSH_BYTES,
    PROTOCOL_VERSION, PushResponse, Retry,
};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use rustls_platform_verifier::BuilderVerifierExt as _;
use serde::Serialize;
use serde_json::value::RawValue;

/// How the client reaches the head office (from the till's network settings).
#[derive(Clone, Default)]
pub struct HttpSettings {
    /// HTTP proxy URL, e.g. `http://10.0.0.1:3128` (loopback addresses bypass it).
    pub proxy_url: Option<String>,
    /// Proxy user.
    pub proxy_user: Option<String>,
    /// Proxy password.
    pub proxy_password: Option<String>,
    /// Trust only this root CA (PEM) for `https://` instead of the platform's store.
    pub root_ca_pem: Option<String>,
    /// Connect timeout (default 10 s).
    pub connect_timeout: Option<Duration>,
    /// Whole-request timeout (default 60 s: a full batch takes a moment to commit).
    pub request_timeout: Option<Duration>,
}

impl std::fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSettings")
            .field("proxy_url", &self.proxy_url)
            .field("proxy_user", &self.proxy_user)
            .field(
                "proxy_password",
                &self.proxy_password.as_ref().map(|_| "<redacted>"),
            )
            .field("root_ca_pem", &self.root_ca_pem.is_some())
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

/// Default connect timeout.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default whole-request timeout.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The head office client. Cheap to clone; the HTTP clients (plain and TLS) are built on
/// first use.
#[derive(Clone)]
pub struct HqClient {
    settings: Arc<HttpSettings>,
    plain: Arc<OnceLock<Result<reqwest::Client, String>>>,
    tls: Arc<OnceLock<Result<reqwest::Client, String>>>,
}

impl std::fmt::Debug for HqClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HqClient")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Checks a head office address: `http://` or `https://`, a host, no query or fragment, and
/// plain `http://` only to a loopback host. Returns it without a trailing `/`.
///
/// # Errors
/// [`LinkError::Refused`] with code `address`, naming the problem.
pub fn check_url(url: &str) -> Result<String, LinkError> {
    let bad = |why: &str| LinkError::Refused {
        code: "address".into(),
        message: format!("head office address \"{url}\": {why}"),
    };
    let url = url.trim();
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| bad(&format!("{e}; write it as https://HOST[:PORT]")))?;
    let host = parsed.host_str().unwrap_or_default();
    if host.is_empty() {
        return Err(bad("it has no host; write it as https://HOST[:PORT]"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad("it must not have a query (?…) or a fragment (#…)"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("it must not carry a user or password"));
    }
    match parsed.scheme() {
        "https" => {}
        "http" if is_loopback_host(host) => {}
        "http" => {
            return Err(bad(
                "plain http is accepted only to this machine (127.0.0.1, ::1, localhost): the till's credential would cross the network in clear; use https://",
            ));
        }
        other => return Err(bad(&format!("the scheme {other} is not http or https"))),
    }
    Ok(url.trim_end_matches('/').to_owned())
}

fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl HqClient {
    /// A client with these settings (nothing is connected yet).
    #[must_use]
    pub fn new(settings: HttpSettings) -> HqClient {
        HqClient {
            settings: Arc::new(settings),
            plain: Arc::new(OnceLock::new()),
            tls: Arc::new(OnceLock::new()),
        }
    }

    fn http(&self, https: bool) -> Result<reqwest::Client, LinkError> {
        let cell = if https { &self.tls } else { &self.plain };
        cell.get_or_init(|| build_http(&self.settings, https))
            .clone()
            .map_err(|e| LinkError::Refused {
                code: "client".into(),
                message: e,
            })
    }

    fn endpoint(url: &str, path: &str) -> Result<(String, bool), LinkError> {
        let base = check_url(url)?;
        let https = base.starts_with("https:");
        Ok((format!("{base}{path}"), https))
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        request: impl FnOnce(&reqwest::Client) -> reqwest::RequestBuilder,
        https: bool,
        what: &str,
    ) -> Result<T, LinkError> {
        let http = self.http(https)?;
        let response = request(&http)
            .send()
            .await
            .map_err(|e| LinkError::Unreachable(format!("{what}: {}", transport_error(&e))))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| {
            LinkError::Unreachable(format!(
                "{what}: the answer was cut off: {}",
                transport_error(&e)
            ))
        })?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| {
                LinkError::Unreachable(format!("{what}: the answer could not be read: {e}"))
            });
        }
        Err(error_of(status.as_u16(), &bytes, what))
    }
}

/// The error an unsuccessful answer stands for.
fn error_of(status: u16, body: &[u8], what: &str) -> LinkError {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) => {
            let code = code_name(e.error);
            let message = format!("{what}: {}", e.message);
            match e.error.retry() {
                Retry::Later => LinkError::Unavailable { code, message },
                Retry::Resume => match e.applied_through {
                    Some(applied_through) => LinkError::Gap {
                        applied_through,
                        message,
                    },
                    None => LinkError::Refused {
                        code,
                        message: format!("{message} (the answer does not say where to resume)"),
                    },
                },
                Retry::Stop => LinkError::Refused { code, message },
            }
        }
        // Not the contract's body: a proxy or a server that is not a head office.
        Err(_) if status >= 500 => LinkError::Unavailable {
            code: format!("http_{status}"),
            message: format!("{what}: HTTP {status} without a head office answer"),
        },
        Err(_) => LinkError::Refused {
            code: format!("http_{status}"),
            message: format!(
                "{what}: HTTP {status} without a head office answer (is this the head office's address?)"
            ),
        },
    }
}

fn code_name(code: ErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{code:?}"))
}

/// A transport error in one line, with its causes.
fn transport_error(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let t = s.to_string();
        if !text.contains(&t) {
            text.push_str(": ");
            text.push_str(&t);
        }
        source = s.source();
    }
    if e.is_timeout() && !text.contains("timed out") {
        text.push_str(" (timed out)");
    }
    text
}

fn build_http(settings: &HttpSettings, https: bool) -> Result<reqwest::Client, String> {
    let tls = rustls_config(settings.root_ca_pem.as_deref(), https)?;
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(settings.connect_timeout.unwrap_or(CONNECT_TIMEOUT))
        .timeout(settings.request_timeout.unwrap_or(REQUEST_TIMEOUT))
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(concat!("cloudpos-hq-client/", env!("CARGO_PKG_VERSION")));
    builder = match settings
        .proxy_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        Some(url) => {
            let mut proxy =
                reqwest::Proxy::all(url).map_err(|e| format!("bad proxy {url}: {e}"))?;
            if let Some(user) = &settings.proxy_user {
                proxy = proxy.basic_auth(user, settings.proxy_password.as_deref().unwrap_or(""));
            }
            builder.proxy(proxy.no_proxy(reqwest::NoProxy::from_string("localhost,127.0.0.1,::1")))
        }
        None => builder.no_proxy(),
    };
    builder.build().map_err(|e| format!("HTTP client: {e}"))
}

/// rustls with the ring provider: only `root_ca_pem` when given, else the platform's store
/// for https, else no roots at all (plain http to loopback).
fn rustls_config(root_ca_pem: Option<&str>, https: bool) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?;
    Ok(if let Some(pem) = root_ca_pem.filter(|_| https) {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| format!("root CA: {e}"))?;
            roots.add(cert).map_err(|e| format!("root CA: {e}"))?;
        }
        if roots.is_empty() {
            return Err("root CA: no certificate found".into());
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    } else if https {
        builder
            .with_platform_verifier()
            .map_err(|e| format!("TLS setup: {e}"))?
            .with_no_client_auth()
    } else {
        builder
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth()
    })
}

/// One change as it travels, its record as the outbox holds it.
#[derive(Serialize)]
struct WireChange<'a> {
    seq: i64,
    at: i64,
    record: &'a RawValue,
}

#[derive(Serialize)]
struct WirePush<'a> {
    v: u32,
    changes: &'a [WireChange<'a>],
    backlog: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    oldest_backlog_at: Option<i64>,
}

/// The push body for `changes`, shortened (halved until it fits, at least one change) when
/// it would exceed [`MAX_PUSH_BYTES`]; the changes left out count in the backlog.
fn push_body(
    changes: &[OutboxEntry],
    backlog: u64,
    oldest_backlog_at: Option<Timestamp>,
) -> Result<Vec<u8>, LinkError> {
    let wire: Vec<WireChange<'_>> = changes
        .iter()
        .map(|c| {
            serde_json::from_str::<&RawValue>(&c.record_json)
                .map(|record| WireChange {
                    seq: c.seq,
                    at: c.at.unix_millis(),
                    record,
                })
                .map_err(|e| LinkError::Refused {
                    code: "bad_record".into(),
                    message: format!(
                        "change {} ({}) in the outbox is not valid JSON: {e}",
                        c.seq, c.kind
                    ),
                })
        })
        .collect::<Result<_, _>>()?;
    let mut n = wire.len();
    loop {
        let left_out = u64::try_from(wire.len() - n).unwrap_or(u64::MAX);
        let oldest = if left_out > 0 {
            changes.get(n).map(|c| c.at.unix_millis())
        } else {
            oldest_backlog_at.map(Timestamp::unix_millis)
        };
        let body = serde_json::to_vec(&WirePush {
            v: PROTOCOL_VERSION,
            changes: &wire[..n],
            backlog: backlog.saturating_add(left_out),
            oldest_backlog_at: oldest,
        })
        .map_err(|e| LinkError::Refused {
            code: "bad_record".into(),
            message: format!("the push could not be encoded: {e}"),
        })?;
        if body.len() <= MAX_PUSH_BYTES || n <= 1 {
            return Ok(body);
        }
        n = n.div_ceil(2);
    }
}

#[async_trait]
impl HeadOfficeLink for HqClient {
    async fn enrol(&self, url: &str, token: &str) -> Result<Enrolment, LinkError> {
        let (endpoint, https) = Self::endpoint(url, "/api/v1/enrol")?;
        let body = EnrolRequest {
            v: PROTOCOL_VERSION,
            token: token.trim().to_owned(),
        };
        let r: EnrolResponse = self
            .send(|h| h.post(&endpoint).json(&body), https, "enrolment")
            .await?;
        Ok(Enrolment {
            terminal_id: r.terminal_id,
            store: r.store,
            device: r.device,
            credential: r.credential,
            applied_through: r.applied_through,
            catalog_version: r.catalog_version,
        })
    }

    async fn push(
        &self,
        to: &HeadOfficeAccess,
        changes: &[OutboxEntry],
        backlog: u64,
        oldest_backlog_at: Option<Timestamp>,
    ) -> Result<PushReceipt, LinkError> {
        let (endpoint, https) = Self::endpoint(&to.url, "/api/v1/push")?;
        let body = push_body(changes, backlog, oldest_backlog_at)?;
        let r: PushResponse = self
            .send(
                |h| {
                    h.post(&endpoint)
                        .bearer_auth(&to.credential)
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(body)
                },
                https,
                "push",
            )
            .await?;
        Ok(PushReceipt {
            applied_through: r.applied_through,
            applied: r.applied,
            duplicates: r.duplicates,
        })
    }

    async fn catalog(
        &self,
        to: &HeadOfficeAccess,
        since_version: i64,
        limit: u32,
    ) -> Result<CatalogPage, LinkError> {
        let (endpoint, https) = Self::endpoint(&to.url, "/api/v1/catalog")?;
        let endpoint = format!("{endpoint}?since_version={since_version}&limit={limit}");
        let r: CatalogChanges = self
            .send(
                |h| h.get(&endpoint).bearer_auth(&to.credential),
                https,
                "catalogue",
            )
            .await?;
        Ok(CatalogPage {
            changes: r
                .changes
                .iter()
                .map(|c| ManagedCommodity {
                    version: c.version,
                    sku: c.sku.clone(),
                    commodity: c.to_commodity(0),
                })
                .collect(),
            latest_version: r.latest_version,
            more: r.more,
        })
    }

    async fn put_member_cards(
        &self,
        to: &HeadOfficeAccess,
        cards: &[MemberCard],
        upsert: bool,
    ) -> Result<Vec<MemberAccount>, LinkError> {
        self.link_put_member_cards(to, cards, upsert).await
    }

    async fn member_card(
        &self,
        to: &HeadOfficeAccess,
        card: &CardNo,
    ) -> Result<Option<MemberAccount>, LinkError> {
        self.link_member_card(to, card).await
    }

    async fn member_cards(
        &self,
        to: &HeadOfficeAccess,
        phone: Option<&str>,
    ) -> Result<Vec<MemberAccount>, LinkError> {
        self.link_member_cards(to, phone).await
    }

    async fn member_entries(
        &self,
        to: &HeadOfficeAccess,
        card: &CardNo,
    ) -> Result<Vec<MemberEntry>, LinkError> {
        self.link_member_entries(to, card).await
    }

    async fn member_movement(
        &self,
        to: &HeadOfficeAccess,
        movement: &MemberMovement,
    ) -> Result<MovementOutcome, LinkError> {
        self.link_member_movement(to, movement).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.0.0.2:8080/",
            "http://[::1]:8080",
            "http://localhost:8080",
            "https://hq.example.com",
            "https://10.0.0.5:8443/hq/",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            check_url("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        for bad in [
            "http://10.0.0.5:8080",
            "http://hq.example.com",
            "ftp://127.0.0.1",
            "127.0.0.1:8080",
            "https://hq.example.com/?x=1",
            "https://user:pw@hq.example.com",
            "",
        ] {
            let e = check_url(bad).unwrap_err();
            assert_eq!(
                e.retry(),
                cloudpos_domain::hq_ports::LinkRetry::Stop,
                "{bad}"
            );
            assert!(e.to_string().contains("head office address"), "{e}");
        }
    }

    #[test]
    fn errors_follow_the_contract() {
        let body = |code: &str, extra: &str| {
            format!(r#"{{"v":1,"error":"{code}","message":"m"{extra}}}"#).into_bytes()
        };
        assert!(matches!(
            error_of(
                409,
                &body("gap", r#","applied_through":41,"expected_seq":42"#),
                "push"
            ),
            LinkError::Gap {
                applied_through: 41,
                ..
            }
        ));
        assert!(matches!(
            error_of(503, &body("unavailable", ""), "push"),
            LinkError::Unavailable { .. }
        ));
        assert!(matches!(
            error_of(500, &body("internal", ""), "push"),
            LinkError::Unavailable { .. }
        ));
        let e = error_of(401, &body("unauthorized", ""), "push");
        assert!(
            matches!(&e, LinkError::Refused { code, .. } if code == "unauthorized"),
            "{e:?}"
        );
        let e = error_of(409, &body("conflict", r#","seq":7"#), "push");
        assert!(
            matches!(&e, LinkError::Refused { code, .. } if code == "conflict"),
            "{e:?}"
        );
        assert!(matches!(
            error_of(502, b"<html>bad gateway</html>", "push"),
            LinkError::Unavailable { .. }
        ));
        assert!(matches!(
            error_of(404, b"nope", "push"),
            LinkError::Refused { .. }
        ));
    }

    fn entry(seq: i64, json: &str) -> OutboxEntry {
        OutboxEntry {
            seq,
            at: Timestamp::from_unix_millis(1_000 + seq),
            kind: "audit".into(),
            record_json: json.into(),
        }
    }

    #[test]
    fn records_travel_unchanged() {
        let record =
            r#"{"kind":"audit","seq":3,"at":5,"actor":"01","action":"x","detail":"{\"a\": 1}"}"#;
        let body = push_body(&[entry(1, record)], 4, Some(Timestamp::from_unix_millis(9))).unwrap();
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains(record), "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["v"], 1);
        assert_eq!(v["backlog"], 4);
        assert_eq!(v["oldest_backlog_at"], 9);
        assert_eq!(v["changes"][0]["seq"], 1);
        assert_eq!(v["changes"][0]["at"], 1001);
        let bad = push_body(&[entry(1, "{not json")], 0, None).unwrap_err();
        assert_eq!(bad.retry(), cloudpos_domain::hq_ports::LinkRetry::Stop);
    }

    #[test]
    fn a_body_too_large_sends_a_prefix_and_counts_the_rest_as_backlog() {
        let big = format!(
            r#"{{"kind":"audit","detail":"{}"}}"#,
            "x".repeat(3 * 1024 * 1024)
        );
        let changes: Vec<OutboxEntry> = (1..=4).map(|s| entry(s, &big)).collect();
        let body = push_body(&changes, 10, None).unwrap();
        assert!(body.len() <= MAX_PUSH_BYTES);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["changes"].as_array().unwrap().len(), 2);
        assert_eq!(v["backlog"], 12);
        assert_eq!(v["oldest_backlog_at"], 1003);
    }
}
