//! S3 versioning over real HTTP: version ids on writes, delete markers,
//! ListObjectVersions (order, markers, pagination, delimiter, `encoding-type=url`),
//! reads and copies of a given version, versioning switched off, and the policy's
//! version actions (another identity is refused).
//!
//! AWS: ListObjectVersions, GetObject, DeleteObject, CopyObject (API reference);
//! "Working with delete markers" (user guide).

use crate::support::sigv4::*;
use crate::support::*;
use base64::Engine as _;

/// One `Version` or `DeleteMarker` element, or a `CommonPrefixes` one, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Version {
        key: String,
        id: String,
        latest: bool,
    },
    Marker {
        key: String,
        id: String,
        latest: bool,
    },
    Prefix(String),
}

/// The entries of a `ListVersionsResult`, in the order the body has them.
fn entries(xml: &str) -> Vec<Entry> {
    let mut out = vec![];
    let mut rest = xml;
    loop {
        let next = ["<Version>", "<DeleteMarker>", "<CommonPrefixes>"]
            .iter()
            .filter_map(|t| rest.find(t).map(|at| (at, *t)))
            .min();
        let Some((at, open)) = next else {
            return out;
        };
        let close = open.replace('<', "</");
        let body_start = at + open.len();
        let end = rest[body_start..].find(&close).unwrap() + body_start;
        let body = &rest[body_start..end];
        let latest = tag(body, "IsLatest") == "true";
        out.push(match open {
            "<Version>" => {
                assert!(!tag(body, "ETag").is_empty(), "{body}");
                assert_eq!(tag(body, "StorageClass"), "STANDARD");
                Entry::Version {
                    key: tag(body, "Key"),
                    id: tag(body, "VersionId"),
                    latest,
                }
            }
            "<DeleteMarker>" => {
                assert!(tag(body, "Size").is_empty() && tag(body, "ETag").is_empty());
                assert!(tag(body, "LastModified").ends_with('Z'), "{body}");
                Entry::Marker {
                    key: tag(body, "Key"),
                    id: tag(body, "VersionId"),
                    latest,
                }
            }
            _ => Entry::Prefix(tag(body, "Prefix")),
        });
        rest = &rest[end + close.len()..];
    }
}

fn enc(s: &str) -> String {
    s.replace(':', "%3A")
        .replace('/', "%2F")
        .replace(' ', "%20")
}

struct Alice<'a> {
    env: &'a Env,
    id: String,
    creds: Creds,
}

impl Alice<'_> {
    fn url(&self, name: &str) -> String {
        let name = name.replace(' ', "%20");
        self.env.s3_url(&format!("private/{}/{name}", self.id))
    }

    fn key(&self, name: &str) -> String {
        format!("private/{}/{name}", self.id)
    }

    /// PUT `body` at `name`; the new version's id.
    async fn put(&self, name: &str, body: &str) -> String {
        let mut put = s3req("PUT", self.url(name));
        put.body = body.as_bytes().to_vec();
        let (s, h, xml) = self.env.s3(&self.creds, put).await;
        assert_eq!(s, 200, "{xml}");
        let id = h
            .get("x-amz-version-id")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        id
    }

    /// DELETE `name`; the delete marker's id.
    async fn delete(&self, name: &str) -> String {
        let (s, h, xml) = self
            .env
            .s3(&self.creds, s3req("DELETE", self.url(name)))
            .await;
        assert_eq!(s, 204, "{xml}");
        assert_eq!(h["x-amz-delete-marker"], "true");
        h["x-amz-version-id"].to_str().unwrap().to_string()
    }

    /// `GET ?versions` with these extra query parameters (already encoded).
    async fn list(&self, query: &str) -> (u16, String) {
        let url = format!(
            "{}?versions&prefix={}{query}",
            self.env.s3_url("").trim_end_matches('/'),
            enc(&format!("private/{}/", self.id))
        );
        let (s, _, xml) = self.env.s3(&self.creds, s3req("GET", url)).await;
        (s, xml)
    }
}

