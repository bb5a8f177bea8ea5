//! S3 versioning's bookkeeping: each key's versions, newest first, and the
//! ListObjectVersions walk over them. Pure data; the bytes are moved by
//! [`super::versioned`].
//!
//! `s3s-fs` keeps each key's current object; this record names its version id, and
//! every older version (kept in the archive, see [`super::versioned`]) and every
//! delete marker. A current object the record does not name is the key's `null`
//! version: written while versioning was off, as in a bucket versioning was never
//! enabled on.
//!
//! AWS: <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeleteMarker.html>.

use std::collections::BTreeMap;
use std::ops::Bound;

/// The version id of an object written while versioning was off.
pub(super) const NULL: &str = "null";

/// How long a version id is, and what it is made of: opaque and URL-safe, like S3's.
const ID_LEN: usize = 32;
const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";

/// A new version id (random: nothing can be told from it).
pub(super) fn new_id() -> String {
    crate::state::random_string(ID_LEN, ID_ALPHABET)
}

/// Whether `id` could name a version here (`null` or an id [`new_id`] makes); any
/// other `versionId` S3 refuses as "Invalid version id specified".
pub(super) fn is_well_formed(id: &str) -> bool {
    id == NULL || (id.len() == ID_LEN && id.bytes().all(|b| ID_ALPHABET.contains(&b)))
}

/// One version of a key, or a delete marker.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Version {
    pub id: String,
    pub delete_marker: bool,
    /// When it was written, Unix milliseconds.
    pub last_modified_ms: u64,
    /// Bytes (0 for a delete marker).
    pub size: u64,
    /// The ETag without quotes (empty for a delete marker).
    pub etag: String,
    /// Whether `s3s-fs` holds it as the key's current object (else the archive does).
    pub current: bool,
}

/// Every key's versions (of the one bucket), newest first.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Record {
    pub keys: BTreeMap<String, Vec<Version>>,
}

impl Record {
    /// The version `id` of `key`.
    pub fn find(&self, key: &str, id: &str) -> Option<&Version> {
        self.keys.get(key)?.iter().find(|v| v.id == id)
    }

    /// The newest entry of `key` when it is a delete marker (the key reads as deleted).
    pub fn latest_marker(&self, key: &str) -> Option<&Version> {
        self.keys
            .get(key)
            .and_then(|v| v.first())
            .filter(|v| v.delete_marker)
    }

    /// The id of the current object `s3s-fs` holds for `key` (when it holds one).
    pub fn current_id(&self, key: &str) -> &str {
        self.keys
            .get(key)
            .and_then(|v| v.first())
            .filter(|v| v.current)
            .map_or(NULL, |v| v.id.as_str())
    }

    /// Records that the current object (`previous`, when `s3s-fs` held one) went to
    /// the archive and `latest` is now the newest entry. A `null` version replaces
    /// the key's earlier `null` version, as in S3 (one `null` version per key).
    pub fn push(&mut self, key: &str, previous: Option<Version>, latest: Version) {
        let versions = self.keys.entry(key.to_string()).or_default();
        if let Some(first) = versions.first() {
            if first.current {
                versions.remove(0);
            }
        }
        if let Some(mut previous) = previous {
            previous.current = false;
            if previous.id == NULL {
                versions.retain(|v| v.id != NULL);
            }
            versions.insert(0, previous);
        }
        if latest.id == NULL {
            versions.retain(|v| v.id != NULL);
        }
        versions.insert(0, latest);
    }

    /// Forgets the entry of `key`'s current object: with versioning off it is the
    /// `null` version, which the record leaves unnamed.
    pub fn forget_current(&mut self, key: &str) {
        if let Some(versions) = self.keys.get_mut(key) {
            if versions.first().is_some_and(|v| v.current) {
                versions.remove(0);
            }
            if versions.is_empty() {
                self.keys.remove(key);
            }
        }
    }

    /// Forgets version `id` of `key` (a DELETE with `versionId`) and returns it.
    pub fn remove(&mut self, key: &str, id: &str) -> Option<Version> {
        let versions = self.keys.get_mut(key)?;
        let at = versions.iter().position(|v| v.id == id)?;
        let removed = versions.remove(at);
        if versions.is_empty() {
            self.keys.remove(key);
        }
        Some(removed)
    }
}

/// What a ListObjectVersions request asks for (markers already checked).
#[derive(Clone, Debug, Default)]
pub(super) struct ListRequest<'a> {
    pub prefix: &'a str,
    pub delimiter: Option<&'a str>,
    pub key_marker: Option<&'a str>,
    pub version_id_marker: Option<&'a str>,
    pub max_keys: usize,
}

