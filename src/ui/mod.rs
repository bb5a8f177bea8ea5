//! Leptos components. They hold no protocol logic: they call into the model and
//! adapters and render what comes back.

mod shell;

pub use shell::{Shell, Startup};

use leptos::prelude::*;

/// Mounts the app into `<body>`.
pub fn mount() {
    leptos::mount::mount_to_body(App);
}

#[component]
pub fn App() -> impl IntoView {
    let startup = RwSignal::new(Startup::Loading);
    leptos::task::spawn_local(async move {
        startup.set(match crate::web::config_loader::load().await {
            Ok(config) => Startup::Ready(Box::new(config)),
            Err(message) => Startup::Failed(message),
        });
    });
    view! { <Shell startup=startup.read_only() /> }
}
