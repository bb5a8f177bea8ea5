//! The virtual list: only the rows in view are in the DOM, each placed at its
//! offset inside a spacer as tall as the whole list.

use super::dialogs::Dialog;
use super::Folder;
use crate::app::browser;
use crate::model::files;
use crate::model::folder::FolderListing;
use crate::model::listing::{self, Entry};
use crate::model::text;
use leptos::prelude::*;

/// Height of one row in whole pixels (so styles need no float formatting); must
/// match `.row` in style/main.css.
const ROW_HEIGHT: usize = 44;

#[component]
pub(super) fn FileList(folder: Folder) -> impl IntoView {
    let scroll_top = RwSignal::new(0.0);
    let viewport = RwSignal::new(600.0);
    let visible = Memo::new(move |_| {
        folder
            .listing
            .with(|l| listing::filter_indices(l.entries(), &folder.filter.get()))
    });
    let window = move || {
        let total = visible.with(Vec::len);
        listing::visible_rows(
            scroll_top.get(),
            viewport.get(),
            ROW_HEIGHT as f64,
            total,
            10,
        )
    };
    let rows = move || {
        let range = window();
        let indices = visible.get();
        folder.listing.with(|l| {
            let entries = l.entries();
            indices[range.clone()]
                .iter()
                .enumerate()
                .map(|(offset, &i)| {
                    let entry = entries[i].clone();
                    let top = (range.start + offset) * ROW_HEIGHT;
                    view! { <Row folder=folder entry=entry top=top /> }
                })
                .collect_view()
        })
    };
    let empty = move || {
        !folder.loading.get() && folder.error.get().is_none() && visible.with(Vec::is_empty)
    };
    view! {
        // The busy state sits at the top of the list (its line kept when idle, so
        // the rows below do not jump); the rows stay while loading.
        <p class="list-busy" id="list-busy" class:idle=move || !folder.loading.get()>
            <span class="spinner" aria-hidden="true"></span>"Loading…"
        </p>
        <div class="list-head" aria-hidden="true">
            <span>"Name"</span><span>"Size"</span><span>"Modified"</span><span></span>
        </div>
        // The list is the spacer that holds the rows; the "empty" line beside it is
        // no list item.
        <div class="file-list"
            on:scroll=move |ev| {
                let el: web_sys::Element = event_target(&ev);
                scroll_top.set(el.scroll_top() as f64);
                viewport.set(el.client_height() as f64);
            }>
            <div class="spacer" role="list" aria-label="Files and folders" aria-busy=move || folder.loading.get().to_string()
                style:height=move || format!("{}px", visible.with(Vec::len) * ROW_HEIGHT)>
                {rows}
            </div>
            {move || empty().then(|| view! {
                <p class="empty">{move || if folder.filter.get().trim().is_empty() {
                    "This folder is empty. Upload files or drop them here."
                } else {
                    "Nothing here matches the filter."
                }}</p>
            })}
        </div>
        <p class="status count" role="status">
            // Only a count that is true: none while loading or after a failure.
            {move || {
                let total = folder.listing.with(FolderListing::count)?;
                let n = visible.with(Vec::len);
                let items = text::count(total as u64, "item", "items");
                Some(if n == total { format!("{items}.") } else { format!("{n} of {items}.") })
            }}
        </p>
    }
}

#[component]
fn Row(folder: Folder, entry: Entry, top: usize) -> impl IntoView {
    // The name as stored, every character visible; the row may cut it short, so
    // it is also the row's tooltip.
    let name = text::shown_name(&entry.name);
    let is_folder = entry.is_folder();
    let size = if is_folder {
        String::new()
    } else {
        listing::format_size(entry.size)
    };
    let modified = entry
        .last_modified
        .map(browser::format_local)
        .unwrap_or_default();
    let open_key = entry.key.clone();
    let preview = listing::preview_kind(&entry.name).filter(|_| !is_folder);
    let menu_open = RwSignal::new(false);
    let opens =
        |class, text, label: String, dialog| dialog_button(folder, class, text, label, dialog);
    let view_button = preview.map(|_| {
        // The visible text starts the accessible name (WCAG 2.5.3).
        let label = format!("View {name}");
        opens(
            "button small",
            "View",
            label,
            Dialog::Preview(entry.clone()),
        )
    });
    let link_button = (!is_folder).then(|| {
        let label = format!("Copy link to {name}");
        opens("button small", "Link", label, Dialog::Link(entry.clone()))
    });
    let versions_button = (!is_folder).then(|| {
        let label = format!("Versions of {name}");
        opens(
            "button small",
            "Versions",
            label,
            Dialog::Versions(entry.clone()),
        )
    });
    let rename_button = opens(
        "button small",
        "Rename",
        format!("Rename {name}"),
        Dialog::Rename(entry.clone()),
    );
    let move_button = opens(
        "button small",
        "Move",
        format!("Move {name}"),
        Dialog::Move(entry.clone()),
    );
    let delete_button = opens(
        "button small danger",
        "Delete",
        format!("Delete {name}"),
        Dialog::Delete(entry.clone()),
    );
    let actions_label = format!("Actions for {name}");
    let download = move |_| {
        let entry = entry.clone();
        leptos::task::spawn_local(async move {
            let session = folder.session();
            match files::presigned_get(&session, &entry.key, 300, Some(&entry.name)).await {
                Ok(url) => browser::open_download(&url.url),
                Err(e) => {
                    let message =
                        e.user_message(&format!("download {}", text::shown_name(&entry.name)));
                    folder.listing.update(|l| l.show_error(message));
                }
            }
        });
    };
    view! {
        <div class="row" role="listitem" style:transform=format!("translateY({top}px)")>
            <span class="name" title=name.clone()>
                {if is_folder {
                    view! {
                        <button class="link folder-link" on:click=move |_| folder.open(open_key.clone())>
                            <span class="icon folder" aria-hidden="true"></span>{name.clone()}
                        </button>
                    }.into_any()
                } else {
                    view! { <span class="file-name"><span class="icon file" aria-hidden="true"></span>{name.clone()}</span> }.into_any()
                }}
            </span>
            <span class="size">{size}</span>
            <span class="modified">{modified}</span>
            // On narrow screens the actions fold behind a "more" toggle (CSS decides).
            <span class="actions" class:open=move || menu_open.get()>
                <button class="button small menu-toggle" aria-label=actions_label
                    aria-expanded=move || menu_open.get().to_string()
                    on:click=move |_| menu_open.update(|o| *o = !*o)>"⋯"</button>
                <span class="more">
                    {view_button}
                    {(!is_folder).then(|| view! {
                        <button class="button small" aria-label=format!("Download {name}") on:click=download>"Download"</button>
                    })}
                    {link_button}
                    {versions_button}
                    {rename_button}
                    {move_button}
                    {delete_button}
                </span>
            </span>
        </div>
    }
}

/// A row action that opens a dialog. One function, so one view type in the wasm
/// for all of them.
fn dialog_button(
    folder: Folder,
    class: &'static str,
    text: &'static str,
    label: String,
    dialog: Dialog,
) -> impl IntoView {
    view! {
        <button class=class aria-label=label on:click=move |_| folder.dialog.set(dialog.clone())>{text}</button>
    }
}
