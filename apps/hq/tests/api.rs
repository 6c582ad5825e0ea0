//! The owner's API, the catalogue stream, TLS, and the binary (CLI contract, killed mid-batch).

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};

use cloudpos_hq::ServerConfig;
use cloudpos_hq_protocol::Record;
use common::*;

const DAY: i64 = 86_400_000;

#[tokio::test]
async fn the_summary_groups_and_counts_like_the_tills() {
    let hq = start(true).await;
    let a = hq.enrol("A店", "t1").await;
    let b = hq.enrol("B店", "t1").await;
    let o = |seq, no: &str, state: &str, amt, refd, wallet: &str, at| {
        change(seq, Record::Order(order(no, state, amt, refd, wallet, at)))
    };
    hq.push(
        &a.credential,
        &batch(vec![
            o(1, "1", "paid", 1000, 1000, "wechat", T0), // fully refunded since: still paid
            o(2, "2", "paid", 2000, 0, "alipay", T0 + 3_600_000),
            o(3, "3", "failed", 700, 0, "wechat", T0), // never paid
            o(4, "4", "reversed", 900, 0, "wechat", T0), // voided: returned its money
            change(
                5,
                Record::Refund(refund("1", "1", 1000, "succeeded", T0 + 60_000)),
            ),
            o(6, "5", "paid", 300, 0, "cash", T0 + DAY), // the next day
        ]),
    )
    .await;
    hq.push(
        &b.credential,
        &batch(vec![o(1, "1", "paid", 5000, 0, "wechat", T0 + 7_200_000)]),
    )
    .await;

    let (status, s) = hq.get("/api/v1/summary?group=store").await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        s["total"],
        serde_json::json!({"paid_count": 4, "paid_fen": 8300, "refunded_fen": 1000})
    );
    assert_eq!(
        s["groups"][0],
        serde_json::json!({"key": "A店", "paid_count": 3, "paid_fen": 3300, "refunded_fen": 1000})
    );
    assert_eq!(s["groups"][1]["key"], "B店");
    // One day, in every till time format.
    for (from, to) in [
        ("2026-11-22", "2026-11-23"),
        ("2026-11-22 00:00", "2026-11-23T00:00:00"),
        ("1795276800", "1795363200"),
    ] {
        let (status, s) = hq
            .get(&format!("/api/v1/summary?from={from}&to={to}&group=wallet"))
            .await;
        assert_eq!(status, 200, "{s}");
        assert_eq!(
            s["total"],
            serde_json::json!({"paid_count": 3, "paid_fen": 8000, "refunded_fen": 1000}),
            "{from}"
        );
        let keys: Vec<&str> = s["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["alipay", "wechat"]);
    }
    let (_, s) = hq.get("/api/v1/summary?group=day").await;
    let days: Vec<(&str, i64)> = s["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"].as_str().unwrap(), g["paid_fen"].as_i64().unwrap()))
        .collect();
    assert_eq!(days, [("2026-11-22", 8000), ("2026-11-23", 300)]);
    let (_, s) = hq.get("/api/v1/summary?group=device").await;
    assert_eq!(s["groups"][0]["key"], "A店/t1");
    let (_, s) = hq.get("/api/v1/summary?group=clerk").await;
    assert_eq!(s["groups"][1]["key"], "B店/01");
    for bad in [
        "group=till",
        "from=yesterday",
        "from=2026-11-23&to=2026-11-22",
    ] {
        let (status, body) = hq.get(&format!("/api/v1/summary?{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"], "bad_request");
    }
}

