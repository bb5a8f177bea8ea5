//! The HTTP client the model is given: the browser's fetch in the app, a fake in
//! tests. Requests and responses are the core's `http` types.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};

pub type LocalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A request that got no HTTP response at all (offline, DNS, connection reset, or a
/// CORS refusal: browsers do not tell these apart).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkError(pub String);

impl fmt::Display for NetworkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "network error: {}", self.0)
    }
}

impl std::error::Error for NetworkError {}

pub type HttpResult = Result<http::Response<Vec<u8>>, NetworkError>;

pub trait Transport {
    /// Sends one request as `options` say (body beside it, progress, abort).
    /// Every HTTP status is a response; only a missing response is an error, and
    /// a request stopped by `options.abort` is `Err(Aborted)`.
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        options: SendOptions,
    ) -> LocalFuture<'_, SendResult>;

    /// `false` when the device knows it has no network (the browser's
    /// `navigator.onLine`); `true` promises nothing. By default `true`.
    fn online(&self) -> bool {
        true
    }

    /// Settles when the device says its connection came back (the browser's
    /// `online` event). It may never come, or come wrongly: waiting calls probe
    /// too. By default never.
    fn back_online(&self) -> LocalFuture<'static, ()> {
        Box::pin(std::future::pending())
    }

    /// Settles when the device says its connection went (the browser's `offline`
    /// event): a request in flight then may hang, unanswered, for minutes. By
    /// default never.
    fn gone_offline(&self) -> LocalFuture<'static, ()> {
        Box::pin(std::future::pending())
    }
}

/// How a request goes out, besides its own bytes. The default: nothing beside it,
/// no progress, nothing can stop it.
#[derive(Clone, Default)]
pub struct SendOptions {
    /// Hears the bytes of the body sent so far by this request.
    pub progress: Option<Rc<dyn Fn(u64)>>,
    /// Cuts the request off when it fires (the answer is then `Err(Aborted)`).
    pub abort: Option<AbortSignal>,
    /// Sent as the request's body in place of its own (the request is signed
    /// without one).
    pub body: Option<DetachedBody>,
    /// Set: the call waits out a lost connection instead of failing on network
    /// errors (`Session::s3`, per `cubby_core::retry`), and this hears `true` when
    /// the wait starts and `false` when it ends. Transports ignore it.
    pub wait_for_connection: Option<Rc<dyn Fn(bool)>>,
}

impl SendOptions {
    /// Puts a [`DetachedBody::bytes`] body into `request`. Any other kind of
    /// body is one a transport without its own way of sending it cannot send.
    pub fn bytes_into(&self, request: &mut http::Request<Vec<u8>>) -> Result<(), NetworkError> {
        let Some(body) = &self.body else {
            return Ok(());
        };
        match body.0.downcast_ref::<Vec<u8>>() {
            Some(bytes) => {
                *request.body_mut() = bytes.clone();
                Ok(())
            }
            None => Err(NetworkError("this transport cannot send that body".into())),
        }
    }
}

/// What [`Transport::send`] hands back: the answer (or the lack of one), or
/// `Err(Aborted)`.
pub type SendResult = Result<HttpResult, Aborted>;

/// [`Transport::send`] for a transport that can neither report progress nor cut
/// a request off itself (fakes in tests; `fetch` in the browser): a bytes body
/// goes into the request, `send` sends it, and the answer races `options.abort`
/// (an aborted request's future is dropped). Progress is not heard.
pub fn send_plainly<'a>(
    mut request: http::Request<Vec<u8>>,
    options: &SendOptions,
    send: impl FnOnce(http::Request<Vec<u8>>) -> LocalFuture<'a, HttpResult>,
) -> LocalFuture<'a, SendResult> {
    if let Err(e) = options.bytes_into(&mut request) {
        return Box::pin(std::future::ready(Ok(Err(e))));
    }
    race_abort(send(request), options.abort.clone())
}

