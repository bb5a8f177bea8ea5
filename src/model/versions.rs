//! Previous versions of one file: the list (ListObjectVersions), links to preview or
//! download any of them, and restoring one as the current version (a copy of that
//! version onto its own key). Every call goes through [`Session::s3`].
//!
//! The app cannot ask whether the bucket keeps versions (the role has no
//! `s3:GetBucketVersioning`): a file whose only version has the id `null` (S3's
//! answer for a bucket whose versioning is off) tells it.

use crate::model::reading;
use crate::model::session::{CallError, Session};
use crate::model::transport::SendOptions;
use cubby_core::s3::{
    self, ListObjectVersionsRequest, ObjectVersion, PresignedUrl, NULL_VERSION_ID,
};
use std::ops::ControlFlow;

/// How to turn versioning on, which every view that needs versions says after
/// its own first sentence when the bucket keeps none.
pub const TURN_VERSIONING_ON: &str = "To keep previous versions and deleted files, turn \
    versioning on: in the S3 console open the bucket, then Properties, Bucket Versioning, \
    Edit, Enable (or deploy Cubby's template, which turns it on). Versions are kept from \
    then on; earlier ones cannot be brought back.";

/// One stored version of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileVersion {
    /// S3's id of this version (opaque).
    pub version_id: String,
    /// When it was written, epoch seconds.
    pub last_modified: Option<u64>,
    /// Its size in bytes.
    pub size: u64,
    /// The file's current version (what the folder shows).
    pub is_current: bool,
}

/// The versions of one file, newest first (delete markers left out: they hold no
/// bytes to see or restore).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    pub versions: Vec<FileVersion>,
}

impl History {
    /// Whether the bucket keeps no versions: every version S3 listed has the id
    /// `null` (also a bucket whose versioning was turned on after the file was last
    /// written: S3 cannot tell the two apart until the file changes).
    pub fn versioning_off(&self) -> bool {
        !self.versions.is_empty()
            && self
                .versions
                .iter()
                .all(|v| v.version_id == NULL_VERSION_ID)
    }
}

/// Every version of the file at `key`, newest first: ListObjectVersions with the
/// key as prefix, keeping that key only (the listing goes on to longer keys such
/// as `key.bak`, where it stops), page after page.
///
/// # Errors
///
/// The first listing call that failed ([`CallError`]).
pub async fn list(session: &Session, key: &str) -> Result<History, CallError> {
    let mut history = History::default();
    each_version(session, key, |version| {
        if version.key != key {
            // Keys come in ascending order and `key` sorts first among the keys
            // it prefixes: nothing of it follows.
            return ControlFlow::Break(());
        }
        if !version.is_delete_marker {
            history.versions.push(FileVersion {
                version_id: version.version_id,
                last_modified: version.last_modified,
                size: version.size,
                is_current: version.is_latest,
            });
        }
        ControlFlow::Continue(())
    })
    .await?;
    Ok(history)
}

/// Walks every version and delete marker under `prefix` (no delimiter: the whole
/// tree below it), in S3's order (keys ascending, each key's newest first), page
/// after page, until `each` says to stop or the listing ends.
///
/// # Errors
///
/// The first listing call that failed ([`CallError`]).
pub async fn each_version(
    session: &Session,
    prefix: &str,
    mut each: impl FnMut(ObjectVersion) -> ControlFlow<()>,
) -> Result<(), CallError> {
    let mut markers: Option<(String, Option<String>)> = None;
    loop {
        let page = session
            .s3(
                |ctx| {
                    s3::build_list_object_versions(
                        ctx,
                        &ListObjectVersionsRequest {
                            prefix,
                            delimiter: None,
                            max_keys: Some(1000),
                            key_marker: markers.as_ref().map(|(k, _)| k.as_str()),
                            version_id_marker: markers.as_ref().and_then(|(_, v)| v.as_deref()),
                        },
                    )
                },
                s3::parse_list_object_versions,
                SendOptions::default(),
            )
            .await?;
        for version in page.versions {
            if each(version).is_break() {
                return Ok(());
            }
        }
        match page.next_key_marker.filter(|_| page.is_truncated) {
            Some(next) => markers = Some((next, page.next_version_id_marker)),
            None => return Ok(()),
        }
    }
}

