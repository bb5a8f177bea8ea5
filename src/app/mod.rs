//! Wires the model to the browser: reads the address bar and storage, starts and
//! finishes sign-in, opens the session, signs out. The UI starts the app with
//! [`boot`], calls the actions and renders the resulting [`Phase`].
//!
//! [`signed_in`] keeps a session going (renewals, the other tabs, signing in
//! again); [`stored`] is what the app keeps in browser storage.

pub mod browser;
pub mod route;
mod signed_in;
mod stored;

pub use signed_in::{sign_in_again, watch_session};
pub use stored::{drop_stale_upload_records, hear_storage_problems, save_tokens, UploadRecords};

use crate::config::Config;
use crate::model::auth::{self, AuthError, PendingSignIn, Tokens};
use crate::model::session::{self, Env, Session};
use crate::model::storage_keys as keys;
use crate::model::tabs::TabMessage;
use crate::model::transfers;
use crate::web::storage::{self, Store};
use crate::web::{clock, config_loader, http::Fetch, random};
use signed_in::{tell_other_tabs, tokens_from_other_tabs, BrowserShare};
use std::rc::Rc;
use stored::{clear_tokens, load_tokens};

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

/// Starts the app, step by step: loads config.json; decides the first screen
/// ([`resume`]: finishes a sign-in when this load is the Hosted UI's callback,
/// restores a stored session, or "Sign in"); while signed in, keeps the session
/// going ([`watch_session`]). `show` hears every phase, the steps in progress
/// included; `notice` the message over a signed-in page whose session ended
/// (`None` once it goes on).
pub async fn boot(
    show: impl Fn(Phase) + Clone + 'static,
    notice: impl Fn(Option<String>) + 'static,
) {
    let config = match config_loader::load().await {
        Ok(config) => Rc::new(config),
        Err(message) => return show(Phase::ConfigFailed(message)),
    };
    let first = resume(config.clone(), show.clone()).await;
    if let Phase::SignedIn(session) = &first {
        let show = show.clone();
        watch_session(session.clone(), move |end| match end {
            SessionEnd::SignedOutElsewhere => {
                let _ = storage::set(Store::Session, keys::SIGNED_OUT, "elsewhere");
                show(Phase::SignedOut(config.clone()))
            }
            SessionEnd::Expired(message) => notice(Some(message)),
            SessionEnd::Resumed => notice(None),
        });
    }
    show(first);
}

