//! A native S3 client for baselines measured against the app in the same run: the
//! app's own protocol core (`cubby_core`) over blocking HTTP, uploading with the
//! app's part size and number of parts in flight, downloading by presigned GET.
#![allow(dead_code)]

use super::stack::Stack;
use super::webdriver::Browser;
use cubby::config::Config;
use cubby_core::credentials::Credentials;
use cubby_core::encoding::base64_encode;
use cubby_core::s3::{self, Bucket, CompletedPart, RequestContext};
use cubby_core::{identity, secret::Secret};
use serde_json::{json, Value};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

pub struct NativeClient {
    pub config: Config,
    bucket: Bucket,
    credentials: Credentials,
    identity_id: String,
    agent: ureq::Agent,
}

/// How long a native multipart upload took.
#[derive(Clone, Copy, Debug)]
pub struct UploadTimes {
    /// CreateMultipartUpload sent to CompleteMultipartUpload answered.
    pub whole: Duration,
    /// First UploadPart sent to CompleteMultipartUpload answered.
    pub parts_to_complete: Duration,
}

/// The device clock for signing: host code talking to a live server.
#[allow(clippy::disallowed_methods)]
fn now() -> SystemTime {
    SystemTime::now()
}

impl NativeClient {
    /// Temporary credentials for the user signed in in `browser`, obtained as the
    /// app obtains them: the id token it stored, through Cognito Identity's GetId
    /// and GetCredentialsForIdentity.
    pub fn for_signed_in_user(stack: &Stack, browser: &Browser) -> NativeClient {
        let config = Config::parse(&stack.emulator.app_config().to_string())
            .expect("the emulator's config.json parses");
        let bucket = cubby::model::session::bucket_for(&config).expect("a valid bucket");
        let stored = browser.execute(
            "return sessionStorage.getItem('cubby.tokens') || localStorage.getItem('cubby.tokens')",
            json!([]),
        );
        let stored: Value = serde_json::from_str(stored.as_str().expect("stored tokens"))
            .expect("stored tokens are JSON");
        let id_token = Secret::new(stored["id_token"].as_str().expect("an id token"));
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(600))
            .build();
        let endpoint = config.cognito_identity_url();
        let logins = identity::logins_key(&config.region, &config.user_pool_id);
        let request =
            identity::build_get_id(&endpoint, &config.identity_pool_id, &logins, &id_token)
                .unwrap();
        let identity_id = identity::parse_get_id(send(&agent, request)).expect("GetId");
        let request = identity::build_get_credentials_for_identity(
            &endpoint,
            &identity_id,
            &logins,
            &id_token,
        )
        .unwrap();
        let credentials = identity::parse_get_credentials_for_identity(send(&agent, request))
            .expect("GetCredentialsForIdentity");
        NativeClient {
            config,
            bucket,
            credentials,
            identity_id,
            agent,
        }
    }

    /// The temporary credentials and identity id, for a peer page the bench
    /// hands them to (the same ones this client signs with).
    pub fn credentials(&self) -> (&Credentials, &str) {
        (&self.credentials, &self.identity_id)
    }

    /// The key of `name` in the user's folder.
    pub fn key(&self, name: &str) -> String {
        format!("private/{}/{name}", self.identity_id)
    }

    fn ctx(&self) -> RequestContext<'_> {
        RequestContext {
            bucket: &self.bucket,
            credentials: &self.credentials,
            time: now(),
        }
    }

    /// Uploads the file at `path` to `key` as the app does: multipart with parts of
    /// `part_size` (CRC32 per part, unsigned payload: the request the app signs),
    /// `in_flight` parts at a time, each part read from disk when its turn comes.
    pub fn upload(&self, path: &Path, key: &str, part_size: u64, in_flight: usize) -> UploadTimes {
        let size = std::fs::metadata(path).unwrap().len();
        let plan = s3::plan_parts(size, part_size).expect("a part plan");
        let started = Instant::now();
        let request = s3::build_create_multipart_upload(&self.ctx(), key, None).unwrap();
        let upload_id =
            s3::parse_create_multipart_upload(send(&self.agent, request)).expect("Create");
        let next = AtomicU32::new(1);
        let done = Mutex::new(Vec::new());
        let first_part = Mutex::new(None::<Instant>);
        std::thread::scope(|scope| {
            for _ in 0..in_flight {
                scope.spawn(|| {
                    let mut file = std::fs::File::open(path).unwrap();
                    loop {
                        let number = next.fetch_add(1, Ordering::SeqCst);
                        let Some(range) = plan.range(number) else {
                            return;
                        };
                        let mut body = vec![0u8; (range.end - range.start) as usize];
                        file.seek(SeekFrom::Start(range.start)).unwrap();
                        file.read_exact(&mut body).unwrap();
                        // A native client checksums with the CPU's CRC instructions.
                        let checksum = base64_encode(&crc32fast::hash(&body).to_be_bytes());
                        let request = s3::build_upload_part_detached(
                            &self.ctx(),
                            key,
                            &upload_id,
                            number,
                            &checksum,
                        )
                        .unwrap()
                        .map(|_| body);
                        first_part.lock().unwrap().get_or_insert_with(Instant::now);
                        let out = s3::parse_upload_part(send(&self.agent, request))
                            .unwrap_or_else(|e| panic!("UploadPart {number}: {e}"));
                        done.lock().unwrap().push(CompletedPart {
                            part_number: number,
                            etag: out.etag,
                            checksum_crc32: out.checksum_crc32,
                        });
                    }
                });
            }
        });
        let mut parts = done.into_inner().unwrap();
        parts.sort_by_key(|p| p.part_number);
        assert_eq!(parts.len() as u32, plan.part_count(), "every part uploaded");
        let request =
            s3::build_complete_multipart_upload(&self.ctx(), key, &upload_id, &parts, false)
                .unwrap();
        s3::parse_complete_multipart_upload(send(&self.agent, request)).expect("Complete");
        let first_part = first_part.into_inner().unwrap().expect("a part was sent");
        UploadTimes {
            whole: started.elapsed(),
            parts_to_complete: first_part.elapsed(),
        }
    }

    /// Stores `body` at `key` in one PUT, as any S3 client may (keys the app would
    /// not make itself included).
    pub fn put(&self, key: &str, body: &[u8]) {
        let request = s3::build_put_object(
            &self.ctx(),
            s3::PutObjectRequest {
                key,
                body: body.to_vec(),
                content_type: None,
                if_none_match: false,
                unsigned_payload: false,
            },
        )
        .unwrap();
        s3::parse_put_object(send(&self.agent, request))
            .unwrap_or_else(|e| panic!("PUT {key:?}: {e}"));
    }

    /// A presigned GET of `key` saved as `filename`: the URL the app's Download
    /// button navigates to.
    pub fn presigned_download_url(&self, key: &str, filename: &str) -> String {
        s3::presign_get(&self.ctx(), key, 600, s3::Serve::Download(filename))
            .expect("a presigned URL")
            .url
    }

    /// The `Content-Type` stored with `key` (HeadObject).
    pub fn stored_content_type(&self, key: &str) -> Option<String> {
        let request = s3::build_head_object(&self.ctx(), key).unwrap();
        s3::parse_head_object(send(&self.agent, request))
            .expect("HeadObject")
            .content_type
    }

    /// GETs `url` into the file `to`; returns the bytes written.
    pub fn download(&self, url: &str, to: &Path) -> u64 {
        let response = self.agent.get(url).call().expect("the GET succeeds");
        let mut out =
            std::io::BufWriter::with_capacity(1024 * 1024, std::fs::File::create(to).unwrap());
        let n = std::io::copy(&mut response.into_reader(), &mut out).unwrap();
        std::io::Write::flush(&mut out).unwrap();
        n
    }
}

/// Sends a core-built request and hands the answer back for the core to parse.
fn send(agent: &ureq::Agent, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
    let (parts, body) = request.into_parts();
    let mut call = agent.request(parts.method.as_str(), &parts.uri.to_string());
    for (name, value) in &parts.headers {
        call = call.set(name.as_str(), value.to_str().expect("ASCII header"));
    }
    let response = match call.send_bytes(&body) {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{} {}: {e}", parts.method, parts.uri),
    };
    let mut builder = http::Response::builder().status(response.status());
    for name in response.headers_names() {
        for value in response.all(&name) {
            builder = builder.header(name.as_str(), value);
        }
    }
    let mut bytes = Vec::new();
    response.into_reader().read_to_end(&mut bytes).unwrap();
    builder.body(bytes).unwrap()
}
