//! A row's menu of actions (preview, download, share link, previous versions,
//! rename, move, delete): rendered outside the list's scroll box, so the last row's menu is
//! never clipped, beside its button on wide screens and as a sheet at the
//! bottom of narrow ones (600 px and below, as the stylesheet says). The ARIA
//! menu button pattern: the first item takes the focus, arrows move it, Escape
//! closes and returns it to the button, Tab closes.

use super::dialogs::Dialog;
use super::list::activate;
use super::picking::MenuAt;
use super::Folder;
use crate::app::browser;
use crate::model::listing::{self, Entry};
use crate::model::reading;
use crate::model::text;
use leptos::html;
use leptos::prelude::*;
use std::rc::Rc;
use wasm_bindgen::JsCast;

/// Screens this wide or narrower get the bottom sheet; must match style/main.css.
const NARROW: f64 = 600.0;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Open,
    Download,
    Link,
    Versions,
    Rename,
    Move,
    Delete,
}

#[component]
pub(super) fn RowMenu(folder: Folder) -> impl IntoView {
    move || {
        folder
            .rows
            .menu
            .get()
            .map(|at| view! { <MenuPopup folder=folder at=at /> })
    }
}

#[component]
fn MenuPopup(folder: Folder, at: MenuAt) -> impl IntoView {
    let rows = folder.rows;
    let entry = at.entry.clone();
    let name = text::shown_name(&entry.name);
    let mut actions = Vec::new();
    if entry.is_folder() {
        actions.push((Action::Open, "Open"));
    } else {
        if listing::preview_kind(&entry.name).is_some() {
            actions.push((Action::Open, "Preview"));
        }
        actions.push((Action::Download, "Download"));
        actions.push((Action::Link, "Share link"));
        actions.push((Action::Versions, "Previous versions"));
    }
    actions.extend([
        (Action::Rename, "Rename"),
        (Action::Move, "Move"),
        (Action::Delete, "Delete"),
    ]);
    let run = move |action: Action, entry: Entry| {
        // The row is what the dialog returns the focus to.
        rows.cursor.set(Some(entry.key.clone()));
        match action {
            Action::Open => {
                if entry.is_folder() {
                    rows.cursor.set(None);
                }
                rows.refocus();
                activate(folder, entry);
            }
            Action::Download => {
                rows.refocus();
                download(folder, entry);
            }
            Action::Link => folder.dialog.set(Dialog::Link(entry)),
            Action::Versions => folder.dialog.set(Dialog::Versions(entry)),
            Action::Rename => folder.dialog.set(Dialog::Rename(entry)),
            Action::Move => folder.dialog.set(Dialog::Move(entry)),
            Action::Delete => folder.dialog.set(Dialog::Delete(entry)),
        }
    };
    let items = actions
        .into_iter()
        .map(|(action, label)| {
            let entry = entry.clone();
            MenuItem {
                label: label.to_string(),
                danger: action == Action::Delete,
                checked: None,
                run: Rc::new(move || run(action, entry.clone())),
            }
        })
        .collect();
    view! {
        <Popup anchor=at.anchor label=format!("Actions for {name}") title=name items=items
            on_close=Rc::new(move || rows.menu.set(None))
            refocus=Rc::new(move || rows.refocus()) />
    }
}

/// One item of a [`Popup`] menu.
pub(super) struct MenuItem {
    pub label: String,
    pub danger: bool,
    /// For a choice among several (a sort): whether it is the one in force; the
    /// item is then a `menuitemradio`.
    pub checked: Option<bool>,
    /// What the item does; the menu is closed first.
    pub run: Rc<dyn Fn()>,
}

