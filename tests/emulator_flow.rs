//! The whole sign-in and storage flow against the local emulator, with the app's own
//! protocol core (`cubby_core`) as the client: authorize -> login form -> token ->
//! GetId -> GetCredentialsForIdentity -> signed S3 requests. Over real HTTP on
//! 127.0.0.1; the emulator verifies PKCE, tokens, SigV4 (s3s's implementation, not
//! aws-sigv4's) and the per-identity policy. At the end, the app's model (its
//! `Session` over a host transport) meets answers the emulator loses after carrying
//! the request out (`FaultKind::DropAnswer`).
#![cfg(not(target_arch = "wasm32"))]

use cubby::config::Config;
use cubby_core::credentials::Credentials;
use cubby_core::s3::{self, Bucket, Endpoint, RequestContext};
use cubby_core::secret::Secret;
use cubby_core::{id_token, identity, oauth, sts};
use cubby_emulator::EmulatorConfig;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

struct Env {
    emu: cubby_emulator::Emulator,
    config: Config,
    http: reqwest::Client,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.emu.config().data_dir);
    }
}

struct Session {
    identity_id: String,
    credentials: Credentials,
    tokens: oauth::TokenSet,
}

async fn env() -> Env {
    let dir = std::env::temp_dir().join(format!(
        "cubby-flow-{}-{}",
        std::process::id(),
        device_now().duration_since(UNIX_EPOCH).unwrap().as_nanos()
    ));
    let emu = cubby_emulator::start(EmulatorConfig::test(dir))
        .await
        .expect("emulator starts");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // The app reads config.json from its own origin.
    let text = http
        .get(format!("{}/config.json", emu.urls().app))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let config = Config::parse(&text).expect("the emulator's config.json parses");
    Env { emu, config, http }
}

/// The device clock. Host tests run against a live server, so they read the clock
/// here (the one place), as `web::clock` does in the app.
#[allow(clippy::disallowed_methods)]
fn device_now() -> SystemTime {
    SystemTime::now()
}

fn now_secs() -> u64 {
    device_now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Sends a core-built request and hands the response back to the core.
async fn send(http: &reqwest::Client, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
    let response = http
        .execute(reqwest::Request::try_from(request).unwrap())
        .await
        .unwrap();
    into_http(response).await
}

/// A reqwest response as the core's `http` type.
async fn into_http(response: reqwest::Response) -> http::Response<Vec<u8>> {
    let mut builder = http::Response::builder().status(response.status().as_u16());
    for (k, v) in response.headers() {
        builder = builder.header(k.as_str(), v.as_bytes());
    }
    let body = response.bytes().await.unwrap().to_vec();
    builder.body(body).unwrap()
}

/// The hidden and named inputs of the sign-in form, as a browser would submit them.
fn form_fields(html: &str) -> Vec<(String, String)> {
    let mut out = vec![];
    for input in html.split("<input").skip(1) {
        let tag = &input[..input.find('>').unwrap()];
        let attr = |name: &str| {
            let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
            let end = tag[start..].find('"')? + start;
            Some(
                tag[start..end]
                    .replace("&quot;", "\"")
                    .replace("&#39;", "'")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&"),
            )
        };
        if let Some(name) = attr("name") {
            out.push((name, attr("value").unwrap_or_default()));
        }
    }
    out
}

impl Env {
    fn logins_key(&self) -> String {
        identity::logins_key(&self.config.region, &self.config.user_pool_id)
    }

    fn identity_url(&self) -> String {
        self.config.cognito_identity_url()
    }

    fn bucket(&self) -> Bucket {
        Bucket::new(
            &self.config.bucket,
            &self.config.region,
            Endpoint::PathStyle {
                url: self.config.s3_endpoint.clone().unwrap(),
            },
        )
        .unwrap()
    }

    /// Browser part: open the authorize URL, fill in the form, return the callback
    /// query (what the Hosted UI redirected to).
    async fn browser_sign_in(&self, authorize_url: &str, username: &str, password: &str) -> String {
        let resp = self.http.get(authorize_url).send().await.unwrap();
        assert_eq!(resp.status(), 302);
        let login = resp.headers()["location"].to_str().unwrap().to_string();
        let page = self
            .http
            .get(format!("{}{}", self.config.hosted_ui_url, login))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut fields = form_fields(&page);
        for (name, value) in fields.iter_mut() {
            match name.as_str() {
                "username" => *value = username.to_string(),
                "password" => *value = password.to_string(),
                _ => {}
            }
        }
        let resp = self
            .http
            .post(format!("{}/login", self.config.hosted_ui_url))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 302, "{}", resp.text().await.unwrap());
        let location = resp.headers()["location"].to_str().unwrap().to_string();
        assert!(
            location.starts_with(&self.config.redirect_uri),
            "{location}"
        );
        location.split_once('?').unwrap().1.to_string()
    }

    async fn sign_in(&self, username: &str, password: &str) -> Session {
        let verifier = oauth::PkceVerifier::from_random_bytes(&[7u8; 32]).unwrap();
        let state = oauth::state_from_random_bytes(&[9u8; 16]).unwrap();
        let nonce = oauth::nonce_from_random_bytes(&[5u8; 16]).unwrap();
        let challenge = verifier.challenge();
        let url = oauth::authorize_url(&oauth::AuthorizeParams {
            hosted_ui: &self.config.hosted_ui_url,
            client_id: &self.config.client_id,
            redirect_uri: &self.config.redirect_uri,
            scopes: &self.config.scopes,
            state: &state,
            nonce: &nonce,
            code_challenge: &challenge,
            identity_provider: None,
            lang: None,
        });
        let callback = self.browser_sign_in(&url, username, password).await;
        let code = oauth::parse_callback(&callback, &state).unwrap();
        let request = oauth::build_code_exchange(
            &self.config.hosted_ui_url,
            &self.config.client_id,
            &code,
            &self.config.redirect_uri,
            &verifier,
        )
        .unwrap();
        let tokens = oauth::parse_token_response(send(&self.http, request).await).unwrap();
        let issuer = self.config.issuer();
        let claims = id_token::validate(
            tokens.id_token.expose(),
            &id_token::Expected {
                issuer: &issuer,
                client_id: &self.config.client_id,
                nonce: Some(&nonce),
            },
            now_secs(),
            60,
        )
        .unwrap();
        assert_eq!(claims.username.as_deref(), Some(username));

        let request = identity::build_get_id(
            &self.identity_url(),
            &self.config.identity_pool_id,
            &self.logins_key(),
            &tokens.id_token,
        )
        .unwrap();
        let identity_id = identity::parse_get_id(send(&self.http, request).await).unwrap();
        let request = identity::build_get_credentials_for_identity(
            &self.identity_url(),
            &identity_id,
            &self.logins_key(),
            &tokens.id_token,
        )
        .unwrap();
        let credentials =
            identity::parse_get_credentials_for_identity(send(&self.http, request).await).unwrap();
        Session {
            identity_id,
            credentials,
            tokens,
        }
    }

    async fn s3<T>(
        &self,
        request: Result<http::Request<Vec<u8>>, s3::S3Error>,
        parse: impl FnOnce(http::Response<Vec<u8>>) -> Result<T, s3::S3Error>,
    ) -> Result<T, s3::S3Error> {
        parse(send(&self.http, request.unwrap()).await)
    }
}

