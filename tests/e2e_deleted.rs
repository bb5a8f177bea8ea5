//! End-to-end tests of Recently deleted (issue 16, item 4, and item 6 for it): a
//! file deleted in an earlier session is listed, found by the search and restored
//! with its bytes; two restored at once; a name that holds a file now asks, and
//! "keep both" gives a second file; another user sees none of it; with versioning
//! off the view explains itself.
//!
//! That another identity's ListObjectVersions on the first one's folder is
//! refused (AccessDenied) is tested at the emulator with the template's policy:
//! `deploy_policy::version_actions_are_granted_in_the_own_folder_only_by_both` and
//! the emulator's `s3_versions::another_identity_cannot_list_read_or_copy_the_versions`.
#![cfg(not(target_arch = "wasm32"))]
// Tests wait on wall-clock deadlines; only the app itself must avoid the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use serde_json::json;
use support::app::{
    click_labelled, inner_texts, row_names, sign_in, wait_for_rows, wait_until, Files, ALICE, BOB,
};
use support::axe::assert_accessible;
use support::native::NativeClient;
use support::stack::Stack;
use support::webdriver::Browser;

const NOTES: &[u8] = b"the notes as they were before the delete\n";

/// Signs `user` in at 1280x900 on a fresh stack; the native client has the same
/// identity.
fn start(name: &str, user: (&str, &str)) -> (Stack, Browser) {
    let stack = Stack::start(name);
    let browser = Browser::start();
    browser.resize(1280, 900);
    sign_in(&browser, &stack, user);
    browser.wait_for_text("This folder is empty", 30);
    (stack, browser)
}

/// Deletes the row `name` through the app and waits for it to go.
fn delete_in_app(browser: &Browser, name: &str) {
    click_labelled(browser, &format!("Delete {name}"));
    browser.wait_for("#confirm-delete", 10).click();
    wait_until(&format!("{name} to disappear"), 20, browser, || {
        !row_names(browser).iter().any(|r| r == name)
    });
}

/// Opens Recently deleted and waits for its listing to end.
fn open_recently_deleted(browser: &Browser) {
    browser.wait_for("#recently-deleted", 10).click();
    wait_until("the deleted files listed", 20, browser, || {
        browser.find("dialog .deleted-file").is_some()
            || browser.find("#deleted-none").is_some()
            || browser.find("#deleted-versioning-off").is_some()
            || browser.find("dialog .error-text").is_some()
    });
}

/// Types into the search box (replacing what it held) as a person does.
fn search(browser: &Browser, text: &str) {
    browser.execute(
        "const box = document.getElementById('deleted-search'); box.value = '';
         box.dispatchEvent(new Event('input', {bubbles: true}));",
        json!([]),
    );
    browser.find("#deleted-search").unwrap().send_keys(text);
}

/// The current bytes of `key`, read at the emulator through S3.
fn current_bytes(native: &NativeClient, files: &Files, key: &str) -> Vec<u8> {
    let to = files.0.join("read-back");
    let _ = std::fs::remove_file(&to);
    native.download(&native.presigned_download_url(key, "read-back"), &to);
    std::fs::read(&to).unwrap()
}

#[test]
fn a_file_deleted_in_an_earlier_session_is_found_and_restored_one_or_two_at_once() {
    let (stack, browser) = start("deleted", ALICE);
    let files = Files::new("deleted");
    let native = NativeClient::for_signed_in_user(&stack, &browser);
    native.put(&native.key("notes.txt"), NOTES);
    native.put(&native.key("a.txt"), b"first of two");
    native.put(&native.key("trip/b.txt"), b"second of two, in a folder");
    native.put(&native.key("kept.txt"), b"never deleted");
    browser.refresh();
    wait_for_rows(&browser, &["notes.txt", "a.txt", "trip", "kept.txt"]);
    delete_in_app(&browser, "notes.txt");
    delete_in_app(&browser, "a.txt");
    delete_in_app(&browser, "trip");

    // An earlier session: the page loads again (the session is kept).
    browser.refresh();
    wait_for_rows(&browser, &["kept.txt"]);
    open_recently_deleted(&browser);
    let lines = inner_texts(&browser, "dialog .deleted-file");
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("b.txt") && l.contains("My files/trip/")),
        "the folder is shown: {lines:?}"
    );
    assert!(
        !browser.text("dialog").contains("kept.txt"),
        "a current file is not deleted"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("notes.txt") && l.contains(&format!("{} B", NOTES.len()))),
        "the size of the version to restore: {lines:?}"
    );
    assert_accessible(&browser, "the Recently deleted dialog");
    browser.screenshot_to_output("deleted_1280x900");

    // The search finds it by part of its name, whatever the case.
    search(&browser, "NOTE");
    wait_until("one file found", 10, &browser, || {
        inner_texts(&browser, "dialog .deleted-file").len() == 1
    });
    assert!(inner_texts(&browser, "dialog .deleted-file")[0].contains("notes.txt"));
    browser
        .find("button[aria-label=\"Restore notes.txt in My files\"]")
        .expect("the row's Restore")
        .click();
    browser.wait_for_text("Restored notes.txt.", 20);
    assert_eq!(
        current_bytes(&native, &files, &native.key("notes.txt")),
        NOTES
    );
    wait_for_rows(&browser, &["notes.txt", "kept.txt"]);

    // Two at once, checked.
    search(&browser, "");
    wait_until("the two others listed", 10, &browser, || {
        inner_texts(&browser, "dialog .deleted-file").len() == 2
    });
    browser
        .find("input[aria-label=\"Select a.txt in My files\"]")
        .unwrap()
        .click();
    browser
        .find("input[aria-label=\"Select b.txt in My files/trip/\"]")
        .unwrap()
        .click();
    let restore = browser.find("#restore-checked").unwrap();
    assert_eq!(restore.text(), "Restore 2 files");
    restore.click();
    browser.wait_for_text("Restored b.txt.", 20);
    assert!(browser
        .text("dialog .deleted-results")
        .contains("Restored a.txt."));
    assert_eq!(
        current_bytes(&native, &files, &native.key("a.txt")),
        b"first of two"
    );
    assert_eq!(
        current_bytes(&native, &files, &native.key("trip/b.txt")),
        b"second of two, in a folder"
    );
    assert!(
        browser.find("#deleted-none").is_some(),
        "nothing left to restore"
    );
    assert!(browser.find("dialog .error-text").is_none());
    browser.resize(390, 844);
    assert_accessible(&browser, "the Recently deleted dialog on a phone");
    browser.screenshot_to_output("deleted_390x844");
}

