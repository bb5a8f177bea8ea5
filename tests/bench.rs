//! Benchmarks for `cargo xtask bench`: never part of `cargo xtask test` (every host
//! test here is `#[ignore]`; the wasm test runs only when xtask asks for this target).
//! They measure and print, one `BENCH {json}` line per figure; they assert nothing
//! about time. xtask collects the lines into its table and `target/bench/results.json`.
//!
//! Host: `cargo test --release -p cubby --test bench -- --ignored --nocapture --test-threads=1`
//! (the release app in `dist/`, the emulator in-process, headless Chromium).
//! Wasm: `cargo test --release -p cubby --target wasm32-unknown-unknown --test bench`.
// Benchmarks read the clock; only the app itself must avoid it.
#![allow(clippy::disallowed_methods)]

use cubby::core::credentials::Credentials;
use cubby::core::s3::signing::{sign_s3_request, PayloadSigning};
use cubby::core::secret::Secret;
use serde_json::Value;
use std::time::{Duration, UNIX_EPOCH};

/// Signs a typical GetObject request (session credentials, unsigned payload)
/// `count` times with the app's signer.
fn sign_many(count: u32) {
    let credentials = Credentials {
        access_key_id: "ASIAEXAMPLEEXAMPLE00".into(),
        secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        session_token: Some(Secret::new("FwoGZXIvYXdzEXAMPLE".repeat(20))),
        expiration: None,
    };
    for i in 0..count {
        let mut request = http::Request::builder()
            .method("GET")
            .uri(format!(
                "https://s3.us-east-1.amazonaws.com/cubby-data/private/us-east-1:11111111-2222-3333-4444-555555555555/photos/file-{i}.jpg"
            ))
            .header("host", "s3.us-east-1.amazonaws.com")
            .header("range", "bytes=0-1048575")
            .body(Vec::new())
            .unwrap();
        let time = UNIX_EPOCH + Duration::from_secs(1_700_000_000 + u64::from(i));
        sign_s3_request(
            &mut request,
            &credentials,
            "us-east-1",
            time,
            PayloadSigning::Unsigned,
        )
        .expect("signs");
    }
}

/// Signatures per second: batches of 200 until `seconds` have passed on `now_ms`.
fn signatures_per_second(seconds: f64, now_ms: impl Fn() -> f64) -> (f64, u64) {
    sign_many(50); // warm-up
    let start = now_ms();
    let mut done = 0u64;
    loop {
        sign_many(200);
        done += 200;
        let elapsed = (now_ms() - start) / 1000.0;
        if elapsed >= seconds {
            return (done as f64 / elapsed, done);
        }
    }
}

