//! End-to-end tests of the folder's rows: every row reachable by keyboard (one
//! Tab stop, arrows), the row menu outside the scroll box (a sheet at 390 px),
//! names that open or preview, and the selection with its bulk delete and move.
#![cfg(not(target_arch = "wasm32"))]
// Tests wait on wall-clock deadlines; only the app itself must avoid the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use serde_json::{json, Value};
use support::app::{row_names, sign_in, wait_for_menu, wait_for_rows, wait_until, ALICE};
use support::axe::assert_accessible;
use support::stack::Stack;
use support::webdriver::Browser;

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";
const BACKSPACE: &str = "\u{E003}";
const DELETE: &str = "\u{E017}";
const END: &str = "\u{E010}";
const HOME: &str = "\u{E011}";
const ARROW_DOWN: &str = "\u{E015}";

/// Stores `names` (a `/` makes folders) in alice's folder at the emulator.
fn store(stack: &Stack, names: &[&str]) {
    for name in names {
        let path = stack.object_path(&stack.user_key("alice", name));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, format!("contents of {name}")).unwrap();
    }
}

fn stored(stack: &Stack, name: &str) -> bool {
    stack.object_path(&stack.user_key("alice", name)).is_file()
}

/// The focused element: its role, row index, name (a row's) and id.
fn focused(browser: &Browser) -> Value {
    browser.execute(
        "const e = document.activeElement;
         const name = e && e.querySelector && e.querySelector('.name');
         return { role: e && e.getAttribute('role'), index: e && e.getAttribute('aria-rowindex'),
                  name: name ? name.textContent : null, id: e && e.id, tag: e && e.tagName }",
        json!([]),
    )
}

fn focused_row(browser: &Browser) -> Option<String> {
    let f = focused(browser);
    (f["role"] == json!("row")).then(|| f["name"].as_str().unwrap_or("").to_string())
}

/// Tabs from the filter into the list: its one Tab stop.
fn tab_into_list(browser: &Browser) {
    browser.find("input.filter").unwrap().click();
    for _ in 0..10 {
        if focused_row(browser).is_some() {
            return;
        }
        browser.keys_to_focused(TAB);
    }
    panic!("Tab never reached the list: {}", focused(browser));
}

/// Clicks the checkbox of the row named `name` (with Shift: a range).
fn check(browser: &Browser, name: &str, shift: bool) {
    let done = browser.execute(
        "const row = [...document.querySelectorAll('.row')]
             .find(r => r.querySelector('.name').textContent == arguments[0]);
         if (!row) { return false; }
         row.querySelector('input[type=checkbox]').dispatchEvent(
             new MouseEvent('click', { bubbles: true, cancelable: true, shiftKey: arguments[1] }));
         return true",
        json!([name, shift]),
    );
    assert_eq!(done, json!(true), "no row {name}");
}

