//! ListObjectVersions (`GET /?versions`): the record's versions and delete markers
//! and the `null` versions of current objects it does not name, walked by
//! [`super::versions::list`] and written by [`super::versions::to_xml`].
//!
//! AWS: <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html>.

use super::objects::CubbyS3;
use super::versioned::{check_id, internal};
use super::versions::iso_date;
use super::versions::{self, Version, NULL};
use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Result};

/// A 200 answer's XML body the emulator writes itself, for [`super::serve`] to send
/// instead of `s3s`'s: `s3s` writes ListObjectVersions' `Version` and `DeleteMarker`
/// elements in two runs (S3 interleaves them) and a DeleteObjects `Deleted` element's
/// fields alphabetically (S3 starts with `Key`).
#[derive(Clone, Debug)]
pub(super) struct XmlBody(pub String);

/// A request the emulator makes of `s3s-fs` itself (the tests' writes).
#[cfg(test)]
pub(super) fn internal_req<T>(input: T, method: http::Method) -> S3Request<T> {
    S3Request {
        input,
        method,
        uri: http::Uri::from_static("/"),
        headers: http::HeaderMap::new(),
        extensions: http::Extensions::new(),
        credentials: None,
        region: None,
        service: None,
        trailing_headers: None,
    }
}

impl CubbyS3 {
    /// Every key under `prefix` with its versions, newest first: the record's, and
    /// the `null` version of each current object the record does not name.
    pub(super) async fn all_versions(
        &self,
        prefix: &str,
        current: Vec<(String, Version)>,
    ) -> std::collections::BTreeMap<String, Vec<Version>> {
        let record = self.versions.record().lock().await;
        let mut keys: std::collections::BTreeMap<String, Vec<Version>> = record
            .keys
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (key, version) in current {
            let versions = keys.entry(key).or_default();
            if !versions.first().is_some_and(|v| v.current) {
                versions.retain(|v| v.id != NULL);
                versions.insert(0, version);
            }
        }
        keys
    }

    /// The current objects `s3s-fs` holds under `prefix`, as `null` versions.
    async fn current_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> S3Result<Vec<(String, Version)>> {
        let mut out = vec![];
        let mut token = None;
        loop {
            let input = ListObjectsV2Input::builder()
                .bucket(bucket.to_string())
                .prefix(Some(prefix.to_string()))
                .continuation_token(token.take())
                .build()
                .map_err(internal)?;
            let page = self.list_v2(input).await?;
            for o in page.contents.into_iter().flatten() {
                let Some(key) = o.key.as_deref().map(super::objects::s3_key) else {
                    continue;
                };
                let ms = o.last_modified.map_or(0, |t| {
                    (time::OffsetDateTime::from(t).unix_timestamp_nanos() / 1_000_000) as u64
                });
                let version = Version {
                    id: NULL.to_string(),
                    delete_marker: false,
                    last_modified_ms: ms,
                    size: o.size.unwrap_or(0).max(0) as u64,
                    etag: o
                        .e_tag
                        .map(|e| e.value().trim_matches('"').to_string())
                        .unwrap_or_default(),
                    current: true,
                };
                out.push((key, version));
            }
            match page.next_continuation_token {
                Some(t) if page.is_truncated == Some(true) => token = Some(t),
                _ => return Ok(out),
            }
        }
    }

    /// ListObjectVersions (`GET /?versions`); the body travels as [`XmlBody`].
    pub(super) async fn list_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<s3s::S3Response<ListObjectVersionsOutput>> {
        let i = &req.input;
        let key_marker = i.key_marker.as_deref().filter(|m| !m.is_empty());
        let version_id_marker = i.version_id_marker.as_deref().filter(|m| !m.is_empty());
        if version_id_marker.is_some() && key_marker.is_none() {
            return Err(s3_error!(
                InvalidArgument,
                "A version-id marker cannot be specified without a key marker."
            ));
        }
        check_id(version_id_marker)?;
        let url = match i.encoding_type.as_ref().map(|e| e.as_str()) {
            None => false,
            Some(e) if e == EncodingType::URL => true,
            Some(_) => {
                return Err(s3_error!(
                    InvalidArgument,
                    "Invalid Encoding Method specified in Request"
                ))
            }
        };
        let max_keys = match i.max_keys {
            None => 1000,
            Some(n) if n < 0 => {
                return Err(s3_error!(InvalidArgument, "max-keys cannot be negative"))
            }
            Some(n) => (n as usize).min(1000),
        };
        let prefix = i.prefix.as_deref().unwrap_or("");
        let current = self.current_objects(&i.bucket, prefix).await?;
        let keys = self.all_versions(prefix, current).await;
        let delimiter = i.delimiter.as_deref().filter(|d| !d.is_empty());
        let listing = versions::list(
            &keys,
            &versions::ListRequest {
                prefix,
                delimiter,
                key_marker,
                version_id_marker,
                max_keys,
            },
        );
        let echo = versions::Echo {
            bucket: &i.bucket,
            prefix,
            delimiter,
            key_marker: key_marker.unwrap_or(""),
            version_id_marker: version_id_marker.unwrap_or(""),
            max_keys,
            url,
        };
        let xml = versions::to_xml(&listing, &echo, super::objects::url_encode, iso_date);
        let mut resp = s3s::S3Response::new(ListObjectVersionsOutput::default());
        resp.extensions.insert(XmlBody(xml));
        Ok(resp)
    }
}
