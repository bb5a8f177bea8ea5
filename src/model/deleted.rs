//! Recently deleted: the user's files whose latest version is a delete marker,
//! found by listing every version under the user's folder (GET and HEAD of such a
//! key answer 403 to this role, as AWS does), filtered by name, and restored one
//! or many at a time by copying the version just below the marker back
//! ([`versions::restore_to`]; the marker stays in the history under the new
//! current version).
//!
//! Folder markers (keys ending in `/`) are left out: a deleted folder's files are
//! listed with their folder path, and restoring them brings the folder back.

use crate::model::listing;
use crate::model::session::{CallError, Session};
use crate::model::transfers::queue::Conflict;
use crate::model::versions;
use cubby_core::s3::{S3Error, NULL_VERSION_ID};
use std::collections::HashSet;
use std::ops::ControlFlow;

/// One deleted file that can be brought back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletedFile {
    /// Its S3 key (under the user's folder).
    pub key: String,
    /// The file's name (the key's last segment).
    pub name: String,
    /// The folder it was in, below the user's folder (`photos/2024/`; empty for
    /// the user's folder itself).
    pub folder: String,
    /// When it was deleted (the delete marker's LastModified), epoch seconds.
    pub deleted_at: Option<u64>,
    /// The version a restore copies back: the newest one below the marker.
    pub version_id: String,
    /// That version's size in bytes.
    pub size: u64,
}

/// What the listing found under the user's folder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deleted {
    /// The deleted files, newest deletion first.
    pub files: Vec<DeletedFile>,
    /// The keys that hold a file now (their latest version is no delete marker):
    /// a restore onto one of them replaces it.
    current: HashSet<String>,
    /// Whether every version listed has the id `null` (see
    /// [`versions::History::versioning_off`]).
    only_null: bool,
}

impl Deleted {
    /// Whether the bucket keeps no versions: no deleted file, and every version
    /// listed has the id `null` (nothing listed is no claim about the bucket).
    pub fn versioning_off(&self) -> bool {
        self.files.is_empty() && self.only_null
    }

    /// Whether a file is stored at `key` now.
    pub fn exists_now(&self, key: &str) -> bool {
        self.current.contains(key)
    }

    /// The deleted files whose name holds `query` (case-insensitive; all of them
    /// for an empty query).
    pub fn matching(&self, query: &str) -> Vec<DeletedFile> {
        let query = query.trim().to_lowercase();
        self.files
            .iter()
            .filter(|f| f.name.to_lowercase().contains(&query))
            .cloned()
            .collect()
    }
}

/// Every deleted file under `root` (the user's folder, `private/<identity id>/`):
/// ListObjectVersions of the whole tree, page after page; a key counts when its
/// latest entry is a delete marker and an older version holds bytes.
///
/// # Errors
///
/// The first listing call that failed ([`CallError`]).
pub async fn list(session: &Session, root: &str) -> Result<Deleted, CallError> {
    let mut found = Deleted {
        only_null: true,
        ..Deleted::default()
    };
    let mut listed_any = false;
    // The key being read and, while its latest entry is a marker not yet followed
    // by a version, that marker's date.
    let mut key = String::new();
    let mut marker: Option<Option<u64>> = None;
    versions::each_version(session, root, |version| {
        listed_any = true;
        if !version.is_delete_marker && version.version_id != NULL_VERSION_ID {
            found.only_null = false;
        }
        if version.key != key {
            key.clone_from(&version.key);
            marker = None;
            if !version.is_latest {
                // S3 lists a key's newest entry first; a page never starts inside
                // a key without its latest entry having been read before it.
                return ControlFlow::Continue(());
            }
            if version.is_delete_marker {
                marker = Some(version.last_modified);
            } else {
                found.current.insert(version.key);
            }
            return ControlFlow::Continue(());
        }
        if let (Some(deleted_at), false) = (marker, version.is_delete_marker) {
            marker = None;
            if !version.key.ends_with('/') {
                let relative = version.key.strip_prefix(root).unwrap_or(&version.key);
                let (folder, name) = match relative.rsplit_once('/') {
                    Some((folder, name)) => (format!("{folder}/"), name.to_string()),
                    None => (String::new(), relative.to_string()),
                };
                found.files.push(DeletedFile {
                    key: version.key,
                    name,
                    folder,
                    deleted_at,
                    version_id: version.version_id,
                    size: version.size,
                });
            }
        }
        ControlFlow::Continue(())
    })
    .await?;
    found.only_null &= listed_any;
    found
        .files
        .sort_by(|a, b| b.deleted_at.cmp(&a.deleted_at).then(a.key.cmp(&b.key)));
    Ok(found)
}

