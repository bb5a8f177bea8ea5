//! The file browser: breadcrumbs, toolbar ([`toolbar`]), a virtual list that
//! renders only the rows in view ([`list`]: 100,000 objects cost a few dozen DOM
//! rows; the open folder's, or a search's in all subfolders: [`Search`]), the dialogs for new folder, rename, move, delete, share links and
//! account details ([`dialogs`]), the user's deleted files ([`deleted`]), the file preview ([`preview`]) and the
//! folder downloaded as a zip ([`zip`]).

mod deleted;
mod dialogs;
mod list;
mod loading;
mod picking;
mod preview;
mod row;
mod row_menu;
mod selection_bar;
mod thumbs;
mod toolbar;
mod zip;

use crate::app::{self, browser};
use crate::model::file_kind::{Geometry, Layout};
use crate::model::folder::FolderListing;
use crate::model::listing::{self, Entry, Sort};
use crate::model::search::Search;
use crate::model::session::Session;
use crate::model::text;
use crate::model::undo::{self, Offer};
use crate::ui::message::message_view;
use crate::ui::uploads::{UploadPanel, Uploads};
use dialogs::{Dialog, DialogHost};
use leptos::prelude::*;
use list::FileList;
use std::rc::Rc;
use toolbar::Toolbar;
use wasm_bindgen::JsCast;

/// Everything the folder view's pieces share. The listing is the model's
/// [`FolderListing`]; the memos are the parts of it that views follow, so a new
/// page does not redraw what did not change.
#[derive(Clone, Copy)]
struct Folder {
    session: StoredValue<Rc<Session>, LocalStorage>,
    listing: RwSignal<FolderListing>,
    prefix: Memo<String>,
    loading: Memo<bool>,
    error: Memo<Option<String>>,
    sort: Memo<Sort>,
    notice: RwSignal<Option<String>>,
    /// The operation just done that Undo can revert, with the notice that told
    /// it: the Undo button shows only beside that notice, so any later message
    /// (a new operation, another folder) takes the offer away.
    undo: RwSignal<Option<(String, Offer)>>,
    filter: RwSignal<String>,
    /// Search everything ("In all subfolders"): when on, the list shows its
    /// matches in place of the open folder's rows.
    search: RwSignal<Search>,
    searching: Memo<bool>,
    dialog: RwSignal<Dialog>,
    /// Whether the Recently deleted dialog is open ([`deleted`]).
    recently_deleted: RwSignal<bool>,
    /// The user's folder (`private/<identity id>/`).
    root: StoredValue<String>,
    /// What the live region says: the folder just opened and its item count.
    announce: RwSignal<String>,
    /// The row to focus once the load under way is done (after a rename or a new
    /// folder); `Some(None)`: the heading (the row is gone).
    focus_after_load: StoredValue<Option<Option<String>>>,
    /// The list's selection, focused row, row menu and bulk dialog.
    rows: picking::Picking,
    /// Rows or tiles, as this browser last chose.
    layout: RwSignal<Layout>,
    /// The list's width in pixels (how many tiles a line holds).
    list_width: RwSignal<f64>,
}

impl Folder {
    fn new(session: Rc<Session>) -> Folder {
        let root = session.root_prefix();
        let listing = RwSignal::new(FolderListing::new(root.clone()));
        let search = RwSignal::new(Search::default());
        Folder {
            session: StoredValue::new_local(session),
            listing,
            prefix: Memo::new(move |_| listing.with(|l| l.prefix().to_string())),
            loading: Memo::new(move |_| listing.with(FolderListing::loading)),
            error: Memo::new(move |_| listing.with(|l| l.error().map(str::to_string))),
            sort: Memo::new(move |_| listing.with(FolderListing::sort)),
            notice: RwSignal::new(None),
            undo: RwSignal::new(None),
            filter: RwSignal::new(String::new()),
            search,
            searching: Memo::new(move |_| search.with(Search::is_on)),
            dialog: RwSignal::new(Dialog::None),
            recently_deleted: RwSignal::new(false),
            root: StoredValue::new(root),
            announce: RwSignal::new(String::new()),
            focus_after_load: StoredValue::new(None),
            rows: picking::Picking::new(),
            layout: RwSignal::new(browser::stored_layout()),
            list_width: RwSignal::new(800.0),
        }
    }

    fn session(&self) -> Rc<Session> {
        self.session.get_value()
    }

    /// Lists the current folder again (and the search's files, while searching).
    fn reload(&self) {
        if let Some(load) = self.search.try_update(Search::relist).flatten() {
            self.run_search(load);
        }
        self.run(self.listing.try_update(FolderListing::reload), false);
    }

    /// The rows the list shows: the search's files while searching, else the
    /// open folder's entries (tracked).
    fn with_entries<R>(&self, f: impl FnOnce(&[Entry]) -> R) -> R {
        if self.searching.get() {
            self.search.with(|s| f(s.entries()))
        } else {
            self.listing.with(|l| f(l.entries()))
        }
    }

