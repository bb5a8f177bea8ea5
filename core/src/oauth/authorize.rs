//! The authorization request URL and the redirect back (RFC 6749 §4.1).

use super::error::{Kind, OAuthError, OAuthErrorCode};
use crate::encoding::{form_encode, parse_query};
use crate::secret::Secret;

/// What goes into the `/oauth2/authorize` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizeParams<'a> {
    /// Base URL of the Hosted UI, e.g. `https://x.auth.us-east-1.amazoncognito.com`.
    pub hosted_ui: &'a str,
    /// The app client id.
    pub client_id: &'a str,
    /// Where the Hosted UI sends the browser back; must be registered on the client.
    pub redirect_uri: &'a str,
    /// Scopes, joined with spaces into `scope`, e.g. `openid`, `email`.
    pub scopes: &'a [String],
    /// From [`state_from_random_bytes`](super::state_from_random_bytes).
    pub state: &'a str,
    /// From [`nonce_from_random_bytes`](super::nonce_from_random_bytes).
    pub nonce: &'a str,
    /// From [`PkceVerifier::challenge`](super::PkceVerifier::challenge).
    pub code_challenge: &'a str,
    /// Skips the provider chooser, e.g. `COGNITO` or `Google`.
    pub identity_provider: Option<&'a str>,
    /// Language of the managed login pages, e.g. `fr`.
    pub lang: Option<&'a str>,
}

pub(super) fn url_with_query(base: &str, path: &str, pairs: &[(&str, &str)]) -> String {
    format!(
        "{}{}?{}",
        base.trim_end_matches('/'),
        path,
        form_encode(pairs.iter().copied())
    )
}

/// The URL to send the browser to for sign-in (authorization code grant with PKCE):
/// `<hosted_ui>/oauth2/authorize?response_type=code&client_id&redirect_uri&scope
/// &state&nonce&code_challenge&code_challenge_method=S256[&identity_provider][&lang]`,
/// form-encoded. RFC 6749 §4.1.1, RFC 7636 §4.3; Amazon Cognito Developer Guide:
/// Authorize endpoint.
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
/// this browser sent. RFC 6749 §4.1.2 and §4.1.2.1.
///
/// An `error=` redirect (e.g. `access_denied` when the user cancelled) is reported as
/// such only when it carries our state (RFC 6749 §4.1.2.1 requires the state in error
/// redirects too): without one it is a missing state, with another a state mismatch,
/// since anyone can link to the callback with an `error` and a description of their
/// choosing.
///
/// # Errors
/// A query that does not decode or repeats a parameter (malformed callback); no
/// `state` or a different `state` (checked first, also for errors); the server's
/// `error` (with `error_description`); no `code`.
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

    match state.map(|s| same_bytes(s.as_bytes(), expected_state.as_bytes())) {
        None => return Err(OAuthError::new(Kind::MissingState)),
        Some(false) => return Err(OAuthError::new(Kind::StateMismatch)),
        Some(true) => {}
    }
    if let Some(error) = error {
        return Err(OAuthError::new(Kind::Authorization {
            code: OAuthErrorCode::parse(error),
            description: description.map(str::to_string),
        }));
    }
    match code {
        Some(code) if !code.is_empty() => Ok(AuthCode {
            code: Secret::new(code),
        }),
        _ => Err(OAuthError::new(Kind::MissingCode)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_compares_exactly() {
        assert!(same_bytes(b"abc", b"abc"));
        assert!(!same_bytes(b"abc", b"abd"));
        assert!(!same_bytes(b"abc", b"ab"));
        assert!(same_bytes(b"", b""));
    }
}
