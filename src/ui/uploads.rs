//! The upload queue's panel: one row per file with its own progress bar, an
//! overall bar with the queue's summary ("3 of 25 done", bytes, percentage,
//! speed, time left), pause/resume, cancel and retry, "Retry all", and the
//! "replace or keep both" question (with both files' size and date, and "apply
//! to all") when a name is taken. The panel collapses to its summary line. The
//! queue itself (what goes next, conflicts, pause, cancel, retry, waiting for
//! the connection) is `model::transfers::queue`; this renders it and passes
//! clicks on.

use crate::app::browser::{
    self, format_local, now_millis, BlobSource, FileHandle, Permission, PickedFile,
};
use crate::model::listing;
use crate::model::session::Session;
use crate::model::text;
use crate::model::transfers::kept::{self, KeptUpload};
use crate::model::transfers::queue::{
    Conflict, ConflictAnswer, ConflictQuestion, QueueHooks, QueuedFile, QueuedUpload, UploadQueue,
    UploadState, UploadView,
};
use crate::model::transfers::summary::{FileProgress, QueueSummary, SpeedMeter};
use crate::model::transfers::{KeptFile, ResumeNotice, ResumeStore};
use crate::model::undo::Offer;
use crate::ui::dialog::Modal;
use crate::ui::message::message_view;
use futures::channel::oneshot;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

/// One file's state as the page shows it: the queue writes, the row reads.
#[derive(Clone, Copy)]
struct RowSignals {
    sent: RwSignal<u64>,
    state: RwSignal<UploadState>,
    sending: RwSignal<bool>,
    waiting: RwSignal<bool>,
    /// A line besides the state (the file changed and is sent afresh).
    note: RwSignal<Option<String>>,
}

impl UploadView for RowSignals {
    fn state(&self) -> UploadState {
        self.state.get_untracked()
    }

    fn set_state(&self, state: UploadState) {
        self.state.set(state);
    }

    fn set_sent(&self, bytes: u64) {
        self.sent.set(bytes);
    }

    fn set_sending(&self, sending: bool) {
        self.sending.set(sending);
    }

    fn set_waiting(&self, waiting: bool) {
        self.waiting.set(waiting);
    }

    fn set_note(&self, note: String) {
        self.note.set(Some(note));
    }
}

#[derive(Clone)]
pub struct UploadItem {
    id: u64,
    row: RowSignals,
    upload: StoredValue<Rc<QueuedUpload>, LocalStorage>,
}

type Ask = (
    ConflictQuestion,
    Rc<RefCell<Option<oneshot::Sender<ConflictAnswer>>>>,
);

#[derive(Clone, Copy)]
pub struct Uploads {
    queue: StoredValue<Rc<UploadQueue>, LocalStorage>,
    items: RwSignal<Vec<UploadItem>, LocalStorage>,
    asking: RwSignal<Option<Ask>, LocalStorage>,
    /// The panel shows only its summary line.
    collapsed: RwSignal<bool>,
    speed: StoredValue<SpeedMeter, LocalStorage>,
    session: StoredValue<Rc<Session>, LocalStorage>,
    /// Kept uploads whose files the browser lets the app read only once the user
    /// says so: "Resume N uploads".
    to_ask: RwSignal<Vec<(KeptUpload, FileHandle)>, LocalStorage>,
}

impl Uploads {
    /// The queue of one folder view: `on_done` hears that it ran dry, `notice`
    /// a message for the page, `replaced` that a file replaced one (the notice
    /// and what Undo restores).
    pub fn new(
        session: Rc<Session>,
        on_done: Callback<()>,
        notice: Callback<String>,
        replaced: Callback<(String, Option<Offer>)>,
    ) -> Uploads {
        let asking: RwSignal<Option<Ask>, LocalStorage> = RwSignal::new_local(None);
        let hooks = QueueHooks {
            spawn: |task| leptos::task::spawn_local(task),
            ask: Rc::new(move |question| {
                let (tx, rx) = oneshot::channel();
                asking.set(Some((question, Rc::new(RefCell::new(Some(tx))))));
                Box::pin(async move {
                    let answer = rx.await.unwrap_or(Conflict::Skip.into());
                    asking.set(None);
                    answer
                })
            }),
            on_done: Rc::new(move || on_done.run(())),
            notice: Rc::new(move |message| notice.run(message)),
            replaced: Rc::new(move |message, offer| replaced.run((message, offer))),
        };
        let store: Rc<dyn ResumeStore> = Rc::new(crate::app::UploadRecords);
        let uploads = Uploads {
            queue: StoredValue::new_local(UploadQueue::new(session.clone(), store, hooks)),
            items: RwSignal::new_local(Vec::new()),
            asking,
            collapsed: RwSignal::new(false),
            speed: StoredValue::new_local(SpeedMeter::default()),
            session: StoredValue::new_local(session),
            to_ask: RwSignal::new_local(Vec::new()),
        };
        leptos::task::spawn_local(uploads.pick_up_kept());
        uploads
    }

