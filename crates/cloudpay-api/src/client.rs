//! The HTTP client: builds envelopes, posts them, and verifies what comes back.
//!
//! Every call returns a [`Reply`], which keeps apart the cases the payment logic must not
//! confuse: a verified answer, a status without a business object, a forged answer (a
//! missing or wrong MAC where the protocol requires one), and no usable answer at all.
//!
//! ## Domain failover (protocol notes §11.10)
//! A client may know several Cloud Pay domains ([`CloudPayConfig::base_urls`]). All clones
//! of a client share one index of the domain in use, starting with the first. A request
//! moves to another domain only when it **could not have been sent** ([`Reply::NotSent`]:
//! connection refused or timed out, DNS failure, TLS handshake): the client then pings the
//! other domains in order, makes the first that answers the one in use, and sends the same
//! request there once. A request that may have arrived ([`Reply::NoAnswer`]) is never
//! re-sent elsewhere: the caller follows it up by querying the same number, which reaches
//! whichever domain is in use by then (the exactly-once rule).

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cloudpos_domain::code::Wallet;
use cloudpos_domain::ports::{CloudDomain, CloudDomains, GatewayError};
use cloudpos_domain::{Money, OrderNo};
use reqwest::Url;
use ring::rand::{SecureRandom, SystemRandom};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls_platform_verifier::BuilderVerifierExt;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth::AuthenKey;
use crate::config::{CloudPayConfig, Secrets};
use crate::wire::{self, endpoint, status};

/// Why a client could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The base URL does not parse.
    #[error("invalid Cloud Pay base URL \"{0}\"")]
    BadUrl(String),
    /// Plain HTTP to a host that is not loopback.
    #[error("plain http is allowed only for loopback addresses; use https for \"{0}\"")]
    InsecureUrl(String),
    /// The root CA PEM holds no usable certificate.
    #[error("the root CA PEM is not usable: {0}")]
    BadRootCa(String),
    /// The proxy settings are invalid.
    #[error("invalid proxy settings: {0}")]
    BadProxy(String),
    /// TLS could not be set up.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// The HTTP client could not be built.
    #[error("HTTP client setup failed: {0}")]
    Http(String),
    /// A configured value would make Cloud Pay refuse every call (status 101).
    #[error("invalid Cloud Pay settings: {0}")]
    BadConfig(String),
}

/// What a call produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply<T> {
    /// Status 0, MAC verified, operation object read.
    Success {
        /// Common fields.
        header: wire::ResponseHeader,
        /// The operation object.
        body: T,
    },
    /// Any other status. `authenticated` is false only for 3 and 101, which carry no MAC
    /// by protocol (any other status without a valid MAC is [`Reply::Forged`]).
    Status {
        /// Common fields.
        header: wire::ResponseHeader,
        /// Whether the MAC verified.
        authenticated: bool,
    },
    /// A MAC was required and is missing or wrong: nothing in it can be trusted.
    Forged {
        /// What failed.
        reason: String,
    },
    /// The request never left: no connection (refused, unresolvable, connect timeout, TLS
    /// handshake failure) or it could not be built. Cloud Pay cannot have acted on it.
    NotSent {
        /// What happened.
        reason: String,
    },
    /// No usable answer after the request may have been delivered: timeout, dropped or
    /// truncated connection, HTTP error status, or a body that is not a Cloud Pay envelope.
    NoAnswer {
        /// What happened.
        reason: String,
    },
    /// A verified status-0 answer whose operation object is missing or unreadable.
    Malformed {
        /// What is wrong.
        reason: String,
    },
}

impl<T> Reply<T> {
    /// Converts a reply to a `Result` for non-payment calls: 3/103 → `Busy`, other non-zero
    /// statuses → `Refused`, forged → `Forged`, no answer or unreadable → `Unreachable`.
    pub fn into_result(self) -> Result<T, GatewayError> {
        match self {
            Reply::Success { body, .. } => Ok(body),
            Reply::Status { header, .. } => Err(status_error(&header)),
            Reply::Forged { reason } => Err(GatewayError::Forged(reason)),
            Reply::NoAnswer { reason } | Reply::NotSent { reason } => {
                Err(GatewayError::Unreachable(reason))
            }
            Reply::Malformed { reason } => Err(GatewayError::Unreachable(format!(
                "unreadable answer: {reason}"
            ))),
        }
    }
}