async fn alice(env: &Env) -> Alice<'_> {
    let (id, creds) = env.signed_in("alice", "Alice-Password-1").await;
    Alice { env, id, creds }
}

fn is_version_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
}

#[tokio::test]
async fn versions_list_keys_ascending_newest_first_with_delete_markers_between() {
    let env = env().await;
    let a = alice(&env).await;
    // The shape of the reference's first example: a key with one version, a key
    // whose latest is a delete marker over older versions, a third key.
    let image = a.put("my-image.jpg", "one").await;
    let second_1 = a.put("my-second-image.jpg", "first").await;
    let second_2 = a.put("my-second-image.jpg", "second!").await;
    let marker = a.delete("my-second-image.jpg").await;
    let third = a.put("my-third-image.jpg", "three").await;
    let ids = [&image, &second_1, &second_2, &marker, &third];
    assert!(ids.iter().all(|id| is_version_id(id)), "{ids:?}");
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 5, "version ids are unique");

    let (s, xml) = a.list("").await;
    assert_eq!(s, 200, "{xml}");
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains("<ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"));
    assert_eq!(tag(&xml, "IsTruncated"), "false");
    assert_eq!(tag(&xml, "MaxKeys"), "1000");
    assert_eq!(tag(&xml, "Name"), env.emu.config().bucket);
    let v = |name: &str, id: &str, latest| Entry::Version {
        key: a.key(name),
        id: id.to_string(),
        latest,
    };
    assert_eq!(
        entries(&xml),
        vec![
            v("my-image.jpg", &image, true),
            Entry::Marker {
                key: a.key("my-second-image.jpg"),
                id: marker.clone(),
                latest: true
            },
            v("my-second-image.jpg", &second_2, false),
            v("my-second-image.jpg", &second_1, false),
            v("my-third-image.jpg", &third, true),
        ]
    );
    // Sizes and ETags are the versions' own.
    let second = xml.split("<Version>").nth(2).unwrap();
    assert_eq!(tag(second, "Size"), "7");
    let md5 = <md5::Md5 as md5::Digest>::digest(b"second!");
    assert_eq!(tag(second, "ETag"), format!("&quot;{md5:x}&quot;"));

    // A delimiter rolls keys below a folder into one CommonPrefixes element.
    a.put("photos/a.jpg", "a").await;
    a.put("photos/b.jpg", "b").await;
    let (_, xml) = a.list("&delimiter=%2F").await;
    let got = entries(&xml);
    assert_eq!(got.len(), 6, "{got:?}");
    assert_eq!(got[5], Entry::Prefix(a.key("photos/")));
    assert_eq!(tag(&xml, "Delimiter"), "/");
}

