//! The one place the app reads the time. `SystemTime::now` panics on
//! wasm32-unknown-unknown, so the browser's clock is read through `Date.now()`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch by the browser's clock.
pub fn now_millis() -> f64 {
    js_sys::Date::now()
}

/// The browser's clock as a `SystemTime`, for the protocol core.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(now_millis() as u64)
}

/// Waits `millis` milliseconds (setTimeout), without blocking the page.
pub async fn sleep(millis: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                millis.min(i32::MAX as u32) as i32,
            );
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// An epoch time as the user's locale shows dates and times.
pub fn format_local(epoch_secs: u64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(epoch_secs as f64 * 1000.0));
    String::from(date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED))
}
