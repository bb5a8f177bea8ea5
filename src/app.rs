//! Wires the model to the browser: reads the address bar and storage, starts and
//! finishes sign-in, opens the session, signs out. The UI calls these and renders
//! the resulting [`Phase`].

use crate::config::Config;
use crate::model::auth::{self, AuthError, PendingSignIn, Tokens};
use crate::model::session::{self, Env, Session, TokenShare};
use crate::model::storage_keys as keys;
use crate::model::tabs::TabMessage;
use crate::model::transfers::{self, ResumeStore};
use crate::model::transport::LocalFuture;
use crate::web::storage::{self, Store};
use crate::web::tabs::Channel;
use crate::web::{clock, http::Fetch, locks, random};
use cubby_core::retry;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// How long a new tab waits for another tab's tokens.
const ASK_TOKENS_WAIT_MS: u32 = 300;

thread_local! {
    /// This tab's end of [`keys::TAB_CHANNEL`] while signed in.
    static TABS: RefCell<Option<Channel>> = const { RefCell::new(None) };
    /// The sign-in this tab started in a popup to renew its session.
    static REAUTH_PENDING: RefCell<Option<PendingSignIn>> = const { RefCell::new(None) };
}

/// Posts `message` to the other tabs.
fn tell_other_tabs(message: &TabMessage) {
    let message = message.encode();
    TABS.with(|tabs| match tabs.borrow().as_ref() {
        Some(channel) => channel.post(&message),
        None => {
            if let Some(channel) = Channel::open(keys::TAB_CHANNEL, |_| {}) {
                channel.post(&message);
            }
        }
    });
}

/// Tokens shared with the other tabs: the Web Lock, browser storage and the channel.
struct BrowserShare {
    config: Rc<Config>,
}

impl TokenShare for BrowserShare {
    fn exclusive<'a>(&'a self, work: LocalFuture<'a, ()>) -> LocalFuture<'a, ()> {
        Box::pin(locks::with_lock(keys::REFRESH_LOCK, async {
            work.await;
            // Holds the lock until the other tabs have heard of new tokens, so the
            // next holder finds them stored instead of refreshing again.
            clock::sleep(100).await;
        }))
    }

    fn load(&self) -> Option<Tokens> {
        load_tokens(&self.config)
    }

    fn save(&self, tokens: &Tokens) {
        save_tokens(tokens);
        tell_other_tabs(&TabMessage::Tokens(Box::new(tokens.clone())));
    }
}

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
        .find_map(|store| storage::get(store, keys::TOKENS))
        .and_then(|text| Tokens::from_json(config, &text))
}

/// Persists tokens where the user chose: this browser session (each tab's
/// sessionStorage, shared between open tabs over the channel), or across restarts.
pub fn save_tokens(tokens: &Tokens) {
    let (keep, drop) = if tokens.keep_signed_in {
        (Store::Local, Store::Session)
    } else {
        storage::set(Store::Local, keys::SESSION_ONLY_TABS, "1");
        (Store::Session, Store::Local)
    };
    storage::set(keep, keys::TOKENS, &tokens.to_json());
    storage::remove(drop, keys::TOKENS);
}

fn clear_tokens() {
    storage::remove(Store::Session, keys::TOKENS);
    storage::remove(Store::Local, keys::TOKENS);
}

