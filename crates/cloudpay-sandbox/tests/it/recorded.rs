//! The recorded exchanges of `fixtures/cloudpay/exchanges` against the sandbox's own checks,
//! for the documented merchant: every valid recorded request passes the envelope and request
//! checks, and every recorded 101 is exactly what the sandbox answers to that request. So
//! the fixtures teams read are what a strict Cloud Pay accepts and refuses.

use cloudpay_api::AuthenKey;
use cloudpay_api::wire::status;
use cloudpay_sandbox::envelope::{Gate, authenticate};
use cloudpay_sandbox::{MerchantConfig, ShopConfig, StaffMember, StaffRole, validate};
use serde_json::Value;

use crate::fixtures_dir;

/// The merchant of the protocol notes' example (§6.1), as the fixtures use it.
fn doc_merchant() -> MerchantConfig {
    MerchantConfig {
        out_mch_id: "sz01lXKA6DKGjNzr2l4B".into(),
        out_sub_mch_id: "sz01KzuCUOmw8yjtPite".into(),
        name: "文档商户".into(),
        order_prefix: "sz010002cz1".into(),
        shops: vec![ShopConfig {
            out_shop_id: "sz011biKxOguirmBqiFR".into(),
            name: "一号店".into(),
            devices: vec!["824".into()],
        }],
        staff: vec![StaffMember {
            staff_id: "1206".into(),
            name: "张三".into(),
            role: StaffRole::StoreManager,
        }],
        default_staff_id: "1206".into(),
        ..MerchantConfig::default()
    }
}

fn response_header(x: &Value) -> Value {
    let outer: Value = serde_json::from_str(x["response_body"].as_str().unwrap()).unwrap();
    serde_json::from_str(outer["response_content"].as_str().unwrap()).unwrap()
}

#[test]
fn recorded_requests_pass_and_recorded_101s_match_the_sandbox() {
    let m = doc_merchant();
    let mut paths: Vec<_> = std::fs::read_dir(fixtures_dir().join("exchanges"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let (mut passed, mut refused) = (0, 0);
    for path in paths {
        let x: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let name = x["name"].as_str().unwrap();
        let key = AuthenKey::new(x["authen_key"].as_str().unwrap());
        let gate = Gate {
            out_sub_mch_id: &m.out_sub_mch_id,
            key: &key,
            verifier: None,
        };
        let endpoint = x["endpoint"].as_str().unwrap();
        let header = response_header(&x);
        let result = authenticate(
            &gate,
            endpoint,
            x["request_body"].as_str().unwrap().as_bytes(),
        )
        .and_then(|content| {
            assert_eq!(content, x["request_content"].as_str().unwrap(), "{name}");
            validate::check(&m, endpoint, &content).map(|_| ())
        });
        let expect_refusal = x["request_valid"] == false || x.get("request_authen_key").is_some();
        match result {
            Ok(()) => {
                assert!(
                    !expect_refusal,
                    "{name}: the sandbox accepts a refused request"
                );
                passed += 1;
            }
            Err(f) => {
                assert!(expect_refusal, "{name}: refused: {}", f.description);
                assert_eq!(f.status, status::REJECTED, "{name}");
                assert_eq!(header["status"], 101, "{name}");
                assert_eq!(
                    header["description"].as_str().unwrap(),
                    f.description,
                    "{name}: the recorded 101 is the sandbox's"
                );
                assert_eq!(header["internal_status"].as_i64(), f.internal, "{name}");
                refused += 1;
            }
        }
    }
    assert!(passed >= 55, "{passed}");
    assert_eq!(
        refused, 17,
        "one spoiled request per endpoint (the deposit endpoints included), and a wrong MAC"
    );
}
