//! ListObjectVersions: every version and delete marker below a prefix. Reads and
//! copies of one version are the `*_version` forms in `objects.rs`, `writes.rs`
//! and `presign.rs`.

use http::{Method, Request, Response};

use super::objects::{decoded, is_true, number};
use super::{result_document, signed_request, with_query, PayloadSigning, RequestContext, S3Error};
use crate::datetime::parse_iso8601;

/// The version id S3 gives objects written while the bucket's versioning was
/// never enabled (or suspended): every version of an unversioned bucket has it.
pub const NULL_VERSION_ID: &str = "null";

/// One page of ListObjectVersions. Keys come back URL-encoded
/// (`encoding-type=url`); [`parse_list_object_versions`] decodes them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListObjectVersionsRequest<'a> {
    /// `prefix`: only keys starting with it.
    pub prefix: &'a str,
    /// `/` to list one "folder" level (sub-folders come back as common prefixes).
    pub delimiter: Option<&'a str>,
    /// 1..=1000 versions and delete markers together; S3's default is 1000.
    pub max_keys: Option<u32>,
    /// `key-marker`: `next_key_marker` of the previous page.
    pub key_marker: Option<&'a str>,
    /// `version-id-marker`: `next_version_id_marker` of the previous page (only
    /// with `key_marker`).
    pub version_id_marker: Option<&'a str>,
}

/// One `<Version>` or `<DeleteMarker>` entry of a version listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectVersion {
    /// `Key`, URL-decoded.
    pub key: String,
    /// `VersionId`, opaque ([`NULL_VERSION_ID`] on an unversioned bucket).
    pub version_id: String,
    /// `IsLatest`: this is the key's current version (or its latest delete marker).
    pub is_latest: bool,
    /// `LastModified`, epoch seconds.
    pub last_modified: Option<u64>,
    /// A `<DeleteMarker>` (no bytes, no size, no ETag) rather than a `<Version>`.
    pub is_delete_marker: bool,
    /// `Size` in bytes (0 for a delete marker).
    pub size: u64,
    /// `ETag` as S3 sends it, quotes included (`None` for a delete marker).
    pub etag: Option<String>,
}

/// One page of a ListObjectVersions result (`ListVersionsResult`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListObjectVersionsPage {
    /// Versions and delete markers in the body's order: keys ascending, each key's
    /// newest first.
    pub versions: Vec<ObjectVersion>,
    /// Sub-"folders" (with `delimiter`), decoded, each ending in the delimiter.
    pub common_prefixes: Vec<String>,
    /// `IsTruncated`: more pages follow.
    pub is_truncated: bool,
    /// `NextKeyMarker`, decoded: the next page's `key_marker`.
    pub next_key_marker: Option<String>,
    /// `NextVersionIdMarker`: the next page's `version_id_marker`.
    pub next_version_id_marker: Option<String>,
}

/// `GET <bucket URL>?versions&encoding-type=url[&prefix][&delimiter][&max-keys]
/// [&key-marker][&version-id-marker]`, signed with the empty body's SHA-256: one
/// page of the versions below `prefix`. Amazon S3 API Reference: ListObjectVersions.
///
/// # Errors
/// [`S3Error::is_invalid_input`] when a value does not make a valid request (also a
/// `version_id_marker` without `key_marker`, which S3 refuses);
/// [`S3Error::is_signing_error`] when aws-sigv4 refuses to sign.
pub fn build_list_object_versions(
    ctx: &RequestContext<'_>,
    request: &ListObjectVersionsRequest<'_>,
) -> Result<Request<Vec<u8>>, S3Error> {
    if request.version_id_marker.is_some() && request.key_marker.is_none() {
        return Err(S3Error::invalid_input(
            "a version-id marker needs a key marker",
        ));
    }
    let max_keys = request.max_keys.map(|n| n.to_string());
    let mut query: Vec<(&str, Option<&str>)> = vec![("versions", None)];
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
    if let Some(k) = request.key_marker {
        query.push(("key-marker", Some(k)));
    }
    if let Some(v) = request.version_id_marker {
        query.push(("version-id-marker", Some(v)));
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

/// Reads a ListObjectVersions answer (`ListVersionsResult`), keeping `<Version>`
/// and `<DeleteMarker>` entries in the body's order and URL-decoding keys, prefixes
/// and the next key marker when the body says `EncodingType` `url` (version ids
/// are never encoded). Amazon S3 API Reference: ListObjectVersions.
///
/// # Errors
/// The service error of a non-2xx status (S3's error document when there is one).
/// A body that is not a `ListVersionsResult`, an entry without `Key` or
/// `VersionId`, a version without `Size`, a bad URL encoding, or `IsTruncated`
/// without `NextKeyMarker` is an unexpected response.
pub fn parse_list_object_versions(
    response: Response<Vec<u8>>,
) -> Result<ListObjectVersionsPage, S3Error> {
    let root = result_document(&response, "ListVersionsResult")?;
    let url_encoded = root.child_text("EncodingType").map(str::trim) == Some("url");
    let mut page = ListObjectVersionsPage {
        is_truncated: is_true(&root, "IsTruncated"),
        next_version_id_marker: root
            .child_text("NextVersionIdMarker")
            .filter(|v| !v.is_empty())
            .map(str::to_string),
        ..ListObjectVersionsPage::default()
    };
    if let Some(marker) = root.child_text("NextKeyMarker").filter(|m| !m.is_empty()) {
        page.next_key_marker = Some(decoded(&response, marker, url_encoded)?);
    }
    for item in root.children() {
        let is_delete_marker = match item.name() {
            "Version" => false,
            "DeleteMarker" => true,
            "CommonPrefixes" => {
                let text = item.child_text("Prefix").ok_or_else(|| {
                    S3Error::unexpected_response(&response, "common prefix without Prefix")
                })?;
                page.common_prefixes
                    .push(decoded(&response, text, url_encoded)?);
                continue;
            }
            _ => continue,
        };
        let key = item
            .child_text("Key")
            .ok_or_else(|| S3Error::unexpected_response(&response, "listed version without Key"))?;
        let version_id = item.child_text("VersionId").ok_or_else(|| {
            S3Error::unexpected_response(&response, "listed version without VersionId")
        })?;
        let size = if is_delete_marker {
            0
        } else {
            number(
                &response,
                item.child_text("Size"),
                "listed version without Size",
            )?
        };
        page.versions.push(ObjectVersion {
            key: decoded(&response, key, url_encoded)?,
            version_id: version_id.trim().to_string(),
            is_latest: is_true(item, "IsLatest"),
            last_modified: item.child_text("LastModified").and_then(parse_iso8601),
            is_delete_marker,
            size,
            etag: item.child_text("ETag").map(str::to_string),
        });
    }
    if page.is_truncated && page.next_key_marker.is_none() {
        return Err(S3Error::unexpected_response(
            &response,
            "truncated version listing without NextKeyMarker",
        ));
    }
    Ok(page)
}
