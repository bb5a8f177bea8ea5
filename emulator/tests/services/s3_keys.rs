//! Keys are literal in S3: `private/<alice>/../<bob>/x` is a key under Alice's prefix,
//! not a path to Bob's files. The emulator's file store would resolve the dot
//! segments, so it refuses keys with `.`, `..` or empty segments in every operation
//! that names a key (and never touches another user's files with them).

use crate::support::sigv4::*;
use crate::support::*;

/// Sends `request` as written over a plain TCP connection: HTTP clients built on the
/// `url` crate resolve `.` and `..` in the path before sending, S3 clients do not.
/// Returns the status and the whole response (head and body) as text.
async fn send_raw(request: http::Request<Vec<u8>>) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let uri = request.uri().clone();
    let host = uri.authority().unwrap().as_str().to_string();
    let mut head = format!(
        "{} {} HTTP/1.1\r\nconnection: close\r\ncontent-length: {}\r\n",
        request.method(),
        uri.path_and_query().unwrap(),
        request.body().len()
    );
    for (name, value) in request.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str("\r\n");
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(request.body()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

/// `req` signed with `creds` and sent as written (see [`send_raw`]).
async fn raw(creds: &Creds, req: S3Req<'_>) -> (u16, String) {
    send_raw(signed(creds, &req, std::time::SystemTime::now(), None)).await
}

fn delete_body(key: &str) -> String {
    format!(
        "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Object><Key>{key}</Key></Object></Delete>"
    )
}

#[tokio::test]
async fn dot_segments_and_empty_segments_never_reach_another_users_files() {
    use base64::Engine as _;
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let (bob, bc) = env.signed_in("bob", "Bob-Password-2").await;
    let bucket = env.emu.config().bucket.clone();
    let bobs = format!("private/{bob}/x");
    let mut put = s3req("PUT", env.s3_url(&bobs));
    put.body = b"bob's".to_vec();
    let (s, _, body) = env.s3(&bc, put).await;
    assert_eq!(s, 200, "{body}");
    let mut put = s3req("PUT", env.s3_url(&format!("private/{alice}/x")));
    put.body = b"alice's".to_vec();
    assert_eq!(env.s3(&ac, put).await.0, 200);

    let refused = |what: &str, s: u16, body: &str| {
        assert!(
            (400..500).contains(&s),
            "{what}: expected a refusal, got {s} {body}"
        );
        assert!(!body.contains("bob's"), "{what}: {body}");
    };
    let bob_still_has_his_file = || async {
        let (s, _, body) = env.s3(&bc, s3req("GET", env.s3_url(&bobs))).await;
        assert_eq!((s, body.as_str()), (200, "bob's"));
    };

    let sneaky = [
        format!("private/{alice}/../{bob}/x"),
        format!("private/{alice}/./../{bob}/x"),
        format!("private/{alice}/sub/../../{bob}/x"),
        format!("private/{alice}/.."),
        format!("private/{alice}/./x"),
        format!("private/{alice}//x"),
        format!("private/{alice}/x/."),
    ];
    for key in &sneaky {
        let url = env.s3_url(key);
        let (s, body) = raw(&ac, s3req("GET", url.clone())).await;
        refused(&format!("GET {key}"), s, &body);
        let (s, body) = raw(&ac, s3req("HEAD", url.clone())).await;
        refused(&format!("HEAD {key}"), s, &body);

        let mut put = s3req("PUT", url.clone());
        put.body = b"alice was here".to_vec();
        let (s, body) = raw(&ac, put).await;
        refused(&format!("PUT {key}"), s, &body);

        // Copy with the key as the source, and as the destination.
        let mut copy = s3req("PUT", env.s3_url(&format!("private/{alice}/stolen")));
        copy.headers
            .push(("x-amz-copy-source", format!("{bucket}/{key}")));
        let (s, body) = raw(&ac, copy).await;
        refused(&format!("copy from {key}"), s, &body);
        let mut copy = s3req("PUT", url.clone());
        copy.headers.push((
            "x-amz-copy-source",
            format!("{bucket}/{}", &format!("private/{alice}/x")),
        ));
        let (s, body) = raw(&ac, copy).await;
        refused(&format!("copy to {key}"), s, &body);

        // DeleteObjects: the key is refused on its own, nothing is deleted.
        let body = delete_body(key);
        let crc = base64::engine::general_purpose::STANDARD
            .encode(crc32fast::hash(body.as_bytes()).to_be_bytes());
        let mut req = s3req(
            "POST",
            format!("{}?delete", env.s3_url("").trim_end_matches('/')),
        );
        req.body = body.into_bytes();
        req.headers.push(("x-amz-checksum-crc32", crc));
        req.headers
            .push(("x-amz-sdk-checksum-algorithm", "CRC32".into()));
        let (s, xml) = raw(&ac, req).await;
        assert_eq!(s, 200, "DeleteObjects {key}: {xml}");
        assert!(!xml.contains("<Deleted>"), "DeleteObjects {key}: {xml}");
        assert!(xml.contains("<Error>"), "DeleteObjects {key}: {xml}");

        // Multipart: create, and each call on an upload of such a key.
        let (s, body) = raw(&ac, s3req("POST", format!("{url}?uploads"))).await;
        refused(&format!("CreateMultipartUpload {key}"), s, &body);
        let fake_id = "a1b2c3";
        let mut part = s3req("PUT", format!("{url}?partNumber=1&uploadId={fake_id}"));
        part.body = b"part".to_vec();
        let (s, body) = raw(&ac, part).await;
        refused(&format!("UploadPart {key}"), s, &body);
        let mut part_copy = s3req(
            "PUT",
            env.s3_url(&format!(
                "private/{alice}/y?partNumber=1&uploadId={fake_id}"
            )),
        );
        part_copy
            .headers
            .push(("x-amz-copy-source", format!("{bucket}/{key}")));
        let (s, body) = raw(&ac, part_copy).await;
        refused(&format!("UploadPartCopy from {key}"), s, &body);
        let (s, body) = raw(&ac, s3req("GET", format!("{url}?uploadId={fake_id}"))).await;
        refused(&format!("ListParts {key}"), s, &body);
        let (s, body) = raw(&ac, s3req("DELETE", format!("{url}?uploadId={fake_id}"))).await;
        refused(&format!("AbortMultipartUpload {key}"), s, &body);
        let mut complete = s3req("POST", format!("{url}?uploadId={fake_id}"));
        complete.body = b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"x\"</ETag></Part></CompleteMultipartUpload>".to_vec();
        let (s, body) = raw(&ac, complete).await;
        refused(&format!("CompleteMultipartUpload {key}"), s, &body);
        let (s, body) = raw(&ac, s3req("DELETE", url)).await;
        refused(&format!("DELETE {key}"), s, &body);

        bob_still_has_his_file().await;
    }
    // Alice's own file is untouched by the `.` and `//` spellings of its key.
    let (s, _, body) = env
        .s3(&ac, s3req("GET", env.s3_url(&format!("private/{alice}/x"))))
        .await;
    assert_eq!((s, body.as_str()), (200, "alice's"));
    // A folder marker (one trailing slash) is still a key like any other.
    let (s, _, body) = env
        .s3(
            &ac,
            s3req("PUT", env.s3_url(&format!("private/{alice}/photos/"))),
        )
        .await;
    assert_eq!(s, 200, "{body}");
}
