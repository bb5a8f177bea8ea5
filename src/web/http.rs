//! The browser's HTTP as the model's [`Transport`]: sends an
//! `http::Request<Vec<u8>>` built by the core and hands back the raw
//! `http::Response<Vec<u8>>` for the core to parse. Each request goes through
//! `fetch` or, when it reports upload progress or sends a file as its body,
//! XMLHttpRequest (the one browser API that does both).

mod fetch;
mod xhr;

use crate::model::transport::{send_plainly, LocalFuture, SendOptions, SendResult, Transport};
use std::rc::Rc;

/// The browser's HTTP (`fetch` or XHR, per request) as the model's [`Transport`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Fetch;

impl Transport for Fetch {
    /// A `Blob` body, or progress, goes through XHR (aborted with the signal);
    /// anything else through `fetch`, whose future is dropped on abort (a fetch
    /// given a signal is then cut off at the network too: a thumbnail whose row
    /// scrolled away stops downloading).
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        options: SendOptions,
    ) -> LocalFuture<'_, SendResult> {
        let blob = options
            .body
            .as_ref()
            .and_then(|body| body.0.downcast_ref::<web_sys::Blob>())
            .cloned();
        if blob.is_none() && options.progress.is_none() {
            let abortable = options.abort.is_some();
            return send_plainly(request, &options, move |request| {
                Box::pin(fetch::send(request, abortable))
            });
        }
        let mut request = request;
        if blob.is_none() {
            if let Err(e) = options.bytes_into(&mut request) {
                return Box::pin(std::future::ready(Ok(Err(e))));
            }
        }
        let progress = options.progress.unwrap_or_else(|| Rc::new(|_| {}));
        Box::pin(async move { xhr::send(request, blob.as_ref(), progress, options.abort).await })
    }

    fn online(&self) -> bool {
        super::online::is_online()
    }

    fn back_online(&self) -> LocalFuture<'static, ()> {
        Box::pin(super::online::next("online"))
    }

    fn gone_offline(&self) -> LocalFuture<'static, ()> {
        Box::pin(super::online::next("offline"))
    }
}

/// Headers the browser sets itself and refuses from scripts.
fn is_forbidden_header(name: &str) -> bool {
    matches!(name, "host" | "content-length" | "connection")
}
