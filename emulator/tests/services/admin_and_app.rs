//! Fault injection, the admin endpoint and the app origin over real HTTP.

use crate::support::sigv4::*;
use crate::support::*;
use cubby_emulator::FaultKind;
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};

// ------------------------------------------------------------------ faults

#[tokio::test]
async fn injected_faults_fail_the_next_requests_and_are_counted() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let url = env.s3_url(&format!("private/{alice}/f"));
    let control = env.emu.control();
    control.fail_next(2, FaultKind::SlowDown, Some("PutObject"));
    control.fail_next(1, FaultKind::InternalError, None);
    // Preflights are never failed; the unscoped fault hits the next real request.
    let resp = env
        .http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", env.emu.urls().app.as_str())
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (s, _, xml) = env.s3(&ac, s3req("GET", url.clone())).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (500, "InternalError"));
    for _ in 0..2 {
        let mut put = s3req("PUT", url.clone());
        put.body = b"x".to_vec();
        let (s, _, xml) = env.s3(&ac, put).await;
        assert_eq!((s, tag(&xml, "Code").as_str()), (503, "SlowDown"));
        assert_eq!(tag(&xml, "Message"), "Please reduce your request rate.");
    }
    let mut put = s3req("PUT", url.clone());
    put.body = b"x".to_vec();
    assert_eq!(env.s3(&ac, put).await.0, 200);
    let stats = control.stats();
    assert_eq!(stats.s3_requests["PutObject"], 3);
    assert_eq!(stats.s3_requests["GetObject"], 1);
    assert_eq!(stats.s3_requests["Preflight"], 1);
    assert_eq!(stats.faults_injected, 3);

    // Connection reset.
    control.fail_next(1, FaultKind::Reset, None);
    let request = signed(&ac, &s3req("GET", url.clone()), SystemTime::now(), None);
    let err = env
        .http
        .execute(reqwest::Request::try_from(request).unwrap())
        .await;
    assert!(err.is_err());
    assert_eq!(env.s3(&ac, s3req("GET", url.clone())).await.0, 200);

    // Every request fails at fraction 1.0; none at 0.
    control.fail_fraction(1.0, FaultKind::SlowDown);
    assert_eq!(env.s3(&ac, s3req("GET", url.clone())).await.0, 503);
    control.fail_fraction(0.0, FaultKind::SlowDown);
    assert_eq!(env.s3(&ac, s3req("GET", url.clone())).await.0, 200);

    // Latency.
    control.set_latency(Duration::from_millis(300));
    let t = std::time::Instant::now();
    assert_eq!(env.s3(&ac, s3req("GET", url.clone())).await.0, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    control.set_latency(Duration::ZERO);

    // Network down, then back.
    control.network_down(Duration::from_millis(500));
    let fresh = reqwest::Client::new();
    assert!(fresh
        .get(format!("{}/.well-known/jwks.json", env.ui()))
        .send()
        .await
        .is_err());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        fresh
            .get(format!("{}/.well-known/jwks.json", env.ui()))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

/// A lost answer: the write is carried out, the client sees only a dropped
/// connection, and a conditional retry meets its own first attempt (412).
#[tokio::test]
async fn a_dropped_answer_comes_after_the_write_was_carried_out() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let url = env.s3_url(&format!("private/{alice}/lost-answer.txt"));
    let control = env.emu.control();
    let put = || {
        let mut put = s3req("PUT", url.clone());
        put.headers.push(("if-none-match", "*".into()));
        put.body = b"stored, answer lost".to_vec();
        put
    };
    control.fail_next(1, FaultKind::DropAnswer, Some("PutObject"));
    let sent = env
        .http
        .execute(reqwest::Request::try_from(signed(&ac, &put(), SystemTime::now(), None)).unwrap())
        .await;
    let error = sent.expect_err("the answer was dropped");
    assert!(
        !error.is_status() && !error.is_timeout(),
        "a dropped connection, not an answer: {error:?}"
    );
    let (s, _, body) = env.s3(&ac, s3req("GET", url.clone())).await;
    assert_eq!((s, body.as_str()), (200, "stored, answer lost"));
    let (s, _, xml) = env.s3(&ac, put()).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (412, "PreconditionFailed"));
    let stats = control.stats();
    assert_eq!(stats.s3_requests["PutObject"], 2);
    assert_eq!(stats.faults_injected, 1);

    // The same over the admin endpoint, for a delete.
    let resp = env
        .http
        .post(format!("{}/__admin/fail-next", env.emu.urls().admin))
        .json(&json!({"error": "DropAnswer", "operation": "DeleteObject"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let delete = signed(&ac, &s3req("DELETE", url.clone()), SystemTime::now(), None);
    assert!(env
        .http
        .execute(reqwest::Request::try_from(delete).unwrap())
        .await
        .is_err());
    assert_eq!(env.s3(&ac, s3req("GET", url)).await.0, 403, "deleted");
}

#[tokio::test]
async fn admin_endpoint_drives_faults_and_reports_stats() {
    let env = env().await;
    let admin = env.emu.urls().admin.clone();
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let resp = env
        .http
        .post(format!("{admin}/__admin/fail-next"))
        .json(&json!({"count": 1, "error": "InternalError", "operation": "GetObject"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let url = env.s3_url(&format!("private/{alice}/nothing"));
    assert_eq!(env.s3(&ac, s3req("GET", url.clone())).await.0, 500);
    assert_eq!(env.s3(&ac, s3req("GET", url)).await.0, 403);
    let stats: Value = env
        .http
        .get(format!("{admin}/__admin/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["s3Requests"]["GetObject"], 2);
    assert_eq!(stats["faultsInjected"], 1);
    assert_eq!(stats["multipartUploads"], json!([]));

    let resp: Value = env
        .http
        .post(format!("{admin}/__admin/lifetimes"))
        .json(&json!({"credentialsSeconds": 60}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(resp["credentialsSeconds"], 60);
    assert_eq!(resp["idTokenSeconds"], 3600);
    let resp = env
        .http
        .post(format!("{admin}/__admin/fail-next"))
        .json(&json!({"error": "Teapot"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let resp = env
        .http
        .post(format!("{admin}/__admin/clock"))
        .json(&json!({"shiftSeconds": 120}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(env.emu.control().now() >= 120);
    let resp = env
        .http
        .post(format!("{admin}/__admin/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(env.emu.control().lifetimes().credentials_seconds, 3600);

    let resp = env
        .http
        .post(format!("{admin}/__admin/forget-credentials"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let url = env.s3_url(&format!("private/{alice}/nothing"));
    let (status, _, xml) = env.s3(&ac, s3req("GET", url)).await;
    assert_eq!(status, 403);
    assert!(xml.contains("<Code>InvalidAccessKeyId</Code>"), "{xml}");
}

#[tokio::test]
async fn app_origin_serves_config_spa_fallback_and_security_headers() {
    let app_dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("app-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&app_dir).unwrap();
    std::fs::write(
        app_dir.join("index.html"),
        "<!doctype html><title>Cubby</title>",
    )
    .unwrap();
    std::fs::write(app_dir.join("app.js"), "1").unwrap();
    let dir = app_dir.clone();
    let env = env_with(move |c| c.app_dir = Some(dir)).await;
    let app = env.emu.urls().app.clone();

    let resp = env
        .http
        .get(format!("{app}/config.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let config: Value = resp.json().await.unwrap();
    assert_eq!(&config, env.emu.app_config());
    assert_eq!(config["s3Endpoint"], env.emu.urls().s3.as_str());
    assert_eq!(config["redirectUri"], format!("{app}/"));

    let resp = env
        .http
        .get(format!("{app}/files/deep/link"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert!(resp.text().await.unwrap().contains("<title>Cubby</title>"));
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'"));
    assert!(csp.contains(&format!("connect-src 'self' {}", env.emu.urls().hosted_ui)));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(csp.contains("frame-src 'none'"));
    assert!(!csp.contains(env.emu.urls().sts.as_str()), "{csp}");
    assert!(csp.contains("form-action 'self';"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["cross-origin-opener-policy"], "same-origin");

    let resp = env.http.get(format!("{app}/app.js")).send().await.unwrap();
    assert_eq!(
        resp.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let resp = env
        .http
        .get(format!("{app}/missing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let resp = env
        .http
        .get(format!("{app}/%2e%2e/Cargo.toml"))
        .send()
        .await
        .unwrap();
    assert_ne!(resp.status(), 200);
    let _ = std::fs::remove_dir_all(&app_dir);
}
