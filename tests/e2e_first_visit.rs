//! End-to-end tests of a first visit (Chromium): the sign-in card is painted from
//! `index.html` before the wasm runs, `config.json` is asked for beside the wasm
//! rather than after it, and the console stays empty while the page loads.
#![cfg(not(target_arch = "wasm32"))]
// Tests wait on wall-clock deadlines; only the app itself must avoid the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use serde_json::{json, Value};
use std::time::Duration;
use support::app::wait_until;
use support::stack::Stack;
use support::webdriver::Browser;

/// The sign-in card's heading, in `index.html` and in `ui::signin`.
const HEADING: &str = "Your private folder in S3";

/// `model::storage_keys::TOKENS`, which `boot.js` looks for.
const TOKENS_KEY: &str = "cubby.tokens";

/// Whether an `h1` reading [`HEADING`] is on the page and rendered (not hidden).
fn heading_shows(browser: &Browser) -> bool {
    browser.execute(
        "const h = [...document.querySelectorAll('h1')].find(h => h.textContent == arguments[0]);
         return !!h && h.checkVisibility() && h.getBoundingClientRect().height > 0",
        json!([HEADING]),
    ) == json!(true)
}

#[test]
fn the_sign_in_card_shows_before_the_wasm_arrives() {
    let stack = Stack::start("first-paint");
    let browser = Browser::start();
    // The wasm never arrives: what shows is index.html and its stylesheet alone.
    browser.cdp("Network.enable", json!({}));
    browser.cdp("Network.setBlockedURLs", json!({"urls": ["*.wasm"]}));
    browser.goto(&stack.app_url());
    wait_until("the static sign-in card", 30, &browser, || {
        heading_shows(&browser)
    });
    assert!(
        browser.find("#sign-in").is_none(),
        "the app itself ran although its wasm was blocked: the test shows nothing"
    );
    let text = browser.text("body");
    assert!(text.contains("Sign in"), "no sign-in button: {text}");
    browser.screenshot_to_output("first_paint_without_the_wasm");

    // A returning user (tokens stored) sees the frame with "Loading…", not the card.
    browser.execute(
        "localStorage.setItem(arguments[0], '{}')",
        json!([TOKENS_KEY]),
    );
    browser.refresh();
    wait_until(
        "the static frame for a returning user",
        30,
        &browser,
        || browser.text("main") == "Loading…",
    );
    assert!(!heading_shows(&browser), "{}", browser.text("body"));
    browser.execute("localStorage.clear()", json!([]));

    // Once the wasm comes, the app's own card takes the static one's place: one
    // heading, one header, and the app's working button.
    browser.cdp("Network.setBlockedURLs", json!({"urls": []}));
    browser.refresh();
    browser.wait_for("#sign-in", 30);
    wait_until("the static card gone", 10, &browser, || {
        browser.find("#first-paint").is_none()
    });
    assert!(heading_shows(&browser), "{}", browser.text("body"));
    assert_eq!(browser.find_all("h1").len(), 1, "{}", browser.text("body"));
    assert_eq!(browser.find_all("header").len(), 1);
}

#[test]
fn the_console_stays_empty_while_the_page_loads() {
    let stack = Stack::start("quiet-load");
    let browser = Browser::start();
    browser.goto(&stack.app_url());
    browser.wait_for("#sign-in", 30);
    // Chromium reports an unused preload after a few seconds ("preloaded using link
    // preload but not used within a few seconds"): wait past that.
    std::thread::sleep(Duration::from_secs(5));
    let noise: Vec<(String, String)> = browser
        .console_log()
        .into_iter()
        .filter(|(level, _)| level == "WARNING" || level == "SEVERE")
        .collect();
    assert!(noise.is_empty(), "the console on load: {noise:#?}");
}

#[test]
fn config_json_is_asked_for_beside_the_wasm() {
    let stack = Stack::start("config-early");
    let browser = Browser::start();
    // A slow link (about 4 Mbit/s, 50 ms), so the wasm takes long enough to load
    // that a request started after it is plainly later.
    browser.cdp("Network.enable", json!({}));
    browser.cdp(
        "Network.emulateNetworkConditions",
        json!({"offline": false, "latency": 50, "downloadThroughput": 500_000, "uploadThroughput": 500_000}),
    );
    browser.goto(&stack.app_url());
    browser.wait_for("#sign-in", 60);
    let entries = browser.execute(
        "return performance.getEntriesByType('resource').map(e => ({
             name: new URL(e.name).pathname, start: e.startTime, end: e.responseEnd }))",
        json!([]),
    );
    let entries = entries.as_array().expect("resource entries");
    let named = |suffix: &str| -> Vec<&Value> {
        entries
            .iter()
            .filter(|e| e["name"].as_str().unwrap_or("").ends_with(suffix))
            .collect()
    };
    let config = named("/config.json");
    let wasm = named(".wasm");
    assert_eq!(
        config.len(),
        1,
        "config.json asked for once (the app takes the boot script's answer): {entries:#?}"
    );
    assert!(!wasm.is_empty(), "no wasm in {entries:#?}");
    let config_start = config[0]["start"].as_f64().unwrap();
    let wasm_end = wasm
        .iter()
        .filter_map(|e| e["end"].as_f64())
        .fold(f64::MAX, f64::min);
    assert!(
        config_start < wasm_end,
        "config.json was asked for at {config_start:.0} ms, after the wasm had loaded \
         ({wasm_end:.0} ms): {entries:#?}"
    );
}

#[test]
fn the_wasm_and_config_are_asked_for_after_the_first_paint_and_come_compressed() {
    let stack = Stack::start("wasm-after-paint");
    let browser = Browser::start();
    browser.goto(&stack.app_url());
    browser.wait_for("#sign-in", 30);
    let timing = browser.execute(
        "const paint = performance.getEntriesByName('first-contentful-paint')[0];
         const resources = performance.getEntriesByType('resource');
         const wasm = resources.find(e => e.name.endsWith('.wasm'));
         const config = resources.find(e => e.name.endsWith('/config.json'));
         return { paint: paint ? paint.startTime : null, wasm: wasm ? wasm.startTime : null,
                  config: config ? config.startTime : null,
                  encoded: wasm ? wasm.encodedBodySize : null, decoded: wasm ? wasm.decodedBodySize : null }",
        json!([]),
    );
    let number = |name: &str| {
        timing[name]
            .as_f64()
            .unwrap_or_else(|| panic!("no {name} in {timing}"))
    };
    // The static card paints on a link of its own; the wasm would otherwise share
    // it with the stylesheet that paint waits for, and a slow config.json could
    // hold the paint up.
    for name in ["wasm", "config"] {
        assert!(
            number("paint") <= number(name),
            "{name} was asked for before the first paint: {timing}"
        );
    }
    // gzip, as CloudFront's "Compress objects automatically" would send it.
    assert!(
        number("encoded") < number("decoded") / 2.0,
        "the wasm came uncompressed: {timing}"
    );
}
