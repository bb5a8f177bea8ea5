//! What the app keeps in browser storage: the tokens (sessionStorage, or
//! localStorage when the user stays signed in) and the records of unfinished
//! uploads (localStorage; their files' handles in IndexedDB). The keys: `model::storage_keys`.

use super::browser_env;
use crate::config::Config;
use crate::model::auth::Tokens;
use crate::model::storage_keys as keys;
use crate::model::transfers::{self, ResumeStore};
use crate::web::storage::{self, Store};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

pub(super) fn load_tokens(config: &Config) -> Option<Tokens> {
    [Store::Session, Store::Local]
        .into_iter()
        .find_map(|store| storage::get(store, keys::TOKENS))
        .and_then(|text| Tokens::from_json(config, &text))
}

/// Persists tokens where the user chose: this browser session (each tab's
/// sessionStorage, shared between open tabs over the channel), or across restarts.
/// When the browser refuses (storage full or turned off for the site), the session
/// goes on from memory and the page is told once ([`hear_storage_problems`]): a
/// reload or another tab would not find it.
pub fn save_tokens(tokens: &Tokens) {
    let (keep, drop) = if tokens.keep_signed_in {
        (Store::Local, Store::Session)
    } else {
        (Store::Session, Store::Local)
    };
    let flagged = tokens.keep_signed_in || storage::set(Store::Local, keys::SESSION_ONLY_TABS, "1");
    let stored = storage::set(keep, keys::TOKENS, &tokens.to_json());
    storage::remove(drop, keys::TOKENS);
    if !(stored && flagged) {
        storage_refused(
            "The browser would not store your sign-in (its storage is full or turned off \
             for this site): you stay signed in on this page, but a reload or another tab \
             will ask you to sign in again.",
        );
    }
}

/// Who hears a storage problem (the signed-in page's notice).
type Hear = Rc<dyn Fn(String)>;

thread_local! {
    /// Who hears storage problems.
    static STORAGE_LISTENER: RefCell<Option<Hear>> = const { RefCell::new(None) };
    /// One told before anyone listened.
    static STORAGE_EARLIER: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Whether this page load has told of one already.
    static STORAGE_TOLD: Cell<bool> = const { Cell::new(false) };
}

/// Tells the page, once per load, that the browser refused to store something it
/// needs to keep (issue: nothing that fails to be kept may fail silently).
pub(super) fn storage_refused(message: &str) {
    if STORAGE_TOLD.with(|told| told.replace(true)) {
        return;
    }
    match STORAGE_LISTENER.with(|l| l.borrow().clone()) {
        Some(hear) => hear(message.to_string()),
        None => STORAGE_EARLIER.with(|e| *e.borrow_mut() = Some(message.to_string())),
    }
}

/// Sets who hears that the browser refused to store the sign-in (the signed-in
/// page's notice); one told before this call is heard at once.
pub fn hear_storage_problems(hear: impl Fn(String) + 'static) {
    let hear: Hear = Rc::new(hear);
    STORAGE_LISTENER.with(|l| *l.borrow_mut() = Some(hear.clone()));
    let earlier = STORAGE_EARLIER.with(|e| e.borrow_mut().take());
    if let Some(message) = earlier {
        hear(message);
    }
}

pub(super) fn clear_tokens() {
    storage::remove(Store::Session, keys::TOKENS);
    storage::remove(Store::Local, keys::TOKENS);
}

/// Records of unfinished uploads, in localStorage so they outlive a reload.
#[derive(Clone, Copy, Debug, Default)]
pub struct UploadRecords;

impl ResumeStore for UploadRecords {
    fn load(&self, id: &str) -> Option<String> {
        storage::get(Store::Local, id)
    }

    fn save(&self, id: &str, value: &str) -> bool {
        storage::set(Store::Local, id, value)
    }

    /// The record and the file handle kept beside it (`web::handles`).
    fn remove(&self, id: &str) {
        storage::remove(Store::Local, id);
        crate::web::handles::forget(id);
    }

    fn ids(&self) -> Vec<String> {
        keys_starting_with(keys::UPLOAD_RECORD_PREFIX)
    }
}

/// The localStorage keys that start with `prefix`.
pub(super) fn keys_starting_with(prefix: &str) -> Vec<String> {
    storage::keys(Store::Local)
        .into_iter()
        .filter(|k| k.starts_with(prefix))
        .collect()
}

/// Drops records of uploads the bucket has aborted by now (older than a day).
pub fn drop_stale_upload_records() {
    let records = storage::keys(Store::Local)
        .into_iter()
        .filter(|k| k.starts_with(keys::UPLOAD_RECORD_PREFIX))
        .filter_map(|k| storage::get(Store::Local, &k).map(|v| (k, v)));
    for id in transfers::stale_records(records, browser_env().now_secs()) {
        storage::remove(Store::Local, &id);
    }
}
