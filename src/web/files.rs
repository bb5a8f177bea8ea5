//! Reading the user's files (Blob slices) and starting downloads.

use wasm_bindgen::JsCast;

/// Bytes `start..end` of a file or blob; only that slice is held in memory.
pub async fn read_slice(blob: &web_sys::Blob, start: u64, end: u64) -> Result<Vec<u8>, String> {
    let slice = blob
        .slice_with_f64_and_f64(start as f64, end as f64)
        .map_err(|_| "the file could not be sliced".to_string())?;
    let buffer = wasm_bindgen_futures::JsFuture::from(slice.array_buffer())
        .await
        .map_err(|_| "the file could not be read (was it moved or deleted?)".to_string())?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
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