fn checked(browser: &Browser) -> Vec<String> {
    browser
        .execute(
            "return [...document.querySelectorAll('.row')]
                 .filter(r => r.querySelector('input[type=checkbox]').checked)
                 .map(r => r.querySelector('.name').textContent)",
            json!([]),
        )
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn selected_count(browser: &Browser) -> Option<String> {
    browser.find("#selected-count").map(|e| e.text())
}

fn click_name(browser: &Browser, name: &str) {
    let done = browser.execute(
        "const row = [...document.querySelectorAll('.row')]
             .find(r => r.querySelector('.name').textContent == arguments[0]);
         if (row) { row.querySelector('.name-link').click(); }
         return !!row",
        json!([name]),
    );
    assert_eq!(done, json!(true), "no row {name}");
}

#[test]
fn every_row_of_100_is_reached_by_keyboard_and_the_last_rows_menu_works_at_390px() {
    let stack = Stack::start("rows-keyboard");
    let names: Vec<String> = (0..100).map(|i| format!("item-{i:03}.txt")).collect();
    store(
        &stack,
        &names.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("100 items.", 30);
    assert_accessible(&browser, "the list of 100 rows");
    browser.screenshot_to_output("rows_list_1280");

    tab_into_list(&browser);
    assert_eq!(focused_row(&browser).as_deref(), Some("item-000.txt"));
    let outline = browser.execute(
        "return getComputedStyle(document.activeElement).outlineStyle",
        json!([]),
    );
    assert_ne!(outline, json!("none"), "the focused row shows its focus");
    for (i, name) in names.iter().enumerate().skip(1) {
        browser.keys_to_focused(ARROW_DOWN);
        let f = focused(&browser);
        assert_eq!(f["name"], json!(name), "ArrowDown {i}: {f}");
        assert_eq!(f["index"], json!((i + 1).to_string()), "{f}");
        let in_view = browser.execute(
            "const r = document.activeElement.getBoundingClientRect();
             const box = document.querySelector('.file-list').getBoundingClientRect();
             return r.top >= box.top - 1 && r.bottom <= box.bottom + 1",
            json!([]),
        );
        assert_eq!(in_view, json!(true), "row {name} is scrolled into view");
    }
    browser.keys_to_focused(HOME);
    assert_eq!(focused_row(&browser).as_deref(), Some("item-000.txt"));
    // A row added above the focused one moves it (its element is made anew):
    // the focus stays with it.
    for _ in 0..3 {
        browser.keys_to_focused(ARROW_DOWN);
    }
    assert_eq!(focused_row(&browser).as_deref(), Some("item-003.txt"));
    store(&stack, &["item-000a.txt"]);
    browser.execute(
        "[...document.querySelectorAll('.toolbar button')].find(b => b.textContent == 'Refresh').click()",
        json!([]),
    );
    wait_for_rows(&browser, &["item-000a.txt"]);
    wait_until("the focus to stay on item-003.txt", 10, &browser, || {
        focused_row(&browser).as_deref() == Some("item-003.txt")
    });
    browser.keys_to_focused(END);
    assert_eq!(focused_row(&browser).as_deref(), Some("item-099.txt"));

    // The menu of the last row, at 1280 and at 390 px: whole on screen, outside
    // the scroll box, and it works.
    for (width, height) in [(1280, 900), (390, 844)] {
        browser.resize(width, height);
        browser.keys_to_focused(HOME);
        browser.keys_to_focused(END);
        let button = "button[aria-label=\"Actions for item-099.txt\"]";
        browser.wait_for(button, 10).click();
        wait_for_menu(&browser);
        let placed = browser.execute(
            "const m = document.querySelector('.row-menu');
             const r = m.getBoundingClientRect();
             return { inside: !!m.closest('.file-list'), top: r.top, bottom: r.bottom,
                      height: window.innerHeight,
                      on_top: !!document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)
                          .closest('.row-menu'),
                      focus: document.activeElement.getAttribute('role') }",
            json!([]),
        );
        assert_eq!(placed["inside"], json!(false), "{placed}");
        assert_eq!(
            placed["on_top"],
            json!(true),
            "nothing covers the menu: {placed}"
        );
        assert!(
            placed["top"].as_f64().unwrap() >= 0.0
                && placed["bottom"].as_f64().unwrap() <= placed["height"].as_f64().unwrap(),
            "the menu is on screen at {width} px: {placed}"
        );
        assert_eq!(
            placed["focus"],
            json!("menuitem"),
            "the first item has the focus"
        );
        assert_accessible(&browser, &format!("the row menu at {width} px"));
        browser.screenshot_to_output(&format!("rows_menu_{width}"));
        // Arrows move in the menu; Escape closes it and gives the focus back.
        browser.keys_to_focused(ARROW_DOWN);
        let item = browser.execute("return document.activeElement.textContent", json!([]));
        assert_eq!(item, json!("Download"));
        browser.keys_to_focused(ESCAPE);
        wait_until("the menu to close", 10, &browser, || {
            browser.find(".row-menu").is_none()
        });
        assert_eq!(
            focused(&browser)["tag"],
            json!("BUTTON"),
            "back on the menu button"
        );

        browser.wait_for(button, 10).click();
        wait_for_menu(&browser);
        let rename = browser
            .find_all(".row-menu [role=menuitem]")
            .into_iter()
            .find(|i| i.text() == "Rename")
            .expect("Rename in the menu");
        rename.click();
        browser.wait_for("#name-input", 10);
        assert!(browser.text("dialog h2").contains("item-099.txt"));
        browser.keys_to_focused(ESCAPE);
        wait_until("the dialog to close", 10, &browser, || {
            browser.find("dialog").is_none()
        });
        wait_until("the focus back on the row", 10, &browser, || {
            focused_row(&browser).as_deref() == Some("item-099.txt")
        });
    }
    browser.screenshot_to_output("rows_list_390");
}

#[test]
fn keyboard_alone_opens_selects_deletes_and_goes_up_and_names_open_or_preview() {
    let stack = Stack::start("rows-walk");
    store(
        &stack,
        &["docs/a.txt", "docs/b.txt", "docs/c.txt", "top.txt"],
    );
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    wait_for_rows(&browser, &["docs", "top.txt"]);

    // A click on a file's name previews it; on a folder's, opens it.
    click_name(&browser, "top.txt");
    browser.wait_for(".preview-text", 30);
    assert_eq!(browser.text(".preview-text"), "contents of top.txt");
    browser.keys_to_focused(ESCAPE);
    wait_until("the preview to close", 10, &browser, || {
        browser.find("dialog").is_none()
    });
    click_name(&browser, "docs");
    wait_for_rows(&browser, &["a.txt", "b.txt", "c.txt"]);
    browser
        .find_all(".crumbs button")
        .into_iter()
        .find(|b| b.text() == "My files")
        .unwrap()
        .click();
    wait_for_rows(&browser, &["docs", "top.txt"]);

    // Keyboard only from here.
    tab_into_list(&browser);
    assert_eq!(focused_row(&browser).as_deref(), Some("docs"));
    browser.keys_to_focused(ENTER);
    wait_for_rows(&browser, &["a.txt", "b.txt", "c.txt"]);
    wait_until(
        "the first row of docs to have the focus",
        10,
        &browser,
        || focused_row(&browser).as_deref() == Some("a.txt"),
    );
    browser.keys_to_focused(" ");
    browser.keys_to_focused(ARROW_DOWN);
    browser.keys_to_focused(" ");
    assert_eq!(checked(&browser), ["a.txt", "b.txt"]);
    assert_eq!(selected_count(&browser).as_deref(), Some("2 selected"));
    browser.keys_to_focused(DELETE);
    browser.wait_for("#confirm-bulk-delete", 10);
    assert!(browser.text("dialog").contains("2 selected items"));
    // The dialog starts on Cancel; Tab to Delete.
    browser.keys_to_focused(TAB);
    assert_eq!(focused(&browser)["id"], json!("confirm-bulk-delete"));
    browser.keys_to_focused(ENTER);
    browser.wait_for("#bulk-summary", 30);
    assert_eq!(browser.text("#bulk-summary"), "2 of 2 items deleted.");
    browser.keys_to_focused(ENTER);
    wait_until("the list to keep the focus", 10, &browser, || {
        browser.find("dialog").is_none() && focused_row(&browser).as_deref() == Some("c.txt")
    });
    assert_eq!(row_names(&browser), ["c.txt"]);
    assert!(!stored(&stack, "docs/a.txt") && !stored(&stack, "docs/b.txt"));
    assert!(stored(&stack, "docs/c.txt"));
    assert_eq!(
        selected_count(&browser),
        None,
        "the selection toolbar is gone"
    );

    // Delete with nothing selected asks about the focused row.
    browser.keys_to_focused(DELETE);
    browser.wait_for("#confirm-delete", 10);
    assert!(browser.text("dialog").contains("c.txt"));
    browser.keys_to_focused(ESCAPE);
    wait_until("the focus back on the row", 10, &browser, || {
        browser.find("dialog").is_none() && focused_row(&browser).as_deref() == Some("c.txt")
    });

    // Backspace: the parent, with the folder just left focused.
    browser.keys_to_focused(BACKSPACE);
    wait_for_rows(&browser, &["docs", "top.txt"]);
    wait_until("docs to have the focus", 10, &browser, || {
        focused_row(&browser).as_deref() == Some("docs")
    });
    // `/` goes to the filter.
    browser.keys_to_focused("/");
    assert_eq!(focused(&browser)["id"], json!("filter"));
}

#[test]
fn bulk_delete_of_a_mixed_selection_lists_the_one_failure_and_deletes_the_rest() {
    let stack = Stack::start("rows-bulk-delete");
    store(
        &stack,
        &[
            "alpha/x.txt",
            "alpha/y.txt",
            "beta/z.txt",
            "one.txt",
            "two.txt",
            "keep.txt",
        ],
    );
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    wait_for_rows(
        &browser,
        &["alpha", "beta", "one.txt", "two.txt", "keep.txt"],
    );

    for name in ["alpha", "beta", "one.txt", "two.txt"] {
        check(&browser, name, false);
    }
    assert_eq!(selected_count(&browser).as_deref(), Some("4 selected"));
    let all = browser.execute(
        "const b = document.getElementById('select-all'); return [b.checked, b.indeterminate]",
        json!([]),
    );
    assert_eq!(all, json!([false, true]), "some of the view is selected");
    assert_accessible(&browser, "the selection toolbar");
    browser.screenshot_to_output("rows_selection_1280");
    browser.resize(390, 844);
    browser.screenshot_to_output("rows_selection_390");
    browser.resize(1280, 900);

    let deletes_before = stack.s3_requests("DeleteObjects");
    browser.find("#bulk-delete").unwrap().click();
    browser.wait_for("#confirm-bulk-delete", 10);
    assert_accessible(&browser, "the bulk delete question");
    // alpha's listing fails every attempt: one failure, the rest goes on.
    stack.control().fail_next(
        4,
        cubby_emulator::FaultKind::InternalError,
        Some("ListObjectsV2"),
    );
    browser.find("#confirm-bulk-delete").unwrap().click();
    browser.wait_for("#bulk-summary", 30);
    assert_eq!(browser.text("#bulk-summary"), "3 of 4 items deleted.");
    let failures: Vec<String> = browser
        .find_all("#bulk-failures li")
        .iter()
        .map(|li| li.text())
        .collect();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].starts_with("alpha"), "{failures:?}");
    assert!(
        failures[0].contains("Could not list the folder alpha"),
        "{failures:?}"
    );
    assert_accessible(&browser, "the bulk error list");
    browser.screenshot_to_output("rows_bulk_errors_1280");
    browser.resize(390, 844);
    browser.screenshot_to_output("rows_bulk_errors_390");
    browser.resize(1280, 900);

    // At the emulator: alpha untouched, the rest gone, in one DeleteObjects call.
    assert!(stored(&stack, "alpha/x.txt") && stored(&stack, "alpha/y.txt"));
    for name in ["beta/z.txt", "one.txt", "two.txt"] {
        assert!(!stored(&stack, name), "{name} is still there");
    }
    assert!(stored(&stack, "keep.txt"));
    assert_eq!(stack.s3_requests("DeleteObjects") - deletes_before, 1);

    // Closing: what failed stays selected, what went is no longer listed.
    browser
        .find_all("dialog button")
        .into_iter()
        .find(|b| b.text() == "Close")
        .unwrap()
        .click();
    wait_until("the rows that are left", 30, &browser, || {
        row_names(&browser) == ["alpha", "keep.txt"]
    });
    assert_eq!(selected_count(&browser).as_deref(), Some("1 selected"));
    assert_eq!(checked(&browser), ["alpha"]);
}

