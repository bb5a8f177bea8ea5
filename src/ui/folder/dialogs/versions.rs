//! Previous versions of a file: each with its date and size, the current one
//! marked; preview, download or restore any of them (restore after a
//! confirmation). With versioning off, the dialog says so and how to turn it on.

use super::super::Folder;
use crate::app::browser;
use crate::model::listing::{self, Entry};
use crate::model::text;
use crate::model::versions::{self, FileVersion, History, TURN_VERSIONING_ON};
use crate::ui::dialog::Modal;
use crate::ui::message::message_view;
use leptos::prelude::*;

/// Links to a version live this long: they are opened at once.
const LINK_SECONDS: u64 = 300;

#[derive(Clone, Debug)]
enum Listed {
    Loading,
    Done(History),
    Failed(String),
}

/// What a version is called in sentences: its date and size (two versions
/// written within one second differ by size at least, most of the time).
fn called(version: &FileVersion) -> String {
    let date = version
        .last_modified
        .map(browser::format_local)
        .unwrap_or_else(|| "unknown date".into());
    format!(
        "the version of {date} ({})",
        listing::format_size(version.size)
    )
}

#[component]
pub(super) fn VersionsDialog(folder: Folder, entry: Entry, close: Callback<()>) -> impl IntoView {
    let listed = RwSignal::new(Listed::Loading);
    let confirming = RwSignal::new(None::<FileVersion>);
    let busy = RwSignal::new(false);
    let done = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);
    let name = StoredValue::new(text::shown_name(&entry.name));
    let previewable = listing::preview_kind(&entry.name).is_some();
    let entry = StoredValue::new(entry);

    let load = move || {
        leptos::task::spawn_local(async move {
            let session = folder.session();
            let key = entry.with_value(|e| e.key.clone());
            listed.set(match versions::list(&session, &key).await {
                Ok(history) => Listed::Done(history),
                Err(e) => Listed::Failed(
                    e.user_message(&format!("list the versions of {}", name.get_value())),
                ),
            });
        });
    };
    load();

    // Preview (opened, when the type is safe to show) or download (saved under the
    // file's name) of one version, through a short-lived presigned link.
    let open = move |version: FileVersion, download: bool| {
        problem.set(None);
        leptos::task::spawn_local(async move {
            let session = folder.session();
            let (key, file_name) = entry.with_value(|e| (e.key.clone(), e.name.clone()));
            let download_as = download.then_some(file_name.as_str());
            let link = versions::presigned_get(
                &session,
                &key,
                &version.version_id,
                LINK_SECONDS,
                download_as,
            )
            .await;
            match link {
                Ok(url) if download => browser::open_download(&url.url),
                Ok(url) => browser::open_in_new_tab(&url.url),
                Err(e) => {
                    let what = if download { "download" } else { "open" };
                    problem.set(Some(
                        e.user_message(&format!("{what} {}", called(&version))),
                    ));
                }
            }
        });
    };

    let restore = move |_| {
        let Some(version) = confirming.get_untracked() else {
            return;
        };
        busy.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            let session = folder.session();
            let key = entry.with_value(|e| e.key.clone());
            let result = versions::restore(&session, &key, &version.version_id).await;
            busy.set(false);
            confirming.set(None);
            match result {
                Ok(()) => {
                    let message = format!(
                        "Restored: {} is now the current version of {}. The version it replaced \
                         is kept in this list.",
                        called(&version),
                        name.get_value()
                    );
                    done.set(Some(message.clone()));
                    folder.say(message);
                    folder.reload();
                    load();
                }
                Err(e) => problem.set(Some(
                    e.user_message(&format!("restore {}", called(&version))),
                )),
            }
        });
    };

    let row = move |version: FileVersion| {
        let date = version
            .last_modified
            .map(browser::format_local)
            .unwrap_or_else(|| "Unknown date".into());
        let size = listing::format_size(version.size);
        let (for_preview, for_download, for_restore) =
            (version.clone(), version.clone(), version.clone());
        view! {
            <li class="version">
                <span class="version-what">
                    <span class="version-date">{date.clone()}</span>
                    <span class="version-size">{size}</span>
                    {version.is_current.then(|| view! { <strong class="version-current">"Current version"</strong> })}
                </span>
                <span class="version-actions">
                    {previewable.then(|| view! {
                        <button class="button small" aria-label=format!("Preview version of {date}")
                            on:click=move |_| open(for_preview.clone(), false)>"Preview"</button>
                    })}
                    <button class="button small" aria-label=format!("Download version of {date}")
                        on:click=move |_| open(for_download.clone(), true)>"Download"</button>
                    {(!version.is_current).then(|| view! {
                        <button class="button small" aria-label=format!("Restore version of {date}")
                            on:click=move |_| { done.set(None); confirming.set(Some(for_restore.clone())); }>"Restore"</button>
                    })}
                </span>
            </li>
        }
    };

    let body = move || {
        match listed.get() {
        Listed::Loading => view! { <p role="status">"Loading versions…"</p> }.into_any(),
        Listed::Failed(message) => {
            view! { <p class="error-text" role="alert">{message_view(message)}</p> }.into_any()
        }
        Listed::Done(history) if history.versioning_off() => {
            view! {
                <p class="versioning-off" id="versioning-off">
                    "No previous versions are kept for this file: versioning is off for this \
                     bucket, so S3 keeps only the current version of each file. "
                    {TURN_VERSIONING_ON}
                </p>
            }
            .into_any()
        }
        Listed::Done(history) if history.versions.is_empty() => view! {
            <p>"No versions of this file were found: it may have been deleted or moved. Reload the folder to see."</p>
        }
        .into_any(),
        Listed::Done(history) => {
            let only_one = history.versions.len() == 1;
            view! {
                <ul class="versions" aria-label="Versions, newest first">
                    {history.versions.into_iter().map(row).collect_view()}
                </ul>
                {only_one.then(|| view! {
                    <p class="hint">"No previous versions yet: S3 keeps one each time the file is replaced."</p>
                })}
            }
            .into_any()
        }
    }
    };

    view! {
        <Modal title=format!("Previous versions of {}", name.get_value()) on_close=close>
            {body}
            {move || confirming.get().map(|version| view! {
                <div class="confirm" role="group" aria-label="Confirm restore">
                    <p>"Restore " {called(&version)} "? "
                       "It becomes the current version; the current one is kept as a previous version."</p>
                    <div class="dialog-actions">
                        <button class="button" on:click=move |_| confirming.set(None)>"Cancel"</button>
                        <button class="button primary" id="confirm-restore" disabled=move || busy.get() on:click=restore>
                            {move || if busy.get() { "Restoring…" } else { "Restore" }}
                        </button>
                    </div>
                </div>
            })}
            <p role="status" class="version-done">{move || done.get()}</p>
            {move || problem.get().map(|p| view! { <p class="error-text" role="alert">{message_view(p)}</p> })}
            <div class="dialog-actions">
                <button class="button" autofocus on:click=move |_| close.run(())>"Close"</button>
            </div>
        </Modal>
    }
}
