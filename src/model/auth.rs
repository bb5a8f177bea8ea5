//! Sign-in and session steps, composed from the core's protocol functions and an
//! injected transport: start the Hosted UI sign-in, finish it from the callback,
//! refresh tokens, get the identity id and AWS credentials.
//!
//! The JSON kept in storage lives here too (its keys: `model::storage_keys`); the
//! browser adapter only stores the strings.

use crate::config::Config;
use crate::model::transport::{Aborted, NetworkError, SendOptions, Transport};
use cubby_core::credentials::Credentials;
use cubby_core::id_token::{self, IdTokenClaims, IdTokenError};
use cubby_core::identity::{self, IdentityError};
use cubby_core::json_fields::read_object;
use cubby_core::oauth::{self, OAuthError, OAuthErrorCode, PkceVerifier};
use cubby_core::secret::Secret;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// Clock leeway for id token times, in seconds.
pub const LEEWAY: u64 = 300;
/// Refresh tokens this long before they expire.
pub const REFRESH_MARGIN: u64 = 300;

/// The sign-in in progress, kept in sessionStorage across the Hosted UI round trip
/// as JSON with these field names.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub verifier: String,
    pub state: String,
    pub nonce: String,
    pub keep_signed_in: bool,
    /// The folder to open once signed in (a `model::route` fragment; never in the redirect URI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
}

impl fmt::Debug for PendingSignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingSignIn")
            .field("keep_signed_in", &self.keep_signed_in)
            .finish_non_exhaustive()
    }
}

impl PendingSignIn {
    pub fn to_json(&self) -> String {
        // Strings and a bool: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// `None` for anything but a stored sign-in.
    pub fn from_json(text: &str) -> Option<Self> {
        // Objects only, a repeated name's last value: as every reader in the app.
        read_object(text.as_bytes()).ok()
    }

    /// Whether the callback `query` answers this sign-in (it carries its `state`).
    /// Only such an answer may use the sign-in up: a redirect without it (forged or
    /// stale) leaves the sign-in in progress for its real answer.
    pub fn is_answered_by(&self, query: &str) -> bool {
        callback_state(query).as_deref() == Some(self.state.as_str())
    }
}

/// Starts a sign-in: the Hosted UI URL to go to and what to keep until the callback.
/// `random` supplies the PKCE verifier (32 bytes), state (16) and nonce (16).
pub fn begin_sign_in(
    config: &Config,
    random: &[u8; 64],
    keep_signed_in: bool,
) -> Result<(String, PendingSignIn), AuthError> {
    let verifier = PkceVerifier::from_random_bytes(&random[..32]).map_err(AuthError::Callback)?;
    let state = oauth::state_from_random_bytes(&random[32..48]).map_err(AuthError::Callback)?;
    let nonce = oauth::nonce_from_random_bytes(&random[48..64]).map_err(AuthError::Callback)?;
    let challenge = verifier.challenge();
    let url = oauth::authorize_url(&oauth::AuthorizeParams {
        hosted_ui: &config.hosted_ui_url,
        client_id: &config.client_id,
        redirect_uri: &config.redirect_uri,
        scopes: &config.scopes,
        state: &state,
        nonce: &nonce,
        code_challenge: &challenge,
        identity_provider: None,
        lang: None,
    });
    let pending = PendingSignIn {
        verifier: verifier.secret().expose().to_string(),
        state,
        nonce,
        keep_signed_in,
        folder: None,
    };
    Ok((url, pending))
}

/// Whether a page load is the Hosted UI's redirect back (it carries `code` or `error`).
pub fn is_callback(query: &str) -> bool {
    cubby_core::encoding::parse_query(query.trim_start_matches('?'))
        .unwrap_or_default()
        .iter()
        .any(|(k, _)| k == "code" || k == "error")
}

/// The `state` a Hosted UI redirect carries, if any.
pub fn callback_state(query: &str) -> Option<String> {
    cubby_core::encoding::parse_query(query.trim_start_matches('?'))
        .unwrap_or_default()
        .into_iter()
        .find_map(|(k, v)| (k == "state").then_some(v))
}

/// The user's tokens and what the id token says. The access token is not kept:
/// nothing in the app uses it (the identity pool takes the id token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tokens {
    pub id_token: Secret,
    pub refresh_token: Secret,
    pub claims: IdTokenClaims,
    /// Tokens live in localStorage (true) or sessionStorage (false).
    pub keep_signed_in: bool,
}

