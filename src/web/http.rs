//! The HTTP transport: sends an `http::Request<Vec<u8>>` built by the core with
//! `fetch` and hands back the raw `http::Response<Vec<u8>>` for the core to parse.

use crate::model::transport::{
    race_abort, send_detached_bytes, AbortSignal, AbortableResult, DetachedBody, HttpResult,
    LocalFuture, NetworkError, Transport,
};
use cubby_core::s3::ObjectRead;
use std::rc::Rc;

/// The browser's `fetch` as the model's [`Transport`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Fetch;

impl Transport for Fetch {
    fn send(&self, request: http::Request<Vec<u8>>) -> LocalFuture<'_, HttpResult> {
        Box::pin(send(request))
    }

    fn send_with_progress(
        &self,
        request: http::Request<Vec<u8>>,
        progress: Rc<dyn Fn(u64)>,
    ) -> LocalFuture<'_, HttpResult> {
        Box::pin(async move {
            super::xhr::send_with_progress(request, None, progress, None)
                .await
                .unwrap_or_else(|_| Err(NetworkError("aborted".into())))
        })
    }

    /// Uploads abort their XHR; a `fetch` (no progress) is simply dropped, which
    /// leaves nothing hooked to the page.
    fn send_abortable(
        &self,
        request: http::Request<Vec<u8>>,
        progress: Option<Rc<dyn Fn(u64)>>,
        abort: &AbortSignal,
    ) -> LocalFuture<'_, AbortableResult> {
        match progress {
            Some(progress) => Box::pin(super::xhr::send_with_progress(
                request,
                None,
                progress,
                Some(abort.clone()),
            )),
            None => race_abort(self, request, None, abort),
        }
    }

    /// A `Blob` goes out through XHR as it is (progress reported, or not heard).
    fn send_detached(
        &self,
        request: http::Request<Vec<u8>>,
        body: &DetachedBody,
        progress: Option<Rc<dyn Fn(u64)>>,
        abort: &AbortSignal,
    ) -> LocalFuture<'_, AbortableResult> {
        match body.0.downcast_ref::<web_sys::Blob>() {
            Some(blob) => {
                let blob = blob.clone();
                let abort = abort.clone();
                Box::pin(async move {
                    let progress = progress.unwrap_or_else(|| Rc::new(|_| {}));
                    super::xhr::send_with_progress(request, Some(&blob), progress, Some(abort))
                        .await
                })
            }
            None => send_detached_bytes(self, request, body, progress, abort),
        }
    }
}

/// Headers the browser sets itself and refuses from scripts.
pub(crate) fn is_forbidden_header(name: &str) -> bool {
    matches!(name, "host" | "content-length" | "connection")
}

/// Sends the request with `fetch`; any HTTP status is a response, not an error.
pub async fn send(request: http::Request<Vec<u8>>) -> HttpResult {
    let (parts, body) = request.into_parts();
    let mut builder = gloo_net::http::RequestBuilder::new(&parts.uri.to_string())
        .method(to_gloo_method(&parts.method)?)
        // Never send the user's cookies to AWS.
        .credentials(web_sys::RequestCredentials::Omit);
    if parts.extensions.get::<ObjectRead>().is_some() {
        builder = builder.cache(web_sys::RequestCache::NoStore);
    }
    for (name, value) in &parts.headers {
        if is_forbidden_header(name.as_str()) {
            continue;
        }
        let value = value
            .to_str()
            .map_err(|_| NetworkError(format!("header {name} is not text")))?;
        builder = builder.header(name.as_str(), value);
    }
    let request = if body.is_empty() {
        builder.build()
    } else {
        builder.body(js_sys::Uint8Array::from(body.as_slice()))
    }
    .map_err(|e| NetworkError(e.to_string()))?;
    let response = request
        .send()
        .await
        .map_err(|e| NetworkError(e.to_string()))?;
    let mut out = http::Response::builder().status(response.status());
    for (name, value) in response.headers().entries() {
        out = out.header(name, value);
    }
    let bytes = response
        .binary()
        .await
        .map_err(|e| NetworkError(e.to_string()))?;
    out.body(bytes).map_err(|e| NetworkError(e.to_string()))
}

fn to_gloo_method(method: &http::Method) -> Result<gloo_net::http::Method, NetworkError> {
    use gloo_net::http::Method as M;
    Ok(match *method {
        http::Method::GET => M::GET,
        http::Method::HEAD => M::HEAD,
        http::Method::POST => M::POST,
        http::Method::PUT => M::PUT,
        http::Method::DELETE => M::DELETE,
        ref other => return Err(NetworkError(format!("unsupported method {other}"))),
    })
}
