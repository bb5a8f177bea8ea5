//! S3, path-style, on `s3s` (SigV4 verification) and `s3s-fs` (storage).
//!
//! Layers, outermost first:
//! 1. [`handle`] (here): fault injection and stats, then
//!    - [`cors`]: preflights and the CORS headers of every response,
//!    - [`gate`]: the checks AWS makes before the signature (credential scope, clock
//!      skew, presigned expiry, region, access key, session token),
//!    - [`digests`]: `x-amz-content-sha256`, `Content-MD5` and `x-amz-checksum-*`
//!      against the body (DeleteObjects must carry one),
//!    - [`errors`]: AWS-shaped error bodies with a RequestId.
//! 2. `s3s`: SigV4 (header and presigned) with [`gate::CredentialStore`] as the key
//!    source.
//! 3. [`access::Policy`]: the per-identity IAM policy (`private/<identity id>/` only),
//!    enforced from the data in [`crate::policy`].
//! 4. [`objects::CubbyS3`]: object operations (per-key DeleteObjects authorisation,
//!    opaque continuation tokens, `encoding-type=url`, listings from [`listing`]'s
//!    index of the keys) and, in [`multipart`], upload
//!    tracking and part checks; delegates to `s3s_fs::FileSystem`, which keeps the
//!    current objects. [`versioned`] keeps the older versions and delete markers
//!    (recorded in [`versions`]) and [`version_list`] lists them.

mod access;
mod cors;
mod digests;
mod errors;
mod gate;
mod listing;
mod multipart;
mod objects;
mod version_list;
mod versioned;
mod versions;

use crate::http_util::{self, header_value, parse_form, Resp};
use crate::server::{BoxFuture, Handler};
use crate::state::State;
use access::Policy;
use cors::{add_cors, match_cors, preflight};
use errors::{aws_message, error_response, host_id, normalise};
use gate::CredentialStore;
use http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use hyper::body::Incoming;
use objects::CubbyS3;
use s3s::service::S3Service;
use std::collections::HashMap;
use std::sync::Arc;

/// The largest request body the emulator buffers.
const MAX_BODY: usize = 6 * 1024 * 1024 * 1024;

pub fn build_service(state: Arc<State>, root: &std::path::Path) -> std::io::Result<S3Service> {
    let fs = s3s_fs::FileSystem::new(root).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
    multipart::load_uploads(&state, root);
    let mut builder = s3s::service::S3ServiceBuilder::new(CubbyS3 {
        fs,
        versions: versioned::Versions::load(root),
        index: Arc::default(),
        state: state.clone(),
        root: root.to_path_buf(),
    });
    builder.set_auth(CredentialStore {
        state: state.clone(),
    });
    builder.set_access(Policy {
        state: state.clone(),
    });
    // The clock-skew and expiry checks are ours (against the shiftable server clock);
    // s3s's own real-clock check is widened out of the way.
    let mut config = s3s::config::S3Config::default();
    config.presigned_url_max_skew_time_secs = 10 * 365 * 24 * 3600;
    builder.set_config(Arc::new(s3s::config::StaticConfigProvider::new(Arc::new(
        config,
    ))));
    Ok(builder.build())
}

pub fn handler(state: Arc<State>, service: S3Service) -> Handler {
    Arc::new(move |req| -> BoxFuture<Option<Resp>> {
        let state = state.clone();
        let service = service.clone();
        Box::pin(async move { handle(&state, &service, req).await })
    })
}

/// What the layers need to know of a request to answer it like S3.
struct ReqInfo {
    method: Method,
    bucket: String,
    key: String,
    request_id: String,
    origin: Option<String>,
}

/// The S3 operation a request is, from its method, path, query and headers.
pub fn classify(
    method: &Method,
    path: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> &'static str {
    let rest = path.trim_start_matches('/');
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    let has = |k: &str| query.contains_key(k);
    if *method == Method::OPTIONS {
        return "Preflight";
    }
    if bucket.is_empty() {
        return if *method == Method::GET {
            "ListBuckets"
        } else {
            "Unknown"
        };
    }
    let copy = headers.contains_key("x-amz-copy-source");
    if key.is_empty() {
        return match *method {
            Method::GET if query.get("list-type").is_some_and(|v| v == "2") => "ListObjectsV2",
            Method::GET if has("uploads") => "ListMultipartUploads",
            Method::GET if has("versions") => "ListObjectVersions",
            Method::GET if has("cors") => "GetBucketCors",
            Method::GET if has("location") => "GetBucketLocation",
            Method::GET => "ListObjects",
            Method::HEAD => "HeadBucket",
            Method::PUT => "CreateBucket",
            Method::POST if has("delete") => "DeleteObjects",
            Method::DELETE => "DeleteBucket",
            _ => "Unknown",
        };
    }
    match *method {
        Method::GET if has("uploadId") => "ListParts",
        Method::GET => "GetObject",
        Method::HEAD => "HeadObject",
        Method::PUT if has("partNumber") && has("uploadId") => {
            if copy {
                "UploadPartCopy"
            } else {
                "UploadPart"
            }
        }
        Method::PUT if copy => "CopyObject",
        Method::PUT => "PutObject",
        Method::POST if has("uploads") => "CreateMultipartUpload",
        Method::POST if has("uploadId") => "CompleteMultipartUpload",
        Method::DELETE if has("uploadId") => "AbortMultipartUpload",
        Method::DELETE => "DeleteObject",
        _ => "Unknown",
    }
}

