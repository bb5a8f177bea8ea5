//! End-to-end tests: the release build in headless Chromium against the local
//! emulator, driven through WebDriver the way a person uses it; the files round
//! trip (sign-in to sign-out) also in Firefox ESR and WebKit. Each test saves a
//! screenshot of its final screen in `target/e2e-output/`.
#![cfg(not(target_arch = "wasm32"))]
// Tests wait on wall-clock deadlines; only the app itself must avoid the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use cubby::config::Config;
use cubby_core::s3::{self, Bucket, Endpoint, ListObjectsRequest, RequestContext};
use cubby_core::secret::Secret;
use cubby_core::{identity, s3::S3Error};
use serde_json::{json, Value};
use std::time::SystemTime;
use support::app::{
    click_labelled, row_names, sign_in, wait_for_menu, wait_for_rows, wait_until, Files, ALICE, BOB,
};
use support::axe::assert_accessible;
use support::native::NativeClient;
use support::stack::Stack;
use support::webdriver::{Browser, Engine};

const NAMES: [&str; 5] = [
    "hello world.txt",
    "a+b.txt",
    "hash#1.txt",
    "100%.txt",
    "naïve ünïcödé ✓.txt",
];

#[test]
fn upload_list_download_rename_delete_reload_sign_out() {
    files_round_trip(Engine::Chromium);
}

#[test]
fn files_round_trip_in_firefox() {
    files_round_trip(Engine::Firefox);
}

#[test]
fn files_round_trip_in_webkit() {
    files_round_trip(Engine::WebKit);
}

