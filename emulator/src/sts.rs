//! STS AssumeRoleWithWebIdentity (query protocol: form in, XML out), for the
//! identity pool's basic flow with a GetOpenIdToken token.

use crate::http_util::*;
use crate::identity::{api_cors, issue_credentials};
use crate::server::{BoxFuture, Handler};
use crate::state::{random_string, State, UPPER_ALNUM};
use http::{header, HeaderValue, Method, Request, StatusCode};
use hyper::body::Incoming;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

pub fn handler(state: Arc<State>) -> Handler {
    Arc::new(move |req| -> BoxFuture<Option<Resp>> {
        let state = state.clone();
        Box::pin(async move { Some(route(&state, req).await) })
    })
}

struct StsError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

fn fail(status: StatusCode, code: &'static str, message: impl Into<String>) -> StsError {
    StsError {
        status,
        code,
        message: message.into(),
    }
}

async fn route(state: &State, req: Request<Incoming>) -> Resp {
    let request_id = uuid::Uuid::new_v4().to_string();
    if req.method() == Method::OPTIONS {
        let mut resp = response(StatusCode::OK, "", bytes::Bytes::new());
        if !api_cors(state, &req, &mut resp, true) {
            *resp.status_mut() = StatusCode::FORBIDDEN;
        }
        return resp;
    }
    let mut cors = response(StatusCode::OK, "", bytes::Bytes::new());
    api_cors(state, &req, &mut cors, false);
    let mut params = parse_form(req.uri().query().unwrap_or(""));
    if req.method() == Method::POST {
        let body = read_body(req.into_body(), 64 * 1024)
            .await
            .unwrap_or_default();
        for (k, v) in parse_form(&String::from_utf8_lossy(&body)) {
            params.insert(k, v);
        }
    }
    let mut resp = match assume_role_with_web_identity(state, &params, &request_id) {
        Ok(xml) => response(StatusCode::OK, "text/xml", xml),
        Err(e) => response(
            e.status,
            "text/xml",
            format!(
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
                e.code,
                escape_xml(&e.message),
                request_id
            ),
        ),
    };
    for (k, v) in cors.headers() {
        resp.headers_mut().insert(k.clone(), v.clone());
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-amzn-requestid", v);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn assume_role_with_web_identity(
    state: &State,
    p: &HashMap<String, String>,
    request_id: &str,
) -> Result<String, StsError> {
    let get = |k: &str| p.get(k).map(String::as_str).filter(|v| !v.is_empty());
    match get("Action") {
        Some("AssumeRoleWithWebIdentity") => {}
        Some(a) => {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "InvalidAction",
                format!("Could not find operation {a} for version 2011-06-15"),
            ))
        }
        None => {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "MissingAction",
                "Missing Action",
            ))
        }
    }
    if get("Version") != Some("2011-06-15") {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            "Could not find operation AssumeRoleWithWebIdentity for the given version",
        ));
    }
    let missing = |name: &str| {
        fail(
            StatusCode::BAD_REQUEST,
            "ValidationError",
            format!("1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null"),
        )
    };
    let role_arn = get("RoleArn").ok_or_else(|| missing("roleArn"))?;
    let session = get("RoleSessionName").ok_or_else(|| missing("roleSessionName"))?;
    let token = get("WebIdentityToken").ok_or_else(|| missing("webIdentityToken"))?;
    let session_ok = (2..=64).contains(&session.len())
        && session
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if !session_ok {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "ValidationError",
            format!("1 validation error detected: Value '{session}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"),
        ));
    }
    let duration: u64 = match get("DurationSeconds") {
        None => 3600,
        Some(d) => match d.parse::<u64>() {
            Ok(d) if (900..=43200).contains(&d) => d,
            _ => {
                return Err(fail(
                    StatusCode::BAD_REQUEST,
                    "ValidationError",
                    format!("1 validation error detected: Value '{d}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200"),
                ))
            }
        },
    };
    let claims = crate::jwt::verify(token, &[&state.keys.identity]).map_err(|_| {
        fail(
            StatusCode::BAD_REQUEST,
            "InvalidIdentityToken",
            "Couldn't verify signed token.",
        )
    })?;
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    let aud = claims.get("aud").and_then(Value::as_str).unwrap_or("");
    if iss != "https://cognito-identity.amazonaws.com" || aud != state.config.identity_pool_id {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "InvalidIdentityToken",
            "Incorrect token audience or issuer.",
        ));
    }
    let now = state.now();
    let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
    if now >= exp {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "ExpiredTokenException",
            format!(
                "Token expired: current date/time {} must be before the expiration date/time {}",
                iso8601(now),
                iso8601(exp)
            ),
        ));
    }
    if role_arn != state.config.authenticated_role_arn {
        return Err(fail(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        ));
    }
    let identity_id = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    // An admin-shortened credential lifetime wins over the requested duration.
    let configured = state.lifetimes().credentials_seconds;
    let seconds = if configured < 3600 {
        duration.min(configured)
    } else {
        duration
    };
    let (access_key_id, cred) = issue_credentials(state, &identity_id, seconds);
    let role_name = role_arn.rsplit('/').next().unwrap_or("role");
    let role_id = format!("AROA{}", random_string(17, UPPER_ALNUM));
    Ok(format!(
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
<AssumeRoleWithWebIdentityResult>\
<Audience>{aud}</Audience>\
<AssumedRoleUser><AssumedRoleId>{role_id}:{session}</AssumedRoleId><Arn>arn:aws:sts::000000000000:assumed-role/{role_name}/{session}</Arn></AssumedRoleUser>\
<Provider>cognito-identity.amazonaws.com</Provider>\
<Credentials><AccessKeyId>{access_key_id}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>\
<SubjectFromWebIdentityToken>{}</SubjectFromWebIdentityToken>\
</AssumeRoleWithWebIdentityResult>\
<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>\
</AssumeRoleWithWebIdentityResponse>",
        escape_xml(&cred.secret_key),
        escape_xml(&cred.session_token),
        iso8601(cred.expires_at),
        escape_xml(&identity_id),
        aud = escape_xml(aud),
        session = escape_xml(session),
        role_name = escape_xml(role_name),
    ))
}
