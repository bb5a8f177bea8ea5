//! The upload queue: the files the user picked or dropped, uploaded one at a time
//! (a big file is itself sent several parts at once), with "replace or keep both"
//! when a name is taken and pause, resume and cancel per file.
//!
//! A paused file does not hold up the queue: the queue moves on to the next file,
//! and a resumed one continues at once, alongside the file the queue is on (a user
//! who pauses one file still wants the rest sent).
//!
//! A lost connection does not fail a file: its calls wait for the connection
//! (`cubby_core::retry`'s one policy) and the file says so
//! ([`UploadView::set_waiting`]), then goes on by itself. A file that failed for
//! good can be tried again ([`UploadQueue::retry`], [`UploadQueue::retry_all`]);
//! picking a file again for the key of a failed one takes that row's place.
//!
//! The page renders; the queue decides. Each file's state reaches the page through
//! the [`UploadView`] the page gives it.

use super::{
    resume_id, upload, ByteSource, KeptFile, Resume, ResumeNotice, ResumeStore, Steer,
    UploadControl, UploadError, UploadOptions,
};
use crate::model::files;
use crate::model::listing;
use crate::model::session::{CallError, Session};
use crate::model::transport::{LocalFuture, SendOptions};
use crate::model::undo;
use futures::channel::oneshot;
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

/// Where one file of the queue is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadState {
    Waiting,
    Uploading,
    Paused,
    Done,
    /// The message for the user.
    Failed(String),
    Cancelled,
    Skipped,
}

impl UploadState {
    /// A name for the state (the page's `data-state`, which styles and tests
    /// select on).
    pub fn name(&self) -> &'static str {
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

    /// Not over yet: waiting, uploading or paused.
    pub fn is_live(&self) -> bool {
        matches!(
            self,
            UploadState::Waiting | UploadState::Uploading | UploadState::Paused
        )
    }
}

/// The user's answer when a name is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflict {
    Replace,
    KeepBoth,
    Skip,
}

/// What the user is asked when a name is taken: both files, to tell them apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConflictQuestion {
    /// The path below the folder (as the queue shows it).
    pub path: String,
    /// The stored object's size (bytes) and last change (epoch seconds).
    pub stored_size: u64,
    pub stored_modified: Option<u64>,
    /// The picked file's size (bytes) and last change (epoch milliseconds, as
    /// the browser gives it).
    pub new_size: u64,
    pub new_modified: u64,
    /// Other files of the queue are still to go: "apply to all" means something.
    pub more_to_come: bool,
}

/// The user's answer, and whether it holds for every later conflict of this
/// run of the queue (until it runs dry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConflictAnswer {
    pub choice: Conflict,
    pub for_all: bool,
}

impl From<Conflict> for ConflictAnswer {
    fn from(choice: Conflict) -> ConflictAnswer {
        ConflictAnswer {
            choice,
            for_all: false,
        }
    }
}

/// A picked file as the queue needs it.
pub struct QueuedFile {
    pub source: Rc<dyn ByteSource>,
    /// The file's own name and modification time (epoch milliseconds): with the
    /// key and size they identify its resume record.
    pub name: String,
    pub last_modified: u64,
    /// The file's handle, where the browser can keep it: a multipart upload then
    /// resumes after a restart without a new pick.
    pub kept: Option<Rc<dyn KeptFile>>,
}

/// Where the queue puts one file's state for the page to show (signals in the
/// app, cells in tests).
pub trait UploadView {
    fn state(&self) -> UploadState;
    fn set_state(&self, state: UploadState);
    /// Bytes sent so far (never less than before).
    fn set_sent(&self, bytes: u64);
    /// Whether bytes are being sent (after the name check): pause applies then.
    fn set_sending(&self, sending: bool);
    /// Whether the file waits for a lost connection (it goes on by itself).
    fn set_waiting(&self, waiting: bool);
    /// A line about the file besides its state (it changed since its upload began
    /// and is sent afresh); none by default.
    fn set_note(&self, _note: String) {}
}

/// What the queue needs from the page besides views.
pub struct QueueHooks {
    /// Runs a task in the background (the page's `spawn_local`).
    pub spawn: fn(LocalFuture<'static, ()>),
    /// Asks the user what to do: a file's name is taken.
    pub ask: Rc<dyn Fn(ConflictQuestion) -> LocalFuture<'static, ConflictAnswer>>,
    /// Hears that the queue ran dry, or that a file resumed after it had ended
    /// (the folder is worth listing again).
    pub on_done: Rc<dyn Fn()>,
    /// Hears a message for the page about a file's upload that is not its
    /// state (its resume record could not be stored, or not be used).
    pub notice: Rc<dyn Fn(String)>,
    /// Hears that a file replaced the one stored under its name: the notice
    /// to show and what Undo would restore ([`undo`]).
    pub replaced: Rc<dyn Fn(String, Option<undo::Offer>)>,
}

/// One file in the queue.
pub struct QueuedUpload {
    /// Unique within its queue.
    pub id: u64,
    /// The path below the folder it was queued for (a dropped folder keeps its
    /// structure).
    pub path: String,
    pub key: String,
    pub size: u64,
    file: QueuedFile,
    control: UploadControl,
    view: Rc<dyn UploadView>,
    /// Lets the queue go on to the next file (when this one ends or is paused).
    release: RefCell<Option<oneshot::Sender<()>>>,
}

impl QueuedUpload {
    /// Bytes S3 has confirmed (what a paused upload has really sent).
    pub fn bytes_stored(&self) -> u64 {
        self.control.bytes_stored().min(self.size)
    }

