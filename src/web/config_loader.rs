//! Fetches `config.json` from the app's own base.

use crate::config::{Config, ConfigError};
use wasm_bindgen::{JsCast, JsValue};

/// Where `config.json` is: next to `index.html`, in the folder the app's files
/// are served from. The boot script's address says where that is; the page's own
/// address does not (CloudFront serves `index.html` for any path, e.g.
/// `/photos/2024`, where a relative `config.json` would be
/// `/photos/config.json`).
fn config_url() -> String {
    const NAME: &str = "config.json";
    let Some(window) = web_sys::window() else {
        return format!("/{NAME}");
    };
    let page = window.location().href().unwrap_or_default();
    let script = window
        .document()
        .and_then(|d| d.query_selector("script[data-wasm]").ok().flatten())
        .and_then(|s| s.get_attribute("src"));
    // Without a boot script (a test page): the site's root.
    let base = script.unwrap_or_else(|| "/".into());
    web_sys::Url::new_with_base(&base, &page)
        .and_then(|base| web_sys::Url::new_with_base(NAME, &base.href()))
        .map(|url| url.href())
        .unwrap_or_else(|_| format!("/{NAME}"))
}

/// The answer to the request for `config.json` that `boot.js` started beside the
/// wasm (the global `cubbyConfig`, a `Promise<Response>`), taken once; `None` when
/// the page has no boot script (a test page) or it was taken already.
async fn started_by_the_boot_script() -> Option<Result<gloo_net::http::Response, String>> {
    let window = web_sys::window()?;
    let key = JsValue::from_str("cubbyConfig");
    let started = js_sys::Reflect::get(&window, &key).ok()?;
    let _ = js_sys::Reflect::delete_property(&window, &key);
    let promise = started.dyn_into::<js_sys::Promise>().ok()?;
    let answer = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .and_then(|response| response.dyn_into::<web_sys::Response>())
        .map(gloo_net::http::Response::from)
        // A failed fetch rejects with a TypeError: its message is the words to show.
        .map_err(|e| match e.dyn_ref::<js_sys::Error>() {
            Some(error) => String::from(error.message()),
            None => e.as_string().unwrap_or_else(|| format!("{e:?}")),
        });
    Some(answer)
}

/// Loads and parses `config.json`; every failure becomes a message for the page.
pub async fn load() -> Result<Config, String> {
    let response = match started_by_the_boot_script().await {
        Some(answer) => answer,
        None => gloo_net::http::Request::get(&config_url())
            .cache(web_sys::RequestCache::NoCache)
            .send()
            .await
            .map_err(|e| e.to_string()),
    }
    .map_err(|e| format!("Could not load config.json: {e}. Is the site reachable?"))?;
    if !response.ok() {
        return Err(format!(
            "Could not load config.json: the server answered HTTP {}. \
             Put a config.json next to index.html (see the README).",
            response.status()
        ));
    }
    let text = response
        .text()
        .await
        .map_err(|e| format!("Could not read config.json: {e}"))?;
    Config::parse(&text).map_err(|e: ConfigError| e.to_string())
}
