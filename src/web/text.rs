//! Text the browser folds for us: Unicode normalization through
//! `String.prototype.normalize`, so the wasm carries no normalization tables.

use js_sys::JsString;

/// `text` in Unicode Normalization Form C (composed: `e` + U+0301 becomes `é`).
pub fn nfc(text: &str) -> String {
    JsString::from(text).normalize("NFC").into()
}
