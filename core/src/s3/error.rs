//! The one error type of the S3 module.

use std::fmt;

use http::Response;

use super::keys::{KeyTooLong, MAX_KEY_BYTES};
use crate::datetime::{parse_http_date, parse_iso8601};
use crate::retry::Failure;
use crate::xml::{self, Element};

/// Something an S3 call could not do: a service error (with S3's code, message and
/// request id), a response that made no sense, input that cannot be sent, or a
/// signing failure. `Display` shows codes and messages, never credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Error {
    // Boxed: keeps `Result<_, S3Error>` one pointer wide.
    inner: Box<ErrorData>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct ErrorData {
    kind: ErrorKind,
    status: Option<u16>,
    code: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
    server_time: Option<u64>,
    date_header: Option<u64>,
    key: Option<String>,
    /// `Size` of a `KeyTooLongError` (the key's bytes), or of our own check.
    size: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ErrorKind {
    /// S3 answered with an error (status and maybe an error document).
    Service,
    /// S3 answered success, but the body or headers could not be read.
    UnexpectedResponse,
    /// The request could not be built from the given input.
    InvalidInput,
    /// aws-sigv4 refused to sign.
    Signing,
}

impl S3Error {
    fn bare(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self::wrap(ErrorData {
            kind,
            status: None,
            code: None,
            message: Some(message.into()),
            request_id: None,
            server_time: None,
            date_header: None,
            key: None,
            size: None,
        })
    }

    fn wrap(data: ErrorData) -> Self {
        S3Error {
            inner: Box::new(data),
        }
    }

    pub(crate) fn invalid_input(message: &str) -> Self {
        Self::bare(ErrorKind::InvalidInput, message)
    }

    /// A key over [`MAX_KEY_BYTES`], refused before sending: it carries S3's code
    /// `KeyTooLongError`, so that it reads (and is retried, i.e. not) as S3's own.
    pub(crate) fn key_too_long_input(too_long: KeyTooLong) -> Self {
        let mut err = Self::bare(
            ErrorKind::InvalidInput,
            format!("the key is longer than {MAX_KEY_BYTES} bytes"),
        );
        err.inner.code = Some(KEY_TOO_LONG.to_string());
        err.inner.size = too_long.bytes();
        err
    }

    /// A service error reported inside a successful answer for one key (a
    /// DeleteObjects `<Error>` entry): S3's code and message, no status.
    pub(crate) fn for_key(code: &str, message: Option<&str>, key: &str) -> Self {
        let mut err = Self::bare(ErrorKind::Service, message.unwrap_or_default());
        err.inner.message = message.map(str::to_string);
        err.inner.code = (!code.is_empty()).then(|| code.to_string());
        err.inner.key = Some(key.to_string());
        err
    }

    pub(crate) fn signing(message: String) -> Self {
        Self::bare(ErrorKind::Signing, message)
    }

    /// A success without the `ETag` header: in a browser, the bucket's CORS rule does
    /// not expose it (the header is there, the page just may not read it).
    pub fn is_missing_etag_header(&self) -> bool {
        self.is_unexpected_response() && self.message() == Some(MISSING_ETAG_HEADER)
    }

    pub(crate) fn unexpected_response(response: &Response<Vec<u8>>, message: &str) -> Self {
        let mut err = Self::bare(ErrorKind::UnexpectedResponse, message);
        err.inner.status = Some(response.status().as_u16());
        err.inner.request_id = request_id_header(response);
        err.inner.date_header = date_header(response);
        err
    }

    /// A non-success response: read the error document when there is one (HEAD and
    /// some proxies send none; then the status is all there is).
    pub(crate) fn from_response(response: &Response<Vec<u8>>) -> Self {
        match xml::parse_bytes(response.body()) {
            Ok(root) if root.name() == "Error" => Self::from_error_document(response, &root),
            _ => Self::wrap(ErrorData {
                kind: ErrorKind::Service,
                status: Some(response.status().as_u16()),
                code: None,
                message: None,
                request_id: request_id_header(response),
                server_time: None,
                date_header: date_header(response),
                key: None,
                size: None,
            }),
        }
    }

    /// An `<Error>` document, whatever the status (CopyObject and
    /// CompleteMultipartUpload can send one with 200).
    pub(crate) fn from_error_document(response: &Response<Vec<u8>>, root: &Element) -> Self {
        let text = |name: &str| root.child_text(name).map(str::to_string);
        Self::wrap(ErrorData {
            kind: ErrorKind::Service,
            status: Some(response.status().as_u16()),
            code: text("Code"),
            message: text("Message"),
            request_id: text("RequestId").or_else(|| request_id_header(response)),
            server_time: root.child_text("ServerTime").and_then(parse_iso8601),
            date_header: date_header(response),
            key: text("Key"),
            size: root.child_text("Size").and_then(|s| s.trim().parse().ok()),
        })
    }

    /// HTTP status of the response, when there was one.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// S3's error code (`NoSuchKey`, `SlowDown`, ...); `None` for bodiless errors
    /// (HEAD) and for errors that are not S3's.
    pub fn code(&self) -> Option<&str> {
        self.inner.code.as_deref()
    }

    /// S3's message, or ours for errors that are not S3's.
    pub fn message(&self) -> Option<&str> {
        self.inner.message.as_deref()
    }

    /// `RequestId` from the body or `x-amz-request-id`, for support requests.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// `ServerTime` of a `RequestTimeTooSkewed` (or expired-URL) error, epoch seconds.
    pub fn server_time(&self) -> Option<u64> {
        self.inner.server_time
    }

    /// The response's `Date` header, epoch seconds.
    pub fn date_header(&self) -> Option<u64> {
        self.inner.date_header
    }

    /// The `Key` the error document names, if any.
    pub fn key(&self) -> Option<&str> {
        self.inner.key.as_deref()
    }

    /// The key is longer than S3 allows: S3's `KeyTooLongError` (with the key's size
    /// when S3 names it), or the same refusal made before sending.
    pub fn key_too_long(&self) -> Option<KeyTooLong> {
        (self.code() == Some(KEY_TOO_LONG)).then(|| KeyTooLong::new(self.inner.size))
    }

    /// S3 answered with an error (as opposed to a bad response or bad input).
    pub fn is_service_error(&self) -> bool {
        self.inner.kind == ErrorKind::Service
    }

    /// The request could not be built from the given input.
    pub fn is_invalid_input(&self) -> bool {
        self.inner.kind == ErrorKind::InvalidInput
    }

    /// S3 answered success, but the body or headers could not be read.
    pub fn is_unexpected_response(&self) -> bool {
        self.inner.kind == ErrorKind::UnexpectedResponse
    }

    /// aws-sigv4 refused to sign the request.
    pub fn is_signing_error(&self) -> bool {
        self.inner.kind == ErrorKind::Signing
    }

    /// The object (or upload) does not exist: `NoSuchKey`, `NoSuchUpload`, or a
    /// bodiless 404.
    pub fn is_not_found(&self) -> bool {
        self.is_service_error()
            && match self.code() {
                Some(code) => matches!(code, "NoSuchKey" | "NoSuchUpload" | "NotFound"),
                None => self.inner.status == Some(404),
            }
    }

    /// `If-None-Match: *` found an existing object (412).
    pub fn is_precondition_failed(&self) -> bool {
        self.is_service_error()
            && (self.code() == Some("PreconditionFailed")
                || (self.code().is_none() && self.inner.status == Some(412)))
    }

    /// Not allowed (403 `AccessDenied` or a bodiless 403).
    pub fn is_access_denied(&self) -> bool {
        self.is_service_error()
            && (self.code() == Some("AccessDenied")
                || (self.code().is_none() && self.inner.status == Some(403)))
    }

    /// S3 no longer takes the credentials the request was signed with
    /// ([`crate::retry::is_stale_credentials`]: `ExpiredToken`, `InvalidToken`,
    /// `InvalidAccessKeyId`): fresh credentials mend it.
    pub fn is_stale_credentials(&self) -> bool {
        self.is_service_error() && self.code().is_some_and(crate::retry::is_stale_credentials)
    }

    /// The retry classifier's view of this error. `local_time` is the uncorrected
    /// device clock (epoch seconds) when the response arrived. Errors that had no
    /// response (bad input, signing) are described as a 400 without a code, which
    /// classifies as "do not retry".
    pub fn retry_failure(&self, local_time: u64) -> Failure {
        Failure {
            status: Some(self.inner.status.unwrap_or(400)),
            code: self.inner.code.clone(),
            server_time: self.inner.server_time,
            date_header: self.inner.date_header,
            local_time,
            offline: false,
        }
    }
}

/// S3's code for a key over [`MAX_KEY_BYTES`].
const KEY_TOO_LONG: &str = "KeyTooLongError";

pub(crate) const MISSING_ETAG_HEADER: &str = "no ETag header (is it exposed by CORS?)";

fn request_id_header(response: &Response<Vec<u8>>) -> Option<String> {
    response
        .headers()
        .get("x-amz-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn date_header(response: &Response<Vec<u8>>) -> Option<u64> {
    response
        .headers()
        .get(http::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date)
}

impl fmt::Display for S3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner.kind {
            ErrorKind::Service => {
                f.write_str("S3 error")?;
                if let Some(code) = &self.inner.code {
                    write!(f, " {code}")?;
                }
                if let Some(status) = self.inner.status {
                    write!(f, " (HTTP {status})")?;
                }
                if let Some(message) = &self.inner.message {
                    write!(f, ": {message}")?;
                }
                if let Some(id) = &self.inner.request_id {
                    write!(f, " [request id {id}]")?;
                }
                Ok(())
            }
            ErrorKind::UnexpectedResponse => write!(
                f,
                "unexpected S3 response: {}",
                self.inner.message.as_deref().unwrap_or("unreadable")
            ),
            ErrorKind::InvalidInput => write!(
                f,
                "invalid S3 request: {}",
                self.inner.message.as_deref().unwrap_or("bad input")
            ),
            ErrorKind::Signing => write!(
                f,
                "could not sign the S3 request: {}",
                self.inner.message.as_deref().unwrap_or("signing failed")
            ),
        }
    }
}

impl std::error::Error for S3Error {}
