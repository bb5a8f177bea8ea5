//! `/oauth2/authorize`, the sign-in form (`/login`) and its cancel: checks the
//! authorization request as Cognito does (errors that must not redirect first), signs
//! in with the form or a live Hosted UI session, and redirects with a code.
//!
//! AWS: <https://docs.aws.amazon.com/cognito/latest/developerguide/authorization-endpoint.html>.

use super::pages::{error_page, login_form};
use super::session::SESSION_COOKIE;
use crate::http_util::*;
use crate::state::{random_token, AuthCode, Session, State, User};
use http::{header, HeaderValue, StatusCode};
use std::collections::HashMap;

const BAD_LOGIN: &str = "Incorrect username or password.";

/// The OAuth parameters of an authorization request, as carried from
/// `/oauth2/authorize` through `/login`.
#[derive(Clone, Debug, Default)]
pub(super) struct AuthParams {
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
    pub(super) fn from_map(m: &HashMap<String, String>) -> AuthParams {
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

    pub(super) fn pairs(&self) -> Vec<(&'static str, &str)> {
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
    pub(super) fn check_client(&self, state: &State) -> Result<(), Resp> {
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

pub(super) fn authorize(
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

pub(super) fn login_page(state: &State, query: &HashMap<String, String>) -> Resp {
    let params = AuthParams::from_map(query);
    if let Err(resp) = params.check_client(state) {
        return resp;
    }
    if let Err(resp) = params.check_request(state) {
        return resp;
    }
    html(StatusCode::OK, login_form(&params, "", None))
}

pub(super) fn login_submit(state: &State, form: &HashMap<String, String>) -> Resp {
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

pub(super) fn cancel(state: &State, query: &HashMap<String, String>) -> Resp {
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
