//! Multipart uploads: our record of each open upload (which key and identity it is
//! for, its checksum algorithm), the checks S3 makes on parts and on completion,
//! CRC32 part checksums and the composite checksum of the object. Storage is
//! `s3s-fs`'s; this module knows where it keeps parts (pinned version).
//!
//! AWS: <https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html>.

use super::digests::{crc32_base64, md5_hex};
use super::objects::{fs_key, hide_missing, CubbyS3};
use crate::state::{State, UploadInfo};
use base64::Engine as _;
use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result, S3};

/// Our record of an open multipart upload (s3s-fs does not bind uploads to keys).
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct UploadRecord {
    key: String,
    identity_id: String,
    /// `x-amz-checksum-algorithm` of CreateMultipartUpload (records written before it
    /// was kept read as none).
    #[serde(default)]
    checksum_algorithm: Option<String>,
}

impl UploadRecord {
    /// S3 keeps, echoes and lists each part's CRC32 only for uploads created with it.
    fn has_crc32_parts(&self) -> bool {
        self.checksum_algorithm
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case(ChecksumAlgorithm::CRC32))
    }
}

fn record_path(root: &std::path::Path, upload_id: &str) -> Option<std::path::PathBuf> {
    let ok = !upload_id.is_empty()
        && upload_id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'-');
    ok.then(|| root.join(format!(".cubby-upload-{upload_id}.json")))
}

/// Rebuilds the list of open uploads from the records on disk (after a restart).
pub(super) fn load_uploads(state: &State, root: &std::path::Path) {
    let Ok(dir) = std::fs::read_dir(root) else {
        return;
    };
    let mut uploads = vec![];
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(id) = name
            .strip_prefix(".cubby-upload-")
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        let Ok(text) = std::fs::read(entry.path()) else {
            continue;
        };
        if let Ok(r) = serde_json::from_slice::<UploadRecord>(&text) {
            uploads.push(UploadInfo {
                upload_id: id.to_string(),
                key: r.key,
                identity_id: r.identity_id,
            });
        }
    }
    state.lock().stats.multipart_uploads = uploads;
}

fn no_such_upload() -> s3s::S3Error {
    s3_error!(NoSuchUpload)
}

/// The part files of an upload: (part number, path, size).
async fn part_files(
    root: &std::path::Path,
    upload_id: &str,
) -> S3Result<Vec<(i32, std::path::PathBuf, u64)>> {
    let prefix = format!(".upload_id-{upload_id}.part-");
    let mut out = vec![];
    let mut dir = tokio::fs::read_dir(root)
        .await
        .map_err(|_| s3_error!(InternalError))?;
    while let Ok(Some(entry)) = dir.next_entry().await {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(n) = name
            .strip_prefix(&prefix)
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let size = entry.metadata().await.map(|m| m.len()).unwrap_or(0);
        out.push((n, entry.path(), size));
    }
    out.sort_by_key(|p| p.0);
    Ok(out)
}

/// Where s3s-fs (pinned) keeps part `part_number` of an upload.
fn part_path(root: &std::path::Path, upload_id: &str, part_number: i32) -> std::path::PathBuf {
    root.join(format!(".upload_id-{upload_id}.part-{part_number}"))
}

async fn read_stored(path: &std::path::Path) -> S3Result<Vec<u8>> {
    tokio::fs::read(path)
        .await
        .map_err(|_| s3_error!(InternalError))
}

/// The big-endian CRC32 of a file's bytes.
async fn crc32_of(path: &std::path::Path) -> S3Result<[u8; 4]> {
    Ok(crc32fast::hash(&read_stored(path).await?).to_be_bytes())
}

