//! The access policy hook: `s3s` asks [`Policy`] before each operation, which allows
//! it when the per-identity IAM policy of [`crate::policy::ACCESS_RULE`] does
//! (`private/<identity id>/` only). Its AccessDenied is S3's, which never says which
//! part of the policy refused.

use super::objects::{is_storable_key, unstorable_key};
use crate::policy::{Resources, ACCESS_RULE};
use crate::state::State;
use s3s::access::{S3Access, S3AccessContext};
use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Result};
use std::sync::Arc;

/// The per-identity IAM policy, as an `s3s` access hook.
pub(super) struct Policy {
    pub(super) state: Arc<State>,
}

/// S3's AccessDenied, worded as S3 words it.
pub(super) fn access_denied() -> s3s::S3Error {
    s3_error!(AccessDenied, "Access Denied")
}

impl Policy {
    /// Allows `operation` on `resources` in `bucket` when [`ACCESS_RULE`] does for the
    /// caller's identity (only the configured bucket exists).
    fn authorize<T>(
        &self,
        req: &S3Request<T>,
        operation: &str,
        bucket: &str,
        resources: Resources,
    ) -> S3Result<()> {
        let cred = req.credentials.as_ref().ok_or_else(access_denied)?;
        let identity = identity_for(&self.state, &cred.access_key).ok_or_else(access_denied)?;
        if bucket == self.state.config.bucket
            && ACCESS_RULE.authorize(&identity, operation, &resources)
        {
            Ok(())
        } else {
            Err(access_denied())
        }
    }

    fn object<T>(
        &self,
        req: &S3Request<T>,
        operation: &str,
        bucket: &str,
        key: &str,
    ) -> S3Result<()> {
        if !is_storable_key(key) {
            return Err(unstorable_key());
        }
        let resources = Resources {
            key: Some(key),
            ..Resources::default()
        };
        self.authorize(req, operation, bucket, resources)
    }

    fn listing<T>(
        &self,
        req: &S3Request<T>,
        operation: &str,
        bucket: &str,
        prefix: Option<&str>,
    ) -> S3Result<()> {
        let resources = Resources {
            prefix,
            ..Resources::default()
        };
        self.authorize(req, operation, bucket, resources)
    }

    fn copy<T>(
        &self,
        req: &S3Request<T>,
        operation: &str,
        bucket: &str,
        key: &str,
        source: &CopySource,
    ) -> S3Result<()> {
        let CopySource::Bucket {
            bucket: source_bucket,
            key: source_key,
            version_id,
        } = source
        else {
            return Err(access_denied());
        };
        // From a given version: IAM's s3:GetObjectVersion on the source.
        let operation = match (operation, version_id) {
            ("CopyObject", Some(_)) => "CopyObject?versionId",
            ("UploadPartCopy", Some(_)) => "UploadPartCopy?versionId",
            (operation, _) => operation,
        };
        if **source_bucket != *bucket {
            return Err(access_denied());
        }
        if !is_storable_key(key) || !is_storable_key(source_key) {
            return Err(unstorable_key());
        }
        let resources = Resources {
            key: Some(key),
            copy_source_key: Some(source_key),
            prefix: None,
        };
        self.authorize(req, operation, bucket, resources)
    }
}

/// The identity id the temporary `access_key` was issued to, while it is known.
pub(super) fn identity_for(state: &State, access_key: &str) -> Option<String> {
    state
        .lock()
        .credentials
        .get(access_key)
        .map(|c| c.identity_id.clone())
}

