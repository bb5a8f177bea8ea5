//! The part scheduler of one multipart upload: which parts are still to send,
//! their CRC32s read a few parts ahead, the parts S3 confirmed, the first failure,
//! and the progress shown. Several senders take parts from it at once.

use super::resume::{RecordedPart, Resume, ResumeNotice, ResumeRecord};
use super::{Progress, Upload, UploadError};
use crate::model::session::CallError;
use crate::model::transport::{AbortSignal, SendOptions};
use cubby_core::s3::{self, CompletedPart, PartPlan};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

/// Schedules the parts of one multipart upload over `parts_in_flight` senders
/// and one reader of checksums. Shared by them (they run on one thread, taking
/// turns at each `await`); no borrow is held across an `await`.
pub(super) struct PartScheduler<'a> {
    upload: &'a Upload<'a>,
    plan: &'a PartPlan,
    upload_id: String,
    parts_in_flight: usize,
    /// Where the record of the upload is kept, if it is to be resumable.
    resume: Option<&'a Resume<'a>>,
    /// The record is in the store (no save has failed).
    record_kept: Cell<bool>,
    record: RefCell<ResumeRecord>,
    progress: Rc<Progress>,
    /// Parts still to send; a part whose request a pause cut off goes back in front.
    todo: RefCell<VecDeque<u32>>,
    /// Parts S3 confirmed (reused ones included).
    done: RefCell<Vec<CompletedPart>>,
    /// The first failure: it ends the upload.
    failure: RefCell<Option<UploadError>>,
    /// The CRC32 of each part read so far, by part number.
    checksums: RefCell<BTreeMap<u32, String>>,
    /// Parts taken by the senders (the reader stays at most two rounds ahead).
    parts_taken: Cell<usize>,
    /// Fired (and replaced) when a checksum is ready, a part is taken, or the
    /// upload failed.
    changed: RefCell<AbortSignal>,
}

