//! The upload queue: one row per file with its own progress bar, an overall bar,
//! pause/resume and cancel, and "replace or keep both" when a name is taken.
//!
//! Files go one at a time. A paused file does not hold up the queue: the queue
//! moves on to the next file, and a resumed one continues at once, alongside the
//! file the queue is on (a user who pauses one file still wants the rest sent).

use crate::app::browser::{BlobSource, PickedFile};
use crate::model::files;
use crate::model::listing;
use crate::model::session::Session;
use crate::model::transfers::{self, UploadControl, UploadError, UploadOptions};
use crate::ui::dialog::Modal;
use futures::channel::oneshot;
use leptos::prelude::*;
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadState {
    Waiting,
    Uploading,
    Paused,
    Done,
    Failed(String),
    Cancelled,
    Skipped,
}

impl UploadState {
    /// The row's `data-state`, which styles and tests select on.
    fn name(&self) -> &'static str {
        match self {
            UploadState::Waiting => "waiting",
            UploadState::Uploading => "uploading",
            UploadState::Paused => "paused",
            UploadState::Done => "done",
            UploadState::Failed(_) => "failed",
            UploadState::Cancelled => "cancelled",
            UploadState::Skipped => "skipped",
        }
    }
}

#[derive(Clone)]
pub struct UploadItem {
    id: u64,
    /// The path below the current folder (a dropped folder keeps its structure).
    path: String,
    key: String,
    size: u64,
    sent: RwSignal<u64>,
    state: RwSignal<UploadState>,
    /// Set once bytes are being sent (after the name check): pause applies then.
    sending: RwSignal<bool>,
    control: StoredValue<UploadControl, LocalStorage>,
    /// Lets the queue go on to the next file (when this one ends or is paused).
    release: StoredValue<Release, LocalStorage>,
    file: StoredValue<web_sys::File, LocalStorage>,
}

type Release = Rc<RefCell<Option<oneshot::Sender<()>>>>;

impl UploadItem {
    /// Lets the queue go on; once per file (later calls do nothing).
    fn release_queue(&self) {
        if let Some(tx) = self.release.get_value().borrow_mut().take() {
            let _ = tx.send(());
        }
    }
}

/// The user's answer when a name is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Conflict {
    Replace,
    KeepBoth,
    Skip,
}

type Ask = (String, Rc<RefCell<Option<oneshot::Sender<Conflict>>>>);

#[derive(Clone, Copy)]
pub struct Uploads {
    session: StoredValue<Rc<Session>, LocalStorage>,
    items: RwSignal<Vec<UploadItem>, LocalStorage>,
    running: StoredValue<bool>,
    next_id: StoredValue<u64>,
    asking: RwSignal<Option<Ask>, LocalStorage>,
    on_done: Callback<()>,
}

impl Uploads {
    pub fn new(session: Rc<Session>, on_done: Callback<()>) -> Uploads {
        Uploads {
            session: StoredValue::new_local(session),
            items: RwSignal::new_local(Vec::new()),
            running: StoredValue::new(false),
            next_id: StoredValue::new(0),
            asking: RwSignal::new_local(None),
            on_done,
        }
    }

    /// Queues files (with their paths below the pick or drop point) for `prefix`.
    pub fn add(&self, picked: Vec<PickedFile>, prefix: String) {
        let mut added = Vec::new();
        for (file, path) in picked {
            let id = self.next_id.get_value();
            self.next_id.set_value(id + 1);
            added.push(UploadItem {
                id,
                key: format!("{prefix}{path}"),
                path,
                size: file.size() as u64,
                sent: RwSignal::new(0),
                state: RwSignal::new(UploadState::Waiting),
                sending: RwSignal::new(false),
                control: StoredValue::new_local(UploadControl::new()),
                release: StoredValue::new_local(Rc::new(RefCell::new(None))),
                file: StoredValue::new_local(file),
            });
        }
        self.items.update(|items| items.extend(added));
        self.run();
    }

