//! Object operations on `s3s-fs`: the storage layer behind the policy hook. It adds
//! what S3 does and `s3s-fs` does not: folder marker keys, opaque continuation
//! tokens, `encoding-type=url`, checksums only on request, conditional copy,
//! per-key DeleteObjects authorisation, missing keys as AccessDenied, and uploads
//! bound to the identity rather than the (changing) temporary access key. Multipart
//! operations are in [`super::multipart`].

use super::access::{access_denied, identity_for};
use super::versioned::{Keep, Versions};
use crate::policy::{Resources, ACCESS_RULE};
use crate::state::State;
use base64::Engine as _;
use http::{HeaderMap, Method};
use s3s::auth::{Credentials, SecretKey};
use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result, S3};
use std::sync::Arc;

/// The S3 service `s3s` calls once a request has passed the signature and the policy.
pub(super) struct CubbyS3 {
    pub(super) fs: s3s_fs::FileSystem,
    /// Older versions and delete markers (`s3s-fs` keeps only current objects).
    pub(super) versions: Versions,
    /// The sorted keys of each bucket, for listings.
    pub(super) index: Arc<super::listing::KeyIndex>,
    pub(super) state: Arc<State>,
    /// The s3s-fs root (buckets are folders in it; upload parts and records are files).
    pub(super) root: std::path::PathBuf,
}

impl CubbyS3 {
    /// s3s-fs binds multipart uploads to the access key; temporary keys change every
    /// refresh while AWS binds uploads to the account, so hand it the identity instead.
    pub(super) fn stable<T>(&self, mut req: S3Request<T>) -> S3Request<T> {
        if let Some(id) = req
            .credentials
            .as_ref()
            .and_then(|c| identity_for(&self.state, &c.access_key))
        {
            req.credentials = Some(Credentials {
                access_key: id,
                secret_key: SecretKey::from("unused"),
            });
        }
        req
    }

    pub(super) fn identity<T>(&self, req: &S3Request<T>) -> Option<String> {
        req.credentials
            .as_ref()
            .and_then(|c| identity_for(&self.state, &c.access_key))
    }
}

/// A missing key reads as AccessDenied: the policy's ListBucket is prefix-conditioned,
/// so S3 does not reveal whether a key exists. So does a key whose latest version is
/// a delete marker: S3's 404 with `x-amz-delete-marker` needs s3:ListBucket too
/// (awsdocs/amazon-s3-developer-guide#49: a 403 seen, the guide corrected).
pub(super) fn hide_missing<T>(r: S3Result<T>) -> S3Result<T> {
    r.map_err(|e| {
        if *e.code() == s3s::S3ErrorCode::NoSuchKey {
            access_denied()
        } else {
            e
        }
    })
}

/// Whether s3s-fs can store `key` as written. S3 keys are literal, but s3s-fs maps
/// them to paths and resolves `.`, `..` and empty segments (`//`) on the way: the
/// policy would check `private/<alice>/../<bob>/x` as a key under Alice's prefix while
/// the file store reached Bob's `x`. Such keys are refused everywhere a key is named
/// (object operations, copy sources, DeleteObjects, multipart); an S3 that stores them
/// literally is only ever more permissive. A trailing slash (a folder marker) is fine.
pub(super) fn is_storable_key(key: &str) -> bool {
    let segments = key.strip_suffix('/').unwrap_or(key);
    !key.is_empty()
        && segments
            .split('/')
            .all(|segment| !matches!(segment, "" | "." | ".."))
}

/// The refusal of a key [`is_storable_key`] rejects.
pub(super) fn unstorable_key() -> s3s::S3Error {
    s3_error!(
        InvalidArgument,
        "The emulator does not store keys with \".\", \"..\" or empty path segments \
         (S3 would store them literally)."
    )
}

/// s3s-fs maps keys to files, so a "folder" marker key (`photos/`) would be a
/// directory that lists as nothing. It is stored as this file inside the folder and
/// mapped back in every answer. `\u{1}` sorts before any real key in the folder,
/// which keeps listings in S3's order.
const MARKER: &str = "\u{1}cubby-folder-marker";

pub(super) fn fs_key(key: &str) -> String {
    if key.ends_with('/') {
        format!("{key}{MARKER}")
    } else {
        key.to_string()
    }
}

pub(super) fn s3_key(key: &str) -> String {
    match key.strip_suffix(MARKER) {
        Some(folder) if folder.ends_with('/') => folder.to_string(),
        _ => key.to_string(),
    }
}

const URL_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

pub(super) fn url_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, URL_ENCODE).to_string()
}

