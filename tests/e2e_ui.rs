//! End-to-end tests of what the page shows: the app starts on any path, names
//! appear exactly as stored (also at 360 px), counts and share-link lifetimes say
//! the right thing, a used sign-in address opened again keeps the session, and
//! every view and dialog these tests open passes axe-core.
#![cfg(not(target_arch = "wasm32"))]
// Tests wait on wall-clock deadlines; only the app itself must avoid the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use serde_json::{json, Value};
use support::app::{click_labelled, sign_in, wait_for_rows, wait_until, Files, ALICE};
use support::axe::assert_accessible;
use support::files::pick_upload;
use support::stack::Stack;
use support::webdriver::Browser;

/// Two spaces in a row: shown collapsed, it would look like `two spaces.txt`.
const TWO_SPACES: &str = "two  spaces.txt";

/// A name with no space to break at, far wider than a 360 px screen. Not longer:
/// s3s-fs names its metadata file after the bucket and the whole key, so a key
/// near 150 bytes fails there after the object is stored.
fn long_name() -> String {
    format!("{}.txt", "long_name_without_any_spaces_".repeat(2))
}

/// Clicks the row action labelled `label` ("Move a.txt"), through the row's menu.
fn press(browser: &Browser, label: &str) {
    click_labelled(browser, label);
}

/// The rendered text (`innerText`, which applies the page's `white-space`) of the
/// first element matching `css`.
fn rendered(browser: &Browser, css: &str) -> String {
    browser
        .execute(
            "const e = document.querySelector(arguments[0]); return e ? e.innerText : null",
            json!([css]),
        )
        .as_str()
        .unwrap_or_else(|| panic!("no {css} on the page"))
        .to_string()
}

fn no_sideways_scroll(browser: &Browser, css: &str) {
    let widths = browser.execute(
        "const e = arguments[0] == 'page' ? document.documentElement : document.querySelector(arguments[0]);
         return [e.clientWidth, e.scrollWidth]",
        json!([css]),
    );
    assert!(
        widths[1].as_i64() <= widths[0].as_i64(),
        "{css} scrolls sideways at 360 px (client, scroll width): {widths}"
    );
}

fn close_dialog(browser: &Browser) {
    browser.execute(
        "[...document.querySelectorAll('dialog button')]
             .find(b => b.textContent == 'Close' || b.textContent == 'Cancel').click()",
        json!([]),
    );
    wait_until("the dialog to close", 10, browser, || {
        browser.find("dialog").is_none()
    });
}

#[test]
fn the_app_starts_on_any_path() {
    let stack = Stack::start("any-path");
    let browser = Browser::start();
    // CloudFront (deploy/cubby.yaml) and the emulator serve index.html here.
    browser.goto(&format!("{}some/deep/path", stack.app_url()));
    wait_until("the sign-in card", 30, &browser, || {
        browser.find("#sign-in").is_some() || browser.find(".config-error").is_some()
    });
    assert!(
        browser.find(".config-error").is_none(),
        "the app did not start on a deep path: {}",
        browser.text("body")
    );
    assert_accessible(&browser, "the signed-out card");
    browser.screenshot_to_output("started_on_a_deep_path");
}

