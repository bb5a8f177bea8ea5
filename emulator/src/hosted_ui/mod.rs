//! The Cognito Hosted UI (managed login) and OAuth2 endpoints of the user pool.
//!
//! - [`authorize`]: `/oauth2/authorize`, the sign-in form's `/login` and its cancel,
//! - [`token`]: `/oauth2/token`, `/oauth2/revoke` and `/oauth2/userInfo`,
//! - [`session`]: the Hosted UI's session cookie and `/logout`,
//! - [`pages`]: the HTML pages (sign-in form, error page),
//! - here: routing, CORS of the OAuth2 endpoints, the JWKS and OpenID discovery.
//!
//! AWS: <https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-userpools-server-contract-reference.html>.

mod authorize;
mod pages;
mod session;
mod token;

pub use token::s256;

use crate::http_util::*;
use crate::server::{BoxFuture, Handler};
use crate::state::State;
use http::{header, HeaderValue, Method, Request, StatusCode};
use hyper::body::Incoming;
use pages::error_page;
use serde_json::json;
use std::sync::Arc;

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
    let cookies = session::cookies(&req);
    match (method.clone(), path.as_str()) {
        (Method::GET, "/oauth2/authorize") | (Method::GET, "/authorize") => {
            authorize::authorize(state, &query, &cookies)
        }
        (Method::GET, "/login") => authorize::login_page(state, &query),
        (Method::POST, "/login") => {
            let body = match read_body(req.into_body(), 64 * 1024).await {
                Ok(b) => b,
                Err(_) => return error_page("invalid_request"),
            };
            authorize::login_submit(state, &parse_form(&String::from_utf8_lossy(&body)))
        }
        (Method::GET, "/login/cancel") => authorize::cancel(state, &query),
        (Method::GET, "/error") => {
            error_page(query.get("error").map(String::as_str).unwrap_or("error"))
        }
        (Method::OPTIONS, "/oauth2/token" | "/oauth2/revoke" | "/oauth2/userInfo") => {
            preflight_any(&req)
        }
        (Method::POST, "/oauth2/token") => {
            let content_type = header_value(req.headers(), header::CONTENT_TYPE.as_str())
                .unwrap_or("")
                .to_string();
            let body = read_body(req.into_body(), 64 * 1024).await;
            let mut resp = match body {
                Ok(body) => token::token(state, &content_type, &body),
                Err(_) => token::oauth_error("invalid_request", None),
            };
            cors_any(&mut resp);
            resp
        }
        (Method::POST, "/oauth2/revoke") => {
            let body = read_body(req.into_body(), 64 * 1024)
                .await
                .unwrap_or_default();
            let mut resp = token::revoke(state, &parse_form(&String::from_utf8_lossy(&body)));
            cors_any(&mut resp);
            resp
        }
        (Method::GET | Method::POST, "/oauth2/userInfo") => {
            let auth = header_value(req.headers(), header::AUTHORIZATION.as_str())
                .unwrap_or("")
                .to_string();
            let mut resp = token::user_info(state, &auth);
            cors_any(&mut resp);
            resp
        }
        (Method::GET, "/logout") => session::logout(state, &query, &cookies),
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

/// The OAuth2 endpoints answer any origin (public client, no cookies).
fn cors_any(resp: &mut Resp) {
    resp.headers_mut()
        .insert("access-control-allow-origin", HeaderValue::from_static("*"));
}

/// A preflight of an OAuth2 endpoint: allowed from any origin, cached 10 minutes.
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
