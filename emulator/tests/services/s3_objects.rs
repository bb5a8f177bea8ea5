//! S3 object operations over real HTTP, signed with `aws-sigv4`: put, list, get,
//! delete, per-user prefixes, conditional writes, pagination, folder markers.

use crate::support::sigv4::*;
use crate::support::*;
use std::time::SystemTime;

#[tokio::test]
async fn put_list_and_get_stay_within_each_users_prefix() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let (bob, bc) = env.signed_in("bob", "Bob-Password-2").await;
    let key = format!("private/{alice}/docs/hello world $.txt");
    let encoded = key
        .replace(' ', "%20")
        .replace('$', "%24")
        .replace(':', "%3A");
    let mut put = s3req("PUT", env.s3_url(&encoded));
    put.body = b"Welcome to Amazon S3.".to_vec();
    put.headers.push(("content-type", "text/plain".into()));
    let (s, h, body) = env.s3(&ac, put).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(h["etag"], "\"d447d0e8f289f16a12ff6027ce77c258\"");

    let list_url = |prefix: &str| {
        format!(
            "{}?list-type=2&prefix={}",
            env.s3_url("").trim_end_matches('/'),
            prefix.replace(':', "%3A").replace('/', "%2F")
        )
    };
    let (s, _, xml) = env
        .s3(&ac, s3req("GET", list_url(&format!("private/{alice}/"))))
        .await;
    assert_eq!(s, 200, "{xml}");
    assert_eq!(tag(&xml, "Key"), key);
    assert_eq!(tag(&xml, "KeyCount"), "1");

    let (s, h, body) = env.s3(&ac, s3req("GET", env.s3_url(&encoded))).await;
    assert_eq!((s, body.as_str()), (200, "Welcome to Amazon S3."));
    assert_eq!(h["content-type"], "text/plain");
    assert!(h.contains_key("x-amz-request-id"));

    // Bob: list, get, put, delete in Alice's prefix are denied.
    let denied = |s: u16, xml: &str| {
        assert_eq!(s, 403, "{xml}");
        assert_eq!(tag(xml, "Code"), "AccessDenied");
        assert_eq!(tag(xml, "Message"), "Access Denied");
        assert_eq!(tag(xml, "RequestId").len(), 16);
    };
    let (s, _, xml) = env
        .s3(&bc, s3req("GET", list_url(&format!("private/{alice}/"))))
        .await;
    denied(s, &xml);
    let (s, _, xml) = env.s3(&bc, s3req("GET", list_url("private/"))).await;
    denied(s, &xml);
    let (s, _, xml) = env
        .s3(
            &bc,
            s3req(
                "GET",
                format!("{}?list-type=2", env.s3_url("").trim_end_matches('/')),
            ),
        )
        .await;
    denied(s, &xml);
    let (s, _, xml) = env.s3(&bc, s3req("GET", env.s3_url(&encoded))).await;
    denied(s, &xml);
    let mut put = s3req("PUT", env.s3_url(&format!("private/{alice}/x")));
    put.body = b"x".to_vec();
    let (s, _, xml) = env.s3(&bc, put).await;
    denied(s, &xml);
    let (s, _, xml) = env.s3(&bc, s3req("DELETE", env.s3_url(&encoded))).await;
    denied(s, &xml);
    // Copy from Alice's prefix into Bob's, and from Bob's into Alice's.
    let mut copy = s3req("PUT", env.s3_url(&format!("private/{bob}/stolen")));
    copy.headers.push((
        "x-amz-copy-source",
        format!("{}/{}", env.emu.config().bucket, encoded),
    ));
    let (s, _, xml) = env.s3(&bc, copy).await;
    denied(s, &xml);
    let mut put = s3req("PUT", env.s3_url(&format!("private/{bob}/mine")));
    put.body = b"bob".to_vec();
    assert_eq!(env.s3(&bc, put).await.0, 200);
    let mut copy = s3req("PUT", env.s3_url(&format!("private/{alice}/gift")));
    copy.headers.push((
        "x-amz-copy-source",
        format!("{}/private/{bob}/mine", env.emu.config().bucket),
    ));
    let (s, _, xml) = env.s3(&bc, copy).await;
    denied(s, &xml);
    // Alice copies within her prefix.
    let mut copy = s3req("PUT", env.s3_url(&format!("private/{alice}/copy.txt")));
    copy.headers.push((
        "x-amz-copy-source",
        format!("{}/{}", env.emu.config().bucket, encoded),
    ));
    let (s, _, xml) = env.s3(&ac, copy).await;
    assert_eq!(s, 200, "{xml}");
    assert!(xml.contains("CopyObjectResult"));
    // A missing key in one's own prefix reads as AccessDenied (no ListBucket on it).
    let (s, _, xml) = env
        .s3(
            &ac,
            s3req("GET", env.s3_url(&format!("private/{alice}/missing"))),
        )
        .await;
    denied(s, &xml);
}

