//! Resume records: what is remembered of a multipart upload in progress (upload
//! id, part size, finished parts), kept in a [`ResumeStore`] until the upload
//! completes or is cancelled, and how a remembered upload is picked up again
//! (ListParts says which parts S3 still holds).

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
    fn save(&self, id: &str, value: &str);
    fn remove(&self, id: &str);
    /// The ids of every record kept (those starting with `UPLOAD_RECORD_PREFIX`);
    /// by default none are known.
    fn ids(&self) -> Vec<String> {
        Vec::new()
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

/// Where to remember an upload so it can resume: the store and the record's id.
pub struct Resume<'a> {
    pub store: &'a dyn ResumeStore,
    pub id: String,
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
                SendOptions::default(),
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
pub(super) async fn resumable(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{self, fixed_env, ready, IDENTITY_ID};
    use crate::model::transport::{send_plainly, LocalFuture, SendResult, Transport};
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::rc::Rc;

    #[derive(Default)]
    struct Records(RefCell<BTreeMap<String, String>>);

    impl ResumeStore for Records {
        fn load(&self, id: &str) -> Option<String> {
            self.0.borrow().get(id).cloned()
        }
        fn save(&self, id: &str, value: &str) {
            self.0.borrow_mut().insert(id.into(), value.into());
        }
        fn remove(&self, id: &str) {
            self.0.borrow_mut().remove(id);
        }
        fn ids(&self) -> Vec<String> {
            self.0.borrow().keys().cloned().collect()
        }
    }

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