fn ctx<'a>(bucket: &'a Bucket, credentials: &'a Credentials) -> RequestContext<'a> {
    RequestContext {
        bucket,
        credentials,
        time: device_now(),
    }
}

fn put<'a>(key: &'a str, body: &[u8]) -> s3::PutObjectRequest<'a> {
    s3::PutObjectRequest {
        key,
        body: body.to_vec(),
        content_type: Some("text/plain"),
        if_none_match: false,
        unsigned_payload: false,
    }
}

#[tokio::test]
async fn sign_in_then_put_list_get_delete() {
    let env = env().await;
    assert_eq!(
        env.config.s3_endpoint.as_deref(),
        Some(env.emu.urls().s3.as_str())
    );
    let alice = env.sign_in("alice", "Alice-Password-1").await;
    assert!(alice.identity_id.starts_with("us-east-1:"));
    assert!(alice.credentials.access_key_id.starts_with("ASIA"));
    assert!(alice.credentials.expiration.unwrap() > now_secs() + 3500);
    let bucket = env.bucket();
    let c = ctx(&bucket, &alice.credentials);
    let prefix = format!("private/{}/", alice.identity_id);
    let key = format!("{prefix}notes/hello wörld+$&.txt");

    let out = env
        .s3(
            s3::build_put_object(&c, put(&key, b"Welcome to Amazon S3.")),
            s3::parse_put_object,
        )
        .await
        .unwrap();
    assert_eq!(
        out.etag.as_deref(),
        Some("\"d447d0e8f289f16a12ff6027ce77c258\"")
    );

    let page = env
        .s3(
            s3::build_list_objects(
                &c,
                &s3::ListObjectsRequest {
                    prefix: &prefix,
                    delimiter: Some("/"),
                    ..Default::default()
                },
            ),
            s3::parse_list_objects,
        )
        .await
        .unwrap();
    assert!(page.objects.is_empty());
    assert_eq!(page.common_prefixes, vec![format!("{prefix}notes/")]);
    let page = env
        .s3(
            s3::build_list_objects(
                &c,
                &s3::ListObjectsRequest {
                    prefix: &format!("{prefix}notes/"),
                    ..Default::default()
                },
            ),
            s3::parse_list_objects,
        )
        .await
        .unwrap();
    assert_eq!(page.objects.len(), 1);
    assert_eq!(page.objects[0].key, key);
    assert_eq!(page.objects[0].size, 21);

    let got = env
        .s3(s3::build_get_object(&c, &key, None), s3::parse_get_object)
        .await
        .unwrap();
    assert_eq!(got.body, b"Welcome to Amazon S3.");
    let part = env
        .s3(
            s3::build_get_object(
                &c,
                &key,
                Some(s3::ByteRange {
                    first: 0,
                    last: Some(6),
                }),
            ),
            s3::parse_get_object,
        )
        .await
        .unwrap();
    assert_eq!(part.body, b"Welcome");
    assert_eq!(part.content_range, Some((0, 6, Some(21))));

    // Conditional create refuses to overwrite.
    let mut again = put(&key, b"other");
    again.if_none_match = true;
    let err = env
        .s3(s3::build_put_object(&c, again), s3::parse_put_object)
        .await
        .unwrap_err();
    assert!(err.is_precondition_failed(), "{err:?}");

    let copy_key = format!("{prefix}copy.txt");
    env.s3(
        s3::build_copy_object(&c, &key, &copy_key, None, false),
        s3::parse_copy_object,
    )
    .await
    .unwrap();
    let deleted = env
        .s3(
            s3::build_delete_objects(&c, &[key.as_str(), copy_key.as_str()]),
            s3::parse_delete_objects,
        )
        .await
        .unwrap();
    assert!(deleted.failed.is_empty(), "{deleted:?}");
    env.s3(s3::build_delete_object(&c, &key), s3::parse_delete_object)
        .await
        .unwrap();
    // Gone: S3 answers 403 (not 404) without ListBucket on the key.
    let err = env
        .s3(s3::build_get_object(&c, &key, None), s3::parse_get_object)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
}