    /// Works through the queue, one file at a time (a big file is itself uploaded
    /// several parts at once); a paused file lets the queue go on.
    fn run(&self) {
        if self.running.get_value() {
            return;
        }
        self.running.set_value(true);
        let this = *self;
        leptos::task::spawn_local(async move {
            loop {
                let next = this.items.with_untracked(|items| {
                    items
                        .iter()
                        .find(|i| i.state.get_untracked() == UploadState::Waiting)
                        .cloned()
                });
                let Some(item) = next else { break };
                let (released, until_released) = oneshot::channel();
                *item.release.get_value().borrow_mut() = Some(released);
                leptos::task::spawn_local(async move {
                    this.upload_one(item.clone()).await;
                    item.release_queue();
                    // A file resumed after the queue ran dry refreshes the folder.
                    if !this.running.get_value() {
                        this.on_done.run(());
                    }
                });
                let _ = until_released.await;
            }
            this.running.set_value(false);
            this.on_done.run(());
        });
    }

    async fn upload_one(&self, item: UploadItem) {
        let session = self.session.get_value();
        item.state.set(UploadState::Uploading);
        let mut key = item.key.clone();
        let mut overwrite = false;
        match files::exists(&session, &key).await {
            Ok(true) => match self.ask(&item.path).await {
                Conflict::Replace => overwrite = true,
                Conflict::KeepBoth => key = self.free_key(&session, &key).await,
                Conflict::Skip => {
                    item.state.set(UploadState::Skipped);
                    return;
                }
            },
            Ok(false) => {}
            Err(e) => {
                item.state.set(UploadState::Failed(
                    e.user_message(&format!("upload {}", item.path)),
                ));
                return;
            }
        }
        let file = item.file.get_value();
        let content_type = Some(file.type_()).filter(|t| !t.is_empty());
        let resume_id =
            transfers::resume_id(&key, &file.name(), item.size, file.last_modified() as u64);
        let source = BlobSource(file.into());
        let sent = item.sent;
        let control = item.control.get_value();
        item.sending.set(true);
        let result = transfers::upload(
            &session,
            &source,
            &key,
            content_type.as_deref(),
            UploadOptions {
                overwrite,
                resume: Some(transfers::Resume {
                    store: &crate::app::UploadRecords,
                    id: resume_id,
                }),
                parts_in_flight: session.config.upload_parts_in_flight,
            },
            Rc::new(move |bytes| sent.set(bytes)),
            &control,
        )
        .await;
        item.sending.set(false);
        item.state.set(match result {
            Ok(()) => {
                item.sent.set(item.size);
                UploadState::Done
            }
            Err(UploadError::Cancelled) => UploadState::Cancelled,
            Err(e) => UploadState::Failed(e.user_message(&item.path)),
        });
    }

    /// A "name (n).ext" key that does not exist yet.
    async fn free_key(&self, session: &Session, key: &str) -> String {
        let (dir, name) = key
            .rsplit_once('/')
            .map(|(d, n)| (format!("{d}/"), n))
            .unwrap_or_default();
        let mut taken = HashSet::new();
        loop {
            let candidate = listing::keep_both_name(name, |n| taken.contains(n));
            match files::exists(session, &format!("{dir}{candidate}")).await {
                Ok(true) => {
                    taken.insert(candidate);
                }
                _ => return format!("{dir}{candidate}"),
            }
        }
    }

    async fn ask(&self, path: &str) -> Conflict {
        let (tx, rx) = oneshot::channel();
        self.asking
            .set(Some((path.to_string(), Rc::new(RefCell::new(Some(tx))))));
        let answer = rx.await.unwrap_or(Conflict::Skip);
        self.asking.set(None);
        answer
    }
}

