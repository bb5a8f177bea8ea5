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
