//! Object writes: put, copy, delete, delete many.

use http::{Method, Request, Response};

use super::{
    check_status, checked_new_key, crc32_checksum, encode_key, header, result_document,
    signed_request, with_query, PayloadSigning, RequestContext, S3Error,
};
use crate::datetime::parse_iso8601;
use crate::encoding::uri_encode;
use crate::xml::{can_carry, escape};

/// DeleteObjects takes at most this many keys per request.
pub const MAX_DELETE_KEYS: usize = 1000;

// -------------------------------------------------------------------- PutObject

/// What a single-request upload sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutObjectRequest<'a> {
    /// The object key, as stored (not encoded).
    pub key: &'a str,
    /// The whole object.
    pub body: Vec<u8>,
    /// `Content-Type` to store with the object.
    pub content_type: Option<&'a str>,
    /// `If-None-Match: *`: fail with 412 instead of overwriting an existing object.
    pub if_none_match: bool,
    /// Sign with `UNSIGNED-PAYLOAD` instead of hashing the body (large bodies).
    pub unsigned_payload: bool,
}

/// What a PutObject answer's headers say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutObjectOutput {
    /// `ETag` (absent when the bucket's CORS rule does not expose it).
    pub etag: Option<String>,
    /// `x-amz-version-id`, on a versioned bucket.
    pub version_id: Option<String>,
    /// `x-amz-checksum-crc32` S3 computed and checked.
    pub checksum_crc32: Option<String>,
}

/// `PUT <object URL>` with the body, `x-amz-checksum-crc32` (of the body) and
/// `x-amz-sdk-checksum-algorithm: CRC32`, plus `Content-Type` and `If-None-Match: *`
/// when asked; signed with the body's SHA-256 or `UNSIGNED-PAYLOAD`.
/// Amazon S3 API Reference: PutObject.
///
/// # Errors
/// [`S3Error::is_invalid_input`] when the key or a header value does not make a
/// valid request (a key over [`super::MAX_KEY_BYTES`] also answers
/// [`S3Error::key_too_long`]); [`S3Error::is_signing_error`] when aws-sigv4 refuses
/// to sign.
pub fn build_put_object(
    ctx: &RequestContext<'_>,
    request: PutObjectRequest<'_>,
) -> Result<Request<Vec<u8>>, S3Error> {
    checked_new_key(request.key)?;
    let url = ctx.bucket.object_url(request.key);
    let mut headers = vec![
        ("x-amz-checksum-crc32", crc32_checksum(&request.body)),
        ("x-amz-sdk-checksum-algorithm", "CRC32".to_string()),
    ];
    if let Some(content_type) = request.content_type {
        headers.push(("content-type", content_type.to_string()));
    }
    if request.if_none_match {
        headers.push(("if-none-match", "*".to_string()));
    }
    let payload = if request.unsigned_payload {
        PayloadSigning::Unsigned
    } else {
        PayloadSigning::Sha256
    };
    signed_request(ctx, Method::PUT, &url, &headers, request.body, payload)
}

/// Reads a PutObject answer's headers. Amazon S3 API Reference: PutObject.
///
/// # Errors
/// The service error of a non-2xx status (S3's error document when there is one). (`PreconditionFailed`
/// 412 for `If-None-Match: *` over an existing object, `BadDigest` for a wrong CRC32).
pub fn parse_put_object(response: Response<Vec<u8>>) -> Result<PutObjectOutput, S3Error> {
    check_status(&response)?;
    Ok(PutObjectOutput {
        etag: header(&response, "etag").map(str::to_string),
        version_id: header(&response, "x-amz-version-id").map(str::to_string),
        checksum_crc32: header(&response, "x-amz-checksum-crc32").map(str::to_string),
    })
}

// ------------------------------------------------------------------- CopyObject

/// What a CopyObject answer (`CopyObjectResult`) says about the new object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyObjectOutput {
    /// `ETag` of the copy, quotes included.
    pub etag: String,
    /// Epoch seconds.
    pub last_modified: Option<u64>,
}

