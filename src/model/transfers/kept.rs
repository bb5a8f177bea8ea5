//! Uploads that outlive the page: a multipart upload whose file's handle the
//! browser kept ([`KeptFile`](super::KeptFile), beside its resume record) is
//! picked up when the app opens again, without a new pick. Here: which kept
//! handles belong to uploads of this session's folder, whether the file is still
//! the one picked (its name, size and last change make the record's id), and the
//! restart of one that changed (its earlier upload aborted, never stitched). The
//! parts S3 holds are checked against the file's bytes when the upload resumes
//! (`resume::resumable`), as for a file picked again.

use super::resume::{abort_upload, resume_id, ResumeRecord, ResumeStore};
use crate::model::session::Session;

/// An unfinished upload whose file's handle is kept: its record's id and record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptUpload {
    pub id: String,
    pub record: ResumeRecord,
}

impl KeptUpload {
    /// The path below the user's `folder` (as the queue shows it).
    pub fn path(&self, folder: &str) -> String {
        let key = &self.record.key;
        key.strip_prefix(folder).unwrap_or(key).to_string()
    }

    /// Whether the file, as the handle reads it now (`name`, `size` in bytes,
    /// `last_modified` in epoch milliseconds), is the one picked: the record's id
    /// was made of them.
    pub fn unchanged(&self, name: &str, size: u64, last_modified: u64) -> bool {
        resume_id(&self.record.key, name, size, last_modified) == self.id
    }
}

/// Of the handles kept under `handle_ids`, the uploads to pick up (those whose
/// record in `store` is readable, not stale at `now` (epoch seconds) and for a
/// key in `folder`, the session's), and the ids of handles to forget (no usable
/// record: the upload finished, was given up or is past the bucket's abort rule).
/// Another user's uploads are left alone.
pub fn kept_uploads(
    store: &dyn ResumeStore,
    handle_ids: &[String],
    folder: &str,
    now: u64,
) -> (Vec<KeptUpload>, Vec<String>) {
    let mut kept = Vec::new();
    let mut forget = Vec::new();
    for id in handle_ids {
        let record = store
            .load(id)
            .and_then(|text| ResumeRecord::from_json(&text))
            .filter(|r| !r.is_stale(now));
        match record {
            Some(record) if record.key.starts_with(folder) => kept.push(KeptUpload {
                id: id.clone(),
                record,
            }),
            Some(_) => {}
            None => forget.push(id.clone()),
        }
    }
    (kept, forget)
}

/// A kept upload whose file changed: its multipart upload is aborted and its
/// record (with the handle) forgotten, so the file starts afresh. Best effort,
/// as every abort: the bucket's lifecycle rule cleans up what is left.
pub async fn restart(session: &Session, store: &dyn ResumeStore, kept: &KeptUpload) {
    abort_upload(session, &kept.record.key, &kept.record.upload_id).await;
    store.remove(&kept.id);
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::testing::MemoryRecords as Records;

    const NOW: u64 = 1_700_000_000;

    fn record(key: &str, created: u64) -> ResumeRecord {
        ResumeRecord {
            upload_id: "u1".into(),
            key: key.into(),
            part_size: 8 << 20,
            created,
            parts: Vec::new(),
        }
    }

    #[test]
    fn handles_are_matched_to_their_records_and_the_rest_forgotten() {
        let store = Records::default();
        let mine = resume_id("private/me/a.bin", "a.bin", 10, 5);
        let theirs = resume_id("private/you/b.bin", "b.bin", 10, 5);
        let stale = resume_id("private/me/c.bin", "c.bin", 10, 5);
        let broken = resume_id("private/me/d.bin", "d.bin", 10, 5);
        let finished = resume_id("private/me/e.bin", "e.bin", 10, 5);
        store.save(&mine, &record("private/me/a.bin", NOW - 60).to_json());
        store.save(&theirs, &record("private/you/b.bin", NOW - 60).to_json());
        store.save(
            &stale,
            &record("private/me/c.bin", NOW - 2 * 86_400).to_json(),
        );
        store.save(&broken, "{");
        let ids = [&mine, &theirs, &stale, &broken, &finished].map(|s| s.to_string());
        let (kept, forget) = kept_uploads(&store, &ids, "private/me/", NOW);
        assert_eq!(
            kept,
            [KeptUpload {
                id: mine.clone(),
                record: record("private/me/a.bin", NOW - 60)
            }]
        );
        assert_eq!(forget, [stale, broken, finished]);
        assert_eq!(kept[0].path("private/me/"), "a.bin");
    }

    #[test]
    fn a_file_of_another_size_date_or_name_is_a_changed_file() {
        let kept = KeptUpload {
            id: resume_id("private/me/dir/a.bin", "a.bin", 10, 5),
            record: record("private/me/dir/a.bin", NOW),
        };
        assert!(kept.unchanged("a.bin", 10, 5));
        assert!(!kept.unchanged("a.bin", 11, 5), "size");
        assert!(!kept.unchanged("a.bin", 10, 6), "last modified");
        assert!(!kept.unchanged("b.bin", 10, 5), "name");
        assert_eq!(kept.path("private/me/"), "dir/a.bin");
    }
}
