//! The file browser: breadcrumbs, toolbar ([`toolbar`]), a virtual list that
//! renders only the rows in view ([`list`]: 100,000 objects cost a few dozen DOM
//! rows), the dialogs for new folder, rename, move, delete, share links and
//! account details ([`dialogs`]), and the file preview ([`preview`]).

mod dialogs;
mod list;
mod preview;
mod toolbar;

use crate::model::files;
use crate::model::listing::{self, Entry, Sort};
use crate::model::session::Session;
use crate::ui::uploads::{UploadPanel, Uploads};
use crate::web;
use dialogs::{Dialog, DialogHost};
use leptos::prelude::*;
use list::FileList;
use std::rc::Rc;
use toolbar::Toolbar;

/// Everything the folder view's pieces share.
#[derive(Clone, Copy)]
struct Folder {
    session: StoredValue<Rc<Session>, LocalStorage>,
    prefix: RwSignal<String>,
    entries: RwSignal<Vec<Entry>>,
    loading: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    notice: RwSignal<Option<String>>,
    sort: RwSignal<Sort>,
    filter: RwSignal<String>,
    dialog: RwSignal<Dialog>,
    /// Bumped on every navigation so a slow listing of an old folder is ignored.
    generation: StoredValue<u64>,
}

impl Folder {
    fn session(&self) -> Rc<Session> {
        self.session.get_value()
    }

    /// Lists the current folder page by page; rows appear after the first page.
    fn reload(&self) {
        let this = *self;
        let generation = this.generation.get_value() + 1;
        this.generation.set_value(generation);
        this.loading.set(true);
        this.error.set(None);
        let prefix = this.prefix.get_untracked();
        leptos::task::spawn_local(async move {
            let session = this.session();
            this.entries.set(Vec::new());
            let mut token: Option<String> = None;
            let mut pages = 0u32;
            loop {
                let page = files::list_page(&session, &prefix, token.as_deref()).await;
                if this.generation.get_value() != generation {
                    return;
                }
                match page {
                    Ok(page) => {
                        pages += 1;
                        let last = page.next.is_none();
                        // Sort after the first page, then now and then, and at the end:
                        // re-sorting a growing list after every page would cost
                        // O(pages² · n log n) in a 100,000-object folder.
                        let sort_now = last || pages.is_power_of_two();
                        this.entries.update(|entries| {
                            entries.extend(page.entries);
                            if sort_now {
                                listing::sort_entries(entries, this.sort.get_untracked());
                            }
                        });
                        match page.next {
                            Some(next) => token = Some(next),
                            None => break,
                        }
                    }
                    Err(e) => {
                        this.error.set(Some(e.user_message("list this folder")));
                        break;
                    }
                }
            }
            this.loading.set(false);
        });
    }

    fn open(&self, prefix: String) {
        self.prefix.set(prefix);
        self.filter.set(String::new());
        self.reload();
    }

    fn resort(&self, sort: Sort) {
        self.sort.set(sort);
        self.entries.update(|e| listing::sort_entries(e, sort));
    }

    fn say(&self, message: String) {
        self.notice.set(Some(message));
    }
}

#[component]
pub fn FolderView(session: Rc<Session>) -> impl IntoView {
    let root = session.root_prefix();
    let folder = Folder {
        session: StoredValue::new_local(session),
        prefix: RwSignal::new(root.clone()),
        entries: RwSignal::new(Vec::new()),
        loading: RwSignal::new(true),
        error: RwSignal::new(None),
        notice: RwSignal::new(None),
        sort: RwSignal::new(Sort::default()),
        filter: RwSignal::new(String::new()),
        dialog: RwSignal::new(Dialog::None),
        generation: StoredValue::new(0),
    };
    folder.reload();
    let uploads = Uploads::new(
        folder.session.get_value(),
        Callback::new(move |_| folder.reload()),
    );

    let crumbs = move || {
        let trail = listing::breadcrumbs(&root, &folder.prefix.get());
        let last = trail.len() - 1;
        trail
            .into_iter()
            .enumerate()
            .map(|(i, (label, prefix))| {
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
                let entries = web::files::dropped_entries(&data);
                let prefix = folder.prefix.get_untracked();
                leptos::task::spawn_local(async move {
                    uploads.add(web::files::read_dropped(entries).await, prefix);
                });
            }>
            <nav aria-label="Breadcrumb"><ol class="crumbs">{crumbs}</ol></nav>
            <Toolbar folder=folder uploads=uploads />
            {move || folder.notice.get().map(|n| view! {
                <p class="notice" role="status">{n}
                    <button class="link" aria-label="Dismiss message" on:click=move |_| folder.notice.set(None)>"×"</button>
                </p>
            })}
            {move || folder.error.get().map(|e| view! {
                <div class="panel error" role="alert"><p>{e}</p>
                    <button class="button" on:click=move |_| folder.reload()>"Retry"</button></div>
            })}
            <UploadPanel uploads=uploads />
            <FileList folder=folder />
            <DialogHost folder=folder />
        </section>
    }
}