#[tokio::test]
async fn versions_page_with_key_and_version_id_markers() {
    let env = env().await;
    let a = alice(&env).await;
    for name in ["a", "b", "c"] {
        for n in 0..3 {
            a.put(name, &format!("{name}{n}")).await;
        }
    }
    a.delete("b").await;
    a.put("d/x", "x").await;
    let (_, whole) = a.list("").await;
    let all = entries(&whole);
    assert_eq!(all.len(), 11);

    // Pages of every size give the same sequence, each page but the last truncated
    // and naming where the next begins.
    for max in [1, 2, 3, 4, 10] {
        let mut seen = vec![];
        let mut query = format!("&max-keys={max}");
        loop {
            let (s, xml) = a.list(&query).await;
            assert_eq!(s, 200, "{xml}");
            let page = entries(&xml);
            assert!(page.len() <= max);
            seen.extend(page.clone());
            if tag(&xml, "IsTruncated") == "false" {
                assert!(tag(&xml, "NextKeyMarker").is_empty());
                break;
            }
            assert_eq!(page.len(), max);
            let (key, id) = match page.last().unwrap() {
                Entry::Version { key, id, .. } | Entry::Marker { key, id, .. } => (key, id),
                Entry::Prefix(_) => unreachable!(),
            };
            assert_eq!(&tag(&xml, "NextKeyMarker"), key);
            assert_eq!(&tag(&xml, "NextVersionIdMarker"), id);
            query = format!(
                "&max-keys={max}&key-marker={}&version-id-marker={}",
                enc(key),
                id
            );
        }
        assert_eq!(seen, all, "max-keys {max}");
    }
    // The request's markers are echoed.
    let Entry::Version { key, id, .. } = &all[1] else {
        panic!("{all:?}")
    };
    let (_, xml) = a
        .list(&format!("&key-marker={}&version-id-marker={id}", enc(key)))
        .await;
    assert_eq!(&tag(&xml, "KeyMarker"), key);
    assert_eq!(&tag(&xml, "VersionIdMarker"), id);
    assert_eq!(entries(&xml), all[2..].to_vec());
    // A key marker alone starts after every version of that key.
    let (_, xml) = a.list(&format!("&key-marker={}", enc(&a.key("b")))).await;
    assert_eq!(entries(&xml), all[7..].to_vec());

    // With a delimiter, a common prefix counts as one and is not repeated.
    let (_, xml) = a.list("&delimiter=%2F&key-marker=").await;
    assert_eq!(entries(&xml).last(), Some(&Entry::Prefix(a.key("d/"))));
    let (_, xml) = a
        .list(&format!(
            "&delimiter=%2F&max-keys=10&key-marker={}",
            enc(&a.key("c"))
        ))
        .await;
    assert_eq!(entries(&xml), vec![Entry::Prefix(a.key("d/"))]);
    let (_, xml) = a
        .list(&format!("&delimiter=%2F&key-marker={}", enc(&a.key("d/"))))
        .await;
    assert_eq!(entries(&xml), vec![]);

    // S3's refusals.
    let (s, xml) = a.list("&version-id-marker=null").await;
    assert_eq!(
        (s, tag(&xml, "Code").as_str()),
        (400, "InvalidArgument"),
        "{xml}"
    );
    assert_eq!(
        tag(&xml, "Message"),
        "A version-id marker cannot be specified without a key marker."
    );
    let (s, xml) = a
        .list(&format!(
            "&key-marker={}&version-id-marker=nope",
            enc(&a.key("a"))
        ))
        .await;
    assert_eq!(
        (s, tag(&xml, "Code").as_str()),
        (400, "InvalidArgument"),
        "{xml}"
    );
    assert_eq!(tag(&xml, "Message"), "Invalid version id specified");
    let (s, xml) = a.list("&encoding-type=base64").await;
    assert_eq!(
        (s, tag(&xml, "Code").as_str()),
        (400, "InvalidArgument"),
        "{xml}"
    );
}

#[tokio::test]
async fn url_encoding_covers_keys_prefixes_and_markers() {
    let env = env().await;
    let a = alice(&env).await;
    a.put("a b.txt", "1").await;
    a.put("a b.txt", "2").await;
    a.put("dir x/y", "3").await;
    let (s, xml) = a.list("&encoding-type=url&max-keys=1&delimiter=%2F").await;
    assert_eq!(s, 200, "{xml}");
    let encoded = |name: &str| a.key(name).replace(':', "%3A").replace(' ', "%20");
    assert_eq!(tag(&xml, "EncodingType"), "url");
    assert_eq!(tag(&xml, "Key"), encoded("a b.txt"));
    assert_eq!(tag(&xml, "NextKeyMarker"), encoded("a b.txt"));
    assert_eq!(tag(&xml, "Prefix"), encoded(""));
    let (_, xml) = a.list("&encoding-type=url&delimiter=%2F").await;
    assert!(
        xml.contains(&format!(
            "<CommonPrefixes><Prefix>{}</Prefix>",
            encoded("dir x/")
        )),
        "{xml}"
    );
}

