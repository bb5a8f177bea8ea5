//! End-to-end tests of Undo (issue 16, item 3): after a delete (a file, a
//! folder), a rename, a move, a bulk delete and a replace on upload, the notice
//! offers Undo, and undoing brings the keys and their bytes back (read at the
//! emulator) and removes what the operation made; a key changed meanwhile is
//! left as it is and the notice says so; with versioning off the notice says
//! why there is no Undo.
#![cfg(not(target_arch = "wasm32"))]
// Tests wait on wall-clock deadlines; only the app itself must avoid the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use serde_json::json;
use support::app::{click_labelled, row_names, sign_in, wait_for_rows, wait_until, Files, ALICE};
use support::axe::assert_accessible;
use support::files::pick_upload;
use support::native::NativeClient;
use support::stack::Stack;
use support::webdriver::Browser;

const NOTES: &[u8] = b"the original notes\n";
const REPLACED: &[u8] = b"other bytes that replaced the notes, longer\n";

/// A signed-in browser over a fresh stack, with `names` stored by another client
/// (each holding "contents of <name>", `notes.txt` [`NOTES`]) and listed.
fn start(name: &str, names: &[&str]) -> (Stack, Browser, NativeClient) {
    let stack = Stack::start(name);
    let browser = Browser::start();
    browser.resize(1280, 900);
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("This folder is empty", 30);
    let native = NativeClient::for_signed_in_user(&stack, &browser);
    for name in names {
        native.put(&native.key(name), &contents(name));
    }
    browser.refresh();
    let top: Vec<&str> = names.iter().map(|n| n.split('/').next().unwrap()).collect();
    wait_for_rows(&browser, &top);
    (stack, browser, native)
}

fn contents(name: &str) -> Vec<u8> {
    match name {
        "notes.txt" => NOTES.to_vec(),
        _ => format!("contents of {name}").into_bytes(),
    }
}

/// The current bytes of `name` in Alice's folder at the emulator (`None`: no
/// current object).
fn stored(stack: &Stack, name: &str) -> Option<Vec<u8>> {
    std::fs::read(stack.object_path(&stack.user_key("alice", name))).ok()
}

/// Waits for the notice to offer Undo after `told`, and returns its text.
fn wait_for_undo(browser: &Browser, told: &str) -> String {
    browser.wait_for("#undo", 30);
    let notice = browser.text(".notice");
    assert!(notice.contains(told), "{notice}");
    notice
}

/// Presses Undo and waits for the notice to say `outcome`; returns the notice.
fn undo(browser: &Browser, outcome: &str) -> String {
    browser.find("#undo").expect("an Undo button").click();
    browser.wait_for_text(outcome, 30);
    assert!(browser.find("#undo").is_none(), "an undo is offered once");
    browser.text(".notice")
}

#[test]
fn deleting_a_file_and_a_folder_is_undone_with_their_bytes() {
    let (stack, browser, _native) = start(
        "undo-delete",
        &["notes.txt", "docs/a.txt", "docs/sub/b.txt"],
    );
    click_labelled(&browser, "Delete notes.txt");
    browser.wait_for("#confirm-delete", 10).click();
    wait_for_undo(&browser, "notes.txt deleted.");
    assert_eq!(stored(&stack, "notes.txt"), None);
    assert_accessible(&browser, "the notice offering Undo");
    browser.screenshot_to_output("undo_notice_1280x900");
    browser.resize(390, 844);
    assert_accessible(&browser, "the notice offering Undo on a phone");
    browser.screenshot_to_output("undo_notice_390x844");
    browser.resize(1280, 900);
    // By keyboard: Undo is a button in the notice (a live region).
    assert_eq!(
        browser.execute(
            "return document.getElementById('undo').closest('[role=status]') != null",
            json!([])
        ),
        json!(true)
    );
    browser.find("#undo").unwrap().send_keys("\u{E007}");
    browser.wait_for_text("The delete is undone.", 30);
    assert_eq!(stored(&stack, "notes.txt").as_deref(), Some(NOTES));
    wait_for_rows(&browser, &["notes.txt", "docs"]);

    click_labelled(&browser, "Delete docs");
    browser.wait_for("#confirm-delete", 10).click();
    wait_for_undo(&browser, "docs deleted.");
    assert_eq!(stored(&stack, "docs/a.txt"), None);
    assert_eq!(stored(&stack, "docs/sub/b.txt"), None);
    undo(&browser, "The delete is undone.");
    for name in ["docs/a.txt", "docs/sub/b.txt"] {
        assert_eq!(stored(&stack, name), Some(contents(name)), "{name}");
    }
    wait_for_rows(&browser, &["notes.txt", "docs"]);
}

