//! The address bar's fragment and the session history: read it, push or replace
//! an entry, hear back and forward (`popstate`). What the fragment means is the
//! model's (`model::route`).

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// The fragment of the address, `#` included (`location.hash`); empty without one.
pub fn fragment() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// The path of the address, without query or fragment (`location.pathname`).
pub fn path() -> String {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_else(|| "/".into())
}

/// Adds a history entry for `url` (relative to the address: a fragment keeps the
/// path and query) without loading anything.
pub fn push(url: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url));
    }
}

/// Replaces the current history entry's address with `url`, loading nothing.
pub fn replace(url: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url));
    }
}

/// A `popstate` listener on the window, removed when dropped.
pub struct PopListener {
    callback: Closure<dyn FnMut(web_sys::Event)>,
}

/// Calls `hear` with the new fragment whenever the user moves through the history
/// (back, forward, or a fragment typed in the address bar).
pub fn on_pop(hear: impl Fn(String) + 'static) -> Option<PopListener> {
    let window = web_sys::window()?;
    let callback = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| hear(fragment()));
    window
        .add_event_listener_with_callback("popstate", callback.as_ref().unchecked_ref())
        .ok()?;
    Some(PopListener { callback })
}

impl Drop for PopListener {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            let _ = window.remove_event_listener_with_callback(
                "popstate",
                self.callback.as_ref().unchecked_ref(),
            );
        }
    }
}
