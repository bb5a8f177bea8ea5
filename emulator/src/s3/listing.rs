//! ListObjectsV2 over a sorted index of each bucket's keys, kept between requests.
//!
//! Why not `s3s-fs`'s own listing: it walks and stats the whole bucket and sorts it
//! for every page, so paging a 100,000-object folder is quadratic (about 5 s a page
//! in the benchmark). That measured the emulator instead of the clients.
//!
//! The index is rebuilt when a directory of the bucket changed since it was taken
//! (any create, rename or unlink changes its directory's mtime; `s3s-fs` writes every
//! object as a temporary file renamed into place), and also while a directory's mtime
//! is too recent to trust: file times come from a coarse clock, so a change within the
//! same tick as the walk could otherwise go unseen (git's "racily clean" problem).
//! Tests that write into the store directly are seen the same way. Sizes and times are
//! read per returned object, so they are never stale.
//!
//! The answer follows the S3 API reference for ListObjectsV2
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>): keys in
//! UTF-8 binary order, at most 1,000 per page (a larger `max-keys` is capped), common
//! prefixes counted with the keys, and a page that ends in a common prefix continuing
//! after every key under it.

use super::objects::s3_key;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// How recent a directory's mtime may be and still be trusted as "unchanged since".
const RACY: Duration = Duration::from_millis(100);

/// S3's most keys per page.
const MAX_KEYS: usize = 1000;

/// One key of the index: the S3 key and the file that holds it (they differ for
/// folder markers, see `objects::fs_key`).
#[derive(Debug)]
pub(super) struct IndexedKey {
    pub(super) key: String,
    pub(super) fs_key: String,
}

struct Snapshot {
    /// Every directory walked, with its mtime at the walk.
    dirs: Vec<(PathBuf, SystemTime)>,
    /// Sorted by `key` (UTF-8 byte order, as S3 sorts).
    keys: Arc<Vec<IndexedKey>>,
    /// A directory changed too close to the walk to trust the mtimes: walk again.
    racy: bool,
}

/// The per-bucket key indexes (bucket folder → snapshot).
#[derive(Default)]
pub(super) struct KeyIndex {
    buckets: Mutex<HashMap<PathBuf, Snapshot>>,
}

impl KeyIndex {
    /// The sorted keys of the bucket stored in `bucket_root`, rebuilt if stale.
    ///
    /// # Errors
    /// The file system's, e.g. when the bucket folder does not exist.
    pub(super) fn keys(&self, bucket_root: &Path) -> std::io::Result<Arc<Vec<IndexedKey>>> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(snapshot) = buckets.get(bucket_root) {
            if !snapshot.racy && unchanged(&snapshot.dirs) {
                return Ok(snapshot.keys.clone());
            }
        }
        let snapshot = walk(bucket_root)?;
        let keys = snapshot.keys.clone();
        buckets.insert(bucket_root.to_path_buf(), snapshot);
        Ok(keys)
    }
}

fn unchanged(dirs: &[(PathBuf, SystemTime)]) -> bool {
    dirs.iter().all(|(dir, seen)| {
        std::fs::metadata(dir)
            .and_then(|m| m.modified())
            .is_ok_and(|now| now == *seen)
    })
}

fn walk(bucket_root: &Path) -> std::io::Result<Snapshot> {
    let started = SystemTime::now();
    let mut dirs = vec![];
    let mut keys = vec![];
    let mut queue = vec![(bucket_root.to_path_buf(), String::new())];
    while let Some((dir, key_prefix)) = queue.pop() {
        dirs.push((dir.clone(), std::fs::metadata(&dir)?.modified()?));
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            // Names that are not UTF-8 cannot be S3 keys (s3s-fs skips them too).
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let fs_key = format!("{key_prefix}{name}");
            if entry.file_type()?.is_dir() {
                queue.push((entry.path(), format!("{fs_key}/")));
            } else {
                keys.push(IndexedKey {
                    key: s3_key(&fs_key),
                    fs_key,
                });
            }
        }
    }
    keys.sort_unstable_by(|a, b| a.key.cmp(&b.key));
    let trusted_until = started.checked_sub(RACY).unwrap_or(started);
    let racy = dirs.iter().any(|(_, mtime)| *mtime >= trusted_until);
    Ok(Snapshot {
        dirs,
        keys: Arc::new(keys),
        racy,
    })
}

