//! SigV4-signed S3 requests, made with the `aws-sigv4` crate: an implementation
//! independent of the emulator's verifier (`s3s`).

use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
    SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use std::time::{Duration, SystemTime};

#[derive(Clone)]
pub struct Creds {
    pub akid: String,
    pub secret: String,
    pub token: String,
}

pub struct S3Req<'a> {
    pub method: &'a str,
    pub url: String,
    pub headers: Vec<(&'a str, String)>,
    pub body: Vec<u8>,
}

pub fn s3req(method: &str, url: String) -> S3Req<'_> {
    S3Req {
        method,
        url,
        headers: vec![],
        body: vec![],
    }
}

/// A SigV4-signed request (header auth, or a presigned URL when `presign` is set).
pub fn signed(
    creds: &Creds,
    req: &S3Req<'_>,
    time: SystemTime,
    presign: Option<Duration>,
) -> http::Request<Vec<u8>> {
    let mut builder = http::Request::builder().method(req.method).uri(&req.url);
    for (k, v) in &req.headers {
        builder = builder.header(*k, v);
    }
    let mut request = builder.body(req.body.clone()).unwrap();
    let host = request.uri().authority().unwrap().to_string();
    request
        .headers_mut()
        .insert("host", http::HeaderValue::from_str(&host).unwrap());
    let identity = aws_credential_types::Credentials::new(
        &creds.akid,
        &creds.secret,
        Some(creds.token.clone()),
        None,
        "test",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    if let Some(expires) = presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
    } else {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_string()))
        .collect();
    let body = if presign.is_some() {
        SignableBody::UnsignedPayload
    } else {
        SignableBody::Bytes(&req.body)
    };
    let signable = SignableRequest::new(
        req.method,
        req.url.clone(),
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        body,
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(&mut request);
    request
}
