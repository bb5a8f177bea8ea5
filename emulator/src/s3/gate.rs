//! The signature and credentials gate: the checks S3 makes before it verifies a
//! SigV4 signature (credential scope, clock skew, presigned expiry, region and
//! service, access key, session token, `x-amz-content-sha256` present), and the
//! secret keys `s3s` verifies signatures with.
//!
//! AWS: <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html>
//! and <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>.

use super::errors::{aws_message, error_response};
use super::ReqInfo;
use crate::http_util::{header_value, iso8601, Resp};
use crate::state::State;
use http::{HeaderMap, StatusCode};
use s3s::auth::{S3Auth, SecretKey};
use s3s::{s3_error, S3Result};
use std::collections::HashMap;
use std::sync::Arc;

/// Requests more than this far from the server clock are refused.
const MAX_SKEW_SECONDS: u64 = 15 * 60;

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

/// Refuses a signed request (header or presigned) S3 would refuse before checking
/// its signature; unsigned requests pass (s3s and the policy refuse them).
///
/// # Errors
///
/// The S3 error response to send, with AWS's code and message.
pub(super) fn check(
    state: &State,
    info: &ReqInfo,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<(), Resp> {
    let now = state.now();
    let authorization = header_value(headers, "authorization");
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
    // Unsigned requests are s3s's and the policy's to refuse.
    let Some(scope_text) = scope_text else {
        return Ok(());
    };
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
        header_value(headers, "x-amz-date")
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
        header_value(headers, "x-amz-security-token")
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
    if !presigned && header_value(headers, "x-amz-content-sha256").is_none() {
        return Err(error_response(
            info,
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "Missing required header for this request: x-amz-content-sha256",
            &[],
        ));
    }
    Ok(())
}
/// The secret key of each issued access key, for s3s's SigV4 verification.
pub(super) struct CredentialStore {
    pub(super) state: Arc<State>,
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
