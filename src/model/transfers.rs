//! Uploads that lose nothing: one PUT for small files, multipart above a threshold
//! with several parts in flight (each read from the file only when it is sent, so
//! memory stays at parts-in-flight × part size), per-part retries through the
//! session's policy, a CRC32 per part, and an abort on cancel or failure so no
//! orphan parts stay behind.

use crate::core::s3::{self, CompletedPart, PutObjectRequest};
use crate::model::session::{CallError, Session};
use crate::model::transport::LocalFuture;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// Files at least this big go multipart.
pub const MULTIPART_THRESHOLD: u64 = 8 * 1024 * 1024;
/// The part size asked of the planner (it grows it for huge files).
pub const PREFERRED_PART_SIZE: u64 = 8 * 1024 * 1024;
/// Parts sent at once.
pub const PARTS_IN_FLIGHT: usize = 4;

/// Where upload bytes come from: a browser `File` in the app, memory in tests.
pub trait ByteSource {
    fn size(&self) -> u64;
    /// Bytes `start..end`.
    fn read(&self, start: u64, end: u64) -> LocalFuture<'_, Result<Vec<u8>, String>>;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UploadOptions {
    /// `false`: fail with PreconditionFailed instead of replacing an existing object.
    pub overwrite: bool,
}

/// Why an upload stopped.
#[derive(Clone, Debug)]
pub enum UploadError {
    Cancelled,
    /// The file could not be read (moved, deleted, permission).
    Read(String),
    Call(CallError),
}

impl UploadError {
    pub fn user_message(&self, name: &str) -> String {
        match self {
            UploadError::Cancelled => {
                format!("Upload of {name} was cancelled; nothing was stored.")
            }
            UploadError::Read(e) => format!("Could not read {name} from your device: {e}."),
            UploadError::Call(e) => e.user_message(&format!("upload {name}")),
        }
    }
}

impl fmt::Display for UploadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UploadError::Cancelled => f.write_str("cancelled"),
            UploadError::Read(e) => write!(f, "read error: {e}"),
            UploadError::Call(e) => write!(f, "{e}"),
        }
    }
}

/// Progress of one upload: bytes confirmed stored, and bytes of parts in flight.
/// What the UI shows never goes backwards: a retried part's bytes are not counted
/// twice, and a failed attempt's partial bytes are not subtracted below the
/// confirmed total.
#[derive(Default)]
pub struct Progress {
    confirmed: Cell<u64>,
    in_flight: RefCell<BTreeMap<u32, u64>>,
    shown: Cell<u64>,
}

impl Progress {
    fn part_sent(&self, part: u32, bytes: u64) {
        self.in_flight.borrow_mut().insert(part, bytes);
    }

    fn part_done(&self, part: u32, size: u64) {
        self.in_flight.borrow_mut().remove(&part);
        self.confirmed.set(self.confirmed.get() + size);
    }

    /// Bytes to show: monotonic.
    pub fn bytes(&self) -> u64 {
        let now = self.confirmed.get() + self.in_flight.borrow().values().sum::<u64>();
        let shown = self.shown.get().max(now);
        self.shown.set(shown);
        shown
    }
}

/// Uploads `source` to `key`. `on_progress` is called with the bytes sent so far;
/// `is_cancelled` is asked between steps (an XHR in flight finishes its part first).
pub async fn upload(
    session: &Session,
    source: &dyn ByteSource,
    key: &str,
    content_type: Option<&str>,
    options: UploadOptions,
    on_progress: Rc<dyn Fn(u64)>,
    is_cancelled: Rc<dyn Fn() -> bool>,
) -> Result<(), UploadError> {
    let size = source.size();
    if size < MULTIPART_THRESHOLD {
        let body = source.read(0, size).await.map_err(UploadError::Read)?;
        if is_cancelled() {
            return Err(UploadError::Cancelled);
        }
        // A retried PUT starts sending from zero again; what is shown holds.
        let progress = Rc::new(Progress::default());
        let shown = progress.clone();
        let report = on_progress.clone();
        session
            .s3_with_progress(
                |ctx| {
                    s3::build_put_object(
                        ctx,
                        PutObjectRequest {
                            key,
                            body: body.clone(),
                            content_type,
                            if_none_match: !options.overwrite,
                            unsigned_payload: false,
                        },
                    )
                },
                s3::parse_put_object,
                Some(Rc::new(move |sent| {
                    shown.part_sent(1, sent);
                    report(shown.bytes());
                })),
            )
            .await
            .map_err(UploadError::Call)?;
        on_progress(size);
        return Ok(());
    }
    multipart(
        session,
        source,
        key,
        content_type,
        options,
        on_progress,
        is_cancelled,
    )
    .await
}

