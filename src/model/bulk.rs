//! Acting on many entries at once (the selection): delete and move, with one
//! progress count and a list of what failed at the end. A failure of one item
//! never stops the others, and nothing already done is undone.
//!
//! Delete expands folders to their contents and sends one DeleteObjects call per
//! [`BATCH`] keys ([`files::delete_keys`], which plans them with
//! [`cubby_core::s3::plan_deletes`]); move runs [`files::move_entry`] per entry.

use crate::model::files;
use crate::model::listing::{self, Entry};
use crate::model::session::Session;
use crate::model::text;

/// Keys per DeleteObjects call: S3's limit for one request.
pub const BATCH: usize = 1000;

/// One item that was not done, and why, in plain words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemFailure {
    /// The item's path below the user's folder, shown as stored.
    pub path: String,
    /// Why, as a failed call says it ([`crate::model::session::CallError::user_message`]).
    pub message: String,
}

/// What a bulk operation did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BulkReport {
    /// Items done (objects deleted, entries moved).
    pub done: usize,
    /// Items tried in all.
    pub total: usize,
    pub failures: Vec<ItemFailure>,
}

impl BulkReport {
    /// One line for people: "12 of 40 items deleted." (`verb`: "deleted").
    pub fn summary(&self, verb: &str) -> String {
        format!(
            "{} of {} {verb}.",
            text::number(self.done as u64),
            text::count(self.total as u64, "item", "items")
        )
    }
}

/// Deletes `entries` (files, and folders with everything in them). Folders are
/// listed first (a folder that cannot be listed is one failure; the others go
/// on); then every key goes in calls of at most [`BATCH`]. `progress(done,
/// total)` is told after each call, in objects.
pub async fn delete(
    session: &Session,
    entries: &[Entry],
    progress: &dyn Fn(usize, usize),
) -> BulkReport {
    let root = session.root_prefix();
    let mut report = BulkReport::default();
    let mut keys: Vec<String> = Vec::new();
    for entry in entries {
        if !entry.is_folder() {
            keys.push(entry.key.clone());
            continue;
        }
        match files::all_keys_under(session, &entry.key).await {
            Ok(under) => keys.extend(under),
            Err(e) => {
                report.total += 1;
                let path = shown(&root, &entry.key);
                report.failures.push(ItemFailure {
                    message: e.user_message(&format!("list the folder {path}")),
                    path,
                });
            }
        }
    }
    report.total += keys.len();
    progress(0, report.total);
    for batch in keys.chunks(BATCH) {
        let failed = files::delete_keys(session, batch).await;
        report.done += batch.len() - failed.len();
        report.failures.extend(failed.into_iter().map(|(key, e)| {
            let path = shown(&root, &key);
            ItemFailure {
                message: e.user_message(&format!("delete {path}")),
                path,
            }
        }));
        progress(report.done + report.failures.len(), report.total);
    }
    report
}

/// Moves `entries` into the folder `destination` (typed below the user's folder,
/// as [`listing::move_target`] reads it), one entry after the other;
/// `progress(done, total)` is told after each, in entries.
pub async fn move_to(
    session: &Session,
    entries: &[Entry],
    destination: &str,
    progress: &dyn Fn(usize, usize),
) -> BulkReport {
    let root = session.root_prefix();
    let mut report = BulkReport {
        total: entries.len(),
        ..BulkReport::default()
    };
    progress(0, report.total);
    for (index, entry) in entries.iter().enumerate() {
        let path = shown(&root, &entry.key);
        let result = match listing::move_target(&root, destination, entry) {
            Ok(target) => files::move_entry(session, entry, &target)
                .await
                .map_err(|e| e.user_message(&format!("move {path}"))),
            Err(why) => Err(why),
        };
        match result {
            Ok(()) => report.done += 1,
            Err(message) => report.failures.push(ItemFailure { path, message }),
        }
        progress(index + 1, report.total);
    }
    report
}

