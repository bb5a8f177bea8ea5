//! File operations in the user's folder, each built from the core's S3 steps and
//! run through [`Session::s3`] (so every one gets the same retry policy).

use crate::model::listing::{Entry, EntryKind};
use crate::model::session::{CallError, Intended, Session};
use crate::model::text;
use crate::model::transport::SendOptions;
use cubby_core::s3::{self, ListObjectsRequest, PutObjectRequest};

/// One page of a folder listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderPage {
    pub entries: Vec<Entry>,
    /// Pass back to get the next page; `None` on the last one.
    pub next: Option<String>,
    /// The page lists the folder's own marker object (the key `prefix` itself, as
    /// "New folder" makes): the folder exists even when nothing is in it.
    pub holds_marker: bool,
}

/// The name shown for a key below `prefix`: its last segment, without a trailing `/`.
pub fn display_name(prefix: &str, key: &str) -> String {
    key.strip_prefix(prefix)
        .unwrap_or(key)
        .trim_end_matches('/')
        .to_string()
}

/// One ListObjectsV2 page through the session's retry policy.
pub(super) async fn list_objects(
    session: &Session,
    prefix: &str,
    delimiter: Option<&str>,
    max_keys: u32,
    continuation: Option<&str>,
    options: SendOptions,
) -> Result<s3::ListObjectsPage, CallError> {
    session
        .s3(
            |ctx| {
                s3::build_list_objects(
                    ctx,
                    &ListObjectsRequest {
                        prefix,
                        delimiter,
                        max_keys: Some(max_keys),
                        continuation_token: continuation,
                        start_after: None,
                    },
                )
            },
            s3::parse_list_objects,
            options,
        )
        .await
}

/// Lists one page of `prefix` (a folder: ends with `/`), folders as entries.
/// The folder's own marker object (`prefix` itself, made by "New folder") is skipped.
pub async fn list_page(
    session: &Session,
    prefix: &str,
    continuation: Option<&str>,
) -> Result<FolderPage, CallError> {
    let page = list_objects(
        session,
        prefix,
        Some("/"),
        1000,
        continuation,
        SendOptions::default(),
    )
    .await?;
    let mut entries: Vec<Entry> = page
        .common_prefixes
        .iter()
        .map(|p| Entry {
            name: display_name(prefix, p),
            key: p.clone(),
            kind: EntryKind::Folder,
            size: 0,
            last_modified: None,
        })
        .collect();
    entries.extend(
        page.objects
            .iter()
            .filter(|o| o.key != prefix)
            .map(|o| Entry {
                name: display_name(prefix, &o.key),
                key: o.key.clone(),
                kind: EntryKind::File,
                size: o.size,
                last_modified: o.last_modified,
            }),
    );
    Ok(FolderPage {
        entries,
        next: page.next_continuation_token.filter(|_| page.is_truncated),
        holds_marker: page.objects.iter().any(|o| o.key == prefix),
    })
}

/// One page of every object at any depth below a folder (no delimiter).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectsPage {
    pub objects: Vec<s3::ObjectSummary>,
    /// Pass back to get the next page; `None` on the last one.
    pub next: Option<String>,
}

/// Lists one page (1,000 objects) of everything below `prefix`, without a
/// delimiter: the search's pages.
pub async fn objects_page(
    session: &Session,
    prefix: &str,
    continuation: Option<&str>,
) -> Result<ObjectsPage, CallError> {
    let page = list_objects(
        session,
        prefix,
        None,
        1000,
        continuation,
        SendOptions::default(),
    )
    .await?;
    Ok(ObjectsPage {
        next: page.next_continuation_token.filter(|_| page.is_truncated),
        objects: page.objects,
    })
}

/// Every key at or below `prefix` (no delimiter), for recursive delete and move.
pub async fn all_keys_under(session: &Session, prefix: &str) -> Result<Vec<String>, CallError> {
    let objects = all_objects_under(session, prefix).await?;
    Ok(objects.into_iter().map(|o| o.key).collect())
}

/// Every object at or below `prefix` (no delimiter) with its size and date, in
/// key order.
pub async fn all_objects_under(
    session: &Session,
    prefix: &str,
) -> Result<Vec<s3::ObjectSummary>, CallError> {
    let mut objects = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = objects_page(session, prefix, token.as_deref()).await?;
        objects.extend(page.objects);
        match page.next {
            Some(next) => token = Some(next),
            None => return Ok(objects),
        }
    }
}

