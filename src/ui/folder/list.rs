//! The virtual list: only the rows in view are in the DOM, each placed at its
//! offset inside a spacer as tall as the whole list. Rows are keyed, so a row
//! that stays in view keeps its element (and its focus) while the list scrolls,
//! and the focused row stays mounted even when scrolled away.
//!
//! Two layouts ([`Layout`]): a row per item, or tiles several to a line; either
//! way the items are the grid's rows, and image rows in view show thumbnails
//! ([`super::thumbs`]).
//!
//! Keyboard (a grid, one Tab stop: the focused row): arrows, Home/End and
//! PageUp/PageDown move between rows (in tiles left and right by one, up and
//! down by a line), Space selects, Enter opens a folder or
//! previews a file, Delete asks to delete the selection (or the focused row),
//! Backspace or Alt+Up opens the parent folder, the context-menu key or
//! Shift+F10 opens the row's menu ([`super::row_menu`]); `/` focuses the filter
//! ([`super::toolbar`]).

use super::dialogs::Dialog;
use super::picking::{BulkAsk, MenuAt};
use super::row::Row;
use super::row_menu::RowMenu;
use super::thumbs::Thumbs;
use super::Folder;
use crate::model::file_kind::{Layout, Step};
use crate::model::folder::FolderListing;
use crate::model::listing::{self, Entry};
use crate::model::selection::AllState;
use crate::model::text;
use leptos::html;
use leptos::prelude::*;

/// Opens a folder, or previews a file: what a click on the name and Enter do.
pub(super) fn activate(folder: Folder, entry: Entry) {
    if entry.is_folder() {
        folder.open(entry.key);
    } else {
        folder.dialog.set(Dialog::Preview(entry));
    }
}

/// The keys of the rows in view, top to bottom, for ranges and "select all".
fn view_keys(folder: Folder, visible: Memo<Vec<usize>>) -> Vec<String> {
    folder.with_entries_untracked(|entries| {
        visible.with_untracked(|v| v.iter().map(|&i| entries[i].key.clone()).collect())
    })
}

/// Selects from the anchor to `key` (Shift+click, Shift+Space) or toggles `key`.
pub(super) fn pick(folder: Folder, visible: Memo<Vec<usize>>, key: &str, range: bool) {
    if range {
        let keys = view_keys(folder, visible);
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        folder.rows.selection.update(|s| s.select_range(&keys, key));
    } else {
        folder.rows.selection.update(|s| s.toggle(key));
    }
}