fn status_error(header: &wire::ResponseHeader) -> GatewayError {
    let description = describe(header);
    if matches!(header.status, status::INTERNAL_ERROR | status::UNKNOWN) {
        GatewayError::Busy {
            status: header.status,
            description,
        }
    } else {
        GatewayError::Refused {
            status: header.status,
            description,
        }
    }
}

/// `description` plus the internal status when there is one.
pub(crate) fn describe(header: &wire::ResponseHeader) -> String {
    match header.internal_status {
        Some(internal) => format!("{} (internal status {internal})", header.description),
        None => header.description.clone(),
    }
}

/// Verifies and decodes a response body (pure; the client and the fixture tests use it).
///
/// `op` is the name of the operation object (e.g. `micro_pay`, `order_detail_query`).
pub fn parse_reply<T: DeserializeOwned>(key: &AuthenKey, op: &str, body: &str) -> Reply<T> {
    let envelope: wire::ResponseEnvelope = match serde_json::from_str(body) {
        Ok(e) => e,
        Err(e) => {
            return Reply::NoAnswer {
                reason: format!("the answer is not a Cloud Pay envelope: {e}"),
            };
        }
    };
    let content = envelope.response_content;
    let mac = envelope.authen_info.and_then(|a| a.a);
    let authenticated = match &mac {
        Some(a) if a.authen_type != wire::AUTHEN_TYPE_HMAC_SHA256 => {
            return Reply::Forged {
                reason: format!("unsupported authen_type {}", a.authen_type),
            };
        }
        Some(a) => {
            if !key.verify(&content, &a.authen_code) {
                return Reply::Forged {
                    reason: "the answer's authen_code does not match its response_content"
                        .to_owned(),
                };
            }
            true
        }
        None => false,
    };
    let header: wire::ResponseHeader = match serde_json::from_str(&content) {
        Ok(h) => h,
        Err(e) if authenticated => {
            return Reply::Malformed {
                reason: format!("response_content: {e}"),
            };
        }
        Err(e) => {
            return Reply::NoAnswer {
                reason: format!("unauthenticated, unreadable response_content: {e}"),
            };
        }
    };
    if !authenticated {
        if status::requires_mac(header.status) {
            return Reply::Forged {
                reason: format!(
                    "status {} answer without authen_info (only 3 and 101 may omit it)",
                    header.status
                ),
            };
        }
        return Reply::Status {
            header,
            authenticated: false,
        };
    }
    if header.status != status::SUCCESS {
        return Reply::Status {
            header,
            authenticated: true,
        };
    }
    let object = serde_json::from_str::<serde_json::Value>(&content)
        .ok()
        .and_then(|mut v| v.get_mut(op).map(serde_json::Value::take));
    match object {
        None => Reply::Malformed {
            reason: format!("status 0 without the `{op}` object"),
        },
        Some(v) => match serde_json::from_value(v) {
            Ok(body) => Reply::Success { header, body },
            Err(e) => Reply::Malformed {
                reason: format!("`{op}`: {e}"),
            },
        },
    }
}

/// A fresh `nonce_str`: 32 upper-case hex characters from the system CSPRNG.
#[must_use]
pub fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    // SystemRandom only fails if the OS has no entropy source, which a running terminal has.
    if SystemRandom::new().fill(&mut bytes).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        bytes = t.to_be_bytes();
    }
    hex::encode_upper(bytes)
}

/// The `pay_platform` of a wallet.
#[must_use]
pub const fn pay_platform(wallet: Wallet) -> i32 {
    match wallet {
        Wallet::WeChat => wire::pay_platform::WECHAT,
        Wallet::Alipay => wire::pay_platform::ALIPAY,
        Wallet::MemberCard => wire::pay_platform::MEMBER_CARD,
    }
}

