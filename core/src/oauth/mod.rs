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

mod authorize;
mod error;
mod logout;
mod pkce;
mod token;

pub use authorize::{authorize_url, parse_callback, AuthCode, AuthorizeParams};
pub use error::{OAuthError, OAuthErrorCode};
pub use logout::{build_revoke, logout_url, parse_revoke_response};
pub use pkce::{nonce_from_random_bytes, state_from_random_bytes, PkceVerifier, MIN_STATE_BYTES};
pub use token::{build_code_exchange, build_refresh, parse_token_response, TokenSet};