#[component]
pub(super) fn FileList(folder: Folder) -> impl IntoView {
    let rows = folder.rows;
    let scroll_top = RwSignal::new(0.0);
    let viewport = RwSignal::new(600.0);
    let width = folder.list_width;
    let list = NodeRef::<html::Div>::new();
    // The list's box, read when it is mounted, scrolls, or the window resizes.
    let measure = move || {
        if let Some(el) = list.get_untracked() {
            scroll_top.set(f64::from(el.scroll_top()));
            viewport.set(f64::from(el.client_height()));
            width.set(f64::from(el.client_width()));
        }
    };
    list.on_load(move |_| request_animation_frame(measure));
    let resized = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resized.remove());
    let thumbs = Thumbs::new();
    // Indices of the rows shown: the folder's entries the filter keeps, or the
    // search's matches (the model filters them as the query changes).
    let visible = Memo::new(move |_| {
        if folder.searching.get() {
            folder
                .search
                .with(|s| s.matches().iter().map(|&i| i as usize).collect())
        } else {
            folder
                .listing
                .with(|l| listing::filter_indices(l.entries(), &folder.filter.get()))
        }
    });
    let entry_at = move |position: usize| -> Option<Entry> {
        folder.with_entries_untracked(|entries| {
            visible.with_untracked(|v| v.get(position).map(|&i| entries[i].clone()))
        })
    };
    // The focused row's place among the rows shown.
    let cursor_at = Memo::new(move |_| {
        let key = rows.cursor.get()?;
        folder
            .with_entries(|entries| visible.with(|v| v.iter().position(|&i| entries[i].key == key)))
    });
    // The last place of the focused row, so a row that goes (deleted, moved) hands
    // the focus to the row that takes its place.
    let last_at = StoredValue::new(0usize);
    Effect::new(move |_| {
        if let Some(at) = cursor_at.get() {
            last_at.set_value(at);
        } else if rows.cursor.with_untracked(Option::is_some) && !folder.busy() {
            let len = visible.with(Vec::len);
            let at = last_at.get_value().min(len.saturating_sub(1));
            rows.cursor.set(entry_at(at).map(|e| e.key));
        }
    });
    // A new folder starts with nothing selected and its first row as the Tab stop.
    Effect::new(move |before: Option<String>| {
        let prefix = folder.prefix.get();
        if before.is_some_and(|b| b != prefix) {
            rows.selection.update(|s| s.clear());
            rows.menu.set(None);
            // Kept only when it names a row of the new folder (the folder just
            // left, after going up).
            let kept = rows.cursor.with_untracked(|c| {
                c.as_deref()
                    .and_then(|c| c.strip_prefix(prefix.as_str()))
                    .is_some_and(|rest| {
                        !rest.is_empty() && !rest.trim_end_matches('/').contains('/')
                    })
            });
            if !kept {
                rows.cursor.set(None);
            }
        }
        prefix
    });
    // What a reload no longer lists is no longer selected.
    Effect::new(move |_| {
        let busy = folder.busy();
        folder.with_entries(|entries| {
            if busy || rows.selection.with_untracked(|s| s.is_empty()) {
                return;
            }
            let mut kept = rows.selection.get_untracked();
            kept.keep_only(entries);
            if kept != rows.selection.get_untracked() {
                rows.selection.set(kept);
            }
        });
    });
    // A dialog that closes leaves the focus on the page's body when what opened
    // it is gone (a row menu, a deleted row): the list takes it back.
    Effect::new(move |was_open: Option<bool>| {
        let open = !matches!(folder.dialog.get(), Dialog::None)
            || rows.bulk.get() != BulkAsk::None
            || rows.menu.with(Option::is_some);
        if was_open == Some(true) && !open {
            request_animation_frame(move || {
                let lost = document()
                    .active_element()
                    .is_none_or(|e| e == document().body().unwrap().into());
                if lost {
                    rows.refocus();
                }
            });
        }
        open
    });

    // Scrolls just enough to show the row at `position`.
    let reveal = move |position: usize| {
        let Some(el) = list.get_untracked() else {
            return;
        };
        let g = folder.geometry_untracked();
        let (top, item) = (g.place(position).1 as i32, g.item_height as i32);
        let height = el.client_height();
        let mut scroll = el.scroll_top();
        if top < scroll {
            scroll = top;
        } else if top + item > scroll + height {
            scroll = top + item - height;
        }
        if scroll != el.scroll_top() {
            el.set_scroll_top(scroll);
        }
        scroll_top.set(f64::from(scroll));
        viewport.set(f64::from(height));
    };
    Effect::new(move |_| {
        if rows.want_focus.get() {
            reveal(cursor_at.get().unwrap_or(0));
        }
    });
    let go_to = move |position: usize| {
        let Some(entry) = entry_at(position) else {
            return;
        };
        rows.cursor.set(Some(entry.key));
        reveal(position);
        rows.refocus();
    };
    let parent = move || {
        let prefix = folder.prefix.get_untracked();
        let root = folder.session().root_prefix();
        let trail = listing::breadcrumbs(&root, &prefix);
        if trail.len() > 1 {
            // Back in the parent, the folder just left has the focus.
            folder.open(trail[trail.len() - 2].1.clone());
            rows.cursor.set(Some(prefix));
            rows.refocus();
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let target: web_sys::Element = event_target(&ev);
        let on_row = target.get_attribute("role").as_deref() == Some("row");
        let total = visible.with_untracked(Vec::len);
        let here = cursor_at.get_untracked().unwrap_or(0);
        let g = folder.geometry_untracked();
        let page = (viewport.get_untracked() as usize / g.item_height).max(2) - 1;
        let cursor = || entry_at(here);
        let step = |step| Some(g.step(here, total, step));
        let moved_to = match ev.key().as_str() {
            "ArrowDown" if !ev.alt_key() => step(Step::Down(1)),
            "ArrowUp" if !ev.alt_key() => step(Step::Up(1)),
            "ArrowLeft" if g.columns > 1 => step(Step::Back),
            "ArrowRight" if g.columns > 1 => step(Step::Forward),
            "Home" => Some(0),
            "End" => Some(total.saturating_sub(1)),
            "PageDown" => step(Step::Down(page)),
            "PageUp" => step(Step::Up(page)),
            _ => None,
        };
        let handled = match ev.key().as_str() {
            _ if moved_to.is_some() => {
                if total > 0 {
                    go_to(moved_to.unwrap_or(0));
                }
                true
            }
            "ArrowUp" => {
                parent();
                true
            }
            " " if on_row => {
                if let Some(entry) = cursor() {
                    pick(folder, visible, &entry.key, ev.shift_key());
                }
                true
            }
            "Enter" if on_row => {
                if let Some(entry) = cursor() {
                    if entry.is_folder() {
                        // The new folder's first row takes the focus.
                        rows.cursor.set(None);
                        rows.refocus();
                    }
                    activate(folder, entry);
                }
                true
            }
            "Backspace" if on_row => {
                parent();
                true
            }
            "Delete" => {
                if !rows.selection.with_untracked(|s| s.is_empty()) {
                    rows.bulk.set(BulkAsk::Delete);
                } else if let Some(entry) = cursor() {
                    folder.dialog.set(Dialog::Delete(entry));
                }
                true
            }
            "ContextMenu" | "F10" if on_row && (ev.key() == "ContextMenu" || ev.shift_key()) => {
                if let Some(entry) = cursor() {
                    let r = target.get_bounding_client_rect();
                    rows.menu.set(Some(MenuAt {
                        entry,
                        anchor: (r.right() - 160.0, r.top(), r.right(), r.bottom()),
                    }));
                }
                true
            }
            _ => false,
        };
        if handled {
            ev.prevent_default();
        }
    };

    let window = move || {
        let total = visible.with(Vec::len);
        folder
            .geometry()
            .in_view(scroll_top.get(), viewport.get(), total, 10)
    };
    // Thumbnails for the image rows on screen, not those rendered around them.
    Effect::new(move |_| {
        let total = visible.with(Vec::len);
        let on_screen = folder
            .geometry()
            .strictly_in_view(scroll_top.get(), viewport.get(), total);
        let rows: Vec<Entry> = on_screen.filter_map(entry_at).collect();
        folder.listing.track();
        thumbs.want(folder, &rows);
    });
    // The rows in view, and the focused row wherever it is.
    let shown = Memo::new(move |_| {
        let range = window();
        let cursor = cursor_at.get();
        folder.with_entries(|entries| {
            visible.with(|v| {
                let mut positions: Vec<usize> = range.clone().collect();
                if let Some(at) = cursor.filter(|at| !range.contains(at)) {
                    positions.push(at);
                }
                positions
                    .into_iter()
                    .map(|p| (p, entries[v[p]].clone()))
                    .collect::<Vec<_>>()
            })
        })
    });
    let empty = move || {
        let failed = if folder.searching.get() {
            folder.search.with(|s| s.error().is_some())
        } else {
            folder.error.get().is_some()
        };
        !folder.busy() && !failed && visible.with(Vec::is_empty)
    };
    let all = Memo::new(move |_| {
        folder.with_entries(|entries| {
            visible.with(|v| {
                rows.selection.with(|s| {
                    if s.is_empty() {
                        // Nothing picked: no need to gather a search's 100,000 keys.
                        return AllState::None;
                    }
                    let keys: Vec<&str> = v.iter().map(|&i| entries[i].key.as_str()).collect();
                    s.all_state(&keys)
                })
            })
        })
    });
    view! {
        // The busy state sits at the top of the list (its line kept when idle, so
        // the rows below do not jump); the rows stay while loading.
        <p class="list-busy" id="list-busy" class:idle=move || !folder.busy()>
            <span class="spinner" aria-hidden="true"></span>
            {move || if folder.searching.get() {
                // How far the search's listing has come.
                let listed = folder.search.with(|s| s.listed()) as u64;
                format!("Searching… {} so far", text::count(listed, "file", "files"))
            } else {
                "Loading…".to_string()
            }}
        </p>
        <div class="list-head" class:tiles=move || folder.layout.get() == Layout::Grid>
            <span class="pick">
                <input type="checkbox" id="select-all" aria-label="Select all in this view"
                    disabled=move || visible.with(Vec::is_empty)
                    prop:checked=move || all.get() == AllState::All
                    prop:indeterminate=move || all.get() == AllState::Some
                    on:change=move |_| {
                        let keys = view_keys(folder, visible);
                        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                        rows.selection.update(|s| s.toggle_all(&keys));
                    } />
            </span>
            <span aria-hidden="true">"Name"</span><span aria-hidden="true">"Size"</span>
            <span aria-hidden="true">"Modified"</span><span></span>
        </div>
        // The list is the spacer that holds the rows; the "empty" line beside it is
        // no row.
        <div class="file-list" node_ref=list class:tiles=move || folder.layout.get() == Layout::Grid
            on:scroll=move |ev| {
                let el: web_sys::Element = event_target(&ev);
                scroll_top.set(el.scroll_top() as f64);
                viewport.set(el.client_height() as f64);
            }>
            <div class="spacer" role="grid" aria-label="Files and folders" aria-multiselectable="true"
                aria-rowcount=move || visible.with(Vec::len).to_string()
                aria-busy=move || folder.busy().to_string()
                on:keydown=on_key
                style:height=move || format!("{}px", folder.geometry().height(visible.with(Vec::len)))>
                // Keyed by the object, not its place: a row whose place changes (one
                // added above it) keeps its element, and so its focus.
                <For each=move || shown.get() key=|(_, e)| (e.key.clone(), e.size, e.last_modified)
                    children=move |(_, entry)| view! {
                        <Row folder=folder entry=entry shown=shown visible=visible thumbs=thumbs />
                    } />
            </div>
            {move || empty().then(|| view! {
                <p class="empty">{move || if folder.searching.get() {
                    "No file in this folder or below it matches."
                } else if folder.filter.get().trim().is_empty() {
                    "This folder is empty. Upload files or drop them here."
                } else {
                    "Nothing here matches the filter."
                }}</p>
            })}
        </div>
        <p class="status count" role="status">
            // Only a count that is true: none while loading or after a failure.
            {move || {
                if folder.searching.get() {
                    // Found among the files listed so far.
                    let (found, listed, loading) = folder
                        .search
                        .with(|s| (s.matches().len(), s.listed(), s.loading()));
                    let files = text::count(listed as u64, "file", "files");
                    let so_far = if loading { " so far" } else { "" };
                    let found = text::number(found as u64);
                    return Some(format!("{found} of {files} match{so_far}."));
                }
                let total = folder.listing.with(FolderListing::count)?;
                let n = visible.with(Vec::len);
                let items = text::count(total as u64, "item", "items");
                Some(if n == total {
                    format!("{items}.")
                } else {
                    format!("{} of {items}.", text::number(n as u64))
                })
            }}
        </p>
        <RowMenu folder=folder />
    }
}