#[tokio::test]
async fn another_users_prefix_is_access_denied() {
    let env = env().await;
    let alice = env.sign_in("alice", "Alice-Password-1").await;
    let bob = env.sign_in("bob", "Bob-Password-2").await;
    assert_ne!(alice.identity_id, bob.identity_id);
    let bucket = env.bucket();
    let a = ctx(&bucket, &alice.credentials);
    let b = ctx(&bucket, &bob.credentials);
    let alice_key = format!("private/{}/secret.txt", alice.identity_id);
    let bob_key = format!("private/{}/mine.txt", bob.identity_id);
    env.s3(
        s3::build_put_object(&a, put(&alice_key, b"alice's")),
        s3::parse_put_object,
    )
    .await
    .unwrap();
    env.s3(
        s3::build_put_object(&b, put(&bob_key, b"bob's")),
        s3::parse_put_object,
    )
    .await
    .unwrap();

    let denied = |e: s3::S3Error| {
        assert_eq!(e.status(), Some(403), "{e:?}");
        assert_eq!(e.code(), Some("AccessDenied"), "{e:?}");
        assert_eq!(e.message(), Some("Access Denied"));
        assert!(e.request_id().is_some());
    };
    for prefix in [
        format!("private/{}/", alice.identity_id),
        "private/".into(),
        String::new(),
    ] {
        denied(
            env.s3(
                s3::build_list_objects(
                    &b,
                    &s3::ListObjectsRequest {
                        prefix: &prefix,
                        ..Default::default()
                    },
                ),
                s3::parse_list_objects,
            )
            .await
            .unwrap_err(),
        );
    }
    denied(
        env.s3(
            s3::build_get_object(&b, &alice_key, None),
            s3::parse_get_object,
        )
        .await
        .unwrap_err(),
    );
    // HEAD errors have no body: status only.
    let err = env
        .s3(s3::build_head_object(&b, &alice_key), s3::parse_head_object)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert!(err.is_access_denied());
    denied(
        env.s3(
            s3::build_put_object(&b, put(&alice_key, b"overwrite")),
            s3::parse_put_object,
        )
        .await
        .unwrap_err(),
    );
    denied(
        env.s3(
            s3::build_copy_object(&b, &alice_key, &bob_key, None, false),
            s3::parse_copy_object,
        )
        .await
        .unwrap_err(),
    );
    denied(
        env.s3(
            s3::build_copy_object(&b, &bob_key, &alice_key, None, false),
            s3::parse_copy_object,
        )
        .await
        .unwrap_err(),
    );
    denied(
        env.s3(
            s3::build_delete_object(&b, &alice_key),
            s3::parse_delete_object,
        )
        .await
        .unwrap_err(),
    );
    let out = env
        .s3(
            s3::build_delete_objects(&b, &[alice_key.as_str(), bob_key.as_str()]),
            s3::parse_delete_objects,
        )
        .await
        .unwrap();
    assert_eq!(out.failed.len(), 1, "{out:?}");
    assert_eq!(out.failed[0].key, alice_key);
    assert_eq!(out.failed[0].code, "AccessDenied");
    // Alice's object survived all of it.
    let got = env
        .s3(
            s3::build_get_object(&a, &alice_key, None),
            s3::parse_get_object,
        )
        .await
        .unwrap();
    assert_eq!(got.body, b"alice's");
}

