//! End-to-end tests of sessions across tabs and time: the release build in headless
//! Chromium against the emulator, with short token lifetimes and a network outage.
//! The emulator counts token-endpoint requests by grant type, so "one refresh per
//! expiry, whatever the number of tabs" is checked where it happens.
#![cfg(not(target_arch = "wasm32"))]
// Tests wait on wall-clock deadlines; only the app itself must avoid the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use cubby_emulator::Lifetimes;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use support::app::{wait_for_rows, wait_until, Files, ALICE};
use support::axe::assert_accessible;
use support::files::{pick_upload, upload_row, wait_for_upload};
use support::stack::Stack;
use support::webdriver::Browser;

/// Signs in through the Hosted UI form, optionally with "keep me signed in"
/// (tokens in localStorage, which every tab sees), and waits for the folder view.
fn sign_in(browser: &Browser, stack: &Stack, keep: bool) {
    let (user, password) = ALICE;
    browser.goto(&stack.app_url());
    let checkbox = browser.wait_for("#keep-signed-in", 30);
    if keep {
        checkbox.click();
    }
    browser.find("#sign-in").unwrap().click();
    browser.wait_for("#username", 30).send_keys(user);
    browser.find("#password").unwrap().send_keys(password);
    browser.find("button[type=submit]").unwrap().click();
    browser.wait_for(".file-list", 30);
}

fn stored_tokens(browser: &Browser) -> Value {
    browser.execute(
        "return sessionStorage.getItem('cubby.tokens') || localStorage.getItem('cubby.tokens')",
        json!([]),
    )
}

fn token_requests(stack: &Stack, grant: &str) -> u64 {
    stack
        .control()
        .stats()
        .token_requests
        .get(grant)
        .copied()
        .unwrap_or(0)
}

/// Picks `path` in the "Upload files" input and waits until its row says done.
fn upload(browser: &Browser, path: &Path) {
    let name = path.file_name().unwrap().to_str().unwrap();
    pick_upload(browser, path);
    let row = wait_for_upload(browser, name, 60, Duration::from_millis(100), || {});
    assert_eq!(row.state, "done", "the upload of {name}: {}", row.status);
}

/// Signed in and not asked to sign in again.
fn assert_signed_in(browser: &Browser, what: &str) {
    assert!(
        browser.find(".file-list").is_some()
            && browser.find("#sign-in").is_none()
            && browser.find("#username").is_none()
            && browser.find("#session-ended").is_none(),
        "{what}: still signed in; page text:\n{}",
        browser.text("body")
    );
}

fn short_lifetimes(stack: &Stack, seconds: u64) {
    let control = stack.control();
    control.set_lifetimes(Lifetimes {
        id_token_seconds: seconds,
        access_token_seconds: seconds,
        credentials_seconds: seconds,
        ..control.lifetimes()
    });
}

#[test]
fn signing_out_in_one_tab_signs_out_the_other() {
    let stack = Stack::start("sessions-signout");
    let browser = Browser::start();
    sign_in(&browser, &stack, true);
    let first = browser.current_tab();
    let second = browser.new_tab();
    browser.switch_to(&second);
    browser.goto(&stack.app_url());
    browser.wait_for(".file-list", 30);
    assert_signed_in(&browser, "the second tab opens signed in from storage");

    browser.switch_to(&first);
    browser
        .execute(
            "[...document.querySelectorAll('.account button')].find(b => b.textContent == 'Sign out').click()",
            json!([]),
        );
    browser.wait_for("#sign-in", 30);
    let started = Instant::now();
    browser.switch_to(&second);
    browser.wait_for("#sign-in", 10);
    eprintln!(
        "sign-out reached the other tab {:.1}s after the first showed the sign-in screen",
        started.elapsed().as_secs_f64()
    );
    assert!(browser.find(".file-list").is_none(), "the folder is gone");
    assert_eq!(stored_tokens(&browser), Value::Null, "no tokens remain");
    browser.screenshot_to_output("signed_out_in_other_tab");
    // A reload stays signed out.
    browser.refresh();
    browser.wait_for("#sign-in", 30);
}

