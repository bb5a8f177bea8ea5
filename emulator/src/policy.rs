//! The per-identity access rule the emulator enforces, as data.
//!
//! It mirrors the authenticated role's S3 policy in `deploy/cubby.yaml` (IAM
//! `StringLike` patterns, with `{identity}` standing for the policy variable
//! `${cognito-identity.amazonaws.com:sub}`, the caller's identity id) and the table of
//! which IAM actions each S3 operation needs. The S3 service authorises every request
//! through [`AccessRule::may_perform`] and [`AccessRule::authorize`] on
//! [`ACCESS_RULE`], so this data is the behaviour; `tests/deploy_policy.rs` compares it
//! with the template.

/// Stands for the caller's identity id in the patterns below.
pub const IDENTITY: &str = "{identity}";

macro_rules! own_prefix {
    () => {
        "private/{identity}/"
    };
}

/// The folder each identity owns.
pub const OWN_PREFIX: &str = own_prefix!();

pub const GET_OBJECT: &str = "s3:GetObject";
pub const GET_OBJECT_VERSION: &str = "s3:GetObjectVersion";
pub const PUT_OBJECT: &str = "s3:PutObject";
pub const DELETE_OBJECT: &str = "s3:DeleteObject";
/// Permanent deletion of a version or delete marker; not granted (see
/// `deploy/cubby.yaml`: undo and restore copy an older version back instead).
pub const DELETE_OBJECT_VERSION: &str = "s3:DeleteObjectVersion";
pub const ABORT_MULTIPART_UPLOAD: &str = "s3:AbortMultipartUpload";
pub const LIST_MULTIPART_UPLOAD_PARTS: &str = "s3:ListMultipartUploadParts";
pub const LIST_BUCKET: &str = "s3:ListBucket";
pub const LIST_BUCKET_VERSIONS: &str = "s3:ListBucketVersions";
pub const LIST_BUCKET_MULTIPART_UPLOADS: &str = "s3:ListBucketMultipartUploads";

/// An IAM-shaped allow rule: object actions on a key pattern, and listing actions
/// limited by one `s3:prefix` condition. Everything else is denied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessRule {
    /// Actions allowed on keys matching [`AccessRule::object_key_pattern`].
    pub object_actions: &'static [&'static str],
    /// `StringLike` pattern for object keys (the resource after `<bucket ARN>/`).
    pub object_key_pattern: &'static str,
    /// The bucket-level listing actions (all under the same `s3:prefix` condition).
    pub list_actions: &'static [&'static str],
    /// `StringLike` patterns the `s3:prefix` of a listing must match (one of them);
    /// a listing without a prefix is denied.
    pub list_prefix_patterns: &'static [&'static str],
}

/// The rule the emulator enforces: each identity may touch only `private/<identity id>/`.
pub const ACCESS_RULE: AccessRule = AccessRule {
    object_actions: &[
        GET_OBJECT,
        GET_OBJECT_VERSION,
        PUT_OBJECT,
        DELETE_OBJECT,
        ABORT_MULTIPART_UPLOAD,
        LIST_MULTIPART_UPLOAD_PARTS,
    ],
    object_key_pattern: concat!(own_prefix!(), "*"),
    list_actions: &[LIST_BUCKET, LIST_BUCKET_VERSIONS],
    list_prefix_patterns: &[own_prefix!(), concat!(own_prefix!(), "*")],
};

/// What an IAM action of an operation is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The bucket itself, with no key or prefix (no such action is granted).
    Bucket,
    /// The listing's `s3:prefix`.
    ListPrefix,
    /// The request's key.
    Key,
    /// The key in `x-amz-copy-source` (same bucket only).
    CopySource,
    /// Each key of a batch, authorised one by one (DeleteObjects).
    EachKey,
}

/// One IAM action an operation needs, and on what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Need {
    pub action: &'static str,
    pub on: Target,
}

