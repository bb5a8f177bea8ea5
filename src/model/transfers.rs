//! Uploads that lose nothing: one PUT for small files, multipart above a threshold
//! with several parts in flight (each read from the file only when it is sent, so
//! memory stays at parts-in-flight × part size), per-part retries through the
//! session's policy, a CRC32 per part, and an abort on cancel or failure so no
//! orphan parts stay behind. A multipart upload is remembered (upload id and
//! finished parts) while it runs, so picking the same file again after a reload, or
//! after the network gave out, sends only the parts S3 does not have yet.

use crate::core::s3::{self, CompletedPart, PartPlan, PartSummary};
use crate::model::files;
use crate::model::session::{CallError, Session};
use crate::model::transport::LocalFuture;
use serde::{Deserialize, Serialize};
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
    let parts = serde_json::to_string(&(key, file_name, size, last_modified))
        .expect("plain values serialise");
    format!("{RESUME_PREFIX}{parts}")
}

/// What is remembered of a multipart upload in progress.
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
        serde_json::to_string(self).expect("plain values serialise")
    }

    pub fn from_json(text: &str) -> Option<ResumeRecord> {
        serde_json::from_str(text).ok()
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
    parts.sort_by_key(|p| p.part_number);
    parts.dedup_by_key(|p| p.part_number);
    parts
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
}

pub struct UploadOptions<'a> {
    /// `false`: fail with PreconditionFailed instead of replacing an existing object.
    pub overwrite: bool,
    /// Remember a multipart upload here, and pick it up if it was remembered.
    pub resume: Option<Resume<'a>>,
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
    options: UploadOptions<'_>,
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
        files::put_bytes_with_progress(
            session,
            key,
            body,
            content_type,
            !options.overwrite,
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
    is_cancelled: Rc<dyn Fn() -> bool>,
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
    on_progress(progress.bytes());
    let todo: Vec<u32> = (1..=plan.part_count())
        .filter(|n| !reused.iter().any(|p| p.part_number == *n))
        .collect();
    let next_index = Cell::new(0usize);
    let failure: RefCell<Option<UploadError>> = RefCell::new(None);
    let done: RefCell<Vec<CompletedPart>> = RefCell::new(reused);

    let worker = || async {
        loop {
            if failure.borrow().is_some() {
                return;
            }
            if is_cancelled() {
                failure.borrow_mut().get_or_insert(UploadError::Cancelled);
                return;
            }
            let Some(&number) = todo.get(next_index.get()) else {
                return;
            };
            next_index.set(next_index.get() + 1);
            let Some(range) = plan.range(number) else {
                return;
            };
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
                    let part = CompletedPart {
                        part_number: number,
                        etag: out.etag,
                        checksum_crc32: out.checksum_crc32,
                    };
                    remember(Some(&part));
                    done.borrow_mut().push(part);
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
