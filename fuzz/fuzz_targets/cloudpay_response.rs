//! A Cloud Pay HTTP response body, as received: `cloudpay_api::parse_reply` for every
//! operation's response type, then the `cloudpay_api::mapping` functions on the result.
//!
//! The body is checked with the fixtures' `authen_key`, so the recorded answers in the
//! corpus verify; most mutations break the MAC and stop at the first check (that is the
//! point of the MAC). `cloudpay_signed` fuzzes what lies behind a valid MAC.
#![no_main]

#[path = "../common/cloudpay.rs"]
mod cloudpay;

use std::sync::LazyLock;

use cloudpay_api::AuthenKey;
use libfuzzer_sys::fuzz_target;

static KEY: LazyLock<AuthenKey> = LazyLock::new(|| AuthenKey::new(cloudpay::FIXTURE_KEY));

fuzz_target!(|data: &[u8]| {
    // reqwest hands the client the body as text (lossy UTF-8).
    let body = String::from_utf8_lossy(data);
    cloudpay::exercise(&KEY, &body);
});
