//! Uploads through XMLHttpRequest, the one browser API that reports upload progress
//! (and that can be cut off mid-body with `abort()`).

use super::is_forbidden_header;
use crate::model::transport::{AbortSignal, Aborted, NetworkError, SendResult};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// The request's event handlers. Dropped (request finished, or its future dropped),
/// it unhooks them before the closures go, so a late event never calls a dropped
/// closure; a request still running then is aborted.
struct Hooks {
    xhr: web_sys::XmlHttpRequest,
    finished: Rc<Cell<bool>>,
    _on_progress: Closure<dyn FnMut(web_sys::ProgressEvent)>,
    _finish: Closure<dyn FnMut()>,
}

impl Drop for Hooks {
    fn drop(&mut self) {
        if let Ok(upload) = self.xhr.upload() {
            upload.set_onprogress(None);
        }
        self.xhr.set_onloadend(None);
        if !self.finished.get() {
            let _ = self.xhr.abort();
        }
    }
}

/// Sends `request`, calling `progress(bytes_sent)` as the body goes out. When
/// `abort` fires, the XHR is aborted (whatever of the body was sent is lost) and
/// the answer is `Err(Aborted)`.
/// A `blob` given is sent as the body (read by the browser from the file) in
/// place of the request's own.
pub async fn send(
    request: http::Request<Vec<u8>>,
    blob: Option<&web_sys::Blob>,
    progress: Rc<dyn Fn(u64)>,
    abort: Option<AbortSignal>,
) -> SendResult {
    if abort.as_ref().is_some_and(AbortSignal::is_aborted) {
        return Err(Aborted);
    }
    let (parts, body) = request.into_parts();
    let xhr = match web_sys::XmlHttpRequest::new() {
        Ok(xhr) => xhr,
        Err(_) => return Ok(Err(NetworkError("no XMLHttpRequest".into()))),
    };
    if xhr
        .open(parts.method.as_str(), &parts.uri.to_string())
        .is_err()
    {
        return Ok(Err(NetworkError("cannot open request".into())));
    }
    xhr.set_response_type(web_sys::XmlHttpRequestResponseType::Arraybuffer);
    for (name, value) in &parts.headers {
        if is_forbidden_header(name.as_str()) {
            continue;
        }
        let Ok(value) = value.to_str() else {
            return Ok(Err(NetworkError(format!("header {name} is not text"))));
        };
        if xhr.set_request_header(name.as_str(), value).is_err() {
            return Ok(Err(NetworkError(format!("cannot set header {name}"))));
        }
    }

    // Settles when the request ends one way or another (aborted included).
    let done: Rc<RefCell<Option<js_sys::Function>>> = Rc::new(RefCell::new(None));
    let promise = {
        let done = done.clone();
        js_sys::Promise::new(&mut move |resolve, _| {
            *done.borrow_mut() = Some(resolve);
        })
    };
    let finished = Rc::new(Cell::new(false));
    let hooks = Hooks {
        xhr: xhr.clone(),
        finished: finished.clone(),
        _on_progress: Closure::new(move |e: web_sys::ProgressEvent| {
            progress(e.loaded() as u64);
        }),
        _finish: {
            let finished = finished.clone();
            Closure::new(move || {
                finished.set(true);
                if let Some(resolve) = done.borrow_mut().take() {
                    let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
                }
            })
        },
    };
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(hooks._on_progress.as_ref().unchecked_ref()));
    }
    xhr.set_onloadend(Some(hooks._finish.as_ref().unchecked_ref()));

    let sent = if let Some(blob) = blob {
        xhr.send_with_opt_blob(Some(blob))
    } else if body.is_empty() {
        xhr.send()
    } else {
        let bytes = js_sys::Uint8Array::from(body.as_slice());
        drop(body);
        xhr.send_with_opt_buffer_source(Some(&bytes))
    };
    if sent.is_err() {
        finished.set(true);
        return Ok(Err(NetworkError("the request could not be sent".into())));
    }
    // Cut the request off when the signal fires before it ended (an answer that
    // already came counts); unregistered when this returns.
    let cut_off = Rc::new(Cell::new(false));
    let _listener = abort.as_ref().map(|signal| {
        let xhr = xhr.clone();
        let cut_off = cut_off.clone();
        signal.on_abort(move || {
            if !finished.get() {
                cut_off.set(true);
                let _ = xhr.abort();
            }
        })
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    drop(hooks);
    if cut_off.get() {
        return Err(Aborted);
    }

    let status = xhr.status().unwrap_or(0);
    if status == 0 {
        return Ok(Err(NetworkError(
            "no response (offline, reset, or refused by CORS)".into(),
        )));
    }
    let mut response = http::Response::builder().status(status);
    let raw_headers = xhr.get_all_response_headers().unwrap_or_default();
    for line in raw_headers.split("\r\n") {
        if let Some((name, value)) = line.split_once(':') {
            response = response.header(name.trim(), value.trim());
        }
    }
    let body = xhr
        .response()
        .ok()
        .filter(|v| !v.is_null() && !v.is_undefined())
        .map(|v| js_sys::Uint8Array::new(&v).to_vec())
        .unwrap_or_default();
    Ok(response.body(body).map_err(|e| NetworkError(e.to_string())))
}
