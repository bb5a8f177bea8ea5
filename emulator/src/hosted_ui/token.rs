//! The token endpoint (authorization code with PKCE, refresh token), revocation and
//! userInfo: RS256 id and access tokens, single-use codes, refresh tokens that
//! revocation and global sign-out end, and refresh-token rotation when the config's
//! `refreshTokenRotation` enables it (every refresh grant answers with a new refresh
//! token; the one it replaced works for the retry grace period more).
//!
//! AWS: <https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html>,
//! <https://docs.aws.amazon.com/cognito/latest/developerguide/revocation-endpoint.html>,
//! <https://docs.aws.amazon.com/cognito/latest/developerguide/userinfo-endpoint.html>.

use crate::http_util::*;
use crate::state::{random_token, RefreshGrant, State, User};
use base64::Engine as _;
use http::{header, HeaderValue, StatusCode};
use serde_json::{json, Value};
use std::collections::HashMap;

pub(super) fn oauth_error(error: &str, description: Option<&str>) -> Resp {
    let mut body = json!({ "error": error });
    if let Some(d) = description {
        body["error_description"] = Value::String(d.to_string());
    }
    let mut resp = response(
        StatusCode::BAD_REQUEST,
        "application/json;charset=UTF-8",
        body.to_string(),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// BASE64URL(SHA256(verifier)), unpadded.
pub fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(crate::state::sha256(verifier.as_bytes()))
}

fn valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

pub(super) fn token(state: &State, content_type: &str, body: &[u8]) -> Resp {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime != "application/x-www-form-urlencoded" {
        return oauth_error(
            "invalid_request",
            Some("Content-Type must be application/x-www-form-urlencoded"),
        );
    }
    let form = parse_form(&String::from_utf8_lossy(body));
    let get = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let Some(grant_type) = get("grant_type") else {
        return oauth_error("invalid_request", Some("grant_type is required"));
    };
    *state
        .lock()
        .stats
        .token_requests
        .entry(grant_type.to_string())
        .or_default() += 1;
    if !matches!(grant_type, "authorization_code" | "refresh_token") {
        if grant_type == "client_credentials" {
            return oauth_error("unauthorized_client", None);
        }
        return oauth_error("unsupported_grant_type", None);
    }
    let Some(client_id) = get("client_id") else {
        return oauth_error("invalid_request", Some("client_id is required"));
    };
    if client_id != state.config.client_id {
        return oauth_error("invalid_client", None);
    }
    let now = state.now();
    let lifetimes = state.lifetimes();
    if grant_type == "authorization_code" {
        let Some(code) = get("code") else {
            return oauth_error("invalid_request", Some("code is required"));
        };
        let Some(redirect_uri) = get("redirect_uri") else {
            return oauth_error("invalid_request", Some("redirect_uri is required"));
        };
        // Single use: any attempt consumes the code.
        let Some(grant) = state.lock().codes.remove(code) else {
            return oauth_error("invalid_grant", None);
        };
        if grant.expires_at <= now || grant.client_id != client_id {
            return oauth_error("invalid_grant", None);
        }
        if grant.redirect_uri != redirect_uri {
            return oauth_error("unauthorized_client", None);
        }
        let verifier = get("code_verifier").unwrap_or("");
        if !valid_verifier(verifier) || s256(verifier) != grant.code_challenge {
            return oauth_error("invalid_grant", None);
        }
        let Some(user) = state.user(&grant.username).cloned() else {
            return oauth_error("invalid_grant", None);
        };
        let origin_jti = uuid::Uuid::new_v4().to_string();
        let refresh_token = new_refresh_token(
            state,
            RefreshGrant {
                client_id: client_id.to_string(),
                username: user.username.clone(),
                scopes: grant.scopes.clone(),
                auth_time: grant.auth_time,
                origin_jti: origin_jti.clone(),
                expires_at: now + lifetimes.refresh_token_seconds,
                revoked: false,
                rotated_at: None,
            },
        );
        let mut body = issue_tokens(
            state,
            &user,
            client_id,
            &grant.scopes,
            grant.auth_time,
            grant.nonce.as_deref(),
            &origin_jti,
        );
        body["refresh_token"] = Value::String(refresh_token);
        let mut resp = json(StatusCode::OK, &body);
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return resp;
    }
    // refresh_token
    let Some(refresh_token) = get("refresh_token") else {
        return oauth_error("invalid_request", Some("refresh_token is required"));
    };
    let grant = state.lock().refresh.get(refresh_token).cloned();
    let Some(grant) = grant else {
        return oauth_error("invalid_grant", Some("Invalid Refresh Token"));
    };
    // Revoking any token of a sign-in ends the sign-in: its rotated-out tokens too.
    if grant.revoked || state.lock().revoked_origins.contains(&grant.origin_jti) {
        return oauth_error("invalid_grant", Some("Refresh Token has been revoked"));
    }
    let rotation = &state.config.refresh_token_rotation;
    if grant
        .rotated_at
        .is_some_and(|at| now >= at + rotation.retry_grace_period_seconds)
    {
        return oauth_error("invalid_grant", Some("Invalid Refresh Token"));
    }
    if grant.expires_at <= now {
        return oauth_error("invalid_grant", Some("Refresh Token has expired"));
    }
    if grant.client_id != client_id {
        return oauth_error("invalid_grant", Some("Invalid Refresh Token"));
    }
    let Some(user) = state.user(&grant.username).cloned() else {
        return oauth_error("invalid_grant", None);
    };
    let mut body = issue_tokens(
        state,
        &user,
        client_id,
        &grant.scopes,
        grant.auth_time,
        None,
        &grant.origin_jti,
    );
    if rotation.is_enabled() {
        // The successor keeps the sign-in (origin_jti, auth_time) and the time the
        // replaced token had left; a retry within the grace period gets one too.
        if let Some(old) = state.lock().refresh.get_mut(refresh_token) {
            old.rotated_at.get_or_insert(now);
        }
        let successor = new_refresh_token(
            state,
            RefreshGrant {
                rotated_at: None,
                ..grant
            },
        );
        body["refresh_token"] = Value::String(successor);
    }
    let mut resp = json(StatusCode::OK, &body);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Stores `grant` under a new refresh token (opaque, shaped like Cognito's JWE) and
/// returns the token.
fn new_refresh_token(state: &State, grant: RefreshGrant) -> String {
    let token = format!(
        "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.{}",
        random_token(160)
    );
    state.lock().refresh.insert(token.clone(), grant);
    token
}

fn issue_tokens(
    state: &State,
    user: &User,
    client_id: &str,
    scopes: &[String],
    auth_time: u64,
    nonce: Option<&str>,
    origin_jti: &str,
) -> Value {
    let now = state.now();
    let lifetimes = state.lifetimes();
    let iss = state.issuer();
    let access = json!({
        "sub": user.sub,
        "iss": iss,
        "client_id": client_id,
        "origin_jti": origin_jti,
        "token_use": "access",
        "scope": scopes.join(" "),
        "auth_time": auth_time,
        "exp": now + lifetimes.access_token_seconds,
        "iat": now,
        "jti": uuid::Uuid::new_v4().to_string(),
        "username": user.username,
    });
    let mut body = json!({
        "access_token": state.keys.access.sign(&access),
        "expires_in": lifetimes.access_token_seconds,
        "token_type": "Bearer",
    });
    if scopes.iter().any(|s| s == "openid") {
        let mut id = json!({
            "sub": user.sub,
            "aud": client_id,
            "iss": iss,
            "origin_jti": origin_jti,
            "token_use": "id",
            "auth_time": auth_time,
            "exp": now + lifetimes.id_token_seconds,
            "iat": now,
            "jti": uuid::Uuid::new_v4().to_string(),
            "cognito:username": user.username,
        });
        if scopes.iter().any(|s| s == "email") {
            id["email"] = Value::String(user.email.clone());
            id["email_verified"] = Value::Bool(true);
        }
        if let Some(nonce) = nonce {
            id["nonce"] = Value::String(nonce.to_string());
        }
        body["id_token"] = Value::String(state.keys.id.sign(&id));
    }
    body
}

pub(super) fn revoke(state: &State, form: &HashMap<String, String>) -> Resp {
    let get = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let Some(token) = get("token") else {
        return oauth_error("invalid_request", None);
    };
    match get("client_id") {
        Some(c) if c == state.config.client_id => {}
        _ => {
            let mut resp = oauth_error("invalid_client", None);
            *resp.status_mut() = StatusCode::UNAUTHORIZED;
            return resp;
        }
    }
    let mut inner = state.lock();
    let origin = match inner.refresh.get_mut(token) {
        Some(grant) if grant.client_id == state.config.client_id => {
            grant.revoked = true;
            Some(grant.origin_jti.clone())
        }
        _ => None,
    };
    if let Some(origin) = origin {
        inner.revoked_origins.insert(origin);
    }
    response(StatusCode::OK, "", bytes::Bytes::new())
}

pub(super) fn user_info(state: &State, authorization: &str) -> Resp {
    let unauthorized = |status: StatusCode, www: &str| {
        let mut resp = json(
            status,
            &json!({"error": if status == StatusCode::BAD_REQUEST { "invalid_request" } else { "invalid_token" }}),
        );
        if let Ok(v) = HeaderValue::from_str(www) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        resp
    };
    let Some(token) = authorization.strip_prefix("Bearer ") else {
        return unauthorized(StatusCode::BAD_REQUEST, "error=\"invalid_request\"");
    };
    let invalid = || {
        unauthorized(
            StatusCode::UNAUTHORIZED,
            "error=\"invalid_token\", error_description=\"Access token is expired, disabled, or deleted, or the user has globally signed out.\"",
        )
    };
    let Ok(claims) = crate::jwt::verify(token.trim(), &[&state.keys.access]) else {
        return invalid();
    };
    let now = state.now();
    let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
    let ok = exp > now
        && claims.get("token_use").and_then(Value::as_str) == Some("access")
        && claims.get("iss").and_then(Value::as_str) == Some(state.issuer().as_str());
    let origin = claims
        .get("origin_jti")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !ok || state.lock().revoked_origins.contains(origin) {
        return invalid();
    }
    let username = claims.get("username").and_then(Value::as_str).unwrap_or("");
    let Some(user) = state.user(username) else {
        return invalid();
    };
    json(
        StatusCode::OK,
        &json!({
            "sub": user.sub,
            "email": user.email,
            "email_verified": "true",
            "username": user.username,
        }),
    )
}
