//! What the app keeps in browser storage: the tokens (sessionStorage, or
//! localStorage when the user stays signed in) and the records of unfinished
//! uploads (localStorage). The keys: `model::storage_keys`.

use super::browser_env;
use crate::config::Config;
use crate::model::auth::Tokens;
use crate::model::storage_keys as keys;
use crate::model::transfers::{self, ResumeStore};
use crate::web::storage::{self, Store};

pub(super) fn load_tokens(config: &Config) -> Option<Tokens> {
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

    fn remove(&self, id: &str) {
        storage::remove(Store::Local, id);
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
