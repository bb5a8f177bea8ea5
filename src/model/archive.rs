//! A folder, or a selection of files and folders, downloaded as one zip that is
//! written while the objects download: listed first ([`plan`]), then each
//! object read in ranges of [`RANGE`] bytes through [`Session::s3`] (the one
//! call path, with its retries), passed through `cubby_core::zip`, and handed to
//! a [`ZipSink`] (the browser's save-file stream, a service worker's download or
//! a blob: the adapters in `web::save`). At most one range is in memory at a
//! time. Cancel aborts the read in flight and the sink; a failed object stops
//! the zip with a message naming it, and the sink is aborted so no cut-off file
//! is left looking complete.

use crate::model::files;
use crate::model::listing::Entry;
use crate::model::session::{CallError, Session};
use crate::model::text;
use crate::model::transport::{AbortSignal, LocalFuture, SendOptions};
use cubby_core::s3::{self, ByteRange};
use cubby_core::zip::{entry_name, ZipWriter};

/// Objects are read this many bytes at a time (one ranged GET each).
pub const RANGE: u64 = 8 << 20;

/// Where the zip's bytes go, in order. Implemented by the browser adapters.
pub trait ZipSink {
    /// Takes the next bytes of the archive; `Err` with what went wrong in plain
    /// words (the disk is full, the download was cancelled in the browser).
    fn write(&self, bytes: Vec<u8>) -> LocalFuture<'_, Result<(), String>>;
    /// The archive is whole: the file is finished (or the download starts).
    fn close(&self) -> LocalFuture<'_, Result<(), String>>;
    /// The archive will not be finished: drop what was written where the
    /// browser allows (a partly written file is removed, a download fails).
    fn abort(&self);
}

/// One object to put in the zip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The path inside the zip ([`entry_name`]); a folder's ends with `/`.
    pub name: String,
    /// The S3 key; `None` for an empty folder (only its entry is written).
    pub key: Option<String>,
    /// Bytes, as listed.
    pub size: u64,
    /// Epoch seconds, as listed.
    pub last_modified: Option<u64>,
}

/// What a zip will hold: every object found, in listing order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub items: Vec<Item>,
}

impl Plan {
    /// The files (not the folder entries).
    pub fn files(&self) -> usize {
        self.items.iter().filter(|i| i.key.is_some()).count()
    }

    /// The files' bytes.
    pub fn bytes(&self) -> u64 {
        self.items.iter().map(|i| i.size).sum()
    }

    /// An upper bound of the archive's size: the data plus each entry's headers
    /// (two names, two fixed parts, extra fields and a data descriptor, under
    /// 200 bytes beside the names) and the end records.
    pub fn archive_size(&self) -> u64 {
        let per_entry: u64 = self
            .items
            .iter()
            .map(|i| 200 + 2 * i.name.len() as u64)
            .sum();
        self.bytes() + per_entry + 200
    }
}

/// How far a zip has come.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub files_done: usize,
    pub files_total: usize,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

/// Why a zip did not finish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZipFailure {
    /// Stopped by the user.
    Cancelled,
    /// What went wrong, for people (naming the object when one failed).
    Failed(String),
}

/// The plan for the folder `prefix` (ends with `/`): everything below it, named
/// relative to it. The folder's own marker object is left out; other markers
/// (keys ending in `/`) become folder entries, so empty folders are kept.
///
/// # Errors
///
/// The listing failed.
pub async fn plan_folder(session: &Session, prefix: &str) -> Result<Plan, CallError> {
    let mut plan = Plan::default();
    add_folder(session, prefix, prefix, &mut plan).await?;
    Ok(plan)
}

/// The plan for `entries` (files and folders, all in the folder `base`), named
/// relative to `base`: a folder's contents under its name. For the selection's
/// bulk action.
///
/// # Errors
///
/// A folder's listing failed.
pub async fn plan_entries(
    session: &Session,
    base: &str,
    entries: &[Entry],
) -> Result<Plan, CallError> {
    let mut plan = Plan::default();
    for entry in entries {
        if entry.is_folder() {
            add_folder(session, base, &entry.key, &mut plan).await?;
        } else {
            plan.items.push(Item {
                name: entry_name(relative(base, &entry.key)),
                key: Some(entry.key.clone()),
                size: entry.size,
                last_modified: entry.last_modified,
            });
        }
    }
    Ok(plan)
}

