//! End-to-end tests of Move with the folder picker (a tree listed on demand,
//! keyboard and mouse, "New folder" inside it, the case warning, the notice
//! naming where the item went) and of a folder rename's progress and Cancel.
#![cfg(not(target_arch = "wasm32"))]
// Tests wait on wall-clock deadlines; only the app itself must avoid the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use serde_json::json;
use std::time::Duration;
use support::app::{row_menu_action, sign_in, wait_for_rows, wait_until, ALICE};
use support::axe::assert_accessible;
use support::stack::Stack;
use support::webdriver::Browser;

const ENTER: &str = "\u{E007}";
const ARROW_DOWN: &str = "\u{E015}";
const ARROW_RIGHT: &str = "\u{E014}";

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

/// The names of the picker's tree items, with their `aria-selected`.
fn tree(browser: &Browser) -> Vec<(String, bool)> {
    let items = browser.execute(
        "return [...document.querySelectorAll('#folder-tree [role=treeitem]')]
             .map(i => [i.querySelector('.picker-name').textContent,
                        i.getAttribute('aria-selected') == 'true'])",
        json!([]),
    );
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i[0].as_str().unwrap().to_string(), i[1] == json!(true)))
        .collect()
}

fn wait_for_tree_item(browser: &Browser, name: &str) {
    wait_until(&format!("the tree item {name}"), 10, browser, || {
        tree(browser).iter().any(|(n, _)| n == name)
    });
}

fn click_tree_item(browser: &Browser, name: &str) {
    let done = browser.execute(
        "const i = [...document.querySelectorAll('#folder-tree [role=treeitem]')]
             .find(i => i.querySelector('.picker-name').textContent == arguments[0]);
         if (i) { i.click(); }
         return !!i",
        json!([name]),
    );
    assert_eq!(done, json!(true), "no tree item {name}");
}

fn move_input(browser: &Browser) -> String {
    browser
        .execute(
            "return document.getElementById('move-input').value",
            json!([]),
        )
        .as_str()
        .unwrap()
        .to_string()
}

fn notice(browser: &Browser) -> String {
    browser
        .find(".notice .notice-text")
        .map(|e| e.text())
        .unwrap_or_default()
}

