//! S3 versioning on top of `s3s-fs`, which keeps only current objects: before a
//! write or a DELETE replaces or hides the current object, its bytes and sidecars
//! (metadata, ETag and checksums: `s3s-fs`'s pinned layout) go into an archive, a
//! folder `s3s-fs` reads as the bucket [`ARCHIVE`] (a name no request can reach:
//! bucket names cannot start with a dot), so older versions are served by `s3s-fs`
//! like any object. The record of versions ([`super::versions::Record`]) is kept
//! beside it as JSON. One lock serialises versioned changes of the bucket.
//!
//! Versioning is on unless the admin endpoint switches it off; off, the bucket
//! behaves as one versioning was never enabled on (no version ids, a DELETE
//! removes), keeping what history it already has.
//!
//! AWS: <https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html>.

use super::objects::{fs_key, CubbyS3};
use super::versions::{self, http_date, Record, Version, NULL};
use base64::Engine as _;
use s3s::dto::*;
use s3s::{s3_error, S3Error, S3Result};
use std::path::{Path, PathBuf};

/// The `s3s-fs` "bucket" that holds noncurrent versions.
pub(super) const ARCHIVE: &str = ".cubby-archive";

/// The record of versions, and the lock every versioned change holds.
pub(super) struct Versions {
    record: tokio::sync::Mutex<Record>,
    path: PathBuf,
}

impl Versions {
    pub(super) fn record(&self) -> &tokio::sync::Mutex<Record> {
        &self.record
    }

    /// Loads the record kept under `root` (none yet: empty).
    pub(super) fn load(root: &Path) -> Versions {
        let path = root.join(".cubby-versions.json");
        let record = std::fs::read(&path)
            .ok()
            .and_then(|text| serde_json::from_slice(&text).ok())
            .unwrap_or_default();
        Versions {
            record: tokio::sync::Mutex::new(record),
            path,
        }
    }
}

/// How the data file of the current object reaches the archive before a write:
/// `s3s-fs` replaces it by renaming a new file over it (PUT, CompleteMultipartUpload),
/// so a hard link keeps the old bytes; CopyObject writes into it in place, so a copy.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Keep {
    Link,
    Copy,
}

/// S3's answer to a `versionId` that names no version of the key.
pub(super) fn invalid_version() -> S3Error {
    s3_error!(InvalidArgument, "Invalid version id specified")
}

/// Checks a request's `versionId` (none: the current version).
pub(super) fn check_id(id: Option<&str>) -> S3Result<()> {
    match id {
        Some(id) if !versions::is_well_formed(id) => Err(invalid_version()),
        _ => Ok(()),
    }
}