    /// [`Folder::with_entries`], untracked.
    fn with_entries_untracked<R>(&self, f: impl FnOnce(&[Entry]) -> R) -> R {
        if self.searching.get_untracked() {
            self.search.with_untracked(|s| f(s.entries()))
        } else {
            self.listing.with_untracked(|l| f(l.entries()))
        }
    }

    /// Whether the rows shown are still coming (tracked).
    fn busy(&self) -> bool {
        if self.searching.get() {
            self.search.with(Search::loading)
        } else {
            self.loading.get()
        }
    }

    /// The filter box's text changed: it filters the folder, or the search.
    fn set_filter(&self, typed: String) {
        if self.searching.get_untracked() {
            self.search.update(|s| s.set_query(&typed, &browser::nfc));
        }
        self.filter.set(typed);
    }

    /// Switches "In all subfolders" on (every file below the open folder is
    /// listed and filtered) or off (back to the open folder). The selection goes
    /// either way: it was picked among other rows.
    fn search_everywhere(&self, on: bool) {
        self.rows.selection.update(|s| s.clear());
        self.rows.cursor.set(None);
        self.rows.menu.set(None);
        if on {
            let prefix = self.prefix.get_untracked();
            let query = self.filter.get_untracked();
            let load = self
                .search
                .try_update(|s| s.start(prefix, &query, &browser::nfc));
            if let Some(load) = load {
                self.run_search(load);
            }
        } else {
            self.search.update(Search::stop);
            // What changed while searching shows in the folder.
            self.reload();
        }
    }

    /// Lists the current folder again, then focuses the row named `name` (the
    /// folder's heading when it is not there: moved or deleted).
    fn reload_and_focus(&self, name: Option<String>) {
        self.focus_after_load.set_value(Some(name));
        self.reload();
    }

    /// Opens the folder `prefix` from the page (a row, a breadcrumb): a new
    /// history entry, so back returns to the folder before.
    fn open(&self, prefix: String) {
        app::route::show_folder(&self.root.get_value(), &prefix);
        self.go(prefix);
    }

    /// The one place the open folder changes (opened from the page, back and
    /// forward): the filter and the notices of the folder before go, the listing
    /// starts, the heading takes the focus and the live region will say where the
    /// user is once the listing is whole.
    fn go(&self, prefix: String) {
        self.filter.set(String::new());
        self.notice.set(None);
        self.undo.set(None);
        if self.searching.get_untracked() {
            self.search.update(Search::stop);
        }
        self.run(self.listing.try_update(|l| l.open(prefix)), true);
        request_animation_frame(|| focus_element(HEADING_ID));
    }

    fn resort(&self, sort: Sort) {
        self.listing.update(|l| l.resort(sort));
    }

    /// Shows the items as `layout`, and remembers it in this browser.
    fn set_layout(&self, layout: Layout) {
        self.layout.set(layout);
        browser::store_layout(layout);
    }

    /// Where the list's items go (tracked: the layout and the list's width).
    fn geometry(&self) -> Geometry {
        self.layout.get().geometry(self.list_width.get() as usize)
    }

    fn geometry_untracked(&self) -> Geometry {
        let width = self.list_width.get_untracked() as usize;
        self.layout.get_untracked().geometry(width)
    }

    fn say(&self, message: String) {
        self.notice.set(Some(message));
    }

    /// Keeps `offer` for the operation `notice` tells, and returns the notice to
    /// show: with Undo beside it, or saying why it cannot be undone (versioning
    /// off). A prompt's work calls this, its dialog shows the notice.
    fn keep_undo(&self, notice: String, offer: Option<Offer>) -> String {
        match offer {
            Some(offer) if offer.versioning_off => {
                self.undo.set(None);
                format!("{notice} {}", offer.cannot_undo())
            }
            Some(offer) => {
                self.undo.set(Some((notice.clone(), offer)));
                notice
            }
            None => {
                self.undo.set(None);
                notice
            }
        }
    }

    /// Shows `notice` with Undo for `offer` ([`Folder::keep_undo`]).
    fn say_undoable(&self, notice: String, offer: Option<Offer>) {
        let notice = self.keep_undo(notice, offer);
        self.say(notice);
    }

    /// Undoes the operation the notice on screen tells, then says what came back
    /// and what did not, and lists the folder again.
    fn undo_last(&self) {
        let Some((_, offer)) = self.undo.try_update(Option::take).flatten() else {
            return;
        };
        self.say("Undoing…".to_string());
        // The button goes with the notice it was in: the heading keeps the focus.
        request_animation_frame(|| focus_element(HEADING_ID));
        let this = *self;
        leptos::task::spawn_local(async move {
            let session = this.session();
            let message = match undo::undo(&session, &offer).await {
                Ok(outcome) => outcome.summary(),
                Err(e) => e.user_message("undo"),
            };
            if this.notice.try_set(Some(message)).is_none() {
                this.reload();
            }
        });
    }
}

/// The id of the open folder's heading (the breadcrumbs' last item).
const HEADING_ID: &str = "folder-heading";

/// Focuses the element `id`, if it is on the page.
fn focus_element(id: &str) {
    if let Some(element) = document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = element.focus();
    }
}

