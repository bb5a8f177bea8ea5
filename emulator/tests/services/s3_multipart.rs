//! S3 multipart uploads over real HTTP: the whole flow, the checks on completion,
//! uploads bound to identity and key, CRC32 checksums of parts and objects.

use crate::support::sigv4::*;
use crate::support::*;
use std::collections::HashMap;

#[tokio::test]
async fn a_multipart_upload_goes_from_create_to_complete() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let key_url = env.s3_url(&format!("private/{alice}/big.bin"));
    let (s, _, xml) = env
        .s3(&ac, s3req("POST", format!("{key_url}?uploads")))
        .await;
    assert_eq!(s, 200, "{xml}");
    let upload_id = tag(&xml, "UploadId");
    assert!(!upload_id.is_empty());
    let stats = env.emu.control().stats();
    assert_eq!(stats.multipart_uploads.len(), 1);
    assert_eq!(stats.multipart_uploads[0].upload_id, upload_id);
    assert_eq!(stats.multipart_uploads[0].identity_id, alice);

    let part1 = vec![b'a'; 5 * 1024 * 1024];
    let part2 = b"tail".to_vec();
    let mut etags = vec![];
    for (n, part) in [(1, &part1), (2, &part2)] {
        let mut req = s3req(
            "PUT",
            format!("{key_url}?partNumber={n}&uploadId={upload_id}"),
        );
        req.body = part.clone();
        let (s, h, body) = env.s3(&ac, req).await;
        assert_eq!(s, 200, "{body}");
        etags.push(h["etag"].to_str().unwrap().to_string());
    }
    // Credentials refreshed mid-upload still continue the upload.
    let (_, ac2) = env.signed_in("alice", "Alice-Password-1").await;
    let (s, _, xml) = env
        .s3(
            &ac2,
            s3req("GET", format!("{key_url}?uploadId={upload_id}")),
        )
        .await;
    assert_eq!(s, 200, "{xml}");
    assert_eq!(xml.matches("<Part>").count(), 2);
    // Bob cannot list its parts.
    let (_, bc) = env.signed_in("bob", "Bob-Password-2").await;
    let (s, _, _) = env
        .s3(&bc, s3req("GET", format!("{key_url}?uploadId={upload_id}")))
        .await;
    assert_eq!(s, 403);

    let complete = format!(
        "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Part><PartNumber>1</PartNumber><ETag>{}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>{}</ETag></Part></CompleteMultipartUpload>",
        etags[0], etags[1]
    );
    let mut req = s3req("POST", format!("{key_url}?uploadId={upload_id}"));
    req.body = complete.into_bytes();
    let (s, _, xml) = env.s3(&ac2, req).await;
    assert_eq!(s, 200, "{xml}");
    assert!(tag(&xml, "ETag").ends_with("-2\""), "{xml}");
    assert!(env.emu.control().stats().multipart_uploads.is_empty());
    let (s, h, _) = env.s3(&ac2, s3req("HEAD", key_url.clone())).await;
    assert_eq!(s, 200);
    assert_eq!(
        h["content-length"],
        (5 * 1024 * 1024 + 4).to_string().as_str()
    );

    // Abort.
    let (_, _, xml) = env
        .s3(&ac2, s3req("POST", format!("{key_url}?uploads")))
        .await;
    let upload_id = tag(&xml, "UploadId");
    let (s, _, _) = env
        .s3(
            &ac2,
            s3req("DELETE", format!("{key_url}?uploadId={upload_id}")),
        )
        .await;
    assert_eq!(s, 204);
    assert!(env.emu.control().stats().multipart_uploads.is_empty());
    let (s, _, xml) = env
        .s3(
            &ac2,
            s3req("GET", format!("{key_url}?uploadId={upload_id}")),
        )
        .await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (404, "NoSuchUpload"));
    let stats = env.emu.control().stats();
    assert_eq!(stats.s3_requests["UploadPart"], 2);
    assert_eq!(stats.s3_requests["CreateMultipartUpload"], 2);
    assert_eq!(stats.s3_requests["ListParts"], 3);
}

