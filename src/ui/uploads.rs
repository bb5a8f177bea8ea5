//! The upload queue's panel: one row per file with its own progress bar, an
//! overall bar, pause/resume and cancel, and the "replace or keep both" question
//! when a name is taken. The queue itself (what goes next, conflicts, pause and
//! cancel) is `model::transfers::queue`; this renders it and passes clicks on.

use crate::app::browser::{BlobSource, PickedFile};
use crate::model::listing;
use crate::model::session::Session;
use crate::model::text;
use crate::model::transfers::queue::{
    Conflict, QueueHooks, QueuedFile, QueuedUpload, UploadQueue, UploadState, UploadView,
};
use crate::model::transfers::ResumeStore;
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
}

#[derive(Clone)]
pub struct UploadItem {
    id: u64,
    row: RowSignals,
    upload: StoredValue<Rc<QueuedUpload>, LocalStorage>,
}

type Ask = (String, Rc<RefCell<Option<oneshot::Sender<Conflict>>>>);

#[derive(Clone, Copy)]
pub struct Uploads {
    queue: StoredValue<Rc<UploadQueue>, LocalStorage>,
    items: RwSignal<Vec<UploadItem>, LocalStorage>,
    asking: RwSignal<Option<Ask>, LocalStorage>,
}

impl Uploads {
    /// The queue of one folder view: `on_done` hears that it ran dry, `notice`
    /// a message for the page.
    pub fn new(session: Rc<Session>, on_done: Callback<()>, notice: Callback<String>) -> Uploads {
        let asking: RwSignal<Option<Ask>, LocalStorage> = RwSignal::new_local(None);
        let hooks = QueueHooks {
            spawn: |task| leptos::task::spawn_local(task),
            ask: Rc::new(move |path| {
                let (tx, rx) = oneshot::channel();
                asking.set(Some((path, Rc::new(RefCell::new(Some(tx))))));
                Box::pin(async move {
                    let answer = rx.await.unwrap_or(Conflict::Skip);
                    asking.set(None);
                    answer
                })
            }),
            on_done: Rc::new(move || on_done.run(())),
            notice: Rc::new(move |message| notice.run(message)),
        };
        let store: Rc<dyn ResumeStore> = Rc::new(crate::app::UploadRecords);
        Uploads {
            queue: StoredValue::new_local(UploadQueue::new(session, store, hooks)),
            items: RwSignal::new_local(Vec::new()),
            asking,
        }
    }

    /// Queues files (with their paths below the pick or drop point) for `prefix`.
    pub fn add(&self, picked: Vec<PickedFile>, prefix: String) {
        let queue = self.queue.get_value();
        let added: Vec<UploadItem> = picked
            .into_iter()
            .map(|(file, path)| {
                let row = RowSignals {
                    sent: RwSignal::new(0),
                    state: RwSignal::new(UploadState::Waiting),
                    sending: RwSignal::new(false),
                };
                let queued = QueuedFile {
                    name: file.name(),
                    last_modified: file.last_modified() as u64,
                    source: Rc::new(BlobSource(file.into())),
                };
                let key = format!("{prefix}{path}");
                let upload = queue.add(queued, path, key, Rc::new(row));
                UploadItem {
                    id: upload.id,
                    row,
                    upload: StoredValue::new_local(upload),
                }
            })
            .collect();
        self.items.update(|items| items.extend(added));
        queue.start();
    }

    fn clear_finished(&self) {
        self.queue.get_value().clear_finished();
        self.items
            .update(|items| items.retain(|i| i.row.state.get_untracked().is_live()));
    }
}

#[component]
pub fn UploadPanel(uploads: Uploads) -> impl IntoView {
    let totals = move || {
        uploads.items.with(|items| {
            let live: Vec<(u64, u64)> = items
                .iter()
                .filter(|i| {
                    !matches!(
                        i.row.state.get(),
                        UploadState::Skipped | UploadState::Cancelled
                    )
                })
                .map(|i| (i.upload.with_value(|u| u.size), i.row.sent.get()))
                .collect();
            let total: u64 = live.iter().map(|(size, _)| size).sum();
            let sent: u64 = live.iter().map(|(size, sent)| (*sent).min(*size)).sum();
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
                    <button class="button small" on:click=move |_| uploads.clear_finished()>"Clear finished"</button>
                </div>
                // Focusable: a keyboard scrolls a long queue whose rows have no buttons left.
                <ul class="upload-list" tabindex="0" aria-label="Files">
                    <For each=move || uploads.items.get() key=|i| i.id let:item>
                        <UploadRow item=item />
                    </For>
                </ul>
            </section>
        })}
        {move || uploads.asking.get().map(|(path, _)| view! {
            <Modal title="A file with this name exists".to_string() on_close=Callback::new(move |_| answer(Conflict::Skip))>
                <p><strong class="shown-name">{text::shown_name(&path)}</strong>" already exists in this folder."</p>
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
    let RowSignals {
        sent,
        state,
        sending,
    } = item.row;
    let upload = item.upload;
    let size = upload.with_value(|u| u.size);
    let label = upload.with_value(|u| text::shown_name(&u.path));
    let status = move || match state.get() {
        UploadState::Waiting => "Waiting".to_string(),
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
    view! {
        <li class=class data-state=move || state.with(UploadState::name)>
            <span class="upload-name" title=label.clone()>{label.clone()}</span>
            <progress aria-label=format!("Upload of {label}") max=size.max(1).to_string()
                value=move || sent.get().to_string()></progress>
            <span class="upload-status" role="status">{move || message_view(status())}</span>
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
        </li>
    }
}
