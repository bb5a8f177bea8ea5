//! End-to-end tests of uploads and sessions under injected faults: the release
//! build in headless Chromium against the emulator, which fails, resets, delays and
//! skews what the app sends. Each test checks the exact outcome at the emulator
//! (stored bytes, open multipart uploads, request counts).
#![cfg(not(target_arch = "wasm32"))]
// Tests wait on wall-clock deadlines; only the app itself must avoid the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use cubby_emulator::FaultKind;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::app::{
    click_labelled, resume_record, sign_in, wait_for_rows, wait_until, Files, ALICE,
};
use support::axe::assert_accessible;
use support::files::{
    file_sha256, noise_file, pick_upload, upload_row, wait_for_upload, UploadRow, MIB,
};
use support::stack::Stack;
use support::webdriver::{Browser, Engine};

/// How often the tests read an upload row.
const POLL: Duration = Duration::from_millis(200);
/// The app's part size (`transfers::PREFERRED_PART_SIZE`).
const PART: u64 = 8 * MIB;
/// The app's default parts in flight (`config::UPLOAD_PARTS_IN_FLIGHT_DEFAULT`).
const PARTS_IN_FLIGHT: u64 = 4;

fn stored_tokens(browser: &Browser) -> Value {
    browser.execute(
        "return sessionStorage.getItem('cubby.tokens') || localStorage.getItem('cubby.tokens')",
        json!([]),
    )
}

fn signed_in_page(stack: &Stack, browser: &Browser) -> bool {
    browser.url().starts_with(&stack.app_url())
        && browser.find("#username").is_none()
        && browser.find("#sign-in").is_none()
}

#[test]
fn a_large_upload_survives_slowdowns_and_resets_byte_for_byte() {
    large_upload_under_faults(Engine::Chromium);
}

#[test]
fn a_large_upload_survives_slowdowns_and_resets_in_firefox() {
    large_upload_under_faults(Engine::Firefox);
}

#[test]
fn a_large_upload_survives_slowdowns_and_resets_in_webkit() {
    large_upload_under_faults(Engine::WebKit);
}

