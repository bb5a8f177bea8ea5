//! Resume records: what is remembered of a multipart upload in progress (upload
//! id, part size, finished parts), kept in a [`ResumeStore`] until the upload
//! completes or is cancelled, and how a remembered upload is picked up again
//! (ListParts says which parts S3 still holds). A record the browser will not
//! store, or one S3 no longer answers for, is told to the user ([`ResumeNotice`])
//! and the upload goes on without it: it never fails a file.

use super::{ByteSource, UploadError};
use crate::model::session::{CallError, Session};
use crate::model::storage_keys::UPLOAD_RECORD_PREFIX;
use crate::model::transport::SendOptions;
use cubby_core::json_fields::read_object;
use cubby_core::s3::{self, CompletedPart, PartPlan, PartSummary};
use serde::{Deserialize, Serialize};

/// Records of unfinished uploads older than this are dropped: the bucket's
/// lifecycle rule aborts incomplete multipart uploads after one day.
pub const RESUME_MAX_AGE: u64 = 24 * 3600;

/// Where resume records are kept (localStorage in the app). Values are the
/// records' JSON.
pub trait ResumeStore {
    fn load(&self, id: &str) -> Option<String>;
    /// `false` when the record was not stored (the storage is full or refused).
    fn save(&self, id: &str, value: &str) -> bool;
    fn remove(&self, id: &str);
    /// The ids of every record kept (those starting with `UPLOAD_RECORD_PREFIX`);
    /// by default none are known.
    fn ids(&self) -> Vec<String> {
        Vec::new()
    }
}

/// What the user hears about an upload's resume record (each at most once per
/// upload).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResumeNotice {
    /// The browser would not store the record: the upload goes on, but a reload
    /// would lose it (and Cubby aborts it if it cannot finish now).
    NotStored,
    /// The stored record could not be used (S3 no longer has that upload, or
    /// would not list its parts): the file is sent again from its start.
    StartedAfresh,
    /// The file is not what was sent before (its bytes differ from the parts S3
    /// holds, or its size or date changed): the earlier upload was aborted and the
    /// file is sent again from its start, never stitched.
    FileChanged,
}

impl ResumeNotice {
    /// The message for the user about the upload of `name`.
    pub fn user_message(self, name: &str) -> String {
        match self {
            ResumeNotice::NotStored => format!(
                "The upload of {name} cannot resume after a reload: the browser's storage is \
                 full (or turned off for this site). The upload goes on; keep this page open \
                 until it is done."
            ),
            ResumeNotice::StartedAfresh => format!(
                "The earlier upload of {name} could not be picked up where it stopped, so it \
                 starts again from the beginning."
            ),
            ResumeNotice::FileChanged => format!(
                "{name} changed since its upload began, so it is sent again from the \
                 beginning."
            ),
        }
    }
}

/// The record of one file's upload: its storage id, from the destination key and
/// the file's name, size and modification time (a changed file starts afresh).
pub fn resume_id(key: &str, file_name: &str, size: u64, last_modified: u64) -> String {
    // A JSON array of the four: strings and numbers, serialising cannot fail.
    let parts = serde_json::to_string(&(key, file_name, size, last_modified)).unwrap_or_default();
    format!("{UPLOAD_RECORD_PREFIX}{parts}")
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
        // Objects only, a repeated name's last value: as every reader in the app.
        read_object(text.as_bytes()).ok()
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
        .filter(|(id, _)| id.starts_with(UPLOAD_RECORD_PREFIX))
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
pub(super) fn sort_by_part_number(parts: &mut [CompletedPart]) {
    parts.sort_by_key(|p| p.part_number);
}

fn same_etag(a: &str, b: &str) -> bool {
    a.trim_matches('"') == b.trim_matches('"')
}

/// At sign-out: aborts the multipart uploads the records in `store` remember (those
/// in the session's folder, while its credentials still allow it), for at most
/// `within_ms` milliseconds in all, then forgets every record, so no file name or
/// upload id stays in the browser. Best effort: the bucket's lifecycle rule removes
/// what was not aborted in time within a day.
pub async fn abort_and_forget_all(session: &Session, store: &dyn ResumeStore, within_ms: u32) {
    let ids = store.ids();
    let folder = session.root_prefix();
    let records: Vec<ResumeRecord> = ids
        .iter()
        .filter_map(|id| store.load(id))
        .filter_map(|text| ResumeRecord::from_json(&text))
        .filter(|r| r.key.starts_with(&folder))
        .collect();
    let aborts = futures::future::join_all(records.iter().map(|r| {
        session.s3(
            |ctx| s3::build_abort_multipart_upload(ctx, &r.key, &r.upload_id),
            s3::parse_abort_multipart_upload,
            SendOptions::default(),
        )
    }));
    let deadline = (session.env().sleep)(within_ms);
    futures::future::select(Box::pin(aborts), deadline).await;
    for id in ids {
        store.remove(&id);
    }
}

/// Where to remember an upload so it can resume: the store and the record's id,
/// and who hears what became of the record.
pub struct Resume<'a> {
    pub store: &'a dyn ResumeStore,
    pub id: String,
    pub notify: &'a dyn Fn(ResumeNotice),
    /// The file's handle, kept beside the record once it is stored (where the
    /// browser can keep one), so the upload resumes without a new pick.
    pub kept: Option<&'a dyn KeptFile>,
}