/// [`Tokens`] as kept in storage and sent to other tabs: the tokens themselves (the
/// claims are decoded again on reading). Borrowed when written, owned when read
/// (`read_object` reads through a map first). An `access_token` that earlier builds
/// stored is ignored.
#[derive(Serialize, Deserialize)]
struct StoredTokens<'a> {
    id_token: Cow<'a, str>,
    refresh_token: Cow<'a, str>,
    keep_signed_in: bool,
}

impl Tokens {
    pub fn to_json(&self) -> String {
        let stored = StoredTokens {
            id_token: self.id_token.expose().into(),
            refresh_token: self.refresh_token.expose().into(),
            keep_signed_in: self.keep_signed_in,
        };
        // Strings and a bool: serialising cannot fail.
        serde_json::to_string(&stored).unwrap_or_default()
    }

    /// Reads stored tokens back. The id token's claims are checked again except for
    /// expiry: an expired id token is refreshed, not thrown away.
    pub fn from_json(config: &Config, text: &str) -> Option<Tokens> {
        // Objects only, a repeated name's last value: as every reader in the app.
        let stored: StoredTokens = read_object(text.as_bytes()).ok()?;
        let claims = id_token::decode(&stored.id_token).ok()?;
        let issuer = config.issuer();
        if claims.iss != issuer || !claims.aud.contains(&config.client_id) {
            return None;
        }
        Some(Tokens {
            id_token: Secret::new(stored.id_token),
            refresh_token: Secret::new(stored.refresh_token),
            claims,
            keep_signed_in: stored.keep_signed_in,
        })
    }

    /// Whether the id token should be refreshed at `now` (epoch seconds).
    pub fn needs_refresh(&self, now: u64) -> bool {
        now >= self.refresh_at()
    }

    /// When to refresh (epoch seconds): [`REFRESH_MARGIN`] before expiry, or a fifth
    /// of the token's lifetime before it when that is shorter.
    pub fn refresh_at(&self) -> u64 {
        let lifetime = self.claims.exp.saturating_sub(self.claims.iat);
        self.claims
            .refresh_at(crate::model::session::renewal_margin(
                lifetime,
                REFRESH_MARGIN,
            ))
    }

    /// Whether `other` comes from the same sign-in as these tokens: the same user
    /// (`sub`) and the same sign-in, told by `origin_jti` when both carry it, else by
    /// `auth_time`, else by the refresh token (which, without rotation, a sign-in
    /// keeps). With refresh-token rotation every refresh brings a new refresh
    /// token, so the refresh token alone cannot tell.
    pub fn same_sign_in(&self, other: &Tokens) -> bool {
        let (mine, theirs) = (&self.claims, &other.claims);
        if mine.sub != theirs.sub {
            return false;
        }
        match (&mine.origin_jti, &theirs.origin_jti) {
            (Some(a), Some(b)) => a == b,
            _ => match (mine.auth_time, theirs.auth_time) {
                (Some(a), Some(b)) => a == b,
                _ => self.refresh_token == other.refresh_token,
            },
        }
    }

    /// Whether these tokens were issued after `other` (a later refresh: with
    /// rotation, the newer refresh token).
    pub fn is_newer_than(&self, other: &Tokens) -> bool {
        (self.claims.iat, self.claims.exp) > (other.claims.iat, other.claims.exp)
    }

    /// Who is signed in, for the header.
    pub fn display_name(&self) -> String {
        self.claims
            .email
            .clone()
            .or_else(|| self.claims.username.clone())
            .unwrap_or_else(|| self.claims.sub.clone())
    }
}

