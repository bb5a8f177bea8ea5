//! Sign-out: the Hosted UI logout URL and token revocation (RFC 7009).

use super::authorize::url_with_query;
use super::error::OAuthError;
use super::token::{error_from_response, form_post};
use crate::encoding::form_encode;
use crate::secret::Secret;

/// The Hosted UI sign-out URL: clears its session cookie, then redirects to
/// `logout_uri` (which must be registered as a sign-out URL on the app client).
/// Tokens stay valid; revoke the refresh token with [`build_revoke`] as well.
///
/// `<hosted_ui>/logout?client_id&logout_uri`, form-encoded. Amazon Cognito Developer
/// Guide: Logout endpoint.
pub fn logout_url(hosted_ui: &str, client_id: &str, logout_uri: &str) -> String {
    url_with_query(
        hosted_ui,
        "/logout",
        &[("client_id", client_id), ("logout_uri", logout_uri)],
    )
}

/// `POST <hosted_ui>/oauth2/revoke` (RFC 7009): revokes the refresh token and the
/// access tokens issued from it.
///
/// Form body `token=<refresh token>&client_id`, `Content-Type:
/// application/x-www-form-urlencoded`. RFC 7009 §2.1; Amazon Cognito Developer
/// Guide: Revoke endpoint.
///
/// # Errors
/// `hosted_ui` does not make an absolute URI (invalid endpoint).
pub fn build_revoke(
    hosted_ui: &str,
    refresh_token: &Secret,
    client_id: &str,
) -> Result<http::Request<Vec<u8>>, OAuthError> {
    let body = form_encode([("token", refresh_token.expose()), ("client_id", client_id)]);
    form_post(hosted_ui, "/oauth2/revoke", body)
}

/// Reads the revocation endpoint's answer: 200 (even for an already revoked token)
/// is success. RFC 7009 §2.2.
///
/// # Errors
/// The endpoint's OAuth error body (e.g. `unsupported_token_type`), or
/// `UnexpectedStatus` for a failure without one.
pub fn parse_revoke_response(response: http::Response<Vec<u8>>) -> Result<(), OAuthError> {
    let status = response.status().as_u16();
    if status == 200 {
        Ok(())
    } else {
        Err(error_from_response(status, response.body()))
    }
}
