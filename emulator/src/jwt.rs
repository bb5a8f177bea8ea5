//! RS256 JSON Web Tokens with the emulator's fixed keys (`emulator/keys/`), through
//! `jsonwebtoken` (ring underneath).
//!
//! Each key is a private PEM (signing) and its public JWK (`*.jwk.json`, the key the
//! JWKS serves and tokens are verified with), told apart by a `kid` derived from the
//! pool id, as Cognito's are stable per pool. Only the structure and the signature
//! are checked here: the claims (iss, aud, token_use, exp) are the caller's, which
//! answers with the wording of the AWS service it stands in for.
//!
//! RFC 7519 (JWT), RFC 7515 (JWS), RFC 7517 (JWK).

use base64::Engine as _;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value};

const ID_KEY: &str = include_str!("../keys/id-token.pem");
const ID_JWK: &str = include_str!("../keys/id-token.jwk.json");
const ACCESS_KEY: &str = include_str!("../keys/access-token.pem");
const ACCESS_JWK: &str = include_str!("../keys/access-token.jwk.json");
const IDENTITY_KEY: &str = include_str!("../keys/identity-pool.pem");
const IDENTITY_JWK: &str = include_str!("../keys/identity-pool.jwk.json");

/// One RS256 key: signs with the private half, verifies with the public JWK.
pub struct SigningKey {
    /// The key id tokens carry in their header and the JWKS lists.
    pub kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The public key as served: `kty`, `n`, `e`, `alg`, `use`, `kid`.
    jwk: Jwk,
}

/// The emulator's three keys: the user pool's id and access tokens (each its own
/// key, as Cognito's) and the identity pool's OpenID tokens.
pub struct Keys {
    pub id: SigningKey,
    pub access: SigningKey,
    pub identity: SigningKey,
}

impl SigningKey {
    /// Panics on a bad key file: they are fixed and shipped with the emulator.
    fn load(pem: &str, jwk: &str, kid: &str) -> SigningKey {
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("emulator key is RSA");
        let mut jwk: Jwk = serde_json::from_str(jwk).expect("emulator JWK is a JWK");
        jwk.common.key_id = Some(kid.to_string());
        let decoding = DecodingKey::from_jwk(&jwk).expect("emulator JWK is an RSA key");
        SigningKey {
            kid: kid.to_string(),
            encoding,
            decoding,
            jwk,
        }
    }

    /// `claims` signed as a compact JWS with header `{"alg":"RS256","kid":...}`.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        // Cognito's headers carry no `typ`.
        header.typ = None;
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("RSA signing works")
    }
}

impl Keys {
    /// The fixed keys, with key ids derived from `user_pool_id`.
    pub fn load(user_pool_id: &str) -> Keys {
        // Key ids are stable for a given pool, like Cognito's.
        let kid = |what: &str| {
            let digest = crate::state::sha256(format!("{user_pool_id}/{what}").as_bytes());
            base64::engine::general_purpose::STANDARD.encode(&digest[..30])
        };
        Keys {
            id: SigningKey::load(ID_KEY, ID_JWK, &kid("id")),
            access: SigningKey::load(ACCESS_KEY, ACCESS_JWK, &kid("access")),
            identity: SigningKey::load(IDENTITY_KEY, IDENTITY_JWK, &kid("identity")),
        }
    }

    /// The user pool's JWKS (`/.well-known/jwks.json`): the id and access token keys.
    pub fn user_pool_jwks(&self) -> Value {
        let set = JwkSet {
            keys: vec![self.id.jwk.clone(), self.access.jwk.clone()],
        };
        serde_json::to_value(set).expect("a JWKS serialises")
    }
}

/// Why a token was refused (callers answer both alike, in their service's words).
#[derive(Debug, PartialEq, Eq)]
pub enum JwtError {
    /// Not three base64url parts of JSON, or claims that are not an object.
    Malformed,
    /// `alg` not RS256, `kid` unknown or signature wrong.
    BadSignature,
}

