//! Uploads that lose nothing: one PUT for small files, multipart above a threshold
//! with several parts in flight (each read from the file only when it is sent, so
//! memory stays at parts-in-flight × part size), per-part retries through the
//! session's policy, a CRC32 per part, and an abort on cancel or failure so no
//! orphan parts stay behind. A multipart upload is remembered (upload id and
//! finished parts) while it runs, so picking the same file again after a reload, or
//! after the network gave out, sends only the parts S3 does not have yet.
//!
//! Every upload can be paused, resumed and cancelled through its [`UploadControl`]:
//! pause and cancel cut off the requests in flight at once. Once stored, the object
//! is checked with a HEAD (size, and CRC32 when S3 reports it) before the upload
//! counts as done.

use crate::model::files;
use crate::model::session::{CallError, Session};
use crate::model::transport::{AbortSignal, DetachedBody, LocalFuture};
use cubby_core::encoding::base64_decode;
use cubby_core::s3::{self, CompletedPart, ObjectMetadata, PartPlan, PartSummary};
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::rc::Rc;

/// Files at least this big go multipart.
pub const MULTIPART_THRESHOLD: u64 = 8 * 1024 * 1024;
/// The part size asked of the planner (it grows it for huge files).
pub const PREFERRED_PART_SIZE: u64 = 8 * 1024 * 1024;
/// Parts sent at once by default (config.json's `uploadPartsInFlight` overrides it).
pub const PARTS_IN_FLIGHT: usize = 4;
/// The most parts sent at once (memory: parts in flight × part size).
pub const MAX_PARTS_IN_FLIGHT: usize = 16;

/// Records of unfinished uploads older than this are dropped: the bucket's
/// lifecycle rule aborts incomplete multipart uploads after one day.
pub const RESUME_MAX_AGE: u64 = 24 * 3600;
/// Storage keys of resume records start with this.
pub const RESUME_PREFIX: &str = "cubby.upload.";

/// Where resume records are kept (localStorage in the app). Values are the
/// records' JSON.
pub trait ResumeStore {
    fn load(&self, id: &str) -> Option<String>;
    fn save(&self, id: &str, value: &str);
    fn remove(&self, id: &str);
}

/// The record of one file's upload: its storage id, from the destination key and
/// the file's name, size and modification time (a changed file starts afresh).
pub fn resume_id(key: &str, file_name: &str, size: u64, last_modified: u64) -> String {
    // A JSON array of the four: strings and numbers, serialising cannot fail.
    let parts = serde_json::to_string(&(key, file_name, size, last_modified)).unwrap_or_default();
    format!("{RESUME_PREFIX}{parts}")
}

/// What is remembered of a multipart upload in progress; stored as JSON with these
/// field names (records written by earlier builds must keep reading).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeRecord {
    pub upload_id: String,
    pub key: String,
    pub part_size: u64,
    /// When the multipart upload was created (epoch seconds).
    pub created: u64,
    pub parts: Vec<RecordedPart>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedPart {
    pub number: u32,
    pub etag: String,
    pub crc32: Option<String>,
}

impl ResumeRecord {
    pub fn to_json(&self) -> String {
        // Strings and numbers: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// `None` for anything but a record.
    pub fn from_json(text: &str) -> Option<ResumeRecord> {
        // from_slice, as every reader in the app: one copy of serde_json's reader.
        serde_json::from_slice(text.as_bytes()).ok()
    }

    /// Past the bucket's abort rule (or from the future: a clock that jumped).
    pub fn is_stale(&self, now: u64) -> bool {
        self.created.saturating_add(RESUME_MAX_AGE) <= now || self.created > now + RESUME_MAX_AGE
    }
}

/// Of the stored `(id, json)` records, the ids to drop: stale or unreadable.
pub fn stale_records(records: impl IntoIterator<Item = (String, String)>, now: u64) -> Vec<String> {
    records
        .into_iter()
        .filter(|(id, _)| id.starts_with(RESUME_PREFIX))
        .filter(|(_, json)| ResumeRecord::from_json(json).is_none_or(|r| r.is_stale(now)))
        .map(|(id, _)| id)
        .collect()
}

/// The parts S3 holds (`listed`, from ListParts) that need not be sent again: those
/// of the planned size that S3 lists with a CRC32 or that the record saw finish
/// (same ETag), with the CRC32 completing the upload needs (from S3 or the record).
pub fn reusable_parts(
    plan: &PartPlan,
    record: &ResumeRecord,
    listed: &[PartSummary],
) -> Vec<CompletedPart> {
    let mut parts: Vec<CompletedPart> = listed
        .iter()
        .filter_map(|part| {
            let range = plan.range(part.part_number)?;
            if part.size != range.end - range.start {
                return None;
            }
            let recorded = record
                .parts
                .iter()
                .find(|p| p.number == part.part_number && same_etag(&p.etag, &part.etag));
            // S3 lists each part's CRC32 for an upload created with that checksum;
            // without it, only a part this record saw finish is known to be whole.
            let crc = match (&part.checksum_crc32, recorded) {
                (Some(crc), _) => Some(crc.clone()),
                (None, Some(recorded)) => recorded.crc32.clone(),
                (None, None) => return None,
            };
            Some(CompletedPart {
                part_number: part.part_number,
                etag: part.etag.clone(),
                checksum_crc32: crc,
            })
        })
        .collect();
    sort_by_part_number(&mut parts);
    parts.dedup_by_key(|p| p.part_number);
    parts
}

/// CompleteMultipartUpload wants parts in ascending order; one sort instance
/// serves both callers (each `sort_by_key` closure is its own copy in the wasm).
fn sort_by_part_number(parts: &mut [CompletedPart]) {
    parts.sort_by_key(|p| p.part_number);
}

fn same_etag(a: &str, b: &str) -> bool {
    a.trim_matches('"') == b.trim_matches('"')
}

/// Where to remember an upload so it can resume: the store and the record's id.
pub struct Resume<'a> {
    pub store: &'a dyn ResumeStore,
    pub id: String,
}

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
    /// Parts sent at once (1..=[`MAX_PARTS_IN_FLIGHT`]; others are clamped).
    pub parts_in_flight: usize,
}