#[tokio::test]
async fn complete_validates_before_touching_the_upload() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let key_url = env.s3_url(&format!("private/{alice}/gaps.bin"));
    let (_, _, xml) = env
        .s3(&ac, s3req("POST", format!("{key_url}?uploads")))
        .await;
    let upload_id = tag(&xml, "UploadId");
    let small = b"small part".to_vec();
    let big = vec![b'z'; 5 * 1024 * 1024];
    let mut etags = HashMap::new();
    // Parts 1 (small), 2 (big), 4 (tail): 3 is never sent.
    for (n, body) in [(1, &small), (2, &big), (4, &big), (5, &small)] {
        let mut req = s3req(
            "PUT",
            format!("{key_url}?partNumber={n}&uploadId={upload_id}"),
        );
        req.body = body.clone();
        let (s, h, _) = env.s3(&ac, req).await;
        assert_eq!(s, 200);
        etags.insert(n, h["etag"].to_str().unwrap().to_string());
    }
    let complete = |parts: &[(i32, String)]| {
        let mut xml = String::from("<CompleteMultipartUpload>");
        for (n, etag) in parts {
            xml.push_str(&format!(
                "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
            ));
        }
        xml.push_str("</CompleteMultipartUpload>");
        let mut req = s3req("POST", format!("{key_url}?uploadId={upload_id}"));
        req.body = xml.into_bytes();
        req
    };
    let e = |n: i32| etags[&n].clone();
    let cases = [
        (vec![(1, e(1)), (2, e(2))], 400, "EntityTooSmall"),
        (vec![(2, e(2)), (3, e(2))], 400, "InvalidPart"),
        (vec![(2, e(1))], 400, "InvalidPart"),
        (vec![(4, e(4)), (2, e(2))], 400, "InvalidPartOrder"),
    ];
    for (parts, status, code) in cases {
        let (s, _, xml) = env.s3(&ac, complete(&parts)).await;
        assert_eq!((s, tag(&xml, "Code").as_str()), (status, code), "{parts:?}");
    }
    // The upload survived the failed attempts; gaps in part numbers are fine.
    let (s, _, xml) = env
        .s3(&ac, complete(&[(2, e(2)), (4, e(4)), (5, e(5))]))
        .await;
    assert_eq!(s, 200, "{xml}");
    let (s, h, _) = env.s3(&ac, s3req("HEAD", key_url.clone())).await;
    assert_eq!(s, 200);
    assert_eq!(
        h["content-length"],
        (2 * big.len() + small.len()).to_string().as_str()
    );
    // Completing twice: the upload is gone.
    let (s, _, xml) = env.s3(&ac, complete(&[(2, e(2))])).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (404, "NoSuchUpload"));
}

#[tokio::test]
async fn uploads_are_bound_to_identity_and_key() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let (bob, bc) = env.signed_in("bob", "Bob-Password-2").await;
    let alice_url = env.s3_url(&format!("private/{alice}/a.bin"));
    let (_, _, xml) = env
        .s3(&ac, s3req("POST", format!("{alice_url}?uploads")))
        .await;
    let upload_id = tag(&xml, "UploadId");
    // Bob uses Alice's upload id on a key of his own.
    let bob_url = env.s3_url(&format!("private/{bob}/b.bin"));
    let mut req = s3req(
        "PUT",
        format!("{bob_url}?partNumber=1&uploadId={upload_id}"),
    );
    req.body = b"x".to_vec();
    let (s, _, xml) = env.s3(&bc, req).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (404, "NoSuchUpload"));
    let (s, _, _) = env
        .s3(&bc, s3req("GET", format!("{bob_url}?uploadId={upload_id}")))
        .await;
    assert_eq!(s, 404);
    // Alice, on another key of hers.
    let other = env.s3_url(&format!("private/{alice}/other.bin"));
    let (s, _, _) = env
        .s3(
            &ac,
            s3req("DELETE", format!("{other}?uploadId={upload_id}")),
        )
        .await;
    assert_eq!(s, 404);
    // ListMultipartUploads is not in the role's policy.
    let (s, _, xml) = env
        .s3(
            &ac,
            s3req(
                "GET",
                format!("{}?uploads", env.s3_url("").trim_end_matches('/')),
            ),
        )
        .await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (403, "AccessDenied"));
    assert_eq!(env.emu.control().stats().multipart_uploads.len(), 1);
}

