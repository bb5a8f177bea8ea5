//! Leptos components, split by feature. They hold no protocol logic: they call
//! `app` and `model` and render what comes back.

mod dialog;
mod folder;
mod shell;
mod signin;
mod uploads;

pub use folder::FolderView;
pub use shell::Shell;

use crate::app::{self, Phase};
use leptos::prelude::*;
use std::rc::Rc;

/// Mounts the app into `<body>`.
pub fn mount() {
    leptos::mount::mount_to_body(App);
}

#[component]
pub fn App() -> impl IntoView {
    let phase = RwSignal::new_local(Phase::Loading);
    let notice = RwSignal::new_local(None::<String>);
    leptos::task::spawn_local(async move {
        match crate::web::config_loader::load().await {
            Ok(config) => {
                let config = Rc::new(config);
                let next = app::resume(config.clone(), move |p| phase.set(p)).await;
                if let Phase::SignedIn(session) = &next {
                    app::watch_session(session.clone(), move |end| match end {
                        app::SessionEnd::SignedOutElsewhere => {
                            phase.set(Phase::SignedOut(config.clone()))
                        }
                        app::SessionEnd::Expired(message) => notice.set(Some(message)),
                        app::SessionEnd::Resumed => notice.set(None),
                    });
                }
                phase.set(next);
            }
            Err(message) => phase.set(Phase::ConfigFailed(message)),
        }
    });
    view! { <Shell phase=phase notice=notice /> }
}