/// Copies `source_key` to `destination_key` in the same bucket (rename = copy +
/// delete). With `if_none_match`, an existing destination gives 412. With
/// `content_type`, the copy stores that type instead of the source's metadata
/// (`x-amz-metadata-directive: REPLACE`, which also drops the source's other
/// metadata: Cubby stores none).
///
/// `PUT <destination object URL>` with `x-amz-copy-source: <bucket>/<encoded source
/// key>`, `x-amz-metadata-directive: REPLACE` and `Content-Type` when a type is given,
/// and `If-None-Match: *` when asked, signed with the empty body's SHA-256.
/// Amazon S3 API Reference: CopyObject.
///
/// # Errors
/// [`S3Error::is_invalid_input`] when the key or a header value does not make a
/// valid request (a destination over [`super::MAX_KEY_BYTES`] also answers
/// [`S3Error::key_too_long`]); [`S3Error::is_signing_error`] when aws-sigv4 refuses
/// to sign.
pub fn build_copy_object(
    ctx: &RequestContext<'_>,
    source_key: &str,
    destination_key: &str,
    content_type: Option<&str>,
    if_none_match: bool,
) -> Result<Request<Vec<u8>>, S3Error> {
    build_copy_object_version(
        ctx,
        source_key,
        None,
        destination_key,
        content_type,
        if_none_match,
    )
}

/// [`build_copy_object`] from one version of the source: `x-amz-copy-source:
/// <bucket>/<encoded source key>?versionId=<encoded id>` when `source_version_id`
/// is given (copying a version onto its own key makes it the current one again;
/// it needs `s3:GetObjectVersion` on the source). Amazon S3 API Reference:
/// CopyObject.
///
/// # Errors
/// As [`build_copy_object`].
pub fn build_copy_object_version(
    ctx: &RequestContext<'_>,
    source_key: &str,
    source_version_id: Option<&str>,
    destination_key: &str,
    content_type: Option<&str>,
    if_none_match: bool,
) -> Result<Request<Vec<u8>>, S3Error> {
    checked_new_key(destination_key)?;
    let url = ctx.bucket.object_url(destination_key);
    let mut source = format!("{}/{}", ctx.bucket.name(), encode_key(source_key));
    if let Some(version_id) = source_version_id {
        source.push_str("?versionId=");
        source.push_str(&uri_encode(version_id, false));
    }
    let mut headers = vec![("x-amz-copy-source", source)];
    if let Some(content_type) = content_type {
        headers.push(("x-amz-metadata-directive", "REPLACE".to_string()));
        headers.push(("content-type", content_type.to_string()));
    }
    if if_none_match {
        headers.push(("if-none-match", "*".to_string()));
    }
    signed_request(
        ctx,
        Method::PUT,
        &url,
        &headers,
        Vec::new(),
        PayloadSigning::Sha256,
    )
}

/// Reads a CopyObject answer. A 200 can still carry an `<Error>` (the copy failed
/// after S3 started answering). Amazon S3 API Reference: CopyObject.
///
/// # Errors
/// The service error of a non-2xx status (S3's error document when there is one). and an `<Error>`
/// sent with 200; a body that is not a `CopyObjectResult` with an `ETag` is an
/// unexpected response.
pub fn parse_copy_object(response: Response<Vec<u8>>) -> Result<CopyObjectOutput, S3Error> {
    let root = result_document(&response, "CopyObjectResult")?;
    let etag = root
        .child_text("ETag")
        .ok_or_else(|| S3Error::unexpected_response(&response, "CopyObjectResult without ETag"))?;
    Ok(CopyObjectOutput {
        etag: etag.to_string(),
        last_modified: root.child_text("LastModified").and_then(parse_iso8601),
    })
}

// ----------------------------------------------------------------- DeleteObject

/// `DELETE <object URL>`, signed with the empty body's SHA-256. `key` is the object
/// key as stored. Amazon S3 API Reference: DeleteObject.
///
/// # Errors
/// [`S3Error::is_invalid_input`] when the key or a header value does not make a
/// valid request; [`S3Error::is_signing_error`] when aws-sigv4 refuses to sign.
pub fn build_delete_object(
    ctx: &RequestContext<'_>,
    key: &str,
) -> Result<Request<Vec<u8>>, S3Error> {
    let url = ctx.bucket.object_url(key);
    signed_request(
        ctx,
        Method::DELETE,
        &url,
        &[],
        Vec::new(),
        PayloadSigning::Sha256,
    )
}

/// Reads a DeleteObject answer: 204 (also for a key that did not exist).
/// Amazon S3 API Reference: DeleteObject.
///
/// # Errors
/// The service error of a non-2xx status (S3's error document when there is one).
pub fn parse_delete_object(response: Response<Vec<u8>>) -> Result<(), S3Error> {
    check_status(&response)
}

