use super::*;
use crate::config::UPLOAD_PARTS_IN_FLIGHT_DEFAULT;
use crate::model::session::Env;
use crate::model::testing::{self, poll_n};
use crate::model::transport::{
    send_plainly, AbortSignal, HttpResult, NetworkError, SendOptions, SendResult, Transport,
};
use cubby_core::encoding::base64_encode;
use cubby_core::s3::{self, ObjectMetadata, PartSummary};
use queue::UploadView;
use std::future::Future;

const MIB: usize = 1024 * 1024;

#[test]
fn composite_crc32_matches_an_independent_computation() {
    // Vector from Python: zlib.crc32 of each part packed big-endian (">I"),
    // base64; then zlib.crc32 of the three packed CRCs, base64, "-3".
    // Parts: b"hello ", b"world", b"Welcome to Amazon S3."
    let parts = ["7YH59g==", "OncRQw==", "Ox7nCg=="];
    assert_eq!(
        composite_crc32(parts.iter().map(|p| Some(*p))).as_deref(),
        Some("OFYcLQ==-3")
    );
    // Our per-part CRC32s are the same values.
    assert_eq!(s3::crc32_checksum(b"hello "), "7YH59g==");
    assert_eq!(s3::crc32_checksum(b"Welcome to Amazon S3."), "Ox7nCg==");
    // A part without a known CRC32 (or not a CRC32): nothing to compare.
    assert_eq!(composite_crc32([Some("7YH59g=="), None]), None);
    assert_eq!(composite_crc32([Some("AAAAAAAA")]), None);
}

#[test]
fn a_stored_object_of_another_size_or_checksum_is_reported() {
    let stored = ObjectMetadata {
        size: 10,
        checksum_crc32: Some("OFYcLQ==-3".into()),
        ..ObjectMetadata::default()
    };
    assert_eq!(stored_difference(&stored, 10, Some("OFYcLQ==-3")), None);
    assert_eq!(stored_difference(&stored, 10, None), None);
    assert_eq!(
        stored_difference(&stored, 11, Some("OFYcLQ==-3")).as_deref(),
        Some("size 10 vs 11")
    );
    assert_eq!(
        stored_difference(&stored, 10, Some("7YH59g==-3")).as_deref(),
        Some("CRC32 OFYcLQ==-3 vs 7YH59g==-3")
    );
    // S3 reporting no checksum (or CORS hiding it) leaves the size check.
    let bare = ObjectMetadata {
        size: 10,
        ..ObjectMetadata::default()
    };
    assert_eq!(stored_difference(&bare, 10, Some("x")), None);
}

/// How the fake S3 lies about the stored object on HEAD.
#[derive(Clone, Copy, PartialEq)]
enum Tamper {
    Nothing,
    Size,
    Checksum,
}

/// An in-memory S3 for one key: multipart and single PUT, HEAD with the
/// checksums S3 reports, optionally tampered with. While `hold` is set, part
/// uploads never answer (to pause or cancel them in flight), after their bytes
/// are reported sent.
struct FakeS3 {
    tamper: Tamper,
    hold: Cell<bool>,
    /// Part uploads get no answer at all (a network error).
    parts_unreachable: Cell<bool>,
    /// Part uploads are refused for good (403 AccessDenied).
    parts_refused: Cell<bool>,
    /// `hold`, `parts_unreachable` and `parts_refused` apply only once this many
    /// parts are stored.
    faults_after: Cell<usize>,
    /// The device says it is offline.
    offline: Cell<bool>,
    /// Every name asked for exists (a 7-byte object of 2023-11-14).
    names_taken: Cell<bool>,
    /// Fired when the device says it is back online.
    back_online: RefCell<AbortSignal>,
    /// Fired when the device says its connection went.
    gone_offline: RefCell<AbortSignal>,
    /// ListParts answers this error code (403 AccessDenied, 404 otherwise).
    list_parts_error: Cell<Option<&'static str>>,
    parts: RefCell<BTreeMap<u32, Vec<u8>>>,
    object: RefCell<Option<(Vec<u8>, String)>>,
    log: RefCell<Vec<String>>,
}

impl FakeS3 {
    fn new(tamper: Tamper) -> FakeS3 {
        FakeS3 {
            tamper,
            hold: Cell::new(false),
            parts_unreachable: Cell::new(false),
            parts_refused: Cell::new(false),
            faults_after: Cell::new(0),
            offline: Cell::new(false),
            names_taken: Cell::new(false),
            back_online: RefCell::default(),
            gone_offline: RefCell::default(),
            list_parts_error: Cell::new(None),
            parts: RefCell::default(),
            object: RefCell::default(),
            log: RefCell::default(),
        }
    }

    fn count(&self, operation: &str) -> usize {
        self.log.borrow().iter().filter(|o| *o == operation).count()
    }

    /// The device says its connection went.
    fn disconnect(&self) {
        self.offline.set(true);
        self.gone_offline.replace(AbortSignal::new()).abort();
    }

    /// The connection is back: parts are answered again, and the device says so.
    fn reconnect(&self) {
        self.parts_unreachable.set(false);
        self.offline.set(false);
        self.back_online.replace(AbortSignal::new()).abort();
    }

