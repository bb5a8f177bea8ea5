//! The HTTP client the model is given: the browser's fetch in the app, a fake in
//! tests. Requests and responses are the core's `http` types.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

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
    /// Sends one request; every HTTP status is a response, only a missing response
    /// is an error.
    fn send(&self, request: http::Request<Vec<u8>>) -> LocalFuture<'_, HttpResult>;

    /// Like [`Transport::send`], reporting the bytes of the body sent so far.
    fn send_with_progress(
        &self,
        request: http::Request<Vec<u8>>,
        progress: Rc<dyn Fn(u64)>,
    ) -> LocalFuture<'_, HttpResult> {
        let _ = progress;
        self.send(request)
    }
}
