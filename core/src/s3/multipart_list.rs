//! Listing multipart uploads: the parts of one upload (ListParts) and the uploads
//! in progress under a prefix (ListMultipartUploads).

use http::{Method, Request, Response};

use super::{result_document, signed_request, with_query, PayloadSigning, RequestContext, S3Error};
use crate::datetime::parse_iso8601;
use crate::encoding::percent_decode;

// ------------------------------------------------------------------- ListParts

/// One `<Part>` of a ListParts result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartSummary {
    /// `PartNumber`.
    pub part_number: u32,
    /// `ETag`, quotes included (empty if S3 left it out).
    pub etag: String,
    /// `Size` in bytes.
    pub size: u64,
    /// `ChecksumCRC32` stored with the part.
    pub checksum_crc32: Option<String>,
    /// Epoch seconds.
    pub last_modified: Option<u64>,
}

/// One page of a ListParts result (`ListPartsResult`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListPartsPage {
    /// The parts uploaded so far, ascending by part number.
    pub parts: Vec<PartSummary>,
    /// `IsTruncated`: more pages follow.
    pub is_truncated: bool,
    /// Pass as `part_number_marker` for the next page.
    pub next_part_number_marker: Option<u32>,
}

/// `GET <object URL>?uploadId=<id>[&max-parts=<n>][&part-number-marker=<n>]`, signed
/// with the empty body's SHA-256: the parts of an upload, after `part_number_marker`.
/// Amazon S3 API Reference: ListParts.
///
/// # Errors
/// [`S3Error::is_invalid_input`] when the key, upload id or a header value does not
/// make a valid request; [`S3Error::is_signing_error`] when aws-sigv4 refuses to sign.
pub fn build_list_parts(
    ctx: &RequestContext<'_>,
    key: &str,
    upload_id: &str,
    part_number_marker: Option<u32>,
    max_parts: Option<u32>,
) -> Result<Request<Vec<u8>>, S3Error> {
    let marker = part_number_marker.map(|n| n.to_string());
    let max = max_parts.map(|n| n.to_string());
    let mut query = vec![("uploadId", Some(upload_id))];
    if let Some(m) = &max {
        query.push(("max-parts", Some(m)));
    }
    if let Some(m) = &marker {
        query.push(("part-number-marker", Some(m)));
    }
    let url = with_query(ctx.bucket.object_url(key), &query);
    signed_request(
        ctx,
        Method::GET,
        &url,
        &[],
        Vec::new(),
        PayloadSigning::Sha256,
    )
}

fn parse_number<T: std::str::FromStr>(
    response: &Response<Vec<u8>>,
    text: Option<&str>,
    what: &str,
) -> Result<T, S3Error> {
    text.and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| S3Error::unexpected_response(response, what))
}

/// Reads a ListParts answer (`ListPartsResult`). Amazon S3 API Reference: ListParts.
///
/// # Errors
/// The service error of a non-2xx status (S3's error document when there is one);
/// a body that is not a `ListPartsResult`, a part without `PartNumber` or `Size`, or
/// `IsTruncated` without `NextPartNumberMarker` is an unexpected response.
pub fn parse_list_parts(response: Response<Vec<u8>>) -> Result<ListPartsPage, S3Error> {
    let root = result_document(&response, "ListPartsResult")?;
    let mut page = ListPartsPage {
        is_truncated: root.child_text("IsTruncated").map(str::trim) == Some("true"),
        next_part_number_marker: root
            .child_text("NextPartNumberMarker")
            .and_then(|t| t.trim().parse().ok()),
        ..ListPartsPage::default()
    };
    for part in root.children_named("Part") {
        page.parts.push(PartSummary {
            part_number: parse_number(
                &response,
                part.child_text("PartNumber"),
                "part without PartNumber",
            )?,
            etag: part.child_text("ETag").unwrap_or_default().to_string(),
            size: parse_number(&response, part.child_text("Size"), "part without Size")?,
            checksum_crc32: part.child_text("ChecksumCRC32").map(str::to_string),
            last_modified: part.child_text("LastModified").and_then(parse_iso8601),
        });
    }
    if page.is_truncated && page.next_part_number_marker.is_none() {
        return Err(S3Error::unexpected_response(
            &response,
            "truncated ListParts without NextPartNumberMarker",
        ));
    }
    Ok(page)
}