/// One element of a listing, in S3's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Item {
    /// A `Version` or `DeleteMarker` element.
    Version {
        key: String,
        version: Version,
        is_latest: bool,
    },
    /// A `CommonPrefixes` element.
    Prefix(String),
}

/// One page of a listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Listing {
    pub items: Vec<Item>,
    pub is_truncated: bool,
    pub next_key_marker: Option<String>,
    pub next_version_id_marker: Option<String>,
}

/// One page of ListObjectVersions over `keys` (each key's versions newest first):
/// keys ascending in UTF-8 byte order, prefix and delimiter as ListObjects, after
/// `key_marker` (and, on that key, after `version_id_marker`), at most `max_keys`
/// elements, a common prefix counting as one. A `version_id_marker` the key does
/// not have resumes at the next key.
pub(super) fn list(keys: &BTreeMap<String, Vec<Version>>, req: &ListRequest) -> Listing {
    let mut out = Listing::default();
    // Keys under the prefix are one run in sorted order, starting at the prefix.
    let start = req.key_marker.unwrap_or("").max(req.prefix);
    let mut last_prefix: Option<String> = None;
    let from = (Bound::Included(start), Bound::Unbounded);
    for (key, versions) in keys.range::<str, _>(from) {
        if !key.starts_with(req.prefix) {
            break;
        }
        let common = req.delimiter.filter(|d| !d.is_empty()).and_then(|d| {
            let rest = &key[req.prefix.len()..];
            rest.find(d)
                .map(|at| key[..req.prefix.len() + at + d.len()].to_string())
        });
        if let Some(common) = common {
            if last_prefix.as_deref() == Some(common.as_str())
                || req.key_marker.is_some_and(|m| common.as_str() <= m)
            {
                continue;
            }
            if out.items.len() == req.max_keys {
                out.is_truncated = true;
                break;
            }
            last_prefix = Some(common.clone());
            out.items.push(Item::Prefix(common));
            continue;
        }
        let skip = match req.key_marker {
            Some(m) if m == key => match req.version_id_marker {
                None => versions.len(),
                Some(id) => versions
                    .iter()
                    .position(|v| v.id == id)
                    .map_or(versions.len(), |at| at + 1),
            },
            _ => 0,
        };
        for (at, version) in versions.iter().enumerate().skip(skip) {
            if out.items.len() == req.max_keys {
                out.is_truncated = true;
                break;
            }
            out.items.push(Item::Version {
                key: key.clone(),
                version: version.clone(),
                is_latest: at == 0,
            });
        }
        if out.is_truncated {
            break;
        }
    }
    if out.is_truncated {
        match out.items.last() {
            Some(Item::Version { key, version, .. }) => {
                out.next_key_marker = Some(key.clone());
                out.next_version_id_marker = Some(version.id.clone());
            }
            Some(Item::Prefix(prefix)) => out.next_key_marker = Some(prefix.clone()),
            None => out.is_truncated = false,
        }
    }
    out
}

/// The request's echo in a listing's answer.
#[derive(Clone, Debug, Default)]
pub(super) struct Echo<'a> {
    pub bucket: &'a str,
    pub prefix: &'a str,
    pub delimiter: Option<&'a str>,
    pub key_marker: &'a str,
    pub version_id_marker: &'a str,
    pub max_keys: usize,
    /// `encoding-type=url`: keys, prefixes, markers and the delimiter percent-encoded.
    pub url: bool,
}

/// The `ListVersionsResult` body of a listing, its `Version` and `DeleteMarker`
/// elements interleaved in the listing's order (as S3 writes them), then the
/// `CommonPrefixes`. `iso_date` writes a Unix millisecond time as S3 does.
pub(super) fn to_xml(
    listing: &Listing,
    echo: &Echo,
    encode: impl Fn(&str) -> String,
    iso_date: impl Fn(u64) -> String,
) -> String {
    use crate::http_util::escape_xml;
    let text = |s: &str| escape_xml(&if echo.url { encode(s) } else { s.to_string() });
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
    );
    let mut el = |name: &str, value: &str| x.push_str(&format!("<{name}>{value}</{name}>"));
    el("Name", &escape_xml(echo.bucket));
    el("Prefix", &text(echo.prefix));
    el("KeyMarker", &text(echo.key_marker));
    el("VersionIdMarker", &escape_xml(echo.version_id_marker));
    if let Some(next) = &listing.next_key_marker {
        el("NextKeyMarker", &text(next));
    }
    if let Some(next) = &listing.next_version_id_marker {
        el("NextVersionIdMarker", &escape_xml(next));
    }
    el("MaxKeys", &echo.max_keys.to_string());
    if let Some(d) = echo.delimiter {
        el("Delimiter", &text(d));
    }
    if echo.url {
        el("EncodingType", "url");
    }
    el(
        "IsTruncated",
        if listing.is_truncated {
            "true"
        } else {
            "false"
        },
    );
    let mut prefixes = String::new();
    for item in &listing.items {
        match item {
            Item::Version {
                key,
                version,
                is_latest,
            } => {
                let name = if version.delete_marker {
                    "DeleteMarker"
                } else {
                    "Version"
                };
                x.push_str(&format!(
                    "<{name}><Key>{}</Key><VersionId>{}</VersionId><IsLatest>{is_latest}</IsLatest>\
                     <LastModified>{}</LastModified>",
                    text(key),
                    escape_xml(&version.id),
                    iso_date(version.last_modified_ms)
                ));
                if !version.delete_marker {
                    x.push_str(&format!(
                        "<ETag>&quot;{}&quot;</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass>",
                        escape_xml(&version.etag),
                        version.size
                    ));
                }
                x.push_str(&format!("</{name}>"));
            }
            Item::Prefix(p) => prefixes.push_str(&format!(
                "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
                text(p)
            )),
        }
    }
    x.push_str(&prefixes);
    x.push_str("</ListVersionsResult>");
    x
}

