//! The folder's toolbar: upload pickers, new folder, refresh, details, download
//! as zip (with its progress line below the toolbar), the name filter with its
//! "In all subfolders" switch (search everything: [`crate::model::search`]), the
//! sort buttons and the grid switch (tiles or rows, remembered per browser); while
//! rows are selected, the selection toolbar
//! ([`super::selection_bar`]) in its place.
//!
//! On narrow screens (640 px and below, where the rows show no size or date:
//! style/main.css) the toolbar is one line: "Upload files", the filter and a
//! "More" menu ([`MoreMenu`]) with the other actions and the sorts of what the
//! rows show; the wide-only controls are hidden by the stylesheet.

use super::dialogs::Dialog;
use super::row_menu::{MenuItem, Popup};
use super::selection_bar::{BulkHost, SelectionBar};
use super::Folder;
use crate::app::browser;
use crate::model::file_kind::Layout;
use crate::model::listing::{Sort, SortKey};
use crate::ui::uploads::Uploads;
use leptos::prelude::*;
use std::rc::Rc;
use wasm_bindgen::JsCast;

#[component]
pub(super) fn Toolbar(folder: Folder, uploads: Uploads) -> impl IntoView {
    let sort_button = move |key: SortKey, label: &'static str, class: &'static str| {
        let pressed = move || folder.sort.get().key == key;
        let arrow = move || match (pressed(), folder.sort.get().ascending) {
            (false, _) => "",
            (true, true) => " ↑",
            (true, false) => " ↓",
        };
        view! {
            <button class=class aria-pressed=move || pressed().to_string()
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
    // `/` anywhere outside a text field focuses the filter.
    let slash = window_event_listener(leptos::ev::keydown, move |ev| {
        let in_field = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if ev.key() == "/" && !in_field && matches!(folder.dialog.get_untracked(), Dialog::None) {
            if let Some(filter) = document().get_element_by_id("filter") {
                ev.prevent_default();
                let _ = filter.unchecked_into::<web_sys::HtmlElement>().focus();
            }
        }
    });
    on_cleanup(move || slash.remove());
    let selecting = Memo::new(move |_| !folder.rows.selection.with(|s| s.is_empty()));
    let toolbar = move || {
        if selecting.get() {
            return view! { <SelectionBar folder=folder zipping=zipping /> }.into_any();
        }
        // Not in Leptos' typed attributes: the folder picker switch.
        let filter_label = move || {
            if folder.searching.get() {
                "Search in all subfolders"
            } else {
                "Filter by name"
            }
        };
        let folder_input = NodeRef::<leptos::html::Input>::new();
        folder_input.on_load(|input| {
            let _ = input.set_attribute("webkitdirectory", "");
        });
        view! {
        <div class="toolbar" role="toolbar" aria-label="Folder actions">
            // Where the browser's picker gives file handles, it is used instead
            // of the input's (the input stays: other browsers, and tests): an
            // upload then survives a restart without a new pick.
            <label class="button primary file-pick" on:click=move |ev| pick_with_handles(&ev, folder, uploads)>
                "Upload files"
                <input type="file" multiple class="visually-hidden" id="upload-files"
                    on:change=move |ev| upload_picked(&ev, folder, uploads) />
            </label>
            <label class="button file-pick wide-only">
                "Upload folder"
                <input type="file" multiple node_ref=folder_input class="visually-hidden" id="upload-folder"
                    on:change=move |ev| upload_picked(&ev, folder, uploads) />
            </label>
            <button class="button wide-only" id="new-folder" on:click=move |_| folder.dialog.set(Dialog::NewFolder)>"New folder"</button>
            <button class="button wide-only" on:click=move |_| folder.reload()>"Refresh"</button>
            <button class="button wide-only" id="details" on:click=move |_| folder.dialog.set(Dialog::Details)>"Details"</button>
            <button class="button wide-only" id="recently-deleted" on:click=move |_| folder.recently_deleted.set(true)>"Recently deleted"</button>
            <button class="button wide-only" id="download-zip" on:click=move |_| super::zip::start(folder, zipping, super::zip::ZipWhat::OpenFolder)>"Download as zip"</button>
            <input type="search" class="filter" id="filter" aria-label=filter_label placeholder=filter_label
                prop:value=move || folder.filter.get()
                on:input=move |ev| folder.set_filter(event_target_value(&ev)) />
            // Search everything below the open folder, filtered by the same box.
            // On narrow screens it is an item of the "More" menu.
            <label class="search-all wide-only">
                <input type="checkbox" id="search-all" prop:checked=move || folder.searching.get()
                    on:change=move |ev| folder.search_everywhere(event_target_checked(&ev)) />
                "In all subfolders"
            </label>
            <span class="sorts wide-only" role="group" aria-label="Sort by">
                {sort_button(SortKey::Name, "Name", "button sort")}
                {sort_button(SortKey::Size, "Size", "button sort by-size")}
                {sort_button(SortKey::Modified, "Date", "button sort by-date")}
            </span>
            <button class="button wide-only" id="grid-view"
                aria-pressed=move || (folder.layout.get() == Layout::Grid).to_string()
                on:click=move |_| folder.set_layout(match folder.layout.get_untracked() {
                    Layout::List => Layout::Grid,
                    Layout::Grid => Layout::List,
                })>"Grid view"</button>
            <MoreMenu folder=folder zipping=zipping />
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

/// Where an open "More" menu's button is (viewport pixels: left, top, right,
/// bottom), or `None` while it is closed.
type Open = RwSignal<Option<(f64, f64, f64, f64)>>;

/// The "More" button of a narrow screen's toolbar (hidden on wide ones) and its
/// menu (the row menus' [`Popup`]): `items` makes the items each time it opens.
#[component]
pub(super) fn MoreButton(
    label: &'static str,
    id: &'static str,
    items: Rc<dyn Fn() -> Vec<MenuItem>>,
) -> impl IntoView {
    let open: Open = RwSignal::new(None);
    let items = StoredValue::new_local(items);
    view! {
        <button class="button more-button narrow-only" id=id aria-haspopup="menu" aria-label=label
            aria-expanded=move || open.with(Option::is_some).to_string()
            on:click=move |ev| {
                let button: web_sys::Element = event_target(&ev);
                let r = button.get_bounding_client_rect();
                open.set(Some((r.left(), r.top(), r.right(), r.bottom())));
            }>"More"</button>
        {move || open.get().map(|anchor| {
            let button = move || {
                if let Some(b) = document().get_element_by_id(id) {
                    let _ = b.unchecked_into::<web_sys::HtmlElement>().focus();
                }
            };
            view! {
                <Popup anchor=anchor label=label.to_string() title=label.to_string() items=items.with_value(|make| make())
                    on_close=Rc::new(move || open.set(None)) refocus=Rc::new(button) />
            }
        })}
    }
}

/// The folder's "More" menu: the actions the narrow toolbar does not show, and
/// the sorts of what the narrow rows show (their name: size and date are hidden
/// there). Room is left for more actions: each is one item.
#[component]
fn MoreMenu(folder: Folder, zipping: super::zip::Zipping) -> impl IntoView {
    let items = Rc::new(move || {
        let item = |label: &str, run: Rc<dyn Fn()>| MenuItem {
            label: label.to_string(),
            danger: false,
            checked: None,
            run,
        };
        let sort = folder.sort.get_untracked();
        let by_name = |ascending: bool, label: &str| MenuItem {
            label: label.to_string(),
            danger: false,
            checked: Some(sort.key == SortKey::Name && sort.ascending == ascending),
            run: Rc::new(move || {
                folder.resort(Sort {
                    key: SortKey::Name,
                    ascending,
                })
            }),
        };
        // One item that switches to the other layout.
        let (other, show_as) = match folder.layout.get_untracked() {
            Layout::List => (Layout::Grid, "Show as grid"),
            Layout::Grid => (Layout::List, "Show as list"),
        };
        vec![
            item("Upload folder", Rc::new(|| click_by_id("upload-folder"))),
            item(
                "New folder",
                Rc::new(move || folder.dialog.set(Dialog::NewFolder)),
            ),
            item("Refresh", Rc::new(move || folder.reload())),
            item(
                "Details",
                Rc::new(move || folder.dialog.set(Dialog::Details)),
            ),
            item(
                "Recently deleted",
                Rc::new(move || folder.recently_deleted.set(true)),
            ),
            if folder.searching.get_untracked() {
                item(
                    "Search only this folder",
                    Rc::new(move || folder.search_everywhere(false)),
                )
            } else {
                item(
                    "Search in all subfolders",
                    Rc::new(move || folder.search_everywhere(true)),
                )
            },
            item(
                "Download as zip",
                Rc::new(move || {
                    super::zip::start(folder, zipping, super::zip::ZipWhat::OpenFolder)
                }),
            ),
            by_name(true, "Sort by name, A to Z"),
            by_name(false, "Sort by name, Z to A"),
            item(show_as, Rc::new(move || folder.set_layout(other))),
        ]
    });
    view! { <MoreButton label="More folder actions" id="more-actions" items=items /> }
}

/// Clicks the element `id` (a hidden file input: its picker opens).
fn click_by_id(id: &str) {
    if let Some(e) = document().get_element_by_id(id) {
        e.unchecked_into::<web_sys::HtmlElement>().click();
    }
}

/// On a click of "Upload files" (or its input), shows the browser's picker
/// that gives handles, where there is one, in place of the input's.
fn pick_with_handles(ev: &leptos::ev::MouseEvent, folder: Folder, uploads: Uploads) {
    if !browser::can_pick_handles() {
        return;
    }
    ev.prevent_default();
    let prefix = folder.prefix.get_untracked();
    leptos::task::spawn_local(async move {
        let picked = browser::pick_file_handles().await;
        let picked = picked
            .into_iter()
            .map(|(file, handle)| {
                let path = file.name();
                ((file, path), Some(handle))
            })
            .collect();
        uploads.add_files(picked, prefix);
    });
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
