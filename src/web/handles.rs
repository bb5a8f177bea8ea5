//! Picked files the browser can find again after a restart: File System Access
//! handles (`showOpenFilePicker`, Chromium today) kept in IndexedDB under their
//! upload's resume-record id, read back when the app opens again. Where the
//! browser has no such handles, nothing here is used and uploads resume by a
//! new pick. The handles never leave the browser.

use crate::model::storage_keys::{UPLOAD_HANDLES_DB, UPLOAD_HANDLES_STORE};
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A picked file's `FileSystemFileHandle`.
#[derive(Clone, Debug)]
pub struct FileHandle(JsValue);

/// What the browser lets the app do with a kept handle (`queryPermission`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    Granted,
    /// The user must be asked (`requestPermission`, in a click).
    Prompt,
    Denied,
}

thread_local! {
    /// The database once opened: keeping and forgetting then start their
    /// transactions at once, in the order they are asked for.
    static DB: RefCell<Option<web_sys::IdbDatabase>> = const { RefCell::new(None) };
}

/// Whether the browser has a file picker that gives handles.
pub fn can_pick() -> bool {
    web_sys::window().is_some_and(|w| method(&w, "showOpenFilePicker").is_some())
}

/// Shows the browser's file picker (several files); the files picked with their
/// handles, none when the user closes it.
pub async fn pick_files() -> Vec<(web_sys::File, FileHandle)> {
    let Some(window) = web_sys::window() else {
        return Vec::new();
    };
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"multiple".into(), &JsValue::TRUE);
    let Some(handles) = call(&window, "showOpenFilePicker", &options).await else {
        return Vec::new();
    };
    let mut picked = Vec::new();
    for handle in js_sys::Array::from(&handles).iter() {
        let handle = FileHandle(handle);
        if let Some(file) = file(&handle).await {
            picked.push((file, handle));
        }
    }
    picked
}

/// The handles of a drop's files, asked for while the drop event runs (the
/// browser empties the item list afterwards); read them with [`dropped_files`].
/// Empty where the browser gives no handles for drops.
pub fn dropped(data: &web_sys::DataTransfer) -> Vec<js_sys::Promise> {
    if !can_pick() {
        return Vec::new();
    }
    let items = data.items();
    (0..items.length())
        .filter_map(|i| items.get(i))
        .filter(|item| item.kind() == "file")
        .filter_map(|item| {
            let promise = method(&item, "getAsFileSystemHandle")?.call0(&item).ok()?;
            Some(js_sys::Promise::from(promise))
        })
        .collect()
}

/// The dropped files' handles (folders' are left out: their files upload
/// without one), each with its file's name.
pub async fn dropped_files(promises: Vec<js_sys::Promise>) -> Vec<(String, FileHandle)> {
    let mut handles = Vec::new();
    for promise in promises {
        let Ok(handle) = JsFuture::from(promise).await else {
            continue;
        };
        let field = |name: &str| {
            js_sys::Reflect::get(&handle, &name.into())
                .ok()
                .and_then(|v| v.as_string())
        };
        if field("kind").as_deref() == Some("file") {
            if let Some(name) = field("name") {
                handles.push((name, FileHandle(handle)));
            }
        }
    }
    handles
}

/// The file a handle names, as it is now (`None` when it is gone or unreadable).
pub async fn file(handle: &FileHandle) -> Option<web_sys::File> {
    call(&handle.0, "getFile", &JsValue::UNDEFINED)
        .await?
        .dyn_into()
        .ok()
}

/// May the app read the file? With `ask`, the browser asks the user where it
/// must (call it from a click). A browser without permissions on handles lets
/// its handles be read.
pub async fn permission(handle: &FileHandle, ask: bool) -> Permission {
    let name = if ask {
        "requestPermission"
    } else {
        "queryPermission"
    };
    if method(&handle.0, name).is_none() {
        return Permission::Granted;
    }
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"mode".into(), &"read".into());
    match call(&handle.0, name, &options)
        .await
        .and_then(|s| s.as_string())
        .as_deref()
    {
        Some("granted") => Permission::Granted,
        Some("prompt") => Permission::Prompt,
        _ => Permission::Denied,
    }
}