/// A multipart upload of `$CUBBY_E2E_LARGE_MIB` (default 256) MiB in `engine`
/// while the emulator answers SlowDown and resets connections: the stored object
/// is the source byte for byte and no multipart upload is left open.
fn large_upload_under_faults(engine: Engine) {
    let mib: u64 = std::env::var("CUBBY_E2E_LARGE_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let size = mib * MIB;
    let parts = size.div_ceil(PART);
    // Named by engine: the three tests run side by side until the browser turn.
    let stack = Stack::start(&format!("faults-large-{}", engine.name()));
    let browser = Browser::start_in(engine);
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("This folder is empty", 30);

    let files = Files::new(&format!("faults-large-{}", engine.name()));
    let (path, digest) = noise_file(&files, "large.bin", size, 0x5eed);
    let control = stack.control();
    control.reset_stats();
    // About one S3 request in ten answers 503 SlowDown, and three part uploads
    // lose their connection without an answer.
    control.fail_fraction(0.10, FaultKind::SlowDown);
    control.fail_next(3, FaultKind::Reset, Some("UploadPart"));

    let started = Instant::now();
    pick_upload(&browser, &path);
    let UploadRow { state, status, .. } = wait_for_upload(&browser, "large.bin", 900, POLL, || {});
    let wall = started.elapsed();
    let stats = control.stats();
    control.clear_faults();
    let upload_parts = stats.s3_requests.get("UploadPart").copied().unwrap_or(0);
    eprintln!(
        "large upload in {engine:?}: {mib} MiB in {parts} parts, {upload_parts} UploadPart requests, \
         {} faults injected ({} S3 requests in all), wall time {:.1}s",
        stats.faults_injected,
        stats.s3_requests.values().sum::<u64>(),
        wall.as_secs_f64()
    );
    eprintln!("requests by operation: {:?}", stats.s3_requests);
    assert_eq!(state, "done", "the upload failed: {status}");
    wait_for_rows(&browser, &["large.bin"]);
    browser.screenshot_to_output("large_upload_under_faults");

    assert!(stats.faults_injected >= 3, "the resets were injected");
    assert!(
        upload_parts >= parts + 3,
        "every part was sent and the reset ones again: {upload_parts} for {parts} parts"
    );
    assert!(
        stats.s3_requests.contains_key("CompleteMultipartUpload"),
        "the upload was completed"
    );
    assert!(
        stats.multipart_uploads.is_empty(),
        "no multipart upload left open: {:?}",
        stats.multipart_uploads
    );
    let stored = stack.object_path(&stack.user_key("alice", "large.bin"));
    assert_eq!(std::fs::metadata(&stored).unwrap().len(), size);
    assert!(
        file_sha256(&stored) == digest,
        "the stored object's SHA-256 differs from the source's"
    );
}

#[test]
fn cancel_during_a_multipart_upload_leaves_no_upload_and_no_object() {
    let size = 128 * MIB;
    let parts = size.div_ceil(PART);
    let stack = Stack::start("faults-cancel");
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("This folder is empty", 30);

    let files = Files::new("faults-cancel");
    let (path, _) = noise_file(&files, "cancelled.bin", size, 0xca9ce1);
    let control = stack.control();
    control.reset_stats();
    // Slow enough that the upload is still going when the user cancels.
    control.set_latency(Duration::from_millis(400));
    pick_upload(&browser, &path);
    wait_until("the first part upload", 120, &browser, || {
        stack.s3_requests("UploadPart") >= 1
    });
    let open = control.stats().multipart_uploads;
    assert_eq!(open.len(), 1, "one multipart upload is open: {open:?}");
    let clicked = Instant::now();
    browser
        .execute(
            "[...document.querySelectorAll('.upload button')].find(b => b.textContent == 'Cancel').click()",
            json!([]),
        );
    // Parts whose request was already on the wire are counted by now (the
    // emulator counts after its 400 ms latency); from here on none may start.
    std::thread::sleep(Duration::from_secs(1));
    let parts_at_cancel = stack.s3_requests("UploadPart");
    let mut cancel_took = None;
    wait_until("the cancelled state", 120, &browser, || {
        let cancelled = upload_row(&browser, "cancelled.bin").is_some_and(|row| row.finished());
        if cancelled {
            cancel_took = Some(clicked.elapsed());
        }
        cancelled
    });
    let cancel_took = cancel_took.unwrap();
    let UploadRow { state, status, .. } =
        wait_for_upload(&browser, "cancelled.bin", 120, POLL, || {});
    // Anything still running would show here.
    std::thread::sleep(Duration::from_secs(2));
    control.clear_faults();
    let stats = control.stats();
    let parts_after = stats.s3_requests["UploadPart"];
    eprintln!(
        "cancelled upload: cancel took {:.2}s (click to \"Cancelled\", 400 ms latency per \
         request); UploadPart requests {parts_at_cancel} at the cancel, {parts_after} in all; \
         requests {:?}",
        cancel_took.as_secs_f64(),
        stats.s3_requests
    );
    assert_eq!(
        parts_after, parts_at_cancel,
        "no part upload started after the cancel"
    );
    // The parts in flight were cut off: the cancel costs the abort's own round
    // trips (preflight and DELETE, 400 ms each here), not the parts' uploads.
    assert!(
        cancel_took < Duration::from_secs(3),
        "cancel waited for parts in flight: {cancel_took:?}"
    );
    browser.screenshot_to_output("cancelled_multipart_upload");
    assert_eq!(state, "cancelled", "{status}");
    assert!(
        stats.multipart_uploads.is_empty(),
        "the multipart upload was aborted: {:?}",
        stats.multipart_uploads
    );
    assert_eq!(stats.s3_requests.get("AbortMultipartUpload"), Some(&1));
    assert_eq!(stats.s3_requests.get("CompleteMultipartUpload"), None);
    let sent = stats.s3_requests["UploadPart"];
    assert!(
        sent < parts,
        "cancel stopped the upload before its last parts ({sent} of {parts} sent)"
    );
    assert!(
        !stack
            .object_path(&stack.user_key("alice", "cancelled.bin"))
            .exists(),
        "no object was stored"
    );
    // The folder still shows nothing, also after a fresh listing.
    browser.refresh();
    browser.wait_for_text("This folder is empty", 30);
}

#[test]
fn a_server_clock_half_an_hour_ahead_costs_one_correction() {
    let stack = Stack::start("faults-skew");
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("This folder is empty", 30);

    let control = stack.control();
    control.shift_clock(30 * 60);
    control.reset_stats();
    let files = Files::new("faults-skew");
    let small = files.write("skewed.txt", b"signed with a corrected clock\n");
    pick_upload(&browser, &small);
    let UploadRow { state, status, .. } = wait_for_upload(&browser, "skewed.txt", 60, POLL, || {});
    assert_eq!(state, "done", "{status}");
    wait_for_rows(&browser, &["skewed.txt"]);
    let after_small = control.stats().s3_requests;
    eprintln!("small upload with a skewed clock: {after_small:?}");
    // The name check is refused once (RequestTimeTooSkewed) and sent again with the
    // corrected clock; the PUT and the listing afterwards are right the first time.
    assert_eq!(after_small.get("ListObjectsV2"), Some(&3));
    assert_eq!(after_small.get("PutObject"), Some(&1));

    // A multipart upload and the listing after it need no further correction.
    control.reset_stats();
    let (large, digest) = noise_file(&files, "skewed.bin", 2 * PART + MIB, 0x5e4);
    pick_upload(&browser, &large);
    let UploadRow { state, status, .. } = wait_for_upload(&browser, "skewed.bin", 120, POLL, || {});
    assert_eq!(state, "done", "{status}");
    wait_for_rows(&browser, &["skewed.bin", "skewed.txt"]);
    let stats = control.stats();
    eprintln!(
        "multipart upload with a skewed clock: {:?}",
        stats.s3_requests
    );
    assert_eq!(stats.s3_requests.get("ListObjectsV2"), Some(&2));
    assert_eq!(stats.s3_requests.get("CreateMultipartUpload"), Some(&1));
    assert_eq!(stats.s3_requests.get("UploadPart"), Some(&3));
    assert_eq!(stats.s3_requests.get("CompleteMultipartUpload"), Some(&1));
    assert!(
        file_sha256(&stack.object_path(&stack.user_key("alice", "skewed.bin"))) == digest,
        "the stored object's SHA-256 differs from the source's"
    );
    assert!(signed_in_page(&stack, &browser));
    browser.screenshot_to_output("clock_skew");
}

#[test]
fn expired_credentials_are_renewed_without_a_new_sign_in() {
    let stack = Stack::start("faults-expiry");
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("This folder is empty", 30);
    let tokens = stored_tokens(&browser);
    assert!(tokens.is_string(), "tokens are stored after sign-in");
    let control = stack.control();
    let files = Files::new("faults-expiry");

    // Between operations: the next one is refused once and then succeeds.
    control.expire_credentials();
    control.reset_stats();
    let small = files.write("after-expiry.txt", b"sent with renewed credentials\n");
    pick_upload(&browser, &small);
    let UploadRow { state, status, .. } =
        wait_for_upload(&browser, "after-expiry.txt", 60, POLL, || {});
    assert_eq!(state, "done", "{status}");
    wait_for_rows(&browser, &["after-expiry.txt"]);
    let stats = control.stats().s3_requests;
    eprintln!("small upload after expiry: {stats:?}");
    // ExpiredToken on the name check, then the check, the PUT and the listing.
    assert_eq!(stats.get("ListObjectsV2"), Some(&3));
    assert_eq!(stats.get("PutObject"), Some(&1));

    // In the middle of a multipart upload, with parts in flight.
    let size = 64 * MIB;
    let (large, digest) = noise_file(&files, "expiring.bin", size, 0xe4);
    control.set_latency(Duration::from_millis(200));
    control.reset_stats();
    pick_upload(&browser, &large);
    wait_until("two part uploads", 120, &browser, || {
        stack.s3_requests("UploadPart") >= 2
    });
    control.expire_credentials();
    let UploadRow { state, status, .. } =
        wait_for_upload(&browser, "expiring.bin", 300, POLL, || {});
    control.clear_faults();
    let stats = control.stats();
    eprintln!(
        "multipart upload with credentials expiring: {:?}",
        stats.s3_requests
    );
    assert_eq!(state, "done", "{status}");
    wait_for_rows(&browser, &["after-expiry.txt", "expiring.bin"]);
    assert!(
        stats.s3_requests["UploadPart"] > size.div_ceil(PART),
        "some parts were refused with ExpiredToken and sent again"
    );
    assert!(stats.multipart_uploads.is_empty());
    assert!(
        file_sha256(&stack.object_path(&stack.user_key("alice", "expiring.bin"))) == digest,
        "the stored object's SHA-256 differs from the source's"
    );

    // No new sign-in: same page, same tokens (only AWS credentials were renewed).
    assert!(signed_in_page(&stack, &browser));
    assert_eq!(stored_tokens(&browser), tokens);
    browser.screenshot_to_output("credentials_renewed");
}

#[test]
fn a_reload_mid_upload_resumes_without_resending_finished_parts() {
    let size = 96 * MIB;
    let parts = size.div_ceil(PART);
    let stack = Stack::start("faults-resume");
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("This folder is empty", 30);

    let files = Files::new("faults-resume");
    let (path, digest) = noise_file(&files, "resumed.bin", size, 0x7e5);
    let control = stack.control();
    control.set_latency(Duration::from_millis(300));
    control.reset_stats();
    pick_upload(&browser, &path);
    wait_until("five finished parts", 180, &browser, || {
        resume_record(&browser, "resumed.bin").is_some_and(|(_, n)| n >= 5)
    });
    browser.refresh();
    browser.wait_for(".file-list", 30);
    let before = control.stats();
    let (upload_id, recorded) =
        resume_record(&browser, "resumed.bin").expect("the record outlives the reload");
    let sent_before = before.s3_requests["UploadPart"];
    assert_eq!(before.multipart_uploads.len(), 1, "the upload stays open");
    assert_eq!(before.multipart_uploads[0].upload_id, upload_id);

    control.reset_stats();
    let started = Instant::now();
    pick_upload(&browser, &path);
    let UploadRow { state, status, .. } =
        wait_for_upload(&browser, "resumed.bin", 300, POLL, || {});
    control.clear_faults();
    let stats = control.stats();
    let sent_after = stats.s3_requests.get("UploadPart").copied().unwrap_or(0);
    eprintln!(
        "resume after reload: {parts} parts; before the reload {sent_before} UploadPart \
         requests, {recorded} parts recorded; after it {sent_after} UploadPart requests in \
         {:.1}s; requests {:?}",
        started.elapsed().as_secs_f64(),
        stats.s3_requests
    );
    assert_eq!(state, "done", "{status}");
    wait_for_rows(&browser, &["resumed.bin"]);
    browser.screenshot_to_output("resumed_after_reload");
    assert_eq!(stats.s3_requests.get("CreateMultipartUpload"), None);
    assert_eq!(stats.s3_requests.get("ListParts"), Some(&1));
    assert!(
        sent_after <= parts - recorded as u64,
        "finished parts were not sent again: {sent_after} sent, {recorded} of {parts} were done"
    );
    assert!(stats.multipart_uploads.is_empty());
    assert!(
        resume_record(&browser, "resumed.bin").is_none(),
        "the record is gone once the upload is complete"
    );
    let stored = stack.object_path(&stack.user_key("alice", "resumed.bin"));
    assert_eq!(std::fs::metadata(&stored).unwrap().len(), size);
    assert!(
        file_sha256(&stored) == digest,
        "the stored object's SHA-256 differs from the source's"
    );
}

/// The pause/resume button of the upload row of `name`.
fn pause_toggle<'a>(browser: &'a Browser, name: &str) -> support::webdriver::Element<'a> {
    browser.wait_for(
        &format!(".upload button.pause-toggle[aria-label$=\"upload of {name}\"]"),
        30,
    )
}

