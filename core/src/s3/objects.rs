//! Object reads: list, head, get (writes are in `writes.rs`).

use http::{Method, Request, Response};

use super::{
    check_status, header, result_document, signed_request, with_query, ObjectRead, PayloadSigning,
    RequestContext, S3Error,
};
use crate::datetime::{parse_http_date, parse_iso8601};
use crate::encoding::percent_decode;
use crate::xml::Element;

// ---------------------------------------------------------------- ListObjectsV2

/// One page of ListObjectsV2. Keys come back URL-encoded (`encoding-type=url`) so
/// that any key survives XML; [`parse_list_objects`] decodes them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListObjectsRequest<'a> {
    /// `prefix`: only keys starting with it; empty lists the whole bucket.
    pub prefix: &'a str,
    /// `/` to list one "folder" level (sub-folders come back as common prefixes).
    pub delimiter: Option<&'a str>,
    /// 1..=1000; S3's default is 1000.
    pub max_keys: Option<u32>,
    /// `next_continuation_token` of the previous page.
    pub continuation_token: Option<&'a str>,
    /// `start-after`: list keys after this one (first page only).
    pub start_after: Option<&'a str>,
}

/// One `<Contents>` entry of a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectSummary {
    /// `Key`, URL-decoded.
    pub key: String,
    /// `Size` in bytes.
    pub size: u64,
    /// As S3 sends it, quotes included.
    pub etag: String,
    /// Epoch seconds.
    pub last_modified: Option<u64>,
    /// `StorageClass`, e.g. `STANDARD`.
    pub storage_class: Option<String>,
}

/// One page of a ListObjectsV2 result (`ListBucketResult`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListObjectsPage {
    /// The `<Contents>` entries, in S3's (UTF-8 binary) key order.
    pub objects: Vec<ObjectSummary>,
    /// Sub-"folders" (with `delimiter`), decoded, each ending in the delimiter.
    pub common_prefixes: Vec<String>,
    /// `IsTruncated`: more pages follow.
    pub is_truncated: bool,
    /// Pass to the next request when `is_truncated`.
    pub next_continuation_token: Option<String>,
    /// `KeyCount`: how many keys this page returned.
    pub key_count: Option<u64>,
}

/// `GET <bucket URL>?list-type=2&encoding-type=url[&prefix][&delimiter][&max-keys]
/// [&continuation-token][&start-after]`, signed with the body's SHA-256: one page of
/// the bucket's keys. Amazon S3 API Reference: ListObjectsV2.
///
/// # Errors
/// [`S3Error::is_invalid_input`] when the key or a header value does not make a
/// valid request; [`S3Error::is_signing_error`] when aws-sigv4 refuses to sign.
pub fn build_list_objects(
    ctx: &RequestContext<'_>,
    request: &ListObjectsRequest<'_>,
) -> Result<Request<Vec<u8>>, S3Error> {
    let max_keys = request.max_keys.map(|n| n.to_string());
    let mut query: Vec<(&str, Option<&str>)> = vec![("list-type", Some("2"))];
    query.push(("encoding-type", Some("url")));
    if !request.prefix.is_empty() {
        query.push(("prefix", Some(request.prefix)));
    }
    if let Some(d) = request.delimiter {
        query.push(("delimiter", Some(d)));
    }
    if let Some(n) = &max_keys {
        query.push(("max-keys", Some(n)));
    }
    if let Some(t) = request.continuation_token {
        query.push(("continuation-token", Some(t)));
    }
    if let Some(s) = request.start_after {
        query.push(("start-after", Some(s)));
    }
    let url = with_query(ctx.bucket.bucket_url(), &query);
    signed_request(
        ctx,
        Method::GET,
        &url,
        &[],
        Vec::new(),
        PayloadSigning::Sha256,
    )
}

/// Decodes a value the response URL-encoded (`+` is a space, as S3 writes it).
pub(super) fn decoded(
    response: &Response<Vec<u8>>,
    text: &str,
    url_encoded: bool,
) -> Result<String, S3Error> {
    if url_encoded {
        percent_decode(text, true)
            .ok_or_else(|| S3Error::unexpected_response(response, "bad URL encoding in listing"))
    } else {
        Ok(text.to_string())
    }
}

pub(super) fn number<T: std::str::FromStr>(
    response: &Response<Vec<u8>>,
    text: Option<&str>,
    what: &str,
) -> Result<T, S3Error> {
    text.and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| S3Error::unexpected_response(response, what))
}

pub(super) fn is_true(el: &Element, name: &str) -> bool {
    el.child_text(name).map(str::trim) == Some("true")
}

