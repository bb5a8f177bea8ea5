//! Wires the model to the browser: reads the address bar and storage, starts and
//! finishes sign-in, opens the session, signs out. The UI calls these and renders
//! the resulting [`Phase`].

use crate::config::Config;
use crate::model::auth::{self, AuthError, PendingSignIn, Tokens};
use crate::model::session::{Env, Session};
use crate::web::storage::{self, Store};
use crate::web::{clock, http::Fetch, random};
use std::rc::Rc;

/// Where the app stands.
#[derive(Clone, Debug)]
pub enum Phase {
    Loading,
    /// config.json is missing or wrong; the message names the field.
    ConfigFailed(String),
    SignedOut(Rc<Config>),
    /// Signing in or restoring the session; the text says which step.
    Working(&'static str),
    /// Sign-in failed; the message says what happened and what to do.
    Failed(Rc<Config>, String),
    SignedIn(Rc<Session>),
}

/// The browser's clock, timers and randomness.
pub fn browser_env() -> Env {
    Env {
        now: clock::now,
        sleep: |millis| Box::pin(clock::sleep(millis)),
        random_fraction: js_sys::Math::random,
    }
}

/// Goes to the Hosted UI to sign in.
pub fn start_sign_in(config: &Config, keep_signed_in: bool) -> Result<(), String> {
    let bytes = random::bytes::<64>()?;
    let (url, pending) =
        auth::begin_sign_in(config, &bytes, keep_signed_in).map_err(|e| e.user_message())?;
    if !storage::set(Store::Session, auth::PENDING_KEY, &pending.to_json()) {
        return Err(
            "This browser does not allow the app to keep the sign-in state \
                    (sessionStorage is disabled), so sign-in cannot work."
                .into(),
        );
    }
    navigate(&url);
    Ok(())
}

fn navigate(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(url);
    }
}

fn location_search() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// Removes `code` and `state` from the address bar so they are neither bookmarked
/// nor sent anywhere.
fn clean_address_bar() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let path = window.location().pathname().unwrap_or_else(|_| "/".into());
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
    }
}

fn load_tokens(config: &Config) -> Option<Tokens> {
    [Store::Session, Store::Local]
        .into_iter()
        .find_map(|store| storage::get(store, auth::TOKENS_KEY))
        .and_then(|text| Tokens::from_json(config, &text))
}

/// Persists tokens where the user chose: this tab only, or across restarts.
pub fn save_tokens(tokens: &Tokens) {
    let (keep, drop) = if tokens.keep_signed_in {
        (Store::Local, Store::Session)
    } else {
        (Store::Session, Store::Local)
    };
    storage::set(keep, auth::TOKENS_KEY, &tokens.to_json());
    storage::remove(drop, auth::TOKENS_KEY);
}

fn clear_tokens() {
    storage::remove(Store::Session, auth::TOKENS_KEY);
    storage::remove(Store::Local, auth::TOKENS_KEY);
}

/// Decides the first screen after config.json: finishes a sign-in when this load is
/// the Hosted UI's callback, restores a stored session, or shows "Sign in".
/// `report` hears the step in progress.
pub async fn resume(config: Rc<Config>, report: impl Fn(Phase)) -> Phase {
    let search = location_search();
    let env = browser_env();
    let tokens = if auth::is_callback(&search) {
        clean_address_bar();
        let pending = storage::get(Store::Session, auth::PENDING_KEY)
            .and_then(|text| PendingSignIn::from_json(&text));
        storage::remove(Store::Session, auth::PENDING_KEY);
        let Some(pending) = pending else {
            return Phase::Failed(config, AuthError::NoPendingSignIn.user_message());
        };
        report(Phase::Working("Finishing sign-in…"));
        match auth::complete_sign_in(&config, &Fetch, &search, &pending, env.now_secs()).await {
            Ok(tokens) => {
                save_tokens(&tokens);
                tokens
            }
            Err(e) => return Phase::Failed(config, e.user_message()),
        }
    } else {
        match load_tokens(&config) {
            Some(tokens) => tokens,
            None => return Phase::SignedOut(config),
        }
    };
    report(Phase::Working("Opening your folder…"));
    match open_session(config.clone(), tokens).await {
        Ok(session) => Phase::SignedIn(Rc::new(session)),
        Err(e) => {
            if e.ends_session() {
                clear_tokens();
            }
            Phase::Failed(config, e.user_message())
        }
    }
}

/// From tokens to a ready session: refresh if due, the identity id (cached per
/// user, so a reload skips GetId), then credentials.
async fn open_session(config: Rc<Config>, mut tokens: Tokens) -> Result<Session, AuthError> {
    let env = browser_env();
    if tokens.needs_refresh(env.now_secs()) {
        tokens = auth::refresh(&config, &Fetch, &tokens, env.now_secs()).await?;
        save_tokens(&tokens);
    }
    let cache_key = auth::identity_cache_key(&config, &tokens.claims.sub);
    let identity_id = match storage::get(Store::Local, &cache_key) {
        Some(id) => id,
        None => {
            let id = auth::get_identity_id(&config, &Fetch, &tokens).await?;
            storage::set(Store::Local, &cache_key, &id);
            id
        }
    };
    let credentials = auth::get_credentials(&config, &Fetch, &identity_id, &tokens).await?;
    Session::new(
        config,
        Rc::new(Fetch),
        env,
        tokens,
        identity_id,
        Some(credentials),
        Box::new(save_tokens),
    )
    .map_err(|e| AuthError::Config(e.to_string()))
}

/// Signs out: revokes the refresh token (best effort), forgets the tokens, and goes
/// through the Hosted UI's logout so its cookie goes too.
pub async fn sign_out(session: &Session) {
    let _ = auth::revoke(&session.config, &Fetch, &session.tokens()).await;
    clear_tokens();
    navigate(&auth::sign_out_url(&session.config));
}
