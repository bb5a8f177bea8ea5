//! End-to-end tests of "see what things are": thumbnails only for the image rows
//! on screen (the GETs counted at the emulator, and named by the page's resource
//! timing), none for an image above the size limit or for other files, new ones
//! for the rows a scroll brings and none again for rows scrolled back to; the grid
//! layout, its keyboard and its being remembered across a reload; Details
//! counting a nested folder tree. axe and screenshots at 1280×900 and 390×844.
#![cfg(not(target_arch = "wasm32"))]
// Tests wait on wall-clock deadlines; only the app itself must avoid the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use cubby_core::crc32::crc32;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::app::{wait_for_rows, wait_until, ALICE};
use support::axe::assert_accessible;
use support::stack::Stack;
use support::webdriver::Browser;

const ARROW_RIGHT: &str = "\u{E014}";
const ARROW_DOWN: &str = "\u{E015}";
const ESCAPE: &str = "\u{E00C}";

/// The app's limit (`model::file_kind::THUMBNAIL_MAX_BYTES`).
const LIMIT: usize = 10 * 1024 * 1024;

/// An 8×8 PNG of one colour (stored deflate blocks: no compressor needed).
fn png(rgb: [u8; 3]) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend(kind);
        out.extend(data);
        let crc = crc32(&out[start..]);
        out.extend(crc.to_be_bytes());
    }
    // Eight scanlines, each a filter byte (none) and eight pixels.
    let line: Vec<u8> = std::iter::once(0).chain(rgb.repeat(8)).collect();
    let raw = line.repeat(8);
    let (mut a, mut b) = (1u32, 0u32);
    for byte in &raw {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend((raw.len() as u16).to_le_bytes());
    zlib.extend((!(raw.len() as u16)).to_le_bytes());
    zlib.extend(&raw);
    zlib.extend(((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend(8u32.to_be_bytes());
    header.extend(8u32.to_be_bytes());
    header.extend([8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Stores `bytes` as `name` (a `/` makes folders) in alice's folder.
fn store(stack: &Stack, name: &str, bytes: &[u8]) {
    let path = stack.object_path(&stack.user_key("alice", name));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Signs in (at the app's address `fragment`, e.g. `#/album/`) and waits for the
/// folder view.
fn sign_in_at(browser: &Browser, stack: &Stack, fragment: &str) {
    browser.goto(&format!("{}{fragment}", stack.app_url()));
    browser.wait_for("#sign-in", 30).click();
    browser.wait_for("#username", 30).send_keys(ALICE.0);
    browser.find("#password").unwrap().send_keys(ALICE.1);
    browser.find("button[type=submit]").unwrap().click();
    browser.wait_for(".file-list", 30);
}

/// The names of the rows whose box meets the list's visible box.
fn on_screen(browser: &Browser) -> Vec<String> {
    strings(browser.execute(
        "const list = document.querySelector('.file-list');
         const top = list.getBoundingClientRect().top + list.clientTop;
         const bottom = top + list.clientHeight;
         return [...document.querySelectorAll('.row')].filter(r => {
             const b = r.getBoundingClientRect();
             return b.bottom > top + 0.5 && b.top < bottom - 0.5;
         }).map(r => r.querySelector('.name').textContent)",
        json!([]),
    ))
}

/// The names of the rows showing a thumbnail that has loaded.
fn with_thumbnail(browser: &Browser) -> Vec<String> {
    strings(browser.execute(
        "return [...document.querySelectorAll('.row')]
             .filter(r => { const i = r.querySelector('img.thumb'); return i && i.complete && i.naturalWidth > 0; })
             .map(r => r.querySelector('.name').textContent)",
        json!([]),
    ))
}

/// The object names the page has fetched (not listed) from the bucket so far,
/// in order, from its resource timing.
fn fetched(browser: &Browser) -> Vec<String> {
    strings(browser.execute(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name))
             .filter(u => u.pathname.includes('/private/') && !u.search.includes('list-type'))
             .map(u => decodeURIComponent(u.pathname.split('/').pop()))",
        json!([]),
    ))
}

fn strings(value: Value) -> Vec<String> {
    let mut names: Vec<String> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn images(names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter(|n| n.starts_with("img-"))
        .cloned()
        .collect()
}

/// Waits until every image row on screen shows its thumbnail, then a moment
/// more in which no further GET may come; returns the image rows on screen.
fn settle(browser: &Browser, stack: &Stack, what: &str) -> Vec<String> {
    let mut wanted = Vec::new();
    let mut shown = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    wait_until(what, 25, browser, || {
        wanted = images(&on_screen(browser));
        shown = with_thumbnail(browser);
        let done = !wanted.is_empty() && wanted.iter().all(|n| shown.contains(n));
        assert!(
            done || Instant::now() < deadline,
            "{what}: wanted {wanted:?}, shown {shown:?}"
        );
        done
    });
    // Nothing else may be asked for once the screen is done.
    let gets = stack.s3_requests("GetObject");
    let until = Instant::now() + Duration::from_millis(600);
    while Instant::now() < until {
        assert_eq!(
            stack.s3_requests("GetObject"),
            gets,
            "a GET after the screen was done"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    wanted
}

#[test]
fn thumbnails_come_only_for_the_image_rows_on_screen_and_the_grid_is_remembered() {
    let stack = Stack::start("thumbnails");
    for i in 0..60u8 {
        let name = format!("img-{i:03}.png");
        store(&stack, &name, &png([i.wrapping_mul(37), 120, 255 - i * 4]));
    }
    // Sorted before the images, so on the first screen: an image over the limit
    // and files of other kinds.
    let mut big = png([200, 30, 30]);
    big.resize(LIMIT + 1, 0);
    store(&stack, "0-big.png", &big);
    for name in ["0-notes.txt", "0-report.pdf", "0-song.mp3", "0-backup.zip"] {
        store(&stack, name, name.as_bytes());
    }
    store(&stack, "album/cover.png", &png([10, 10, 10]));
    let browser = Browser::start();
    let started = Instant::now();
    sign_in_at(&browser, &stack, "");
    browser.wait_for_text("66 items.", 30);

    // The first screen: a GET per image row on it, none for the big one.
    let first = settle(&browser, &stack, "the first screen's thumbnails");
    let gets = stack.s3_requests("GetObject");
    let asked = fetched(&browser);
    eprintln!(
        "first screen: {} image rows, {gets} GETs: {asked:?}",
        first.len()
    );
    assert_eq!(asked, first, "GETs for exactly the image rows on screen");
    assert_eq!(gets as usize, first.len());
    assert!(!asked.iter().any(|n| n == "0-big.png"));
    let rendered = browser.find_all(".row").len();
    assert!(
        rendered > first.len() + 6,
        "rows rendered around the screen get none ({rendered} rendered)"
    );
    // Icons by kind, hidden from assistive technology; the name is the row's text.
    let icons = browser.execute(
        "return ['0-big.png','0-notes.txt','0-report.pdf','0-song.mp3','0-backup.zip','album'].map(n => {
             const r = [...document.querySelectorAll('.row')].find(r => r.querySelector('.name').textContent == n);
             const i = r.querySelector('.icon');
             return i.className + (i.getAttribute('aria-hidden') == 'true' ? '' : ' (not hidden)');
         })",
        json!([]),
    );
    assert_eq!(
        icons,
        json!([
            "icon file image",
            "icon file text",
            "icon file document",
            "icon file audio",
            "icon file archive",
            "icon folder"
        ])
    );
    assert_accessible(&browser, "the list with thumbnails");
    browser.screenshot_to_output("thumbnails_list_1280");

    // To the end: the rows the scroll brings get theirs, nothing in between.
    browser.execute(
        "const l = document.querySelector('.file-list'); l.scrollTop = l.scrollHeight",
        json!([]),
    );
    let last = settle(&browser, &stack, "the last screen's thumbnails");
    let asked = fetched(&browser);
    let mut both = [first.clone(), last.clone()].concat();
    both.sort();
    eprintln!(
        "after the scroll: {} GETs in all: {asked:?}",
        stack.s3_requests("GetObject")
    );
    assert!(last.contains(&"img-059.png".to_string()), "{last:?}");
    assert_eq!(asked, both, "GETs for the rows on either screen only");
    assert_eq!(stack.s3_requests("GetObject") as usize, both.len());
    // Back to the top: the thumbnails are kept, nothing is fetched again.
    browser.execute(
        "document.querySelector('.file-list').scrollTop = 0",
        json!([]),
    );
    settle(&browser, &stack, "the first screen again");
    assert_eq!(stack.s3_requests("GetObject") as usize, both.len());

    // The grid: larger thumbnails, the same keyboard model in two dimensions.
    browser.find("#grid-view").unwrap().click();
    wait_until("tiles", 10, &browser, || {
        browser.find(".file-list.tiles").is_some()
    });
    assert_eq!(
        browser
            .find("#grid-view")
            .unwrap()
            .attr("aria-pressed")
            .as_deref(),
        Some("true")
    );
    let tiles = settle(&browser, &stack, "the grid's thumbnails");
    eprintln!(
        "grid: {} image tiles on screen, {} GETs in all",
        tiles.len(),
        stack.s3_requests("GetObject")
    );
    let columns = browser.execute(
        "const rows = [...document.querySelectorAll('.row')];
         const top = Math.min(...rows.map(r => r.getBoundingClientRect().top));
         return rows.filter(r => Math.abs(r.getBoundingClientRect().top - top) < 1).length",
        json!([]),
    );
    let columns = columns.as_u64().unwrap();
    assert!(columns >= 4, "tiles side by side: {columns}");
    browser.execute(
        "document.querySelector('.row[aria-rowindex=\"1\"]').focus()",
        json!([]),
    );
    browser.keys_to_focused(ARROW_RIGHT);
    let index = |b: &Browser| {
        b.execute(
            "return document.activeElement.getAttribute('aria-rowindex')",
            json!([]),
        )
    };
    assert_eq!(index(&browser), json!("2"));
    browser.keys_to_focused(ARROW_DOWN);
    assert_eq!(index(&browser), json!((2 + columns).to_string()));
    assert_accessible(&browser, "the grid");
    browser.screenshot_to_output("thumbnails_grid_1280");

    // Remembered by this browser.
    browser.refresh();
    browser.wait_for_text("66 items.", 30);
    wait_until("tiles after the reload", 10, &browser, || {
        browser.find(".file-list.tiles").is_some()
    });
    assert_eq!(
        browser
            .find("#grid-view")
            .unwrap()
            .attr("aria-pressed")
            .as_deref(),
        Some("true")
    );

    // A phone: two tiles across; the list again from the More menu.
    browser.resize(390, 844);
    wait_until("the 390 px layout", 10, &browser, || {
        browser.execute("return innerWidth", json!([])) == json!(390)
    });
    // The first screen holds no image here: halfway down.
    browser.execute(
        "const l = document.querySelector('.file-list'); l.scrollTop = l.scrollHeight / 2",
        json!([]),
    );
    settle(&browser, &stack, "the phone's thumbnails");
    assert_accessible(&browser, "the grid at 390 px");
    browser.screenshot_to_output("thumbnails_grid_390");
    browser.find("#more-actions").unwrap().click();
    wait_until("the More menu", 10, &browser, || {
        browser.execute(
            "return (document.activeElement.getAttribute('role') || '').startsWith('menuitem')",
            json!([]),
        ) == json!(true)
    });
    browser
        .find_all(".row-menu [role^=menuitem]")
        .into_iter()
        .find(|i| i.text() == "Show as list")
        .expect("Show as list in the More menu")
        .click();
    wait_until("rows again", 10, &browser, || {
        browser.find(".file-list.tiles").is_none()
    });
    assert_eq!(
        browser.execute("return localStorage.getItem('cubby.layout')", json!([])),
        json!("list")
    );
    eprintln!("took {:?}", started.elapsed());
}

#[test]
fn details_counts_the_files_and_bytes_of_a_nested_folder_tree() {
    let stack = Stack::start("details");
    let tree: [(&str, usize); 5] = [
        ("trip/a.png", 1000),
        ("trip/b.txt", 20),
        ("trip/day 1/c.jpg", 300_000),
        ("trip/day 1/notes/d.md", 7),
        ("other.bin", 5_000),
    ];
    for (name, size) in tree {
        store(&stack, name, &vec![7u8; size]);
    }
    let browser = Browser::start();
    sign_in_at(&browser, &stack, "#/trip/");
    wait_for_rows(&browser, &["day 1", "a.png", "b.txt"]);
    browser.find("#details").unwrap().click();
    wait_until("the count", 20, &browser, || {
        browser
            .text("#folder-totals + [role=status]")
            .contains("Every file")
    });
    assert_eq!(browser.text("#tree-files"), "4 files");
    assert_eq!(browser.text("#tree-size"), "294 KB (301,027 bytes)");
    assert_accessible(&browser, "the Details dialog");
    browser.screenshot_to_output("details_1280");
    browser.resize(390, 844);
    wait_until("the 390 px layout", 10, &browser, || {
        browser.execute("return innerWidth", json!([])) == json!(390)
    });
    assert_accessible(&browser, "the Details dialog at 390 px");
    browser.screenshot_to_output("details_390");
    browser.keys_to_focused(ESCAPE);
    wait_until("the dialog closed", 10, &browser, || {
        browser.find("dialog.modal").is_none()
    });
}
