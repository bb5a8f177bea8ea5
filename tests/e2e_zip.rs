//! End-to-end tests of "Download as zip": a folder with nested subfolders, names
//! with Unicode, spaces and `+`, an empty file, an empty folder and a file over
//! 8 MiB (two ranged reads) is saved as a zip that Python's `zipfile` unzips to
//! exactly the stored bytes and paths, in each of the three ways: the save
//! picker's file (Chromium's way; the picker's dialog needs a person, so the test
//! page's picker hands over a file of the origin's private file system without
//! asking), the service worker's streamed download and the in-memory fallback
//! (the test page hides the picker, then the service worker, with a script
//! before the click: the build is the shipped one). Cancel mid-download leaves
//! no file behind that looks whole, in the first two ways.
#![cfg(not(target_arch = "wasm32"))]
// Tests wait on wall-clock deadlines; only the app itself must avoid the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use cubby_core::encoding::base64_decode;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use support::app::{sign_in, wait_for_rows, wait_until, ALICE};
use support::axe::assert_accessible;
use support::native::NativeClient;
use support::stack::Stack;
use support::webdriver::{Browser, Engine};

/// Bytes that do not repeat with any short period (so a misplaced range shows).
fn noise(size: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..size)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 56) as u8
        })
        .collect()
}

/// The folder zipped: path below it and contents; a path ending in `/` is an
/// empty folder (its marker object).
fn folder_contents() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("top level.txt", b"at the top\n".to_vec()),
        (
            "Sommer 2024/Ünïcödé ✓ + plus.txt",
            "grüße\n".as_bytes().to_vec(),
        ),
        ("Sommer 2024/empty.bin", Vec::new()),
        (
            "Sommer 2024/tief/a+b c.txt",
            b"three levels down\n".to_vec(),
        ),
        ("big file.bin", noise((8 << 20) + 123_457, 7)),
        ("Leer/", Vec::new()),
    ]
}

/// What `zipfile` finds in the zip at `path`: name to bytes (folders: empty),
/// after `testzip()` checked every CRC.
fn unzip(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let script = r#"
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
    print(json.dumps({i.filename: z.read(i).hex() for i in z.infolist()}))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "zipfile refused {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let map: BTreeMap<String, String> = serde_json::from_slice(&out.stdout).unwrap();
    map.into_iter()
        .map(|(name, hex)| {
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            (name, bytes)
        })
        .collect()
}

/// The whole zips in the download folder.
fn zips(browser: &Browser) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(&browser.downloads)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "zip"))
        .collect()
}

/// Clicks "Download as zip", waits for the line to say the zip is in the
/// downloads and for a new zip to be whole in the download folder; returns it.
fn download_zip(browser: &Browser) -> std::path::PathBuf {
    let before = zips(browser);
    browser.find("#download-zip").unwrap().click();
    wait_until("the zip to be written", 60, browser, || {
        let line = browser.text("#zip-line");
        line.contains("is in your downloads") || line.contains("Could not")
    });
    let line = browser.text("#zip-line");
    assert!(line.contains("“Fotos.zip” is in your downloads"), "{line}");
    // Whole: ending in the end of central directory record (Firefox puts an
    // empty file under the final name while the download runs).
    let whole = |path: &Path| {
        std::fs::read(path).is_ok_and(|bytes| {
            bytes.len() >= 22 && bytes[bytes.len() - 22..].starts_with(b"PK\x05\x06")
        })
    };
    let mut saved = None;
    wait_until("a new zip in the downloads", 30, browser, || {
        saved = zips(browser)
            .into_iter()
            .find(|p| !before.contains(p) && whole(p));
        saved.is_some()
    });
    saved.unwrap()
}

#[test]
fn a_folder_downloads_as_a_zip_of_exactly_its_files() {
    zip_round_trip(Engine::Chromium);
}

/// Firefox has no save picker: its own way is the service worker's.
#[test]
fn a_folder_downloads_as_a_zip_in_firefox() {
    zip_round_trip(Engine::Firefox);
}

