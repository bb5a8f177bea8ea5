//! End-to-end tests of the folder in the address (`#/photos/2024%20trip/`): reload,
//! back and forward, awkward names, a missing folder, a folder link carried
//! through sign-in; and of focus and feedback around it: the heading and the live
//! region after a folder opens, notices cleared, focus back after a dialog, the
//! signed-out card and the session-ended banner.
#![cfg(not(target_arch = "wasm32"))]
// Tests wait on wall-clock deadlines; only the app itself must avoid the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use cubby_emulator::Lifetimes;
use serde_json::{json, Value};
use support::app::{row_menu_action, row_names, sign_in, wait_for_rows, wait_until, ALICE};
use support::axe::assert_accessible;
use support::stack::Stack;
use support::webdriver::Browser;

/// A folder name with a space, `#`, `%`, `+` and unicode.
const AWKWARD: &str = "a #b% c+ é日";
/// Its segment in the address.
const AWKWARD_IN_URL: &str = "a%20%23b%25%20c%2B%20%C3%A9%E6%97%A5";

/// Stores `name` (a path below alice's folder) as another client would.
fn store(stack: &Stack, name: &str) {
    let path = stack.object_path(&stack.user_key("alice", name));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, b"stored\n").unwrap();
}

/// The address's fragment, `#` included.
fn fragment(browser: &Browser) -> String {
    let url = browser.url();
    url.find('#')
        .map(|i| url[i..].to_string())
        .unwrap_or_default()
}

fn script(browser: &Browser, js: &str) -> Value {
    browser.execute(js, json!([]))
}

/// Clicks (a real click, which focuses) the folder row link named `name`.
fn open_row(browser: &Browser, name: &str) {
    wait_for_rows(browser, &[name]);
    let links = browser.find_all(".folder-link");
    let link = links
        .iter()
        .find(|l| l.text().trim() == name)
        .unwrap_or_else(|| panic!("no folder link {name}"));
    link.click();
}

/// Waits until the folder `name` is open: its rows listed, its heading focused and
/// the live region saying it with its `items` count.
fn wait_opened(browser: &Browser, name: &str, items: &str) {
    wait_until(&format!("{name} open and announced"), 30, browser, || {
        let state = script(
            browser,
            "const h = document.getElementById('folder-heading');
             const live = document.getElementById('folder-announce');
             return [h && h.textContent, document.activeElement && document.activeElement.id,
                     live && live.textContent, live && live.getAttribute('aria-live')]",
        );
        state
            == json!([
                name,
                "folder-heading",
                format!("{name}, {items}."),
                "polite"
            ])
    });
}

