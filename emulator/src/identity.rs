//! Cognito Identity (JSON 1.1): GetId, GetCredentialsForIdentity, GetOpenIdToken.

use crate::http_util::*;
use crate::server::{BoxFuture, Handler};
use crate::state::{derived_uuid, random_string, AwsCredential, State, UPPER_ALNUM};
use http::{header, HeaderValue, Method, Request, StatusCode};
use hyper::body::Incoming;
use serde_json::{json, Map, Value};
use std::sync::Arc;

const B64_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn handler(state: Arc<State>) -> Handler {
    Arc::new(move |req| -> BoxFuture<Option<Resp>> {
        let state = state.clone();
        Box::pin(async move { Some(route(&state, req).await) })
    })
}

/// An AWS JSON-protocol error.
pub struct AwsError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
}

fn err(status: StatusCode, kind: &'static str, message: impl Into<String>) -> AwsError {
    AwsError {
        status,
        kind,
        message: message.into(),
    }
}

fn not_authorized(message: impl Into<String>) -> AwsError {
    err(StatusCode::BAD_REQUEST, "NotAuthorizedException", message)
}

fn invalid_parameter(message: impl Into<String>) -> AwsError {
    err(
        StatusCode::BAD_REQUEST,
        "InvalidParameterException",
        message,
    )
}

fn error_response(e: &AwsError) -> Resp {
    let mut resp = response(
        e.status,
        "application/x-amz-json-1.1",
        json!({"__type": e.kind, "message": e.message}).to_string(),
    );
    if let Ok(v) = HeaderValue::from_str(e.kind) {
        resp.headers_mut().insert("x-amzn-errortype", v);
    }
    resp
}

/// Origins the app runs on: the app origin plus the bucket CORS origins.
pub fn app_origins(state: &State) -> Vec<String> {
    let mut v = vec![state.urls.app.clone()];
    for rule in &state.cors {
        for o in &rule.allowed_origins {
            if !v.contains(o) {
                v.push(o.clone());
            }
        }
    }
    v
}

/// CORS for the JSON/query APIs called from the app (Cognito Identity, STS).
pub fn api_cors<B>(state: &State, req: &Request<B>, resp: &mut Resp, preflight: bool) -> bool {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
    else {
        return !preflight;
    };
    let origins = app_origins(state);
    if !origins.iter().any(|o| o == origin || o == "*") {
        return false;
    }
    allow_origin(resp, origin);
    let h = resp.headers_mut();
    h.insert(
        "access-control-expose-headers",
        HeaderValue::from_static("x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date"),
    );
    if preflight {
        h.insert(
            "access-control-allow-methods",
            HeaderValue::from_static("POST, OPTIONS"),
        );
        let requested = req
            .headers()
            .get("access-control-request-headers")
            .cloned()
            .unwrap_or(HeaderValue::from_static("content-type, x-amz-target"));
        h.insert("access-control-allow-headers", requested);
        h.insert("access-control-max-age", HeaderValue::from_static("600"));
    }
    true
}

async fn route(state: &State, req: Request<Incoming>) -> Resp {
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut resp = if req.method() == Method::OPTIONS {
        let mut resp = response(StatusCode::OK, "", bytes::Bytes::new());
        if !api_cors(state, &req, &mut resp, true) {
            *resp.status_mut() = StatusCode::FORBIDDEN;
        }
        resp
    } else {
        let target = req
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let mut out = response(StatusCode::OK, "", bytes::Bytes::new());
        api_cors(state, &req, &mut out, false);
        let is_post = req.method() == Method::POST && req.uri().path() == "/";
        let body = read_body(req.into_body(), 256 * 1024).await;
        let result = if !is_post {
            Err(err(
                StatusCode::NOT_FOUND,
                "UnknownOperationException",
                "Unknown operation",
            ))
        } else if !content_type.starts_with("application/x-amz-json-1.1") {
            Err(err(
                StatusCode::BAD_REQUEST,
                "UnknownOperationException",
                "Content-Type must be application/x-amz-json-1.1",
            ))
        } else {
            match body
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            {
                Some(Value::Object(input)) => call(state, &target, &input),
                _ => Err(err(
                    StatusCode::BAD_REQUEST,
                    "SerializationException",
                    "Request body is not a JSON object",
                )),
            }
        };
        let mut resp = match result {
            Ok(v) => response(StatusCode::OK, "application/x-amz-json-1.1", v.to_string()),
            Err(e) => error_response(&e),
        };
        for (k, v) in out.headers() {
            resp.headers_mut().insert(k.clone(), v.clone());
        }
        resp
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-amzn-requestid", v);
    }
    resp
}

