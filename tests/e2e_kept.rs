//! End-to-end tests of uploads that survive closing the page where the browser
//! keeps file handles (headless Chromium): the release build against the
//! emulator, counting what reaches it. WebDriver cannot drive the native picker,
//! so the page's `showOpenFilePicker` is replaced by one handing out handles of
//! files in the origin-private file system (real `FileSystemFileHandle`s, whose
//! read permission is granted).
#![cfg(not(target_arch = "wasm32"))]
// Tests wait on wall-clock deadlines; only the app itself must avoid the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use serde_json::json;
use std::time::{Duration, Instant};
use support::app::{resume_record, wait_for_rows, wait_until};
use support::axe::assert_accessible;
use support::files::{file_sha256, wait_for_upload, MIB};
use support::stack::Stack;
use support::webdriver::Browser;

/// How often the tests read an upload row.
const POLL: Duration = Duration::from_millis(200);
/// The app's part size (`transfers::PREFERRED_PART_SIZE`).
const PART: u64 = 8 * MIB;
/// Five parts: four go at once (the app's default), the fifth once one is done.
const SIZE: u64 = 5 * PART;

/// Signs in with "Keep me signed in", so a page opened later is signed in too.
fn sign_in_kept(browser: &Browser, stack: &Stack) {
    browser.goto(&stack.app_url());
    browser.wait_for("#keep-signed-in", 30).click();
    browser.find("#sign-in").unwrap().click();
    browser.wait_for("#username", 30).send_keys("alice");
    browser
        .find("#password")
        .unwrap()
        .send_keys("Alice-Password-1");
    browser.find("button[type=submit]").unwrap().click();
    browser.wait_for(".file-list", 30);
}

/// Writes `size` bytes of noise (from `seed`) as `name` in the origin-private
/// file system; their SHA-256.
fn write_private_file(browser: &Browser, name: &str, size: u64, seed: u32) -> [u8; 32] {
    let hex = browser.execute(
        "return (async () => {
             const [name, size, seed] = arguments;
             const bytes = new Uint8Array(size);
             const words = new Uint32Array(bytes.buffer);
             let x = seed;
             for (let i = 0; i < words.length; i++) {
                 x ^= x << 13; x ^= x >>> 17; x ^= x << 5; words[i] = x;
             }
             const root = await navigator.storage.getDirectory();
             const handle = await root.getFileHandle(name, {create: true});
             const writable = await handle.createWritable();
             await writable.write(bytes);
             await writable.close();
             const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
             return [...digest].map(b => b.toString(16).padStart(2, '0')).join('');
         })()",
        json!([name, size, seed]),
    );
    let hex = hex.as_str().expect("the file's digest");
    let mut digest = [0; 32];
    for (i, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    digest
}

/// Replaces the page's file picker with one that hands out the private file
/// `name` (as the native one would after the user chose it).
fn stub_picker(browser: &Browser, name: &str) {
    browser.execute(
        "const name = arguments[0];
         window.showOpenFilePicker = async () => {
             const root = await navigator.storage.getDirectory();
             return [await root.getFileHandle(name)];
         };",
        json!([name]),
    );
}

/// Before any script of the next pages runs: pickers (the handle picker and the
/// file input's) count their calls in `window.__picks`; with `prompt`, kept
/// handles need the user's permission again (as after a browser restart) and
/// `window.__requests` counts the requests for it.
fn watch_next_pages(browser: &Browser, prompt: bool) {
    let mut script = String::from(
        "window.__picks = 0;
         window.showOpenFilePicker = async () => { window.__picks++; return []; };
         const click = HTMLInputElement.prototype.click;
         HTMLInputElement.prototype.click = function () {
             if (this.type === 'file') { window.__picks++; return; }
             return click.call(this);
         };",
    );
    if prompt {
        script.push_str(
            "window.__requests = 0;
             FileSystemHandle.prototype.queryPermission = async () => 'prompt';
             FileSystemHandle.prototype.requestPermission = async () => {
                 window.__requests++;
                 return 'granted';
             };",
        );
    }
    browser.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": script }),
    );
}

/// A screenshot of the page at 1280x900 into target/e2e-output/`name`-1280.png.
fn screenshot_1280(browser: &Browser, name: &str) {
    browser.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
    );
    browser.screenshot_to_output(&format!("{name}-1280"));
    browser.cdp("Emulation.clearDeviceMetricsOverride", json!({}));
}

/// Signs in, picks the private file `name` (SIZE bytes of noise) with the
/// emulator slowed, and closes the page once two parts are stored, leaving a
/// blank tab; the file's digest and the upload id.
fn start_and_close(stack: &Stack, browser: &Browser, name: &str) -> ([u8; 32], String) {
    let started = Instant::now();
    sign_in_kept(browser, stack);
    browser.wait_for_text("This folder is empty", 30);
    let digest = write_private_file(browser, name, SIZE, 0x5eed);
    stub_picker(browser, name);
    let control = stack.control();
    control.set_latency(Duration::from_millis(250));
    let signed_in = started.elapsed();
    browser
        .find("label.file-pick")
        .expect("Upload files")
        .click();
    wait_until("two finished parts", 60, browser, || {
        resume_record(browser, name).is_some_and(|(_, n)| n >= 2)
    });
    let (upload_id, _) = resume_record(browser, name).unwrap();
    let sent = started.elapsed();
    let next = browser.new_tab();
    browser.close_tab();
    browser.switch_to(&next);
    control.set_latency(Duration::ZERO);
    // Requests cut off by the close may still be ending at the emulator: wait
    // until what it holds of the upload stays the same for a second.
    let mut held = stack.stored_parts(&upload_id);
    let mut same_since = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(15);
    while same_since.elapsed() < Duration::from_secs(1) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        let now = stack.stored_parts(&upload_id);
        if now != held {
            held = now;
            same_since = Instant::now();
        }
    }
    eprintln!(
        "{name}: signed in, file written at {:.1}s; two parts stored at {:.1}s; page closed \
         and the emulator settled at {:.1}s",
        signed_in.as_secs_f64(),
        sent.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    (digest, upload_id)
}