async fn handle(state: &State, service: &S3Service, req: Request<Incoming>) -> Option<Resp> {
    let query = parse_form(req.uri().query().unwrap_or(""));
    let operation = classify(req.method(), req.uri().path(), &query, req.headers());
    let path = req.uri().path().trim_start_matches('/').to_string();
    let (bucket, key) = path.split_once('/').unwrap_or((&path, ""));
    let key = percent_encoding::percent_decode_str(key)
        .decode_utf8_lossy()
        .into_owned();
    let info = ReqInfo {
        method: req.method().clone(),
        bucket: bucket.to_string(),
        key,
        request_id: crate::state::random_string(16, b"0123456789ABCDEF"),
        origin: header_value(req.headers(), "origin").map(str::to_string),
    };

    let mut resp = match state.s3_fault_for(operation) {
        Some(crate::state::FaultKind::Reset) => return None,
        Some(crate::state::FaultKind::InternalError) => error_response(
            &info,
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            aws_message("InternalError").unwrap_or_default(),
            &[],
        ),
        Some(crate::state::FaultKind::SlowDown) => error_response(
            &info,
            StatusCode::SERVICE_UNAVAILABLE,
            "SlowDown",
            aws_message("SlowDown").unwrap_or_default(),
            &[],
        ),
        None if operation == "Preflight" => {
            let mut resp = preflight(state, &info, req.headers());
            add_request_ids(&mut resp, &info);
            return Some(resp);
        }
        None => serve(state, service, &info, operation, &query, req).await,
        Some(crate::state::FaultKind::DropAnswer) => {
            // s3s has done the work by the time it answers; the answer is lost.
            let _ = serve(state, service, &info, operation, &query, req).await;
            return None;
        }
    };
    add_request_ids(&mut resp, &info);
    if let Some(origin) = info.origin.as_deref() {
        if info.bucket == state.config.bucket {
            if let Some(rule) = match_cors(&state.cors, origin, info.method.as_str(), &[]) {
                add_cors(&mut resp, rule, origin);
            }
        }
    }
    Some(resp)
}

/// Answers a request that no fault stopped: the checks, then `s3s`.
async fn serve(
    state: &State,
    service: &S3Service,
    info: &ReqInfo,
    operation: &str,
    query: &HashMap<String, String>,
    req: Request<Incoming>,
) -> Resp {
    match pre_checks(state, info, operation, query, req).await {
        Err(resp) => resp,
        Ok(req) => match service.call(req).await {
            Ok(resp) => match resp.extensions().get::<version_list::XmlBody>() {
                Some(version_list::XmlBody(xml)) => http_util::response(
                    StatusCode::OK,
                    "application/xml",
                    bytes::Bytes::from(xml.clone()),
                ),
                None => normalise(info, resp).await,
            },
            Err(_) => error_response(
                info,
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                aws_message("InternalError").unwrap_or_default(),
                &[],
            ),
        },
    }
}

fn add_request_ids(resp: &mut Resp, info: &ReqInfo) {
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&info.request_id) {
        h.insert("x-amz-request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&host_id(&info.request_id)) {
        h.insert("x-amz-id-2", v);
    }
    h.insert(header::SERVER, HeaderValue::from_static("AmazonS3"));
}

/// The checks S3 makes before the signature, then the body buffered for s3s.
async fn pre_checks(
    state: &State,
    info: &ReqInfo,
    operation: &str,
    query: &HashMap<String, String>,
    req: Request<Incoming>,
) -> Result<Request<s3s::Body>, Resp> {
    gate::check(state, info, query, req.headers())?;
    let (parts, body) = req.into_parts();
    let body = match http_util::read_body(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return Err(error_response(
            info,
            StatusCode::BAD_REQUEST,
            "IncompleteBody",
            "You did not provide the number of bytes specified by the Content-Length HTTP header.",
            &[],
        )),
    };
    digests::check_content_sha256(info, &parts.headers, &body)?;
    // Digests are checked before s3s-fs, which writes first and checks after.
    digests::check_digests(info, &parts.headers, &body, operation == "DeleteObjects")?;
    if matches!(operation, "DeleteObjects" | "CompleteMultipartUpload") && !xml_10_text(&body) {
        return Err(error_response(
            info,
            StatusCode::BAD_REQUEST,
            "MalformedXML",
            aws_message("MalformedXML").unwrap_or_default(),
            &[],
        ));
    }
    Ok(Request::from_parts(parts, s3s::Body::from(body)))
}

/// Whether an XML request body holds only what XML 1.0 allows (its `Char`
/// production: tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD, U+10000 and up), written
/// out or as a character reference (`&#1;` is as ill-formed as the raw byte). S3
/// answers anything else with `MalformedXML`, e.g. a DeleteObjects body naming a key
/// with a control character; `s3s` would read it.
fn xml_10_text(body: &[u8]) -> bool {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
            || c >= '\u{10000}'
    };
    let Ok(text) = std::str::from_utf8(body) else {
        return false;
    };
    text.chars().all(allowed)
        && text.split("&#").skip(1).all(|rest| {
            let Some((reference, _)) = rest.split_once(';') else {
                return false;
            };
            let value = match reference.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16),
                None => reference.parse(),
            };
            value.ok().and_then(char::from_u32).is_some_and(allowed)
        })
}
