//! Presigned GET URLs (query-string SigV4), for downloads and share links.

use std::time::{Duration, UNIX_EPOCH};

use aws_sigv4::http_request::SignatureLocation;
use http::{Method, Request};

use super::signing::{s3_settings, sign_request};
use super::{with_query, PayloadSigning, RequestContext, S3Error};
use crate::encoding::uri_encode;

/// SigV4 presigned URLs live at most 7 days.
pub const MAX_PRESIGN_SECONDS: u64 = 604_800;

/// A presigned GET URL and how long it lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresignedUrl {
    /// The object URL with the `X-Amz-*` signature in its query.
    pub url: String,
    /// `X-Amz-Expires` as signed.
    pub expires_in_seconds: u64,
    /// When the URL stops working, epoch seconds (signing time + expires).
    pub expires_at: u64,
}

/// A URL that GETs `key` without further credentials. It lives `requested_seconds`,
/// cut to the credentials' remaining life at `ctx.time` (a URL signed with
/// temporary credentials dies with them) and to 7 days. With `download_filename`,
/// the response carries `Content-Disposition: attachment; filename*=UTF-8''...` so
/// the browser saves instead of showing it.
///
/// The URL is `GET <object URL>?[response-content-disposition=...&]X-Amz-Algorithm
/// &X-Amz-Credential&X-Amz-Date&X-Amz-Expires&X-Amz-SignedHeaders
/// [&X-Amz-Security-Token]&X-Amz-Signature`, payload `UNSIGNED-PAYLOAD`; `key` is the
/// object key as stored, `requested_seconds` a lifetime in seconds. Amazon S3 API
/// Reference: Authenticating Requests: Using Query Parameters (AWS Signature
/// Version 4).
///
/// # Errors
/// Invalid input when `ctx.time` is before 1970, the lifetime comes to zero (or the
/// credentials have expired), or the URL cannot be built; a signing error when
/// aws-sigv4 refuses to sign.
pub fn presign_get(
    ctx: &RequestContext<'_>,
    key: &str,
    requested_seconds: u64,
    download_filename: Option<&str>,
) -> Result<PresignedUrl, S3Error> {
    let now = ctx
        .time
        .duration_since(UNIX_EPOCH)
        .map_err(|_| S3Error::invalid_input("signing time is before 1970"))?
        .as_secs();
    let mut expires = requested_seconds.min(MAX_PRESIGN_SECONDS);
    if let Some(left) = ctx.credentials.seconds_left(now) {
        expires = expires.min(left);
    }
    if expires == 0 {
        return Err(S3Error::invalid_input(
            "presigned URL would be dead on arrival (zero lifetime or expired credentials)",
        ));
    }

    let disposition = download_filename
        .map(|name| format!("attachment; filename*=UTF-8''{}", uri_encode(name, false)));
    let query: Vec<(&str, Option<&str>)> = disposition
        .as_deref()
        .map(|d| ("response-content-disposition", Some(d)))
        .into_iter()
        .collect();
    let url = with_query(ctx.bucket.object_url(key), &query);
    let mut request = Request::builder()
        .method(Method::GET)
        .uri(url)
        .body(Vec::new())
        .map_err(|_| S3Error::invalid_input("request URL is not valid"))?;
    sign_request(
        &mut request,
        ctx.credentials,
        ctx.bucket.region(),
        "s3",
        ctx.time,
        s3_settings(
            SignatureLocation::QueryParams,
            Some(Duration::from_secs(expires)),
        ),
        PayloadSigning::Unsigned,
    )?;
    Ok(PresignedUrl {
        url: request.uri().to_string(),
        expires_in_seconds: expires,
        expires_at: now + expires,
    })
}