#[test]
fn a_name_that_holds_a_file_now_asks_and_keep_both_gives_a_second_file() {
    let (stack, browser) = start("deleted-both", ALICE);
    let files = Files::new("deleted-both");
    let native = NativeClient::for_signed_in_user(&stack, &browser);
    native.put(&native.key("notes.txt"), NOTES);
    browser.refresh();
    wait_for_rows(&browser, &["notes.txt"]);
    delete_in_app(&browser, "notes.txt");
    open_recently_deleted(&browser);
    // A new notes.txt since the list was made (a key whose latest version is a
    // file is no deleted file: it can only be taken after the listing).
    native.put(&native.key("notes.txt"), b"the new notes");
    browser
        .wait_for("button[aria-label=\"Restore notes.txt in My files\"]", 10)
        .click();
    browser.wait_for("#restore-keep-both", 10);
    assert!(browser
        .text("dialog")
        .contains("A file with this name exists now"));
    assert_accessible(
        &browser,
        "the Recently deleted replace / keep both / skip question",
    );
    browser.screenshot_to_output("deleted_conflict_1280x900");
    browser.find("#restore-keep-both").unwrap().click();
    browser.wait_for_text("Restored notes.txt as notes (1).txt.", 20);
    assert_eq!(
        current_bytes(&native, &files, &native.key("notes (1).txt")),
        NOTES
    );
    assert_eq!(
        current_bytes(&native, &files, &native.key("notes.txt")),
        b"the new notes"
    );
    wait_for_rows(&browser, &["notes.txt", "notes (1).txt"]);
}

#[test]
fn another_user_sees_none_of_the_first_users_deleted_files() {
    let (stack, alice) = start("deleted-isolation", ALICE);
    let native = NativeClient::for_signed_in_user(&stack, &alice);
    native.put(&native.key("secret.txt"), b"alice's secret");
    alice.refresh();
    wait_for_rows(&alice, &["secret.txt"]);
    delete_in_app(&alice, "secret.txt");
    drop(alice);

    let bob = Browser::start();
    bob.resize(1280, 900);
    sign_in(&bob, &stack, BOB);
    bob.wait_for_text("This folder is empty", 30);
    open_recently_deleted(&bob);
    assert!(
        bob.find("#deleted-none").is_some(),
        "{}",
        bob.text("dialog")
    );
    assert!(!bob.text("dialog").contains("secret"));
    assert!(bob.find("dialog .error-text").is_none());
}

#[test]
fn with_versioning_off_recently_deleted_explains_itself() {
    let (stack, browser) = start("deleted-off", ALICE);
    stack.control().set_versioning(false);
    let native = NativeClient::for_signed_in_user(&stack, &browser);
    native.put(&native.key("plain.txt"), b"kept only as it is");

    open_recently_deleted(&browser);
    let explained = browser.wait_for("#deleted-versioning-off", 10).text();
    assert!(explained.contains("versioning is off"), "{explained}");
    assert!(explained.contains("Bucket Versioning"), "{explained}");
    assert!(
        browser.find("dialog .error-text").is_none()
            && browser.find("dialog .deleted-file").is_none(),
        "no error and no list: {}",
        browser.text("dialog")
    );
    assert!(!browser.text("dialog").contains("null"));
    assert_accessible(&browser, "the Recently deleted dialog with versioning off");
    browser.screenshot_to_output("deleted_off_1280x900");
    browser.resize(390, 844);
    browser.screenshot_to_output("deleted_off_390x844");
}
