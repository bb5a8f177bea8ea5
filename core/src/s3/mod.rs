//! S3 over its REST API: addressing, SigV4 signing with S3's settings, one
//! `build_*` / `parse_*` pair per operation, the multipart part planner and
//! presigned download URLs; reads, copies and presigned URLs of one version and
//! the version listing.
//!
//! Every `build_*` takes a [`RequestContext`] (bucket, credentials, signing time) and
//! returns a signed `http::Request<Vec<u8>>`; every `parse_*` takes the
//! `http::Response<Vec<u8>>` and returns the typed result or an [`S3Error`].

mod content_type;
mod error;
mod keys;
mod multipart;
mod multipart_list;
mod objects;
mod plan;
mod presign;
pub mod signing;
mod versions;
mod writes;

use std::time::SystemTime;

use http::header::{HeaderName, HeaderValue};
use http::{Method, Request, Response};

use crate::crc32;
use crate::credentials::Credentials;
use crate::encoding::{base64_encode, uri_encode};

pub use content_type::{content_type_for, is_inline_safe, FALLBACK as FALLBACK_CONTENT_TYPE};
pub use error::S3Error;
pub use keys::{check_key_length, plan_deletes, DeletePlan, KeyTooLong, MAX_KEY_BYTES};
pub use multipart::{
    build_abort_multipart_upload, build_complete_multipart_upload, build_create_multipart_upload,
    build_upload_part, build_upload_part_detached, parse_abort_multipart_upload,
    parse_complete_multipart_upload, parse_create_multipart_upload, parse_upload_part,
    CompleteMultipartUploadOutput, CompletedPart, UploadPartOutput,
};
pub use multipart_list::{
    build_list_multipart_uploads, build_list_parts, parse_list_multipart_uploads, parse_list_parts,
    ListPartsPage, ListUploadsPage, PartSummary, UploadSummary,
};
pub use objects::{
    build_get_object, build_get_object_version, build_head_object, build_head_object_version,
    build_list_objects, parse_get_object, parse_head_object, parse_list_objects, ByteRange,
    GetObjectOutput, ListObjectsPage, ListObjectsRequest, ObjectMetadata, ObjectSummary,
};
pub use plan::{plan_parts, PartPlan, MAX_PARTS, MAX_PART_SIZE, MAX_UPLOAD_SIZE, MIN_PART_SIZE};
pub use presign::{presign_get, presign_get_version, PresignedUrl, Serve, MAX_PRESIGN_SECONDS};
pub use signing::{signing_time, PayloadSigning};
pub use versions::{
    build_list_object_versions, parse_list_object_versions, ListObjectVersionsPage,
    ListObjectVersionsRequest, ObjectVersion, NULL_VERSION_ID,
};
pub use writes::{
    build_copy_object, build_copy_object_version, build_delete_object, build_delete_objects,
    build_put_object, parse_copy_object, parse_delete_object, parse_delete_objects,
    parse_put_object, CopyObjectOutput, DeleteFailure, DeleteObjectsOutput, PutObjectOutput,
    PutObjectRequest, MAX_DELETE_KEYS,
};

/// Marks (in the request's extensions) a read of an object's bytes or metadata,
/// whose answer must come from S3 and never from the browser's HTTP cache: S3
/// sends `Last-Modified`, so a cache could otherwise serve an overwritten object's
/// old bytes. Other calls leave the cache alone, as bypassing it also bypasses
/// Chromium's CORS preflight cache and costs a round trip per call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectRead;

/// Where the bucket is reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// AWS itself, virtual-hosted style: `https://<bucket>.s3.<region>.amazonaws.com/<key>`.
    Aws,
    /// A custom endpoint, path style: `<url>/<bucket>/<key>` (the emulator, MinIO,
    /// dotted bucket names over TLS).
    PathStyle {
        /// `http(s)://host[:port][/path]`, no trailing slash needed.
        url: String,
    },
    /// A custom endpoint, virtual-hosted style: `<scheme>://<bucket>.<host>/<key>`.
    VirtualHosted {
        /// `http(s)://host[:port][/path]`; the bucket name goes before `host`.
        url: String,
    },
}

