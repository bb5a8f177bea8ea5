//! Presigned GET URLs (query-string SigV4), for downloads and share links.

use std::time::{Duration, UNIX_EPOCH};

use aws_sigv4::http_request::SignatureLocation;
use http::{Method, Request};

use super::signing::{s3_settings, sign_request};
use super::{
    content_type_for, is_inline_safe, with_query, PayloadSigning, RequestContext, S3Error,
};
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

/// How the object a presigned URL serves is to be treated by the browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Serve<'a> {
    /// Opened (a preview, a share link): shown in the browser only when the type of
    /// the key's name ([`super::content_type_for`]) is on the safe inline list
    /// ([`super::is_inline_safe`]), else saved like [`Serve::Download`] under the
    /// key's name. The type is forced (`response-content-type`), whatever is stored.
    Open,
    /// Saved under this file name (`attachment`), typed by that name.
    Download(&'a str),
    /// As stored: no `response-*` overrides. Only for objects whose stored type and
    /// disposition are trusted (never the app's: anyone can upload anything).
    AsStored,
}

/// A URL that GETs `key` without further credentials. It lives `requested_seconds`,
/// cut to the credentials' remaining life at `ctx.time` (a URL signed with
/// temporary credentials dies with them) and to 7 days. `serve` says what the
/// response's `Content-Type` and `Content-Disposition` are (S3 overrides the stored
/// ones with the `response-content-type` and `response-content-disposition` query
/// parameters, which are signed): `inline` or `attachment`, with
/// `filename*=UTF-8''<name>` (RFC 6266, RFC 8187).
///
/// The URL is `GET <object URL>?[response-content-disposition=...&response-content-type=...&]
/// X-Amz-Algorithm&X-Amz-Credential&X-Amz-Date&X-Amz-Expires&X-Amz-SignedHeaders
/// [&X-Amz-Security-Token]&X-Amz-Signature`, payload `UNSIGNED-PAYLOAD`; `key` is the
/// object key as stored, `requested_seconds` a lifetime in seconds. Amazon S3 API
/// Reference: GetObject (response header overrides); Authenticating Requests: Using
/// Query Parameters (AWS Signature Version 4).
///
/// # Errors
/// Invalid input when `ctx.time` is before 1970, the lifetime comes to zero (or the
/// credentials have expired), or the URL cannot be built; a signing error when
/// aws-sigv4 refuses to sign.
pub fn presign_get(
    ctx: &RequestContext<'_>,
    key: &str,
    requested_seconds: u64,
    serve: Serve<'_>,
) -> Result<PresignedUrl, S3Error> {
    presign_get_version(ctx, key, None, requested_seconds, serve)
}

/// [`presign_get`] of one version of `key`: the URL's query also carries
/// `versionId=<id>` (signed) when `version_id` is given, so it serves that
/// version's bytes (which needs `s3:GetObjectVersion`). Amazon S3 API Reference:
/// GetObject.
///
/// # Errors
/// As [`presign_get`].
pub fn presign_get_version(
    ctx: &RequestContext<'_>,
    key: &str,
    version_id: Option<&str>,
    requested_seconds: u64,
    serve: Serve<'_>,
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

    let overrides = match serve {
        Serve::AsStored => None,
        Serve::Download(name) => Some(("attachment", name)),
        Serve::Open => {
            let name = key.rsplit('/').next().unwrap_or(key);
            let shown = is_inline_safe(content_type_for(name));
            Some((if shown { "inline" } else { "attachment" }, name))
        }
    };
    let overrides = overrides.map(|(disposition, name)| {
        (
            format!(
                "{disposition}; filename*=UTF-8''{}",
                uri_encode(name, false)
            ),
            content_type_for(name),
        )
    });
    let mut query: Vec<(&str, Option<&str>)> = match &overrides {
        Some((disposition, content_type)) => vec![
            ("response-content-disposition", Some(disposition.as_str())),
            ("response-content-type", Some(content_type)),
        ],
        None => Vec::new(),
    };
    if let Some(version_id) = version_id {
        query.push(("versionId", Some(version_id)));
    }
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