    /// Stops sending (requests in flight are cut off); the queue goes on to the
    /// next file. The row shows what S3 holds: the parts cut off go again.
    pub fn pause(&self) {
        self.control.pause();
        self.view.set_sent(self.bytes_stored());
        self.view.set_state(UploadState::Paused);
        self.release_queue();
    }

    /// Goes on after a pause, alongside whatever the queue is sending.
    pub fn resume(&self) {
        self.control.resume();
        self.view.set_state(UploadState::Uploading);
    }

    /// Stops for good (a file not started yet is simply not sent).
    pub fn cancel(&self) {
        self.control.cancel();
        if self.view.state() == UploadState::Waiting {
            self.view.set_state(UploadState::Cancelled);
        }
    }

    /// Lets the queue go on; once per file (later calls do nothing).
    fn release_queue(&self) {
        if let Some(tx) = self.release.borrow_mut().take() {
            let _ = tx.send(());
        }
    }
}

/// The queue of one folder view.
pub struct UploadQueue {
    session: Rc<Session>,
    store: Rc<dyn ResumeStore>,
    hooks: QueueHooks,
    items: RefCell<Vec<Rc<QueuedUpload>>>,
    running: Cell<bool>,
    next_id: Cell<u64>,
    /// An answer to name conflicts the user gave for all of this run.
    conflict_for_all: Cell<Option<Conflict>>,
}

impl UploadQueue {
    /// A queue uploading through `session`, remembering multipart uploads in
    /// `store`.
    pub fn new(session: Rc<Session>, store: Rc<dyn ResumeStore>, hooks: QueueHooks) -> Rc<Self> {
        Rc::new(UploadQueue {
            session,
            store,
            hooks,
            items: RefCell::new(Vec::new()),
            running: Cell::new(false),
            next_id: Cell::new(0),
            conflict_for_all: Cell::new(None),
        })
    }

    /// Queues `file` for `key` (`path` names it for the user), shown through
    /// `view`. A file of the queue that failed for `key` gives up its place:
    /// this one is the next try (the page drops rows no longer in
    /// [`UploadQueue::items`]). [`UploadQueue::start`] sends what is queued.
    pub fn add(
        &self,
        file: QueuedFile,
        path: String,
        key: String,
        view: Rc<dyn UploadView>,
    ) -> Rc<QueuedUpload> {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let control = UploadControl::new();
        let shown = view.clone();
        control.on_waiting(Rc::new(move |waiting| shown.set_waiting(waiting)));
        let item = Rc::new(QueuedUpload {
            id,
            path,
            key,
            size: file.source.size(),
            file,
            control,
            view,
            release: RefCell::new(None),
        });
        let mut items = self.items.borrow_mut();
        items.retain(|i| !(i.key == item.key && matches!(i.view.state(), UploadState::Failed(_))));
        items.push(item.clone());
        item
    }

    /// Sends a file that failed again, from what S3 holds of it (a file not
    /// failed is left alone).
    pub fn retry(self: &Rc<Self>, id: u64) {
        let item = self.items.borrow().iter().find(|i| i.id == id).cloned();
        if let Some(item) = item.filter(|i| matches!(i.view.state(), UploadState::Failed(_))) {
            item.view.set_state(UploadState::Waiting);
            self.start();
        }
    }

    /// Sends every file that failed again.
    pub fn retry_all(self: &Rc<Self>) {
        for item in self.items.borrow().iter() {
            if matches!(item.view.state(), UploadState::Failed(_)) {
                item.view.set_state(UploadState::Waiting);
            }
        }
        self.start();
    }

    /// The files in the queue, in order.
    pub fn items(&self) -> Vec<Rc<QueuedUpload>> {
        self.items.borrow().clone()
    }

    /// Drops the files that are over (done, failed, cancelled, skipped).
    pub fn clear_finished(&self) {
        self.items.borrow_mut().retain(|i| i.view.state().is_live());
    }

    /// Works through the queue, one file at a time, unless it already is; a
    /// paused file lets the queue go on.
    pub fn start(self: &Rc<Self>) {
        if self.running.replace(true) {
            return;
        }
        let this = self.clone();
        (self.hooks.spawn)(Box::pin(async move {
            loop {
                let next = this
                    .items
                    .borrow()
                    .iter()
                    .find(|i| i.view.state() == UploadState::Waiting)
                    .cloned();
                let Some(item) = next else { break };
                let (released, until_released) = oneshot::channel();
                *item.release.borrow_mut() = Some(released);
                let queue = this.clone();
                (this.hooks.spawn)(Box::pin(async move {
                    queue.upload_one(&item).await;
                    item.release_queue();
                    // A file resumed after the queue ran dry refreshes the folder.
                    if !queue.running.get() {
                        (queue.hooks.on_done)();
                    }
                }));
                let _ = until_released.await;
            }
            this.running.set(false);
            this.conflict_for_all.set(None);
            (this.hooks.on_done)();
        }));
    }

