//! Where a zip is saved while it is written (`model::archive::ZipSink`), best
//! first ([`save_way`]): a file the user picks with the File System Access
//! API's save picker (Chromium), written in place; else a download streamed by
//! the service worker `zip-sw.js` (same origin, registered only for this, its
//! scope only its own download URLs); else a `Blob` in memory, downloaded when
//! whole, for zips up to [`MEMORY_LIMIT`].

use crate::model::archive::ZipSink;
use crate::model::transport::LocalFuture;
use futures::channel::mpsc;
use futures::StreamExt;
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use std::cell::RefCell;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The biggest zip built in memory (bytes): the whole archive is held until it
/// is downloaded.
pub const MEMORY_LIMIT: u64 = 500_000_000;

/// How this browser can save a zip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveWay {
    /// `showSaveFilePicker`: the user picks the file, the zip is written into it.
    Picker,
    /// A download streamed by the service worker.
    Worker,
    /// A `Blob` in memory, up to [`MEMORY_LIMIT`].
    Memory,
}

/// The best way this browser offers.
pub fn save_way() -> SaveWay {
    let Some(window) = web_sys::window() else {
        return SaveWay::Memory;
    };
    if get(&window, "showSaveFilePicker").is_function() {
        SaveWay::Picker
    } else if window.is_secure_context()
        && !get(&window.navigator(), "serviceWorker").is_undefined()
    {
        SaveWay::Worker
    } else {
        SaveWay::Memory
    }
}

fn get(target: &JsValue, name: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// Calls `target.name(args...)` and waits for the promise it returns.
async fn call(target: &JsValue, name: &str, args: &Array) -> Result<JsValue, JsValue> {
    let method: Function = get(target, name).dyn_into()?;
    let promise: Promise = method.apply(target, args)?.dyn_into()?;
    JsFuture::from(promise).await
}

/// A thrown value's message, in the browser's words.
fn reason(error: &JsValue) -> String {
    get(error, "message")
        .as_string()
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "the browser refused".to_string())
}

/// Asks the user where to save `name` (must run while the click that asked for
/// it still counts as a user action) and opens the file for writing; `Ok(None)`
/// when the user closes the picker.
///
/// # Errors
///
/// The browser refused (in its words).
pub async fn pick_file(name: &str) -> Result<Option<Box<dyn ZipSink>>, String> {
    let window: JsValue = web_sys::window().ok_or("no window")?.into();
    let options = Object::new();
    let _ = Reflect::set(&options, &"suggestedName".into(), &name.into());
    let accept = Object::new();
    let _ = Reflect::set(
        &accept,
        &"application/zip".into(),
        &Array::of1(&".zip".into()),
    );
    let kind = Object::new();
    let _ = Reflect::set(&kind, &"description".into(), &"Zip archive".into());
    let _ = Reflect::set(&kind, &"accept".into(), &accept);
    let _ = Reflect::set(&options, &"types".into(), &Array::of1(&kind));
    let handle = match call(&window, "showSaveFilePicker", &Array::of1(&options)).await {
        Ok(handle) => handle,
        Err(e) if get(&e, "name").as_string().as_deref() == Some("AbortError") => return Ok(None),
        Err(e) => return Err(reason(&e)),
    };
    let writable = call(&handle, "createWritable", &Array::new())
        .await
        .map_err(|e| reason(&e))?;
    Ok(Some(Box::new(FileSink { handle, writable })))
}

/// A file picked with the save picker, written through its writable stream
/// (the browser keeps the writes aside and puts them in place on close).
struct FileSink {
    handle: JsValue,
    writable: JsValue,
}

