//! Fetches `config.json` from the app's own origin.

use crate::config::{Config, ConfigError};

/// Loads and parses `config.json`; every failure becomes a message for the page.
pub async fn load() -> Result<Config, String> {
    let response = gloo_net::http::Request::get("config.json")
        .cache(web_sys::RequestCache::NoCache)
        .send()
        .await
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
