//! PKCE code verifier and challenge, state and nonce (RFC 7636, OpenID Connect).

use sha2::{Digest, Sha256};

use super::error::{Kind, OAuthError};
use crate::encoding::base64url_encode;
use crate::secret::Secret;

/// Fewest random bytes accepted for state and nonce: 128 bits, so they cannot be guessed.
pub const MIN_STATE_BYTES: usize = 16;

/// The PKCE `code_verifier` (RFC 7636 section 4.1): kept secret in the browser until the
/// code exchange, while its S256 [`challenge`](Self::challenge) goes to `/authorize`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PkceVerifier(Secret);

impl PkceVerifier {
    /// From 32 to 96 random bytes, base64url-encoded (32 bytes give the usual 43
    /// characters; 96 give the maximum of 128). RFC 7636 §4.1.
    ///
    /// # Errors
    /// Fewer than 32 bytes (not enough randomness), or more than 96 (the verifier
    /// would pass 128 characters).
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
    ///
    /// # Errors
    /// Not 43 to 128 characters of `A-Z a-z 0-9 - . _ ~` (RFC 7636 §4.1).
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

    /// `BASE64URL(SHA256(verifier))` without padding, the `S256` code challenge
    /// (RFC 7636 §4.2).
    pub fn challenge(&self) -> String {
        base64url_encode(&Sha256::digest(self.0.expose().as_bytes()))
    }

    /// The verifier itself, sent as `code_verifier` in the code exchange.
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
/// needs no escaping, so Cognito echoes it back unchanged (RFC 6749 §10.12).
///
/// # Errors
/// Fewer than [`MIN_STATE_BYTES`] bytes.
pub fn state_from_random_bytes(bytes: &[u8]) -> Result<String, OAuthError> {
    random_token(bytes)
}

/// The OpenID `nonce` (binds the id token to this sign-in) from at least 16 random
/// bytes, base64url. OpenID Connect Core 1.0 §3.1.2.1.
///
/// # Errors
/// Fewer than [`MIN_STATE_BYTES`] bytes.
pub fn nonce_from_random_bytes(bytes: &[u8]) -> Result<String, OAuthError> {
    random_token(bytes)
}