/// Finishes the sign-in from the callback's query: checks state, trades the code,
/// validates the id token (issuer, audience, expiry, nonce).
pub async fn complete_sign_in(
    config: &Config,
    transport: &dyn Transport,
    query: &str,
    pending: &PendingSignIn,
    now: u64,
) -> Result<Tokens, AuthError> {
    let code = oauth::parse_callback(query, &pending.state).map_err(AuthError::Callback)?;
    let verifier = PkceVerifier::new(pending.verifier.clone()).map_err(AuthError::Callback)?;
    let request = oauth::build_code_exchange(
        &config.hosted_ui_url,
        &config.client_id,
        &code,
        &config.redirect_uri,
        &verifier,
    )
    .map_err(AuthError::Token)?;
    let response = send(transport, request, "sign-in").await?;
    let set = oauth::parse_token_response(response).map_err(AuthError::Token)?;
    let refresh_token = set.refresh_token.ok_or(AuthError::NoRefreshToken)?;
    let claims = check_id_token(config, set.id_token.expose(), Some(&pending.nonce), now)?;
    Ok(Tokens {
        id_token: set.id_token,
        refresh_token,
        claims,
        keep_signed_in: pending.keep_signed_in,
    })
}

/// Sends one request; no response at all becomes a network error naming `step`.
async fn send(
    transport: &dyn Transport,
    request: http::Request<Vec<u8>>,
    step: &'static str,
) -> Result<http::Response<Vec<u8>>, AuthError> {
    match transport.send(request, SendOptions::default()).await {
        Ok(answer) => answer.map_err(|e| AuthError::Network(step, e)),
        // Nothing aborts these requests (no signal given); counted as no answer.
        Err(Aborted) => Err(AuthError::Network(step, NetworkError("aborted".into()))),
    }
}

fn check_id_token(
    config: &Config,
    token: &str,
    nonce: Option<&str>,
    now: u64,
) -> Result<IdTokenClaims, AuthError> {
    let issuer = config.issuer();
    id_token::validate(
        token,
        &id_token::Expected {
            issuer: &issuer,
            client_id: &config.client_id,
            nonce,
        },
        now,
        LEEWAY,
    )
    .map_err(AuthError::IdToken)
}

/// Gets a fresh id token with the refresh token. Keeps the old refresh token unless
/// the server rotated it (then the old one stops working after the app client's
/// grace period: keep the new one).
pub async fn refresh(
    config: &Config,
    transport: &dyn Transport,
    tokens: &Tokens,
    now: u64,
) -> Result<Tokens, AuthError> {
    let request = oauth::build_refresh(
        &config.hosted_ui_url,
        &config.client_id,
        &tokens.refresh_token,
    )
    .map_err(AuthError::Token)?;
    let response = send(transport, request, "session refresh").await?;
    let set = oauth::parse_token_response(response).map_err(AuthError::Token)?;
    let claims = check_id_token(config, set.id_token.expose(), None, now)?;
    Ok(Tokens {
        id_token: set.id_token,
        refresh_token: set
            .refresh_token
            .unwrap_or_else(|| tokens.refresh_token.clone()),
        claims,
        keep_signed_in: tokens.keep_signed_in,
    })
}

fn logins_key(config: &Config) -> String {
    config.issuer().trim_start_matches("https://").to_string()
}

/// GetId: the user's identity id in the identity pool (their folder's name).
pub async fn get_identity_id(
    config: &Config,
    transport: &dyn Transport,
    tokens: &Tokens,
) -> Result<String, AuthError> {
    let request = identity::build_get_id(
        &config.cognito_identity_url(),
        &config.identity_pool_id,
        &logins_key(config),
        &tokens.id_token,
    )
    .map_err(AuthError::Identity)?;
    let response = send(transport, request, "identity lookup").await?;
    identity::parse_get_id(response).map_err(AuthError::Identity)
}

/// GetCredentialsForIdentity: temporary AWS credentials for the identity.
pub async fn get_credentials(
    config: &Config,
    transport: &dyn Transport,
    identity_id: &str,
    tokens: &Tokens,
) -> Result<Credentials, AuthError> {
    let request = identity::build_get_credentials_for_identity(
        &config.cognito_identity_url(),
        identity_id,
        &logins_key(config),
        &tokens.id_token,
    )
    .map_err(AuthError::Identity)?;
    let response = send(transport, request, "getting AWS credentials").await?;
    identity::parse_get_credentials_for_identity(response).map_err(AuthError::Identity)
}

