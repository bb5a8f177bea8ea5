//! Multipart uploads: create, upload part, complete, abort, list parts, list uploads.
//!
//! Uploads are created with `x-amz-checksum-algorithm: CRC32`, so every part carries
//! its CRC32 and S3 checks each one; Complete repeats the part checksums.

use http::{Method, Request, Response};

use super::{
    check_status, checked_new_key, crc32_checksum, header, result_document, signed_request,
    with_query, PayloadSigning, RequestContext, S3Error,
};
use crate::xml::escape;

// ------------------------------------------------------ CreateMultipartUpload

/// `POST <object URL>?uploads` with `x-amz-checksum-algorithm: CRC32` (and
/// `Content-Type` when given), signed with the empty body's SHA-256: starts an
/// upload of `key` (as stored, not encoded). Amazon S3 API Reference:
/// CreateMultipartUpload.
///
/// # Errors
/// [`S3Error::is_invalid_input`] when the key, upload id or a header value does not
/// make a valid request (a key over [`super::MAX_KEY_BYTES`] also answers
/// [`S3Error::key_too_long`]); [`S3Error::is_signing_error`] when aws-sigv4 refuses
/// to sign.
pub fn build_create_multipart_upload(
    ctx: &RequestContext<'_>,
    key: &str,
    content_type: Option<&str>,
) -> Result<Request<Vec<u8>>, S3Error> {
    checked_new_key(key)?;
    let url = with_query(ctx.bucket.object_url(key), &[("uploads", None)]);
    let mut headers = vec![("x-amz-checksum-algorithm", "CRC32".to_string())];
    if let Some(content_type) = content_type {
        headers.push(("content-type", content_type.to_string()));
    }
    signed_request(
        ctx,
        Method::POST,
        &url,
        &headers,
        Vec::new(),
        PayloadSigning::Sha256,
    )
}

/// Reads a CreateMultipartUpload answer (`InitiateMultipartUploadResult`) and returns
/// the upload id. Amazon S3 API Reference: CreateMultipartUpload.
///
/// # Errors
/// The service error of a non-2xx status (S3's error document when there is one);
/// a body without a non-empty `UploadId` is an unexpected response.
pub fn parse_create_multipart_upload(response: Response<Vec<u8>>) -> Result<String, S3Error> {
    let root = result_document(&response, "InitiateMultipartUploadResult")?;
    match root.child_text("UploadId") {
        Some(id) if !id.is_empty() => Ok(id.to_string()),
        _ => Err(S3Error::unexpected_response(&response, "no UploadId")),
    }
}

// ------------------------------------------------------------------ UploadPart

/// What an UploadPart answer's headers say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadPartOutput {
    /// The part's `ETag` header, quotes included: CompleteMultipartUpload needs it.
    pub etag: String,
    /// `x-amz-checksum-crc32` S3 computed and checked.
    pub checksum_crc32: Option<String>,
}

/// Uploads part `part_number` (1..=10000). Large parts are sent with
/// `UNSIGNED-PAYLOAD` (`unsigned_payload`) to skip hashing them in the browser;
/// the CRC32 header still protects the bytes.
///
/// `PUT <object URL>?partNumber=<n>&uploadId=<id>` with the body,
/// `x-amz-checksum-crc32` (of `body`) and `x-amz-sdk-checksum-algorithm: CRC32`.
/// Amazon S3 API Reference: UploadPart.
///
/// # Errors
/// [`S3Error::is_invalid_input`] when the key, upload id or a header value does not
/// make a valid request; [`S3Error::is_signing_error`] when aws-sigv4 refuses to sign. Also invalid input: a part
/// number outside 1..=10000.
pub fn build_upload_part(
    ctx: &RequestContext<'_>,
    key: &str,
    upload_id: &str,
    part_number: u32,
    body: Vec<u8>,
    unsigned_payload: bool,
) -> Result<Request<Vec<u8>>, S3Error> {
    let payload = if unsigned_payload {
        PayloadSigning::Unsigned
    } else {
        PayloadSigning::Sha256
    };
    let checksum = crc32_checksum(&body);
    upload_part_request(ctx, key, upload_id, part_number, &checksum, body, payload)
}