#[tokio::test]
async fn tampered_signature_is_signature_does_not_match() {
    let env = env().await;
    let alice = env.sign_in("alice", "Alice-Password-1").await;
    let bucket = env.bucket();
    let c = ctx(&bucket, &alice.credentials);
    let key = format!("private/{}/t.txt", alice.identity_id);
    let mut request = s3::build_put_object(&c, put(&key, b"original")).unwrap();
    let auth = request.headers()["authorization"]
        .to_str()
        .unwrap()
        .to_string();
    let last = auth.chars().last().unwrap();
    let swapped = if last == '0' { '1' } else { '0' };
    let tampered = format!("{}{swapped}", &auth[..auth.len() - 1]);
    request
        .headers_mut()
        .insert("authorization", tampered.parse().unwrap());
    let err = s3::parse_put_object(send(&env.http, request).await).unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));

    // A signed header changed after signing.
    let mut request = s3::build_put_object(&c, put(&key, b"original")).unwrap();
    request
        .headers_mut()
        .insert("content-type", "text/html".parse().unwrap());
    let err = s3::parse_put_object(send(&env.http, request).await).unwrap_err();
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
}

#[tokio::test]
async fn expired_credentials_give_expired_token() {
    let env = env().await;
    let alice = env.sign_in("alice", "Alice-Password-1").await;
    let bucket = env.bucket();
    let key = format!("private/{}/e.txt", alice.identity_id);
    // An hour and a bit later, on both clocks.
    env.emu.control().shift_clock(3601);
    let c = RequestContext {
        bucket: &bucket,
        credentials: &alice.credentials,
        time: device_now() + Duration::from_secs(3601),
    };
    let err = env
        .s3(
            s3::build_put_object(&c, put(&key, b"late")),
            s3::parse_put_object,
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some("ExpiredToken"));
    assert_eq!(err.message(), Some("The provided token has expired."));

    // So is the id token: GetCredentialsForIdentity refuses it until a refresh.
    let request = identity::build_get_credentials_for_identity(
        &env.identity_url(),
        &alice.identity_id,
        &env.logins_key(),
        &alice.tokens.id_token,
    )
    .unwrap();
    let err =
        identity::parse_get_credentials_for_identity(send(&env.http, request).await).unwrap_err();
    assert!(err.is_not_authorized(), "{err:?}");
    assert!(err
        .message()
        .unwrap()
        .starts_with("Invalid login token. Token expired: "));

    let refresh = alice.tokens.refresh_token.clone().unwrap();
    let request =
        oauth::build_refresh(&env.config.hosted_ui_url, &env.config.client_id, &refresh).unwrap();
    let tokens = oauth::parse_token_response(send(&env.http, request).await).unwrap();
    let request = identity::build_get_credentials_for_identity(
        &env.identity_url(),
        &alice.identity_id,
        &env.logins_key(),
        &tokens.id_token,
    )
    .unwrap();
    let fresh =
        identity::parse_get_credentials_for_identity(send(&env.http, request).await).unwrap();
    let c = RequestContext {
        credentials: &fresh,
        ..c
    };
    env.s3(
        s3::build_put_object(&c, put(&key, b"late")),
        s3::parse_put_object,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn skewed_clock_gives_request_time_too_skewed_and_server_time_fixes_it() {
    let env = env().await;
    let alice = env.sign_in("alice", "Alice-Password-1").await;
    let bucket = env.bucket();
    let key = format!("private/{}/s.txt", alice.identity_id);
    // The server's clock is 20 minutes ahead of this device.
    env.emu.control().shift_clock(1200);
    let c = ctx(&bucket, &alice.credentials);
    let err = env
        .s3(
            s3::build_put_object(&c, put(&key, b"x")),
            s3::parse_put_object,
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("RequestTimeTooSkewed"));
    let server_time = err.server_time().expect("ServerTime in the error");
    let offset = server_time as i64 - now_secs() as i64;
    assert!((1190..=1210).contains(&offset), "{offset}");
    let c = RequestContext {
        time: s3::signing_time(device_now(), offset),
        ..c
    };
    env.s3(
        s3::build_put_object(&c, put(&key, b"x")),
        s3::parse_put_object,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn presigned_get_works_until_it_expires() {
    let env = env().await;
    let alice = env.sign_in("alice", "Alice-Password-1").await;
    let bucket = env.bucket();
    let c = ctx(&bucket, &alice.credentials);
    let key = format!("private/{}/share me.txt", alice.identity_id);
    env.s3(
        s3::build_put_object(&c, put(&key, b"shared")),
        s3::parse_put_object,
    )
    .await
    .unwrap();
    let url = s3::presign_get(&c, &key, 60, s3::Serve::Download("share me.txt")).unwrap();
    assert_eq!(url.expires_in_seconds, 60);
    let resp = env.http.get(&url.url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(resp.text().await.unwrap(), "shared");

    env.emu.control().shift_clock(61);
    let resp = env.http.get(&url.url).send().await.unwrap();
    assert_eq!(resp.status(), 403);
    let body = resp.text().await.unwrap();
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    assert!(
        body.contains("<Message>Request has expired</Message>"),
        "{body}"
    );
}

#[tokio::test]
async fn multipart_upload_through_the_core() {
    let env = env().await;
    let alice = env.sign_in("alice", "Alice-Password-1").await;
    let bucket = env.bucket();
    let c = ctx(&bucket, &alice.credentials);
    let key = format!("private/{}/big.bin", alice.identity_id);
    let upload_id = env
        .s3(
            s3::build_create_multipart_upload(&c, &key, Some("application/octet-stream")),
            s3::parse_create_multipart_upload,
        )
        .await
        .unwrap();
    assert_eq!(env.emu.control().stats().multipart_uploads.len(), 1);
    let first = vec![7u8; s3::MIN_PART_SIZE as usize];
    let mut parts = vec![];
    for (n, body, unsigned) in [(1u32, first.clone(), true), (2, b"end".to_vec(), false)] {
        let out = env
            .s3(
                s3::build_upload_part(&c, &key, &upload_id, n, body, unsigned),
                s3::parse_upload_part,
            )
            .await
            .unwrap();
        parts.push(s3::CompletedPart {
            part_number: n,
            etag: out.etag,
            checksum_crc32: out.checksum_crc32,
        });
    }
    // ListParts pages through what was uploaded, with the same ETags.
    let page = env
        .s3(
            s3::build_list_parts(&c, &key, &upload_id, None, Some(1)),
            s3::parse_list_parts,
        )
        .await
        .unwrap();
    assert_eq!(page.parts.len(), 1);
    assert!(page.is_truncated);
    assert_eq!(page.parts[0].etag, parts[0].etag);
    assert_eq!(page.parts[0].size, s3::MIN_PART_SIZE);
    let page = env
        .s3(
            s3::build_list_parts(&c, &key, &upload_id, page.next_part_number_marker, Some(1)),
            s3::parse_list_parts,
        )
        .await
        .unwrap();
    assert_eq!(page.parts.len(), 1);
    assert!(!page.is_truncated);
    assert_eq!((page.parts[0].part_number, page.parts[0].size), (2, 3));
    let done = env
        .s3(
            s3::build_complete_multipart_upload(&c, &key, &upload_id, &parts, false),
            s3::parse_complete_multipart_upload,
        )
        .await
        .unwrap();
    assert!(done.etag.ends_with("-2\""), "{}", done.etag);
    let meta = env
        .s3(s3::build_head_object(&c, &key), s3::parse_head_object)
        .await
        .unwrap();
    assert_eq!(meta.size, s3::MIN_PART_SIZE + 3);
    assert!(env.emu.control().stats().multipart_uploads.is_empty());
    assert_eq!(env.emu.control().stats().s3_requests["UploadPart"], 2);

    // Abort leaves nothing behind.
    let upload_id = env
        .s3(
            s3::build_create_multipart_upload(&c, &key, None),
            s3::parse_create_multipart_upload,
        )
        .await
        .unwrap();
    env.s3(
        s3::build_abort_multipart_upload(&c, &key, &upload_id),
        s3::parse_abort_multipart_upload,
    )
    .await
    .unwrap();
    assert!(env.emu.control().stats().multipart_uploads.is_empty());
    let err = env
        .s3(
            s3::build_upload_part(&c, &key, &upload_id, 1, b"late".to_vec(), false),
            s3::parse_upload_part,
        )
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn basic_flow_through_sts() {
    let env = env().await;
    let alice = env.sign_in("alice", "Alice-Password-1").await;
    let request = identity::build_get_open_id_token(
        &env.identity_url(),
        &alice.identity_id,
        &env.logins_key(),
        &alice.tokens.id_token,
    )
    .unwrap();
    let token = identity::parse_get_open_id_token(send(&env.http, request).await).unwrap();
    assert_eq!(token.identity_id, alice.identity_id);
    let sts_url = format!("{}/", env.config.sts_url());
    let role = env.emu.config().authenticated_role_arn.clone();
    let request = sts::build_assume_role_with_web_identity(&sts::AssumeRoleWithWebIdentity {
        endpoint: &sts_url,
        role_arn: &role,
        role_session_name: "cubby-test",
        web_identity_token: &token.token,
        duration_seconds: Some(900),
    })
    .unwrap();
    let creds = sts::parse_assume_role_with_web_identity(send(&env.http, request).await).unwrap();
    let exp = creds.expiration.unwrap();
    assert!(
        (now_secs() + 890..=now_secs() + 910).contains(&exp),
        "{exp}"
    );
    let bucket = env.bucket();
    let c = ctx(&bucket, &creds);
    let key = format!("private/{}/via-sts.txt", alice.identity_id);
    env.s3(
        s3::build_put_object(&c, put(&key, b"sts")),
        s3::parse_put_object,
    )
    .await
    .unwrap();

    let forged = Secret::new(format!("{}x", token.token.expose()));
    let request = sts::build_assume_role_with_web_identity(&sts::AssumeRoleWithWebIdentity {
        endpoint: &sts_url,
        role_arn: &role,
        role_session_name: "cubby-test",
        web_identity_token: &forged,
        duration_seconds: None,
    })
    .unwrap();
    let err = sts::parse_assume_role_with_web_identity(send(&env.http, request).await).unwrap_err();
    assert_eq!(err.code(), Some("InvalidIdentityToken"));
}

#[tokio::test]
async fn refresh_then_revoke() {
    let env = env().await;
    let alice = env.sign_in("alice", "Alice-Password-1").await;
    let refresh = alice.tokens.refresh_token.clone().unwrap();
    let ui = env.config.hosted_ui_url.clone();
    let request = oauth::build_refresh(&ui, &env.config.client_id, &refresh).unwrap();
    let tokens = oauth::parse_token_response(send(&env.http, request).await).unwrap();
    assert_ne!(tokens.id_token, alice.tokens.id_token);
    // The emulator rotates refresh tokens as the template's app client does; the
    // replaced one works for the grace period, until the sign-in is revoked.
    let rotated = tokens.refresh_token.expect("a rotated refresh token");
    assert_ne!(rotated, refresh);

    let request = oauth::build_revoke(&ui, &refresh, &env.config.client_id).unwrap();
    oauth::parse_revoke_response(send(&env.http, request).await).unwrap();
    let request = oauth::build_refresh(&ui, &env.config.client_id, &refresh).unwrap();
    let err = oauth::parse_token_response(send(&env.http, request).await).unwrap_err();
    assert!(err.is_invalid_grant(), "{err:?}");
}

#[tokio::test]
async fn code_is_bound_to_the_pkce_verifier() {
    let env = env().await;
    let verifier = oauth::PkceVerifier::from_random_bytes(&[1u8; 32]).unwrap();
    let other = oauth::PkceVerifier::from_random_bytes(&[2u8; 32]).unwrap();
    let challenge = verifier.challenge();
    let url = oauth::authorize_url(&oauth::AuthorizeParams {
        hosted_ui: &env.config.hosted_ui_url,
        client_id: &env.config.client_id,
        redirect_uri: &env.config.redirect_uri,
        scopes: &env.config.scopes,
        state: "s",
        nonce: "n",
        code_challenge: &challenge,
        identity_provider: None,
        lang: None,
    });
    let callback = env.browser_sign_in(&url, "bob", "Bob-Password-2").await;
    let code = oauth::parse_callback(&callback, "s").unwrap();
    let exchange = |v: &oauth::PkceVerifier| {
        oauth::build_code_exchange(
            &env.config.hosted_ui_url,
            &env.config.client_id,
            &code,
            &env.config.redirect_uri,
            v,
        )
        .unwrap()
    };
    let err = oauth::parse_token_response(send(&env.http, exchange(&other)).await).unwrap_err();
    assert!(err.is_invalid_grant(), "{err:?}");
    // Single use: the right verifier is too late now.
    let err = oauth::parse_token_response(send(&env.http, exchange(&verifier)).await).unwrap_err();
    assert!(err.is_invalid_grant(), "{err:?}");
}

// ------------------------------------------------------------ lost answers

mod lost_answers {
    //! Writes whose answer the emulator drops after carrying them out: the app's
    //! model retries, meets its own first attempt (412, NoSuchUpload, keys already
    //! deleted) and reports the outcome S3 holds, once; a real conflict stays one.

    use super::*;
    use cubby::model::listing::{Entry, EntryKind};
    use cubby::model::session::{CallError, Env as ModelEnv, LocalOnly, Session as ModelSession};
    use cubby::model::testing::{tokens, FAR};
    use cubby::model::transfers::{self, ByteSource, UploadControl, UploadError, UploadOptions};
    use cubby::model::transport::{
        send_plainly, LocalFuture, NetworkError, SendOptions, SendResult, Transport,
    };
    use cubby::model::{files, reading};
    use cubby_emulator::FaultKind;
    use std::rc::Rc;

    /// The model's transport over reqwest: a dropped connection is a
    /// `NetworkError`, as `fetch` failing is in the browser.
    struct Reqwest(reqwest::Client);

    impl Transport for Reqwest {
        fn send(
            &self,
            request: http::Request<Vec<u8>>,
            options: SendOptions,
        ) -> LocalFuture<'_, SendResult> {
            let http = self.0.clone();
            send_plainly(request, &options, move |request| {
                Box::pin(async move {
                    match http
                        .execute(reqwest::Request::try_from(request).unwrap())
                        .await
                    {
                        Ok(response) => Ok(into_http(response).await),
                        Err(e) => Err(NetworkError(e.to_string())),
                    }
                })
            })
        }
    }

    /// Alice signed in through the emulator, as the app's model session (backoff
    /// waits a millisecond).
    async fn model_session(env: &Env) -> ModelSession {
        let alice = env.sign_in("alice", "Alice-Password-1").await;
        let model_env = ModelEnv {
            now: device_now,
            sleep: |_| Box::pin(tokio::time::sleep(Duration::from_millis(1))),
            random_fraction: || 0.5,
        };
        ModelSession::new(
            Rc::new(env.config.clone()),
            Rc::new(Reqwest(env.http.clone())),
            model_env,
            tokens("refresh", 0, FAR),
            alice.identity_id,
            Some(alice.credentials),
            Rc::new(LocalOnly),
        )
        .unwrap()
    }

    fn file(key: &str, size: u64) -> Entry {
        Entry {
            name: key.rsplit('/').next().unwrap().to_string(),
            key: key.to_string(),
            kind: EntryKind::File,
            size,
            last_modified: None,
        }
    }

    /// The bytes stored at `key`.
    async fn stored(session: &ModelSession, key: &str) -> Vec<u8> {
        reading::read_start(session, key, 1 << 30, None)
            .await
            .unwrap()
    }

    /// S3 requests of `operation` so far.
    fn requests(env: &Env, operation: &str) -> u64 {
        let stats = env.emu.control().stats();
        stats.s3_requests.get(operation).copied().unwrap_or(0)
    }

    #[tokio::test]
    async fn a_conditional_put_whose_answer_was_lost_is_stored_once_and_not_a_conflict() {
        let env = env().await;
        let session = model_session(&env).await;
        let key = format!("{}report.txt", session.root_prefix());
        let control = env.emu.control();
        control.fail_next(1, FaultKind::DropAnswer, Some("PutObject"));
        let put = files::put_bytes(&session, &key, b"the report".to_vec(), None, true).await;
        assert!(put.is_ok(), "the upload was carried out: {put:?}");
        assert_eq!(
            requests(&env, "PutObject"),
            2,
            "sent again after the lost answer"
        );
        assert_eq!(requests(&env, "HeadObject"), 1, "the 412 was checked");
        assert_eq!(stored(&session, &key).await, b"the report");
        let keys = files::all_keys_under(&session, &session.root_prefix())
            .await
            .unwrap();
        assert_eq!(keys, vec![key.clone()], "one object");

        // Something else at that name is a real conflict, lost answer or not.
        control.fail_next(1, FaultKind::DropAnswer, Some("PutObject"));
        let put = files::put_bytes(&session, &key, b"another text".to_vec(), None, true).await;
        match put {
            Err(CallError::S3(e)) if e.is_precondition_failed() => {}
            other => panic!("a real conflict is reported: {other:?}"),
        }
        assert_eq!(stored(&session, &key).await, b"the report", "left alone");
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

    async fn upload(session: &ModelSession, key: &str, bytes: &[u8]) -> Result<(), UploadError> {
        transfers::upload(
            session,
            &Memory(bytes.to_vec()),
            key,
            UploadOptions {
                overwrite: false,
                resume: None,
                parts_in_flight: 2,
            },
            Rc::new(|_| {}),
            &UploadControl::new(),
        )
        .await
    }

    #[tokio::test]
    async fn a_completed_multipart_upload_whose_answer_was_lost_is_done() {
        let env = env().await;
        let session = model_session(&env).await;
        let key = format!("{}big.bin", session.root_prefix());
        let bytes: Vec<u8> = (0..transfers::MULTIPART_THRESHOLD as usize * 2 + 5)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let control = env.emu.control();
        control.fail_next(1, FaultKind::DropAnswer, Some("CompleteMultipartUpload"));
        let result = upload(&session, &key, &bytes).await;
        assert!(result.is_ok(), "the upload completed: {result:?}");
        assert_eq!(requests(&env, "CompleteMultipartUpload"), 2);
        assert_eq!(requests(&env, "CreateMultipartUpload"), 1, "one upload");
        assert_eq!(requests(&env, "AbortMultipartUpload"), 0);
        assert!(
            control.stats().multipart_uploads.is_empty(),
            "none left open"
        );
        assert!(
            stored(&session, &key).await == bytes,
            "stored byte for byte"
        );

        // A name taken by another object stays a conflict.
        control.fail_next(1, FaultKind::DropAnswer, Some("CompleteMultipartUpload"));
        let other: Vec<u8> = bytes.iter().map(|b| b ^ 1).collect();
        match upload(&session, &key, &other).await {
            Err(UploadError::Call(CallError::S3(e)))
                if e.is_precondition_failed() || e.code() == Some("NoSuchUpload") => {}
            other => panic!("a real conflict is reported: {other:?}"),
        }
        assert!(stored(&session, &key).await == bytes, "left alone");
        assert!(
            control.stats().multipart_uploads.is_empty(),
            "none left open"
        );
    }

    #[tokio::test]
    async fn a_move_whose_copy_answer_was_lost_leaves_one_copy() {
        let env = env().await;
        let session = model_session(&env).await;
        let root = session.root_prefix();
        let (from, to) = (format!("{root}a.txt"), format!("{root}moved/a.txt"));
        files::put_bytes(&session, &from, b"moving".to_vec(), None, true)
            .await
            .unwrap();
        let control = env.emu.control();
        control.fail_next(1, FaultKind::DropAnswer, Some("CopyObject"));
        let moved = files::move_entry(&session, &file(&from, 6), &to).await;
        assert!(moved.is_ok(), "the move was carried out: {moved:?}");
        assert_eq!(requests(&env, "CopyObject"), 2);
        let keys = files::all_keys_under(&session, &root).await.unwrap();
        assert_eq!(keys, vec![to.clone()], "the original went, no third copy");
        assert_eq!(stored(&session, &to).await, b"moving");

        // The target taken by another object: a real conflict, nothing deleted.
        let other = format!("{root}b.txt");
        files::put_bytes(&session, &other, b"other!".to_vec(), None, true)
            .await
            .unwrap();
        control.fail_next(1, FaultKind::DropAnswer, Some("CopyObject"));
        match files::move_entry(&session, &file(&other, 6), &to).await {
            Err(CallError::S3(e)) if e.is_precondition_failed() => {}
            other => panic!("a real conflict is reported: {other:?}"),
        }
        assert_eq!(stored(&session, &to).await, b"moving");
        assert_eq!(stored(&session, &other).await, b"other!");
    }

    #[tokio::test]
    async fn a_delete_whose_answer_was_lost_reports_no_failure() {
        let env = env().await;
        let session = model_session(&env).await;
        let root = session.root_prefix();
        for name in ["f/1.txt", "f/2.txt", "f/3.txt"] {
            files::put_bytes(
                &session,
                &format!("{root}{name}"),
                b"x".to_vec(),
                None,
                true,
            )
            .await
            .unwrap();
        }
        let folder = Entry {
            name: "f".into(),
            key: format!("{root}f/"),
            kind: EntryKind::Folder,
            size: 0,
            last_modified: None,
        };
        env.emu
            .control()
            .fail_next(1, FaultKind::DropAnswer, Some("DeleteObjects"));
        let deleted = files::delete_entry(&session, &folder).await;
        assert!(deleted.is_ok(), "deleted, none failed: {deleted:?}");
        assert_eq!(requests(&env, "DeleteObjects"), 2);
        assert!(files::all_keys_under(&session, &root)
            .await
            .unwrap()
            .is_empty());
    }
}

// ------------------------------------------------------------ a lost session

mod lost_session {
    //! The service forgets the credentials it issued (as after losing its session
    //! store): the app's model gets new ones silently and the call succeeds.

    use super::*;
    use cubby::model::auth::Tokens;
    use cubby::model::files;
    use cubby::model::session::{Env as ModelEnv, LocalOnly, Session as ModelSession};
    use cubby::model::transport::{
        send_plainly, LocalFuture, NetworkError, SendOptions, SendResult, Transport,
    };
    use std::cell::Cell;
    use std::rc::Rc;

    /// The model's transport over reqwest, counting GetCredentialsForIdentity calls.
    struct Counting {
        http: reqwest::Client,
        credentials_requests: Cell<u32>,
    }

    impl Transport for Counting {
        fn send(
            &self,
            request: http::Request<Vec<u8>>,
            options: SendOptions,
        ) -> LocalFuture<'_, SendResult> {
            let target = request.headers().get("x-amz-target");
            if target.is_some_and(|t| t.as_bytes().ends_with(b".GetCredentialsForIdentity")) {
                self.credentials_requests
                    .set(self.credentials_requests.get() + 1);
            }
            let http = self.http.clone();
            send_plainly(request, &options, move |request| {
                Box::pin(async move {
                    match http
                        .execute(reqwest::Request::try_from(request).unwrap())
                        .await
                    {
                        Ok(response) => Ok(into_http(response).await),
                        Err(e) => Err(NetworkError(e.to_string())),
                    }
                })
            })
        }
    }

    #[tokio::test]
    async fn forgotten_credentials_are_fetched_again_silently_and_the_call_succeeds() {
        let env = env().await;
        let alice = env.sign_in("alice", "Alice-Password-1").await;
        let transport = Rc::new(Counting {
            http: env.http.clone(),
            credentials_requests: Cell::new(0),
        });
        let tokens = Tokens {
            claims: id_token::decode(alice.tokens.id_token.expose()).unwrap(),
            id_token: alice.tokens.id_token.clone(),
            refresh_token: alice.tokens.refresh_token.clone().unwrap(),
            keep_signed_in: false,
        };
        let session = ModelSession::new(
            Rc::new(env.config.clone()),
            transport.clone(),
            ModelEnv {
                now: device_now,
                sleep: |_| Box::pin(tokio::time::sleep(Duration::from_millis(1))),
                random_fraction: || 0.5,
            },
            tokens,
            alice.identity_id,
            Some(alice.credentials),
            Rc::new(LocalOnly),
        )
        .unwrap();
        let root = session.root_prefix();
        files::put_bytes(&session, &format!("{root}a.txt"), b"a".to_vec(), None, true)
            .await
            .unwrap();
        assert_eq!(transport.credentials_requests.get(), 0);

        let control = env.emu.control();
        control.forget_credentials();
        control.reset_stats();
        let page = files::list_page(&session, &root, None).await;
        let page = page.expect("the listing succeeds after a silent refetch");
        let names: Vec<&str> = page.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a.txt"]);
        assert_eq!(
            transport.credentials_requests.get(),
            1,
            "exactly one GetCredentialsForIdentity"
        );
        let lists = control.stats().s3_requests.get("ListObjectsV2").copied();
        assert_eq!(lists, Some(2), "refused once, then sent again once");
        assert_eq!(
            control.stats().token_requests.get("refresh_token"),
            None,
            "the id token was still good: no token refresh"
        );
    }
}