    async fn upload_one(&self, item: &QueuedUpload) {
        let session = &self.session;
        let view = &item.view;
        view.set_state(UploadState::Uploading);
        // A key S3 would refuse is refused here, before any request.
        if let Err(too_long) = cubby_core::s3::check_key_length(&item.key) {
            view.set_state(UploadState::Failed(
                CallError::KeyTooLong(too_long).user_message(&format!("upload {}", item.path)),
            ));
            return;
        }
        let mut key = item.key.clone();
        let mut overwrite = false;
        let wait = || item.control.send_options(None);
        match files::existing(session, &key, wait()).await {
            Ok(Some(stored)) => match self.conflict(item, &stored).await {
                Conflict::Replace => overwrite = true,
                Conflict::KeepBoth => key = free_key(session, &key, wait).await,
                Conflict::Skip => {
                    view.set_state(UploadState::Skipped);
                    return;
                }
            },
            Ok(None) => {}
            Err(e) => {
                view.set_state(UploadState::Failed(e.user_message(&format!(
                    "upload {}",
                    crate::model::text::shown_name(&item.path)
                ))));
                return;
            }
        }
        let file = &item.file;
        let notify = |notice: ResumeNotice| {
            let message = notice.user_message(&item.path);
            match notice {
                // About this file alone: said in its row.
                ResumeNotice::FileChanged => view.set_note(message),
                _ => (self.hooks.notice)(message),
            }
        };
        let resume = Resume {
            store: self.store.as_ref(),
            id: resume_id(&key, &file.name, item.size, file.last_modified),
            notify: &notify,
            kept: file.kept.as_deref(),
        };
        // What Undo restores: the version the file replaces.
        let recording = match overwrite {
            true => undo::Recording::start(session, "upload", vec![key.clone()])
                .await
                .ok(),
            false => None,
        };
        let shown = item.view.clone();
        let control = item.control.clone();
        view.set_sending(true);
        let result = upload(
            session,
            file.source.as_ref(),
            &key,
            UploadOptions {
                overwrite,
                resume: Some(resume),
                parts_in_flight: session.config.upload_parts_in_flight,
            },
            // While paused the row keeps what S3 holds (the parts cut off report
            // their drop one by one).
            Rc::new(move |bytes| {
                if control.steer() == Steer::Run {
                    shown.set_sent(bytes);
                }
            }),
            &item.control,
        )
        .await;
        view.set_sending(false);
        if let (Ok(()), Some(recording)) = (&result, recording) {
            let offer = recording.finish(session).await.ok().flatten();
            let name = crate::model::text::shown_name(&item.path);
            (self.hooks.replaced)(format!("{name} replaced."), offer);
        }
        view.set_state(match result {
            Ok(()) => {
                view.set_sent(item.size);
                UploadState::Done
            }
            Err(UploadError::Cancelled) => UploadState::Cancelled,
            Err(e) => {
                // The bar shows what S3 really holds of a failed file.
                view.set_sent(item.bytes_stored());
                UploadState::Failed(e.user_message(&item.path))
            }
        });
    }

    /// The user's choice for `item`, whose name `stored` takes (or the one given
    /// for all of this run).
    async fn conflict(
        &self,
        item: &QueuedUpload,
        stored: &cubby_core::s3::ObjectSummary,
    ) -> Conflict {
        if let Some(choice) = self.conflict_for_all.get() {
            return choice;
        }
        let more_to_come = self
            .items
            .borrow()
            .iter()
            .any(|i| i.id != item.id && i.view.state() == UploadState::Waiting);
        let answer = (self.hooks.ask)(ConflictQuestion {
            path: item.path.clone(),
            stored_size: stored.size,
            stored_modified: stored.last_modified,
            new_size: item.size,
            new_modified: item.file.last_modified,
            more_to_come,
        })
        .await;
        if answer.for_all {
            self.conflict_for_all.set(Some(answer.choice));
        }
        answer.choice
    }
}

/// A "name (n).ext" key next to `key` that does not exist yet (`options` for
/// each check).
async fn free_key(session: &Session, key: &str, options: impl Fn() -> SendOptions) -> String {
    let (dir, name) = key
        .rsplit_once('/')
        .map(|(d, n)| (format!("{d}/"), n))
        .unwrap_or_default();
    let mut taken = HashSet::new();
    loop {
        let candidate = listing::keep_both_name(name, |n| taken.contains(n));
        match files::existing(session, &format!("{dir}{candidate}"), options()).await {
            Ok(Some(_)) => {
                taken.insert(candidate);
            }
            _ => return format!("{dir}{candidate}"),
        }
    }
}
