//! Accessibility checks: axe-core (npm, pinned in tests/axe, installed by `cargo
//! xtask setup`) run in the page over what it shows at that moment.
#![allow(dead_code)]

use super::webdriver::{cached_tool, Browser};
use serde_json::{json, Value};
use std::path::PathBuf;

/// axe-core's browser bundle: `$CUBBY_AXE_CORE` (set by `cargo xtask`), else the
/// one `cargo xtask setup` put in the tools cache.
fn bundle() -> PathBuf {
    std::env::var_os("CUBBY_AXE_CORE")
        .map(PathBuf::from)
        .or_else(|| cached_tool("node_modules/axe-core/axe.min.js"))
        .filter(|path| path.exists())
        .expect("axe-core is not installed: run `cargo xtask setup`")
}

/// Rules off by default in axe-core that the page must pass too: the visible text
/// of a control is part of its accessible name (WCAG 2.5.3).
const EXTRA_RULES: &[&str] = &["label-content-name-mismatch"];

/// Runs axe-core over the page as it is (open dialogs included) and panics on any
/// violation, naming each rule with its help text and the nodes that break it;
/// `what` says which view or dialog this is. The bundle is injected through
/// WebDriver (the page's Content-Security-Policy does not apply to it) once per
/// page load.
pub fn assert_accessible(browser: &Browser, what: &str) {
    let loaded = browser.execute("return typeof window.axe === 'object'", json!([]));
    if loaded != json!(true) {
        let source = std::fs::read_to_string(bundle()).expect("axe-core's bundle is readable");
        browser.execute(&format!("{source}\n;return null"), json!([]));
    }
    let rules: serde_json::Map<String, Value> = EXTRA_RULES
        .iter()
        .map(|rule| (rule.to_string(), json!({ "enabled": true })))
        .collect();
    let result = browser.execute_async(
        "const done = arguments[arguments.length - 1];
         window.axe.run(document, { rules: arguments[0], resultTypes: ['violations'] })
           .then(r => done(r.violations.map(v => ({
               id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.map(n => ({ target: n.target.join(' '), html: n.html,
                                         summary: n.failureSummary })) }))))
           .catch(e => done({ error: String(e) }));",
        json!([rules]),
    );
    if let Some(error) = result.get("error") {
        panic!("axe-core could not check {what}: {error}");
    }
    let violations = result.as_array().expect("axe-core's violations");
    if violations.is_empty() {
        return;
    }
    let shot = browser.screenshot_to_output(&format!("axe-{}", what.replace(' ', "-")));
    let report: Vec<String> = violations
        .iter()
        .map(|v| {
            let nodes: Vec<String> = v["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| {
                    format!(
                        "    {}  {}\n      {}",
                        n["target"].as_str().unwrap_or(""),
                        n["html"].as_str().unwrap_or(""),
                        n["summary"]
                            .as_str()
                            .unwrap_or("")
                            .replace('\n', "\n      ")
                    )
                })
                .collect();
            format!(
                "  {} ({}): {}\n{}",
                v["id"].as_str().unwrap_or("?"),
                v["impact"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or(""),
                nodes.join("\n")
            )
        })
        .collect();
    panic!(
        "axe-core found accessibility violations in {what} (screenshot {}):\n{}",
        shot.display(),
        report.join("\n")
    );
}