/// Whether an object exists at `key`. Asked with ListObjectsV2, not HeadObject:
/// the per-user policy grants ListBucket only with a prefix condition, and
/// without ListBucket on the key S3 answers a HEAD of a missing key with 403,
/// not 404.
pub async fn exists(session: &Session, key: &str) -> Result<bool, CallError> {
    Ok(existing(session, key, SendOptions::default())
        .await?
        .is_some())
}

/// The object stored at exactly `key`, if there is one (with its size and date,
/// for a name conflict); `options` go with the call (an upload waits out a lost
/// connection).
pub async fn existing(
    session: &Session,
    key: &str,
    options: SendOptions,
) -> Result<Option<s3::ObjectSummary>, CallError> {
    let page = list_objects(session, key, None, 1, None, options).await?;
    Ok(page.objects.into_iter().next().filter(|o| o.key == key))
}

/// Creates an empty folder (a zero-byte `name/` marker), refusing to overwrite.
pub async fn create_folder(session: &Session, prefix: &str, name: &str) -> Result<(), CallError> {
    let key = format!("{prefix}{name}/");
    put_bytes(session, &key, Vec::new(), None, true).await
}

/// Uploads a body in one PUT; with `if_none_match`, an existing object is not
/// overwritten (412 PreconditionFailed instead).
pub async fn put_bytes(
    session: &Session,
    key: &str,
    body: Vec<u8>,
    content_type: Option<&str>,
    if_none_match: bool,
) -> Result<(), CallError> {
    put_bytes_with(
        session,
        key,
        body,
        content_type,
        if_none_match,
        SendOptions::default(),
    )
    .await
}

/// [`put_bytes`] sent with `options` (progress of the current attempt, and an
/// abort that stops it with [`CallError::Aborted`]). A retry refused because an
/// earlier attempt stored the body (its answer lost) counts as done.
pub async fn put_bytes_with(
    session: &Session,
    key: &str,
    body: Vec<u8>,
    content_type: Option<&str>,
    if_none_match: bool,
    options: SendOptions,
) -> Result<(), CallError> {
    let crc32 = s3::crc32_checksum(&body);
    let intended = Intended::Object {
        key,
        size: body.len() as u64,
        crc32: Some(&crc32),
    };
    session
        .s3_write(
            |ctx| {
                s3::build_put_object(
                    ctx,
                    PutObjectRequest {
                        key,
                        body: body.clone(),
                        content_type,
                        if_none_match,
                        unsigned_payload: false,
                    },
                )
            },
            s3::parse_put_object,
            &intended,
            options,
        )
        .await
}

/// A key that was not deleted (or moved), and why.
pub type KeyFailure = (String, CallError);

/// Deletes `keys`: in batches of 1,000 with DeleteObjects, and the keys its XML body
/// cannot carry (control characters) one at a time with DeleteObject, the key in
/// the URL ([`s3::plan_deletes`]). Returns the keys that were not deleted, each with
/// why. A failure that is not S3's answer about a key (no connection, signed out,
/// stopped) ends the work: the keys not tried yet are returned with it.
pub async fn delete_keys(session: &Session, keys: &[String]) -> Vec<KeyFailure> {
    let plan = s3::plan_deletes(keys);
    let mut failed = Vec::new();
    let mut stopped: Option<CallError> = None;
    for batch in &plan.batches {
        let result = match &stopped {
            Some(e) => Err(e.clone()),
            None => {
                session
                    .s3(
                        |ctx| s3::build_delete_objects(ctx, batch),
                        s3::parse_delete_objects,
                        SendOptions::default(),
                    )
                    .await
            }
        };
        match result {
            Ok(out) => failed.extend(
                out.failed
                    .iter()
                    .map(|f| (f.key.clone(), CallError::S3(f.error()))),
            ),
            Err(e) => {
                failed.extend(batch.iter().map(|key| (key.to_string(), e.clone())));
                stopped = stopped.or_else(|| ends_the_work(&e).then_some(e));
            }
        }
    }
    for key in plan.one_by_one {
        let result = match &stopped {
            Some(e) => Err(e.clone()),
            None => {
                session
                    .s3(
                        |ctx| s3::build_delete_object(ctx, key),
                        s3::parse_delete_object,
                        SendOptions::default(),
                    )
                    .await
            }
        };
        if let Err(e) = result {
            stopped = stopped.or_else(|| ends_the_work(&e).then(|| e.clone()));
            failed.push((key.to_string(), e));
        }
    }
    failed
}

