//! OAuth 2.0 authorization code flow with PKCE against the Cognito Hosted UI
//! (RFC 6749, RFC 7636, OpenID Connect), as pure functions.
//!
//! The flow: make a [`PkceVerifier`], state and nonce from random bytes the caller
//! supplies; send the browser to [`authorize_url`]; read the redirect back with
//! [`parse_callback`]; trade the code for tokens with [`build_code_exchange`] and
//! [`parse_token_response`]; later [`build_refresh`], and on sign-out [`build_revoke`]
//! and [`logout_url`].
//!
//! The app client is public (no secret), so no request carries `Authorization`.

use std::fmt;

use http::header::CONTENT_TYPE;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::encoding::{base64url_encode, form_encode, parse_query};
use crate::json_fields::{read_object, Loose, ObjectError};
use crate::secret::Secret;

const FORM: &str = "application/x-www-form-urlencoded";

/// Fewest random bytes accepted for state and nonce: 128 bits, so they cannot be guessed.
pub const MIN_STATE_BYTES: usize = 16;

// ---------------------------------------------------------------------------------
// Errors

/// Error codes defined by RFC 6749 (sections 4.1.2.1 and 5.2) and RFC 7009, as they
/// come back in a redirect or an endpoint's JSON body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    /// The user (or the server) refused, e.g. the user cancelled sign-in.
    AccessDenied,
    UnsupportedResponseType,
    ServerError,
    TemporarilyUnavailable,
    UnsupportedTokenType,
    /// Any other code, as sent.
    Other(String),
}

impl OAuthErrorCode {
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
enum Kind {
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
    fn new(kind: Kind) -> Self {
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

    pub fn is_state_mismatch(&self) -> bool {
        self.kind == Kind::StateMismatch
    }

    pub fn is_missing_state(&self) -> bool {
        self.kind == Kind::MissingState
    }

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

// ---------------------------------------------------------------------------------
// PKCE, state and nonce

/// The PKCE `code_verifier` (RFC 7636 section 4.1): kept secret in the browser until the
/// code exchange, while its S256 [`challenge`](Self::challenge) goes to `/authorize`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PkceVerifier(Secret);

impl PkceVerifier {
    /// From 32 to 96 random bytes, base64url-encoded (32 bytes give the usual 43
    /// characters; 96 give the maximum of 128).
    pub fn from_random_bytes(bytes: &[u8]) -> Result<Self, OAuthError> {
        if bytes.len() < 32 {
            return Err(OAuthError::new(Kind::NotEnoughRandomness {
                needed: 32,
                got: bytes.len(),
            }));
        }
        Self::new(base64url_encode(bytes))
    }

    /// An existing verifier, e.g. read back from session storage after the redirect.
    pub fn new(verifier: impl Into<String>) -> Result<Self, OAuthError> {
        let verifier = verifier.into();
        let valid_char =
            |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        if (43..=128).contains(&verifier.len()) && verifier.bytes().all(valid_char) {
            Ok(PkceVerifier(Secret::new(verifier)))
        } else {
            Err(OAuthError::new(Kind::InvalidVerifier))
        }
    }

    /// `BASE64URL(SHA256(verifier))`, the `S256` code challenge.
    pub fn challenge(&self) -> String {
        base64url_encode(&Sha256::digest(self.0.expose().as_bytes()))
    }

    pub fn secret(&self) -> &Secret {
        &self.0
    }
}

fn random_token(bytes: &[u8]) -> Result<String, OAuthError> {
    if bytes.len() < MIN_STATE_BYTES {
        return Err(OAuthError::new(Kind::NotEnoughRandomness {
            needed: MIN_STATE_BYTES,
            got: bytes.len(),
        }));
    }
    Ok(base64url_encode(bytes))
}

/// The `state` parameter (CSRF protection) from at least 16 random bytes. Base64url
/// needs no escaping, so Cognito echoes it back unchanged.
pub fn state_from_random_bytes(bytes: &[u8]) -> Result<String, OAuthError> {
    random_token(bytes)
}

/// The OpenID `nonce` (binds the id token to this sign-in) from at least 16 random bytes.
pub fn nonce_from_random_bytes(bytes: &[u8]) -> Result<String, OAuthError> {
    random_token(bytes)
}

// ---------------------------------------------------------------------------------
// Authorization request and callback

/// What goes into the `/oauth2/authorize` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizeParams<'a> {
    /// Base URL of the Hosted UI, e.g. `https://x.auth.us-east-1.amazoncognito.com`.
    pub hosted_ui: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub scopes: &'a [String],
    pub state: &'a str,
    pub nonce: &'a str,
    /// From [`PkceVerifier::challenge`].
    pub code_challenge: &'a str,
    /// Skips the provider chooser, e.g. `COGNITO` or `Google`.
    pub identity_provider: Option<&'a str>,
    /// Language of the managed login pages, e.g. `fr`.
    pub lang: Option<&'a str>,
}

fn url_with_query(base: &str, path: &str, pairs: &[(&str, &str)]) -> String {
    format!(
        "{}{}?{}",
        base.trim_end_matches('/'),
        path,
        form_encode(pairs.iter().copied())
    )
}

/// The URL to send the browser to for sign-in (authorization code grant with PKCE).
pub fn authorize_url(params: &AuthorizeParams<'_>) -> String {
    let scope = params.scopes.join(" ");
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", params.client_id),
        ("redirect_uri", params.redirect_uri),
        ("scope", scope.as_str()),
        ("state", params.state),
        ("nonce", params.nonce),
        ("code_challenge", params.code_challenge),
        ("code_challenge_method", "S256"),
    ];
    if let Some(idp) = params.identity_provider {
        pairs.push(("identity_provider", idp));
    }
    if let Some(lang) = params.lang {
        pairs.push(("lang", lang));
    }
    url_with_query(params.hosted_ui, "/oauth2/authorize", &pairs)
}

/// The authorization code from a successful sign-in redirect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthCode {
    /// Single use, valid for five minutes; still treated as a secret.
    pub code: Secret,
}