/// Races `send` against `abort` (not generic: one copy serves every transport).
fn race_abort<'a>(
    send: LocalFuture<'a, HttpResult>,
    abort: Option<AbortSignal>,
) -> LocalFuture<'a, SendResult> {
    let Some(abort) = abort else {
        return Box::pin(async move { Ok(send.await) });
    };
    Box::pin(async move {
        if abort.is_aborted() {
            return Err(Aborted);
        }
        let stopped = Box::pin(abort.aborted());
        match futures::future::select(send, stopped).await {
            futures::future::Either::Left((result, _)) => Ok(result),
            futures::future::Either::Right(((), _)) => Err(Aborted),
        }
    })
}

/// A request body that travels beside its request instead of inside it: in the
/// browser a `Blob` slice of the user's file, which the browser sends from the
/// file without the bytes ever being copied into memory. Clones share the body
/// (a retry sends it again).
#[derive(Clone)]
pub struct DetachedBody(pub Rc<dyn Any>);

impl DetachedBody {
    pub fn bytes(bytes: Vec<u8>) -> DetachedBody {
        DetachedBody(Rc::new(bytes))
    }
}

/// A request stopped by its [`AbortSignal`] before an answer came: not a network
/// failure, so nothing retries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Aborted;

impl fmt::Display for Aborted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stopped before an answer came")
    }
}

/// Stops requests in flight (pause and cancel of uploads). Clones share the state;
/// once aborted it stays aborted (a resumed upload takes a fresh signal).
#[derive(Clone, Default)]
pub struct AbortSignal(Rc<AbortState>);

#[derive(Default)]
struct AbortState {
    aborted: Cell<bool>,
    next_listener: Cell<u64>,
    // A few at a time, in order of registration: a Vec, not a map (a map type
    // of its own is a few KB more in the wasm).
    listeners: RefCell<Vec<Listener>>,
}

/// A listener and its id (the guard's, to remove it).
type Listener = (u64, Box<dyn FnOnce()>);

impl fmt::Debug for AbortSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AbortSignal")
            .field(&self.is_aborted())
            .finish()
    }
}

impl AbortSignal {
    pub fn new() -> AbortSignal {
        AbortSignal::default()
    }

    pub fn is_aborted(&self) -> bool {
        self.0.aborted.get()
    }

    /// Aborts: every listener runs once (e.g. `xhr.abort()`).
    pub fn abort(&self) {
        if self.0.aborted.replace(true) {
            return;
        }
        let listeners = std::mem::take(&mut *self.0.listeners.borrow_mut());
        for (_, listener) in listeners {
            listener();
        }
    }

    /// Runs `listener` when the signal aborts (at once if it already has), until
    /// the returned guard is dropped.
    pub fn on_abort(&self, listener: impl FnOnce() + 'static) -> AbortListener {
        let id = self.0.next_listener.get();
        self.0.next_listener.set(id + 1);
        if self.is_aborted() {
            listener();
        } else {
            self.0.listeners.borrow_mut().push((id, Box::new(listener)));
        }
        AbortListener {
            signal: Rc::downgrade(&self.0),
            id,
        }
    }

    /// Settles when the signal aborts.
    pub fn aborted(&self) -> impl Future<Output = ()> + 'static {
        WhenAborted {
            signal: self.clone(),
            listener: None,
        }
    }
}

/// Unregisters its listener when dropped, so a finished request is not kept alive
/// by the signal.
pub struct AbortListener {
    signal: Weak<AbortState>,
    id: u64,
}

impl Drop for AbortListener {
    fn drop(&mut self) {
        if let Some(state) = self.signal.upgrade() {
            state
                .listeners
                .borrow_mut()
                .retain(|(id, _)| *id != self.id);
        }
    }
}

struct WhenAborted {
    signal: AbortSignal,
    listener: Option<AbortListener>,
}

impl Future for WhenAborted {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.signal.is_aborted() {
            return Poll::Ready(());
        }
        let waker = cx.waker().clone();
        let listener = self.signal.on_abort(move || waker.wake());
        self.listener = Some(listener);
        Poll::Pending
    }
}