// ---------------------------------------------------------------- DeleteObjects

/// One `<Error>` entry of a DeleteObjects result: a key that was not deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteFailure {
    /// `Key` (empty if S3 left it out).
    pub key: String,
    /// `Code`, e.g. `AccessDenied` (empty if S3 left it out).
    pub code: String,
    /// `Message`.
    pub message: Option<String>,
}

impl DeleteFailure {
    /// The failure as the service error it is (code, message, key), so a key that
    /// was not deleted reads like any other refused call.
    pub fn error(&self) -> S3Error {
        S3Error::for_key(&self.code, self.message.as_deref(), &self.key)
    }
}

/// A DeleteObjects result (`DeleteResult`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeleteObjectsOutput {
    /// Empty in quiet mode (the default here): only failures are reported.
    pub deleted: Vec<String>,
    /// The keys S3 could not delete, with why.
    pub failed: Vec<DeleteFailure>,
}

/// Deletes up to [`MAX_DELETE_KEYS`] keys in quiet mode.
///
/// `POST <bucket URL>?delete` with the XML body `<Delete><Quiet>true</Quiet>
/// <Object><Key>...</Key></Object>...</Delete>` (keys as stored, XML-escaped; a key
/// XML 1.0 cannot carry, see [`crate::xml::can_carry`], goes through
/// [`build_delete_object`] instead: [`super::plan_deletes`] splits a list),
/// `Content-Type: application/xml`, `x-amz-checksum-crc32` and
/// `x-amz-sdk-checksum-algorithm: CRC32` (S3 requires an integrity header), signed
/// with the body's SHA-256. Amazon S3 API Reference: DeleteObjects.
///
/// # Errors
/// [`S3Error::is_invalid_input`] when the key or a header value does not make a
/// valid request; [`S3Error::is_signing_error`] when aws-sigv4 refuses to sign. Also invalid input: no keys,
/// more than [`MAX_DELETE_KEYS`], or a key XML cannot carry (S3 would refuse the
/// whole body with `MalformedXML`).
pub fn build_delete_objects(
    ctx: &RequestContext<'_>,
    keys: &[&str],
) -> Result<Request<Vec<u8>>, S3Error> {
    if keys.is_empty() || keys.len() > MAX_DELETE_KEYS {
        return Err(S3Error::invalid_input("DeleteObjects takes 1 to 1000 keys"));
    }
    if !keys.iter().all(|key| can_carry(key)) {
        return Err(S3Error::invalid_input(
            "a key holds a character XML cannot carry: delete it with DeleteObject",
        ));
    }
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>",
    );
    for key in keys {
        body.push_str("<Object><Key>");
        body.push_str(&escape(key));
        body.push_str("</Key></Object>");
    }
    body.push_str("</Delete>");
    let body = body.into_bytes();
    // The service requires an integrity header; CRC32 replaces Content-MD5.
    let headers = [
        ("content-type", "application/xml".to_string()),
        ("x-amz-checksum-crc32", crc32_checksum(&body)),
        ("x-amz-sdk-checksum-algorithm", "CRC32".to_string()),
    ];
    let url = with_query(ctx.bucket.bucket_url(), &[("delete", None)]);
    signed_request(
        ctx,
        Method::POST,
        &url,
        &headers,
        body,
        PayloadSigning::Sha256,
    )
}

/// Reads a DeleteObjects answer (`DeleteResult`): a 200 can still list per-key
/// failures in `failed`. Amazon S3 API Reference: DeleteObjects.
///
/// # Errors
/// The service error of a non-2xx status (S3's error document when there is one). A body that is not a
/// `DeleteResult` is an unexpected response.
pub fn parse_delete_objects(response: Response<Vec<u8>>) -> Result<DeleteObjectsOutput, S3Error> {
    let root = result_document(&response, "DeleteResult")?;
    let mut output = DeleteObjectsOutput::default();
    for deleted in root.children_named("Deleted") {
        if let Some(key) = deleted.child_text("Key") {
            output.deleted.push(key.to_string());
        }
    }
    for error in root.children_named("Error") {
        output.failed.push(DeleteFailure {
            key: error.child_text("Key").unwrap_or_default().to_string(),
            code: error.child_text("Code").unwrap_or_default().to_string(),
            message: error.child_text("Message").map(str::to_string),
        });
    }
    Ok(output)
}