/// S3's composite checksum of a multipart object uploaded with CRC32 parts: the
/// CRC32 of the parts' raw CRC32s in order, base64, then `-<parts>`.
fn composite_crc32(part_crcs: &[[u8; 4]]) -> String {
    let raw: Vec<u8> = part_crcs.iter().flatten().copied().collect();
    let crc = crc32fast::hash(&raw).to_be_bytes();
    format!(
        "{}-{}",
        base64::engine::general_purpose::STANDARD.encode(crc),
        part_crcs.len()
    )
}

/// Where s3s-fs (pinned) keeps an object's ETag and checksums, which its HEAD and
/// GET answer with.
fn internal_info_path(root: &std::path::Path, bucket: &str, key: &str) -> std::path::PathBuf {
    let encode = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    root.join(format!(
        ".bucket-{}.object-{}.internal.json",
        encode(bucket),
        encode(key)
    ))
}

/// Records `crc32` (if any) as the object's only checksum, dropping whatever an
/// earlier object under the key left there (s3s-fs keeps it across a multipart
/// completion).
async fn store_crc32(path: &std::path::Path, crc32: Option<String>) -> S3Result<()> {
    let mut info: serde_json::Map<String, serde_json::Value> = match tokio::fs::read(path).await {
        Ok(text) => serde_json::from_slice(&text).map_err(|_| s3_error!(InternalError))?,
        Err(_) => serde_json::Map::new(),
    };
    for stale in [
        "checksum_crc32",
        "checksum_crc32c",
        "checksum_sha1",
        "checksum_sha256",
        "checksum_crc64nvme",
    ] {
        info.remove(stale);
    }
    if let Some(crc32) = crc32 {
        info.insert("checksum_crc32".into(), crc32.into());
    }
    let text = serde_json::to_vec(&info).map_err(|_| s3_error!(InternalError))?;
    tokio::fs::write(path, text)
        .await
        .map_err(|_| s3_error!(InternalError))
}

/// The MD5 (hex) of a stored file, as S3 answers a part's ETag.
async fn md5_hex_of_file(path: &std::path::Path) -> S3Result<String> {
    Ok(md5_hex(&read_stored(path).await?))
}

impl CubbyS3 {
    /// The upload must exist, be this identity's and be for this key: its record.
    async fn check_upload<T>(
        &self,
        req: &S3Request<T>,
        upload_id: &str,
        key: &str,
    ) -> S3Result<UploadRecord> {
        let path = record_path(&self.root, upload_id).ok_or_else(no_such_upload)?;
        let text = tokio::fs::read(&path).await.map_err(|_| no_such_upload())?;
        let record: UploadRecord = serde_json::from_slice(&text).map_err(|_| no_such_upload())?;
        if record.key != key || Some(&record.identity_id) != self.identity(req).as_ref() {
            return Err(no_such_upload());
        }
        Ok(record)
    }

    /// Drops the record and the upload from the stats (completed or aborted).
    async fn forget_upload(&self, upload_id: &str) {
        if let Some(path) = record_path(&self.root, upload_id) {
            let _ = tokio::fs::remove_file(path).await;
        }
        self.state
            .lock()
            .stats
            .multipart_uploads
            .retain(|u| u.upload_id != upload_id);
    }

