//! Cognito Identity errors: the `__type` codes the service answers with
//! ([`IdentityErrorCode`]) and [`IdentityError`], read from a failed answer.

use std::fmt;

use serde::Deserialize;

use crate::json_fields::{read_object, Loose};

/// The service's error types (`__type` / `X-Amzn-ErrorType` without namespace or
/// suffix), per the Cognito Identity API model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityErrorCode {
    /// The id token is expired, from the wrong pool, or guests are not allowed.
    NotAuthorized,
    /// `ResourceNotFoundException`: no such identity pool or identity.
    ResourceNotFound,
    /// `InvalidParameterException`: a parameter is malformed.
    InvalidParameter,
    /// `TooManyRequestsException`: throttled (429).
    TooManyRequests,
    /// `LimitExceededException`: a `GetId` limit was reached; retried as throttling.
    LimitExceeded,
    /// `ResourceConflictException`: the login is already linked to another identity.
    ResourceConflict,
    /// No role for the identity, or STS refused to assume it (trust policy).
    InvalidIdentityPoolConfiguration,
    /// `ExternalServiceException`: an external identity provider failed.
    ExternalService,
    /// `InternalErrorException`: a server fault (500).
    InternalError,
    /// Any other type name, as sent (namespace and suffix removed).
    Unknown(String),
}

impl IdentityErrorCode {
    /// From an error type name with namespace and suffix already removed.
    pub fn parse(name: &str) -> Self {
        match name {
            "NotAuthorizedException" => Self::NotAuthorized,
            "ResourceNotFoundException" => Self::ResourceNotFound,
            "InvalidParameterException" => Self::InvalidParameter,
            "TooManyRequestsException" => Self::TooManyRequests,
            "LimitExceededException" => Self::LimitExceeded,
            "ResourceConflictException" => Self::ResourceConflict,
            "InvalidIdentityPoolConfigurationException" => Self::InvalidIdentityPoolConfiguration,
            "ExternalServiceException" => Self::ExternalService,
            "InternalErrorException" => Self::InternalError,
            other => Self::Unknown(other.to_string()),
        }
    }

    /// The type name as the service sends it, e.g. `NotAuthorizedException`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::NotAuthorized => "NotAuthorizedException",
            Self::ResourceNotFound => "ResourceNotFoundException",
            Self::InvalidParameter => "InvalidParameterException",
            Self::TooManyRequests => "TooManyRequestsException",
            Self::LimitExceeded => "LimitExceededException",
            Self::ResourceConflict => "ResourceConflictException",
            Self::InvalidIdentityPoolConfiguration => "InvalidIdentityPoolConfigurationException",
            Self::ExternalService => "ExternalServiceException",
            Self::InternalError => "InternalErrorException",
            Self::Unknown(name) => name,
        }
    }
}

impl fmt::Display for IdentityErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed Cognito Identity call. Messages carry the service's own message (which
/// names no token) but never a token or key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityError {
    kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    InvalidEndpoint,
    /// An error the service named.
    Service {
        code: IdentityErrorCode,
        message: Option<String>,
        status: u16,
    },
    /// A failure status with no error type (a gateway page, an empty body).
    UnexpectedStatus(u16),
    /// A success status whose body lacks what the operation returns.
    MalformedResponse(&'static str),
}

impl IdentityError {
    pub(super) fn new(kind: Kind) -> Self {
        IdentityError { kind }
    }

    /// A stable snake_case name for the kind of failure.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::InvalidEndpoint => "invalid_endpoint",
            Kind::Service { .. } => "service_error",
            Kind::UnexpectedStatus(_) => "unexpected_status",
            Kind::MalformedResponse(_) => "malformed_response",
        }
    }

    /// The service's error type, when it named one.
    pub fn code(&self) -> Option<&IdentityErrorCode> {
        match &self.kind {
            Kind::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The service's message, when it sent one.
    pub fn message(&self) -> Option<&str> {
        match &self.kind {
            Kind::Service { message, .. } => message.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status of the failed response, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self.kind {
            Kind::Service { status, .. } | Kind::UnexpectedStatus(status) => Some(status),
            _ => None,
        }
    }

    /// The login was refused (typically an expired id token): refresh the tokens or
    /// sign in again.
    pub fn is_not_authorized(&self) -> bool {
        self.code() == Some(&IdentityErrorCode::NotAuthorized)
    }

    /// Throttled: back off and retry (the JS SDK treats `LimitExceeded` the same way).
    pub fn is_throttling(&self) -> bool {
        matches!(
            self.code(),
            Some(IdentityErrorCode::TooManyRequests | IdentityErrorCode::LimitExceeded)
        ) || self.status() == Some(429)
    }

    /// A server-side fault worth retrying.
    pub fn is_transient(&self) -> bool {
        self.code() == Some(&IdentityErrorCode::InternalError)
            || self.status().is_some_and(|s| s >= 500)
    }
}

fn clipped(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::InvalidEndpoint => {
                f.write_str("the Cognito Identity endpoint is not a valid URI")
            }
            Kind::Service {
                code,
                message,
                status,
            } => {
                write!(f, "Cognito Identity error {code} (HTTP {status})")?;
                if let Some(m) = message {
                    write!(f, ": {}", clipped(m))?;
                }
                Ok(())
            }
            Kind::UnexpectedStatus(status) => {
                write!(f, "unexpected HTTP {status} from Cognito Identity")
            }
            Kind::MalformedResponse(what) => {
                write!(f, "malformed Cognito Identity response: {what}")
            }
        }
    }
}

impl std::error::Error for IdentityError {}

/// `aws.cognito#NotAuthorizedException:http://...` -> `NotAuthorizedException`:
/// drop what follows `:`, then what precedes `#` (as the AWS SDKs do).
pub(super) fn sanitize_error_type(raw: &str) -> &str {
    let raw = raw.split(':').next().unwrap_or(raw);
    let raw = raw.rsplit('#').next().unwrap_or(raw);
    raw.trim()
}

/// An error answer's body: the type in `code` or `__type`, the message in `message`
/// or `Message` (services differ). Fields of another type are ignored.
#[derive(Default, Deserialize)]
struct ErrorBody {
    code: Option<Loose<String>>,
    #[serde(rename = "__type")]
    type_name: Option<Loose<String>>,
    message: Option<Loose<String>>,
    #[serde(rename = "Message")]
    message_capitalised: Option<Loose<String>>,
}

pub(super) fn error_from_response(response: &http::Response<Vec<u8>>) -> IdentityError {
    let status = response.status().as_u16();
    let body: ErrorBody = read_object(response.body()).unwrap_or_default();
    let header_type = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(sanitize_error_type)
        .filter(|t| !t.is_empty());
    // Header first, then body `code`, then body `__type`.
    let body_type = body
        .code
        .and_then(Loose::valid)
        .or_else(|| body.type_name.and_then(Loose::valid));
    let error_type = header_type.or_else(|| {
        body_type
            .as_deref()
            .map(sanitize_error_type)
            .filter(|t| !t.is_empty())
    });
    let Some(error_type) = error_type else {
        return IdentityError::new(Kind::UnexpectedStatus(status));
    };
    let message = body
        .message
        .and_then(Loose::valid)
        .or_else(|| body.message_capitalised.and_then(Loose::valid));
    IdentityError::new(Kind::Service {
        code: IdentityErrorCode::parse(error_type),
        message,
        status,
    })
}