#[test]
fn names_show_as_stored_and_long_ones_fit_at_360px() {
    let stack = Stack::start("names");
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("This folder is empty", 30);
    assert_accessible(&browser, "the empty folder view");
    browser.resize(360, 740);

    let files = Files::new("names");
    let long = long_name();
    let paths: Vec<String> = [TWO_SPACES, long.as_str()]
        .iter()
        .map(|name| files.write(name, b"x").display().to_string())
        .collect();
    browser
        .find("#upload-files")
        .unwrap()
        .send_keys(&paths.join("\n"));
    wait_for_rows(&browser, &[TWO_SPACES, &long]);
    wait_until("2 finished uploads", 60, &browser, || {
        browser.find_all(".upload[data-state=done]").len() == 2
    });
    assert_eq!(rendered(&browser, ".count"), "2 items.");

    // Rows, their tooltips and the upload panel show the two spaces.
    let rows: Vec<String> = browser
        .execute(
            "return [...document.querySelectorAll('.row .name')].map(e => e.innerText)",
            json!([]),
        )
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert!(rows.contains(&TWO_SPACES.to_string()), "rows: {rows:?}");
    let titles = browser.execute(
        "return [...document.querySelectorAll('.row .name')].map(e => e.title)",
        json!([]),
    );
    assert!(
        titles.as_array().unwrap().contains(&json!(long)),
        "{titles}"
    );
    let uploads = browser.execute(
        "return [...document.querySelectorAll('.upload-name')].map(e => e.innerText)",
        json!([]),
    );
    assert!(
        uploads.as_array().unwrap().contains(&json!(TWO_SPACES)),
        "upload panel: {uploads}"
    );
    no_sideways_scroll(&browser, "page");
    assert_accessible(&browser, "the folder view with the upload panel at 360 px");

    // The same name again: the question names it as stored.
    pick_upload(&browser, &files.0.join(TWO_SPACES));
    browser.wait_for("#keep-both", 30);
    assert_eq!(
        rendered(&browser, "dialog .shown-name"),
        TWO_SPACES,
        "the conflict question"
    );
    assert_accessible(&browser, "the name-conflict dialog");
    browser.execute(
        "[...document.querySelectorAll('dialog button')].find(b => b.textContent == 'Skip').click()",
        json!([]),
    );

    // The Move dialog of the long name wraps it instead of scrolling sideways.
    press(&browser, &format!("Move {long}"));
    browser.wait_for("#move-input", 10);
    assert_eq!(rendered(&browser, "dialog h2"), format!("Move {long}"));
    no_sideways_scroll(&browser, "dialog");
    no_sideways_scroll(&browser, "page");
    assert_accessible(&browser, "the Move dialog at 360 px");
    browser.screenshot_to_output("move_dialog_long_name_360px");
    close_dialog(&browser);

    // Deleting it: the notice wraps the name and keeps its dismiss button on screen.
    press(&browser, &format!("Delete {long}"));
    browser.wait_for("#confirm-delete", 10).click();
    browser.wait_for(".notice", 30);
    assert_eq!(
        rendered(&browser, ".notice-text"),
        format!("{long} deleted.")
    );
    let inside = browser.execute(
        "const r = document.querySelector('.notice button').getBoundingClientRect();
         return [r.left, r.right, document.documentElement.clientWidth]",
        json!([]),
    );
    assert!(
        inside[0].as_f64().unwrap() >= 0.0
            && inside[1].as_f64().unwrap() <= inside[2].as_f64().unwrap(),
        "the dismiss button is off screen at 360 px (left, right, width): {inside}"
    );
    no_sideways_scroll(&browser, "page");
    browser.screenshot_to_output("notice_long_name_360px");
    wait_until("one row left", 30, &browser, || {
        browser.find_all(".row").len() == 1
    });
    assert_eq!(rendered(&browser, ".count"), "1 item.");

    // Delete asks, and tells, with the two spaces kept.
    press(&browser, &format!("Delete {TWO_SPACES}"));
    browser.wait_for("#confirm-delete", 10);
    assert_eq!(rendered(&browser, "dialog .shown-name"), TWO_SPACES);
    assert_accessible(&browser, "the Delete dialog");
    browser.find("#confirm-delete").unwrap().click();
    wait_until("the delete notice", 30, &browser, || {
        browser
            .find(".notice-text")
            .is_some_and(|n| n.text().contains("deleted"))
    });
    assert_eq!(
        rendered(&browser, ".notice-text"),
        format!("{TWO_SPACES} deleted.")
    );
    assert_accessible(&browser, "the folder view with a notice");

    // Names with a control character and invisible ones, stored by another client:
    // every character shows.
    for name in [
        "ctl\u{1}.txt",
        "zero\u{200b}width.txt",
        "evil\u{202e}txt.exe",
    ] {
        let path = stack.object_path(&stack.user_key("alice", name));
        std::fs::write(path, b"stored elsewhere").unwrap();
    }
    browser.execute(
        "[...document.querySelectorAll('.toolbar button')].find(b => b.textContent == 'Refresh').click()",
        json!([]),
    );
    let shown = [
        "ctl\u{2401}.txt",
        "zero\\u{200b}width.txt",
        "evil\\u{202e}txt.exe",
    ];
    wait_for_rows(&browser, &shown);
    let rows = browser.execute(
        "return [...document.querySelectorAll('.row .name')].map(e => [e.innerText, e.title])",
        json!([]),
    );
    for name in shown {
        assert!(
            rows.as_array().unwrap().contains(&json!([name, name])),
            "{name} is not shown as {name}: {rows}"
        );
    }
    assert_accessible(
        &browser,
        "the folder view with invisible characters in names",
    );
}

