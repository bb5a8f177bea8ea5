//! Undo of the operation just done (delete, rename, move, replace on upload,
//! and the bulk delete and move): what each touched key held before, and
//! putting it back.
//!
//! How it knows: [`Recording::start`] lists the versions of every key the
//! operation may touch (ListObjectVersions of each scope: a file's key, or a
//! folder's whole prefix) before it runs, and [`Recording::finish`] lists them
//! again after; a key whose newest entry (version or delete marker) changed was
//! touched. [`undo`] lists a third time and, per key ([`plan`]): when the newest
//! entry is still the one the operation made, copies the version that was current
//! before back onto the key, or deletes the key when it did not exist before (the
//! destination of a move); when anything changed it since, the key is left alone
//! and the outcome says so. One key failing never stops the others.
//!
//! Why a copy and not the old version itself: the role deliberately has no
//! `s3:DeleteObjectVersion` (deploy/cubby.yaml), so nothing in the app can
//! remove a delete marker or the version an operation wrote, which is what
//! bringing back the very same version as current would need. Restoring is
//! CopyObject from the previous version onto its key ([`versions::restore`]):
//! the same bytes and type, with a new version id and a new LastModified. In
//! exchange no mistake in the app, and no stolen session, can destroy data: the
//! undone operation's versions stay as previous versions too.
//!
//! With versioning off, S3 keeps nothing to restore: [`Offer::versioning_off`]
//! tells the page to say so ([`versions::TURN_VERSIONING_ON`]) instead of offering
//! Undo, and no undo ever removes a key whose earlier bytes are gone.

use crate::model::files;
use crate::model::session::{CallError, Session};
use crate::model::text;
use crate::model::versions;
use cubby_core::s3::{ObjectVersion, NULL_VERSION_ID};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

/// One entry of a key's version list: a version or a delete marker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// S3's version id (opaque; `null` where versioning is off).
    pub version_id: String,
    pub is_delete_marker: bool,
    /// Its ETag, size and date (`None`, 0 for a marker): with versioning off
    /// every id is `null`, and these tell a replaced object from the one before.
    pub etag: Option<String>,
    pub size: u64,
    pub last_modified: Option<u64>,
}

impl Stored {
    fn version(&self) -> Option<&str> {
        (!self.is_delete_marker).then_some(self.version_id.as_str())
    }
}

/// Each key's entries, newest first, under some scopes.
pub type Snapshot = BTreeMap<String, Vec<Stored>>;

/// What undo does for one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The operation did not change it.
    Nothing,
    /// Copy this version (current before the operation) back onto the key.
    Restore(String),
    /// The key did not exist before: delete it.
    Remove,
    /// Left as it is, for this reason.
    Skip(Why),
}

/// Why a key is left as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// Something changed it after the operation.
    ChangedSince,
    /// The version it held before is no longer kept.
    NotKept,
}

/// Said in a delete's confirmation: the Undo comes after, and only when the bucket
/// keeps previous versions (the app learns that from the versions it lists then).
pub const UNDO_HINT: &str = "If the bucket keeps previous versions, you can undo this right after.";

/// The step for one key, from its entries (newest first) before the operation,
/// right after it, and now. Pure.
pub fn plan(before: &[Stored], after: &[Stored], now: &[Stored]) -> Step {
    if before.first() == after.first() {
        return Step::Nothing;
    }
    if now.first() != after.first() {
        return Step::Skip(Why::ChangedSince);
    }
    match before.first() {
        Some(old) if !old.is_delete_marker => {
            if now.contains(old) {
                Step::Restore(old.version_id.clone())
            } else {
                Step::Skip(Why::NotKept)
            }
        }
        // Absent before (or deleted): it goes again, if the operation wrote it.
        _ => match after.first().and_then(Stored::version) {
            Some(_) => Step::Remove,
            None => Step::Nothing,
        },
    }
}

/// Whether S3 kept the bytes the operation replaced or deleted: no key touched
/// has its earlier version missing right after the operation, and not every
/// entry is `null` (a bucket without versioning). Pure.
pub fn kept(before: &Snapshot, after: &Snapshot) -> bool {
    let all_null = before
        .values()
        .chain(after.values())
        .flatten()
        .all(|s| s.version_id == NULL_VERSION_ID);
    let any = before.values().chain(after.values()).any(|v| !v.is_empty());
    if any && all_null {
        return false;
    }
    before.iter().all(|(key, was)| {
        let now = after.get(key).map(Vec::as_slice).unwrap_or(&[]);
        match was.first() {
            Some(old) if !old.is_delete_marker && was.first() != now.first() => now.contains(old),
            _ => true,
        }
    })
}