    /// Queues files (with their paths below the pick or drop point) for `prefix`.
    pub fn add(&self, picked: Vec<PickedFile>, prefix: String) {
        self.add_files(picked.into_iter().map(|p| (p, None)).collect(), prefix);
    }

    /// As [`Uploads::add`], with the files' handles where the browser gave them
    /// (their uploads then resume after a restart without a new pick).
    pub fn add_files(&self, picked: Vec<(PickedFile, Option<FileHandle>)>, prefix: String) {
        let added = picked
            .into_iter()
            .map(|((file, path), handle)| {
                let key = format!("{prefix}{path}");
                self.queue_file(file, handle, path, key)
            })
            .collect();
        self.show(added);
    }

    /// Queues one file for `key` (shown as `path`); its row.
    fn queue_file(
        &self,
        file: web_sys::File,
        handle: Option<FileHandle>,
        path: String,
        key: String,
    ) -> UploadItem {
        let row = RowSignals {
            sent: RwSignal::new(0),
            state: RwSignal::new(UploadState::Waiting),
            sending: RwSignal::new(false),
            waiting: RwSignal::new(false),
            note: RwSignal::new(None),
        };
        let queued = QueuedFile {
            name: file.name(),
            last_modified: file.last_modified() as u64,
            source: Rc::new(BlobSource(file.into())),
            kept: handle.map(|h| Rc::new(h) as Rc<dyn KeptFile>),
        };
        let upload = self.queue.get_value().add(queued, path, key, Rc::new(row));
        UploadItem {
            id: upload.id,
            row,
            upload: StoredValue::new_local(upload),
        }
    }

    /// Shows rows just queued and starts the queue.
    fn show(&self, added: Vec<UploadItem>) {
        let queue = self.queue.get_value();
        // A failed file picked again took its row's place in the queue.
        let kept: Vec<u64> = queue.items().iter().map(|u| u.id).collect();
        self.items.update(|items| {
            items.retain(|i| kept.contains(&i.id));
            items.extend(added);
        });
        queue.start();
    }

    /// At start: the uploads whose files' handles the browser kept go on where
    /// they stopped, at once where the browser lets the app read the file, else
    /// after one click ("Resume N uploads"). Handles with no upload left are
    /// forgotten.
    async fn pick_up_kept(self) {
        // Elsewhere uploads resume by picking the file again.
        if !browser::can_pick_handles() {
            return;
        }
        let held = browser::kept_handles().await;
        if held.is_empty() {
            return;
        }
        let session = self.session.get_value();
        let ids: Vec<String> = held.iter().map(|(id, _)| id.clone()).collect();
        let now = (now_millis() / 1000.0) as u64;
        let store = crate::app::UploadRecords;
        let (found, forget) = kept::kept_uploads(&store, &ids, &session.root_prefix(), now);
        for id in forget {
            store.remove(&id);
        }
        let mut to_ask = Vec::new();
        for upload in found {
            let Some((_, handle)) = held.iter().find(|(id, _)| *id == upload.id) else {
                continue;
            };
            match browser::handle_permission(handle, false).await {
                Permission::Granted => self.resume_kept(upload, handle.clone()).await,
                Permission::Prompt => to_ask.push((upload, handle.clone())),
                // The user said no: the record stays for a pick of the file.
                Permission::Denied => {}
            }
        }
        self.to_ask.set(to_ask);
    }

    /// "Resume N uploads": one permission request per file (the browser may
    /// fold them into one prompt), then each goes on.
    fn resume_asked(&self) {
        let asked = self.to_ask.try_update(std::mem::take).unwrap_or_default();
        let this = *self;
        leptos::task::spawn_local(async move {
            for (upload, handle) in asked {
                if browser::handle_permission(&handle, true).await == Permission::Granted {
                    this.resume_kept(upload, handle).await;
                }
            }
        });
    }