/// How one file's restore went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Brought back at this key (its own, or a free name beside it).
    Restored(String),
    /// A file by its name exists now and the user chose to skip it.
    Skipped,
    /// A file was stored at its name since the list was made (the copy's
    /// `If-None-Match` failed): the user is to be asked, then [`restore`] run
    /// again with the answer.
    Taken,
    /// The copy failed: the message for people (plain words, then details).
    Failed(String),
}

/// One file's result in a restore of many.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restored {
    pub file: DeletedFile,
    pub outcome: Outcome,
}

/// Restores `files`, one after the other (one failure never stops the others).
/// A file whose name holds a file now ([`Deleted::exists_now`]) is handled as
/// `on_conflict` says: replaced, restored beside it under a free name
/// ([`listing::keep_both_name`], e.g. `notes (1).txt`), or skipped. A file whose
/// name is free is copied only if it still is (`If-None-Match`), so nothing
/// stored meanwhile is replaced without asking. `deleted` learns the keys that
/// hold files now and forgets the files restored.
pub async fn restore(
    session: &Session,
    deleted: &mut Deleted,
    files: &[DeletedFile],
    on_conflict: Conflict,
) -> Vec<Restored> {
    let mut results = Vec::with_capacity(files.len());
    for file in files {
        let taken = deleted.exists_now(&file.key);
        let destination = match (taken, on_conflict) {
            (false, _) | (true, Conflict::Replace) => file.key.clone(),
            (true, Conflict::Skip) => {
                results.push(Restored {
                    file: file.clone(),
                    outcome: Outcome::Skipped,
                });
                continue;
            }
            (true, Conflict::KeepBoth) => {
                let dir = &file.key[..file.key.len() - file.name.len()];
                let name = listing::keep_both_name(&file.name, |n| {
                    deleted.exists_now(&format!("{dir}{n}"))
                });
                format!("{dir}{name}")
            }
        };
        let replace = taken && on_conflict == Conflict::Replace;
        let result =
            versions::restore_to(session, &file.key, &file.version_id, &destination, !replace)
                .await;
        let outcome = match result {
            Err(e)
                if !taken
                    && e.s3().is_some_and(S3Error::is_precondition_failed)
                    && destination == file.key =>
            {
                deleted.current.insert(file.key.clone());
                Outcome::Taken
            }
            Ok(()) => {
                deleted.current.insert(destination.clone());
                deleted.files.retain(|f| f.key != file.key);
                Outcome::Restored(destination)
            }
            Err(e) => Outcome::Failed(e.user_message(&format!(
                "restore {}",
                crate::model::text::shown_name(&file.name)
            ))),
        };
        results.push(Restored {
            file: file.clone(),
            outcome,
        });
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{ready, IDENTITY_ID};
    use crate::model::versions::tests::{key, session, Versions};
    use std::rc::Rc;

    fn root() -> String {
        format!("private/{IDENTITY_ID}/")
    }

    /// a.txt deleted (two versions below the marker), b.txt current, c/d.txt
    /// deleted, e.txt deleted twice with nothing below (its only version gone
    /// for good elsewhere: a marker alone), f/ a deleted folder marker.
    fn bucket(page_size: usize) -> Rc<Versions> {
        Versions::new(
            &[
                ("a.txt", "m1", true),
                ("a.txt", "v12", false),
                ("a.txt", "v1", false),
                ("b.txt", "v2", false),
                ("b.txt", "m0", true),
                ("b.txt", "v0", false),
                ("c/d.txt", "m3", true),
                ("c/d.txt", "m2", true),
                ("c/d.txt", "v333", false),
                ("e.txt", "m4", true),
                ("f/", "m5", true),
                ("f/", "v5", false),
            ],
            page_size,
        )
    }

    #[test]
    fn deleted_files_are_keys_whose_latest_entry_is_a_marker_over_a_version() {
        for page_size in [1, 2, 1000] {
            let bucket = bucket(page_size);
            let found = ready(list(&session(&bucket), &root())).unwrap();
            let got: Vec<(&str, &str, &str, u64)> = found
                .files
                .iter()
                .map(|f| {
                    (
                        f.name.as_str(),
                        f.folder.as_str(),
                        f.version_id.as_str(),
                        f.size,
                    )
                })
                .collect();
            assert_eq!(
                got,
                vec![("a.txt", "", "v12", 3), ("d.txt", "c/", "v333", 4)],
                "page size {page_size}"
            );
            assert_eq!(found.files[0].key, key("a.txt"));
            assert_eq!(found.files[0].deleted_at, Some(1_796_040_000));
            assert!(found.exists_now(&key("b.txt")));
            assert!(!found.exists_now(&key("a.txt")));
            assert!(!found.versioning_off());
            let log = bucket.log.borrow();
            assert!(log
                .iter()
                .all(|r| r.uri().query().unwrap().contains("encoding-type=url")
                    && !r.uri().query().unwrap().contains("delimiter")));
        }
    }

    #[test]
    fn the_search_is_a_case_insensitive_substring_of_the_name() {
        let found = ready(list(&session(&bucket(1000)), &root())).unwrap();
        let names =
            |q: &str| -> Vec<String> { found.matching(q).into_iter().map(|f| f.name).collect() };
        assert_eq!(names(""), vec!["a.txt", "d.txt"]);
        assert_eq!(names("D.T"), vec!["d.txt"]);
        assert_eq!(
            names("c/"),
            Vec::<String>::new(),
            "the folder is no part of the name"
        );
        assert_eq!(names("zzz"), Vec::<String>::new());
    }

    #[test]
    fn versioning_off_is_told_from_null_versions_only() {
        let bucket = Versions::new(&[("a.txt", "null", false)], 1000);
        assert!(ready(list(&session(&bucket), &root()))
            .unwrap()
            .versioning_off());
        let empty = Versions::new(&[], 1000);
        assert!(!ready(list(&session(&empty), &root()))
            .unwrap()
            .versioning_off());
    }

    #[test]
    fn restoring_many_goes_on_after_a_failure_and_reports_each() {
        let bucket = Rc::new(Versions {
            fail_copy_of: Some(key("a.txt")),
            ..Rc::into_inner(bucket(1000)).unwrap()
        });
        let session = session(&bucket);
        let mut found = ready(list(&session, &root())).unwrap();
        let files = found.files.clone();
        bucket.log.borrow_mut().clear();
        let results = ready(restore(&session, &mut found, &files, Conflict::Skip));
        assert_eq!(results.len(), 2);
        match &results[0].outcome {
            Outcome::Failed(message) => {
                let (plain, details) = crate::model::message::split(message);
                assert!(plain.starts_with("Could not restore a.txt"), "{plain}");
                assert!(
                    details.is_some_and(|d| d.contains("AccessDenied")),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(results[1].outcome, Outcome::Restored(key("c/d.txt")));
        let log = bucket.log.borrow();
        assert_eq!(log.len(), 2);
        // A free name is written only if it still is free.
        assert_eq!(log[1].headers()["if-none-match"], "*");
        assert!(log[1].headers()["x-amz-copy-source"]
            .to_str()
            .unwrap()
            .ends_with("?versionId=v333"));
        assert_eq!(
            found.files.len(),
            1,
            "the restored one is no longer deleted"
        );
        assert!(found.exists_now(&key("c/d.txt")));
    }

    #[test]
    fn a_name_taken_since_the_list_is_asked_then_replaced_kept_beside_or_skipped() {
        // g/c.txt deleted, beside a current g/c (1).txt; a new g/c.txt is stored
        // after the list was made.
        let entries = [
            ("g/c (1).txt", "x1", false),
            ("g/c.txt", "m", true),
            ("g/c.txt", "v7", false),
        ];
        let bucket = Rc::new(Versions {
            stored_since: Some(key("g/c.txt")),
            ..Rc::into_inner(Versions::new(&entries, 1000)).unwrap()
        });
        let session = session(&bucket);
        let mut found = ready(list(&session, &root())).unwrap();
        let file = found.files[0].clone();
        assert!(!found.exists_now(&file.key));

        let first = ready(restore(
            &session,
            &mut found,
            std::slice::from_ref(&file),
            Conflict::Skip,
        ));
        assert_eq!(first[0].outcome, Outcome::Taken);
        assert!(found.exists_now(&file.key), "the name is known taken now");
        assert_eq!(found.files.len(), 1, "still deleted");
        let sent = bucket.log.borrow().len();

        let skipped = ready(restore(
            &session,
            &mut found.clone(),
            std::slice::from_ref(&file),
            Conflict::Skip,
        ));
        assert_eq!(skipped[0].outcome, Outcome::Skipped);
        assert_eq!(bucket.log.borrow().len(), sent, "skipping sends nothing");

        let replaced = ready(restore(
            &session,
            &mut found.clone(),
            std::slice::from_ref(&file),
            Conflict::Replace,
        ));
        assert_eq!(replaced[0].outcome, Outcome::Restored(key("g/c.txt")));
        let copy = bucket.log.borrow().last().unwrap().clone();
        assert!(copy.headers().get("if-none-match").is_none());

        let both = ready(restore(&session, &mut found, &[file], Conflict::KeepBoth));
        assert_eq!(both[0].outcome, Outcome::Restored(key("g/c (2).txt")));
        let copy = bucket.log.borrow().last().unwrap().clone();
        assert_eq!(copy.headers()["if-none-match"], "*");
        assert!(
            copy.uri().path().ends_with("/g/c%20%282%29.txt"),
            "{}",
            copy.uri()
        );
        assert!(found.exists_now(&key("g/c (2).txt")));
    }
}