/// Sign-in, upload, list, download, share link, rename, move, delete, reload,
/// narrow window and sign-out, in `engine`.
fn files_round_trip(engine: Engine) {
    // Named by engine: the three tests run side by side until the browser turn.
    let stack = Stack::start(&format!("files-{}", engine.name()));
    let browser = Browser::start_in(engine);
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("This folder is empty", 30);
    assert_accessible(&browser, "the empty folder view");

    let files = Files::new(&format!("files-{}", engine.name()));
    let paths: Vec<String> = NAMES
        .iter()
        .map(|name| {
            let contents = format!("contents of {name}\n").repeat(100);
            files.write(name, contents.as_bytes()).display().to_string()
        })
        .collect();
    browser
        .find("#upload-files")
        .unwrap()
        .send_keys(&paths.join("\n"));
    wait_for_rows(&browser, &NAMES);
    wait_until("5 finished uploads", 60, &browser, || {
        browser.find_all(".upload[data-state=done]").len() == 5
    });
    assert_accessible(&browser, "the folder view with the upload panel");

    // A nested folder keeps its structure. Only where the driver can pick a folder;
    // elsewhere the folder that the move below makes is the one deleted.
    let folder = if browser.engine.picks_folders() {
        upload_a_folder(&browser, &files);
        "nest"
    } else {
        "archive"
    };

    // Download through the app: the saved bytes equal the source (where the
    // driver can say where downloads go).
    if browser.engine.saves_downloads() {
        click_labelled(&browser, "Download hello world.txt");
        let saved = browser.downloads.join("hello world.txt");
        wait_until("the download", 30, &browser, || saved.exists());
        assert_eq!(
            std::fs::read(&saved).unwrap(),
            std::fs::read(files.0.join("hello world.txt")).unwrap()
        );
    }

    // A share link fetches the exact bytes with no credentials.
    let unicode = NAMES[4];
    click_labelled(&browser, &format!("Copy link to {unicode}"));
    browser.wait_for("#make-link", 10).click();
    let link = browser.wait_for(".link-url", 30);
    assert_accessible(&browser, "the share-link dialog");
    let url = browser
        .execute(
            "return document.querySelector('.link-url').value",
            json!([]),
        )
        .as_str()
        .unwrap()
        .to_string();
    drop(link);
    let body = ureq::get(&url)
        .call()
        .expect("the link works")
        .into_reader();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut { body }, &mut bytes).unwrap();
    assert_eq!(bytes, std::fs::read(files.0.join(unicode)).unwrap());
    browser
        .execute(
            "[...document.querySelectorAll('dialog button')].find(b => b.textContent == 'Close').click()",
            json!([]),
        );

    // Rename keeps the bytes under the new name.
    click_labelled(&browser, "Rename a+b.txt");
    let input = browser.wait_for("#name-input", 10);
    assert_accessible(&browser, "the Rename dialog");
    input.clear();
    input.send_keys("renamed+b.txt");
    browser.find("#name-ok").unwrap().click();
    wait_for_rows(&browser, &["renamed+b.txt"]);
    assert!(!row_names(&browser).contains(&"a+b.txt".to_string()));

    // Move into a folder path that does not exist yet: the folders appear.
    click_labelled(&browser, "Move hash#1.txt");
    let input = browser.wait_for("#move-input", 10);
    assert_accessible(&browser, "the Move dialog");
    input.clear();
    input.send_keys("archive/2026");
    browser.find("#move-ok").unwrap().click();
    wait_for_rows(&browser, &["archive"]);
    assert!(!row_names(&browser).contains(&"hash#1.txt".to_string()));
    let moved = stack.object_path(&stack.user_key("alice", "archive/2026/hash#1.txt"));
    assert_eq!(
        std::fs::read(&moved).expect("the moved object exists"),
        std::fs::read(files.0.join("hash#1.txt")).unwrap()
    );

    // Delete a folder with everything in it.
    click_labelled(&browser, &format!("Delete {folder}"));
    browser.wait_for("#confirm-delete", 10);
    assert_accessible(&browser, "the Delete dialog");
    browser.find("#confirm-delete").unwrap().click();
    wait_until(&format!("{folder} to disappear"), 30, &browser, || {
        !row_names(&browser).contains(&folder.to_string())
    });

    // A reload keeps the session: the folder comes back without a sign-in.
    browser.refresh();
    wait_for_rows(&browser, &["hello world.txt", "renamed+b.txt"]);
    assert!(browser.find("#username").is_none());
    browser.screenshot_to_output("files_round_trip");

    // The whole session ran under the strict Content-Security-Policy the emulator
    // serves (the same as the CloudFormation template's): nothing was blocked.
    // (Only ChromeDriver reads the console.)
    if browser.engine.reads_console() {
        csp_was_kept(&browser);
    }

    // Usable at 360 px: nothing wider than the window, every row action reachable.
    browser.resize(360, 740);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let widths = browser.execute(
        "return [document.documentElement.clientWidth, document.documentElement.scrollWidth]",
        json!([]),
    );
    assert!(
        widths[1].as_i64() <= widths[0].as_i64(),
        "the page scrolls sideways at 360 px: {widths}"
    );
    // Each row's actions are in its menu, a sheet at the bottom there.
    browser.find(".row .menu-button").unwrap().click();
    wait_for_menu(&browser);
    let shown = browser.execute(
        "const menu = document.querySelector('.row-menu [role=menu]'); \
         return menu ? getComputedStyle(menu).display : 'none'",
        json!([]),
    );
    assert_eq!(shown, json!("flex"), "the row menu opens at 360 px");
    assert_accessible(&browser, "the folder view at 360 px with a row menu open");
    browser.screenshot_to_output("files_at_360px");
    browser.resize(1280, 900);

    // Sign out through the Hosted UI logout, back to the signed-out page.
    browser
        .execute(
            "[...document.querySelectorAll('header button')].find(b => b.textContent == 'Sign out').click()",
            json!([]),
        );
    browser.wait_for("#sign-in", 30);
    let stored = browser.execute(
        "return sessionStorage.getItem('cubby.tokens') || localStorage.getItem('cubby.tokens')",
        json!([]),
    );
    assert_eq!(stored, Value::Null, "tokens are gone after sign-out");
    assert_accessible(&browser, "the signed-out card");
    browser.screenshot_to_output("signed_out");
}

/// Uploads the folder `nest` (two files, one a level deeper) through the folder
/// picker, opens it and goes back to the top.
fn upload_a_folder(browser: &Browser, files: &Files) {
    files.write("nest/top.txt", b"top");
    files.write("nest/inner/deep.txt", b"deep");
    browser
        .find("#upload-folder")
        .unwrap()
        .send_keys(&files.0.join("nest").display().to_string());
    wait_for_rows(browser, &["nest"]);
    browser
        .execute(
            "[...document.querySelectorAll('.folder-link')].find(b => b.textContent.endsWith('nest')).click()",
            json!([]),
        );
    wait_for_rows(browser, &["inner", "top.txt"]);
    browser
        .execute(
            "[...document.querySelectorAll('.crumbs button')].find(b => b.textContent == 'My files').click()",
            json!([]),
        );
    wait_for_rows(browser, &NAMES);
}