/// The `sub_pay_platform` of a wallet.
#[must_use]
pub const fn sub_pay_platform(wallet: Wallet) -> i32 {
    match wallet {
        Wallet::WeChat => wire::sub_pay_platform::WECHAT,
        Wallet::Alipay => wire::sub_pay_platform::ALIPAY,
        Wallet::MemberCard => wire::sub_pay_platform::MEMBER_CARD,
    }
}

/// The wallet of a `pay_platform`.
#[must_use]
pub const fn wallet_of(pay_platform: i32) -> Option<Wallet> {
    match pay_platform {
        wire::pay_platform::WECHAT => Some(Wallet::WeChat),
        wire::pay_platform::ALIPAY => Some(Wallet::Alipay),
        wire::pay_platform::MEMBER_CARD => Some(Wallet::MemberCard),
        _ => None,
    }
}

/// The Cloud Pay client. Cheap to clone (clones share one connection pool and one
/// domain in use).
#[derive(Clone, Debug)]
pub struct CloudPayClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    /// The domains, first choice first (never empty).
    bases: Vec<Url>,
    /// Index into `bases` of the domain in use.
    current: AtomicUsize,
    /// Whether each domain answered its last probe (`None`: not probed).
    probed: std::sync::Mutex<Vec<(Option<bool>, Option<String>)>>,
    config: CloudPayConfig,
    secrets: Secrets,
}

/// Byte length limits of the request fields the client fills from its settings
/// (protocol notes §3.1–§3.2).
const MAX_ID: usize = 32;
const MAX_DEVICE_OR_STAFF: usize = 64;
const MAX_SDK_VERSION: usize = 10;
/// `TerminalType`: 1 Windows, 2 Android, 3 iOS, 4 Linux, 100 other (§3.2).
const TERMINAL_TYPES: [i32; 5] = [1, 2, 3, 4, 100];

/// Whether `text` is a dotted IPv4 address as `spbill_create_ip` needs it (String(16),
/// §3.2): four decimal groups of 1–3 digits, each at most 255. Leading zeros are allowed,
/// as in the protocol's own example `90.0.00.0`.
#[must_use]
pub fn is_dotted_ipv4(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    text.len() <= 16
        && parts.len() == 4
        && parts.iter().all(|p| {
            (1..=3).contains(&p.len())
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|v| v <= 255)
        })
}

/// The longest prefix of `text` of at most `max` UTF-8 bytes that ends on a character
/// boundary (the protocol's `String(n)` limits are read as bytes, the stricter reading).
#[must_use]
pub fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// Checks the settings the client puts into every request, so a bad value is refused here
/// with its name instead of by Cloud Pay on every call.
fn check_settings(c: &CloudPayConfig) -> Result<(), ClientError> {
    let bad = |m: String| Err(ClientError::BadConfig(m));
    for (name, value, max) in [
        ("out_mch_id", &c.out_mch_id, MAX_ID),
        ("out_sub_mch_id", &c.out_sub_mch_id, MAX_ID),
        ("out_shop_id", &c.out_shop_id, MAX_ID),
        ("device_id", &c.device_id, MAX_DEVICE_OR_STAFF),
        ("machine_no", &c.machine_no, MAX_ID),
        ("sdk_version", &c.sdk_version, MAX_SDK_VERSION),
    ] {
        if value.trim().is_empty() {
            return bad(format!("{name} is empty"));
        }
        if value.len() > max {
            return bad(format!("{name} \"{value}\" is longer than {max} bytes"));
        }
    }
    if let Some(staff) = &c.staff_id
        && staff.len() > MAX_DEVICE_OR_STAFF
    {
        return bad(format!(
            "staff_id \"{staff}\" is longer than {MAX_DEVICE_OR_STAFF} bytes"
        ));
    }
    if !TERMINAL_TYPES.contains(&c.terminal_type) {
        return bad(format!(
            "terminal_type {} is not 1, 2, 3, 4 or 100",
            c.terminal_type
        ));
    }
    if !is_dotted_ipv4(&c.spbill_create_ip) {
        return bad(format!(
            "spbill_create_ip \"{}\" is not a dotted IPv4 address",
            c.spbill_create_ip
        ));
    }
    Ok(())
}