    fn answer(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        let query = request.uri().query().unwrap_or("").to_string();
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .map(str::to_string)
        };
        let ok = http::Response::builder().status(200);
        let (operation, response) = match request.method().as_str() {
            "POST" if query.contains("uploads") => (
                "CreateMultipartUpload",
                ok.body(
                    b"<InitiateMultipartUploadResult><UploadId>u1</UploadId>\
                      </InitiateMultipartUploadResult>"
                        .to_vec(),
                ),
            ),
            "PUT" if param("partNumber").is_some() && self.faulty(&self.parts_refused) => (
                "UploadPart (refused)",
                http::Response::builder().status(403).body(
                    b"<Error><Code>AccessDenied</Code><Message>no</Message></Error>".to_vec(),
                ),
            ),
            "PUT" if param("partNumber").is_some() => {
                let number: u32 = param("partNumber").unwrap().parse().unwrap();
                let etag = format!("\"e{number}\"");
                self.parts.borrow_mut().insert(number, request.into_body());
                ("UploadPart", ok.header("etag", etag).body(Vec::new()))
            }
            "PUT" => {
                let body = request.into_body();
                let crc = s3::crc32_checksum(&body);
                *self.object.borrow_mut() = Some((body, crc));
                ("PutObject", ok.header("etag", "\"e\"").body(Vec::new()))
            }
            "POST" => {
                let parts = std::mem::take(&mut *self.parts.borrow_mut());
                // S3's composite CRC32, computed here on its own.
                let mut raw = Vec::new();
                let mut body = Vec::new();
                for part in parts.values() {
                    raw.extend_from_slice(&crc32fast::hash(part).to_be_bytes());
                    body.extend_from_slice(part);
                }
                let crc = format!(
                    "{}-{}",
                    base64_encode(&crc32fast::hash(&raw).to_be_bytes()),
                    parts.len()
                );
                *self.object.borrow_mut() = Some((body, crc));
                (
                    "CompleteMultipartUpload",
                    ok.body(
                        b"<CompleteMultipartUploadResult><ETag>\"e-n\"</ETag>\
                          </CompleteMultipartUploadResult>"
                            .to_vec(),
                    ),
                )
            }
            "GET" if param("uploadId").is_some() && self.list_parts_error.get().is_none() => {
                // The parts held, with the CRC32 each was sent with.
                let parts: String = self
                    .parts
                    .borrow()
                    .iter()
                    .map(|(number, bytes)| {
                        format!(
                            "<Part><PartNumber>{number}</PartNumber><ETag>\"e{number}\"</ETag>\
                             <Size>{}</Size><ChecksumCRC32>{}</ChecksumCRC32></Part>",
                            bytes.len(),
                            s3::crc32_checksum(bytes)
                        )
                    })
                    .collect();
                (
                    "ListParts",
                    ok.body(
                        format!(
                            "<ListPartsResult><IsTruncated>false</IsTruncated>{parts}\
                             </ListPartsResult>"
                        )
                        .into_bytes(),
                    ),
                )
            }
            "GET" if param("uploadId").is_some() => {
                let code = self.list_parts_error.get().unwrap_or_default();
                let status = if code == "AccessDenied" { 403 } else { 404 };
                (
                    "ListParts",
                    http::Response::builder().status(status).body(
                        format!("<Error><Code>{code}</Code><Message>no</Message></Error>")
                            .into_bytes(),
                    ),
                )
            }
            // ListObjectsV2 (does the name exist?): yes, when names are taken.
            "GET" if self.names_taken.get() => {
                let key = param("prefix").unwrap().replace("%2F", "/");
                (
                    "ListObjectsV2",
                    ok.body(
                        format!(
                            "<ListBucketResult><KeyCount>1</KeyCount><IsTruncated>false\
                             </IsTruncated><Contents><Key>{key}</Key><Size>7</Size>\
                             <LastModified>2023-11-14T22:13:20.000Z</LastModified>\
                             <ETag>\"e\"</ETag></Contents></ListBucketResult>"
                        )
                        .into_bytes(),
                    ),
                )
            }
            // ListObjectsV2 (does the name exist?): an empty folder.
            "GET" => (
                "ListObjectsV2",
                ok.body(
                    b"<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated>\
                      </ListBucketResult>"
                        .to_vec(),
                ),
            ),
            "HEAD" => {
                let object = self.object.borrow();
                let (body, crc) = object.as_ref().expect("HEAD after the upload");
                let size = body.len() + usize::from(self.tamper == Tamper::Size);
                let crc = if self.tamper == Tamper::Checksum {
                    "AAAAAA==-1".to_string()
                } else {
                    crc.clone()
                };
                (
                    "HeadObject",
                    ok.header("content-length", size.to_string())
                        .header("x-amz-checksum-crc32", crc)
                        .body(Vec::new()),
                )
            }
            "DELETE" => {
                self.parts.borrow_mut().clear();
                (
                    "AbortMultipartUpload",
                    http::Response::builder().status(204).body(Vec::new()),
                )
            }
            other => panic!("unexpected {other} {query}"),
        };
        self.log.borrow_mut().push(operation.to_string());
        response.unwrap()
    }
}

impl Transport for FakeS3 {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        options: SendOptions,
    ) -> LocalFuture<'_, SendResult> {
        let part = request.uri().query().unwrap_or("").contains("partNumber");
        if part && self.faulty(&self.hold) {
            // A held part's bytes went out; its answer never comes.
            let sent = options
                .body
                .as_ref()
                .and_then(|b| b.0.downcast_ref::<Vec<u8>>());
            if let (Some(progress), Some(sent)) = (&options.progress, sent) {
                progress(sent.len() as u64);
            }
        }
        send_plainly(request, &options, |request| self.answer_or_hold(request))
    }

    fn online(&self) -> bool {
        !self.offline.get()
    }

    fn back_online(&self) -> LocalFuture<'static, ()> {
        Box::pin(self.back_online.borrow().aborted())
    }

    fn gone_offline(&self) -> LocalFuture<'static, ()> {
        Box::pin(self.gone_offline.borrow().aborted())
    }
}

impl FakeS3 {
    /// Whether the fault `flag` applies now (see `faults_after`).
    fn faulty(&self, flag: &Cell<bool>) -> bool {
        flag.get() && self.count("UploadPart") >= self.faults_after.get()
    }

    fn answer_or_hold(&self, request: http::Request<Vec<u8>>) -> LocalFuture<'_, HttpResult> {
        let part = request.uri().query().unwrap_or("").contains("partNumber");
        if part && self.faulty(&self.parts_unreachable) {
            self.log.borrow_mut().push("UploadPart (no answer)".into());
            return Box::pin(async { Err(NetworkError("reset".into())) });
        }
        if part && self.faulty(&self.hold) {
            self.log.borrow_mut().push("UploadPart (held)".into());
            return Box::pin(futures::future::pending());
        }
        let response = self.answer(request);
        Box::pin(async move { Ok(response) })
    }
}

/// A session over the fake whose sleeps (backoff, probes) each take a poll, so
/// a call waiting for the connection gives the test its turn.
fn session(transport: Rc<FakeS3>) -> Session {
    let env = Env {
        sleep: |_| Box::pin(YieldOnce(false)),
        ..testing::fixed_env()
    };
    testing::session(transport, env)
}

