//! One row of the virtual list ([`super::list`]): its checkbox, its name (which
//! opens or previews), size, date and menu button; a search's row also says
//! which folder it is in. Only the focused row is in the Tab order.

use super::list::{activate, pick};
use super::picking::MenuAt;
use super::thumbs::{ItemIcon, Thumbs};
use super::Folder;
use crate::app::browser;
use crate::model::listing::{self, Entry};
use crate::model::search;
use crate::model::text;
use leptos::html;
use leptos::prelude::*;

#[component]
pub(super) fn Row(
    folder: Folder,
    entry: Entry,
    /// The rows rendered, with their places: this row's place is read here.
    shown: Memo<Vec<(usize, Entry)>>,
    visible: Memo<Vec<usize>>,
    thumbs: Thumbs,
) -> impl IntoView {
    let rows = folder.rows;
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
    let key = StoredValue::new(entry.key.clone());
    let path = match search::folder_of(&folder.root.get_value(), &entry.key) {
        "" => "My files".to_string(),
        below => format!("My files/{}", text::shown_name(below)),
    };
    let position = Memo::new(move |_| {
        key.with_value(|k| {
            shown.with(|rows| {
                rows.iter()
                    .find(|(_, e)| e.key == *k)
                    .map_or(0, |(p, _)| *p)
            })
        })
    });
    let is_cursor = Memo::new(move |_| {
        rows.cursor.with(|c| match c {
            Some(c) => key.with_value(|k| k == c),
            None => position.get() == 0,
        })
    });
    let selected = Memo::new(move |_| rows.selection.with(|s| key.with_value(|k| s.contains(k))));
    // Only the focused row is in the Tab order, with its controls.
    let tab = move || if is_cursor.get() { "0" } else { "-1" };
    let node = NodeRef::<html::Div>::new();
    Effect::new(move |_| {
        if rows.want_focus.get() && is_cursor.get() {
            if let Some(el) = node.get() {
                let _ = el.focus();
                rows.want_focus.set(false);
            }
        }
    });
    let menu_open = move || {
        rows.menu.with(|m| {
            m.as_ref()
                .is_some_and(|m| key.with_value(|k| *k == m.entry.key))
        })
    };
    let open_entry = entry.clone();
    let icon_entry = entry.clone();
    let menu_entry = entry.clone();
    view! {
        <div class="row" role="row" node_ref=node aria-rowindex=move || (position.get() + 1).to_string()
            aria-selected=move || selected.get().to_string() tabindex=tab
            style:transform=move || {
                let (x, y) = folder.geometry().place(position.get());
                format!("translate({x}px, {y}px)")
            }
            style:width=move || folder.geometry().item_width.map(|w| format!("{w}px"))
            on:focusin=move |_| {
                if !is_cursor.get_untracked() {
                    rows.cursor.set(Some(key.get_value()));
                }
            }>
            <span role="gridcell" class="pick">
                <input type="checkbox" tabindex=tab aria-label=format!("Select {name}")
                    prop:checked=move || selected.get()
                    on:click=move |ev| {
                        pick(folder, visible, &key.get_value(), ev.shift_key());
                        // A range may leave this box as it was: say so to the box.
                        let input: web_sys::HtmlInputElement = event_target(&ev);
                        input.set_checked(selected.get_untracked());
                    } />
            </span>
            // The name's own span holds only the name (tests and the bench read it).
            <span role="gridcell" class="name-cell">
                <span class="name" title=name.clone()>
                    <button class=if is_folder { "link name-link folder-link" } else { "link name-link" } tabindex=tab
                        on:click=move |_| activate(folder, open_entry.clone())>
                        <ItemIcon thumbs=thumbs entry=icon_entry />
                        // Its own box, so a tile can cut a long name short at its end.
                        <span class="name-text">{name.clone()}</span>
                    </button>
                </span>
                // A search's rows come from every folder: each says which.
                {move || folder.searching.get().then(|| view! {
                    <span class="path">{path.clone()}</span>
                })}
            </span>
            <span role="gridcell" class="size">{size}</span>
            <span role="gridcell" class="modified">{modified}</span>
            <span role="gridcell" class="actions">
                <button class="button small menu-button" tabindex=tab aria-haspopup="menu"
                    aria-expanded=move || menu_open().to_string()
                    aria-label=format!("Actions for {name}")
                    on:click=move |ev| {
                        let button: web_sys::Element = event_target(&ev);
                        let r = button.get_bounding_client_rect();
                        rows.menu.set(Some(MenuAt {
                            entry: menu_entry.clone(),
                            anchor: (r.left(), r.top(), r.right(), r.bottom()),
                        }));
                    }>
                    <span aria-hidden="true">"⋯"</span>
                </button>
            </span>
        </div>
    }
}