fn is_loopback(url: &Url) -> bool {
    url.host_str().is_some_and(|host| {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost") || is_loopback_ip(host)
    })
}

impl CloudPayClient {
    /// Builds a client: validates the base URL, sets up rustls with the `ring` provider
    /// (the platform trust store, or only `root_ca_pem` when given), timeouts,
    /// `TCP_NODELAY` and the proxy. No request is made.
    pub fn new(config: CloudPayConfig, secrets: Secrets) -> Result<Self, ClientError> {
        let domains = config.domains().map_err(ClientError::BadConfig)?;
        let mut bases = Vec::with_capacity(domains.len());
        for text in domains {
            let base = Url::parse(&text).map_err(|_| ClientError::BadUrl(text.clone()))?;
            match base.scheme() {
                "https" => {}
                "http" if is_loopback(&base) => {}
                "http" => return Err(ClientError::InsecureUrl(text)),
                _ => return Err(ClientError::BadUrl(text)),
            }
            bases.push(base);
        }
        check_settings(&config)?;
        let https = bases.iter().any(|b| b.scheme() == "https");
        let http = build_http(&config, https)?;
        let probed = std::sync::Mutex::new(vec![(None, None); bases.len()]);
        Ok(CloudPayClient {
            inner: Arc::new(Inner {
                http,
                bases,
                current: AtomicUsize::new(0),
                probed,
                config,
                secrets,
            }),
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &CloudPayConfig {
        &self.inner.config
    }

    /// The URL of an endpoint on the domain in use.
    #[must_use]
    pub fn endpoint_url(&self, name: &str) -> String {
        format!("{}{name}", self.inner.bases[self.current()])
    }

    /// Every configured domain (base URL), first choice first.
    #[must_use]
    pub fn base_urls(&self) -> Vec<String> {
        self.inner.bases.iter().map(Url::to_string).collect()
    }

    /// The base URL requests go to now.
    #[must_use]
    pub fn current_base_url(&self) -> String {
        self.inner.bases[self.current()].to_string()
    }

    fn current(&self) -> usize {
        self.inner
            .current
            .load(Ordering::SeqCst)
            .min(self.inner.bases.len() - 1)
    }

    /// The domains and the one in use, with what each last probe said.
    #[must_use]
    pub fn domains_now(&self) -> CloudDomains {
        let probed = self
            .inner
            .probed
            .lock()
            .map(|p| p.clone())
            .unwrap_or_default();
        CloudDomains {
            domains: self
                .inner
                .bases
                .iter()
                .enumerate()
                .map(|(i, base)| {
                    let (answers, error) = probed.get(i).cloned().unwrap_or_default();
                    CloudDomain {
                        base_url: base.to_string(),
                        answers,
                        error,
                    }
                })
                .collect(),
            in_use: Some(self.current_base_url()),
        }
    }

    fn note_probe(&self, index: usize, result: &Result<wire::PingResponse, GatewayError>) {
        if let Ok(mut p) = self.inner.probed.lock()
            && let Some(slot) = p.get_mut(index)
        {
            *slot = match result {
                Ok(_) => (Some(true), None),
                Err(e) => (Some(false), Some(e.to_string())),
            };
        }
    }

    /// Pings every domain in order and makes the first that answers the one in use
    /// (protocol notes §11.10: "probe each with `/cpay/ping`"). When none answers, the
    /// domain in use is kept. Returns what each domain said.
    pub async fn probe(&self) -> CloudDomains {
        let mut first = None;
        for i in 0..self.inner.bases.len() {
            let result = self.ping_at(i).await;
            self.note_probe(i, &result);
            if result.is_ok() && first.is_none() {
                first = Some(i);
            }
        }
        if let Some(i) = first {
            let before = self.inner.current.swap(i, Ordering::SeqCst);
            if before != i {
                tracing::info!(
                    domain = %self.inner.bases[i],
                    "Cloud Pay domain in use after probing"
                );
            }
        }
        self.domains_now()
    }

    /// After a request to domain `failed` could not be sent: the domain to use instead,
    /// chosen by pinging the others in order (from the one after `failed`, wrapping
    /// around). `None` when no other domain answers. If another clone already moved away
    /// from `failed`, its choice stands.
    async fn fail_over(&self, failed: usize) -> Option<usize> {
        let n = self.inner.bases.len();
        let now = self.current();
        if now != failed {
            return Some(now);
        }
        for k in 1..n {
            let candidate = (failed + k) % n;
            let result = self.ping_at(candidate).await;
            self.note_probe(candidate, &result);
            if result.is_ok() {
                let chosen = match self.inner.current.compare_exchange(
                    failed,
                    candidate,
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                ) {
                    Ok(_) => candidate,
                    Err(other) => other,
                };
                tracing::warn!(
                    from = %self.inner.bases[failed],
                    to = %self.inner.bases[chosen],
                    "Cloud Pay domain unreachable; switched domains"
                );
                return Some(chosen);
            }
        }
        None
    }

    /// Serialises `request`, authenticates it (RSA `s` when `sign` is set and a private key
    /// is configured, HMAC `a` otherwise), posts it to `endpoint` and verifies the answer.
    pub async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        endpoint: &str,
        request: &Req,
        sign: bool,
    ) -> Reply<Resp> {
        let content = match serde_json::to_string(request) {
            Ok(c) => c,
            Err(e) => {
                return Reply::NotSent {
                    reason: format!("request not serialisable: {e}"),
                };
            }
        };
        self.call_content(endpoint, content, sign).await
    }

    /// Like [`CloudPayClient::call`] with a ready `request_content` string, sent verbatim.
    pub async fn call_content<Resp: DeserializeOwned>(
        &self,
        endpoint: &str,
        request_content: String,
        sign: bool,
    ) -> Reply<Resp> {
        let body = match self.request_body(request_content, sign) {
            Ok(b) => b,
            Err(reason) => return Reply::NotSent { reason },
        };
        match self.post(endpoint, body).await {
            Ok(text) => parse_reply(
                &self.inner.secrets.authen_key,
                endpoint::response_object(endpoint),
                &text,
            ),
            Err(Transport::NotSent(reason)) => Reply::NotSent { reason },
            Err(Transport::NoAnswer(reason)) => Reply::NoAnswer { reason },
        }
    }

    /// The exact HTTP body posted for `request_content`: the envelope, with `authen_info.s`
    /// (RSA-PSS) when `sign` is set and a private key is configured, `authen_info.a`
    /// (HMAC) otherwise. Pure: tests and embedders can see the bytes that would be sent.
    pub fn request_body(&self, request_content: String, sign: bool) -> Result<String, String> {
        let authen_info = match (&self.inner.secrets.signer, sign) {
            (Some(signer), true) => signer
                .authen_info(&request_content)
                .map_err(|e| format!("could not sign the request: {e}"))?,
            _ => self.inner.secrets.authen_key.authen_info(&request_content),
        };
        serde_json::to_string(&wire::RequestEnvelope {
            request_content,
            authen_info,
        })
        .map_err(|e| format!("envelope not serialisable: {e}"))
    }

    /// Posts a body to the domain in use and returns the answer's text, or why there is
    /// none (and whether the request can have left). When it could not be sent and there
    /// are other domains, fails over (see the module notes) and sends it once more there.
    async fn post(&self, endpoint: &str, body: String) -> Result<String, Transport> {
        let first = self.current();
        let result = if self.inner.bases.len() > 1 {
            self.post_at(first, endpoint, body.clone()).await
        } else {
            return self.post_at(first, endpoint, body).await;
        };
        match result {
            Err(Transport::NotSent(reason)) => match self.fail_over(first).await {
                Some(next) => self.post_at(next, endpoint, body).await,
                None => Err(Transport::NotSent(format!(
                    "{reason}; no other Cloud Pay domain answers ping"
                ))),
            },
            other => other,
        }
    }

    /// Posts a body to domain `index` only.
    async fn post_at(
        &self,
        index: usize,
        endpoint: &str,
        body: String,
    ) -> Result<String, Transport> {
        let url = format!("{}{endpoint}", self.inner.bases[index]);
        let started = std::time::Instant::now();
        let response = self
            .inner
            .http
            .post(&url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| {
                // A connect error (refused, DNS, connect timeout, TLS handshake) means the
                // request was never written; anything later may have reached Cloud Pay.
                if e.is_connect() {
                    Transport::NotSent(transport_reason(&e))
                } else {
                    Transport::NoAnswer(transport_reason(&e))
                }
            })?;
        let code = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| Transport::NoAnswer(transport_reason(&e)))?;
        tracing::debug!(
            endpoint,
            domain = index,
            status = code.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "cloud pay call"
        );
        if !code.is_success() {
            return Err(Transport::NoAnswer(format!("HTTP {code} from {endpoint}")));
        }
        Ok(text)
    }

    /// `micro_pay` on the wire.
    pub async fn micro_pay_wire(
        &self,
        req: &wire::MicroPayRequest,
    ) -> Reply<wire::MicroPayResponse> {
        self.call(endpoint::MICRO_PAY, req, false).await
    }

    /// `query_order` on the wire.
    pub async fn query_order_wire(
        &self,
        req: &wire::QueryOrderRequest,
    ) -> Reply<wire::QueryOrderResponse> {
        self.call(endpoint::QUERY_ORDER, req, false).await
    }

    /// `reverse` on the wire (RSA-signed when a private key is configured).
    pub async fn reverse_wire(&self, req: &wire::ReverseRequest) -> Reply<wire::ReverseResponse> {
        self.call(endpoint::REVERSE, req, true).await
    }

    /// `refund` on the wire (RSA-signed when a private key is configured).
    pub async fn refund_wire(&self, req: &wire::RefundRequest) -> Reply<wire::RefundResponse> {
        self.call(endpoint::REFUND, req, true).await
    }

    /// `query_refund_order` on the wire.
    pub async fn query_refund_wire(
        &self,
        req: &wire::QueryRefundOrderRequest,
    ) -> Reply<wire::QueryRefundOrderResponse> {
        self.call(endpoint::QUERY_REFUND_ORDER, req, false).await
    }

    /// `client_order_detail` on the wire.
    pub async fn order_detail_wire(
        &self,
        req: &wire::ClientOrderDetailRequest,
    ) -> Reply<wire::OrderDetailQuery> {
        self.call(endpoint::CLIENT_ORDER_DETAIL, req, false).await
    }

    /// `close_order`: closes an unpaid order (payment-code orders are normally reversed).
    pub async fn close_order(
        &self,
        order_no: &OrderNo,
        wallet: Option<Wallet>,
    ) -> Result<(), GatewayError> {
        let req = self.close_order_request(order_no, wallet, new_nonce());
        self.call::<_, wire::CloseOrderResponse>(endpoint::CLOSE_ORDER, &req, false)
            .await
            .into_result()
            .map(|_| ())
    }

    /// `ping`: the server's clock (bare answer, no MAC), from the domain in use (failing
    /// over like any call when it cannot be reached).
    pub async fn ping_raw(&self) -> Result<wire::PingResponse, GatewayError> {
        let text = self.post(endpoint::PING, PING_BODY.to_owned()).await;
        read_ping(text)
    }

    /// `ping` of domain `index` only.
    async fn ping_at(&self, index: usize) -> Result<wire::PingResponse, GatewayError> {
        let text = self
            .post_at(index, endpoint::PING, PING_BODY.to_owned())
            .await;
        read_ping(text)
    }

    // ───────────── approvals (sandbox extension; outside the PaymentGateway port) ─────────────

    /// Creates an approval challenge: `login`, or `refund` of `amount` on `order_no`.
    /// Returns the token, the page a manager opens, and the expiry.
    pub async fn create_approval(
        &self,
        kind: wire::ApprovalKind,
        order_no: Option<&OrderNo>,
        amount: Option<Money>,
    ) -> Result<wire::ApprovalTicket, GatewayError> {
        let req = self.create_approval_request(kind, order_no, amount, new_nonce());
        self.call(endpoint::X_CREATE_APPROVAL, &req, false)
            .await
            .into_result()
    }

    /// Polls an approval challenge.
    pub async fn approval_status(&self, token: &str) -> Result<wire::ApprovalStatus, GatewayError> {
        let req = self.approval_token_request(token, new_nonce());
        self.call(endpoint::X_QUERY_APPROVAL, &req, false)
            .await
            .into_result()
    }

    /// Consumes an approved challenge; succeeds exactly once (a second call is refused).
    pub async fn consume_approval(
        &self,
        token: &str,
    ) -> Result<wire::ApprovalStatus, GatewayError> {
        let req = self.approval_token_request(token, new_nonce());
        self.call(endpoint::X_CONSUME_APPROVAL, &req, false)
            .await
            .into_result()
    }
}

/// What `ping` posts: "POST anything" (protocol notes §1.5); an empty JSON object.
const PING_BODY: &str = "{}";

/// Reads a bare `ping` answer.
fn read_ping(text: Result<String, Transport>) -> Result<wire::PingResponse, GatewayError> {
    let text = text.map_err(|t| match t {
        Transport::NotSent(r) | Transport::NoAnswer(r) => GatewayError::Unreachable(r),
    })?;
    let ping: wire::PingResponse = serde_json::from_str(&text)
        .map_err(|e| GatewayError::Unreachable(format!("unreadable ping answer: {e}")))?;
    if ping.status != status::SUCCESS {
        return Err(status_error(&wire::ResponseHeader {
            status: ping.status,
            description: ping.description,
            log_id: None,
            internal_status: None,
        }));
    }
    Ok(ping)
}

/// Why a post produced no answer.
enum Transport {
    /// Never left (connect failure).
    NotSent(String),
    /// May have been delivered.
    NoAnswer(String),
}

fn transport_reason(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "transport error".to_owned()
    };
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A rustls client configuration with the `ring` provider: trusting only `root_ca_pem`
/// when given, else the platform store when `platform_roots`, else nothing (for plain-HTTP
/// loopback use). Hand it to `reqwest::ClientBuilder::tls_backend_preconfigured`; the
/// workspace's reqwest has no default provider and panics without one.
pub fn rustls_config(
    root_ca_pem: Option<&str>,
    platform_roots: bool,
) -> Result<rustls::ClientConfig, ClientError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Tls(e.to_string()))?;
    Ok(if let Some(pem) = root_ca_pem {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| ClientError::BadRootCa(e.to_string()))?;
            roots
                .add(cert)
                .map_err(|e| ClientError::BadRootCa(e.to_string()))?;
        }
        if roots.is_empty() {
            return Err(ClientError::BadRootCa("no certificate found".to_owned()));
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    } else if platform_roots {
        builder
            .with_platform_verifier()
            .map_err(|e| ClientError::Tls(e.to_string()))?
            .with_no_client_auth()
    } else {
        builder
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth()
    })
}