/// An operation under way: the scopes it touches and their state before.
#[derive(Clone, Debug)]
pub struct Recording {
    /// The operation as the outcome names it ("delete").
    what: String,
    scopes: Vec<String>,
    before: Snapshot,
}

/// An operation that can be undone (or, [`Offer::versioning_off`], could not be).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    what: String,
    scopes: Vec<String>,
    before: Snapshot,
    after: Snapshot,
    /// S3 kept nothing to restore: say so instead of offering Undo.
    pub versioning_off: bool,
}

impl Recording {
    /// Lists `scopes` (keys; one ending in `/` is a folder and everything under
    /// it) before operation `what` ("delete") runs.
    ///
    /// # Errors
    ///
    /// A listing that failed ([`CallError`]): then no undo is offered.
    pub async fn start(
        session: &Session,
        what: &str,
        scopes: Vec<String>,
    ) -> Result<Recording, CallError> {
        let before = snapshot(session, &scopes).await?;
        Ok(Recording {
            what: what.to_string(),
            scopes,
            before,
        })
    }

    /// Lists the scopes again once the operation is done: the offer, or `None`
    /// when it changed nothing.
    ///
    /// # Errors
    ///
    /// A listing that failed ([`CallError`]).
    pub async fn finish(self, session: &Session) -> Result<Option<Offer>, CallError> {
        let after = snapshot(session, &self.scopes).await?;
        let changed =
            keys(&self.before, &after).any(|k| first(&self.before, k) != first(&after, k));
        Ok(changed.then(|| Offer {
            versioning_off: !kept(&self.before, &after),
            what: self.what,
            scopes: self.scopes,
            before: self.before,
            after,
        }))
    }
}

/// [`Recording::start`] and, after `operation`, [`Recording::finish`]: the
/// operation's result and the offer (`None` when recording failed or nothing
/// changed; recording never stops the operation).
pub async fn recorded<T>(
    session: &Session,
    what: &str,
    scopes: Vec<String>,
    operation: impl std::future::Future<Output = T>,
) -> (T, Option<Offer>) {
    let recording = Recording::start(session, what, scopes).await.ok();
    let result = operation.await;
    let offer = match recording {
        Some(r) => r.finish(session).await.ok().flatten(),
        None => None,
    };
    (result, offer)
}

fn keys<'a>(a: &'a Snapshot, b: &'a Snapshot) -> impl Iterator<Item = &'a String> {
    let mut all: Vec<&String> = a.keys().chain(b.keys()).collect();
    all.sort();
    all.dedup();
    all.into_iter()
}

fn first<'a>(snapshot: &'a Snapshot, key: &str) -> Option<&'a Stored> {
    snapshot.get(key).and_then(|v| v.first())
}

fn entries<'a>(snapshot: &'a Snapshot, key: &str) -> &'a [Stored] {
    snapshot.get(key).map(Vec::as_slice).unwrap_or(&[])
}

/// From this many scopes on, one listing of their deepest common folder replaces
/// a listing per scope: a bulk delete of 5,000 files made 10,000 ListObjectVersions
/// calls (each with its own CORS preflight, the URLs all differ) and took 51 s
/// (`cargo xtask bench bulk_delete`). A listing of the common folder may read
/// entries outside the scopes; they are left out.
const ONE_LISTING_FROM: usize = 8;

