//! End-to-end tests of a file's previous versions (issue 16, items 5 and 6): the
//! list with dates and sizes, downloading and previewing an older version,
//! restoring it (its bytes come back at the emulator), and a bucket with
//! versioning off explained in the page.
#![cfg(not(target_arch = "wasm32"))]
// Tests wait on wall-clock deadlines; only the app itself must avoid the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use serde_json::json;
use support::app::{click_labelled, inner_texts, sign_in, wait_for_rows, wait_until, Files, ALICE};
use support::axe::assert_accessible;
use support::files::pick_upload;
use support::native::NativeClient;
use support::stack::Stack;
use support::webdriver::Browser;

const ORIGINAL: &[u8] = b"the original notes\n";
const REPLACED: &[u8] = b"other bytes that replaced the notes, longer\n";

/// Uploads `name` with `bytes` through the app's picker and waits for its row.
fn upload(browser: &Browser, files: &Files, name: &str, bytes: &[u8]) {
    pick_upload(browser, &files.write(name, bytes));
    wait_for_rows(browser, &[name]);
    wait_until("the upload to finish", 30, browser, || {
        browser.find_all(".upload[data-state=done]").len() == 1
    });
}

/// The current bytes of `key`, read at the emulator through S3.
fn current_bytes(native: &NativeClient, files: &Files, key: &str) -> Vec<u8> {
    let to = files.0.join("read-back");
    native.download(&native.presigned_download_url(key, "read-back"), &to);
    std::fs::read(&to).unwrap()
}

#[test]
fn previous_versions_are_listed_and_the_original_restored() {
    let stack = Stack::start("versions");
    let browser = Browser::start();
    browser.resize(1280, 900);
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("This folder is empty", 30);
    let files = Files::new("versions");
    upload(&browser, &files, "notes.txt", ORIGINAL);
    // Replaced by another client (a new version over the first).
    let native = NativeClient::for_signed_in_user(&stack, &browser);
    let key = native.key("notes.txt");
    native.put(&key, REPLACED);

    // Every row action fits its column: none reaches into the date beside it.
    let overlap = browser.execute(
        "const row = document.querySelector('.row');
         const modified = row.querySelector('.modified').getBoundingClientRect();
         const lefts = [...row.querySelectorAll('.actions button')]
             .filter(b => b.offsetParent).map(b => b.getBoundingClientRect().left);
         return [Math.min(...lefts) < modified.right, modified.right, lefts,
                 row.querySelector('.actions').getBoundingClientRect().width]",
        json!([]),
    );
    assert_eq!(
        overlap[0],
        json!(false),
        "a row action overlaps the date: {overlap}"
    );
    click_labelled(&browser, "Versions of notes.txt");
    wait_until("two versions listed", 20, &browser, || {
        inner_texts(&browser, "dialog .version").len() == 2
    });
    let lines = inner_texts(&browser, "dialog .version");
    assert!(lines[0].contains("Current version"), "{lines:?}");
    assert!(
        lines[0].contains(&format!("{} B", REPLACED.len())),
        "{lines:?}"
    );
    assert!(!lines[1].contains("Current version"), "{lines:?}");
    assert!(
        lines[1].contains(&format!("{} B", ORIGINAL.len())),
        "{lines:?}"
    );
    assert!(
        browser
            .find("dialog .version:first-child button[aria-label^=Restore]")
            .is_none(),
        "the current version has no Restore"
    );
    assert_accessible(&browser, "the previous versions dialog");
    browser.screenshot_to_output("versions_dialog_1280x900");

    // The older version downloads and previews with its own bytes.
    browser
        .find("dialog .version:nth-child(2) button[aria-label^=Download]")
        .expect("the older version's Download")
        .click();
    let saved = browser.downloads.join("notes.txt");
    wait_until("the older version's download", 20, &browser, || {
        std::fs::read(&saved).is_ok_and(|bytes| bytes == ORIGINAL)
    });
    let app_tab = browser.current_tab();
    browser
        .find("dialog .version:nth-child(2) button[aria-label^=Preview]")
        .expect("the older version's Preview")
        .click();
    wait_until("the preview tab", 20, &browser, || {
        browser.tabs().len() == 2
    });
    let preview_tab = browser.tabs().into_iter().find(|t| *t != app_tab).unwrap();
    browser.switch_to(&preview_tab);
    wait_until("the older version shown inline", 20, &browser, || {
        browser
            .find("body")
            .is_some_and(|b| b.text() == "the original notes")
    });
    browser.switch_to(&app_tab);

    browser
        .find("dialog .version:nth-child(2) button[aria-label^=Restore]")
        .expect("the older version's Restore")
        .click();
    browser.wait_for("#confirm-restore", 10);
    assert_accessible(&browser, "the restore confirmation");
    browser.find("#confirm-restore").unwrap().click();
    browser.wait_for_text("is now the current version of notes.txt", 20);
    wait_until("three versions listed", 20, &browser, || {
        inner_texts(&browser, "dialog .version").len() == 3
    });
    let lines = inner_texts(&browser, "dialog .version");
    assert!(
        lines[0].contains("Current version") && lines[0].contains(&format!("{} B", ORIGINAL.len())),
        "{lines:?}"
    );
    assert_eq!(current_bytes(&native, &files, &key), ORIGINAL);
    assert!(browser.find("dialog .error-text").is_none());

    browser.resize(390, 844);
    assert_accessible(&browser, "the previous versions dialog on a phone");
    browser.screenshot_to_output("versions_dialog_390x844");
}

#[test]
fn with_versioning_off_the_dialog_explains_how_to_turn_it_on() {
    let stack = Stack::start("versions-off");
    stack.control().set_versioning(false);
    let browser = Browser::start();
    browser.resize(1280, 900);
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("This folder is empty", 30);
    let files = Files::new("versions-off");
    upload(&browser, &files, "plain.txt", ORIGINAL);
    // Replaced: with versioning off, S3 keeps nothing of the first bytes.
    let native = NativeClient::for_signed_in_user(&stack, &browser);
    native.put(&native.key("plain.txt"), REPLACED);

    click_labelled(&browser, "Versions of plain.txt");
    let explained = browser.wait_for("#versioning-off", 20).text();
    assert!(explained.contains("versioning is off"), "{explained}");
    assert!(explained.contains("Bucket Versioning"), "{explained}");
    assert!(
        browser.find("dialog .error-text").is_none() && browser.find("dialog .version").is_none(),
        "no error and no list: {}",
        browser.text("dialog")
    );
    assert!(!browser.text("dialog").contains("null"));
    assert_accessible(&browser, "the previous versions dialog with versioning off");
    browser.screenshot_to_output("versions_off_1280x900");
    browser.resize(390, 844);
    browser.screenshot_to_output("versions_off_390x844");
}
