//! A message for people as the page shows it: its plain words, then its details
//! line (`model::message`: AWS's code, status, request id) smaller, as a separate
//! element.

use crate::model::message;
use leptos::prelude::*;

/// `text`'s plain words, then its details line, if it has one, in
/// `<small class="details">`. One function, so one view type in the wasm.
pub fn message_view(text: String) -> impl IntoView {
    let (plain, details) = message::split(&text);
    let details = details.map(|d| view! { <small class="details">{d.to_string()}</small> });
    view! { <span class="plain">{plain.to_string()}</span>{details} }
}