async fn add_folder(
    session: &Session,
    base: &str,
    prefix: &str,
    plan: &mut Plan,
) -> Result<(), CallError> {
    let objects = files::all_objects_under(session, prefix).await?;
    let mut found_any = false;
    for object in objects {
        if object.key == prefix && base == prefix {
            continue;
        }
        found_any = true;
        let path = relative(base, &object.key);
        let (name, folder) = match path.strip_suffix('/') {
            Some(folder) => (entry_name(folder) + "/", true),
            None => (entry_name(path), false),
        };
        plan.items.push(Item {
            name,
            key: (!folder).then(|| object.key.clone()),
            size: if folder { 0 } else { object.size },
            last_modified: object.last_modified,
        });
    }
    if !found_any && base != prefix {
        // A selected folder that holds nothing (not even its marker) still shows.
        plan.items.push(Item {
            name: entry_name(relative(base, prefix).trim_end_matches('/')) + "/",
            key: None,
            size: 0,
            last_modified: None,
        });
    }
    Ok(())
}

/// `key` below `base`, without the base (the whole key if it is not below it).
fn relative<'a>(base: &str, key: &'a str) -> &'a str {
    key.strip_prefix(base).unwrap_or(key)
}

/// The zip's file name for a folder: its name with `.zip`; the top folder's
/// is `files.zip`.
pub fn zip_name(root: &str, prefix: &str) -> String {
    let name = files::display_name("", prefix.strip_prefix(root).unwrap_or(prefix));
    let name = name.rsplit('/').next().unwrap_or("");
    if name.is_empty() {
        "files.zip".to_string()
    } else {
        format!("{name}.zip")
    }
}

/// Writes the zip of `plan` into `sink`: each object read range by range,
/// `progress` told after each range and each file. Stops at once when `abort`
/// fires (the read in flight is cut off) and then aborts the sink, as on any
/// failure; closes it when the archive is whole.
///
/// # Errors
///
/// [`ZipFailure::Cancelled`] when `abort` fired; [`ZipFailure::Failed`] naming
/// the object that could not be read, or saying the sink failed.
pub async fn write_zip(
    session: &Session,
    plan: &Plan,
    sink: &dyn ZipSink,
    abort: &AbortSignal,
    progress: &dyn Fn(Progress),
) -> Result<(), ZipFailure> {
    let result = write_all(session, plan, sink, abort, progress).await;
    let result = match result {
        Ok(()) => sink.close().await.map_err(Step::Sink),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(()),
        Err(step) => {
            sink.abort();
            Err(match step {
                _ if abort.is_aborted() => ZipFailure::Cancelled,
                Step::Read(name, e) => ZipFailure::Failed(e.user_message(&format!(
                    "download “{}” for the zip",
                    text::shown_name(&name)
                ))),
                Step::Sink(e) => ZipFailure::Failed(format!("Could not save the zip: {e}.")),
                Step::Zip(e) => ZipFailure::Failed(format!("Could not write the zip: {e}.")),
            })
        }
    }
}

/// Where a zip stopped.
enum Step {
    Read(String, CallError),
    Sink(String),
    Zip(cubby_core::zip::ZipError),
}