    /// CreateMultipartUpload: s3s-fs creates it; we record its key, identity and
    /// checksum algorithm.
    pub(super) async fn create_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let identity = self.identity(&req).unwrap_or_default();
        let key = req.input.key.clone();
        let checksum_algorithm = req.input.checksum_algorithm.clone();
        let mut req = req;
        req.input.key = fs_key(&key);
        let mut resp = self.fs.create_multipart_upload(self.stable(req)).await?;
        resp.output.key = Some(key.clone());
        resp.output.checksum_algorithm = checksum_algorithm.clone();
        if let Some(upload_id) = &resp.output.upload_id {
            let record = UploadRecord {
                key: key.clone(),
                identity_id: identity.clone(),
                checksum_algorithm: checksum_algorithm.map(|a| a.as_str().to_string()),
            };
            if let Some(path) = record_path(&self.root, upload_id) {
                let json = serde_json::to_vec(&record).unwrap_or_default();
                tokio::fs::write(path, json)
                    .await
                    .map_err(|_| s3_error!(InternalError))?;
            }
            self.state.lock().stats.multipart_uploads.push(UploadInfo {
                upload_id: upload_id.clone(),
                key,
                identity_id: identity,
            });
        }
        Ok(resp)
    }

    /// UploadPart: only into this identity's upload for this key, parts 1 to 10,000.
    pub(super) async fn put_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let record = self
            .check_upload(&req, &req.input.upload_id, &req.input.key)
            .await?;
        if !(1..=10_000).contains(&req.input.part_number) {
            return Err(s3_error!(
                InvalidArgument,
                "Part number must be an integer between 1 and 10000, inclusive"
            ));
        }
        let stored = part_path(&self.root, &req.input.upload_id, req.input.part_number);
        let mut resp = self.fs.upload_part(self.stable(req)).await?;
        // Any `x-amz-checksum-crc32` sent was checked against the body in
        // `check_digests`; the stored part is what S3 would report it of.
        if record.has_crc32_parts() {
            resp.output.checksum_crc32 = Some(crc32_base64(&read_stored(&stored).await?));
        }
        Ok(resp)
    }

    /// UploadPartCopy: only into this identity's upload for this key.
    pub(super) async fn copy_part(
        &self,
        mut req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        self.check_upload(&req, &req.input.upload_id, &req.input.key)
            .await?;
        let (source, source_version) = self.copy_source(&req.input.copy_source).await?;
        req.input.copy_source = source;
        let mut resp = hide_missing(self.fs.upload_part_copy(self.stable(req)).await)?;
        resp.output.copy_source_version_id = source_version;
        Ok(resp)
    }

    /// ListParts, from the part files: paged by part number marker, with each part's
    /// CRC32 for an upload created with CRC32.
    pub(super) async fn list_upload_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let input = &req.input;
        let record = self
            .check_upload(&req, &input.upload_id, &input.key)
            .await?;
        let crc32_parts = record.has_crc32_parts();
        let max_parts = input.max_parts.unwrap_or(1000).clamp(0, 1000);
        let marker = input.part_number_marker.unwrap_or(0);
        let files = part_files(&self.root, &input.upload_id).await?;
        let after: Vec<_> = files.into_iter().filter(|p| p.0 > marker).collect();
        let is_truncated = after.len() > max_parts as usize;
        let mut parts = vec![];
        for (n, path, size) in after.into_iter().take(max_parts as usize) {
            let modified = tokio::fs::metadata(&path)
                .await
                .and_then(|m| m.modified())
                .map_err(|_| s3_error!(InternalError))?;
            let bytes = read_stored(&path).await?;
            parts.push(Part {
                part_number: Some(n),
                e_tag: Some(ETag::Strong(md5_hex(&bytes))),
                size: Some(size as i64),
                last_modified: Some(Timestamp::from(modified)),
                checksum_crc32: crc32_parts.then(|| crc32_base64(&bytes)),
                ..Default::default()
            });
        }
        let next_marker = parts.last().and_then(|p| p.part_number);
        let output = ListPartsOutput {
            bucket: Some(input.bucket.clone()),
            key: Some(input.key.clone()),
            upload_id: Some(input.upload_id.clone()),
            max_parts: Some(max_parts),
            part_number_marker: input.part_number_marker,
            next_part_number_marker: if is_truncated { next_marker } else { None },
            is_truncated: Some(is_truncated),
            storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
            checksum_algorithm: record.checksum_algorithm.map(ChecksumAlgorithm::from),
            parts: (!parts.is_empty()).then_some(parts),
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    /// CompleteMultipartUpload: S3's checks (order, ETags, 5 MiB minimum but for the
    /// last part) before s3s-fs joins the parts; then the composite CRC32.
    pub(super) async fn complete_upload(
        &self,
        mut req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let upload_id = req.input.upload_id.clone();
        let record = self.check_upload(&req, &upload_id, &req.input.key).await?;
        // Validate everything before s3s-fs, which drops the upload before checking.
        let requested = req
            .input
            .multipart_upload
            .as_ref()
            .and_then(|m| m.parts.clone())
            .unwrap_or_default();
        if requested.is_empty() {
            return Err(s3_error!(MalformedXML));
        }
        let files = part_files(&self.root, &upload_id).await?;
        let mut previous = 0;
        for (i, part) in requested.iter().enumerate() {
            let n = part.part_number.unwrap_or(0);
            if n <= previous {
                return Err(s3_error!(InvalidPartOrder));
            }
            previous = n;
            let Some((_, path, size)) = files.iter().find(|f| f.0 == n) else {
                return Err(s3_error!(InvalidPart));
            };
            let given = part
                .e_tag
                .as_ref()
                .map(|e| e.value().trim_matches('"').to_string());
            if given.as_deref() != Some(md5_hex_of_file(path).await?.as_str()) {
                return Err(s3_error!(InvalidPart));
            }
            if i + 1 < requested.len() && *size < 5 * 1024 * 1024 {
                return Err(s3_error!(EntityTooSmall));
            }
        }
        // s3s-fs wants parts numbered 1..=n: move the chosen parts there, drop the rest.
        let stash = |n: i32| self.root.join(format!(".cubby-stash-{upload_id}.part-{n}"));
        for part in &requested {
            let n = part.part_number.unwrap_or(0);
            let from = part_path(&self.root, &upload_id, n);
            tokio::fs::rename(&from, stash(n))
                .await
                .map_err(|_| s3_error!(InternalError))?;
        }
        for (_, path, _) in part_files(&self.root, &upload_id).await? {
            let _ = tokio::fs::remove_file(path).await;
        }
        let mut renumbered = vec![];
        let mut part_crcs = vec![];
        for (i, part) in requested.into_iter().enumerate() {
            let n = part.part_number.unwrap_or(0);
            let to = part_path(&self.root, &upload_id, i as i32 + 1);
            tokio::fs::rename(stash(n), &to)
                .await
                .map_err(|_| s3_error!(InternalError))?;
            part_crcs.push(crc32_of(&to).await?);
            renumbered.push(CompletedPart {
                part_number: Some(i as i32 + 1),
                ..part
            });
        }
        if let Some(m) = req.input.multipart_upload.as_mut() {
            m.parts = Some(renumbered);
        }
        req.input.key = fs_key(&req.input.key);
        let info_path = internal_info_path(&self.root, &req.input.bucket, &req.input.key);
        let resp = self.fs.complete_multipart_upload(self.stable(req)).await?;
        // Only an upload created with CRC32 has a (composite) checksum on S3.
        let composite = record
            .has_crc32_parts()
            .then(|| composite_crc32(&part_crcs));
        store_crc32(&info_path, composite).await?;
        self.forget_upload(&upload_id).await;
        Ok(resp)
    }

    /// AbortMultipartUpload: only this identity's upload for this key.
    pub(super) async fn abort_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let upload_id = req.input.upload_id.clone();
        self.check_upload(&req, &upload_id, &req.input.key).await?;
        let resp = self.fs.abort_multipart_upload(self.stable(req)).await?;
        self.forget_upload(&upload_id).await;
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composite_crc32_is_the_crc32_of_the_part_crc32s() {
        // Computed independently: python3 zlib.crc32 over the parts "hello ",
        // "world", "Welcome to Amazon S3." and then over their packed big-endian CRCs.
        let parts: Vec<[u8; 4]> = [&b"hello "[..], b"world", b"Welcome to Amazon S3."]
            .iter()
            .map(|p| crc32fast::hash(p).to_be_bytes())
            .collect();
        assert_eq!(composite_crc32(&parts), "OFYcLQ==-3");
    }
}