/// What the user wants of an upload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Steer {
    #[default]
    Run,
    Pause,
    Cancel,
}

/// Pause, resume and cancel of one upload: the UI steers, the upload obeys. Pause
/// and cancel abort the requests in flight at once (their bytes are sent again on
/// resume); a paused multipart upload stays open at S3 with its finished parts.
#[derive(Clone, Default)]
pub struct UploadControl(Rc<ControlState>);

#[derive(Default)]
struct ControlState {
    steer: Cell<Steer>,
    /// Given to the requests sent while running; aborted by pause and cancel.
    requests: RefCell<AbortSignal>,
    /// Fired, as a one-shot event, when a pause ends (resume or cancel).
    pause_ended: RefCell<AbortSignal>,
    /// Bytes S3 confirmed stored (what a paused upload has really sent).
    stored: Cell<u64>,
}

impl UploadControl {
    pub fn new() -> UploadControl {
        UploadControl::default()
    }

    pub fn steer(&self) -> Steer {
        self.0.steer.get()
    }

    /// Bytes S3 has confirmed so far (parts cut off by a pause do not count).
    pub fn bytes_stored(&self) -> u64 {
        self.0.stored.get()
    }

    /// Stops sending: requests in flight are aborted, no new ones start.
    pub fn pause(&self) {
        if self.steer() != Steer::Run {
            return;
        }
        self.0.steer.set(Steer::Pause);
        *self.0.pause_ended.borrow_mut() = AbortSignal::new();
        self.0.requests.borrow().abort();
    }

    /// Goes on after a pause, with a fresh signal for the new requests.
    pub fn resume(&self) {
        if self.steer() != Steer::Pause {
            return;
        }
        self.0.steer.set(Steer::Run);
        *self.0.requests.borrow_mut() = AbortSignal::new();
        self.0.pause_ended.borrow().abort();
    }

    /// Stops for good: requests in flight are aborted; the upload cleans up.
    pub fn cancel(&self) {
        self.0.steer.set(Steer::Cancel);
        self.0.requests.borrow().abort();
        self.0.pause_ended.borrow().abort();
    }

    /// Waits out a pause; the signal for the next request, or `Cancelled`.
    async fn proceed(&self) -> Result<AbortSignal, UploadError> {
        loop {
            match self.steer() {
                Steer::Run => return Ok(self.0.requests.borrow().clone()),
                Steer::Cancel => return Err(UploadError::Cancelled),
                Steer::Pause => {
                    let ended = self.0.pause_ended.borrow().aborted();
                    ended.await;
                }
            }
        }
    }
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

/// The CRC32 S3 reports for a multipart object whose parts carried CRC32s (a
/// composite checksum): the CRC32 of the parts' raw big-endian CRC32s in part
/// order, base64, then `-<number of parts>`. `None` when a part's CRC32 is unknown.
pub fn composite_crc32<'a>(
    part_checksums: impl IntoIterator<Item = Option<&'a str>>,
) -> Option<String> {
    let mut raw = Vec::new();
    let mut parts = 0;
    for checksum in part_checksums {
        let bytes = base64_decode(checksum?)?;
        if bytes.len() != 4 {
            return None;
        }
        raw.extend_from_slice(&bytes);
        parts += 1;
    }
    Some(format!("{}-{parts}", s3::crc32_checksum(&raw)))
}

/// How what S3 stored differs from the file (`size` bytes, CRC32 `checksum` when
/// known), stored value first; `None` when it matches. A checksum S3 does not
/// report (or the bucket's CORS hides) is not compared.
pub fn stored_difference(
    stored: &ObjectMetadata,
    size: u64,
    checksum: Option<&str>,
) -> Option<String> {
    if stored.size != size {
        return Some(format!("size {} vs {size}", stored.size));
    }
    match (stored.checksum_crc32.as_deref(), checksum) {
        (Some(theirs), Some(ours)) if theirs != ours => Some(format!("CRC32 {theirs} vs {ours}")),
        _ => None,
    }
}