#[test]
fn pause_stops_parts_in_flight_and_resume_sends_only_the_missing_ones() {
    let size = 64 * MIB;
    let parts = size.div_ceil(PART);
    let stack = Stack::start("faults-pause");
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("This folder is empty", 30);

    let files = Files::new("faults-pause");
    let (path, digest) = noise_file(&files, "paused.bin", size, 0x9a05e);
    let control = stack.control();
    // Slow enough that parts are in flight when the user pauses.
    control.set_latency(Duration::from_millis(400));
    control.reset_stats();
    pick_upload(&browser, &path);
    wait_until("two finished parts", 180, &browser, || {
        resume_record(&browser, "paused.bin").is_some_and(|(_, n)| n >= 2)
    });

    // Pause from the keyboard: Enter on the focused button.
    let toggle = pause_toggle(&browser, "paused.bin");
    assert_eq!(toggle.text(), "Pause");
    toggle.send_keys("\u{E007}");
    wait_until("the paused state", 30, &browser, || {
        upload_row(&browser, "paused.bin").is_some_and(|row| row.state == "paused")
    });
    let UploadRow {
        progress: shown_at_pause,
        status,
        ..
    } = upload_row(&browser, "paused.bin").unwrap();
    // The emulator counts a request after its latency: one sent just before the
    // pause is counted up to 400 ms later.
    std::thread::sleep(Duration::from_secs(1));
    let parts_at_pause = stack.s3_requests("UploadPart");
    let (_, recorded) = resume_record(&browser, "paused.bin").expect("the record stays");
    assert!(
        status.starts_with("Paused — ") && status.ends_with(" of 64 MB sent"),
        "{status}"
    );
    // The bar shows what the words say: the bytes S3 holds, not the parts cut off.
    let stored_words = format!(
        "Paused — {} of",
        cubby::model::listing::format_size(shown_at_pause as u64)
    );
    assert!(
        status.starts_with(&stored_words) && (shown_at_pause as u64).is_multiple_of(PART),
        "bar at {shown_at_pause} bytes beside {status:?}"
    );
    // The same button, now Resume, keeps the focus.
    let focused = browser.execute("return document.activeElement.textContent", json!([]));
    assert_eq!(
        focused,
        json!("Resume"),
        "the toggle keeps the keyboard focus"
    );
    assert_accessible(&browser, "the upload panel with a paused upload");

    std::thread::sleep(Duration::from_secs(2));
    let stats = control.stats();
    let parts_after_wait = stats.s3_requests["UploadPart"];
    let UploadRow {
        state,
        progress: shown_after_wait,
        status: status_after_wait,
    } = upload_row(&browser, "paused.bin").unwrap();
    eprintln!(
        "paused ({status:?}) at {shown_at_pause} bytes shown, {recorded} parts finished, \
         {parts_at_pause} UploadPart requests; 2 s later {parts_after_wait}"
    );
    assert_eq!(state, "paused", "{status_after_wait}");
    assert_eq!(
        parts_after_wait, parts_at_pause,
        "no part upload starts while paused"
    );
    assert!(
        shown_after_wait >= shown_at_pause,
        "progress held while paused"
    );
    assert_eq!(
        stats.multipart_uploads.len(),
        1,
        "the multipart upload stays open while paused"
    );

    let started = Instant::now();
    pause_toggle(&browser, "paused.bin").send_keys("\u{E007}");
    let UploadRow { state, status, .. } = wait_for_upload(&browser, "paused.bin", 300, POLL, || {});
    let resumed_for = started.elapsed();
    control.clear_faults();
    let stats = control.stats();
    let upload_parts = stats.s3_requests["UploadPart"];
    eprintln!(
        "pause and resume: {parts} parts, {upload_parts} UploadPart requests in all \
         ({parts_at_pause} before the pause); done {:.1}s after resume; requests {:?}",
        resumed_for.as_secs_f64(),
        stats.s3_requests
    );
    assert_eq!(state, "done", "the upload failed: {status}");
    wait_for_rows(&browser, &["paused.bin"]);
    browser.screenshot_to_output("paused_and_resumed");
    assert!(
        upload_parts <= parts + PARTS_IN_FLIGHT,
        "only the parts cut off by the pause were sent twice: {upload_parts} for {parts} parts"
    );
    assert_eq!(stats.s3_requests.get("CreateMultipartUpload"), Some(&1));
    assert_eq!(
        stats.s3_requests.get("ListParts"),
        None,
        "resumed from memory"
    );
    assert_eq!(stats.s3_requests.get("CompleteMultipartUpload"), Some(&1));
    assert_eq!(
        stats.s3_requests.get("HeadObject"),
        Some(&1),
        "the stored object was checked"
    );
    assert!(stats.multipart_uploads.is_empty());
    let stored = stack.object_path(&stack.user_key("alice", "paused.bin"));
    assert_eq!(std::fs::metadata(&stored).unwrap().len(), size);
    assert!(
        file_sha256(&stored) == digest,
        "the stored object's SHA-256 differs from the source's"
    );
}