#[test]
fn move_through_the_picker_by_keyboard_and_mouse_with_a_new_folder_and_the_case_warning() {
    let stack = Stack::start("picker-move");
    store(
        &stack,
        &[
            "notes.txt",
            "todo.txt",
            "plan.txt",
            "Photos/2024/a.png",
            "docs/readme.txt",
        ],
    );
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    wait_for_rows(&browser, &["notes.txt", "Photos"]);

    // By keyboard: My files holds the Tab stop; down to Photos, open it, down to
    // 2024, Enter chooses it.
    row_menu_action(&browser, "notes.txt", "Move");
    wait_for_tree_item(&browser, "Photos");
    assert_eq!(
        tree(&browser),
        vec![
            ("My files".to_string(), true),
            ("Photos".to_string(), false),
            ("docs".to_string(), false)
        ]
    );
    assert_accessible(&browser, "the move dialog's folder picker");
    browser.screenshot_to_output("picker_move_1280");
    browser.resize(390, 844);
    assert_accessible(&browser, "the folder picker at 390 px");
    browser.screenshot_to_output("picker_move_390");
    browser.resize(1280, 900);
    browser.execute(
        "document.querySelector('#folder-tree [tabindex=\"0\"]').focus()",
        json!([]),
    );
    browser.keys_to_focused(ARROW_DOWN);
    browser.keys_to_focused(ARROW_RIGHT);
    wait_for_tree_item(&browser, "2024");
    assert_eq!(
        browser.execute(
            "return document.activeElement.getAttribute('aria-expanded')",
            json!([])
        ),
        json!("true")
    );
    browser.keys_to_focused(ARROW_DOWN);
    browser.keys_to_focused(ENTER);
    assert_eq!(move_input(&browser), "Photos/2024");
    assert!(tree(&browser).contains(&("2024".to_string(), true)));
    // Each level is indented (set through the CSSOM: the page's CSP refuses
    // style attributes).
    let indents = browser.execute(
        "return [...document.querySelectorAll('#folder-tree [role=treeitem]')]
             .map(i => parseFloat(getComputedStyle(i).paddingLeft))",
        json!([]),
    );
    let indents: Vec<f64> = indents
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        indents[0] < indents[1] && indents[1] < indents[2],
        "My files, Photos, 2024: {indents:?}"
    );
    browser.screenshot_to_output("picker_move_nested_1280");
    browser.find("#move-ok").unwrap().click();
    browser.wait_for_text("notes.txt moved to Photos/2024.", 10);
    assert!(stored(&stack, "Photos/2024/notes.txt") && !stored(&stack, "notes.txt"));

    // "New folder" inside the picker, made in the folder chosen by mouse.
    row_menu_action(&browser, "todo.txt", "Move");
    wait_for_tree_item(&browser, "docs");
    click_tree_item(&browser, "docs");
    assert_eq!(move_input(&browser), "docs");
    browser.find("#picker-new-folder").unwrap().click();
    browser
        .wait_for("#picker-new-name", 10)
        .send_keys("archive");
    browser.find("#picker-create").unwrap().click();
    wait_until("the new folder chosen", 10, &browser, || {
        move_input(&browser) == "docs/archive"
    });
    assert!(tree(&browser).contains(&("archive".to_string(), true)));
    browser.find("#move-ok").unwrap().click();
    browser.wait_for_text("todo.txt moved to docs/archive.", 10);
    assert!(stored(&stack, "docs/archive/todo.txt") && !stored(&stack, "todo.txt"));

    // A typed path differing from Photos only by case: a warning first, nothing
    // moved; Move again means a new folder.
    row_menu_action(&browser, "plan.txt", "Move");
    let input = browser.wait_for("#move-input", 10);
    input.clear();
    input.send_keys("photos");
    browser.find("#move-ok").unwrap().click();
    browser.wait_for_text("There is a folder Photos already", 10);
    assert!(stored(&stack, "plan.txt"), "nothing moved on the warning");
    browser.screenshot_to_output("picker_case_warning_1280");
    browser.find("#move-ok").unwrap().click();
    browser.wait_for_text("plan.txt moved to photos.", 10);
    assert!(stored(&stack, "photos/plan.txt") && !stored(&stack, "plan.txt"));

    // A folder is never offered as its own target (nor what is below it).
    row_menu_action(&browser, "Photos", "Move");
    wait_for_tree_item(&browser, "docs");
    let names: Vec<String> = tree(&browser).into_iter().map(|(n, _)| n).collect();
    assert!(!names.contains(&"Photos".to_string()), "{names:?}");
    assert!(names.contains(&"photos".to_string()), "{names:?}");
}

#[test]
fn a_folder_rename_cancelled_midway_reports_what_moved_and_the_store_agrees() {
    let stack = Stack::start("picker-cancel");
    let names: Vec<String> = (0..60).map(|i| format!("big/f-{i:02}.txt")).collect();
    store(
        &stack,
        &names.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    wait_for_rows(&browser, &["big"]);
    // Each copy takes a while, so Cancel lands midway.
    stack.control().set_latency(Duration::from_millis(120));
    row_menu_action(&browser, "big", "Rename");
    let input = browser.wait_for("#name-input", 10);
    input.clear();
    input.send_keys("moved");
    browser.find("#name-ok").unwrap().click();
    let copied = |browser: &Browser| -> Option<usize> {
        let text = browser.find("#prompt-progress")?.text();
        text.strip_suffix(" of 60 items copied…")?.parse().ok()
    };
    wait_until("a few objects copied", 20, &browser, || {
        copied(&browser).is_some_and(|n| n >= 3)
    });
    browser.screenshot_to_output("picker_rename_progress_1280");
    browser.find("#prompt-cancel").unwrap().click();
    wait_until("the report", 20, &browser, || {
        notice(&browser).contains("items moved")
    });
    stack.control().set_latency(Duration::ZERO);
    let report = notice(&browser);
    let moved: usize = report
        .split(" of 60 items moved")
        .next()
        .and_then(|n| n.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {report:?}"));
    assert!(moved > 0 && moved < 60, "{report}");
    assert!(report.contains("not moved: big/f-"), "{report}");
    assert!(browser.find("dialog.modal").is_none(), "the dialog closed");
    // The store agrees: the first `moved` objects are in the new place, the rest
    // in the old one, none in both.
    for (i, name) in names.iter().enumerate() {
        let new = name.replacen("big/", "moved/", 1);
        assert_eq!(stored(&stack, &new), i < moved, "{new} ({report})");
        assert_eq!(stored(&stack, name), i >= moved, "{name} ({report})");
    }
    browser.screenshot_to_output("picker_rename_cancelled_1280");
}
