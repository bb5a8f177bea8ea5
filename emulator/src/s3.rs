//! S3, path-style, on `s3s` (SigV4 verification) and `s3s-fs` (storage).
//!
//! Layers, outermost first:
//! 1. [`handle`]: fault injection and stats, CORS (preflights and response headers),
//!    checks AWS makes before the signature (clock skew, presigned expiry, region,
//!    access key, session token, payload hash, DeleteObjects digest), and AWS-shaped
//!    error bodies with a RequestId.
//! 2. `s3s`: SigV4 (header and presigned) with [`CredentialStore`] as the key source.
//! 3. [`Policy`]: the per-identity IAM policy (`private/<identity id>/` only), enforced
//!    from the data in [`crate::policy`].
//! 4. [`CubbyS3`]: per-key DeleteObjects authorisation, opaque continuation tokens,
//!    `encoding-type=url`, upload tracking; delegates to `s3s_fs::FileSystem`.

use crate::config::CorsRule;
use crate::http_util::{self, escape_xml, iso8601, parse_form, Resp};
use crate::policy::{Resources, ACCESS_RULE};
use crate::server::{BoxFuture, Handler};
use crate::state::{State, UploadInfo};
use base64::Engine as _;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{Credentials, S3Auth, SecretKey};
use s3s::dto::*;
use s3s::service::S3Service;
use s3s::{s3_error, S3Request, S3Response, S3Result, S3};
use std::collections::HashMap;
use std::sync::Arc;

/// Requests more than this far from the server clock are refused.
const MAX_SKEW_SECONDS: u64 = 15 * 60;
/// The largest request body the emulator buffers.
const MAX_BODY: usize = 6 * 1024 * 1024 * 1024;

pub fn build_service(state: Arc<State>, root: &std::path::Path) -> std::io::Result<S3Service> {
    let fs = s3s_fs::FileSystem::new(root).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
    load_uploads(&state, root);
    let mut builder = s3s::service::S3ServiceBuilder::new(CubbyS3 {
        fs,
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

// ---------------------------------------------------------------------------------
// Layer 1: the HTTP wrapper

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

/// An S3 error response: `<Error><Code/><Message/>...extra...<RequestId/><HostId/></Error>`.
fn error_response(
    info: &ReqInfo,
    status: StatusCode,
    code: &str,
    message: &str,
    extra: &[(&str, String)],
) -> Resp {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>",
        escape_xml(code),
        escape_xml(message)
    );
    for (name, value) in extra {
        xml.push_str(&format!("<{name}>{}</{name}>", escape_xml(value)));
    }
    xml.push_str(&format!(
        "<RequestId>{}</RequestId><HostId>{}</HostId></Error>",
        info.request_id,
        host_id(&info.request_id)
    ));
    let body = if info.method == Method::HEAD {
        Bytes::new()
    } else {
        Bytes::from(xml)
    };
    http_util::response(status, "application/xml", body)
}

fn host_id(request_id: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(crate::state::sha256(request_id.as_bytes()))
}

/// AWS's wording for the codes s3s words differently or leaves empty.
fn aws_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "AccessDenied" => "Access Denied",
        "SignatureDoesNotMatch" => "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        "InvalidAccessKeyId" => "The AWS Access Key Id you provided does not exist in our records.",
        "NoSuchKey" => "The specified key does not exist.",
        "NoSuchBucket" => "The specified bucket does not exist",
        "NoSuchUpload" => "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        "PreconditionFailed" => "At least one of the pre-conditions you specified did not hold",
        "InvalidPart" => "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
        "InvalidPartOrder" => "The list of parts was not in ascending order. Parts must be ordered by part number.",
        "EntityTooSmall" => "Your proposed upload is smaller than the minimum allowed object size.",
        "InvalidRange" => "The requested range is not satisfiable",
        "MalformedXML" => "The XML you provided was not well-formed or did not validate against our published schema",
        "InternalError" => "We encountered an internal error. Please try again.",
        "SlowDown" => "Please reduce your request rate.",
        _ => return None,
    })
}

fn first_tag(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(xml[start..end].to_string())
}

fn unescape_xml(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn parse_amz_date(s: &str) -> Option<u64> {
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let t = time::PrimitiveDateTime::parse(s, fmt).ok()?.assume_utc();
    u64::try_from(t.unix_timestamp()).ok()
}

/// `AKID/date/region/service/aws4_request`
struct Scope {
    access_key: String,
    region: String,
    service: String,
}

fn parse_scope(credential: &str) -> Option<Scope> {
    let parts: Vec<&str> = credential.split('/').collect();
    if parts.len() != 5 || parts[4] != "aws4_request" {
        return None;
    }
    Some(Scope {
        access_key: parts[0].to_string(),
        region: parts[2].to_string(),
        service: parts[3].to_string(),
    })
}

/// The CORS rule matching an origin, method and requested headers (first match wins).
fn match_cors<'a>(
    rules: &'a [CorsRule],
    origin: &str,
    method: &str,
    headers: &[String],
) -> Option<&'a CorsRule> {
    rules.iter().find(|rule| {
        rule.allowed_origins
            .iter()
            .any(|o| wildcard(o, origin, false))
            && rule.allowed_methods.iter().any(|m| m == method)
            && headers.iter().all(|h| {
                rule.allowed_headers
                    .iter()
                    .any(|a| wildcard(&a.to_ascii_lowercase(), &h.to_ascii_lowercase(), true))
            })
    })
}

/// Matches `value` against a pattern with at most one `*`.
fn wildcard(pattern: &str, value: &str, _case_insensitive: bool) -> bool {
    match pattern.split_once('*') {
        None => pattern == value,
        Some((pre, post)) => {
            value.len() >= pre.len() + post.len() && value.starts_with(pre) && value.ends_with(post)
        }
    }
}