// -------------------------------------------------------- ListMultipartUploads

/// One `<Upload>` of a ListMultipartUploads result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadSummary {
    /// `Key`, URL-decoded.
    pub key: String,
    /// `UploadId`.
    pub upload_id: String,
    /// Epoch seconds.
    pub initiated: Option<u64>,
}

/// One page of a ListMultipartUploads result (`ListMultipartUploadsResult`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListUploadsPage {
    /// The unfinished uploads on this page.
    pub uploads: Vec<UploadSummary>,
    /// `IsTruncated`: more pages follow.
    pub is_truncated: bool,
    /// `NextKeyMarker`, URL-decoded: pass as `key_marker` for the next page.
    pub next_key_marker: Option<String>,
    /// `NextUploadIdMarker`: pass as `upload_id_marker` for the next page.
    pub next_upload_id_marker: Option<String>,
}

/// Unfinished uploads under `prefix` (to clean up abandoned ones). Needs
/// `s3:ListBucketMultipartUploads`, which the default Cubby policy does not grant.
///
/// `GET <bucket URL>?uploads&encoding-type=url&prefix=<prefix>[&key-marker]
/// [&upload-id-marker]`, signed with the empty body's SHA-256. Amazon S3 API
/// Reference: ListMultipartUploads.
///
/// # Errors
/// [`S3Error::is_invalid_input`] when the key, upload id or a header value does not
/// make a valid request; [`S3Error::is_signing_error`] when aws-sigv4 refuses to sign.
pub fn build_list_multipart_uploads(
    ctx: &RequestContext<'_>,
    prefix: &str,
    key_marker: Option<&str>,
    upload_id_marker: Option<&str>,
) -> Result<Request<Vec<u8>>, S3Error> {
    let mut query = vec![
        ("uploads", None),
        ("encoding-type", Some("url")),
        ("prefix", Some(prefix)),
    ];
    if let Some(m) = key_marker {
        query.push(("key-marker", Some(m)));
    }
    if let Some(m) = upload_id_marker {
        query.push(("upload-id-marker", Some(m)));
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

/// Reads a ListMultipartUploads answer, URL-decoding keys when the body says
/// `EncodingType` `url`. Amazon S3 API Reference: ListMultipartUploads.
///
/// # Errors
/// The service error of a non-2xx status (S3's error document when there is one);
/// a body that is not a `ListMultipartUploadsResult` or a bad URL encoding is an
/// unexpected response.
pub fn parse_list_multipart_uploads(
    response: Response<Vec<u8>>,
) -> Result<ListUploadsPage, S3Error> {
    let root = result_document(&response, "ListMultipartUploadsResult")?;
    let url_encoded = root.child_text("EncodingType").map(str::trim) == Some("url");
    let decode = |text: &str| -> Result<String, S3Error> {
        if url_encoded {
            percent_decode(text, true)
                .ok_or_else(|| S3Error::unexpected_response(&response, "bad URL encoding"))
        } else {
            Ok(text.to_string())
        }
    };
    let mut page = ListUploadsPage {
        is_truncated: root.child_text("IsTruncated").map(str::trim) == Some("true"),
        next_key_marker: root.child_text("NextKeyMarker").map(&decode).transpose()?,
        next_upload_id_marker: root.child_text("NextUploadIdMarker").map(str::to_string),
        ..ListUploadsPage::default()
    };
    for upload in root.children_named("Upload") {
        page.uploads.push(UploadSummary {
            key: decode(upload.child_text("Key").unwrap_or_default())?,
            upload_id: upload
                .child_text("UploadId")
                .unwrap_or_default()
                .to_string(),
            initiated: upload.child_text("Initiated").and_then(parse_iso8601),
        });
    }
    Ok(page)
}
