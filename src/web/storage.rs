//! sessionStorage / localStorage behind two small functions. Values are strings the
//! model serialises; the adapter does not look inside.

/// Which browser store: the session (this tab, until closed) or local (persists).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    Session,
    Local,
}

fn storage(store: Store) -> Option<web_sys::Storage> {
    let window = web_sys::window()?;
    match store {
        Store::Session => window.session_storage().ok()?,
        Store::Local => window.local_storage().ok()?,
    }
}

pub fn get(store: Store, key: &str) -> Option<String> {
    storage(store)?.get_item(key).ok()?
}

/// Stores a value; `false` when storage is unavailable or full.
#[must_use = "a refused write (storage full or turned off) is told to the user or handled"]
pub fn set(store: Store, key: &str, value: &str) -> bool {
    storage(store).is_some_and(|s| s.set_item(key, value).is_ok())
}

pub fn remove(store: Store, key: &str) {
    if let Some(s) = storage(store) {
        let _ = s.remove_item(key);
    }
}

/// Every key in the store (for sweeping old records).
pub fn keys(store: Store) -> Vec<String> {
    let Some(s) = storage(store) else {
        return Vec::new();
    };
    let count = s.length().unwrap_or(0);
    (0..count).filter_map(|i| s.key(i).ok().flatten()).collect()
}