/// One page of a listing, before the file times and sizes are read.
#[derive(Debug, Default)]
pub(super) struct Page<'a> {
    /// Keys listed, in order.
    pub(super) objects: Vec<&'a IndexedKey>,
    /// Common prefixes, in order.
    pub(super) prefixes: Vec<String>,
    /// The last key or prefix of the page when more follow (the next page's
    /// continuation point).
    pub(super) next: Option<String>,
}

/// One page of `keys` (sorted) under `prefix`, rolled up at `delimiter`, after
/// `after` (the later of `start-after` and the continuation token), at most
/// `max_keys` (capped at 1,000) entries.
pub(super) fn page<'a>(
    keys: &'a [IndexedKey],
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    max_keys: usize,
) -> Page<'a> {
    let max_keys = max_keys.min(MAX_KEYS);
    let mut page = Page::default();
    let mut i = keys
        .partition_point(|k| k.key.as_str() < prefix || after.is_some_and(|a| k.key.as_str() <= a));
    let mut count = 0;
    let mut last: Option<String> = None;
    while i < keys.len() {
        let key = keys[i].key.as_str();
        let Some(rest) = key.strip_prefix(prefix) else {
            break;
        };
        let entry = match delimiter
            .filter(|d| !d.is_empty())
            .and_then(|d| rest.find(d).map(|at| at + d.len()))
        {
            Some(end) => {
                let common = &key[..prefix.len() + end];
                // Every key under this prefix rolls up into it: skip them all.
                i = keys.partition_point(|k| k.key.as_str() < common || k.key.starts_with(common));
                if after.is_some_and(|a| common <= a) {
                    continue;
                }
                Err(common.to_string())
            }
            None => {
                i += 1;
                Ok(&keys[i - 1])
            }
        };
        if count == max_keys {
            // One more entry exists: the page is truncated after its last entry.
            // With max-keys=0, S3 answers an empty page that is not truncated.
            page.next = last.filter(|_| max_keys > 0);
            break;
        }
        count += 1;
        match entry {
            Ok(object) => {
                last = Some(object.key.clone());
                page.objects.push(object);
            }
            Err(common) => {
                last = Some(common.clone());
                page.prefixes.push(common);
            }
        }
    }
    page
}