impl<'a> PartScheduler<'a> {
    /// A scheduler for the parts of `plan` that are not among `reused` (parts S3
    /// already holds). The record is saved at once.
    pub(super) fn new(
        upload: &'a Upload<'a>,
        plan: &'a PartPlan,
        resume: Option<&'a Resume<'a>>,
        record: ResumeRecord,
        reused: Vec<CompletedPart>,
        parts_in_flight: usize,
    ) -> PartScheduler<'a> {
        let progress = Rc::new(Progress::default());
        for part in &reused {
            if let Some(range) = plan.range(part.part_number) {
                progress.part_done(part.part_number, range.end - range.start);
            }
        }
        let todo = (1..=plan.part_count())
            .filter(|n| !reused.iter().any(|p| p.part_number == *n))
            .collect();
        let scheduler = PartScheduler {
            upload,
            plan,
            upload_id: record.upload_id.clone(),
            parts_in_flight,
            resume,
            record_kept: Cell::new(resume.is_some()),
            record: RefCell::new(record),
            progress,
            todo: RefCell::new(todo),
            done: RefCell::new(reused),
            failure: RefCell::new(None),
            checksums: RefCell::new(BTreeMap::new()),
            parts_taken: Cell::new(0),
            changed: RefCell::new(AbortSignal::new()),
        };
        scheduler.remember(None);
        if let Some(resume) = resume.filter(|_| scheduler.record_kept.get()) {
            if let Some(kept) = resume.kept {
                kept.keep(&resume.id);
            }
        }
        upload.control.set_stored(scheduler.progress.confirmed());
        (upload.on_progress)(scheduler.progress.bytes());
        scheduler
    }

    /// Sends every part still to send, `parts_in_flight` at a time, until all are
    /// stored, one failed, or the upload is cancelled.
    pub(super) async fn run(&self) {
        let senders =
            futures::future::join_all((0..self.parts_in_flight).map(|_| self.send_parts()));
        // Reading stops when the sends are over (done, failed or cancelled).
        if let futures::future::Either::Left(((), senders)) =
            futures::future::select(Box::pin(self.read_ahead()), Box::pin(senders)).await
        {
            senders.await;
        }
    }

    /// The parts S3 holds (in no particular order), or the failure that ended the
    /// upload.
    pub(super) fn finish(self) -> Result<Vec<CompletedPart>, UploadError> {
        match self.failure.into_inner() {
            Some(e) => Err(e),
            None => Ok(self.done.into_inner()),
        }
    }

    /// Whether the upload's record is stored, so the upload can be picked up
    /// again after a reload.
    pub(super) fn record_kept(&self) -> bool {
        self.record_kept.get()
    }

    fn failed(&self) -> bool {
        self.failure.borrow().is_some()
    }

    /// The first failure ends the upload; everyone waiting hears of it at once.
    fn fail(&self, e: UploadError) {
        self.failure.borrow_mut().get_or_insert(e);
        self.notify();
    }

    fn notify(&self) {
        self.changed.replace(AbortSignal::new()).abort();
    }

    /// Settles at the next change (see `changed`).
    fn next_change(&self) -> impl std::future::Future<Output = ()> + 'static {
        self.changed.borrow().clone().aborted()
    }

    /// Saves the record, with `part` among its finished parts. The first save the
    /// store refuses ends the record: what is stored of it goes, the user hears
    /// once that the upload cannot resume, and no later save is tried (a record
    /// coming back later would resume what the user was told cannot).
    fn remember(&self, part: Option<&CompletedPart>) {
        let Some(resume) = self.resume.filter(|_| self.record_kept.get()) else {
            return;
        };
        let mut record = self.record.borrow_mut();
        if let Some(part) = part {
            record.parts.retain(|p| p.number != part.part_number);
            record.parts.push(RecordedPart {
                number: part.part_number,
                etag: part.etag.clone(),
                crc32: part.checksum_crc32.clone(),
            });
        }
        if !resume.store.save(&resume.id, &record.to_json()) {
            self.record_kept.set(false);
            resume.store.remove(&resume.id);
            (resume.notify)(ResumeNotice::NotStored);
        }
    }

    /// Reads the CRC32 sent with each part (S3 checks it against what arrives;
    /// kept for Complete and the stored object's composite checksum) a few parts
    /// ahead of the sends, in the order they go out, so no connection idles while
    /// its next part is read. Only the checksums are kept, not the bytes.
    async fn read_ahead(&self) {
        let order: Vec<u32> = self.todo.borrow().iter().copied().collect();
        for (index, number) in order.into_iter().enumerate() {
            loop {
                if self.failed() {
                    return;
                }
                if index < self.parts_taken.get() + 2 * self.parts_in_flight {
                    break;
                }
                self.next_change().await;
            }
            // No new part is read while paused; a cancel ends the reading.
            if let Err(e) = self.upload.control.proceed().await {
                self.fail(e);
                return;
            }
            let Some(range) = self.plan.range(number) else {
                return;
            };
            let mut crc = s3::Crc32::default();
            let read = self
                .upload
                .source
                .read_chunks(range.start, range.end, &mut |chunk| crc.update(chunk))
                .await;
            match read {
                Ok(()) => {
                    self.checksums.borrow_mut().insert(number, crc.finish());
                }
                Err(e) => {
                    self.fail(UploadError::Read(e));
                    return;
                }
            }
            self.notify();
        }
    }

    /// One sender: takes the next part, waits for its checksum, sends it; until
    /// no part is left or the upload failed.
    async fn send_parts(&self) {
        loop {
            if self.failed() {
                return;
            }
            let abort = match self.upload.control.proceed().await {
                Ok(abort) => abort,
                Err(e) => {
                    self.fail(e);
                    return;
                }
            };
            if self.failed() {
                return;
            }
            let Some(number) = self.todo.borrow_mut().pop_front() else {
                return;
            };
            self.parts_taken.set(self.parts_taken.get() + 1);
            self.notify();
            let Some(checksum) = self.checksum(number).await else {
                return;
            };
            if let Err(e) = self.send_part(number, checksum, abort).await {
                self.fail(e);
                return;
            }
        }
    }

    /// The CRC32 of part `number` once read; `None` if the upload failed first.
    async fn checksum(&self, number: u32) -> Option<String> {
        loop {
            if self.failed() {
                return None;
            }
            if let Some(checksum) = self.checksums.borrow().get(&number) {
                return Some(checksum.clone());
            }
            self.next_change().await;
        }
    }

    /// Sends part `number` from the source itself (never held in memory). A part
    /// cut off by a pause goes back to be sent again.
    async fn send_part(
        &self,
        number: u32,
        checksum: String,
        abort: AbortSignal,
    ) -> Result<(), UploadError> {
        let Upload {
            session,
            source,
            key,
            control,
            ..
        } = *self.upload;
        let Some(range) = self.plan.range(number) else {
            return Ok(());
        };
        let body = source
            .detached(range.start, range.end)
            .await
            .map_err(UploadError::Read)?;
        let part_progress = self.progress.clone();
        let report = self.upload.on_progress.clone();
        let options = control.send_options(Some(abort));
        // Fired when the call starts waiting for the connection (see below).
        let waits = AbortSignal::new();
        let heard = options.wait_for_connection.clone();
        let started = waits.clone();
        let call = session.s3(
            |ctx| s3::build_upload_part_detached(ctx, key, &self.upload_id, number, &checksum),
            s3::parse_upload_part,
            SendOptions {
                progress: Some(Rc::new(move |sent| {
                    part_progress.part_sent(number, sent);
                    report(part_progress.bytes());
                })),
                body: Some(body),
                wait_for_connection: Some(Rc::new(move |waiting| {
                    if waiting {
                        started.abort();
                    }
                    if let Some(heard) = &heard {
                        heard(waiting);
                    }
                })),
                ..options
            },
        );
        // A browser that can no longer read the file (changed, moved or deleted
        // since it was picked) fails the send the way a lost connection does;
        // once the call waits, reading a byte of the part tells the two apart.
        let unreadable = async {
            waits.aborted().await;
            match source
                .read_chunks(range.start, range.start + 1, &mut |_| {})
                .await
            {
                Err(read) => read,
                Ok(()) => std::future::pending().await,
            }
        };
        let result = match futures::future::select(Box::pin(call), Box::pin(unreadable)).await {
            futures::future::Either::Left((result, _)) => result,
            futures::future::Either::Right((read, _)) => return Err(UploadError::Read(read)),
        };
        match result {
            Ok(out) => {
                self.progress.part_done(number, range.end - range.start);
                control.set_stored(self.progress.confirmed());
                (self.upload.on_progress)(self.progress.bytes());
                let part = CompletedPart {
                    part_number: number,
                    etag: out.etag,
                    checksum_crc32: Some(checksum),
                };
                self.remember(Some(&part));
                self.done.borrow_mut().push(part);
                Ok(())
            }
            Err(CallError::Aborted) => {
                // What is shown drops to what S3 holds: the part goes again.
                self.progress.part_dropped(number);
                (self.upload.on_progress)(self.progress.bytes());
                self.todo.borrow_mut().push_front(number);
                // Taken again later; the read-ahead counts each part once.
                self.parts_taken.set(self.parts_taken.get() - 1);
                Ok(())
            }
            Err(e) => Err(UploadError::Call(e)),
        }
    }
}
