//! End-to-end tests of search everything (issue 15, item 3): "In all subfolders"
//! lists every file below the open folder and filters it as you type; a name
//! stored decomposed (NFD) three folders down is found by its composed spelling,
//! shows its folder, and is renamed where it is; search results are deleted in
//! bulk; with thousands of results the DOM holds a few dozen rows.
#![cfg(not(target_arch = "wasm32"))]
// Tests wait on wall-clock deadlines; only the app itself must avoid the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use serde_json::{json, Value};
use support::app::{
    row_menu_action, row_names, sign_in, wait_for_menu, wait_for_rows, wait_until, ALICE,
};
use support::axe::assert_accessible;
use support::stack::Stack;
use support::webdriver::Browser;

/// Stores `names` (a `/` makes folders) in alice's folder at the emulator.
fn store(stack: &Stack, names: &[String]) {
    for name in names {
        let path = stack.object_path(&stack.user_key("alice", name));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, format!("contents of {name}")).unwrap();
    }
}

fn stored(stack: &Stack, name: &str) -> bool {
    stack.object_path(&stack.user_key("alice", name)).is_file()
}

/// Replaces the filter's text with `text`, typed.
fn type_filter(browser: &Browser, text: &str) {
    browser.execute(
        "const box = document.getElementById('filter'); box.value = '';
         box.dispatchEvent(new Event('input', {bubbles: true}));",
        json!([]),
    );
    if !text.is_empty() {
        browser.find("#filter").unwrap().send_keys(text);
    }
}

/// Switches "In all subfolders" on and waits for the listing to end.
fn search_everywhere(browser: &Browser) {
    browser.wait_for("#search-all", 10).click();
    wait_until("the search's listing", 30, browser, || {
        browser.execute(
            "const busy = document.getElementById('list-busy');
             const count = document.querySelector('.status.count');
             return busy.classList.contains('idle') && count.textContent.endsWith(' match.')
                 && document.querySelector('[role=grid]').getAttribute('aria-busy') == 'false'",
            json!([]),
        ) == json!(true)
    });
}

/// Each row's name and the folder it shows.
fn rows_with_paths(browser: &Browser) -> Value {
    browser.execute(
        "return [...document.querySelectorAll('.row')].map(r => [
             r.querySelector('.name').textContent,
             (r.querySelector('.path') || {}).textContent || null])",
        json!([]),
    )
}

#[test]
fn a_unicode_name_three_folders_down_is_found_and_renamed_where_it_is() {
    let stack = Stack::start("search-unicode");
    // Stored decomposed (e + U+0301), as macOS names files; typed composed.
    let deep = "a/b/c/Re\u{301}sume\u{301} final.txt";
    store(
        &stack,
        &[
            deep.to_string(),
            "a/notes.txt".into(),
            "a/b/other.txt".into(),
            "top.txt".into(),
        ],
    );
    let browser = Browser::start();
    browser.resize(1280, 900);
    sign_in(&browser, &stack, ALICE);
    wait_for_rows(&browser, &["a", "top.txt"]);

    // The folder's own filter sees only this folder.
    type_filter(&browser, "résumé");
    browser.wait_for_text("Nothing here matches the filter.", 10);

    search_everywhere(&browser);
    let name = "Re\u{301}sume\u{301} final.txt";
    wait_for_rows(&browser, &[name]);
    assert_eq!(
        rows_with_paths(&browser),
        json!([[name, "My files/a/b/c"]]),
        "only the match, with its folder"
    );
    assert_eq!(browser.text(".status.count"), "1 of 4 files match.");
    assert_eq!(
        browser
            .find("#filter")
            .unwrap()
            .attr("placeholder")
            .as_deref(),
        Some("Search in all subfolders")
    );
    assert_accessible(&browser, "the search results");
    browser.screenshot_to_output("search_results_1280");
    browser.resize(390, 844);
    browser.screenshot_to_output("search_results_390");
    // On a phone the switch is in the one-line toolbar's "More" menu.
    assert_eq!(
        browser.execute(
            "return document.getElementById('search-all').offsetParent === null",
            json!([])
        ),
        json!(true),
        "the wide toolbar's switch is hidden"
    );
    browser.find("#more-actions").unwrap().click();
    wait_for_menu(&browser);
    let items: Vec<String> = browser
        .find_all(".row-menu [role=menuitem]")
        .iter()
        .map(|i| i.text())
        .collect();
    assert!(
        items.iter().any(|i| i == "Search only this folder"),
        "{items:?}"
    );
    browser.keys_to_focused("\u{E00C}");
    browser.resize(1280, 900);

    // Upper case and a folder in the query find it too.
    type_filter(&browser, "B/C/RÉSUMÉ");
    wait_for_rows(&browser, &[name]);

    // Renamed from the results: it stays in its folder.
    row_menu_action(&browser, name, "Rename");
    let input = browser.wait_for("#name-input", 10);
    input.clear();
    input.send_keys("cv.txt");
    browser.find("#name-ok").unwrap().click();
    wait_until("the rename at the emulator", 30, &browser, || {
        stored(&stack, "a/b/c/cv.txt") && !stored(&stack, deep)
    });
    assert!(!stored(&stack, "cv.txt"), "not moved to the open folder");
    // The results are listed again: the old name is gone, the new one found.
    wait_until("the old name to leave the results", 30, &browser, || {
        row_names(&browser).is_empty()
    });
    type_filter(&browser, "cv");
    wait_until("the new name in the results", 30, &browser, || {
        rows_with_paths(&browser) == json!([["cv.txt", "My files/a/b/c"]])
    });

    // Switched off: the open folder's rows again, its filter applying.
    browser.find("#search-all").unwrap().click();
    type_filter(&browser, "");
    wait_until("the folder's rows", 30, &browser, || {
        row_names(&browser) == ["a", "top.txt"]
    });
    assert!(browser.find(".row .path").is_none());
}