/// HEADs `key` and compares it with the file (see [`stored_difference`]).
async fn check_stored(
    session: &Session,
    key: &str,
    size: u64,
    checksum: Option<&str>,
) -> Result<(), UploadError> {
    let stored = session
        .s3(|ctx| s3::build_head_object(ctx, key), s3::parse_head_object)
        .await
        .map_err(UploadError::Unchecked)?;
    match stored_difference(&stored, size, checksum) {
        Some(detail) => Err(UploadError::Mismatch(detail)),
        None => Ok(()),
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

    /// A part's request was aborted (pause): its bytes will be sent again.
    fn part_dropped(&self, part: u32) {
        self.in_flight.borrow_mut().remove(&part);
    }

    /// Bytes S3 confirmed.
    fn confirmed(&self) -> u64 {
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
pub async fn upload(
    session: &Session,
    source: &dyn ByteSource,
    key: &str,
    content_type: Option<&str>,
    options: UploadOptions<'_>,
    on_progress: Rc<dyn Fn(u64)>,
    control: &UploadControl,
) -> Result<(), UploadError> {
    let size = source.size();
    if size >= MULTIPART_THRESHOLD {
        return multipart(
            session,
            source,
            key,
            content_type,
            options,
            on_progress,
            control,
        )
        .await;
    }
    let body = source.read(0, size).await.map_err(UploadError::Read)?;
    let checksum = s3::crc32_checksum(&body);
    // A retried or resumed PUT starts sending from zero again; what is shown holds.
    let progress = Rc::new(Progress::default());
    let mut was_cut_off = false;
    loop {
        let abort = control.proceed().await?;
        let shown = progress.clone();
        let report = on_progress.clone();
        let sent = files::put_bytes_with_progress(
            session,
            key,
            body.clone(),
            content_type,
            !options.overwrite,
            Some(Rc::new(move |sent| {
                shown.part_sent(1, sent);
                report(shown.bytes());
            })),
            Some(&abort),
        )
        .await;
        match sent {
            Ok(()) => break,
            // Paused (or cancelled): the whole PUT goes again on resume.
            Err(CallError::Aborted) => {
                progress.part_dropped(1);
                was_cut_off = true;
            }
            // The cut-off PUT may have been stored after all: if what is there is
            // this file, it is done.
            Err(CallError::S3(e)) if was_cut_off && e.is_precondition_failed() => {
                check_stored(session, key, size, Some(&checksum))
                    .await
                    .map_err(|_| UploadError::Call(CallError::S3(e)))?;
                break;
            }
            Err(e) => return Err(UploadError::Call(e)),
        }
    }
    check_stored(session, key, size, Some(&checksum)).await?;
    control.0.stored.set(size);
    on_progress(size);
    Ok(())
}

/// Every part ListParts knows of the upload (following the pages).
async fn list_all_parts(
    session: &Session,
    key: &str,
    upload_id: &str,
) -> Result<Vec<PartSummary>, CallError> {
    let mut parts = Vec::new();
    let mut marker = None;
    loop {
        let page = session
            .s3(
                |ctx| s3::build_list_parts(ctx, key, upload_id, marker, None),
                s3::parse_list_parts,
            )
            .await?;
        parts.extend(page.parts);
        match page.next_part_number_marker {
            Some(next) if page.is_truncated => marker = Some(next),
            _ => return Ok(parts),
        }
    }
}

/// The upload id and parts to pick up from, when `resume` remembers an upload of
/// this file that S3 still has. Drops records that cannot be used.
async fn resumable(
    session: &Session,
    plan: &PartPlan,
    key: &str,
    resume: &Resume<'_>,
) -> Result<Option<(ResumeRecord, Vec<CompletedPart>)>, CallError> {
    let Some(text) = resume.store.load(&resume.id) else {
        return Ok(None);
    };
    let record = ResumeRecord::from_json(&text)
        .filter(|r| !r.is_stale(session.env().now_secs()))
        .filter(|r| r.key == key && r.part_size == plan.part_size());
    let Some(record) = record else {
        resume.store.remove(&resume.id);
        return Ok(None);
    };
    match list_all_parts(session, key, &record.upload_id).await {
        Ok(listed) => {
            let parts = reusable_parts(plan, &record, &listed);
            Ok(Some((record, parts)))
        }
        Err(e) if e.s3().and_then(|e| e.code()) == Some("NoSuchUpload") => {
            resume.store.remove(&resume.id);
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

async fn multipart(
    session: &Session,
    source: &dyn ByteSource,
    key: &str,
    content_type: Option<&str>,
    options: UploadOptions<'_>,
    on_progress: Rc<dyn Fn(u64)>,
    control: &UploadControl,
) -> Result<(), UploadError> {
    let plan = s3::plan_parts(source.size(), PREFERRED_PART_SIZE)
        .map_err(|e| UploadError::Call(CallError::S3(e)))?;
    let resume = options.resume;
    let resumed = match &resume {
        Some(r) => resumable(session, &plan, key, r)
            .await
            .map_err(UploadError::Call)?,
        None => None,
    };
    let (record, reused) = match resumed {
        Some(found) => found,
        None => {
            let upload_id = session
                .s3(
                    |ctx| s3::build_create_multipart_upload(ctx, key, content_type),
                    s3::parse_create_multipart_upload,
                )
                .await
                .map_err(UploadError::Call)?;
            let record = ResumeRecord {
                upload_id,
                key: key.to_string(),
                part_size: plan.part_size(),
                created: session.env().now_secs(),
                parts: Vec::new(),
            };
            (record, Vec::new())
        }
    };
    let upload_id = record.upload_id.clone();
    let record = RefCell::new(record);
    let remember = |part: Option<&CompletedPart>| {
        if let Some(r) = &resume {
            let mut record = record.borrow_mut();
            if let Some(part) = part {
                record.parts.retain(|p| p.number != part.part_number);
                record.parts.push(RecordedPart {
                    number: part.part_number,
                    etag: part.etag.clone(),
                    crc32: part.checksum_crc32.clone(),
                });
            }
            r.store.save(&r.id, &record.to_json());
        }
    };
    remember(None);

    let progress = Rc::new(Progress::default());
    for part in &reused {
        if let Some(range) = plan.range(part.part_number) {
            progress.part_done(part.part_number, range.end - range.start);
        }
    }
    control.0.stored.set(progress.confirmed());
    on_progress(progress.bytes());
    // Parts still to send; a part whose request a pause cut off goes back in front.
    let todo: RefCell<VecDeque<u32>> = RefCell::new(
        (1..=plan.part_count())
            .filter(|n| !reused.iter().any(|p| p.part_number == *n))
            .collect(),
    );
    let failure: RefCell<Option<UploadError>> = RefCell::new(None);
    let done: RefCell<Vec<CompletedPart>> = RefCell::new(reused);
    let parts_in_flight = options.parts_in_flight.clamp(1, MAX_PARTS_IN_FLIGHT);

    // The CRC32 sent with each part (S3 checks it against what arrives; kept for
    // Complete and the stored object's composite checksum) is read a few parts
    // ahead of the sends, in the order they go out, so no connection idles while
    // its next part is read. Only the checksums are kept, not the bytes.
    let checksums: RefCell<BTreeMap<u32, String>> = RefCell::new(BTreeMap::new());
    let parts_taken = Cell::new(0usize);
    // Fired (and replaced) when a checksum is ready or a part is taken.
    let changed = RefCell::new(AbortSignal::new());
    let notify = || changed.replace(AbortSignal::new()).abort();
    let next_change = || changed.borrow().clone().aborted();
    // The first failure ends the upload; everyone waiting hears of it at once.
    let fail = |e: UploadError| {
        failure.borrow_mut().get_or_insert(e);
        notify();
    };
    let read_ahead = async {
        let order: Vec<u32> = todo.borrow().iter().copied().collect();
        for (index, number) in order.into_iter().enumerate() {
            loop {
                if failure.borrow().is_some() {
                    return;
                }
                if index < parts_taken.get() + 2 * parts_in_flight {
                    break;
                }
                next_change().await;
            }
            // No new part is read while paused; a cancel ends the reading.
            if let Err(e) = control.proceed().await {
                fail(e);
                return;
            }
            let Some(range) = plan.range(number) else {
                return;
            };
            let mut crc = s3::Crc32::default();
            let read = source
                .read_chunks(range.start, range.end, &mut |chunk| crc.update(chunk))
                .await;
            match read {
                Ok(()) => {
                    checksums.borrow_mut().insert(number, crc.finish());
                }
                Err(e) => {
                    fail(UploadError::Read(e));
                    return;
                }
            }
            notify();
        }
    };

    let worker = || async {
        loop {
            if failure.borrow().is_some() {
                return;
            }
            let abort = match control.proceed().await {
                Ok(abort) => abort,
                Err(e) => {
                    fail(e);
                    return;
                }
            };
            if failure.borrow().is_some() {
                return;
            }
            let Some(number) = todo.borrow_mut().pop_front() else {
                return;
            };
            parts_taken.set(parts_taken.get() + 1);
            notify();
            let Some(range) = plan.range(number) else {
                return;
            };
            let checksum = loop {
                if failure.borrow().is_some() {
                    return;
                }
                if let Some(checksum) = checksums.borrow().get(&number) {
                    break checksum.clone();
                }
                next_change().await;
            };
            // Sent from the source itself, never held in memory.
            let body = match source.detached(range.start, range.end).await {
                Ok(body) => body,
                Err(e) => {
                    fail(UploadError::Read(e));
                    return;
                }
            };
            let part_progress = progress.clone();
            let report = on_progress.clone();
            let result = session
                .s3_detached(
                    |ctx| s3::build_upload_part_detached(ctx, key, &upload_id, number, &checksum),
                    s3::parse_upload_part,
                    &body,
                    Some(Rc::new(move |sent| {
                        part_progress.part_sent(number, sent);
                        report(part_progress.bytes());
                    })),
                    &abort,
                )
                .await;
            match result {
                Ok(out) => {
                    progress.part_done(number, range.end - range.start);
                    control.0.stored.set(progress.confirmed());
                    on_progress(progress.bytes());
                    let part = CompletedPart {
                        part_number: number,
                        etag: out.etag,
                        checksum_crc32: Some(checksum),
                    };
                    remember(Some(&part));
                    done.borrow_mut().push(part);
                }
                Err(CallError::Aborted) => {
                    progress.part_dropped(number);
                    todo.borrow_mut().push_front(number);
                    // Taken again later; the read-ahead counts each part once.
                    parts_taken.set(parts_taken.get() - 1);
                }
                // A browser that can no longer read the file (changed, moved or
                // deleted since it was picked) fails the send the way a network
                // does; reading a byte of the part tells the two apart.
                Err(CallError::Network(e)) => {
                    let unreadable = source
                        .read_chunks(range.start, range.start + 1, &mut |_| {})
                        .await
                        .err();
                    fail(match unreadable {
                        Some(read) => UploadError::Read(read),
                        None => UploadError::Call(CallError::Network(e)),
                    });
                    return;
                }
                Err(e) => {
                    fail(UploadError::Call(e));
                    return;
                }
            }
        }
    };
    let senders = futures::future::join_all((0..parts_in_flight).map(|_| worker()));
    // Reading stops when the sends are over (done, failed or cancelled).
    if let futures::future::Either::Left(((), senders)) =
        futures::future::select(Box::pin(read_ahead), Box::pin(senders)).await
    {
        senders.await;
    }

    let mut parts = done.into_inner();
    sort_by_part_number(&mut parts);
    let result = match failure.into_inner() {
        Some(e) => Err(e),
        None => session
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
            .map_err(UploadError::Call),
    };
    let resumable_later =
        resume.is_some() && matches!(&result, Err(UploadError::Call(CallError::Network(_))));
    if resumable_later {
        // S3 was out of reach: keep the parts and the record; picking the file
        // again sends only what is missing.
        return result;
    }
    if let Some(r) = &resume {
        r.store.remove(&r.id);
    }
    if result.is_err() {
        // Best effort: the bucket's lifecycle rule cleans up if this fails too.
        let _ = session
            .s3(
                |ctx| s3::build_abort_multipart_upload(ctx, key, &upload_id),
                s3::parse_abort_multipart_upload,
            )
            .await;
        return result;
    }
    let expected = composite_crc32(parts.iter().map(|p| p.checksum_crc32.as_deref()));
    check_stored(session, key, plan.file_size(), expected.as_deref()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::auth::Tokens;
    use crate::model::session::{Env, LocalOnly};
    use crate::model::transport::{HttpResult, NetworkError, Transport};
    use cubby_core::credentials::Credentials;
    use cubby_core::encoding::base64_encode;
    use cubby_core::id_token::IdTokenClaims;
    use cubby_core::secret::Secret;
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    use std::time::{Duration, UNIX_EPOCH};

    const NOW: u64 = 1_700_000_000;
    const MIB: usize = 1024 * 1024;

    #[test]
    fn composite_crc32_matches_an_independent_computation() {
        // Vector from Python: zlib.crc32 of each part packed big-endian (">I"),
        // base64; then zlib.crc32 of the three packed CRCs, base64, "-3".
        // Parts: b"hello ", b"world", b"Welcome to Amazon S3."
        let parts = ["7YH59g==", "OncRQw==", "Ox7nCg=="];
        assert_eq!(
            composite_crc32(parts.iter().map(|p| Some(*p))).as_deref(),
            Some("OFYcLQ==-3")
        );
        // Our per-part CRC32s are the same values.
        assert_eq!(s3::crc32_checksum(b"hello "), "7YH59g==");
        assert_eq!(s3::crc32_checksum(b"Welcome to Amazon S3."), "Ox7nCg==");
        // A part without a known CRC32 (or not a CRC32): nothing to compare.
        assert_eq!(composite_crc32([Some("7YH59g=="), None]), None);
        assert_eq!(composite_crc32([Some("AAAAAAAA")]), None);
    }

    #[test]
    fn a_stored_object_of_another_size_or_checksum_is_reported() {
        let stored = ObjectMetadata {
            size: 10,
            checksum_crc32: Some("OFYcLQ==-3".into()),
            ..ObjectMetadata::default()
        };
        assert_eq!(stored_difference(&stored, 10, Some("OFYcLQ==-3")), None);
        assert_eq!(stored_difference(&stored, 10, None), None);
        assert_eq!(
            stored_difference(&stored, 11, Some("OFYcLQ==-3")).as_deref(),
            Some("size 10 vs 11")
        );
        assert_eq!(
            stored_difference(&stored, 10, Some("7YH59g==-3")).as_deref(),
            Some("CRC32 OFYcLQ==-3 vs 7YH59g==-3")
        );
        // S3 reporting no checksum (or CORS hiding it) leaves the size check.
        let bare = ObjectMetadata {
            size: 10,
            ..ObjectMetadata::default()
        };
        assert_eq!(stored_difference(&bare, 10, Some("x")), None);
    }

    /// How the fake S3 lies about the stored object on HEAD.
    #[derive(Clone, Copy, PartialEq)]
    enum Tamper {
        Nothing,
        Size,
        Checksum,
    }

    /// An in-memory S3 for one key: multipart and single PUT, HEAD with the
    /// checksums S3 reports, optionally tampered with. While `hold` is set, part
    /// uploads never answer (to pause or cancel them in flight).
    struct FakeS3 {
        tamper: Tamper,
        hold: Cell<bool>,
        /// Part uploads get no answer at all (a network error).
        parts_unreachable: Cell<bool>,
        parts: RefCell<BTreeMap<u32, Vec<u8>>>,
        object: RefCell<Option<(Vec<u8>, String)>>,
        log: RefCell<Vec<String>>,
    }

    impl FakeS3 {
        fn new(tamper: Tamper) -> FakeS3 {
            FakeS3 {
                tamper,
                hold: Cell::new(false),
                parts_unreachable: Cell::new(false),
                parts: RefCell::default(),
                object: RefCell::default(),
                log: RefCell::default(),
            }
        }

        fn count(&self, operation: &str) -> usize {
            self.log.borrow().iter().filter(|o| *o == operation).count()
        }

        fn answer(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
            let query = request.uri().query().unwrap_or("").to_string();
            let param = |name: &str| {
                query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                    .map(str::to_string)
            };
            let ok = http::Response::builder().status(200);
            let (operation, response) = match request.method().as_str() {
                "POST" if query.contains("uploads") => (
                    "CreateMultipartUpload",
                    ok.body(
                        b"<InitiateMultipartUploadResult><UploadId>u1</UploadId>\
                          </InitiateMultipartUploadResult>"
                            .to_vec(),
                    ),
                ),
                "PUT" if param("partNumber").is_some() => {
                    let number: u32 = param("partNumber").unwrap().parse().unwrap();
                    let etag = format!("\"e{number}\"");
                    self.parts.borrow_mut().insert(number, request.into_body());
                    ("UploadPart", ok.header("etag", etag).body(Vec::new()))
                }
                "PUT" => {
                    let body = request.into_body();
                    let crc = s3::crc32_checksum(&body);
                    *self.object.borrow_mut() = Some((body, crc));
                    ("PutObject", ok.header("etag", "\"e\"").body(Vec::new()))
                }
                "POST" => {
                    let parts = std::mem::take(&mut *self.parts.borrow_mut());
                    // S3's composite CRC32, computed here on its own.
                    let mut raw = Vec::new();
                    let mut body = Vec::new();
                    for part in parts.values() {
                        raw.extend_from_slice(&crc32fast::hash(part).to_be_bytes());
                        body.extend_from_slice(part);
                    }
                    let crc = format!(
                        "{}-{}",
                        base64_encode(&crc32fast::hash(&raw).to_be_bytes()),
                        parts.len()
                    );
                    *self.object.borrow_mut() = Some((body, crc));
                    (
                        "CompleteMultipartUpload",
                        ok.body(
                            b"<CompleteMultipartUploadResult><ETag>\"e-n\"</ETag>\
                              </CompleteMultipartUploadResult>"
                                .to_vec(),
                        ),
                    )
                }
                "HEAD" => {
                    let object = self.object.borrow();
                    let (body, crc) = object.as_ref().expect("HEAD after the upload");
                    let size = body.len() + usize::from(self.tamper == Tamper::Size);
                    let crc = if self.tamper == Tamper::Checksum {
                        "AAAAAA==-1".to_string()
                    } else {
                        crc.clone()
                    };
                    (
                        "HeadObject",
                        ok.header("content-length", size.to_string())
                            .header("x-amz-checksum-crc32", crc)
                            .body(Vec::new()),
                    )
                }
                "DELETE" => {
                    self.parts.borrow_mut().clear();
                    (
                        "AbortMultipartUpload",
                        http::Response::builder().status(204).body(Vec::new()),
                    )
                }
                other => panic!("unexpected {other} {query}"),
            };
            self.log.borrow_mut().push(operation.to_string());
            response.unwrap()
        }
    }

    impl Transport for FakeS3 {
        fn send(&self, request: http::Request<Vec<u8>>) -> LocalFuture<'_, HttpResult> {
            let part = request.uri().query().unwrap_or("").contains("partNumber");
            if part && self.parts_unreachable.get() {
                self.log.borrow_mut().push("UploadPart (no answer)".into());
                return Box::pin(async { Err(NetworkError("reset".into())) });
            }
            if part && self.hold.get() {
                self.log.borrow_mut().push("UploadPart (held)".into());
                return Box::pin(futures::future::pending());
            }
            let response = self.answer(request);
            Box::pin(async move { Ok(response) })
        }
    }

    fn session(transport: Rc<FakeS3>) -> Session {
        let config = Config::parse(
            r#"{"region": "us-east-1", "userPoolId": "us-east-1_Example1",
                "clientId": "client", "hostedUiUrl": "http://127.0.0.1:9001/",
                "identityPoolId": "us-east-1:0000-1111", "bucket": "cubby-data",
                "redirectUri": "http://127.0.0.1:8080/",
                "signOutUri": "http://127.0.0.1:8080/"}"#,
        )
        .unwrap();
        let tokens = Tokens {
            id_token: Secret::new("id"),
            access_token: Secret::new("access"),
            refresh_token: Secret::new("refresh"),
            claims: IdTokenClaims {
                sub: "sub-1".into(),
                iss: "https://issuer".into(),
                aud: vec!["client".into()],
                token_use: "id".into(),
                username: None,
                email: None,
                exp: NOW + 3600,
                iat: NOW,
                auth_time: None,
                nonce: None,
            },
            keep_signed_in: false,
        };
        let credentials = Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("secret"),
            session_token: Some(Secret::new("token")),
            expiration: None,
        };
        let env = Env {
            now: || UNIX_EPOCH + Duration::from_secs(NOW),
            sleep: |_| Box::pin(async {}),
            random_fraction: || 0.5,
        };
        Session::new(
            Rc::new(config),
            transport,
            env,
            tokens,
            "us-east-1:abc".into(),
            Some(credentials),
            Rc::new(LocalOnly),
        )
        .unwrap()
    }

    struct Memory(Vec<u8>);

    impl ByteSource for Memory {
        fn size(&self) -> u64 {
            self.0.len() as u64
        }
        fn read(&self, start: u64, end: u64) -> LocalFuture<'_, Result<Vec<u8>, String>> {
            let bytes = self.0[start as usize..end as usize].to_vec();
            Box::pin(async move { Ok(bytes) })
        }
    }

    /// A file that can be read `reads_left` times and then no more, as a browser
    /// `File` changed or deleted since it was picked; its parts are still handed
    /// to the transport (a `Blob` exists whether or not it can be read).
    struct Vanishing {
        bytes: Vec<u8>,
        reads_left: Cell<usize>,
    }

    impl ByteSource for Vanishing {
        fn size(&self) -> u64 {
            self.bytes.len() as u64
        }
        fn read(&self, start: u64, end: u64) -> LocalFuture<'_, Result<Vec<u8>, String>> {
            let read = match self.reads_left.get() {
                0 => Err("the file could not be read".to_string()),
                left => {
                    self.reads_left.set(left - 1);
                    Ok(self.bytes[start as usize..end as usize].to_vec())
                }
            };
            Box::pin(async move { read })
        }
        fn detached(&self, start: u64, end: u64) -> LocalFuture<'_, Result<DetachedBody, String>> {
            let bytes = self.bytes[start as usize..end as usize].to_vec();
            Box::pin(async move { Ok(DetachedBody::bytes(bytes)) })
        }
    }

    #[test]
    fn a_part_that_fails_because_the_file_went_away_says_so() {
        let parts = 2;
        for gone in [false, true] {
            let s3 = Rc::new(FakeS3::new(Tamper::Nothing));
            s3.parts_unreachable.set(true);
            let session = session(s3.clone());
            // Gone: the checksums are read (one read a part), then nothing more.
            let source = Vanishing {
                bytes: noise(parts * MULTIPART_THRESHOLD as usize),
                reads_left: Cell::new(if gone { parts } else { usize::MAX }),
            };
            let control = UploadControl::new();
            let mut future = upload_to_fake(&session, &source, &control, Rc::default());
            let result = poll_n(&mut future, 100).expect("the upload ends");
            match (gone, result) {
                (true, Err(UploadError::Read(_))) => {}
                (false, Err(UploadError::Call(CallError::Network(_)))) => {}
                (_, other) => panic!("file gone: {gone}, got {other:?}"),
            }
            drop(future);
            assert_eq!(s3.count("AbortMultipartUpload"), 1, "no orphan parts");
        }
    }

    fn noise(len: usize) -> Vec<u8> {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }

    /// Polls `future` (everything here answers at once or never) until it is ready
    /// or `polls` run out.
    fn poll_n<T>(
        future: &mut std::pin::Pin<Box<dyn Future<Output = T> + '_>>,
        polls: usize,
    ) -> Option<T> {
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..polls {
            if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
                return Some(value);
            }
        }
        None
    }

    fn upload_to_fake<'a>(
        session: &'a Session,
        source: &'a dyn ByteSource,
        control: &'a UploadControl,
        shown: Rc<Cell<u64>>,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), UploadError>> + 'a>> {
        Box::pin(upload(
            session,
            source,
            "private/us-east-1:abc/file.bin",
            None,
            UploadOptions {
                overwrite: true,
                resume: None,
                parts_in_flight: PARTS_IN_FLIGHT,
            },
            Rc::new(move |bytes| {
                assert!(bytes >= shown.get(), "progress went back");
                shown.set(bytes);
            }),
            control,
        ))
    }

    fn run_upload(tamper: Tamper, len: usize) -> (Result<(), UploadError>, Rc<FakeS3>) {
        let s3 = Rc::new(FakeS3::new(tamper));
        let session = session(s3.clone());
        let source = Memory(noise(len));
        let control = UploadControl::new();
        let mut future = upload_to_fake(&session, &source, &control, Rc::default());
        let result = poll_n(&mut future, 100).expect("the upload ends");
        drop(future);
        if result.is_ok() {
            assert_eq!(s3.object.borrow().as_ref().unwrap().0, source.0);
        }
        (result, s3)
    }

    #[test]
    fn completed_uploads_are_checked_with_a_head() {
        for len in [3 * MIB, 2 * MULTIPART_THRESHOLD as usize + 5] {
            let (result, s3) = run_upload(Tamper::Nothing, len);
            assert!(result.is_ok(), "{result:?}");
            assert_eq!(s3.count("HeadObject"), 1);
        }
        let (result, _) = run_upload(Tamper::Size, 3 * MIB);
        let message = result.unwrap_err().user_message("small.bin");
        assert!(
            message.contains(&format!(
                "stored object differs from your file: size {} vs {}",
                3 * MIB + 1,
                3 * MIB
            )),
            "{message}"
        );
        let (result, s3) = run_upload(Tamper::Size, 2 * MULTIPART_THRESHOLD as usize + 5);
        assert!(
            matches!(result, Err(UploadError::Mismatch(_))),
            "{result:?}"
        );
        assert_eq!(s3.count("CompleteMultipartUpload"), 1);
        let (result, _) = run_upload(Tamper::Checksum, 2 * MULTIPART_THRESHOLD as usize + 5);
        match result {
            Err(UploadError::Mismatch(detail)) => {
                assert!(detail.starts_with("CRC32 AAAAAA==-1 vs "), "{detail}");
                assert!(detail.ends_with("-3"), "{detail}");
            }
            other => panic!("a wrong checksum passed: {other:?}"),
        }
    }

    #[test]
    fn pause_cuts_parts_off_and_resume_sends_only_what_is_missing() {
        let s3 = Rc::new(FakeS3::new(Tamper::Nothing));
        let session = session(s3.clone());
        // Five parts: four go out at once and hang.
        let source = Memory(noise(4 * MULTIPART_THRESHOLD as usize + MIB));
        let control = UploadControl::new();
        let shown = Rc::new(Cell::new(0));
        s3.hold.set(true);
        let mut future = upload_to_fake(&session, &source, &control, shown.clone());
        assert!(poll_n(&mut future, 20).is_none());
        assert_eq!(s3.count("UploadPart (held)"), 4);

        control.pause();
        assert!(poll_n(&mut future, 20).is_none(), "paused, not ended");
        let sent_while_paused = s3.log.borrow().len();
        s3.hold.set(false);
        assert!(poll_n(&mut future, 20).is_none());
        assert_eq!(
            s3.log.borrow().len(),
            sent_while_paused,
            "nothing sent while paused"
        );

        control.resume();
        let result = poll_n(&mut future, 100).expect("the upload ends after resume");
        drop(future);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(
            s3.count("UploadPart"),
            5,
            "each part stored once after resume"
        );
        assert_eq!(s3.count("CreateMultipartUpload"), 1);
        assert_eq!(s3.object.borrow().as_ref().unwrap().0, source.0);
        assert_eq!(shown.get(), source.0.len() as u64);
    }

    #[test]
    fn cancel_aborts_parts_in_flight_and_the_upload() {
        let s3 = Rc::new(FakeS3::new(Tamper::Nothing));
        let session = session(s3.clone());
        let source = Memory(noise(2 * MULTIPART_THRESHOLD as usize));
        let control = UploadControl::new();
        s3.hold.set(true);
        let mut future = upload_to_fake(&session, &source, &control, Rc::default());
        assert!(poll_n(&mut future, 20).is_none());
        control.cancel();
        let result = poll_n(&mut future, 20).expect("cancel ends the upload at once");
        assert!(matches!(result, Err(UploadError::Cancelled)), "{result:?}");
        assert_eq!(s3.count("AbortMultipartUpload"), 1);
        assert_eq!(s3.count("CompleteMultipartUpload"), 0);
        assert_eq!(s3.count("HeadObject"), 0);
    }

    #[test]
    fn an_aborted_request_is_not_retried_and_is_no_network_error() {
        let s3 = Rc::new(FakeS3::new(Tamper::Nothing));
        let session = session(s3.clone());
        s3.hold.set(true);
        let signal = AbortSignal::new();
        let mut call: std::pin::Pin<Box<dyn Future<Output = Result<_, CallError>>>> =
            Box::pin(session.s3_abortable(
                |ctx| s3::build_upload_part(ctx, "private/us-east-1:abc/f", "u1", 1, vec![1], true),
                s3::parse_upload_part,
                None,
                Some(&signal),
            ));
        assert!(poll_n(&mut call, 5).is_none());
        signal.abort();
        let result = poll_n(&mut call, 5).expect("the abort ends the call");
        assert!(matches!(result, Err(CallError::Aborted)), "{result:?}");
        assert_eq!(s3.log.borrow().len(), 1, "sent once, not retried");
    }

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

    fn record(created: u64) -> ResumeRecord {
        ResumeRecord {
            upload_id: "u1".into(),
            key: "private/x/big.bin".into(),
            part_size: 8 << 20,
            created,
            parts: vec![
                RecordedPart {
                    number: 1,
                    etag: "\"e1\"".into(),
                    crc32: Some("c1".into()),
                },
                RecordedPart {
                    number: 2,
                    etag: "\"e2\"".into(),
                    crc32: Some("c2".into()),
                },
            ],
        }
    }

    fn listed(number: u32, etag: &str, size: u64, crc: Option<&str>) -> PartSummary {
        PartSummary {
            part_number: number,
            etag: etag.into(),
            size,
            checksum_crc32: crc.map(str::to_string),
            last_modified: None,
        }
    }

    #[test]
    fn only_whole_parts_with_a_checksum_are_reused() {
        let part = 8u64 << 20;
        let plan = s3::plan_parts(3 * part + 5, part).unwrap();
        let record = record(1000);
        let parts = reusable_parts(
            &plan,
            &record,
            &[
                listed(2, "e2", part, None),           // CRC32 from the record
                listed(1, "\"e1\"", part, Some("s1")), // S3's own CRC32
                listed(3, "e3", part - 1, Some("c3")), // cut short: sent again
                listed(4, "e4", 5, None),              // no CRC32 anywhere: sent again
                listed(9, "e9", part, Some("c9")),     // not in the plan
            ],
        );
        let numbers: Vec<(u32, Option<&str>)> = parts
            .iter()
            .map(|p| (p.part_number, p.checksum_crc32.as_deref()))
            .collect();
        assert_eq!(numbers, vec![(1, Some("s1")), (2, Some("c2"))]);
    }

    #[test]
    fn records_keep_the_text_earlier_builds_stored() {
        // As serde_json wrote them: records left by an earlier build still resume.
        let stored = r#"{"upload_id":"u1","key":"private/x/big.bin","part_size":8388608,"created":1000,"parts":[{"number":1,"etag":"\"e1\"","crc32":"c1"},{"number":2,"etag":"\"e2\"","crc32":"c2"}]}"#;
        assert_eq!(record(1000).to_json(), stored);
        assert_eq!(ResumeRecord::from_json(stored), Some(record(1000)));
        let mut no_crc = record(1000);
        no_crc.parts[1].crc32 = None;
        assert_eq!(ResumeRecord::from_json(&no_crc.to_json()), Some(no_crc));
        assert_eq!(
            resume_id("k/\"q\".txt", "a b", 1, 2),
            r#"cubby.upload.["k/\"q\".txt","a b",1,2]"#
        );
    }

    #[test]
    fn records_older_than_a_day_or_unreadable_are_dropped() {
        let now = 10 * RESUME_MAX_AGE;
        let fresh = record(now - 60);
        let old = record(now - RESUME_MAX_AGE);
        let dropped = stale_records(
            vec![
                (resume_id("k", "a", 1, 2), fresh.to_json()),
                (resume_id("k", "b", 1, 2), old.to_json()),
                (resume_id("k", "c", 1, 2), "{".into()),
                ("cubby.tokens".into(), "{".into()),
            ],
            now,
        );
        assert_eq!(
            dropped,
            vec![resume_id("k", "b", 1, 2), resume_id("k", "c", 1, 2)]
        );
        assert_eq!(ResumeRecord::from_json(&fresh.to_json()), Some(fresh));
        assert_ne!(resume_id("k", "a", 1, 2), resume_id("k", "a", 1, 3));
    }
}
