//! Requests through `fetch`: everything that needs neither upload progress nor a
//! file as its body.

use super::is_forbidden_header;
use crate::model::transport::{HttpResult, NetworkError};
use cubby_core::s3::ObjectRead;

/// Aborts its fetch when dropped: the request's future went (its signal fired,
/// see `send_plainly`) before the answer was read whole. After that, a no-op.
struct CutOff(web_sys::AbortController);

impl Drop for CutOff {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Sends the request with `fetch`; any HTTP status is a response, not an error.
/// An `abortable` request is cut off at the network when its future is dropped.
pub async fn send(request: http::Request<Vec<u8>>, abortable: bool) -> HttpResult {
    let (parts, body) = request.into_parts();
    let mut builder = gloo_net::http::RequestBuilder::new(&parts.uri.to_string())
        .method(to_gloo_method(&parts.method)?)
        // Never send the user's cookies to AWS.
        .credentials(web_sys::RequestCredentials::Omit);
    let cut_off = abortable
        .then(|| web_sys::AbortController::new().ok().map(CutOff))
        .flatten();
    if let Some(CutOff(controller)) = &cut_off {
        builder = builder.abort_signal(Some(&controller.signal()));
    }
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
    drop(cut_off);
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