const fn need(action: &'static str, on: Target) -> Need {
    Need { action, on }
}

/// The IAM actions each S3 operation the emulator knows needs (operation names as
/// s3s and `s3::classify` spell them; `<operation>?versionId` is the operation on a
/// given version, which IAM authorises with the `...Version` actions). An operation
/// not listed is denied.
pub const OPERATIONS: &[(&str, &[Need])] = &[
    ("ListObjectsV2", &[need(LIST_BUCKET, Target::ListPrefix)]),
    ("ListObjects", &[need(LIST_BUCKET, Target::ListPrefix)]),
    (
        "ListObjectVersions",
        &[need(LIST_BUCKET_VERSIONS, Target::ListPrefix)],
    ),
    ("GetObject", &[need(GET_OBJECT, Target::Key)]),
    (
        "GetObject?versionId",
        &[need(GET_OBJECT_VERSION, Target::Key)],
    ),
    ("HeadObject", &[need(GET_OBJECT, Target::Key)]),
    (
        "HeadObject?versionId",
        &[need(GET_OBJECT_VERSION, Target::Key)],
    ),
    ("PutObject", &[need(PUT_OBJECT, Target::Key)]),
    (
        "CopyObject",
        &[
            need(GET_OBJECT, Target::CopySource),
            need(PUT_OBJECT, Target::Key),
        ],
    ),
    (
        "CopyObject?versionId",
        &[
            need(GET_OBJECT_VERSION, Target::CopySource),
            need(PUT_OBJECT, Target::Key),
        ],
    ),
    ("DeleteObject", &[need(DELETE_OBJECT, Target::Key)]),
    (
        "DeleteObject?versionId",
        &[need(DELETE_OBJECT_VERSION, Target::Key)],
    ),
    ("DeleteObjects", &[need(DELETE_OBJECT, Target::EachKey)]),
    (
        "DeleteObjects?versionId",
        &[need(DELETE_OBJECT_VERSION, Target::EachKey)],
    ),
    ("CreateMultipartUpload", &[need(PUT_OBJECT, Target::Key)]),
    ("UploadPart", &[need(PUT_OBJECT, Target::Key)]),
    (
        "UploadPartCopy",
        &[
            need(GET_OBJECT, Target::CopySource),
            need(PUT_OBJECT, Target::Key),
        ],
    ),
    (
        "UploadPartCopy?versionId",
        &[
            need(GET_OBJECT_VERSION, Target::CopySource),
            need(PUT_OBJECT, Target::Key),
        ],
    ),
    ("CompleteMultipartUpload", &[need(PUT_OBJECT, Target::Key)]),
    (
        "AbortMultipartUpload",
        &[need(ABORT_MULTIPART_UPLOAD, Target::Key)],
    ),
    (
        "ListParts",
        &[need(LIST_MULTIPART_UPLOAD_PARTS, Target::Key)],
    ),
    (
        "ListMultipartUploads",
        &[need(LIST_BUCKET_MULTIPART_UPLOADS, Target::Bucket)],
    ),
];

/// The IAM actions `operation` needs, or `None` for an operation the table lacks.
pub fn needs(operation: &str) -> Option<&'static [Need]> {
    OPERATIONS
        .iter()
        .find(|(name, _)| *name == operation)
        .map(|(_, n)| *n)
}

/// What a request touches, for [`AccessRule::authorize`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Resources<'a> {
    pub key: Option<&'a str>,
    pub copy_source_key: Option<&'a str>,
    pub prefix: Option<&'a str>,
}

impl AccessRule {
    /// Whether the rule grants `action` on targets of this kind at all.
    pub fn grants(&self, action: &str, on: Target) -> bool {
        match on {
            Target::ListPrefix => self.list_actions.contains(&action),
            Target::Key | Target::CopySource | Target::EachKey => {
                self.object_actions.contains(&action)
            }
            Target::Bucket => false,
        }
    }