#[test]
fn shift_click_ranges_survive_scrolling_clear_on_folder_change_and_move_in_bulk() {
    let stack = Stack::start("rows-bulk-move");
    let mut names: Vec<String> = (0..60).map(|i| format!("f-{i:02}.txt")).collect();
    names.push("sub/s.txt".into());
    store(
        &stack,
        &names.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("61 items.", 30);

    // Shift+click: a range from the box clicked before.
    check(&browser, "f-02.txt", false);
    check(&browser, "f-05.txt", true);
    assert_eq!(
        checked(&browser),
        ["f-02.txt", "f-03.txt", "f-04.txt", "f-05.txt"]
    );
    assert_eq!(selected_count(&browser).as_deref(), Some("4 selected"));

    // Scrolled away (the rows leave the DOM) and back: still selected.
    browser.execute(
        "const l = document.querySelector('.file-list'); l.scrollTop = l.scrollHeight",
        json!([]),
    );
    wait_until("the last rows", 10, &browser, || {
        row_names(&browser).contains(&"f-59.txt".to_string())
            && !row_names(&browser).contains(&"f-03.txt".to_string())
    });
    browser.execute(
        "document.querySelector('.file-list').scrollTop = 0",
        json!([]),
    );
    wait_until("the first rows again", 10, &browser, || {
        row_names(&browser).contains(&"f-03.txt".to_string())
    });
    assert_eq!(
        checked(&browser),
        ["f-02.txt", "f-03.txt", "f-04.txt", "f-05.txt"]
    );

    // "Select all in this view": all of the filtered rows, then none of them.
    let filter = browser.find("#filter");
    assert!(
        filter.is_none(),
        "the selection toolbar replaces the toolbar"
    );
    browser.find("#select-all").unwrap().click();
    assert_eq!(selected_count(&browser).as_deref(), Some("61 selected"));
    browser.find("#select-all").unwrap().click();
    assert_eq!(selected_count(&browser), None);
    browser.find("#filter").unwrap().send_keys("f-1");
    wait_until("the filtered rows", 10, &browser, || {
        row_names(&browser).len() == 10
    });
    browser.find("#select-all").unwrap().click();
    assert_eq!(selected_count(&browser).as_deref(), Some("10 selected"));
    browser.find("#clear-selection").unwrap().click();
    browser
        .find("#filter")
        .unwrap()
        .send_keys(&BACKSPACE.repeat(3));
    wait_until("every row again", 10, &browser, || {
        row_names(&browser).contains(&"f-00.txt".to_string())
    });
    check(&browser, "f-07.txt", false);

    // Two files and a folder, moved.
    browser.find("#clear-selection").unwrap().click();
    assert_eq!(selected_count(&browser), None);
    for name in ["sub", "f-00.txt", "f-01.txt"] {
        check(&browser, name, false);
    }
    browser.find("#bulk-move").unwrap().click();
    let input = browser.wait_for("#bulk-move-input", 10);
    assert_accessible(&browser, "the bulk move dialog");
    input.clear();
    input.send_keys("dest");
    browser.find("#bulk-move-ok").unwrap().click();
    browser.wait_for("#bulk-summary", 30);
    assert_eq!(browser.text("#bulk-summary"), "3 of 3 items moved.");
    assert!(browser.find("#bulk-failures").is_none());
    for name in ["dest/sub/s.txt", "dest/f-00.txt", "dest/f-01.txt"] {
        assert!(stored(&stack, name), "{name} is not there");
    }
    for name in ["sub/s.txt", "f-00.txt", "f-01.txt"] {
        assert!(!stored(&stack, name), "{name} is still there");
    }
    browser
        .find_all("dialog button")
        .into_iter()
        .find(|b| b.text() == "Close")
        .unwrap()
        .click();
    wait_for_rows(&browser, &["dest"]);

    // Another folder: nothing selected there, nor back here.
    check(&browser, "f-10.txt", false);
    assert_eq!(selected_count(&browser).as_deref(), Some("1 selected"));
    click_name(&browser, "dest");
    wait_for_rows(&browser, &["sub", "f-00.txt", "f-01.txt"]);
    assert_eq!(selected_count(&browser), None);
    assert!(checked(&browser).is_empty());
    browser
        .find_all(".crumbs button")
        .into_iter()
        .find(|b| b.text() == "My files")
        .unwrap()
        .click();
    wait_for_rows(&browser, &["dest", "f-10.txt"]);
    assert!(checked(&browser).is_empty());
}