impl super::objects::CubbyS3 {
    /// ListObjectsV2 (continuation token already decoded to the key it stands for).
    ///
    /// # Errors
    /// `NoSuchBucket`, or `InternalError` when the store cannot be read.
    pub(super) async fn list_v2(
        &self,
        input: s3s::dto::ListObjectsV2Input,
    ) -> s3s::S3Result<s3s::dto::ListObjectsV2Output> {
        use s3s::dto::{CommonPrefix, ListObjectsV2Output, Object, Timestamp};
        let bucket_root = self.root.join(&input.bucket);
        if input.bucket.contains(['/', '\\'])
            || input.bucket.starts_with('.')
            || !bucket_root.is_dir()
        {
            return Err(s3s::s3_error!(NoSuchBucket));
        }
        let index = self.index.clone();
        let root = bucket_root.clone();
        let keys = tokio::task::spawn_blocking(move || index.keys(&root))
            .await
            .map_err(super::versioned::internal)?
            .map_err(super::versioned::internal)?;
        let prefix = input.prefix.as_deref().unwrap_or("");
        let after = match (
            input.continuation_token.as_deref(),
            input.start_after.as_deref(),
        ) {
            (Some(t), Some(s)) => Some(t.max(s)),
            (t, s) => t.or(s),
        };
        let max_keys = usize::try_from(input.max_keys.unwrap_or(1000)).unwrap_or(0);
        let page = page(&keys, prefix, input.delimiter.as_deref(), after, max_keys);
        let mut contents = Vec::with_capacity(page.objects.len());
        for entry in &page.objects {
            // Gone since the index was taken: S3 lists a snapshot too, but never a
            // key that does not exist any more when it answers; leave it out.
            let Ok(meta) = std::fs::metadata(bucket_root.join(&entry.fs_key)) else {
                continue;
            };
            contents.push(Object {
                key: Some(entry.key.clone()),
                last_modified: meta.modified().ok().map(Timestamp::from),
                size: Some(i64::try_from(meta.len()).unwrap_or(i64::MAX)),
                ..Default::default()
            });
        }
        let count = contents.len() + page.prefixes.len();
        Ok(ListObjectsV2Output {
            key_count: Some(i32::try_from(count).unwrap_or(i32::MAX)),
            max_keys: input.max_keys.or(Some(1000)),
            is_truncated: Some(page.next.is_some()),
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!page.prefixes.is_empty()).then(|| {
                page.prefixes
                    .into_iter()
                    .map(|p| CommonPrefix { prefix: Some(p) })
                    .collect()
            }),
            continuation_token: input.continuation_token,
            next_continuation_token: page.next,
            delimiter: input.delimiter,
            encoding_type: input.encoding_type,
            name: Some(input.bucket),
            prefix: input.prefix,
            start_after: input.start_after,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(keys: &[&str]) -> Vec<IndexedKey> {
        let mut v: Vec<_> = keys
            .iter()
            .map(|k| IndexedKey {
                key: k.to_string(),
                fs_key: k.to_string(),
            })
            .collect();
        v.sort_by(|a, b| a.key.cmp(&b.key));
        v
    }

    fn names(p: &Page) -> (Vec<String>, Vec<String>, Option<String>) {
        (
            p.objects.iter().map(|o| o.key.clone()).collect(),
            p.prefixes.clone(),
            p.next.clone(),
        )
    }

    #[test]
    fn a_delimiter_rolls_up_folders_and_pages_continue_after_a_prefix() {
        let keys = index(&["a/1", "a/2", "a/b/3", "a/c/4", "a/c/5", "a/d", "b/1"]);
        let first = page(&keys, "a/", Some("/"), None, 3);
        assert_eq!(
            names(&first),
            (
                vec!["a/1".into(), "a/2".into()],
                vec!["a/b/".into()],
                Some("a/b/".into())
            )
        );
        let second = page(&keys, "a/", Some("/"), Some("a/b/"), 3);
        assert_eq!(
            names(&second),
            (vec!["a/d".into()], vec!["a/c/".into()], None)
        );
    }

    #[test]
    fn without_a_delimiter_every_key_under_the_prefix_is_listed_in_order() {
        let keys = index(&["x/é", "x/e", "x/z/1", "y"]);
        let all = page(&keys, "x/", None, None, 1000);
        assert_eq!(
            names(&all).0,
            vec!["x/e".to_string(), "x/z/1".into(), "x/é".into()]
        );
        let after = page(&keys, "x/", None, Some("x/e"), 1);
        assert_eq!(
            names(&after),
            (vec!["x/z/1".into()], vec![], Some("x/z/1".into()))
        );
    }

    #[test]
    fn max_keys_is_capped_at_1000_and_zero_gives_an_empty_untruncated_page() {
        let many: Vec<String> = (0..1500).map(|i| format!("k{i:05}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let keys = index(&refs);
        let p = page(&keys, "", None, None, 5000);
        assert_eq!(p.objects.len(), 1000);
        assert_eq!(p.next.as_deref(), Some("k00999"));
        let p = page(&keys, "", None, None, 0);
        assert_eq!(names(&p), (vec![], vec![], None));
    }

    #[test]
    fn a_last_page_that_fills_max_keys_exactly_is_not_truncated() {
        let keys = index(&["a", "b"]);
        assert_eq!(page(&keys, "", None, None, 2).next, None);
    }

    #[test]
    fn the_index_sees_files_written_behind_its_back() {
        let dir = std::env::temp_dir().join(format!("cubby-index-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("f")).unwrap();
        std::fs::write(dir.join("f/a"), b"1").unwrap();
        let index = KeyIndex::default();
        let keys = |index: &KeyIndex| -> Vec<String> {
            index
                .keys(&dir)
                .unwrap()
                .iter()
                .map(|k| k.key.clone())
                .collect()
        };
        assert_eq!(keys(&index), vec!["f/a".to_string()]);
        // Within the same clock tick as the walk: must still be seen.
        std::fs::write(dir.join("f/b"), b"2").unwrap();
        assert_eq!(keys(&index), vec!["f/a".to_string(), "f/b".into()]);
        std::thread::sleep(RACY * 2);
        assert_eq!(keys(&index).len(), 2);
        std::fs::remove_file(dir.join("f/a")).unwrap();
        assert_eq!(keys(&index), vec!["f/b".to_string()]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