/// One `BENCH` line: `id` (stable, for results.json), a label, the figure and its
/// unit, and optional extras (`baseline`, `baseline_label`, `note`, ...).
fn bench_line(id: &str, label: &str, value: f64, unit: &str, extra: Value) -> String {
    let mut row = serde_json::json!({ "id": id, "label": label, "value": value, "unit": unit });
    if let (Some(row), Some(extra)) = (row.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            row.insert(k.clone(), v.clone());
        }
    }
    format!("BENCH {row}")
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn signing_in_wasm() {
        let (rate, count) = super::signatures_per_second(2.0, js_sys::Date::now);
        console_log!(
            "{}",
            super::bench_line(
                "signing.wasm",
                "SigV4 signatures/s (wasm, headless Chromium)",
                rate,
                "sig/s",
                serde_json::json!({ "count": count }),
            )
        );
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod support;

#[cfg(not(target_arch = "wasm32"))]
mod host {
    use super::bench_line;
    use super::support::app::{sign_in, wait_until, ALICE};
    use super::support::stack::Stack;
    use super::support::webdriver::Browser;
    use serde_json::{json, Value};
    use std::collections::HashMap;
    use std::time::Instant;

    fn emit(id: &str, label: &str, value: f64, unit: &str, extra: Value) {
        println!("{}", bench_line(id, label, value, unit, extra));
    }

    fn env_number(name: &str, default: u64) -> u64 {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    /// Records, in every new document, when the folder view and its first rows
    /// appear (`performance.now()`, ms since navigation start, and the next
    /// animation frame as the paint), when the listing stops loading, and the
    /// largest number of rows in the DOM at any time.
    const PROBE: &str = r#"
(() => {
  const b = window.__bench = { maxRows: 0 };
  const frame = (key) => requestAnimationFrame(() => { b[key] = performance.now(); });
  const check = () => {
    const list = document.querySelector('.file-list');
    if (!list) return;
    if (b.list === undefined) { b.list = performance.now(); frame('listPaint'); }
    const rows = list.querySelectorAll('.row').length;
    if (rows > 0 && b.rows === undefined) { b.rows = performance.now(); frame('rowsPaint'); }
    if (rows > b.maxRows) b.maxRows = rows;
    if (list.getAttribute('aria-busy') === 'false' && b.loaded === undefined) b.loaded = performance.now();
  };
  new MutationObserver(check).observe(document, {
    childList: true, subtree: true, attributes: true, attributeFilter: ['aria-busy'],
  });
})();
"#;

    fn install_probe(browser: &Browser) {
        browser.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": PROBE }),
        );
    }

    fn probe(browser: &Browser) -> Value {
        browser.execute("return window.__bench || null", json!([]))
    }

    /// Waits until the probe has recorded `key`; returns it (ms since navigation).
    fn wait_probe(browser: &Browser, key: &str, seconds: u64) -> f64 {
        let mut value = 0.0;
        wait_until(
            &format!("the probe's {key}"),
            seconds,
            browser,
            || match probe(browser)[key].as_f64() {
                Some(v) => {
                    value = v;
                    true
                }
                None => false,
            },
        );
        value
    }

    /// Used JS heap (`performance.memory`) and the app's wasm memory, in bytes.
    fn memory(browser: &Browser) -> (f64, f64) {
        let v = browser.execute_async(
            "const done = arguments[arguments.length - 1];
             const tag = document.querySelector('script[data-js][data-wasm]');
             import(tag.dataset.js)
               .then(m => m.default())
               .then(w => done([performance.memory.usedJSHeapSize, w.memory.buffer.byteLength]))
               .catch(e => done([performance.memory.usedJSHeapSize, -1]));",
            json!([]),
        );
        (v[0].as_f64().unwrap_or(-1.0), v[1].as_f64().unwrap_or(-1.0))
    }

    /// Writes `count` small objects straight into the emulator's store, in
    /// `username`'s folder.
    fn seed(stack: &Stack, username: &str, count: u64, name: impl Fn(u64) -> String) {
        for i in 0..count {
            let path = stack.object_path(&stack.user_key(username, &name(i)));
            if i == 0 {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            }
            std::fs::write(&path, b"x").unwrap();
        }
    }

    fn median(mut values: Vec<f64>) -> f64 {
        values.sort_by(|a, b| a.total_cmp(b));
        let n = values.len();
        if n % 2 == 1 {
            values[n / 2]
        } else {
            (values[n / 2 - 1] + values[n / 2]) / 2.0
        }
    }

    #[test]
    #[ignore = "benchmark: run by `cargo xtask bench`"]
    fn signing_native() {
        let started = Instant::now();
        let (rate, count) =
            super::signatures_per_second(2.0, || started.elapsed().as_secs_f64() * 1000.0);
        emit(
            "signing.native",
            "SigV4 signatures/s (native, same code)",
            rate,
            "sig/s",
            json!({ "count": count }),
        );
    }

    /// Row 2: navigation to the first painted rows when a session exists.
    #[test]
    #[ignore = "benchmark: run by `cargo xtask bench`"]
    fn start_with_a_session() {
        let stack = Stack::start("bench-start");
        seed(&stack, "alice", 20, |i| format!("file-{i:02}.txt"));
        let browser = Browser::start();
        install_probe(&browser);
        sign_in(&browser, &stack, ALICE);
        wait_probe(&browser, "rowsPaint", 30);
        let runs = env_number("CUBBY_BENCH_START_RUNS", 7);
        let mut painted = Vec::new();
        let mut fcp = Vec::new();
        for _ in 0..runs {
            browser.goto(&stack.app_url());
            painted.push(wait_probe(&browser, "rowsPaint", 30));
            fcp.push(
                browser
                    .execute(
                        "const p = performance.getEntriesByName('first-contentful-paint')[0];
                         return p ? p.startTime : null",
                        json!([]),
                    )
                    .as_f64()
                    .unwrap_or(-1.0),
            );
        }
        emit(
            "start.rows_painted_ms",
            "Start: navigation to first painted rows (session exists), median",
            median(painted.clone()),
            "ms",
            json!({ "runs": painted, "first_contentful_paint_ms": fcp }),
        );
    }

    /// One network request seen in Chrome's performance log.
    #[derive(Debug, Clone)]
    struct Hop {
        url: String,
        method: String,
        kind: String,
        start: f64,
        end: f64,
    }

    /// The requests in Chrome's performance log: each request and each redirect
    /// hop and CORS preflight is its own round trip.
    fn network_hops(entries: &[Value]) -> Vec<Hop> {
        let mut open: HashMap<String, Hop> = HashMap::new();
        let mut hops = Vec::new();
        for entry in entries {
            let Some(message) = entry["message"].as_str() else {
                continue;
            };
            let Ok(message) = serde_json::from_str::<Value>(message) else {
                continue;
            };
            let params = &message["message"]["params"];
            let id = params["requestId"].as_str().unwrap_or("").to_string();
            let time = params["timestamp"].as_f64().unwrap_or(0.0) * 1000.0;
            match message["message"]["method"].as_str().unwrap_or("") {
                "Network.requestWillBeSent" => {
                    if params.get("redirectResponse").is_some() {
                        if let Some(mut hop) = open.remove(&id) {
                            hop.end = time;
                            hops.push(hop);
                        }
                    }
                    let url = params["request"]["url"].as_str().unwrap_or("").to_string();
                    if url.starts_with("data:") {
                        continue;
                    }
                    open.insert(
                        id,
                        Hop {
                            url,
                            method: params["request"]["method"]
                                .as_str()
                                .unwrap_or("")
                                .to_string(),
                            kind: params["type"].as_str().unwrap_or("").to_string(),
                            start: time,
                            end: f64::NAN,
                        },
                    );
                }
                "Network.loadingFinished" | "Network.loadingFailed" => {
                    if let Some(mut hop) = open.remove(&id) {
                        hop.end = time;
                        hops.push(hop);
                    }
                }
                _ => {}
            }
        }
        hops.sort_by(|a, b| a.start.total_cmp(&b.start));
        hops
    }

    fn is_preflight(hop: &Hop) -> bool {
        hop.method == "OPTIONS"
    }

    /// The longest chain of requests each starting after the previous one ended:
    /// the sequential round trips. Chrome logs a CORS preflight as its own request
    /// inside the span of the request it clears, so such a request counts two.
    fn sequential_round_trips(hops: &[&Hop]) -> usize {
        let preflights: Vec<&&Hop> = hops.iter().filter(|h| is_preflight(h)).collect();
        let requests: Vec<&&Hop> = hops.iter().filter(|h| !is_preflight(h)).collect();
        let weight = |h: &Hop| {
            1 + preflights
                .iter()
                .filter(|p| p.url == h.url && p.start >= h.start && p.end <= h.end)
                .count()
        };
        let mut chain = vec![0usize; requests.len()];
        for i in 0..requests.len() {
            let before = (0..i)
                .filter(|&j| requests[j].end <= requests[i].start)
                .map(|j| chain[j])
                .max()
                .unwrap_or(0);
            chain[i] = before + weight(requests[i]);
        }
        chain.into_iter().max().unwrap_or(0)
    }

    /// Signs in through the form, then measures the callback document: wall time
    /// to the first painted rows, and round trips from the performance log.
    fn measure_sign_in(browser: &Browser, stack: &Stack, case: &str, label: &str) {
        browser.log("performance"); // drop what came before
        browser.goto(&stack.app_url());
        browser.wait_for("#sign-in", 30).click();
        browser.wait_for("#username", 30).send_keys(ALICE.0);
        browser.find("#password").unwrap().send_keys(ALICE.1);
        browser.find("button[type=submit]").unwrap().click();
        let rows = wait_probe(browser, "rowsPaint", 60);
        let fetch_start = browser
            .execute(
                "return performance.getEntriesByType('navigation')[0].fetchStart",
                json!([]),
            )
            .as_f64()
            .unwrap_or(0.0);
        let entries = browser.log("performance");
        let hops = network_hops(&entries);
        let from = hops
            .iter()
            .position(|h| h.url.contains("code=") && h.url.starts_with(&stack.app_url()))
            .expect("the callback request in the performance log");
        let after: Vec<&Hop> = hops[from..].iter().filter(|h| !h.end.is_nan()).collect();
        let app = stack.app_url();
        let api: Vec<&Hop> = after
            .iter()
            .copied()
            .filter(|h| !h.url.starts_with(&app))
            .collect();
        let preflights = api.iter().filter(|h| is_preflight(h)).count();
        let all_trips = sequential_round_trips(&after);
        let api_trips = sequential_round_trips(&api);
        let requests: Vec<String> = after
            .iter()
            .map(|h| {
                let path = h.url.split('?').next().unwrap_or("");
                format!(
                    "{} {} {} {:.0}..{:.0} ms",
                    h.method,
                    h.kind,
                    path,
                    h.start - after[0].start,
                    h.end - after[0].start
                )
            })
            .collect();
        emit(
            &format!("signin.{case}.wall_ms"),
            &format!("Sign-in ({label}): callback to first painted rows"),
            rows - fetch_start,
            "ms",
            json!({}),
        );
        emit(
            &format!("signin.{case}.api_round_trips"),
            &format!("Sign-in ({label}): sequential AWS round trips (preflights incl.)"),
            api_trips as f64,
            "trips",
            json!({
                "baseline": 3.0,
                "baseline_label": "minimum, returning user, preflights cached",
                "preflights": preflights,
                "all_round_trips_incl_app_files": all_trips,
                "requests": requests,
            }),
        );
    }

    /// Row 3: first sign-in, then sign out and sign in again (identity id cached,
    /// preflights cached).
    #[test]
    #[ignore = "benchmark: run by `cargo xtask bench`"]
    fn sign_in_path() {
        let stack = Stack::start("bench-signin");
        seed(&stack, "alice", 3, |i| format!("file-{i}.txt"));
        let browser = Browser::start_with_performance_log();
        install_probe(&browser);
        measure_sign_in(&browser, &stack, "first", "first");
        browser.execute(
            "[...document.querySelectorAll('header button')].find(b => b.textContent == 'Sign out').click()",
            json!([]),
        );
        browser.wait_for("#sign-in", 30);
        measure_sign_in(&browser, &stack, "returning", "returning user");
    }

    /// Row 5: a folder of many objects (100,000 unless `CUBBY_BENCH_OBJECTS`).
    #[test]
    #[ignore = "benchmark: run by `cargo xtask bench`"]
    fn huge_folder() {
        let count = env_number("CUBBY_BENCH_OBJECTS", 100_000);
        let stack = Stack::start("bench-huge");
        let seeded = Instant::now();
        seed(&stack, "alice", count, |i| format!("file-{i:06}.txt"));
        eprintln!(
            "bench: seeded {count} objects in {:.1}s",
            seeded.elapsed().as_secs_f64()
        );
        let browser = Browser::start();
        install_probe(&browser);
        sign_in(&browser, &stack, ALICE);
        // Measure a clean start with the session in place.
        browser.goto(&stack.app_url());
        let first_rows = wait_probe(&browser, "rowsPaint", 120);
        let (idle_heap, idle_wasm) = memory(&browser);
        let loaded = wait_probe(&browser, "loaded", 1800);
        let count_text = browser.text(".status.count");
        let last = format!("file-{:06}.txt", count - 1);
        let scroll = browser.execute_async(
            "const [last, done] = arguments;
             const list = document.querySelector('.file-list');
             const t0 = performance.now();
             list.scrollTop = list.scrollHeight;
             const poll = () => {
               const names = [...list.querySelectorAll('.row .name')].map(e => e.textContent);
               if (names.includes(last)) done(performance.now() - t0);
               else if (performance.now() - t0 > 60000) done(-1);
               else requestAnimationFrame(poll);
             };
             requestAnimationFrame(poll);",
            json!([last]),
        );
        // Then scroll through the whole list a screen at a time.
        let sweep = browser.execute_async(
            "const done = arguments[arguments.length - 1];
             const list = document.querySelector('.file-list');
             list.scrollTop = 0;
             const t0 = performance.now();
             let frames = 0;
             const step = () => {
               frames++;
               const max = list.scrollHeight - list.clientHeight;
               if (list.scrollTop >= max - 1) return done([performance.now() - t0, frames]);
               list.scrollTop = Math.min(max, list.scrollTop + list.clientHeight * 20);
               requestAnimationFrame(step);
             };
             requestAnimationFrame(step);",
            json!([]),
        );
        let (heap, wasm) = memory(&browser);
        let max_rows = probe(&browser)["maxRows"].as_f64().unwrap_or(-1.0);
        browser.screenshot_to_output("bench_huge_folder");
        let note = json!({ "objects": count, "status": count_text });
        emit(
            "huge.first_rows_ms",
            &format!("Huge folder ({count}): navigation to first painted rows"),
            first_rows,
            "ms",
            note.clone(),
        );
        emit(
            "huge.loaded_ms",
            &format!("Huge folder ({count}): navigation to whole listing loaded"),
            loaded,
            "ms",
            note.clone(),
        );
        emit(
            "huge.scroll_to_end_ms",
            &format!("Huge folder ({count}): jump to the end until the last row shows"),
            scroll.as_f64().unwrap_or(-1.0),
            "ms",
            json!({}),
        );
        emit(
            "huge.sweep_ms",
            &format!("Huge folder ({count}): scroll through, 20 screens a frame"),
            sweep[0].as_f64().unwrap_or(-1.0),
            "ms",
            json!({ "frames": sweep[1] }),
        );
        emit(
            "huge.max_dom_rows",
            &format!("Huge folder ({count}): most rows in the DOM at any time"),
            max_rows,
            "rows",
            json!({}),
        );
        emit(
            "huge.js_heap_bytes",
            &format!("Huge folder ({count}): used JS heap, loaded"),
            heap,
            "B",
            json!({ "at_first_rows": idle_heap }),
        );
        emit(
            "huge.wasm_memory_bytes",
            &format!("Huge folder ({count}): wasm memory, loaded"),
            wasm,
            "B",
            json!({ "at_first_rows": idle_wasm }),
        );
    }
}