/// Every entry under `scopes`: a folder scope (ending in `/`) lists its whole
/// prefix, a file scope its one key.
async fn snapshot(session: &Session, scopes: &[String]) -> Result<Snapshot, CallError> {
    let mut out = Snapshot::new();
    let keep = |v: ObjectVersion, out: &mut Snapshot| {
        out.entry(v.key).or_default().push(Stored {
            version_id: v.version_id,
            is_delete_marker: v.is_delete_marker,
            etag: v.etag,
            size: v.size,
            last_modified: v.last_modified,
        });
    };
    if scopes.len() >= ONE_LISTING_FROM {
        let files: BTreeSet<&str> = scopes
            .iter()
            .map(String::as_str)
            .filter(|s| !s.ends_with('/'))
            .collect();
        let folders: BTreeSet<&str> = scopes
            .iter()
            .map(String::as_str)
            .filter(|s| s.ends_with('/'))
            .collect();
        let in_scope = |key: &str| {
            files.contains(key)
                || key
                    .match_indices('/')
                    .any(|(at, _)| folders.contains(&key[..=at]))
        };
        versions::each_version(session, common_folder(scopes), |v| {
            if in_scope(&v.key) {
                keep(v, &mut out);
            }
            ControlFlow::Continue(())
        })
        .await?;
        return Ok(out);
    }
    for scope in scopes {
        let folder = scope.ends_with('/');
        versions::each_version(session, scope, |v| {
            if !folder && v.key != *scope {
                // Keys come ascending and the file's own key sorts first.
                return ControlFlow::Break(());
            }
            keep(v, &mut out);
            ControlFlow::Continue(())
        })
        .await?;
    }
    Ok(out)
}

/// The deepest folder (ending in `/`, or empty) holding every scope. Pure.
fn common_folder(scopes: &[String]) -> &str {
    let Some(first) = scopes.first() else {
        return "";
    };
    let mut len = first.len();
    for scope in &scopes[1..] {
        len = first
            .bytes()
            .zip(scope.bytes())
            .take(len)
            .take_while(|(a, b)| a == b)
            .count();
    }
    // Bytes, not chars: the common run may end inside a character, but a `/`
    // is always a boundary.
    first.as_bytes()[..len]
        .iter()
        .rposition(|&b| b == b'/')
        .map_or("", |at| &first[..=at])
}

/// A key undo could not put back, and why in plain words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotRestored {
    /// The path below the user's folder, shown as stored.
    pub path: String,
    /// Plain words, ending with a full stop (no details line: several of them
    /// share one notice).
    pub why: String,
}

/// What an undo did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The operation undone ("delete").
    pub what: String,
    /// Keys put back as they were.
    pub restored: usize,
    pub not_restored: Vec<NotRestored>,
}

impl Outcome {
    /// One message for people: what was put back, then each key that was not
    /// (at most five named) and why.
    pub fn summary(&self) -> String {
        let total = (self.restored + self.not_restored.len()) as u64;
        let what = &self.what;
        if self.not_restored.is_empty() {
            return format!("The {what} is undone.");
        }
        let mut out = format!(
            "The {what} is undone in part: {} of {} as before.",
            text::number(self.restored as u64),
            text::count(total, "item", "items")
        );
        for item in self.not_restored.iter().take(5) {
            out.push_str(&format!(" Not undone: {}: {}", item.path, item.why));
        }
        if self.not_restored.len() > 5 {
            out.push_str(&format!(" And {} more.", self.not_restored.len() - 5));
        }
        out
    }
}

/// Undoes `offer`: lists its scopes now, restores what [`plan`] says to restore
/// (copies first, then the deletes of keys that were absent before), and skips
/// keys changed since. A key that fails is listed with why; the others go on.
///
/// # Errors
///
/// The listing failed: nothing was changed ([`CallError`]).
pub async fn undo(session: &Session, offer: &Offer) -> Result<Outcome, CallError> {
    let now = snapshot(session, &offer.scopes).await?;
    let root = session.root_prefix();
    let shown = |key: &str| text::shown_name(key.strip_prefix(root.as_str()).unwrap_or(key));
    let mut outcome = Outcome {
        what: offer.what.clone(),
        ..Outcome::default()
    };
    let mut removals = Vec::new();
    for key in keys(&offer.before, &offer.after) {
        let step = plan(
            entries(&offer.before, key),
            entries(&offer.after, key),
            entries(&now, key),
        );
        let why = match step {
            Step::Nothing => continue,
            Step::Remove => {
                removals.push(key.clone());
                continue;
            }
            Step::Restore(version_id) => match versions::restore(session, key, &version_id).await {
                Ok(()) => {
                    outcome.restored += 1;
                    continue;
                }
                Err(e) => e.plain_message(&format!("restore {}", shown(key))),
            },
            Step::Skip(Why::ChangedSince) => format!(
                "it changed after the {}, so it was left as it is.",
                offer.what
            ),
            Step::Skip(Why::NotKept) => "the version it held before is no longer kept.".to_string(),
        };
        outcome.not_restored.push(NotRestored {
            path: shown(key),
            why,
        });
    }
    let failed = files::delete_keys(session, &removals).await;
    outcome.restored += removals.len() - failed.len();
    outcome
        .not_restored
        .extend(failed.into_iter().map(|(key, e)| NotRestored {
            why: e.plain_message(&format!("remove {}", shown(&key))),
            path: shown(&key),
        }));
    Ok(outcome)
}

