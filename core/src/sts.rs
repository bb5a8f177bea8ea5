//! STS `AssumeRoleWithWebIdentity` for Cognito's basic (classic) flow: trade the
//! OpenID token from `GetOpenIdToken` for temporary credentials. The call is
//! unsigned (the token is the authentication), a form POST answered with XML.

use std::fmt;

use http::{Method, Request, Response};

use crate::credentials::Credentials;
use crate::datetime::{parse_http_date, parse_iso8601};
use crate::encoding::form_encode;
use crate::retry::Failure;
use crate::secret::Secret;
use crate::xml::{self, Element};

/// The input of STS `AssumeRoleWithWebIdentity`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssumeRoleWithWebIdentity<'a> {
    /// `https://sts.<region>.amazonaws.com/` (or the emulator's URL).
    pub endpoint: &'a str,
    /// `RoleArn`: the role to assume, e.g. `arn:aws:iam::<account>:role/<name>`.
    pub role_arn: &'a str,
    /// 2 to 64 characters of `[A-Za-z0-9_+=,.@-]`.
    pub role_session_name: &'a str,
    /// `WebIdentityToken`: the `Token` from Cognito Identity `GetOpenIdToken`.
    pub web_identity_token: &'a Secret,
    /// 900 to 43200 seconds (the role's maximum applies); STS's default is 3600.
    pub duration_seconds: Option<u32>,
}

/// `POST <endpoint>` with the form body `Action=AssumeRoleWithWebIdentity
/// &Version=2011-06-15&RoleArn&RoleSessionName&WebIdentityToken[&DurationSeconds]`,
/// `Content-Type: application/x-www-form-urlencoded; charset=utf-8` and
/// `Accept: application/xml`, unsigned. AWS Security Token Service API Reference:
/// AssumeRoleWithWebIdentity.
///
/// # Errors
/// Invalid input: a role session name that is not 2 to 64 characters of
/// `[A-Za-z0-9_+=,.@-]`, a duration outside 900..=43200 seconds, or an endpoint that
/// is not a valid URI.
pub fn build_assume_role_with_web_identity(
    input: &AssumeRoleWithWebIdentity<'_>,
) -> Result<Request<Vec<u8>>, StsError> {
    let name = input.role_session_name;
    let name_ok = (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if !name_ok {
        return Err(StsError::invalid_input(
            "role session name must be 2-64 characters of [A-Za-z0-9_+=,.@-]",
        ));
    }
    if let Some(d) = input.duration_seconds {
        if !(900..=43_200).contains(&d) {
            return Err(StsError::invalid_input(
                "duration must be 900 to 43200 seconds",
            ));
        }
    }
    let duration = input.duration_seconds.map(|d| d.to_string());
    let mut pairs = vec![
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", input.role_arn),
        ("RoleSessionName", name),
        ("WebIdentityToken", input.web_identity_token.expose()),
    ];
    if let Some(d) = &duration {
        pairs.push(("DurationSeconds", d));
    }
    Request::builder()
        .method(Method::POST)
        .uri(input.endpoint)
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .header("accept", "application/xml")
        .body(form_encode(pairs).into_bytes())
        .map_err(|_| StsError::invalid_input("STS endpoint is not a valid URL"))
}

/// Reads the `AssumeRoleWithWebIdentityResponse` XML into [`Credentials`]
/// (`Expiration`, ISO-8601, as epoch seconds). AWS Security Token Service API
/// Reference: AssumeRoleWithWebIdentity.
///
/// # Errors
/// A service error for a non-2xx status (code, message and request id from the
/// `<ErrorResponse>` when there is one); an unexpected response for a body that is
/// not XML, lacks `AssumeRoleWithWebIdentityResult/Credentials` or one of its
/// fields, or has an `Expiration` that is not ISO-8601.
pub fn parse_assume_role_with_web_identity(
    response: Response<Vec<u8>>,
) -> Result<Credentials, StsError> {
    let status = response.status().as_u16();
    let date = response
        .headers()
        .get(http::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date);
    let root = xml::parse_bytes(response.body());
    if !response.status().is_success() {
        return Err(match root {
            Ok(root) => StsError::from_error_document(status, date, &root),
            Err(_) => StsError::service(status, date),
        });
    }
    let root = root.map_err(|_| StsError::unexpected(status, "response body is not valid XML"))?;
    let creds = root
        .find(&["AssumeRoleWithWebIdentityResult", "Credentials"])
        .filter(|_| root.name() == "AssumeRoleWithWebIdentityResponse")
        .ok_or_else(|| {
            StsError::unexpected(status, "no AssumeRoleWithWebIdentityResult/Credentials")
        })?;
    let field = |name: &str| {
        creds
            .child_text(name)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| StsError::unexpected(status, "credentials field missing"))
    };
    let expiration = parse_iso8601(field("Expiration")?)
        .ok_or_else(|| StsError::unexpected(status, "Expiration is not an ISO-8601 time"))?;
    Ok(Credentials {
        access_key_id: field("AccessKeyId")?.to_string(),
        secret_access_key: Secret::new(field("SecretAccessKey")?),
        session_token: Some(Secret::new(field("SessionToken")?)),
        expiration: Some(expiration),
    })
}