#[test]
fn two_tabs_with_half_minute_tokens_keep_working_with_one_refresh_per_expiry() {
    const LIFETIME: u64 = 30;
    let stack = Stack::start("sessions-lifetimes");
    short_lifetimes(&stack, LIFETIME);
    stack.control().reset_stats();
    let browser = Browser::start();
    let signed_in = Instant::now();
    // Signed in for this browser session only: each tab keeps the tokens in its
    // own sessionStorage, so the second tab gets them from the first over the
    // channel, and a refresh by one must reach the other the same way.
    sign_in(&browser, &stack, false);
    let tabs = [browser.current_tab(), browser.new_tab()];
    browser.switch_to(&tabs[1]);
    browser.goto(&stack.app_url());
    browser.wait_for(".file-list", 30);
    assert_signed_in(&browser, "the second tab took the first tab's sign-in");

    let files = Files::new("sessions-lifetimes");
    let mut names = Vec::new();
    let mut round = 0;
    // Two and a half minutes of work (six token lifetimes), every 10 seconds,
    // alternating tabs.
    while signed_in.elapsed() < Duration::from_secs(150) {
        let tab = &tabs[round % 2];
        browser.switch_to(tab);
        let name = format!("work-{round}.txt");
        let path = files.write(&name, format!("round {round}\n").as_bytes());
        upload(&browser, &path);
        names.push(name);
        let shown: Vec<&str> = names.iter().map(String::as_str).collect();
        wait_for_rows(&browser, &shown);
        assert_signed_in(&browser, &format!("round {round}"));
        eprintln!(
            "round {round} at {:.0}s: refresh grants so far {}",
            signed_in.elapsed().as_secs_f64(),
            token_requests(&stack, "refresh_token")
        );
        round += 1;
        std::thread::sleep(Duration::from_secs(10));
    }
    let elapsed = signed_in.elapsed().as_secs();
    let stats = stack.control().stats();
    let refreshes = stats
        .token_requests
        .get("refresh_token")
        .copied()
        .unwrap_or(0);
    let codes = stats
        .token_requests
        .get("authorization_code")
        .copied()
        .unwrap_or(0);
    // The app refreshes a fifth of the lifetime early: one id token per 24 s.
    let renew_every = LIFETIME - LIFETIME / 5;
    let expiries = elapsed / renew_every;
    eprintln!(
        "{elapsed}s with {LIFETIME}s tokens in two tabs: {refreshes} refresh grants \
         ({expiries} token lifetimes passed), {codes} sign-ins, {} uploads, S3 {:?}",
        names.len(),
        stats.s3_requests
    );
    for tab in &tabs {
        browser.switch_to(tab);
        assert_signed_in(&browser, "at the end");
    }
    browser.screenshot_to_output("two_tabs_short_lifetimes");
    assert_eq!(codes, 1, "no second sign-in");
    assert!(refreshes >= 1, "the tokens were refreshed");
    assert!(
        refreshes <= expiries + 1,
        "one refresh per expiry for both tabs: {refreshes} refreshes in {expiries} lifetimes"
    );
}

#[test]
fn a_network_outage_during_a_refresh_keeps_the_user_signed_in() {
    const LIFETIME: u64 = 60;
    let stack = Stack::start("sessions-outage");
    short_lifetimes(&stack, LIFETIME);
    let browser = Browser::start();
    let signed_in = Instant::now();
    sign_in(&browser, &stack, false);
    let control = stack.control();
    control.reset_stats();
    // The refresh is due 48 s after sign-in; the network is down from 42 s to 62 s,
    // past the tokens' and the credentials' expiry.
    let down_at = Duration::from_secs(42);
    std::thread::sleep(down_at.saturating_sub(signed_in.elapsed()));
    control.network_down(Duration::from_secs(20));
    let outage = Instant::now();
    std::thread::sleep(Duration::from_secs(20));
    assert_signed_in(&browser, "during the outage");
    assert_eq!(
        token_requests(&stack, "refresh_token"),
        0,
        "nothing reached the token endpoint while the network was down"
    );
    wait_until("a refresh after the outage", 60, &browser, || {
        token_requests(&stack, "refresh_token") >= 1
    });
    let recovered = outage.elapsed().as_secs_f64();
    let files = Files::new("sessions-outage");
    let path = files.write(
        "after-outage.txt",
        b"uploaded after the network came back\n",
    );
    upload(&browser, &path);
    wait_for_rows(&browser, &["after-outage.txt"]);
    assert_signed_in(&browser, "after the outage");
    let stats = control.stats();
    eprintln!(
        "outage of 20s from {}s after sign-in: refreshed {:.1}s after it began; token \
         requests {:?}; S3 {:?}",
        down_at.as_secs(),
        recovered,
        stats.token_requests,
        stats.s3_requests
    );
    browser.screenshot_to_output("network_outage_during_refresh");
    assert_eq!(stats.token_requests.get("authorization_code"), None);
    assert!(stored_tokens(&browser).is_string(), "the tokens are kept");
}

