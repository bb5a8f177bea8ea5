//! Leptos components, split by feature. They hold no protocol logic: they call
//! `app` and `model` and render what comes back.

mod dialog;
mod folder;
mod message;
mod shell;
mod signin;
mod uploads;

pub use folder::FolderView;
pub use shell::Shell;

use crate::app::{self, Phase};
use leptos::prelude::*;

/// Mounts the app into `<body>`.
pub fn mount() {
    leptos::mount::mount_to_body(App);
}

#[component]
pub fn App() -> impl IntoView {
    let phase = RwSignal::new_local(Phase::Loading);
    let notice = RwSignal::new_local(None::<String>);
    leptos::task::spawn_local(app::boot(
        move |next| {
            // The static first view of index.html stays until the app has more to
            // show than its own "Loading…".
            if !matches!(next, Phase::Loading) {
                app::browser::take_over_first_paint();
            }
            phase.set(next)
        },
        move |message| notice.set(message),
    ));
    view! { <Shell phase=phase notice=notice /> }
}