/// UploadPart whose bytes travel beside the request: the request has no body,
/// the caller's transport attaches the part (in the browser a `Blob` slice, sent
/// from the file without being copied into memory). The payload is unsigned, so
/// the part's CRC32, computed by the caller from the same bytes, is what S3 checks.
///
/// `PUT <object URL>?partNumber=<n>&uploadId=<id>` with `x-amz-checksum-crc32:
/// <checksum_crc32>` (base64 of the big-endian CRC32, as [`super::crc32_checksum`]
/// gives), `x-amz-sdk-checksum-algorithm: CRC32`, signed `UNSIGNED-PAYLOAD`.
/// Amazon S3 API Reference: UploadPart.
///
/// # Errors
/// [`S3Error::is_invalid_input`] when the key, upload id or a header value does not
/// make a valid request; [`S3Error::is_signing_error`] when aws-sigv4 refuses to sign. Also invalid input: a part
/// number outside 1..=10000.
pub fn build_upload_part_detached(
    ctx: &RequestContext<'_>,
    key: &str,
    upload_id: &str,
    part_number: u32,
    checksum_crc32: &str,
) -> Result<Request<Vec<u8>>, S3Error> {
    upload_part_request(
        ctx,
        key,
        upload_id,
        part_number,
        checksum_crc32,
        Vec::new(),
        PayloadSigning::Unsigned,
    )
}

fn upload_part_request(
    ctx: &RequestContext<'_>,
    key: &str,
    upload_id: &str,
    part_number: u32,
    checksum_crc32: &str,
    body: Vec<u8>,
    payload: PayloadSigning,
) -> Result<Request<Vec<u8>>, S3Error> {
    if !(1..=super::MAX_PARTS).contains(&part_number) {
        return Err(S3Error::invalid_input("part number must be 1 to 10000"));
    }
    let number = part_number.to_string();
    let url = with_query(
        ctx.bucket.object_url(key),
        &[("partNumber", Some(&number)), ("uploadId", Some(upload_id))],
    );
    let headers = [
        ("x-amz-checksum-crc32", checksum_crc32.to_string()),
        ("x-amz-sdk-checksum-algorithm", "CRC32".to_string()),
    ];
    signed_request(ctx, Method::PUT, &url, &headers, body, payload)
}

/// Reads an UploadPart answer. The part's ETag comes in a header (the bucket's CORS
/// must expose `ETag`). Amazon S3 API Reference: UploadPart.
///
/// # Errors
/// The service error of a non-2xx status (S3's error document when there is one);
/// a success without `ETag` is an unexpected response
/// ([`S3Error::is_missing_etag_header`]).
pub fn parse_upload_part(response: Response<Vec<u8>>) -> Result<UploadPartOutput, S3Error> {
    check_status(&response)?;
    let etag = header(&response, "etag").ok_or_else(|| {
        S3Error::unexpected_response(&response, super::error::MISSING_ETAG_HEADER)
    })?;
    Ok(UploadPartOutput {
        etag: etag.to_string(),
        checksum_crc32: header(&response, "x-amz-checksum-crc32").map(str::to_string),
    })
}

// ----------------------------------------------------- CompleteMultipartUpload

/// One `<Part>` of a CompleteMultipartUpload body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletedPart {
    /// `PartNumber`, 1..=10000.
    pub part_number: u32,
    /// `ETag` UploadPart returned, quotes included.
    pub etag: String,
    /// `ChecksumCRC32` of the part, base64 of the big-endian CRC32.
    pub checksum_crc32: Option<String>,
}

/// What a `CompleteMultipartUploadResult` says about the new object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompleteMultipartUploadOutput {
    /// `ETag` of the object (`"<hex>-<parts>"`).
    pub etag: String,
    /// `Location`: the object's URL.
    pub location: Option<String>,
    /// `ChecksumCRC32`: the checksum of the part checksums, `<base64>-<parts>`.
    pub checksum_crc32: Option<String>,
}