#[test]
fn the_folder_lives_in_the_address() {
    let stack = Stack::start("route-address");
    store(&stack, "photos/2024 trip/beach.txt");
    store(&stack, "photos/notes.txt");
    store(&stack, &format!("{AWKWARD}/inside.txt"));
    let browser = Browser::start();
    browser.resize(1280, 900);
    sign_in(&browser, &stack, ALICE);
    wait_for_rows(&browser, &["photos", AWKWARD]);

    // Opening folders adds history entries; the heading takes the focus and the
    // live region says where the user is.
    open_row(&browser, "photos");
    wait_opened(&browser, "photos", "2 items");
    assert_eq!(fragment(&browser), "#/photos/");
    open_row(&browser, "2024 trip");
    wait_opened(&browser, "2024 trip", "1 item");
    assert_eq!(fragment(&browser), "#/photos/2024%20trip/");
    assert_eq!(row_names(&browser), ["beach.txt"]);
    assert_accessible(&browser, "a folder opened from the address");
    browser.screenshot_to_output("route_folder_heading_1280");

    // Back and forward move between the folders, adding no entry.
    let entries = script(&browser, "return history.length");
    script(&browser, "history.back()");
    wait_opened(&browser, "photos", "2 items");
    assert_eq!(fragment(&browser), "#/photos/");
    script(&browser, "history.back()");
    wait_opened(&browser, "My files", "2 items");
    script(&browser, "history.forward()");
    wait_opened(&browser, "photos", "2 items");
    assert_eq!(script(&browser, "return history.length"), entries);

    // A reload keeps the folder.
    browser.refresh();
    wait_for_rows(&browser, &["2024 trip", "notes.txt"]);
    assert_eq!(fragment(&browser), "#/photos/");
    assert_eq!(browser.text("#folder-heading"), "photos");

    // A success notice belongs to its folder; the new folder's row has the focus.
    browser.find("#new-folder").unwrap().click();
    browser.wait_for("#name-input", 10).send_keys("made here");
    browser.find("#name-ok").unwrap().click();
    browser.wait_for_text("Folder made here created.", 30);
    wait_until("the new folder's row focused", 30, &browser, || {
        script(
            &browser,
            "const r = document.activeElement && document.activeElement.closest('[role=row]');
             return r && r.querySelector('[title]').title",
        ) == json!("made here")
    });
    open_row(&browser, "made here");
    wait_opened(&browser, "made here", "0 items");
    assert!(
        browser.find(".notice").is_none(),
        "the notice of the folder before stays: {}",
        browser.text(".notice")
    );
    // It exists (its marker), though empty: no note that it does not.
    assert!(browser.find("#folder-missing").is_none());

    // An awkward name round-trips through the address, a reload included.
    browser
        .find_all(".crumbs button")
        .into_iter()
        .find(|b| b.text() == "My files")
        .unwrap()
        .click();
    wait_opened(&browser, "My files", "2 items");
    open_row(&browser, AWKWARD);
    wait_opened(&browser, AWKWARD, "1 item");
    assert_eq!(fragment(&browser), format!("#/{AWKWARD_IN_URL}/"));
    let identity = stack.control().identity_id_of("alice").unwrap();
    assert!(!browser.url().contains(&identity), "{}", browser.url());
    browser.refresh();
    wait_for_rows(&browser, &["inside.txt"]);
    assert_eq!(browser.text("#folder-heading"), AWKWARD);

    // An address naming a folder that does not exist: the empty folder, with a note.
    browser.goto(&format!("{}#/no%20such/", stack.app_url()));
    wait_opened(&browser, "no such", "0 items");
    let note = browser.wait_for("#folder-missing", 10).text();
    assert!(note.contains("no folder by this name"), "{note}");
    assert!(browser.text("body").contains("This folder is empty"));
    assert!(
        browser.find("[role=alert]").is_none(),
        "{}",
        browser.text("body")
    );
    browser.refresh();
    browser.wait_for("#folder-missing", 30);
    assert_accessible(&browser, "a missing folder's note");
    browser.screenshot_to_output("route_missing_folder_1280");
    browser.resize(390, 844);
    browser.screenshot_to_output("route_missing_folder_390");
    browser.resize(1280, 900);

    // An address that names no folder at all: My files, and a note saying why.
    browser.goto(&format!("{}#/photos/../", stack.app_url()));
    wait_opened(&browser, "My files", "2 items");
    assert!(
        browser.text(".notice").contains("does not name a folder"),
        "{}",
        browser.text("body")
    );
}

#[test]
fn dialogs_give_the_focus_back() {
    let stack = Stack::start("route-focus");
    store(&stack, "old name.txt");
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    wait_for_rows(&browser, &["old name.txt"]);
    // The row that holds the focus, by its name.
    let focused_row = || {
        script(
            &browser,
            "const r = document.activeElement && document.activeElement.closest('[role=row]');
             return r && r.querySelector('[title]').title",
        )
    };
    // Rename from the row's menu, by keyboard-like clicks.
    let press_rename = |name: &str| {
        row_menu_action(&browser, name, "Rename");
        browser.wait_for("#name-input", 10);
    };

    // Cancelled: the focus is back on the row whose menu opened the dialog.
    press_rename("old name.txt");
    assert_accessible(&browser, "the Rename dialog");
    script(
        &browser,
        "[...document.querySelectorAll('dialog button')].find(b => b.textContent == 'Cancel').click()",
    );
    wait_until("the focus back on the row", 10, &browser, || {
        browser.find("dialog").is_none() && focused_row() == json!("old name.txt")
    });

    // The same for Details in the toolbar.
    browser.find("#details").unwrap().click();
    browser.wait_for("#identity-id", 10);
    script(
        &browser,
        "[...document.querySelectorAll('dialog button')].find(b => b.textContent == 'Close').click()",
    );
    wait_until("the focus back on Details", 10, &browser, || {
        script(&browser, "return document.activeElement.id") == json!("details")
    });

    // Renamed: the focus is on the renamed row.
    press_rename("old name.txt");
    let input = browser.find("#name-input").unwrap();
    input.clear();
    input.send_keys("new name.txt");
    browser.find("#name-ok").unwrap().click();
    wait_for_rows(&browser, &["new name.txt"]);
    wait_until("the renamed row focused", 30, &browser, || {
        focused_row() == json!("new name.txt")
    });
    browser.screenshot_to_output("route_renamed_row_focused_1280");
}

