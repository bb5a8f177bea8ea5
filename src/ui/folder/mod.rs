//! The file browser: breadcrumbs, toolbar ([`toolbar`]), a virtual list that
//! renders only the rows in view ([`list`]: 100,000 objects cost a few dozen DOM
//! rows), the dialogs for new folder, rename, move, delete, share links and
//! account details ([`dialogs`]), the file preview ([`preview`]) and the
//! folder downloaded as a zip ([`zip`]).

mod dialogs;
mod list;
mod preview;
mod toolbar;
mod zip;

use crate::app::browser;
use crate::model::folder::{FolderListing, Load};
use crate::model::listing::{self, Sort};
use crate::model::session::Session;
use crate::model::text;
use crate::ui::message::message_view;
use crate::ui::uploads::{UploadPanel, Uploads};
use dialogs::{Dialog, DialogHost};
use leptos::prelude::*;
use list::FileList;
use std::rc::Rc;
use toolbar::Toolbar;

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
    filter: RwSignal<String>,
    dialog: RwSignal<Dialog>,
}

impl Folder {
    fn new(session: Rc<Session>) -> Folder {
        let listing = RwSignal::new(FolderListing::new(session.root_prefix()));
        Folder {
            session: StoredValue::new_local(session),
            listing,
            prefix: Memo::new(move |_| listing.with(|l| l.prefix().to_string())),
            loading: Memo::new(move |_| listing.with(FolderListing::loading)),
            error: Memo::new(move |_| listing.with(|l| l.error().map(str::to_string))),
            sort: Memo::new(move |_| listing.with(FolderListing::sort)),
            notice: RwSignal::new(None),
            filter: RwSignal::new(String::new()),
            dialog: RwSignal::new(Dialog::None),
        }
    }

    fn session(&self) -> Rc<Session> {
        self.session.get_value()
    }

    /// Lists the current folder again.
    fn reload(&self) {
        self.run(self.listing.try_update(FolderListing::reload));
    }

    fn open(&self, prefix: String) {
        self.filter.set(String::new());
        self.run(self.listing.try_update(|l| l.open(prefix)));
    }

    /// Fetches the pages of `load` into the listing.
    fn run(&self, load: Option<Load>) {
        let Some(load) = load else { return };
        let this = *self;
        leptos::task::spawn_local(async move {
            let session = this.session();
            load.run(&session, |load, page| {
                this.listing
                    .try_update(|l| l.take_page(load, page))
                    .flatten()
            })
            .await;
        });
    }

    fn resort(&self, sort: Sort) {
        self.listing.update(|l| l.resort(sort));
    }

    fn say(&self, message: String) {
        self.notice.set(Some(message));
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
    folder.reload();
    let uploads = Uploads::new(
        folder.session.get_value(),
        Callback::new(move |_| folder.reload()),
        Callback::new(move |message| folder.say(message)),
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
                    view! { <li><span aria-current="page">{label}</span></li> }.into_any()
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
                let prefix = folder.prefix.get_untracked();
                leptos::task::spawn_local(async move {
                    uploads.add(browser::read_dropped(entries).await, prefix);
                });
            }>
            // The page's one level-one heading; the breadcrumbs show where you are.
            <h1 class="visually-hidden">"Your files"</h1>
            <nav aria-label="Breadcrumb"><ol class="crumbs">{crumbs}</ol></nav>
            <Toolbar folder=folder uploads=uploads />
            {move || folder.notice.get().map(|n| view! {
                <p class="notice" role="status"><span class="notice-text">{n}</span>
                    <button class="link dismiss" aria-label="Dismiss message" on:click=move |_| folder.notice.set(None)>"×"</button>
                </p>
            })}
            <UploadPanel uploads=uploads />
            // Beside the rows, which stay: a failed listing wipes nothing.
            {move || folder.error.get().map(|e| view! {
                <div class="panel error" role="alert"><p>{message_view(e)}</p>
                    <button class="button" on:click=move |_| folder.reload()>"Retry"</button></div>
            })}
            <FileList folder=folder />
            <DialogHost folder=folder />
        </section>
    }
}