pub(crate) fn build_http(
    config: &CloudPayConfig,
    https: bool,
) -> Result<reqwest::Client, ClientError> {
    // Plain HTTP to loopback (the sandbox) never uses TLS, so the platform store is not
    // loaded at all; redirects are off, so no https URL can be reached.
    let tls = rustls_config(config.root_ca_pem.as_deref(), https)?;
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(config.timeouts.connect())
        .timeout(config.timeouts.request())
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(concat!("cloudpos-cloudpay-api/", env!("CARGO_PKG_VERSION")));
    builder = match &config.proxy {
        Some(p) => {
            let mut proxy =
                reqwest::Proxy::all(&p.url).map_err(|e| ClientError::BadProxy(e.to_string()))?;
            if let Some(user) = &p.username {
                proxy = proxy.basic_auth(user, p.password.as_deref().unwrap_or(""));
            }
            proxy = proxy.no_proxy(reqwest::NoProxy::from_string("localhost,127.0.0.1,::1"));
            builder.proxy(proxy)
        }
        // No configured proxy means none: do not pick one up from the environment.
        None => builder.no_proxy(),
    };
    builder
        .build()
        .map_err(|e| ClientError::Http(e.to_string()))
}

/// Whether an IP text is loopback (helper for callers validating settings).
#[must_use]
pub fn is_loopback_ip(text: &str) -> bool {
    text.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
