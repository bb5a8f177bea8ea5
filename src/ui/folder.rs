//! The file browser: breadcrumbs, toolbar, a virtual list that renders only the
//! rows in view (so 100,000 objects cost a few dozen DOM rows), and the dialogs for
//! new folder, rename, delete and share links.

use crate::model::files;
use crate::model::listing::{self, Entry, Sort, SortKey};
use crate::model::session::Session;
use crate::model::transport::LocalFuture;
use crate::ui::dialog::Modal;
use crate::ui::uploads::{UploadPanel, Uploads};
use crate::web;
use leptos::prelude::*;
use std::rc::Rc;

/// Height of one row in whole pixels (so styles need no float formatting); must
/// match `.row` in style/main.css.
const ROW_HEIGHT: usize = 44;

#[derive(Clone, Debug)]
enum Dialog {
    None,
    NewFolder,
    Rename(Entry),
    Move(Entry),
    Delete(Entry),
    Link(Entry),
    Preview(Entry),
    Details,
}

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

#[component]
fn Toolbar(folder: Folder, uploads: Uploads) -> impl IntoView {
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
            <input type="search" class="filter" placeholder="Filter by name" aria-label="Filter by name"
                prop:value=move || folder.filter.get()
                on:input=move |ev| folder.filter.set(event_target_value(&ev)) />
            <span class="sorts" role="group" aria-label="Sort by">
                {sort_button(SortKey::Name, "Name")}
                {sort_button(SortKey::Size, "Size")}
                {sort_button(SortKey::Modified, "Date")}
            </span>
        </div>
    }
}

/// Queues the files just picked in a file input (one function for both pickers,
/// so the wasm has one copy of it), then clears the input.
fn upload_picked(ev: &leptos::ev::Event, folder: Folder, uploads: Uploads) {
    let input: web_sys::HtmlInputElement = event_target(ev);
    if let Some(files) = input.files() {
        uploads.add(
            web::files::from_file_list(&files),
            folder.prefix.get_untracked(),
        );
    }
    input.set_value("");
}

