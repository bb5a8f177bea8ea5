//! Writes whose answer may have been lost. A retry of a conditional or
//! non-idempotent write can fail because of its own first attempt, which S3 carried
//! out though its answer never came back: `If-None-Match: *` finds the object that
//! attempt stored (412 PreconditionFailed), CompleteMultipartUpload finds the
//! upload already completed (`NoSuchUpload`). The retry may be the app's or the
//! browser's own (a kept-alive connection that closes before the answer is sent
//! again unseen), so before any such failure is reported, [`Session::holds`] asks
//! S3 what it holds now (a HEAD with the stored CRC32): only a real conflict is
//! reported as one. (`shared/reference/aws-wire.md` §6.3.)

use super::{CallError, Session};
use crate::model::transport::SendOptions;
use cubby_core::s3::{self, ObjectMetadata, S3Error};

/// What a write leaves in S3 once it was carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intended<'a> {
    /// PutObject or CompleteMultipartUpload: `key` holds `size` bytes whose CRC32
    /// is `crc32` (base64, as S3 reports it: for a multipart object the composite
    /// `<base64>-<parts>`). Without a CRC32 nothing can be confirmed: the same
    /// size alone does not make another object this one.
    Object {
        key: &'a str,
        size: u64,
        crc32: Option<&'a str>,
    },
    /// CopyObject: `target` holds what `source` holds (same size, and the same
    /// ETag or CRC32).
    Copy { source: &'a str, target: &'a str },
}

impl Intended<'_> {
    /// Whether `error`, met by a retry, is what an earlier attempt of this write
    /// causes once S3 carried it out: 412 from `If-None-Match: *`, or
    /// `NoSuchUpload` from a completed multipart upload.
    pub fn explains(&self, error: &S3Error) -> bool {
        error.is_precondition_failed()
            || (matches!(self, Intended::Object { .. })
                && error.is_service_error()
                && error.code() == Some("NoSuchUpload"))
    }
}

impl Session {
    /// Whether S3 holds now what `intended` says the write leaves (HEADs with
    /// `x-amz-checksum-mode: ENABLED`). A key that is not there (404, or 403 as a
    /// missing key reads without ListBucket) does not hold it.
    ///
    /// # Errors
    ///
    /// A HEAD that failed otherwise ([`CallError`]): S3 could not be asked.
    pub async fn holds(&self, intended: &Intended<'_>) -> Result<bool, CallError> {
        match *intended {
            Intended::Object { key, size, crc32 } => {
                Ok(self.stored(key).await?.is_some_and(|stored| {
                    stored.size == size
                        && crc32.is_some()
                        && stored.checksum_crc32.as_deref() == crc32
                }))
            }
            Intended::Copy { source, target } => {
                let Some(copy) = self.stored(target).await? else {
                    return Ok(false);
                };
                let Some(original) = self.stored(source).await? else {
                    return Ok(false);
                };
                let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
                Ok(copy.size == original.size
                    && (same(&copy.etag, &original.etag)
                        || same(&copy.checksum_crc32, &original.checksum_crc32)))
            }
        }
    }

    /// What S3 reports of `key` (`None` when it is not there).
    async fn stored(&self, key: &str) -> Result<Option<ObjectMetadata>, CallError> {
        let head = self
            .s3(
                |ctx| s3::build_head_object(ctx, key),
                s3::parse_head_object,
                SendOptions::default(),
            )
            .await;
        match head {
            Ok(stored) => Ok(Some(stored)),
            Err(CallError::S3(e)) if e.is_not_found() || e.is_access_denied() => Ok(None),
            Err(e) => Err(e),
        }
    }
}
