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
    click_labelled, row_names, sign_in, wait_for_rows, wait_until, Files, ALICE, BOB,
};
use support::axe::assert_accessible;
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
    // Row actions fold behind a toggle there; opening it shows them.
    browser.find(".row .menu-toggle").unwrap().click();
    let shown = browser.execute(
        "const more = document.querySelector('.actions.open .more'); \
         return more ? getComputedStyle(more).display : 'none'",
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