/// Pending once, then ready.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            std::task::Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}

struct Memory(Vec<u8>);

impl ByteSource for Memory {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
    fn read(&self, start: u64, end: u64) -> LocalFuture<'_, Result<Vec<u8>, String>> {
        let bytes = self.0[start as usize..end as usize].to_vec();
        Box::pin(async move { Ok(bytes) })
    }
}

/// A file that can be read `reads_left` times and then no more, as a browser
/// `File` changed or deleted since it was picked; its parts are still handed
/// to the transport (a `Blob` exists whether or not it can be read).
struct Vanishing {
    bytes: Vec<u8>,
    reads_left: Cell<usize>,
}

impl ByteSource for Vanishing {
    fn size(&self) -> u64 {
        self.bytes.len() as u64
    }
    fn read(&self, start: u64, end: u64) -> LocalFuture<'_, Result<Vec<u8>, String>> {
        let read = match self.reads_left.get() {
            0 => Err("the file could not be read".to_string()),
            left => {
                self.reads_left.set(left - 1);
                Ok(self.bytes[start as usize..end as usize].to_vec())
            }
        };
        Box::pin(async move { read })
    }
    fn detached(&self, start: u64, end: u64) -> LocalFuture<'_, Result<DetachedBody, String>> {
        let bytes = self.bytes[start as usize..end as usize].to_vec();
        Box::pin(async move { Ok(DetachedBody::bytes(bytes)) })
    }
}

#[test]
fn a_part_that_fails_because_the_file_went_away_says_so() {
    let parts = 2;
    for gone in [false, true] {
        let s3 = Rc::new(FakeS3::new(Tamper::Nothing));
        s3.parts_unreachable.set(true);
        let session = session(s3.clone());
        // Gone: the checksums are read (one read a part), then nothing more.
        let source = Vanishing {
            bytes: noise(parts * MULTIPART_THRESHOLD as usize),
            reads_left: Cell::new(if gone { parts } else { usize::MAX }),
        };
        let control = UploadControl::new();
        let mut future = upload_to_fake(&session, &source, &control, Rc::default());
        if !gone {
            // A readable file: the network it is, so the upload waits for it.
            assert!(poll_n(&mut future, 100).is_none(), "waits, not failed");
            assert!(control.waiting_for_connection());
            s3.reconnect();
        }
        let result = poll_n(&mut future, 200).expect("the upload ends");
        match (gone, result) {
            (true, Err(UploadError::Read(_))) => {
                assert_eq!(s3.count("AbortMultipartUpload"), 1, "no orphan parts")
            }
            (false, Ok(())) => assert_eq!(s3.count("AbortMultipartUpload"), 0),
            (_, other) => panic!("file gone: {gone}, got {other:?}"),
        }
        assert!(!control.waiting_for_connection());
    }
}

fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn upload_to_fake<'a>(
    session: &'a Session,
    source: &'a dyn ByteSource,
    control: &'a UploadControl,
    shown: Rc<Cell<u64>>,
) -> std::pin::Pin<Box<dyn Future<Output = Result<(), UploadError>> + 'a>> {
    Box::pin(upload(
        session,
        source,
        "private/us-east-1:abc/file.bin",
        UploadOptions {
            overwrite: true,
            resume: None,
            parts_in_flight: UPLOAD_PARTS_IN_FLIGHT_DEFAULT,
        },
        Rc::new({
            let control = control.clone();
            move |bytes| {
                // Only a pause or cancel drops what is shown (to what is stored).
                assert!(
                    bytes >= shown.get() || control.steer() != Steer::Run,
                    "progress went back"
                );
                shown.set(bytes);
            }
        }),
        control,
    ))
}

fn run_upload(tamper: Tamper, len: usize) -> (Result<(), UploadError>, Rc<FakeS3>) {
    let s3 = Rc::new(FakeS3::new(tamper));
    let session = session(s3.clone());
    let source = Memory(noise(len));
    let control = UploadControl::new();
    let mut future = upload_to_fake(&session, &source, &control, Rc::default());
    let result = poll_n(&mut future, 100).expect("the upload ends");
    drop(future);
    if result.is_ok() {
        assert_eq!(s3.object.borrow().as_ref().unwrap().0, source.0);
    }
    (result, s3)
}

#[test]
fn completed_uploads_are_checked_with_a_head() {
    for len in [3 * MIB, 2 * MULTIPART_THRESHOLD as usize + 5] {
        let (result, s3) = run_upload(Tamper::Nothing, len);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(s3.count("HeadObject"), 1);
    }
    let (result, _) = run_upload(Tamper::Size, 3 * MIB);
    let message = result.unwrap_err().user_message("small.bin");
    assert!(
        message.contains(&format!(
            "stored object differs from your file: size {} vs {}",
            3 * MIB + 1,
            3 * MIB
        )),
        "{message}"
    );
    let (result, s3) = run_upload(Tamper::Size, 2 * MULTIPART_THRESHOLD as usize + 5);
    assert!(
        matches!(result, Err(UploadError::Mismatch(_))),
        "{result:?}"
    );
    assert_eq!(s3.count("CompleteMultipartUpload"), 1);
    let (result, _) = run_upload(Tamper::Checksum, 2 * MULTIPART_THRESHOLD as usize + 5);
    match result {
        Err(UploadError::Mismatch(detail)) => {
            assert!(detail.starts_with("CRC32 AAAAAA==-1 vs "), "{detail}");
            assert!(detail.ends_with("-3"), "{detail}");
        }
        other => panic!("a wrong checksum passed: {other:?}"),
    }
}