fn add_cors(resp: &mut Resp, rule: &CorsRule, origin: &str) {
    let h = resp.headers_mut();
    let allow_origin = if rule.allowed_origins.iter().any(|o| o == "*") {
        "*"
    } else {
        origin
    };
    if let Ok(v) = HeaderValue::from_str(allow_origin) {
        h.insert("access-control-allow-origin", v);
    }
    if let Ok(v) = HeaderValue::from_str(&rule.allowed_methods.join(", ")) {
        h.insert("access-control-allow-methods", v);
    }
    if !rule.expose_headers.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&rule.expose_headers.join(", ")) {
            h.insert("access-control-expose-headers", v);
        }
    }
    if let Some(age) = rule.max_age_seconds {
        h.insert("access-control-max-age", HeaderValue::from(age));
    }
    if allow_origin != "*" {
        h.insert(
            "access-control-allow-credentials",
            HeaderValue::from_static("true"),
        );
    }
    h.insert(
        header::VARY,
        HeaderValue::from_static(
            "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        ),
    );
}

fn preflight(state: &State, info: &ReqInfo, headers: &HeaderMap) -> Resp {
    let method = header(headers, "access-control-request-method");
    let (Some(origin), Some(method)) = (info.origin.as_deref(), method) else {
        return error_response(
            info,
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Insufficient information. Origin request header needed.",
            &[],
        );
    };
    let requested: Vec<String> = header(headers, "access-control-request-headers")
        .unwrap_or("")
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    match match_cors(&state.cors, origin, method, &requested) {
        Some(rule) if info.bucket == state.config.bucket => {
            let mut resp = http_util::response(StatusCode::OK, "", Bytes::new());
            add_cors(&mut resp, rule, origin);
            if !requested.is_empty() {
                if let Ok(v) = HeaderValue::from_str(&requested.join(", ")) {
                    resp.headers_mut().insert("access-control-allow-headers", v);
                }
            }
            resp
        }
        _ => error_response(
            info,
            StatusCode::FORBIDDEN,
            "AccessForbidden",
            "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
            &[
                ("Method", method.to_string()),
                (
                    "ResourceType",
                    if info.key.is_empty() { "BUCKET" } else { "OBJECT" }.to_string(),
                ),
            ],
        ),
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
        origin: header(req.headers(), "origin").map(str::to_string),
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
        None => match pre_checks(state, &info, operation, &query, req).await {
            Err(resp) => resp,
            Ok(req) => match service.call(req).await {
                Ok(resp) => normalise(&info, resp).await,
                Err(_) => error_response(
                    &info,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    aws_message("InternalError").unwrap_or_default(),
                    &[],
                ),
            },
        },
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

/// Error bodies from s3s, reshaped like S3's (AWS message, RequestId, HostId).
async fn normalise(info: &ReqInfo, resp: http::Response<s3s::Body>) -> Resp {
    let (parts, body) = resp.into_parts();
    if !parts.status.is_client_error() && !parts.status.is_server_error() {
        return http::Response::from_parts(
            parts,
            body.map_err(|e| e as http_util::BoxError).boxed(),
        );
    }
    let bytes = http_util::read_body(body, 1024 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let code = first_tag(&text, "Code").unwrap_or_else(|| {
        parts
            .status
            .canonical_reason()
            .unwrap_or("Error")
            .replace(' ', "")
    });
    let message = aws_message(&code)
        .map(str::to_string)
        .or_else(|| first_tag(&text, "Message").map(|m| unescape_xml(&m)))
        .unwrap_or_default();
    let mut extra = vec![];
    if code == "NoSuchKey" && !info.key.is_empty() {
        extra.push(("Key", info.key.clone()));
    }
    if code == "NoSuchBucket" {
        extra.push(("BucketName", info.bucket.clone()));
    }
    let mut resp = error_response(info, parts.status, &code, &message, &extra);
    for (k, v) in &parts.headers {
        if k != header::CONTENT_LENGTH && k != header::CONTENT_TYPE {
            resp.headers_mut().insert(k.clone(), v.clone());
        }
    }
    resp
}

/// The checks S3 makes before the signature, then the body buffered for s3s.
async fn pre_checks(
    state: &State,
    info: &ReqInfo,
    operation: &str,
    query: &HashMap<String, String>,
    req: Request<Incoming>,
) -> Result<Request<s3s::Body>, Resp> {
    let headers = req.headers().clone();
    let now = state.now();
    let authorization = header(&headers, "authorization");
    let presigned = query.contains_key("X-Amz-Signature");
    let scope_text = if presigned {
        query.get("X-Amz-Credential").cloned()
    } else {
        authorization.and_then(|a| {
            let start = a.find("Credential=")? + "Credential=".len();
            let rest = &a[start..];
            let end = rest.find([',', ' ']).unwrap_or(rest.len());
            Some(rest[..end].to_string())
        })
    };
    if let Some(scope_text) = scope_text {
        let Some(scope) = parse_scope(&scope_text) else {
            return Err(error_response(
                info,
                StatusCode::BAD_REQUEST,
                if presigned { "AuthorizationQueryParametersError" } else { "AuthorizationHeaderMalformed" },
                "The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
                &[],
            ));
        };
        // Clock.
        let date_text = if presigned {
            query.get("X-Amz-Date").map(String::as_str)
        } else {
            header(&headers, "x-amz-date")
        };
        if let Some(date_text) = date_text {
            let Some(request_time) = parse_amz_date(date_text) else {
                return Err(error_response(
                    info,
                    StatusCode::FORBIDDEN,
                    "AccessDenied",
                    "AWS authentication requires a valid Date or x-amz-date header",
                    &[],
                ));
            };
            let skewed = if presigned {
                request_time > now + MAX_SKEW_SECONDS
            } else {
                request_time.abs_diff(now) > MAX_SKEW_SECONDS
            };
            if skewed {
                return Err(error_response(
                    info,
                    StatusCode::FORBIDDEN,
                    "RequestTimeTooSkewed",
                    "The difference between the request time and the current time is too large.",
                    &[
                        ("RequestTime", date_text.to_string()),
                        ("ServerTime", iso8601(now)),
                        ("MaxAllowedSkewMilliseconds", "900000".to_string()),
                    ],
                ));
            }
            if presigned {
                let expires_text = query.get("X-Amz-Expires").map(String::as_str).unwrap_or("");
                let Ok(expires) = expires_text.parse::<u64>() else {
                    return Err(error_response(
                        info,
                        StatusCode::BAD_REQUEST,
                        "AuthorizationQueryParametersError",
                        "X-Amz-Expires should be a number",
                        &[],
                    ));
                };
                if expires > 604_800 {
                    return Err(error_response(
                        info,
                        StatusCode::BAD_REQUEST,
                        "AuthorizationQueryParametersError",
                        "X-Amz-Expires must be less than a week (in seconds) that is 604800",
                        &[],
                    ));
                }
                if now > request_time + expires {
                    return Err(error_response(
                        info,
                        StatusCode::FORBIDDEN,
                        "AccessDenied",
                        "Request has expired",
                        &[
                            ("X-Amz-Expires", expires.to_string()),
                            ("Expires", iso8601(request_time + expires)),
                            ("ServerTime", iso8601(now)),
                        ],
                    ));
                }
            }
        }
        // Region and service of the scope.
        if scope.region != state.config.region || scope.service != "s3" {
            let (code, message) = if scope.service != "s3" {
                ("AuthorizationHeaderMalformed", format!("The authorization header is malformed; incorrect service \"{}\". This endpoint belongs to \"s3\".", scope.service))
            } else {
                ("AuthorizationHeaderMalformed", format!("The authorization header is malformed; the region '{}' is wrong; expecting '{}'", scope.region, state.config.region))
            };
            let code = if presigned {
                "AuthorizationQueryParametersError"
            } else {
                code
            };
            return Err(error_response(
                info,
                StatusCode::BAD_REQUEST,
                code,
                &message,
                &[("Region", state.config.region.clone())],
            ));
        }
        // Access key and session token.
        let cred = state.lock().credentials.get(&scope.access_key).cloned();
        let Some(cred) = cred else {
            return Err(error_response(
                info,
                StatusCode::FORBIDDEN,
                "InvalidAccessKeyId",
                aws_message("InvalidAccessKeyId").unwrap_or_default(),
                &[("AWSAccessKeyId", scope.access_key.clone())],
            ));
        };
        let token = if presigned {
            query.get("X-Amz-Security-Token").map(String::as_str)
        } else {
            header(&headers, "x-amz-security-token")
        };
        match token {
            None => {
                return Err(error_response(
                    info,
                    StatusCode::FORBIDDEN,
                    "InvalidAccessKeyId",
                    aws_message("InvalidAccessKeyId").unwrap_or_default(),
                    &[("AWSAccessKeyId", scope.access_key.clone())],
                ))
            }
            Some(t) if t != cred.session_token => {
                return Err(error_response(
                    info,
                    StatusCode::BAD_REQUEST,
                    "InvalidToken",
                    "The provided token is malformed or otherwise invalid.",
                    &[],
                ))
            }
            Some(_) => {}
        }
        if now >= cred.expires_at {
            return Err(error_response(
                info,
                StatusCode::BAD_REQUEST,
                "ExpiredToken",
                "The provided token has expired.",
                &[],
            ));
        }
        if !presigned && header(&headers, "x-amz-content-sha256").is_none() {
            return Err(error_response(
                info,
                StatusCode::BAD_REQUEST,
                "InvalidRequest",
                "Missing required header for this request: x-amz-content-sha256",
                &[],
            ));
        }
    }

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
    if let Some(claimed) = header(&headers, "x-amz-content-sha256") {
        if claimed.len() == 64 && claimed.bytes().all(|b| b.is_ascii_hexdigit()) {
            let computed = hex(&crate::state::sha256(&body));
            if computed != claimed.to_ascii_lowercase() {
                return Err(error_response(
                    info,
                    StatusCode::BAD_REQUEST,
                    "XAmzContentSHA256Mismatch",
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                    &[
                        ("ClientComputedContentSHA256", claimed.to_string()),
                        ("S3ComputedContentSHA256", computed),
                    ],
                ));
            }
        }
    }
    // Digests are checked before s3s-fs, which writes first and checks after.
    check_digests(info, &headers, &body, operation == "DeleteObjects")?;
    Ok(Request::from_parts(parts, s3s::Body::from(body)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `Content-MD5`, `x-amz-checksum-crc32` and `x-amz-checksum-sha256` must match the
/// body; DeleteObjects (`required`) must carry `Content-MD5` or an `x-amz-checksum-*`.
fn check_digests(
    info: &ReqInfo,
    headers: &HeaderMap,
    body: &[u8],
    required: bool,
) -> Result<(), Resp> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let bad_digest = |what: &str| {
        error_response(
            info,
            StatusCode::BAD_REQUEST,
            "BadDigest",
            &format!("The {what} you specified did not match the calculated checksum."),
            &[],
        )
    };
    let mut checked = false;
    if let Some(md5) = header(headers, "content-md5") {
        use md5::Digest as _;
        let computed = b64.encode(md5::Md5::digest(body));
        if computed != md5 {
            return Err(error_response(
                info,
                StatusCode::BAD_REQUEST,
                "BadDigest",
                "The Content-MD5 you specified did not match what we received.",
                &[],
            ));
        }
        checked = true;
    }
    if let Some(crc) = header(headers, "x-amz-checksum-crc32") {
        let computed = b64.encode(crc32fast::hash(body).to_be_bytes());
        if computed != crc {
            return Err(bad_digest("CRC32"));
        }
        checked = true;
    }
    if let Some(sha) = header(headers, "x-amz-checksum-sha256") {
        let computed = b64.encode(crate::state::sha256(body));
        if computed != sha {
            return Err(bad_digest("SHA256"));
        }
        checked = true;
    }
    let other_checksum = header(headers, "x-amz-checksum-crc32c").is_some()
        || header(headers, "x-amz-checksum-crc64nvme").is_some()
        || header(headers, "x-amz-checksum-sha1").is_some();
    if required && !checked && !other_checksum {
        return Err(error_response(
            info,
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "Missing required header for this request: Content-MD5 OR x-amz-checksum-*",
            &[],
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// Layer 2: secret keys for s3s's SigV4 verification

struct CredentialStore {
    state: Arc<State>,
}

#[async_trait::async_trait]
impl S3Auth for CredentialStore {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        let cred = self.state.lock().credentials.get(access_key).cloned();
        match cred {
            Some(c) => Ok(SecretKey::from(c.secret_key)),
            None => Err(s3_error!(InvalidAccessKeyId)),
        }
    }
}

// ---------------------------------------------------------------------------------
// Layer 3: the per-identity IAM policy

struct Policy {
    state: Arc<State>,
}

fn access_denied() -> s3s::S3Error {
    s3_error!(AccessDenied, "Access Denied")
}

impl Policy {
    /// Allows `operation` on `resources` in `bucket` when [`ACCESS_RULE`] does for the
    /// caller's identity (only the configured bucket exists).
    fn authorize<T>(
        &self,
        req: &S3Request<T>,
        operation: &str,
        bucket: &str,
        resources: Resources,
    ) -> S3Result<()> {
        let cred = req.credentials.as_ref().ok_or_else(access_denied)?;
        let identity = identity_for(&self.state, &cred.access_key).ok_or_else(access_denied)?;
        if bucket == self.state.config.bucket
            && ACCESS_RULE.authorize(&identity, operation, &resources)
        {
            Ok(())
        } else {
            Err(access_denied())
        }
    }

    fn object<T>(
        &self,
        req: &S3Request<T>,
        operation: &str,
        bucket: &str,
        key: &str,
    ) -> S3Result<()> {
        let resources = Resources {
            key: Some(key),
            ..Resources::default()
        };
        self.authorize(req, operation, bucket, resources)
    }

    fn listing<T>(
        &self,
        req: &S3Request<T>,
        operation: &str,
        bucket: &str,
        prefix: Option<&str>,
    ) -> S3Result<()> {
        let resources = Resources {
            prefix,
            ..Resources::default()
        };
        self.authorize(req, operation, bucket, resources)
    }

    fn copy<T>(
        &self,
        req: &S3Request<T>,
        operation: &str,
        bucket: &str,
        key: &str,
        source: &CopySource,
    ) -> S3Result<()> {
        let CopySource::Bucket {
            bucket: source_bucket,
            key: source_key,
            ..
        } = source
        else {
            return Err(access_denied());
        };
        if **source_bucket != *bucket {
            return Err(access_denied());
        }
        let resources = Resources {
            key: Some(key),
            copy_source_key: Some(source_key),
            prefix: None,
        };
        self.authorize(req, operation, bucket, resources)
    }
}

fn identity_for(state: &State, access_key: &str) -> Option<String> {
    state
        .lock()
        .credentials
        .get(access_key)
        .map(|c| c.identity_id.clone())
}

#[async_trait::async_trait]
impl S3Access for Policy {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let Some(cred) = cx.credentials() else {
            return Err(access_denied());
        };
        if identity_for(&self.state, &cred.access_key).is_none() {
            return Err(s3_error!(InvalidAccessKeyId));
        }
        if ACCESS_RULE.may_perform(cx.s3_op().name()) {
            Ok(())
        } else {
            Err(access_denied())
        }
    }

    async fn list_objects_v2(&self, req: &mut S3Request<ListObjectsV2Input>) -> S3Result<()> {
        let (bucket, prefix) = (&req.input.bucket, req.input.prefix.as_deref());
        self.listing(req, "ListObjectsV2", bucket, prefix)
    }

    async fn list_objects(&self, req: &mut S3Request<ListObjectsInput>) -> S3Result<()> {
        let (bucket, prefix) = (&req.input.bucket, req.input.prefix.as_deref());
        self.listing(req, "ListObjects", bucket, prefix)
    }

    async fn get_object(&self, req: &mut S3Request<GetObjectInput>) -> S3Result<()> {
        self.object(req, "GetObject", &req.input.bucket, &req.input.key)
    }

    async fn head_object(&self, req: &mut S3Request<HeadObjectInput>) -> S3Result<()> {
        self.object(req, "HeadObject", &req.input.bucket, &req.input.key)
    }

    async fn put_object(&self, req: &mut S3Request<PutObjectInput>) -> S3Result<()> {
        self.object(req, "PutObject", &req.input.bucket, &req.input.key)
    }

    async fn copy_object(&self, req: &mut S3Request<CopyObjectInput>) -> S3Result<()> {
        let i = &req.input;
        self.copy(req, "CopyObject", &i.bucket, &i.key, &i.copy_source)
    }

    async fn delete_object(&self, req: &mut S3Request<DeleteObjectInput>) -> S3Result<()> {
        self.object(req, "DeleteObject", &req.input.bucket, &req.input.key)
    }

    async fn delete_objects(&self, req: &mut S3Request<DeleteObjectsInput>) -> S3Result<()> {
        // Keys are authorised one by one in `CubbyS3::delete_objects`.
        let cred = req.credentials.as_ref().ok_or_else(access_denied)?;
        if req.input.bucket == self.state.config.bucket
            && identity_for(&self.state, &cred.access_key).is_some()
        {
            Ok(())
        } else {
            Err(access_denied())
        }
    }

    async fn create_multipart_upload(
        &self,
        req: &mut S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<()> {
        let i = &req.input;
        self.object(req, "CreateMultipartUpload", &i.bucket, &i.key)
    }

    async fn upload_part(&self, req: &mut S3Request<UploadPartInput>) -> S3Result<()> {
        self.object(req, "UploadPart", &req.input.bucket, &req.input.key)
    }

    async fn upload_part_copy(&self, req: &mut S3Request<UploadPartCopyInput>) -> S3Result<()> {
        let i = &req.input;
        self.copy(req, "UploadPartCopy", &i.bucket, &i.key, &i.copy_source)
    }

    async fn complete_multipart_upload(
        &self,
        req: &mut S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<()> {
        let i = &req.input;
        self.object(req, "CompleteMultipartUpload", &i.bucket, &i.key)
    }

    async fn abort_multipart_upload(
        &self,
        req: &mut S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<()> {
        let i = &req.input;
        self.object(req, "AbortMultipartUpload", &i.bucket, &i.key)
    }

    async fn list_parts(&self, req: &mut S3Request<ListPartsInput>) -> S3Result<()> {
        self.object(req, "ListParts", &req.input.bucket, &req.input.key)
    }
}

// ---------------------------------------------------------------------------------
// Layer 4: storage

struct CubbyS3 {
    fs: s3s_fs::FileSystem,
    state: Arc<State>,
    /// The s3s-fs root (buckets are folders in it; upload parts and records are files).
    root: std::path::PathBuf,
}

/// Our record of an open multipart upload (s3s-fs does not bind uploads to keys).
#[derive(serde::Serialize, serde::Deserialize)]
struct UploadRecord {
    key: String,
    identity_id: String,
    /// `x-amz-checksum-algorithm` of CreateMultipartUpload (records written before it
    /// was kept read as none).
    #[serde(default)]
    checksum_algorithm: Option<String>,
}

impl UploadRecord {
    /// S3 keeps, echoes and lists each part's CRC32 only for uploads created with it.
    fn has_crc32_parts(&self) -> bool {
        self.checksum_algorithm
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case(ChecksumAlgorithm::CRC32))
    }
}

fn record_path(root: &std::path::Path, upload_id: &str) -> Option<std::path::PathBuf> {
    let ok = !upload_id.is_empty()
        && upload_id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'-');
    ok.then(|| root.join(format!(".cubby-upload-{upload_id}.json")))
}

/// Rebuilds the list of open uploads from the records on disk (after a restart).
fn load_uploads(state: &State, root: &std::path::Path) {
    let Ok(dir) = std::fs::read_dir(root) else {
        return;
    };
    let mut uploads = vec![];
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(id) = name
            .strip_prefix(".cubby-upload-")
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        let Ok(text) = std::fs::read(entry.path()) else {
            continue;
        };
        if let Ok(r) = serde_json::from_slice::<UploadRecord>(&text) {
            uploads.push(UploadInfo {
                upload_id: id.to_string(),
                key: r.key,
                identity_id: r.identity_id,
            });
        }
    }
    state.lock().stats.multipart_uploads = uploads;
}

fn no_such_upload() -> s3s::S3Error {
    s3_error!(NoSuchUpload)
}

/// The part files of an upload: (part number, path, size).
async fn part_files(
    root: &std::path::Path,
    upload_id: &str,
) -> S3Result<Vec<(i32, std::path::PathBuf, u64)>> {
    let prefix = format!(".upload_id-{upload_id}.part-");
    let mut out = vec![];
    let mut dir = tokio::fs::read_dir(root)
        .await
        .map_err(|_| s3_error!(InternalError))?;
    while let Ok(Some(entry)) = dir.next_entry().await {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(n) = name
            .strip_prefix(&prefix)
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let size = entry.metadata().await.map(|m| m.len()).unwrap_or(0);
        out.push((n, entry.path(), size));
    }
    out.sort_by_key(|p| p.0);
    Ok(out)
}

/// Where s3s-fs (pinned) keeps part `part_number` of an upload.
fn part_path(root: &std::path::Path, upload_id: &str, part_number: i32) -> std::path::PathBuf {
    root.join(format!(".upload_id-{upload_id}.part-{part_number}"))
}

async fn read_stored(path: &std::path::Path) -> S3Result<Vec<u8>> {
    tokio::fs::read(path)
        .await
        .map_err(|_| s3_error!(InternalError))
}

/// The big-endian CRC32 of a file's bytes.
async fn crc32_of(path: &std::path::Path) -> S3Result<[u8; 4]> {
    Ok(crc32fast::hash(&read_stored(path).await?).to_be_bytes())
}

/// A CRC32 as S3 writes it in headers and XML: base64 of the big-endian bytes.
fn crc32_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(bytes).to_be_bytes())
}

/// S3's composite checksum of a multipart object uploaded with CRC32 parts: the
/// CRC32 of the parts' raw CRC32s in order, base64, then `-<parts>`.
fn composite_crc32(part_crcs: &[[u8; 4]]) -> String {
    let raw: Vec<u8> = part_crcs.iter().flatten().copied().collect();
    let crc = crc32fast::hash(&raw).to_be_bytes();
    format!(
        "{}-{}",
        base64::engine::general_purpose::STANDARD.encode(crc),
        part_crcs.len()
    )
}

/// Where s3s-fs (pinned) keeps an object's ETag and checksums, which its HEAD and
/// GET answer with.
fn internal_info_path(root: &std::path::Path, bucket: &str, key: &str) -> std::path::PathBuf {
    let encode = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    root.join(format!(
        ".bucket-{}.object-{}.internal.json",
        encode(bucket),
        encode(key)
    ))
}

/// Records `crc32` (if any) as the object's only checksum, dropping whatever an
/// earlier object under the key left there (s3s-fs keeps it across a multipart
/// completion).
async fn store_crc32(path: &std::path::Path, crc32: Option<String>) -> S3Result<()> {
    let mut info: serde_json::Map<String, serde_json::Value> = match tokio::fs::read(path).await {
        Ok(text) => serde_json::from_slice(&text).map_err(|_| s3_error!(InternalError))?,
        Err(_) => serde_json::Map::new(),
    };
    for stale in [
        "checksum_crc32",
        "checksum_crc32c",
        "checksum_sha1",
        "checksum_sha256",
        "checksum_crc64nvme",
    ] {
        info.remove(stale);
    }
    if let Some(crc32) = crc32 {
        info.insert("checksum_crc32".into(), crc32.into());
    }
    let text = serde_json::to_vec(&info).map_err(|_| s3_error!(InternalError))?;
    tokio::fs::write(path, text)
        .await
        .map_err(|_| s3_error!(InternalError))
}

fn md5_hex_of(bytes: &[u8]) -> String {
    use md5::Digest as _;
    hex(&md5::Md5::digest(bytes))
}

async fn md5_hex(path: &std::path::Path) -> S3Result<String> {
    Ok(md5_hex_of(&read_stored(path).await?))
}

impl CubbyS3 {
    /// s3s-fs binds multipart uploads to the access key; temporary keys change every
    /// refresh while AWS binds uploads to the account, so hand it the identity instead.
    fn stable<T>(&self, mut req: S3Request<T>) -> S3Request<T> {
        if let Some(id) = req
            .credentials
            .as_ref()
            .and_then(|c| identity_for(&self.state, &c.access_key))
        {
            req.credentials = Some(Credentials {
                access_key: id,
                secret_key: SecretKey::from("unused"),
            });
        }
        req
    }

    fn identity<T>(&self, req: &S3Request<T>) -> Option<String> {
        req.credentials
            .as_ref()
            .and_then(|c| identity_for(&self.state, &c.access_key))
    }

    /// The upload must exist, be this identity's and be for this key: its record.
    async fn check_upload<T>(
        &self,
        req: &S3Request<T>,
        upload_id: &str,
        key: &str,
    ) -> S3Result<UploadRecord> {
        let path = record_path(&self.root, upload_id).ok_or_else(no_such_upload)?;
        let text = tokio::fs::read(&path).await.map_err(|_| no_such_upload())?;
        let record: UploadRecord = serde_json::from_slice(&text).map_err(|_| no_such_upload())?;
        if record.key != key || Some(&record.identity_id) != self.identity(req).as_ref() {
            return Err(no_such_upload());
        }
        Ok(record)
    }

    async fn forget_upload(&self, upload_id: &str) {
        if let Some(path) = record_path(&self.root, upload_id) {
            let _ = tokio::fs::remove_file(path).await;
        }
        self.state
            .lock()
            .stats
            .multipart_uploads
            .retain(|u| u.upload_id != upload_id);
    }
}

/// A missing key reads as AccessDenied: the policy's ListBucket is prefix-conditioned,
/// so S3 does not reveal whether a key exists.
fn hide_missing<T>(r: S3Result<T>) -> S3Result<T> {
    r.map_err(|e| {
        if *e.code() == s3s::S3ErrorCode::NoSuchKey {
            access_denied()
        } else {
            e
        }
    })
}

/// s3s-fs maps keys to files, so a "folder" marker key (`photos/`) would be a
/// directory that lists as nothing. It is stored as this file inside the folder and
/// mapped back in every answer. `\u{1}` sorts before any real key in the folder,
/// which keeps listings in S3's order.
const MARKER: &str = "\u{1}cubby-folder-marker";

fn fs_key(key: &str) -> String {
    if key.ends_with('/') {
        format!("{key}{MARKER}")
    } else {
        key.to_string()
    }
}

fn s3_key(key: &str) -> String {
    match key.strip_suffix(MARKER) {
        Some(folder) if folder.ends_with('/') => folder.to_string(),
        _ => key.to_string(),
    }
}

fn fs_source(source: &CopySource) -> CopySource {
    match source {
        CopySource::Bucket {
            bucket,
            key,
            version_id,
        } => CopySource::Bucket {
            bucket: bucket.clone(),
            key: fs_key(key).into(),
            version_id: version_id.clone(),
        },
        other => other.clone(),
    }
}

const URL_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

fn url_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, URL_ENCODE).to_string()
}

#[async_trait::async_trait]
impl S3 for CubbyS3 {
    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let mut req = self.stable(req);
        let original_token = req.input.continuation_token.clone();
        if let Some(token) = &original_token {
            let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(token)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    s3_error!(
                        InvalidArgument,
                        "The continuation token provided is incorrect"
                    )
                })?;
            req.input.continuation_token = Some(decoded);
        }
        let url = req
            .input
            .encoding_type
            .as_ref()
            .is_some_and(|e| e.as_str() == EncodingType::URL);
        let mut resp = self.fs.list_objects_v2(req).await?;
        let out = &mut resp.output;
        for o in out.contents.iter_mut().flatten() {
            o.key = o.key.as_deref().map(s3_key);
        }
        out.continuation_token = original_token;
        out.next_continuation_token = out
            .next_continuation_token
            .take()
            .map(|t| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(t));
        if url {
            for o in out.contents.iter_mut().flatten() {
                o.key = o.key.as_deref().map(url_encode);
            }
            for p in out.common_prefixes.iter_mut().flatten() {
                p.prefix = p.prefix.as_deref().map(url_encode);
            }
            out.prefix = out.prefix.as_deref().map(url_encode);
            out.delimiter = out.delimiter.as_deref().map(url_encode);
            out.start_after = out.start_after.as_deref().map(url_encode);
        }
        Ok(resp)
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let mut resp = self.fs.list_objects(self.stable(req)).await?;
        for o in resp.output.contents.iter_mut().flatten() {
            o.key = o.key.as_deref().map(s3_key);
        }
        Ok(resp)
    }

    async fn get_object(
        &self,
        mut req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        req.input.key = fs_key(&req.input.key);
        hide_missing(self.fs.get_object(self.stable(req)).await)
    }

    async fn head_object(
        &self,
        mut req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        req.input.key = fs_key(&req.input.key);
        // Like S3, stored checksums only with `x-amz-checksum-mode: ENABLED`.
        let checksum_mode = req
            .headers
            .get("x-amz-checksum-mode")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"ENABLED"));
        let mut resp = hide_missing(self.fs.head_object(self.stable(req)).await)?;
        if !checksum_mode {
            let out = &mut resp.output;
            out.checksum_crc32 = None;
            out.checksum_crc32c = None;
            out.checksum_sha1 = None;
            out.checksum_sha256 = None;
            out.checksum_crc64nvme = None;
        }
        Ok(resp)
    }

    async fn put_object(
        &self,
        mut req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        req.input.key = fs_key(&req.input.key);
        self.fs.put_object(self.stable(req)).await
    }

    async fn copy_object(
        &self,
        mut req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        req.input.key = fs_key(&req.input.key);
        req.input.copy_source = fs_source(&req.input.copy_source);
        if req.input.copy_source_if_none_match.is_none() {
            // If-None-Match: * on the target (conditional copy).
            if let Some(cond) = req.headers.get("if-none-match") {
                if cond.as_bytes() == b"*" {
                    let head = HeadObjectInput::builder()
                        .bucket(req.input.bucket.clone())
                        .key(req.input.key.clone())
                        .build()
                        .map_err(|_| s3_error!(InternalError))?;
                    let head_req = S3Request {
                        input: head,
                        method: Method::HEAD,
                        uri: req.uri.clone(),
                        headers: HeaderMap::new(),
                        extensions: http::Extensions::new(),
                        credentials: None,
                        region: None,
                        service: None,
                        trailing_headers: None,
                    };
                    if self.fs.head_object(head_req).await.is_ok() {
                        return Err(s3_error!(PreconditionFailed));
                    }
                }
            }
        }
        hide_missing(self.fs.copy_object(self.stable(req)).await)
    }

    async fn delete_object(
        &self,
        mut req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        req.input.key = fs_key(&req.input.key);
        self.fs.delete_object(self.stable(req)).await
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let identity = self.identity(&req).ok_or_else(access_denied)?;
        let quiet = req.input.delete.quiet.unwrap_or(false);
        let mut req = self.stable(req);
        let objects = std::mem::take(&mut req.input.delete.objects);
        let (allowed, denied): (Vec<_>, Vec<_>) = objects.into_iter().partition(|o| {
            let resources = Resources {
                key: Some(&o.key),
                ..Resources::default()
            };
            ACCESS_RULE.authorize(&identity, "DeleteObjects", &resources)
        });
        let mut output = if allowed.is_empty() {
            DeleteObjectsOutput::default()
        } else {
            req.input.delete.objects = allowed
                .into_iter()
                .map(|o| ObjectIdentifier {
                    key: fs_key(&o.key),
                    ..o
                })
                .collect();
            self.fs.delete_objects(req).await?.output
        };
        for d in output.deleted.iter_mut().flatten() {
            d.key = d.key.as_deref().map(s3_key);
        }
        let mut errors = output.errors.take().unwrap_or_default();
        for o in denied {
            errors.push(s3s::dto::Error {
                code: Some("AccessDenied".into()),
                key: Some(o.key),
                message: Some("Access Denied".into()),
                version_id: o.version_id,
            });
        }
        output.errors = (!errors.is_empty()).then_some(errors);
        if quiet {
            output.deleted = None;
        }
        Ok(S3Response::new(output))
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let identity = self.identity(&req).unwrap_or_default();
        let key = req.input.key.clone();
        let checksum_algorithm = req.input.checksum_algorithm.clone();
        let mut req = req;
        req.input.key = fs_key(&key);
        let mut resp = self.fs.create_multipart_upload(self.stable(req)).await?;
        resp.output.key = Some(key.clone());
        resp.output.checksum_algorithm = checksum_algorithm.clone();
        if let Some(upload_id) = &resp.output.upload_id {
            let record = UploadRecord {
                key: key.clone(),
                identity_id: identity.clone(),
                checksum_algorithm: checksum_algorithm.map(|a| a.as_str().to_string()),
            };
            if let Some(path) = record_path(&self.root, upload_id) {
                let json = serde_json::to_vec(&record).unwrap_or_default();
                tokio::fs::write(path, json)
                    .await
                    .map_err(|_| s3_error!(InternalError))?;
            }
            self.state.lock().stats.multipart_uploads.push(UploadInfo {
                upload_id: upload_id.clone(),
                key,
                identity_id: identity,
            });
        }
        Ok(resp)
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let record = self
            .check_upload(&req, &req.input.upload_id, &req.input.key)
            .await?;
        if !(1..=10_000).contains(&req.input.part_number) {
            return Err(s3_error!(
                InvalidArgument,
                "Part number must be an integer between 1 and 10000, inclusive"
            ));
        }
        let stored = part_path(&self.root, &req.input.upload_id, req.input.part_number);
        let mut resp = self.fs.upload_part(self.stable(req)).await?;
        // Any `x-amz-checksum-crc32` sent was checked against the body in
        // `check_digests`; the stored part is what S3 would report it of.
        if record.has_crc32_parts() {
            resp.output.checksum_crc32 = Some(crc32_base64(&read_stored(&stored).await?));
        }
        Ok(resp)
    }

    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        self.check_upload(&req, &req.input.upload_id, &req.input.key)
            .await?;
        hide_missing(self.fs.upload_part_copy(self.stable(req)).await)
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let input = &req.input;
        let record = self
            .check_upload(&req, &input.upload_id, &input.key)
            .await?;
        let crc32_parts = record.has_crc32_parts();
        let max_parts = input.max_parts.unwrap_or(1000).clamp(0, 1000);
        let marker = input.part_number_marker.unwrap_or(0);
        let files = part_files(&self.root, &input.upload_id).await?;
        let after: Vec<_> = files.into_iter().filter(|p| p.0 > marker).collect();
        let is_truncated = after.len() > max_parts as usize;
        let mut parts = vec![];
        for (n, path, size) in after.into_iter().take(max_parts as usize) {
            let modified = tokio::fs::metadata(&path)
                .await
                .and_then(|m| m.modified())
                .map_err(|_| s3_error!(InternalError))?;
            let bytes = read_stored(&path).await?;
            parts.push(Part {
                part_number: Some(n),
                e_tag: Some(ETag::Strong(md5_hex_of(&bytes))),
                size: Some(size as i64),
                last_modified: Some(Timestamp::from(modified)),
                checksum_crc32: crc32_parts.then(|| crc32_base64(&bytes)),
                ..Default::default()
            });
        }
        let next_marker = parts.last().and_then(|p| p.part_number);
        let output = ListPartsOutput {
            bucket: Some(input.bucket.clone()),
            key: Some(input.key.clone()),
            upload_id: Some(input.upload_id.clone()),
            max_parts: Some(max_parts),
            part_number_marker: input.part_number_marker,
            next_part_number_marker: if is_truncated { next_marker } else { None },
            is_truncated: Some(is_truncated),
            storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
            checksum_algorithm: record.checksum_algorithm.map(ChecksumAlgorithm::from),
            parts: (!parts.is_empty()).then_some(parts),
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    async fn complete_multipart_upload(
        &self,
        mut req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let upload_id = req.input.upload_id.clone();
        let record = self.check_upload(&req, &upload_id, &req.input.key).await?;
        // Validate everything before s3s-fs, which drops the upload before checking.
        let requested = req
            .input
            .multipart_upload
            .as_ref()
            .and_then(|m| m.parts.clone())
            .unwrap_or_default();
        if requested.is_empty() {
            return Err(s3_error!(MalformedXML));
        }
        let files = part_files(&self.root, &upload_id).await?;
        let mut previous = 0;
        for (i, part) in requested.iter().enumerate() {
            let n = part.part_number.unwrap_or(0);
            if n <= previous {
                return Err(s3_error!(InvalidPartOrder));
            }
            previous = n;
            let Some((_, path, size)) = files.iter().find(|f| f.0 == n) else {
                return Err(s3_error!(InvalidPart));
            };
            let given = part
                .e_tag
                .as_ref()
                .map(|e| e.value().trim_matches('"').to_string());
            if given.as_deref() != Some(md5_hex(path).await?.as_str()) {
                return Err(s3_error!(InvalidPart));
            }
            if i + 1 < requested.len() && *size < 5 * 1024 * 1024 {
                return Err(s3_error!(EntityTooSmall));
            }
        }
        // s3s-fs wants parts numbered 1..=n: move the chosen parts there, drop the rest.
        let stash = |n: i32| self.root.join(format!(".cubby-stash-{upload_id}.part-{n}"));
        for part in &requested {
            let n = part.part_number.unwrap_or(0);
            let from = part_path(&self.root, &upload_id, n);
            tokio::fs::rename(&from, stash(n))
                .await
                .map_err(|_| s3_error!(InternalError))?;
        }
        for (_, path, _) in part_files(&self.root, &upload_id).await? {
            let _ = tokio::fs::remove_file(path).await;
        }
        let mut renumbered = vec![];
        let mut part_crcs = vec![];
        for (i, part) in requested.into_iter().enumerate() {
            let n = part.part_number.unwrap_or(0);
            let to = part_path(&self.root, &upload_id, i as i32 + 1);
            tokio::fs::rename(stash(n), &to)
                .await
                .map_err(|_| s3_error!(InternalError))?;
            part_crcs.push(crc32_of(&to).await?);
            renumbered.push(CompletedPart {
                part_number: Some(i as i32 + 1),
                ..part
            });
        }
        if let Some(m) = req.input.multipart_upload.as_mut() {
            m.parts = Some(renumbered);
        }
        req.input.key = fs_key(&req.input.key);
        let info_path = internal_info_path(&self.root, &req.input.bucket, &req.input.key);
        let resp = self.fs.complete_multipart_upload(self.stable(req)).await?;
        // Only an upload created with CRC32 has a (composite) checksum on S3.
        let composite = record
            .has_crc32_parts()
            .then(|| composite_crc32(&part_crcs));
        store_crc32(&info_path, composite).await?;
        self.forget_upload(&upload_id).await;
        Ok(resp)
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let upload_id = req.input.upload_id.clone();
        self.check_upload(&req, &upload_id, &req.input.key).await?;
        let resp = self.fs.abort_multipart_upload(self.stable(req)).await?;
        self.forget_upload(&upload_id).await;
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composite_crc32_is_the_crc32_of_the_part_crc32s() {
        // Computed independently: python3 zlib.crc32 over the parts "hello ",
        // "world", "Welcome to Amazon S3." and then over their packed big-endian CRCs.
        let parts: Vec<[u8; 4]> = [&b"hello "[..], b"world", b"Welcome to Amazon S3."]
            .iter()
            .map(|p| crc32fast::hash(p).to_be_bytes())
            .collect();
        assert_eq!(composite_crc32(&parts), "OFYcLQ==-3");
    }
}