#[tokio::test]
async fn checksums_are_checked_and_complete_honours_if_none_match() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let url = env.s3_url(&format!("private/{alice}/sum.txt"));
    let mut put = s3req("PUT", url.clone());
    put.body = b"Welcome to Amazon S3.".to_vec();
    put.headers
        .push(("x-amz-checksum-crc32", "Ox7nCg==".into()));
    put.headers
        .push(("x-amz-sdk-checksum-algorithm", "CRC32".into()));
    let (s, h, xml) = env.s3(&ac, put).await;
    assert_eq!(s, 200, "{xml}");
    assert_eq!(h["x-amz-checksum-crc32"], "Ox7nCg==");
    let mut put = s3req("PUT", url.clone());
    put.body = b"Welcome to Amazon S3!".to_vec();
    put.headers
        .push(("x-amz-checksum-crc32", "Ox7nCg==".into()));
    let (s, _, xml) = env.s3(&ac, put).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (400, "BadDigest"), "{xml}");

    // CompleteMultipartUpload with If-None-Match: * onto an existing key.
    let (_, _, xml) = env.s3(&ac, s3req("POST", format!("{url}?uploads"))).await;
    let upload_id = tag(&xml, "UploadId");
    let mut req = s3req("PUT", format!("{url}?partNumber=1&uploadId={upload_id}"));
    req.body = b"part".to_vec();
    let (_, h, _) = env.s3(&ac, req).await;
    let etag = h["etag"].to_str().unwrap().to_string();
    let mut req = s3req("POST", format!("{url}?uploadId={upload_id}"));
    req.body = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
    )
    .into_bytes();
    req.headers.push(("if-none-match", "*".into()));
    let (s, _, xml) = env.s3(&ac, req).await;
    assert_eq!(
        (s, tag(&xml, "Code").as_str()),
        (412, "PreconditionFailed"),
        "{xml}"
    );
    let (_, _, body) = env.s3(&ac, s3req("GET", url)).await;
    assert_eq!(body, "Welcome to Amazon S3.");
}