/// A failure that says nothing about one key, so the next keys would fail alike.
fn ends_the_work(e: &CallError) -> bool {
    matches!(
        e,
        CallError::Network(_) | CallError::Auth(_) | CallError::Aborted
    )
}

/// Deletes a file, or a folder with everything under it.
pub async fn delete_entry(session: &Session, entry: &Entry) -> Result<(), CallError> {
    let keys = if entry.is_folder() {
        all_keys_under(session, &entry.key).await?
    } else {
        vec![entry.key.clone()]
    };
    let mut failed = delete_keys(session, &keys).await;
    if keys.len() == 1 {
        // One object: S3's own answer, as for any other call.
        return failed.pop().map_or(Ok(()), |(_, e)| Err(e));
    }
    let root = session.root_prefix();
    match failed.first() {
        None => Ok(()),
        Some((key, e)) => Err(CallError::Incomplete(format!(
            "{} of {} were not deleted: {}. {}",
            text::number(failed.len() as u64),
            text::count(keys.len() as u64, "item", "items"),
            names(&root, failed.iter().map(|(k, _)| k)),
            why(e, &format!("delete {}", shown(&root, key)))
        ))),
    }
}

/// Renames or moves an entry to `new_key` (for a folder: a new prefix ending in
/// `/`). Every new key is checked against S3's limit before anything is copied;
/// then each object is copied (refusing to overwrite, `If-None-Match: *`) until one
/// fails, and the originals of the copies are deleted: a failure never loses data.
/// A copy that meets the same object already at its destination (a move tried
/// again after its delete failed) counts as made, so no third copy appears.
///
/// # Errors
///
/// [`CallError::KeyTooLong`] before any request; the first copy's error when
/// nothing was copied; otherwise [`CallError::Incomplete`] saying exactly what was
/// moved, what was not, and which originals are still there beside their copies.
pub async fn move_entry(session: &Session, entry: &Entry, new_key: &str) -> Result<(), CallError> {
    move_entry_watched(session, entry, new_key, &|_, _| true).await
}

/// [`move_entry`], telling `go_on(copied, total)` (in objects) before each copy;
/// when it answers `false` the copying stops there, the copies made are finished
/// (their originals deleted) and the rest stays: the report names both.
pub async fn move_entry_watched(
    session: &Session,
    entry: &Entry,
    new_key: &str,
    go_on: &dyn Fn(usize, usize) -> bool,
) -> Result<(), CallError> {
    let sources = if entry.is_folder() {
        all_keys_under(session, &entry.key).await?
    } else {
        vec![entry.key.clone()]
    };
    let target_of = |source: &str| format!("{new_key}{}", &source[entry.key.len()..]);
    if let Some(longest) = sources.iter().map(|s| target_of(s)).max_by_key(String::len) {
        s3::check_key_length(&longest).map_err(CallError::KeyTooLong)?;
    }
    let mut copied: Vec<String> = Vec::new();
    let mut not_copied: Option<(usize, CallError)> = None;
    for (index, source) in sources.iter().enumerate() {
        if !go_on(index, sources.len()) {
            not_copied = Some((index, CallError::Aborted));
            break;
        }
        match copy_unless_there(session, source, &target_of(source)).await {
            Ok(()) => copied.push(source.clone()),
            Err(e) => {
                not_copied = Some((index, e));
                break;
            }
        }
    }
    let kept = if copied.is_empty() {
        Vec::new()
    } else {
        delete_keys(session, &copied).await
    };
    let root = session.root_prefix();
    if !entry.is_folder() {
        return match (not_copied, kept.into_iter().next()) {
            (Some((_, e)), _) => Err(e),
            (None, None) => Ok(()),
            (None, Some((source, e))) => {
                let target = target_of(&source);
                let (from, to) = (shown(&root, &source), shown(&root, &target));
                Err(CallError::Incomplete(format!(
                    "{to} was made, but the original {from} could not be removed, so both are \
                     in your folder now. Try again to finish (no third copy is made), or delete \
                     {from} yourself. {}",
                    why(&e, &format!("remove {from}"))
                )))
            }
        };
    }
    if not_copied.is_none() && kept.is_empty() {
        return Ok(());
    }
    if copied.is_empty() {
        if let Some((_, e)) = not_copied {
            return Err(e);
        }
    }
    let kept_keys: Vec<&String> = kept.iter().map(|(k, _)| k).collect();
    let moved: Vec<&String> = copied.iter().filter(|k| !kept_keys.contains(k)).collect();
    let mut report = format!(
        "{} of {} items moved{}",
        text::number(moved.len() as u64),
        text::number(sources.len() as u64),
        if moved.is_empty() {
            String::new()
        } else {
            format!(" ({})", names(&root, moved.iter().copied()))
        }
    );
    if let Some((index, e)) = &not_copied {
        report.push_str(&format!(
            "; not moved: {}. {}",
            names(&root, sources[*index..].iter()),
            why(e, &format!("copy {}", shown(&root, &sources[*index])))
        ));
    }
    if let Some((_, e)) = kept.first() {
        report.push_str(&format!(
            "; copied, but the originals are still there too: {}. {}",
            names(&root, kept_keys.iter().copied()),
            why(e, "remove them")
        ));
    }
    report.push_str(". Move the folder again to finish: what already moved is not copied twice");
    Err(CallError::Incomplete(report))
}