fn call(state: &State, target: &str, input: &Map<String, Value>) -> Result<Value, AwsError> {
    match target {
        "AWSCognitoIdentityService.GetId" => get_id(state, input),
        "AWSCognitoIdentityService.GetCredentialsForIdentity" => {
            get_credentials_for_identity(state, input)
        }
        "AWSCognitoIdentityService.GetOpenIdToken" => get_open_id_token(state, input),
        _ => Err(err(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            "Unknown operation",
        )),
    }
}

fn string_field<'a>(
    input: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, AwsError> {
    match input.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(err(
            StatusCode::BAD_REQUEST,
            "SerializationException",
            format!("{name} must be a string"),
        )),
    }
}

fn id_shaped(s: &str) -> bool {
    s.len() <= 55
        && match s.split_once(':') {
            Some((r, id)) => {
                !r.is_empty()
                    && r.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                    && !id.is_empty()
                    && id
                        .bytes()
                        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f' | b'-'))
            }
            None => false,
        }
}

fn validation(field: &str, value: &str) -> AwsError {
    invalid_parameter(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+"
    ))
}

/// Verifies the user-pool id token in `Logins`; returns the user's `sub`.
fn verify_logins(state: &State, input: &Map<String, Value>) -> Result<String, AwsError> {
    let logins = match input.get("Logins") {
        None | Some(Value::Null) => {
            return Err(not_authorized(
                "Unauthenticated access is not supported for this identity pool.",
            ))
        }
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(err(
                StatusCode::BAD_REQUEST,
                "SerializationException",
                "Logins must be a map",
            ))
        }
    };
    if logins.is_empty() {
        return Err(not_authorized(
            "Unauthenticated access is not supported for this identity pool.",
        ));
    }
    if logins.len() > 10 {
        return Err(invalid_parameter(
            "1 validation error detected: Value at 'logins' failed to satisfy constraint: Member must have length less than or equal to 10",
        ));
    }
    let provider = state.provider_name();
    let mut sub = None;
    for (key, token) in logins {
        if *key != provider {
            return Err(not_authorized(
                "Token is not from a supported provider of this identity pool.",
            ));
        }
        let Some(token) = token.as_str() else {
            return Err(not_authorized(
                "Invalid login token. Not a valid OpenId Connect identity token.",
            ));
        };
        let claims = crate::jwt::verify(token, &[&state.keys.id, &state.keys.access])
            .map_err(|_| not_authorized("Invalid login token. Couldn't verify signed token."))?;
        let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
        if iss != state.issuer() {
            return Err(not_authorized(
                "Invalid login token. Issuer doesn't match providerName",
            ));
        }
        if claims.get("token_use").and_then(Value::as_str) != Some("id") {
            return Err(not_authorized(
                "Invalid login token. Not a valid OpenId Connect identity token.",
            ));
        }
        let aud = claims.get("aud").and_then(Value::as_str).unwrap_or("");
        if aud != state.config.client_id {
            return Err(not_authorized(
                "Invalid login token. Incorrect token audience.",
            ));
        }
        let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
        let now = state.now();
        if now >= exp {
            return Err(not_authorized(format!(
                "Invalid login token. Token expired: {now} >= {exp}"
            )));
        }
        sub = claims
            .get("sub")
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    sub.ok_or_else(|| not_authorized("Invalid login token. Missing sub."))
}

pub fn identity_id_for(state: &State, sub: &str) -> String {
    format!(
        "{}:{}",
        state.config.region,
        derived_uuid(&format!("{}/{}", state.config.identity_pool_id, sub))
    )
}

fn get_id(state: &State, input: &Map<String, Value>) -> Result<Value, AwsError> {
    let Some(pool) = string_field(input, "IdentityPoolId")? else {
        return Err(invalid_parameter(
            "1 validation error detected: Value null at 'identityPoolId' failed to satisfy constraint: Member must not be null",
        ));
    };
    if !id_shaped(pool) {
        return Err(validation("identityPoolId", pool));
    }
    if pool != state.config.identity_pool_id {
        return Err(err(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!("IdentityPool '{pool}' not found."),
        ));
    }
    let sub = verify_logins(state, input)?;
    let identity_id = identity_id_for(state, &sub);
    state.lock().identities.insert(identity_id.clone(), sub);
    Ok(json!({ "IdentityId": identity_id }))
}