/// Reads a ListObjectsV2 answer (`ListBucketResult`), URL-decoding keys and prefixes
/// when the body says `EncodingType` `url`. Amazon S3 API Reference: ListObjectsV2.
///
/// # Errors
/// The service error of a non-2xx status (S3's error document when there is one). A body that is not
/// a `ListBucketResult`, an entry without `Key` or `Size`, a bad URL encoding, or
/// `IsTruncated` without `NextContinuationToken` is an unexpected response.
pub fn parse_list_objects(response: Response<Vec<u8>>) -> Result<ListObjectsPage, S3Error> {
    let root = result_document(&response, "ListBucketResult")?;
    let url_encoded = root.child_text("EncodingType").map(str::trim) == Some("url");
    let mut page = ListObjectsPage {
        is_truncated: is_true(&root, "IsTruncated"),
        next_continuation_token: root.child_text("NextContinuationToken").map(str::to_string),
        key_count: root
            .child_text("KeyCount")
            .and_then(|t| t.trim().parse().ok()),
        ..ListObjectsPage::default()
    };
    for item in root.children_named("Contents") {
        let key = item
            .child_text("Key")
            .ok_or_else(|| S3Error::unexpected_response(&response, "listed object without Key"))?;
        page.objects.push(ObjectSummary {
            key: decoded(&response, key, url_encoded)?,
            size: number(
                &response,
                item.child_text("Size"),
                "listed object without Size",
            )?,
            etag: item.child_text("ETag").unwrap_or_default().to_string(),
            last_modified: item.child_text("LastModified").and_then(parse_iso8601),
            storage_class: item.child_text("StorageClass").map(str::to_string),
        });
    }
    for prefix in root.children_named("CommonPrefixes") {
        let text = prefix.child_text("Prefix").ok_or_else(|| {
            S3Error::unexpected_response(&response, "common prefix without Prefix")
        })?;
        page.common_prefixes
            .push(decoded(&response, text, url_encoded)?);
    }
    if page.is_truncated && page.next_continuation_token.is_none() {
        return Err(S3Error::unexpected_response(
            &response,
            "truncated listing without NextContinuationToken",
        ));
    }
    Ok(page)
}

// ------------------------------------------------------------------- HeadObject

/// What HEAD (and GET) tell about an object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectMetadata {
    /// `Content-Length` (of the returned range, for a ranged GET).
    pub size: u64,
    /// `ETag`, quotes included.
    pub etag: Option<String>,
    /// Epoch seconds.
    pub last_modified: Option<u64>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `x-amz-checksum-crc32` as stored (for multipart objects `<base64>-<parts>`).
    pub checksum_crc32: Option<String>,
}

fn metadata(response: &Response<Vec<u8>>) -> Result<ObjectMetadata, S3Error> {
    let size = match header(response, "content-length") {
        Some(len) => len
            .trim()
            .parse()
            .map_err(|_| S3Error::unexpected_response(response, "bad Content-Length"))?,
        // A GET body in hand is its own length (fetch hides Content-Length sometimes).
        None => response.body().len() as u64,
    };
    Ok(ObjectMetadata {
        size,
        etag: header(response, "etag").map(str::to_string),
        last_modified: header(response, "last-modified").and_then(parse_http_date),
        content_type: header(response, "content-type").map(str::to_string),
        checksum_crc32: header(response, "x-amz-checksum-crc32").map(str::to_string),
    })
}

/// `HEAD <object URL>` with `x-amz-checksum-mode: ENABLED` (so the stored CRC32
/// comes back), signed with the empty body's SHA-256 and marked [`ObjectRead`].
/// `key` is the object key as stored (not encoded). Amazon S3 API Reference: HeadObject.
///
/// # Errors
/// [`S3Error::is_invalid_input`] when the key or a header value does not make a
/// valid request; [`S3Error::is_signing_error`] when aws-sigv4 refuses to sign.
pub fn build_head_object(ctx: &RequestContext<'_>, key: &str) -> Result<Request<Vec<u8>>, S3Error> {
    build_head_object_version(ctx, key, None)
}

/// [`build_head_object`] of one version: `?versionId=<id>` when `version_id` is
/// given (a version listed by [`super::parse_list_object_versions`]; reading it
/// needs `s3:GetObjectVersion`). Amazon S3 API Reference: HeadObject.
///
/// # Errors
/// As [`build_head_object`].
pub fn build_head_object_version(
    ctx: &RequestContext<'_>,
    key: &str,
    version_id: Option<&str>,
) -> Result<Request<Vec<u8>>, S3Error> {
    let url = object_version_url(ctx, key, version_id);
    // Ask for the stored checksum too.
    let headers = [("x-amz-checksum-mode", "ENABLED".to_string())];
    let mut request = signed_request(
        ctx,
        Method::HEAD,
        &url,
        &headers,
        Vec::new(),
        PayloadSigning::Sha256,
    )?;
    request.extensions_mut().insert(ObjectRead);
    Ok(request)
}