    /// Queues a kept upload's file again. A file whose name, size or date changed
    /// has its earlier upload aborted and starts afresh, and its row says so (the
    /// bytes S3 holds are checked when the upload resumes).
    async fn resume_kept(&self, upload: KeptUpload, handle: FileHandle) {
        let Some(file) = browser::handle_file(&handle).await else {
            // Gone or unreadable: the record stays for a pick of the file.
            return;
        };
        let session = self.session.get_value();
        let path = upload.path(&session.root_prefix());
        let unchanged = upload.unchanged(
            &file.name(),
            file.size() as u64,
            file.last_modified() as u64,
        );
        if !unchanged {
            kept::restart(&session, &crate::app::UploadRecords, &upload).await;
        }
        let item = self.queue_file(file, Some(handle), path.clone(), upload.record.key);
        if !unchanged {
            item.row
                .set_note(ResumeNotice::FileChanged.user_message(&path));
        }
        self.show(vec![item]);
    }

    fn retry(&self, id: u64) {
        self.queue.get_value().retry(id);
    }

    fn retry_all(&self) {
        self.queue.get_value().retry_all();
    }

    fn clear_finished(&self) {
        self.queue.get_value().clear_finished();
        self.items
            .update(|items| items.retain(|i| i.row.state.get_untracked().is_live()));
    }
}

#[component]
pub fn UploadPanel(uploads: Uploads) -> impl IntoView {
    let summary = Memo::new(move |_| {
        uploads.items.with(|items| {
            let states: Vec<(u64, u64, UploadState, bool)> = items
                .iter()
                .map(|i| {
                    (
                        i.upload.with_value(|u| u.size),
                        i.row.sent.get(),
                        i.row.state.get(),
                        i.row.waiting.get(),
                    )
                })
                .collect();
            let sent = states.iter().map(|s| s.1.min(s.0)).sum();
            let speed = uploads.speed.try_update_value(|meter| {
                meter.sample(now_millis(), sent);
                meter.bytes_per_second()
            });
            QueueSummary::of(
                states
                    .iter()
                    .map(|(size, sent, state, waiting)| FileProgress {
                        size: *size,
                        sent: *sent,
                        state,
                        waiting: *waiting,
                    }),
                speed.flatten(),
            )
        })
    });
    let answer = move |choice: Conflict, for_all: bool| {
        if let Some((_, tx)) = uploads.asking.get_untracked() {
            if let Some(tx) = tx.borrow_mut().take() {
                let _ = tx.send(ConflictAnswer { choice, for_all });
            }
        }
    };
    let collapsed = uploads.collapsed;
    let to_ask = move || uploads.to_ask.with(Vec::len) as u64;
    view! {
        {move || (to_ask() > 0).then(|| view! {
            <p class="notice resume-kept" role="status">
                <span class="notice-text">{move || format!(
                    "{} stopped when this page closed. The browser asks once before Cubby reads {} again.",
                    text::count(to_ask(), "upload", "uploads"),
                    if to_ask() == 1 { "its file" } else { "their files" },
                )}</span>
                <button class="button small" id="resume-kept" on:click=move |_| uploads.resume_asked()>
                    {move || format!("Resume {}", text::count(to_ask(), "upload", "uploads"))}
                </button>
            </p>
        })}
        {move || (!uploads.items.with(Vec::is_empty)).then(|| view! {
            <section class="uploads panel" aria-label="Uploads" class:collapsed=move || collapsed.get()>
                <div class="uploads-head">
                    <h2>
                        <button class="uploads-toggle" aria-controls="upload-queue"
                            aria-expanded=move || (!collapsed.get()).to_string()
                            on:click=move |_| collapsed.update(|c| *c = !*c)>
                            <span class="toggle-mark" aria-hidden="true"></span>
                            "Uploads"
                        </button>
                    </h2>
                    <p class="uploads-summary">{move || summary.with(QueueSummary::line)}</p>
                    <progress class="overall" aria-label="All uploads"
                        max=move || summary.with(|s| s.size.max(1).to_string())
                        value=move || summary.with(|s| s.sent.to_string())></progress>
                    <div class="uploads-actions">
                        {move || (summary.with(|s| s.failed) > 0).then(|| view! {
                            <button class="button small" id="retry-all" on:click=move |_| uploads.retry_all()>"Retry all"</button>
                        })}
                        <button class="button small" on:click=move |_| uploads.clear_finished()>"Clear finished"</button>
                    </div>
                </div>
                // Focusable: a keyboard scrolls a long queue whose rows have no buttons left.
                <ul class="upload-list" id="upload-queue" tabindex="0" aria-label="Files"
                    hidden=move || collapsed.get()>
                    <For each=move || uploads.items.get() key=|i| i.id let:item>
                        <UploadRow item=item uploads=uploads />
                    </For>
                </ul>
            </section>
        })}
        {move || uploads.asking.get().map(|(question, _)| {
            let for_all = RwSignal::new(false);
            let choose = move |choice| answer(choice, for_all.get_untracked());
            let when = |seconds: Option<u64>| seconds.map(format_local).unwrap_or_else(|| "unknown".to_string());
            let stored = format!("{}, modified {}", listing::format_size(question.stored_size), when(question.stored_modified));
            let new = format!("{}, modified {}", listing::format_size(question.new_size), when(Some(question.new_modified / 1000)));
            view! {
                <Modal title="A file with this name exists".to_string() on_close=Callback::new(move |_| answer(Conflict::Skip, false))>
                    <p><strong class="shown-name">{text::shown_name(&question.path)}</strong>" already exists in this folder."</p>
                    <dl class="conflict-files">
                        <dt>"In the folder"</dt><dd id="conflict-stored">{stored}</dd>
                        <dt>"Your file"</dt><dd id="conflict-new">{new}</dd>
                    </dl>
                    {question.more_to_come.then(|| view! {
                        <label class="apply-to-all">
                            <input type="checkbox" id="apply-to-all"
                                on:change=move |ev| for_all.set(event_target_checked(&ev)) />
                            "Do the same for every other name that is taken"
                        </label>
                    })}
                    <div class="dialog-actions">
                        <button class="button" on:click=move |_| choose(Conflict::Skip)>"Skip"</button>
                        <button class="button" id="keep-both" on:click=move |_| choose(Conflict::KeepBoth)>"Keep both"</button>
                        <button class="button danger" id="replace" on:click=move |_| choose(Conflict::Replace)>"Replace"</button>
                    </div>
                </Modal>
            }
        })}
    }
}