/// Makes version `version_id` of `key` the current one: CopyObject from that
/// version onto the key (S3 keeps the version that was current as a previous
/// one), stored with the type of the key's name as moves do
/// ([`s3::content_type_for`]).
///
/// # Errors
///
/// The copy's failure ([`CallError`]).
pub async fn restore(session: &Session, key: &str, version_id: &str) -> Result<(), CallError> {
    restore_to(session, key, version_id, key, false).await
}

/// [`restore`] onto `destination` (the same key, or a free name beside it for
/// "keep both"); `if_none_match` makes the copy fail (412) rather than replace an
/// object stored at `destination` meanwhile.
///
/// # Errors
///
/// The copy's failure ([`CallError`]).
pub async fn restore_to(
    session: &Session,
    key: &str,
    version_id: &str,
    destination: &str,
    if_none_match: bool,
) -> Result<(), CallError> {
    let content_type = s3::content_type_for(destination);
    session
        .s3(
            |ctx| {
                s3::build_copy_object_version(
                    ctx,
                    key,
                    Some(version_id),
                    destination,
                    Some(content_type),
                    if_none_match,
                )
            },
            s3::parse_copy_object,
            SendOptions::default(),
        )
        .await
        .map(|_| ())
}

/// A presigned GET of version `version_id` of `key`, as
/// [`crate::model::reading::presigned_get`] gives for the current one: saved under
/// `download_as`, or without it opened when its name's type is safe to show.
///
/// # Errors
///
/// No credentials, or a URL that cannot be signed ([`CallError`]).
pub async fn presigned_get(
    session: &Session,
    key: &str,
    version_id: &str,
    seconds: u64,
    download_as: Option<&str>,
) -> Result<PresignedUrl, CallError> {
    reading::presigned_get_version(session, key, Some(version_id), seconds, download_as).await
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::testing::{self, ready, IDENTITY_ID};
    use crate::model::transport::{send_plainly, HttpResult, LocalFuture, SendResult, Transport};
    use cubby_core::encoding::{percent_decode, uri_encode};
    use std::cell::RefCell;
    use std::rc::Rc;

    /// A bucket that answers ListObjectVersions from a fixed list of entries
    /// (`(key, version id, is delete marker)`, newest first per key), `page_size`
    /// at a time whatever `max-keys` says (as S3 may), and records every request.
    pub(crate) struct Versions {
        pub(crate) entries: Vec<(String, String, bool)>,
        pub(crate) page_size: usize,
        pub(crate) log: RefCell<Vec<http::Request<Vec<u8>>>>,
        /// What a PUT (the restoring copy) answers: status and body.
        pub(crate) copy_answer: (u16, &'static str),
        /// A copy onto this key is refused (AccessDenied) whatever `copy_answer` says.
        pub(crate) fail_copy_of: Option<String>,
        /// A conditional copy (`If-None-Match: *`) onto this key is refused (412):
        /// an object was stored there.
        pub(crate) stored_since: Option<String>,
    }

    pub(crate) fn key(name: &str) -> String {
        format!("private/{IDENTITY_ID}/{name}")
    }

    impl Versions {
        pub(crate) fn new(entries: &[(&str, &str, bool)], page_size: usize) -> Rc<Versions> {
            Rc::new(Versions {
                entries: entries
                    .iter()
                    .map(|(k, v, m)| (key(k), v.to_string(), *m))
                    .collect(),
                page_size,
                log: RefCell::new(Vec::new()),
                copy_answer: (
                    200,
                    "<CopyObjectResult><ETag>\"e\"</ETag></CopyObjectResult>",
                ),
                fail_copy_of: None,
                stored_since: None,
            })
        }

        fn answer(&self, request: &http::Request<Vec<u8>>) -> HttpResult {
            let query = request.uri().query().unwrap_or("").to_string();
            let param = |name: &str| {
                query.split('&').find_map(|kv| {
                    kv.strip_prefix(&format!("{name}="))
                        .map(|v| percent_decode(v, false).unwrap())
                })
            };
            let (status, body) = match request.method().as_str() {
                "PUT"
                    if self.fail_copy_of.as_ref().is_some_and(|k| {
                        percent_decode(request.uri().path(), false).unwrap() == format!("/{k}")
                    }) =>
                {
                    (
                        403,
                        "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
                            .to_string(),
                    )
                }
                "PUT"
                    if request.headers().contains_key("if-none-match")
                        && self.stored_since.as_ref().is_some_and(|k| {
                            percent_decode(request.uri().path(), false).unwrap() == format!("/{k}")
                        }) =>
                {
                    (
                        412,
                        "<Error><Code>PreconditionFailed</Code><Message>At least one of the \
                         pre-conditions you specified did not hold</Message></Error>"
                            .to_string(),
                    )
                }
                "PUT" => (self.copy_answer.0, self.copy_answer.1.to_string()),
                "GET" => {
                    assert!(query.starts_with("versions&encoding-type=url"), "{query}");
                    let prefix = param("prefix").unwrap();
                    let start = match (param("key-marker"), param("version-id-marker")) {
                        (Some(k), Some(v)) => {
                            1 + self
                                .entries
                                .iter()
                                .position(|(ek, ev, _)| *ek == k && *ev == v)
                                .unwrap()
                        }
                        _ => 0,
                    };
                    let rest: Vec<_> = self.entries[start..]
                        .iter()
                        .filter(|(k, _, _)| k.starts_with(&prefix))
                        .collect();
                    let shown = &rest[..rest.len().min(self.page_size)];
                    let mut body =
                        String::from("<ListVersionsResult><EncodingType>url</EncodingType>");
                    if rest.len() > shown.len() {
                        let (k, v, _) = shown.last().unwrap();
                        body.push_str(&format!(
                            "<IsTruncated>true</IsTruncated><NextKeyMarker>{}</NextKeyMarker>\
                             <NextVersionIdMarker>{v}</NextVersionIdMarker>",
                            uri_encode(k, true)
                        ));
                    } else {
                        body.push_str("<IsTruncated>false</IsTruncated>");
                    }
                    let mut seen = Vec::new();
                    for (k, v, marker) in shown {
                        let latest = !self.entries[..start].iter().any(|(ek, ..)| ek == k)
                            && !seen.contains(k);
                        seen.push(k.clone());
                        let (tag, extra) = if *marker {
                            ("DeleteMarker", String::new())
                        } else {
                            ("Version", format!("<Size>{}</Size>", v.len()))
                        };
                        body.push_str(&format!(
                            "<{tag}><Key>{}</Key><VersionId>{v}</VersionId>\
                             <IsLatest>{latest}</IsLatest>\
                             <LastModified>2026-11-30T12:00:00.000Z</LastModified>{extra}</{tag}>",
                            uri_encode(k, true)
                        ));
                    }
                    (200, body + "</ListVersionsResult>")
                }
                other => panic!("unexpected {other}"),
            };
            Ok(http::Response::builder()
                .status(status)
                .body(body.into_bytes())
                .unwrap())
        }
    }

    impl Transport for Versions {
        fn send(
            &self,
            request: http::Request<Vec<u8>>,
            options: SendOptions,
        ) -> LocalFuture<'_, SendResult> {
            send_plainly(request, &options, |request| {
                let answer = self.answer(&request);
                self.log.borrow_mut().push(request);
                Box::pin(std::future::ready(answer))
            })
        }
    }

    pub(crate) fn session(bucket: &Rc<Versions>) -> Session {
        testing::session(bucket.clone(), testing::fixed_env())
    }

    #[test]
    fn the_list_holds_the_one_files_versions_over_pages_without_delete_markers() {
        let bucket = Versions::new(
            &[
                ("a.txt", "v3", false),
                ("a.txt", "m2", true),
                ("a.txt", "v22", false),
                ("a.txt", "v1", false),
                ("a.txt.bak", "b1", false),
                ("a.txt.bak", "b0", false),
            ],
            2,
        );
        let session = session(&bucket);
        let history = ready(list(&session, &key("a.txt"))).unwrap();
        let got: Vec<(&str, u64, bool)> = history
            .versions
            .iter()
            .map(|v| (v.version_id.as_str(), v.size, v.is_current))
            .collect();
        assert_eq!(
            got,
            vec![("v3", 2, true), ("v22", 3, false), ("v1", 2, false)]
        );
        assert_eq!(history.versions[0].last_modified, Some(1_796_040_000));
        assert!(!history.versioning_off());
        // Two full pages, then the third starts with a.txt.bak: no fourth request.
        let log = bucket.log.borrow();
        assert_eq!(log.len(), 3, "{log:?}");
        let second = log[1].uri().query().unwrap();
        assert!(
            second.contains("&key-marker=private%2Fus-east-1%3A11111111-2222-3333-4444-555555555555%2Fa.txt&version-id-marker=m2"),
            "{second}"
        );
    }

    #[test]
    fn only_null_versions_mean_versioning_is_off() {
        let bucket = Versions::new(&[("a.txt", "null", false)], 1000);
        let history = ready(list(&session(&bucket), &key("a.txt"))).unwrap();
        assert!(history.versioning_off());
        assert_eq!(history.versions.len(), 1);
        // Versioning turned on (or suspended) after older writes: real ids beside
        // the null one are kept versions.
        let bucket = Versions::new(&[("a.txt", "v9", false), ("a.txt", "null", false)], 1000);
        assert!(!ready(list(&session(&bucket), &key("a.txt")))
            .unwrap()
            .versioning_off());
        // Nothing listed (the file went meanwhile) is no claim about the bucket.
        let bucket = Versions::new(&[("a.txt", "m", true)], 1000);
        let history = ready(list(&session(&bucket), &key("a.txt"))).unwrap();
        assert!(history.versions.is_empty() && !history.versioning_off());
        assert!(TURN_VERSIONING_ON.contains("Bucket Versioning"));
    }

    #[test]
    fn restoring_copies_the_version_onto_its_key_with_the_names_type() {
        let bucket = Versions::new(&[], 1000);
        let session = session(&bucket);
        ready(restore(&session, &key("notes.txt"), "v/1")).unwrap();
        let log = bucket.log.borrow();
        assert_eq!(log.len(), 1);
        let copy = &log[0];
        assert_eq!(copy.method(), "PUT");
        assert_eq!(
            copy.uri().path(),
            format!("/{}", uri_encode(&key("notes.txt"), true))
        );
        assert_eq!(
            copy.headers()["x-amz-copy-source"],
            format!(
                "cubby-data/{}?versionId=v%2F1",
                uri_encode(&key("notes.txt"), true)
            )
            .as_str()
        );
        assert_eq!(copy.headers()["content-type"], "text/plain; charset=utf-8");
        assert!(copy.headers().get("if-none-match").is_none());
    }

    #[test]
    fn a_refused_restore_says_so_in_plain_words_first() {
        let bucket = Rc::new(Versions {
            copy_answer: (
                403,
                "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
            ),
            ..Rc::into_inner(Versions::new(&[], 1000)).unwrap()
        });
        let err = ready(restore(&session(&bucket), &key("a.txt"), "v1")).unwrap_err();
        let message = err.user_message("restore this version of a.txt");
        let (plain, details) = crate::model::message::split(&message);
        assert!(
            plain.starts_with("Could not restore this version of a.txt"),
            "{plain}"
        );
        assert!(!plain.contains("AccessDenied"), "{plain}");
        assert!(
            details.is_some_and(|d| d.contains("AccessDenied")),
            "{message}"
        );
    }

    #[test]
    fn a_versions_link_names_the_version() {
        let bucket = Versions::new(&[], 1000);
        let session = session(&bucket);
        let url = ready(presigned_get(
            &session,
            &key("a.txt"),
            "v1",
            300,
            Some("a.txt"),
        ))
        .unwrap();
        assert!(url.url.contains("versionId=v1&"), "{}", url.url);
        assert!(url.url.contains("response-content-disposition=attachment"));
        let opened = ready(presigned_get(&session, &key("a.txt"), "v1", 300, None)).unwrap();
        assert!(opened.url.contains("inline"), "{}", opened.url);
        assert!(bucket.log.borrow().is_empty(), "signing sends nothing");
    }
}