/// Equality that takes the same time wherever the first difference is, so comparing
/// the state does not leak how much of it an attacker guessed.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads the redirect back from the Hosted UI. `query` is the redirect URL's query,
/// with or without the leading `?` (`location.search`); `expected_state` is the state
/// this browser sent.
///
/// An `error=` redirect (e.g. `access_denied` when the user cancelled) is reported as
/// such, unless it carries a state that is not ours, which makes it a state mismatch.
pub fn parse_callback(query: &str, expected_state: &str) -> Result<AuthCode, OAuthError> {
    let query = query.strip_prefix('?').unwrap_or(query);
    // A fragment is not part of the query; ignore it if the caller passed one along.
    let query = query.split('#').next().unwrap_or("");
    let pairs = parse_query(query).ok_or(OAuthError::new(Kind::MalformedCallback))?;

    // RFC 6749 section 3.1: parameters must not appear more than once.
    let single = |name: &str| -> Result<Option<&str>, OAuthError> {
        let mut values = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        let first = values.next();
        if values.next().is_some() {
            return Err(OAuthError::new(Kind::MalformedCallback));
        }
        Ok(first.map(String::as_str))
    };
    let state = single("state")?;
    let code = single("code")?;
    let error = single("error")?;
    let description = single("error_description")?;

    let state_matches = state.map(|s| same_bytes(s.as_bytes(), expected_state.as_bytes()));
    if let Some(error) = error {
        if state_matches == Some(false) {
            return Err(OAuthError::new(Kind::StateMismatch));
        }
        return Err(OAuthError::new(Kind::Authorization {
            code: OAuthErrorCode::parse(error),
            description: description.map(str::to_string),
        }));
    }
    match state_matches {
        None => return Err(OAuthError::new(Kind::MissingState)),
        Some(false) => return Err(OAuthError::new(Kind::StateMismatch)),
        Some(true) => {}
    }
    match code {
        Some(code) if !code.is_empty() => Ok(AuthCode {
            code: Secret::new(code),
        }),
        _ => Err(OAuthError::new(Kind::MissingCode)),
    }
}

