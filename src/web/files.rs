//! Reading the user's files (Blob slices) and starting downloads.

use crate::model::transport::DetachedBody;
use std::rc::Rc;
use wasm_bindgen::JsCast;

/// Bytes `start..end` of a file or blob; only that slice is held in memory.
pub async fn read_slice(blob: &web_sys::Blob, start: u64, end: u64) -> Result<Vec<u8>, String> {
    Ok(read_js(&slice(blob, start, end)?).await?.to_vec())
}

/// A file's bytes are read for checksums this many at a time.
const CHUNK: u32 = 1 << 20;

const READ_FAILED: &str =
    "the file could not be read (was it changed, moved or deleted since you picked it?)";

/// Hands bytes `start..end` to `sink` a chunk at a time, so a part's bytes never
/// sit in memory whole. A byte stream read into one reused buffer leaves no
/// garbage behind (a fresh `ArrayBuffer` per chunk piles up hundreds of MB before
/// the collector runs); where a `Blob`'s stream is not a byte stream, slice by slice.
async fn read_chunks(
    blob: &web_sys::Blob,
    start: u64,
    end: u64,
    sink: &mut dyn FnMut(&[u8]),
) -> Result<(), String> {
    let part = slice(blob, start, end)?;
    let size = end - start;
    let mut buffer = Vec::new();
    let mut delivered = 0;
    let mut deliver = |bytes: &js_sys::Uint8Array| {
        buffer.resize(bytes.length() as usize, 0);
        bytes.copy_to(&mut buffer);
        delivered += buffer.len() as u64;
        sink(&buffer);
    };
    if let Ok(reader) = web_sys::ReadableStreamByobReader::new(&part.stream()) {
        let mut view = js_sys::Uint8Array::new_with_length(CHUNK);
        loop {
            let result: web_sys::ReadableStreamReadResult =
                wasm_bindgen_futures::JsFuture::from(reader.read_with_array_buffer_view(&view))
                    .await
                    .map_err(|_| READ_FAILED.to_string())?
                    .unchecked_into();
            if result.get_done().unwrap_or(true) {
                break;
            }
            let filled: js_sys::Uint8Array = result.get_value().unchecked_into();
            deliver(&filled);
            // The read took the buffer over and hands it back in `filled`.
            view = js_sys::Uint8Array::new_with_byte_offset_and_length(&filled.buffer(), 0, CHUNK);
        }
    } else {
        let mut at = 0;
        while at < size {
            let next = size.min(at + u64::from(CHUNK));
            deliver(&read_js(&slice(&part, at, next)?).await?);
            at = next;
        }
    }
    // A file cut short since it was picked reads short, either way.
    if delivered == size {
        Ok(())
    } else {
        Err(READ_FAILED.to_string())
    }
}

fn slice(blob: &web_sys::Blob, start: u64, end: u64) -> Result<web_sys::Blob, String> {
    blob.slice_with_f64_and_f64(start as f64, end as f64)
        .map_err(|_| "the file could not be sliced".to_string())
}

async fn read_js(blob: &web_sys::Blob) -> Result<js_sys::Uint8Array, String> {
    let buffer = wasm_bindgen_futures::JsFuture::from(blob.array_buffer())
        .await
        .map_err(|_| READ_FAILED.to_string())?;
    Ok(js_sys::Uint8Array::new(&buffer))
}

/// Sends the browser to `url` through a temporary link, which downloads it when
/// the server says `Content-Disposition: attachment`.
pub fn open_download(url: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(link) = document.create_element("a") else {
        return;
    };
    let link: web_sys::HtmlAnchorElement = link.unchecked_into();
    link.set_href(url);
    link.set_rel("noopener noreferrer");
    let _ = document.body().map(|b| b.append_child(&link));
    link.click();
    link.remove();
}

/// Puts text on the clipboard; `false` when the browser refuses.
pub async fn copy_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let promise = window.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

/// A browser `File` or `Blob` as an upload source: slices are read on demand.
pub struct BlobSource(pub web_sys::Blob);

impl crate::model::transfers::ByteSource for BlobSource {
    fn size(&self) -> u64 {
        self.0.size() as u64
    }

