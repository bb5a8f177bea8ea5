//! Browser tests of the folder view against a fake transport: what S3 returns is
//! what the page shows, and a huge folder renders only the rows in view.
#![cfg(target_arch = "wasm32")]

use cubby::app::browser_env;
use cubby::model::session::Session;
use cubby::model::testing::{self, IDENTITY_ID};
use cubby::model::transport::{send_plainly, LocalFuture, SendOptions, SendResult, Transport};
use cubby::ui::FolderView;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Answers every ListObjectsV2 with one canned page and records the request URIs.
struct FakeS3 {
    page: String,
    seen: RefCell<Vec<String>>,
}

impl Transport for FakeS3 {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        options: SendOptions,
    ) -> LocalFuture<'_, SendResult> {
        send_plainly(request, &options, |request| {
            self.seen.borrow_mut().push(request.uri().to_string());
            let response = http::Response::builder()
                .status(200)
                .header("content-type", "application/xml")
                .body(self.page.clone().into_bytes())
                .unwrap();
            Box::pin(async move { Ok(response) })
        })
    }
}

fn listing(files: usize) -> String {
    let prefix = format!("private/{IDENTITY_ID}/");
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>cubby-dev</Name>\
         <Prefix>{prefix}</Prefix><KeyCount>{files}</KeyCount><MaxKeys>1000</MaxKeys>\
         <EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
    );
    for i in 0..files {
        xml.push_str(&format!(
            "<Contents><Key>{prefix}file%20{i:05}.txt</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified>\
             <ETag>\"e\"</ETag><Size>{}</Size></Contents>",
            1536 + i
        ));
    }
    xml.push_str(&format!(
        "<CommonPrefixes><Prefix>{prefix}photos/</Prefix></CommonPrefixes></ListBucketResult>"
    ));
    xml
}

fn session(transport: Rc<FakeS3>) -> Rc<Session> {
    Rc::new(testing::session(transport, browser_env()))
}

fn mount(session: Rc<Session>) -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    // The stylesheet makes the list the page's scroll area, a box of the window's
    // height; without it the list would be as tall as all its rows, and all in view.
    let style = document.create_element("style").unwrap();
    style.set_text_content(Some(".file-list { height: 600px; overflow: auto; }"));
    document.head().unwrap().append_child(&style).unwrap();
    let container: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&container).unwrap();
    leptos::mount::mount_to(container.clone(), move || {
        view! { <FolderView session=session.clone() /> }
    })
    .forget();
    container
}

async fn settle() {
    cubby::web::clock::sleep(100).await;
}

fn row_names(page: &web_sys::HtmlElement) -> Vec<String> {
    let rows = page.query_selector_all(".row .name").unwrap();
    (0..rows.length())
        .map(|i| rows.get(i).unwrap().text_content().unwrap())
        .collect()
}

#[wasm_bindgen_test]
async fn lists_folders_first_then_files_with_sizes() {
    let s3 = Rc::new(FakeS3 {
        page: listing(2),
        seen: RefCell::new(Vec::new()),
    });
    let page = mount(session(s3.clone()));
    settle().await;
    assert_eq!(
        row_names(&page),
        vec!["photos", "file 00000.txt", "file 00001.txt"]
    );
    let sizes = page.query_selector_all(".row .size").unwrap();
    assert_eq!(sizes.get(1).unwrap().text_content().unwrap(), "1.5 KB");
    // The listing asked for the user's own folder, one level, URL-encoded keys.
    let uri = s3.seen.borrow()[0].clone();
    assert!(uri.contains("list-type=2"), "{uri}");
    assert!(uri.contains("delimiter=%2F"), "{uri}");
    assert!(
        uri.contains("prefix=private%2Fus-east-1%3A11111111"),
        "{uri}"
    );
    assert!(page.text_content().unwrap().contains("3 items."));
}

#[wasm_bindgen_test]
async fn a_huge_folder_renders_only_the_rows_in_view() {
    let s3 = Rc::new(FakeS3 {
        page: listing(1000),
        seen: RefCell::new(Vec::new()),
    });
    let page = mount(session(s3));
    settle().await;
    assert!(page.text_content().unwrap().contains("1,001 items."));
    let rendered = page.query_selector_all(".row").unwrap().length();
    assert!(
        (1..=60).contains(&rendered),
        "{rendered} rows in the DOM for 1001 entries"
    );
}

#[wasm_bindgen_test]
async fn filter_narrows_the_rows() {
    let s3 = Rc::new(FakeS3 {
        page: listing(3),
        seen: RefCell::new(Vec::new()),
    });
    let page = mount(session(s3));
    settle().await;
    let input: web_sys::HtmlInputElement = page
        .query_selector("input[type=search]")
        .unwrap()
        .unwrap()
        .unchecked_into();
    input.set_value("00002");
    input
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    settle().await;
    assert_eq!(row_names(&page), vec!["file 00002.txt"]);
    assert!(page.text_content().unwrap().contains("1 of 4 items."));
}