/// Nothing in the console says the Content-Security-Policy blocked something.
fn csp_was_kept(browser: &Browser) {
    let violations: Vec<String> = browser
        .console_log()
        .into_iter()
        .map(|(_, message)| message)
        .filter(|m| m.contains("Content Security Policy") || m.contains("Content-Security-Policy"))
        .collect();
    assert!(violations.is_empty(), "CSP violations: {violations:#?}");
}

/// Sends a request built by the core from the test process.
fn send(request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
    let (parts, body) = request.into_parts();
    let mut call = ureq::request(parts.method.as_str(), &parts.uri.to_string());
    for (name, value) in &parts.headers {
        call = call.set(name.as_str(), value.to_str().unwrap());
    }
    let response = match call.send_bytes(&body) {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    let mut out = http::Response::builder().status(response.status());
    for name in response.headers_names() {
        if let Some(v) = response.header(&name) {
            out = out.header(name.as_str(), v);
        }
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut response.into_reader(), &mut bytes).unwrap();
    out.body(bytes).unwrap()
}

fn access_denied(result: Result<impl std::fmt::Debug, S3Error>) -> bool {
    matches!(result, Err(e) if e.code() == Some("AccessDenied") || (e.status() == Some(403)))
}

#[test]
fn another_user_sees_nothing_and_is_denied_the_first_users_files() {
    let stack = Stack::start("isolation");
    let alice = Browser::start();
    sign_in(&alice, &stack, ALICE);
    let files = Files::new("isolation");
    let secret = files.write("secret.txt", b"alice's secret");
    alice
        .find("#upload-files")
        .unwrap()
        .send_keys(&secret.display().to_string());
    wait_for_rows(&alice, &["secret.txt"]);
    drop(alice);

    let bob = Browser::start();
    sign_in(&bob, &stack, BOB);
    bob.wait_for_text("This folder is empty", 30);
    bob.screenshot_to_output("second_user_empty");

    // Forge requests into alice's prefix with bob's own credentials.
    let stored = bob
        .execute("return sessionStorage.getItem('cubby.tokens')", json!([]))
        .as_str()
        .expect("bob's tokens are in sessionStorage")
        .to_string();
    let id_token = serde_json::from_str::<Value>(&stored).unwrap()["id_token"]
        .as_str()
        .unwrap()
        .to_string();
    let config = Config::parse(&stack.emulator.app_config().to_string()).unwrap();
    let logins = identity::logins_key(&config.region, &config.user_pool_id);
    let token = Secret::new(id_token);
    let bob_id = identity::parse_get_id(send(
        identity::build_get_id(
            &config.cognito_identity_url(),
            &config.identity_pool_id,
            &logins,
            &token,
        )
        .unwrap(),
    ))
    .unwrap();
    let credentials = identity::parse_get_credentials_for_identity(send(
        identity::build_get_credentials_for_identity(
            &config.cognito_identity_url(),
            &bob_id,
            &logins,
            &token,
        )
        .unwrap(),
    ))
    .unwrap();
    let alice_id = stack
        .emulator
        .control()
        .identity_id_of("alice")
        .expect("alice has an identity");
    assert_ne!(alice_id, bob_id);
    let bucket = Bucket::new(
        &config.bucket,
        &config.region,
        Endpoint::PathStyle {
            url: config.s3_endpoint.clone().unwrap(),
        },
    )
    .unwrap();
    let ctx = RequestContext {
        bucket: &bucket,
        credentials: &credentials,
        time: SystemTime::now(),
    };
    let alice_prefix = format!("private/{alice_id}/");
    let list = s3::parse_list_objects(send(
        s3::build_list_objects(
            &ctx,
            &ListObjectsRequest {
                prefix: &alice_prefix,
                delimiter: Some("/"),
                ..Default::default()
            },
        )
        .unwrap(),
    ));
    assert!(access_denied(list), "listing alice's folder is denied");
    let get = s3::parse_get_object(send(
        s3::build_get_object(&ctx, &format!("{alice_prefix}secret.txt"), None).unwrap(),
    ));
    assert!(access_denied(get), "reading alice's file is denied");
    // Bob's own folder is fine.
    let own = s3::parse_list_objects(send(
        s3::build_list_objects(
            &ctx,
            &ListObjectsRequest {
                prefix: &format!("private/{bob_id}/"),
                delimiter: Some("/"),
                ..Default::default()
            },
        )
        .unwrap(),
    ))
    .expect("bob may list his own folder");
    assert!(own.objects.is_empty());
}

#[test]
fn cancelled_sign_in_and_tampered_state_end_on_the_error_page() {
    let stack = Stack::start("signin-errors");
    let browser = Browser::start();
    browser.goto(&stack.app_url());
    browser.wait_for("#sign-in", 30).click();
    browser.wait_for("#username", 30);
    browser.execute(
        "[...document.querySelectorAll('a')].find(a => a.textContent == 'Cancel').click()",
        json!([]),
    );
    let error = browser.wait_for("#sign-in-error", 30);
    assert!(error.text().contains("cancelled"), "{}", error.text());
    assert_accessible(&browser, "the sign-in error page");
    assert!(
        !browser.url().contains("error="),
        "address bar cleaned: {}",
        browser.url()
    );
    browser.screenshot_to_output("sign_in_cancelled");

    // Try again, but forge the state the Hosted UI sends back.
    browser.find("#try-again").unwrap().click();
    browser.wait_for("#username", 30).send_keys(ALICE.0);
    browser.find("#password").unwrap().send_keys(ALICE.1);
    browser.execute(
        "document.querySelector('input[name=state]').value = 'forged-state-value-0000'",
        json!([]),
    );
    browser.find("button[type=submit]").unwrap().click();
    let error = browser.wait_for("#sign-in-error", 30);
    assert!(error.text().contains("does not belong"), "{}", error.text());
    assert!(
        browser.find(".file-list").is_none(),
        "no folder after a forged state"
    );
    assert!(!browser.url().contains("code="), "{}", browser.url());
    browser.screenshot_to_output("sign_in_tampered_state");
}

/// Whether a row's shown name starts with `start` (a name with a control character
/// is found by its printable start, however the page shows the character).
fn row_starting(browser: &Browser, start: &str) -> bool {
    row_names(browser)
        .iter()
        .any(|name| name.trim().starts_with(start))
}

/// Clicks the action `action` (`Delete`, `Rename`, `Move`) of the row whose shown
/// name starts with `start`.
fn click_row_action(browser: &Browser, start: &str, action: &str) {
    wait_until(&format!("{action} of {start}"), 30, browser, || {
        browser.execute(
            "const row = [...document.querySelectorAll('.row')]
                 .find(r => r.querySelector('.name').textContent.trim().startsWith(arguments[0]));
             if (!row) { return false; }
             const item = [...document.querySelectorAll('.row-menu [role=menuitem]')]
                 .find(b => b.textContent == arguments[1]);
             if (item) { item.click(); return true; }
             if (!document.querySelector('.row-menu')) { row.querySelector('.menu-button').click(); }
             return false;",
            json!([start, action]),
        ) == json!(true)
    });
}

/// Types `value` into the open prompt (`#name-input` or `#move-input`) and presses
/// its OK button.
fn answer_prompt(browser: &Browser, input: &str, ok: &str, value: &str) {
    let field = browser.wait_for(input, 10);
    field.clear();
    field.send_keys(value);
    browser.find(ok).unwrap().click();
}

/// The problem the open dialog shows, once it shows one.
fn dialog_problem(browser: &Browser) -> String {
    let mut problem = String::new();
    wait_until("the dialog's problem", 60, browser, || {
        problem = browser
            .execute(
                "const p = document.querySelector('dialog .error-text'); \
                 return p ? p.textContent : ''",
                json!([]),
            )
            .as_str()
            .unwrap_or("")
            .to_string();
        !problem.is_empty()
    });
    problem
}

/// Keys another S3 client made with a control character (which XML 1.0 cannot
/// carry) list, delete and rename; a move whose original could not be removed
/// says so and finishes when tried again without a third copy; keys over 1,024
/// bytes are refused before any request, with the limit and how far over.
#[test]
fn control_characters_half_moves_and_the_key_limit() {
    let stack = Stack::start("keys");
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("This folder is empty", 30);
    let native = NativeClient::for_signed_in_user(&stack, &browser);
    let (one, two) = ("ctl\u{1}.txt", "two\u{1}ctl.txt");
    native.put(&native.key(one), b"one");
    native.put(&native.key(two), b"two");
    native.put(&native.key("report.txt"), b"report");
    browser.refresh();
    wait_for_rows(&browser, &["report.txt"]);
    wait_until("the rows with control characters", 30, &browser, || {
        row_starting(&browser, "ctl") && row_starting(&browser, "two")
    });
    let stored = |name: &str| std::fs::read(stack.object_path(&native.key(name))).ok();
    let control = stack.control();

    // Delete goes through DeleteObject, the key in the URL; the file is gone.
    control.reset_stats();
    click_row_action(&browser, "ctl", "Delete");
    browser.wait_for("#confirm-delete", 10).click();
    wait_until("the deleted row to go", 30, &browser, || {
        !row_starting(&browser, "ctl")
    });
    assert_eq!(stored(one), None, "deleted in the bucket");
    assert_eq!(stack.s3_requests("DeleteObject"), 1);
    assert_eq!(stack.s3_requests("DeleteObjects"), 0);

    // Rename copies it and removes the original: one file, not two.
    click_row_action(&browser, "two", "Rename");
    answer_prompt(&browser, "#name-input", "#name-ok", "renamed.txt");
    wait_for_rows(&browser, &["renamed.txt"]);
    wait_until("the renamed row to go", 30, &browser, || {
        !row_starting(&browser, "two")
    });
    assert_eq!(stored("renamed.txt").as_deref(), Some(&b"two"[..]));
    assert_eq!(stored(two), None, "the original is gone");

    // A move whose delete fails (every attempt) says exactly that...
    control.fail_next(
        4,
        cubby_emulator::FaultKind::InternalError,
        Some("DeleteObjects"),
    );
    click_row_action(&browser, "report.txt", "Move");
    answer_prompt(&browser, "#move-input", "#move-ok", "archive");
    let problem = dialog_problem(&browser);
    assert!(
        problem.contains(
            "archive/report.txt was made, but the original report.txt could not be removed"
        ),
        "{problem}"
    );
    assert!(!problem.contains("did not answer"), "{problem}");
    assert_eq!(stored("report.txt").as_deref(), Some(&b"report"[..]));
    assert_eq!(
        stored("archive/report.txt").as_deref(),
        Some(&b"report"[..])
    );
    browser.screenshot_to_output("half_moved");
    // ...and tried again, it only removes the original: no third copy.
    let copies = stack.s3_requests("CopyObject");
    browser.find("#move-ok").unwrap().click();
    wait_until("the move dialog to close", 60, &browser, || {
        browser.find("#move-input").is_none()
    });
    assert_eq!(stored("report.txt"), None);
    assert_eq!(
        stored("archive/report.txt").as_deref(),
        Some(&b"report"[..])
    );
    assert_eq!(
        stack.s3_requests("CopyObject"),
        copies + 1,
        "one copy, refused"
    );

    // Keys over 1,024 bytes: refused before any request, naming the limit.
    let writes = || {
        stack.s3_requests("PutObject")
            + stack.s3_requests("CreateMultipartUpload")
            + stack.s3_requests("CopyObject")
    };
    let before = writes();
    // A dropped folder whose file's key is 55 + 5 + 5 × 201 + 8 = 1,073 bytes.
    let files = Files::new("keys");
    let segment = "d".repeat(200);
    files.write(
        &format!("deep/{segment}/{segment}/{segment}/{segment}/{segment}/long.txt"),
        b"deep",
    );
    browser
        .find("#upload-folder")
        .unwrap()
        .send_keys(&files.0.join("deep").display().to_string());
    let mut status = String::new();
    wait_until("the refused upload", 30, &browser, || {
        status = browser
            .execute(
                "const s = document.querySelector('.upload[data-state=failed] .upload-status'); \
                 return s ? s.textContent : ''",
                json!([]),
            )
            .as_str()
            .unwrap_or("")
            .to_string();
        !status.is_empty()
    });
    assert!(status.contains("S3 allows 1,024 bytes"), "{status}");
    assert!(
        status.contains("1,073 bytes, 49 bytes too many"),
        "{status}"
    );
    // A move into a deep folder: 55 + 5 × 201 + 11 = 1,071 bytes.
    click_row_action(&browser, "renamed.txt", "Move");
    let deep = vec!["m".repeat(200); 5].join("/");
    answer_prompt(&browser, "#move-input", "#move-ok", &deep);
    let problem = dialog_problem(&browser);
    assert!(
        problem.contains("1,071 bytes, 47 bytes too many"),
        "{problem}"
    );
    browser.execute(
        "[...document.querySelectorAll('dialog button')].find(b => b.textContent == 'Cancel').click()",
        json!([]),
    );
    // A rename to a long name: 55 + 1,000 bytes (the old 512-byte rule is gone).
    click_row_action(&browser, "renamed.txt", "Rename");
    answer_prompt(&browser, "#name-input", "#name-ok", &"n".repeat(1000));
    let problem = dialog_problem(&browser);
    assert!(
        problem.contains("1,055 bytes, 31 bytes too many"),
        "{problem}"
    );
    assert_eq!(writes(), before, "nothing was sent");
    assert_eq!(stored("renamed.txt").as_deref(), Some(&b"two"[..]));
    browser.screenshot_to_output("key_too_long");
}

#[test]
fn an_error_redirect_without_state_shows_a_fixed_text_and_keeps_the_sign_in() {
    let stack = Stack::start("signin-forged-error");
    let browser = Browser::start();
    browser.goto(&stack.app_url());
    browser.wait_for("#sign-in", 30).click();
    browser.wait_for("#username", 30);
    let login_page = browser.url();

    // Anyone can send the user to the callback with an error and words of their own.
    browser.goto(&format!(
        "{}?error=server_error&error_description=Call%200800%20EVIL%20now",
        stack.app_url()
    ));
    let error = browser.wait_for("#sign-in-error", 30);
    let shown = error.text();
    assert!(shown.contains("does not belong"), "{shown}");
    assert!(!shown.contains("EVIL"), "{shown}");
    browser.screenshot_to_output("sign_in_forged_error");

    // The real answer still finishes the sign-in started before.
    browser.goto(&login_page);
    browser.wait_for("#username", 30).send_keys(ALICE.0);
    browser.find("#password").unwrap().send_keys(ALICE.1);
    browser.find("button[type=submit]").unwrap().click();
    browser.wait_for(".file-list", 30);
    assert!(browser.find("#sign-in-error").is_none());
}

/// The `Content-Type` and `Content-Disposition` the bucket answers `url` with.
fn served_as(url: &str) -> (String, String) {
    let response = ureq::get(url).call().expect("the link works");
    (
        response
            .header("content-type")
            .unwrap_or_default()
            .to_string(),
        response
            .header("content-disposition")
            .unwrap_or_default()
            .to_string(),
    )
}

/// The URL of the share link the app makes for `name`.
fn share_link(browser: &Browser, name: &str) -> String {
    click_labelled(browser, &format!("Copy link to {name}"));
    browser.wait_for("#make-link", 10).click();
    browser.wait_for(".link-url", 30);
    let url = browser
        .execute(
            "return document.querySelector('.link-url').value",
            json!([]),
        )
        .as_str()
        .unwrap()
        .to_string();
    browser.execute(
        "[...document.querySelectorAll('dialog button')].find(b => b.textContent == 'Close').click()",
        json!([]),
    );
    url
}

/// Opens `name` with View (a PDF opens in a new tab) and returns the URL that tab
/// shows, back on the app's tab.
fn viewed_url(browser: &Browser, name: &str) -> String {
    let page = browser.current_tab();
    let before = browser.tabs();
    click_labelled(browser, &format!("View {name}"));
    let mut tab = None;
    wait_until("the PDF tab", 30, browser, || {
        tab = browser.tabs().into_iter().find(|t| !before.contains(t));
        tab.is_some()
    });
    browser.switch_to(tab.as_ref().unwrap());
    let mut url = String::new();
    wait_until("the PDF tab's address", 30, browser, || {
        url = browser.url();
        url.starts_with("http")
    });
    browser.switch_to(&page);
    browser.execute(
        "[...document.querySelectorAll('dialog button')].find(b => b.textContent == 'Close').click()",
        json!([]),
    );
    url
}

#[test]
fn active_content_is_never_served_inline_from_the_bucket() {
    let stack = Stack::start("active-content");
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("This folder is empty", 30);

    // Markup that would run its script if the bucket's origin rendered it.
    let files = Files::new("active-content");
    let page = b"<html><script>document.title='PWNED'</script>page</html>";
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload=\"document.title='PWNED'\"/>";
    let names = ["page.html", "drawing.svg", "x.pdf", "other.html"];
    let paths: Vec<String> = names
        .iter()
        .map(|name| {
            let body: &[u8] = if name.ends_with(".svg") { svg } else { page };
            files.write(name, body).display().to_string()
        })
        .collect();
    browser
        .find("#upload-files")
        .unwrap()
        .send_keys(&paths.join("\n"));
    wait_until("4 finished uploads", 60, &browser, || {
        browser.find_all(".upload[data-state=done]").len() == 4
    });

    // Stored types come from the name's extension, never the browser's File.type.
    let native = NativeClient::for_signed_in_user(&stack, &browser);
    let stored = |name: &str| native.stored_content_type(&native.key(name));
    assert_eq!(
        stored("page.html").as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(
        stored("drawing.svg").as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(stored("x.pdf").as_deref(), Some("application/pdf"));

    // Share links to markup are attachments, typed as plain bytes.
    for name in ["page.html", "drawing.svg"] {
        let (content_type, disposition) = served_as(&share_link(&browser, name));
        assert_eq!(content_type, "application/octet-stream", "{name}");
        assert!(
            disposition.starts_with("attachment"),
            "{name}: {disposition}"
        );
    }

    // An HTML file uploaded as x.pdf opens as a PDF (the viewer cannot run it).
    let (content_type, disposition) = served_as(&viewed_url(&browser, "x.pdf"));
    assert_eq!(content_type, "application/pdf");
    assert!(disposition.starts_with("inline"), "{disposition}");

    // A rename stores the type of the new name: HTML renamed to .pdf is a PDF now.
    click_labelled(&browser, "Rename other.html");
    let input = browser.wait_for("#name-input", 10);
    input.clear();
    input.send_keys("renamed.pdf");
    browser.find("#name-ok").unwrap().click();
    wait_for_rows(&browser, &["renamed.pdf"]);
    assert_eq!(stored("renamed.pdf").as_deref(), Some("application/pdf"));
    let (content_type, _) = served_as(&viewed_url(&browser, "renamed.pdf"));
    assert_eq!(content_type, "application/pdf");
    browser.screenshot_to_output("active_content");
}

#[test]
fn a_cross_origin_page_that_opens_cubby_cannot_reach_it_later() {
    let stack = Stack::start("coop");
    let browser = Browser::start();
    // Any page of another origin (here the Hosted UI's error page).
    browser.goto(&format!(
        "{}/oauth2/authorize",
        stack.emulator.urls().hosted_ui
    ));
    let opener = browser.current_tab();
    browser.execute(
        "window.opened = window.open(arguments[0], '_blank')",
        json!([stack.app_url()]),
    );
    let mut app = None;
    wait_until("the app's tab", 30, &browser, || {
        app = browser.tabs().into_iter().find(|t| *t != opener);
        app.is_some()
    });
    browser.switch_to(app.as_ref().unwrap());
    browser.wait_for("#sign-in", 30);
    // Cross-Origin-Opener-Policy: same-origin puts the app in a browsing context
    // group of its own: no opener to reach back to, and the opener's handle is dead,
    // so it can neither script nor navigate the app's window.
    assert_eq!(
        browser.execute("return window.opener === null", json!([])),
        json!(true)
    );
    browser.switch_to(&opener);
    assert_eq!(
        browser.execute("return window.opened.closed", json!([])),
        json!(true)
    );
}

/// Clicks the toolbar's Refresh button.
fn click_refresh(browser: &Browser) {
    let clicked = browser.execute(
        "const b = [...document.querySelectorAll('.toolbar button')]
             .find(b => b.textContent.trim() == 'Refresh');
         if (b) { b.click(); return true; }
         return false;",
        json!([]),
    );
    assert_eq!(clicked, json!(true), "a Refresh button");
}

/// The text of the item count line (empty when no count is shown).
fn count_text(browser: &Browser) -> String {
    browser
        .execute(
            "const c = document.querySelector('.status.count'); return c ? c.textContent : ''",
            json!([]),
        )
        .as_str()
        .unwrap_or("")
        .trim()
        .to_string()
}

/// The server forgets the credentials it issued (S3 then answers
/// `InvalidAccessKeyId`): Refresh gets new ones silently and lists the folder,
/// without a reload of the page and without any error text.
#[test]
fn forgotten_credentials_heal_without_a_reload() {
    let stack = Stack::start("lost-session");
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("This folder is empty", 30);
    let native = NativeClient::for_signed_in_user(&stack, &browser);
    native.put(&native.key("kept.txt"), b"kept");
    click_refresh(&browser);
    wait_for_rows(&browser, &["kept.txt"]);
    // A marker that survives only as long as the page is not reloaded.
    browser.execute("window.__not_reloaded = true", json!([]));

    let control = stack.control();
    control.forget_credentials();
    let native = NativeClient::for_signed_in_user(&stack, &browser);
    native.put(&native.key("added.txt"), b"added");
    let lists = stack.s3_requests("ListObjectsV2");
    click_refresh(&browser);
    wait_for_rows(&browser, &["kept.txt", "added.txt"]);
    wait_until("the listing to end", 30, &browser, || {
        browser.execute(
            "return document.querySelector('.file-list [role=grid]').getAttribute('aria-busy')",
            json!([]),
        ) == json!("false")
    });
    assert!(
        stack.s3_requests("ListObjectsV2") >= lists + 2,
        "refused once, then listed with new credentials"
    );
    let body = browser.text("body");
    for error in [
        "InvalidAccessKeyId",
        "Could not",
        "S3 error",
        "session has ended",
    ] {
        assert!(!body.contains(error), "no {error:?} on the page:\n{body}");
    }
    assert!(browser.find(".panel.error").is_none(), "no error panel");
    assert_eq!(
        browser.execute("return window.__not_reloaded === true", json!([])),
        json!(true),
        "healed without a reload"
    );
    browser.screenshot_to_output("lost_session_healed");
}

/// On a slow network Refresh keeps the rows with a busy state at the top of the
/// list and no count; a failed listing keeps the rows beside its error (plain
/// words first, S3's code in the details line) and shows no count.
#[test]
fn slow_and_failing_listings_keep_the_rows() {
    let stack = Stack::start("keep-rows");
    let browser = Browser::start();
    sign_in(&browser, &stack, ALICE);
    browser.wait_for_text("This folder is empty", 30);
    let native = NativeClient::for_signed_in_user(&stack, &browser);
    native.put(&native.key("one.txt"), b"1");
    native.put(&native.key("two.txt"), b"2");
    click_refresh(&browser);
    wait_for_rows(&browser, &["one.txt", "two.txt"]);
    wait_until("the count", 30, &browser, || {
        count_text(&browser) == "2 items."
    });

    // Slow: the rows stay, the list is busy, no count.
    let control = stack.control();
    control.set_latency(std::time::Duration::from_millis(3000));
    click_refresh(&browser);
    wait_until("the busy state", 10, &browser, || {
        browser.execute(
            "return document.querySelector('.file-list [role=grid]').getAttribute('aria-busy')",
            json!([]),
        ) == json!("true")
    });
    let rows = row_names(&browser);
    assert!(
        rows.iter().any(|r| r == "one.txt") && rows.iter().any(|r| r == "two.txt"),
        "the rows stay while loading: {rows:?}"
    );
    let busy = browser.execute(
        "const b = document.querySelector('#list-busy');
         return b ? getComputedStyle(b).visibility : 'missing'",
        json!([]),
    );
    assert_eq!(busy, json!("visible"), "a visible busy state");
    assert_eq!(count_text(&browser), "", "no count while loading");
    browser.screenshot_to_output("listing_slow");
    control.set_latency(std::time::Duration::ZERO);
    wait_until("the count again", 30, &browser, || {
        count_text(&browser) == "2 items."
    });

    // Failing: every attempt of the listing fails; the rows stay beside the error.
    control.fail_next(
        cubby_core::retry::MAX_ATTEMPTS as usize,
        cubby_emulator::FaultKind::InternalError,
        Some("ListObjectsV2"),
    );
    click_refresh(&browser);
    let error = browser.wait_for(".panel.error", 30);
    let text = error.text();
    assert!(text.starts_with("Could not list this folder."), "{text}");
    let details = browser.text(".panel.error .details");
    assert!(details.contains("InternalError"), "{details}");
    let plain = browser.text(".panel.error .plain");
    assert!(!plain.contains("InternalError"), "{plain}");
    drop(error);
    let rows = row_names(&browser);
    assert!(
        rows.iter().any(|r| r == "one.txt") && rows.iter().any(|r| r == "two.txt"),
        "the rows stay beside the error: {rows:?}"
    );
    let count = count_text(&browser);
    assert!(
        !count.contains("items"),
        "no count for a failed listing: {count:?}"
    );
    browser.screenshot_to_output("listing_failed");
}
