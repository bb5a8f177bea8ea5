//! File operations in the user's folder, each built from the core's S3 steps and
//! run through [`Session::s3`] (so every one gets the same retry policy).

use crate::model::listing::{Entry, EntryKind};
use crate::model::session::{CallError, Session};
use crate::model::transport::SendOptions;
use cubby_core::s3::{self, ListObjectsRequest, PresignedUrl, PutObjectRequest, MAX_DELETE_KEYS};

/// One page of a folder listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderPage {
    pub entries: Vec<Entry>,
    /// Pass back to get the next page; `None` on the last one.
    pub next: Option<String>,
}

/// The name shown for a key below `prefix`: its last segment, without a trailing `/`.
pub fn display_name(prefix: &str, key: &str) -> String {
    key.strip_prefix(prefix)
        .unwrap_or(key)
        .trim_end_matches('/')
        .to_string()
}

/// One ListObjectsV2 page through the session's retry policy.
async fn list_objects(
    session: &Session,
    prefix: &str,
    delimiter: Option<&str>,
    max_keys: u32,
    continuation: Option<&str>,
) -> Result<s3::ListObjectsPage, CallError> {
    session
        .s3(
            |ctx| {
                s3::build_list_objects(
                    ctx,
                    &ListObjectsRequest {
                        prefix,
                        delimiter,
                        max_keys: Some(max_keys),
                        continuation_token: continuation,
                        start_after: None,
                    },
                )
            },
            s3::parse_list_objects,
            SendOptions::default(),
        )
        .await
}

/// Lists one page of `prefix` (a folder: ends with `/`), folders as entries.
/// The folder's own marker object (`prefix` itself, made by "New folder") is skipped.
pub async fn list_page(
    session: &Session,
    prefix: &str,
    continuation: Option<&str>,
) -> Result<FolderPage, CallError> {
    let page = list_objects(session, prefix, Some("/"), 1000, continuation).await?;
    let mut entries: Vec<Entry> = page
        .common_prefixes
        .iter()
        .map(|p| Entry {
            name: display_name(prefix, p),
            key: p.clone(),
            kind: EntryKind::Folder,
            size: 0,
            last_modified: None,
        })
        .collect();
    entries.extend(
        page.objects
            .iter()
            .filter(|o| o.key != prefix)
            .map(|o| Entry {
                name: display_name(prefix, &o.key),
                key: o.key.clone(),
                kind: EntryKind::File,
                size: o.size,
                last_modified: o.last_modified,
            }),
    );
    Ok(FolderPage {
        entries,
        next: page.next_continuation_token.filter(|_| page.is_truncated),
    })
}

/// Every key at or below `prefix` (no delimiter), for recursive delete and move.
pub async fn all_keys_under(session: &Session, prefix: &str) -> Result<Vec<String>, CallError> {
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = list_objects(session, prefix, None, 1000, token.as_deref()).await?;
        keys.extend(page.objects.into_iter().map(|o| o.key));
        match page.next_continuation_token.filter(|_| page.is_truncated) {
            Some(next) => token = Some(next),
            None => return Ok(keys),
        }
    }
}

/// Whether an object exists at `key`. Asked with ListObjectsV2, not HeadObject:
/// the per-user policy grants ListBucket only with a prefix condition, and
/// without ListBucket on the key S3 answers a HEAD of a missing key with 403,
/// not 404.
pub async fn exists(session: &Session, key: &str) -> Result<bool, CallError> {
    let page = list_objects(session, key, None, 1, None).await?;
    Ok(page.objects.first().is_some_and(|o| o.key == key))
}

/// Creates an empty folder (a zero-byte `name/` marker), refusing to overwrite.
pub async fn create_folder(session: &Session, prefix: &str, name: &str) -> Result<(), CallError> {
    let key = format!("{prefix}{name}/");
    put_bytes(session, &key, Vec::new(), None, true).await
}

/// Uploads a body in one PUT; with `if_none_match`, an existing object is not
/// overwritten (412 PreconditionFailed instead).
pub async fn put_bytes(
    session: &Session,
    key: &str,
    body: Vec<u8>,
    content_type: Option<&str>,
    if_none_match: bool,
) -> Result<(), CallError> {
    put_bytes_with(
        session,
        key,
        body,
        content_type,
        if_none_match,
        SendOptions::default(),
    )
    .await
}