#[tokio::test]
async fn orders_are_searched_and_paged_like_on_the_till() {
    let hq = start(true).await;
    let a = hq.enrol("A店", "t1").await;
    hq.push(&a.credential, &batch(paid_orders(1, 25))).await;
    let (_, p) = hq.get("/api/v1/orders?page_size=10&page=2").await;
    assert_eq!(p["total"], 25);
    assert_eq!(p["items"].as_array().unwrap().len(), 5);
    // Newest first: the last page holds the oldest.
    assert_eq!(p["items"][4]["out_trade_no"], "sz0100ABCD2611221300000001");
    let (_, p) = hq.get("/api/v1/orders?order_no=00000017").await;
    assert_eq!(p["total"], 1);
    assert_eq!(p["items"][0]["amount_fen"], 1700);
    assert_eq!(p["items"][0]["state"], "paid");
    assert_eq!(p["items"][0]["store"], "A店");
    let (_, p) = hq.get("/api/v1/orders?state=refunded").await;
    assert_eq!(p["total"], 0);
    let (status, _) = hq.get("/api/v1/orders?state=settled").await;
    assert_eq!(status, 400);
    let (_, t) = hq.get("/api/v1/terminals").await;
    assert_eq!(t["terminals"][0]["applied_through"], 25);
    assert_eq!(t["terminals"][0]["backlog"], 0);
    assert!(t["terminals"][0]["last_contact"].is_string());
    assert!(t["terminals"][0]["lag_ms"].is_i64());
}

