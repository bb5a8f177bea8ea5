#![cfg(not(target_arch = "wasm32"))]
//! Host tests of the S3 half of the protocol core: signing (the AWS test suite and
//! the S3 Developer Guide's worked examples), addressing, operations, errors, the
//! part planner, STS, the retry classifier, XML and dates.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SessionTokenMode, SignatureLocation, SigningSettings,
    UriPathNormalizationMode,
};
use cubby_core::credentials::Credentials;
use cubby_core::datetime::{parse_http_date, parse_iso8601};
use cubby_core::encoding::percent_decode;
use cubby_core::retry::{backoff_delay, classify, Attempts, Failure, RetryDecision};
use cubby_core::s3::signing::{sign_request, sign_s3_request};
use cubby_core::s3::*;
use cubby_core::secret::Secret;
use cubby_core::sts::{
    build_assume_role_with_web_identity, parse_assume_role_with_web_identity,
    AssumeRoleWithWebIdentity,
};
use cubby_core::xml;
use proptest::prelude::*;

// ------------------------------------------------------------------ helpers

fn at(epoch_seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(epoch_seconds)
}

/// 2013-05-24T00:00:00Z, the Developer Guide examples' time.
const GUIDE_TIME: u64 = 1_369_353_600;
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn guide_credentials() -> Credentials {
    Credentials {
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        session_token: None,
        expiration: None,
    }
}

fn guide_bucket() -> Bucket {
    Bucket::new(
        "examplebucket",
        "us-east-1",
        Endpoint::VirtualHosted {
            url: "https://s3.amazonaws.com".into(),
        },
    )
    .unwrap()
}

fn session_credentials(expiration: Option<u64>) -> Credentials {
    Credentials {
        access_key_id: "ASIAEXAMPLE".into(),
        secret_access_key: Secret::new("secretsecret"),
        session_token: Some(Secret::new("tok/en+=")),
        expiration,
    }
}

fn emulator_bucket() -> Bucket {
    Bucket::new(
        "cubby-test",
        "us-east-1",
        Endpoint::PathStyle {
            url: "http://127.0.0.1:9000/".into(),
        },
    )
    .unwrap()
}

fn header<'r>(request: &'r http::Request<Vec<u8>>, name: &str) -> Option<&'r str> {
    request.headers().get(name).map(|v| v.to_str().unwrap())
}

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> http::Response<Vec<u8>> {
    let mut builder = http::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body.as_bytes().to_vec()).unwrap()
}

fn guide_authorization(signed_headers: &str, signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
         SignedHeaders={signed_headers}, Signature={signature}"
    )
}

// ------------------------------------------- AWS SigV4 signing test suite

struct SuiteRequest {
    method: String,
    uri: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Bytes that cannot appear in a URI as the suite writes them raw (space, UTF-8)
/// are percent-encoded, as they would be on the wire; nothing else changes.
fn wire_encode(text: &str) -> String {
    let mut out = String::new();
    for &b in text.as_bytes() {
        if b == b' ' || b >= 0x80 {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

fn parse_suite_request(text: &str) -> SuiteRequest {
    let text = text.replace("\r\n", "\n");
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h.to_string(), b.as_bytes().to_vec()),
        None => (text.trim_end().to_string(), Vec::new()),
    };
    let mut lines = head.lines();
    let request_line = lines.next().unwrap();
    let method = request_line.split(' ').next().unwrap().to_string();
    let target = request_line
        .strip_prefix(&format!("{method} "))
        .unwrap()
        .strip_suffix(" HTTP/1.1")
        .unwrap();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with(' ') || line.starts_with('\t') {
            // obs-fold continuation: joined with one space, as a proxy would.
            let last = headers.last_mut().unwrap();
            last.1.push(' ');
            last.1.push_str(line.trim());
        } else {
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_string(), value.to_string()));
        }
    }
    let host = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.clone())
        .unwrap();
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case("host"));
    SuiteRequest {
        method,
        uri: format!("https://{host}{}", wire_encode(target)),
        headers,
        body,
    }
}

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aws-signing-test-suite/v4")
}

fn read_trimmed(path: &Path) -> String {
    fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .replace("\r\n", "\n")
        .trim()
        .to_string()
}

/// X-Amz-* parameters of a signed request line, decoded and sorted.
fn amz_params(uri_or_line: &str) -> Vec<(String, String)> {
    let query = uri_or_line
        .split_once('?')
        .map(|(_, q)| q.split(' ').next().unwrap())
        .unwrap_or("");
    let mut params: Vec<(String, String)> = query
        .split('&')
        .filter(|p| p.starts_with("X-Amz-"))
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            (k.to_string(), percent_decode(v, false).unwrap())
        })
        .collect();
    params.sort();
    params
}

fn run_suite_case(case: &Path, location: SignatureLocation) -> Result<(), String> {
    let context: serde_json::Value =
        serde_json::from_str(&read_trimmed(&case.join("context.json"))).unwrap();
    let creds = &context["credentials"];
    let credentials = Credentials {
        access_key_id: creds["access_key_id"].as_str().unwrap().into(),
        secret_access_key: Secret::new(creds["secret_access_key"].as_str().unwrap()),
        session_token: creds["token"].as_str().map(Secret::new),
        expiration: None,
    };
    let time = at(parse_iso8601(context["timestamp"].as_str().unwrap()).unwrap());
    let normalize = context["normalize"].as_bool().unwrap();
    let sign_body = context["sign_body"].as_bool().unwrap_or(true);
    let omit_token = context["omit_session_token"].as_bool().unwrap_or(false);

    let mut settings = SigningSettings::default();
    // S3's encoding: the path is used exactly as it goes on the wire.
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = if normalize {
        UriPathNormalizationMode::Enabled
    } else {
        UriPathNormalizationMode::Disabled
    };
    settings.payload_checksum_kind = if sign_body {
        PayloadChecksumKind::XAmzSha256
    } else {
        PayloadChecksumKind::NoHeader
    };
    settings.session_token_mode = if omit_token {
        SessionTokenMode::Exclude
    } else {
        SessionTokenMode::Include
    };
    settings.signature_location = location;
    if location == SignatureLocation::QueryParams {
        settings.expires_in = Some(Duration::from_secs(
            context["expiration_in_seconds"].as_u64().unwrap(),
        ));
    }

    let parsed = parse_suite_request(&fs::read_to_string(case.join("request.txt")).unwrap());
    let mut builder = http::Request::builder()
        .method(parsed.method.as_str())
        .uri(parsed.uri.as_str());
    for (name, value) in &parsed.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let mut request = builder.body(parsed.body).map_err(|e| e.to_string())?;

    let signature = sign_request(
        &mut request,
        &credentials,
        context["region"].as_str().unwrap(),
        context["service"].as_str().unwrap(),
        time,
        settings,
        PayloadSigning::Sha256,
    )
    .map_err(|e| e.to_string())?;

    let prefix = match location {
        SignatureLocation::Headers => "header",
        _ => "query",
    };
    let expected_signature = read_trimmed(&case.join(format!("{prefix}-signature.txt")));
    if signature != expected_signature {
        return Err(format!("signature {signature} != {expected_signature}"));
    }
    let expected_request = read_trimmed(&case.join(format!("{prefix}-signed-request.txt")));
    match location {
        SignatureLocation::Headers => {
            let expected_auth = expected_request
                .lines()
                .find_map(|l| l.strip_prefix("Authorization:"))
                .unwrap();
            let actual = header(&request, "authorization").unwrap_or("");
            if actual != expected_auth {
                return Err(format!("authorization {actual} != {expected_auth}"));
            }
        }
        _ => {
            let expected = amz_params(expected_request.lines().next().unwrap());
            let actual = amz_params(&request.uri().to_string());
            if actual != expected {
                return Err(format!("query {actual:?} != {expected:?}"));
            }
        }
    }
    Ok(())
}