// ---------------------------------------------------------------------------------
// Token endpoint

fn form_post(
    hosted_ui: &str,
    path: &str,
    body: String,
) -> Result<http::Request<Vec<u8>>, OAuthError> {
    let uri = format!("{}{}", hosted_ui.trim_end_matches('/'), path);
    let uri: http::Uri = uri
        .parse()
        .map_err(|_| OAuthError::new(Kind::InvalidEndpoint))?;
    if uri.scheme().is_none() || uri.authority().is_none() {
        return Err(OAuthError::new(Kind::InvalidEndpoint));
    }
    http::Request::builder()
        .method(http::Method::POST)
        .uri(uri)
        .header(CONTENT_TYPE, FORM)
        .body(body.into_bytes())
        .map_err(|_| OAuthError::new(Kind::InvalidEndpoint))
}

/// `POST <hosted_ui>/oauth2/token` trading the authorization code for tokens.
/// `redirect_uri` must be the one sent to `/authorize`, byte for byte.
pub fn build_code_exchange(
    hosted_ui: &str,
    client_id: &str,
    code: &AuthCode,
    redirect_uri: &str,
    verifier: &PkceVerifier,
) -> Result<http::Request<Vec<u8>>, OAuthError> {
    let body = form_encode([
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("code", code.code.expose()),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier.secret().expose()),
    ]);
    form_post(hosted_ui, "/oauth2/token", body)
}

/// `POST <hosted_ui>/oauth2/token` getting fresh id and access tokens.
pub fn build_refresh(
    hosted_ui: &str,
    client_id: &str,
    refresh_token: &Secret,
) -> Result<http::Request<Vec<u8>>, OAuthError> {
    let body = form_encode([
        ("grant_type", "refresh_token"),
        ("client_id", client_id),
        ("refresh_token", refresh_token.expose()),
    ]);
    form_post(hosted_ui, "/oauth2/token", body)
}

/// What the token endpoint hands out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: Secret,
    /// Cubby asks for `openid`, so an id token is required: it is what the identity
    /// pool takes in exchange for AWS credentials.
    pub id_token: Secret,
    /// Always on the code grant; on the refresh grant only with rotation, so keep the
    /// old one when this is `None`.
    pub refresh_token: Option<Secret>,
    /// `Bearer`.
    pub token_type: String,
    /// Lifetime of the access token in seconds, when sent.
    pub expires_in: Option<u64>,
}

/// The token endpoint's JSON answer (RFC 6749 sections 5.1 and 5.2), success and
/// error fields together: some servers answer 200 with an error body. Each field is
/// read on its own so a malformed one is named.
#[derive(Deserialize)]
struct TokenBody {
    access_token: Option<Loose<String>>,
    id_token: Option<Loose<String>>,
    refresh_token: Option<Loose<String>>,
    token_type: Option<Loose<String>>,
    expires_in: Option<Loose<ExpiresIn>>,
    error: Option<Loose<String>>,
    error_description: Option<Loose<String>>,
}

/// `expires_in`: seconds, as a number or (some servers) a quoted number.
#[derive(Deserialize)]
#[serde(untagged)]
enum ExpiresIn {
    Seconds(u64),
    Quoted(String),
}

impl TokenBody {
    /// The error `{"error": "...", "error_description": "..."}` it carries, if any.
    fn error(self, status: u16) -> Option<OAuthError> {
        let code = self.error?.valid()?;
        Some(OAuthError::new(Kind::Endpoint {
            code: OAuthErrorCode::parse(&code),
            description: self.error_description.and_then(Loose::valid),
            status,
        }))
    }
}

fn error_from_response(status: u16, body: &[u8]) -> OAuthError {
    read_object::<TokenBody>(body)
        .ok()
        .and_then(|body| body.error(status))
        .unwrap_or(OAuthError::new(Kind::UnexpectedStatus(status)))
}