#[test]
fn an_upload_whose_answer_was_lost_is_done_not_a_conflict() {
    let stack = Stack::start("lost-answer");
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("This folder is empty", 30);
    let files = Files::new("lost-answer");
    let small = files.write("lost-answer.txt", b"stored, but the answer never came\n");
    let control = stack.control();
    control.reset_stats();
    // S3 stores the file and the answer is lost: the browser sees a network
    // error, and the retry's If-None-Match meets the stored file (412).
    control.fail_next(1, FaultKind::DropAnswer, Some("PutObject"));
    pick_upload(&browser, &small);
    let UploadRow { state, status, .. } =
        wait_for_upload(&browser, "lost-answer.txt", 60, POLL, || {});
    let stats = control.stats().s3_requests;
    eprintln!("upload with a lost answer: {stats:?}");
    assert_eq!(state, "done", "{status}");
    wait_for_rows(&browser, &["lost-answer.txt"]);
    assert_eq!(stats.get("PutObject"), Some(&2), "sent again once");
    assert_eq!(
        std::fs::read(stack.object_path(&stack.user_key("alice", "lost-answer.txt"))).unwrap(),
        b"stored, but the answer never came\n"
    );
    browser.screenshot_to_output("lost_answer_upload");
}

#[test]
fn with_local_storage_full_a_multipart_upload_completes_and_says_it_cannot_resume() {
    let size = 2 * PART + MIB;
    let stack = Stack::start("storage-full");
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("This folder is empty", 30);
    // Fill localStorage to the last byte: every further setItem throws
    // QuotaExceededError, as in a browser whose storage is full.
    let filled = browser.execute(
        "let n = 0;
         for (let size = 1 << 20; size >= 1; size >>= 1) {
             const value = 'x'.repeat(size);
             for (;;) {
                 try { localStorage.setItem('filler.' + n++, value); } catch (e) { break; }
             }
         }
         try { localStorage.setItem('cubby.upload.probe', '{}'); return 'not full'; }
         catch (e) { return e.name; }",
        json!([]),
    );
    assert_eq!(filled, json!("QuotaExceededError"));

    let files = Files::new("storage-full");
    let (path, digest) = noise_file(&files, "unrecorded.bin", size, 0xf011);
    let control = stack.control();
    control.reset_stats();
    pick_upload(&browser, &path);
    let UploadRow { state, status, .. } =
        wait_for_upload(&browser, "unrecorded.bin", 120, POLL, || {});
    let stats = control.stats();
    eprintln!("upload with localStorage full: {:?}", stats.s3_requests);
    assert_eq!(state, "done", "the upload failed: {status}");
    wait_for_rows(&browser, &["unrecorded.bin"]);
    let notices: Vec<String> = browser
        .find_all(".notice")
        .iter()
        .map(|n| n.text())
        .collect();
    browser.screenshot_to_output("storage_full_notice");
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].contains(
            "The upload of unrecorded.bin cannot resume after a reload: the browser's storage \
             is full"
        ),
        "{notices:?}"
    );
    assert!(resume_record(&browser, "unrecorded.bin").is_none());
    assert_eq!(stats.s3_requests.get("CreateMultipartUpload"), Some(&1));
    assert_eq!(stats.s3_requests.get("CompleteMultipartUpload"), Some(&1));
    assert!(stats.multipart_uploads.is_empty(), "nothing left open");
    let stored = stack.object_path(&stack.user_key("alice", "unrecorded.bin"));
    assert_eq!(std::fs::metadata(&stored).unwrap().len(), size);
    assert!(
        file_sha256(&stored) == digest,
        "the stored object's SHA-256 differs from the source's"
    );
}