#[async_trait::async_trait]
impl S3 for CubbyS3 {
    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let mut req = self.stable(req);
        let original_token = req.input.continuation_token.clone();
        if let Some(token) = &original_token {
            let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(token)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    s3_error!(
                        InvalidArgument,
                        "The continuation token provided is incorrect"
                    )
                })?;
            req.input.continuation_token = Some(decoded);
        }
        let url = req
            .input
            .encoding_type
            .as_ref()
            .is_some_and(|e| e.as_str() == EncodingType::URL);
        let mut resp = S3Response::new(self.list_v2(req.input).await?);
        let out = &mut resp.output;
        out.continuation_token = original_token;
        out.next_continuation_token = out
            .next_continuation_token
            .take()
            .map(|t| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(t));
        if url {
            for o in out.contents.iter_mut().flatten() {
                o.key = o.key.as_deref().map(url_encode);
            }
            for p in out.common_prefixes.iter_mut().flatten() {
                p.prefix = p.prefix.as_deref().map(url_encode);
            }
            out.prefix = out.prefix.as_deref().map(url_encode);
            out.delimiter = out.delimiter.as_deref().map(url_encode);
            out.start_after = out.start_after.as_deref().map(url_encode);
        }
        Ok(resp)
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let mut resp = self.fs.list_objects(self.stable(req)).await?;
        for o in resp.output.contents.iter_mut().flatten() {
            o.key = o.key.as_deref().map(s3_key);
        }
        Ok(resp)
    }

    async fn get_object(
        &self,
        mut req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let version = req.input.version_id.take();
        let (bucket, key, shown) = hide_missing(
            self.read_target(&req.input.bucket, &req.input.key, version)
                .await,
        )?;
        (req.input.bucket, req.input.key) = (bucket, key);
        let mut resp = hide_missing(self.fs.get_object(self.stable(req)).await)?;
        resp.output.version_id = shown;
        Ok(resp)
    }

    async fn head_object(
        &self,
        mut req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let version = req.input.version_id.take();
        let (bucket, key, shown) = hide_missing(
            self.read_target(&req.input.bucket, &req.input.key, version)
                .await,
        )?;
        (req.input.bucket, req.input.key) = (bucket, key);
        // Like S3, stored checksums only with `x-amz-checksum-mode: ENABLED`.
        let checksum_mode = req
            .headers
            .get("x-amz-checksum-mode")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"ENABLED"));
        let mut resp = hide_missing(self.fs.head_object(self.stable(req)).await)?;
        if !checksum_mode {
            let out = &mut resp.output;
            out.checksum_crc32 = None;
            out.checksum_crc32c = None;
            out.checksum_sha1 = None;
            out.checksum_sha256 = None;
            out.checksum_crc64nvme = None;
        }
        resp.output.version_id = shown;
        Ok(resp)
    }

    async fn put_object(
        &self,
        mut req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let (bucket, key) = (req.input.bucket.to_string(), req.input.key.clone());
        req.input.key = fs_key(&key);
        let write = self.fs.put_object(self.stable(req));
        let (mut resp, id) = self
            .versioned_write(&bucket, &key, Keep::Link, write)
            .await?;
        resp.output.version_id = id;
        Ok(resp)
    }

    async fn copy_object(
        &self,
        mut req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let (bucket, key) = (req.input.bucket.to_string(), req.input.key.clone());
        req.input.key = fs_key(&key);
        let (source, source_version) = self.copy_source(&req.input.copy_source).await?;
        req.input.copy_source = source;
        if req.input.copy_source_if_none_match.is_none() {
            // If-None-Match: * on the target (conditional copy).
            if let Some(cond) = req.headers.get("if-none-match") {
                if cond.as_bytes() == b"*" {
                    let head = HeadObjectInput::builder()
                        .bucket(req.input.bucket.clone())
                        .key(req.input.key.clone())
                        .build()
                        .map_err(|_| s3_error!(InternalError))?;
                    let head_req = S3Request {
                        input: head,
                        method: Method::HEAD,
                        uri: req.uri.clone(),
                        headers: HeaderMap::new(),
                        extensions: http::Extensions::new(),
                        credentials: None,
                        region: None,
                        service: None,
                        trailing_headers: None,
                    };
                    if self.fs.head_object(head_req).await.is_ok() {
                        return Err(s3_error!(PreconditionFailed));
                    }
                }
            }
        }
        let write = async { hide_missing(self.fs.copy_object(self.stable(req)).await) };
        let (mut resp, id) = self
            .versioned_write(&bucket, &key, Keep::Copy, write)
            .await?;
        resp.output.version_id = id;
        resp.output.copy_source_version_id = source_version;
        Ok(resp)
    }

    async fn delete_object(
        &self,
        mut req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let (bucket, key) = (&req.input.bucket, &req.input.key);
        let output = match req.input.version_id.take() {
            Some(id) => DeleteObjectOutput {
                delete_marker: self.delete_version(bucket, key, &id).await?.then_some(true),
                version_id: Some(id),
                ..DeleteObjectOutput::default()
            },
            None => {
                let marker = self.delete_current(bucket, key).await?;
                DeleteObjectOutput {
                    delete_marker: marker.is_some().then_some(true),
                    version_id: marker,
                    ..DeleteObjectOutput::default()
                }
            }
        };
        let mut resp = S3Response::new(output);
        resp.status = Some(http::StatusCode::NO_CONTENT);
        Ok(resp)
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let identity = self.identity(&req).ok_or_else(access_denied)?;
        let quiet = req.input.delete.quiet.unwrap_or(false);
        let mut req = req;
        let objects = std::mem::take(&mut req.input.delete.objects);
        let (storable, unstorable): (Vec<_>, Vec<_>) =
            objects.into_iter().partition(|o| is_storable_key(&o.key));
        let (allowed, denied): (Vec<_>, Vec<_>) = storable.into_iter().partition(|o| {
            let resources = Resources {
                key: Some(&o.key),
                ..Resources::default()
            };
            let operation = match o.version_id {
                Some(_) => "DeleteObjects?versionId",
                None => "DeleteObjects",
            };
            ACCESS_RULE.authorize(&identity, operation, &resources)
        });
        let bucket = req.input.bucket.clone();
        let mut deleted = vec![];
        let mut errors = vec![];
        // The current-version deletes go in one batch (one save of the version
        // record), each answered in the request's order.
        let plain: Vec<String> = allowed
            .iter()
            .filter(|o| o.version_id.is_none())
            .map(|o| o.key.clone())
            .collect();
        let mut plain_results = self.delete_current_many(&bucket, &plain).await?.into_iter();
        for o in allowed {
            let done = match &o.version_id {
                Some(id) => self
                    .delete_version(&bucket, &o.key, id)
                    .await
                    .map(|marker| DeletedObject {
                        delete_marker: marker.then_some(true),
                        delete_marker_version_id: marker.then(|| id.clone()),
                        version_id: Some(id.clone()),
                        key: Some(o.key.clone()),
                    }),
                None => plain_results
                    .next()
                    .unwrap_or_else(|| Err(s3_error!(InternalError)))
                    .map(|marker| DeletedObject {
                        delete_marker: marker.is_some().then_some(true),
                        delete_marker_version_id: marker,
                        version_id: None,
                        key: Some(o.key.clone()),
                    }),
            };
            match done {
                Ok(d) => deleted.push(d),
                Err(e) => errors.push(s3s::dto::Error {
                    code: Some(e.code().as_str().into()),
                    key: Some(o.key),
                    message: e.message().map(str::to_string),
                    version_id: o.version_id,
                }),
            }
        }
        let mut output = DeleteObjectsOutput {
            deleted: Some(deleted),
            ..DeleteObjectsOutput::default()
        };
        for o in denied {
            errors.push(s3s::dto::Error {
                code: Some("AccessDenied".into()),
                key: Some(o.key),
                message: Some("Access Denied".into()),
                version_id: o.version_id,
            });
        }
        for o in unstorable {
            let refusal = unstorable_key();
            errors.push(s3s::dto::Error {
                code: Some(refusal.code().as_str().into()),
                key: Some(o.key),
                message: refusal.message().map(str::to_string),
                version_id: o.version_id,
            });
        }
        if quiet {
            output.deleted = None;
        }
        let xml = super::versions::delete_result_xml(
            output.deleted.as_deref().unwrap_or_default(),
            &errors,
        );
        output.errors = (!errors.is_empty()).then_some(errors);
        let mut resp = S3Response::new(output);
        resp.extensions.insert(super::version_list::XmlBody(xml));
        Ok(resp)
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.create_upload(req).await
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        self.put_part(req).await
    }

    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        self.copy_part(req).await
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        self.list_upload_parts(req).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let (bucket, key) = (req.input.bucket.to_string(), req.input.key.clone());
        let write = self.complete_upload(req);
        let (mut resp, id) = self
            .versioned_write(&bucket, &key, Keep::Link, write)
            .await?;
        resp.output.version_id = id;
        Ok(resp)
    }

    async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        self.list_versions(req).await
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.abort_upload(req).await
    }
}
