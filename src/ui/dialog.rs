//! A modal dialog on the native `<dialog>` element: focus moves into it, Escape
//! closes it, the page behind is inert, and when it goes the focus returns to the
//! control that opened it.

use leptos::html;
use leptos::prelude::*;

/// Gives the focus back to the element that had it when the dialog opened, once
/// the dialog goes (dropped with the dialog's component).
struct ReturnFocus {
    opener: Option<web_sys::HtmlElement>,
    dialog: NodeRef<html::Dialog>,
}

impl Drop for ReturnFocus {
    fn drop(&mut self) {
        // While the modal is open the page behind is inert and takes no focus.
        if let Some(dialog) = self.dialog.try_get_untracked().flatten() {
            dialog.close();
        }
        // After this frame's rendering, when the dialog element is gone too.
        if let Some(opener) = self.opener.take() {
            request_animation_frame(move || {
                if opener.is_connected() {
                    let _ = opener.focus();
                }
            });
        }
    }
}

#[component]
pub fn Modal(
    title: String,
    /// Called when the user dismisses the dialog (Escape or Cancel).
    on_close: Callback<()>,
    children: Children,
) -> impl IntoView {
    let node = NodeRef::<html::Dialog>::new();
    let opener = document()
        .active_element()
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok());
    StoredValue::new_local(ReturnFocus {
        opener,
        dialog: node,
    });
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