/// One bucket at one endpoint, with the region requests are signed for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
    name: String,
    region: String,
    endpoint: Endpoint,
}

impl Bucket {
    /// Checks the names enough to build well-formed URLs: the bucket must be a
    /// valid S3 bucket name, the region non-empty `[a-z0-9-]`, a custom URL
    /// `http(s)://host[:port][/path]` without query or fragment.
    ///
    /// # Errors
    /// Invalid input when one of those checks fails.
    pub fn new(name: &str, region: &str, endpoint: Endpoint) -> Result<Self, S3Error> {
        let bucket_ok = (3..=63).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && name.as_bytes()[0].is_ascii_alphanumeric()
            && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric();
        if !bucket_ok {
            return Err(S3Error::invalid_input(
                "bucket name is not a valid S3 bucket name",
            ));
        }
        let region_ok = !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !region_ok {
            return Err(S3Error::invalid_input(
                "region is not a valid AWS region name",
            ));
        }
        let endpoint = match endpoint {
            Endpoint::Aws => Endpoint::Aws,
            Endpoint::PathStyle { url } => Endpoint::PathStyle {
                url: checked_base_url(&url)?,
            },
            Endpoint::VirtualHosted { url } => Endpoint::VirtualHosted {
                url: checked_base_url(&url)?,
            },
        };
        Ok(Bucket {
            name: name.to_string(),
            region: region.to_string(),
            endpoint,
        })
    }

    /// The bucket name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The region requests are signed for, e.g. `us-east-1`.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Where the bucket is reached.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The bucket's URL without a trailing slash: bucket-level operations append
    /// `/?query`, object operations `/<encoded key>`.
    fn base_url(&self) -> String {
        match &self.endpoint {
            Endpoint::Aws => format!("https://{}.s3.{}.amazonaws.com", self.name, self.region),
            Endpoint::PathStyle { url } => format!("{url}/{}", self.name),
            Endpoint::VirtualHosted { url } => match url.split_once("://") {
                Some((scheme, rest)) => format!("{scheme}://{}.{rest}", self.name),
                None => url.clone(),
            },
        }
    }

    /// The URL of bucket-level operations (list, delete many): `.../` or `.../<bucket>`.
    pub fn bucket_url(&self) -> String {
        match self.endpoint {
            // Path style names the bucket in the path; `/<bucket>` without a slash is
            // what the SDKs send.
            Endpoint::PathStyle { .. } => self.base_url(),
            _ => format!("{}/", self.base_url()),
        }
    }

    /// The URL of an object: the key encoded by [`encode_key`], no normalisation.
    pub fn object_url(&self, key: &str) -> String {
        format!("{}/{}", self.base_url(), encode_key(key))
    }
}

fn checked_base_url(url: &str) -> Result<String, S3Error> {
    let url = url.trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let ok = match rest {
        Some(rest) => {
            !rest.is_empty()
                && !rest.starts_with('/')
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && !b"?#@\\".contains(&b))
        }
        None => false,
    };
    if ok {
        Ok(url.to_string())
    } else {
        Err(S3Error::invalid_input(
            "endpoint must be an http(s) URL without query, fragment or user info",
        ))
    }
}

/// [`check_key_length`] as a builder's error: every builder that names a key to
/// create calls it, so a key S3 would refuse is never sent.
fn checked_new_key(key: &str) -> Result<(), S3Error> {
    check_key_length(key).map_err(S3Error::key_too_long_input)
}

/// An object key as it goes in a URL path and the canonical request: every byte
/// UriEncoded once except `/`; `a/.././b` stays as written.
pub fn encode_key(key: &str) -> String {
    uri_encode(key, true)
}

