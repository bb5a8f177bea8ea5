//! Recently deleted: the user's deleted files ([`model::deleted`]) in a dialog,
//! with a search by name, a checkbox per row, "Restore" per row and for the
//! checked ones, the replace / keep both / skip question when a name holds a file
//! now (known from the list, or from a copy refused because one was stored
//! since), and a result line per file. With versioning off it says so and how to
//! turn it on.

use super::Folder;
use crate::app::browser;
use crate::model::deleted::{self, Deleted, DeletedFile, Outcome, Restored};
use crate::model::listing;
use crate::model::text;
use crate::model::transfers::queue::Conflict;
use crate::model::versions::TURN_VERSIONING_ON;
use crate::ui::dialog::Modal;
use crate::ui::message::message_view;
use leptos::prelude::*;
use std::collections::HashSet;

#[derive(Clone, Debug)]
enum Listed {
    Loading,
    Done(Deleted),
    Failed(String),
}

/// The dialog's host: open while `folder.recently_deleted` is set.
#[component]
pub(super) fn DeletedHost(folder: Folder) -> impl IntoView {
    let close = Callback::new(move |_| folder.recently_deleted.set(false));
    move || {
        folder
            .recently_deleted
            .get()
            .then(|| view! { <DeletedDialog folder=folder close=close /> })
    }
}

