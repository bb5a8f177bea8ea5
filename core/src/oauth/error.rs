//! OAuth errors: the RFC 6749 / RFC 7009 error codes and this module's error type.

use std::fmt;

/// Error codes defined by RFC 6749 (sections 4.1.2.1 and 5.2) and RFC 7009, as they
/// come back in a redirect or an endpoint's JSON body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OAuthErrorCode {
    /// `invalid_request`: a parameter is missing, repeated or malformed.
    InvalidRequest,
    /// `invalid_client`: the client id is unknown or not allowed this call.
    InvalidClient,
    /// `invalid_grant`: the code or refresh token is invalid, expired, revoked or
    /// does not match the redirect URI or PKCE verifier.
    InvalidGrant,
    /// `unauthorized_client`: the client may not use this grant type.
    UnauthorizedClient,
    /// `unsupported_grant_type`: the server does not know the `grant_type`.
    UnsupportedGrantType,
    /// `invalid_scope`: a requested scope is unknown or not allowed.
    InvalidScope,
    /// The user (or the server) refused, e.g. the user cancelled sign-in.
    AccessDenied,
    /// `unsupported_response_type`: the server does not know the `response_type`.
    UnsupportedResponseType,
    /// `server_error`: the server failed (the redirect form of a 500).
    ServerError,
    /// `temporarily_unavailable`: the server is overloaded or down for maintenance.
    TemporarilyUnavailable,
    /// `unsupported_token_type` (RFC 7009 §2.2.1): revocation of this token type is
    /// not supported.
    UnsupportedTokenType,
    /// Any other code, as sent.
    Other(String),
}

impl OAuthErrorCode {
    /// The variant for an `error` value as sent; unknown codes become [`Self::Other`].
    pub fn parse(code: &str) -> Self {
        match code {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "invalid_scope" => Self::InvalidScope,
            "access_denied" => Self::AccessDenied,
            "unsupported_response_type" => Self::UnsupportedResponseType,
            "server_error" => Self::ServerError,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            "unsupported_token_type" => Self::UnsupportedTokenType,
            other => Self::Other(other.to_string()),
        }
    }

    /// The code as it goes on the wire, e.g. `invalid_grant`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::Other(code) => code,
        }
    }
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong in this module. Inspect it with the accessor methods;
/// its messages never contain a token, code, verifier or state value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    NotEnoughRandomness {
        needed: usize,
        got: usize,
    },
    InvalidVerifier,
    InvalidEndpoint,
    MalformedCallback,
    MissingState,
    StateMismatch,
    MissingCode,
    /// `error=` in the redirect back from `/oauth2/authorize`.
    Authorization {
        code: OAuthErrorCode,
        description: Option<String>,
    },
    /// An error JSON body from the token or revocation endpoint.
    Endpoint {
        code: OAuthErrorCode,
        description: Option<String>,
        status: u16,
    },
    /// A status without an OAuth error body (a 5xx page, a proxy error, ...).
    UnexpectedStatus(u16),
    MalformedResponse(&'static str),
}

impl OAuthError {
    pub(super) fn new(kind: Kind) -> Self {
        OAuthError { kind }
    }

