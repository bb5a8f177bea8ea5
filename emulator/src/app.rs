//! The app origin: the built app (SPA fallback to `index.html`), the generated
//! `/config.json`, and the security headers a production host should also send.

use crate::compression;
use crate::http_util::*;
use crate::server::{BoxFuture, Handler};
use crate::state::{State, Urls};
use http::{header, HeaderValue, Method, Request, StatusCode};
use hyper::body::Incoming;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

/// The Content-Security-Policy for the app. One place, so it can be tuned.
///
/// Only what the app uses: images come from `blob:` URLs (no `data:`); the app calls
/// Cognito Identity and S3 (it has no STS code, so STS is not allowed); it reaches the
/// Hosted UI by navigating, never by posting a form (so `form-action` is only
/// `'self'`), and it never frames anything (`frame-src 'none'`).
pub fn content_security_policy(urls: &Urls) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
img-src 'self' blob:; connect-src 'self' {hosted} {identity} {s3}; \
frame-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
        hosted = urls.hosted_ui,
        identity = urls.identity,
        s3 = urls.s3,
    )
}

/// Every security header the app origin sends, as (lower-case name, value): the
/// CloudFront response headers policy in `deploy/cubby.yaml` sends the same ones
/// (`tests/deploy_policy.rs` compares them), plus HSTS, which needs HTTPS.
///
/// `cross-origin-opener-policy: same-origin` puts the app in its own browsing context
/// group, so a cross-origin page that opened it cannot navigate it later. The sign-in
/// popup does not need the opener link: its answer comes back over a
/// BroadcastChannel and it closes itself.
pub fn security_headers(urls: &Urls) -> Vec<(&'static str, String)> {
    vec![
        ("content-security-policy", content_security_policy(urls)),
        ("x-content-type-options", "nosniff".into()),
        ("referrer-policy", "no-referrer".into()),
        ("x-frame-options", "DENY".into()),
        ("cross-origin-opener-policy", "same-origin".into()),
    ]
}

/// The app's `config.json` for these URLs.
pub fn app_config(state: &State) -> serde_json::Value {
    serde_json::json!({
        "region": state.config.region,
        "userPoolId": state.config.user_pool_id,
        "clientId": state.config.client_id,
        "hostedUiUrl": state.urls.hosted_ui,
        "identityPoolId": state.config.identity_pool_id,
        "bucket": state.config.bucket,
        "s3Endpoint": state.urls.s3,
        "cognitoIdentityEndpoint": state.urls.identity,
        "stsEndpoint": state.urls.sts,
        "redirectUri": state.callback_urls[0],
        "signOutUri": state.sign_out_urls[0],
        "scopes": state.config.allowed_scopes,
    })
}

pub fn handler(state: Arc<State>) -> Handler {
    let headers: Vec<(&'static str, HeaderValue)> = security_headers(&state.urls)
        .into_iter()
        .filter_map(|(name, value)| Some((name, HeaderValue::from_str(&value).ok()?)))
        .collect();
    let headers = Arc::new(headers);
    Arc::new(move |req| -> BoxFuture<Option<Resp>> {
        let state = state.clone();
        let headers = headers.clone();
        Box::pin(async move {
            let mut resp = route(&state, req).await;
            let h = resp.headers_mut();
            for (name, value) in headers.iter() {
                h.insert(*name, value.clone());
            }
            Some(resp)
        })
    })
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "webmanifest" => "application/manifest+json",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// `url_path` under `root`, refusing anything that climbs out.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_encoding::percent_decode_str(url_path)
        .decode_utf8()
        .ok()?;
    let rel = Path::new(decoded.trim_start_matches('/'));
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    Some(root.join(rel))
}

async fn route(state: &State, req: Request<Incoming>) -> Resp {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return response(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "method not allowed",
        );
    }
    let accepts_gzip = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(compression::accepts_gzip);
    let path = req.uri().path();
    if path == "/config.json" {
        let mut resp = json(StatusCode::OK, &app_config(state));
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        return resp;
    }
    let Some(root) = state.config.app_dir.as_deref() else {
        return response(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "No app directory configured (start with --app-dir dist).",
        );
    };
    let file = match resolve(root, path) {
        Some(p) if p.is_file() => Some(p),
        Some(p) if p.is_dir() && p.join("index.html").is_file() => Some(p.join("index.html")),
        Some(_) | None => None,
    };
    let looks_like_asset = Path::new(path).extension().is_some();
    let file = match file {
        Some(f) => f,
        None if !looks_like_asset => root.join("index.html"),
        None => return response(StatusCode::NOT_FOUND, "text/plain", "not found"),
    };
    // Before the read, so a file rewritten meanwhile is never cached as the old bytes.
    let modified = tokio::fs::metadata(&file)
        .await
        .and_then(|m| m.modified())
        .ok();
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let kind = content_type(&file);
            let gzip = accepts_gzip && compression::compressible(kind, bytes.len());
            let body = if gzip {
                gzipped(&file, modified, bytes)
            } else {
                bytes.into()
            };
            let mut resp = response(StatusCode::OK, kind, body);
            let h = resp.headers_mut();
            // A cache between here and the browser keeps one copy per encoding.
            h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
            if gzip {
                h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            let cache = if file.extension().is_some_and(|e| e == "html") {
                "no-cache"
            } else {
                "no-cache, max-age=0"
            };
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            resp
        }
        Err(_) => response(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "The app is not built yet (no index.html in the app directory).",
        ),
    }
}

/// `bytes` (the file at `path`) in gzip, compressed once per version of the file:
/// the wasm is about 1.3 MB, and every end-to-end test loads it.
fn gzipped(path: &Path, modified: Option<SystemTime>, bytes: Vec<u8>) -> bytes::Bytes {
    type Cache = Mutex<HashMap<PathBuf, (Option<SystemTime>, usize, bytes::Bytes)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some((at, len, packed)) = cache.lock().unwrap().get(path) {
        if *at == modified && *len == bytes.len() && modified.is_some() {
            return packed.clone();
        }
    }
    let packed = bytes::Bytes::from(compression::gzip(&bytes));
    cache
        .lock()
        .unwrap()
        .insert(path.to_path_buf(), (modified, bytes.len(), packed.clone()));
    packed
}
