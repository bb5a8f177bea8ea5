//! Steps through the app the way a person takes them, shared by the end-to-end
//! test targets: sign in, wait for rows, click labelled buttons, files to upload.
#![allow(dead_code)]

use super::stack::Stack;
use super::webdriver::Browser;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub const ALICE: (&str, &str) = ("alice", "Alice-Password-1");
pub const BOB: (&str, &str) = ("bob", "Bob-Password-2");

/// Signs in through the Hosted UI form and waits for the folder view.
pub fn sign_in(browser: &Browser, stack: &Stack, (user, password): (&str, &str)) {
    browser.goto(&stack.app_url());
    browser.wait_for("#sign-in", 30).click();
    browser.wait_for("#username", 30).send_keys(user);
    browser.find("#password").unwrap().send_keys(password);
    browser.find("button[type=submit]").unwrap().click();
    browser.wait_for(".file-list", 30);
    assert!(
        !browser.url().contains("code="),
        "the code is removed from the address bar: {}",
        browser.url()
    );
}

/// A folder of test files; removed at the end.
pub struct Files(pub PathBuf);

impl Files {
    pub fn new(name: &str) -> Files {
        let dir =
            std::env::temp_dir().join(format!("cubby-e2e-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Files(dir)
    }

    pub fn write(&self, relative: &str, contents: &[u8]) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The names of the folder's rows, as shown (without any icon).
pub fn row_names(browser: &Browser) -> Vec<String> {
    browser
        .execute(
            "return [...document.querySelectorAll('.row .name')].map(e => e.textContent)",
            json!([]),
        )
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// Polls `check` every 100 ms; panics with a screenshot and the page text after
/// `seconds`.
pub fn wait_until(what: &str, seconds: u64, browser: &Browser, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !check() {
        if Instant::now() > deadline {
            let shot = browser.screenshot_to_output("timeout");
            panic!(
                "timed out waiting for {what} (screenshot {}); page text:\n{}",
                shot.display(),
                browser.text("body")
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn wait_for_rows(browser: &Browser, names: &[&str]) {
    wait_until(&format!("rows {names:?}"), 60, browser, || {
        let rows = row_names(browser);
        names.iter().all(|n| rows.iter().any(|r| r == n))
    });
}

/// Clicks the button labelled `label`; a row action ("Rename a.txt", "Copy link
/// to a.txt", "View a.txt") through the row's menu.
pub fn click_labelled(browser: &Browser, label: &str) {
    const ROW_ACTIONS: [(&str, &str); 7] = [
        ("View ", "Preview"),
        ("Download ", "Download"),
        ("Copy link to ", "Share link"),
        ("Versions of ", "Previous versions"),
        ("Rename ", "Rename"),
        ("Move ", "Move"),
        ("Delete ", "Delete"),
    ];
    for (prefix, item) in ROW_ACTIONS {
        if let Some(name) = label.strip_prefix(prefix) {
            if browser
                .find(&format!("button[aria-label=\"{label}\"]"))
                .is_none()
            {
                return row_menu_action(browser, name, item);
            }
        }
    }
    browser
        .wait_for(&format!("button[aria-label=\"{label}\"]"), 30)
        .click();
}

/// Opens the menu of the row named `name` and clicks its item `item` ("Rename").
pub fn row_menu_action(browser: &Browser, name: &str, item: &str) {
    browser
        .wait_for(&format!("button[aria-label=\"Actions for {name}\"]"), 30)
        .click();
    wait_for_menu(browser);
    browser
        .find_all(".row-menu [role=menuitem]")
        .into_iter()
        .find(|i| i.text() == item)
        .unwrap_or_else(|| panic!("no {item} in the menu of {name}"))
        .click();
}

/// Waits for an open row menu to be placed and to hold the focus.
pub fn wait_for_menu(browser: &Browser) {
    wait_until("the row menu", 10, browser, || {
        browser.execute(
            "return document.activeElement.getAttribute('role') == 'menuitem'",
            json!([]),
        ) == json!(true)
    });
}

/// The `innerText` of every element matching `selector`, in document order.
pub fn inner_texts(browser: &Browser, selector: &str) -> Vec<String> {
    let lines = browser.execute(
        "return [...document.querySelectorAll(arguments[0])].map(e => e.innerText)",
        json!([selector]),
    );
    lines
        .as_array()
        .expect("an array of texts")
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect()
}

/// The upload id and the number of parts in the resume record (localStorage
/// `cubby.upload.*`) of the upload whose key contains `name`, if there is one.
pub fn resume_record(browser: &Browser, name: &str) -> Option<(String, usize)> {
    let record = browser.execute(
        "const id = Object.keys(localStorage)
             .find(k => k.startsWith('cubby.upload.') && k.includes(arguments[0]));
         return id ? localStorage.getItem(id) : null",
        json!([name]),
    );
    let record: serde_json::Value = serde_json::from_str(record.as_str()?).ok()?;
    Some((
        record["upload_id"].as_str()?.to_string(),
        record["parts"].as_array()?.len(),
    ))
}