/// A picked file the browser can find again after a restart (a File System
/// Access handle in the app): kept under a record's id. [`ResumeStore::remove`]
/// forgets it with the record.
pub trait KeptFile {
    /// Keeps the file's handle under `id` (best effort).
    fn keep(&self, id: &str);
}

/// Aborts the multipart upload `upload_id` of `key`, so its parts do not stay
/// behind. Best effort: the bucket's lifecycle rule cleans up if this fails too.
pub(super) async fn abort_upload(session: &Session, key: &str, upload_id: &str) {
    let _ = session
        .s3(
            |ctx| s3::build_abort_multipart_upload(ctx, key, upload_id),
            s3::parse_abort_multipart_upload,
            SendOptions::default(),
        )
        .await;
}

/// Every part ListParts knows of the upload (following the pages).
async fn list_all_parts(
    session: &Session,
    key: &str,
    upload_id: &str,
    options: &SendOptions,
) -> Result<Vec<PartSummary>, CallError> {
    let mut parts = Vec::new();
    let mut marker = None;
    loop {
        let page = session
            .s3(
                |ctx| s3::build_list_parts(ctx, key, upload_id, marker, None),
                s3::parse_list_parts,
                options.clone(),
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
/// this file that S3 still has. A record that cannot be used (unreadable, stale,
/// planned with another part size, or one S3 would not answer for: `NoSuchUpload`,
/// ListParts denied, any S3 error) is dropped, its upload aborted if S3 may still
/// hold it, and the user told ([`ResumeNotice::StartedAfresh`]): the file starts
/// afresh. The parts S3 holds are checked against the file's bytes (CRC32): a
/// file that changed has its earlier upload aborted and starts afresh
/// ([`ResumeNotice::FileChanged`]). `options` go with ListParts (the upload's
/// wait for the connection).
///
/// # Errors
///
/// S3 out of reach (or the session refused): the record stays for later. The
/// file could not be read (to check the parts S3 holds against it).
pub(super) async fn resumable(
    session: &Session,
    source: &dyn ByteSource,
    plan: &PartPlan,
    key: &str,
    resume: &Resume<'_>,
    options: SendOptions,
) -> Result<Option<(ResumeRecord, Vec<CompletedPart>)>, UploadError> {
    let Some(text) = resume.store.load(&resume.id) else {
        return Ok(None);
    };
    let start_afresh = || {
        resume.store.remove(&resume.id);
        (resume.notify)(ResumeNotice::StartedAfresh);
        Ok(None)
    };
    let record = ResumeRecord::from_json(&text)
        .filter(|r| !r.is_stale(session.env().now_secs()))
        .filter(|r| r.key == key);
    // Unreadable, or so old that the bucket's lifecycle rule aborted it.
    let Some(record) = record else {
        return start_afresh();
    };
    if record.part_size != plan.part_size() {
        // Planned by another build: its parts do not fit this plan.
        abort_upload(session, key, &record.upload_id).await;
        return start_afresh();
    }
    match list_all_parts(session, key, &record.upload_id, &options).await {
        Ok(listed) => {
            let parts = reusable_parts(plan, &record, &listed);
            if !same_bytes(source, plan, &parts).await? {
                // A changed file: its old parts never go into the new object.
                abort_upload(session, key, &record.upload_id).await;
                resume.store.remove(&resume.id);
                (resume.notify)(ResumeNotice::FileChanged);
                return Ok(None);
            }
            Ok(Some((record, parts)))
        }
        Err(CallError::S3(e)) => {
            if !e.is_not_found() {
                abort_upload(session, key, &record.upload_id).await;
            }
            start_afresh()
        }
        Err(e) => Err(UploadError::Call(e)),
    }
}

/// Whether the file's bytes still give each of `parts`' CRC32 (what S3 holds of
/// them): a file edited since those parts were sent must not be stitched to them.
///
/// # Errors
///
/// The file could not be read.
async fn same_bytes(
    source: &dyn ByteSource,
    plan: &PartPlan,
    parts: &[CompletedPart],
) -> Result<bool, UploadError> {
    for part in parts {
        let Some(range) = plan.range(part.part_number) else {
            return Ok(false);
        };
        let mut crc = s3::Crc32::default();
        source
            .read_chunks(range.start, range.end, &mut |chunk| crc.update(chunk))
            .await
            .map_err(UploadError::Read)?;
        if part.checksum_crc32.as_deref() != Some(crc.finish().as_str()) {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{self, fixed_env, ready, IDENTITY_ID};
    use crate::model::transport::{send_plainly, LocalFuture, SendResult, Transport};
    use std::cell::RefCell;
    use std::rc::Rc;

    use crate::model::testing::MemoryRecords as Records;

    /// Answers AbortMultipartUpload with 204 and notes the upload ids; with
    /// `answers` false it never answers at all.
    struct S3 {
        answers: bool,
        aborted: RefCell<Vec<String>>,
    }

    impl Transport for S3 {
        fn send(
            &self,
            request: http::Request<Vec<u8>>,
            options: SendOptions,
        ) -> LocalFuture<'_, SendResult> {
            send_plainly(request, &options, |request| {
                assert_eq!(request.method(), http::Method::DELETE);
                let query = request.uri().query().unwrap_or_default().to_string();
                self.aborted.borrow_mut().push(query);
                if !self.answers {
                    return Box::pin(std::future::pending());
                }
                let response = http::Response::builder().status(204).body(Vec::new());
                Box::pin(std::future::ready(Ok(response.unwrap())))
            })
        }
    }

    fn records() -> Records {
        let store = Records::default();
        for (upload_id, key) in [
            ("u1", format!("private/{IDENTITY_ID}/a.iso")),
            ("u2", format!("private/{IDENTITY_ID}/b/c.iso")),
            ("u3", "private/us-east-1:someone-else/d.iso".to_string()),
        ] {
            let record = ResumeRecord {
                upload_id: upload_id.into(),
                key: key.clone(),
                part_size: 8 << 20,
                created: testing::NOW,
                parts: Vec::new(),
            };
            store.save(&resume_id(&key, "x.iso", 1, 2), &record.to_json());
        }
        store
    }

    #[test]
    fn sign_out_aborts_the_users_uploads_and_forgets_every_record() {
        let s3 = Rc::new(S3 {
            answers: true,
            aborted: RefCell::default(),
        });
        let session = testing::session(s3.clone(), fixed_env());
        let store = records();
        ready(abort_and_forget_all(&session, &store, 2_000));
        let mut aborted = s3.aborted.borrow().clone();
        aborted.sort();
        assert_eq!(aborted, ["uploadId=u1", "uploadId=u2"]);
        assert!(store.ids().is_empty(), "records left: {:?}", store.ids());
    }

    #[test]
    fn aborts_that_get_no_answer_do_not_hold_the_sign_out_up() {
        let s3 = Rc::new(S3 {
            answers: false,
            aborted: RefCell::default(),
        });
        let session = testing::session(s3.clone(), fixed_env());
        let store = records();
        // The fixed env's sleep ends at once: the deadline passes before S3 answers.
        ready(abort_and_forget_all(&session, &store, 2_000));
        assert_eq!(s3.aborted.borrow().len(), 2, "both were sent");
        assert!(store.ids().is_empty());
    }
}