/// An STS failure: a service error (`<ErrorResponse><Error><Code>`), an unreadable
/// response, or input that cannot be sent. Never shows the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsError {
    kind: StsErrorKind,
    status: Option<u16>,
    code: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
    date_header: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StsErrorKind {
    Service,
    UnexpectedResponse,
    InvalidInput,
}

impl StsError {
    fn invalid_input(message: &str) -> Self {
        StsError {
            kind: StsErrorKind::InvalidInput,
            status: None,
            code: None,
            message: Some(message.to_string()),
            request_id: None,
            date_header: None,
        }
    }

    fn unexpected(status: u16, message: &str) -> Self {
        StsError {
            kind: StsErrorKind::UnexpectedResponse,
            status: Some(status),
            ..Self::invalid_input(message)
        }
    }

    fn service(status: u16, date_header: Option<u64>) -> Self {
        StsError {
            kind: StsErrorKind::Service,
            status: Some(status),
            code: None,
            message: None,
            request_id: None,
            date_header,
        }
    }

    fn from_error_document(status: u16, date_header: Option<u64>, root: &Element) -> Self {
        let error = root
            .child("Error")
            .filter(|_| root.name() == "ErrorResponse");
        let text = |el: Option<&Element>, name: &str| {
            el.and_then(|e| e.child_text(name))
                .map(|t| t.trim().to_string())
        };
        StsError {
            code: text(error, "Code"),
            message: text(error, "Message"),
            request_id: text(Some(root), "RequestId"),
            ..Self::service(status, date_header)
        }
    }

    /// HTTP status of the response, when there was one.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// `InvalidIdentityToken`, `ExpiredTokenException`, `AccessDenied`, ...
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// STS's `Message`, or ours for errors that are not STS's.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// `RequestId` from the error document, for support requests.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// STS answered with an error status.
    pub fn is_service_error(&self) -> bool {
        self.kind == StsErrorKind::Service
    }

    /// The request could not be built from the given input.
    pub fn is_invalid_input(&self) -> bool {
        self.kind == StsErrorKind::InvalidInput
    }

    /// STS answered success, but the body could not be read.
    pub fn is_unexpected_response(&self) -> bool {
        self.kind == StsErrorKind::UnexpectedResponse
    }

    /// The retry classifier's view; `local_time` is the device clock, epoch seconds.
    pub fn retry_failure(&self, local_time: u64) -> Failure {
        Failure {
            status: Some(self.status.unwrap_or(400)),
            code: self.code.clone(),
            server_time: None,
            date_header: self.date_header,
            local_time,
            offline: false,
        }
    }
}

impl fmt::Display for StsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            StsErrorKind::Service => {
                f.write_str("STS error")?;
                if let Some(code) = &self.code {
                    write!(f, " {code}")?;
                }
                if let Some(status) = self.status {
                    write!(f, " (HTTP {status})")?;
                }
                if let Some(message) = &self.message {
                    write!(f, ": {message}")?;
                }
                if let Some(id) = &self.request_id {
                    write!(f, " [request id {id}]")?;
                }
                Ok(())
            }
            StsErrorKind::UnexpectedResponse => write!(
                f,
                "unexpected STS response: {}",
                self.message.as_deref().unwrap_or("unreadable")
            ),
            StsErrorKind::InvalidInput => write!(
                f,
                "invalid STS request: {}",
                self.message.as_deref().unwrap_or("bad input")
            ),
        }
    }
}

impl std::error::Error for StsError {}