#[tokio::test]
async fn delete_objects_authorises_each_key_and_accepts_crc32_or_md5() {
    use base64::Engine as _;
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let (bob, bc) = env.signed_in("bob", "Bob-Password-2").await;
    for (who, creds) in [(&alice, &ac), (&bob, &bc)] {
        let mut put = s3req("PUT", env.s3_url(&format!("private/{who}/a.txt")));
        put.body = b"a".to_vec();
        assert_eq!(env.s3(creds, put).await.0, 200);
    }
    let body = format!(
        "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Object><Key>private/{alice}/a.txt</Key></Object><Object><Key>private/{bob}/a.txt</Key></Object></Delete>"
    );
    let url = format!("{}?delete", env.s3_url("").trim_end_matches('/'));
    let crc = base64::engine::general_purpose::STANDARD
        .encode(crc32fast::hash(body.as_bytes()).to_be_bytes());
    let mut req = s3req("POST", url.clone());
    req.body = body.clone().into_bytes();
    req.headers.push(("x-amz-checksum-crc32", crc));
    req.headers
        .push(("x-amz-sdk-checksum-algorithm", "CRC32".into()));
    let (s, _, xml) = env.s3(&ac, req).await;
    assert_eq!(s, 200, "{xml}");
    assert!(
        xml.contains(&format!("<Deleted><Key>private/{alice}/a.txt</Key>")),
        "{xml}"
    );
    let error = tag(&xml, "Error");
    assert!(
        error.contains(&format!("<Key>private/{bob}/a.txt</Key>")),
        "{xml}"
    );
    assert!(error.contains("<Code>AccessDenied</Code>"), "{xml}");
    // Bob's object is still there.
    let (s, _, body_text) = env
        .s3(
            &bc,
            s3req("GET", env.s3_url(&format!("private/{bob}/a.txt"))),
        )
        .await;
    assert_eq!((s, body_text.as_str()), (200, "a"));

    // Content-MD5 works too; a wrong digest or none at all does not.
    use md5::Digest as _;
    let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body.as_bytes()));
    let mut req = s3req("POST", url.clone());
    req.body = body.clone().into_bytes();
    req.headers.push(("content-md5", md5));
    assert_eq!(env.s3(&ac, req).await.0, 200);
    let mut req = s3req("POST", url.clone());
    req.body = body.clone().into_bytes();
    req.headers
        .push(("x-amz-checksum-crc32", "AAAAAA==".into()));
    let (s, _, xml) = env.s3(&ac, req).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (400, "BadDigest"));
    let mut req = s3req("POST", url);
    req.body = body.into_bytes();
    let (s, _, xml) = env.s3(&ac, req).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (400, "InvalidRequest"));
}

#[tokio::test]
async fn a_conditional_put_is_refused_over_an_existing_key_and_content_sha256_is_required() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let url = env.s3_url(&format!("private/{alice}/once.txt"));
    let mut put = s3req("PUT", url.clone());
    put.body = b"1".to_vec();
    put.headers.push(("if-none-match", "*".into()));
    assert_eq!(env.s3(&ac, put).await.0, 200);
    let mut put = s3req("PUT", url.clone());
    put.body = b"2".to_vec();
    put.headers.push(("if-none-match", "*".into()));
    let (s, _, xml) = env.s3(&ac, put).await;
    assert_eq!(s, 412, "{xml}");
    assert_eq!(tag(&xml, "Code"), "PreconditionFailed");
    let (_, _, body) = env.s3(&ac, s3req("GET", url.clone())).await;
    assert_eq!(body, "1");

    let mut request = signed(&ac, &s3req("GET", url), SystemTime::now(), None);
    request.headers_mut().remove("x-amz-content-sha256");
    let (s, _, xml) = env.send(request).await;
    assert_eq!(s, 400);
    assert_eq!(tag(&xml, "Code"), "InvalidRequest");
    assert_eq!(
        tag(&xml, "Message"),
        "Missing required header for this request: x-amz-content-sha256"
    );
}

