//! S3's signature and credentials gate and CORS over real HTTP: bad signatures,
//! expired credentials, skewed clocks, wrong region, presigned URLs, preflights.

use crate::support::sigv4::*;
use crate::support::*;
use std::time::{Duration, SystemTime};

#[tokio::test]
async fn bad_signatures_expired_credentials_and_skewed_clocks_are_refused() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let url = env.s3_url(&format!("private/{alice}/f.txt"));
    let mut put = s3req("PUT", url.clone());
    put.body = b"data".to_vec();
    assert_eq!(env.s3(&ac, put).await.0, 200);

    // Tampered signature.
    let mut request = signed(&ac, &s3req("GET", url.clone()), SystemTime::now(), None);
    let auth = request.headers()["authorization"]
        .to_str()
        .unwrap()
        .to_string();
    let tampered = format!("{}0", &auth[..auth.len() - 1]);
    let tampered = if tampered == auth {
        format!("{}1", &auth[..auth.len() - 1])
    } else {
        tampered
    };
    request
        .headers_mut()
        .insert("authorization", tampered.parse().unwrap());
    let (s, _, xml) = env.send(request).await;
    assert_eq!(s, 403, "{xml}");
    assert_eq!(tag(&xml, "Code"), "SignatureDoesNotMatch");
    assert_eq!(
        tag(&xml, "Message"),
        "The request signature we calculated does not match the signature you provided. Check your key and signing method."
    );
    // Wrong secret.
    let wrong = Creds {
        secret: "x".repeat(40),
        ..ac.clone()
    };
    let (s, _, xml) = env.s3(&wrong, s3req("GET", url.clone())).await;
    assert_eq!(
        (s, tag(&xml, "Code").as_str()),
        (403, "SignatureDoesNotMatch")
    );
    // Unknown key.
    let unknown = Creds {
        akid: "ASIAAAAAAAAAAAAAAAAA".into(),
        ..ac.clone()
    };
    let (s, _, xml) = env.s3(&unknown, s3req("GET", url.clone())).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (403, "InvalidAccessKeyId"));
    // Wrong session token.
    let bad_token = Creds {
        token: "nope".into(),
        ..ac.clone()
    };
    let (s, _, xml) = env.s3(&bad_token, s3req("GET", url.clone())).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (400, "InvalidToken"));
    // Body that does not match x-amz-content-sha256.
    let mut put = s3req("PUT", url.clone());
    put.body = b"data".to_vec();
    let mut request = signed(&ac, &put, SystemTime::now(), None);
    *request.body_mut() = b"DATA".to_vec();
    let (s, _, xml) = env.send(request).await;
    assert_eq!(
        (s, tag(&xml, "Code").as_str()),
        (400, "XAmzContentSHA256Mismatch")
    );

    // Clock skew: the client is 20 minutes behind the server.
    let (s, _, xml) = env
        .send(signed(
            &ac,
            &s3req("GET", url.clone()),
            SystemTime::now() - Duration::from_secs(1200),
            None,
        ))
        .await;
    assert_eq!(s, 403, "{xml}");
    assert_eq!(tag(&xml, "Code"), "RequestTimeTooSkewed");
    assert_eq!(tag(&xml, "MaxAllowedSkewMilliseconds"), "900000");
    assert!(tag(&xml, "ServerTime").ends_with('Z'));
    assert!(!tag(&xml, "RequestTime").is_empty());
    // The server's clock moves instead: same answer, and Date shows the server clock.
    env.emu.control().shift_clock(-1200);
    let (s, h, xml) = env.s3(&ac, s3req("GET", url.clone())).await;
    assert_eq!(
        (s, tag(&xml, "Code").as_str()),
        (403, "RequestTimeTooSkewed")
    );
    let date = httpdate_secs(h["date"].to_str().unwrap());
    assert!(
        date.abs_diff(env.emu.control().now()) <= 2,
        "{:?}",
        h["date"]
    );
    env.emu.control().shift_clock(0);
    let (s, _, _) = env.s3(&ac, s3req("GET", url.clone())).await;
    assert_eq!(s, 200);

    // Expired credentials.
    env.emu.control().shift_clock(3601);
    let now = SystemTime::now() + Duration::from_secs(3601);
    let (s, _, xml) = env
        .send(signed(&ac, &s3req("GET", url.clone()), now, None))
        .await;
    assert_eq!(s, 400, "{xml}");
    assert_eq!(tag(&xml, "Code"), "ExpiredToken");
    assert_eq!(tag(&xml, "Message"), "The provided token has expired.");
}

