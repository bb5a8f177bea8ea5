//! RS256 JSON Web Tokens with the emulator's fixed keys (`emulator/keys/*.pem`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;
use ring::signature::{self, RsaKeyPair, RsaPublicKeyComponents};
use serde_json::{json, Map, Value};

const ID_KEY: &str = include_str!("../keys/id-token.pem");
const ACCESS_KEY: &str = include_str!("../keys/access-token.pem");
const IDENTITY_KEY: &str = include_str!("../keys/identity-pool.pem");

pub struct SigningKey {
    pub kid: String,
    pair: RsaKeyPair,
    n: Vec<u8>,
    e: Vec<u8>,
}

pub struct Keys {
    pub id: SigningKey,
    pub access: SigningKey,
    pub identity: SigningKey,
}

fn pem_to_der(pem: &str) -> Vec<u8> {
    let b64: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .expect("emulator key is valid base64")
}

impl SigningKey {
    fn load(pem: &str, kid: &str) -> SigningKey {
        let pair = RsaKeyPair::from_pkcs8(&pem_to_der(pem)).expect("emulator key is PKCS#8 RSA");
        let components: RsaPublicKeyComponents<Vec<u8>> = pair.public().into();
        SigningKey {
            kid: kid.to_string(),
            pair,
            n: components.n,
            e: components.e,
        }
    }

    pub fn jwk(&self) -> Value {
        json!({
            "alg": "RS256",
            "e": B64URL.encode(&self.e),
            "kid": self.kid,
            "kty": "RSA",
            "n": B64URL.encode(&self.n),
            "use": "sig",
        })
    }

    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"kid": self.kid, "alg": "RS256"});
        let mut out = String::new();
        out.push_str(&B64URL.encode(header.to_string()));
        out.push('.');
        out.push_str(&B64URL.encode(claims.to_string()));
        let mut sig = vec![0u8; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                out.as_bytes(),
                &mut sig,
            )
            .expect("RSA signing works");
        out.push('.');
        out.push_str(&B64URL.encode(sig));
        out
    }

    fn verify_sig(&self, signed: &[u8], sig: &[u8]) -> bool {
        RsaPublicKeyComponents {
            n: &self.n,
            e: &self.e,
        }
        .verify(&signature::RSA_PKCS1_2048_8192_SHA256, signed, sig)
        .is_ok()
    }
}

impl Keys {
    pub fn load(user_pool_id: &str) -> Keys {
        // Key ids are stable for a given pool, like Cognito's.
        let kid = |what: &str| {
            let digest = ring::digest::digest(
                &ring::digest::SHA256,
                format!("{user_pool_id}/{what}").as_bytes(),
            );
            base64::engine::general_purpose::STANDARD.encode(&digest.as_ref()[..30])
        };
        Keys {
            id: SigningKey::load(ID_KEY, &kid("id")),
            access: SigningKey::load(ACCESS_KEY, &kid("access")),
            identity: SigningKey::load(IDENTITY_KEY, &kid("identity")),
        }
    }

    pub fn user_pool_jwks(&self) -> Value {
        json!({"keys": [self.id.jwk(), self.access.jwk()]})
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum JwtError {
    /// Not three base64url parts of JSON.
    Malformed,
    /// `kid` unknown or signature wrong.
    BadSignature,
}

/// Checks the structure and the RS256 signature against `keys` (by `kid`) and returns
/// the claims. Claims (exp, iss, aud, token_use) are the caller's to check.
pub fn verify(token: &str, keys: &[&SigningKey]) -> Result<Map<String, Value>, JwtError> {
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let header: Value = B64URL
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(JwtError::Malformed)?;
    let claims: Value = B64URL
        .decode(c)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(JwtError::Malformed)?;
    let sig = B64URL.decode(s).map_err(|_| JwtError::Malformed)?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(JwtError::BadSignature);
    }
    let kid = header.get("kid").and_then(Value::as_str).unwrap_or("");
    let key = keys
        .iter()
        .find(|k| k.kid == kid)
        .ok_or(JwtError::BadSignature)?;
    let signed_len = h.len() + 1 + c.len();
    if !key.verify_sig(&token.as_bytes()[..signed_len], &sig) {
        return Err(JwtError::BadSignature);
    }
    match claims {
        Value::Object(map) => Ok(map),
        _ => Err(JwtError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_and_rejects_tampering() {
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
}