#[test]
fn share_links_offer_only_what_the_credentials_honour() {
    let stack = Stack::start("share-lifetimes");
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    let files = Files::new("share-lifetimes");
    pick_upload(&browser, &files.write("notes.txt", b"some notes\n"));
    wait_for_rows(&browser, &["notes.txt"]);

    press(&browser, "Copy link to notes.txt");
    browser.wait_for("#make-link", 30);
    assert_accessible(&browser, "the share-link dialog");
    let options = browser.execute(
        "return [...document.querySelectorAll('#link-life option')]
             .map(o => [Number(o.value), o.selected, o.textContent])",
        json!([]),
    );
    let options = options.as_array().unwrap();
    // The emulator's credentials live an hour, as Cognito's do: a little less is left.
    let left = stack.control().lifetimes().credentials_seconds;
    assert!(
        options.iter().all(|o| o[0].as_u64().unwrap() < left),
        "a lifetime longer than the credentials is offered: {options:?}"
    );
    assert!(
        options.iter().any(|o| o[1] == json!(true)),
        "one is selected: {options:?}"
    );
    assert!(
        rendered(&browser, "#link-until").starts_with("Until "),
        "the dialog says until when the link works"
    );
    browser.find("#make-link").unwrap().click();
    browser.wait_for(".link-url", 30);
    assert!(
        browser.find(".warning").is_none(),
        "the default lifetime was shortened: {}",
        browser.text("dialog")
    );
    assert!(browser.text("dialog").contains("It works until"));
    assert_accessible(&browser, "the share-link dialog with a link");
    close_dialog(&browser);

    // The other dialogs once each: preview, new folder, details.
    press(&browser, "View notes.txt");
    browser.wait_for(".preview-text", 30);
    assert_eq!(rendered(&browser, ".preview-text"), "some notes\n");
    assert_accessible(&browser, "the preview");
    close_dialog(&browser);
    browser.find("#new-folder").unwrap().click();
    browser.wait_for("#name-input", 10);
    assert_accessible(&browser, "the New folder dialog");
    close_dialog(&browser);
    browser.find("#details").unwrap().click();
    browser.wait_for("#identity-id", 10);
    assert_accessible(&browser, "the Details dialog");
    close_dialog(&browser);
}

#[test]
fn a_used_sign_in_address_opened_again_keeps_the_session() {
    let stack = Stack::start("used-callback");
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    // The address the Hosted UI sent the browser to, code and state included, as
    // it was when the page loaded (the app has cleaned the address bar since).
    let callback: Value = browser.execute(
        "return performance.getEntriesByType('navigation')[0].name",
        json!([]),
    );
    let callback = callback.as_str().unwrap().to_string();
    assert!(
        callback.contains("code=") && callback.contains("state="),
        "{callback}"
    );
    browser.wait_for(".file-list", 30);

    browser.goto(&callback);
    wait_until("the folder or an error", 30, &browser, || {
        browser.find("#sign-in-error").is_some()
            || browser.find(".file-list").is_some() && browser.find(".count").is_some()
    });
    assert!(
        browser.find("#sign-in-error").is_none(),
        "a valid session was asked to sign in again: {}",
        browser.text("body")
    );
    assert!(
        !browser.url().contains("code="),
        "the address bar is cleaned: {}",
        browser.url()
    );
    assert!(browser.find("#username").is_none());
    browser.screenshot_to_output("used_callback_reopened");
}
