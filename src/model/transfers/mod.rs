//! Uploads that lose nothing: one PUT for small files, multipart above a threshold
//! with several parts in flight (each read from the file only when it is sent, so
//! memory stays at parts-in-flight × part size), per-part retries through the
//! session's policy, a CRC32 per part, and an abort on cancel or failure so no
//! orphan parts stay behind. A multipart upload is remembered (upload id and
//! finished parts) while it runs, so picking the same file again after a reload, or
//! after the network gave out, sends only the parts S3 does not have yet; where
//! the browser keeps the file's handle, without picking it again ([`kept`]). The
//! parts S3 holds are checked against the file first: a changed file starts
//! afresh.
//!
//! Every upload can be paused, resumed and cancelled through its [`UploadControl`]:
//! pause and cancel cut off the requests in flight at once. Once stored, the object
//! is checked with a HEAD (size, and CRC32 when S3 reports it) before the upload
//! counts as done.
//!
//! - [`resume`]: resume records and picking a remembered upload up again
//! - [`kept`]: uploads whose file's handle the browser kept, picked up when the
//!   app opens again without a new pick
//! - [`control`]: pause, resume and cancel ([`UploadControl`])
//! - `single`: files below [`MULTIPART_THRESHOLD`], one PUT
//! - `multipart` and `parts`: the multipart upload and its part scheduler
//! - [`verify`]: the HEAD check after upload
//! - [`queue`]: the upload queue (one file at a time, name conflicts, pause,
//!   retry)
//! - [`summary`]: the queue in numbers for the panel (files, bytes, speed)

pub mod control;
pub mod kept;
mod multipart;
mod parts;
pub mod queue;
pub mod resume;
mod single;
pub mod summary;
pub mod verify;

#[cfg(test)]
mod tests;

pub use control::{Steer, UploadControl};
pub use resume::{
    abort_and_forget_all, resume_id, reusable_parts, stale_records, KeptFile, RecordedPart, Resume,
    ResumeNotice, ResumeRecord, ResumeStore, RESUME_MAX_AGE,
};
pub use verify::{composite_crc32, stored_difference};

#[cfg(doc)]
use crate::config::{UPLOAD_PARTS_IN_FLIGHT_MAX, UPLOAD_PARTS_IN_FLIGHT_MIN};
use crate::model::session::{CallError, Session};
use crate::model::transport::{DetachedBody, LocalFuture};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// Files at least this big go multipart.
pub const MULTIPART_THRESHOLD: u64 = 8 * 1024 * 1024;
/// The part size asked of the planner (it grows it for huge files).
pub const PREFERRED_PART_SIZE: u64 = 8 * 1024 * 1024;

/// Where upload bytes come from: a browser `File` in the app, memory in tests.
pub trait ByteSource {
    fn size(&self) -> u64;
    /// Bytes `start..end`.
    fn read(&self, start: u64, end: u64) -> LocalFuture<'_, Result<Vec<u8>, String>>;

    /// Bytes `start..end` handed to `sink` in order, a chunk at a time, so only a
    /// chunk is held in memory. The default reads them in one piece.
    fn read_chunks<'a>(
        &'a self,
        start: u64,
        end: u64,
        sink: &'a mut dyn FnMut(&[u8]),
    ) -> LocalFuture<'a, Result<(), String>> {
        Box::pin(async move {
            sink(&self.read(start, end).await?);
            Ok(())
        })
    }

    /// Bytes `start..end` as a request body the transport sends (in the browser a
    /// `Blob` slice, never read into memory). The default reads them.
    fn detached(&self, start: u64, end: u64) -> LocalFuture<'_, Result<DetachedBody, String>> {
        Box::pin(async move { Ok(DetachedBody::bytes(self.read(start, end).await?)) })
    }
}

pub struct UploadOptions<'a> {
    /// `false`: fail with PreconditionFailed instead of replacing an existing object.
    pub overwrite: bool,
    /// Remember a multipart upload here, and pick it up if it was remembered.
    pub resume: Option<Resume<'a>>,
    /// Parts sent at once (clamped to
    /// [`UPLOAD_PARTS_IN_FLIGHT_MIN`]..=[`UPLOAD_PARTS_IN_FLIGHT_MAX`]).
    pub parts_in_flight: usize,
}

