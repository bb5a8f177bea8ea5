//! While signed in: the refresh-ahead timer, the messages between tabs (tokens
//! shared and asked for, sign-out, the popup's answer), the one token refresh
//! across tabs, and signing in again in a popup without leaving the page.

use super::stored::{clear_tokens, drop_stale_upload_records, load_tokens, save_tokens};
use super::{browser_env, start_sign_in, SessionEnd};
use crate::config::Config;
use crate::model::auth::{self, PendingSignIn, Tokens};
use crate::model::session::{Session, TokenShare};
use crate::model::storage_keys as keys;
use crate::model::tabs::TabMessage;
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
pub(super) fn tell_other_tabs(message: &TabMessage) {
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
pub(super) struct BrowserShare {
    pub(super) config: Rc<Config>,
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

    fn newest<'a>(&'a self, of: &'a Tokens) -> LocalFuture<'a, Option<Tokens>> {
        Box::pin(async move {
            let mut found = load_tokens(&self.config);
            if !of.keep_signed_in {
                // Each tab keeps these in its own sessionStorage: ask the others.
                found = ask_tokens(self.config.clone())
                    .await
                    .into_iter()
                    .chain(found)
                    .filter(|t| t.same_sign_in(of))
                    .reduce(|a, b| if b.is_newer_than(&a) { b } else { a });
            }
            found.filter(|t| t.same_sign_in(of))
        })
    }

    /// Sign-out (here or in another tab) removes the stored tokens; while signed in
    /// this tab always has them stored.
    fn signed_out(&self) -> bool {
        load_tokens(&self.config).is_none()
    }
}

/// Every tab's tokens, asked for on the channel and heard for a short while.
async fn ask_tokens(config: Rc<Config>) -> Vec<Tokens> {
    let heard: Rc<RefCell<Vec<Tokens>>> = Rc::default();
    let answers = heard.clone();
    let Some(channel) = Channel::open(keys::TAB_CHANNEL, move |text| {
        if let Some(TabMessage::Tokens(tokens)) = TabMessage::decode(&config, &text) {
            answers.borrow_mut().push(*tokens);
        }
    }) else {
        return Vec::new();
    };
    channel.post(&TabMessage::AskTokens.encode());
    clock::sleep(ASK_TOKENS_WAIT_MS).await;
    drop(channel);
    heard.take()
}

/// Tokens of this browser session held by another open tab: asked for on the
/// channel, when a tab signed in that way (the flag says so), for a short while.
pub(super) async fn tokens_from_other_tabs(config: Rc<Config>) -> Option<Tokens> {
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

/// Signs in again without leaving the page, so what it holds (the open folder, the
/// upload queue) carries on: the Hosted UI runs in a popup whose redirect comes back
/// to this tab over the channel. Where popups are blocked, it falls back to a
/// normal sign-in (the page reloads; unfinished uploads resume from their records).
pub fn sign_in_again(session: &Session) -> Result<(), String> {
    let keep = session.tokens().keep_signed_in;
    let bytes = random::bytes::<64>()?;
    let (url, pending) =
        auth::begin_sign_in(&session.config, &bytes, keep).map_err(|e| e.user_message())?;
    // Without the state stored, the popup would not know it answers this tab: sign
    // in in this page instead (unfinished uploads resume from their records).
    if !storage::set(Store::Local, keys::REAUTH_STATE, &pending.state) {
        return start_sign_in(&session.config, keep);
    }
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
