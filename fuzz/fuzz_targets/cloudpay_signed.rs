//! The structured variant of `cloudpay_response`: the input is a `response_content`
//! string, wrapped in an envelope with a **correct** HMAC, so the fuzzer gets past the MAC
//! check and reaches the header, the operation object and the mapping.
//!
//! The first byte chooses how the envelope is built: a correct `authen_info.a` (most
//! inputs), no `authen_info` at all, a MAC in lower-case hex, or a wrong `authen_type`.
#![no_main]

#[path = "../common/cloudpay.rs"]
mod cloudpay;

use std::sync::LazyLock;

use cloudpay_api::AuthenKey;
use cloudpay_api::wire::{AuthenInfo, Authentication, ResponseEnvelope};
use libfuzzer_sys::fuzz_target;

static KEY: LazyLock<AuthenKey> = LazyLock::new(|| AuthenKey::new(cloudpay::FIXTURE_KEY));

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let content = String::from_utf8_lossy(rest).into_owned();
    let key = &*KEY;
    let authen_info = match mode % 8 {
        // No MAC: only 3 and 101 may be believed.
        6 => None,
        // Lower-case hex is accepted too.
        5 => Some(AuthenInfo {
            a: Some(Authentication {
                authen_type: 1,
                authen_code: key.authen_code(&content).to_ascii_lowercase(),
            }),
            s: None,
        }),
        // A type other than HMAC-SHA256 is refused.
        7 => Some(AuthenInfo {
            a: Some(Authentication {
                authen_type: i32::from(mode),
                authen_code: key.authen_code(&content),
            }),
            s: None,
        }),
        _ => Some(key.authen_info(&content)),
    };
    let envelope = ResponseEnvelope {
        response_content: content,
        authen_info,
    };
    let body = serde_json::to_string(&envelope).expect("an envelope serialises");
    cloudpay::exercise(key, &body);
});