/// Opens the handles' database (once per page); `false` where the browser has
/// no IndexedDB (or refuses it: some private modes).
pub async fn open() -> bool {
    if DB.with(|db| db.borrow().is_some()) {
        return true;
    }
    let Some(factory) = web_sys::window().and_then(|w| w.indexed_db().ok().flatten()) else {
        return false;
    };
    let Ok(request) = factory.open_with_u32(UPLOAD_HANDLES_DB, 1) else {
        return false;
    };
    let upgrade = wasm_bindgen::closure::Closure::once_into_js(|event: web_sys::Event| {
        let db = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::IdbOpenDbRequest>().ok())
            .and_then(|r| r.result().ok())
            .and_then(|r| r.dyn_into::<web_sys::IdbDatabase>().ok());
        if let Some(db) = db {
            let _ = db.create_object_store(UPLOAD_HANDLES_STORE);
        }
    });
    request.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    let Some(db) = done(&request)
        .await
        .and_then(|db| db.dyn_into::<web_sys::IdbDatabase>().ok())
    else {
        return false;
    };
    DB.with(|cell| *cell.borrow_mut() = Some(db));
    true
}

/// Every kept handle with its resume-record id.
pub async fn kept() -> Vec<(String, FileHandle)> {
    if !open().await {
        return Vec::new();
    }
    let Some(store) = store(web_sys::IdbTransactionMode::Readonly) else {
        return Vec::new();
    };
    let (Ok(keys), Ok(values)) = (store.get_all_keys(), store.get_all()) else {
        return Vec::new();
    };
    let (Some(keys), Some(values)) = (done(&keys).await, done(&values).await) else {
        return Vec::new();
    };
    let keys = js_sys::Array::from(&keys);
    let values = js_sys::Array::from(&values);
    keys.iter()
        .zip(values.iter())
        .filter_map(|(id, handle)| Some((id.as_string()?, FileHandle(handle))))
        .collect()
}

/// Forgets the handle kept under `id` (best effort).
pub fn forget(id: &str) {
    if let Some(store) = store(web_sys::IdbTransactionMode::Readwrite) {
        let _ = store.delete(&JsValue::from_str(id));
    }
}

impl crate::model::transfers::KeptFile for FileHandle {
    fn keep(&self, id: &str) {
        if let Some(store) = store(web_sys::IdbTransactionMode::Readwrite) {
            let _ = store.put_with_key(&self.0, &JsValue::from_str(id));
        }
    }
}

/// The handles' store in a new transaction, once the database is open.
fn store(mode: web_sys::IdbTransactionMode) -> Option<web_sys::IdbObjectStore> {
    DB.with(|db| {
        let db = db.borrow();
        let transaction = db
            .as_ref()?
            .transaction_with_str_and_mode(UPLOAD_HANDLES_STORE, mode)
            .ok()?;
        transaction.object_store(UPLOAD_HANDLES_STORE).ok()
    })
}

/// Waits for an IndexedDB request; its result, `None` when it failed.
async fn done(request: &web_sys::IdbRequest) -> Option<JsValue> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    JsFuture::from(promise).await.ok()?;
    request.result().ok()
}

/// `target[name]` when it is a function (APIs only some browsers have).
fn method(target: &JsValue, name: &str) -> Option<js_sys::Function> {
    js_sys::Reflect::get(target, &name.into())
        .ok()?
        .dyn_into()
        .ok()
}

/// Calls `target[name](argument)` and waits for the promise it returns.
async fn call(target: &JsValue, name: &str, argument: &JsValue) -> Option<JsValue> {
    let promise = method(target, name)?.call1(target, argument).ok()?;
    JsFuture::from(js_sys::Promise::from(promise)).await.ok()
}