/// A token: absent or `null` is `None`; anything but a non-empty string is malformed.
fn secret_field(
    field: Option<Loose<String>>,
    name: &'static str,
) -> Result<Option<Secret>, OAuthError> {
    match field.map(Loose::valid) {
        None => Ok(None),
        Some(Some(token)) if !token.is_empty() => Ok(Some(Secret::new(token))),
        Some(_) => Err(OAuthError::new(Kind::MalformedResponse(name))),
    }
}

/// Reads the token endpoint's answer to [`build_code_exchange`] or [`build_refresh`].
///
/// # Errors
/// The endpoint's OAuth error (also when sent with 200), `UnexpectedStatus` for a
/// failure without one, `MalformedResponse` naming the field at fault.
pub fn parse_token_response(response: http::Response<Vec<u8>>) -> Result<TokenSet, OAuthError> {
    let status = response.status().as_u16();
    let body = response.body();
    if status != 200 {
        return Err(error_from_response(status, body));
    }
    let mut body: TokenBody = read_object(body).map_err(|e| {
        OAuthError::new(Kind::MalformedResponse(match e {
            ObjectError::NotJson(_) => "body is not JSON",
            ObjectError::NotObject => "body is not a JSON object",
        }))
    })?;
    let Some(access_token) = secret_field(body.access_token.take(), "access_token")? else {
        // Some servers answer 200 with an error body.
        return Err(body
            .error(status)
            .unwrap_or(OAuthError::new(Kind::MalformedResponse("access_token"))));
    };
    let id_token = secret_field(body.id_token, "id_token")?
        .ok_or(OAuthError::new(Kind::MalformedResponse("id_token")))?;
    let refresh_token = secret_field(body.refresh_token, "refresh_token")?;
    let token_type = body
        .token_type
        .and_then(Loose::valid)
        .ok_or(OAuthError::new(Kind::MalformedResponse("token_type")))?;
    let expires_in = match body.expires_in.map(Loose::valid) {
        None => None,
        Some(Some(ExpiresIn::Seconds(seconds))) => Some(seconds),
        Some(Some(ExpiresIn::Quoted(text))) => Some(
            text.parse()
                .map_err(|_| OAuthError::new(Kind::MalformedResponse("expires_in")))?,
        ),
        Some(None) => return Err(OAuthError::new(Kind::MalformedResponse("expires_in"))),
    };
    Ok(TokenSet {
        access_token,
        id_token,
        refresh_token,
        token_type,
        expires_in,
    })
}

// ---------------------------------------------------------------------------------
// Sign-out

/// The Hosted UI sign-out URL: clears its session cookie, then redirects to
/// `logout_uri` (which must be registered as a sign-out URL on the app client).
/// Tokens stay valid; revoke the refresh token with [`build_revoke`] as well.
pub fn logout_url(hosted_ui: &str, client_id: &str, logout_uri: &str) -> String {
    url_with_query(
        hosted_ui,
        "/logout",
        &[("client_id", client_id), ("logout_uri", logout_uri)],
    )
}

/// `POST <hosted_ui>/oauth2/revoke` (RFC 7009): revokes the refresh token and the
/// access tokens issued from it.
pub fn build_revoke(
    hosted_ui: &str,
    refresh_token: &Secret,
    client_id: &str,
) -> Result<http::Request<Vec<u8>>, OAuthError> {
    let body = form_encode([("token", refresh_token.expose()), ("client_id", client_id)]);
    form_post(hosted_ui, "/oauth2/revoke", body)
}

/// Reads the revocation endpoint's answer: 200 (even for an already revoked token)
/// is success.
pub fn parse_revoke_response(response: http::Response<Vec<u8>>) -> Result<(), OAuthError> {
    let status = response.status().as_u16();
    if status == 200 {
        Ok(())
    } else {
        Err(error_from_response(status, response.body()))
    }
}

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
    fn same_bytes_compares_exactly() {
        assert!(same_bytes(b"abc", b"abc"));
        assert!(!same_bytes(b"abc", b"abd"));
        assert!(!same_bytes(b"abc", b"ab"));
        assert!(same_bytes(b"", b""));
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