/// [`put_bytes`] sent with `options` (progress of the current attempt, and an
/// abort that stops it with [`CallError::Aborted`]).
pub async fn put_bytes_with(
    session: &Session,
    key: &str,
    body: Vec<u8>,
    content_type: Option<&str>,
    if_none_match: bool,
    options: SendOptions,
) -> Result<(), CallError> {
    session
        .s3(
            |ctx| {
                s3::build_put_object(
                    ctx,
                    PutObjectRequest {
                        key,
                        body: body.clone(),
                        content_type,
                        if_none_match,
                        unsigned_payload: false,
                    },
                )
            },
            s3::parse_put_object,
            options,
        )
        .await
        .map(|_| ())
}

/// Deletes keys in batches of 1,000 (DeleteObjects). Returns the keys that failed,
/// with S3's error code.
pub async fn delete_keys(
    session: &Session,
    keys: &[String],
) -> Result<Vec<(String, String)>, CallError> {
    let mut failed = Vec::new();
    for batch in keys.chunks(MAX_DELETE_KEYS) {
        let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
        let out = session
            .s3(
                |ctx| s3::build_delete_objects(ctx, &refs),
                s3::parse_delete_objects,
                SendOptions::default(),
            )
            .await?;
        failed.extend(out.failed.into_iter().map(|f| (f.key, f.code)));
    }
    Ok(failed)
}

/// Deletes a file, or a folder with everything under it.
pub async fn delete_entry(session: &Session, entry: &Entry) -> Result<(), CallError> {
    let keys = if entry.is_folder() {
        all_keys_under(session, &entry.key).await?
    } else {
        vec![entry.key.clone()]
    };
    let failed = delete_keys(session, &keys).await?;
    match failed.first() {
        None => Ok(()),
        Some((key, code)) => Err(CallError::Incomplete(format!(
            "{} of {} could not be deleted (first: {}: {code})",
            failed.len(),
            crate::model::text::count(keys.len() as u64, "object", "objects"),
            crate::model::text::shown_name(key)
        ))),
    }
}

/// Renames or moves an entry to `new_key` (for a folder: a new prefix ending in
/// `/`): copies every object (refusing to overwrite, `If-None-Match: *`), and
/// deletes the originals only after all copies succeeded, so a failure never
/// loses data.
pub async fn move_entry(session: &Session, entry: &Entry, new_key: &str) -> Result<(), CallError> {
    let sources = if entry.is_folder() {
        all_keys_under(session, &entry.key).await?
    } else {
        vec![entry.key.clone()]
    };
    for source in &sources {
        let target = format!("{new_key}{}", &source[entry.key.len()..]);
        session
            .s3(
                |ctx| s3::build_copy_object(ctx, source, &target, true),
                s3::parse_copy_object,
                SendOptions::default(),
            )
            .await?;
    }
    let failed = delete_keys(session, &sources).await?;
    match failed.first() {
        None => Ok(()),
        Some((key, code)) => Err(CallError::Incomplete(format!(
            "the copy was made, but the original could not be removed ({key}: {code})"
        ))),
    }
}

/// The first `max_bytes` of an object (for previews).
pub async fn read_start(
    session: &Session,
    key: &str,
    max_bytes: u64,
) -> Result<Vec<u8>, CallError> {
    let range = s3::ByteRange {
        first: 0,
        last: Some(max_bytes.saturating_sub(1)),
    };
    session
        .s3(
            |ctx| s3::build_get_object(ctx, key, Some(range)),
            s3::parse_get_object,
            SendOptions::default(),
        )
        .await
        .map(|out| out.body)
}

/// A presigned GET for `key`, living `seconds` at most (capped by the credentials'
/// life). With `download_as`, the browser saves the file under that name.
pub async fn presigned_get(
    session: &Session,
    key: &str,
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
    s3::presign_get(&ctx, key, seconds, download_as).map_err(CallError::S3)
}