/// Takes the browser's network away (`offline`) or gives it back, as DevTools'
/// "Offline" does (what ChromeDriver's network conditions send): requests fail
/// at once, `navigator.onLine` follows, with its `offline` and `online` events.
fn set_offline(browser: &Browser, offline: bool) {
    browser.cdp(
        "Network.emulateNetworkConditions",
        json!({"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}),
    );
}

/// Saves `<name>-1280.png` and `<name>-390.png`: the page at 1280x900 and at a
/// phone's 390x844.
fn screenshots_at_both_widths(browser: &Browser, name: &str) {
    for (width, height, mobile) in [(1280, 900, false), (390, 844, true)] {
        browser.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
        );
        browser.screenshot_to_output(&format!("{name}-{width}"));
    }
    browser.cdp("Emulation.clearDeviceMetricsOverride", json!({}));
}

/// The upload panel's summary line.
fn upload_summary(browser: &Browser) -> String {
    browser.text(".uploads-summary")
}

/// How many upload rows show `name`.
fn upload_rows_named(browser: &Browser, name: &str) -> u64 {
    browser
        .execute(
            "return [...document.querySelectorAll('.upload .upload-name')]
                 .filter(n => n.textContent == arguments[0]).length",
            json!([name]),
        )
        .as_u64()
        .unwrap()
}

/// Picks several files at once in "Upload files".
fn pick_uploads(browser: &Browser, paths: &[&std::path::Path]) {
    let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    browser
        .find("#upload-files")
        .expect("the upload input")
        .send_keys(&list.join("\n"));
}

/// How long the network stays away: past the backoff schedule (four attempts,
/// at most 0.25 + 0.5 + 1 s of waits; an offline browser waits at once), so a
/// failure by the old rules would show by then. The 20 s drop shows
/// nothing more: the wait has no end of its own.
const DROP: Duration = Duration::from_secs(4);

#[test]
fn a_network_drop_mid_upload_waits_for_the_connection_and_completes_by_itself() {
    let size = 40 * MIB;
    let parts = size.div_ceil(PART);
    let stack = Stack::start("network-drop");
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("This folder is empty", 30);

    let files = Files::new("network-drop");
    let (path, digest) = noise_file(&files, "dropped.bin", size, 0xd20);
    let control = stack.control();
    // Slow enough that parts are in flight when the network goes.
    control.set_latency(Duration::from_millis(800));
    control.reset_stats();
    pick_upload(&browser, &path);
    wait_until("a finished part", 60, &browser, || {
        resume_record(&browser, "dropped.bin").is_some_and(|(_, n)| n >= 1)
    });
    // The network goes: the browser says so (and gives up the requests in
    // flight) and S3 refuses connections, as DevTools' emulation alone lets
    // requests to 127.0.0.1 through.
    control.network_down(DROP);
    set_offline(&browser, true);
    let dropped = Instant::now();
    let before_drop = control.stats().s3_requests;
    control.reset_stats();
    let (upload_id, recorded) = resume_record(&browser, "dropped.bin").unwrap();
    assert!(
        (recorded as u64) < parts,
        "the drop came before the upload's end"
    );
    assert_eq!(
        browser.execute("return navigator.onLine", json!([])),
        json!(false)
    );
    wait_until("Waiting for connection…", 10, &browser, || {
        upload_row(&browser, "dropped.bin").is_some_and(|r| r.status == "Waiting for connection…")
    });
    assert!(upload_summary(&browser).contains("waiting for connection"));
    assert_accessible(&browser, "the upload panel waiting for the connection");
    screenshots_at_both_widths(&browser, "uploads_waiting");
    // Collapsed: one line, reached and opened again from the keyboard.
    let toggle = browser.wait_for(".uploads-toggle", 10);
    assert_eq!(toggle.attr("aria-expanded").as_deref(), Some("true"));
    toggle.send_keys("\u{E007}");
    wait_until("the collapsed panel", 10, &browser, || {
        browser
            .find(".uploads-toggle")
            .and_then(|t| t.attr("aria-expanded"))
            .as_deref()
            == Some("false")
    });
    assert!(browser.find(".upload-list:not([hidden])").is_none());
    assert!(upload_summary(&browser).starts_with("0 of 1 done · "));
    assert_accessible(&browser, "the collapsed upload panel");
    screenshots_at_both_widths(&browser, "uploads_collapsed");
    browser
        .find(".uploads-toggle")
        .unwrap()
        .send_keys("\u{E007}");
    wait_until("the expanded panel", 10, &browser, || {
        browser.find(".upload-list:not([hidden])").is_some()
    });

    // Past the backoff schedule: still waiting, not failed.
    std::thread::sleep(DROP.saturating_sub(dropped.elapsed()));
    let row = upload_row(&browser, "dropped.bin").unwrap();
    assert_eq!(row.state, "uploading", "{}", row.status);
    assert_eq!(row.status, "Waiting for connection…");
    let offline_for = dropped.elapsed();
    // The latency only served to catch parts in flight.
    control.set_latency(Duration::ZERO);
    set_offline(&browser, false);
    let back = Instant::now();
    let UploadRow { state, status, .. } = wait_for_upload(&browser, "dropped.bin", 60, POLL, || {});
    let resumed_in = back.elapsed();
    control.clear_faults();
    let stats = control.stats();
    let sent_after = stats.s3_requests.get("UploadPart").copied().unwrap_or(0);
    eprintln!(
        "network drop of {:.1}s mid-upload: {parts} parts, {recorded} recorded at the drop; \
         before it {before_drop:?}; after it {:?}; done {:.1}s after the network came back",
        offline_for.as_secs_f64(),
        stats.s3_requests,
        resumed_in.as_secs_f64()
    );
    assert_eq!(state, "done", "{status}");
    wait_for_rows(&browser, &["dropped.bin"]);
    assert_eq!(before_drop.get("CreateMultipartUpload"), Some(&1));
    assert_eq!(
        stats.s3_requests.get("CreateMultipartUpload"),
        None,
        "the same upload ({upload_id}) went on"
    );
    assert_eq!(
        stats.s3_requests.get("ListParts"),
        None,
        "went on from memory"
    );
    assert!(
        sent_after <= parts - recorded as u64,
        "parts stored before the drop were not sent again: {sent_after} sent after it, \
         {recorded} of {parts} were stored"
    );
    assert_eq!(stats.s3_requests.get("CompleteMultipartUpload"), Some(&1));
    assert!(stats.multipart_uploads.is_empty());
    let stored = stack.object_path(&stack.user_key("alice", "dropped.bin"));
    assert_eq!(std::fs::metadata(&stored).unwrap().len(), size);
    assert!(
        file_sha256(&stored) == digest,
        "the stored object's SHA-256 differs from the source's"
    );
}

#[test]
fn failed_uploads_offer_retry_and_name_conflicts_apply_to_all() {
    let stack = Stack::start("retry-conflict");
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("This folder is empty", 30);
    let files = Files::new("retry-conflict");
    let a = files.write("a.txt", b"first a\n");
    let b = files.write("b.txt", b"first b\n");
    let control = stack.control();
    // Four 500s a PUT: each file fails for good (the retry policy tries four times).
    control.fail_next(8, FaultKind::InternalError, Some("PutObject"));
    pick_uploads(&browser, &[&a, &b]);
    wait_until("two failed uploads", 60, &browser, || {
        ["a.txt", "b.txt"]
            .iter()
            .all(|n| upload_row(&browser, n).is_some_and(|r| r.state == "failed"))
    });
    let failed = upload_row(&browser, "a.txt").unwrap();
    assert_eq!(failed.progress, 0.0, "nothing stored: an empty bar");
    assert!(
        failed.status.starts_with("Could not upload a.txt."),
        "{}",
        failed.status
    );
    assert!(upload_summary(&browser).contains("2 failed"));
    assert!(browser.find("#retry-all").is_some());
    assert_accessible(&browser, "the upload panel with failed uploads");
    screenshots_at_both_widths(&browser, "uploads_failed");

    click_labelled(&browser, "Retry upload of a.txt");
    wait_until("a.txt sent again", 30, &browser, || {
        upload_row(&browser, "a.txt").is_some_and(|r| r.state == "done")
    });
    assert_eq!(
        upload_row(&browser, "b.txt").unwrap().state,
        "failed",
        "Retry sends its own file"
    );
    browser.find("#retry-all").expect("Retry all").click();
    wait_until("b.txt sent again", 30, &browser, || {
        upload_row(&browser, "b.txt").is_some_and(|r| r.state == "done")
    });
    assert!(
        browser.find("#retry-all").is_none(),
        "nothing left to retry"
    );
    screenshots_at_both_widths(&browser, "uploads_expanded");

    // A failed file picked again: the new try takes the failed row's place.
    let c = files.write("c.txt", b"c\n");
    control.fail_next(4, FaultKind::InternalError, Some("PutObject"));
    pick_upload(&browser, &c);
    wait_until("c.txt failed", 30, &browser, || {
        upload_row(&browser, "c.txt").is_some_and(|r| r.state == "failed")
    });
    pick_upload(&browser, &c);
    wait_until("c.txt done", 30, &browser, || {
        upload_row(&browser, "c.txt").is_some_and(|r| r.state == "done")
    });
    assert_eq!(
        upload_rows_named(&browser, "c.txt"),
        1,
        "no failed row left above"
    );

    // Both names taken: one question, with both files, answered for all.
    browser
        .execute(
            "[...document.querySelectorAll('.uploads button')].find(b => b.textContent == 'Clear finished').click()",
            json!([]),
        );
    let a2 = files.write("again/a.txt", b"second a, longer\n");
    let b2 = files.write("again/b.txt", b"second b, longer\n");
    pick_uploads(&browser, &[&a2, &b2]);
    browser.wait_for("dialog[open] #apply-to-all", 30);
    let stored = browser.text("#conflict-stored");
    let new = browser.text("#conflict-new");
    assert!(stored.starts_with("8 B, modified "), "{stored}");
    assert!(new.starts_with("17 B, modified "), "{new}");
    assert_accessible(&browser, "the name conflict dialog");
    screenshots_at_both_widths(&browser, "upload_conflict");
    browser.find("#apply-to-all").unwrap().click();
    browser.find("dialog[open] #replace").unwrap().click();
    // A second question would hold b.txt up: both end without one.
    wait_until("both replaced", 30, &browser, || {
        ["a.txt", "b.txt"]
            .iter()
            .all(|n| upload_row(&browser, n).is_some_and(|r| r.state == "done"))
    });
    assert!(browser.find("dialog[open]").is_none());
    for (name, contents) in [
        ("a.txt", "second a, longer\n"),
        ("b.txt", "second b, longer\n"),
    ] {
        assert_eq!(
            std::fs::read(stack.object_path(&stack.user_key("alice", name))).unwrap(),
            contents.as_bytes()
        );
    }
}