async fn multipart(
    session: &Session,
    source: &dyn ByteSource,
    key: &str,
    content_type: Option<&str>,
    options: UploadOptions,
    on_progress: Rc<dyn Fn(u64)>,
    is_cancelled: Rc<dyn Fn() -> bool>,
) -> Result<(), UploadError> {
    let plan = s3::plan_parts(source.size(), PREFERRED_PART_SIZE)
        .map_err(|e| UploadError::Call(CallError::S3(e)))?;
    let upload_id = session
        .s3(
            |ctx| s3::build_create_multipart_upload(ctx, key, content_type),
            s3::parse_create_multipart_upload,
        )
        .await
        .map_err(UploadError::Call)?;

    let progress = Rc::new(Progress::default());
    let next_part = Cell::new(1u32);
    let failure: RefCell<Option<UploadError>> = RefCell::new(None);
    let done: RefCell<Vec<CompletedPart>> = RefCell::new(Vec::new());

    let worker = || async {
        loop {
            if failure.borrow().is_some() {
                return;
            }
            if is_cancelled() {
                failure.borrow_mut().get_or_insert(UploadError::Cancelled);
                return;
            }
            let number = next_part.get();
            let Some(range) = plan.range(number) else {
                return;
            };
            next_part.set(number + 1);
            let body = match source.read(range.start, range.end).await {
                Ok(body) => body,
                Err(e) => {
                    failure.borrow_mut().get_or_insert(UploadError::Read(e));
                    return;
                }
            };
            let part_progress = progress.clone();
            let report = on_progress.clone();
            let result = session
                .s3_with_progress(
                    |ctx| s3::build_upload_part(ctx, key, &upload_id, number, body.clone(), true),
                    s3::parse_upload_part,
                    Some(Rc::new(move |sent| {
                        part_progress.part_sent(number, sent);
                        report(part_progress.bytes());
                    })),
                )
                .await;
            match result {
                Ok(out) => {
                    progress.part_done(number, range.end - range.start);
                    on_progress(progress.bytes());
                    done.borrow_mut().push(CompletedPart {
                        part_number: number,
                        etag: out.etag,
                        checksum_crc32: out.checksum_crc32,
                    });
                }
                Err(e) => {
                    failure.borrow_mut().get_or_insert(UploadError::Call(e));
                    return;
                }
            }
        }
    };
    futures::future::join_all((0..PARTS_IN_FLIGHT).map(|_| worker())).await;

    let result = match failure.into_inner() {
        Some(e) => Err(e),
        None => {
            let mut parts = done.into_inner();
            parts.sort_by_key(|p| p.part_number);
            session
                .s3(
                    |ctx| {
                        s3::build_complete_multipart_upload(
                            ctx,
                            key,
                            &upload_id,
                            &parts,
                            !options.overwrite,
                        )
                    },
                    s3::parse_complete_multipart_upload,
                )
                .await
                .map(|_| ())
                .map_err(UploadError::Call)
        }
    };
    if result.is_err() {
        // Best effort: the bucket's lifecycle rule cleans up if this fails too.
        let _ = session
            .s3(
                |ctx| s3::build_abort_multipart_upload(ctx, key, &upload_id),
                s3::parse_abort_multipart_upload,
            )
            .await;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_never_goes_backwards() {
        let p = Progress::default();
        p.part_sent(1, 500);
        p.part_sent(2, 300);
        assert_eq!(p.bytes(), 800);
        // Part 2's attempt failed and restarts from zero: the shown total holds.
        p.part_sent(2, 0);
        assert_eq!(p.bytes(), 800);
        p.part_done(1, 1000);
        assert_eq!(p.bytes(), 1000);
        p.part_sent(2, 900);
        assert_eq!(p.bytes(), 1900);
    }
}