#[test]
fn pause_cuts_parts_off_and_resume_sends_only_what_is_missing() {
    let s3 = Rc::new(FakeS3::new(Tamper::Nothing));
    let session = session(s3.clone());
    // Five parts: four go out at once and hang.
    let source = Memory(noise(4 * MULTIPART_THRESHOLD as usize + MIB));
    let control = UploadControl::new();
    let shown = Rc::new(Cell::new(0));
    s3.hold.set(true);
    let mut future = upload_to_fake(&session, &source, &control, shown.clone());
    assert!(poll_n(&mut future, 20).is_none());
    assert_eq!(s3.count("UploadPart (held)"), 4);

    control.pause();
    assert!(poll_n(&mut future, 20).is_none(), "paused, not ended");
    let sent_while_paused = s3.log.borrow().len();
    s3.hold.set(false);
    assert!(poll_n(&mut future, 20).is_none());
    assert_eq!(
        s3.log.borrow().len(),
        sent_while_paused,
        "nothing sent while paused"
    );

    control.resume();
    let result = poll_n(&mut future, 100).expect("the upload ends after resume");
    drop(future);
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(
        s3.count("UploadPart"),
        5,
        "each part stored once after resume"
    );
    assert_eq!(s3.count("CreateMultipartUpload"), 1);
    assert_eq!(s3.object.borrow().as_ref().unwrap().0, source.0);
    assert_eq!(shown.get(), source.0.len() as u64);
}

#[test]
fn cancel_aborts_parts_in_flight_and_the_upload() {
    let s3 = Rc::new(FakeS3::new(Tamper::Nothing));
    let session = session(s3.clone());
    let source = Memory(noise(2 * MULTIPART_THRESHOLD as usize));
    let control = UploadControl::new();
    s3.hold.set(true);
    let mut future = upload_to_fake(&session, &source, &control, Rc::default());
    assert!(poll_n(&mut future, 20).is_none());
    control.cancel();
    let result = poll_n(&mut future, 20).expect("cancel ends the upload at once");
    assert!(matches!(result, Err(UploadError::Cancelled)), "{result:?}");
    assert_eq!(s3.count("AbortMultipartUpload"), 1);
    assert_eq!(s3.count("CompleteMultipartUpload"), 0);
    assert_eq!(s3.count("HeadObject"), 0);
}

#[test]
fn an_aborted_request_is_not_retried_and_is_no_network_error() {
    let s3 = Rc::new(FakeS3::new(Tamper::Nothing));
    let session = session(s3.clone());
    s3.hold.set(true);
    let signal = AbortSignal::new();
    let mut call: std::pin::Pin<Box<dyn Future<Output = Result<_, CallError>>>> =
        Box::pin(session.s3(
            |ctx| s3::build_upload_part(ctx, "private/us-east-1:abc/f", "u1", 1, vec![1], true),
            s3::parse_upload_part,
            SendOptions {
                abort: Some(signal.clone()),
                ..SendOptions::default()
            },
        ));
    assert!(poll_n(&mut call, 5).is_none());
    signal.abort();
    let result = poll_n(&mut call, 5).expect("the abort ends the call");
    assert!(matches!(result, Err(CallError::Aborted)), "{result:?}");
    assert_eq!(s3.log.borrow().len(), 1, "sent once, not retried");
}

#[test]
fn progress_never_goes_backwards() {
    let p = Progress::default();
    p.part_sent(1, 500);
    p.part_sent(2, 300);
    assert_eq!(p.bytes(), 800);
    // Part 2's attempt failed and restarts from zero: the shown total holds.
    p.part_sent(2, 0);
    assert_eq!(p.bytes(), 800);
    p.part_done(1, 1000);
    assert_eq!(p.bytes(), 1000);
    p.part_sent(2, 900);
    assert_eq!(p.bytes(), 1900);
}

fn record(created: u64) -> ResumeRecord {
    ResumeRecord {
        upload_id: "u1".into(),
        key: "private/x/big.bin".into(),
        part_size: 8 << 20,
        created,
        parts: vec![
            RecordedPart {
                number: 1,
                etag: "\"e1\"".into(),
                crc32: Some("c1".into()),
            },
            RecordedPart {
                number: 2,
                etag: "\"e2\"".into(),
                crc32: Some("c2".into()),
            },
        ],
    }
}

fn listed(number: u32, etag: &str, size: u64, crc: Option<&str>) -> PartSummary {
    PartSummary {
        part_number: number,
        etag: etag.into(),
        size,
        checksum_crc32: crc.map(str::to_string),
        last_modified: None,
    }
}

#[test]
fn only_whole_parts_with_a_checksum_are_reused() {
    let part = 8u64 << 20;
    let plan = s3::plan_parts(3 * part + 5, part).unwrap();
    let record = record(1000);
    let parts = reusable_parts(
        &plan,
        &record,
        &[
            listed(2, "e2", part, None),           // CRC32 from the record
            listed(1, "\"e1\"", part, Some("s1")), // S3's own CRC32
            listed(3, "e3", part - 1, Some("c3")), // cut short: sent again
            listed(4, "e4", 5, None),              // no CRC32 anywhere: sent again
            listed(9, "e9", part, Some("c9")),     // not in the plan
        ],
    );
    let numbers: Vec<(u32, Option<&str>)> = parts
        .iter()
        .map(|p| (p.part_number, p.checksum_crc32.as_deref()))
        .collect();
    assert_eq!(numbers, vec![(1, Some("s1")), (2, Some("c2"))]);
}

#[test]
fn records_keep_the_text_earlier_builds_stored() {
    // As serde_json wrote them: records left by an earlier build still resume.
    let stored = r#"{"upload_id":"u1","key":"private/x/big.bin","part_size":8388608,"created":1000,"parts":[{"number":1,"etag":"\"e1\"","crc32":"c1"},{"number":2,"etag":"\"e2\"","crc32":"c2"}]}"#;
    assert_eq!(record(1000).to_json(), stored);
    assert_eq!(ResumeRecord::from_json(stored), Some(record(1000)));
    let mut no_crc = record(1000);
    no_crc.parts[1].crc32 = None;
    assert_eq!(ResumeRecord::from_json(&no_crc.to_json()), Some(no_crc));
    assert_eq!(
        resume_id("k/\"q\".txt", "a b", 1, 2),
        r#"cubby.upload.["k/\"q\".txt","a b",1,2]"#
    );
}