#[tokio::test]
async fn parts_of_a_crc32_upload_carry_their_checksums() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let url = env.s3_url(&format!("private/{alice}/summed.bin"));
    let mut create = s3req("POST", format!("{url}?uploads"));
    create
        .headers
        .push(("x-amz-checksum-algorithm", "CRC32".into()));
    let (s, h, xml) = env.s3(&ac, create).await;
    assert_eq!(s, 200, "{xml}");
    assert_eq!(h["x-amz-checksum-algorithm"], "CRC32");
    let upload_id = tag(&xml, "UploadId");
    let part_url = |n: i32| format!("{url}?partNumber={n}&uploadId={upload_id}");
    let list = || s3req("GET", format!("{url}?uploadId={upload_id}"));
    // CRC32s computed independently (python3 zlib.crc32, big-endian, base64).
    let first = vec![b'a'; 5 * 1024 * 1024];
    let (first_crc, guide_crc) = ("r/zBbw==", "Ox7nCg==");
    let mut etags = vec![];
    for (n, body, crc) in [
        (1, first.clone(), first_crc),
        (2, b"Welcome to Amazon S3.".to_vec(), guide_crc),
    ] {
        let mut req = s3req("PUT", part_url(n));
        req.body = body;
        req.headers.push(("x-amz-checksum-crc32", crc.into()));
        req.headers
            .push(("x-amz-sdk-checksum-algorithm", "CRC32".into()));
        let (s, h, xml) = env.s3(&ac, req).await;
        assert_eq!(s, 200, "{xml}");
        assert_eq!(h["x-amz-checksum-crc32"], crc, "part {n}");
        etags.push(h["etag"].to_str().unwrap().to_string());
    }
    let (s, _, xml) = env.s3(&ac, list()).await;
    assert_eq!(s, 200, "{xml}");
    assert_eq!(tag(&xml, "ChecksumAlgorithm"), "CRC32");
    let parts: Vec<(String, String)> = xml
        .split("<Part>")
        .skip(1)
        .map(|p| (tag(p, "PartNumber"), tag(p, "ChecksumCRC32")))
        .collect();
    assert_eq!(
        parts,
        [
            ("1".into(), first_crc.into()),
            ("2".into(), guide_crc.into())
        ]
    );

    // A part whose body does not match its CRC32 is refused and changes nothing.
    let mut req = s3req("PUT", part_url(2));
    req.body = b"Welcome to Amazon S3!".to_vec();
    req.headers.push(("x-amz-checksum-crc32", guide_crc.into()));
    let (s, _, xml) = env.s3(&ac, req).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (400, "BadDigest"), "{xml}");
    let (_, _, xml) = env.s3(&ac, list()).await;
    assert_eq!(
        tag(xml.split("<Part>").nth(2).unwrap(), "ChecksumCRC32"),
        guide_crc
    );
    // Sending a part again replaces its checksum.
    let replaced_crc = "q6H6mw==";
    let mut req = s3req("PUT", part_url(2));
    req.body = b"Welcome to Amazon S3!".to_vec();
    req.headers
        .push(("x-amz-checksum-crc32", replaced_crc.into()));
    let (s, h, xml) = env.s3(&ac, req).await;
    assert_eq!(s, 200, "{xml}");
    assert_eq!(h["x-amz-checksum-crc32"], replaced_crc);
    etags[1] = h["etag"].to_str().unwrap().to_string();
    let (_, _, xml) = env.s3(&ac, list()).await;
    assert_eq!(
        tag(xml.split("<Part>").nth(2).unwrap(), "ChecksumCRC32"),
        replaced_crc
    );

    // Completed: the object has the composite CRC32 of its parts' CRC32s.
    let mut req = s3req("POST", format!("{url}?uploadId={upload_id}"));
    req.body = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>{}</ETag></Part></CompleteMultipartUpload>",
        etags[0], etags[1]
    )
    .into_bytes();
    let (s, _, xml) = env.s3(&ac, req).await;
    assert_eq!(s, 200, "{xml}");
    let mut head = s3req("HEAD", url.clone());
    head.headers.push(("x-amz-checksum-mode", "ENABLED".into()));
    let (s, h, _) = env.s3(&ac, head).await;
    assert_eq!(s, 200);
    assert_eq!(h["x-amz-checksum-crc32"], "vxm9wQ==-2");
    let (s, _, xml) = env.s3(&ac, list()).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (404, "NoSuchUpload"));

    // An upload created without the algorithm: no part checksums, as on S3.
    let (_, h, xml) = env.s3(&ac, s3req("POST", format!("{url}?uploads"))).await;
    assert!(h.get("x-amz-checksum-algorithm").is_none());
    let plain_id = tag(&xml, "UploadId");
    let mut req = s3req("PUT", format!("{url}?partNumber=1&uploadId={plain_id}"));
    req.body = b"Welcome to Amazon S3.".to_vec();
    req.headers.push(("x-amz-checksum-crc32", guide_crc.into()));
    let (s, h, xml) = env.s3(&ac, req).await;
    assert_eq!(s, 200, "{xml}");
    assert!(h.get("x-amz-checksum-crc32").is_none());
    let (s, _, xml) = env
        .s3(&ac, s3req("GET", format!("{url}?uploadId={plain_id}")))
        .await;
    assert_eq!(s, 200, "{xml}");
    assert_eq!(xml.matches("<Part>").count(), 1, "{xml}");
    assert!(!xml.contains("Checksum"), "{xml}");
}
