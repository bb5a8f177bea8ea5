//! Cognito Identity (identity pools), AWS JSON 1.1 protocol: the id token from the
//! user pool is exchanged for an IdentityId and temporary AWS credentials.
//!
//! `GetId`, `GetCredentialsForIdentity` and `GetOpenIdToken` are unsigned: the id
//! token in `Logins` is the authentication.

use std::fmt;

use http::header::CONTENT_TYPE;

use crate::credentials::Credentials;
use crate::json::{self, Value};
use crate::secret::Secret;

const JSON_1_1: &str = "application/x-amz-json-1.1";
const TARGET_PREFIX: &str = "AWSCognitoIdentityService.";

/// The default endpoint for a region: `https://cognito-identity.<region>.amazonaws.com`.
pub fn endpoint(region: &str) -> String {
    format!("https://cognito-identity.{region}.amazonaws.com")
}

/// The `Logins` map key for a user pool: `cognito-idp.<region>.amazonaws.com/<poolId>`
/// (the token's issuer without `https://`).
pub fn logins_key(region: &str, user_pool_id: &str) -> String {
    format!("cognito-idp.{region}.amazonaws.com/{user_pool_id}")
}

// ---------------------------------------------------------------------------------
// Errors

/// The service's error types (`__type` / `X-Amzn-ErrorType` without namespace or
/// suffix), per the Cognito Identity API model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityErrorCode {
    /// The id token is expired, from the wrong pool, or guests are not allowed.
    NotAuthorized,
    ResourceNotFound,
    InvalidParameter,
    TooManyRequests,
    LimitExceeded,
    ResourceConflict,
    /// No role for the identity, or STS refused to assume it (trust policy).
    InvalidIdentityPoolConfiguration,
    ExternalService,
    InternalError,
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
enum Kind {
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
    fn new(kind: Kind) -> Self {
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

// ---------------------------------------------------------------------------------
// Requests

/// The input of every operation here: the pool (`GetId`) or the identity, and the
/// `Logins` map with the one user pool login.
fn input(id_name: &str, id: &str, logins_key: &str, id_token: &Secret) -> Value {
    Value::object(vec![
        (id_name, id.into()),
        (
            "Logins",
            Value::object(vec![(logins_key, id_token.expose().into())]),
        ),
    ])
}

fn json_post(
    endpoint: &str,
    operation: &str,
    body: &Value,
) -> Result<http::Request<Vec<u8>>, IdentityError> {
    let uri: http::Uri = format!("{}/", endpoint.trim_end_matches('/'))
        .parse()
        .map_err(|_| IdentityError::new(Kind::InvalidEndpoint))?;
    if uri.scheme().is_none() || uri.authority().is_none() {
        return Err(IdentityError::new(Kind::InvalidEndpoint));
    }
    let body = body.to_json().into_bytes();
    http::Request::builder()
        .method(http::Method::POST)
        .uri(uri)
        .header(CONTENT_TYPE, JSON_1_1)
        .header("x-amz-target", format!("{TARGET_PREFIX}{operation}"))
        .body(body)
        .map_err(|_| IdentityError::new(Kind::InvalidEndpoint))
}

/// `GetId`: the IdentityId for this user in the identity pool (created on first use).
pub fn build_get_id(
    endpoint: &str,
    identity_pool_id: &str,
    logins_key: &str,
    id_token: &Secret,
) -> Result<http::Request<Vec<u8>>, IdentityError> {
    let input = input("IdentityPoolId", identity_pool_id, logins_key, id_token);
    json_post(endpoint, "GetId", &input)
}

/// `GetCredentialsForIdentity`: temporary AWS credentials (one hour) for the identity.
pub fn build_get_credentials_for_identity(
    endpoint: &str,
    identity_id: &str,
    logins_key: &str,
    id_token: &Secret,
) -> Result<http::Request<Vec<u8>>, IdentityError> {
    let input = input("IdentityId", identity_id, logins_key, id_token);
    json_post(endpoint, "GetCredentialsForIdentity", &input)
}

/// `GetOpenIdToken`: an identity-pool token for STS `AssumeRoleWithWebIdentity`
/// (the basic flow).
pub fn build_get_open_id_token(
    endpoint: &str,
    identity_id: &str,
    logins_key: &str,
    id_token: &Secret,
) -> Result<http::Request<Vec<u8>>, IdentityError> {
    let input = input("IdentityId", identity_id, logins_key, id_token);
    json_post(endpoint, "GetOpenIdToken", &input)
}

// ---------------------------------------------------------------------------------
// Responses

/// `aws.cognito#NotAuthorizedException:http://...` -> `NotAuthorizedException`:
/// drop what follows `:`, then what precedes `#` (as the AWS SDKs do).
fn sanitize_error_type(raw: &str) -> &str {
    let raw = raw.split(':').next().unwrap_or(raw);
    let raw = raw.rsplit('#').next().unwrap_or(raw);
    raw.trim()
}

fn string_field<'a>(body: &'a Value, name: &str) -> Option<&'a str> {
    body.get(name).and_then(Value::as_str)
}