fn millis(time: std::time::SystemTime) -> u64 {
    time.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// `x-amz-version-id` for `id`: none for the `null` version of an unversioned bucket.
fn shown(id: &str) -> Option<String> {
    (id != NULL).then(|| id.to_string())
}

impl CubbyS3 {
    fn versioning(&self) -> bool {
        self.state.versioning()
    }

    /// The data file and the two sidecars `s3s-fs` keeps for `key` of `bucket`.
    fn files(&self, bucket: &str, key: &str) -> [PathBuf; 3] {
        let encode = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let side = |what: &str| {
            self.root.join(format!(
                ".bucket-{}.object-{}.{what}.json",
                encode(bucket),
                encode(key)
            ))
        };
        [
            self.root.join(bucket).join(key),
            side("metadata"),
            side("internal"),
        ]
    }

    /// Where version `id` of `key` lives in the archive (fixed length, whatever the key).
    pub(super) fn archive_key(key: &str, id: &str) -> String {
        let digest = crate::state::sha256(key.as_bytes());
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("{hex}/{id}")
    }

    fn current_files(&self, bucket: &str, key: &str) -> [PathBuf; 3] {
        self.files(bucket, &fs_key(key))
    }

    fn archived_files(&self, key: &str, id: &str) -> [PathBuf; 3] {
        self.files(ARCHIVE, &Self::archive_key(key, id))
    }

    /// The current object `s3s-fs` holds for `key`, as a version with `id`.
    fn stat(&self, bucket: &str, key: &str, id: &str) -> Option<Version> {
        let [data, _, internal] = self.current_files(bucket, key);
        let meta = std::fs::metadata(&data).ok().filter(|m| m.is_file())?;
        let etag = std::fs::read(internal)
            .ok()
            .and_then(|t| serde_json::from_slice::<serde_json::Value>(&t).ok())
            .and_then(|v| v.get("e_tag").and_then(|e| e.as_str()).map(str::to_string))
            .unwrap_or_default();
        Some(Version {
            id: id.to_string(),
            delete_marker: false,
            last_modified_ms: meta.modified().map(millis).unwrap_or(0),
            size: meta.len(),
            etag,
            current: true,
        })
    }

    /// The current object of `key` as the record names it, if `s3s-fs` holds one.
    fn current(&self, record: &Record, bucket: &str, key: &str) -> Option<Version> {
        let id = record.current_id(key);
        let stored = record
            .keys
            .get(key)
            .and_then(|v| v.first())
            .filter(|v| v.current);
        match stored {
            Some(v) if self.stat(bucket, key, id).is_some() => Some(v.clone()),
            _ => self.stat(bucket, key, NULL),
        }
    }

    /// Puts the current object's files into the archive as version `id`.
    async fn archive(&self, bucket: &str, key: &str, id: &str, keep: Keep) -> S3Result<()> {
        let from = self.current_files(bucket, key);
        let to = self.archived_files(key, id);
        for (at, (from, to)) in from.iter().zip(&to).enumerate() {
            if let Some(dir) = to.parent() {
                tokio::fs::create_dir_all(dir).await.map_err(internal)?;
            }
            let _ = tokio::fs::remove_file(to).await;
            let done = if at == 0 && keep == Keep::Link {
                tokio::fs::hard_link(from, to).await
            } else {
                copy_with_time(from, to).await
            };
            match done {
                Ok(()) => {}
                Err(e) if at > 0 && e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(internal(e)),
            }
        }
        Ok(())
    }

    async fn forget_archived(&self, key: &str, id: &str) {
        for path in self.archived_files(key, id) {
            let _ = tokio::fs::remove_file(path).await;
        }
    }

    /// Moves files from `from` to `to` (a sidecar may be absent).
    async fn move_files(from: &[PathBuf; 3], to: &[PathBuf; 3]) -> S3Result<()> {
        for (at, (from, to)) in from.iter().zip(to).enumerate() {
            if let Some(dir) = to.parent() {
                tokio::fs::create_dir_all(dir).await.map_err(internal)?;
            }
            match tokio::fs::rename(from, to).await {
                Ok(()) => {}
                Err(e) if at > 0 && e.kind() == std::io::ErrorKind::NotFound => {
                    let _ = tokio::fs::remove_file(to).await;
                }
                Err(e) => return Err(internal(e)),
            }
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> S3Result<()> {
        let text = serde_json::to_vec(record).map_err(internal)?;
        let tmp = self.versions.path.with_extension("json.tmp");
        tokio::fs::write(&tmp, text).await.map_err(internal)?;
        tokio::fs::rename(&tmp, &self.versions.path)
            .await
            .map_err(internal)
    }

    /// Runs `write` (which replaces `key`'s current object) keeping the object it
    /// replaces as a version; returns its output and the new version's id (`None`
    /// with versioning off).
    pub(super) async fn versioned_write<T>(
        &self,
        bucket: &str,
        key: &str,
        keep: Keep,
        write: impl std::future::Future<Output = S3Result<T>>,
    ) -> S3Result<(T, Option<String>)> {
        let versioning = self.versioning();
        let mut record = self.versions.record.lock().await;
        // Off, a `null` current object is simply replaced (as in an unversioned
        // bucket); one with an id stays a version.
        let kept = self
            .current(&record, bucket, key)
            .filter(|v| versioning || v.id != NULL);
        if let Some(v) = &kept {
            self.archive(bucket, key, &v.id, keep).await?;
        }
        let out = match write.await {
            Ok(out) => out,
            Err(e) => {
                if let Some(v) = &kept {
                    self.forget_archived(key, &v.id).await;
                }
                return Err(e);
            }
        };
        let id = if versioning {
            versions::new_id()
        } else {
            NULL.to_string()
        };
        let latest = self
            .stat(bucket, key, &id)
            .ok_or_else(|| s3_error!(InternalError))?;
        record.push(key, kept, latest);
        if !versioning {
            record.forget_current(key);
        }
        self.save(&record).await?;
        Ok((out, shown(&id)))
    }

    /// A DELETE without `versionId`: with versioning on, the current object becomes a
    /// version and a delete marker is the latest (even for a key with no object, as
    /// in S3); returns the marker's id. Off: the current object is removed.
    pub(super) async fn delete_current(&self, bucket: &str, key: &str) -> S3Result<Option<String>> {
        let mut record = self.versions.record.lock().await;
        let marker = self.delete_current_in(&mut record, bucket, key).await?;
        self.save(&record).await?;
        Ok(marker)
    }

    /// [`Self::delete_current`] of each key (one result each, in order) with one save
    /// of the record: a save per key made DeleteObjects of thousands quadratic.
    pub(super) async fn delete_current_many(
        &self,
        bucket: &str,
        keys: &[String],
    ) -> S3Result<Vec<S3Result<Option<String>>>> {
        let mut record = self.versions.record.lock().await;
        let mut results = Vec::with_capacity(keys.len());
        for key in keys {
            results.push(self.delete_current_in(&mut record, bucket, key).await);
        }
        self.save(&record).await?;
        Ok(results)
    }

    async fn delete_current_in(
        &self,
        record: &mut Record,
        bucket: &str,
        key: &str,
    ) -> S3Result<Option<String>> {
        let versioning = self.versioning();
        let current = self.current(record, bucket, key);
        let kept = current.filter(|v| versioning || v.id != NULL);
        let files = self.current_files(bucket, key);
        if let Some(v) = &kept {
            Self::move_files(&files, &self.archived_files(key, &v.id)).await?;
        } else {
            for path in &files {
                let _ = tokio::fs::remove_file(path).await;
            }
        }
        if !versioning {
            match kept {
                Some(_) => {
                    if let Some(first) = record.keys.get_mut(key).and_then(|v| v.first_mut()) {
                        first.current = false;
                    }
                }
                None => record.forget_current(key),
            }
            return Ok(None);
        }
        let marker = Version {
            id: versions::new_id(),
            delete_marker: true,
            last_modified_ms: millis(std::time::SystemTime::now()),
            size: 0,
            etag: String::new(),
            current: false,
        };
        let id = marker.id.clone();
        record.push(key, kept, marker);
        Ok(Some(id))
    }

    /// A DELETE with `versionId`: that version is gone for good; when it was the
    /// latest, the one before it becomes current again. Returns whether it was a
    /// delete marker.
    pub(super) async fn delete_version(&self, bucket: &str, key: &str, id: &str) -> S3Result<bool> {
        check_id(Some(id))?;
        let mut record = self.versions.record.lock().await;
        if record.find(key, id).is_none() {
            if id == NULL && self.stat(bucket, key, NULL).is_some() {
                for path in self.current_files(bucket, key) {
                    let _ = tokio::fs::remove_file(path).await;
                }
                return Ok(false);
            }
            return Err(invalid_version());
        }
        let removed = record.remove(key, id).ok_or_else(invalid_version)?;
        if removed.current {
            for path in self.current_files(bucket, key) {
                let _ = tokio::fs::remove_file(path).await;
            }
        } else if !removed.delete_marker {
            self.forget_archived(key, id).await;
        }
        if let Some(first) = record.keys.get_mut(key).and_then(|v| v.first_mut()) {
            if !first.delete_marker && !first.current {
                let from = self.archived_files(key, &first.id);
                Self::move_files(&from, &self.current_files(bucket, key)).await?;
                first.current = true;
            }
        }
        self.save(&record).await?;
        Ok(removed.delete_marker)
    }

    /// Where to read version `id` of `key` from: the bucket and key `s3s-fs` knows it
    /// by, and the version. A delete marker's id answers 405 as in S3; a `null` id
    /// the key does not have, or any unknown id, 400.
    pub(super) async fn locate(
        &self,
        bucket: &str,
        key: &str,
        id: &str,
    ) -> S3Result<(String, String)> {
        check_id(Some(id))?;
        let record = self.versions.record.lock().await;
        let Some(version) = record.find(key, id).cloned() else {
            let implicit_null = id == NULL
                && self
                    .current(&record, bucket, key)
                    .is_some_and(|v| v.id == NULL);
            return if implicit_null {
                Ok((bucket.to_string(), fs_key(key)))
            } else {
                Err(invalid_version())
            };
        };
        if version.delete_marker {
            let mut e = s3_error!(
                MethodNotAllowed,
                "The specified method is not allowed against this resource."
            );
            let mut headers = http::HeaderMap::new();
            headers.insert(
                "x-amz-delete-marker",
                http::HeaderValue::from_static("true"),
            );
            headers.insert("allow", http::HeaderValue::from_static("DELETE"));
            if let Ok(v) = http::HeaderValue::from_str(id) {
                headers.insert("x-amz-version-id", v);
            }
            if let Ok(v) = http::HeaderValue::from_str(&http_date(version.last_modified_ms)) {
                headers.insert("last-modified", v);
            }
            e.set_headers(headers);
            return Err(e);
        }
        Ok(if version.current {
            (bucket.to_string(), fs_key(key))
        } else {
            (ARCHIVE.to_string(), Self::archive_key(key, id))
        })
    }

    /// Where a GET or HEAD of `version` (none: the current one) reads from, as the
    /// `s3s-fs` bucket and key, and the version id its answer shows.
    pub(super) async fn read_target(
        &self,
        bucket: &str,
        key: &str,
        version: Option<String>,
    ) -> S3Result<(String, String, Option<String>)> {
        match version {
            Some(id) => {
                let (bucket, key) = self.locate(bucket, key, &id).await?;
                Ok((bucket, key, Some(id)))
            }
            None => {
                let shown = self.read_current(key).await?;
                Ok((bucket.to_string(), fs_key(key), shown))
            }
        }
    }

    /// For a read without `versionId`: S3's 404 NoSuchKey with `x-amz-delete-marker`
    /// when the latest version is a delete marker (which the caller, lacking an
    /// unconditioned s3:ListBucket, then hides as AccessDenied, as S3 does: see
    /// [`super::objects::hide_missing`]), else the current version's id to show.
    pub(super) async fn read_current(&self, key: &str) -> S3Result<Option<String>> {
        let record = self.versions.record.lock().await;
        if let Some(marker) = record.latest_marker(key) {
            let mut e = s3_error!(NoSuchKey);
            let mut headers = http::HeaderMap::new();
            headers.insert(
                "x-amz-delete-marker",
                http::HeaderValue::from_static("true"),
            );
            if let Ok(v) = http::HeaderValue::from_str(&marker.id) {
                headers.insert("x-amz-version-id", v);
            }
            e.set_headers(headers);
            return Err(e);
        }
        Ok(shown(record.current_id(key)))
    }
}

pub(super) fn internal(e: impl std::fmt::Display) -> S3Error {
    let mut err = s3_error!(InternalError);
    err.set_message(format!("version store: {e}"));
    err
}

/// Copies a file and its modification time (a version keeps its Last-Modified).
async fn copy_with_time(from: &Path, to: &Path) -> std::io::Result<()> {
    tokio::fs::copy(from, to).await?;
    let modified = tokio::fs::metadata(from).await?.modified()?;
    let file = std::fs::OpenOptions::new().write(true).open(to)?;
    file.set_modified(modified)
}

impl CubbyS3 {
    /// The `s3s-fs` source of a copy (CopyObject, UploadPartCopy) and the version it
    /// reads (`x-amz-copy-source-version-id`). A delete marker cannot be a source.
    pub(super) async fn copy_source(
        &self,
        source: &CopySource,
    ) -> S3Result<(CopySource, Option<String>)> {
        let CopySource::Bucket {
            bucket,
            key,
            version_id,
        } = source
        else {
            return Err(s3_error!(InvalidArgument));
        };
        let Some(id) = version_id else {
            let shown = self.read_current(key).await.ok().flatten();
            let source = CopySource::Bucket {
                bucket: bucket.clone(),
                key: fs_key(key).into(),
                version_id: None,
            };
            return Ok((source, shown));
        };
        let (bucket, key) = self.locate(bucket, key, id).await.map_err(|e| {
            if *e.code() == s3s::S3ErrorCode::MethodNotAllowed {
                s3_error!(
                    InvalidRequest,
                    "The source of a copy request may not specifically refer to a delete marker by version id."
                )
            } else {
                e
            }
        })?;
        let source = CopySource::Bucket {
            bucket: bucket.into(),
            key: key.into(),
            version_id: None,
        };
        Ok((source, Some(id.to_string())))
    }
}

#[cfg(test)]
mod tests {
    //! DELETE with `versionId` is s3:DeleteObjectVersion, which the shipped policy
    //! denies, so no request reaches it; these call the store directly.
    use super::*;
    use crate::s3::version_list::internal_req;
    use std::sync::Arc;

    const BUCKET: &str = "bucket";

    fn store(dir: &Path) -> CubbyS3 {
        let root = dir.join("s3");
        std::fs::create_dir_all(root.join(BUCKET)).unwrap();
        let urls = crate::Urls {
            app: String::new(),
            hosted_ui: String::new(),
            identity: String::new(),
            sts: String::new(),
            s3: String::new(),
            admin: String::new(),
        };
        let state = crate::state::State::new(crate::EmulatorConfig::test(dir), urls);
        CubbyS3 {
            fs: s3s_fs::FileSystem::new(&root).unwrap(),
            versions: Versions::load(&root),
            index: Arc::default(),
            state: Arc::new(state),
            root,
        }
    }

    async fn put(s: &CubbyS3, key: &str, body: &'static str) -> String {
        let input = PutObjectInput::builder()
            .bucket(BUCKET.into())
            .key(fs_key(key))
            .body(Some(s3s::Body::from(body.to_string()).into()))
            .content_length(Some(body.len() as i64))
            .build()
            .unwrap();
        let write = s3s::S3::put_object(&s.fs, internal_req(input, http::Method::PUT));
        let (_, id) = s
            .versioned_write(BUCKET, key, Keep::Link, write)
            .await
            .unwrap();
        id.unwrap()
    }

    async fn read(s: &CubbyS3, key: &str) -> Option<String> {
        s.read_current(key).await.ok()?;
        std::fs::read_to_string(s.current_files(BUCKET, key)[0].clone()).ok()
    }

    #[tokio::test]
    async fn deleting_the_delete_marker_makes_the_previous_version_current_again() {
        let dir = std::env::temp_dir().join(format!("cubby-versioned-{}", uuid::Uuid::new_v4()));
        let s = store(&dir);
        let first = put(&s, "k", "first").await;
        let second = put(&s, "k", "second").await;
        let marker = s.delete_current(BUCKET, "k").await.unwrap().unwrap();
        assert_eq!(read(&s, "k").await, None);
        // The marker's own id: 405 to a read, gone for good on a DELETE.
        let refused = s.locate(BUCKET, "k", &marker).await.unwrap_err();
        assert_eq!(*refused.code(), s3s::S3ErrorCode::MethodNotAllowed);
        assert!(s.delete_version(BUCKET, "k", &marker).await.unwrap());
        assert_eq!(read(&s, "k").await.as_deref(), Some("second"));
        assert_eq!(s.read_current("k").await.unwrap(), Some(second.clone()));
        // Deleting the current version uncovers the one below it, bytes and all.
        assert!(!s.delete_version(BUCKET, "k", &second).await.unwrap());
        assert_eq!(read(&s, "k").await.as_deref(), Some("first"));
        assert_eq!(s.read_current("k").await.unwrap(), Some(first.clone()));
        // An id the key does not have.
        let unknown = s.delete_version(BUCKET, "k", &second).await.unwrap_err();
        assert_eq!(*unknown.code(), s3s::S3ErrorCode::InvalidArgument);
        assert!(s.delete_version(BUCKET, "k", &first).await.is_ok());
        assert_eq!(read(&s, "k").await, None);
        assert!(s.versions.record().lock().await.keys.is_empty());
        // The record outlives a restart.
        put(&s, "k", "again").await;
        let reloaded = Versions::load(&s.root);
        assert_eq!(reloaded.record().lock().await.keys.len(), 1);
        let _ = std::fs::remove_dir_all(dir);
    }
}