/// An HTTP date (IMF-fixdate) of Unix milliseconds.
pub(super) fn http_date(ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp((ms / 1000) as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.format(&format).unwrap_or_default()
}

/// S3's timestamp of listings (ISO 8601 with milliseconds) of Unix milliseconds.
pub(super) fn iso_date(ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&format).unwrap_or_default()
}

/// The `DeleteResult` body of a DeleteObjects answer, each element's fields in S3's
/// order (`Key` first).
pub(super) fn delete_result_xml(
    deleted: &[s3s::dto::DeletedObject],
    errors: &[s3s::dto::Error],
) -> String {
    use crate::http_util::escape_xml;
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
    );
    let el = |x: &mut String, name: &str, value: &Option<String>| {
        if let Some(v) = value {
            x.push_str(&format!("<{name}>{}</{name}>", escape_xml(v)));
        }
    };
    for d in deleted {
        x.push_str("<Deleted>");
        el(&mut x, "Key", &d.key);
        el(&mut x, "VersionId", &d.version_id);
        el(
            &mut x,
            "DeleteMarker",
            &d.delete_marker.map(|m| m.to_string()),
        );
        el(&mut x, "DeleteMarkerVersionId", &d.delete_marker_version_id);
        x.push_str("</Deleted>");
    }
    for e in errors {
        x.push_str("<Error>");
        el(&mut x, "Key", &e.key);
        el(&mut x, "VersionId", &e.version_id);
        el(&mut x, "Code", &e.code);
        el(&mut x, "Message", &e.message);
        x.push_str("</Error>");
    }
    x.push_str("</DeleteResult>");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(id: &str, current: bool) -> Version {
        Version {
            id: id.into(),
            delete_marker: false,
            last_modified_ms: 1_255_369_830_000,
            size: 4,
            etag: "e".into(),
            current,
        }
    }

    fn marker(id: &str) -> Version {
        Version {
            delete_marker: true,
            size: 0,
            etag: String::new(),
            ..object(id, false)
        }
    }

    fn ids(listing: &Listing) -> Vec<String> {
        listing
            .items
            .iter()
            .map(|i| match i {
                Item::Version {
                    key,
                    version,
                    is_latest,
                } => format!("{key} {} {is_latest}", version.id),
                Item::Prefix(p) => p.clone(),
            })
            .collect()
    }

    #[test]
    fn ids_are_opaque_url_safe_and_checked() {
        let id = new_id();
        assert!(is_well_formed(&id), "{id}");
        assert_ne!(id, new_id());
        assert!(is_well_formed(NULL));
        assert!(!is_well_formed(""));
        assert!(!is_well_formed("3/L4kqtJl40Nr8X8gdRQBpUMLUo"));
        assert!(!is_well_formed(&format!("{id}x")));
    }

    #[test]
    fn a_write_keeps_the_current_object_and_one_null_version() {
        let mut r = Record::default();
        r.push("k", None, object("a", true));
        r.push("k", Some(object("a", true)), object("b", true));
        assert_eq!(r.current_id("k"), "b");
        assert_eq!(r.keys["k"], vec![object("b", true), object("a", false)]);
        // A null version replaces the earlier null version.
        r.push("k", Some(object("b", true)), object(NULL, true));
        r.push("k", Some(object(NULL, true)), marker("m"));
        r.push("k", None, object(NULL, true));
        let got: Vec<&str> = r.keys["k"].iter().map(|v| v.id.as_str()).collect();
        assert_eq!(got, [NULL, "m", "b", "a"]);
        assert!(r.latest_marker("k").is_none());
    }

    #[test]
    fn removing_a_delete_marker_uncovers_the_version_below() {
        let mut r = Record::default();
        r.push("k", None, object("a", true));
        r.push("k", Some(object("a", true)), marker("m"));
        assert_eq!(r.latest_marker("k").map(|v| v.id.as_str()), Some("m"));
        assert_eq!(r.current_id("k"), NULL, "no current object");
        assert!(r.remove("k", "m").is_some_and(|v| v.delete_marker));
        assert!(r.latest_marker("k").is_none());
        assert_eq!(r.keys["k"][0].id, "a");
        assert!(r.remove("k", "a").is_some());
        assert!(r.keys.is_empty());
        assert!(r.remove("k", "a").is_none());
    }

    /// The reference's examples: keys ascending, each key's versions newest first,
    /// the delete marker among them, `IsLatest` on the newest only.
    fn bucket() -> BTreeMap<String, Vec<Version>> {
        let mut keys = BTreeMap::new();
        keys.insert("my-image.jpg".to_string(), vec![object("i1", true)]);
        keys.insert(
            "my-second-image.jpg".to_string(),
            vec![marker("s3"), object("s2", false), object("s1", false)],
        );
        keys.insert(
            "my-third-image.jpg".to_string(),
            vec![object("t2", true), object("t1", false)],
        );
        keys.insert("photos/2006/a.jpg".to_string(), vec![object("p1", true)]);
        keys.insert("photos/2007/b.jpg".to_string(), vec![object("p2", true)]);
        keys
    }

    fn request<'a>() -> ListRequest<'a> {
        ListRequest {
            max_keys: 1000,
            ..ListRequest::default()
        }
    }

    #[test]
    fn versions_list_in_key_order_newest_first() {
        let listing = list(
            &bucket(),
            &ListRequest {
                prefix: "my",
                ..request()
            },
        );
        assert_eq!(
            ids(&listing),
            [
                "my-image.jpg i1 true",
                "my-second-image.jpg s3 true",
                "my-second-image.jpg s2 false",
                "my-second-image.jpg s1 false",
                "my-third-image.jpg t2 true",
                "my-third-image.jpg t1 false",
            ]
        );
        assert!(!listing.is_truncated);
        let xml = to_xml(
            &listing,
            &Echo {
                bucket: "bucket",
                prefix: "my",
                max_keys: 1000,
                ..Echo::default()
            },
            str::to_string,
            |_| "2009-10-12T17:50:30.000Z".into(),
        );
        let marker_at = xml.find("<DeleteMarker><Key>my-second-image.jpg</Key><VersionId>s3</VersionId><IsLatest>true</IsLatest><LastModified>2009-10-12T17:50:30.000Z</LastModified></DeleteMarker>").unwrap();
        assert!(xml.find("<Key>my-image.jpg</Key>").unwrap() < marker_at);
        assert!(marker_at < xml.find("<VersionId>s2</VersionId>").unwrap());
        assert!(xml.contains("<Name>bucket</Name><Prefix>my</Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"), "{xml}");
    }

    #[test]
    fn a_page_ends_where_the_markers_say_and_the_next_begins_after_them() {
        let keys = bucket();
        let page = list(
            &keys,
            &ListRequest {
                max_keys: 3,
                ..request()
            },
        );
        assert!(page.is_truncated);
        assert_eq!(page.next_key_marker.as_deref(), Some("my-second-image.jpg"));
        assert_eq!(page.next_version_id_marker.as_deref(), Some("s2"));
        let next = list(
            &keys,
            &ListRequest {
                key_marker: Some("my-second-image.jpg"),
                version_id_marker: Some("s2"),
                max_keys: 3,
                ..request()
            },
        );
        assert_eq!(
            ids(&next),
            [
                "my-second-image.jpg s1 false",
                "my-third-image.jpg t2 true",
                "my-third-image.jpg t1 false",
            ]
        );
        // The delimiter rolls the photos up, one entry each; a prefix returned is
        // not returned again after it.
        let rolled = ListRequest {
            prefix: "photos/",
            delimiter: Some("/"),
            max_keys: 1,
            ..request()
        };
        let first = list(&keys, &rolled);
        assert_eq!(ids(&first), ["photos/2006/"]);
        assert_eq!(first.next_key_marker.as_deref(), Some("photos/2006/"));
        assert_eq!(first.next_version_id_marker, None);
        let second = list(
            &keys,
            &ListRequest {
                key_marker: Some("photos/2006/"),
                ..rolled
            },
        );
        assert_eq!(ids(&second), ["photos/2007/"]);
        assert!(!second.is_truncated);
        // No room at all: nothing, and not truncated (as S3 answers max-keys=0).
        let none = list(
            &keys,
            &ListRequest {
                max_keys: 0,
                ..request()
            },
        );
        assert_eq!(none, Listing::default());
    }
}