/// The object's URL, with `?versionId=<id>` (encoded) for one version.
pub(super) fn object_version_url(
    ctx: &RequestContext<'_>,
    key: &str,
    version_id: Option<&str>,
) -> String {
    let query: Vec<(&str, Option<&str>)> = version_id
        .map(|v| ("versionId", Some(v)))
        .into_iter()
        .collect();
    with_query(ctx.bucket.object_url(key), &query)
}

/// HEAD errors have no body: a missing object is a 404 (or 403 without
/// `s3:ListBucket`) with no code; see [`S3Error::is_not_found`].
/// Amazon S3 API Reference: HeadObject.
///
/// # Errors
/// The service error of a non-2xx status (S3's error document when there is one). A `Content-Length` that is
/// not a number is an unexpected response.
pub fn parse_head_object(response: Response<Vec<u8>>) -> Result<ObjectMetadata, S3Error> {
    check_status(&response)?;
    metadata(&response)
}

// -------------------------------------------------------------------- GetObject

/// `Range: bytes=first-last` (inclusive), or `bytes=first-` without `last`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteRange {
    /// Offset of the first byte.
    pub first: u64,
    /// Offset of the last byte (inclusive); `None` reads to the end.
    pub last: Option<u64>,
}

impl ByteRange {
    fn header_value(&self) -> String {
        match self.last {
            Some(last) => format!("bytes={}-{last}", self.first),
            None => format!("bytes={}-", self.first),
        }
    }
}

/// A GetObject answer: the bytes and what the headers say about them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetObjectOutput {
    /// The object's bytes (of the range, for a 206).
    pub body: Vec<u8>,
    /// From the response headers.
    pub metadata: ObjectMetadata,
    /// `Content-Range` of a 206: (first, last, total size when known).
    pub content_range: Option<(u64, u64, Option<u64>)>,
}

/// `GET <object URL>`, with `Range: bytes=first-[last]` when `range` is given,
/// signed with the empty body's SHA-256 and marked [`ObjectRead`]. `key` is the
/// object key as stored. Amazon S3 API Reference: GetObject; RFC 9110 §14.
///
/// # Errors
/// [`S3Error::is_invalid_input`] when the key or a header value does not make a
/// valid request; [`S3Error::is_signing_error`] when aws-sigv4 refuses to sign. Also invalid input: a range whose `last` is
/// before `first`.
pub fn build_get_object(
    ctx: &RequestContext<'_>,
    key: &str,
    range: Option<ByteRange>,
) -> Result<Request<Vec<u8>>, S3Error> {
    build_get_object_version(ctx, key, None, range)
}

/// [`build_get_object`] of one version: `?versionId=<id>` when `version_id` is
/// given (reading it needs `s3:GetObjectVersion`). Amazon S3 API Reference: GetObject.
///
/// # Errors
/// As [`build_get_object`].
pub fn build_get_object_version(
    ctx: &RequestContext<'_>,
    key: &str,
    version_id: Option<&str>,
    range: Option<ByteRange>,
) -> Result<Request<Vec<u8>>, S3Error> {
    if let Some(ByteRange {
        first,
        last: Some(last),
    }) = range
    {
        if last < first {
            return Err(S3Error::invalid_input("range ends before it starts"));
        }
    }
    let url = object_version_url(ctx, key, version_id);
    let headers: Vec<(&'static str, String)> =
        range.iter().map(|r| ("range", r.header_value())).collect();
    let mut request = signed_request(
        ctx,
        Method::GET,
        &url,
        &headers,
        Vec::new(),
        PayloadSigning::Sha256,
    )?;
    request.extensions_mut().insert(ObjectRead);
    Ok(request)
}

fn parse_content_range(value: &str) -> Option<(u64, u64, Option<u64>)> {
    let (span, total) = value.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (first, last) = span.split_once('-')?;
    let total = if total == "*" {
        None
    } else {
        Some(total.parse().ok()?)
    };
    Some((first.parse().ok()?, last.parse().ok()?, total))
}

/// Reads a GetObject answer (200, or 206 for a range). Amazon S3 API Reference: GetObject.
///
/// # Errors
/// The service error of a non-2xx status (S3's error document when there is one). A bad `Content-Length`
/// or `Content-Range` is an unexpected response.
pub fn parse_get_object(response: Response<Vec<u8>>) -> Result<GetObjectOutput, S3Error> {
    check_status(&response)?;
    let metadata = metadata(&response)?;
    let content_range = match header(&response, "content-range") {
        Some(value) => Some(
            parse_content_range(value)
                .ok_or_else(|| S3Error::unexpected_response(&response, "bad Content-Range"))?,
        ),
        None => None,
    };
    Ok(GetObjectOutput {
        body: response.into_body(),
        metadata,
        content_range,
    })
}