#[test]
fn a_rename_a_move_and_a_replace_on_upload_are_undone() {
    let (stack, browser, _native) = start("undo-rename", &["notes.txt"]);
    click_labelled(&browser, "Rename notes.txt");
    let field = browser.wait_for("#name-input", 10);
    field.clear();
    field.send_keys("renamed.txt");
    browser.find("#name-ok").unwrap().click();
    wait_for_undo(&browser, "notes.txt renamed to renamed.txt.");
    assert_eq!(stored(&stack, "notes.txt"), None);
    undo(&browser, "The rename is undone.");
    assert_eq!(stored(&stack, "notes.txt").as_deref(), Some(NOTES));
    assert_eq!(stored(&stack, "renamed.txt"), None);
    wait_until("only notes.txt listed", 30, &browser, || {
        row_names(&browser) == ["notes.txt"]
    });

    click_labelled(&browser, "Move notes.txt");
    let field = browser.wait_for("#move-input", 10);
    field.clear();
    field.send_keys("archive");
    browser.find("#move-ok").unwrap().click();
    wait_for_undo(&browser, "notes.txt moved to archive.");
    assert_eq!(stored(&stack, "archive/notes.txt").as_deref(), Some(NOTES));
    undo(&browser, "The move is undone.");
    assert_eq!(stored(&stack, "notes.txt").as_deref(), Some(NOTES));
    assert_eq!(stored(&stack, "archive/notes.txt"), None);
    wait_until("only notes.txt listed", 30, &browser, || {
        row_names(&browser) == ["notes.txt"]
    });

    let files = Files::new("undo-replace");
    pick_upload(&browser, &files.write("notes.txt", REPLACED));
    browser.wait_for("dialog[open] #replace", 30).click();
    wait_for_undo(&browser, "notes.txt replaced.");
    assert_eq!(stored(&stack, "notes.txt").as_deref(), Some(REPLACED));
    undo(&browser, "The upload is undone.");
    assert_eq!(stored(&stack, "notes.txt").as_deref(), Some(NOTES));
}

#[test]
fn an_undo_leaves_a_file_changed_since_and_says_so() {
    let (stack, browser, native) = start("undo-changed", &["a.txt", "b.txt", "keep.txt"]);
    // A bulk delete of two files.
    for name in ["a.txt", "b.txt"] {
        let done = browser.execute(
            "const row = [...document.querySelectorAll('.row')]
                 .find(r => r.querySelector('.name').textContent == arguments[0]);
             row.querySelector('input[type=checkbox]').click();
             return true",
            json!([name]),
        );
        assert_eq!(done, json!(true));
    }
    browser.wait_for("#bulk-delete", 10).click();
    browser.wait_for("#confirm-bulk-delete", 10).click();
    browser.wait_for("#bulk-summary", 30);
    browser
        .find("dialog .dialog-actions button")
        .expect("the report's Close")
        .click();
    wait_for_undo(&browser, "2 of 2 items deleted.");
    // Someone stores b.txt again before the undo.
    native.put(&native.key("b.txt"), b"written meanwhile");
    let notice = undo(
        &browser,
        "The delete is undone in part: 1 of 2 items as before.",
    );
    assert!(
        notice.contains("Not undone: b.txt: it changed after the delete, so it was left as it is."),
        "{notice}"
    );
    assert_eq!(stored(&stack, "a.txt"), Some(contents("a.txt")));
    assert_eq!(
        stored(&stack, "b.txt").as_deref(),
        Some(&b"written meanwhile"[..])
    );
    assert_eq!(stored(&stack, "keep.txt"), Some(contents("keep.txt")));

    // With versioning off S3 keeps nothing to restore: the notice says so and
    // how to turn versioning on, and offers no Undo.
    stack.control().set_versioning(false);
    native.put(&native.key("plain.txt"), b"kept nowhere else");
    browser.refresh();
    wait_for_rows(&browser, &["plain.txt"]);
    let files = Files::new("undo-off");
    pick_upload(&browser, &files.write("plain.txt", REPLACED));
    browser.wait_for("dialog[open] #replace", 30).click();
    browser.wait_for_text("This cannot be undone", 30);
    let notice = browser.text(".notice");
    assert!(notice.contains("plain.txt replaced."), "{notice}");
    assert!(browser.find("#undo").is_none(), "no Undo without versions");
    click_labelled(&browser, "Delete plain.txt");
    browser.wait_for("#confirm-delete", 10).click();
    browser.wait_for_text("plain.txt deleted. This cannot be undone", 30);
    let notice = browser.text(".notice");
    assert!(notice.contains("plain.txt deleted."), "{notice}");
    assert!(notice.contains("Bucket Versioning"), "{notice}");
    assert!(browser.find("#undo").is_none(), "no Undo without versions");
    assert_accessible(&browser, "the notice with versioning off");
}