#[component]
fn UploadRow(item: UploadItem, uploads: Uploads) -> impl IntoView {
    let RowSignals {
        sent,
        state,
        sending,
        waiting,
        note,
    } = item.row;
    let id = item.id;
    let upload = item.upload;
    let size = upload.with_value(|u| u.size);
    let label = upload.with_value(|u| text::shown_name(&u.path));
    let status = move || match state.get() {
        UploadState::Waiting => "Waiting".to_string(),
        // It goes on by itself when the connection is back.
        UploadState::Uploading if waiting.get() => "Waiting for connection…".to_string(),
        UploadState::Uploading => "Uploading".to_string(),
        // What S3 confirmed: bytes of parts cut off by the pause go again.
        UploadState::Paused => {
            sent.track();
            format!(
                "Paused — {} of {} sent",
                listing::format_size(upload.with_value(|u| u.bytes_stored())),
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
        UploadState::Uploading => sending.get(),
        UploadState::Paused => true,
        _ => false,
    });
    let paused = move || state.get() == UploadState::Paused;
    let toggle = move |_| {
        upload.with_value(|u| {
            if state.get_untracked() == UploadState::Paused {
                u.resume();
            } else {
                u.pause();
            }
        })
    };
    let cancel = move |_| upload.with_value(|u| u.cancel());
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
    let retry_label = format!("Retry upload of {label}");
    view! {
        <li class=class data-state=move || state.with(UploadState::name)
            data-waiting=move || (waiting.get() && state.get() == UploadState::Uploading).to_string()>
            <span class="upload-name" title=label.clone()>{label.clone()}</span>
            <progress aria-label=format!("Upload of {label}") max=size.max(1).to_string()
                value=move || sent.get().to_string()></progress>
            <span class="upload-status" role="status">{move || message_view(status())}</span>
            {move || note.get().map(|n| view! { <span class="upload-note">{n}</span> })}
            {move || pausable.get().then(|| {
                let pause_label = pause_label.clone();
                view! {
                    <button class="button small pause-toggle" aria-label=pause_label on:click=toggle>
                        {move || if paused() { "Resume" } else { "Pause" }}
                    </button>
                }
            })}
            {move || state.with(UploadState::is_live).then(|| {
                view! {
                    <button class="button small" aria-label=cancel_label.clone() on:click=cancel>"Cancel"</button>
                }
            })}
            {move || matches!(state.get(), UploadState::Failed(_)).then(|| {
                view! {
                    <button class="button small retry" aria-label=retry_label.clone()
                        on:click=move |_| uploads.retry(id)>"Retry"</button>
                }
            })}
        </li>
    }
}
