//! What S3 accepts as an object key, checked before anything is sent: the length
//! limit, and which keys a DeleteObjects body can carry.

use std::fmt;

use crate::xml;

/// S3's limit on an object key: at most this many bytes of UTF-8, counting the whole
/// key (here `private/<identity id>/` and every folder included). Past it S3 answers
/// 400 `KeyTooLongError`. Amazon S3 User Guide: "Naming Amazon S3 objects".
pub const MAX_KEY_BYTES: usize = 1024;

/// A key longer than [`MAX_KEY_BYTES`], found before sending ([`check_key_length`])
/// or reported by S3 (`KeyTooLongError`, see [`super::S3Error::key_too_long`]).
/// `Display` is the message for people: the limit and how far over the key is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyTooLong {
    /// The key's length in bytes, when known (S3's error names it in `Size`).
    bytes: Option<usize>,
}

impl KeyTooLong {
    pub(crate) fn new(bytes: Option<usize>) -> Self {
        KeyTooLong { bytes }
    }

    /// The whole key's length in bytes of UTF-8, when known.
    pub fn bytes(&self) -> Option<usize> {
        self.bytes
    }

    /// How many bytes over [`MAX_KEY_BYTES`] the key is, when known.
    pub fn over(&self) -> Option<usize> {
        self.bytes.map(|b| b.saturating_sub(MAX_KEY_BYTES))
    }
}

impl fmt::Display for KeyTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "The name is too long: S3 allows 1,024 bytes for a file's whole path (your \
             folder and every folder above the file included)",
        )?;
        match (self.bytes, self.over()) {
            (Some(bytes), Some(over)) => write!(
                f,
                ", and this one has {} bytes, {} {} too many",
                grouped(bytes),
                grouped(over),
                if over == 1 { "byte" } else { "bytes" }
            )?,
            _ => f.write_str(", and this one has more")?,
        }
        f.write_str(". Use a shorter name or a folder less deep.")
    }
}

/// `1056` as `1,056`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Checks `key` (the whole key, as stored) against [`MAX_KEY_BYTES`]. Every request
/// builder that names a new key (PutObject, CopyObject's destination,
/// CreateMultipartUpload) calls it; callers that write several keys call it for all
/// of them first, so that nothing is half done.
///
/// # Errors
/// [`KeyTooLong`] with the key's length when it has more than [`MAX_KEY_BYTES`]
/// bytes.
pub fn check_key_length(key: &str) -> Result<(), KeyTooLong> {
    if key.len() > MAX_KEY_BYTES {
        Err(KeyTooLong::new(Some(key.len())))
    } else {
        Ok(())
    }
}

/// How a list of keys is deleted: `batches` of at most [`super::MAX_DELETE_KEYS`]
/// keys for DeleteObjects, and the keys its XML body cannot carry
/// (`one_by_one`: control characters and the rest XML 1.0 forbids, see
/// [`xml::can_carry`]), which go through DeleteObject, the key in the URL. S3 would
/// refuse a whole batch holding one of them with `MalformedXML`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeletePlan<'a> {
    /// For [`super::build_delete_objects`], in the order given.
    pub batches: Vec<Vec<&'a str>>,
    /// For [`super::build_delete_object`], in the order given.
    pub one_by_one: Vec<&'a str>,
}

/// Splits `keys` into a [`DeletePlan`].
pub fn plan_deletes<'a>(keys: &'a [String]) -> DeletePlan<'a> {
    let (xml_safe, one_by_one): (Vec<&str>, Vec<&str>) = keys
        .iter()
        .map(String::as_str)
        .partition(|key| xml::can_carry(key));
    DeletePlan {
        batches: xml_safe
            .chunks(super::MAX_DELETE_KEYS)
            .map(<[&str]>::to_vec)
            .collect(),
        one_by_one,
    }
}