    fn read(
        &self,
        start: u64,
        end: u64,
    ) -> crate::model::transport::LocalFuture<'_, Result<Vec<u8>, String>> {
        Box::pin(read_slice(&self.0, start, end))
    }

    fn read_chunks<'a>(
        &'a self,
        start: u64,
        end: u64,
        sink: &'a mut dyn FnMut(&[u8]),
    ) -> crate::model::transport::LocalFuture<'a, Result<(), String>> {
        Box::pin(read_chunks(&self.0, start, end, sink))
    }

    /// The slice itself: the browser sends it from the file.
    fn detached(
        &self,
        start: u64,
        end: u64,
    ) -> crate::model::transport::LocalFuture<'_, Result<DetachedBody, String>> {
        let body = slice(&self.0, start, end).map(|blob| DetachedBody(Rc::new(blob)));
        Box::pin(async move { body })
    }
}

/// The path a file had inside a folder the user picked or dropped
/// (`webkitRelativePath`), or just its name.
pub fn relative_path(file: &web_sys::File) -> String {
    js_sys::Reflect::get(file, &wasm_bindgen::JsValue::from_str("webkitRelativePath"))
        .ok()
        .and_then(|v| v.as_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| file.name())
}

/// A `blob:` URL for bytes of a given type (images in previews); revoke it after use.
pub fn object_url(bytes: &[u8], mime: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

pub fn revoke_object_url(url: &str) {
    let _ = web_sys::Url::revoke_object_url(url);
}

/// Opens `url` in a new tab that cannot reach back into this page.
pub fn open_in_new_tab(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.open_with_url_and_target_and_features(url, "_blank", "noopener,noreferrer");
    }
}

/// A file to upload and its path below the drop or pick point (`dir/sub/name`).
pub type PickedFile = (web_sys::File, String);

/// The files of a `FileList` (file pickers), with their relative paths.
pub fn from_file_list(list: &web_sys::FileList) -> Vec<PickedFile> {
    (0..list.length())
        .filter_map(|i| list.get(i))
        .map(|file| {
            let path = relative_path(&file);
            (file, path)
        })
        .collect()
}

/// The entries of a drop, taken while the drop event runs (the browser empties the
/// item list afterwards). Read them with [`read_dropped`].
pub fn dropped_entries(data: &web_sys::DataTransfer) -> Vec<web_sys::FileSystemEntry> {
    let items = data.items();
    (0..items.length())
        .filter_map(|i| items.get(i))
        .filter_map(|item| item.webkit_get_as_entry().ok().flatten())
        .collect()
}

/// Every file below the dropped entries, folders walked recursively.
pub async fn read_dropped(entries: Vec<web_sys::FileSystemEntry>) -> Vec<PickedFile> {
    let mut out = Vec::new();
    let mut pending: Vec<(web_sys::FileSystemEntry, String)> =
        entries.into_iter().map(|e| (e, String::new())).collect();
    while let Some((entry, parent)) = pending.pop() {
        let path = format!("{parent}{}", entry.name());
        if entry.is_directory() {
            let dir: web_sys::FileSystemDirectoryEntry = entry.unchecked_into();
            let reader = dir.create_reader();
            // readEntries hands out a batch per call until it returns an empty one.
            loop {
                let batch = callback_promise(|ok, err| {
                    reader.read_entries_with_callback_and_callback(ok, err)
                })
                .await;
                let Some(batch) = batch.map(|b| js_sys::Array::from(&b)) else {
                    break;
                };
                if batch.length() == 0 {
                    break;
                }
                for child in batch.iter() {
                    pending.push((child.unchecked_into(), format!("{path}/")));
                }
            }
        } else if entry.is_file() {
            let file_entry: web_sys::FileSystemFileEntry = entry.unchecked_into();
            let file = callback_promise(|ok, err| {
                file_entry.file_with_callback_and_callback(ok, err);
                Ok(())
            })
            .await;
            if let Some(file) = file {
                out.push((file.unchecked_into(), path));
            }
        }
    }
    out
}

/// Runs a callback-style API and waits for its success callback's argument
/// (`None` when it calls the error callback or fails to start).
async fn callback_promise(
    start: impl FnOnce(&js_sys::Function, &js_sys::Function) -> Result<(), wasm_bindgen::JsValue>,
) -> Option<wasm_bindgen::JsValue> {
    let mut start = Some(start);
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        if let Some(start) = start.take() {
            if let Err(e) = start(&resolve, &reject) {
                let _ = reject.call1(&wasm_bindgen::JsValue::NULL, &e);
            }
        }
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.ok()
}
