//! Decoding and checking the Cognito id token's claims.
//!
//! The signature is NOT verified: the token comes straight from the token endpoint
//! over TLS, the browser has no cheap RS256 and no JWKS cache, and the identity pool
//! verifies the signature itself before handing out credentials. These checks catch a
//! token meant for another pool, client or sign-in, or one that has expired.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::encoding::base64url_decode;
use crate::json_fields::{read_object, EpochSeconds, Loose};

/// The issuer of a user pool's tokens: `https://cognito-idp.<region>.amazonaws.com/<poolId>`.
pub fn issuer(region: &str, user_pool_id: &str) -> String {
    format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}")
}

/// The claims Cubby uses. Times are seconds since the Unix epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdTokenClaims {
    /// The user pool user's UUID (not the identity pool's IdentityId).
    pub sub: String,
    /// `iss`: the user pool's issuer URL (see [`issuer`]).
    pub iss: String,
    /// The audiences (`aud` may be a string or an array); Cognito sends one.
    pub aud: Vec<String>,
    /// `token_use`: `id` for an id token.
    pub token_use: String,
    /// `cognito:username`.
    pub username: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// `exp`: expiry time.
    pub exp: u64,
    /// `iat`: issue time.
    pub iat: u64,
    /// When the user signed in; kept across refreshes.
    pub auth_time: Option<u64>,
    /// `origin_jti`: names the sign-in the token comes from; Cognito keeps it across
    /// refreshes (refresh-token rotation included), so two token sets with the same
    /// `sub` and `origin_jti` belong to one sign-in.
    pub origin_jti: Option<String>,
    /// `nonce`: the one sent to `/authorize` (OpenID Connect Core 1.0 §2).
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

    /// The token's `exp` (plus leeway) has passed.
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

/// A JWT part: base64url of a JSON object (`T`'s shape).
fn json_part<T: DeserializeOwned>(part: &str) -> Result<T, IdTokenError> {
    let bytes = base64url_decode(part).ok_or(IdTokenError::new(Kind::Malformed))?;
    read_object(&bytes).map_err(|_| IdTokenError::new(Kind::Malformed))
}

/// The JOSE header: only its being a JSON object is checked (the signature is not).
#[derive(Deserialize)]
struct Header {}

/// `aud`: one audience or several.
#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// The payload as sent. Every claim is read on its own, so a claim of the wrong type
/// is named in the error (`InvalidClaim`) and a missing one too (`MissingClaim`).
#[derive(Deserialize)]
struct Claims {
    sub: Option<Loose<String>>,
    iss: Option<Loose<String>>,
    aud: Option<Loose<Audience>>,
    token_use: Option<Loose<String>>,
    #[serde(rename = "cognito:username")]
    username: Option<Loose<String>>,
    email: Option<Loose<String>>,
    /// JWT NumericDate: seconds since the epoch, possibly fractional (rounded down).
    exp: Option<Loose<EpochSeconds>>,
    iat: Option<Loose<EpochSeconds>>,
    auth_time: Option<Loose<EpochSeconds>>,
    origin_jti: Option<Loose<String>>,
    nonce: Option<Loose<String>>,
}

/// An optional claim: absent or `null` is `None`, the wrong type is an error.
fn optional<T>(claim: Option<Loose<T>>, name: &'static str) -> Result<Option<T>, IdTokenError> {
    claim
        .map(|c| c.valid().ok_or(IdTokenError::new(Kind::InvalidClaim(name))))
        .transpose()
}

fn required<T>(claim: Option<Loose<T>>, name: &'static str) -> Result<T, IdTokenError> {
    optional(claim, name)?.ok_or(IdTokenError::new(Kind::MissingClaim(name)))
}

/// Decodes the claims without checking them (nor the signature). Use [`validate`]
/// for a token just received. `token` is the compact JWT `header.payload.signature`
/// (RFC 7519 §7.2, base64url parts of RFC 7515).
///
/// # Errors
/// Not three dot-separated parts, a part that is not base64url JSON object
/// (malformed), a required claim (`sub`, `iss`, `aud`, `token_use`, `exp`, `iat`)
/// missing, or any claim of the wrong JSON type.
pub fn decode(token: &str) -> Result<IdTokenClaims, IdTokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IdTokenError::new(Kind::Malformed));
    };
    json_part::<Header>(header)?;
    let claims: Claims = json_part(payload)?;
    let aud = match required(claims.aud, "aud")? {
        Audience::One(aud) => vec![aud],
        Audience::Many(auds) => auds,
    };
    Ok(IdTokenClaims {
        sub: required(claims.sub, "sub")?,
        iss: required(claims.iss, "iss")?,
        aud,
        token_use: required(claims.token_use, "token_use")?,
        username: optional(claims.username, "cognito:username")?,
        email: optional(claims.email, "email")?,
        exp: required(claims.exp, "exp")?.0,
        iat: required(claims.iat, "iat")?.0,
        auth_time: optional(claims.auth_time, "auth_time")?.map(|t| t.0),
        origin_jti: optional(claims.origin_jti, "origin_jti")?,
        nonce: optional(claims.nonce, "nonce")?,
    })
}

/// What a valid id token must say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected<'a> {
    /// From [`issuer`].
    pub issuer: &'a str,
    /// The app client id, which must be in `aud`.
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
/// Amazon Cognito Developer Guide: Verifying a JSON web token (claims only, no
/// signature: see the module docs); OpenID Connect Core 1.0 §3.1.3.7.
///
/// # Errors
/// Those of [`decode`], then the first check that fails: wrong issuer, audience or
/// `token_use`, expired, issued in the future, nonce missing or different.
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
            origin_jti: None,
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
