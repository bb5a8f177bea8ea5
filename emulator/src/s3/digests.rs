//! Digests: the request checks S3 makes against the body (`x-amz-content-sha256`,
//! `Content-MD5`, `x-amz-checksum-*`) and the forms S3 writes them in (hex MD5 for
//! ETags, base64 CRC32 for checksums).
//!
//! AWS: <https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>.

use super::errors::error_response;
use super::ReqInfo;
use crate::http_util::{header_value, Resp};
use base64::Engine as _;
use http::{HeaderMap, StatusCode};

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// MD5 in lowercase hex, as S3 writes an ETag.
pub(super) fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest as _;
    hex(&md5::Md5::digest(bytes))
}

/// A CRC32 as S3 writes it in headers and XML: base64 of the big-endian bytes.
pub(super) fn crc32_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(bytes).to_be_bytes())
}

/// A hex `x-amz-content-sha256` must be the body's SHA-256 (other values, such as
/// `UNSIGNED-PAYLOAD`, are the signature's business).
///
/// # Errors
///
/// `XAmzContentSHA256Mismatch`, with both hashes.
pub(super) fn check_content_sha256(
    info: &ReqInfo,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), Resp> {
    if let Some(claimed) = header_value(headers, "x-amz-content-sha256") {
        if claimed.len() == 64 && claimed.bytes().all(|b| b.is_ascii_hexdigit()) {
            let computed = hex(&crate::state::sha256(body));
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
    Ok(())
}

/// `Content-MD5`, `x-amz-checksum-crc32` and `x-amz-checksum-sha256` must match the
/// body; DeleteObjects (`required`) must carry `Content-MD5` or an `x-amz-checksum-*`.
pub(super) fn check_digests(
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
    if let Some(md5) = header_value(headers, "content-md5") {
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
    if let Some(crc) = header_value(headers, "x-amz-checksum-crc32") {
        let computed = crc32_base64(body);
        if computed != crc {
            return Err(bad_digest("CRC32"));
        }
        checked = true;
    }
    if let Some(sha) = header_value(headers, "x-amz-checksum-sha256") {
        let computed = b64.encode(crate::state::sha256(body));
        if computed != sha {
            return Err(bad_digest("SHA256"));
        }
        checked = true;
    }
    let other_checksum = header_value(headers, "x-amz-checksum-crc32c").is_some()
        || header_value(headers, "x-amz-checksum-crc64nvme").is_some()
        || header_value(headers, "x-amz-checksum-sha1").is_some();
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
