//! The Hosted UI's own session (a cookie that signs in again without the form) and
//! `/logout`, which ends it.
//!
//! AWS: <https://docs.aws.amazon.com/cognito/latest/developerguide/logout-endpoint.html>.

use super::authorize::AuthParams;
use super::pages::error_page;
use crate::http_util::*;
use crate::state::State;
use http::{header, HeaderValue, Request};
use std::collections::HashMap;

/// The Hosted UI session cookie's name.
pub(super) const SESSION_COOKIE: &str = "cubby-emulator-session";

/// The request's cookies by name.
pub(super) fn cookies<B>(req: &Request<B>) -> HashMap<String, String> {
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

/// Ends the Hosted UI session and redirects to a registered sign-out URL, or to the
/// sign-in form when asked with `redirect_uri`.
pub(super) fn logout(
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