/// The signing inputs every `build_*` needs.
#[derive(Clone, Copy, Debug)]
pub struct RequestContext<'a> {
    /// The bucket the request goes to.
    pub bucket: &'a Bucket,
    /// What the request is signed with.
    pub credentials: &'a Credentials,
    /// Signing time: the device clock with the clock offset applied (see
    /// [`signing_time`]).
    pub time: SystemTime,
}

/// `x-amz-checksum-crc32` of a body: the big-endian CRC32, base64.
pub fn crc32_checksum(body: &[u8]) -> String {
    let mut crc = Crc32::default();
    crc.update(body);
    crc.finish()
}

/// [`crc32_checksum`] of bytes that arrive in pieces (a part read from a file a
/// chunk at a time, so the whole part is never in memory).
#[derive(Clone, Default)]
pub struct Crc32(crc32::Crc32);

impl Crc32 {
    /// Feeds the next `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The `x-amz-checksum-crc32` value: base64 of the big-endian CRC32.
    pub fn finish(self) -> String {
        base64_encode(&self.0.value().to_be_bytes())
    }
}

/// Query string from already-decoded pairs; a `None` value gives a bare name
/// (`?uploads`).
fn query_string(pairs: &[(&str, Option<&str>)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| match value {
            Some(v) => format!("{}={}", uri_encode(name, false), uri_encode(v, false)),
            None => uri_encode(name, false),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn with_query(url: String, pairs: &[(&str, Option<&str>)]) -> String {
    if pairs.is_empty() {
        url
    } else {
        format!("{url}?{}", query_string(pairs))
    }
}

/// Assembles and signs one request.
fn signed_request(
    ctx: &RequestContext<'_>,
    method: Method,
    url: &str,
    headers: &[(&'static str, String)],
    body: Vec<u8>,
    payload: PayloadSigning,
) -> Result<Request<Vec<u8>>, S3Error> {
    let mut request = Request::builder()
        .method(method)
        .uri(url)
        .body(body)
        .map_err(|_| S3Error::invalid_input("request URL is not valid"))?;
    for (name, value) in headers {
        let value = HeaderValue::from_str(value)
            .map_err(|_| S3Error::invalid_input("header value is not valid"))?;
        request
            .headers_mut()
            .insert(HeaderName::from_static(name), value);
    }
    signing::sign_s3_request(
        &mut request,
        ctx.credentials,
        ctx.bucket.region(),
        ctx.time,
        payload,
    )?;
    Ok(request)
}

/// A successful status, or the service error the response carries.
fn check_status(response: &Response<Vec<u8>>) -> Result<(), S3Error> {
    if response.status().is_success() {
        Ok(())
    } else {
        Err(S3Error::from_response(response))
    }
}

fn header<'r>(response: &'r Response<Vec<u8>>, name: &str) -> Option<&'r str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The XML result document of a successful call: the status is checked, an
/// `<Error>` sent with a 200 becomes an error, and the root must be `expected`.
fn result_document(
    response: &Response<Vec<u8>>,
    expected: &str,
) -> Result<crate::xml::Element, S3Error> {
    check_status(response)?;
    let root = parse_body(response)?;
    if root.name() != expected {
        return Err(S3Error::unexpected_response(
            response,
            &format!("expected {expected}"),
        ));
    }
    Ok(root)
}

fn parse_body(response: &Response<Vec<u8>>) -> Result<crate::xml::Element, S3Error> {
    let root = crate::xml::parse_bytes(response.body())
        .map_err(|_| S3Error::unexpected_response(response, "response body is not valid XML"))?;
    // Some operations (CopyObject, CompleteMultipartUpload) answer 200 with an error
    // document when they fail after the status line was sent.
    if root.name() == "Error" {
        return Err(S3Error::from_error_document(response, &root));
    }
    Ok(root)
}