#[async_trait::async_trait]
impl S3Access for Policy {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let Some(cred) = cx.credentials() else {
            return Err(access_denied());
        };
        if identity_for(&self.state, &cred.access_key).is_none() {
            return Err(s3_error!(InvalidAccessKeyId));
        }
        if ACCESS_RULE.may_perform(cx.s3_op().name()) {
            Ok(())
        } else {
            Err(access_denied())
        }
    }

    async fn list_objects_v2(&self, req: &mut S3Request<ListObjectsV2Input>) -> S3Result<()> {
        let (bucket, prefix) = (&req.input.bucket, req.input.prefix.as_deref());
        self.listing(req, "ListObjectsV2", bucket, prefix)
    }

    async fn list_objects(&self, req: &mut S3Request<ListObjectsInput>) -> S3Result<()> {
        let (bucket, prefix) = (&req.input.bucket, req.input.prefix.as_deref());
        self.listing(req, "ListObjects", bucket, prefix)
    }

    async fn list_object_versions(
        &self,
        req: &mut S3Request<ListObjectVersionsInput>,
    ) -> S3Result<()> {
        let (bucket, prefix) = (&req.input.bucket, req.input.prefix.as_deref());
        self.listing(req, "ListObjectVersions", bucket, prefix)
    }

    async fn get_object(&self, req: &mut S3Request<GetObjectInput>) -> S3Result<()> {
        let operation = match req.input.version_id {
            Some(_) => "GetObject?versionId",
            None => "GetObject",
        };
        self.object(req, operation, &req.input.bucket, &req.input.key)
    }

    async fn head_object(&self, req: &mut S3Request<HeadObjectInput>) -> S3Result<()> {
        let operation = match req.input.version_id {
            Some(_) => "HeadObject?versionId",
            None => "HeadObject",
        };
        self.object(req, operation, &req.input.bucket, &req.input.key)
    }

    async fn put_object(&self, req: &mut S3Request<PutObjectInput>) -> S3Result<()> {
        self.object(req, "PutObject", &req.input.bucket, &req.input.key)
    }

    async fn copy_object(&self, req: &mut S3Request<CopyObjectInput>) -> S3Result<()> {
        let i = &req.input;
        self.copy(req, "CopyObject", &i.bucket, &i.key, &i.copy_source)
    }

    async fn delete_object(&self, req: &mut S3Request<DeleteObjectInput>) -> S3Result<()> {
        let operation = match req.input.version_id {
            Some(_) => "DeleteObject?versionId",
            None => "DeleteObject",
        };
        self.object(req, operation, &req.input.bucket, &req.input.key)
    }

    async fn delete_objects(&self, req: &mut S3Request<DeleteObjectsInput>) -> S3Result<()> {
        // Keys are authorised one by one in `CubbyS3::delete_objects`.
        let cred = req.credentials.as_ref().ok_or_else(access_denied)?;
        if req.input.bucket == self.state.config.bucket
            && identity_for(&self.state, &cred.access_key).is_some()
        {
            Ok(())
        } else {
            Err(access_denied())
        }
    }

    async fn create_multipart_upload(
        &self,
        req: &mut S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<()> {
        let i = &req.input;
        self.object(req, "CreateMultipartUpload", &i.bucket, &i.key)
    }

    async fn upload_part(&self, req: &mut S3Request<UploadPartInput>) -> S3Result<()> {
        self.object(req, "UploadPart", &req.input.bucket, &req.input.key)
    }

    async fn upload_part_copy(&self, req: &mut S3Request<UploadPartCopyInput>) -> S3Result<()> {
        let i = &req.input;
        self.copy(req, "UploadPartCopy", &i.bucket, &i.key, &i.copy_source)
    }

    async fn complete_multipart_upload(
        &self,
        req: &mut S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<()> {
        let i = &req.input;
        self.object(req, "CompleteMultipartUpload", &i.bucket, &i.key)
    }

    async fn abort_multipart_upload(
        &self,
        req: &mut S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<()> {
        let i = &req.input;
        self.object(req, "AbortMultipartUpload", &i.bucket, &i.key)
    }

    async fn list_parts(&self, req: &mut S3Request<ListPartsInput>) -> S3Result<()> {
        self.object(req, "ListParts", &req.input.bucket, &req.input.key)
    }
}