impl ZipSink for FileSink {
    fn write(&self, bytes: Vec<u8>) -> LocalFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let chunk = Uint8Array::from(&bytes[..]);
            call(&self.writable, "write", &Array::of1(&chunk))
                .await
                .map(drop)
                .map_err(|e| reason(&e))
        })
    }

    fn close(&self) -> LocalFuture<'_, Result<(), String>> {
        Box::pin(async move {
            call(&self.writable, "close", &Array::new())
                .await
                .map(drop)
                .map_err(|e| reason(&e))
        })
    }

    /// Drops the writes kept aside, then removes the (empty) file the picker
    /// made, where the browser can (`remove()`, Chromium).
    fn abort(&self) {
        let writable = self.writable.clone();
        let handle = self.handle.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = call(&writable, "abort", &Array::new()).await;
            if get(&handle, "remove").is_function() {
                let _ = call(&handle, "remove", &Array::new()).await;
            }
        });
    }
}

/// Starts the download of `name` streamed by the service worker: registers it
/// (once per page; later calls find it), hands it the download and starts it.
///
/// # Errors
///
/// The worker could not be registered or did not start (in plain words).
pub async fn worker_download(name: &str) -> Result<Box<dyn ZipSink>, String> {
    let window = web_sys::window().ok_or("no window")?;
    // Beside boot.js, wherever the app is served from, whatever the page's path.
    let base = window
        .document()
        .and_then(|d| d.query_selector("script[data-wasm]").ok().flatten())
        .map(|tag| get(&tag, "src"))
        .and_then(|src| src.as_string())
        .ok_or("the app's address is unknown")?;
    let url = |path: &str| {
        web_sys::Url::new_with_base(path, &base)
            .map(|u| u.href())
            .map_err(|_| "bad address".to_string())
    };
    let container = get(&window.navigator(), "serviceWorker");
    let options = Object::new();
    let _ = Reflect::set(&options, &"scope".into(), &url("zip-download/")?.into());
    let script = url("zip-sw.js")?;
    let registration = call(
        &container,
        "register",
        &Array::of2(&script.into(), &options),
    )
    .await
    .map_err(|e| format!("the download helper could not start ({})", reason(&e)))?;
    let mut worker = get(&registration, "active");
    for _ in 0..200 {
        if !worker.is_null() && !worker.is_undefined() {
            break;
        }
        crate::web::clock::sleep(50).await;
        worker = get(&registration, "active");
    }
    if worker.is_null() || worker.is_undefined() {
        return Err("the download helper did not start".to_string());
    }
    let id: String = crate::web::random::bytes::<12>()?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let channel = web_sys::MessageChannel::new().map_err(|e| reason(&e))?;
    let (sender, receiver) = mpsc::unbounded();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let _ = sender.unbounded_send(e.data());
        });
    let port = channel.port1();
    port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let message = Object::new();
    let _ = Reflect::set(&message, &"id".into(), &id.as_str().into());
    let _ = Reflect::set(&message, &"name".into(), &name.into());
    let post: Function = get(&worker, "postMessage")
        .dyn_into()
        .map_err(|e| reason(&e))?;
    post.call2(&worker, &message, &Array::of1(&channel.port2()))
        .map_err(|e| reason(&e))?;
    let sink = WorkerSink {
        port,
        worker,
        pinged: std::cell::Cell::new(js_sys::Date::now()),
        messages: RefCell::new(Some(receiver)),
        _on_message: on_message,
    };
    if sink.next().await.as_deref() != Some("ready") {
        return Err("the download helper did not answer".to_string());
    }
    // A navigation, not `<a download>`: Chromium sends a download link's request
    // past the service worker. The answer is an attachment, so the page stays.
    start_download(&url(&format!("zip-download/{id}"))?, None);
    Ok(Box::new(sink))
}

