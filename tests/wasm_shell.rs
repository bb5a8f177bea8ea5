//! Browser tests of the page frame (run by `cargo xtask test` in headless Chromium).
#![cfg(target_arch = "wasm32")]

use cubby::app::Phase;
use cubby::config::Config;
use cubby::ui::Shell;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Mounts the shell into a fresh container and returns it.
fn mount_shell(phase: Phase) -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let container: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&container).unwrap();
    let signal = RwSignal::new_local(phase);
    leptos::mount::mount_to(container.clone(), move || view! { <Shell phase=signal /> }).forget();
    container
}

#[wasm_bindgen_test]
fn invalid_config_names_the_field_in_the_page() {
    let error = Config::parse(r#"{"region": "us-east-1"}"#).unwrap_err();
    let page = mount_shell(Phase::ConfigFailed(error.to_string()));
    let alert = page
        .query_selector("[role=alert]")
        .unwrap()
        .expect("an alert is shown");
    let text = alert.text_content().unwrap();
    assert!(text.contains("Cubby cannot start"), "{text}");
    assert!(text.contains("\"userPoolId\" is missing"), "{text}");
    let button = page.query_selector("header button").unwrap().unwrap();
    assert!(
        button.has_attribute("disabled"),
        "sign-in is disabled without a config"
    );
}

#[wasm_bindgen_test]
fn shell_has_header_main_and_versioned_footer() {
    let page = mount_shell(Phase::Loading);
    assert_eq!(
        page.query_selector(".brand")
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap(),
        "Cubby"
    );
    assert!(page.query_selector("main").unwrap().is_some());
    let footer = page
        .query_selector("footer")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert_eq!(footer, format!("Cubby {}", env!("CARGO_PKG_VERSION")));
}