/// The `data-state` of the upload row of `name` (`None` while there is no row).
fn upload_state(browser: &Browser, name: &str) -> Option<String> {
    upload_row(browser, name).map(|row| row.state)
}

#[test]
fn a_refused_refresh_token_asks_to_sign_in_again_and_the_page_carries_on() {
    const LIFETIME: u64 = 60;
    let stack = Stack::start("sessions-reauth");
    short_lifetimes(&stack, LIFETIME);
    // Something to open, so the page has state worth keeping.
    let inside = stack.object_path(&stack.user_key("alice", "kept/inside.txt"));
    std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
    std::fs::write(&inside, b"inside\n").unwrap();
    let browser = Browser::start();
    sign_in(&browser, &stack, false);
    browser.wait_for(".folder-link", 30);
    browser
        .execute(
            "[...document.querySelectorAll('.folder-link')].find(b => b.textContent.startsWith('kept')).click();
             window.cubbyPageMarker = 'not reloaded';",
            json!([]),
        );
    wait_for_rows(&browser, &["inside.txt"]);
    let page = browser.current_tab();

    // An administrator signs the user out everywhere: the next refresh is refused.
    stack.control().revoke_refresh_tokens();
    browser.wait_for("#session-ended", 90);
    let notice = browser.text("#session-ended");
    assert!(
        notice.contains("expired or was ended elsewhere")
            && notice.contains("uploads in progress wait"),
        "the notice says nothing is lost: {}",
        browser.text("#session-ended")
    );
    assert_accessible(&browser, "the session-ended notice");
    // Work started now waits for the new sign-in instead of failing.
    let files = Files::new("sessions-reauth");
    let path = files.write("queued.txt", b"uploaded after signing in again\n");
    pick_upload(&browser, &path);
    std::thread::sleep(Duration::from_secs(3));
    let state = upload_state(&browser, "queued.txt");
    assert!(
        matches!(state.as_deref(), Some("waiting" | "uploading")),
        "the upload waits while signed out, it does not fail: {state:?}; {}",
        browser.text(".upload-list")
    );
    assert!(!stack
        .object_path(&stack.user_key("alice", "kept/queued.txt"))
        .exists());

    browser.find("#sign-in-again").unwrap().click();
    let mut popup = None;
    wait_until("the sign-in popup", 30, &browser, || {
        popup = browser.tabs().into_iter().find(|t| *t != page);
        popup.is_some()
    });
    browser.switch_to(popup.as_ref().unwrap());
    // The Hosted UI may still know the user (its own cookie); else it asks.
    let deadline = Instant::now() + Duration::from_secs(30);
    while browser.tabs().len() > 1 && Instant::now() < deadline {
        if let Some(username) = browser.find("#username") {
            let (user, password) = ALICE;
            username.send_keys(user);
            browser.find("#password").unwrap().send_keys(password);
            browser.find("button[type=submit]").unwrap().click();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        browser.tabs(),
        vec![page.clone()],
        "the popup closed itself"
    );
    browser.switch_to(&page);

    wait_until("the queued upload", 60, &browser, || {
        upload_state(&browser, "queued.txt").as_deref() == Some("done")
    });
    wait_for_rows(&browser, &["inside.txt", "queued.txt"]);
    assert_signed_in(&browser, "after signing in again");
    assert_eq!(
        browser.execute("return window.cubbyPageMarker", json!([])),
        json!("not reloaded"),
        "the page was never reloaded"
    );
    assert_eq!(
        std::fs::read(stack.object_path(&stack.user_key("alice", "kept/queued.txt"))).unwrap(),
        b"uploaded after signing in again\n"
    );
    assert_eq!(token_requests(&stack, "authorization_code"), 2);
    assert!(
        stored_tokens(&browser).is_string(),
        "the new tokens are kept"
    );
    browser.screenshot_to_output("signed_in_again");
}

/// The refresh token in `browser`'s storage now.
fn stored_refresh_token(browser: &Browser) -> String {
    let text = stored_tokens(browser);
    let tokens: Value = serde_json::from_str(text.as_str().expect("tokens are stored")).unwrap();
    assert!(
        tokens.get("access_token").is_none(),
        "the access token is not stored"
    );
    tokens["refresh_token"].as_str().unwrap().to_string()
}

#[test]
fn two_tabs_follow_rotated_refresh_tokens_across_several_refreshes() {
    const LIFETIME: u64 = 15;
    // No grace period: a tab that used a replaced refresh token would be refused at
    // once, so every tab must follow the newest one.
    let stack = Stack::start_with("sessions-rotation", |config| {
        config.refresh_token_rotation = cubby_emulator::RefreshTokenRotation {
            feature: "ENABLED".into(),
            retry_grace_period_seconds: 0,
        };
    });
    short_lifetimes(&stack, LIFETIME);
    stack.control().reset_stats();
    let browser = Browser::start();
    let signed_in = Instant::now();
    // This browser session only: each tab keeps its own copy in sessionStorage, the
    // hardest case (the new refresh token reaches the other tab over the channel).
    sign_in(&browser, &stack, false);
    let tabs = [browser.current_tab(), browser.new_tab()];
    browser.switch_to(&tabs[1]);
    browser.goto(&stack.app_url());
    browser.wait_for(".file-list", 30);
    assert_signed_in(&browser, "the second tab took the first tab's sign-in");
    let first_refresh_token = stored_refresh_token(&browser);
    eprintln!("two tabs signed in");

    let files = Files::new("sessions-rotation");
    let mut names = Vec::new();
    let mut round = 0;
    // Eighty seconds of work, every 5 seconds, alternating tabs: four or more
    // rotations (kept short: CI runs this file's tests two at a time).
    while signed_in.elapsed() < Duration::from_secs(80) {
        let tab = &tabs[round % 2];
        browser.switch_to(tab);
        let name = format!("rotated-{round}.txt");
        let path = files.write(&name, format!("round {round}\n").as_bytes());
        upload(&browser, &path);
        names.push(name);
        let shown: Vec<&str> = names.iter().map(String::as_str).collect();
        wait_for_rows(&browser, &shown);
        assert_signed_in(&browser, &format!("round {round}"));
        eprintln!(
            "round {round} at {:.0}s: refresh grants so far {}",
            signed_in.elapsed().as_secs_f64(),
            token_requests(&stack, "refresh_token")
        );
        round += 1;
        std::thread::sleep(Duration::from_secs(5));
    }
    let stats = stack.control().stats();
    let refreshes = stats
        .token_requests
        .get("refresh_token")
        .copied()
        .unwrap_or(0);
    eprintln!(
        "{}s with {LIFETIME}s tokens, rotation without grace, two tabs: token requests {:?}",
        signed_in.elapsed().as_secs(),
        stats.token_requests
    );
    for tab in &tabs {
        browser.switch_to(tab);
        assert_signed_in(&browser, "at the end");
        assert_ne!(
            stored_refresh_token(&browser),
            first_refresh_token,
            "each tab keeps the newest refresh token"
        );
    }
    browser.screenshot_to_output("two_tabs_rotated_refresh_tokens");
    assert_eq!(
        stats.token_requests.get("authorization_code"),
        Some(&1),
        "no second sign-in"
    );
    assert!(refreshes >= 4, "rotated {refreshes} times");
}

/// The localStorage keys of this origin that start with `prefix`.
fn local_keys(browser: &Browser, prefix: &str) -> Vec<String> {
    let keys = browser.execute(
        "return Object.keys(localStorage).filter(k => k.startsWith(arguments[0]))",
        json!([prefix]),
    );
    serde_json::from_value(keys).unwrap()
}

#[test]
fn signing_out_aborts_unfinished_uploads_and_leaves_no_records_or_identity_cache() {
    let stack = Stack::start("sessions-leftovers");
    let browser = Browser::start();
    sign_in(&browser, &stack, true);
    assert_eq!(local_keys(&browser, "cubby.identity.").len(), 1);
    // A multipart upload, paused after its first parts: its record stays.
    let files = Files::new("sessions-leftovers");
    let (path, _) = support::files::noise_file(&files, "unfinished.bin", 64 << 20, 0x51_6e);
    let control = stack.control();
    control.set_latency(Duration::from_millis(300));
    pick_upload(&browser, &path);
    wait_until("a recorded part", 120, &browser, || {
        let record = browser.execute(
            "const id = Object.keys(localStorage).find(k => k.startsWith('cubby.upload.'));
             return id ? JSON.parse(localStorage.getItem(id)).parts.length : 0",
            json!([]),
        );
        record.as_u64().unwrap_or(0) >= 1
    });
    browser.find(".upload button.pause-toggle").unwrap().click();
    wait_until("the paused state", 30, &browser, || {
        upload_state(&browser, "unfinished.bin").as_deref() == Some("paused")
    });
    control.set_latency(Duration::ZERO);
    assert_eq!(control.stats().multipart_uploads.len(), 1);
    assert_eq!(local_keys(&browser, "cubby.upload.").len(), 1);

    let started = Instant::now();
    browser.execute(
        "[...document.querySelectorAll('.account button')].find(b => b.textContent == 'Sign out').click()",
        json!([]),
    );
    browser.wait_for("#sign-in", 30);
    eprintln!(
        "signed out in {:.1}s with one upload to abort",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(local_keys(&browser, "cubby.upload."), Vec::<String>::new());
    assert_eq!(
        local_keys(&browser, "cubby.identity."),
        Vec::<String>::new()
    );
    assert_eq!(stored_tokens(&browser), Value::Null, "no tokens remain");
    assert_eq!(
        control.stats().multipart_uploads,
        [],
        "the unfinished upload was aborted"
    );
}

/// Storage that refuses to keep the sign-in (localStorage full, as in issue 19's
/// storage item) is told once on the signed-in page, which goes on working: a
/// reload would otherwise sign the user out without a word.
#[test]
fn a_sign_in_the_browser_cannot_store_is_told_and_the_page_goes_on() {
    let stack = Stack::start("sessions-storage-full");
    let browser = Browser::start();
    browser.goto(&stack.app_url());
    browser.wait_for("#keep-signed-in", 30);
    let filled = browser.execute(
        "let n = 0;
         for (let size = 1 << 20; size >= 1; size >>= 1) {
             const value = 'x'.repeat(size);
             for (;;) {
                 try { localStorage.setItem('filler.' + n++, value); } catch (e) { break; }
             }
         }
         try { localStorage.setItem('cubby.probe', '{}'); return 'not full'; }
         catch (e) { return e.name; }",
        json!([]),
    );
    assert_eq!(filled, json!("QuotaExceededError"));
    sign_in(&browser, &stack, true);
    browser.wait_for_text("This folder is empty", 30);
    let notices: Vec<String> = browser
        .find_all(".notice")
        .iter()
        .map(|n| n.text())
        .collect();
    browser.screenshot_to_output("sign_in_not_stored");
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].contains("The browser would not store your sign-in"),
        "{notices:?}"
    );
    assert!(stored_tokens(&browser).is_null(), "nothing was stored");
    assert_signed_in(&browser, "after a sign-in the browser could not store");
}