/// Copies `source` to `target` unless `target` exists. A `target` that already holds
/// the same object (size, and ETag or CRC32, equal) counts as copied: an earlier
/// move made it and then failed to remove the original.
async fn copy_unless_there(session: &Session, source: &str, target: &str) -> Result<(), CallError> {
    // The type follows the new name (a page renamed to .pdf must not stay HTML).
    let content_type = s3::content_type_for(target);
    session
        .s3_write(
            |ctx| s3::build_copy_object(ctx, source, target, Some(content_type), true),
            s3::parse_copy_object,
            &Intended::Copy { source, target },
            SendOptions::default(),
        )
        .await
}

/// `key` as the person knows it: its path below their folder `root`, shown as stored ([`text::shown_name`]).
fn shown(root: &str, key: &str) -> String {
    text::shown_name(key.strip_prefix(root).unwrap_or(key))
}

/// At most five paths below `root`, then how many more.
fn names<'a>(root: &str, keys: impl Iterator<Item = &'a String>) -> String {
    let keys: Vec<&String> = keys.collect();
    let mut out: Vec<String> = keys.iter().take(5).map(|k| shown(root, k)).collect();
    if keys.len() > 5 {
        out.push(format!("and {} more", keys.len() - 5));
    }
    out.join(", ")
}

