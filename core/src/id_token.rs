//! Decoding and checking the Cognito id token's claims.
//!
//! The signature is NOT verified: the token comes straight from the token endpoint
//! over TLS, the browser has no cheap RS256 and no JWKS cache, and the identity pool
//! verifies the signature itself before handing out credentials. These checks catch a
//! token meant for another pool, client or sign-in, or one that has expired.

use std::fmt;

use crate::json::{self, Value};

use crate::encoding::base64url_decode;

/// The issuer of a user pool's tokens: `https://cognito-idp.<region>.amazonaws.com/<poolId>`.
pub fn issuer(region: &str, user_pool_id: &str) -> String {
    format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}")
}

/// The claims Cubby uses. Times are seconds since the Unix epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdTokenClaims {
    /// The user pool user's UUID (not the identity pool's IdentityId).
    pub sub: String,
    pub iss: String,
    /// The audiences (`aud` may be a string or an array); Cognito sends one.
    pub aud: Vec<String>,
    pub token_use: String,
    /// `cognito:username`.
    pub username: Option<String>,
    pub email: Option<String>,
    pub exp: u64,
    pub iat: u64,
    /// When the user signed in; kept across refreshes.
    pub auth_time: Option<u64>,
    pub nonce: Option<String>,
}

impl IdTokenClaims {
    /// Seconds until expiry at `now` (0 once expired).
    pub fn seconds_left(&self, now: u64) -> u64 {
        self.exp.saturating_sub(now)
    }

    /// Whether the token expires within `margin` seconds of `now`, i.e. it is time to
    /// refresh. True once expired.
    pub fn expires_within(&self, now: u64, margin: u64) -> bool {
        self.exp <= now.saturating_add(margin)
    }

    /// When to refresh: `margin` seconds before expiry (never before `iat`).
    pub fn refresh_at(&self, margin: u64) -> u64 {
        self.exp.saturating_sub(margin).max(self.iat)
    }
}

/// Why a token was refused. Messages name the failed check, never a claim value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdTokenError {
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Not three base64url parts, or header/payload not JSON objects.
    Malformed,
    MissingClaim(&'static str),
    /// Present with the wrong JSON type (e.g. `exp` as a string).
    InvalidClaim(&'static str),
    WrongIssuer,
    WrongAudience,
    WrongTokenUse,
    Expired,
    IssuedInFuture,
    MissingNonce,
    NonceMismatch,
}

impl IdTokenError {
    fn new(kind: Kind) -> Self {
        IdTokenError { kind }
    }

    /// A stable snake_case name for the failed check.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Malformed => "malformed",
            Kind::MissingClaim(_) => "missing_claim",
            Kind::InvalidClaim(_) => "invalid_claim",
            Kind::WrongIssuer => "wrong_issuer",
            Kind::WrongAudience => "wrong_audience",
            Kind::WrongTokenUse => "wrong_token_use",
            Kind::Expired => "expired",
            Kind::IssuedInFuture => "issued_in_future",
            Kind::MissingNonce => "missing_nonce",
            Kind::NonceMismatch => "nonce_mismatch",
        }
    }

    /// The claim at fault for `missing_claim` and `invalid_claim`.
    pub fn claim(&self) -> Option<&'static str> {
        match self.kind {
            Kind::MissingClaim(c) | Kind::InvalidClaim(c) => Some(c),
            _ => None,
        }
    }

    pub fn is_expired(&self) -> bool {
        self.kind == Kind::Expired
    }
}

impl fmt::Display for IdTokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::Malformed => f.write_str("id token is not a well-formed JWT"),
            Kind::MissingClaim(c) => write!(f, "id token has no \"{c}\" claim"),
            Kind::InvalidClaim(c) => write!(f, "id token's \"{c}\" claim has the wrong type"),
            Kind::WrongIssuer => f.write_str("id token was issued by another user pool"),
            Kind::WrongAudience => f.write_str("id token was issued to another app client"),
            Kind::WrongTokenUse => f.write_str("token is not an id token"),
            Kind::Expired => f.write_str("id token has expired"),
            Kind::IssuedInFuture => {
                f.write_str("id token is issued in the future (is the clock wrong?)")
            }
            Kind::MissingNonce => f.write_str("id token has no nonce, but one was expected"),
            Kind::NonceMismatch => {
                f.write_str("id token's nonce does not match this browser's sign-in")
            }
        }
    }
}

impl std::error::Error for IdTokenError {}

fn json_part(part: &str) -> Result<Value, IdTokenError> {
    let bytes = base64url_decode(part).ok_or(IdTokenError::new(Kind::Malformed))?;
    match json::parse_bytes(&bytes) {
        Ok(object) if object.is_object() => Ok(object),
        _ => Err(IdTokenError::new(Kind::Malformed)),
    }
}

