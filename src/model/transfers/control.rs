//! Pause, resume and cancel of one upload.

use super::UploadError;
use crate::model::transport::{AbortSignal, SendOptions};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Hears whether an upload waits for the connection.
type Heard = Rc<dyn Fn(bool)>;

/// What the user wants of an upload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Steer {
    #[default]
    Run,
    Pause,
    Cancel,
}

/// Pause, resume and cancel of one upload: the UI steers, the upload obeys. Pause
/// and cancel abort the requests in flight at once (their bytes are sent again on
/// resume); a paused multipart upload stays open at S3 with its finished parts.
#[derive(Clone, Default)]
pub struct UploadControl(Rc<ControlState>);

#[derive(Default)]
struct ControlState {
    steer: Cell<Steer>,
    /// Given to the requests sent while running; aborted by pause and cancel.
    requests: RefCell<AbortSignal>,
    /// Fired, as a one-shot event, when a pause ends (resume or cancel).
    pause_ended: RefCell<AbortSignal>,
    /// Bytes S3 confirmed stored (what a paused upload has really sent).
    stored: Cell<u64>,
    /// The upload's calls waiting for the connection now.
    waiting_calls: Cell<u32>,
    /// Hears whether the upload waits for the connection (some call does).
    on_waiting: RefCell<Option<Heard>>,
}

impl UploadControl {
    pub fn new() -> UploadControl {
        UploadControl::default()
    }

    pub fn steer(&self) -> Steer {
        self.0.steer.get()
    }

    /// Bytes S3 has confirmed so far (parts cut off by a pause do not count).
    pub fn bytes_stored(&self) -> u64 {
        self.0.stored.get()
    }

    /// Records that S3 confirmed `bytes` of the upload stored.
    pub(super) fn set_stored(&self, bytes: u64) {
        self.0.stored.set(bytes);
    }

    /// `heard` hears `true` when the upload starts waiting for a lost connection
    /// (one of its calls got no answer beyond the retry schedule) and `false`
    /// when none of its calls waits any more.
    pub fn on_waiting(&self, heard: Rc<dyn Fn(bool)>) {
        *self.0.on_waiting.borrow_mut() = Some(heard);
    }

    /// Whether one of the upload's calls waits for the connection now.
    pub fn waiting_for_connection(&self) -> bool {
        self.0.waiting_calls.get() > 0
    }

    /// What one call of the upload hands the retry loop
    /// ([`SendOptions::wait_for_connection`]): the calls' waits, counted, make the
    /// upload's.
    pub(super) fn connection_wait(&self) -> Rc<dyn Fn(bool)> {
        let state = self.0.clone();
        Rc::new(move |waits: bool| {
            let before = state.waiting_calls.get();
            let now = if waits {
                before + 1
            } else {
                before.saturating_sub(1)
            };
            state.waiting_calls.set(now);
            if (before == 0) != (now == 0) {
                let heard = state.on_waiting.borrow().clone();
                if let Some(heard) = heard {
                    heard(now > 0);
                }
            }
        })
    }

    /// Options for one call of the upload: cut off by `abort`, waiting out a lost
    /// connection.
    pub(super) fn send_options(&self, abort: Option<AbortSignal>) -> SendOptions {
        SendOptions {
            abort,
            wait_for_connection: Some(self.connection_wait()),
            ..SendOptions::default()
        }
    }

    /// Stops sending: requests in flight are aborted, no new ones start.
    pub fn pause(&self) {
        if self.steer() != Steer::Run {
            return;
        }
        self.0.steer.set(Steer::Pause);
        *self.0.pause_ended.borrow_mut() = AbortSignal::new();
        self.0.requests.borrow().abort();
    }

    /// Goes on after a pause, with a fresh signal for the new requests.
    pub fn resume(&self) {
        if self.steer() != Steer::Pause {
            return;
        }
        self.0.steer.set(Steer::Run);
        *self.0.requests.borrow_mut() = AbortSignal::new();
        self.0.pause_ended.borrow().abort();
    }

    /// Stops for good: requests in flight are aborted; the upload cleans up.
    pub fn cancel(&self) {
        self.0.steer.set(Steer::Cancel);
        self.0.requests.borrow().abort();
        self.0.pause_ended.borrow().abort();
    }

    /// Waits out a pause; the signal for the next request, or `Cancelled`.
    pub(super) async fn proceed(&self) -> Result<AbortSignal, UploadError> {
        loop {
            match self.steer() {
                Steer::Run => return Ok(self.0.requests.borrow().clone()),
                Steer::Cancel => return Err(UploadError::Cancelled),
                Steer::Pause => {
                    let ended = self.0.pause_ended.borrow().aborted();
                    ended.await;
                }
            }
        }
    }
}
