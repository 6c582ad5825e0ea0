//! # Cloud Pay (腾讯云支付) HTTPS API client
//!
//! Wire types ([`wire`]), envelope authentication ([`auth`]: HMAC-SHA256 `authen_info.a`
//! and RSASSA-PSS-SHA256 `authen_info.s`), a reqwest/rustls client ([`CloudPayClient`]),
//! and the `PaymentGateway` port of `cloudpos-domain` on top of it ([`mapping`] holds the
//! pure reply → outcome rules). The crate needs no async runtime of its own beyond what
//! reqwest uses, so the cashier, the CLI, the sandbox and tools can all embed it.
//!
//! ## The key decision: a verified answer or no answer
//! Every call returns a [`Reply`] that separates a *verified* answer (MAC checked over the
//! exact `response_content` string), a status without a business object, a **forged**
//! answer (status 0/102/103/104 whose MAC is missing or wrong) and no answer at all.
//! Only a verified answer can turn into "paid" or "not paid"; everything else is an
//! unknown outcome that the caller resolves by querying and, failing that, reversing.
//! The price is that a man-in-the-middle can still forge the MAC-less statuses 3 and
//! 101 the protocol defines; 3 is harmless ("unknown"), and 101 ("rejected") is trusted
//! because Cloud Pay sends it without a MAC by design. TLS (optionally pinned to Cloud
//! Pay's root via `root_ca_pem`) is the defence there.
//!
//! ## Outcome mapping (protocol notes §4, §6.2)
//! | reply | `micro_pay` | `query_order` | `reverse` | `refund` |
//! |---|---|---|---|---|
//! | transport error, timeout, HTTP 5xx, truncated body | Unknown | Unknown | Retry | Unknown |
//! | status 3, 103 | Unknown | Unknown | Retry | Unknown |
//! | forged (bad or missing MAC) | Unknown | Unknown | Retry | Unknown |
//! | 101 (e.g. wrong key) | Failed "rejected by Cloud Pay" | Unknown | Refused | Failed |
//! | 104 + internal 407 | DuplicateBlocked | — | — | — |
//! | other 102/104 | Failed | NotFound if "no such order", else Unknown | Refused (Retry if "no such order" or USERPAYING) | Failed |
//! | 0, Wx 2/3/4, Ali 2/6, card 2/4 | Paid | Paid | Reversed | — |
//! | 0, Wx 9/12, Ali 4, card 3 | UserPaying | UserPaying | Reversed | — |
//! | 0, Wx 5/7/10/11, Ali 5 (not refunded), card 5 | Failed | Failed | Reversed | — |
//! | 0, Wx 8 | Failed | Reversed | Reversed | — |
//! | 0, Ali 7 | Unknown | NotFound | Reversed | — |
//! | 0, refund state 1/4 · 2 · 3/5/6 | — | — | — | Processing · Succeeded · Failed |
//!
//! `query_refund_order` maps like `refund`, except that "no such refund" is Failed (never
//! accepted; retry with the same number) and other failures of the query are Unknown.
//! `list`, `ping`, `close_order` and the approval calls return `GatewayError`: 3/103 →
//! `Busy`, other statuses → `Refused`, forged → `Forged`, no answer → `Unreachable`.
//!
//! `pay_platform` is chosen from the payment code's wallet on `micro_pay` and from the
//! order's wallet on every later call ([`requests`] holds the builders and their audit
//! against the protocol's field tables). `refund` and `reverse` are RSA-signed (`s`) when
//! the secrets carry a private key, HMAC-authenticated otherwise.
//!
//! ## Deposits
//! [`deposit`] holds the deposit calls (押金, protocol notes §11): `micro_freeze`,
//! `query_freeze_order`, `deposit_consume`, `unfreeze`, `query_unfreeze_order`,
//! `query_order_list` and the refund of a consume order with `out_freeze_no`, with their
//! builders, their own mapping table and the `DepositGateway` port.
//!
//! ## The device
//! [`binding`] binds a device by configuration QR (配置扫码): the GET, the encrypted key and
//! its cipher (AES-128-CBC as confirmed; GCM kept behind the same function). [`device`] has
//! the calls beside payments: unbinding and the notices (公告).
//!
//! ## Domains
//! [`CloudPayConfig::base_urls`] lists Cloud Pay's domains in order; the client moves to the
//! next domain that answers `ping` only when a request could not have been sent, and never
//! re-sends elsewhere a request that may have arrived (see [`client`]).

pub mod auth;
pub mod binding;
pub mod client;
pub mod config;
pub mod deposit;
pub mod device;
mod gateway;
pub mod mapping;
pub mod requests;
pub mod wire;

pub use auth::{AuthenKey, PssSigner, PssVerifier, SignError};
pub use client::{ClientError, CloudPayClient, Reply, new_nonce, parse_reply};
pub use config::{CloudPayConfig, ProxyConfig, Secrets, Timeouts, domain_list};
pub use wire::{ApprovalKind, ApprovalState, ApprovalStatus, ApprovalTicket};