/// Checks `IdentityId` and `Logins` together; returns the identity id.
fn identity_with_logins(state: &State, input: &Map<String, Value>) -> Result<String, AwsError> {
    let Some(identity_id) = string_field(input, "IdentityId")? else {
        return Err(invalid_parameter(
            "1 validation error detected: Value null at 'identityId' failed to satisfy constraint: Member must not be null",
        ));
    };
    if !id_shaped(identity_id) {
        return Err(validation("identityId", identity_id));
    }
    let known = state.lock().identities.get(identity_id).cloned();
    let logins_given = !matches!(input.get("Logins"), None | Some(Value::Null));
    let sub = if logins_given {
        Some(verify_logins(state, input)?)
    } else {
        None
    };
    // Identities are derived from (pool, sub), so one the emulator handed out before a
    // restart is still recognised.
    let derived_matches = sub
        .as_deref()
        .is_some_and(|s| identity_id_for(state, s) == identity_id);
    if known.is_none() && !derived_matches {
        return Err(err(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!("Identity '{identity_id}' not found."),
        ));
    }
    if !derived_matches {
        return Err(not_authorized(
            "Logins don't match. Please include at least one valid login for this identity or identity pool.",
        ));
    }
    if let Some(sub) = sub {
        state.lock().identities.insert(identity_id.to_string(), sub);
    }
    Ok(identity_id.to_string())
}

/// Fresh temporary credentials for `identity_id`, valid for `seconds`.
pub fn issue_credentials(
    state: &State,
    identity_id: &str,
    seconds: u64,
) -> (String, AwsCredential) {
    let access_key_id = format!("ASIA{}", random_string(16, UPPER_ALNUM));
    let cred = AwsCredential {
        secret_key: random_string(40, B64_ALPHABET),
        session_token: format!("IQoJb3JpZ2luX2VjE{}", random_string(380, B64_ALPHABET)),
        identity_id: identity_id.to_string(),
        expires_at: state.now() + seconds,
    };
    let mut inner = state.lock();
    let now = state_now_locked(&inner);
    // Forget long-dead credentials so the map does not grow without bound.
    inner
        .credentials
        .retain(|_, c| c.expires_at + 24 * 3600 > now);
    inner
        .credentials
        .insert(access_key_id.clone(), cred.clone());
    (access_key_id, cred)
}

fn state_now_locked(inner: &crate::state::Inner) -> u64 {
    let real = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    (real + inner.clock_shift).max(0) as u64
}

fn get_credentials_for_identity(
    state: &State,
    input: &Map<String, Value>,
) -> Result<Value, AwsError> {
    let identity_id = identity_with_logins(state, input)?;
    let seconds = state.lifetimes().credentials_seconds;
    let (access_key_id, cred) = issue_credentials(state, &identity_id, seconds);
    Ok(json!({
        "IdentityId": identity_id,
        "Credentials": {
            "AccessKeyId": access_key_id,
            "SecretKey": cred.secret_key,
            "SessionToken": cred.session_token,
            "Expiration": cred.expires_at,
        }
    }))
}

fn get_open_id_token(state: &State, input: &Map<String, Value>) -> Result<Value, AwsError> {
    let identity_id = identity_with_logins(state, input)?;
    let now = state.now();
    let sub = state
        .lock()
        .identities
        .get(&identity_id)
        .cloned()
        .unwrap_or_default();
    let provider = state.provider_name();
    let claims = json!({
        "sub": identity_id,
        "aud": state.config.identity_pool_id,
        "iss": "https://cognito-identity.amazonaws.com",
        "amr": ["authenticated", provider, format!("{provider}:CognitoSignIn:{sub}")],
        "https://cognito-identity.amazonaws.com/identity-pool-arn": format!(
            "arn:aws:cognito-identity:{}:000000000000:identitypool/{}",
            state.config.region, state.config.identity_pool_id
        ),
        "exp": now + state.lifetimes().open_id_token_seconds,
        "iat": now,
    });
    Ok(json!({
        "IdentityId": identity_id,
        "Token": state.keys.identity.sign(&claims),
    }))
}
