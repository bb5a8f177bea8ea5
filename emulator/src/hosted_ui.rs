//! The Cognito Hosted UI (managed login) and OAuth2 endpoints of the user pool.

use crate::http_util::*;
use crate::server::{BoxFuture, Handler};
use crate::state::{random_token, AuthCode, RefreshGrant, Session, State, User};
use base64::Engine as _;
use http::{header, HeaderValue, Method, Request, StatusCode};
use hyper::body::Incoming;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

const SESSION_COOKIE: &str = "cubby-emulator-session";
const BAD_LOGIN: &str = "Incorrect username or password.";

pub fn handler(state: Arc<State>) -> Handler {
    Arc::new(move |req| -> BoxFuture<Option<Resp>> {
        let state = state.clone();
        Box::pin(async move { Some(route(&state, req).await) })
    })
}

async fn route(state: &State, req: Request<Incoming>) -> Resp {
    let path = req.uri().path().to_string();
    let query = parse_form(req.uri().query().unwrap_or(""));
    let method = req.method().clone();
    let jwks_path = format!("/{}/.well-known/jwks.json", state.config.user_pool_id);
    let discovery_path = format!(
        "/{}/.well-known/openid-configuration",
        state.config.user_pool_id
    );
    let cookies = cookies(&req);
    match (method.clone(), path.as_str()) {
        (Method::GET, "/oauth2/authorize") | (Method::GET, "/authorize") => {
            authorize(state, &query, &cookies)
        }
        (Method::GET, "/login") => login_page(state, &query),
        (Method::POST, "/login") => {
            let body = match read_body(req.into_body(), 64 * 1024).await {
                Ok(b) => b,
                Err(_) => return error_page("invalid_request"),
            };
            login_submit(state, &parse_form(&String::from_utf8_lossy(&body)))
        }
        (Method::GET, "/login/cancel") => cancel(state, &query),
        (Method::GET, "/error") => {
            error_page(query.get("error").map(String::as_str).unwrap_or("error"))
        }
        (Method::OPTIONS, "/oauth2/token" | "/oauth2/revoke" | "/oauth2/userInfo") => {
            preflight_any(&req)
        }
        (Method::POST, "/oauth2/token") => {
            let content_type = header_str(&req, header::CONTENT_TYPE.as_str());
            let body = read_body(req.into_body(), 64 * 1024).await;
            let mut resp = match body {
                Ok(body) => token(state, &content_type, &body),
                Err(_) => oauth_error("invalid_request", None),
            };
            cors_any(&mut resp);
            resp
        }
        (Method::POST, "/oauth2/revoke") => {
            let body = read_body(req.into_body(), 64 * 1024)
                .await
                .unwrap_or_default();
            let mut resp = revoke(state, &parse_form(&String::from_utf8_lossy(&body)));
            cors_any(&mut resp);
            resp
        }
        (Method::GET | Method::POST, "/oauth2/userInfo") => {
            let auth = header_str(&req, header::AUTHORIZATION.as_str());
            let mut resp = user_info(state, &auth);
            cors_any(&mut resp);
            resp
        }
        (Method::GET, "/logout") => logout(state, &query, &cookies),
        (Method::GET, p) if p == jwks_path || p == "/.well-known/jwks.json" => {
            let mut resp = json(StatusCode::OK, &state.keys.user_pool_jwks());
            cors_any(&mut resp);
            resp
        }
        (Method::GET, p) if p == discovery_path => {
            let iss = state.issuer();
            let ui = &state.urls.hosted_ui;
            let mut resp = json(
                StatusCode::OK,
                &json!({
                    "issuer": iss,
                    "authorization_endpoint": format!("{ui}/oauth2/authorize"),
                    "token_endpoint": format!("{ui}/oauth2/token"),
                    "revocation_endpoint": format!("{ui}/oauth2/revoke"),
                    "userinfo_endpoint": format!("{ui}/oauth2/userInfo"),
                    "end_session_endpoint": format!("{ui}/logout"),
                    "jwks_uri": format!("{ui}{jwks_path}"),
                    "response_types_supported": ["code"],
                    "scopes_supported": state.config.allowed_scopes,
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": ["none"],
                }),
            );
            cors_any(&mut resp);
            resp
        }
        _ => error_page("not_found"),
    }
}