/// Tokens of this browser session held by another open tab: asked for on the
/// channel, when a tab signed in that way (the flag says so), for a short while.
async fn tokens_from_other_tabs(config: Rc<Config>) -> Option<Tokens> {
    storage::get(Store::Local, keys::SESSION_ONLY_TABS)?;
    let (answer, answered) = futures::channel::oneshot::channel::<Tokens>();
    let answer = RefCell::new(Some(answer));
    let channel = Channel::open(keys::TAB_CHANNEL, move |text| {
        if let Some(TabMessage::Tokens(tokens)) = TabMessage::decode(&config, &text) {
            if let Some(answer) = answer.borrow_mut().take() {
                let _ = answer.send(*tokens);
            }
        }
    })?;
    channel.post(&TabMessage::AskTokens.encode());
    let timeout = Box::pin(clock::sleep(ASK_TOKENS_WAIT_MS));
    let tokens = match futures::future::select(answered, timeout).await {
        futures::future::Either::Left((Ok(tokens), _)) => tokens,
        _ => return None,
    };
    save_tokens(&tokens);
    Some(tokens)
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
        storage::remove(Store::Session, keys::PENDING_SIGN_IN);
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
            None => match tokens_from_other_tabs(config.clone()).await {
                Some(tokens) => tokens,
                None => return Phase::SignedOut(config),
            },
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

/// Signs in again without leaving the page, so what it holds (the open folder, the
/// upload queue) carries on: the Hosted UI runs in a popup whose redirect comes back
/// to this tab over the channel. Where popups are blocked, it falls back to a
/// normal sign-in (the page reloads; unfinished uploads resume from their records).
pub fn sign_in_again(session: &Session) -> Result<(), String> {
    let keep = session.tokens().keep_signed_in;
    let bytes = random::bytes::<64>()?;
    let (url, pending) =
        auth::begin_sign_in(&session.config, &bytes, keep).map_err(|e| e.user_message())?;
    storage::set(Store::Local, keys::REAUTH_STATE, &pending.state);
    let popup = web_sys::window().and_then(|w| {
        w.open_with_url_and_target_and_features(&url, "cubby-sign-in", "popup,width=520,height=700")
            .ok()
            .flatten()
    });
    if popup.is_none() {
        storage::remove(Store::Local, keys::REAUTH_STATE);
        return start_sign_in(&session.config, keep);
    }
    REAUTH_PENDING.with(|p| *p.borrow_mut() = Some(pending));
    Ok(())
}

/// Finishes the popup sign-in `search` answers, if this tab started it.
fn finish_sign_in_again(session: Rc<Session>, search: String, on_end: Rc<dyn Fn(SessionEnd)>) {
    let pending = REAUTH_PENDING.with(|p| {
        let mut pending = p.borrow_mut();
        let ours = pending
            .as_ref()
            .is_some_and(|p| auth::callback_state(&search).as_deref() == Some(p.state.as_str()));
        if ours {
            pending.take()
        } else {
            None
        }
    });
    let Some(pending) = pending else {
        return;
    };
    leptos::task::spawn_local(async move {
        let now = browser_env().now_secs();
        match auth::complete_sign_in(&session.config, &Fetch, &search, &pending, now).await {
            Ok(tokens) => {
                save_tokens(&tokens);
                tell_other_tabs(&TabMessage::Tokens(Box::new(tokens.clone())));
                if tokens.claims.sub == session.tokens().claims.sub {
                    session.resume_with(tokens);
                    on_end(SessionEnd::Resumed);
                } else {
                    // Another user: this page shows the first user's folder.
                    session.close();
                    if let Some(window) = web_sys::window() {
                        let _ = window.location().reload();
                    }
                }
            }
            Err(e) => on_end(SessionEnd::Expired(e.user_message())),
        }
    });
}

/// Signs out: revokes the refresh token (best effort), forgets the tokens, and goes
/// through the Hosted UI's logout so its cookie goes too.
pub async fn sign_out(session: &Session) {
    session.close();
    let _ = auth::revoke(&session.config, &Fetch, &session.tokens()).await;
    clear_tokens();
    storage::remove(Store::Local, keys::SESSION_ONLY_TABS);
    tell_other_tabs(&TabMessage::SignedOut);
    navigate(&auth::sign_out_url(&session.config));
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

/// While `session` lasts: renews tokens and credentials ahead of expiry (a failure
/// for a network reason keeps the session and tries again with backoff; only a
/// refused refresh token ends it), follows tokens other tabs refreshed, and ends the
/// session when another tab signs out. `on_end` hears how it ended.
pub fn watch_session(session: Rc<Session>, on_end: impl Fn(SessionEnd) + 'static) {
    let on_end: Rc<dyn Fn(SessionEnd)> = Rc::new(on_end);
    let ended = on_end.clone();
    session.set_on_sign_in_needed(move |message| {
        clear_tokens();
        ended(SessionEnd::Expired(message));
    });
    let listener = session.clone();
    let ended = on_end.clone();
    let channel = Channel::open(keys::TAB_CHANNEL, move |text| {
        if listener.is_closed() {
            return;
        }
        match TabMessage::decode(&listener.config, &text) {
            Some(TabMessage::SignedOut) => {
                listener.close();
                clear_tokens();
                ended(SessionEnd::SignedOutElsewhere);
            }
            Some(TabMessage::AskTokens) if !listener.is_awaiting_sign_in() => {
                tell_other_tabs(&TabMessage::Tokens(Box::new(listener.tokens())));
            }
            Some(TabMessage::Tokens(tokens)) => {
                let tokens = *tokens;
                if listener.is_awaiting_sign_in() {
                    if tokens.claims.sub == listener.tokens().claims.sub {
                        save_tokens(&tokens);
                        listener.resume_with(tokens);
                        ended(SessionEnd::Resumed);
                    }
                } else if listener.adopt_tokens(tokens.clone()) {
                    save_tokens(&tokens);
                }
            }
            Some(TabMessage::Reauth(search)) => {
                finish_sign_in_again(listener.clone(), search, ended.clone());
            }
            Some(TabMessage::AskTokens) | None => {}
        }
    });
    TABS.with(|tabs| *tabs.borrow_mut() = channel);
    drop_stale_upload_records();

    leptos::task::spawn_local(async move {
        let env = session.env();
        let mut failures = 0u32;
        loop {
            let wait = session.seconds_until_renewal().clamp(1, 30);
            (env.sleep)(wait as u32 * 1000).await;
            if session.is_closed() {
                return;
            }
            if session.seconds_until_renewal() > 0 {
                continue;
            }
            // A refused refresh token waits inside `renew` for the user to sign in
            // again (`on_sign_in_needed` told the page).
            match session.renew().await {
                Ok(()) => {
                    failures = 0;
                    // Never more than one renewal per few seconds, whatever the clocks say.
                    (env.sleep)(5_000).await;
                }
                Err(_) if session.is_closed() => return,
                Err(_) => {
                    failures += 1;
                    let delay = retry::backoff_delay(failures, (env.random_fraction)())
                        .max(Duration::from_secs(1));
                    (env.sleep)(delay.as_millis() as u32).await;
                }
            }
        }
    });
}

/// Records of unfinished uploads, in localStorage so they outlive a reload.
#[derive(Clone, Copy, Debug, Default)]
pub struct UploadRecords;

impl ResumeStore for UploadRecords {
    fn load(&self, id: &str) -> Option<String> {
        storage::get(Store::Local, id)
    }

    fn save(&self, id: &str, value: &str) {
        storage::set(Store::Local, id, value);
    }

    fn remove(&self, id: &str) {
        storage::remove(Store::Local, id);
    }
}

/// Drops records of uploads the bucket has aborted by now (older than a day).
pub fn drop_stale_upload_records() {
    let records = storage::keys(Store::Local)
        .into_iter()
        .filter(|k| k.starts_with(transfers::RESUME_PREFIX))
        .filter_map(|k| storage::get(Store::Local, &k).map(|v| (k, v)));
    for id in transfers::stale_records(records, browser_env().now_secs()) {
        storage::remove(Store::Local, &id);
    }
}