    /// Whether some request of `operation` can be allowed (every action it needs is
    /// granted); the resources are checked by [`AccessRule::authorize`].
    pub fn may_perform(&self, operation: &str) -> bool {
        needs(operation).is_some_and(|n| n.iter().all(|n| self.grants(n.action, n.on)))
    }

    /// Whether `identity` may do `action` on `key`.
    pub fn allows_object(&self, identity: &str, action: &str, key: &str) -> bool {
        self.object_actions.contains(&action)
            && string_like(&self.object_key_pattern.replace(IDENTITY, identity), key)
    }

    /// Whether `identity` may list with this `s3:prefix`.
    pub fn allows_list(&self, identity: &str, prefix: Option<&str>) -> bool {
        prefix.is_some_and(|p| {
            self.list_prefix_patterns
                .iter()
                .any(|pattern| string_like(&pattern.replace(IDENTITY, identity), p))
        })
    }

    /// Whether `identity` may do `operation` on `resources` (bucket checked by the
    /// caller). For [`Target::EachKey`] call once per key, with the key in `key`.
    pub fn authorize(&self, identity: &str, operation: &str, resources: &Resources) -> bool {
        let Some(needs) = needs(operation) else {
            return false;
        };
        needs.iter().all(|n| match n.on {
            Target::Bucket => false,
            Target::ListPrefix => {
                self.list_actions.contains(&n.action)
                    && self.allows_list(identity, resources.prefix)
            }
            Target::Key | Target::EachKey => resources
                .key
                .is_some_and(|k| self.allows_object(identity, n.action, k)),
            Target::CopySource => resources
                .copy_source_key
                .is_some_and(|k| self.allows_object(identity, n.action, k)),
        })
    }
}