/// Why an upload stopped.
#[derive(Clone, Debug)]
pub enum UploadError {
    Cancelled,
    /// The file could not be read (moved, deleted, permission).
    Read(String),
    Call(CallError),
    /// The object was stored but the HEAD that checks it failed.
    Unchecked(CallError),
    /// What S3 stored is not the file: `size X vs Y` or `CRC32 A vs B` (stored
    /// first).
    Mismatch(String),
}

impl UploadError {
    pub fn user_message(&self, name: &str) -> String {
        let name = &crate::model::text::shown_name(name);
        match self {
            UploadError::Cancelled => {
                format!("Upload of {name} was cancelled; nothing was stored.")
            }
            UploadError::Read(e) => format!("Could not read {name} from your device: {e}."),
            UploadError::Call(e) => e.user_message(&format!("upload {name}")),
            UploadError::Unchecked(e) => e.user_message(&format!(
                "check the stored copy of {name} (it was sent; upload it again to be sure)"
            )),
            UploadError::Mismatch(detail) => format!(
                "Upload of {name} failed its check: the stored object differs from your file: \
                 {detail}. Upload it again."
            ),
        }
    }
}

impl fmt::Display for UploadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UploadError::Cancelled => f.write_str("cancelled"),
            UploadError::Read(e) => write!(f, "read error: {e}"),
            UploadError::Call(e) => write!(f, "{e}"),
            UploadError::Unchecked(e) => write!(f, "stored, but not checked: {e}"),
            UploadError::Mismatch(detail) => {
                write!(f, "stored object differs from the file: {detail}")
            }
        }
    }
}

/// Progress of one upload: bytes confirmed stored, and bytes of parts in flight.
/// What the UI shows never goes backwards while the upload runs: a retried
/// part's bytes are not counted twice, and a failed attempt's partial bytes are
/// not subtracted below the confirmed total. A pause is the exception: the parts
/// it cut off are sent again, so what is shown drops to what S3 holds.
#[derive(Default)]
pub struct Progress {
    confirmed: Cell<u64>,
    in_flight: RefCell<BTreeMap<u32, u64>>,
    shown: Cell<u64>,
}

impl Progress {
    pub(super) fn part_sent(&self, part: u32, bytes: u64) {
        self.in_flight.borrow_mut().insert(part, bytes);
    }

    pub(super) fn part_done(&self, part: u32, size: u64) {
        self.in_flight.borrow_mut().remove(&part);
        self.confirmed.set(self.confirmed.get() + size);
    }

    /// A part's request was aborted (pause): its bytes will be sent again, so
    /// what is shown drops to what is stored and still in flight (a paused
    /// upload shows the bytes S3 holds, bar and words alike).
    pub(super) fn part_dropped(&self, part: u32) {
        self.in_flight.borrow_mut().remove(&part);
        self.shown
            .set(self.confirmed.get() + self.in_flight.borrow().values().sum::<u64>());
    }

    /// Bytes S3 confirmed.
    pub(super) fn confirmed(&self) -> u64 {
        self.confirmed.get()
    }

    /// Bytes to show: monotonic.
    pub fn bytes(&self) -> u64 {
        let now = self.confirmed.get() + self.in_flight.borrow().values().sum::<u64>();
        let shown = self.shown.get().max(now);
        self.shown.set(shown);
        shown
    }
}

/// Uploads `source` to `key`, then checks what S3 stored. `on_progress` hears the
/// bytes sent so far (never less than before); `control` pauses, resumes or
/// cancels it.
///
/// # Errors
///
/// Why the upload stopped ([`UploadError`]): cancelled, the file unreadable, S3
/// refusing or out of reach, or the stored object not the file.
pub async fn upload(
    session: &Session,
    source: &dyn ByteSource,
    key: &str,
    options: UploadOptions<'_>,
    on_progress: Rc<dyn Fn(u64)>,
    control: &UploadControl,
) -> Result<(), UploadError> {
    let upload = Upload {
        session,
        source,
        key,
        // From the name only: the browser's `File.type` is the user's to choose.
        content_type: Some(cubby_core::s3::content_type_for(key)),
        on_progress,
        control,
    };
    if source.size() >= MULTIPART_THRESHOLD {
        multipart::upload(&upload, options).await
    } else {
        single::upload(&upload, options.overwrite).await
    }
}

/// What every path of one upload works with.
struct Upload<'a> {
    session: &'a Session,
    source: &'a dyn ByteSource,
    key: &'a str,
    content_type: Option<&'a str>,
    on_progress: Rc<dyn Fn(u64)>,
    control: &'a UploadControl,
}
