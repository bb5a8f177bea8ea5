//! Verification after upload: a HEAD of the stored object (size, and the CRC32 S3
//! reports) compared with the file.

use super::{Upload, UploadError};
use cubby_core::encoding::base64_decode;
use cubby_core::s3::{self, ObjectMetadata};

/// The CRC32 S3 reports for a multipart object whose parts carried CRC32s (a
/// composite checksum): the CRC32 of the parts' raw big-endian CRC32s in part
/// order, base64, then `-<number of parts>`. `None` when a part's CRC32 is unknown.
pub fn composite_crc32<'a>(
    part_checksums: impl IntoIterator<Item = Option<&'a str>>,
) -> Option<String> {
    let mut raw = Vec::new();
    let mut parts = 0;
    for checksum in part_checksums {
        let bytes = base64_decode(checksum?)?;
        if bytes.len() != 4 {
            return None;
        }
        raw.extend_from_slice(&bytes);
        parts += 1;
    }
    Some(format!("{}-{parts}", s3::crc32_checksum(&raw)))
}

/// How what S3 stored differs from the file (`size` bytes, CRC32 `checksum` when
/// known), stored value first; `None` when it matches. A checksum S3 does not
/// report (or the bucket's CORS hides) is not compared.
pub fn stored_difference(
    stored: &ObjectMetadata,
    size: u64,
    checksum: Option<&str>,
) -> Option<String> {
    if stored.size != size {
        return Some(format!("size {} vs {size}", stored.size));
    }
    match (stored.checksum_crc32.as_deref(), checksum) {
        (Some(theirs), Some(ours)) if theirs != ours => Some(format!("CRC32 {theirs} vs {ours}")),
        _ => None,
    }
}

/// HEADs the upload's key and compares it with the file (see
/// [`stored_difference`]).
pub(super) async fn check_stored(
    upload: &Upload<'_>,
    size: u64,
    checksum: Option<&str>,
) -> Result<(), UploadError> {
    let key = upload.key;
    let stored = upload
        .session
        .s3(
            |ctx| s3::build_head_object(ctx, key),
            s3::parse_head_object,
            upload.control.send_options(None),
        )
        .await
        .map_err(UploadError::Unchecked)?;
    match stored_difference(&stored, size, checksum) {
        Some(detail) => Err(UploadError::Mismatch(detail)),
        None => Ok(()),
    }
}