/// IAM `StringLike`: `*` matches any run of characters (also none), `?` one character;
/// case-sensitive.
pub fn string_like(pattern: &str, value: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    let (mut i, mut j) = (0, 0);
    // Position after the last `*` in the pattern, and where in the value it resumed.
    let mut star: Option<(usize, usize)> = None;
    while j < v.len() {
        if i < p.len() && (p[i] == '?' || p[i] == v[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i + 1, j));
            i += 1;
        } else if let Some((after, from)) = star {
            i = after;
            j = from + 1;
            star = Some((after, from + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: &str = "us-east-1:11111111-2222-3333-4444-555555555555";
    const OTHER: &str = "us-east-1:99999999-2222-3333-4444-555555555555";

    #[test]
    fn string_like_matches_like_iam() {
        assert!(string_like("a*", "a"));
        assert!(string_like("a*", "abc/d"));
        assert!(string_like("a?c", "abc"));
        assert!(!string_like("a?c", "ac"));
        assert!(string_like("*b*", "abc"));
        assert!(string_like("a*c*e", "abcdcxe"));
        assert!(!string_like("a*c*e", "abcdcx"));
        assert!(!string_like("abc", "ABC"));
        assert!(string_like("", ""));
        assert!(!string_like("", "a"));
    }

    #[test]
    fn patterns_are_built_on_the_own_prefix() {
        assert_eq!(OWN_PREFIX, "private/{identity}/");
        assert_eq!(ACCESS_RULE.object_key_pattern, format!("{OWN_PREFIX}*"));
        assert_eq!(
            ACCESS_RULE.list_prefix_patterns,
            [OWN_PREFIX.to_string(), format!("{OWN_PREFIX}*")]
        );
    }

    #[test]
    fn objects_only_under_the_own_prefix() {
        let r = ACCESS_RULE;
        let mine = format!("private/{ME}/a/b.txt");
        assert!(r.allows_object(ME, GET_OBJECT, &mine));
        assert!(r.allows_object(ME, PUT_OBJECT, &format!("private/{ME}/")));
        assert!(!r.allows_object(OTHER, GET_OBJECT, &mine));
        assert!(!r.allows_object(ME, GET_OBJECT, &format!("private/{ME}")));
        assert!(!r.allows_object(ME, GET_OBJECT, &format!("private/{ME}x/a")));
        assert!(!r.allows_object(ME, "s3:PutObjectAcl", &mine));
        assert!(!r.allows_object(ME, LIST_BUCKET, &mine));
    }

    #[test]
    fn listing_needs_a_prefix_under_the_own_prefix() {
        let r = ACCESS_RULE;
        let list = |p: Option<&str>| {
            r.authorize(
                ME,
                "ListObjectsV2",
                &Resources {
                    prefix: p,
                    ..Resources::default()
                },
            )
        };
        assert!(list(Some(&format!("private/{ME}/"))));
        assert!(list(Some(&format!("private/{ME}/photos/"))));
        assert!(!list(None));
        assert!(!list(Some("")));
        assert!(!list(Some("private/")));
        assert!(!list(Some(&format!("private/{ME}"))));
        assert!(!list(Some(&format!("private/{OTHER}/"))));
    }

    #[test]
    fn operations_map_to_iam_actions() {
        let r = ACCESS_RULE;
        for op in [
            "ListObjectsV2",
            "GetObject",
            "HeadObject",
            "PutObject",
            "CopyObject",
            "DeleteObject",
            "DeleteObjects",
            "CreateMultipartUpload",
            "UploadPart",
            "UploadPartCopy",
            "CompleteMultipartUpload",
            "AbortMultipartUpload",
            "ListParts",
            "ListObjectVersions",
            "GetObject?versionId",
            "HeadObject?versionId",
            "CopyObject?versionId",
            "UploadPartCopy?versionId",
        ] {
            assert!(r.may_perform(op), "{op}");
        }
        for op in [
            "DeleteObject?versionId",
            "DeleteObjects?versionId",
            "ListMultipartUploads",
            "ListBuckets",
            "GetBucketCors",
            "PutObjectAcl",
            "Unknown",
        ] {
            assert!(!r.may_perform(op), "{op}");
        }
        // A copy needs GetObject on its source as well as PutObject on its target.
        let target = format!("private/{ME}/b");
        let copy = |from: &str| {
            r.authorize(
                ME,
                "CopyObject",
                &Resources {
                    key: Some(&target),
                    copy_source_key: Some(from),
                    prefix: None,
                },
            )
        };
        assert!(copy(&format!("private/{ME}/a")));
        assert!(!copy(&format!("private/{OTHER}/a")));
        // From a given version, s3:GetObjectVersion on the source: its owner's only.
        let copy_version = |who: &str, from: &str| {
            r.authorize(
                who,
                "CopyObject?versionId",
                &Resources {
                    key: Some(&target),
                    copy_source_key: Some(from),
                    prefix: None,
                },
            )
        };
        assert!(copy_version(ME, &format!("private/{ME}/a")));
        assert!(!copy_version(ME, &format!("private/{OTHER}/a")));
        assert!(!copy_version(OTHER, &format!("private/{ME}/a")));
        // Versions are listed under the same s3:prefix condition as files.
        let list_versions = |who: &str, p: &str| {
            r.authorize(
                who,
                "ListObjectVersions",
                &Resources {
                    prefix: Some(p),
                    ..Resources::default()
                },
            )
        };
        assert!(list_versions(ME, &format!("private/{ME}/")));
        assert!(!list_versions(OTHER, &format!("private/{ME}/")));
        assert!(!list_versions(ME, "private/"));
        // Without s3:PutObject no multipart upload can start or finish.
        let no_put = AccessRule {
            object_actions: &[GET_OBJECT, DELETE_OBJECT],
            ..ACCESS_RULE
        };
        assert!(!no_put.may_perform("CreateMultipartUpload"));
        assert!(!no_put.may_perform("CopyObject"));
        assert!(no_put.may_perform("HeadObject"));
    }
}