async fn write_all(
    session: &Session,
    plan: &Plan,
    sink: &dyn ZipSink,
    abort: &AbortSignal,
    progress: &dyn Fn(Progress),
) -> Result<(), Step> {
    let mut zip = ZipWriter::new();
    let mut done = Progress {
        files_total: plan.files(),
        bytes_total: plan.bytes(),
        ..Progress::default()
    };
    progress(done);
    for item in &plan.items {
        let Some(key) = &item.key else {
            let bytes = zip
                .add_folder(&item.name, item.last_modified)
                .map_err(Step::Zip)?;
            sink.write(bytes).await.map_err(Step::Sink)?;
            continue;
        };
        let header = zip
            .start_file(&item.name, item.last_modified, item.size)
            .map_err(Step::Zip)?;
        sink.write(header).await.map_err(Step::Sink)?;
        let mut at = 0;
        while at < item.size {
            let last = item.size.min(at + RANGE) - 1;
            let body = read_range(session, key, at, last, abort)
                .await
                .map_err(|e| Step::Read(item.name.clone(), e))?;
            zip.file_data(&body).map_err(Step::Zip)?;
            at += body.len() as u64;
            done.bytes_done += body.len() as u64;
            sink.write(body).await.map_err(Step::Sink)?;
            progress(done);
        }
        let descriptor = zip.finish_file().map_err(Step::Zip)?;
        sink.write(descriptor).await.map_err(Step::Sink)?;
        done.files_done += 1;
        progress(done);
    }
    let end = zip.finish().map_err(Step::Zip)?;
    sink.write(end).await.map_err(Step::Sink)
}

