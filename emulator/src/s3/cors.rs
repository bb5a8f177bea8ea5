//! S3 CORS: preflights and the headers of actual responses, from the bucket's CORS
//! rules (first matching rule wins).
//!
//! AWS: <https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html>.

use super::errors::error_response;
use super::ReqInfo;
use crate::config::CorsRule;
use crate::http_util::{self, header_value, Resp};
use crate::state::State;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, StatusCode};

/// The CORS rule matching an origin, method and requested headers (first match wins).
pub(super) fn match_cors<'a>(
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

pub(super) fn add_cors(resp: &mut Resp, rule: &CorsRule, origin: &str) {
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

pub(super) fn preflight(state: &State, info: &ReqInfo, headers: &HeaderMap) -> Resp {
    let method = header_value(headers, "access-control-request-method");
    let (Some(origin), Some(method)) = (info.origin.as_deref(), method) else {
        return error_response(
            info,
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Insufficient information. Origin request header needed.",
            &[],
        );
    };
    let requested: Vec<String> = header_value(headers, "access-control-request-headers")
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