#[tokio::test]
async fn a_delete_leaves_a_marker_and_a_version_can_be_read_and_copied_back() {
    let env = env().await;
    let a = alice(&env).await;
    let old = a.put("doc.txt", "the original").await;
    let new = a.put("doc.txt", "replaced").await;

    // Reads of a given version.
    let (s, h, body) = env
        .s3(
            &a.creds,
            s3req("GET", format!("{}?versionId={old}", a.url("doc.txt"))),
        )
        .await;
    assert_eq!((s, body.as_str()), (200, "the original"));
    assert_eq!(h["x-amz-version-id"], old.as_str());
    let (s, h, _) = env
        .s3(
            &a.creds,
            s3req("HEAD", format!("{}?versionId={old}", a.url("doc.txt"))),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(h["content-length"], "12");
    let (_, h, body) = env.s3(&a.creds, s3req("GET", a.url("doc.txt"))).await;
    assert_eq!(body, "replaced");
    assert_eq!(h["x-amz-version-id"], new.as_str());
    for bad in ["nope", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ""] {
        let (s, _, xml) = env
            .s3(
                &a.creds,
                s3req("GET", format!("{}?versionId={bad}", a.url("doc.txt"))),
            )
            .await;
        assert_eq!(
            (s, tag(&xml, "Code").as_str()),
            (400, "InvalidArgument"),
            "{bad}: {xml}"
        );
        assert_eq!(tag(&xml, "Message"), "Invalid version id specified");
    }

    // DELETE adds a marker; the key reads as missing. S3 answers 404 NoSuchKey with
    // `x-amz-delete-marker` only to a caller with s3:ListBucket on the key; the role's
    // ListBucket needs an s3:prefix, so it sees what it sees of any missing key: 403.
    let marker = a.delete("doc.txt").await;
    for method in ["GET", "HEAD"] {
        let (s, h, xml) = env.s3(&a.creds, s3req(method, a.url("doc.txt"))).await;
        assert_eq!(s, 403, "{method} {xml}");
        assert!(!h.contains_key("x-amz-delete-marker") && !h.contains_key("x-amz-version-id"));
        if method == "GET" {
            assert_eq!(tag(&xml, "Code"), "AccessDenied");
        }
    }
    let list_v2 = format!(
        "{}?list-type=2&prefix={}",
        env.s3_url("").trim_end_matches('/'),
        enc(&a.key(""))
    );
    let (_, _, xml) = env.s3(&a.creds, s3req("GET", list_v2.clone())).await;
    assert_eq!(tag(&xml, "KeyCount"), "0", "{xml}");
    // The marker's own version: 405, as S3.
    let (s, h, xml) = env
        .s3(
            &a.creds,
            s3req("GET", format!("{}?versionId={marker}", a.url("doc.txt"))),
        )
        .await;
    assert_eq!(
        (s, tag(&xml, "Code").as_str()),
        (405, "MethodNotAllowed"),
        "{xml}"
    );
    assert_eq!(h["x-amz-delete-marker"], "true");
    assert!(h.contains_key("last-modified"));
    // The versions are still there to read.
    let (s, _, body) = env
        .s3(
            &a.creds,
            s3req("GET", format!("{}?versionId={new}", a.url("doc.txt"))),
        )
        .await;
    assert_eq!((s, body.as_str()), (200, "replaced"));

    // Restore: copy the original version over the marker.
    let source = |id: &str| {
        format!(
            "{}/{}?versionId={id}",
            env.emu.config().bucket,
            enc(&a.key("doc.txt"))
        )
    };
    let mut copy = s3req("PUT", a.url("doc.txt"));
    copy.headers.push(("x-amz-copy-source", source(&old)));
    let (s, h, xml) = env.s3(&a.creds, copy).await;
    assert_eq!(s, 200, "{xml}");
    assert_eq!(h["x-amz-copy-source-version-id"], old.as_str());
    let restored = h["x-amz-version-id"].to_str().unwrap().to_string();
    assert!(is_version_id(&restored) && restored != old);
    let (_, h, body) = env.s3(&a.creds, s3req("GET", a.url("doc.txt"))).await;
    assert_eq!(body, "the original");
    assert_eq!(h["x-amz-version-id"], restored.as_str());
    let (_, _, xml) = env.s3(&a.creds, s3req("GET", list_v2)).await;
    assert_eq!(tag(&xml, "KeyCount"), "1", "{xml}");
    // A delete marker cannot be a copy source.
    let mut copy = s3req("PUT", a.url("other.txt"));
    copy.headers.push(("x-amz-copy-source", source(&marker)));
    let (s, _, xml) = env.s3(&a.creds, copy).await;
    assert_eq!(
        (s, tag(&xml, "Code").as_str()),
        (400, "InvalidRequest"),
        "{xml}"
    );
    let (_, xml) = a.list("").await;
    assert_eq!(
        entries(&xml)
            .iter()
            .map(|e| match e {
                Entry::Version { id, latest, .. } => format!("v {id} {latest}"),
                Entry::Marker { id, latest, .. } => format!("m {id} {latest}"),
                Entry::Prefix(p) => p.clone(),
            })
            .collect::<Vec<_>>(),
        vec![
            format!("v {restored} true"),
            format!("m {marker} false"),
            format!("v {new} false"),
            format!("v {old} false"),
        ]
    );

    // Removing a version for good is s3:DeleteObjectVersion, which the role lacks.
    let (s, _, xml) = env
        .s3(
            &a.creds,
            s3req("DELETE", format!("{}?versionId={marker}", a.url("doc.txt"))),
        )
        .await;
    assert_eq!(
        (s, tag(&xml, "Code").as_str()),
        (403, "AccessDenied"),
        "{xml}"
    );
}

#[tokio::test]
async fn delete_objects_reports_markers_and_refuses_version_deletes() {
    let env = env().await;
    let a = alice(&env).await;
    let v = a.put("x", "x").await;
    a.put("y", "y").await;
    let body = format!(
        "<Delete><Object><Key>{}</Key></Object><Object><Key>{}</Key></Object><Object><Key>{}</Key><VersionId>{v}</VersionId></Object></Delete>",
        a.key("x"),
        a.key("y"),
        a.key("x")
    );
    let url = format!("{}?delete", env.s3_url("").trim_end_matches('/'));
    let crc = base64::engine::general_purpose::STANDARD
        .encode(crc32fast::hash(body.as_bytes()).to_be_bytes());
    let mut req = s3req("POST", url);
    req.body = body.into_bytes();
    req.headers.push(("x-amz-checksum-crc32", crc));
    let (s, _, xml) = env.s3(&a.creds, req).await;
    assert_eq!(s, 200, "{xml}");
    let deleted: Vec<&str> = xml.split("<Deleted>").skip(1).collect();
    assert_eq!(deleted.len(), 2, "{xml}");
    for d in deleted {
        assert_eq!(tag(d, "DeleteMarker"), "true", "{d}");
        assert!(is_version_id(&tag(d, "DeleteMarkerVersionId")), "{d}");
    }
    let error = xml.split("<Error>").nth(1).unwrap();
    assert_eq!(tag(error, "Code"), "AccessDenied");
    assert_eq!(tag(error, "VersionId"), v);
    // The version refused is still there.
    let (s, _, body) = env
        .s3(
            &a.creds,
            s3req("GET", format!("{}?versionId={v}", a.url("x"))),
        )
        .await;
    assert_eq!((s, body.as_str()), (200, "x"));
}

#[tokio::test]
async fn a_completed_multipart_upload_is_a_new_version() {
    let env = env().await;
    let a = alice(&env).await;
    let first = a.put("big.bin", "small first").await;
    let (_, _, xml) = env
        .s3(
            &a.creds,
            s3req("POST", format!("{}?uploads", a.url("big.bin"))),
        )
        .await;
    let upload_id = tag(&xml, "UploadId");
    let mut part = s3req(
        "PUT",
        format!("{}?partNumber=1&uploadId={upload_id}", a.url("big.bin")),
    );
    part.body = b"only part".to_vec();
    let (_, h, _) = env.s3(&a.creds, part).await;
    let etag = h["etag"].to_str().unwrap().to_string();
    let mut complete = s3req("POST", format!("{}?uploadId={upload_id}", a.url("big.bin")));
    complete.body = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
    )
    .into_bytes();
    let (s, h, xml) = env.s3(&a.creds, complete).await;
    assert_eq!(s, 200, "{xml}");
    let second = h["x-amz-version-id"].to_str().unwrap().to_string();
    assert!(is_version_id(&second) && second != first);
    let (_, _, body) = env
        .s3(
            &a.creds,
            s3req("GET", format!("{}?versionId={first}", a.url("big.bin"))),
        )
        .await;
    assert_eq!(body, "small first");
    let (_, _, body) = env.s3(&a.creds, s3req("GET", a.url("big.bin"))).await;
    assert_eq!(body, "only part");

    // UploadPartCopy from the first version.
    let (_, _, xml) = env
        .s3(
            &a.creds,
            s3req("POST", format!("{}?uploads", a.url("copy.bin"))),
        )
        .await;
    let upload_id = tag(&xml, "UploadId");
    let mut part = s3req(
        "PUT",
        format!("{}?partNumber=1&uploadId={upload_id}", a.url("copy.bin")),
    );
    part.headers.push((
        "x-amz-copy-source",
        format!(
            "{}/{}?versionId={first}",
            env.emu.config().bucket,
            enc(&a.key("big.bin"))
        ),
    ));
    let (s, h, xml) = env.s3(&a.creds, part).await;
    assert_eq!(s, 200, "{xml}");
    assert_eq!(h["x-amz-copy-source-version-id"], first.as_str());
    let etag = tag(&xml, "ETag").replace("&quot;", "\"");
    let mut complete = s3req(
        "POST",
        format!("{}?uploadId={upload_id}", a.url("copy.bin")),
    );
    complete.body = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
    )
    .into_bytes();
    let (s, _, xml) = env.s3(&a.creds, complete).await;
    assert_eq!(s, 200, "{xml}");
    let (_, _, body) = env.s3(&a.creds, s3req("GET", a.url("copy.bin"))).await;
    assert_eq!(body, "small first");
}