/// Checks the structure and the RS256 signature against `keys` (by `kid`) and returns
/// the claims. Claims (exp, iss, aud, token_use) are the caller's to check.
///
/// # Errors
///
/// [`JwtError::Malformed`] or [`JwtError::BadSignature`].
pub fn verify(token: &str, keys: &[&SigningKey]) -> Result<Map<String, Value>, JwtError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| JwtError::Malformed)?;
    if header.alg != Algorithm::RS256 {
        return Err(JwtError::BadSignature);
    }
    let kid = header.kid.unwrap_or_default();
    let key = keys
        .iter()
        .find(|k| k.kid == kid)
        .ok_or(JwtError::BadSignature)?;
    let mut validation = Validation::new(Algorithm::RS256);
    // The signature only: every claim check is the caller's, against the emulator's
    // (shiftable) clock and with AWS's wording.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data =
        jsonwebtoken::decode::<Value>(token, &key.decoding, &validation).map_err(|e| {
            match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature
                | jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => JwtError::BadSignature,
                _ => JwtError::Malformed,
            }
        })?;
    match data.claims {
        Value::Object(map) => Ok(map),
        _ => Err(JwtError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
    use serde_json::json;

    #[test]
    fn a_token_verifies_with_its_own_key_only_and_not_once_tampered_with() {
        let keys = Keys::load("us-east-1_X");
        let token = keys.id.sign(&json!({"sub": "a", "exp": 5}));
        let claims = verify(&token, &[&keys.id]).unwrap();
        assert_eq!(claims["sub"], "a");
        assert_eq!(
            verify(&token, &[&keys.access]).unwrap_err(),
            JwtError::BadSignature
        );
        let mut parts: Vec<String> = token.split('.').map(String::from).collect();
        parts[1] = B64URL.encode(json!({"sub": "b", "exp": 5}).to_string());
        assert_eq!(
            verify(&parts.join("."), &[&keys.id]).unwrap_err(),
            JwtError::BadSignature
        );
        assert_eq!(verify("a.b", &[&keys.id]).unwrap_err(), JwtError::Malformed);
    }

    #[test]
    fn the_header_is_rs256_with_the_key_id_and_no_type() {
        let keys = Keys::load("us-east-1_X");
        let token = keys.access.sign(&json!({"sub": "a"}));
        let header = token.split('.').next().unwrap();
        let header: Value = serde_json::from_slice(&B64URL.decode(header).unwrap()).unwrap();
        assert_eq!(header, json!({"alg": "RS256", "kid": keys.access.kid}));
    }

    #[test]
    fn a_token_signed_with_another_key_under_the_same_kid_is_refused() {
        // The access key signs a token that claims the id key's kid: only the
        // signature can tell, so the id key's public JWK must be the id key's.
        let keys = Keys::load("us-east-1_X");
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(keys.id.kid.clone());
        let forged =
            jsonwebtoken::encode(&header, &json!({"sub": "a"}), &keys.access.encoding).unwrap();
        assert_eq!(
            verify(&forged, &[&keys.id]).unwrap_err(),
            JwtError::BadSignature
        );
    }

    #[test]
    fn an_unsigned_or_hs256_token_is_refused() {
        let keys = Keys::load("us-east-1_X");
        let claims = B64URL.encode(json!({"sub": "a"}).to_string());
        let none = B64URL.encode(json!({"alg": "none", "kid": keys.id.kid}).to_string());
        assert!(verify(&format!("{none}.{claims}."), &[&keys.id]).is_err());
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(keys.id.kid.clone());
        let hs = jsonwebtoken::encode(
            &header,
            &json!({"sub": "a"}),
            &EncodingKey::from_secret(b"secret"),
        )
        .unwrap();
        assert_eq!(
            verify(&hs, &[&keys.id]).unwrap_err(),
            JwtError::BadSignature
        );
    }

    #[test]
    fn the_user_pool_jwks_serves_the_id_and_access_keys_by_kid() {
        let keys = Keys::load("us-east-1_X");
        let jwks = keys.user_pool_jwks();
        let served: Vec<&Value> = jwks["keys"].as_array().unwrap().iter().collect();
        assert_eq!(served.len(), 2);
        for (key, jwk) in [&keys.id, &keys.access].into_iter().zip(served) {
            assert_eq!(jwk["kid"], key.kid.as_str());
            assert_eq!(jwk["kty"], "RSA");
            assert_eq!(jwk["alg"], "RS256");
            assert_eq!(jwk["use"], "sig");
            assert_eq!(jwk["e"], "AQAB");
            // The served key verifies what the private key signs.
            let served: Jwk = serde_json::from_value(jwk.clone()).unwrap();
            let token = key.sign(&json!({"sub": "a"}));
            let mut validation = Validation::new(Algorithm::RS256);
            validation.required_spec_claims.clear();
            validation.validate_exp = false;
            jsonwebtoken::decode::<Value>(
                &token,
                &DecodingKey::from_jwk(&served).unwrap(),
                &validation,
            )
            .unwrap();
        }
        assert_ne!(keys.id.kid, keys.access.kid);
        assert_ne!(jwks["keys"][0]["n"], jwks["keys"][1]["n"]);
    }
}