#[test]
fn aws_signing_test_suite_passes_through_our_signing_path() {
    let mut cases: Vec<PathBuf> = fs::read_dir(suite_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("context.json").exists())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 38, "fixture cases missing");
    let mut failures = Vec::new();
    for case in &cases {
        for location in [SignatureLocation::Headers, SignatureLocation::QueryParams] {
            if let Err(e) = run_suite_case(case, location) {
                failures.push(format!(
                    "{} ({location:?}): {e}",
                    case.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// -------------------------------- S3 Developer Guide signature examples

fn guide_ctx<'a>(bucket: &'a Bucket, credentials: &'a Credentials) -> RequestContext<'a> {
    RequestContext {
        bucket,
        credentials,
        time: at(GUIDE_TIME),
    }
}

#[test]
fn guide_get_object_with_range() {
    let (bucket, creds) = (guide_bucket(), guide_credentials());
    let request = build_get_object(
        &guide_ctx(&bucket, &creds),
        "test.txt",
        Some(ByteRange {
            first: 0,
            last: Some(9),
        }),
    )
    .unwrap();
    assert_eq!(request.method(), "GET");
    assert_eq!(
        request.uri().to_string(),
        "https://examplebucket.s3.amazonaws.com/test.txt"
    );
    assert_eq!(header(&request, "range"), Some("bytes=0-9"));
    assert_eq!(header(&request, "x-amz-content-sha256"), Some(EMPTY_SHA256));
    assert_eq!(header(&request, "x-amz-date"), Some("20130524T000000Z"));
    assert_eq!(
        header(&request, "authorization").unwrap(),
        guide_authorization(
            "host;range;x-amz-content-sha256;x-amz-date",
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    );
}

#[test]
fn guide_put_object_with_dollar_in_key() {
    let (bucket, creds) = (guide_bucket(), guide_credentials());
    let url = bucket.object_url("test$file.text");
    assert_eq!(
        url,
        "https://examplebucket.s3.amazonaws.com/test%24file.text"
    );
    let mut request = http::Request::builder()
        .method("PUT")
        .uri(url)
        .header("date", "Fri, 24 May 2013 00:00:00 GMT")
        .header("x-amz-storage-class", "REDUCED_REDUNDANCY")
        .body(b"Welcome to Amazon S3.".to_vec())
        .unwrap();
    sign_s3_request(
        &mut request,
        &creds,
        "us-east-1",
        at(GUIDE_TIME),
        PayloadSigning::Sha256,
    )
    .unwrap();
    assert_eq!(
        header(&request, "x-amz-content-sha256"),
        Some("44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
    );
    assert_eq!(
        header(&request, "authorization").unwrap(),
        guide_authorization(
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
        )
    );
}

fn sign_guide_get(url: String) -> http::Request<Vec<u8>> {
    let mut request = http::Request::builder()
        .method("GET")
        .uri(url)
        .body(Vec::new())
        .unwrap();
    sign_s3_request(
        &mut request,
        &guide_credentials(),
        "us-east-1",
        at(GUIDE_TIME),
        PayloadSigning::Sha256,
    )
    .unwrap();
    request
}

#[test]
fn guide_get_bucket_lifecycle() {
    let request = sign_guide_get(format!("{}?lifecycle", guide_bucket().bucket_url()));
    assert_eq!(
        header(&request, "authorization").unwrap(),
        guide_authorization(
            "host;x-amz-content-sha256;x-amz-date",
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
        )
    );
}

#[test]
fn guide_list_objects() {
    let request = sign_guide_get(format!(
        "{}?max-keys=2&prefix=J",
        guide_bucket().bucket_url()
    ));
    assert_eq!(
        header(&request, "authorization").unwrap(),
        guide_authorization(
            "host;x-amz-content-sha256;x-amz-date",
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
        )
    );
}

#[test]
fn guide_presigned_url() {
    let (bucket, creds) = (guide_bucket(), guide_credentials());
    let url = presign_get(
        &guide_ctx(&bucket, &creds),
        "test.txt",
        86_400,
        Serve::AsStored,
    )
    .unwrap();
    assert_eq!(
        url.url,
        "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
         &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
         &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    );
    assert_eq!(url.expires_in_seconds, 86_400);
    assert_eq!(url.expires_at, GUIDE_TIME + 86_400);
}

#[test]
fn presign_caps_expiry_and_signs_the_token_and_disposition() {
    let bucket = emulator_bucket();
    let now = 1_700_000_000;
    let creds = session_credentials(Some(now + 1200));
    let ctx = RequestContext {
        bucket: &bucket,
        credentials: &creds,
        time: at(now),
    };
    let url = presign_get(
        &ctx,
        "private/id/My report é.pdf",
        3600,
        Serve::Download("My report é.pdf"),
    )
    .unwrap();
    assert_eq!(url.expires_in_seconds, 1200);
    assert_eq!(url.expires_at, now + 1200);
    let (base, query) = url.url.split_once('?').unwrap();
    assert_eq!(
        base,
        "http://127.0.0.1:9000/cubby-test/private/id/My%20report%20%C3%A9.pdf"
    );
    let names: Vec<&str> = query
        .split('&')
        .map(|p| p.split_once('=').unwrap().0)
        .collect();
    assert_eq!(
        names,
        [
            "response-content-disposition",
            "response-content-type",
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Date",
            "X-Amz-Expires",
            "X-Amz-Security-Token",
            "X-Amz-SignedHeaders",
            "X-Amz-Signature"
        ]
    );
    assert!(query.starts_with(
        "response-content-disposition=attachment%3B%20filename%2A%3DUTF-8%27%27My%2520report%2520%25C3%25A9.pdf\
         &response-content-type=application%2Fpdf&"
    ));
    assert!(query.contains("&X-Amz-Security-Token=tok%2Fen%2B%3D&"));
    assert!(query.contains("&X-Amz-Expires=1200&"));

    // Seven days at most, even for long-lived credentials.
    let long = session_credentials(None);
    let ctx = RequestContext {
        credentials: &long,
        ..ctx
    };
    assert_eq!(
        presign_get(&ctx, "k", 10_000_000, Serve::Open)
            .unwrap()
            .expires_in_seconds,
        MAX_PRESIGN_SECONDS
    );
    // Expired credentials cannot presign.
    let dead = session_credentials(Some(now - 1));
    let ctx = RequestContext {
        credentials: &dead,
        ..ctx
    };
    assert!(presign_get(&ctx, "k", 60, Serve::Open)
        .unwrap_err()
        .is_invalid_input());
}

/// The `response-*` overrides of a presigned URL, decoded.
fn overrides(url: &str) -> (Option<String>, Option<String>) {
    let query = url.split_once('?').unwrap().1;
    let get = |name: &str| {
        query
            .split('&')
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| percent_decode(v, false).unwrap())
    };
    (
        get("response-content-type"),
        get("response-content-disposition"),
    )
}

#[test]
fn opened_links_force_the_type_and_show_only_safe_types_inline() {
    let (bucket, creds) = ctx_fixture();
    let ctx = RequestContext {
        bucket: &bucket,
        credentials: &creds,
        time: at(GUIDE_TIME),
    };
    let open = |key: &str| overrides(&presign_get(&ctx, key, 300, Serve::Open).unwrap().url);
    // A page renamed to .pdf is served as a PDF (the viewer shows it or fails; no script).
    assert_eq!(
        open("private/id/x.pdf"),
        (
            Some("application/pdf".into()),
            Some("inline; filename*=UTF-8''x.pdf".into())
        )
    );
    assert_eq!(
        open("private/id/cat.png").1.as_deref(),
        Some("inline; filename*=UTF-8''cat.png")
    );
    // Active content is never shown: an attachment, typed as plain bytes.
    for (key, name) in [
        ("private/id/page.html", "page.html"),
        ("private/id/drawing.svg", "drawing.svg"),
        ("private/id/feed.xml", "feed.xml"),
        ("private/id/no extension", "no%20extension"),
    ] {
        assert_eq!(
            open(key),
            (
                Some("application/octet-stream".into()),
                Some(format!("attachment; filename*=UTF-8''{name}"))
            ),
            "{key}"
        );
    }
    // As stored: no overrides at all.
    let url = presign_get(&ctx, "private/id/page.html", 300, Serve::AsStored).unwrap();
    assert_eq!(overrides(&url.url), (None, None));
}

#[test]
fn session_token_is_sent_and_signed() {
    let bucket = emulator_bucket();
    let creds = session_credentials(None);
    let ctx = RequestContext {
        bucket: &bucket,
        credentials: &creds,
        time: at(GUIDE_TIME),
    };
    let request = build_delete_object(&ctx, "private/x").unwrap();
    assert_eq!(header(&request, "x-amz-security-token"), Some("tok/en+="));
    assert!(header(&request, "authorization")
        .unwrap()
        .contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"));
    // Secrets do not show in Debug output of the request.
    let debug = format!("{request:?}");
    assert!(!debug.contains("tok/en+="), "{debug}");
}

#[test]
fn clock_offset_moves_the_signing_time() {
    assert_eq!(signing_time(at(1000), 300), at(1300));
    assert_eq!(signing_time(at(1000), -300), at(700));
    assert_eq!(signing_time(at(1000), 0), at(1000));
}

// ------------------------------------------------ addressing and key encoding

#[test]
fn key_encoding_follows_s3_rules() {
    for (key, encoded) in [
        ("a b", "a%20b"),
        ("a+b", "a%2Bb"),
        ("100%", "100%25"),
        ("~user", "~user"),
        ("é/ü", "%C3%A9/%C3%BC"),
        ("a/.././b", "a/.././b"),
        ("private/us-east-1:abc/x", "private/us-east-1%3Aabc/x"),
        ("a//b", "a//b"),
        ("$&'()*,;=@", "%24%26%27%28%29%2A%2C%3B%3D%40"),
        ("-_.", "-_."),
    ] {
        assert_eq!(encode_key(key), encoded, "{key}");
    }
}

#[test]
fn endpoints_place_bucket_and_key() {
    let aws = Bucket::new("my-bucket", "eu-west-1", Endpoint::Aws).unwrap();
    assert_eq!(
        aws.object_url("a b/c"),
        "https://my-bucket.s3.eu-west-1.amazonaws.com/a%20b/c"
    );
    assert_eq!(
        aws.bucket_url(),
        "https://my-bucket.s3.eu-west-1.amazonaws.com/"
    );
    let path = emulator_bucket();
    assert_eq!(
        path.object_url("a/.././b"),
        "http://127.0.0.1:9000/cubby-test/a/.././b"
    );
    assert_eq!(path.bucket_url(), "http://127.0.0.1:9000/cubby-test");
    // The dot segments survive into the request (no normalisation).
    let creds = guide_credentials();
    let ctx = RequestContext {
        bucket: &path,
        credentials: &creds,
        time: at(GUIDE_TIME),
    };
    let request = build_get_object(&ctx, "a/.././b", None).unwrap();
    assert_eq!(request.uri().path(), "/cubby-test/a/.././b");
    assert!(header(&request, "range").is_none());

    for bad in ["", "ab", "UPPER", "-x-", "a_b"] {
        assert!(
            Bucket::new(bad, "us-east-1", Endpoint::Aws).is_err(),
            "{bad}"
        );
    }
    assert!(Bucket::new("abc", "", Endpoint::Aws).is_err());
    for bad in [
        "ftp://x",
        "http://",
        "http://h?q",
        "https://u@h",
        "localhost:9000",
    ] {
        assert!(
            Bucket::new("abc", "us-east-1", Endpoint::PathStyle { url: bad.into() }).is_err(),
            "{bad}"
        );
    }
}

// --------------------------------------------------------- request builders

fn ctx_fixture() -> (Bucket, Credentials) {
    (
        emulator_bucket(),
        session_credentials(Some(GUIDE_TIME + 3600)),
    )
}

#[test]
fn list_objects_request() {
    let (bucket, creds) = ctx_fixture();
    let ctx = RequestContext {
        bucket: &bucket,
        credentials: &creds,
        time: at(GUIDE_TIME),
    };
    let request = build_list_objects(
        &ctx,
        &ListObjectsRequest {
            prefix: "private/us-east-1:abc/",
            delimiter: Some("/"),
            max_keys: Some(100),
            continuation_token: Some("1w41l63U+/="),
            start_after: None,
        },
    )
    .unwrap();
    assert_eq!(request.method(), "GET");
    assert_eq!(
        request.uri().to_string(),
        "http://127.0.0.1:9000/cubby-test?list-type=2&encoding-type=url\
         &prefix=private%2Fus-east-1%3Aabc%2F&delimiter=%2F&max-keys=100\
         &continuation-token=1w41l63U%2B%2F%3D"
    );
}

#[test]
fn put_object_request_carries_checksum_and_condition() {
    let (bucket, creds) = ctx_fixture();
    let ctx = RequestContext {
        bucket: &bucket,
        credentials: &creds,
        time: at(GUIDE_TIME),
    };
    let request = build_put_object(
        &ctx,
        PutObjectRequest {
            key: "private/id/hello.txt",
            body: b"Welcome to Amazon S3.".to_vec(),
            content_type: Some("text/plain"),
            if_none_match: true,
            unsigned_payload: false,
        },
    )
    .unwrap();
    assert_eq!(request.method(), "PUT");
    assert_eq!(header(&request, "x-amz-checksum-crc32"), Some("Ox7nCg=="));
    assert_eq!(
        header(&request, "x-amz-sdk-checksum-algorithm"),
        Some("CRC32")
    );
    assert_eq!(header(&request, "if-none-match"), Some("*"));
    assert_eq!(header(&request, "content-type"), Some("text/plain"));
    assert_eq!(
        header(&request, "x-amz-content-sha256"),
        Some("44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
    );
    assert_eq!(request.body(), b"Welcome to Amazon S3.");
    assert!(header(&request, "authorization").unwrap().contains(
        "SignedHeaders=content-type;host;if-none-match;x-amz-checksum-crc32;x-amz-content-sha256;\
         x-amz-date;x-amz-sdk-checksum-algorithm;x-amz-security-token,"
    ));

    let unsigned = build_put_object(
        &ctx,
        PutObjectRequest {
            key: "k",
            body: vec![0; 10],
            content_type: None,
            if_none_match: false,
            unsigned_payload: true,
        },
    )
    .unwrap();
    assert_eq!(
        header(&unsigned, "x-amz-content-sha256"),
        Some("UNSIGNED-PAYLOAD")
    );
    assert!(header(&unsigned, "if-none-match").is_none());
}

#[test]
fn checksum_of_the_guide_body() {
    assert_eq!(crc32_checksum(b"Welcome to Amazon S3."), "Ox7nCg==");
    assert_eq!(crc32_checksum(b""), "AAAAAA==");
}

#[test]
fn copy_delete_and_multipart_requests() {
    let (bucket, creds) = ctx_fixture();
    let ctx = RequestContext {
        bucket: &bucket,
        credentials: &creds,
        time: at(GUIDE_TIME),
    };
    let copy = build_copy_object(
        &ctx,
        "private/id/a b+c.txt",
        "private/id/new.txt",
        None,
        true,
    )
    .unwrap();
    assert_eq!(copy.method(), "PUT");
    assert_eq!(copy.uri().path(), "/cubby-test/private/id/new.txt");
    assert_eq!(
        header(&copy, "x-amz-copy-source"),
        Some("cubby-test/private/id/a%20b%2Bc.txt")
    );
    assert_eq!(header(&copy, "if-none-match"), Some("*"));
    assert_eq!(header(&copy, "x-amz-metadata-directive"), None);
    assert_eq!(header(&copy, "content-type"), None);
    // A rename stores the type of the new name in place of the source's metadata.
    let typed = build_copy_object(
        &ctx,
        "private/id/page.html",
        "private/id/page.pdf",
        Some(content_type_for("private/id/page.pdf")),
        false,
    )
    .unwrap();
    assert_eq!(header(&typed, "x-amz-metadata-directive"), Some("REPLACE"));
    assert_eq!(header(&typed, "content-type"), Some("application/pdf"));
    assert_eq!(header(&typed, "if-none-match"), None);

    let delete = build_delete_objects(&ctx, &["a&b", "c<d"]).unwrap();
    assert_eq!(delete.method(), "POST");
    assert_eq!(
        delete.uri().to_string(),
        "http://127.0.0.1:9000/cubby-test?delete"
    );
    let body = String::from_utf8(delete.body().clone()).unwrap();
    assert_eq!(
        body,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <Quiet>true</Quiet><Object><Key>a&amp;b</Key></Object><Object><Key>c&lt;d</Key></Object></Delete>"
    );
    assert_eq!(
        header(&delete, "x-amz-checksum-crc32").unwrap(),
        crc32_checksum(body.as_bytes())
    );
    let too_many: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
    let refs: Vec<&str> = too_many.iter().map(String::as_str).collect();
    assert!(build_delete_objects(&ctx, &refs)
        .unwrap_err()
        .is_invalid_input());
    assert!(build_delete_objects(&ctx, &refs[..1000]).is_ok());
    assert!(build_delete_objects(&ctx, &[]).is_err());

    let create = build_create_multipart_upload(&ctx, "big.bin", Some("application/zip")).unwrap();
    assert_eq!(create.method(), "POST");
    assert_eq!(
        create.uri().to_string(),
        "http://127.0.0.1:9000/cubby-test/big.bin?uploads"
    );
    assert_eq!(header(&create, "x-amz-checksum-algorithm"), Some("CRC32"));

    let part = build_upload_part(
        &ctx,
        "big.bin",
        "up/1",
        7,
        b"Welcome to Amazon S3.".to_vec(),
        true,
    )
    .unwrap();
    assert_eq!(part.method(), "PUT");
    assert_eq!(
        part.uri().to_string(),
        "http://127.0.0.1:9000/cubby-test/big.bin?partNumber=7&uploadId=up%2F1"
    );
    assert_eq!(header(&part, "x-amz-checksum-crc32"), Some("Ox7nCg=="));
    assert_eq!(
        header(&part, "x-amz-content-sha256"),
        Some("UNSIGNED-PAYLOAD")
    );
    assert!(build_upload_part(&ctx, "k", "u", 0, vec![], false).is_err());
    assert!(build_upload_part(&ctx, "k", "u", 10_001, vec![], false).is_err());

    let parts = [
        CompletedPart {
            part_number: 1,
            etag: "\"a54357aff0632cce46d942af68356b38\"".into(),
            checksum_crc32: Some("Ox7nCg==".into()),
        },
        CompletedPart {
            part_number: 2,
            etag: "\"0c78aef83f66abc1fa1e8477f296d394\"".into(),
            checksum_crc32: None,
        },
    ];
    let complete = build_complete_multipart_upload(&ctx, "big.bin", "U", &parts, false).unwrap();
    assert_eq!(
        complete.uri().to_string(),
        "http://127.0.0.1:9000/cubby-test/big.bin?uploadId=U"
    );
    assert_eq!(
        String::from_utf8(complete.body().clone()).unwrap(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <Part><PartNumber>1</PartNumber><ETag>&quot;a54357aff0632cce46d942af68356b38&quot;</ETag>\
         <ChecksumCRC32>Ox7nCg==</ChecksumCRC32></Part>\
         <Part><PartNumber>2</PartNumber><ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;</ETag></Part>\
         </CompleteMultipartUpload>"
    );
    let reversed = [parts[1].clone(), parts[0].clone()];
    assert!(build_complete_multipart_upload(&ctx, "k", "U", &reversed, false).is_err());

    let abort = build_abort_multipart_upload(&ctx, "big.bin", "U").unwrap();
    assert_eq!(abort.method(), "DELETE");
    assert_eq!(
        abort.uri().to_string(),
        "http://127.0.0.1:9000/cubby-test/big.bin?uploadId=U"
    );

    let list = build_list_parts(&ctx, "big.bin", "U", Some(1000), Some(500)).unwrap();
    assert_eq!(
        list.uri().to_string(),
        "http://127.0.0.1:9000/cubby-test/big.bin?uploadId=U&max-parts=500&part-number-marker=1000"
    );
    let uploads = build_list_multipart_uploads(&ctx, "private/id/", None, None).unwrap();
    assert_eq!(
        uploads.uri().to_string(),
        "http://127.0.0.1:9000/cubby-test?uploads&encoding-type=url&prefix=private%2Fid%2F"
    );
    let head = build_head_object(&ctx, "k").unwrap();
    assert_eq!(head.method(), "HEAD");
    assert_eq!(header(&head, "x-amz-checksum-mode"), Some("ENABLED"));
}

#[test]
fn only_object_reads_are_marked_to_bypass_the_browser_cache() {
    let (bucket, creds) = ctx_fixture();
    let ctx = RequestContext {
        bucket: &bucket,
        credentials: &creds,
        time: at(GUIDE_TIME),
    };
    let marked =
        |request: &http::Request<Vec<u8>>| request.extensions().get::<ObjectRead>().is_some();
    assert!(marked(&build_head_object(&ctx, "k").unwrap()));
    assert!(marked(&build_get_object(&ctx, "k", None).unwrap()));
    let range = ByteRange {
        first: 0,
        last: Some(9),
    };
    assert!(marked(&build_get_object(&ctx, "k", Some(range)).unwrap()));
    let list = ListObjectsRequest {
        prefix: "p/",
        delimiter: Some("/"),
        max_keys: None,
        continuation_token: None,
        start_after: None,
    };
    // A listing is what a returning user waits for: it must keep the preflight cache.
    assert!(!marked(&build_list_objects(&ctx, &list).unwrap()));
    assert!(!marked(
        &build_list_parts(&ctx, "k", "U", None, None).unwrap()
    ));
}

#[test]
fn a_detached_upload_part_is_signed_as_the_unsigned_part_with_its_bytes() {
    let (bucket, creds) = ctx_fixture();
    let ctx = RequestContext {
        bucket: &bucket,
        credentials: &creds,
        time: at(GUIDE_TIME),
    };
    let bytes: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let whole = build_upload_part(&ctx, "big.bin", "U", 3, bytes.clone(), true).unwrap();
    let mut crc = Crc32::default();
    for chunk in bytes.chunks(4096) {
        crc.update(chunk);
    }
    let checksum = crc.finish();
    assert_eq!(checksum, crc32_checksum(&bytes));
    let detached = build_upload_part_detached(&ctx, "big.bin", "U", 3, &checksum).unwrap();
    assert!(detached.body().is_empty());
    assert_eq!(detached.uri(), whole.uri());
    assert_eq!(detached.method(), whole.method());
    // Same headers, Authorization included: the bytes sent beside the request
    // are vouched for by the checksum, not by the signature.
    assert_eq!(detached.headers(), whole.headers());
    assert!(build_upload_part_detached(&ctx, "big.bin", "U", 0, &checksum).is_err());
}

// ---------------------------------------------------------- response parsers

const LIST_PLAIN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>b</Name><Prefix>private/us-east-1:abc/</Prefix><Delimiter>/</Delimiter>
  <MaxKeys>1000</MaxKeys><KeyCount>3</KeyCount><IsTruncated>false</IsTruncated>
  <Contents><Key>private/us-east-1:abc/a &amp; b.txt</Key><LastModified>2014-11-21T19:40:05.000Z</LastModified>
    <ETag>"70ee1738b6b21e2c8a43f3a5ab0eee71"</ETag><Size>11</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>private/us-east-1:abc/empty</Key><LastModified>2014-11-21T19:40:06.000Z</LastModified>
    <ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>private/us-east-1:abc/photos/</Prefix></CommonPrefixes>
</ListBucketResult>"#;

const LIST_URL_ENCODED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>b</Name><Prefix>private%2Fus-east-1%3Aabc%2F</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
  <Delimiter>%2F</Delimiter><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>
  <ContinuationToken>x</ContinuationToken>
  <NextContinuationToken>1w41l63U+/=</NextContinuationToken>
  <Contents><Key>private/us-east-1%3Aabc/my+file%2B1%25+%C3%A9%01.txt</Key>
    <LastModified>2014-11-21T19:40:05.000Z</LastModified><ETag>"e"</ETag><Size>5368709120</Size></Contents>
  <CommonPrefixes><Prefix>private/us-east-1%3Aabc/a+folder/</Prefix></CommonPrefixes>
</ListBucketResult>"#;

#[test]
fn list_objects_plain() {
    let page = parse_list_objects(response(200, &[], LIST_PLAIN)).unwrap();
    assert_eq!(
        page,
        ListObjectsPage {
            objects: vec![
                ObjectSummary {
                    key: "private/us-east-1:abc/a & b.txt".into(),
                    size: 11,
                    etag: "\"70ee1738b6b21e2c8a43f3a5ab0eee71\"".into(),
                    last_modified: Some(1_416_598_805),
                    storage_class: Some("STANDARD".into()),
                },
                ObjectSummary {
                    key: "private/us-east-1:abc/empty".into(),
                    size: 0,
                    etag: "\"d41d8cd98f00b204e9800998ecf8427e\"".into(),
                    last_modified: Some(1_416_598_806),
                    storage_class: None,
                },
            ],
            common_prefixes: vec!["private/us-east-1:abc/photos/".into()],
            is_truncated: false,
            next_continuation_token: None,
            key_count: Some(3),
        }
    );
}

#[test]
fn list_objects_url_encoded_and_truncated() {
    let page = parse_list_objects(response(200, &[], LIST_URL_ENCODED)).unwrap();
    assert_eq!(page.objects.len(), 1);
    assert_eq!(
        page.objects[0].key,
        "private/us-east-1:abc/my file+1% é\u{1}.txt"
    );
    assert_eq!(page.objects[0].size, 5_368_709_120);
    assert_eq!(page.common_prefixes, ["private/us-east-1:abc/a folder/"]);
    assert!(page.is_truncated);
    // The token is opaque: not decoded.
    assert_eq!(page.next_continuation_token.as_deref(), Some("1w41l63U+/="));

    let empty = r#"<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>"#;
    assert_eq!(
        parse_list_objects(response(200, &[], empty)).unwrap(),
        ListObjectsPage {
            key_count: Some(0),
            ..ListObjectsPage::default()
        }
    );
    let truncated_without_token =
        "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
    assert!(
        parse_list_objects(response(200, &[], truncated_without_token))
            .unwrap_err()
            .is_unexpected_response()
    );
    assert!(parse_list_objects(response(200, &[], "<Other/>"))
        .unwrap_err()
        .is_unexpected_response());
}

#[test]
fn head_and_get_object() {
    let headers = [
        ("content-length", "434234"),
        ("etag", "\"fba9dede5f27731c9771645a39863328\""),
        ("last-modified", "Fri, 24 May 2013 00:00:00 GMT"),
        ("content-type", "text/plain"),
        ("x-amz-checksum-crc32", "Ox7nCg=="),
    ];
    let meta = parse_head_object(response(200, &headers, "")).unwrap();
    assert_eq!(
        meta,
        ObjectMetadata {
            size: 434_234,
            etag: Some("\"fba9dede5f27731c9771645a39863328\"".into()),
            last_modified: Some(GUIDE_TIME),
            content_type: Some("text/plain".into()),
            checksum_crc32: Some("Ox7nCg==".into()),
        }
    );
    let got = parse_get_object(response(
        206,
        &[("content-range", "bytes 0-9/443"), ("content-length", "10")],
        "0123456789",
    ))
    .unwrap();
    assert_eq!(got.body, b"0123456789");
    assert_eq!(got.content_range, Some((0, 9, Some(443))));
    assert_eq!(got.metadata.size, 10);
    // Without Content-Length, the body is its own size.
    assert_eq!(
        parse_get_object(response(200, &[], "abc"))
            .unwrap()
            .metadata
            .size,
        3
    );
}

#[test]
fn put_copy_and_delete_results() {
    let put = parse_put_object(response(
        200,
        &[("etag", "\"abc\""), ("x-amz-checksum-crc32", "Ox7nCg==")],
        "",
    ))
    .unwrap();
    assert_eq!(put.etag.as_deref(), Some("\"abc\""));
    assert_eq!(put.checksum_crc32.as_deref(), Some("Ox7nCg=="));
    assert_eq!(put.version_id, None);

    let copy = parse_copy_object(response(
        200,
        &[],
        r#"<?xml version="1.0" encoding="UTF-8"?>
<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>2013-05-24T00:00:00.000Z</LastModified><ETag>"9b2cf535f27731c974343645a3985328"</ETag></CopyObjectResult>"#,
    ))
    .unwrap();
    assert_eq!(
        copy,
        CopyObjectOutput {
            etag: "\"9b2cf535f27731c974343645a3985328\"".into(),
            last_modified: Some(GUIDE_TIME),
        }
    );
    let copy_failed = parse_copy_object(response(
        200,
        &[],
        "<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message><RequestId>R1</RequestId></Error>",
    ))
    .unwrap_err();
    assert_eq!(copy_failed.status(), Some(200));
    assert_eq!(copy_failed.code(), Some("InternalError"));
    assert_eq!(copy_failed.request_id(), Some("R1"));
    assert_eq!(
        classify(
            &copy_failed.retry_failure(0),
            &Attempts {
                made: 1,
                ..Attempts::default()
            }
        ),
        RetryDecision::RetryWithBackoff
    );

    assert!(parse_delete_object(response(204, &[], "")).is_ok());
    let result = parse_delete_objects(response(
        200,
        &[],
        r#"<?xml version="1.0" encoding="UTF-8"?>
<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Deleted><Key>a</Key></Deleted>
  <Error><Key>k2</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>
</DeleteResult>"#,
    ))
    .unwrap();
    assert_eq!(
        result,
        DeleteObjectsOutput {
            deleted: vec!["a".into()],
            failed: vec![DeleteFailure {
                key: "k2".into(),
                code: "AccessDenied".into(),
                message: Some("Access Denied".into()),
            }],
        }
    );
}

#[test]
fn multipart_results() {
    let id = parse_create_multipart_upload(response(
        200,
        &[],
        r#"<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId></InitiateMultipartUploadResult>"#,
    ))
    .unwrap();
    assert_eq!(
        id,
        "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"
    );

    let part = parse_upload_part(response(
        200,
        &[("etag", "\"p1\""), ("x-amz-checksum-crc32", "AAAAAA==")],
        "",
    ))
    .unwrap();
    assert_eq!(
        part,
        UploadPartOutput {
            etag: "\"p1\"".into(),
            checksum_crc32: Some("AAAAAA==".into()),
        }
    );
    assert!(parse_upload_part(response(200, &[], ""))
        .unwrap_err()
        .is_unexpected_response());

    // Whitespace keep-alives precede the document.
    let done = parse_complete_multipart_upload(response(
        200,
        &[],
        "   \n  <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Location>http://b.s3.amazonaws.com/k</Location><Bucket>b</Bucket><Key>k</Key><ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag></CompleteMultipartUploadResult>",
    ))
    .unwrap();
    assert_eq!(
        done,
        CompleteMultipartUploadOutput {
            etag: "\"3858f62230ac3c915f300c664312c11f-9\"".into(),
            location: Some("http://b.s3.amazonaws.com/k".into()),
            checksum_crc32: None,
        }
    );
    let failed = parse_complete_multipart_upload(response(
        200,
        &[],
        "  \n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidPart</Code><Message>One or more of the specified parts could not be found.</Message><RequestId>R2</RequestId></Error>",
    ))
    .unwrap_err();
    assert_eq!(failed.code(), Some("InvalidPart"));
    assert_eq!(failed.status(), Some(200));
    assert!(failed.is_service_error());

    let parts = parse_list_parts(response(
        200,
        &[],
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>b</Bucket><Key>k</Key><UploadId>U</UploadId>
  <PartNumberMarker>1</PartNumberMarker><NextPartNumberMarker>3</NextPartNumberMarker>
  <MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>
  <Part><PartNumber>2</PartNumber><LastModified>2010-11-10T20:48:34.000Z</LastModified>
    <ETag>"7778aef83f66abc1fa1e8477f296d394"</ETag><Size>10485760</Size><ChecksumCRC32>Ox7nCg==</ChecksumCRC32></Part>
  <Part><PartNumber>3</PartNumber><LastModified>2010-11-10T20:48:33.000Z</LastModified>
    <ETag>"aaaa18db4cc2f85cedef654fccc4a4x8"</ETag><Size>10485760</Size></Part>
</ListPartsResult>"#,
    ))
    .unwrap();
    assert!(parts.is_truncated);
    assert_eq!(parts.next_part_number_marker, Some(3));
    assert_eq!(
        parts.parts[0],
        PartSummary {
            part_number: 2,
            etag: "\"7778aef83f66abc1fa1e8477f296d394\"".into(),
            size: 10_485_760,
            checksum_crc32: Some("Ox7nCg==".into()),
            last_modified: Some(1_289_422_114),
        }
    );
    assert_eq!(parts.parts[1].part_number, 3);
    assert_eq!(parts.parts[1].checksum_crc32, None);

    let uploads = parse_list_multipart_uploads(response(
        200,
        &[],
        r#"<ListMultipartUploadsResult><Bucket>b</Bucket><EncodingType>url</EncodingType>
  <NextKeyMarker>private/id/a+b</NextKeyMarker><NextUploadIdMarker>U2</NextUploadIdMarker><IsTruncated>true</IsTruncated>
  <Upload><Key>private/id/a+b</Key><UploadId>U2</UploadId><Initiated>2013-05-24T00:00:00.000Z</Initiated></Upload>
</ListMultipartUploadsResult>"#,
    ))
    .unwrap();
    assert_eq!(
        uploads.uploads,
        [UploadSummary {
            key: "private/id/a b".into(),
            upload_id: "U2".into(),
            initiated: Some(GUIDE_TIME),
        }]
    );
    assert_eq!(uploads.next_key_marker.as_deref(), Some("private/id/a b"));
    assert!(parse_abort_multipart_upload(response(204, &[], "")).is_ok());
}

// ---------------------------------------------------------------- errors

fn error_body(code: &str, message: &str, extra: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>{extra}<RequestId>4442587FB7D0A2F9</RequestId><HostId>h</HostId></Error>"
    )
}

#[test]
fn service_errors_are_typed() {
    let denied = parse_get_object(response(
        403,
        &[("x-amz-request-id", "HDR")],
        &error_body("AccessDenied", "Access Denied", ""),
    ))
    .unwrap_err();
    assert_eq!(denied.status(), Some(403));
    assert_eq!(denied.code(), Some("AccessDenied"));
    assert_eq!(denied.message(), Some("Access Denied"));
    assert_eq!(denied.request_id(), Some("4442587FB7D0A2F9"));
    assert!(denied.is_access_denied() && !denied.is_not_found());
    assert_eq!(
        denied.to_string(),
        "S3 error AccessDenied (HTTP 403): Access Denied [request id 4442587FB7D0A2F9]"
    );

    let missing = parse_get_object(response(
        404,
        &[],
        &error_body(
            "NoSuchKey",
            "The specified key does not exist.",
            "<Key>private/x</Key>",
        ),
    ))
    .unwrap_err();
    assert!(missing.is_not_found());
    assert_eq!(missing.key(), Some("private/x"));

    let expired = parse_list_objects(response(
        400,
        &[],
        &error_body(
            "ExpiredToken",
            "The provided token has expired.",
            "<Token-0>secret-token</Token-0>",
        ),
    ))
    .unwrap_err();
    assert_eq!(expired.code(), Some("ExpiredToken"));
    assert!(!expired.to_string().contains("secret-token"));

    let skewed = parse_put_object(response(
        403,
        &[("date", "Fri, 24 May 2013 00:00:00 GMT")],
        &error_body(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            "<RequestTime>20130523T230000Z</RequestTime><ServerTime>2013-05-24T00:00:00Z</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>",
        ),
    ))
    .unwrap_err();
    assert_eq!(skewed.server_time(), Some(GUIDE_TIME));
    assert_eq!(skewed.date_header(), Some(GUIDE_TIME));

    let slow = parse_put_object(response(
        503,
        &[],
        &error_body("SlowDown", "Please reduce your request rate.", ""),
    ))
    .unwrap_err();
    assert_eq!(slow.status(), Some(503));
    assert_eq!(slow.code(), Some("SlowDown"));

    let signature = parse_list_objects(response(
        403,
        &[],
        &error_body(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
            "<AWSAccessKeyId>AKIA</AWSAccessKeyId><StringToSign>x</StringToSign>",
        ),
    ))
    .unwrap_err();
    assert_eq!(signature.code(), Some("SignatureDoesNotMatch"));

    let exists = parse_put_object(response(
        412,
        &[],
        &error_body(
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            "<Condition>If-None-Match</Condition>",
        ),
    ))
    .unwrap_err();
    assert!(exists.is_precondition_failed());

    // HEAD errors carry no body: status only.
    let head = parse_head_object(response(404, &[("x-amz-request-id", "HDR")], "")).unwrap_err();
    assert_eq!(head.status(), Some(404));
    assert_eq!(head.code(), None);
    assert_eq!(head.request_id(), Some("HDR"));
    assert!(head.is_not_found() && head.is_service_error());
    assert_eq!(head.to_string(), "S3 error (HTTP 404) [request id HDR]");
    let head403 = parse_head_object(response(403, &[], "")).unwrap_err();
    assert!(head403.is_access_denied());
    let head412 = parse_head_object(response(412, &[], "")).unwrap_err();
    assert!(head412.is_precondition_failed());
}

// ------------------------------------------------------------ retry classifier

fn decide(status: Option<u16>, code: Option<&str>) -> RetryDecision {
    let failure = Failure {
        status,
        code: code.map(str::to_string),
        ..Failure::default()
    };
    classify(
        &failure,
        &Attempts {
            made: 1,
            ..Attempts::default()
        },
    )
}

#[test]
fn retry_decisions() {
    use RetryDecision::*;
    for (status, code) in [
        (Some(500), Some("InternalError")),
        (Some(503), Some("SlowDown")),
        (Some(503), Some("ServiceUnavailable")),
        (Some(400), Some("RequestTimeout")),
        (Some(400), Some("ThrottlingException")),
        (Some(400), Some("Throttling")),
        (Some(400), Some("TooManyRequestsException")),
        (Some(400), Some("LimitExceededException")),
        (Some(429), None),
        (Some(502), None),
        (Some(504), None),
        (Some(409), Some("ConditionalRequestConflict")),
        (None, None),
    ] {
        assert_eq!(
            decide(status, code),
            RetryWithBackoff,
            "{status:?} {code:?}"
        );
    }
    for (status, code) in [
        (Some(403), Some("AccessDenied")),
        (Some(404), Some("NoSuchKey")),
        (Some(404), Some("NoSuchUpload")),
        (Some(412), Some("PreconditionFailed")),
        (Some(416), Some("InvalidRange")),
        (Some(403), Some("SignatureDoesNotMatch")),
        (Some(400), Some("InvalidArgument")),
        (Some(400), Some("NotAuthorizedException")),
        (Some(404), None),
        (Some(403), None),
        (Some(501), Some("NotImplemented")),
    ] {
        assert_eq!(decide(status, code), DoNotRetry, "{status:?} {code:?}");
    }
    // Stale credentials, whatever the status: InvalidAccessKeyId is S3's 403 for
    // an access key it no longer knows.
    for (status, code) in [
        (400, "ExpiredToken"),
        (400, "InvalidToken"),
        (403, "InvalidAccessKeyId"),
    ] {
        assert_eq!(
            decide(Some(status), Some(code)),
            RefreshCredentialsThenRetry,
            "{code}"
        );
        assert!(cubby_core::retry::is_stale_credentials(code));
        let once = Attempts {
            made: 2,
            credentials_refreshed: true,
            clock_corrected: false,
            may_wait_for_connection: false,
        };
        assert_eq!(
            classify(&Failure::http(status, Some(code), 0), &once),
            DoNotRetry
        );
    }
    // Transient errors stop after MAX_ATTEMPTS tries.
    let spent = Attempts {
        made: cubby_core::retry::MAX_ATTEMPTS,
        ..Attempts::default()
    };
    assert_eq!(
        classify(&Failure::http(503, Some("SlowDown"), 0), &spent),
        DoNotRetry
    );
    assert_eq!(classify(&Failure::network(0), &spent), DoNotRetry);
}

#[test]
fn clock_corrections() {
    use RetryDecision::*;
    let first = Attempts {
        made: 1,
        ..Attempts::default()
    };
    // ServerTime from the body wins over the Date header.
    let skewed = Failure {
        status: Some(403),
        code: Some("RequestTimeTooSkewed".into()),
        server_time: Some(10_000),
        date_header: Some(10_005),
        local_time: 11_000,
        offline: false,
    };
    assert_eq!(
        classify(&skewed, &first),
        CorrectClockThenRetry {
            offset_seconds: -1000
        }
    );
    let from_date = Failure {
        server_time: None,
        ..skewed.clone()
    };
    assert_eq!(
        classify(&from_date, &first),
        CorrectClockThenRetry {
            offset_seconds: -995
        }
    );
    let neither = Failure {
        date_header: None,
        ..from_date.clone()
    };
    assert_eq!(classify(&neither, &first), DoNotRetry);
    let again = Attempts {
        clock_corrected: true,
        ..first
    };
    assert_eq!(classify(&skewed, &again), DoNotRetry);

    // Through S3Error: RequestTimeTooSkewed with ServerTime.
    let err = parse_put_object(response(
        403,
        &[],
        &error_body(
            "RequestTimeTooSkewed",
            "too skewed",
            "<ServerTime>2013-05-24T00:00:00Z</ServerTime>",
        ),
    ))
    .unwrap_err();
    assert_eq!(
        classify(&err.retry_failure(GUIDE_TIME - 3600), &first),
        CorrectClockThenRetry {
            offset_seconds: 3600
        }
    );

    // SignatureDoesNotMatch: only a far-off Date header means our clock.
    let mut sig = Failure::http(403, Some("SignatureDoesNotMatch"), 50_000);
    sig.date_header = Some(50_100);
    assert_eq!(classify(&sig, &first), DoNotRetry);
    sig.date_header = Some(51_000);
    assert_eq!(
        classify(&sig, &first),
        CorrectClockThenRetry {
            offset_seconds: 1000
        }
    );
    // A bodiless HEAD 403 with a far-off Date.
    let head = parse_head_object(response(
        403,
        &[("date", "Fri, 24 May 2013 00:00:00 GMT")],
        "",
    ))
    .unwrap_err();
    assert_eq!(
        classify(&head.retry_failure(GUIDE_TIME + 1800), &first),
        CorrectClockThenRetry {
            offset_seconds: -1800
        }
    );
}

#[test]
fn backoff_bounds() {
    use cubby_core::retry::{BASE_DELAY, MAX_DELAY};
    for attempt in 1..20 {
        let ceiling = BASE_DELAY
            .saturating_mul(1 << (attempt - 1).min(16))
            .min(MAX_DELAY);
        assert_eq!(backoff_delay(attempt, 0.0), Duration::ZERO);
        assert!(backoff_delay(attempt, 0.999) < ceiling);
        assert!(backoff_delay(attempt, 1.0) <= MAX_DELAY);
    }
    assert_eq!(backoff_delay(1, 0.5), Duration::from_millis(125));
    assert_eq!(backoff_delay(2, 0.5), Duration::from_millis(250));
    assert_eq!(backoff_delay(10, 0.5), Duration::from_secs(10));
    assert_eq!(backoff_delay(10, 7.0), MAX_DELAY);
    assert_eq!(backoff_delay(10, -1.0), Duration::ZERO);
}

// ------------------------------------------------------------------- planner

const MIB: u64 = 1024 * 1024;

#[test]
fn part_planner_edges() {
    let empty = plan_parts(0, 8 * MIB).unwrap();
    assert_eq!((empty.part_count(), empty.part_size()), (1, 8 * MIB));
    assert_eq!(empty.range(1), Some(0..0));

    let five = plan_parts(5 * MIB, 5 * MIB).unwrap();
    assert_eq!(five.part_count(), 1);
    assert_eq!(five.range(1), Some(0..5 * MIB));
    assert_eq!(five.range(2), None);
    assert_eq!(five.range(0), None);

    // Preferred sizes outside the limits are clamped.
    assert_eq!(plan_parts(100, 1).unwrap().part_size(), MIN_PART_SIZE);
    assert_eq!(
        plan_parts(100, u64::MAX).unwrap().part_size(),
        MAX_PART_SIZE
    );

    let last_short = plan_parts(11 * MIB + 1, 5 * MIB).unwrap();
    assert_eq!(last_short.part_count(), 3);
    let parts: Vec<_> = last_short.parts().collect();
    assert_eq!(
        parts,
        [
            (1, 0..5 * MIB),
            (2, 5 * MIB..10 * MIB),
            (3, 10 * MIB..11 * MIB + 1)
        ]
    );

    // Exactly 10,000 parts of the preferred size fit...
    let full = plan_parts(10_000 * 5 * MIB, 5 * MIB).unwrap();
    assert_eq!((full.part_count(), full.part_size()), (10_000, 5 * MIB));
    assert_eq!(full.range(10_000), Some(9_999 * 5 * MIB..10_000 * 5 * MIB));
    // ...one byte more grows the part to the next whole MiB.
    let grown = plan_parts(10_000 * 5 * MIB + 1, 5 * MIB).unwrap();
    assert_eq!(grown.part_size(), 6 * MIB);
    assert_eq!(grown.part_count(), 8_334);
    assert_eq!(grown.range(8_334).unwrap().end, 10_000 * 5 * MIB + 1);

    let max = plan_parts(MAX_UPLOAD_SIZE, 5 * MIB).unwrap();
    assert_eq!(
        (max.part_count(), max.part_size()),
        (MAX_PARTS, MAX_PART_SIZE)
    );
    assert!(plan_parts(MAX_UPLOAD_SIZE + 1, 5 * MIB)
        .unwrap_err()
        .is_invalid_input());
}

// ------------------------------------------------------------------------ STS

#[test]
fn sts_request_and_result() {
    let token = Secret::new("eyJ.token+/=");
    let request = build_assume_role_with_web_identity(&AssumeRoleWithWebIdentity {
        endpoint: "https://sts.us-east-1.amazonaws.com/",
        role_arn: "arn:aws:iam::123456789012:role/CubbyAuth",
        role_session_name: "cubby-web",
        web_identity_token: &token,
        duration_seconds: Some(3600),
    })
    .unwrap();
    assert_eq!(request.method(), "POST");
    assert_eq!(
        request.uri().to_string(),
        "https://sts.us-east-1.amazonaws.com/"
    );
    assert_eq!(
        header(&request, "content-type"),
        Some("application/x-www-form-urlencoded; charset=utf-8")
    );
    assert!(header(&request, "authorization").is_none());
    assert_eq!(
        String::from_utf8(request.body().clone()).unwrap(),
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15\
         &RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FCubbyAuth\
         &RoleSessionName=cubby-web&WebIdentityToken=eyJ.token%2B%2F%3D&DurationSeconds=3600"
    );
    for (name, duration) in [
        ("x", None),
        ("bad name", None),
        ("ok", Some(899)),
        ("ok", Some(43_201)),
    ] {
        let input = AssumeRoleWithWebIdentity {
            endpoint: "https://sts.amazonaws.com/",
            role_arn: "arn",
            role_session_name: name,
            web_identity_token: &token,
            duration_seconds: duration,
        };
        assert!(build_assume_role_with_web_identity(&input)
            .unwrap_err()
            .is_invalid_input());
    }

    let body = r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>us-east-1:abc</SubjectFromWebIdentityToken>
    <Audience>us-east-1:pool</Audience>
    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/CubbyAuth/cubby-web</Arn><AssumedRoleId>AROA:cubby-web</AssumedRoleId></AssumedRoleUser>
    <Credentials>
      <SessionToken>AQoDYXdzE...session</SessionToken>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <Expiration>2014-10-24T23:00:23Z</Expiration>
      <AccessKeyId>ASgeIAIOSFODNN7EXAMPLE</AccessKeyId>
    </Credentials>
    <Provider>cognito-identity.amazonaws.com</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>"#;
    let creds = parse_assume_role_with_web_identity(response(200, &[], body)).unwrap();
    assert_eq!(
        creds,
        Credentials {
            access_key_id: "ASgeIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"),
            session_token: Some(Secret::new("AQoDYXdzE...session")),
            expiration: Some(1_414_191_623),
        }
    );
    let no_expiry = body.replace("<Expiration>2014-10-24T23:00:23Z</Expiration>", "");
    assert!(
        parse_assume_role_with_web_identity(response(200, &[], &no_expiry))
            .unwrap_err()
            .is_unexpected_response()
    );
}

#[test]
fn sts_errors() {
    let err = parse_assume_role_with_web_identity(response(
        400,
        &[],
        r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>Couldn't retrieve verification key from your identity provider</Message></Error>
  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
</ErrorResponse>"#,
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some("InvalidIdentityToken"));
    assert_eq!(
        err.request_id(),
        Some("c6104cbe-af31-11e0-8154-cbc7ccf896c7")
    );
    assert_eq!(
        err.to_string(),
        "STS error InvalidIdentityToken (HTTP 400): Couldn't retrieve verification key from your identity provider [request id c6104cbe-af31-11e0-8154-cbc7ccf896c7]"
    );
    let first = Attempts {
        made: 1,
        ..Attempts::default()
    };
    assert_eq!(
        classify(&err.retry_failure(0), &first),
        RetryDecision::DoNotRetry
    );

    let idp = parse_assume_role_with_web_identity(response(
        400,
        &[],
        "<ErrorResponse><Error><Code>IDPCommunicationError</Code></Error></ErrorResponse>",
    ))
    .unwrap_err();
    assert_eq!(
        classify(&idp.retry_failure(0), &first),
        RetryDecision::RetryWithBackoff
    );
    let denied = parse_assume_role_with_web_identity(response(403, &[], "")).unwrap_err();
    assert_eq!((denied.status(), denied.code()), (Some(403), None));
    assert!(denied.is_service_error());
}

// ------------------------------------------------------------- dates and XML

#[test]
fn date_parsers() {
    assert_eq!(parse_iso8601("2013-05-24T00:00:00Z"), Some(GUIDE_TIME));
    assert_eq!(parse_iso8601("2013-05-24T00:00:00.999Z"), Some(GUIDE_TIME));
    assert_eq!(parse_iso8601("2013-05-24T01:00:00+01:00"), Some(GUIDE_TIME));
    assert_eq!(parse_iso8601("2013-05-24 00:00:00Z"), None);
    assert_eq!(
        parse_http_date("Fri, 24 May 2013 00:00:00 GMT"),
        Some(GUIDE_TIME)
    );
    assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
    assert_eq!(parse_http_date("Fri, 24 May 2013 00:00:00 +0000"), None);
}

#[test]
fn xml_child_lookup() {
    let root = xml::parse("<a><b>1</b><b>2</b><c><d>x</d></c></a>").unwrap();
    assert_eq!(
        root.children_named("b")
            .map(|b| b.text())
            .collect::<Vec<_>>(),
        ["1", "2"]
    );
    assert_eq!(root.find(&["c", "d"]).unwrap().text(), "x");
    assert_eq!(root.child_text("b"), Some("1"));
    assert!(xml::parse_bytes(&[0xff, b'<']).is_err());
}

// ----------------------------------------------------------------- proptest

fn any_response() -> impl Strategy<Value = http::Response<Vec<u8>>> {
    let body = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        "[<>/a-zA-Z&;#x0-9 \"=!?\\[\\]-]{0,200}".prop_map(String::into_bytes),
        Just(LIST_URL_ENCODED.as_bytes().to_vec()),
    ];
    (
        prop_oneof![
            Just(200u16),
            Just(206),
            Just(204),
            Just(403),
            Just(404),
            Just(503),
            100u16..600
        ],
        body,
    )
        .prop_map(|(status, body)| {
            http::Response::builder()
                .status(status)
                .header("content-range", "bytes x")
                .header("date", "garbage")
                .body(body)
                .unwrap()
        })
}

proptest! {
    /// Our CRC32 (slicing-by-16, table built at run time) against crc32fast, for
    /// any bytes fed in any pieces: the split exercises the 16-byte stride and the
    /// byte-at-a-time tail on both sides of a piece boundary.
    #[test]
    fn crc32_matches_an_independent_implementation(
        bytes in proptest::collection::vec(any::<u8>(), 0..2000),
        cut in 0usize..2000,
    ) {
        let cut = cut.min(bytes.len());
        let mut ours = cubby_core::crc32::Crc32::default();
        ours.update(&bytes[..cut]);
        ours.update(&bytes[cut..]);
        prop_assert_eq!(ours.value(), crc32fast::hash(&bytes));
        prop_assert_eq!(cubby_core::crc32::crc32(&bytes), crc32fast::hash(&bytes));
    }

    #[test]
    fn xml_parser_never_panics(input in any::<String>()) {
        let _ = xml::parse(&input);
    }

    #[test]
    fn xml_parser_never_panics_on_markup(input in "[<>/a-zA-Z:&;#x0-9 \"'=!?\\[\\]-]{0,300}") {
        let _ = xml::parse(&input);
    }

    #[test]
    fn escaped_text_reads_back(text in "[^\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\u{fffe}\u{ffff}]{0,50}") {
        let doc = format!("<k>{}</k>", xml::escape(&text));
        let root = xml::parse(&doc).unwrap();
        prop_assert_eq!(root.text(), text.as_str());
    }

    #[test]
    fn parsers_never_panic(r in any_response()) {
        let _ = parse_list_objects(r.clone());
        let _ = parse_head_object(r.clone());
        let _ = parse_get_object(r.clone());
        let _ = parse_put_object(r.clone());
        let _ = parse_copy_object(r.clone());
        let _ = parse_delete_object(r.clone());
        let _ = parse_delete_objects(r.clone());
        let _ = parse_create_multipart_upload(r.clone());
        let _ = parse_upload_part(r.clone());
        let _ = parse_complete_multipart_upload(r.clone());
        let _ = parse_abort_multipart_upload(r.clone());
        let _ = parse_list_parts(r.clone());
        let _ = parse_list_multipart_uploads(r.clone());
        let _ = parse_assume_role_with_web_identity(r);
    }

    #[test]
    fn key_encoding_round_trips(key in any::<String>()) {
        let encoded = encode_key(&key);
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~/%".contains(&b)));
        prop_assert_eq!(percent_decode(&encoded, false).unwrap(), key);
    }

    #[test]
    fn dates_never_panic(text in any::<String>()) {
        let _ = parse_iso8601(&text);
        let _ = parse_http_date(&text);
    }

    #[test]
    fn plans_cover_the_file(size in 0u64..=MAX_UPLOAD_SIZE, preferred in any::<u64>()) {
        let plan = plan_parts(size, preferred).unwrap();
        prop_assert!(plan.part_count() >= 1 && plan.part_count() <= MAX_PARTS);
        prop_assert!(plan.part_size() >= MIN_PART_SIZE && plan.part_size() <= MAX_PART_SIZE);
        let last = plan.range(plan.part_count()).unwrap();
        prop_assert_eq!(last.end, size);
        prop_assert!(last.end - last.start <= plan.part_size());
    }
}

// ------------------------------------------------ keys S3 refuses, and XML cannot carry

/// A key of exactly `bytes` bytes under the fixtures' user folder, its name made of
/// `é` (two bytes each) and one `a` when the length is odd.
fn key_of(bytes: usize) -> String {
    let mut key = "private/us-east-1:11111111-2222-3333-4444-555555555555/".to_string();
    let rest = bytes - key.len();
    key.push_str(&"é".repeat(rest / 2));
    if rest % 2 == 1 {
        key.push('a');
    }
    assert_eq!(key.len(), bytes);
    key
}

#[test]
fn the_key_limit_counts_bytes_of_the_whole_key() {
    assert_eq!(MAX_KEY_BYTES, 1024);
    let at_limit = key_of(1024);
    // 1,024 bytes but far fewer characters: bytes count, not characters.
    assert!(at_limit.chars().count() < 1024);
    assert_eq!(check_key_length(&at_limit), Ok(()));
    let over = check_key_length(&key_of(1025)).unwrap_err();
    assert_eq!((over.bytes(), over.over()), (Some(1025), Some(1)));
    let message = over.to_string();
    assert!(message.contains("1,024 bytes"), "{message}");
    assert!(
        message.contains("1,025 bytes, 1 byte too many"),
        "{message}"
    );
    let far = check_key_length(&key_of(1056)).unwrap_err();
    assert!(
        far.to_string().contains("1,056 bytes, 32 bytes too many"),
        "{far}"
    );

    // Every builder that names a new key refuses before signing anything, with the
    // same error S3's KeyTooLongError gives.
    let (bucket, creds) = ctx_fixture();
    let ctx = RequestContext {
        bucket: &bucket,
        credentials: &creds,
        time: at(GUIDE_TIME),
    };
    let long = key_of(1025);
    let put = |key: &str| {
        build_put_object(
            &ctx,
            PutObjectRequest {
                key,
                body: b"x".to_vec(),
                content_type: None,
                if_none_match: true,
                unsigned_payload: false,
            },
        )
    };
    assert!(put(&at_limit).is_ok());
    for refused in [
        put(&long),
        build_copy_object(&ctx, &at_limit, &long, None, true),
        build_create_multipart_upload(&ctx, &long, None),
    ] {
        let err = refused.unwrap_err();
        assert!(err.is_invalid_input());
        assert_eq!(err.key_too_long(), Some(over));
        assert_eq!(
            classify(
                &err.retry_failure(0),
                &Attempts {
                    made: 1,
                    ..Attempts::default()
                }
            ),
            RetryDecision::DoNotRetry
        );
    }
    assert!(
        build_copy_object(&ctx, &long, &at_limit, None, true).is_ok(),
        "the source is S3's"
    );
    assert!(build_create_multipart_upload(&ctx, &at_limit, None).is_ok());

    // S3's own answer reads as the same thing, with the size S3 names.
    let refused = parse_copy_object(response(
        400,
        &[],
        &error_body(
            "KeyTooLongError",
            "Your key is too long",
            "<Size>1056</Size><MaxSizeAllowed>1024</MaxSizeAllowed>",
        ),
    ))
    .unwrap_err();
    let too_long = refused
        .key_too_long()
        .expect("KeyTooLongError is recognised");
    assert_eq!(too_long.over(), Some(32));
    assert_eq!(too_long.to_string(), far.to_string());
    // Without a Size, the limit is still named.
    let bare = parse_put_object(response(
        400,
        &[],
        &error_body("KeyTooLongError", "Your key is too long", ""),
    ))
    .unwrap_err();
    assert!(bare
        .key_too_long()
        .unwrap()
        .to_string()
        .contains("1,024 bytes"));
    assert_eq!(
        parse_put_object(response(400, &[], &error_body("InvalidArgument", "x", "")))
            .unwrap_err()
            .key_too_long(),
        None
    );
}

#[test]
fn keys_xml_cannot_carry_are_deleted_one_by_one() {
    let (bucket, creds) = ctx_fixture();
    let ctx = RequestContext {
        bucket: &bucket,
        credentials: &creds,
        time: at(GUIDE_TIME),
    };
    let control = "private/id/ctl\u{1}.txt";
    // The DeleteObjects builder never puts such a key in its body.
    assert!(build_delete_objects(&ctx, &["private/id/a.txt", control])
        .unwrap_err()
        .is_invalid_input());
    for bad in ["a\u{0}", "a\u{1F}", "a\u{FFFE}", "a\u{FFFF}"] {
        assert!(build_delete_objects(&ctx, &[bad]).is_err(), "{bad:?}");
    }
    // Tabs, line ends and any other Unicode text are fine, escaped.
    let ok = build_delete_objects(&ctx, &["tab\there", "line\nend", "naïve ✓ 😀"]).unwrap();
    let body = String::from_utf8(ok.body().clone()).unwrap();
    assert!(body.contains("<Key>tab&#9;here</Key>"), "{body}");
    assert!(xml::parse(&body).is_ok());

    // The plan: XML-safe keys in batches of 1,000, in order; the others one by one.
    let mut keys: Vec<String> = (0..2001).map(|i| format!("private/id/{i}")).collect();
    keys.insert(5, control.to_string());
    keys.push("private/id/\u{7}bell".to_string());
    let plan = plan_deletes(&keys);
    assert_eq!(
        plan.batches.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![1000, 1000, 1]
    );
    assert_eq!(plan.batches[0][5], "private/id/5");
    assert_eq!(plan.one_by_one, vec![control, "private/id/\u{7}bell"]);
    for batch in &plan.batches {
        assert!(build_delete_objects(&ctx, batch).is_ok());
    }
    let single = build_delete_object(&ctx, control).unwrap();
    assert_eq!(single.method(), "DELETE");
    assert!(single.uri().path().ends_with("/private/id/ctl%01.txt"));
    assert_eq!(plan_deletes(&[]), DeletePlan::default());
}

// ------------------------------------------------------------ object versions

/// The shape of the S3 API Reference's ListObjectVersions example: a key with one
/// version, a key whose latest is a delete marker over an older version, a third
/// key with a delete marker over a version (ids, dates, ETags and sizes as there).
const VERSIONS_REFERENCE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01">
    <Name>bucket</Name>
    <Prefix>my</Prefix>
    <KeyMarker/>
    <VersionIdMarker/>
    <MaxKeys>5</MaxKeys>
    <IsTruncated>false</IsTruncated>
    <Version>
        <Key>my-image.jpg</Key>
        <VersionId>3/L4kqtJl40Nr8X8gdRQBpUMLUo</VersionId>
        <IsLatest>true</IsLatest>
        <LastModified>2009-10-12T17:50:30.000Z</LastModified>
        <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>
        <Size>434234</Size>
        <StorageClass>STANDARD</StorageClass>
        <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>mtd@amazon.com</DisplayName></Owner>
    </Version>
    <DeleteMarker>
        <Key>my-second-image.jpg</Key>
        <VersionId>03jpff543dhffds434rfdsFDN943fdsFkdmqnh892</VersionId>
        <IsLatest>true</IsLatest>
        <LastModified>2009-11-12T17:50:30.000Z</LastModified>
        <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>mtd@amazon.com</DisplayName></Owner>
    </DeleteMarker>
    <Version>
        <Key>my-second-image.jpg</Key>
        <VersionId>QUpfdndhfd8438MNFDN93jdnJFkdmqnh893</VersionId>
        <IsLatest>false</IsLatest>
        <LastModified>2009-10-10T17:50:30.000Z</LastModified>
        <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>
        <Size>166434</Size>
        <StorageClass>STANDARD</StorageClass>
    </Version>
    <DeleteMarker>
        <Key>my-third-image.jpg</Key>
        <VersionId>03jpff543dhffds434rfdsFDN943fdsFkdmqnh892</VersionId>
        <IsLatest>true</IsLatest>
        <LastModified>2009-10-15T17:50:30.000Z</LastModified>
    </DeleteMarker>
    <Version>
        <Key>my-third-image.jpg</Key>
        <VersionId>UIORUnfndfhnw89493jJFJ</VersionId>
        <IsLatest>false</IsLatest>
        <LastModified>2009-10-11T12:50:30.000Z</LastModified>
        <ETag>&quot;772cf535f27731c974343645a3985328&quot;</ETag>
        <Size>64</Size>
        <StorageClass>STANDARD</StorageClass>
    </Version>
</ListVersionsResult>"#;

#[test]
fn list_object_versions_request() {
    let (bucket, creds) = ctx_fixture();
    let ctx = RequestContext {
        bucket: &bucket,
        credentials: &creds,
        time: at(GUIDE_TIME),
    };
    let request = build_list_object_versions(
        &ctx,
        &ListObjectVersionsRequest {
            prefix: "private/us-east-1:abc/a b.txt",
            delimiter: None,
            max_keys: Some(1000),
            key_marker: Some("private/us-east-1:abc/a b.txt"),
            version_id_marker: Some("3/L4kqtJl40Nr8X8gdRQBpUMLUo"),
        },
    )
    .unwrap();
    assert_eq!(request.method(), "GET");
    assert_eq!(
        request.uri().to_string(),
        "http://127.0.0.1:9000/cubby-test?versions&encoding-type=url\
         &prefix=private%2Fus-east-1%3Aabc%2Fa%20b.txt&max-keys=1000\
         &key-marker=private%2Fus-east-1%3Aabc%2Fa%20b.txt\
         &version-id-marker=3%2FL4kqtJl40Nr8X8gdRQBpUMLUo"
    );
    assert!(header(&request, "authorization").is_some());
    // S3 refuses a version-id marker on its own; so does the builder.
    let lone = build_list_object_versions(
        &ctx,
        &ListObjectVersionsRequest {
            prefix: "p",
            version_id_marker: Some("v"),
            ..ListObjectVersionsRequest::default()
        },
    );
    assert!(lone.unwrap_err().is_invalid_input());
}

#[test]
fn list_object_versions_reference_example() {
    let page = parse_list_object_versions(response(200, &[], VERSIONS_REFERENCE)).unwrap();
    assert!(!page.is_truncated);
    assert_eq!(page.next_key_marker, None);
    let summary: Vec<(&str, &str, bool, bool, u64)> = page
        .versions
        .iter()
        .map(|v| {
            (
                v.key.as_str(),
                v.version_id.as_str(),
                v.is_latest,
                v.is_delete_marker,
                v.size,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "my-image.jpg",
                "3/L4kqtJl40Nr8X8gdRQBpUMLUo",
                true,
                false,
                434_234
            ),
            (
                "my-second-image.jpg",
                "03jpff543dhffds434rfdsFDN943fdsFkdmqnh892",
                true,
                true,
                0
            ),
            (
                "my-second-image.jpg",
                "QUpfdndhfd8438MNFDN93jdnJFkdmqnh893",
                false,
                false,
                166_434
            ),
            (
                "my-third-image.jpg",
                "03jpff543dhffds434rfdsFDN943fdsFkdmqnh892",
                true,
                true,
                0
            ),
            (
                "my-third-image.jpg",
                "UIORUnfndfhnw89493jJFJ",
                false,
                false,
                64
            ),
        ]
    );
    assert_eq!(
        page.versions[0].etag.as_deref(),
        Some("\"fba9dede5f27731c9771645a39863328\"")
    );
    assert_eq!(
        page.versions[0].last_modified,
        parse_iso8601("2009-10-12T17:50:30.000Z")
    );
    assert_eq!(page.versions[1].etag, None);
    assert_eq!(
        page.versions[1].last_modified,
        parse_iso8601("2009-11-12T17:50:30.000Z")
    );
}

#[test]
fn list_object_versions_url_encoded_truncated_and_unversioned() {
    // The reference's second example's shape (a truncated page naming both next
    // markers), with `encoding-type=url`: keys, prefixes and the key marker are
    // encoded, version ids never.
    let body = r#"<ListVersionsResult><Name>b</Name><EncodingType>url</EncodingType>
        <IsTruncated>true</IsTruncated>
        <NextKeyMarker>private/id/a%20b%2Bc%01.txt</NextKeyMarker>
        <NextVersionIdMarker>d-d309mfjFrUmoQ0DBsVqmcMV15OI.</NextVersionIdMarker>
        <Version><Key>private/id/a%20b%2Bc%01.txt</Key><VersionId>null</VersionId>
        <IsLatest>true</IsLatest><LastModified>2026-11-30T12:00:00.000Z</LastModified>
        <ETag>"e"</ETag><Size>5</Size></Version>
        <CommonPrefixes><Prefix>private/id/my%20folder/</Prefix></CommonPrefixes>
        </ListVersionsResult>"#;
    let page = parse_list_object_versions(response(200, &[], body)).unwrap();
    assert!(page.is_truncated);
    assert_eq!(
        page.next_key_marker.as_deref(),
        Some("private/id/a b+c\u{1}.txt")
    );
    assert_eq!(
        page.next_version_id_marker.as_deref(),
        Some("d-d309mfjFrUmoQ0DBsVqmcMV15OI.")
    );
    assert_eq!(page.versions[0].key, "private/id/a b+c\u{1}.txt");
    assert_eq!(page.versions[0].version_id, NULL_VERSION_ID);
    assert_eq!(page.common_prefixes, ["private/id/my folder/"]);

    let bad = [
        "<ListVersionsResult><IsTruncated>true</IsTruncated></ListVersionsResult>",
        "<ListVersionsResult><Version><Key>k</Key><Size>1</Size></Version></ListVersionsResult>",
        "<ListVersionsResult><Version><Key>k</Key><VersionId>v</VersionId></Version></ListVersionsResult>",
        "<ListBucketResult/>",
    ];
    for body in bad {
        assert!(
            parse_list_object_versions(response(200, &[], body))
                .unwrap_err()
                .is_unexpected_response(),
            "{body}"
        );
    }
    let denied = response(
        403,
        &[],
        "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
    );
    assert_eq!(
        parse_list_object_versions(denied).unwrap_err().code(),
        Some("AccessDenied")
    );
}

#[test]
fn reads_copies_and_links_of_one_version() {
    let (bucket, creds) = ctx_fixture();
    let ctx = RequestContext {
        bucket: &bucket,
        credentials: &creds,
        time: at(GUIDE_TIME),
    };
    let id = "3/L4kqtJl40Nr8X8gdRQBpUMLUo";
    let get = build_get_object_version(
        &ctx,
        "private/id/a b.txt",
        Some(id),
        Some(ByteRange {
            first: 0,
            last: Some(9),
        }),
    )
    .unwrap();
    assert_eq!(
        get.uri().to_string(),
        "http://127.0.0.1:9000/cubby-test/private/id/a%20b.txt?versionId=3%2FL4kqtJl40Nr8X8gdRQBpUMLUo"
    );
    assert_eq!(header(&get, "range"), Some("bytes=0-9"));
    assert!(get.extensions().get::<ObjectRead>().is_some());
    // Without a version: exactly the plain builder's request.
    let plain = build_get_object(&ctx, "private/id/a b.txt", None).unwrap();
    let unversioned = build_get_object_version(&ctx, "private/id/a b.txt", None, None).unwrap();
    assert_eq!(plain.uri(), unversioned.uri());
    assert_eq!(plain.headers(), unversioned.headers());

    let head = build_head_object_version(&ctx, "private/id/a.txt", Some("v1")).unwrap();
    assert_eq!(head.method(), "HEAD");
    assert_eq!(head.uri().query(), Some("versionId=v1"));

    let copy = build_copy_object_version(
        &ctx,
        "private/id/a b+c.txt",
        Some(id),
        "private/id/a b+c.txt",
        Some("text/plain"),
        false,
    )
    .unwrap();
    assert_eq!(copy.method(), "PUT");
    assert_eq!(copy.uri().path(), "/cubby-test/private/id/a%20b%2Bc.txt");
    assert_eq!(
        header(&copy, "x-amz-copy-source"),
        Some("cubby-test/private/id/a%20b%2Bc.txt?versionId=3%2FL4kqtJl40Nr8X8gdRQBpUMLUo")
    );
    assert_eq!(header(&copy, "content-type"), Some("text/plain"));
    assert_eq!(header(&copy, "if-none-match"), None);

    let now = 1_700_000_000;
    let creds = session_credentials(Some(now + 1200));
    let ctx = RequestContext {
        bucket: &bucket,
        credentials: &creds,
        time: at(now),
    };
    let url = presign_get_version(
        &ctx,
        "private/id/old.txt",
        Some(id),
        300,
        Serve::Download("old.txt"),
    )
    .unwrap();
    let query = url.url.split_once('?').unwrap().1;
    assert!(
        query.contains("versionId=3%2FL4kqtJl40Nr8X8gdRQBpUMLUo&X-Amz-Algorithm"),
        "{query}"
    );
    assert_eq!(
        overrides(&url.url).1.as_deref(),
        Some("attachment; filename*=UTF-8''old.txt")
    );
    // The version is signed: the link differs from the current version's.
    let current = presign_get(&ctx, "private/id/old.txt", 300, Serve::Download("old.txt")).unwrap();
    assert!(!current.url.contains("versionId"));
}