#[tokio::test]
async fn with_versioning_off_the_bucket_keeps_no_versions() {
    let env = env().await;
    env.emu.control().set_versioning(false);
    let a = alice(&env).await;
    assert_eq!(a.put("f", "one").await, "");
    assert_eq!(a.put("f", "two").await, "");
    let (s, h, _) = env.s3(&a.creds, s3req("DELETE", a.url("g"))).await;
    assert_eq!(s, 204);
    assert!(!h.contains_key("x-amz-delete-marker") && !h.contains_key("x-amz-version-id"));
    let (s, h, _) = env.s3(&a.creds, s3req("DELETE", a.url("f"))).await;
    assert_eq!(s, 204);
    assert!(!h.contains_key("x-amz-delete-marker"));
    let (s, _, _) = env.s3(&a.creds, s3req("GET", a.url("f"))).await;
    assert_eq!(s, 403, "missing, and the role cannot tell");
    a.put("h", "kept").await;
    let (_, xml) = a.list("").await;
    assert_eq!(
        entries(&xml),
        vec![Entry::Version {
            key: a.key("h"),
            id: "null".into(),
            latest: true
        }]
    );
    let (s, h, body) = env
        .s3(
            &a.creds,
            s3req("GET", format!("{}?versionId=null", a.url("h"))),
        )
        .await;
    assert_eq!((s, body.as_str()), (200, "kept"));
    assert_eq!(h["x-amz-version-id"], "null");
    // Switched on again, the null version is kept when the key is replaced.
    env.emu.control().set_versioning(true);
    let v = a.put("h", "new").await;
    let (_, xml) = a.list("").await;
    assert_eq!(
        entries(&xml),
        vec![
            Entry::Version {
                key: a.key("h"),
                id: v,
                latest: true
            },
            Entry::Version {
                key: a.key("h"),
                id: "null".into(),
                latest: false
            },
        ]
    );
}