/// Bytes `first..=last` of `key`. An answer of another length means the object
/// changed since it was listed: the zip would not hold what was listed.
async fn read_range(
    session: &Session,
    key: &str,
    first: u64,
    last: u64,
    abort: &AbortSignal,
) -> Result<Vec<u8>, CallError> {
    let range = ByteRange {
        first,
        last: Some(last),
    };
    let options = SendOptions {
        abort: Some(abort.clone()),
        ..SendOptions::default()
    };
    let out = session
        .s3(
            |ctx| s3::build_get_object(ctx, key, Some(range)),
            s3::parse_get_object,
            options,
        )
        .await?;
    if out.body.len() as u64 != last - first + 1 {
        return Err(CallError::Incomplete(
            "it changed while the zip was being made; try again".to_string(),
        ));
    }
    Ok(out.body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{self, ready};
    use crate::model::transport::{send_plainly, HttpResult, SendResult, Transport};
    use cubby_core::encoding::{percent_decode, uri_encode};
    use std::cell::{Cell, RefCell};
    use std::collections::BTreeMap;
    use std::rc::Rc;

    /// Objects answered by ranged GET; `denied` answers 403 AccessDenied.
    #[derive(Default)]
    struct Objects {
        bodies: BTreeMap<String, Vec<u8>>,
        denied: Option<String>,
        /// Every GET, as `<key> <range>`.
        log: RefCell<Vec<String>>,
    }

    impl Objects {
        fn answer(&self, request: http::Request<Vec<u8>>) -> HttpResult {
            let key = percent_decode(request.uri().path().trim_start_matches('/'), false).unwrap();
            let query = request.uri().query().unwrap_or("");
            if let Some(prefix) = query.split('&').find_map(|kv| kv.strip_prefix("prefix=")) {
                // ListObjectsV2 (one page, no delimiter): the keys under `prefix`.
                let prefix = percent_decode(prefix, false).unwrap();
                let mut body = String::from(
                    "<ListBucketResult><EncodingType>url</EncodingType>\
                     <IsTruncated>false</IsTruncated>",
                );
                for (k, bytes) in self.bodies.range(prefix.clone()..) {
                    if !k.starts_with(&prefix) {
                        break;
                    }
                    body.push_str(&format!(
                        "<Contents><Key>{}</Key><Size>{}</Size><ETag>\"e\"</ETag></Contents>",
                        uri_encode(k, true),
                        bytes.len()
                    ));
                }
                body.push_str("</ListBucketResult>");
                return Ok(http::Response::builder()
                    .status(200)
                    .body(body.into_bytes())
                    .unwrap());
            }
            let range = request.headers()["range"].to_str().unwrap().to_string();
            self.log.borrow_mut().push(format!("{key} {range}"));
            if self.denied.as_deref() == Some(key.as_str()) {
                return Ok(http::Response::builder()
                    .status(403)
                    .body(b"<Error><Code>AccessDenied</Code><Message>m</Message></Error>".to_vec())
                    .unwrap());
            }
            let body = &self.bodies[&key];
            let (first, last) = range
                .strip_prefix("bytes=")
                .and_then(|r| r.split_once('-'))
                .unwrap();
            let (first, last): (usize, usize) = (first.parse().unwrap(), last.parse().unwrap());
            Ok(http::Response::builder()
                .status(206)
                .header(
                    "content-range",
                    format!("bytes {first}-{last}/{}", body.len()),
                )
                .body(body[first..=last].to_vec())
                .unwrap())
        }
    }

    impl Transport for Objects {
        fn send(
            &self,
            request: http::Request<Vec<u8>>,
            options: SendOptions,
        ) -> LocalFuture<'_, SendResult> {
            send_plainly(request, &options, move |request| {
                Box::pin(async move { self.answer(request) })
            })
        }
    }

    /// Keeps what it is given and how it ended.
    #[derive(Default)]
    struct Recorder {
        bytes: RefCell<Vec<u8>>,
        closed: Cell<bool>,
        aborted: Cell<bool>,
    }

    impl ZipSink for Recorder {
        fn write(&self, bytes: Vec<u8>) -> LocalFuture<'_, Result<(), String>> {
            self.bytes.borrow_mut().extend(bytes);
            Box::pin(async { Ok(()) })
        }
        fn close(&self) -> LocalFuture<'_, Result<(), String>> {
            self.closed.set(true);
            Box::pin(async { Ok(()) })
        }
        fn abort(&self) {
            self.aborted.set(true);
        }
    }

    fn file(name: &str, size: usize) -> Item {
        Item {
            name: name.to_string(),
            key: Some(format!("k/{name}")),
            size: size as u64,
            last_modified: Some(testing::NOW),
        }
    }

    fn objects(items: &[Item]) -> Objects {
        let bodies = items
            .iter()
            .filter_map(|i| {
                let body = (0..i.size).map(|n| (n % 251) as u8).collect();
                Some((i.key.clone()?, body))
            })
            .collect();
        Objects {
            bodies,
            ..Objects::default()
        }
    }

    fn run(
        objects: Rc<Objects>,
        plan: &Plan,
        abort: &AbortSignal,
        progress: &dyn Fn(Progress),
    ) -> (Result<(), ZipFailure>, Recorder) {
        let session = testing::session(objects, testing::fixed_env());
        let sink = Recorder::default();
        let result = ready(write_zip(&session, plan, &sink, abort, progress));
        (result, sink)
    }

    #[test]
    fn objects_are_read_in_ranges_and_zipped_whole() {
        let big = RANGE as usize + 10;
        let mut folder = file("empty folder/", 0);
        folder.key = None;
        let plan = Plan {
            items: vec![file("big.bin", big), file("a/empty", 0), folder],
        };
        let objects = Rc::new(objects(&plan.items));
        let seen = RefCell::new(Vec::new());
        let (result, sink) = run(objects.clone(), &plan, &AbortSignal::new(), &|p| {
            seen.borrow_mut().push(p)
        });
        assert_eq!(result, Ok(()));
        assert!(sink.closed.get() && !sink.aborted.get());
        assert_eq!(
            *objects.log.borrow(),
            [
                format!("k/big.bin bytes=0-{}", RANGE - 1),
                format!("k/big.bin bytes={RANGE}-{}", big - 1),
            ],
            "two ranges for the big file, no read of the empty one"
        );
        let last = *seen.borrow().last().unwrap();
        assert_eq!(
            (
                last.files_done,
                last.files_total,
                last.bytes_done,
                last.bytes_total
            ),
            (2, 2, big as u64, big as u64)
        );
        // The archive: each file's header, data and descriptor, then the end.
        let bytes = sink.bytes.borrow();
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        assert_eq!(&bytes[bytes.len() - 22..][..4], b"PK\x05\x06");
        assert!(bytes.len() as u64 <= plan.archive_size());
        assert!(bytes.len() > big);
    }

    #[test]
    fn a_failed_object_stops_the_zip_names_it_and_aborts_the_sink() {
        let plan = Plan {
            items: vec![
                file("first.txt", 5),
                file("secret ü.txt", 5),
                file("never.txt", 5),
            ],
        };
        let mut objects = objects(&plan.items);
        objects.denied = Some("k/secret ü.txt".into());
        let objects = Rc::new(objects);
        let (result, sink) = run(objects.clone(), &plan, &AbortSignal::new(), &|_| {});
        let Err(ZipFailure::Failed(message)) = result else {
            panic!("{result:?}")
        };
        assert!(
            message.starts_with("Could not download “secret ü.txt” for the zip."),
            "{message}"
        );
        assert!(
            message.contains("AccessDenied"),
            "the code in the details: {message}"
        );
        assert!(
            sink.aborted.get() && !sink.closed.get(),
            "no cut-off zip is finished"
        );
        assert_eq!(
            objects.log.borrow().len(),
            2,
            "nothing read after the failure"
        );
    }

    #[test]
    fn cancel_stops_the_reads_and_aborts_the_sink() {
        let plan = Plan {
            items: vec![file("one.txt", 5), file("two.txt", 5)],
        };
        let objects = Rc::new(objects(&plan.items));
        let abort = AbortSignal::new();
        let stop = abort.clone();
        let (result, sink) = run(objects.clone(), &plan, &abort, &move |p| {
            if p.files_done == 1 {
                stop.abort();
            }
        });
        assert_eq!(result, Err(ZipFailure::Cancelled));
        assert!(sink.aborted.get() && !sink.closed.get());
        assert_eq!(objects.log.borrow().len(), 1);
    }

    #[test]
    fn plans_name_entries_relative_to_the_folder_zipped() {
        let keys = [
            "r/F/",
            "r/F/a.txt",
            "r/F/Sub/",
            "r/F/Sub/ü +b.txt",
            "r/F/Sub/deeper/c",
            "r/F/../x",
            "r/G/only.txt",
            "r/top.txt",
        ];
        let objects = Rc::new(Objects {
            bodies: keys.iter().map(|k| (k.to_string(), vec![1; 3])).collect(),
            ..Objects::default()
        });
        let session = testing::session(objects, testing::fixed_env());
        let names = |plan: Plan| -> Vec<(String, Option<String>)> {
            plan.items.into_iter().map(|i| (i.name, i.key)).collect()
        };
        let item = |name: &str, key: Option<&str>| (name.to_string(), key.map(str::to_string));
        // The folder: its own marker left out, other markers kept as folders,
        // a `..` segment made harmless.
        assert_eq!(
            names(ready(plan_folder(&session, "r/F/")).unwrap()),
            [
                item("_../x", Some("r/F/../x")),
                item("Sub/", None),
                item("Sub/deeper/c", Some("r/F/Sub/deeper/c")),
                item("Sub/ü +b.txt", Some("r/F/Sub/ü +b.txt")),
                item("a.txt", Some("r/F/a.txt")),
            ]
        );
        // A selection in `r/`: a folder's contents under its name, its marker
        // as its entry; a file as itself.
        let entry = |key: &str, kind| Entry {
            name: String::new(),
            key: key.to_string(),
            kind,
            size: 3,
            last_modified: None,
        };
        let selection = [
            entry("r/G/", crate::model::listing::EntryKind::Folder),
            entry("r/top.txt", crate::model::listing::EntryKind::File),
        ];
        assert_eq!(
            names(ready(plan_entries(&session, "r/", &selection)).unwrap()),
            [
                item("G/only.txt", Some("r/G/only.txt")),
                item("top.txt", Some("r/top.txt")),
            ]
        );
    }

    #[test]
    fn zip_names() {
        let root = "private/id/";
        assert_eq!(zip_name(root, root), "files.zip");
        assert_eq!(
            zip_name(root, "private/id/Fotos/Sommer 2024/"),
            "Sommer 2024.zip"
        );
    }
}