    /// A stable snake_case name for the kind of failure, for logs and tests.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::NotEnoughRandomness { .. } => "not_enough_randomness",
            Kind::InvalidVerifier => "invalid_verifier",
            Kind::InvalidEndpoint => "invalid_endpoint",
            Kind::MalformedCallback => "malformed_callback",
            Kind::MissingState => "missing_state",
            Kind::StateMismatch => "state_mismatch",
            Kind::MissingCode => "missing_code",
            Kind::Authorization { .. } => "authorization_error",
            Kind::Endpoint { .. } => "endpoint_error",
            Kind::UnexpectedStatus(_) => "unexpected_status",
            Kind::MalformedResponse(_) => "malformed_response",
        }
    }

    /// The OAuth error code, when the server sent one (redirect or endpoint body).
    pub fn oauth_error(&self) -> Option<&OAuthErrorCode> {
        match &self.kind {
            Kind::Authorization { code, .. } | Kind::Endpoint { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The server's `error_description`, when it sent one.
    pub fn description(&self) -> Option<&str> {
        match &self.kind {
            Kind::Authorization { description, .. } | Kind::Endpoint { description, .. } => {
                description.as_deref()
            }
            _ => None,
        }
    }

    /// The HTTP status of the endpoint response that failed, if any.
    pub fn status(&self) -> Option<u16> {
        match self.kind {
            Kind::Endpoint { status, .. } | Kind::UnexpectedStatus(status) => Some(status),
            _ => None,
        }
    }

    /// The code or refresh token was rejected (used, expired, revoked, wrong
    /// verifier): the session is over and the user must sign in again.
    pub fn is_invalid_grant(&self) -> bool {
        self.oauth_error() == Some(&OAuthErrorCode::InvalidGrant)
    }

    /// The user cancelled at the Hosted UI, or the server refused the request.
    pub fn is_access_denied(&self) -> bool {
        self.oauth_error() == Some(&OAuthErrorCode::AccessDenied)
    }

    /// The redirect's `state` is not the one this browser sent (a forged or stale
    /// redirect).
    pub fn is_state_mismatch(&self) -> bool {
        self.kind == Kind::StateMismatch
    }

    /// The redirect carries no `state`.
    pub fn is_missing_state(&self) -> bool {
        self.kind == Kind::MissingState
    }

    /// The redirect carries no (or an empty) `code`.
    pub fn is_missing_code(&self) -> bool {
        self.kind == Kind::MissingCode
    }

    /// Worth retrying later: a server fault rather than a problem with the request.
    pub fn is_transient(&self) -> bool {
        match &self.kind {
            Kind::UnexpectedStatus(status) => *status >= 500 || *status == 429,
            Kind::Authorization { code, .. } | Kind::Endpoint { code, .. } => matches!(
                code,
                OAuthErrorCode::ServerError | OAuthErrorCode::TemporarilyUnavailable
            ),
            _ => false,
        }
    }
}

/// Server-chosen text goes into messages; cap it so a huge body cannot flood a log.
fn clipped(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::NotEnoughRandomness { needed, got } => {
                write!(f, "not enough random bytes: needed {needed}, got {got}")
            }
            Kind::InvalidVerifier => f.write_str(
                "PKCE code verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
            ),
            Kind::InvalidEndpoint => f.write_str("the sign-in endpoint URL is not a valid URI"),
            Kind::MalformedCallback => f.write_str("the sign-in redirect has a malformed query"),
            Kind::MissingState => f.write_str("the sign-in redirect has no state parameter"),
            Kind::StateMismatch => f.write_str(
                "the sign-in redirect's state does not match this browser's sign-in attempt",
            ),
            Kind::MissingCode => f.write_str("the sign-in redirect has no authorization code"),
            Kind::Authorization { code, description } => {
                write!(f, "sign-in failed: {code}")?;
                if let Some(d) = description {
                    write!(f, " ({})", clipped(d))?;
                }
                Ok(())
            }
            Kind::Endpoint {
                code,
                description,
                status,
            } => {
                write!(f, "OAuth endpoint error {code} (HTTP {status})")?;
                if let Some(d) = description {
                    write!(f, ": {}", clipped(d))?;
                }
                Ok(())
            }
            Kind::UnexpectedStatus(status) => {
                write!(f, "unexpected HTTP {status} from the OAuth endpoint")
            }
            Kind::MalformedResponse(what) => {
                write!(f, "malformed token endpoint response: {what}")
            }
        }
    }
}

impl std::error::Error for OAuthError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_error_codes_round_trip() {
        for code in [
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unauthorized_client",
            "unsupported_grant_type",
            "invalid_scope",
            "access_denied",
            "unsupported_response_type",
            "server_error",
            "temporarily_unavailable",
            "unsupported_token_type",
            "something_else",
        ] {
            assert_eq!(OAuthErrorCode::parse(code).as_str(), code);
        }
        assert_eq!(
            OAuthErrorCode::parse("nope"),
            OAuthErrorCode::Other("nope".into())
        );
    }

    #[test]
    fn long_descriptions_are_clipped() {
        let long = "x".repeat(500);
        let clipped = clipped(&long);
        assert_eq!(clipped.len(), 203);
        assert!(clipped.ends_with("..."));
        assert_eq!(super::clipped("short"), "short");
    }
}