#[test]
fn records_older_than_a_day_or_unreadable_are_dropped() {
    let now = 10 * RESUME_MAX_AGE;
    let fresh = record(now - 60);
    let old = record(now - RESUME_MAX_AGE);
    let dropped = stale_records(
        vec![
            (resume_id("k", "a", 1, 2), fresh.to_json()),
            (resume_id("k", "b", 1, 2), old.to_json()),
            (resume_id("k", "c", 1, 2), "{".into()),
            ("cubby.tokens".into(), "{".into()),
        ],
        now,
    );
    assert_eq!(
        dropped,
        vec![resume_id("k", "b", 1, 2), resume_id("k", "c", 1, 2)]
    );
    assert_eq!(ResumeRecord::from_json(&fresh.to_json()), Some(fresh));
    assert_ne!(resume_id("k", "a", 1, 2), resume_id("k", "a", 1, 3));
}

/// A file's row as the queue shows it.
#[derive(Default)]
struct Row {
    state: RefCell<Option<queue::UploadState>>,
    sent: Cell<u64>,
    waiting: Cell<bool>,
    note: RefCell<Option<String>>,
}

impl queue::UploadView for Row {
    fn state(&self) -> queue::UploadState {
        self.state
            .borrow()
            .clone()
            .unwrap_or(queue::UploadState::Waiting)
    }
    fn set_state(&self, state: queue::UploadState) {
        *self.state.borrow_mut() = Some(state);
    }
    fn set_sent(&self, bytes: u64) {
        self.sent.set(bytes);
    }
    fn set_sending(&self, _sending: bool) {}
    fn set_waiting(&self, waiting: bool) {
        self.waiting.set(waiting);
    }
    fn set_note(&self, note: String) {
        *self.note.borrow_mut() = Some(note);
    }
}

use crate::model::testing::MemoryRecords as Records;

thread_local! {
    /// The tasks the queue spawned, run by [`run_tasks`].
    static TASKS: RefCell<Vec<LocalFuture<'static, ()>>> = RefCell::default();
}

fn spawn(task: LocalFuture<'static, ()>) {
    TASKS.with(|tasks| tasks.borrow_mut().push(task));
}

/// Polls every spawned task `rounds` times (tasks spawned meanwhile included);
/// says how many are still running.
fn run_tasks(rounds: usize) -> usize {
    for _ in 0..rounds {
        let running = TASKS.with(|tasks| std::mem::take(&mut *tasks.borrow_mut()));
        for mut task in running {
            if poll_n(&mut task, 1).is_none() {
                spawn(task);
            }
        }
    }
    TASKS.with(|tasks| tasks.borrow().len())
}

#[test]
fn a_paused_file_lets_the_queue_go_on_and_resumes_alongside_it() {
    let s3 = Rc::new(FakeS3::new(Tamper::Nothing));
    let session = Rc::new(session(s3.clone()));
    let done = Rc::new(Cell::new(0));
    let heard = done.clone();
    let queue = queue::UploadQueue::new(
        session,
        Rc::new(Records::default()),
        queue::QueueHooks {
            spawn,
            ask: Rc::new(|_| Box::pin(async { queue::Conflict::Skip.into() })),
            on_done: Rc::new(move || heard.set(heard.get() + 1)),
            notice: Rc::new(|message| panic!("no notice expected: {message}")),
            replaced: Rc::new(|message, _| panic!("nothing replaced: {message}")),
        },
    );
    let file = |bytes: Vec<u8>, name: &str| queue::QueuedFile {
        source: Rc::new(Memory(bytes)),
        name: name.into(),
        last_modified: 1,
        kept: None,
    };
    let big_bytes = noise(2 * MULTIPART_THRESHOLD as usize);
    let (big_row, small_row) = (Rc::new(Row::default()), Rc::new(Row::default()));
    let big = queue.add(
        file(big_bytes.clone(), "big.bin"),
        "big.bin".into(),
        "private/x/big.bin".into(),
        big_row.clone(),
    );
    queue.add(
        file(noise(MIB), "small.bin"),
        "small.bin".into(),
        "private/x/small.bin".into(),
        small_row.clone(),
    );
    s3.hold.set(true);
    queue.start();
    run_tasks(20);
    assert_eq!(big_row.state(), queue::UploadState::Uploading);
    assert_eq!(
        small_row.state(),
        queue::UploadState::Waiting,
        "one file at a time"
    );

    big.pause();
    run_tasks(20);
    assert_eq!(big_row.state(), queue::UploadState::Paused);
    assert_eq!(
        small_row.state(),
        queue::UploadState::Done,
        "the queue went on"
    );
    assert_eq!(done.get(), 1, "the queue ran dry");

    s3.hold.set(false);
    big.resume();
    assert_eq!(run_tasks(40), 0, "every task ended");
    assert_eq!(big_row.state(), queue::UploadState::Done);
    assert_eq!(big_row.sent.get(), big_bytes.len() as u64);
    assert_eq!(s3.object.borrow().as_ref().unwrap().0, big_bytes);
    assert_eq!(done.get(), 2, "the resumed file's end is heard too");
    queue.clear_finished();
    assert!(queue.items().is_empty());
}