#[test]
fn search_results_are_deleted_in_bulk_and_thousands_keep_the_dom_small() {
    let stack = Stack::start("search-bulk");
    let names: Vec<String> = (0..3_000)
        .map(|i| format!("d{}/sub{}/file-{i:04}.txt", i % 10, i % 3))
        .chain(["keep/other.txt".to_string()])
        .collect();
    store(&stack, &names);
    let browser = Browser::start();
    browser.resize(1280, 900);
    sign_in(&browser, &stack, ALICE);
    wait_for_rows(&browser, &["d0", "keep"]);

    search_everywhere(&browser);
    assert_eq!(browser.text(".status.count"), "3,001 of 3,001 files match.");
    let dom_rows = |browser: &Browser| {
        browser
            .execute("return document.querySelectorAll('.row').length", json!([]))
            .as_u64()
            .unwrap()
    };
    assert!(dom_rows(&browser) <= 60, "{} rows", dom_rows(&browser));
    browser.execute(
        "const list = document.querySelector('.file-list'); list.scrollTop = list.scrollHeight / 2;",
        json!([]),
    );
    wait_until("rows from the middle", 10, &browser, || {
        let first = browser.execute(
            "return Math.min(...[...document.querySelectorAll('.row')]
                 .map(r => Number(r.getAttribute('aria-rowindex'))))",
            json!([]),
        );
        first.as_f64().is_some_and(|i| i > 1000.0)
    });
    assert!(dom_rows(&browser) <= 60, "{} rows", dom_rows(&browser));

    // file-0000 … file-0099: a hundred results across the ten folders.
    type_filter(&browser, "FILE-00");
    wait_until("the hundred matches", 10, &browser, || {
        browser.text(".status.count") == "100 of 3,001 files match."
    });
    browser.find("#select-all").unwrap().click();
    assert_eq!(browser.text("#selected-count"), "100 selected");
    let deletes_before = stack.s3_requests("DeleteObjects");
    browser.find("#bulk-delete").unwrap().click();
    browser.wait_for("#confirm-bulk-delete", 10).click();
    browser.wait_for("#bulk-summary", 30);
    assert_eq!(browser.text("#bulk-summary"), "100 of 100 items deleted.");
    assert_eq!(stack.s3_requests("DeleteObjects") - deletes_before, 1);
    for (i, name) in names.iter().enumerate() {
        assert_eq!(stored(&stack, name), i >= 100, "{name}");
    }
    browser
        .find_all("dialog button")
        .into_iter()
        .find(|b| b.text() == "Close")
        .unwrap()
        .click();
    wait_until("the results listed again", 30, &browser, || {
        browser.text(".status.count") == "0 of 2,901 files match."
    });
}