#[test]
fn a_folder_link_opened_signed_out_lands_there_after_sign_in() {
    let stack = Stack::start("route-link");
    store(&stack, &format!("deep/{AWKWARD}/file.txt"));
    let browser = Browser::start();
    browser.goto(&format!("{}#/deep/{AWKWARD_IN_URL}/", stack.app_url()));
    browser.wait_for("#sign-in", 30).click();
    browser.wait_for("#username", 30).send_keys(ALICE.0);
    let hosted_ui = browser.url();
    assert!(
        !hosted_ui.contains("deep"),
        "the folder travels in the app's own state, not the redirect URI: {hosted_ui}"
    );
    browser.find("#password").unwrap().send_keys(ALICE.1);
    browser.find("button[type=submit]").unwrap().click();
    wait_for_rows(&browser, &["file.txt"]);
    assert_eq!(fragment(&browser), format!("#/deep/{AWKWARD_IN_URL}/"));
    assert!(!browser.url().contains("code="), "{}", browser.url());
    assert_eq!(browser.text("#folder-heading"), AWKWARD);
    assert_eq!(
        script(
            &browser,
            "return sessionStorage.getItem('cubby.pending-sign-in')"
        ),
        Value::Null,
        "the sign-in record is used up"
    );
}

#[test]
fn the_session_ended_banner_and_sign_out_say_what_happened() {
    const LIFETIME: u64 = 15;
    let stack = Stack::start("route-ended");
    let control = stack.control();
    control.set_lifetimes(Lifetimes {
        id_token_seconds: LIFETIME,
        access_token_seconds: LIFETIME,
        credentials_seconds: LIFETIME,
        ..control.lifetimes()
    });
    let browser = Browser::start();
    browser.resize(1280, 900);
    sign_in(&browser, &stack, ALICE);

    // The session ends (refresh token revoked): the banner in the content column.
    control.revoke_refresh_tokens();
    browser.wait_for("#session-ended", 40);
    let banner = browser.text("#session-ended");
    assert!(
        banner.contains("Nothing on this page is lost") && !banner.contains("everywhere"),
        "{banner}"
    );
    let edges = script(
        &browser,
        "const b = document.getElementById('session-ended').getBoundingClientRect();
         const f = document.querySelector('.folder').getBoundingClientRect();
         return [b.left, b.right, f.left, f.right]",
    );
    assert!(
        edges[0] == edges[2] && edges[1] == edges[3],
        "the banner is as wide as the folder's column (banner, folder): {edges}"
    );
    assert_accessible(&browser, "the session-ended banner");
    browser.screenshot_to_output("route_session_ended_1280");
    browser.resize(390, 844);
    browser.screenshot_to_output("route_session_ended_390");
    browser.resize(1280, 900);

    // Sign out: the sign-in card says so.
    script(
        &browser,
        "[...document.querySelectorAll('.account button')].find(b => b.textContent == 'Sign out').click()",
    );
    let said = browser.wait_for("#signed-out", 30).text();
    assert!(said.contains("You are signed out"), "{said}");
    assert_accessible(&browser, "the signed-out card");
    browser.screenshot_to_output("route_signed_out_1280");
    // Said once: a reload shows the plain card.
    browser.refresh();
    browser.wait_for("#sign-in", 30);
    assert!(browser.find("#signed-out").is_none());
}
