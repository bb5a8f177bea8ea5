//! SigV4 through the `aws-sigv4` crate, with S3's settings: the path is used as
//! written (encoded once, by [`super::encode_key`], never normalised), the payload
//! hash goes in `x-amz-content-sha256`, and the session token is signed.

use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SessionTokenMode, SignableBody,
    SignableRequest, SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use http::header::{HeaderName, HeaderValue};
use http::Request;

use super::S3Error;
use crate::credentials::Credentials;
use crate::encoding::uri_encode;

/// How the body is covered by the signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadSigning {
    /// `x-amz-content-sha256` is the SHA-256 of the body.
    Sha256,
    /// `UNSIGNED-PAYLOAD`: saves hashing a large body twice; integrity then rests on
    /// TLS and the CRC32 checksum header.
    Unsigned,
}

/// The device clock corrected by the offset the retry classifier reported
/// (`CorrectClockThenRetry`), as the time to sign with.
pub fn signing_time(device_time: SystemTime, offset_seconds: i64) -> SystemTime {
    let delta = Duration::from_secs(offset_seconds.unsigned_abs());
    let corrected = if offset_seconds >= 0 {
        device_time.checked_add(delta)
    } else {
        device_time.checked_sub(delta)
    };
    corrected.unwrap_or(device_time)
}

/// S3's signing settings, for headers (`expires_in: None`) or a presigned URL.
pub fn s3_settings(location: SignatureLocation, expires_in: Option<Duration>) -> SigningSettings {
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    settings.session_token_mode = SessionTokenMode::Include;
    settings.signature_location = location;
    settings.expires_in = expires_in;
    settings
}

/// Signs `request` in place with S3's header settings: adds `x-amz-date`,
/// `x-amz-content-sha256`, `x-amz-security-token` (with a session token) and
/// `authorization`. `region` is e.g. `us-east-1`, `time` the signing time (see
/// [`signing_time`]). Returns the signature (hex). Amazon S3 API Reference:
/// Authenticating Requests (AWS Signature Version 4).
///
/// # Errors
/// As [`sign_request`].
pub fn sign_s3_request(
    request: &mut Request<Vec<u8>>,
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
    payload: PayloadSigning,
) -> Result<String, S3Error> {
    sign_request(
        request,
        credentials,
        region,
        "s3",
        time,
        s3_settings(SignatureLocation::Headers, None),
        payload,
    )
}

/// Signs `request` in place with any settings: adds the headers (header signing)
/// or appends the query parameters, sorted, with `X-Amz-Signature` last (query
/// signing). The request URI must already be encoded the way it goes on the wire.
/// Returns the signature (hex). `service` is the signing name, e.g. `s3`.
/// IAM User Guide: Signature Version 4 signing process.
///
/// # Errors
/// Invalid input for a request header value that is not visible ASCII; a signing
/// error when aws-sigv4 refuses the request or returns a header or URL that is not
/// valid.
pub fn sign_request(
    request: &mut Request<Vec<u8>>,
    credentials: &Credentials,
    region: &str,
    service: &str,
    time: SystemTime,
    settings: SigningSettings,
    payload: PayloadSigning,
) -> Result<String, S3Error> {
    let location = settings.signature_location;
    let uri = request.uri().to_string();
    let mut headers = Vec::with_capacity(request.headers().len());
    for (name, value) in request.headers() {
        let value = value
            .to_str()
            .map_err(|_| S3Error::invalid_input("header value is not visible ASCII"))?;
        headers.push((name.as_str(), value));
    }
    let body = match payload {
        PayloadSigning::Sha256 => SignableBody::Bytes(request.body()),
        PayloadSigning::Unsigned => SignableBody::UnsignedPayload,
    };
    let signable = SignableRequest::new(
        request.method().as_str(),
        uri.as_str(),
        headers.into_iter(),
        body,
    )
    .map_err(|e| S3Error::signing(e.to_string()))?;

    // aws-sigv4 reads credentials from a smithy `Identity`; the expiry is not used
    // for signing, so it is left out.
    let identity = aws_credential_types::Credentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.expose().to_string(),
        credentials
            .session_token
            .as_ref()
            .map(|t| t.expose().to_string()),
        None,
        "cubby",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| S3Error::signing(e.to_string()))?
        .into();
    let output = sign(signable, &params).map_err(|e| S3Error::signing(e.to_string()))?;
    let (instructions, signature) = output.into_parts();
    let (new_headers, mut new_params) = instructions.into_parts();

    for header in new_headers {
        let name = HeaderName::from_static(header.name());
        let mut value = HeaderValue::from_str(header.value())
            .map_err(|_| S3Error::signing("signed header is not a valid value".into()))?;
        value.set_sensitive(header.sensitive() || name == "authorization");
        request.headers_mut().insert(name, value);
    }

    if location == SignatureLocation::QueryParams && !new_params.is_empty() {
        // Sorted like the canonical query, with the signature last: stable URLs
        // that match the documented examples byte for byte.
        new_params
            .sort_by(|a, b| (a.0 == "X-Amz-Signature", a.0).cmp(&(b.0 == "X-Amz-Signature", b.0)));
        let query = new_params
            .iter()
            .map(|(name, value)| {
                format!("{}={}", uri_encode(name, false), uri_encode(value, false))
            })
            .collect::<Vec<_>>()
            .join("&");
        let separator = if uri.contains('?') { '&' } else { '?' };
        *request.uri_mut() = format!("{uri}{separator}{query}")
            .parse()
            .map_err(|_| S3Error::signing("signed URL is not valid".into()))?;
    }
    Ok(signature)
}