/// A download the service worker streams: each write waits for the worker to
/// ask for more (the download's own pace), so little is held anywhere.
struct WorkerSink {
    port: web_sys::MessagePort,
    /// The worker itself: a browser may stop a service worker it thinks idle
    /// (Chromium after 30 s without an event), and messages over the port are
    /// not events of the worker; a message to the worker is.
    worker: JsValue,
    /// When the worker last heard from the page directly (`Date.now()`, ms).
    pinged: std::cell::Cell<f64>,
    messages: RefCell<Option<mpsc::UnboundedReceiver<JsValue>>>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

impl WorkerSink {
    /// The worker's next word (`"pull"`, `"cancelled"`); `None` if it is gone.
    async fn next(&self) -> Option<String> {
        let mut receiver = self.messages.borrow_mut().take()?;
        let message = receiver.next().await;
        *self.messages.borrow_mut() = Some(receiver);
        message.and_then(|m| m.as_string())
    }

    async fn send(&self, message: &Object, transfer: &Array) -> Result<(), String> {
        if js_sys::Date::now() - self.pinged.get() > 10_000.0 {
            self.pinged.set(js_sys::Date::now());
            if let Ok(post) = get(&self.worker, "postMessage").dyn_into::<Function>() {
                let _ = post.call1(&self.worker, &"keep-alive".into());
            }
        }
        match self.next().await.as_deref() {
            Some("pull") => self
                .port
                .post_message_with_transferable(message, transfer)
                .map_err(|e| reason(&e)),
            Some("cancelled") => Err("the download was cancelled in the browser".to_string()),
            _ => Err("the download stopped".to_string()),
        }
    }
}

impl ZipSink for WorkerSink {
    fn write(&self, bytes: Vec<u8>) -> LocalFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let chunk = Uint8Array::from(&bytes[..]);
            let message = Object::new();
            let _ = Reflect::set(&message, &"chunk".into(), &chunk);
            self.send(&message, &Array::of1(&chunk.buffer())).await
        })
    }

    fn close(&self) -> LocalFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let message = Object::new();
            let _ = Reflect::set(&message, &"done".into(), &true.into());
            self.send(&message, &Array::new()).await
        })
    }

    fn abort(&self) {
        let message = Object::new();
        let _ = Reflect::set(&message, &"error".into(), &true.into());
        let _ = self.port.post_message(&message);
    }
}

/// A zip kept in memory, as the browser's own byte arrays (not the wasm's
/// memory), downloaded as a `Blob` when whole.
pub fn memory_download(name: &str) -> Box<dyn ZipSink> {
    Box::new(MemorySink {
        name: name.to_string(),
        parts: Array::new(),
    })
}

struct MemorySink {
    name: String,
    parts: Array,
}

impl ZipSink for MemorySink {
    fn write(&self, bytes: Vec<u8>) -> LocalFuture<'_, Result<(), String>> {
        self.parts.push(&Uint8Array::from(&bytes[..]));
        Box::pin(async { Ok(()) })
    }

    fn close(&self) -> LocalFuture<'_, Result<(), String>> {
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("application/zip");
        let url = web_sys::Blob::new_with_u8_array_sequence_and_options(&self.parts, &options)
            .and_then(|blob| web_sys::Url::create_object_url_with_blob(&blob))
            .map_err(|e| reason(&e));
        self.parts.set_length(0);
        let result = url.map(|url| {
            start_download(&url, Some(&self.name));
            wasm_bindgen_futures::spawn_local(async move {
                // The download holds its own reference long before this.
                crate::web::clock::sleep(60_000).await;
                let _ = web_sys::Url::revoke_object_url(&url);
            });
        });
        Box::pin(async move { result })
    }

    fn abort(&self) {
        self.parts.set_length(0);
    }
}

/// Clicks a temporary link to `url`: with `name`, an `<a download>` saving as
/// `name`; without, a plain link (the answer says it is an attachment).
fn start_download(url: &str, name: Option<&str>) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(link) = document.create_element("a") else {
        return;
    };
    let link: web_sys::HtmlAnchorElement = link.unchecked_into();
    link.set_href(url);
    if let Some(name) = name {
        link.set_download(name);
    }
    let _ = document.body().map(|b| b.append_child(&link));
    link.click();
    link.remove();
}