#[tokio::test]
async fn list_pagination_uses_opaque_tokens() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    for name in ["a", "b", "c"] {
        let mut put = s3req("PUT", env.s3_url(&format!("private/{alice}/{name}")));
        put.body = name.as_bytes().to_vec();
        assert_eq!(env.s3(&ac, put).await.0, 200);
    }
    let base = format!(
        "{}?list-type=2&max-keys=2&prefix=private%2F{}%2F",
        env.s3_url("").trim_end_matches('/'),
        alice.replace(':', "%3A")
    );
    let (s, _, xml) = env.s3(&ac, s3req("GET", base.clone())).await;
    assert_eq!(s, 200);
    assert_eq!(tag(&xml, "IsTruncated"), "true");
    let token = tag(&xml, "NextContinuationToken");
    assert!(!token.contains('/'), "opaque: {token}");
    let (s, _, xml) = env
        .s3(
            &ac,
            s3req("GET", format!("{base}&continuation-token={token}")),
        )
        .await;
    assert_eq!(s, 200, "{xml}");
    assert_eq!(tag(&xml, "Key"), format!("private/{alice}/c"));
    assert_eq!(tag(&xml, "IsTruncated"), "false");
}

#[tokio::test]
async fn folder_markers_behave_like_objects() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let folder = format!("private/{alice}/photos/");
    let mut put = s3req("PUT", env.s3_url(&folder));
    put.headers.push(("if-none-match", "*".into()));
    let (s, _, xml) = env.s3(&ac, put).await;
    assert_eq!(s, 200, "{xml}");
    // Created twice: the marker exists.
    let mut put = s3req("PUT", env.s3_url(&folder));
    put.headers.push(("if-none-match", "*".into()));
    let (s, _, xml) = env.s3(&ac, put).await;
    assert_eq!(s, 412, "{xml}");
    let base = env.s3_url("").trim_end_matches('/').to_string();
    let enc = |p: &str| p.replace(':', "%3A").replace('/', "%2F");
    let (s, _, xml) = env
        .s3(
            &ac,
            s3req(
                "GET",
                format!(
                    "{base}?list-type=2&delimiter=%2F&prefix={}",
                    enc(&format!("private/{alice}/"))
                ),
            ),
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        xml.contains(&format!(
            "<CommonPrefixes><Prefix>{folder}</Prefix></CommonPrefixes>"
        )),
        "{xml}"
    );
    let (s, _, xml) = env
        .s3(
            &ac,
            s3req(
                "GET",
                format!("{base}?list-type=2&delimiter=%2F&prefix={}", enc(&folder)),
            ),
        )
        .await;
    assert_eq!(s, 200);
    assert!(xml.contains(&format!("<Key>{folder}</Key>")), "{xml}");
    assert!(xml.contains("<Size>0</Size>"), "{xml}");
    // A file inside, then the marker deleted: the file stays.
    let mut put = s3req("PUT", env.s3_url(&format!("{folder}cat.jpg")));
    put.body = b"meow".to_vec();
    assert_eq!(env.s3(&ac, put).await.0, 200);
    let (s, _, _) = env.s3(&ac, s3req("DELETE", env.s3_url(&folder))).await;
    assert_eq!(s, 204);
    let (s, _, body) = env
        .s3(&ac, s3req("GET", env.s3_url(&format!("{folder}cat.jpg"))))
        .await;
    assert_eq!((s, body.as_str()), (200, "meow"));
    let (_, _, xml) = env
        .s3(
            &ac,
            s3req("GET", format!("{base}?list-type=2&prefix={}", enc(&folder))),
        )
        .await;
    assert_eq!(tag(&xml, "KeyCount"), "1", "{xml}");
}

