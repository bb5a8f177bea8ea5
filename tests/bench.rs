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

use cubby_core::credentials::Credentials;
use cubby_core::s3::signing::{sign_s3_request, PayloadSigning};
use cubby_core::secret::Secret;
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

/// CRC32 throughput of `crc` over one 1 MiB buffer, in MiB/s, until `seconds`
/// have passed on `now_ms`; also the checksum, so the work cannot be skipped.
fn checksum_mib_per_second(
    seconds: f64,
    now_ms: impl Fn() -> f64,
    crc: impl Fn(&[u8]) -> u32,
) -> (f64, u32) {
    let buffer: Vec<u8> = (0..1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut folded = crc(&buffer); // warm-up (and the table, built on first use)
    let start = now_ms();
    let mut mib = 0u64;
    loop {
        for _ in 0..16 {
            // black_box: the same buffer each time, or the compiler hoists the call.
            folded ^= crc(std::hint::black_box(&buffer));
        }
        mib += 16;
        let elapsed = (now_ms() - start) / 1000.0;
        if elapsed >= seconds {
            return (mib as f64 / elapsed, folded);
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

    #[wasm_bindgen_test]
    fn checksum_in_wasm() {
        let (rate, folded) =
            super::checksum_mib_per_second(2.0, js_sys::Date::now, cubby_core::crc32::crc32);
        console_log!(
            "{}",
            super::bench_line(
                "checksum.wasm",
                "CRC32 of upload parts (wasm, the app's code)",
                rate,
                "MiB/s",
                serde_json::json!({ "folded": folded }),
            )
        );
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod support;

#[cfg(not(target_arch = "wasm32"))]
mod host {
    use super::bench_line;
    use super::support::app::{click_labelled, sign_in, wait_for_rows, wait_until, Files, ALICE};
    use super::support::files::{file_sha256, noise_file, pick_upload, wait_for_upload, MIB};
    use super::support::native::NativeClient;
    use super::support::stack::{dist_dir, Stack};
    use super::support::webdriver::Browser;
    // The page's own wording of counts ("100,000 items."), so the texts waited
    // for are the ones it shows.
    use cubby::model::text;
    use cubby::model::transfers::PREFERRED_PART_SIZE;
    use serde_json::{json, Value};
    use std::collections::{BTreeMap, HashMap};
    use std::io::Write;
    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

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
    /// largest number of rows in the DOM at any time. Keeps every resource timing
    /// entry (the default buffer holds 250), so an upload's parts can be timed.
    const PROBE: &str = r#"
(() => {
  try { performance.setResourceTimingBufferSize(1000000); } catch (e) {}
  const b = window.__bench = { maxRows: 0 };
  const frame = (key) => requestAnimationFrame(() => { b[key] = performance.now(); });
  const check = () => {
    const list = document.querySelector('.file-list');
    if (!list) return;
    if (b.list === undefined) { b.list = performance.now(); frame('listPaint'); }
    const rows = list.querySelectorAll('.row').length;
    if (rows > 0 && b.rows === undefined) { b.rows = performance.now(); frame('rowsPaint'); }
    if (rows > b.maxRows) b.maxRows = rows;
    const grid = list.querySelector('[role=grid]');
    if (grid && grid.getAttribute('aria-busy') === 'false' && b.loaded === undefined) b.loaded = performance.now();
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

    /// Memory of the page, without hooks in the app: the V8 heap and the backing
    /// stores of its ArrayBuffers (file slices read into memory live there, not in
    /// the heap) from CDP `Runtime.getHeapUsage` (exact; `performance.memory` is
    /// coarse and cached, and counts neither), the app's wasm linear memory (the glue module's `default()` returns the
    /// running instance's exports once started), and, as a cross-check, the resident
    /// memory of Chromium's renderer processes and of all its processes (/proc).
    #[derive(Clone, Copy, Debug, Default)]
    struct Memory {
        js_heap: f64,
        array_buffers: f64,
        wasm: f64,
        renderer_rss: f64,
        chromium_rss: f64,
    }

    impl Memory {
        fn page(&self) -> f64 {
            self.js_heap + self.array_buffers + self.wasm
        }
    }

    fn memory(browser: &Browser, family: &Family) -> Memory {
        let heap = browser.cdp("Runtime.getHeapUsage", json!({}));
        let wasm = browser.execute_async(
            "const done = arguments[arguments.length - 1];
             const tag = document.querySelector('script[data-js][data-wasm]');
             import(tag.dataset.js).then(m => m.default())
               .then(w => done(w.memory.buffer.byteLength)).catch(() => done(-1));",
            json!([]),
        );
        let (renderer_rss, chromium_rss) = family.rss();
        Memory {
            js_heap: heap["usedSize"].as_f64().unwrap_or(-1.0),
            array_buffers: heap["backingStorageSize"].as_f64().unwrap_or(0.0),
            wasm: wasm.as_f64().unwrap_or(-1.0),
            renderer_rss,
            chromium_rss,
        }
    }

    /// The processes of one browser: the Chromium started with its profile and
    /// its descendants, renderers marked. Found once; sampling reads only these.
    struct Family {
        /// (pid, kind: see [`process_kind`])
        processes: Vec<(u32, &'static str)>,
    }

    /// What a Chromium process does, from its command line.
    fn process_kind(cmdline: &str) -> &'static str {
        if cmdline.contains("--type=renderer") {
            "renderer"
        } else if cmdline.contains("NetworkService") {
            "network"
        } else if cmdline.contains("--type=") {
            "other"
        } else {
            "browser"
        }
    }

    /// User + system CPU seconds a process has used (`/proc/<pid>/stat`); `self`
    /// for this test process (the emulator runs in it, and the native client).
    fn cpu_seconds(pid: &str) -> f64 {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            return 0.0;
        };
        // Fields after `pid (comm)`: state is the first, utime the 12th, stime the 13th.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        // Linux reports in USER_HZ, 100 on every mainstream build.
        (ticks(11) + ticks(12)) / 100.0
    }

    impl Family {
        fn of(browser: &Browser) -> Family {
            let profile = browser.downloads.parent().unwrap().display().to_string();
            let marker = format!("--user-data-dir={profile}");
            let cmdline = |pid: u32| {
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
                    .unwrap_or_default()
            };
            let mut parents = Vec::new(); // (pid, ppid)
            for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                    continue;
                };
                // `pid (comm) state ppid ...`; comm may hold spaces.
                let ppid = stat
                    .rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                    .and_then(|p| p.parse::<u32>().ok())
                    .unwrap_or(0);
                parents.push((pid, ppid));
            }
            let root = parents.iter().map(|p| p.0).find(|&pid| {
                let line = cmdline(pid);
                line.contains(&marker) && !line.contains("--type=")
            });
            let mut family: Vec<u32> = root.into_iter().collect();
            let mut grew = !family.is_empty();
            while grew {
                grew = false;
                for &(pid, ppid) in &parents {
                    if family.contains(&ppid) && !family.contains(&pid) {
                        family.push(pid);
                        grew = true;
                    }
                }
            }
            Family {
                processes: family
                    .into_iter()
                    .map(|pid| (pid, process_kind(&cmdline(pid))))
                    .collect(),
            }
        }

        /// Resident bytes of the renderers and of the whole family.
        fn rss(&self) -> (f64, f64) {
            let (mut renderers, mut all) = (0.0, 0.0);
            for &(pid, kind) in &self.processes {
                let bytes = std::fs::read_to_string(format!("/proc/{pid}/status"))
                    .ok()
                    .and_then(|status| {
                        status
                            .lines()
                            .find_map(|l| l.strip_prefix("VmRSS:"))
                            .and_then(|v| v.split_whitespace().next())
                            .and_then(|v| v.parse::<f64>().ok())
                    })
                    .unwrap_or(0.0)
                    * 1024.0;
                all += bytes;
                if kind == "renderer" {
                    renderers += bytes;
                }
            }
            (renderers, all)
        }

        /// CPU seconds used so far by kind of Chromium process, and by this
        /// test process as `emulator` (the emulator's S3 runs in it).
        fn cpu(&self) -> BTreeMap<&'static str, f64> {
            let mut by_kind = BTreeMap::new();
            for &(pid, kind) in &self.processes {
                *by_kind.entry(kind).or_insert(0.0) += cpu_seconds(&pid.to_string());
            }
            by_kind.insert("emulator", cpu_seconds("self"));
            by_kind
        }
    }

    /// Writes `count` one-byte objects straight into the emulator's store (one file
    /// per key), in `username`'s folder, on two threads.
    fn seed(stack: &Stack, username: &str, count: u64, name: impl Fn(u64) -> String + Sync) {
        let first = stack.object_path(&stack.user_key(username, &name(0)));
        std::fs::create_dir_all(first.parent().unwrap()).unwrap();
        let folder = first.parent().unwrap().to_path_buf();
        std::thread::scope(|scope| {
            for half in 0..2u64 {
                let (folder, name) = (&folder, &name);
                scope.spawn(move || {
                    for i in (half..count).step_by(2) {
                        std::fs::write(folder.join(name(i)), b"x").unwrap();
                    }
                });
            }
        });
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

    #[test]
    #[ignore = "benchmark: run by `cargo xtask bench`"]
    fn checksum_native() {
        let started = Instant::now();
        let now_ms = || started.elapsed().as_secs_f64() * 1000.0;
        let (hardware, _) = super::checksum_mib_per_second(2.0, now_ms, crc32fast::hash);
        emit(
            "checksum.native",
            "CRC32 (native, crc32fast with the CPU's CRC instructions)",
            hardware,
            "MiB/s",
            json!({}),
        );
    }

    // ------------------------------------------------------------ network log

    /// One network request seen in Chrome's performance log. Each redirect hop and
    /// each CORS preflight is its own request (its own round trip).
    #[derive(Debug, Clone)]
    struct Hop {
        url: String,
        method: String,
        kind: String,
        /// `X-Amz-Target` of a Cognito call (names the operation).
        target: String,
        status: i64,
        /// Bytes on the wire, headers included (`encodedDataLength`).
        wire_bytes: f64,
        start: f64,
        end: f64,
    }

    impl Hop {
        fn is_preflight(&self) -> bool {
            self.method == "OPTIONS" || self.kind == "Preflight"
        }

        /// `METHOD service operation`, e.g. `POST identity GetCredentialsForIdentity`.
        fn name(&self, stack: &Stack) -> String {
            let urls = stack.emulator.urls();
            let (path, query) = self.url.split_once('?').unwrap_or((&self.url, ""));
            let what = if self.url.starts_with(&urls.identity) {
                match self.target.rsplit_once('.') {
                    Some((_, op)) => format!("identity {op}"),
                    None => "identity".to_string(),
                }
            } else if self.url.starts_with(&urls.s3) {
                let op = if query.contains("list-type=2") {
                    "ListObjectsV2"
                } else if query.contains("partNumber=") {
                    "UploadPart"
                } else if query.contains("uploads") {
                    "CreateMultipartUpload"
                } else {
                    "object"
                };
                format!("s3 {op}")
            } else if self.url.starts_with(&urls.hosted_ui) {
                format!("hosted-ui {}", &path[urls.hosted_ui.len()..])
            } else if self.url.starts_with(&urls.app) {
                let file = &path[urls.app.len()..];
                let file = if file == "/" && !query.is_empty() {
                    "/?code=… (callback)"
                } else {
                    file
                };
                format!("app {file}")
            } else {
                path.to_string()
            };
            let preflight = if self.is_preflight() {
                " (preflight)"
            } else {
                ""
            };
            format!("{} {what}{preflight}", self.method)
        }
    }

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
                    if let Some(redirect) = params.get("redirectResponse") {
                        if let Some(mut hop) = open.remove(&id) {
                            hop.end = time;
                            hop.status = redirect["status"].as_i64().unwrap_or(0);
                            hop.wire_bytes = redirect["encodedDataLength"].as_f64().unwrap_or(0.0);
                            hops.push(hop);
                        }
                    }
                    let request = &params["request"];
                    let url = request["url"].as_str().unwrap_or("").to_string();
                    if url.starts_with("data:") {
                        continue;
                    }
                    let target = request["headers"]
                        .as_object()
                        .and_then(|h| {
                            h.iter()
                                .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-target"))
                                .and_then(|(_, v)| v.as_str())
                        })
                        .unwrap_or("")
                        .to_string();
                    open.insert(
                        id,
                        Hop {
                            url,
                            method: request["method"].as_str().unwrap_or("").to_string(),
                            kind: params["type"].as_str().unwrap_or("").to_string(),
                            target,
                            status: 0,
                            wire_bytes: 0.0,
                            start: time,
                            end: f64::NAN,
                        },
                    );
                }
                "Network.responseReceived" => {
                    if let Some(hop) = open.get_mut(&id) {
                        hop.status = params["response"]["status"].as_i64().unwrap_or(0);
                    }
                }
                "Network.loadingFinished" | "Network.loadingFailed" => {
                    if let Some(mut hop) = open.remove(&id) {
                        hop.end = time;
                        hop.wire_bytes = params["encodedDataLength"].as_f64().unwrap_or(0.0);
                        hops.push(hop);
                    }
                }
                _ => {}
            }
        }
        hops.sort_by(|a, b| a.start.total_cmp(&b.start));
        hops
    }

    /// The longest chain of requests each starting after the previous one ended:
    /// the sequential round trips, and the chain itself. Chrome logs a CORS
    /// preflight as its own request inside the span of the request it clears, so
    /// such a request counts two (its preflight is listed before it).
    fn critical_path<'a>(hops: &[&'a Hop]) -> (usize, Vec<&'a Hop>) {
        let preflights: Vec<&Hop> = hops.iter().copied().filter(|h| h.is_preflight()).collect();
        let requests: Vec<&Hop> = hops.iter().copied().filter(|h| !h.is_preflight()).collect();
        let preflight_of = |h: &Hop| {
            preflights
                .iter()
                .copied()
                .find(|p| p.url == h.url && p.start >= h.start && p.end <= h.end)
        };
        let mut length = vec![0usize; requests.len()];
        let mut before: Vec<Option<usize>> = vec![None; requests.len()];
        for i in 0..requests.len() {
            let previous = (0..i)
                .filter(|&j| requests[j].end <= requests[i].start)
                .max_by_key(|&j| length[j]);
            before[i] = previous;
            length[i] = previous.map_or(0, |j| length[j])
                + 1
                + usize::from(preflight_of(requests[i]).is_some());
        }
        let Some(mut at) = (0..requests.len()).max_by_key(|&i| length[i]) else {
            return (0, Vec::new());
        };
        let total = length[at];
        let mut path = Vec::new();
        loop {
            path.push(requests[at]);
            if let Some(p) = preflight_of(requests[at]) {
                path.push(p);
            }
            match before[at] {
                Some(j) => at = j,
                None => break,
            }
        }
        path.reverse();
        (total, path)
    }

    // ------------------------------------------------------------------ bundle

    /// The length of `bytes` after `program args` (reading stdin).
    fn compressed_len(program: &str, args: &[&str], bytes: &[u8]) -> u64 {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run {program} ({e}); on Debian: apt-get install {program}")
            });
        let mut stdin = child.stdin.take().unwrap();
        let input = bytes.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        assert!(out.status.success(), "{program} failed");
        out.stdout.len() as u64
    }

    /// The files `index.html` in `dist` makes the browser load (stylesheets,
    /// scripts, preloads, and the JS and wasm that boot.js reads from its tag).
    fn files_index_html_names(dist: &Path) -> Vec<String> {
        let html = std::fs::read_to_string(dist.join("index.html")).unwrap();
        let mut names = vec!["/".to_string()];
        for attr in [" href=\"", " src=\"", " data-js=\"", " data-wasm=\""] {
            for (at, _) in html.match_indices(attr) {
                let rest = &html[at + attr.len()..];
                let Some(end) = rest.find('"') else { continue };
                let url = &rest[..end];
                if url.contains("://") || url.starts_with("data:") || url.is_empty() {
                    continue;
                }
                let name = format!("/{}", url.trim_start_matches('/'));
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }

    /// Row 1: everything the first page load transfers, from Chrome's network log
    /// of a real load (a new visitor: no session, empty cache), each body fetched
    /// again from the same URL and compressed. Cross-checked with the files
    /// `index.html` references in the build.
    #[test]
    #[ignore = "benchmark: run by `cargo xtask bench`"]
    fn first_load() {
        let stack = Stack::start("bench-first-load");
        let browser = Browser::start_with_performance_log();
        browser.goto(&stack.app_url());
        browser.wait_for("#sign-in", 30);
        // Let anything started late (an icon) finish: quiet for a second.
        let mut seen = 0;
        let mut quiet_since = Instant::now();
        let started = Instant::now();
        while quiet_since.elapsed() < Duration::from_secs(1)
            && started.elapsed() < Duration::from_secs(10)
        {
            let n = browser
                .execute(
                    "return performance.getEntriesByType('resource').length",
                    json!([]),
                )
                .as_u64()
                .unwrap_or(0);
            if n != seen {
                seen = n;
                quiet_since = Instant::now();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let hops = network_hops(&browser.log("performance"));
        let app = stack.app_url();
        let origin = app.trim_end_matches('/');
        let dist = dist_dir();
        let agent = ureq::AgentBuilder::new().build();
        let (mut raw, mut gzip, mut brotli, mut wire) = (0u64, 0u64, 0u64, 0.0);
        let mut files = serde_json::Map::new();
        let mut fetched = Vec::new();
        let mut differs_from_dist = Vec::new();
        // From the app's document on (the browser's own start page comes first).
        let from = hops
            .iter()
            .position(|h| h.url.starts_with(origin))
            .expect("the app's document in the performance log");
        for hop in hops[from..]
            .iter()
            .filter(|h| !h.is_preflight() && h.url.starts_with("http"))
        {
            let path = hop.url.strip_prefix(origin).unwrap_or(&hop.url).to_string();
            let body = match agent.get(&hop.url).call() {
                Ok(r) | Err(ureq::Error::Status(_, r)) => {
                    let mut bytes = Vec::new();
                    std::io::Read::read_to_end(&mut r.into_reader(), &mut bytes).unwrap();
                    bytes
                }
                Err(e) => panic!("GET {}: {e}", hop.url),
            };
            let on_disk = match path.as_str() {
                "/" => dist.join("index.html"),
                p => dist.join(p.trim_start_matches('/')),
            };
            if on_disk.is_file() && std::fs::read(&on_disk).unwrap() != body {
                differs_from_dist.push(path.clone());
            }
            let r = body.len() as u64;
            let g = compressed_len("gzip", &["-9", "-c"], &body);
            let b = compressed_len("brotli", &["-q", "11", "-c"], &body);
            raw += r;
            gzip += g;
            brotli += b;
            wire += hop.wire_bytes;
            files.insert(
                path.clone(),
                json!({ "raw": r, "gzip": g, "brotli": b, "status": hop.status, "type": hop.kind }),
            );
            fetched.push(path);
        }
        let referenced = files_index_html_names(&dist);
        let not_fetched: Vec<&String> =
            referenced.iter().filter(|n| !fetched.contains(n)).collect();
        let note = json!({
            "requests": fetched.len(),
            "index_html_references_not_fetched": not_fetched,
            "fetched_bodies_differing_from_dist": differs_from_dist,
            "dist": dist,
        });
        emit(
            "bundle.raw",
            "Bundle: first load (network log), raw",
            raw as f64,
            "B",
            json!({ "files": files, "check": note, "wire_bytes_incl_headers": wire }),
        );
        emit(
            "bundle.gzip",
            "Bundle: first load, gzip -9",
            gzip as f64,
            "B",
            json!({}),
        );
        emit(
            "bundle.brotli",
            "Bundle: first load, brotli -q 11",
            brotli as f64,
            "B",
            json!({ "budget": 150.0 * 1024.0, "budget_label": "≤ 150 KiB" }),
        );
        assert!(
            not_fetched.is_empty() && differs_from_dist.is_empty(),
            "the network log and the build disagree: {note}"
        );
    }

    // ------------------------------------------------------------------ start

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

    // ---------------------------------------------------------------- sign-in

    /// Signs in through the form, then measures the callback document: wall time
    /// to the first painted rows, and the sequential round trips (the chain
    /// printed) from the performance log.
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
        let hops = network_hops(&browser.log("performance"));
        let app = stack.app_url();
        let from = hops
            .iter()
            .position(|h| h.url.contains("code=") && h.url.starts_with(&app))
            .expect("the callback request in the performance log");
        let after: Vec<&Hop> = hops[from..].iter().filter(|h| !h.end.is_nan()).collect();
        let aws: Vec<&Hop> = after
            .iter()
            .copied()
            .filter(|h| !h.url.starts_with(&app))
            .collect();
        let t0 = after[0].start;
        let describe = |path: &[&Hop]| -> Vec<String> {
            path.iter()
                .map(|h| {
                    format!(
                        "{} {:.0}..{:.0} ms",
                        h.name(stack),
                        h.start - t0,
                        h.end - t0
                    )
                })
                .collect()
        };
        let (all_trips, all_path) = critical_path(&after);
        let (aws_trips, aws_path) = critical_path(&aws);
        let preflights = aws.iter().filter(|h| h.is_preflight()).count();
        for line in describe(&all_path) {
            eprintln!("bench: sign-in ({label}) chain: {line}");
        }
        emit(
            &format!("signin.{case}.wall_ms"),
            &format!("Sign-in ({label}): callback to first painted rows"),
            rows - fetch_start,
            "ms",
            json!({}),
        );
        emit(
            &format!("signin.{case}.aws_round_trips"),
            &format!("Sign-in ({label}): sequential AWS round trips, preflights incl."),
            aws_trips as f64,
            "trips",
            json!({
                "budget": if case == "returning" { json!(3.0) } else { Value::Null },
                "budget_label": if case == "returning" { "≤ 3 (token, credentials, list)" } else { "" },
                "chain": describe(&aws_path),
                "preflights": preflights,
                "all_requests": describe(&after),
            }),
        );
        emit(
            &format!("signin.{case}.all_round_trips"),
            &format!("Sign-in ({label}): sequential round trips incl. app files"),
            all_trips as f64,
            "trips",
            json!({ "chain": describe(&all_path) }),
        );
    }

    /// Chrome skips a preflight whose answer it cached (`Access-Control-Max-Age`)
    /// only for requests whose cache mode lets it: two identical cross-origin
    /// fetches to the emulator's S3, with `cache: 'no-store'` (what the app's fetch
    /// adapter sets for object reads only) and with the default mode (every other
    /// call); returns the preflights each pair caused, counted by the emulator.
    fn preflights_per_cache_mode(browser: &Browser, stack: &Stack) -> Vec<(String, u64)> {
        let bucket = stack.emulator.config().bucket.clone();
        let mut out = Vec::new();
        for mode in ["no-store", "default"] {
            let before = stack.s3_requests("Preflight");
            browser.execute_async(
                "const [s3, bucket, mode, done] = arguments;
                 const url = `${s3}/${bucket}?list-type=2&prefix=preflight-probe-${mode}`;
                 const once = () => fetch(url, { cache: mode, credentials: 'omit',
                     headers: { 'x-amz-date': '20260101T000000Z' } }).catch(() => null);
                 once().then(once).then(() => done(true));",
                json!([stack.emulator.urls().s3, bucket, mode]),
            );
            out.push((mode.to_string(), stack.s3_requests("Preflight") - before));
        }
        out
    }

    /// Row 3: a first sign-in in a new browser, then sign out and sign in again
    /// in the same browser: identity id cached, and Chrome's preflight cache warm
    /// from the first sign-in, as a returning user's browser has it.
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
        let modes = preflights_per_cache_mode(&browser, &stack);
        let count = |m: &str| {
            modes
                .iter()
                .find(|(k, _)| k == m)
                .map_or(-1.0, |(_, n)| *n as f64)
        };
        emit(
            "signin.preflight_cache",
            "Preflights for 2 identical fetches, cache: no-store (app: object reads only)",
            count("no-store"),
            "preflights",
            json!({
                "baseline": count("default"),
                "baseline_label": "same fetches, cache: default (app: every other call)",
                "why": "Chromium consults and fills its CORS preflight cache only for requests \
                        without LOAD_DISABLE_CACHE/BYPASS/VALIDATE_CACHE (no-store, reload, no-cache)",
            }),
        );
    }

    // ---------------------------------------------------------- huge folder

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
        // A clean start with the session in place; from the first rows on, scroll
        // the list to its bottom every frame until the last name shows.
        browser.goto(&stack.app_url());
        let first_rows = wait_probe(&browser, "rowsPaint", 120);
        // CUBBY_BENCH_PROFILE=1: the page's CPU profile from the first rows to the
        // last, for Chrome DevTools (a names-kept wasm shows the app's functions).
        let profile = std::env::var_os("CUBBY_BENCH_PROFILE").is_some();
        if profile {
            browser.cdp("Profiler.enable", json!({}));
            browser.cdp("Profiler.start", json!({}));
        }
        let last = format!("file-{:06}.txt", count - 1);
        browser.execute(
            "const last = arguments[0];
             const b = window.__bench;
             const step = () => {
               const list = document.querySelector('.file-list');
               list.scrollTop = list.scrollHeight;
               const names = [...list.querySelectorAll('.row .name')].map(e => e.textContent);
               if (names.includes(last)) b.lastShown = performance.now();
               else requestAnimationFrame(step);
             };
             requestAnimationFrame(step);",
            json!([last]),
        );
        let family = Family::of(&browser);
        let at_first_rows = memory(&browser, &family);
        let first_list_response = browser
            .execute(
                "const e = performance.getEntriesByType('resource')
                   .filter(e => e.name.includes('list-type=2'));
                 return e.length ? Math.min(...e.map(x => x.responseEnd)) : null",
                json!([]),
            )
            .as_f64()
            .unwrap_or(-1.0);
        let last_shown = wait_probe(&browser, "lastShown", 1800);
        if profile {
            let taken = browser.cdp("Profiler.stop", json!({}));
            let file =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench/huge-folder.cpuprofile");
            std::fs::write(&file, taken["profile"].to_string()).unwrap();
            println!(
                "CPU profile of the huge folder's listing: {}",
                file.display()
            );
        }
        let loaded = wait_probe(&browser, "loaded", 1800);
        let loaded_memory = memory(&browser, &family);
        // The emulator (s3s-fs) rescans the folder for every page, so most of the
        // way to the end is waiting for pages: their time, from resource timing
        // (the app asks for one page at a time), is given apart.
        let pages = browser.execute(
            "const e = performance.getEntriesByType('resource').filter(x => x.name.includes('list-type=2'));
             return [e.length, e.reduce((t, x) => t + x.responseEnd - x.startTime, 0),
                     e.filter(x => x.startTime >= arguments[0])
                      .reduce((t, x) => t + Math.min(x.responseEnd, arguments[1]) - x.startTime, 0)];",
            json!([first_rows, last_shown]),
        );
        let page_count = pages[0].as_f64().unwrap_or(-1.0);
        let waiting_for_pages = pages[2].as_f64().unwrap_or(0.0);
        let count_text = browser.text(".status.count");
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
            "huge.first_rows_after_first_page_ms",
            &format!("Huge folder ({count}): first listing page received to rows painted"),
            first_rows - first_list_response,
            "ms",
            json!({ "budget": 300.0, "budget_label": "< 300 ms", "first_page_received_ms": first_list_response }),
        );
        emit(
            "huge.scroll_to_end_ms",
            &format!(
                "Huge folder ({count}): first rows to last row shown, scrolling to the bottom"
            ),
            last_shown - first_rows,
            "ms",
            json!({
                "listing_loaded_ms": loaded,
                "list_pages": page_count,
                "list_pages_total_ms": pages[1],
                "waiting_for_pages_meanwhile_ms": waiting_for_pages,
            }),
        );
        emit(
            "huge.scroll_to_end_app_ms",
            &format!(
                "Huge folder ({count}): of that, the app's own time (minus waiting for pages)"
            ),
            last_shown - first_rows - waiting_for_pages,
            "ms",
            json!({ "list_pages": page_count, "mean_page_ms": pages[1].as_f64().unwrap_or(0.0) / page_count }),
        );
        emit(
            "huge.max_dom_rows",
            &format!("Huge folder ({count}): most rows in the DOM at any time"),
            max_rows,
            "rows",
            json!({ "budget": 300.0, "budget_label": "a few hundred at most" }),
        );
        emit(
            "huge.js_heap_bytes",
            &format!("Huge folder ({count}): JS heap, all loaded"),
            loaded_memory.js_heap,
            "B",
            json!({ "at_first_rows": at_first_rows.js_heap }),
        );
        emit(
            "huge.wasm_memory_bytes",
            &format!("Huge folder ({count}): wasm memory, all loaded"),
            loaded_memory.wasm,
            "B",
            json!({ "at_first_rows": at_first_rows.wasm }),
        );
    }

    // ------------------------------------------------------------------ search

    /// Types `query` into the filter (the whole text at once, as one keystroke
    /// adds the last character) and returns the ms from the input event to the
    /// frame after the list shows `expected` in its count line and `first` as
    /// its first row (`performance.now()` in the page).
    fn keystroke_ms(browser: &Browser, query: &str, expected: &str, first: Option<&str>) -> f64 {
        let ms = browser.execute_async(
            "const [query, expected, first] = arguments;
             const done = arguments[arguments.length - 1];
             const shown = () => {
               const count = document.querySelector('.status.count');
               const row = [...document.querySelectorAll('.row')]
                 .find(r => r.getAttribute('aria-rowindex') == '1');
               const name = row ? row.querySelector('.name').textContent : null;
               return count && count.textContent == expected && name == first;
             };
             const box = document.getElementById('filter');
             const start = performance.now();
             box.value = query;
             box.dispatchEvent(new Event('input', { bubbles: true }));
             const stop = setTimeout(() => { observer.disconnect(); done(-1); }, 30000);
             const observer = new MutationObserver(() => {
               if (!shown()) return;
               observer.disconnect();
               clearTimeout(stop);
               requestAnimationFrame(() => done(performance.now() - start));
             });
             observer.observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
             if (shown()) { observer.disconnect(); clearTimeout(stop);
               requestAnimationFrame(() => done(performance.now() - start)); }",
            json!([query, expected, first]),
        );
        let ms = ms.as_f64().unwrap_or(-1.0);
        assert!(
            ms >= 0.0,
            "the list never showed {expected:?} for {query:?}"
        );
        ms
    }

    /// Row: search everything at `CUBBY_BENCH_OBJECTS` (100,000) objects: how long
    /// "In all subfolders" takes to list them all, then keystroke → results
    /// shown (median of the keystrokes typing and erasing a query, narrowing and
    /// widening), against the 100 ms target.
    #[test]
    #[ignore = "benchmark: run by `cargo xtask bench`"]
    fn search_keystroke() {
        let count = env_number("CUBBY_BENCH_OBJECTS", 100_000);
        let stack = Stack::start("bench-search");
        let name = |i: u64| format!("file-{i:06}.txt");
        seed(&stack, "alice", count, name);
        let browser = Browser::start();
        install_probe(&browser);
        sign_in(&browser, &stack, ALICE);
        browser.goto(&stack.app_url());
        // The folder's own listing first, so the two listings do not share the
        // emulator (its count shows once it is whole).
        browser.wait_for_text(&format!("{}.", text::count(count, "item", "items")), 3600);
        browser.execute(
            "const b = window.__bench;
             b.searchStart = performance.now();
             document.getElementById('search-all').click();
             const check = () => {
               const c = document.querySelector('.status.count');
               if (c && c.textContent.endsWith(' match.')) b.searchListed = performance.now();
               else requestAnimationFrame(check);
             };
             requestAnimationFrame(check);",
            json!([]),
        );
        let listed = wait_probe(&browser, "searchListed", 3600)
            - probe(&browser)["searchStart"].as_f64().unwrap_or(0.0);
        let pages = browser
            .execute(
                "return performance.getEntriesByType('resource')
                   .filter(x => x.name.includes('list-type=2') && !x.name.includes('delimiter')).length",
                json!([]),
            )
            .as_f64()
            .unwrap_or(-1.0);
        // Typing "file-0123" then erasing back to "file-", then "9.txt".
        let mut queries: Vec<String> = (1..="file-0123".len())
            .map(|n| "file-0123"[..n].to_string())
            .collect();
        queries.extend(["file-012", "file-01", "file-0", "file-"].map(String::from));
        queries.extend(["9", "9.", "9.t", "9.tx", "9.txt"].map(String::from));
        let mut times = Vec::new();
        for query in &queries {
            let matching: Vec<u64> = (0..count)
                .filter(|&i| name(i).contains(query.as_str()))
                .collect();
            let expected = format!(
                "{} of {} match.",
                text::number(matching.len() as u64),
                text::count(count, "file", "files")
            );
            let first = matching.first().map(|&i| name(i));
            times.push(keystroke_ms(&browser, query, &expected, first.as_deref()));
        }
        let max_rows = probe(&browser)["maxRows"].as_f64().unwrap_or(-1.0);
        browser.screenshot_to_output("bench_search");
        let worst = times.iter().copied().fold(0.0, f64::max);
        emit(
            "search.keystroke_ms",
            &format!("Search everything ({count} objects): keystroke to results shown, median"),
            median(times.clone()),
            "ms",
            json!({
                "baseline": 100.0,
                "baseline_label": "the 100 ms target",
                "keystrokes": queries.len(),
                "worst_ms": worst,
                "each_ms": times,
                "max_dom_rows": max_rows,
            }),
        );
        emit(
            "search.listed_ms",
            &format!("Search everything ({count} objects): switched on to every object listed"),
            listed,
            "ms",
            json!({ "list_pages": pages, "note": "mostly the emulator's pages: it rescans the bucket for each" }),
        );
    }

    /// Row: the bulk delete of `CUBBY_BENCH_DELETE` (5,000) objects selected in one
    /// folder: requests the emulator saw and the time from Delete to the report,
    /// against one DeleteObject per object.
    #[test]
    #[ignore = "benchmark: run by `cargo xtask bench`"]
    fn bulk_delete() {
        let count = env_number("CUBBY_BENCH_DELETE", 5_000);
        let stack = Stack::start("bench-bulk-delete");
        seed(&stack, "alice", count, |i| format!("doomed-{i:05}.txt"));
        let browser = Browser::start();
        sign_in(&browser, &stack, ALICE);
        browser.wait_for_text(&format!("{}.", text::count(count, "item", "items")), 600);
        browser.find("#select-all").unwrap().click();
        let all_requests =
            |stack: &Stack| -> u64 { stack.control().stats().s3_requests.values().sum() };
        let (before, deletes_before) = (all_requests(&stack), stack.s3_requests("DeleteObjects"));
        browser.find("#bulk-delete").unwrap().click();
        browser.wait_for("#confirm-bulk-delete", 10).click();
        let started = Instant::now();
        wait_until("the bulk delete's report", 1800, &browser, || {
            browser.find("#bulk-summary").is_some()
        });
        let took = started.elapsed().as_secs_f64() * 1000.0;
        // The folder's reload after it is one of its requests.
        wait_until("the emptied folder listed", 600, &browser, || {
            browser.text(".status.count") == "0 items."
        });
        let summary = browser.text("#bulk-summary");
        let all = text::number(count);
        assert_eq!(summary, format!("{all} of {all} items deleted."));
        let requests = all_requests(&stack) - before;
        let deletes = stack.s3_requests("DeleteObjects") - deletes_before;
        let by_operation = stack.control().stats().s3_requests;
        emit(
            "bulk_delete.requests",
            &format!("Bulk delete of {count} objects: S3 requests at the emulator"),
            requests as f64,
            "requests",
            json!({
                "baseline": count as f64,
                "baseline_label": "one DeleteObject per object",
                "delete_objects_calls": deletes,
                "by_operation_whole_run": by_operation,
                "note": "from Delete confirmed to the folder listed again (its reload included)",
            }),
        );
        emit(
            "bulk_delete.ms",
            &format!("Bulk delete of {count} objects: Delete confirmed to the report shown"),
            took,
            "ms",
            json!({ "summary": summary }),
        );
    }

    // -------------------------------------------------------------- transfers

    fn mib_per_s(bytes: u64, time: Duration) -> f64 {
        bytes as f64 / MIB as f64 / time.as_secs_f64()
    }

    /// The app's upload of `name` in the page's resource timing: ms from the first
    /// UploadPart sent to CompleteMultipartUpload answered, the parts seen, and
    /// the most parts in flight at once.
    fn app_upload_timing(browser: &Browser, name: &str) -> (f64, u64, usize) {
        let t = browser.execute(
            "const name = arguments[0];
             const e = performance.getEntriesByType('resource').filter(x => x.name.includes(name));
             const parts = e.filter(x => x.name.includes('partNumber='));
             const complete = e.filter(x => x.name.includes('uploadId=') && !x.name.includes('partNumber='))
               .map(x => x.responseEnd);
             if (!parts.length || !complete.length) return null;
             const edges = parts.flatMap(x => [[x.startTime, 1], [x.responseEnd, -1]])
               .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
             let now = 0, most = 0;
             for (const [, d] of edges) { now += d; most = Math.max(most, now); }
             return [Math.max(...complete) - Math.min(...parts.map(x => x.startTime)), parts.length, most];",
            json!([name]),
        );
        (
            t[0].as_f64()
                .expect("the upload's requests in resource timing"),
            t[1].as_u64().unwrap_or(0),
            t[2].as_u64().unwrap_or(0) as usize,
        )
    }

    /// Waits until the browser has saved `name` (Chrome writes `<name>.crdownload`
    /// and renames it when done) with `size` bytes.
    fn wait_for_download(browser: &Browser, name: &str, size: u64, seconds: u64) {
        let path = browser.downloads.join(name);
        let deadline = Instant::now() + Duration::from_secs(seconds);
        while std::fs::metadata(&path).map(|m| m.len()).ok() != Some(size) {
            assert!(
                Instant::now() < deadline,
                "no download of {name} after {seconds}s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Rows 4 and 6: uploads and downloads through the app vs a native client
    /// (the app's core, same part size and parts in flight) against the same
    /// emulator; memory sampled every ~250 ms during the largest upload.
    #[test]
    #[ignore = "benchmark: run by `cargo xtask bench`"]
    fn transfers() {
        let sizes: Vec<u64> = std::env::var("CUBBY_BENCH_UPLOAD_MIB")
            .unwrap_or_else(|_| "256,1024".into())
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        let largest = sizes.iter().copied().max().unwrap_or(0);
        let stack = Stack::start("bench-transfers");
        let browser = Browser::start();
        install_probe(&browser);
        sign_in(&browser, &stack, ALICE);
        browser.wait_for_text("This folder is empty", 30);
        let native = NativeClient::for_signed_in_user(&stack, &browser);
        let files = Files::new("bench-transfers");
        // The app's parts in flight: config.json's `uploadPartsInFlight`, else its
        // default (4, `model::transfers`); the native client sends as many.
        let in_flight = stack.emulator.app_config()["uploadPartsInFlight"]
            .as_u64()
            .unwrap_or(4) as usize;

        for &mib in &sizes {
            let size = mib * MIB;
            let name = format!("upload-{mib}.bin");
            let (path, digest) = noise_file(&files, &name, size, 0x5eed ^ mib);
            let sample = mib == largest;
            let mut idle = Vec::new();
            let mut family = Family {
                processes: Vec::new(),
            };
            if sample {
                // Idle is a fresh page with the folder listed: wasm memory never
                // shrinks, so an earlier upload would hide this one's growth.
                browser.goto(&stack.app_url());
                wait_probe(&browser, "loaded", 60);
                std::thread::sleep(Duration::from_millis(500));
                family = Family::of(&browser);
                // What the previous page left behind is garbage: collect it first.
                browser.cdp("HeapProfiler.collectGarbage", json!({}));
                for _ in 0..4 {
                    idle.push(memory(&browser, &family));
                    std::thread::sleep(Duration::from_millis(250));
                }
            }
            let mut samples = Vec::new();
            let processes = Family::of(&browser);
            let cpu_before = processes.cpu();
            // CUBBY_BENCH_PROFILE=1: the page's JS and wasm CPU profile of the
            // upload, for Chrome DevTools (Performance > Load profile).
            let profile = std::env::var_os("CUBBY_BENCH_PROFILE").is_some();
            if profile {
                browser.cdp("Profiler.enable", json!({}));
                browser.cdp("Profiler.start", json!({}));
            }
            let started = Instant::now();
            pick_upload(&browser, &path);
            // One sample (and one look at the row) every 250 ms, or as often as
            // sampling allows.
            let tick = Duration::from_millis(250);
            let every = if sample { Duration::ZERO } else { tick };
            let mut last = Instant::now();
            let row = wait_for_upload(&browser, &name, 1800, every, || {
                if sample {
                    samples.push(memory(&browser, &family));
                    std::thread::sleep(tick.saturating_sub(last.elapsed()));
                    last = Instant::now();
                }
            });
            let app_wall = started.elapsed();
            if profile {
                let taken = browser.cdp("Profiler.stop", json!({}));
                let file = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join(format!("target/bench/upload-{mib}.cpuprofile"));
                std::fs::write(&file, taken["profile"].to_string()).unwrap();
                println!("CPU profile of the app's upload: {}", file.display());
            }
            let cpu_app: BTreeMap<&str, f64> = processes
                .cpu()
                .into_iter()
                .map(|(kind, after)| (kind, after - cpu_before.get(kind).copied().unwrap_or(0.0)))
                .collect();
            assert_eq!(row.state, "done", "the app's upload failed: {}", row.status);
            let (app_ms, app_parts, app_most_in_flight) = app_upload_timing(&browser, &name);
            let stored = stack.object_path(&stack.user_key("alice", &name));
            assert!(file_sha256(&stored) == digest, "the app stored other bytes");

            let native_key = native.key(&format!("native-{mib}.bin"));
            let cpu_before = cpu_seconds("self");
            let native_times = native.upload(&path, &native_key, PREFERRED_PART_SIZE, in_flight);
            let cpu_native = cpu_seconds("self") - cpu_before;
            // Where the two cores went: read beside the throughputs.
            println!(
                "upload {mib} MiB, CPU seconds: app {cpu_app:.1?} in {:.1} s; \
                 native client + emulator {cpu_native:.1} in {:.1} s",
                app_wall.as_secs_f64(),
                native_times.whole.as_secs_f64()
            );
            assert!(
                file_sha256(&stack.object_path(&native_key)) == digest,
                "the native client stored other bytes"
            );
            let app_rate = size as f64 / MIB as f64 / (app_ms / 1000.0);
            let native_rate = mib_per_s(size, native_times.parts_to_complete);
            emit(
                &format!("upload.{mib}.mib_s"),
                &format!("Upload {mib} MiB: app, first part sent to Complete answered"),
                app_rate,
                "MiB/s",
                json!({
                    "baseline": native_rate,
                    "baseline_label": format!(
                        "native client (app's core + ureq), {} MiB parts, {in_flight} in flight",
                        PREFERRED_PART_SIZE / MIB
                    ),
                    "app_most_parts_in_flight_seen": app_most_in_flight,
                    "budget_ratio": 0.8,
                    "app_pick_to_done_s": app_wall.as_secs_f64(),
                    "app_parts": app_parts,
                    "native_create_to_complete_s": native_times.whole.as_secs_f64(),
                    "app_cpu_s": cpu_app,
                    "native_client_and_emulator_cpu_s": cpu_native,
                }),
            );
            if sample {
                let idle_page = median(idle.iter().map(Memory::page).collect());
                let peak = samples
                    .iter()
                    .copied()
                    .max_by(|a, b| a.page().total_cmp(&b.page()))
                    .unwrap_or_default();
                let idle_renderer = median(idle.iter().map(|m| m.renderer_rss).collect());
                let idle_chromium = median(idle.iter().map(|m| m.chromium_rss).collect());
                let peak_renderer = samples.iter().map(|m| m.renderer_rss).fold(0.0, f64::max);
                let peak_chromium = samples.iter().map(|m| m.chromium_rss).fold(0.0, f64::max);
                emit(
                    &format!("memory.upload_{mib}.above_idle"),
                    &format!("Memory during the {mib} MiB upload: peak JS heap+ArrayBuffers+wasm above idle"),
                    peak.page() - idle_page,
                    "B",
                    json!({
                        "budget": 64.0 * MIB as f64,
                        "budget_label": "< 64 MiB",
                        "samples": samples.len(),
                        "mean_sample_interval_ms": app_wall.as_secs_f64() * 1000.0 / samples.len().max(1) as f64,
                        "idle_js_heap": median(idle.iter().map(|m| m.js_heap).collect()),
                        "idle_wasm": median(idle.iter().map(|m| m.wasm).collect()),
                        "idle_array_buffers": median(idle.iter().map(|m| m.array_buffers).collect()),
                        "peak_js_heap": peak.js_heap,
                        "peak_array_buffers": peak.array_buffers,
                        "peak_wasm": peak.wasm,
                        "renderer_rss_above_idle": peak_renderer - idle_renderer,
                        "chromium_rss_above_idle": peak_chromium - idle_chromium,
                        "method": "every ~250 ms: CDP Runtime.getHeapUsage usedSize + backingStorageSize \
                                   (ArrayBuffers) + the app's WebAssembly.Memory byteLength (from its glue module); \
                                   cross-check: VmRSS of Chromium's renderer / all processes",
                    }),
                );
                emit(
                    &format!("memory.upload_{mib}.renderer_rss_above_idle"),
                    &format!("Memory during the {mib} MiB upload: renderer RSS peak above idle"),
                    peak_renderer - idle_renderer,
                    "B",
                    json!({ "chromium_rss_above_idle": peak_chromium - idle_chromium }),
                );
            }

            // Download: the app's button (a presigned GET in a new navigation,
            // saved by Chrome) vs a GET of the same kind of URL into a file, and
            // the same link clicked in an empty page (no app): what Chromium's own
            // download path reaches here. That one runs before and after the app's,
            // so an effect of the order shows.
            let url = native.presigned_download_url(&stack.user_key("alice", &name), &name);
            let browser_alone = || {
                browser.goto("about:blank");
                let started = Instant::now();
                browser.execute(
                    "const a = document.createElement('a'); a.href = arguments[0];
                     document.body.append(a); a.click();",
                    json!([url]),
                );
                wait_for_download(&browser, &name, size, 1800);
                let took = started.elapsed();
                let saved = browser.downloads.join(&name);
                assert!(
                    file_sha256(&saved) == digest,
                    "the browser's download differs"
                );
                std::fs::remove_file(&saved).unwrap();
                browser.goto(&stack.app_url());
                wait_probe(&browser, "loaded", 60);
                took
            };
            let browser_before = browser_alone();
            wait_for_rows(&browser, &[&name]);
            let started = Instant::now();
            click_labelled(&browser, &format!("Download {name}"));
            wait_for_download(&browser, &name, size, 1800);
            let app_download = started.elapsed();
            let saved = browser.downloads.join(&name);
            assert!(file_sha256(&saved) == digest, "the app's download differs");
            std::fs::remove_file(&saved).unwrap();
            let browser_after = browser_alone();
            let browser_download = (browser_before + browser_after) / 2;
            println!(
                "download {mib} MiB, Chromium alone: {:.0} MiB/s before the app's, {:.0} after",
                mib_per_s(size, browser_before),
                mib_per_s(size, browser_after)
            );
            let to = files.0.join(format!("native-download-{mib}.bin"));
            let started = Instant::now();
            let got = native.download(&url, &to);
            let native_download = started.elapsed();
            assert_eq!(got, size, "the native download is whole");
            std::fs::remove_file(&to).unwrap();
            emit(
                &format!("download.{mib}.mib_s"),
                &format!("Download {mib} MiB: app (click to file saved)"),
                mib_per_s(size, app_download),
                "MiB/s",
                json!({
                    "baseline": mib_per_s(size, native_download),
                    "baseline_label": "native GET of a presigned URL into a file",
                    "budget_ratio": 0.8,
                    "browser_alone_mib_s": mib_per_s(size, browser_download),
                }),
            );
            emit(
                &format!("download.{mib}.browser_alone"),
                &format!(
                    "Download {mib} MiB: Chromium alone (same link in about:blank), mean of before and after the app's"
                ),
                mib_per_s(size, browser_download),
                "MiB/s",
                json!({
                    "before_app_mib_s": mib_per_s(size, browser_before),
                    "after_app_mib_s": mib_per_s(size, browser_after),
                    "baseline": mib_per_s(size, native_download),
                    "baseline_label": "native GET of a presigned URL into a file",
                }),
            );
            std::fs::remove_file(&path).unwrap();
        }
    }

    // ------------------------------------------------------------------ peers
    //
    // The same work done by what a user would use instead, in the same headless
    // Chromium against the same emulator in the same run: the AWS SDK for
    // JavaScript v3 and Amplify (bench/peers/, built by `cargo xtask bench`,
    // served on an origin of their own). Each row's baseline is the best peer of
    // the same run; the native client stays as the ceiling.

    use super::support::files::upload_row;
    use super::support::peers::{peers_dir, PeerServer};
    use cubby_emulator::CorsRule;
    use std::net::TcpListener;

    /// Why no Amplify transfer or listing row (aws-amplify 6.22.1, checked in the
    /// endpoint resolver of its `@aws-amplify/storage` 6.17.0): its only way to a
    /// plain-http S3 is the internal `dangerouslyConnectToHttpEndpointForTesting`,
    /// which ignores its value, sets the endpoint `http://localhost:20005`, and then
    /// fails its own check that a custom endpoint holds no scheme; `customEndpoint`
    /// itself is always `https://`.
    /// Runs of each client in the peers' download row.
    const DOWNLOAD_RUNS: usize = 3;

    const AMPLIFY_WHY_NOT: &str = "Amplify cannot reach the emulator's plain-http S3: its only option for it \
        (the internal dangerouslyConnectToHttpEndpointForTesting) sets http://localhost:20005 and then \
        throws InvalidCustomEndpoint (a custom endpoint must have no scheme) before any request; \
        customEndpoint is always https";

    fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port()
    }

    /// A stack whose bucket CORS allows the app origin (the default rule) and the
    /// peers' origin (the same rule), and the peers' server. None without a peers
    /// build.
    fn peers_stack(name: &str) -> Option<(Stack, PeerServer)> {
        let Some(dir) = peers_dir() else {
            eprintln!("bench: no peers build ($CUBBY_BENCH_PEERS); `cargo xtask bench` builds it");
            return None;
        };
        let server = PeerServer::start(dir);
        let app_port = free_port();
        let peers_origin = server.origin.clone();
        let stack = Stack::start_with(name, |config| {
            config.ports.app = app_port;
            config.cors = vec![
                CorsRule::default_for(&format!("http://127.0.0.1:{app_port}")),
                CorsRule::default_for(&peers_origin),
            ];
        });
        assert_eq!(
            stack.emulator.urls().app,
            format!("http://127.0.0.1:{app_port}"),
            "the CORS rule names the app origin"
        );
        Some((stack, server))
    }

    /// What a peer page is handed: the emulator's S3, the signed-in user's
    /// temporary credentials (from Cognito Identity, as Cubby gets them) and
    /// Cubby's part size and parts in flight.
    fn peer_options(stack: &Stack, native: &NativeClient, in_flight: usize) -> Value {
        let (credentials, identity_id) = native.credentials();
        json!({
            "endpoint": stack.emulator.urls().s3,
            "region": native.config.region,
            "bucket": stack.emulator.config().bucket,
            "identityId": identity_id,
            "prefix": format!("private/{identity_id}/"),
            "credentials": {
                "accessKeyId": credentials.access_key_id,
                "secretAccessKey": credentials.secret_access_key.expose(),
                "sessionToken": credentials.session_token.as_ref().map(|t| t.expose()),
            },
            "partSize": PREFERRED_PART_SIZE,
            "queueSize": in_flight,
        })
    }

    fn with(options: &Value, extra: Value) -> Value {
        let mut options = options.clone();
        if let (Some(o), Some(extra)) = (options.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                o.insert(k.clone(), v.clone());
            }
        }
        options
    }

    /// Opens a peer page and waits for its `window.peers`.
    fn open_peer(browser: &Browser, url: &str) {
        browser.goto(url);
        wait_until("the peer page", 60, browser, || {
            browser.execute("return !!window.peers", json!([])) == json!(true)
        });
    }

    /// Starts `window.peers[function](options)`; its outcome lands in `window.__peer`.
    fn start_peer(browser: &Browser, function: &str, options: &Value) {
        browser.execute(
            "window.__peer = undefined; window.peers[arguments[0]](arguments[1]);",
            json!([function, options]),
        );
    }

    /// The peer operation's outcome once done (`{ ms, value }`), or None while it runs.
    fn peer_outcome(browser: &Browser) -> Option<Value> {
        let v = browser.execute("return window.__peer || null", json!([]));
        if v["done"] != json!(true) {
            return None;
        }
        assert!(v["error"].is_null(), "the peer failed: {}", v["error"]);
        Some(v)
    }

    /// Memory of a page without wasm (a peer): the V8 heap and ArrayBuffers, and
    /// the renderers' resident memory, as [`memory`] measures Cubby's.
    fn peer_memory(browser: &Browser, family: &Family) -> Memory {
        let heap = browser.cdp("Runtime.getHeapUsage", json!({}));
        let (renderer_rss, chromium_rss) = family.rss();
        Memory {
            js_heap: heap["usedSize"].as_f64().unwrap_or(-1.0),
            array_buffers: heap["backingStorageSize"].as_f64().unwrap_or(0.0),
            wasm: 0.0,
            renderer_rss,
            chromium_rss,
        }
    }

    /// The multipart upload of the key ending in `name` in the page's resource
    /// timing: ms from the first UploadPart sent to CompleteMultipartUpload
    /// answered, the parts, the most parts in flight. None if it was no
    /// multipart upload.
    fn upload_span(browser: &Browser, name: &str) -> Option<(f64, u64, u64)> {
        let t = browser.execute(
            "const name = '/' + arguments[0];
             const e = performance.getEntriesByType('resource')
               .filter(x => new URL(x.name).pathname.endsWith(name));
             const parts = e.filter(x => x.name.includes('partNumber='));
             const complete = e.filter(x => x.name.includes('uploadId=') && !x.name.includes('partNumber='))
               .map(x => x.responseEnd);
             if (!parts.length || !complete.length) return null;
             const edges = parts.flatMap(x => [[x.startTime, 1], [x.responseEnd, -1]])
               .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
             let now = 0, most = 0;
             for (const [, d] of edges) { now += d; most = Math.max(most, now); }
             return [Math.max(...complete) - Math.min(...parts.map(x => x.startTime)), parts.length, most];",
            json!([name]),
        );
        let t = t.as_array()?;
        Some((t[0].as_f64()?, t[1].as_u64()?, t[2].as_u64()?))
    }

    /// One upload's figures, measured the same way for Cubby and each peer.
    #[derive(Debug)]
    struct UploadRun {
        /// First part sent to Complete answered (resource timing).
        mib_s: f64,
        /// CPU seconds of Chromium's renderer processes during the upload.
        renderer_cpu_s: f64,
        /// CPU seconds by process kind (browser, network, renderer, emulator...).
        cpu_s: BTreeMap<&'static str, f64>,
        parts: u64,
        most_in_flight: u64,
        /// Peak above idle: JS heap + ArrayBuffers (+ wasm for Cubby), renderer RSS.
        memory_above_idle: Option<(f64, f64)>,
    }

    /// Opens `page` fresh, measures idle memory (with `sample`), runs `start`,
    /// polls `finished` every 250 ms (sampling memory), then reads the upload of
    /// `name` from resource timing. `app`: the page is Cubby (its wasm counts).
    #[allow(clippy::too_many_arguments)]
    fn measure_upload(
        browser: &Browser,
        page: &str,
        app: bool,
        name: &str,
        size: u64,
        sample: bool,
        start: impl FnOnce(),
        mut finished: impl FnMut() -> bool,
    ) -> UploadRun {
        if app {
            browser.goto(page);
            wait_probe(browser, "loaded", 60);
        } else {
            open_peer(browser, page);
        }
        std::thread::sleep(Duration::from_millis(500));
        let family = Family::of(browser);
        let measure = |b: &Browser| {
            if app {
                memory(b, &family)
            } else {
                peer_memory(b, &family)
            }
        };
        let mut idle = Vec::new();
        if sample {
            browser.cdp("HeapProfiler.collectGarbage", json!({}));
            for _ in 0..4 {
                idle.push(measure(browser));
                std::thread::sleep(Duration::from_millis(250));
            }
        }
        let cpu_before = family.cpu();
        start();
        let deadline = Instant::now() + Duration::from_secs(1800);
        let mut samples = Vec::new();
        let started = Instant::now();
        while !finished() {
            assert!(Instant::now() < deadline, "no end to the upload of {name}");
            if sample {
                samples.push(measure(browser));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let wall = started.elapsed();
        let cpu_s: BTreeMap<&'static str, f64> = family
            .cpu()
            .into_iter()
            .map(|(kind, after)| (kind, after - cpu_before.get(kind).copied().unwrap_or(0.0)))
            .collect();
        let (ms, parts, most_in_flight) =
            upload_span(browser, name).unwrap_or((wall.as_secs_f64() * 1000.0, 1, 1));
        let memory_above_idle = sample.then(|| {
            let idle_page = median(idle.iter().map(Memory::page).collect());
            let idle_rss = median(idle.iter().map(|m| m.renderer_rss).collect());
            let peak_page = samples.iter().map(Memory::page).fold(idle_page, f64::max);
            let peak_rss = samples
                .iter()
                .map(|m| m.renderer_rss)
                .fold(idle_rss, f64::max);
            (peak_page - idle_page, peak_rss - idle_rss)
        });
        UploadRun {
            mib_s: size as f64 / MIB as f64 / (ms / 1000.0),
            renderer_cpu_s: cpu_s.get("renderer").copied().unwrap_or(0.0),
            cpu_s,
            parts,
            most_in_flight,
            memory_above_idle,
        }
    }

    /// Emits one row per contender of a figure: each with the best peer of the
    /// run as its baseline (`higher`: whether more is better), and the native
    /// client's figure beside the table as a ceiling when given.
    fn emit_against_peers(
        id: &str,
        label: &str,
        unit: &str,
        higher: bool,
        rows: &[(&str, Option<f64>, Value)],
    ) {
        let best = rows
            .iter()
            .filter(|(who, _, _)| *who != "cubby" && *who != "native")
            .filter_map(|(who, v, _)| v.map(|v| (*who, v)))
            .reduce(|a, b| if (b.1 > a.1) == higher { b } else { a });
        for (who, value, extra) in rows {
            let mut extra = extra.clone();
            if let (Some((peer, best)), Some(o)) = (best, extra.as_object_mut()) {
                o.insert("baseline".into(), json!(best));
                o.insert("baseline_label".into(), json!(format!("best peer: {peer}")));
            }
            match value {
                Some(v) => emit(
                    &format!("{id}.{who}"),
                    &format!("{label}: {who}"),
                    *v,
                    unit,
                    extra,
                ),
                // A peer that cannot do the row: the table says why.
                None => emit(
                    &format!("{id}.{who}"),
                    &format!("{label}: {who} (not measured)"),
                    f64::NAN,
                    unit,
                    extra,
                ),
            }
        }
    }

    /// Peers rows: upload (each size of `CUBBY_BENCH_UPLOAD_MIB`, default
    /// 256,1024) by Cubby, the SDK v3 `Upload` with its defaults and sending
    /// `UNSIGNED-PAYLOAD`, and Amplify's `uploadData`; MiB/s, renderer CPU
    /// seconds, memory during the largest; then the download of the first size.
    #[test]
    #[ignore = "benchmark: run by `cargo xtask bench`"]
    fn peers_transfers() {
        let sizes: Vec<u64> = std::env::var("CUBBY_BENCH_UPLOAD_MIB")
            .unwrap_or_else(|_| "256,1024".into())
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        let largest = sizes.iter().copied().max().unwrap_or(0);
        let Some((stack, server)) = peers_stack("bench-peers-transfers") else {
            return;
        };
        let browser = Browser::start();
        install_probe(&browser);
        sign_in(&browser, &stack, ALICE);
        browser.wait_for_text("This folder is empty", 30);
        let native = NativeClient::for_signed_in_user(&stack, &browser);
        let in_flight = stack.emulator.app_config()["uploadPartsInFlight"]
            .as_u64()
            .unwrap_or(4) as usize;
        let options = peer_options(&stack, &native, in_flight);
        let files = Files::new("bench-peers");
        let mut downloaded = false;
        for &mib in &sizes {
            let size = mib * MIB;
            let sample = mib == largest;
            let name = format!("cubby-{mib}.bin");
            let (path, digest) = noise_file(&files, &name, size, 0x9ee5 ^ mib);
            let file = path.display().to_string();
            let mut runs: Vec<(&str, Option<UploadRun>, Value)> = Vec::new();

            let cubby = measure_upload(
                &browser,
                &stack.app_url(),
                true,
                &name,
                size,
                sample,
                || pick_upload(&browser, &path),
                || upload_row(&browser, &name).is_some_and(|r| r.finished()),
            );
            let row = upload_row(&browser, &name).unwrap();
            assert_eq!(row.state, "done", "Cubby's upload failed: {}", row.status);
            runs.push(("cubby", Some(cubby), json!({})));

            let peers: [(&str, &str, Value); 2] = [
                ("sdk_v3_default", "sdk.html", json!({ "unsigned": false })),
                ("sdk_v3_unsigned", "sdk.html", json!({ "unsigned": true })),
            ];
            for (who, page, extra) in peers {
                let key_name = format!("{}-{mib}.bin", who.replace('_', "-"));
                let key = native.key(&key_name);
                let call = with(&options, with(&extra, json!({ "key": key })).clone());
                let run = measure_upload(
                    &browser,
                    &server.url(page),
                    false,
                    &key_name,
                    size,
                    sample,
                    || {
                        browser
                            .find("#file")
                            .expect("the peer's file input")
                            .send_keys(&file);
                        start_peer(&browser, "upload", &call);
                    },
                    || peer_outcome(&browser).is_some(),
                );
                assert!(
                    file_sha256(&stack.object_path(&key)) == digest,
                    "{who} stored other bytes"
                );
                runs.push((who, Some(run), extra));
            }
            runs.push((
                "amplify_upload_data",
                None,
                json!({ "why_not": AMPLIFY_WHY_NOT }),
            ));

            let native_key = native.key(&format!("native-{mib}.bin"));
            let native_times = native.upload(&path, &native_key, PREFERRED_PART_SIZE, in_flight);
            let native_rate = mib_per_s(size, native_times.parts_to_complete);

            let details = |run: &UploadRun, extra: &Value| {
                with(
                    extra,
                    json!({
                        "parts": run.parts,
                        "most_parts_in_flight_seen": run.most_in_flight,
                        "cpu_s_by_process": run.cpu_s,
                    }),
                )
            };
            let mut rate_rows: Vec<(&str, Option<f64>, Value)> = runs
                .iter()
                .map(|(who, run, extra)| match run {
                    Some(run) => (*who, Some(run.mib_s), details(run, extra)),
                    None => (*who, None, extra.clone()),
                })
                .collect();
            rate_rows.push((
                "native",
                Some(native_rate),
                json!({ "ceiling": "native client (app's core + ureq), same part size and parts in flight" }),
            ));
            emit_against_peers(
                &format!("peers.upload_{mib}.mib_s"),
                &format!("Peers, upload {mib} MiB ({} MiB parts, {in_flight} in flight), first part to Complete", PREFERRED_PART_SIZE / MIB),
                "MiB/s",
                true,
                &rate_rows,
            );
            let cpu_rows: Vec<(&str, Option<f64>, Value)> = runs
                .iter()
                .map(|(who, run, extra)| {
                    (*who, run.as_ref().map(|r| r.renderer_cpu_s), extra.clone())
                })
                .collect();
            emit_against_peers(
                &format!("peers.upload_{mib}.renderer_cpu_s"),
                &format!("Peers, upload {mib} MiB, renderer CPU seconds"),
                "s",
                false,
                &cpu_rows,
            );
            if sample {
                for (index, label, id) in [
                    (
                        0,
                        "peak JS heap+ArrayBuffers(+wasm) above idle",
                        "page_above_idle",
                    ),
                    (1, "renderer RSS peak above idle", "renderer_rss_above_idle"),
                ] {
                    let rows: Vec<(&str, Option<f64>, Value)> = runs
                        .iter()
                        .map(|(who, run, extra)| {
                            let v = run.as_ref().and_then(|r| r.memory_above_idle).map(|m| {
                                if index == 0 {
                                    m.0
                                } else {
                                    m.1
                                }
                            });
                            (*who, v, extra.clone())
                        })
                        .collect();
                    emit_against_peers(
                        &format!("peers.memory_upload_{mib}.{id}"),
                        &format!("Peers, memory during the {mib} MiB upload: {label}"),
                        "B",
                        false,
                        &rows,
                    );
                }
            }

            // Download, once (the first size): Cubby's button (a presigned GET in a
            // new navigation) and the SDK's presigned GET (s3-request-presigner)
            // opened the same way; click to file saved. Three runs each, taking
            // turns, and the median: one run each in a fixed order measured the
            // order as much as the clients.
            if !downloaded {
                downloaded = true;
                let call = with(
                    &options,
                    json!({ "key": stack.user_key("alice", &name), "filename": name }),
                );
                let saved = browser.downloads.join(&name);
                let (mut cubby_runs, mut sdk_runs) = (Vec::new(), Vec::new());
                for _ in 0..DOWNLOAD_RUNS {
                    browser.goto(&stack.app_url());
                    wait_probe(&browser, "loaded", 60);
                    wait_for_rows(&browser, &[&name]);
                    let started = Instant::now();
                    click_labelled(&browser, &format!("Download {name}"));
                    wait_for_download(&browser, &name, size, 1800);
                    cubby_runs.push(mib_per_s(size, started.elapsed()));
                    assert!(file_sha256(&saved) == digest, "Cubby's download differs");
                    std::fs::remove_file(&saved).unwrap();

                    open_peer(&browser, &server.url("sdk.html"));
                    let started = Instant::now();
                    start_peer(&browser, "download", &call);
                    wait_for_download(&browser, &name, size, 1800);
                    sdk_runs.push(mib_per_s(size, started.elapsed()));
                    assert!(file_sha256(&saved) == digest, "the SDK's download differs");
                    std::fs::remove_file(&saved).unwrap();
                }
                let cubby_download = median(cubby_runs.clone());
                let sdk_download = median(sdk_runs.clone());
                let to = files.0.join(format!("native-download-{mib}.bin"));
                let url = native.presigned_download_url(&stack.user_key("alice", &name), &name);
                let started = Instant::now();
                native.download(&url, &to);
                let native_download = mib_per_s(size, started.elapsed());
                std::fs::remove_file(&to).unwrap();
                emit_against_peers(
                    &format!("peers.download_{mib}.mib_s"),
                    &format!("Peers, download {mib} MiB, click/call to file saved (median of {DOWNLOAD_RUNS}, taking turns)"),
                    "MiB/s",
                    true,
                    &[
                        ("cubby", Some(cubby_download), json!({ "runs": cubby_runs })),
                        (
                            "sdk_v3_presigned",
                            Some(sdk_download),
                            json!({ "runs": sdk_runs }),
                        ),
                        (
                            "amplify_get_url",
                            None,
                            json!({ "why_not": AMPLIFY_WHY_NOT }),
                        ),
                        (
                            "native",
                            Some(native_download),
                            json!({ "ceiling": "native GET of a presigned URL into a file" }),
                        ),
                    ],
                );
            }
            std::fs::remove_file(&path).unwrap();
        }
    }

    /// Peers row: a folder of `CUBBY_BENCH_OBJECTS` (100,000) objects listed to its
    /// last key. Cubby: first ListObjectsV2 sent to the last row shown, scrolling
    /// to the bottom every frame (as `huge_folder`); the SDK v3: first
    /// page asked to last key received, paging 1,000 at a time (no rendering).
    #[test]
    #[ignore = "benchmark: run by `cargo xtask bench`"]
    fn peers_listing() {
        let count = env_number("CUBBY_BENCH_OBJECTS", 100_000);
        let Some((stack, server)) = peers_stack("bench-peers-listing") else {
            return;
        };
        seed(&stack, "alice", count, |i| format!("file-{i:06}.txt"));
        let browser = Browser::start();
        install_probe(&browser);
        sign_in(&browser, &stack, ALICE);
        browser.goto(&stack.app_url());
        wait_probe(&browser, "rowsPaint", 300);
        let last = format!("file-{:06}.txt", count - 1);
        browser.execute(
            "const last = arguments[0];
             const b = window.__bench;
             const step = () => {
               const list = document.querySelector('.file-list');
               list.scrollTop = list.scrollHeight;
               const names = [...list.querySelectorAll('.row .name')].map(e => e.textContent);
               if (names.includes(last)) b.lastShown = performance.now();
               else requestAnimationFrame(step);
             };
             requestAnimationFrame(step);",
            json!([last]),
        );
        let last_shown = wait_probe(&browser, "lastShown", 1800);
        let first_list = browser
            .execute(
                "const e = performance.getEntriesByType('resource').filter(x => x.name.includes('list-type=2'));
                 return e.length ? Math.min(...e.map(x => x.startTime)) : null",
                json!([]),
            )
            .as_f64()
            .expect("Cubby's listing in resource timing");
        let native = NativeClient::for_signed_in_user(&stack, &browser);
        let options = peer_options(&stack, &native, 4);
        let last_key = stack.user_key("alice", &last);
        let list_with = |page: &str| {
            open_peer(&browser, &server.url(page));
            start_peer(&browser, "list", &options);
            let mut outcome = None;
            wait_until("the peer's listing", 1800, &browser, || {
                outcome = peer_outcome(&browser);
                outcome.is_some()
            });
            let outcome = outcome.unwrap();
            assert_eq!(
                outcome["value"]["keys"],
                json!(count),
                "the peer saw every key"
            );
            assert_eq!(
                outcome["value"]["last"],
                json!(last_key),
                "the peer's last key"
            );
            (
                outcome["ms"].as_f64().unwrap(),
                json!({ "pages": outcome["value"]["pages"] }),
            )
        };
        let (sdk_ms, sdk_extra) = list_with("sdk.html");
        emit_against_peers(
            &format!("peers.list_{count}.last_row_ms"),
            &format!("Peers, folder of {count} objects: first page asked to last row/key"),
            "ms",
            false,
            &[
                (
                    "cubby",
                    Some(last_shown - first_list),
                    json!({ "navigation_to_last_row_ms": last_shown, "rendered": true }),
                ),
                ("sdk_v3", Some(sdk_ms), sdk_extra),
                ("amplify_list", None, json!({ "why_not": AMPLIFY_WHY_NOT })),
            ],
        );
    }

    /// One Lighthouse run (mobile preset: Lighthouse's default form factor and
    /// simulated throttling) of `url` in Debian's Chromium: largest contentful
    /// paint (ms), total blocking time (ms), bytes transferred.
    fn lighthouse(program: &std::ffi::OsStr, url: &str) -> [f64; 3] {
        let chromium =
            std::env::var("CUBBY_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let out = Command::new(program)
            .arg(url)
            .args([
                "--only-categories=performance",
                "--output=json",
                "--output-path=stdout",
                "--quiet",
                "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
                 --disable-background-networking --disable-component-update --disable-sync --no-first-run",
            ])
            .env("CHROME_PATH", chromium)
            .stderr(Stdio::inherit())
            .output()
            .expect("lighthouse starts");
        assert!(out.status.success(), "lighthouse failed on {url}");
        let report: Value = serde_json::from_slice(&out.stdout).expect("a Lighthouse JSON report");
        let audit = |name: &str| {
            report["audits"][name]["numericValue"]
                .as_f64()
                .unwrap_or_else(|| {
                    panic!(
                        "no {name} in the report of {url}: {}",
                        report["runtimeError"]
                    )
                })
        };
        [
            audit("largest-contentful-paint"),
            audit("total-blocking-time"),
            audit("total-byte-weight"),
        ]
    }

    /// Peers rows: a first visit (fresh profile) to Cubby's sign-in page and to the
    /// Amplify Storage Browser's page (its sign-in form), median of three
    /// Lighthouse runs each (`$CUBBY_LIGHTHOUSE`, set by `cargo xtask bench`).
    #[test]
    #[ignore = "benchmark: run by `cargo xtask bench`"]
    fn peers_first_visit() {
        let Some(program) = std::env::var_os("CUBBY_LIGHTHOUSE") else {
            eprintln!("bench: no Lighthouse ($CUBBY_LIGHTHOUSE); `cargo xtask bench` sets it");
            return;
        };
        let Some((stack, server)) = peers_stack("bench-peers-first-visit") else {
            return;
        };
        let pages = [
            ("cubby", stack.app_url()),
            (
                "amplify_storage_browser",
                server.url("storage-browser.html"),
            ),
        ];
        let runs: Vec<Vec<[f64; 3]>> = pages
            .iter()
            .map(|(_, url)| (0..3).map(|_| lighthouse(&program, url)).collect())
            .collect();
        for (index, id, label, unit) in [
            (0, "lcp_ms", "largest contentful paint", "ms"),
            (1, "tbt_ms", "total blocking time", "ms"),
            (
                2,
                "bytes",
                "bytes transferred (gzip, as CloudFront serves http)",
                "B",
            ),
        ] {
            let rows: Vec<(&str, Option<f64>, Value)> = pages
                .iter()
                .zip(&runs)
                .map(|((who, url), runs)| {
                    let values: Vec<f64> = runs.iter().map(|r| r[index]).collect();
                    (
                        *who,
                        Some(median(values.clone())),
                        json!({ "runs": values, "url": url }),
                    )
                })
                .collect();
            emit_against_peers(
                &format!("peers.first_visit.{id}"),
                &format!("Peers, first visit (Lighthouse mobile, median of 3): {label}"),
                unit,
                false,
                &rows,
            );
        }
    }
}