#[component]
fn DeletedDialog(folder: Folder, close: Callback<()>) -> impl IntoView {
    let listed = RwSignal::new(Listed::Loading);
    let query = RwSignal::new(String::new());
    let checked = RwSignal::new(HashSet::<String>::new());
    // Files waiting for the answer to "a file by this name exists now".
    let asking = RwSignal::new(None::<Vec<DeletedFile>>);
    let busy = RwSignal::new(false);
    let results = RwSignal::new(Vec::<Restored>::new());

    let load = move || {
        leptos::task::spawn_local(async move {
            let session = folder.session();
            let root = folder.root.get_value();
            listed.set(match deleted::list(&session, &root).await {
                Ok(found) => Listed::Done(found),
                Err(e) => Listed::Failed(e.user_message("list your deleted files")),
            });
        });
    };
    load();

    let run = move |files: Vec<DeletedFile>, choice: Conflict| {
        let Listed::Done(mut found) = listed.get_untracked() else {
            return;
        };
        asking.set(None);
        busy.set(true);
        results.set(Vec::new());
        leptos::task::spawn_local(async move {
            let session = folder.session();
            let done = deleted::restore(&session, &mut found, &files, choice).await;
            checked.update(|c| {
                for r in &done {
                    if matches!(r.outcome, Outcome::Restored(_)) {
                        c.remove(&r.file.key);
                    }
                }
            });
            listed.set(Listed::Done(found));
            // Names stored at since the list was made: asked now, restored with
            // the answer.
            let (taken, done): (Vec<Restored>, Vec<Restored>) =
                done.into_iter().partition(|r| r.outcome == Outcome::Taken);
            results.set(done);
            busy.set(false);
            if !taken.is_empty() {
                asking.set(Some(taken.into_iter().map(|r| r.file).collect()));
            }
            folder.reload();
        });
    };
    // Restores `files`, asking first when a name among them holds a file now.
    let start = move |files: Vec<DeletedFile>| {
        if files.is_empty() {
            return;
        }
        let taken = listed.with_untracked(|l| match l {
            Listed::Done(found) => files.iter().any(|f| found.exists_now(&f.key)),
            _ => false,
        });
        if taken {
            results.set(Vec::new());
            asking.set(Some(files));
        } else {
            run(files, Conflict::Skip);
        }
    };
    let restore_checked = move |_| {
        let files = listed.with_untracked(|l| match l {
            Listed::Done(found) => checked.with_untracked(|c| {
                found
                    .files
                    .iter()
                    .filter(|f| c.contains(&f.key))
                    .cloned()
                    .collect()
            }),
            _ => Vec::new(),
        });
        start(files);
    };

    let row = move |file: DeletedFile| {
        let name = text::shown_name(&file.name);
        let place = if file.folder.is_empty() {
            "My files".to_string()
        } else {
            format!("My files/{}", text::shown_name(&file.folder))
        };
        let date = file
            .deleted_at
            .map(browser::format_local)
            .unwrap_or_else(|| "Unknown date".into());
        let size = listing::format_size(file.size);
        let key = file.key.clone();
        let key_for_check = file.key.clone();
        view! {
            <li class="deleted-file">
                <label class="deleted-pick">
                    <input type="checkbox" aria-label=format!("Select {name} in {place}")
                        prop:checked=move || checked.with(|c| c.contains(&key))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            checked.update(|c| {
                                if on { c.insert(key_for_check.clone()); } else { c.remove(&key_for_check); }
                            });
                        } />
                    <span class="deleted-name shown-name">{name.clone()}</span>
                </label>
                <span class="deleted-what">
                    <span class="deleted-folder shown-name">{place.clone()}</span>
                    <span class="deleted-date">"Deleted " {date}</span>
                    <span class="deleted-size">{size}</span>
                </span>
                <button class="button small" aria-label=format!("Restore {name} in {place}")
                    disabled=move || busy.get()
                    on:click=move |_| start(vec![file.clone()])>"Restore"</button>
            </li>
        }
    };

    let body = move || match listed.get() {
        Listed::Loading => view! { <p role="status">"Loading deleted files…"</p> }.into_any(),
        Listed::Failed(message) => {
            view! { <p class="error-text" role="alert">{message_view(message)}</p> }.into_any()
        }
        Listed::Done(found) if found.versioning_off() => view! {
            <p class="versioning-off" id="deleted-versioning-off">
                "Deleted files cannot be brought back here: versioning is off for this bucket, \
                 so S3 removes a file for good when it is deleted. "
                {TURN_VERSIONING_ON}
            </p>
        }
        .into_any(),
        Listed::Done(found) if found.files.is_empty() => {
            view! { <p id="deleted-none">"No deleted files: nothing to restore."</p> }.into_any()
        }
        Listed::Done(found) => {
            let shown = found.matching(&query.get());
            if shown.is_empty() {
                return view! { <p id="deleted-none">"No deleted file's name holds that text."</p> }
                    .into_any();
            }
            view! {
                <ul class="deleted-files" aria-label="Deleted files, newest deletion first">
                    {shown.into_iter().map(row).collect_view()}
                </ul>
            }
            .into_any()
        }
    };

    let question = move || {
        asking.get().map(|files| {
            let names = listed.with_untracked(|l| match l {
                Listed::Done(found) => files
                    .iter()
                    .filter(|f| found.exists_now(&f.key))
                    .map(|f| text::shown_name(&f.name))
                    .collect::<Vec<_>>(),
                _ => Vec::new(),
            });
            let (lead, them) = if names.len() > 1 {
                ("Files with these names exist now: ", "them")
            } else {
                ("A file with this name exists now: ", "it")
            };
            let names = names.join(", ");
            let (replace, both, skip) = (files.clone(), files.clone(), files);
            view! {
                <div class="confirm" role="group" aria-label="A file with this name exists">
                    <p>{lead} <span class="shown-name">{names}</span>
                       {format!(". Replace {them}, keep both (what is restored gets a new name), or skip {them}?")}</p>
                    <div class="dialog-actions">
                        <button class="button" id="restore-skip" on:click=move |_| run(skip.clone(), Conflict::Skip)>"Skip"</button>
                        <button class="button" id="restore-keep-both" on:click=move |_| run(both.clone(), Conflict::KeepBoth)>"Keep both"</button>
                        <button class="button danger" id="restore-replace" on:click=move |_| run(replace.clone(), Conflict::Replace)>"Replace"</button>
                    </div>
                </div>
            }
        })
    };

    let result_line = move |r: Restored| {
        let name = text::shown_name(&r.file.name);
        match r.outcome {
            Outcome::Restored(key) => {
                let to = key.rsplit('/').next().unwrap_or_default().to_string();
                let line = if to == r.file.name {
                    format!("Restored {name}.")
                } else {
                    format!("Restored {name} as {}.", text::shown_name(&to))
                };
                view! { <li class="deleted-ok">{line}</li> }.into_any()
            }
            Outcome::Skipped => {
                view! { <li>{format!("Skipped {name}: a file by its name exists.")}</li> }
                    .into_any()
            }
            Outcome::Failed(message) => {
                view! { <li class="error-text">{message_view(message)}</li> }.into_any()
            }
            // Asked, not reported (left out of `results`).
            Outcome::Taken => ().into_any(),
        }
    };

    let checked_count = move || checked.with(HashSet::len);
    view! {
        <Modal title="Recently deleted".to_string() on_close=close>
            <p class="hint">"Files deleted from your folders, while S3 keeps their versions."</p>
            <div class="deleted-tools">
                <input type="search" id="deleted-search" placeholder="Search by name" aria-label="Search deleted files by name"
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev)) />
                <button class="button primary" id="restore-checked"
                    disabled=move || busy.get() || checked_count() == 0
                    on:click=restore_checked>
                    {move || match checked_count() {
                        0 => "Restore selected".to_string(),
                        n => format!("Restore {}", text::count(n as u64, "file", "files")),
                    }}
                </button>
            </div>
            {body}
            {question}
            <p role="status" class="deleted-status">{move || busy.get().then_some("Restoring…")}</p>
            {move || (!results.with(Vec::is_empty)).then(|| view! {
                <ul class="deleted-results" aria-label="Restore results">
                    {results.get().into_iter().map(result_line).collect_view()}
                </ul>
            })}
            <div class="dialog-actions">
                <button class="button" autofocus on:click=move |_| close.run(())>"Close"</button>
            </div>
        </Modal>
    }
}
