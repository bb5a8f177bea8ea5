//! Uploads through XMLHttpRequest, the one browser API that reports upload progress.

use crate::model::transport::{HttpResult, NetworkError};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// Sends `request`, calling `progress(bytes_sent)` as the body goes out.
pub async fn send_with_progress(
    request: http::Request<Vec<u8>>,
    progress: Rc<dyn Fn(u64)>,
) -> HttpResult {
    let (parts, body) = request.into_parts();
    let xhr =
        web_sys::XmlHttpRequest::new().map_err(|_| NetworkError("no XMLHttpRequest".into()))?;
    xhr.open(parts.method.as_str(), &parts.uri.to_string())
        .map_err(|_| NetworkError("cannot open request".into()))?;
    xhr.set_response_type(web_sys::XmlHttpRequestResponseType::Arraybuffer);
    for (name, value) in &parts.headers {
        if super::http::is_forbidden_header(name.as_str()) {
            continue;
        }
        let value = value
            .to_str()
            .map_err(|_| NetworkError(format!("header {name} is not text")))?;
        xhr.set_request_header(name.as_str(), value)
            .map_err(|_| NetworkError(format!("cannot set header {name}")))?;
    }

    let on_progress =
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            progress(e.loaded() as u64);
        });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }

    // Settles when the request ends one way or another.
    let done: Rc<RefCell<Option<js_sys::Function>>> = Rc::new(RefCell::new(None));
    let promise = {
        let done = done.clone();
        js_sys::Promise::new(&mut move |resolve, _| {
            *done.borrow_mut() = Some(resolve);
        })
    };
    let finish = {
        let done = done.clone();
        Closure::<dyn FnMut()>::new(move || {
            if let Some(resolve) = done.borrow_mut().take() {
                let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
            }
        })
    };
    xhr.set_onloadend(Some(finish.as_ref().unchecked_ref()));

    let sent = if body.is_empty() {
        xhr.send()
    } else {
        let bytes = js_sys::Uint8Array::from(body.as_slice());
        drop(body);
        xhr.send_with_opt_buffer_source(Some(&bytes))
    };
    if sent.is_err() {
        if let Ok(upload) = xhr.upload() {
            upload.set_onprogress(None);
        }
        xhr.set_onloadend(None);
        return Err(NetworkError("the request could not be sent".into()));
    }
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    // Unhook before the closures go: a late event must not call a dropped closure.
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(None);
    }
    xhr.set_onloadend(None);
    drop(on_progress);
    drop(finish);

    let status = xhr.status().unwrap_or(0);
    if status == 0 {
        return Err(NetworkError(
            "no response (offline, reset, or refused by CORS)".into(),
        ));
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
    response.body(body).map_err(|e| NetworkError(e.to_string()))
}
