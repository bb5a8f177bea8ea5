//! The page frame: header, main area, footer.

use crate::config::Config;
use leptos::prelude::*;

/// Where start-up stands: loading `config.json`, failed to, or ready.
#[derive(Clone, Debug, PartialEq)]
pub enum Startup {
    Loading,
    Failed(String),
    Ready(Box<Config>),
}

#[component]
pub fn Shell(startup: ReadSignal<Startup>) -> impl IntoView {
    let ready = move || matches!(startup.get(), Startup::Ready(_));
    view! {
        <header class="app-header">
            <span class="brand">"Cubby"</span>
            <button class="button primary" disabled=move || !ready()>"Sign in"</button>
        </header>
        <main class="app-main" id="main">
            {move || match startup.get() {
                Startup::Loading => view! { <p class="status" role="status">"Loading…"</p> }.into_any(),
                Startup::Failed(message) => view! {
                    <section class="panel error" role="alert">
                        <h1>"Cubby cannot start"</h1>
                        <p class="config-error">{message}</p>
                    </section>
                }.into_any(),
                Startup::Ready(config) => view! {
                    <section class="panel">
                        <h1>"Your private folder in S3"</h1>
                        <p>"Sign in to see your files in bucket " <code>{config.bucket}</code> "."</p>
                    </section>
                }.into_any(),
            }}
        </main>
        <footer class="app-footer">"Cubby " {env!("CARGO_PKG_VERSION")}</footer>
    }
}
