//! S3's error bodies: `<Error>` XML with AWS's wording, a RequestId and a HostId, for
//! the errors the emulator raises itself and for those `s3s` raises.

use super::ReqInfo;
use crate::http_util::{self, escape_xml, Resp};
use base64::Engine as _;
use bytes::Bytes;
use http::{header, Method, StatusCode};
use http_body_util::BodyExt;

/// An S3 error response: `<Error><Code/><Message/>...extra...<RequestId/><HostId/></Error>`.
pub(super) fn error_response(
    info: &ReqInfo,
    status: StatusCode,
    code: &str,
    message: &str,
    extra: &[(&str, String)],
) -> Resp {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>",
        escape_xml(code),
        escape_xml(message)
    );
    for (name, value) in extra {
        xml.push_str(&format!("<{name}>{}</{name}>", escape_xml(value)));
    }
    xml.push_str(&format!(
        "<RequestId>{}</RequestId><HostId>{}</HostId></Error>",
        info.request_id,
        host_id(&info.request_id)
    ));
    let body = if info.method == Method::HEAD {
        Bytes::new()
    } else {
        Bytes::from(xml)
    };
    http_util::response(status, "application/xml", body)
}

pub(super) fn host_id(request_id: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(crate::state::sha256(request_id.as_bytes()))
}

/// AWS's wording for the codes s3s words differently or leaves empty.
pub(super) fn aws_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "AccessDenied" => "Access Denied",
        "SignatureDoesNotMatch" => "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        "InvalidAccessKeyId" => "The AWS Access Key Id you provided does not exist in our records.",
        "NoSuchKey" => "The specified key does not exist.",
        "NoSuchBucket" => "The specified bucket does not exist",
        "NoSuchUpload" => "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        "PreconditionFailed" => "At least one of the pre-conditions you specified did not hold",
        "InvalidPart" => "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
        "InvalidPartOrder" => "The list of parts was not in ascending order. Parts must be ordered by part number.",
        "EntityTooSmall" => "Your proposed upload is smaller than the minimum allowed object size.",
        "InvalidRange" => "The requested range is not satisfiable",
        "KeyTooLongError" => "Your key is too long",
        "MalformedXML" => "The XML you provided was not well-formed or did not validate against our published schema",
        "InternalError" => "We encountered an internal error. Please try again.",
        "SlowDown" => "Please reduce your request rate.",
        _ => return None,
    })
}

fn first_tag(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(xml[start..end].to_string())
}

fn unescape_xml(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Error bodies from s3s, reshaped like S3's (AWS message, RequestId, HostId).
pub(super) async fn normalise(info: &ReqInfo, resp: http::Response<s3s::Body>) -> Resp {
    let (parts, body) = resp.into_parts();
    if !parts.status.is_client_error() && !parts.status.is_server_error() {
        return http::Response::from_parts(
            parts,
            body.map_err(|e| e as http_util::BoxError).boxed(),
        );
    }
    let bytes = http_util::read_body(body, 1024 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let code = first_tag(&text, "Code").unwrap_or_else(|| {
        parts
            .status
            .canonical_reason()
            .unwrap_or("Error")
            .replace(' ', "")
    });
    let message = aws_message(&code)
        .map(str::to_string)
        .or_else(|| first_tag(&text, "Message").map(|m| unescape_xml(&m)))
        .unwrap_or_default();
    let mut extra = vec![];
    if code == "NoSuchKey" && !info.key.is_empty() {
        extra.push(("Key", info.key.clone()));
    }
    if code == "KeyTooLongError" {
        // As S3 does: the key's size and the limit (s3s says neither).
        extra.push(("Size", info.key.len().to_string()));
        extra.push(("MaxSizeAllowed", "1024".to_string()));
    }
    if code == "NoSuchBucket" {
        extra.push(("BucketName", info.bucket.clone()));
    }
    let mut resp = error_response(info, parts.status, &code, &message, &extra);
    for (k, v) in &parts.headers {
        if k != header::CONTENT_LENGTH && k != header::CONTENT_TYPE {
            resp.headers_mut().insert(k.clone(), v.clone());
        }
    }
    resp
}
