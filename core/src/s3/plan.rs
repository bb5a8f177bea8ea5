//! Splitting a file into multipart upload parts within S3's limits.

use std::ops::Range;

use super::S3Error;

const MIB: u64 = 1024 * 1024;
/// Every part but the last is at least this big.
pub const MIN_PART_SIZE: u64 = 5 * MIB;
/// No part is bigger.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * MIB;
/// Part numbers run 1..=MAX_PARTS.
pub const MAX_PARTS: u32 = 10_000;
/// The largest object the limits above allow (about 48.8 TiB).
pub const MAX_UPLOAD_SIZE: u64 = MAX_PARTS as u64 * MAX_PART_SIZE;

/// How a file of `file_size` bytes is cut: parts of `part_size` bytes, the last one
/// shorter. An empty file is one empty part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartPlan {
    file_size: u64,
    part_size: u64,
    part_count: u32,
}

impl PartPlan {
    /// The file's size in bytes.
    pub fn file_size(&self) -> u64 {
        self.file_size
    }

    /// Bytes in every part but the last.
    pub fn part_size(&self) -> u64 {
        self.part_size
    }

    /// Number of parts, 1..=[`MAX_PARTS`].
    pub fn part_count(&self) -> u32 {
        self.part_count
    }

    /// Byte range of part `part_number` (1-based), `None` outside the plan.
    pub fn range(&self, part_number: u32) -> Option<Range<u64>> {
        if part_number == 0 || part_number > self.part_count {
            return None;
        }
        let start = u64::from(part_number - 1) * self.part_size;
        let end = (start + self.part_size).min(self.file_size);
        Some(start..end)
    }

    /// Every part number with its byte range, in order.
    pub fn parts(&self) -> impl Iterator<Item = (u32, Range<u64>)> + '_ {
        (1..=self.part_count).filter_map(|n| self.range(n).map(|r| (n, r)))
    }
}

/// Plans parts of about `preferred_part_size` bytes (clamped to 5 MiB..=5 GiB),
/// growing the part size (in whole MiB) when the file would need more than 10,000
/// parts. Sizes in bytes. Amazon S3 User Guide: Amazon S3 multipart upload limits.
///
/// # Errors
/// Invalid input when `file_size` is larger than [`MAX_UPLOAD_SIZE`].
pub fn plan_parts(file_size: u64, preferred_part_size: u64) -> Result<PartPlan, S3Error> {
    if file_size > MAX_UPLOAD_SIZE {
        return Err(S3Error::invalid_input(
            "file is larger than S3's multipart limit (10,000 parts of 5 GiB)",
        ));
    }
    let mut part_size = preferred_part_size.clamp(MIN_PART_SIZE, MAX_PART_SIZE);
    let smallest_fitting = file_size.div_ceil(u64::from(MAX_PARTS));
    if part_size < smallest_fitting {
        part_size = smallest_fitting.div_ceil(MIB) * MIB;
    }
    let part_count = file_size.div_ceil(part_size).max(1);
    Ok(PartPlan {
        file_size,
        part_size,
        // At most MAX_PARTS by construction.
        part_count: u32::try_from(part_count).unwrap_or(MAX_PARTS),
    })
}
