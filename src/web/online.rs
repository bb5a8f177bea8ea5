//! Whether the browser has a network connection (`navigator.onLine`), and its
//! `online` and `offline` events: what the transport tells the model's retry
//! loop, which waits for the connection instead of failing an upload.

/// `false` when the browser knows it is offline; `true` promises nothing.
pub fn is_online() -> bool {
    web_sys::window().is_none_or(|window| window.navigator().on_line())
}

/// Settles at the window's next `event` (`online` or `offline`).
pub async fn next(event: &'static str) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let once = web_sys::AddEventListenerOptions::new();
            once.set_once(true);
            let _ = window.add_event_listener_with_callback_and_add_event_listener_options(
                event, &resolve, &once,
            );
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