/// `key` as it goes in a URL path: every byte but unreserved ones and `/`
/// percent-encoded.
fn url_path(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A DeleteObjects request of `body`, with its CRC32.
fn delete_objects<'a>(env: &Env, body: &str) -> S3Req<'a> {
    use base64::Engine as _;
    let mut req = s3req(
        "POST",
        format!("{}?delete", env.s3_url("").trim_end_matches('/')),
    );
    req.headers.push((
        "x-amz-checksum-crc32",
        base64::engine::general_purpose::STANDARD
            .encode(crc32fast::hash(body.as_bytes()).to_be_bytes()),
    ));
    req.body = body.as_bytes().to_vec();
    req
}

#[tokio::test]
async fn a_key_with_a_control_character_is_stored_listed_and_deleted_only_by_url() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let key = format!("private/{alice}/ctl\u{1}.txt");
    // PUT takes it, as S3 does: the key travels in the URL.
    let mut put = s3req("PUT", env.s3_url(&url_path(&key)));
    put.body = b"ctl".to_vec();
    let (s, _, xml) = env.s3(&ac, put).await;
    assert_eq!(s, 200, "{xml}");
    // A listing with encoding-type=url carries it encoded (raw, it would not be XML).
    let list = format!(
        "{}?list-type=2&encoding-type=url&prefix={}",
        env.s3_url("").trim_end_matches('/'),
        url_path(&format!("private/{alice}/")).replace('/', "%2F")
    );
    let (s, _, xml) = env.s3(&ac, s3req("GET", list)).await;
    assert_eq!(s, 200, "{xml}");
    assert!(xml.contains("ctl%01.txt"), "{xml}");
    assert!(!xml.contains('\u{1}'), "{xml:?}");

    // DeleteObjects cannot name it: raw or as a character reference, S3 answers
    // MalformedXML and deletes nothing.
    let escaped = key.replace('\u{1}', "&#1;");
    let hex = key.replace('\u{1}', "&#x1;");
    for named in [&key, &escaped, &hex] {
        let body = format!(
            "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>\
             <Object><Key>{named}</Key></Object></Delete>"
        );
        let (s, _, xml) = env.s3(&ac, delete_objects(&env, &body)).await;
        assert_eq!(
            (s, tag(&xml, "Code").as_str()),
            (400, "MalformedXML"),
            "{named:?}"
        );
        assert_eq!(
            tag(&xml, "Message"),
            "The XML you provided was not well-formed or did not validate against our published schema"
        );
    }
    let (s, _, body) = env.s3(&ac, s3req("GET", env.s3_url(&url_path(&key)))).await;
    assert_eq!((s, body.as_str()), (200, "ctl"));
    // Tabs and other allowed references still pass.
    let body = format!(
        "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>\
         <Object><Key>private/{alice}/tab&#9;and&#x263A;.txt</Key></Object></Delete>"
    );
    assert_eq!(env.s3(&ac, delete_objects(&env, &body)).await.0, 200);

    // DeleteObject, the key in the URL, deletes it.
    let (s, _, xml) = env
        .s3(&ac, s3req("DELETE", env.s3_url(&url_path(&key))))
        .await;
    assert_eq!(s, 204, "{xml}");
    let (s, _, _) = env.s3(&ac, s3req("GET", env.s3_url(&url_path(&key)))).await;
    assert_eq!(s, 403, "gone (a missing key reads as AccessDenied)");
}

#[tokio::test]
async fn keys_over_1024_bytes_are_refused_as_s3_refuses_them() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    // The whole key counts, in bytes of UTF-8: folders of two-byte characters (each
    // short enough for the emulator's file system).
    let key_of = |bytes: usize| {
        let mut key = format!("private/{alice}/");
        while bytes - key.len() > 201 {
            key.push_str(&"é".repeat(100));
            key.push('/');
        }
        let rest = bytes - key.len();
        key.push_str(&"é".repeat(rest / 2));
        if rest % 2 == 1 {
            key.push('a');
        }
        assert_eq!(key.len(), bytes);
        key
    };
    // (A key at the limit cannot be stored here: s3s-fs names a file after the
    // key's base64, so keys past about 150 bytes fail; see the README.)
    let source = format!("private/{alice}/source.txt");
    let mut put = s3req("PUT", env.s3_url(&url_path(&source)));
    put.body = b"x".to_vec();
    let (s, _, xml) = env.s3(&ac, put).await;
    assert_eq!(s, 200, "{xml}");

    let too_long = key_of(1025);
    let refused = |s: u16, xml: &str| {
        assert_eq!(
            (s, tag(xml, "Code").as_str()),
            (400, "KeyTooLongError"),
            "{xml}"
        );
        assert_eq!(tag(xml, "Message"), "Your key is too long");
        assert_eq!(tag(xml, "Size"), "1025");
        assert_eq!(tag(xml, "MaxSizeAllowed"), "1024");
    };
    let mut put = s3req("PUT", env.s3_url(&url_path(&too_long)));
    put.body = b"x".to_vec();
    let (s, _, xml) = env.s3(&ac, put).await;
    refused(s, &xml);
    let mut copy = s3req("PUT", env.s3_url(&url_path(&too_long)));
    copy.headers.push((
        "x-amz-copy-source",
        format!("{}/{}", env.emu.config().bucket, url_path(&source)),
    ));
    let (s, _, xml) = env.s3(&ac, copy).await;
    refused(s, &xml);
    let (s, _, xml) = env
        .s3(
            &ac,
            s3req(
                "POST",
                format!("{}?uploads", env.s3_url(&url_path(&too_long))),
            ),
        )
        .await;
    refused(s, &xml);
}
