//! The page frame: header (product, who is signed in), main area, footer.

use crate::app::{self, Phase};
use crate::ui::folder::FolderView;
use crate::ui::signin::{FailedPanel, SignInPanel};
use leptos::prelude::*;
use std::rc::Rc;

#[component]
pub fn Shell(
    phase: RwSignal<Phase, LocalStorage>,
    /// Set when the session ended while the page was open; the page stays as it is
    /// under a notice asking to sign in again.
    #[prop(optional)]
    notice: Option<RwSignal<Option<String>, LocalStorage>>,
) -> impl IntoView {
    let ended = move || {
        let message = notice.and_then(|n| n.get())?;
        let Phase::SignedIn(session) = phase.get() else {
            return None;
        };
        Some(view! {
            <section class="panel error session-ended" role="alert" id="session-ended">
                <h2>"Your session has ended"</h2>
                <p class="message">{message}</p>
                <p>"Nothing on this page is lost. Sign in again to go on: uploads in progress wait and then continue."</p>
                <button class="button primary" id="sign-in-again"
                    on:click=move |_| {
                        if let Err(problem) = app::sign_in_again(&session) {
                            if let Some(notice) = notice { notice.set(Some(problem)); }
                        }
                    }>
                    "Sign in again"
                </button>
            </section>
        })
    };
    let account = move || match phase.get() {
        Phase::SignedIn(session) => {
            let name = session.tokens().display_name();
            let signing_out = RwSignal::new(false);
            let out = session.clone();
            view! {
                <div class="account">
                    <span class="who" title="Signed in">{name}</span>
                    <button
                        class="button"
                        disabled=move || signing_out.get()
                        on:click=move |_| {
                            signing_out.set(true);
                            let session = out.clone();
                            leptos::task::spawn_local(async move { app::sign_out(&session).await });
                        }
                    >
                        {move || if signing_out.get() { "Signing out…" } else { "Sign out" }}
                    </button>
                </div>
            }
            .into_any()
        }
        Phase::SignedOut(config) | Phase::Failed(config, _) => {
            view! { <SignInButton config=config /> }.into_any()
        }
        _ => view! { <button class="button primary" disabled=true>"Sign in"</button> }.into_any(),
    };
    view! {
        <header class="app-header">
            <span class="brand">"Cubby"</span>
            {account}
        </header>
        <main class="app-main" id="main">
            // Inside the main landmark, above what it is about.
            {ended}
            {move || match phase.get() {
                Phase::Loading => view! { <p class="status" role="status">"Loading…"</p> }.into_any(),
                Phase::Working(step) => view! { <p class="status" role="status">{step}</p> }.into_any(),
                Phase::ConfigFailed(message) => view! {
                    <section class="panel error" role="alert">
                        <h1>"Cubby cannot start"</h1>
                        <p class="config-error">{message}</p>
                    </section>
                }.into_any(),
                Phase::SignedOut(config) => view! { <SignInPanel config=config /> }.into_any(),
                Phase::Failed(config, message) => view! { <FailedPanel config=config message=message /> }.into_any(),
                Phase::SignedIn(session) => view! { <FolderView session=session /> }.into_any(),
            }}
        </main>
        <footer class="app-footer">"Cubby " {env!("CARGO_PKG_VERSION")}</footer>
    }
}

#[component]
fn SignInButton(config: Rc<crate::config::Config>) -> impl IntoView {
    view! {
        <button class="button primary" on:click=move |_| { let _ = app::start_sign_in(&config, false); }>
            "Sign in"
        </button>
    }
}