fn string_claim(claims: &Value, name: &'static str) -> Result<Option<String>, IdTokenError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(IdTokenError::new(Kind::InvalidClaim(name))),
    }
}

fn required_string(claims: &Value, name: &'static str) -> Result<String, IdTokenError> {
    string_claim(claims, name)?.ok_or(IdTokenError::new(Kind::MissingClaim(name)))
}

/// A JWT NumericDate: seconds since the epoch, possibly fractional (truncated here).
fn time_claim(claims: &Value, name: &'static str) -> Result<Option<u64>, IdTokenError> {
    match claims.get_non_null(name) {
        None => Ok(None),
        Some(n) => n
            .as_u64_floor()
            .map(Some)
            .ok_or(IdTokenError::new(Kind::InvalidClaim(name))),
    }
}

fn required_time(claims: &Value, name: &'static str) -> Result<u64, IdTokenError> {
    time_claim(claims, name)?.ok_or(IdTokenError::new(Kind::MissingClaim(name)))
}

/// Decodes the claims without checking them (nor the signature). Use [`validate`]
/// for a token just received.
pub fn decode(token: &str) -> Result<IdTokenClaims, IdTokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IdTokenError::new(Kind::Malformed));
    };
    json_part(header)?;
    let claims = json_part(payload)?;

    let aud = match claims.get("aud") {
        None | Some(Value::Null) => return Err(IdTokenError::new(Kind::MissingClaim("aud"))),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or(IdTokenError::new(Kind::InvalidClaim("aud")))?,
        Some(_) => return Err(IdTokenError::new(Kind::InvalidClaim("aud"))),
    };
    Ok(IdTokenClaims {
        sub: required_string(&claims, "sub")?,
        iss: required_string(&claims, "iss")?,
        aud,
        token_use: required_string(&claims, "token_use")?,
        username: string_claim(&claims, "cognito:username")?,
        email: string_claim(&claims, "email")?,
        exp: required_time(&claims, "exp")?,
        iat: required_time(&claims, "iat")?,
        auth_time: time_claim(&claims, "auth_time")?,
        nonce: string_claim(&claims, "nonce")?,
    })
}

/// What a valid id token must say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected<'a> {
    /// From [`issuer`].
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The nonce sent to `/authorize`; `None` to skip the check (a refreshed token
    /// need not carry the nonce of the original sign-in).
    pub nonce: Option<&'a str>,
}

/// Decodes and checks a token at time `now` (epoch seconds), allowing `leeway`
/// seconds of clock difference on `exp` and `iat`.
///
/// Checks, in order: issuer, audience, `token_use == "id"`, not expired
/// (`now < exp + leeway`), not issued in the future (`iat <= now + leeway`), nonce.
pub fn validate(
    token: &str,
    expected: &Expected<'_>,
    now: u64,
    leeway: u64,
) -> Result<IdTokenClaims, IdTokenError> {
    let claims = decode(token)?;
    if claims.iss != expected.issuer {
        return Err(IdTokenError::new(Kind::WrongIssuer));
    }
    if !claims.aud.iter().any(|a| a == expected.client_id) {
        return Err(IdTokenError::new(Kind::WrongAudience));
    }
    if claims.token_use != "id" {
        return Err(IdTokenError::new(Kind::WrongTokenUse));
    }
    if now >= claims.exp.saturating_add(leeway) {
        return Err(IdTokenError::new(Kind::Expired));
    }
    if claims.iat > now.saturating_add(leeway) {
        return Err(IdTokenError::new(Kind::IssuedInFuture));
    }
    if let Some(expected_nonce) = expected.nonce {
        match &claims.nonce {
            None => return Err(IdTokenError::new(Kind::MissingNonce)),
            Some(nonce) if nonce != expected_nonce => {
                return Err(IdTokenError::new(Kind::NonceMismatch))
            }
            Some(_) => {}
        }
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_matches_cognito_format() {
        assert_eq!(
            issuer("eu-west-1", "eu-west-1_AbC123"),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
        );
    }

    #[test]
    fn refresh_scheduling() {
        let claims = IdTokenClaims {
            sub: "s".into(),
            iss: "i".into(),
            aud: vec!["a".into()],
            token_use: "id".into(),
            username: None,
            email: None,
            exp: 1000,
            iat: 900,
            auth_time: None,
            nonce: None,
        };
        assert!(!claims.expires_within(899, 100));
        assert!(claims.expires_within(900, 100));
        assert!(claims.expires_within(2000, 0));
        assert_eq!(claims.seconds_left(990), 10);
        assert_eq!(claims.seconds_left(2000), 0);
        assert_eq!(claims.refresh_at(60), 940);
        assert_eq!(claims.refresh_at(500), 900);
    }
}