fn zip_round_trip(engine: Engine) {
    let stack = Stack::start(&format!("zip-{}", engine.name()));
    let browser = Browser::start_in(engine);
    sign_in(&browser, &stack, ALICE);
    let native = NativeClient::for_signed_in_user(&stack, &browser);
    let contents = folder_contents();
    for (path, body) in &contents {
        native.put(&native.key(&format!("Fotos/{path}")), body);
    }
    // Outside the folder: not in its zip.
    native.put(&native.key("outside.txt"), b"not zipped");
    browser.refresh();
    wait_for_rows(&browser, &["Fotos", "outside.txt"]);
    browser
        .execute(
            "[...document.querySelectorAll('.folder-link')].find(b => b.textContent == 'Fotos').click()",
            json!([]),
        );
    wait_for_rows(
        &browser,
        &["Leer", "Sommer 2024", "big file.bin", "top level.txt"],
    );

    let mut expected: BTreeMap<String, Vec<u8>> = contents
        .iter()
        .map(|(path, body)| (path.to_string(), body.clone()))
        .collect();
    // The empty file's folder is known by its path; the empty folder by its entry.
    expected.insert("Leer/".into(), Vec::new());

    if engine == Engine::Chromium {
        save_through_the_picker(&browser, &stack, &expected);
    }

    // A browser without the save picker: the service worker streams the download.
    browser.execute(
        "window.showSaveFilePicker = undefined; delete window.showSaveFilePicker",
        json!([]),
    );
    let saved = download_zip(&browser);
    assert_eq!(
        unzip(&saved),
        expected,
        "the zip streamed by the service worker"
    );
    browser.screenshot_to_output("zip-done-1280");
    assert_accessible(&browser, "the zip's progress line, done");
    assert_eq!(
        browser.execute(
            "return navigator.serviceWorker.getRegistrations().then(rs => rs.map(r => r.scope))",
            json!([]),
        ),
        json!([format!("{}zip-download/", stack.app_url())]),
        "one service worker, whose scope holds only the zip downloads"
    );

    // Cancel while an object is on its way: the reads stop, the line says the
    // zip was not saved, and the download fails (no whole zip appears).
    stack.control().set_latency(Duration::from_millis(800));
    browser.find("#download-zip").unwrap().click();
    wait_until("the zip to start writing", 30, &browser, || {
        browser.text("#zip-line").contains(" of 5 files")
    });
    browser.screenshot_to_output("zip-progress-1280");
    assert_accessible(&browser, "the zip's progress line, writing");
    let gets_before = stack.s3_requests("GetObject");
    browser.find("#zip-line button").unwrap().click();
    wait_until("the zip to stop", 10, &browser, || {
        browser
            .text("#zip-line")
            .contains("Stopped: “Fotos.zip” was not saved.")
    });
    stack.control().set_latency(Duration::ZERO);
    // Nothing to wait for but time: no new zip with anything in it shows up in
    // 3 s (Firefox puts an empty file under the final name while a download
    // runs, and leaves it beside the failed download's `.part`).
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        let written: Vec<_> = zips(&browser)
            .into_iter()
            .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
            .collect();
        assert_eq!(written.len(), 1, "a cancelled zip was saved: {written:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        stack.s3_requests("GetObject") <= gets_before + 1,
        "no object read after Cancel"
    );

    // Neither: the zip is built in memory (the limit said on the line).
    browser.execute(
        "Object.defineProperty(navigator, 'serviceWorker', { value: undefined })",
        json!([]),
    );
    let saved = download_zip(&browser);
    assert_eq!(unzip(&saved), expected, "the zip built in memory");
}

/// Chromium's way: the save picker's file, written through its writable
/// stream. The picker's dialog needs a person, so the page's picker is replaced
/// by one that picks a file in the origin's private file system without asking
/// (the same `FileSystemFileHandle`), read back after.
fn save_through_the_picker(browser: &Browser, stack: &Stack, expected: &BTreeMap<String, Vec<u8>>) {
    browser.execute(
        "window.showSaveFilePicker = async (options) => {
             const dir = await navigator.storage.getDirectory();
             return dir.getFileHandle(options.suggestedName, { create: true });
         }",
        json!([]),
    );
    browser.find("#download-zip").unwrap().click();
    wait_until("the picked file to be written", 60, browser, || {
        let line = browser.text("#zip-line");
        line.contains("Saved") || line.contains("Could not")
    });
    assert!(browser.text("#zip-line").contains("Saved “Fotos.zip”."));
    let picked = browser.execute(
        "const dir = await navigator.storage.getDirectory();
         const file = await (await dir.getFileHandle('Fotos.zip')).getFile();
         const bytes = new Uint8Array(await file.arrayBuffer());
         let text = '';
         for (let i = 0; i < bytes.length; i += 32768) {
             text += String.fromCharCode(...bytes.subarray(i, i + 32768));
         }
         await dir.removeEntry('Fotos.zip');
         return btoa(text)",
        json!([]),
    );
    let picked = base64_decode(picked.as_str().unwrap()).unwrap();
    let path = std::env::temp_dir().join(format!("cubby-e2e-zip-{}.zip", std::process::id()));
    std::fs::write(&path, &picked).unwrap();
    assert_eq!(
        unzip(&path),
        *expected,
        "the zip written into the picked file"
    );
    std::fs::remove_file(path).unwrap();

    // Cancelled, the picked file is removed: nothing cut off is left behind.
    stack.control().set_latency(Duration::from_millis(800));
    browser.find("#download-zip").unwrap().click();
    wait_until("the zip to start writing", 30, browser, || {
        browser.text("#zip-line").contains(" of 5 files")
    });
    browser.find("#zip-line button").unwrap().click();
    stack.control().set_latency(Duration::ZERO);
    wait_until("the cut-off file to be removed", 10, browser, || {
        browser
            .text("#zip-line")
            .contains("Stopped: “Fotos.zip” was not saved.")
            && browser.execute(
                "const dir = await navigator.storage.getDirectory();
                 return dir.getFileHandle('Fotos.zip').then(() => 'there', e => e.name)",
                json!([]),
            ) == json!("NotFoundError")
    });
}