#[tokio::test]
async fn a_presigned_get_works_until_it_expires() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let url = env.s3_url(&format!("private/{alice}/p.txt"));
    let mut put = s3req("PUT", url.clone());
    put.body = b"presigned!".to_vec();
    assert_eq!(env.s3(&ac, put).await.0, 200);
    let request = signed(
        &ac,
        &s3req("GET", url.clone()),
        SystemTime::now(),
        Some(Duration::from_secs(60)),
    );
    let presigned = request.uri().to_string();
    assert!(presigned.contains("X-Amz-Security-Token="));
    let resp = env.http.get(&presigned).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "presigned!");
    // Tampered query.
    let resp = env
        .http
        .get(presigned.replace("X-Amz-Expires=60", "X-Amz-Expires=600"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(
        tag(&resp.text().await.unwrap(), "Code"),
        "SignatureDoesNotMatch"
    );
    // Expired.
    env.emu.control().shift_clock(61);
    let resp = env.http.get(&presigned).send().await.unwrap();
    assert_eq!(resp.status(), 403);
    let xml = resp.text().await.unwrap();
    assert_eq!(tag(&xml, "Code"), "AccessDenied");
    assert_eq!(tag(&xml, "Message"), "Request has expired");
    assert!(!tag(&xml, "Expires").is_empty());
    assert!(!tag(&xml, "ServerTime").is_empty());
}

#[tokio::test]
async fn a_presigned_get_answers_with_the_response_header_overrides() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let url = env.s3_url(&format!("private/{alice}/x.pdf"));
    let mut put = s3req("PUT", url.clone());
    put.body = b"<script>alert(1)</script>".to_vec();
    put.headers.push(("content-type", "text/html".into()));
    assert_eq!(env.s3(&ac, put).await.0, 200);
    // As S3 does: the signed `response-*` parameters replace the stored headers.
    let overridden = format!(
        "{url}?response-content-type=application%2Fpdf\
         &response-content-disposition=attachment%3B%20filename%3D%22x.pdf%22\
         &response-cache-control=no-store&response-content-language=en"
    );
    let request = signed(
        &ac,
        &s3req("GET", overridden),
        SystemTime::now(),
        Some(Duration::from_secs(60)),
    );
    let resp = env
        .http
        .get(request.uri().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let h = resp.headers();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["content-disposition"], "attachment; filename=\"x.pdf\"");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["content-language"], "en");
    // Without them, the stored type.
    let request = signed(
        &ac,
        &s3req("GET", url),
        SystemTime::now(),
        Some(Duration::from_secs(60)),
    );
    let resp = env
        .http
        .get(request.uri().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "text/html");
    assert!(resp.headers().get("content-disposition").is_none());
}

#[tokio::test]
async fn cors_preflights_and_response_headers_follow_the_bucket_rules() {
    let env = env().await;
    let app = env.emu.urls().app.clone();
    let url = env.s3_url("private/x/y");
    let preflight = |origin: &str, method: &str| {
        env.http
            .request(reqwest::Method::OPTIONS, &url)
            .header("origin", origin)
            .header("access-control-request-method", method)
            .header(
                "access-control-request-headers",
                "authorization,x-amz-date,x-amz-content-sha256,x-amz-security-token,content-type",
            )
            .send()
    };
    let resp = preflight(&app, "PUT").await.unwrap();
    assert_eq!(resp.status(), 200);
    let h = resp.headers();
    assert_eq!(h["access-control-allow-origin"], app.as_str());
    assert!(h["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("PUT"));
    assert!(h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("x-amz-security-token"));
    assert!(h["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .contains("ETag"));
    assert_eq!(h["access-control-max-age"], "3000");

    let resp = preflight("http://evil.example", "PUT").await.unwrap();
    assert_eq!(resp.status(), 403);
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    assert_eq!(tag(&resp.text().await.unwrap(), "Code"), "AccessForbidden");
    let resp = preflight(&app, "PATCH").await.unwrap();
    assert_eq!(resp.status(), 403);

    // Actual responses (even errors) carry CORS headers for the app origin only.
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let mut put = s3req("PUT", env.s3_url(&format!("private/{alice}/c.txt")));
    put.body = b"c".to_vec();
    put.headers.push(("origin", app.clone()));
    let (s, h, _) = env.s3(&ac, put).await;
    assert_eq!(s, 200);
    assert_eq!(h["access-control-allow-origin"], app.as_str());
    assert!(h["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .contains("ETag"));
    let mut get = s3req("GET", env.s3_url("private/other/c.txt"));
    get.headers.push(("origin", "http://evil.example".into()));
    let (s, h, _) = env.s3(&ac, get).await;
    assert_eq!(s, 403);
    assert!(h.get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_wrong_region_and_credentials_expired_by_the_control_are_refused() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let url = env.s3_url(&format!("private/{alice}/r.txt"));
    let mut request = signed(&ac, &s3req("GET", url.clone()), SystemTime::now(), None);
    let auth = request.headers()["authorization"]
        .to_str()
        .unwrap()
        .replace("/us-east-1/", "/eu-west-1/");
    request
        .headers_mut()
        .insert("authorization", auth.parse().unwrap());
    let (s, _, xml) = env.send(request).await;
    assert_eq!(s, 400);
    assert_eq!(tag(&xml, "Code"), "AuthorizationHeaderMalformed");
    assert_eq!(tag(&xml, "Region"), "us-east-1");

    env.emu.control().expire_credentials();
    let (s, _, xml) = env.s3(&ac, s3req("GET", url)).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (400, "ExpiredToken"));
}

#[tokio::test]
async fn forgotten_credentials_are_an_unknown_access_key_and_new_ones_work() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let url = env.s3_url(&format!("private/{alice}/f.txt"));
    env.emu.control().forget_credentials();
    let (s, _, xml) = env.s3(&ac, s3req("GET", url.clone())).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (403, "InvalidAccessKeyId"));
    // GetCredentialsForIdentity issues new ones as usual.
    let (_, fresh) = env.signed_in("alice", "Alice-Password-1").await;
    let (s, _, xml) = env.s3(&fresh, s3req("GET", url)).await;
    assert_ne!(tag(&xml, "Code"), "InvalidAccessKeyId", "{s}: {xml}");
}
