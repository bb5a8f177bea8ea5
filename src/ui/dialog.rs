//! A modal dialog on the native `<dialog>` element: focus moves into it, Escape
//! closes it, and the page behind is inert.

use leptos::html;
use leptos::prelude::*;

#[component]
pub fn Modal(
    title: String,
    /// Called when the user dismisses the dialog (Escape or Cancel).
    on_close: Callback<()>,
    children: Children,
) -> impl IntoView {
    let node = NodeRef::<html::Dialog>::new();
    node.on_load(|dialog| {
        let _ = dialog.show_modal();
    });
    let label = title.clone();
    view! {
        <dialog node_ref=node class="modal" aria-label=label
            on:cancel=move |ev: leptos::ev::Event| { ev.prevent_default(); on_close.run(()); }>
            <h2>{title}</h2>
            {children()}
        </dialog>
    }
}