/// The Hosted UI sign-out URL.
pub fn sign_out_url(config: &Config) -> String {
    oauth::logout_url(
        &config.hosted_ui_url,
        &config.client_id,
        &config.sign_out_uri,
    )
}

/// Revokes the refresh token (best effort: sign-out goes on either way).
pub async fn revoke(
    config: &Config,
    transport: &dyn Transport,
    tokens: &Tokens,
) -> Result<(), AuthError> {
    let request = oauth::build_revoke(
        &config.hosted_ui_url,
        &tokens.refresh_token,
        &config.client_id,
    )
    .map_err(AuthError::Token)?;
    let response = send(transport, request, "sign-out").await?;
    oauth::parse_revoke_response(response).map_err(AuthError::Token)
}

/// Why signing in, or keeping the session, failed.
#[derive(Clone, Debug)]
pub enum AuthError {
    /// The redirect back from the Hosted UI: cancelled, an error, or a state mismatch.
    Callback(OAuthError),
    /// The token endpoint refused.
    Token(OAuthError),
    IdToken(IdTokenError),
    Identity(IdentityError),
    /// No response at all; the string says which step.
    Network(&'static str, NetworkError),
    NoRefreshToken,
    /// The callback arrived but this tab has no sign-in in progress.
    NoPendingSignIn,
    /// The configuration cannot work (e.g. the bucket settings); says why.
    Config(String),
    /// The user signed out (here or in another tab) while a refresh was under way:
    /// its tokens are dropped, never stored.
    SignedOut,
}

impl AuthError {
    /// Only an invalid (revoked or expired) refresh token ends a session; anything
    /// else is worth retrying later.
    pub fn ends_session(&self) -> bool {
        match self {
            AuthError::Token(e) => e.is_invalid_grant(),
            AuthError::IdToken(_) | AuthError::NoRefreshToken | AuthError::SignedOut => true,
            AuthError::Identity(e) => e.is_not_authorized(),
            _ => false,
        }
    }

    pub fn is_network(&self) -> bool {
        matches!(self, AuthError::Network(..))
    }

    /// Why a session that was working has ended (for an error that
    /// [`AuthError::ends_session`]): a refused refresh token is not a refused code.
    pub fn session_end_message(&self) -> String {
        match self {
            AuthError::Token(e) if e.is_invalid_grant() => {
                "Your sign-in has expired or was ended elsewhere.".into()
            }
            other => other.user_message(),
        }
    }

    /// A message for people: what failed and what to do.
    pub fn user_message(&self) -> String {
        match self {
            AuthError::Callback(e) if e.is_access_denied() => {
                "Sign-in was cancelled. You can try again whenever you like.".into()
            }
            AuthError::Callback(e) if e.is_state_mismatch() || e.is_missing_state() => {
                "This sign-in response does not belong to a sign-in started here, so it was \
                 refused (it may be stale or forged). Please sign in again."
                    .into()
            }
            // Fixed texts only: the redirect's `error_description` (and an unknown
            // `error`) could be anyone's words.
            AuthError::Callback(e) => match e.oauth_error() {
                Some(OAuthErrorCode::Other(_)) => {
                    "The sign-in page reported an unknown problem. Please sign in again.".into()
                }
                Some(code) => format!(
                    "The sign-in page reported a problem: {} (error code {code})",
                    authorization_error_text(code)
                ),
                None => "The sign-in response could not be read. Please sign in again.".into(),
            },
            AuthError::Token(e) if e.is_invalid_grant() => {
                "The sign-in code was refused (it expired or was already used). Please sign in again."
                    .into()
            }
            AuthError::Token(e) => format!("The sign-in service refused the request: {e}."),
            AuthError::IdToken(e) => format!(
                "The sign-in service returned an identity token that failed a check ({e}). \
                 Check the app's configuration."
            ),
            AuthError::Identity(e) => format!(
                "Could not get access to your folder from the identity pool: {e}. \
                 Check the identity pool's configuration."
            ),
            AuthError::Network(step, e) => format!(
                "Could not reach the server during {step} ({e}). Check your connection and try \
                 again; if it keeps failing, the service's CORS settings may not allow this site."
            ),
            AuthError::NoRefreshToken => {
                "The sign-in service did not return a refresh token. Check the app client settings."
                    .into()
            }
            AuthError::NoPendingSignIn => {
                "This page was opened with a sign-in response, but no sign-in was started in this \
                 tab. Please sign in again."
                    .into()
            }
            AuthError::Config(detail) => format!("The app's configuration cannot work: {detail}."),
            AuthError::SignedOut => "You signed out, in this tab or another one.".into(),
        }
    }
}

/// What an authorization error code (RFC 6749 §4.1.2.1) means for the user, in fixed
/// words: never the server's description, which a forged redirect could carry.
fn authorization_error_text(code: &OAuthErrorCode) -> &'static str {
    match code {
        OAuthErrorCode::AccessDenied => "sign-in was refused.",
        OAuthErrorCode::InvalidRequest
        | OAuthErrorCode::UnauthorizedClient
        | OAuthErrorCode::UnsupportedResponseType
        | OAuthErrorCode::InvalidScope => {
            "it refused the app's sign-in request. Check the app client's settings."
        }
        OAuthErrorCode::ServerError => "it failed. Please try again later.",
        OAuthErrorCode::TemporarilyUnavailable => {
            "it is busy or down for maintenance. Please try again later."
        }
        _ => "an unexpected error. Please sign in again.",
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.user_message())
    }
}

