//! The open folder in the address bar (`model::route` says how it is spelled):
//! read at load, a history entry per folder opened, back and forward, and the
//! folder carried through the sign-in round trip.

use crate::model::route::Route;
use crate::web::history;

/// Hears back and forward while it lives (dropped: no longer).
pub type HistoryListener = history::PopListener;

/// The folder the address names below `root` (`private/<identity id>/`), and a
/// note for people when the address names none (then `root` itself).
pub fn folder_in_address(root: &str) -> (String, Option<String>) {
    match Route::parse(&history::fragment()) {
        Ok(route) => (route.prefix(root), None),
        Err(e) => (root.to_string(), Some(e.user_message())),
    }
}

/// Records that the folder `prefix` was opened in the app: a new history entry,
/// unless the address names it already (back, forward, a reload).
pub fn show_folder(root: &str, prefix: &str) {
    let Some(route) = Route::from_prefix(root, prefix) else {
        return;
    };
    let fragment = route.fragment();
    if Route::parse(&history::fragment()).ok().as_ref() != Some(&route) {
        history::push(&fragment);
    } else if history::fragment() != fragment {
        // The same folder spelled another way (typed): keep this entry, spelled ours.
        history::replace(&fragment);
    }
}

/// Replaces the current entry's address with the folder `prefix`'s (the address
/// named no folder, and the page shows another).
pub fn rename_entry(root: &str, prefix: &str) {
    if let Some(route) = Route::from_prefix(root, prefix) {
        history::replace(&route.fragment());
    }
}

/// Calls `hear` with the folder (and a note, as [`folder_in_address`]) each time
/// the user goes back or forward; `None` where the browser has no history.
pub fn on_back_forward(
    root: String,
    hear: impl Fn(String, Option<String>) + 'static,
) -> Option<HistoryListener> {
    history::on_pop(move |_| {
        let (prefix, note) = folder_in_address(&root);
        hear(prefix, note);
    })
}

/// The folder to carry through a sign-in: the address's, when it names one
/// below the user's folder.
pub(super) fn folder_to_carry() -> Option<String> {
    Route::parse(&history::fragment())
        .ok()
        .filter(|route| !route.is_root())
        .map(|route| route.fragment())
}

/// Replaces the address (after a sign-in's callback: no `code` or `state` left)
/// with the app's path and the carried folder, if any.
pub(super) fn settle_address(folder: Option<&str>) {
    let fragment = folder
        .and_then(|f| Route::parse(f).ok())
        .map(|route| route.fragment())
        .unwrap_or_default();
    history::replace(&format!("{}{fragment}", history::path()));
}