/// Why a step failed, as the sentence a failed call gives (its plain words,
/// without their full stop, which [`CallError::Incomplete`]'s message adds).
fn why(e: &CallError, what: &str) -> String {
    e.plain_message(what).trim_end_matches('.').to_string()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::testing::{self, ready, IDENTITY_ID};
    use crate::model::transport::{send_plainly, HttpResult, LocalFuture, SendResult, Transport};
    use cubby_core::encoding::{percent_decode, uri_encode};
    use cubby_core::s3::S3Error;
    use cubby_core::xml;
    use std::cell::{Cell, RefCell};
    use std::collections::BTreeMap;
    use std::rc::Rc;

    /// An in-memory S3 bucket that answers the calls this module makes, strictly
    /// as S3 does: a DeleteObjects body XML cannot read is `MalformedXML`, as a
    /// key over 1,024 bytes is `KeyTooLongError`. Deletes can be made to fail.
    #[derive(Default)]
    pub(crate) struct Bucket {
        /// key -> (body, ETag)
        objects: RefCell<BTreeMap<String, (Vec<u8>, String)>>,
        /// Every request, as `<method> <decoded path and query>`.
        pub(crate) log: RefCell<Vec<String>>,
        /// DeleteObject and DeleteObjects answer 500 InternalError.
        deletes_fail: Cell<bool>,
        /// Keys (below the root) that DeleteObjects reports as not deleted
        /// (AccessDenied in its answer), as S3 does for a key the policy refuses.
        pub(crate) refused: RefCell<Vec<String>>,
    }

    pub(crate) fn root() -> String {
        format!("private/{IDENTITY_ID}/")
    }

    fn error(status: u16, code: &str) -> HttpResult {
        Ok(http::Response::builder()
            .status(status)
            .body(format!("<Error><Code>{code}</Code><Message>m</Message></Error>").into_bytes())
            .unwrap())
    }

    fn ok(headers: &[(&str, String)], body: &str) -> HttpResult {
        let mut response = http::Response::builder().status(200);
        for (name, value) in headers {
            response = response.header(*name, value);
        }
        Ok(response.body(body.as_bytes().to_vec()).unwrap())
    }

    impl Bucket {
        pub(crate) fn with(keys: &[&str]) -> Rc<Bucket> {
            let bucket = Rc::new(Bucket::default());
            for key in keys {
                let body = format!("bytes of {key}").into_bytes();
                let etag = format!("\"{}\"", s3::crc32_checksum(&body));
                bucket
                    .objects
                    .borrow_mut()
                    .insert(format!("{}{key}", root()), (body, etag));
            }
            bucket
        }

        pub(crate) fn keys(&self) -> Vec<String> {
            let root = root();
            self.objects
                .borrow()
                .keys()
                .map(|k| k.strip_prefix(&root).unwrap().to_string())
                .collect()
        }

        pub(crate) fn count(&self, start: &str) -> usize {
            self.log
                .borrow()
                .iter()
                .filter(|l| l.starts_with(start))
                .count()
        }

        fn answer(&self, request: http::Request<Vec<u8>>) -> HttpResult {
            let path = request.uri().path().to_string();
            // Virtual-hosted: the path is the key.
            let key = percent_decode(path.trim_start_matches('/'), false).unwrap();
            let query = request.uri().query().unwrap_or("").to_string();
            let param = |name: &str| {
                query.split('&').find_map(|kv| {
                    kv.strip_prefix(&format!("{name}="))
                        .map(|v| percent_decode(v, false).unwrap())
                })
            };
            let method = request.method().as_str().to_string();
            self.log
                .borrow_mut()
                .push(format!("{method} {key}?{query}"));
            if key.len() > s3::MAX_KEY_BYTES {
                return error(400, "KeyTooLongError");
            }
            let mut objects = self.objects.borrow_mut();
            match method.as_str() {
                "GET" => {
                    let prefix = param("prefix").unwrap_or_default();
                    let mut body = String::from(
                        "<ListBucketResult><EncodingType>url</EncodingType>\
                         <IsTruncated>false</IsTruncated>",
                    );
                    // With a delimiter, keys below a further `/` roll up into
                    // their common prefix, once each, as S3 does.
                    let rolled_up = param("delimiter").is_some();
                    let mut common: Vec<String> = Vec::new();
                    for (k, (bytes, etag)) in objects.range(prefix.clone()..) {
                        if !k.starts_with(&prefix) {
                            break;
                        }
                        if let Some(slash) = k[prefix.len()..].find('/').filter(|_| rolled_up) {
                            let folder = &k[..prefix.len() + slash + 1];
                            if common.last().map(String::as_str) != Some(folder) {
                                common.push(folder.to_string());
                            }
                            continue;
                        }
                        body.push_str(&format!(
                            "<Contents><Key>{}</Key><Size>{}</Size><ETag>{}</ETag></Contents>",
                            uri_encode(k, true),
                            bytes.len(),
                            xml::escape(etag)
                        ));
                    }
                    for folder in common {
                        body.push_str(&format!(
                            "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
                            uri_encode(&folder, true)
                        ));
                    }
                    ok(&[], &(body + "</ListBucketResult>"))
                }
                "HEAD" => match objects.get(&key) {
                    Some((bytes, etag)) => ok(
                        &[
                            ("content-length", bytes.len().to_string()),
                            ("etag", etag.clone()),
                        ],
                        "",
                    ),
                    None => error(403, "AccessDenied"),
                },
                "PUT" => {
                    let source = request.headers()["x-amz-copy-source"].to_str().unwrap();
                    let source =
                        percent_decode(source.trim_start_matches("cubby-data/"), false).unwrap();
                    if objects.contains_key(&key) {
                        return error(412, "PreconditionFailed");
                    }
                    let Some(object) = objects.get(&source).cloned() else {
                        return error(403, "AccessDenied");
                    };
                    let etag = object.1.clone();
                    objects.insert(key, object);
                    ok(
                        &[],
                        &format!("<CopyObjectResult><ETag>{etag}</ETag></CopyObjectResult>"),
                    )
                }
                _ if self.deletes_fail.get() => error(500, "InternalError"),
                "DELETE" => {
                    objects.remove(&key);
                    Ok(http::Response::builder()
                        .status(204)
                        .body(Vec::new())
                        .unwrap())
                }
                "POST" => {
                    let Ok(body) = xml::parse_bytes(request.body()) else {
                        return error(400, "MalformedXML");
                    };
                    if request
                        .body()
                        .iter()
                        .any(|b| *b < 0x20 && !b"\t\n\r".contains(b))
                    {
                        return error(400, "MalformedXML");
                    }
                    let mut answer = String::from("<DeleteResult>");
                    let refused = self.refused.borrow();
                    for object in body.children_named("Object") {
                        let key = object.child_text("Key").unwrap();
                        if refused.iter().any(|r| format!("{}{r}", root()) == key) {
                            answer.push_str(&format!(
                                "<Error><Key>{}</Key><Code>AccessDenied</Code>\
                                 <Message>Access Denied</Message></Error>",
                                xml::escape(key)
                            ));
                        } else {
                            objects.remove(key);
                        }
                    }
                    ok(&[], &(answer + "</DeleteResult>"))
                }
                other => panic!("unexpected {other}"),
            }
        }
    }

    impl Transport for Bucket {
        fn send(
            &self,
            request: http::Request<Vec<u8>>,
            options: SendOptions,
        ) -> LocalFuture<'_, SendResult> {
            send_plainly(request, &options, |request| {
                Box::pin(std::future::ready(self.answer(request)))
            })
        }
    }

    pub(crate) fn session(bucket: &Rc<Bucket>) -> Session {
        testing::session(bucket.clone(), testing::fixed_env())
    }

    pub(crate) fn entry(name: &str) -> Entry {
        let key = format!("{}{name}", root());
        Entry {
            name: name.trim_end_matches('/').to_string(),
            kind: if name.ends_with('/') {
                EntryKind::Folder
            } else {
                EntryKind::File
            },
            key,
            size: 0,
            last_modified: None,
        }
    }

    #[test]
    fn keys_with_control_characters_are_deleted_through_the_url() {
        let bucket = Bucket::with(&["a.txt", "ctl\u{1}.txt", "dir/ctl\u{1}b.txt", "dir/c.txt"]);
        let session = session(&bucket);
        ready(delete_entry(&session, &entry("ctl\u{1}.txt"))).unwrap();
        ready(delete_entry(&session, &entry("dir/"))).unwrap();
        assert_eq!(bucket.keys(), vec!["a.txt"]);
        assert_eq!(bucket.count("DELETE"), 2, "{:?}", bucket.log.borrow());
        assert_eq!(bucket.count("POST"), 1, "dir/c.txt in a batch");

        // A file with one renamed: copied, and the original removed.
        let bucket = Bucket::with(&["ctl\u{1}x.txt"]);
        let session = self::session(&bucket);
        let target = format!("{}renamed.txt", root());
        ready(move_entry(&session, &entry("ctl\u{1}x.txt"), &target)).unwrap();
        assert_eq!(bucket.keys(), vec!["renamed.txt"]);
    }

    #[test]
    fn a_malformed_xml_answer_is_reported_once_as_s3_said_it() {
        let bucket = Bucket::with(&["a.txt"]);
        let session = session(&bucket);
        // A body S3 cannot read (here forced past the core's own refusal).
        let body = b"<Delete><Object><Key>\x01</Key></Object></Delete>".to_vec();
        let err = ready(session.s3(
            |ctx| s3::build_delete_objects(ctx, &["x"]).map(|r| r.map(|_| body.clone())),
            s3::parse_delete_objects,
            SendOptions::default(),
        ))
        .unwrap_err();
        assert_eq!(bucket.count("POST"), 1, "a 400 is not retried");
        assert_eq!(err.s3().and_then(S3Error::code), Some("MalformedXML"));
        assert!(!err.user_message("delete x").contains("did not answer"));
    }

    #[test]
    fn a_move_whose_original_stays_says_so_and_a_retry_makes_no_third_copy() {
        let bucket = Bucket::with(&["report.txt"]);
        let session = session(&bucket);
        let target = format!("{}archive/report.txt", root());
        bucket.deletes_fail.set(true);
        let err = ready(move_entry(&session, &entry("report.txt"), &target)).unwrap_err();
        let message = err.user_message("move report.txt");
        assert!(
            message.contains(
                "archive/report.txt was made, but the original report.txt could not be removed"
            ),
            "{message}"
        );
        assert!(message.contains("both are in your folder"), "{message}");
        assert!(!message.contains("did not answer"), "{message}");
        assert_eq!(bucket.keys(), vec!["archive/report.txt", "report.txt"]);

        // Tried again once S3 deletes again: the copy already there is recognised,
        // only the original goes.
        bucket.deletes_fail.set(false);
        let copies = bucket.count("PUT");
        ready(move_entry(&session, &entry("report.txt"), &target)).unwrap();
        assert_eq!(bucket.keys(), vec!["archive/report.txt"]);
        assert_eq!(
            bucket.count("PUT"),
            copies + 1,
            "one copy attempt, refused (412)"
        );

        // A different object at the destination is a real conflict.
        let bucket = Bucket::with(&["a.txt", "b.txt"]);
        let session = self::session(&bucket);
        let err = ready(move_entry(
            &session,
            &entry("a.txt"),
            &format!("{}b.txt", root()),
        ))
        .unwrap_err();
        assert!(err.s3().is_some_and(S3Error::is_precondition_failed));
        assert_eq!(bucket.keys(), vec!["a.txt", "b.txt"]);
    }

    #[test]
    fn a_folder_move_reports_which_items_moved() {
        let bucket = Bucket::with(&["docs/", "docs/a.txt", "docs/b.txt", "docs/c.txt"]);
        // Something else already holds another docs/b.txt at the destination.
        bucket.objects.borrow_mut().insert(
            format!("{}old/docs/b.txt", root()),
            (b"other".to_vec(), "\"other\"".into()),
        );
        let session = session(&bucket);
        let err = ready(move_entry(
            &session,
            &entry("docs/"),
            &format!("{}old/docs/", root()),
        ))
        .unwrap_err();
        let message = err.user_message("move docs");
        assert!(
            message.contains(
                "2 of 4 items moved (docs/, docs/a.txt); not moved: docs/b.txt, docs/c.txt"
            ),
            "{message}"
        );
        assert!(message.contains("already exists"), "{message}");
        assert_eq!(
            bucket.keys(),
            vec![
                "docs/b.txt",
                "docs/c.txt",
                "old/docs/",
                "old/docs/a.txt",
                "old/docs/b.txt"
            ]
        );

        // Every copy made, no original removed: each is named, and a second try
        // finishes without copying anything again.
        let bucket = Bucket::with(&["pics/", "pics/x.png"]);
        let session = self::session(&bucket);
        bucket.deletes_fail.set(true);
        let target = format!("{}new/", root());
        let message = ready(move_entry(&session, &entry("pics/"), &target))
            .unwrap_err()
            .user_message("move pics");
        assert!(
            message.contains(
                "0 of 2 items moved; copied, but the originals are still there too: pics/, pics/x.png"
            ),
            "{message}"
        );
        bucket.deletes_fail.set(false);
        ready(move_entry(&session, &entry("pics/"), &target)).unwrap();
        assert_eq!(bucket.keys(), vec!["new/", "new/x.png"]);
    }

    #[test]
    fn keys_over_the_limit_are_refused_before_any_request() {
        let bucket = Bucket::with(&[
            "deep/",
            "deep/short.txt",
            &format!("deep/{}", "n".repeat(900)),
        ]);
        let session = session(&bucket);
        let far = format!("{}{}/", root(), "f".repeat(100));
        let err = ready(move_entry(
            &session,
            &entry("deep/"),
            &format!("{far}deep/"),
        ))
        .unwrap_err();
        assert!(matches!(err, CallError::KeyTooLong(_)), "{err:?}");
        let message = err.user_message("move deep");
        assert!(message.contains("1,024 bytes"), "{message}");
        assert!(
            message.contains("1,061 bytes, 37 bytes too many"),
            "{message}"
        );
        assert_eq!(
            bucket.count("PUT"),
            0,
            "nothing copied: {:?}",
            bucket.log.borrow()
        );

        // S3's own KeyTooLongError reads the same (a key the app did not check).
        let err = CallError::S3(
            ready(session.s3(
                |ctx| s3::build_head_object(ctx, &"k".repeat(1100)),
                s3::parse_head_object,
                SendOptions::default(),
            ))
            .unwrap_err()
            .s3()
            .cloned()
            .unwrap(),
        );
        assert!(err.user_message("x").contains("S3 allows 1,024 bytes"));
        let new_folder = ready(create_folder(&session, &root(), &"é".repeat(500))).unwrap_err();
        assert!(new_folder
            .user_message("create")
            .contains("1,056 bytes, 32 bytes too many"));
        assert_eq!(bucket.count("PUT"), 0);
    }

    #[test]
    fn a_folder_move_tells_its_progress_and_stops_when_told() {
        let bucket = Bucket::with(&["pics/", "pics/a.png", "pics/b.png", "pics/c.png"]);
        let session = session(&bucket);
        let target = format!("{}new/", root());
        let told = RefCell::new(Vec::new());
        ready(move_entry_watched(
            &session,
            &entry("pics/"),
            &target,
            &|done, total| {
                told.borrow_mut().push((done, total));
                true
            },
        ))
        .unwrap();
        assert_eq!(*told.borrow(), vec![(0, 4), (1, 4), (2, 4), (3, 4)]);
        assert_eq!(
            bucket.keys(),
            vec!["new/", "new/a.png", "new/b.png", "new/c.png"]
        );

        // Stopped after two copies: those two are moved (originals gone), the rest
        // stays where it was, and the report names both.
        let bucket = Bucket::with(&["pics/", "pics/a.png", "pics/b.png", "pics/c.png"]);
        let session = self::session(&bucket);
        let message = ready(move_entry_watched(
            &session,
            &entry("pics/"),
            &target,
            &|done, _| done < 2,
        ))
        .unwrap_err()
        .user_message("move pics");
        assert_eq!(
            bucket.keys(),
            vec!["new/", "new/a.png", "pics/b.png", "pics/c.png"]
        );
        assert!(
            message.contains("2 of 4 items moved (pics/, pics/a.png); not moved: pics/b.png, pics/c.png. Stopped"),
            "{message}"
        );
        assert_eq!(bucket.count("PUT"), 2, "{:?}", bucket.log.borrow());

        // Stopped before anything was copied: nothing moved, nothing touched.
        let bucket = Bucket::with(&["pics/", "pics/a.png"]);
        let session = self::session(&bucket);
        let err = ready(move_entry_watched(
            &session,
            &entry("pics/"),
            &target,
            &|_, _| false,
        ))
        .unwrap_err();
        assert!(matches!(err, CallError::Aborted), "{err:?}");
        assert_eq!(bucket.keys(), vec!["pics/", "pics/a.png"]);
    }

    #[test]
    fn a_trees_totals_count_its_files_and_bytes_not_its_folder_markers() {
        use crate::model::transport::AbortSignal;
        use crate::model::tree_totals::{tree_totals, TreeTotals};
        let bucket = Bucket::with(&[
            "pics/",
            "pics/a.png",
            "pics/2024/",
            "pics/2024/b.png",
            "other.txt",
        ]);
        let session = session(&bucket);
        let told = RefCell::new(Vec::new());
        let totals = ready(tree_totals(
            &session,
            &format!("{}pics/", root()),
            &AbortSignal::new(),
            &|t| told.borrow_mut().push(t),
        ))
        .unwrap();
        let bytes = "bytes of pics/a.png".len() + "bytes of pics/2024/b.png".len();
        assert_eq!(
            totals,
            TreeTotals {
                files: 2,
                bytes: bytes as u64
            }
        );
        assert_eq!(*told.borrow(), vec![totals]);
        let stopped = AbortSignal::new();
        stopped.abort();
        let err = ready(tree_totals(&session, &root(), &stopped, &|_| {})).unwrap_err();
        assert!(matches!(err, CallError::Aborted), "{err:?}");
    }
}