fn header_str<B>(req: &Request<B>, name: &str) -> String {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

fn cookies<B>(req: &Request<B>) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for v in req.headers().get_all(header::COOKIE) {
        for part in v.to_str().unwrap_or("").split(';') {
            if let Some((k, v)) = part.trim().split_once('=') {
                map.insert(k.to_string(), v.to_string());
            }
        }
    }
    map
}

fn cors_any(resp: &mut Resp) {
    resp.headers_mut()
        .insert("access-control-allow-origin", HeaderValue::from_static("*"));
}

fn preflight_any<B>(req: &Request<B>) -> Resp {
    let mut resp = response(StatusCode::OK, "", bytes::Bytes::new());
    cors_any(&mut resp);
    let h = resp.headers_mut();
    h.insert(
        "access-control-allow-methods",
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    let requested = req
        .headers()
        .get("access-control-request-headers")
        .cloned()
        .unwrap_or(HeaderValue::from_static("content-type, authorization"));
    h.insert("access-control-allow-headers", requested);
    h.insert("access-control-max-age", HeaderValue::from_static("600"));
    resp
}

/// The Hosted UI's error page: never a redirect to the app.
fn error_page(error: &str) -> Resp {
    html(
        StatusCode::BAD_REQUEST,
        page(
            "Error",
            &format!(
                "<h1>An error was encountered with the requested page.</h1><p>Error: <code>{}</code></p>",
                escape_html(error)
            ),
        ),
    )
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{} - Cubby emulator sign-in</title><style>\
body{{font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b;background:#fff}}\
label{{display:block;margin-top:1rem;font-weight:600}}\
input{{display:block;width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;font-size:1rem}}\
button{{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem}}\
.error{{color:#a4000f;border:1px solid #a4000f;padding:.5rem;margin-top:1rem}}\
.note{{color:#555;font-size:.9rem}}\
@media (prefers-color-scheme: dark){{body{{background:#121212;color:#eee}}.error{{color:#ff8a8a;border-color:#ff8a8a}}.note{{color:#bbb}}a{{color:#8ab4ff}}}}\
</style></head><body><main>{}</main></body></html>",
        escape_html(title),
        body
    )
}

/// The OAuth parameters of an authorization request, as carried from
/// `/oauth2/authorize` through `/login`.
#[derive(Clone, Debug, Default)]
struct AuthParams {
    client_id: String,
    redirect_uri: String,
    response_type: String,
    state: Option<String>,
    scope: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    nonce: Option<String>,
}

const PARAM_NAMES: [&str; 8] = [
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
    "nonce",
];

impl AuthParams {
    fn from_map(m: &HashMap<String, String>) -> AuthParams {
        let get = |k: &str| m.get(k).cloned().filter(|v| !v.is_empty());
        AuthParams {
            client_id: get("client_id").unwrap_or_default(),
            redirect_uri: get("redirect_uri").unwrap_or_default(),
            response_type: get("response_type").unwrap_or_default(),
            state: get("state"),
            scope: get("scope"),
            code_challenge: get("code_challenge"),
            code_challenge_method: get("code_challenge_method"),
            nonce: get("nonce"),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut v = vec![
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("response_type", self.response_type.as_str()),
        ];
        for (k, val) in [
            ("state", &self.state),
            ("scope", &self.scope),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
            ("nonce", &self.nonce),
        ] {
            if let Some(val) = val {
                v.push((k, val.as_str()));
            }
        }
        debug_assert!(v.iter().all(|(k, _)| PARAM_NAMES.contains(k)));
        v
    }

    /// Errors that must not redirect: unknown client or unregistered redirect URI.
    fn check_client(&self, state: &State) -> Result<(), Resp> {
        if self.client_id.is_empty() || self.client_id != state.config.client_id {
            return Err(error_page("invalid_client"));
        }
        if self.redirect_uri.is_empty() || !state.callback_urls.contains(&self.redirect_uri) {
            return Err(error_page("redirect_mismatch"));
        }
        Ok(())
    }

    fn redirect_error(&self, error: &str, description: &str) -> Resp {
        let mut pairs = vec![("error", error), ("error_description", description)];
        if let Some(s) = &self.state {
            pairs.push(("state", s));
        }
        redirect(&with_query(&self.redirect_uri, pairs))
    }

    /// The remaining checks, answered by redirecting an error to the app.
    fn check_request(&self, state: &State) -> Result<Vec<String>, Resp> {
        if self.response_type.is_empty() {
            return Err(self.redirect_error("invalid_request", "response_type is required"));
        }
        if self.response_type != "code" {
            return Err(self.redirect_error(
                "unauthorized_client",
                "the client may only use response_type=code",
            ));
        }
        match (&self.code_challenge, &self.code_challenge_method) {
            (None, _) => {
                return Err(self.redirect_error("invalid_request", "code_challenge is required"))
            }
            (Some(_), None) => {
                return Err(
                    self.redirect_error("invalid_request", "code_challenge_method is required")
                )
            }
            (Some(_), Some(m)) if m != "S256" => {
                return Err(
                    self.redirect_error("invalid_request", "code_challenge_method must be S256")
                )
            }
            (Some(c), Some(_)) => {
                let ok = c.len() == 43
                    && c.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if !ok {
                    return Err(
                        self.redirect_error("invalid_request", "code_challenge is malformed")
                    );
                }
            }
        }
        let allowed = &state.config.allowed_scopes;
        let scopes: Vec<String> = match &self.scope {
            None => allowed.clone(),
            Some(s) => s
                .split(' ')
                .filter(|s| !s.is_empty() && allowed.iter().any(|a| a == s))
                .map(String::from)
                .collect(),
        };
        if scopes.is_empty() {
            return Err(self.redirect_error("invalid_scope", "no allowed scope requested"));
        }
        Ok(scopes)
    }
}

fn authorize(
    state: &State,
    query: &HashMap<String, String>,
    cookies: &HashMap<String, String>,
) -> Resp {
    let params = AuthParams::from_map(query);
    if let Err(resp) = params.check_client(state) {
        return resp;
    }
    let scopes = match params.check_request(state) {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    // A live Hosted UI session signs in without the form (unless prompt=login).
    let prompt_login = query.get("prompt").is_some_and(|p| p == "login");
    if !prompt_login {
        if let Some(id) = cookies.get(SESSION_COOKIE) {
            let now = state.now();
            let session = state.lock().sessions.get(id).cloned();
            if let Some(session) = session.filter(|s| s.expires_at > now) {
                if let Some(user) = state.user(&session.username).cloned() {
                    return code_redirect(state, &params, scopes, &user, session.auth_time);
                }
            }
        }
    }
    redirect(&with_query("/login", params.pairs()))
}

fn login_page(state: &State, query: &HashMap<String, String>) -> Resp {
    let params = AuthParams::from_map(query);
    if let Err(resp) = params.check_client(state) {
        return resp;
    }
    if let Err(resp) = params.check_request(state) {
        return resp;
    }
    html(StatusCode::OK, login_form(&params, "", None))
}

fn login_form(params: &AuthParams, username: &str, error: Option<&str>) -> String {
    let mut hidden = String::new();
    for (k, v) in params.pairs() {
        hidden.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape_html(k),
            escape_html(v)
        ));
    }
    let error_html = error
        .map(|e| {
            format!(
                "<p class=\"error\" role=\"alert\" id=\"login-error\">{}</p>",
                escape_html(e)
            )
        })
        .unwrap_or_default();
    let described = if error.is_some() {
        " aria-describedby=\"login-error\""
    } else {
        ""
    };
    let (user_focus, pass_focus) = if username.is_empty() {
        (" autofocus", "")
    } else {
        ("", " autofocus")
    };
    let cancel = with_query("/login/cancel", params.pairs());
    page(
        "Sign in",
        &format!(
            "<h1>Sign in</h1>\
<p class=\"note\">Local emulator of the Cognito Hosted UI.</p>{error_html}\
<form method=\"post\" action=\"/login\" novalidate>{hidden}\
<label for=\"username\">Username</label>\
<input id=\"username\" name=\"username\" type=\"text\" autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" required value=\"{}\"{user_focus}{described}>\
<label for=\"password\">Password</label>\
<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required{pass_focus}{described}>\
<button type=\"submit\">Sign in</button></form>\
<p><a href=\"{}\">Cancel</a></p>",
            escape_html(username),
            escape_html(&cancel),
        ),
    )
}

fn login_submit(state: &State, form: &HashMap<String, String>) -> Resp {
    let params = AuthParams::from_map(form);
    if let Err(resp) = params.check_client(state) {
        return resp;
    }
    let scopes = match params.check_request(state) {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let username = form.get("username").map(|s| s.trim()).unwrap_or("");
    let password = form.get("password").map(String::as_str).unwrap_or("");
    let user = state
        .users
        .iter()
        .find(|u| u.username.eq_ignore_ascii_case(username));
    let Some(user) = user.filter(|u| constant_time_eq(u.password.as_bytes(), password.as_bytes()))
    else {
        return html(
            StatusCode::OK,
            login_form(&params, username, Some(BAD_LOGIN)),
        );
    };
    let user = user.clone();
    let now = state.now();
    let session_id = random_token(32);
    let session_seconds = state.lifetimes().session_seconds;
    state.lock().sessions.insert(
        session_id.clone(),
        Session {
            username: user.username.clone(),
            auth_time: now,
            expires_at: now + session_seconds,
        },
    );
    let mut resp = code_redirect(state, &params, scopes, &user, now);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={session_seconds}"
    )) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn code_redirect(
    state: &State,
    params: &AuthParams,
    scopes: Vec<String>,
    user: &User,
    auth_time: u64,
) -> Resp {
    let code = uuid::Uuid::new_v4().to_string();
    let now = state.now();
    let code_seconds = state.lifetimes().code_seconds;
    state.lock().codes.insert(
        code.clone(),
        AuthCode {
            client_id: params.client_id.clone(),
            redirect_uri: params.redirect_uri.clone(),
            code_challenge: params.code_challenge.clone().unwrap_or_default(),
            username: user.username.clone(),
            scopes,
            nonce: params.nonce.clone(),
            auth_time,
            expires_at: now + code_seconds,
        },
    );
    let mut pairs = vec![("code", code.as_str())];
    if let Some(s) = &params.state {
        pairs.push(("state", s));
    }
    redirect(&with_query(&params.redirect_uri, pairs))
}

fn cancel(state: &State, query: &HashMap<String, String>) -> Resp {
    let params = AuthParams::from_map(query);
    if let Err(resp) = params.check_client(state) {
        return resp;
    }
    let mut pairs = vec![("error", "access_denied")];
    if let Some(s) = &params.state {
        pairs.push(("state", s));
    }
    redirect(&with_query(&params.redirect_uri, pairs))
}

fn oauth_error(error: &str, description: Option<&str>) -> Resp {
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

fn token(state: &State, content_type: &str, body: &[u8]) -> Resp {
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
        let refresh_token = format!(
            "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.{}",
            random_token(160)
        );
        state.lock().refresh.insert(
            refresh_token.clone(),
            RefreshGrant {
                client_id: client_id.to_string(),
                username: user.username.clone(),
                scopes: grant.scopes.clone(),
                auth_time: grant.auth_time,
                origin_jti: origin_jti.clone(),
                expires_at: now + lifetimes.refresh_token_seconds,
                revoked: false,
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
    if grant.revoked {
        return oauth_error("invalid_grant", Some("Refresh Token has been revoked"));
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
    let body = issue_tokens(
        state,
        &user,
        client_id,
        &grant.scopes,
        grant.auth_time,
        None,
        &grant.origin_jti,
    );
    let mut resp = json(StatusCode::OK, &body);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
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

fn revoke(state: &State, form: &HashMap<String, String>) -> Resp {
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

fn user_info(state: &State, authorization: &str) -> Resp {
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

fn logout(
    state: &State,
    query: &HashMap<String, String>,
    cookies: &HashMap<String, String>,
) -> Resp {
    if query.get("client_id").map(String::as_str) != Some(state.config.client_id.as_str()) {
        return error_page("invalid_client");
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    let mut resp = if let Some(uri) = query.get("logout_uri") {
        if !state.sign_out_urls.contains(uri) {
            return error_page("redirect_mismatch");
        }
        redirect(uri)
    } else if query.contains_key("redirect_uri") {
        let params = AuthParams::from_map(query);
        if let Err(resp) = params.check_client(state) {
            return resp;
        }
        redirect(&with_query("/login", params.pairs()))
    } else {
        return error_page("invalid_request");
    };
    if let Some(id) = cookies.get(SESSION_COOKIE) {
        state.lock().sessions.remove(id);
    }
    if let Ok(v) = HeaderValue::from_str(&clear) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}