#[component]
pub fn UploadPanel(uploads: Uploads) -> impl IntoView {
    let totals = move || {
        uploads.items.with(|items| {
            let live: Vec<&UploadItem> = items
                .iter()
                .filter(|i| !matches!(i.state.get(), UploadState::Skipped | UploadState::Cancelled))
                .collect();
            let total: u64 = live.iter().map(|i| i.size).sum();
            let sent: u64 = live.iter().map(|i| i.sent.get().min(i.size)).sum();
            (sent, total)
        })
    };
    let answer = move |choice: Conflict| {
        if let Some((_, tx)) = uploads.asking.get_untracked() {
            if let Some(tx) = tx.borrow_mut().take() {
                let _ = tx.send(choice);
            }
        }
    };
    view! {
        {move || (!uploads.items.with(Vec::is_empty)).then(|| view! {
            <section class="uploads panel" aria-label="Uploads">
                <div class="uploads-head">
                    <h2>"Uploads"</h2>
                    <progress class="overall" aria-label="All uploads"
                        max=move || totals().1.max(1).to_string() value=move || totals().0.to_string()></progress>
                    <button class="button small" on:click=move |_| uploads.items.update(|items| {
                        items.retain(|i| matches!(i.state.get_untracked(), UploadState::Waiting | UploadState::Uploading | UploadState::Paused))
                    })>"Clear finished"</button>
                </div>
                <ul class="upload-list">
                    <For each=move || uploads.items.get() key=|i| i.id let:item>
                        <UploadRow item=item />
                    </For>
                </ul>
            </section>
        })}
        {move || uploads.asking.get().map(|(path, _)| view! {
            <Modal title="A file with this name exists".to_string() on_close=Callback::new(move |_| answer(Conflict::Skip))>
                <p><strong>{path}</strong>" already exists in this folder."</p>
                <div class="dialog-actions">
                    <button class="button" on:click=move |_| answer(Conflict::Skip)>"Skip"</button>
                    <button class="button" id="keep-both" on:click=move |_| answer(Conflict::KeepBoth)>"Keep both"</button>
                    <button class="button danger" id="replace" on:click=move |_| answer(Conflict::Replace)>"Replace"</button>
                </div>
            </Modal>
        })}
    }
}

#[component]
fn UploadRow(item: UploadItem) -> impl IntoView {
    let state = item.state;
    let sent = item.sent;
    let size = item.size;
    let label = item.path.clone();
    let status = move || match state.get() {
        UploadState::Waiting => "Waiting".to_string(),
        UploadState::Uploading => "Uploading".to_string(),
        // What S3 confirmed: bytes of parts cut off by the pause go again.
        UploadState::Paused => {
            sent.track();
            format!(
                "Paused — {} of {} sent",
                listing::format_size(item.control.get_value().bytes_stored().min(size)),
                listing::format_size(size)
            )
        }
        UploadState::Done => "Done".to_string(),
        UploadState::Failed(m) => m,
        UploadState::Cancelled => "Cancelled".to_string(),
        UploadState::Skipped => "Skipped".to_string(),
    };
    let class = move || match state.get() {
        UploadState::Done => "upload done",
        UploadState::Failed(_) => "upload failed",
        UploadState::Paused => "upload paused",
        _ => "upload",
    };
    // One button that toggles, so keyboard focus stays on it across pause/resume.
    let pausable = Memo::new(move |_| match state.get() {
        UploadState::Uploading => item.sending.get(),
        UploadState::Paused => true,
        _ => false,
    });
    let paused = move || state.get() == UploadState::Paused;
    let toggle = {
        let item = item.clone();
        move |_| {
            let control = item.control.get_value();
            if state.get_untracked() == UploadState::Paused {
                control.resume();
                state.set(UploadState::Uploading);
            } else {
                control.pause();
                state.set(UploadState::Paused);
                item.release_queue();
            }
        }
    };
    let control = item.control;
    let cancel = move |_| {
        control.get_value().cancel();
        if state.get_untracked() == UploadState::Waiting {
            state.set(UploadState::Cancelled);
        }
    };
    let pause_label = {
        let label = label.clone();
        move || {
            if paused() {
                format!("Resume upload of {label}")
            } else {
                format!("Pause upload of {label}")
            }
        }
    };
    let cancel_label = format!("Cancel upload of {label}");
    view! {
        <li class=class data-state=move || state.with(UploadState::name)>
            <span class="upload-name">{label.clone()}</span>
            <progress aria-label=format!("Upload of {label}") max=size.max(1).to_string()
                value=move || sent.get().to_string()></progress>
            <span class="upload-status" role="status">{status}</span>
            {move || pausable.get().then(|| {
                let toggle = toggle.clone();
                let pause_label = pause_label.clone();
                view! {
                    <button class="button small pause-toggle" aria-label=pause_label on:click=toggle>
                        {move || if paused() { "Resume" } else { "Pause" }}
                    </button>
                }
            })}
            {move || matches!(state.get(), UploadState::Waiting | UploadState::Uploading | UploadState::Paused).then(|| {
                view! {
                    <button class="button small" aria-label=cancel_label.clone() on:click=cancel>"Cancel"</button>
                }
            })}
        </li>
    }
}