impl std::error::Error for AuthError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> PendingSignIn {
        PendingSignIn {
            verifier: "v".repeat(43),
            state: "st4te".into(),
            nonce: "n".into(),
            keep_signed_in: false,
            folder: None,
        }
    }

    #[test]
    fn the_pending_sign_in_carries_the_folder_and_reads_earlier_records() {
        let mut p = pending();
        p.folder = Some("#/photos/2024%20trip/".into());
        assert_eq!(PendingSignIn::from_json(&p.to_json()), Some(p.clone()));
        // A record an earlier build stored (no folder) is still a sign-in.
        let earlier = r#"{"verifier":"v","state":"s","nonce":"n","keep_signed_in":true}"#;
        let read = PendingSignIn::from_json(earlier).unwrap();
        assert_eq!(read.folder, None);
        assert!(!pending().to_json().contains("folder"));
    }

    #[test]
    fn only_a_redirect_with_the_state_answers_a_sign_in() {
        let p = pending();
        assert!(p.is_answered_by("?code=abc&state=st4te"));
        assert!(p.is_answered_by("?error=access_denied&state=st4te"));
        assert!(!p.is_answered_by("?error=access_denied&error_description=hi"));
        assert!(!p.is_answered_by("?code=abc&state=other"));
        assert!(!p.is_answered_by("?code=abc"));
    }

    /// The message for the callback `query` answering [`pending`].
    fn callback_message(query: &str) -> String {
        let err = oauth::parse_callback(query, &pending().state).unwrap_err();
        AuthError::Callback(err).user_message()
    }

    #[test]
    fn callback_errors_show_fixed_texts_never_the_description() {
        let forged = "?error=server_error&error_description=Call+0800+EVIL+now";
        let shown = callback_message(forged);
        assert!(!shown.contains("EVIL"), "{shown}");
        assert!(
            shown.contains("does not belong to a sign-in started here"),
            "{shown}"
        );

        for code in [
            "invalid_request",
            "unauthorized_client",
            "access_denied",
            "unsupported_response_type",
            "invalid_scope",
            "server_error",
            "temporarily_unavailable",
            "made_up_by_someone",
        ] {
            let shown = callback_message(&format!(
                "?error={code}&error_description=Call+0800+EVIL&state=st4te"
            ));
            assert!(!shown.contains("EVIL"), "{code}: {shown}");
        }
        let shown = callback_message("?error=made_up_by_someone&state=st4te");
        assert!(!shown.contains("made_up"), "{shown}");
        assert!(callback_message("?error=server_error&state=st4te").contains("try again later"));
        assert!(callback_message("?error=access_denied&state=st4te").contains("cancelled"));
    }
}