#[test]
fn an_upload_interrupted_by_closing_the_page_resumes_without_a_pick() {
    let stack = Stack::start("kept-resume");
    let browser = Browser::start();
    let (digest, upload_id) = start_and_close(&stack, &browser, "kept.bin");
    let control = stack.control();
    // What S3 holds once the page is gone (parts cut off in flight are not).
    let held = stack.stored_parts(&upload_id);
    let before = control.stats();
    control.reset_stats();

    watch_next_pages(&browser, false);
    let started = Instant::now();
    browser.goto(&stack.app_url());
    let row = wait_for_upload(&browser, "kept.bin", 60, POLL, || {});
    let stats = control.stats();
    let count = |op: &str| stats.s3_requests.get(op).copied().unwrap_or(0);
    let parts = SIZE / PART;
    eprintln!(
        "kept resume: {parts} parts; before closing {} UploadPart requests, {} parts held \
         ({held:?}); after opening again {} UploadPart, {} ListParts, {} \
         CreateMultipartUpload in {:.1}s; requests {:?}",
        before.s3_requests.get("UploadPart").copied().unwrap_or(0),
        held.len(),
        count("UploadPart"),
        count("ListParts"),
        count("CreateMultipartUpload"),
        started.elapsed().as_secs_f64(),
        stats.s3_requests
    );
    assert_eq!(row.state, "done", "{}", row.status);
    let picks = browser.execute("return window.__picks", json!([]));
    assert_eq!(picks, json!(0), "no file picker was shown");
    assert!(held.len() >= 2, "parts were stored before the page closed");
    assert!(
        held.len() < parts as usize,
        "parts were missing when the page opened again"
    );
    assert_eq!(count("ListParts"), 1);
    assert_eq!(count("CreateMultipartUpload"), 0, "the same upload goes on");
    assert_eq!(
        count("UploadPart"),
        parts - held.len() as u64,
        "exactly the missing parts are sent, none twice"
    );
    assert!(stats.multipart_uploads.is_empty());
    wait_for_rows(&browser, &["kept.bin"]);
    browser.screenshot_to_output("kept_resumed");
    let kept = browser.execute(
        "return (async () => {
             const open = indexedDB.open('cubby.upload-handles');
             await new Promise(r => open.onsuccess = r);
             const all = open.result.transaction('handles').objectStore('handles').count();
             await new Promise(r => all.onsuccess = r);
             return all.result;
         })()",
        json!([]),
    );
    assert_eq!(kept, json!(0), "the handle is forgotten with the record");
    assert!(resume_record(&browser, "kept.bin").is_none());
    let stored = stack.object_path(&stack.user_key("alice", "kept.bin"));
    assert!(
        file_sha256(&stored) == digest,
        "the stored object's SHA-256 differs from the file's"
    );
}

#[test]
fn a_file_changed_while_the_page_was_closed_is_sent_afresh_after_one_permission_click() {
    let stack = Stack::start("kept-changed");
    let browser = Browser::start();
    let (_, upload_id) = start_and_close(&stack, &browser, "changed.bin");
    let control = stack.control();
    // Between the sessions, on a page of the app's origin that is not the app.
    browser.goto(&format!("{}config.json", stack.app_url()));
    let digest = write_private_file(&browser, "changed.bin", SIZE, 0xc4a1);
    control.reset_stats();

    watch_next_pages(&browser, true);
    browser.goto(&stack.app_url());
    let resume = browser.wait_for("#resume-kept", 30);
    assert_eq!(resume.text(), "Resume 1 upload");
    assert_accessible(&browser, "the Resume uploads notice");
    screenshot_1280(&browser, "kept_resume_asked");
    resume.click();
    let row = wait_for_upload(&browser, "changed.bin", 60, POLL, || {});
    let stats = control.stats();
    let count = |op: &str| stats.s3_requests.get(op).copied().unwrap_or(0);
    eprintln!("kept, changed file: requests {:?}", stats.s3_requests);
    assert_eq!(row.state, "done", "{}", row.status);
    assert_eq!(
        browser.execute("return window.__requests", json!([])),
        json!(1)
    );
    assert_eq!(
        browser.execute("return window.__picks", json!([])),
        json!(0)
    );
    let note = browser.text(".upload-note");
    assert!(
        note.contains("changed.bin changed since its upload began"),
        "the row says why it starts again: {note}"
    );
    screenshot_1280(&browser, "kept_changed_sent_afresh");
    assert_eq!(
        count("AbortMultipartUpload"),
        1,
        "the old upload is aborted"
    );
    assert_eq!(count("CreateMultipartUpload"), 1, "a new one");
    assert_eq!(
        count("UploadPart"),
        SIZE / PART,
        "every part of the new file"
    );
    assert!(stats.multipart_uploads.is_empty());
    assert!(stack.stored_parts(&upload_id).is_empty());
    let stored = stack.object_path(&stack.user_key("alice", "changed.bin"));
    assert!(
        file_sha256(&stored) == digest,
        "the stored bytes are the new file's, not stitched"
    );
}