impl Offer {
    /// What the page says instead of offering Undo when S3 kept nothing to
    /// restore (after the operation's own notice).
    pub fn cannot_undo(&self) -> String {
        format!(
            "This cannot be undone: the bucket keeps no previous versions. {}",
            versions::TURN_VERSIONING_ON
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::ready;
    use crate::model::versions::tests::{key, session, Versions};

    fn v(id: &str) -> Stored {
        Stored {
            version_id: id.into(),
            is_delete_marker: false,
            etag: Some(format!("\"{id}\"")),
            size: 1,
            last_modified: Some(1),
        }
    }

    fn m(id: &str) -> Stored {
        Stored {
            version_id: id.into(),
            is_delete_marker: true,
            etag: None,
            size: 0,
            last_modified: Some(1),
        }
    }

    #[test]
    fn a_deleted_or_replaced_key_gets_its_version_back() {
        // Deleted: a marker over v1, still the newest.
        assert_eq!(
            plan(&[v("v1")], &[m("d2"), v("v1")], &[m("d2"), v("v1")]),
            Step::Restore("v1".into())
        );
        // Replaced on upload, or the destination a move replaced.
        assert_eq!(
            plan(&[v("v1")], &[v("v2"), v("v1")], &[v("v2"), v("v1")]),
            Step::Restore("v1".into())
        );
    }

    #[test]
    fn a_key_the_operation_made_is_removed() {
        // A move's destination that did not exist, or held only a deleted file.
        assert_eq!(plan(&[], &[v("n1")], &[v("n1")]), Step::Remove);
        assert_eq!(
            plan(
                &[m("d0"), v("o")],
                &[v("n1"), m("d0"), v("o")],
                &[v("n1"), m("d0"), v("o")]
            ),
            Step::Remove
        );
    }

    #[test]
    fn a_key_changed_since_is_left_alone_and_an_untouched_one_is_not_counted() {
        // Someone uploaded over the deleted file's name, or deleted again.
        assert_eq!(
            plan(
                &[v("v1")],
                &[m("d2"), v("v1")],
                &[v("v3"), m("d2"), v("v1")]
            ),
            Step::Skip(Why::ChangedSince)
        );
        assert_eq!(
            plan(&[], &[v("n1")], &[m("d9"), v("n1")]),
            Step::Skip(Why::ChangedSince)
        );
        // A key the operation failed on (or never reached).
        assert_eq!(
            plan(&[v("v1")], &[v("v1")], &[v("v3"), v("v1")]),
            Step::Nothing
        );
        // The earlier version expired meanwhile (lifecycle rule).
        assert_eq!(
            plan(&[v("v1")], &[m("d2"), v("v1")], &[m("d2")]),
            Step::Skip(Why::NotKept)
        );
    }

    #[test]
    fn versioning_off_is_told_from_null_ids_or_a_lost_version() {
        let snap = |entries: &[(&str, Vec<Stored>)]| -> Snapshot {
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect()
        };
        // Versioning off: a delete leaves nothing, a rename a new null version.
        let before = snap(&[("a", vec![v("null")])]);
        assert!(!kept(&before, &snap(&[])));
        assert!(!kept(&before, &snap(&[("b", vec![v("null")])])));
        // A replace with versioning off: the same id, other bytes.
        let replaced = Stored {
            etag: Some("\"other\"".into()),
            ..v("null")
        };
        assert!(!kept(&before, &snap(&[("a", vec![replaced])])));
        // Versioning on: the old version stays below the marker.
        assert!(kept(&before, &snap(&[("a", vec![m("d1"), v("null")])])));
        assert!(kept(
            &snap(&[("a", vec![v("v1")])]),
            &snap(&[("a", vec![m("d1"), v("v1")]), ("b", vec![v("v2")])])
        ));
    }

    #[test]
    fn the_outcome_names_what_was_not_undone_and_why() {
        let all = Outcome {
            what: "rename".into(),
            restored: 2,
            not_restored: vec![],
        };
        assert_eq!(all.summary(), "The rename is undone.");
        let some = Outcome {
            what: "delete".into(),
            restored: 1,
            not_restored: vec![NotRestored {
                path: "notes.txt".into(),
                why: "it changed after the delete, so it was left as it is.".into(),
            }],
        };
        assert_eq!(
            some.summary(),
            "The delete is undone in part: 1 of 2 items as before. Not undone: notes.txt: it \
             changed after the delete, so it was left as it is."
        );
    }

    #[test]
    fn undo_copies_the_earlier_version_back_and_skips_a_key_changed_since() {
        // The fake bucket lists no ETags, and its fixed date.
        let marker = |id: &str| Stored {
            last_modified: Some(1_796_040_000),
            ..m(id)
        };
        let bare = |id: &str| Stored {
            etag: None,
            size: id.len() as u64,
            last_modified: Some(1_796_040_000),
            ..v(id)
        };
        // Now: a.txt still deleted by our marker; b.txt written again after it.
        let bucket = Versions::new(
            &[
                ("a.txt", "d2", true),
                ("a.txt", "v1", false),
                ("b.txt", "w3", false),
                ("b.txt", "e2", true),
                ("b.txt", "w1", false),
            ],
            1000,
        );
        let session = session(&bucket);
        let offer = Offer {
            what: "delete".into(),
            scopes: vec![key("a.txt"), key("b.txt")],
            before: [
                (key("a.txt"), vec![bare("v1")]),
                (key("b.txt"), vec![bare("w1")]),
            ]
            .into(),
            after: [
                (key("a.txt"), vec![marker("d2"), bare("v1")]),
                (key("b.txt"), vec![marker("e2"), bare("w1")]),
            ]
            .into(),
            versioning_off: false,
        };
        let outcome = ready(undo(&session, &offer)).unwrap();
        assert_eq!(outcome.restored, 1);
        assert_eq!(outcome.not_restored.len(), 1);
        assert_eq!(outcome.not_restored[0].path, "b.txt");
        assert!(outcome.summary().contains("changed after the delete"));
        let log = bucket.log.borrow();
        let copies: Vec<_> = log.iter().filter(|r| r.method() == "PUT").collect();
        assert_eq!(copies.len(), 1, "{log:?}");
        assert!(copies[0].headers()["x-amz-copy-source"]
            .to_str()
            .unwrap()
            .ends_with("a.txt?versionId=v1"));
    }

    #[test]
    fn many_scopes_are_listed_once_through_their_common_folder_with_the_same_snapshot() {
        let names: Vec<String> = (0..10).map(|i| format!("docs/f{i}.txt")).collect();
        let mut entries: Vec<(&str, &str, bool)> = vec![("docs/other.txt", "o1", false)];
        for name in &names {
            entries.push((name.as_str(), "m2", true));
            entries.push((name.as_str(), "v1", false));
        }
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let bucket = Versions::new(&entries, 7);
        let session = session(&bucket);
        let many: Vec<String> = names.iter().map(|n| key(n)).collect();
        let one_listing = ready(snapshot(&session, &many)).unwrap();
        let listings = |bucket: &Versions| {
            bucket
                .log
                .borrow()
                .iter()
                .filter(|r| r.uri().query().is_some_and(|q| q.contains("versions")))
                .count()
        };
        // 21 entries under docs/ at 7 a page: 3 pages, not one listing per file.
        assert_eq!(listings(&bucket), 3);
        assert_eq!(one_listing.len(), 10, "other.txt is not a scope");
        let few = ready(snapshot(&session, &many[..2])).unwrap();
        assert_eq!(few.len(), 2);
        for (k, v) in &few {
            assert_eq!(one_listing.get(k), Some(v));
        }
    }

    #[test]
    fn the_common_folder_ends_at_a_slash_even_inside_a_character() {
        let scopes = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(common_folder(&scopes(&["a/b/é.txt", "a/b/è.txt"])), "a/b/");
        assert_eq!(common_folder(&scopes(&["a/b/x", "a/c/"])), "a/");
        assert_eq!(common_folder(&scopes(&["x", "y"])), "");
    }
}
