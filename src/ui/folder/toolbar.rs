//! The folder's toolbar: upload pickers, new folder, refresh, details, download
//! as zip (with its progress line below the toolbar), the name filter and the
//! sort buttons; while rows are selected, the selection toolbar
//! ([`super::selection_bar`]) in its place.

use super::dialogs::Dialog;
use super::selection_bar::{BulkHost, SelectionBar};
use super::Folder;
use crate::app::browser;
use crate::model::listing::{Sort, SortKey};
use crate::ui::uploads::Uploads;
use leptos::prelude::*;

#[component]
pub(super) fn Toolbar(folder: Folder, uploads: Uploads) -> impl IntoView {
    let sort_button = move |key: SortKey, label: &'static str| {
        let pressed = move || folder.sort.get().key == key;
        let arrow = move || match (pressed(), folder.sort.get().ascending) {
            (false, _) => "",
            (true, true) => " ↑",
            (true, false) => " ↓",
        };
        view! {
            <button class="button sort" aria-pressed=move || pressed().to_string()
                on:click=move |_| {
                    let current = folder.sort.get_untracked();
                    let ascending = if current.key == key { !current.ascending } else { true };
                    folder.resort(Sort { key, ascending });
                }>
                {label}{arrow}
            </button>
        }
    };
    let zipping = super::zip::zipping();
    let selecting = Memo::new(move |_| !folder.rows.selection.with(|s| s.is_empty()));
    let toolbar = move || {
        if selecting.get() {
            return view! { <SelectionBar folder=folder zipping=zipping /> }.into_any();
        }
        // Not in Leptos' typed attributes: the folder picker switch.
        let folder_input = NodeRef::<leptos::html::Input>::new();
        folder_input.on_load(|input| {
            let _ = input.set_attribute("webkitdirectory", "");
        });
        view! {
        <div class="toolbar" role="toolbar" aria-label="Folder actions">
            <label class="button primary file-pick">
                "Upload files"
                <input type="file" multiple class="visually-hidden" id="upload-files"
                    on:change=move |ev| upload_picked(&ev, folder, uploads) />
            </label>
            <label class="button file-pick">
                "Upload folder"
                <input type="file" multiple node_ref=folder_input class="visually-hidden" id="upload-folder"
                    on:change=move |ev| upload_picked(&ev, folder, uploads) />
            </label>
            <button class="button" id="new-folder" on:click=move |_| folder.dialog.set(Dialog::NewFolder)>"New folder"</button>
            <button class="button" on:click=move |_| folder.reload()>"Refresh"</button>
            <button class="button" id="details" on:click=move |_| folder.dialog.set(Dialog::Details)>"Details"</button>
            <button class="button" id="recently-deleted" on:click=move |_| folder.recently_deleted.set(true)>"Recently deleted"</button>
            <button class="button" id="download-zip" on:click=move |_| super::zip::start(folder, zipping, super::zip::ZipWhat::OpenFolder)>"Download as zip"</button>
            <input type="search" class="filter" id="filter" placeholder="Filter by name" aria-label="Filter by name"
                prop:value=move || folder.filter.get()
                on:input=move |ev| folder.filter.set(event_target_value(&ev)) />
            <span class="sorts" role="group" aria-label="Sort by">
                {sort_button(SortKey::Name, "Name")}
                {sort_button(SortKey::Size, "Size")}
                {sort_button(SortKey::Modified, "Date")}
            </span>
        </div>
        }
        .into_any()
    };
    view! {
        {toolbar}
        <BulkHost folder=folder />
        <super::zip::ZipLine zipping=zipping />
    }
}

/// Queues the files just picked in a file input (one function for both pickers,
/// so the wasm has one copy of it), then clears the input.
fn upload_picked(ev: &leptos::ev::Event, folder: Folder, uploads: Uploads) {
    let input: web_sys::HtmlInputElement = event_target(ev);
    if let Some(files) = input.files() {
        uploads.add(
            browser::from_file_list(&files),
            folder.prefix.get_untracked(),
        );
    }
    input.set_value("");
}