#[tokio::test]
async fn another_identity_cannot_list_read_or_copy_the_versions() {
    let env = env().await;
    let a = alice(&env).await;
    let (bob, bc) = env.signed_in("bob", "Bob-Password-2").await;
    let v = a.put("secret.txt", "mine").await;
    a.delete("secret.txt").await;
    let denied = |s: u16, xml: &str| {
        assert_eq!(s, 403, "{xml}");
        if !xml.is_empty() {
            assert_eq!(tag(xml, "Code"), "AccessDenied");
        }
    };
    let bucket_url = env.s3_url("").trim_end_matches('/').to_string();
    for query in [
        format!("?versions&prefix={}", enc(&a.key(""))),
        format!("?versions&prefix={}", enc(&a.key("secret"))),
        "?versions&prefix=private%2F".to_string(),
        "?versions".to_string(),
    ] {
        let (s, _, xml) = env
            .s3(&bc, s3req("GET", format!("{bucket_url}{query}")))
            .await;
        denied(s, &xml);
    }
    for method in ["GET", "HEAD"] {
        let (s, _, xml) = env
            .s3(
                &bc,
                s3req(method, format!("{}?versionId={v}", a.url("secret.txt"))),
            )
            .await;
        denied(s, &xml);
    }
    let mut copy = s3req("PUT", env.s3_url(&format!("private/{bob}/stolen.txt")));
    copy.headers.push((
        "x-amz-copy-source",
        format!(
            "{}/{}?versionId={v}",
            env.emu.config().bucket,
            enc(&a.key("secret.txt"))
        ),
    ));
    let (s, _, xml) = env.s3(&bc, copy).await;
    denied(s, &xml);
    let (s, _, xml) = env
        .s3(
            &bc,
            s3req("DELETE", format!("{}?versionId={v}", a.url("secret.txt"))),
        )
        .await;
    denied(s, &xml);
    // Bob's own listing shows nothing of Alice's.
    let (s, _, xml) = env
        .s3(
            &bc,
            s3req(
                "GET",
                format!(
                    "{bucket_url}?versions&prefix={}",
                    enc(&format!("private/{bob}/"))
                ),
            ),
        )
        .await;
    assert_eq!(s, 200, "{xml}");
    assert_eq!(entries(&xml), vec![]);
}

#[tokio::test]
async fn cors_exposes_the_version_headers() {
    let env = env().await;
    let a = alice(&env).await;
    let mut put = s3req("PUT", a.url("c.txt"));
    put.body = b"c".to_vec();
    put.headers.push(("origin", env.emu.urls().app.clone()));
    let (_, h, _) = env.s3(&a.creds, put).await;
    let exposed = h["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("x-amz-version-id"), "{exposed}");
    assert!(exposed.contains("x-amz-delete-marker"), "{exposed}");
}

#[tokio::test]
async fn the_admin_endpoint_switches_versioning_and_reset_turns_it_back_on() {
    let env = env().await;
    let a = alice(&env).await;
    let admin = |path: &str| format!("{}/__admin/{path}", env.emu.urls().admin);
    let resp = env
        .http
        .post(admin("versioning"))
        .json(&serde_json::json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(a.put("f", "off").await, "");
    let resp = env
        .http
        .post(admin("versioning"))
        .json(&serde_json::json!({"enabled": "no"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let resp = env.http.post(admin("reset")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(is_version_id(&a.put("f", "on").await));
}