#[component]
fn FileList(folder: Folder) -> impl IntoView {
    let scroll_top = RwSignal::new(0.0);
    let viewport = RwSignal::new(600.0);
    let visible = Memo::new(move |_| {
        folder
            .entries
            .with(|entries| listing::filter_indices(entries, &folder.filter.get()))
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
        folder.entries.with(|entries| {
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
        <div class="list-head" aria-hidden="true">
            <span>"Name"</span><span>"Size"</span><span>"Modified"</span><span></span>
        </div>
        <div class="file-list" role="list" aria-label="Files and folders" aria-busy=move || folder.loading.get().to_string()
            on:scroll=move |ev| {
                let el: web_sys::Element = event_target(&ev);
                scroll_top.set(el.scroll_top() as f64);
                viewport.set(el.client_height() as f64);
            }>
            <div class="spacer" style:height=move || format!("{}px", visible.with(Vec::len) * ROW_HEIGHT)>
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
            {move || {
                let n = visible.with(Vec::len);
                let total = folder.entries.with(Vec::len);
                let loading = if folder.loading.get() { " Loading…" } else { "" };
                if n == total { format!("{total} items.{loading}") } else { format!("{n} of {total} items.{loading}") }
            }}
        </p>
    }
}

#[component]
fn Row(folder: Folder, entry: Entry, top: usize) -> impl IntoView {
    let name = entry.name.clone();
    let is_folder = entry.is_folder();
    let size = if is_folder {
        String::new()
    } else {
        listing::format_size(entry.size)
    };
    let modified = entry
        .last_modified
        .map(web::clock::format_local)
        .unwrap_or_default();
    let open_key = entry.key.clone();
    let preview = listing::preview_kind(&entry.name).filter(|_| !is_folder);
    let menu_open = RwSignal::new(false);
    let opens =
        |class, text, label: String, dialog| dialog_button(folder, class, text, label, dialog);
    let view_button = preview.map(|_| {
        let label = format!("Preview {}", entry.name);
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
    let rename_button = opens(
        "button small",
        "Rename",
        format!("Rename {}", entry.name),
        Dialog::Rename(entry.clone()),
    );
    let move_button = opens(
        "button small",
        "Move",
        format!("Move {}", entry.name),
        Dialog::Move(entry.clone()),
    );
    let delete_button = opens(
        "button small danger",
        "Delete",
        format!("Delete {}", entry.name),
        Dialog::Delete(entry.clone()),
    );
    let actions_label = format!("Actions for {}", entry.name);
    let download = move |_| {
        let entry = entry.clone();
        leptos::task::spawn_local(async move {
            let session = folder.session();
            match files::presigned_get(&session, &entry.key, 300, Some(&entry.name)).await {
                Ok(url) => web::files::open_download(&url.url),
                Err(e) => folder
                    .error
                    .set(Some(e.user_message(&format!("download {}", entry.name)))),
            }
        });
    };
    view! {
        <div class="row" role="listitem" style:transform=format!("translateY({top}px)")>
            <span class="name">
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

#[component]
fn DialogHost(folder: Folder) -> impl IntoView {
    let close = Callback::new(move |_| folder.dialog.set(Dialog::None));
    move || match folder.dialog.get() {
        Dialog::None => ().into_any(),
        Dialog::NewFolder => {
            view! { <NameDialog folder=folder entry=None close=close /> }.into_any()
        }
        Dialog::Move(entry) => {
            view! { <MoveDialog folder=folder entry=entry close=close /> }.into_any()
        }
        Dialog::Rename(entry) => {
            view! { <NameDialog folder=folder entry=Some(entry) close=close /> }.into_any()
        }
        Dialog::Delete(entry) => {
            view! { <DeleteDialog folder=folder entry=entry close=close /> }.into_any()
        }
        Dialog::Link(entry) => {
            view! { <LinkDialog folder=folder entry=entry close=close /> }.into_any()
        }
        Dialog::Preview(entry) => {
            view! { <PreviewDialog folder=folder entry=entry close=close /> }.into_any()
        }
        Dialog::Details => view! { <DetailsDialog folder=folder close=close /> }.into_any(),
    }
}

/// Work a prompt starts once its value passed the check: the notice to show on
/// success, or the problem to show in the dialog.
type PromptWork = LocalFuture<'static, Result<String, String>>;

/// A one-field dialog: `start` checks the typed value (an `Err` is shown at once)
/// and returns the work; success closes the dialog, shows the notice and reloads.
#[component]
fn PromptDialog(
    folder: Folder,
    title: String,
    label: &'static str,
    /// Element ids of the input and the OK button (tests and labels use them).
    ids: (&'static str, &'static str),
    ok_label: &'static str,
    initial: String,
    close: Callback<()>,
    start: Box<dyn Fn(String) -> Result<PromptWork, String>>,
) -> impl IntoView {
    let (input_id, ok_id) = ids;
    // Children of the modal must be Send; the closure is kept in the local arena.
    let start = StoredValue::new_local(start);
    let value = RwSignal::new(initial);
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let work = match start.with_value(|start| start(value.get_untracked())) {
            Ok(work) => work,
            Err(p) => {
                problem.set(Some(p));
                return;
            }
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = work.await;
            busy.set(false);
            match result {
                Ok(notice) => {
                    close.run(());
                    folder.say(notice);
                    folder.reload();
                }
                Err(message) => problem.set(Some(message)),
            }
        });
    };
    view! {
        <Modal title=title on_close=close>
            <form on:submit=submit>
                <label for=input_id>{label}</label>
                <input id=input_id type="text" autofocus
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev)) />
                {move || problem.get().map(|p| view! { <p class="error-text" role="alert">{p}</p> })}
                <div class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| close.run(())>"Cancel"</button>
                    <button type="submit" class="button primary" id=ok_id disabled=move || busy.get()>
                        {move || if busy.get() { "Working…" } else { ok_label }}
                    </button>
                </div>
            </form>
        </Modal>
    }
}

/// New folder (no entry) or rename (an entry).
#[component]
fn NameDialog(folder: Folder, entry: Option<Entry>, close: Callback<()>) -> impl IntoView {
    let title = match &entry {
        Some(e) => format!("Rename {}", e.name),
        None => "New folder".to_string(),
    };
    let initial = entry.as_ref().map(|e| e.name.clone()).unwrap_or_default();
    let start = move |typed: String| -> Result<PromptWork, String> {
        let name = typed.trim().to_string();
        listing::validate_name(&name)?;
        let entry = entry.clone();
        Ok(Box::pin(async move {
            let session = folder.session();
            let prefix = folder.prefix.get_untracked();
            match &entry {
                None => files::create_folder(&session, &prefix, &name)
                    .await
                    .map(|()| format!("Folder {name} created."))
                    .map_err(|e| e.user_message(&format!("create folder {name}"))),
                Some(e) => {
                    let suffix = if e.is_folder() { "/" } else { "" };
                    files::move_entry(&session, e, &format!("{prefix}{name}{suffix}"))
                        .await
                        .map(|()| format!("{} renamed to {name}.", e.name))
                        .map_err(|err| err.user_message(&format!("rename {} to {name}", e.name)))
                }
            }
        }) as PromptWork)
    };
    view! {
        <PromptDialog folder=folder title=title label="Name" ids=("name-input", "name-ok")
            ok_label="OK" initial=initial close=close start=Box::new(start) />
    }
}

#[component]
fn MoveDialog(folder: Folder, entry: Entry, close: Callback<()>) -> impl IntoView {
    let root = folder.session().root_prefix();
    // Start from the folder it is in, relative to the user's root.
    let here = folder
        .prefix
        .get_untracked()
        .strip_prefix(&root)
        .unwrap_or("")
        .to_string();
    let title = format!("Move {}", entry.name);
    let start = move |typed: String| -> Result<PromptWork, String> {
        let target = listing::move_target(&root, &typed, &entry)?;
        let entry = entry.clone();
        Ok(Box::pin(async move {
            let session = folder.session();
            files::move_entry(&session, &entry, &target)
                .await
                .map(|()| format!("{} moved.", entry.name))
                .map_err(|e| e.user_message(&format!("move {}", entry.name)))
        }) as PromptWork)
    };
    view! {
        <PromptDialog folder=folder title=title
            label="Destination folder (for example photos/2024; empty for My files)"
            ids=("move-input", "move-ok") ok_label="Move" initial=here close=close
            start=Box::new(start) />
    }
}

#[component]
fn DeleteDialog(folder: Folder, entry: Entry, close: Callback<()>) -> impl IntoView {
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let what = if entry.is_folder() {
        format!("the folder {} and everything in it", entry.name)
    } else {
        entry.name.clone()
    };
    let confirm = move |_| {
        busy.set(true);
        let entry = entry.clone();
        leptos::task::spawn_local(async move {
            let session = folder.session();
            let result = files::delete_entry(&session, &entry).await;
            busy.set(false);
            match result {
                Ok(()) => {
                    close.run(());
                    folder.say(format!("{} deleted.", entry.name));
                    folder.reload();
                }
                Err(e) => problem.set(Some(e.user_message(&format!("delete {}", entry.name)))),
            }
        });
    };
    view! {
        <Modal title="Delete?".to_string() on_close=close>
            <p>"Delete " <strong>{what}</strong> "? This cannot be undone."</p>
            {move || problem.get().map(|p| view! { <p class="error-text" role="alert">{p}</p> })}
            <div class="dialog-actions">
                <button class="button" autofocus on:click=move |_| close.run(())>"Cancel"</button>
                <button class="button danger" id="confirm-delete" disabled=move || busy.get() on:click=confirm>
                    {move || if busy.get() { "Deleting…" } else { "Delete" }}
                </button>
            </div>
        </Modal>
    }
}

/// Lifetimes offered for share links, in seconds.
const LINK_LIFETIMES: [(u64, &str); 4] = [
    (900, "15 minutes"),
    (3600, "1 hour"),
    (43_200, "12 hours"),
    (604_800, "7 days"),
];

#[component]
fn LinkDialog(folder: Folder, entry: Entry, close: Callback<()>) -> impl IntoView {
    let lifetime = RwSignal::new(3600u64);
    let link = RwSignal::new(None::<(String, u64, u64)>);
    let problem = RwSignal::new(None::<String>);
    let copied = RwSignal::new(false);
    let name = entry.name.clone();
    let make = move |_| {
        let entry = entry.clone();
        copied.set(false);
        leptos::task::spawn_local(async move {
            let session = folder.session();
            let asked = lifetime.get_untracked();
            match files::presigned_get(&session, &entry.key, asked, None).await {
                Ok(url) => {
                    let ok = web::files::copy_text(&url.url).await;
                    copied.set(ok);
                    link.set(Some((url.url, url.expires_in_seconds, asked)));
                }
                Err(e) => problem.set(Some(e.user_message("make a link"))),
            }
        });
    };
    view! {
        <Modal title=format!("Link to {name}") on_close=close>
            <p>"Anyone with the link can download this file until it expires."</p>
            <label for="link-life">"Link works for"</label>
            <select id="link-life" on:change=move |ev| {
                if let Ok(v) = event_target_value(&ev).parse() { lifetime.set(v); }
            }>
                {LINK_LIFETIMES.iter().map(|(secs, label)| view! {
                    <option value=secs.to_string() selected=*secs == 3600>{*label}</option>
                }).collect_view()}
            </select>
            <button class="button primary" id="make-link" on:click=make>"Create link"</button>
            {move || link.get().map(|(url, secs, asked)| {
                let until = web::clock::format_local((web::clock::now_millis() / 1000.0) as u64 + secs);
                let capped = secs < asked;
                view! {
                    <input type="text" readonly class="link-url" aria-label="Link" prop:value=url />
                    <p>{move || if copied.get() { "Copied to the clipboard. " } else { "" }}
                       "It works until " {until} "."</p>
                    {capped.then(|| view! {
                        <p class="warning">"That is shorter than you asked: a link cannot outlive your \
                            session's temporary AWS credentials, which expire then."</p>
                    })}
                }
            })}
            {move || problem.get().map(|p| view! { <p class="error-text" role="alert">{p}</p> })}
            <div class="dialog-actions">
                <button class="button" on:click=move |_| close.run(())>"Close"</button>
            </div>
        </Modal>
    }
}

/// Previews read at most this much of a file.
const PREVIEW_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Clone, Debug)]
enum PreviewContent {
    Loading,
    Image(String),
    Text(String, bool),
    Opened,
    Failed(String),
}

#[component]
fn PreviewDialog(folder: Folder, entry: Entry, close: Callback<()>) -> impl IntoView {
    let content = RwSignal::new(PreviewContent::Loading);
    let name = entry.name.clone();
    let kind = listing::preview_kind(&entry.name);
    leptos::task::spawn_local(async move {
        let session = folder.session();
        let shown = match kind {
            Some(listing::PreviewKind::Pdf) => {
                match files::presigned_get(&session, &entry.key, 300, None).await {
                    Ok(url) => {
                        web::files::open_in_new_tab(&url.url);
                        PreviewContent::Opened
                    }
                    Err(e) => {
                        PreviewContent::Failed(e.user_message(&format!("open {}", entry.name)))
                    }
                }
            }
            Some(kind) => match files::read_start(&session, &entry.key, PREVIEW_BYTES).await {
                Ok(bytes) => match kind {
                    listing::PreviewKind::Image(mime) => match web::files::object_url(&bytes, mime)
                    {
                        Some(url) => PreviewContent::Image(url),
                        None => {
                            PreviewContent::Failed("The browser could not show this image.".into())
                        }
                    },
                    _ => PreviewContent::Text(
                        String::from_utf8_lossy(&bytes).into_owned(),
                        entry.size > PREVIEW_BYTES,
                    ),
                },
                Err(e) => {
                    PreviewContent::Failed(e.user_message(&format!("preview {}", entry.name)))
                }
            },
            None => PreviewContent::Failed(
                "This kind of file has no preview; download it instead.".into(),
            ),
        };
        content.set(shown);
    });
    let close_and_clean = Callback::new(move |_| {
        if let PreviewContent::Image(url) = content.get_untracked() {
            web::files::revoke_object_url(&url);
        }
        close.run(());
    });
    view! {
        <Modal title=name.clone() on_close=close_and_clean>
            {move || match content.get() {
                PreviewContent::Loading => view! { <p role="status">"Loading preview…"</p> }.into_any(),
                PreviewContent::Image(url) => view! { <img class="preview-image" src=url alt=format!("Preview of {name}") /> }.into_any(),
                PreviewContent::Text(text, cut) => view! {
                    <pre class="preview-text">{text}</pre>
                    {cut.then(|| view! { <p class="hint">"Only the beginning of the file is shown."</p> })}
                }.into_any(),
                PreviewContent::Opened => view! { <p>"The PDF opened in a new tab."</p> }.into_any(),
                PreviewContent::Failed(message) => view! { <p class="error-text" role="alert">{message}</p> }.into_any(),
            }}
            <div class="dialog-actions">
                <button class="button" autofocus on:click=move |_| close_and_clean.run(())>"Close"</button>
            </div>
        </Modal>
    }
}

#[component]
fn DetailsDialog(folder: Folder, close: Callback<()>) -> impl IntoView {
    let session = folder.session();
    let who = session.tokens().display_name();
    let identity_id = session.identity_id().to_string();
    let root = session.root_prefix();
    drop(session);
    view! {
        <Modal title="Account details".to_string() on_close=close>
            <dl class="details">
                <dt>"Signed in as"</dt><dd>{who}</dd>
                <dt>"Identity id"</dt><dd><code id="identity-id">{identity_id}</code></dd>
                <dt>"Folder"</dt><dd><code>{root}</code></dd>
            </dl>
            <p class="hint">"Your folder is named after your identity id from the Cognito identity pool, \
                not after your user id (sub): the bucket's access policy can only refer to the identity id."</p>
            <div class="dialog-actions">
                <button class="button" autofocus on:click=move |_| close.run(())>"Close"</button>
            </div>
        </Modal>
    }
}
