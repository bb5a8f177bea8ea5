//! Reading objects: the first bytes of one (previews, thumbnails) and presigned
//! GETs of one or of one of its versions (downloads, share links, opening in a new
//! tab).

use crate::model::session::{CallError, Session};
use crate::model::transport::{AbortSignal, SendOptions};
use cubby_core::s3::{self, PresignedUrl};

/// The first `max_bytes` of an object (for previews and thumbnails); `abort` cuts
/// the read off (then `CallError::Aborted`).
pub async fn read_start(
    session: &Session,
    key: &str,
    max_bytes: u64,
    abort: Option<AbortSignal>,
) -> Result<Vec<u8>, CallError> {
    let range = s3::ByteRange {
        first: 0,
        last: Some(max_bytes.saturating_sub(1)),
    };
    session
        .s3(
            |ctx| s3::build_get_object(ctx, key, Some(range)),
            s3::parse_get_object,
            SendOptions {
                abort,
                ..SendOptions::default()
            },
        )
        .await
        .map(|out| out.body)
}

/// A presigned GET for `key`, living `seconds` at most (capped by the credentials'
/// life). With `download_as`, the browser saves the file under that name; without,
/// it opens it only if its name's type is safe to show inline (else saves it), with
/// that type forced whatever the object was stored with ([`s3::Serve`]).
pub async fn presigned_get(
    session: &Session,
    key: &str,
    seconds: u64,
    download_as: Option<&str>,
) -> Result<PresignedUrl, CallError> {
    presigned_get_version(session, key, None, seconds, download_as).await
}

/// [`presigned_get`] of one version of `key` (`versionId`), or of the current
/// object when `version_id` is `None`.
///
/// # Errors
/// As [`presigned_get`].
pub async fn presigned_get_version(
    session: &Session,
    key: &str,
    version_id: Option<&str>,
    seconds: u64,
    download_as: Option<&str>,
) -> Result<PresignedUrl, CallError> {
    let credentials = session.credentials().await.map_err(CallError::Auth)?;
    let bucket = crate::model::session::bucket_for(&session.config).map_err(CallError::S3)?;
    let ctx = s3::RequestContext {
        bucket: &bucket,
        credentials: &credentials,
        time: session.signing_time(),
    };
    let serve = download_as.map_or(s3::Serve::Open, s3::Serve::Download);
    s3::presign_get_version(&ctx, key, version_id, seconds, serve).map_err(CallError::S3)
}