fn error_from_response(response: &http::Response<Vec<u8>>) -> IdentityError {
    let status = response.status().as_u16();
    let body = json::parse_bytes(response.body()).unwrap_or(Value::Null);
    let header_type = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(sanitize_error_type)
        .filter(|t| !t.is_empty());
    // Header first, then body `code`, then body `__type`.
    let error_type = header_type.or_else(|| {
        string_field(&body, "code")
            .or_else(|| string_field(&body, "__type"))
            .map(sanitize_error_type)
            .filter(|t| !t.is_empty())
    });
    let Some(error_type) = error_type else {
        return IdentityError::new(Kind::UnexpectedStatus(status));
    };
    let message = string_field(&body, "message")
        .or_else(|| string_field(&body, "Message"))
        .map(str::to_string);
    IdentityError::new(Kind::Service {
        code: IdentityErrorCode::parse(error_type),
        message,
        status,
    })
}

/// The JSON object of a success response, or the error the response carries.
fn success_body(response: &http::Response<Vec<u8>>) -> Result<Value, IdentityError> {
    if !response.status().is_success() {
        return Err(error_from_response(response));
    }
    match json::parse_bytes(response.body()) {
        Ok(body) if body.is_object() => Ok(body),
        _ => Err(IdentityError::new(Kind::MalformedResponse(
            "body is not a JSON object",
        ))),
    }
}

fn required_string(body: &Value, name: &'static str) -> Result<String, IdentityError> {
    match body.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(IdentityError::new(Kind::MalformedResponse(name))),
    }
}

/// Reads `GetId`'s answer: the IdentityId (`<region>:<guid>`).
pub fn parse_get_id(response: http::Response<Vec<u8>>) -> Result<String, IdentityError> {
    required_string(&success_body(&response)?, "IdentityId")
}

/// Epoch seconds as the JSON 1.1 protocol sends timestamps: a number, maybe
/// fractional or in exponent form (`1.7E9`). Rounded down, so expiry is never late.
fn epoch_seconds(value: &Value) -> Option<u64> {
    value.as_u64_floor()
}

/// Reads `GetCredentialsForIdentity`'s answer. Note the wire name `SecretKey`.
pub fn parse_get_credentials_for_identity(
    response: http::Response<Vec<u8>>,
) -> Result<Credentials, IdentityError> {
    let body = success_body(&response)?;
    let Some(creds) = body.get("Credentials").filter(|c| c.is_object()) else {
        return Err(IdentityError::new(Kind::MalformedResponse("Credentials")));
    };
    let expiration = match creds.get("Expiration") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            epoch_seconds(value)
                .ok_or(IdentityError::new(Kind::MalformedResponse("Expiration")))?,
        ),
    };
    let session_token = match creds.get("SessionToken") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(Secret::new(s.as_str())),
        Some(_) => return Err(IdentityError::new(Kind::MalformedResponse("SessionToken"))),
    };
    Ok(Credentials {
        access_key_id: required_string(creds, "AccessKeyId")?,
        secret_access_key: Secret::new(required_string(creds, "SecretKey")?),
        session_token,
        expiration,
    })
}

/// `GetOpenIdToken`'s answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenIdToken {
    /// May differ from the one asked about, after identities were merged.
    pub identity_id: String,
    /// Valid for ten minutes.
    pub token: Secret,
}

/// Reads `GetOpenIdToken`'s answer.
pub fn parse_get_open_id_token(
    response: http::Response<Vec<u8>>,
) -> Result<OpenIdToken, IdentityError> {
    let body = success_body(&response)?;
    Ok(OpenIdToken {
        identity_id: required_string(&body, "IdentityId")?,
        token: Secret::new(required_string(&body, "Token")?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_lose_namespace_and_suffix() {
        assert_eq!(
            sanitize_error_type("aws.cognito#NotAuthorizedException:http://x/"),
            "NotAuthorizedException"
        );
        assert_eq!(
            sanitize_error_type("NotAuthorizedException"),
            "NotAuthorizedException"
        );
        assert_eq!(
            sanitize_error_type("com.amazonaws.cognitoidentity#ResourceNotFoundException"),
            "ResourceNotFoundException"
        );
        assert_eq!(sanitize_error_type(""), "");
    }

    #[test]
    fn epoch_seconds_accepts_json_1_1_number_forms() {
        let seconds = |text: &str| epoch_seconds(&json::parse(text).unwrap());
        assert_eq!(seconds("1700003600"), Some(1700003600));
        assert_eq!(seconds("1700003600.75"), Some(1700003600));
        assert_eq!(seconds("1.514869445E9"), Some(1514869445));
        assert_eq!(seconds("-1"), None);
        assert_eq!(seconds("\"1700003600\""), None);
    }
}
