//! The signed-out screen and the sign-in error screen.

use crate::app;
use crate::config::Config;
use leptos::prelude::*;
use std::rc::Rc;

#[component]
pub fn SignInPanel(config: Rc<Config>) -> impl IntoView {
    let keep = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let bucket = config.bucket.clone();
    // After a sign-out (here or in another tab), the card says so first.
    let signed_out = app::take_signed_out().map(|here| {
        let said = if here {
            "You are signed out. Your files stay in your folder; sign in again to see them."
        } else {
            "You signed out in another tab, so you are signed out here too."
        };
        view! { <p class="notice" role="status" id="signed-out"><span class="notice-text">{said}</span></p> }
    });
    view! {
        <section class="panel signin">
            {signed_out}
            <h1>"Your private folder in S3"</h1>
            // The same words as index.html's static card: an element larger than
            // the one painted first would be a later largest paint.
            <p>"Sign in to see and manage your files."</p>
            <label class="check">
                <input type="checkbox" id="keep-signed-in"
                    prop:checked=move || keep.get()
                    on:change=move |ev| keep.set(event_target_checked(&ev)) />
                " Keep me signed in on this device"
            </label>
            <p>
                <button class="button primary" id="sign-in"
                    on:click=move |_| {
                        if let Err(e) = app::start_sign_in(&config, keep.get()) { error.set(Some(e)); }
                    }>
                    "Sign in"
                </button>
            </p>
            {move || error.get().map(|e| view! { <p class="error-text" role="alert">{e}</p> })}
            // Last, so the wasm adding it moves nothing painted before it.
            <p class="hint">"Your files are kept in bucket " <code>{bucket}</code> "."</p>
        </section>
    }
}

#[component]
pub fn FailedPanel(config: Rc<Config>, message: String) -> impl IntoView {
    view! {
        <section class="panel error" role="alert" id="sign-in-error">
            <h1>"Sign-in did not complete"</h1>
            <p class="message">{message}</p>
            <button class="button primary" id="try-again"
                on:click=move |_| { let _ = app::start_sign_in(&config, false); }>
                "Try again"
            </button>
        </section>
    }
}
