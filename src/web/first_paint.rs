//! The first view `index.html` paints before the wasm runs (`#first-paint`).

/// Removes the static first view, so the app's own markup (mounted after it and
/// hidden by the stylesheet while it is there) shows in its place. Called in the
/// task that renders the app's first real view, so no frame shows neither.
pub fn take_over() {
    if let Some(first) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("first-paint"))
    {
        first.remove();
    }
}