#[tokio::test]
async fn the_catalogue_streams_down_in_version_order_with_tombstones() {
    let hq = start(true).await;
    let till = hq.enrol("A店", "t1").await;
    let put = |sku: &str, body: serde_json::Value| {
        let http = hq.http.clone();
        let url = format!("{}/api/v1/commodities/{sku}", hq.url);
        async move { http.put(url).json(&body).send().await.unwrap() }
    };
    assert_eq!(
        put(
            "A1",
            serde_json::json!({"name": "可乐", "price_fen": 300, "barcode": "6900001"})
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        put("A2", serde_json::json!({"name": "雪碧", "price_fen": 300}))
            .await
            .status(),
        200
    );
    assert_eq!(
        put(
            "A1",
            serde_json::json!({"name": "可乐", "price_fen": 350, "barcode": "6900001"})
        )
        .await
        .status(),
        200
    );
    let clash = put(
        "A3",
        serde_json::json!({"name": "芬达", "price_fen": 300, "barcode": "6900001"}),
    )
    .await;
    assert_eq!(clash.status(), 400);
    assert_eq!(
        put("A4", serde_json::json!({"name": "", "price_fen": 300}))
            .await
            .status(),
        400
    );
    let del = hq
        .http
        .delete(format!("{}/api/v1/commodities/A2", hq.url))
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 200);
    let get = |since: i64| {
        let http = hq.http.clone();
        let url = format!("{}/api/v1/catalog?since_version={since}", hq.url);
        let cred = till.credential.clone();
        async move {
            http.get(url)
                .bearer_auth(cred)
                .send()
                .await
                .unwrap()
                .json::<cloudpos_hq_protocol::CatalogChanges>()
                .await
                .unwrap()
        }
    };
    let all = get(0).await;
    let seen: Vec<(&str, i64, bool)> = all
        .changes
        .iter()
        .map(|c| (c.sku.as_str(), c.price_fen, c.deleted))
        .collect();
    assert_eq!(seen, [("A1", 350, false), ("A2", 300, true)]);
    assert!(all.changes.windows(2).all(|w| w[0].version < w[1].version));
    assert_eq!(all.latest_version, all.changes.last().unwrap().version);
    assert!(!all.more);
    let after = get(all.latest_version).await;
    assert!(after.changes.is_empty());
    put("A1", serde_json::json!({"name": "可乐", "price_fen": 400})).await;
    let next = get(all.latest_version).await;
    assert_eq!(next.changes.len(), 1);
    assert_eq!(next.changes[0].price_fen, 400);
    assert_eq!(next.changes[0].barcode, None);
    // Only tills read the stream.
    let r = hq
        .http
        .get(format!("{}/api/v1/catalog", hq.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn plain_http_only_on_loopback_and_tls_when_configured() {
    let mut c = ServerConfig::loopback();
    c.listen = "0.0.0.0:0".parse().unwrap();
    let e = c.check().unwrap_err().to_string();
    assert!(
        e.contains("refusing to serve plain HTTP") && e.contains("--tls-cert"),
        "{e}"
    );
    c.tls = Some(cloudpos_hq::TlsFiles {
        cert: "x".into(),
        key: "y".into(),
    });
    c.dev_open = true;
    assert!(c.check().unwrap_err().to_string().contains("--dev-open"));

    let db_url = cloudpos_hq::testing::TestPostgres::shared()
        .fresh_database()
        .await;
    let pool = cloudpos_hq::db::connect(&db_url, 2).await.unwrap();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/hq");
    let running = cloudpos_hq::server::start(
        pool,
        ServerConfig {
            tls: Some(cloudpos_hq::TlsFiles {
                cert: format!("{fixtures}/test-cert.pem").into(),
                key: format!("{fixtures}/test-key.pem").into(),
            }),
            ..ServerConfig::loopback()
        },
    )
    .await
    .unwrap();
    assert!(running.url().starts_with("https://127.0.0.1:"));
    let _ = client();
    let ca =
        reqwest::Certificate::from_pem(&std::fs::read(format!("{fixtures}/test-ca.pem")).unwrap())
            .unwrap();
    let https = reqwest::Client::builder()
        .add_root_certificate(ca)
        .build()
        .unwrap();
    let r = https
        .get(format!("{}/api/v1/terminals", running.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    running.shutdown().await;
}

fn spawn_hq(db_url: &str, extra: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cloudpos-hq"))
        .args(["--database-url", db_url, "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    (child, url)
}

#[tokio::test]
async fn a_head_office_killed_mid_batch_applies_nothing_and_the_resend_applies_it_once() {
    let db_url = cloudpos_hq::testing::TestPostgres::shared()
        .fresh_database()
        .await;
    // The CLI: enrol prints the token alone on stdout; user add reads the password from stdin.
    let out = Command::new(env!("CARGO_BIN_EXE_cloudpos-hq"))
        .args([
            "enrol",
            "--database-url",
            &db_url,
            "--store",
            "南山店",
            "--device",
            "till-1",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap();
    assert_eq!(token.lines().count(), 1);
    let token = token.trim().to_owned();
    assert!(token.starts_with("hqe_") && token.len() > 40);
    let mut add = Command::new(env!("CARGO_BIN_EXE_cloudpos-hq"))
        .args(["user", "add", "--database-url", &db_url, "--name", "boss"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"a long password\n")
        .unwrap();
    assert!(add.wait().unwrap().success());

    let (mut hq, url) = spawn_hq(&db_url, &["--crash-before-commit", "2"]);
    let http = client();
    let enrolled: cloudpos_hq_protocol::EnrolResponse = http
        .post(format!("{url}/api/v1/enrol"))
        .json(&serde_json::json!({"v": 1, "token": token}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (status, _) = push_to(
        &http,
        &url,
        &enrolled.credential,
        &batch(paid_orders(1, 10)),
    )
    .await;
    assert_eq!(status, 200);
    // The second batch kills the head office after its inserts, before COMMIT.
    let lost = http
        .post(format!("{url}/api/v1/push"))
        .bearer_auth(&enrolled.credential)
        .json(&batch(paid_orders(11, 20)))
        .send()
        .await;
    assert!(lost.is_err(), "the answer should have been lost: {lost:?}");
    let _ = hq.wait();
    let pool = cloudpos_hq::db::connect(&db_url, 2).await.unwrap();
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (i64,)>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
                .0
        }
    };
    assert_eq!(count("SELECT count(*) FROM orders").await, 10);
    assert_eq!(count("SELECT applied_through FROM terminals").await, 10);
    assert_eq!(count("SELECT count(*) FROM change_log").await, 10);
    // Restarted, the till resends from its last acknowledgement (1..20: 1..10 duplicates).
    let (mut hq, url) = spawn_hq(&db_url, &[]);
    let (status, body) = push_to(
        &http,
        &url,
        &enrolled.credential,
        &batch(paid_orders(1, 20)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["applied"], 10);
    assert_eq!(body["duplicates"], 10);
    assert_eq!(count("SELECT count(*) FROM orders").await, 20);
    assert_eq!(
        count("SELECT sum(amount_fen)::bigint FROM orders").await,
        (1..=20).sum::<i64>() * 100
    );
    // The owner's Basic credential from `user add` works on the real binary.
    let r = http
        .get(format!("{url}/api/v1/summary"))
        .basic_auth("boss", Some("a long password"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let s: serde_json::Value = r.json().await.unwrap();
    assert_eq!(s["total"]["paid_count"], 20);
    let _ = hq.kill();
    let _ = hq.wait();
}