/// A menu of `items` for the menu button whose box is `anchor` (viewport
/// pixels: left, top, right, bottom): the row menus' and the toolbar's "More"
/// menu. `on_close` forgets the menu (the caller owns whether it is open);
/// Escape, Tab and a click beside it close it and return the focus to what had
/// it, or call `refocus` when that is gone.
#[component]
pub(super) fn Popup(
    anchor: (f64, f64, f64, f64),
    label: String,
    /// Shown above the items on the sheet of narrow screens.
    title: String,
    items: Vec<MenuItem>,
    on_close: Rc<dyn Fn()>,
    refocus: Rc<dyn Fn()>,
) -> impl IntoView {
    // What had the focus (the menu button, or the row): Escape returns it there.
    let opener = StoredValue::new_local(document().active_element());
    let close = Rc::new(move |return_focus: bool| {
        on_close();
        if return_focus {
            match opener.get_value().filter(|e| e.is_connected()) {
                Some(e) => {
                    let _ = e.unchecked_into::<web_sys::HtmlElement>().focus();
                }
                None => refocus(),
            }
        }
    });
    let (_, top, right, bottom) = anchor;
    let width = window()
        .inner_width()
        .ok()
        .and_then(|w| w.as_f64())
        .unwrap_or(1024.0);
    let height = window()
        .inner_height()
        .ok()
        .and_then(|h| h.as_f64())
        .unwrap_or(768.0);
    let narrow = width <= NARROW;
    let right = (width - right).max(0.0).round();
    // Where the menu sits beside its button (CSS properties, set through the
    // CSSOM: the page's CSP refuses style attributes); `None` until laid out.
    let place = RwSignal::new(None::<(Option<String>, Option<String>)>);
    let menu = NodeRef::<html::Div>::new();
    menu.on_load(move |menu| {
        // Once laid out: below its button, or above it when the window ends first.
        request_animation_frame(move || {
            if let Some(panel) = menu.parent_element().filter(|_| !narrow) {
                let tall = panel.get_bounding_client_rect().height();
                place.set(Some(if bottom + tall + 4.0 <= height {
                    (Some(format!("{}px", (bottom + 4.0).round())), None)
                } else {
                    let above = (height - top + 4.0).min(height - tall).max(0.0);
                    (None, Some(format!("{}px", above.round())))
                }));
            }
            if let Some(first) = menu.query_selector("[role^=menuitem]").ok().flatten() {
                let _ = first.unchecked_into::<web_sys::HtmlElement>().focus();
            }
        });
    });
    let key_close = close.clone();
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let Some(menu) = menu.get_untracked() else {
            return;
        };
        let Ok(items) = menu.query_selector_all("[role^=menuitem]") else {
            return;
        };
        let count = items.length();
        let here = (0..count)
            .find(|&i| {
                items
                    .get(i)
                    .is_some_and(|n| Some(n) == document().active_element().map(Into::into))
            })
            .unwrap_or(0);
        let to = match ev.key().as_str() {
            "ArrowDown" => (here + 1) % count,
            "ArrowUp" => (here + count - 1) % count,
            "Home" => 0,
            "End" => count - 1,
            "Escape" => {
                ev.prevent_default();
                ev.stop_propagation();
                key_close(true);
                return;
            }
            "Tab" => {
                key_close(true);
                return;
            }
            _ => return,
        };
        ev.prevent_default();
        if let Some(item) = items.get(to) {
            let _ = item.unchecked_into::<web_sys::HtmlElement>().focus();
        }
    };
    let backdrop_close = close.clone();
    view! {
        <div class="menu-backdrop" class:sheet=narrow on:click=move |_| backdrop_close(true)></div>
        // Transparent until placed (a frame), so it never shows in the wrong place.
        <div class="row-menu" class:sheet=narrow
            style:opacity=move || (!narrow && place.with(Option::is_none)).then_some("0")
            style:top=move || if narrow { None } else { place.get().map_or(Some("0".to_string()), |p| p.0) }
            style:bottom=move || place.get().and_then(|p| p.1)
            style:right=move || (!narrow).then(|| format!("{right}px"))>
            {narrow.then(|| view! { <p class="menu-title" aria-hidden="true">{title}</p> })}
            <div role="menu" aria-label=label node_ref=menu on:keydown=on_key>
                {items.into_iter().map(|item| {
                    let close = close.clone();
                    let run = item.run;
                    view! {
                        <button role=if item.checked.is_some() { "menuitemradio" } else { "menuitem" }
                            aria-checked=item.checked.map(|c| c.to_string())
                            tabindex="-1" class:danger=item.danger
                            on:click=move |_| { close(false); run(); }>{item.label}</button>
                    }
                }).collect_view()}
            </div>
        </div>
    }
}

/// Downloads a file through a short presigned link (the name kept).
fn download(folder: Folder, entry: Entry) {
    leptos::task::spawn_local(async move {
        let session = folder.session();
        match reading::presigned_get(&session, &entry.key, 300, Some(&entry.name)).await {
            Ok(url) => browser::open_download(&url.url),
            Err(e) => {
                let message =
                    e.user_message(&format!("download {}", text::shown_name(&entry.name)));
                folder.listing.update(|l| l.show_error(message));
            }
        }
    });
}