/// Completes an upload. Parts must be in ascending order. With `if_none_match`,
/// an object that appeared meanwhile gives 412 rather than being overwritten.
///
/// `POST <object URL>?uploadId=<id>` with the XML body `<CompleteMultipartUpload>
/// <Part><PartNumber/><ETag/>[<ChecksumCRC32/>]</Part>...</CompleteMultipartUpload>`,
/// `Content-Type: application/xml` and `If-None-Match: *` when asked, signed with
/// the body's SHA-256. Amazon S3 API Reference: CompleteMultipartUpload.
///
/// # Errors
/// [`S3Error::is_invalid_input`] when the key, upload id or a header value does not
/// make a valid request; [`S3Error::is_signing_error`] when aws-sigv4 refuses to sign. Also invalid input: no parts,
/// more than 10000, or part numbers not strictly ascending.
pub fn build_complete_multipart_upload(
    ctx: &RequestContext<'_>,
    key: &str,
    upload_id: &str,
    parts: &[CompletedPart],
    if_none_match: bool,
) -> Result<Request<Vec<u8>>, S3Error> {
    if parts.is_empty() || parts.len() > super::MAX_PARTS as usize {
        return Err(S3Error::invalid_input("an upload has 1 to 10000 parts"));
    }
    if parts
        .windows(2)
        .any(|w| w[0].part_number >= w[1].part_number)
    {
        return Err(S3Error::invalid_input("parts must be in ascending order"));
    }
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
    );
    for part in parts {
        body.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag>",
            part.part_number,
            escape(&part.etag)
        ));
        if let Some(checksum) = &part.checksum_crc32 {
            body.push_str(&format!(
                "<ChecksumCRC32>{}</ChecksumCRC32>",
                escape(checksum)
            ));
        }
        body.push_str("</Part>");
    }
    body.push_str("</CompleteMultipartUpload>");
    let url = with_query(ctx.bucket.object_url(key), &[("uploadId", Some(upload_id))]);
    let mut headers = vec![("content-type", "application/xml".to_string())];
    if if_none_match {
        headers.push(("if-none-match", "*".to_string()));
    }
    signed_request(
        ctx,
        Method::POST,
        &url,
        &headers,
        body.into_bytes(),
        PayloadSigning::Sha256,
    )
}

/// A 200 may carry an `<Error>` (S3 failed while it was sending whitespace to keep
/// the connection open); that is an error here. Amazon S3 API Reference:
/// CompleteMultipartUpload.
///
/// # Errors
/// The service error of a non-2xx status (S3's error document when there is one) and an
/// `<Error>` sent with 200; a body that is not a `CompleteMultipartUploadResult`
/// with an `ETag` is an unexpected response.
pub fn parse_complete_multipart_upload(
    response: Response<Vec<u8>>,
) -> Result<CompleteMultipartUploadOutput, S3Error> {
    let root = result_document(&response, "CompleteMultipartUploadResult")?;
    let etag = root.child_text("ETag").ok_or_else(|| {
        S3Error::unexpected_response(&response, "CompleteMultipartUploadResult without ETag")
    })?;
    Ok(CompleteMultipartUploadOutput {
        etag: etag.to_string(),
        location: root.child_text("Location").map(str::to_string),
        checksum_crc32: root.child_text("ChecksumCRC32").map(str::to_string),
    })
}

// -------------------------------------------------------- AbortMultipartUpload

/// `DELETE <object URL>?uploadId=<id>`, signed with the empty body's SHA-256: drops
/// the upload and its stored parts. Amazon S3 API Reference: AbortMultipartUpload.
///
/// # Errors
/// [`S3Error::is_invalid_input`] when the key, upload id or a header value does not
/// make a valid request; [`S3Error::is_signing_error`] when aws-sigv4 refuses to sign.
pub fn build_abort_multipart_upload(
    ctx: &RequestContext<'_>,
    key: &str,
    upload_id: &str,
) -> Result<Request<Vec<u8>>, S3Error> {
    let url = with_query(ctx.bucket.object_url(key), &[("uploadId", Some(upload_id))]);
    signed_request(
        ctx,
        Method::DELETE,
        &url,
        &[],
        Vec::new(),
        PayloadSigning::Sha256,
    )
}

/// Reads an AbortMultipartUpload answer (204). Amazon S3 API Reference:
/// AbortMultipartUpload.
///
/// # Errors
/// The service error of a non-2xx status (S3's error document when there is one) (`NoSuchUpload`
/// for an upload already gone).
pub fn parse_abort_multipart_upload(response: Response<Vec<u8>>) -> Result<(), S3Error> {
    check_status(&response)
}