#[component]
pub fn FolderView(session: Rc<Session>) -> impl IntoView {
    let root = session.root_prefix();
    let folder = Folder::new(session);
    crate::app::hear_storage_problems(move |message| {
        // The view may be gone (signed out) by the time a refresh's save fails.
        let _ = folder.notice.try_set(Some(message));
    });
    // The folder the address names (a reload, a bookmark, a link carried through
    // sign-in); an address that names none shows the user's folder and says so.
    let (first, note) = app::route::folder_in_address(&root);
    if let Some(note) = note {
        app::route::rename_entry(&root, &first);
        folder.say(note);
    }
    folder.run(folder.listing.try_update(|l| l.open(first)), true);
    // Back and forward open the folder of their entry, adding none.
    let history = app::route::on_back_forward(root.clone(), move |prefix, note| {
        folder.go(prefix);
        if let Some(note) = note {
            folder.say(note);
        }
    });
    // Dropped (the listener removed) with the view.
    StoredValue::new_local(history);
    let missing = Memo::new({
        let root = root.clone();
        move |_| folder.listing.with(|l| l.is_missing(&root))
    });
    let uploads = Uploads::new(
        folder.session.get_value(),
        Callback::new(move |_| folder.reload()),
        Callback::new(move |message| folder.say(message)),
        Callback::new(move |(message, offer)| folder.say_undoable(message, offer)),
    );

    let crumbs = move || {
        let trail = listing::breadcrumbs(&root, &folder.prefix.get());
        let last = trail.len() - 1;
        trail
            .into_iter()
            .enumerate()
            .map(|(i, (label, prefix))| {
                let label = text::shown_name(&label);
                if i == last {
                    // The heading of the folder on screen: it takes the focus when
                    // a folder opens.
                    view! { <li><h1 id=HEADING_ID class="crumb-heading" tabindex="-1" aria-current="page">{label}</h1></li> }.into_any()
                } else {
                    view! {
                        <li><button class="link" on:click=move |_| folder.open(prefix.clone())>{label}</button></li>
                    }
                    .into_any()
                }
            })
            .collect_view()
    };

    view! {
        <section class="folder" aria-label="Your files"
            on:dragover=move |ev| ev.prevent_default()
            on:drop=move |ev| {
                ev.prevent_default();
                let Some(data) = ev.data_transfer() else { return };
                let entries = browser::dropped_entries(&data);
                // Where the browser gives them, the dropped files' handles: their
                // uploads survive a restart (files inside folders go without).
                let handles = browser::dropped_handles(&data);
                let prefix = folder.prefix.get_untracked();
                leptos::task::spawn_local(async move {
                    let files = browser::read_dropped(entries).await;
                    let mut handles = browser::dropped_file_handles(handles).await;
                    let files = files
                        .into_iter()
                        .map(|(file, path)| {
                            let at = handles.iter().position(|(name, _)| *name == path);
                            let handle = at.map(|i| handles.swap_remove(i).1);
                            ((file, path), handle)
                        })
                        .collect();
                    uploads.add_files(files, prefix);
                });
            }>
            // The breadcrumbs show where you are; their last item is the page's one
            // level-one heading.
            <nav aria-label="Breadcrumb"><ol class="crumbs">{crumbs}</ol></nav>
            // Says which folder opened and how many items it holds.
            <p class="visually-hidden" id="folder-announce" aria-live="polite">{move || folder.announce.get()}</p>
            <Toolbar folder=folder uploads=uploads />
            {move || folder.notice.get().map(|n| {
                let undoable = folder.undo.with(|u| u.as_ref().is_some_and(|(told, _)| *told == n));
                view! {
                <p class="notice" role="status"><span class="notice-text">{n}</span>
                    {undoable.then(|| view! {
                        <button class="button undo" id="undo" on:click=move |_| folder.undo_last()>"Undo"</button>
                    })}
                    <button class="link dismiss" aria-label="Dismiss message" on:click=move |_| folder.notice.set(None)>"×"</button>
                </p>
            }})}
            {move || missing.get().then(|| view! {
                <p class="panel note" id="folder-missing" role="status">
                    "There is no folder by this name (yet): nothing is stored under it. \
                     Upload files or create a folder here to make it, or go back to My files."
                </p>
            })}
            <UploadPanel uploads=uploads />
            // Beside the rows, which stay: a failed listing wipes nothing.
            {move || folder.search.with(|s| s.error().map(str::to_string)).map(|e| view! {
                <div class="panel error" role="alert"><p>{message_view(e)}</p>
                    <button class="button" on:click=move |_| folder.reload()>"Retry"</button></div>
            })}
            {move || folder.error.get().filter(|_| !folder.searching.get()).map(|e| view! {
                <div class="panel error" role="alert"><p>{message_view(e)}</p>
                    <button class="button" on:click=move |_| folder.reload()>"Retry"</button></div>
            })}
            <FileList folder=folder />
            <DialogHost folder=folder />
            <deleted::DeletedHost folder=folder />
        </section>
    }
}