/// `key` as the person knows it: its path below their folder `root`, shown as stored.
fn shown(root: &str, key: &str) -> String {
    text::shown_name(key.strip_prefix(root).unwrap_or(key).trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::files::tests::{entry, session, Bucket};
    use crate::model::testing::ready;
    use std::cell::RefCell;

    #[test]
    fn delete_expands_folders_and_sends_one_call_per_thousand_keys() {
        let many: Vec<String> = (0..2_345).map(|i| format!("big/{i:05}.bin")).collect();
        let mut keys: Vec<&str> = many.iter().map(String::as_str).collect();
        keys.extend(["a.txt", "b.txt", "keep.txt", "small/x.txt"]);
        let bucket = Bucket::with(&keys);
        let session = session(&bucket);
        let seen = RefCell::new(Vec::new());
        let entries = [
            entry("a.txt"),
            entry("big/"),
            entry("b.txt"),
            entry("small/"),
        ];
        let report = ready(delete(&session, &entries, &|done, total| {
            seen.borrow_mut().push((done, total))
        }));
        assert_eq!(bucket.keys(), ["keep.txt"]);
        assert_eq!(bucket.count("POST"), 3, "2,348 keys: three calls");
        assert_eq!(report.done, 2_348);
        assert_eq!(report.total, 2_348);
        assert!(report.failures.is_empty(), "{:?}", report.failures);
        assert_eq!(
            *seen.borrow(),
            [(0, 2_348), (1_000, 2_348), (2_000, 2_348), (2_348, 2_348)]
        );
        assert_eq!(report.summary("deleted"), "2,348 of 2,348 items deleted.");
    }

    #[test]
    fn one_refused_key_is_listed_and_the_rest_are_deleted() {
        let bucket = Bucket::with(&["a.txt", "b.txt", "dir/c.txt", "dir/d.txt"]);
        bucket.refused.borrow_mut().push("dir/c.txt".into());
        let session = session(&bucket);
        let entries = [entry("a.txt"), entry("b.txt"), entry("dir/")];
        let report = ready(delete(&session, &entries, &|_, _| {}));
        assert_eq!(bucket.keys(), ["dir/c.txt"]);
        assert_eq!((report.done, report.total), (3, 4));
        assert_eq!(report.failures.len(), 1);
        assert_eq!(report.failures[0].path, "dir/c.txt");
        assert!(
            report.failures[0]
                .message
                .starts_with("Could not delete dir/c.txt"),
            "{}",
            report.failures[0].message
        );
    }

    #[test]
    fn a_failed_move_does_not_stop_the_others() {
        // b.txt is already at the destination: its move is refused, not overwritten.
        let bucket = Bucket::with(&["a.txt", "b.txt", "dir/c.txt", "to/b.txt"]);
        let session = session(&bucket);
        let entries = [entry("a.txt"), entry("b.txt"), entry("dir/")];
        let seen = RefCell::new(Vec::new());
        let report = ready(move_to(&session, &entries, "to", &|done, total| {
            seen.borrow_mut().push((done, total))
        }));
        assert_eq!(
            bucket.keys(),
            ["b.txt", "to/a.txt", "to/b.txt", "to/dir/c.txt"]
        );
        assert_eq!((report.done, report.total), (2, 3));
        assert_eq!(report.failures.len(), 1);
        assert_eq!(report.failures[0].path, "b.txt");
        assert_eq!(*seen.borrow(), [(0, 3), (1, 3), (2, 3), (3, 3)]);

        // A destination that is no valid folder fails each entry, says why, and
        // sends nothing.
        let before = bucket.log.borrow().len();
        let report = ready(move_to(&session, &[entry("b.txt")], "..", &|_, _| {}));
        assert_eq!(report.done, 0);
        assert!(report.failures[0].message.contains("not allowed"));
        assert_eq!(bucket.log.borrow().len(), before);
    }
}