#[test]
fn a_resume_record_must_be_an_object_and_its_last_repeated_field_counts() {
    // serde alone would fill the struct from an array of its fields in order.
    assert_eq!(ResumeRecord::from_json(r#"["u","k",8,1000,[]]"#), None);
    let record = ResumeRecord::from_json(
        r#"{"upload_id":"old","upload_id":"u","key":"k","part_size":8,"created":1000,"parts":[]}"#,
    )
    .expect("a repeated field takes its last value");
    assert_eq!(record.upload_id, "u");
}

/// A queue over `s3` keeping records in `records`; the notices it gave.
fn queue_with(
    s3: &Rc<FakeS3>,
    records: &Rc<Records>,
) -> (Rc<queue::UploadQueue>, Rc<RefCell<Vec<String>>>) {
    let notices = Rc::new(RefCell::new(Vec::new()));
    let heard = notices.clone();
    let queue = queue::UploadQueue::new(
        Rc::new(session(s3.clone())),
        records.clone(),
        queue::QueueHooks {
            spawn,
            ask: Rc::new(|_| Box::pin(async { queue::Conflict::Skip.into() })),
            on_done: Rc::new(|| {}),
            notice: Rc::new(move |message| heard.borrow_mut().push(message)),
            replaced: Rc::new(|message, _| panic!("nothing replaced: {message}")),
        },
    );
    (queue, notices)
}

/// Queues `bytes` as big.bin and runs the queue to its end; the file's row.
fn upload_big(queue: &Rc<queue::UploadQueue>, bytes: &[u8]) -> Rc<Row> {
    let row = queue_big(queue, bytes);
    assert_eq!(run_tasks(100), 0, "every task ended");
    row
}

/// Queues `bytes` as big.bin and starts the queue; the file's row.
fn queue_big(queue: &Rc<queue::UploadQueue>, bytes: &[u8]) -> Rc<Row> {
    queue_file(queue, bytes, "big.bin").1
}

/// Queues `bytes` as `name` (in folder x) and starts the queue.
fn queue_file(
    queue: &Rc<queue::UploadQueue>,
    bytes: &[u8],
    name: &str,
) -> (Rc<queue::QueuedUpload>, Rc<Row>) {
    let row = Rc::new(Row::default());
    let item = queue.add(
        queue::QueuedFile {
            source: Rc::new(Memory(bytes.to_vec())),
            name: name.into(),
            last_modified: 1,
            kept: None,
        },
        name.into(),
        format!("private/x/{name}"),
        row.clone(),
    );
    queue.start();
    (item, row)
}

#[test]
fn a_full_storage_is_told_once_and_the_upload_still_completes() {
    let s3 = Rc::new(FakeS3::new(Tamper::Nothing));
    let records = Rc::new(Records::default());
    records.full.set(true);
    let (queue, notices) = queue_with(&s3, &records);
    let bytes = noise(3 * MULTIPART_THRESHOLD as usize);
    let row = upload_big(&queue, &bytes);
    assert_eq!(row.state(), queue::UploadState::Done);
    assert_eq!(s3.object.borrow().as_ref().unwrap().0, bytes);
    assert_eq!(
        *notices.borrow(),
        vec![ResumeNotice::NotStored.user_message("big.bin")],
        "told once, not once a part"
    );
    assert!(notices.borrow()[0]
        .contains("big.bin cannot resume after a reload: the browser's storage is full"));
    assert!(records.stored.borrow().is_empty());
}

#[test]
fn without_a_stored_record_an_upload_that_cannot_finish_is_aborted() {
    let s3 = Rc::new(FakeS3::new(Tamper::Nothing));
    s3.parts_refused.set(true);
    let records = Rc::new(Records::default());
    records.full.set(true);
    let (queue, notices) = queue_with(&s3, &records);
    let row = upload_big(&queue, &noise(2 * MULTIPART_THRESHOLD as usize));
    assert!(matches!(row.state(), queue::UploadState::Failed(_)));
    assert_eq!(
        s3.count("AbortMultipartUpload"),
        1,
        "nobody could resume it: not left open"
    );
    assert_eq!(notices.borrow().len(), 1);

    // S3 out of reach: the upload waits with its record kept, nothing aborted.
    let s3 = Rc::new(FakeS3::new(Tamper::Nothing));
    s3.parts_unreachable.set(true);
    let records = Rc::new(Records::default());
    let (queue, notices) = queue_with(&s3, &records);
    let row = queue_big(&queue, &noise(2 * MULTIPART_THRESHOLD as usize));
    assert!(run_tasks(100) > 0, "still waiting");
    assert_eq!(row.state(), queue::UploadState::Uploading);
    assert_eq!(s3.count("AbortMultipartUpload"), 0);
    assert_eq!(records.stored.borrow().len(), 1);
    assert!(notices.borrow().is_empty());
    s3.reconnect();
    assert_eq!(run_tasks(100), 0, "every task ended");
    assert_eq!(row.state(), queue::UploadState::Done);
}

#[test]
fn a_resume_record_that_cannot_be_used_starts_afresh_and_says_so() {
    let bytes = noise(2 * MULTIPART_THRESHOLD as usize);
    let part_size = s3::plan_parts(bytes.len() as u64, PREFERRED_PART_SIZE)
        .unwrap()
        .part_size();
    // (why, ListParts' error, the record's part size and age, ListParts and
    // AbortMultipartUpload requests expected)
    let cases = [
        (
            "ListParts denied",
            Some("AccessDenied"),
            part_size,
            60,
            1,
            1,
        ),
        ("upload gone", Some("NoSuchUpload"), part_size, 60, 1, 0),
        ("another part size", None, 2 * part_size, 60, 0, 1),
        ("stale", None, part_size, 2 * RESUME_MAX_AGE, 0, 0),
    ];
    for (why, error, size, age, lists, aborts) in cases {
        let s3 = Rc::new(FakeS3::new(Tamper::Nothing));
        s3.list_parts_error.set(error);
        let records = Rc::new(Records::default());
        let mut old = record(testing::NOW - age);
        old.key = "private/x/big.bin".into();
        old.part_size = size;
        let id = resume_id("private/x/big.bin", "big.bin", bytes.len() as u64, 1);
        records.stored.borrow_mut().insert(id, old.to_json());
        let (queue, notices) = queue_with(&s3, &records);
        let row = upload_big(&queue, &bytes);
        assert_eq!(row.state(), queue::UploadState::Done, "{why}");
        assert_eq!(s3.count("ListParts"), lists, "{why}");
        assert_eq!(
            s3.count("CreateMultipartUpload"),
            1,
            "{why}: a fresh upload"
        );
        assert_eq!(s3.object.borrow().as_ref().unwrap().0, bytes, "{why}");
        assert_eq!(
            *notices.borrow(),
            vec![ResumeNotice::StartedAfresh.user_message("big.bin")],
            "{why}"
        );
        // The old upload, if S3 may still hold it, is not left open.
        assert_eq!(s3.count("AbortMultipartUpload"), aborts, "{why}");
        assert!(records.stored.borrow().is_empty(), "{why}: no record left");
    }
}

/// S3 holds the first part of `held` under upload u1, remembered for big.bin of
/// `bytes`' size; `bytes` is then queued as big.bin. The S3, records, row and
/// notices.
fn resume_over_held_part(
    held: &[u8],
    bytes: &[u8],
) -> (Rc<FakeS3>, Rc<Records>, Rc<Row>, Vec<String>) {
    let s3 = Rc::new(FakeS3::new(Tamper::Nothing));
    let plan = s3::plan_parts(held.len() as u64, PREFERRED_PART_SIZE).unwrap();
    let first = plan.range(1).unwrap();
    s3.parts
        .borrow_mut()
        .insert(1, held[first.start as usize..first.end as usize].to_vec());
    let records = Rc::new(Records::default());
    let mut old = record(testing::NOW - 60);
    old.part_size = plan.part_size();
    let id = resume_id("private/x/big.bin", "big.bin", bytes.len() as u64, 1);
    records.stored.borrow_mut().insert(id, old.to_json());
    let (queue, notices) = queue_with(&s3, &records);
    let row = upload_big(&queue, bytes);
    let notices = notices.borrow().clone();
    (s3, records, row, notices)
}

#[test]
fn a_resumed_upload_reuses_the_parts_s3_holds_of_the_same_bytes() {
    let bytes = noise(3 * MULTIPART_THRESHOLD as usize);
    let (s3, records, row, notices) = resume_over_held_part(&bytes, &bytes);
    assert_eq!(row.state(), queue::UploadState::Done);
    assert_eq!(s3.count("ListParts"), 1);
    assert_eq!(s3.count("CreateMultipartUpload"), 0);
    assert_eq!(
        s3.count("UploadPart"),
        2,
        "the part S3 held is not sent again"
    );
    assert_eq!(s3.object.borrow().as_ref().unwrap().0, bytes);
    assert!(notices.is_empty() && row.note.borrow().is_none());
    assert!(records.stored.borrow().is_empty());
}

#[test]
fn a_file_changed_within_the_parts_sent_starts_afresh_and_is_never_stitched() {
    let before = noise(3 * MULTIPART_THRESHOLD as usize);
    let mut after = before.clone();
    // Same size, name and date: only the bytes of the part S3 holds differ.
    after[10] ^= 0xff;
    let (s3, records, row, notices) = resume_over_held_part(&before, &after);
    assert_eq!(row.state(), queue::UploadState::Done);
    assert_eq!(s3.count("ListParts"), 1);
    assert_eq!(
        s3.count("AbortMultipartUpload"),
        1,
        "the old upload is aborted"
    );
    assert_eq!(s3.count("CreateMultipartUpload"), 1, "a new one");
    assert_eq!(s3.count("UploadPart"), 3, "every part sent again");
    assert_eq!(s3.object.borrow().as_ref().unwrap().0, after);
    assert!(notices.is_empty(), "said in the row, not the page");
    assert_eq!(
        row.note.borrow().as_deref(),
        Some(ResumeNotice::FileChanged.user_message("big.bin").as_str())
    );
    assert!(records.stored.borrow().is_empty());
}

#[test]
fn network_errors_beyond_the_backoff_leave_the_upload_waiting_until_the_connection_is_back() {
    for offline in [false, true] {
        let s3 = Rc::new(FakeS3::new(Tamper::Nothing));
        // Two parts stored, then the network is gone.
        s3.faults_after.set(2);
        s3.parts_unreachable.set(true);
        s3.offline.set(offline);
        let records = Rc::new(Records::default());
        let (queue, notices) = queue_with(&s3, &records);
        let bytes = noise(5 * MULTIPART_THRESHOLD as usize);
        let row = queue_big(&queue, &bytes);
        assert!(run_tasks(200) > 0, "offline {offline}: still going");
        assert_eq!(
            row.state(),
            queue::UploadState::Uploading,
            "waits, not failed"
        );
        assert!(row.waiting.get(), "offline {offline}: says it waits");
        assert!(
            s3.count("UploadPart (no answer)") > 3 * cubby_core::retry::MAX_ATTEMPTS as usize,
            "offline {offline}: beyond the backoff schedule"
        );
        assert_eq!(s3.count("UploadPart"), 2);
        assert_eq!(s3.count("AbortMultipartUpload"), 0);
        assert_eq!(records.stored.borrow().len(), 1, "its record kept");

        s3.reconnect();
        assert_eq!(run_tasks(200), 0, "offline {offline}: every task ended");
        assert_eq!(row.state(), queue::UploadState::Done);
        assert!(!row.waiting.get());
        assert_eq!(s3.count("UploadPart"), 5, "each part stored once");
        assert_eq!(s3.count("CreateMultipartUpload"), 1, "the same upload");
        assert_eq!(s3.object.borrow().as_ref().unwrap().0, bytes);
        assert!(notices.borrow().is_empty());
    }
}

#[test]
fn a_paused_file_shows_the_bytes_stored() {
    let s3 = Rc::new(FakeS3::new(Tamper::Nothing));
    // One part stored; the others go out and hang.
    s3.faults_after.set(1);
    s3.hold.set(true);
    let (queue, _) = queue_with(&s3, &Rc::new(Records::default()));
    let (item, row) = queue_file(&queue, &noise(5 * MULTIPART_THRESHOLD as usize), "big.bin");
    run_tasks(50);
    assert!(
        row.sent.get() > MULTIPART_THRESHOLD,
        "parts in flight count"
    );
    item.pause();
    run_tasks(20);
    assert_eq!(row.state(), queue::UploadState::Paused);
    assert_eq!(item.bytes_stored(), MULTIPART_THRESHOLD);
    assert_eq!(row.sent.get(), item.bytes_stored(), "bar and words agree");
    s3.hold.set(false);
    item.resume();
    assert_eq!(run_tasks(100), 0);
    assert_eq!(row.state(), queue::UploadState::Done);
    assert_eq!(s3.count("UploadPart"), 5);
}

#[test]
fn a_failed_file_shows_what_is_stored_and_can_be_sent_again() {
    let s3 = Rc::new(FakeS3::new(Tamper::Nothing));
    let (queue, _) = queue_with(&s3, &Rc::new(Records::default()));
    let bytes = noise(3 * MULTIPART_THRESHOLD as usize);
    // Two parts stored, then S3 refuses for good: the upload is aborted, so
    // nothing of it is stored.
    s3.faults_after.set(2);
    s3.parts_refused.set(true);
    let (item, row) = queue_file(&queue, &bytes, "a.bin");
    assert_eq!(run_tasks(100), 0);
    assert!(matches!(row.state(), queue::UploadState::Failed(_)));
    assert_eq!(s3.count("AbortMultipartUpload"), 1);
    assert_eq!(row.sent.get(), 0, "the bar shows what S3 holds");

    // Retry: the same row, sent again.
    s3.parts_refused.set(false);
    queue.retry(item.id);
    assert_eq!(run_tasks(100), 0);
    assert_eq!(row.state(), queue::UploadState::Done);
    assert_eq!(s3.object.borrow().as_ref().unwrap().0, bytes);

    // Retry all.
    s3.faults_after.set(0);
    s3.parts_refused.set(true);
    let small = noise(2 * MULTIPART_THRESHOLD as usize);
    let rows = [
        queue_file(&queue, &small, "b.bin").1,
        queue_file(&queue, &small, "c.bin").1,
    ];
    assert_eq!(run_tasks(100), 0);
    assert!(rows
        .iter()
        .all(|r| matches!(r.state(), queue::UploadState::Failed(_))));
    s3.parts_refused.set(false);
    queue.retry_all();
    assert_eq!(run_tasks(200), 0);
    assert!(rows.iter().all(|r| r.state() == queue::UploadState::Done));

    // A failed file picked again: the new try takes the failed row's place.
    s3.parts_refused.set(true);
    let (failed, _) = queue_file(&queue, &small, "d.bin");
    assert_eq!(run_tasks(100), 0);
    s3.parts_refused.set(false);
    let (again, again_row) = queue_file(&queue, &small, "d.bin");
    assert_eq!(run_tasks(100), 0);
    assert_eq!(again_row.state(), queue::UploadState::Done);
    let for_d: Vec<u64> = queue
        .items()
        .iter()
        .filter(|i| i.key == "private/x/d.bin")
        .map(|i| i.id)
        .collect();
    assert_eq!(for_d, vec![again.id], "not {}", failed.id);
}

#[test]
fn the_summary_counts_files_bytes_and_time_left() {
    use summary::{FileProgress, QueueSummary, SpeedMeter};
    let mut meter = SpeedMeter::default();
    meter.sample(0.0, 0);
    assert_eq!(meter.bytes_per_second(), None, "not measured yet");
    meter.sample(2_000.0, 4 * MIB as u64);
    assert_eq!(meter.bytes_per_second(), Some(2 * MIB as u64));
    let states = [
        (
            10 * MIB as u64,
            10 * MIB as u64,
            queue::UploadState::Done,
            false,
        ),
        (
            20 * MIB as u64,
            4 * MIB as u64,
            queue::UploadState::Uploading,
            false,
        ),
        (20 * MIB as u64, 0, queue::UploadState::Waiting, false),
        (5 * MIB as u64, 0, queue::UploadState::Skipped, false),
    ];
    let files = || {
        states
            .iter()
            .map(|(size, sent, state, waiting)| FileProgress {
                size: *size,
                sent: *sent,
                state,
                waiting: *waiting,
            })
    };
    let summary = QueueSummary::of(files(), meter.bytes_per_second());
    assert_eq!(
        summary.line(),
        "1 of 3 done · 14 MB of 50 MB (28%) · 2.0 MB/s · 18 seconds left"
    );
    // A pause drops what is shown: the meter starts afresh.
    meter.sample(3_000.0, MIB as u64);
    assert_eq!(meter.bytes_per_second(), None);
}

#[test]
fn a_conflict_shows_both_files_and_an_answer_for_all_holds_for_the_rest() {
    let s3 = Rc::new(FakeS3::new(Tamper::Nothing));
    s3.names_taken.set(true);
    let asked = Rc::new(RefCell::new(Vec::new()));
    let heard = asked.clone();
    let queue = queue::UploadQueue::new(
        Rc::new(session(s3.clone())),
        Rc::new(Records::default()),
        queue::QueueHooks {
            spawn,
            ask: Rc::new(move |question| {
                heard.borrow_mut().push(question);
                Box::pin(async {
                    queue::ConflictAnswer {
                        choice: queue::Conflict::Skip,
                        for_all: true,
                    }
                })
            }),
            on_done: Rc::new(|| {}),
            notice: Rc::new(|message| panic!("no notice expected: {message}")),
            replaced: Rc::new(|message, _| panic!("nothing replaced: {message}")),
        },
    );
    let rows: Vec<Rc<Row>> = ["a.txt", "b.txt", "c.txt"]
        .iter()
        .map(|name| queue_file(&queue, &noise(10), name).1)
        .collect();
    assert_eq!(run_tasks(50), 0);
    assert!(rows
        .iter()
        .all(|r| r.state() == queue::UploadState::Skipped));
    assert_eq!(
        *asked.borrow(),
        vec![queue::ConflictQuestion {
            path: "a.txt".into(),
            stored_size: 7,
            stored_modified: Some(1_700_000_000),
            new_size: 10,
            new_modified: 1,
            more_to_come: true,
        }],
        "asked once, with both files"
    );
    // The answer held for that run of the queue only.
    queue_file(&queue, &noise(10), "d.txt");
    assert_eq!(run_tasks(50), 0);
    assert_eq!(asked.borrow().len(), 2);
    assert!(
        !asked.borrow()[1].more_to_come,
        "the only file: nothing to apply to"
    );
}

#[test]
fn parts_in_flight_when_the_device_goes_offline_are_given_up_and_waited_for() {
    let s3 = Rc::new(FakeS3::new(Tamper::Nothing));
    // One part stored; the others go out and get no answer (a stalled request).
    s3.faults_after.set(1);
    s3.hold.set(true);
    let (queue, _) = queue_with(&s3, &Rc::new(Records::default()));
    let bytes = noise(3 * MULTIPART_THRESHOLD as usize);
    let row = queue_big(&queue, &bytes);
    run_tasks(50);
    assert!(!row.waiting.get());
    s3.disconnect();
    s3.hold.set(false);
    s3.parts_unreachable.set(true);
    run_tasks(50);
    assert!(
        row.waiting.get(),
        "the stalled parts wait for the connection"
    );
    assert_eq!(row.state(), queue::UploadState::Uploading);
    s3.reconnect();
    assert_eq!(run_tasks(100), 0);
    assert_eq!(row.state(), queue::UploadState::Done);
    assert_eq!(s3.count("UploadPart"), 3, "each part stored once");
    assert_eq!(s3.object.borrow().as_ref().unwrap().0, bytes);
}
