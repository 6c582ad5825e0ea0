//! Fault injection through `/control/faults`.

use std::time::{Duration, Instant};

use cloudpos_domain::ports::{PayOutcome, PaymentGateway, QueryOutcome};
use serde_json::json;

use crate::{Env, start, wx};

async fn set(env: &Env, config: serde_json::Value) {
    let (code, body) = env.post("faults", &config).await;
    assert_eq!(code, 200, "{body}");
}

async fn clear(env: &Env) {
    let r = env.http.delete(env.control("faults")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn pre_commit_faults_leave_nothing_behind() {
    let env = start().await;
    for fault in [
        json!({"status3_rate": 1.0}),
        json!({"status103_rate": 1.0}),
        json!({"http5xx_rate": 1.0, "http5xx_status": 502}),
        json!({"reset_before_commit_rate": 1.0}),
    ] {
        let mut config = fault.clone();
        config["endpoints"] = json!(["micro_pay"]);
        set(&env, config).await;
        let req = env.pay(&wx("00"), 100);
        let outcome = env.client.micro_pay(&req).await;
        assert!(
            matches!(outcome, PayOutcome::Unknown { .. }),
            "{fault}: {outcome:?}"
        );
        assert_eq!(
            env.client.query_order(&req.order_no, None).await,
            QueryOutcome::NotFound,
            "{fault}"
        );
    }
    let stats = env.get("faults").await["stats"].clone();
    assert_eq!(
        stats["requests"], 1,
        "counts restart with each configuration"
    );
    assert_eq!(stats["reset_before_commit"], 1);
    clear(&env).await;
    assert!(matches!(
        env.client.micro_pay(&env.pay(&wx("00"), 100)).await,
        PayOutcome::Paid { .. }
    ));
}

#[tokio::test]
async fn post_commit_faults_commit_the_payment() {
    let env = start().await;
    for fault in [
        json!({"drop_after_commit_rate": 1.0}),
        json!({"truncate_rate": 1.0}),
    ] {
        let mut config = fault.clone();
        config["endpoints"] = json!(["micro_pay"]);
        set(&env, config).await;
        let req = env.pay(&wx("00"), 100);
        let outcome = env.client.micro_pay(&req).await;
        assert!(
            matches!(outcome, PayOutcome::Unknown { .. }),
            "{fault}: {outcome:?}"
        );
        assert!(
            matches!(
                env.client.query_order(&req.order_no, None).await,
                QueryOutcome::Paid { .. }
            ),
            "{fault}"
        );
    }
}

#[tokio::test]
async fn hang_and_latency() {
    let env = start().await;
    set(&env, json!({"hang_rate": 1.0, "endpoints": ["micro_pay"]})).await;
    let impatient = env.client_with_timeout(300);
    let started = Instant::now();
    assert!(matches!(
        impatient.micro_pay(&env.pay(&wx("00"), 1)).await,
        PayOutcome::Unknown { .. }
    ));
    assert!(started.elapsed() < Duration::from_secs(2));
    set(
        &env,
        json!({"latency": {"rate": 1.0, "min_ms": 150, "max_ms": 200}}),
    )
    .await;
    let started = Instant::now();
    assert!(matches!(
        env.client.micro_pay(&env.pay(&wx("00"), 1)).await,
        PayOutcome::Paid { .. }
    ));
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(env.get("faults").await["stats"]["latency"], 1);
    // Bad settings are refused.
    let (code, _) = env.post("faults", &json!({"status3_rate": 2.0})).await;
    assert_eq!(code, 400);
    let (code, _) = env.post("faults", &json!({"no_such_fault": 1.0})).await;
    assert!(code >= 400);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_faults() {
    let env = start().await;
    let req = env.pay(&wx("00"), 1);
    let _ = env.client.micro_pay(&req).await;
    let pattern = |env: &Env| {
        let client = env.client.clone();
        let no = req.order_no.clone();
        async move {
            let mut p = Vec::new();
            for _ in 0..24 {
                p.push(matches!(
                    client.query_order(&no, None).await,
                    QueryOutcome::Unknown { .. }
                ));
            }
            p
        }
    };
    let config =
        json!({"seed": 42, "status3_rate": 0.3, "http5xx_rate": 0.2, "endpoints": ["query_order"]});
    set(&env, config.clone()).await;
    let a = pattern(&env).await;
    set(&env, config).await;
    let b = pattern(&env).await;
    assert_eq!(a, b);
    assert!(a.iter().any(|x| *x) && a.iter().any(|x| !*x), "{a:?}");
    set(
        &env,
        json!({"seed": 43, "status3_rate": 0.3, "http5xx_rate": 0.2, "endpoints": ["query_order"]}),
    )
    .await;
    assert_ne!(pattern(&env).await, a, "another seed, another sequence");
}

#[tokio::test]
async fn slow_customers_stay_user_paying_then_confirm_or_abandon() {
    let env = start().await;
    for (fail_rate, expect_paid) in [(0.0, true), (1.0, false)] {
        set(
            &env,
            json!({"user_paying": {"rate": 1.0, "min_ms": 300, "max_ms": 300, "fail_rate": fail_rate}}),
        )
        .await;
        let req = env.pay(&wx("00"), 100);
        assert_eq!(env.client.micro_pay(&req).await, PayOutcome::UserPaying);
        assert_eq!(
            env.client.query_order(&req.order_no, None).await,
            QueryOutcome::UserPaying,
            "still on the customer's phone"
        );
        tokio::time::sleep(Duration::from_millis(350)).await;
        let after = env.client.query_order(&req.order_no, None).await;
        if expect_paid {
            assert!(matches!(after, QueryOutcome::Paid { .. }), "{after:?}");
        } else {
            assert!(matches!(after, QueryOutcome::Failed { .. }), "{after:?}");
        }
    }
    assert_eq!(env.get("faults").await["stats"]["user_paying"], 1);
    // Scripted codes keep their script; other endpoints are never held.
    let req = env.pay(&wx("03"), 100);
    assert!(matches!(
        env.client.micro_pay(&req).await,
        PayOutcome::Failed { .. }
    ));
}

#[tokio::test]
async fn a_held_payment_is_auto_revoked_if_the_customer_is_too_slow() {
    let env = crate::start_with(cloudpay_sandbox::Timings {
        auto_revoke_after: Duration::from_millis(1_500),
        ..crate::test_timings()
    })
    .await;
    set(
        &env,
        json!({"user_paying": {"rate": 1.0, "min_ms": 5000, "max_ms": 5000}}),
    )
    .await;
    let req = env.pay(&wx("00"), 100);
    assert_eq!(env.client.micro_pay(&req).await, PayOutcome::UserPaying);
    tokio::time::sleep(Duration::from_millis(1_700)).await;
    assert_eq!(
        env.client.query_order(&req.order_no, None).await,
        QueryOutcome::Reversed
    );
    let bad = env
        .post(
            "faults",
            &json!({"user_paying": {"rate": 2.0, "min_ms": 0, "max_ms": 1}}),
        )
        .await;
    assert_eq!(bad.0, 400, "{}", bad.1);
}