/// Goes to the Hosted UI to sign in.
pub fn start_sign_in(config: &Config, keep_signed_in: bool) -> Result<(), String> {
    let bytes = random::bytes::<64>()?;
    let (url, mut pending) =
        auth::begin_sign_in(config, &bytes, keep_signed_in).map_err(|e| e.user_message())?;
    // The folder the address names opens after the round trip; the redirect URI
    // stays the registered one.
    pending.folder = route::folder_to_carry();
    storage::remove(Store::Session, keys::SIGNED_OUT);
    if !storage::set(Store::Session, keys::PENDING_SIGN_IN, &pending.to_json()) {
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
    route::settle_address(None);
}

/// Decides the first screen after config.json: finishes a sign-in when this load is
/// the Hosted UI's callback, restores a stored session, or shows "Sign in".
/// `report` hears the step in progress.
pub async fn resume(config: Rc<Config>, report: impl Fn(Phase)) -> Phase {
    let search = location_search();
    let env = browser_env();
    let tokens = if auth::is_callback(&search) {
        clean_address_bar();
        if is_reauth_callback(&search) {
            // This is the popup a tab opened to sign in again: hand the answer to
            // that tab, which holds the verifier, and go.
            tell_other_tabs(&TabMessage::Reauth(search));
            close_this_window();
            return Phase::Working("You are signed in again. You can close this window.");
        }
        let pending = storage::get(Store::Session, keys::PENDING_SIGN_IN)
            .and_then(|text| PendingSignIn::from_json(&text));
        match pending {
            Some(pending) => {
                // The folder the address named when sign-in started.
                route::settle_address(pending.folder.as_deref());
                // A redirect without this sign-in's state (forged or stale) fails below
                // with a fixed text and leaves the sign-in for its real answer.
                if pending.is_answered_by(&search) {
                    storage::remove(Store::Session, keys::PENDING_SIGN_IN);
                }
                report(Phase::Working("Finishing sign-in…"));
                let now = env.now_secs();
                match auth::complete_sign_in(&config, &Fetch, &search, &pending, now).await {
                    Ok(tokens) => {
                        save_tokens(&tokens);
                        tokens
                    }
                    Err(e) => return Phase::Failed(config, e.user_message()),
                }
            }
            None => match used_callback(&config).await {
                Some(tokens) => tokens,
                None => return Phase::Failed(config, AuthError::NoPendingSignIn.user_message()),
            },
        }
    } else {
        match stored_session(&config).await {
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

/// The session this browser keeps: this tab's stored tokens, else another tab's.
async fn stored_session(config: &Rc<Config>) -> Option<Tokens> {
    match load_tokens(config) {
        Some(tokens) => Some(tokens),
        None => tokens_from_other_tabs(config.clone()).await,
    }
}

/// A callback this tab started no sign-in for: a used sign-in address opened
/// again (history, a bookmark, a restored tab). Its code cannot be exchanged, but
/// if the user is still signed in that session goes on as on any other load;
/// `None` when there is none.
async fn used_callback(config: &Rc<Config>) -> Option<Tokens> {
    stored_session(config).await
}

/// From tokens to a ready session: refresh if due, the identity id (cached per
/// user, so a reload skips GetId), then credentials.
async fn open_session(config: Rc<Config>, mut tokens: Tokens) -> Result<Session, AuthError> {
    let env = browser_env();
    let share = Rc::new(BrowserShare {
        config: config.clone(),
    });
    if tokens.needs_refresh(env.now_secs()) {
        tokens = session::refresh_shared(&config, &Fetch, share.as_ref(), &tokens, env.now_secs())
            .await?;
    }
    let cache_key = keys::identity(&config.identity_pool_id, &tokens.claims.sub);
    let identity_id = match storage::get(Store::Local, &cache_key) {
        Some(id) => id,
        None => {
            let id = auth::get_identity_id(&config, &Fetch, &tokens).await?;
            // Only a cache: without it the next load asks GetId again.
            let _ = storage::set(Store::Local, &cache_key, &id);
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
        share,
    )
    .map_err(|e| AuthError::Config(e.to_string()))
}

/// Whether `search` answers the popup sign-in [`sign_in_again`] started.
fn is_reauth_callback(search: &str) -> bool {
    let Some(expected) = storage::get(Store::Local, keys::REAUTH_STATE) else {
        return false;
    };
    let matches = auth::callback_state(search).is_some_and(|state| state == expected);
    if matches {
        storage::remove(Store::Local, keys::REAUTH_STATE);
    }
    matches
}

fn close_this_window() {
    if let Some(window) = web_sys::window() {
        let _ = window.close();
    }
}

/// How long sign-out waits for S3 to abort unfinished uploads, in milliseconds.
const ABORT_UPLOADS_WITHIN_MS: u32 = 1_500;

/// Signs out: aborts the unfinished multipart uploads while the credentials still
/// allow it (for a moment at most), revokes the refresh token (best effort),
/// forgets the tokens, the cached identity ids and the upload records, and goes
/// through the Hosted UI's logout so its cookie goes too.
pub async fn sign_out(session: &Session) {
    transfers::abort_and_forget_all(session, &UploadRecords, ABORT_UPLOADS_WITHIN_MS).await;
    session.close();
    // The newest refresh token of this sign-in (another tab may have rotated it).
    let mut tokens = session.tokens();
    if let Some(stored) = load_tokens(&session.config) {
        if stored.same_sign_in(&tokens) && stored.is_newer_than(&tokens) {
            tokens = stored;
        }
    }
    let _ = auth::revoke(&session.config, &Fetch, &tokens).await;
    clear_tokens();
    storage::remove(Store::Local, keys::SESSION_ONLY_TABS);
    for key in stored::keys_starting_with(keys::IDENTITY_PREFIX) {
        storage::remove(Store::Local, &key);
    }
    tell_other_tabs(&TabMessage::SignedOut);
    // The sign-in card after the Hosted UI's logout says so.
    let _ = storage::set(Store::Session, keys::SIGNED_OUT, "here");
    navigate(&auth::sign_out_url(&session.config));
}

/// How this tab last signed out, read once (by the sign-in card that follows):
/// `Some(true)` here, `Some(false)` in another tab, `None` when it did not.
pub fn take_signed_out() -> Option<bool> {
    let how = storage::get(Store::Session, keys::SIGNED_OUT)?;
    storage::remove(Store::Session, keys::SIGNED_OUT);
    Some(how == "here")
}

/// How a signed-in session ended while the page was open.
#[derive(Clone, Debug)]
pub enum SessionEnd {
    /// Signed out in another tab: show the signed-out screen.
    SignedOutElsewhere,
    /// The refresh token was refused (revoked or expired): ask the user to sign in
    /// again, keeping what the page shows (calls in progress wait). The message says
    /// what happened.
    Expired(String),
    /// Signed in again after [`SessionEnd::Expired`]: the waiting calls go on.
    Resumed,
}
