//! `cargo xtask tidy`: the architecture's invariants that no compiler checks.
//!
//! - The layering inside the app crate (`src/`): which module may name which
//!   (`crate::<module>` paths), and that the model and config name no browser crate.
//! - `cubby-core` depends on no web API crate and no random source (from
//!   `cargo tree`, so a new dependency that pulls one in transitively fails too).
//! - Storage keys are written in one module, and no code in `src/` sets markup
//!   from strings (`inner_html` and kin): names and contents stay text.
//! - No source file over [`MAX_LINES`] lines (tests excluded: files under `tests/`,
//!   files named `tests.rs`, and everything from a file's first `#[cfg(test)]` on).
//! - Every path named in ARCHITECTURE.md's code map exists.
//!
//! Each finding is printed as `tidy: <file>: <what>`; any finding fails the task.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The most lines a non-test source file may have.
pub const MAX_LINES: usize = 500;

/// The folders whose `.rs` files count for the size limit.
const SOURCE_ROOTS: &[&str] = &["src", "core/src", "emulator/src", "xtask/src"];

/// Crates that reach browser APIs. The core must not depend on any of them; the
/// app's model and config must not name them.
const WEB_CRATES: &[&str] = &[
    "web-sys",
    "js-sys",
    "wasm-bindgen",
    "wasm-bindgen-futures",
    "leptos",
    "gloo-net",
    "gloo-utils",
    "gloo-timers",
];

/// Random sources: the core takes random bytes as arguments.
const RANDOM_CRATES: &[&str] = &["getrandom", "rand", "rand_core"];

/// The one module that spells storage keys (`"cubby.` string literals).
const STORAGE_KEYS: &str = "src/model/storage_keys.rs";

/// Ways to turn a string into markup; names and contents from the bucket must
/// stay text nodes.
const MARKUP_SINKS: &[&str] = &[
    "inner_html",
    "outer_html",
    "insert_adjacent_html",
    "set_html_unchecked",
];

/// One layering rule: files under `dir` must not name `crate::<module>` for any
/// module in `forbidden`, nor any crate (as `name::`) in `forbidden_crates`.
struct Layer {
    dir: &'static str,
    forbidden: &'static [&'static str],
    forbidden_crates: &'static [&'static str],
    why: &'static str,
}

/// The app's layers: ui → app → model/web → config; `cubby_core` below them all.
const LAYERS: &[Layer] = &[
    Layer {
        dir: "src/ui",
        forbidden: &["web"],
        forbidden_crates: &["cubby_core", "serde_json"],
        why: "the UI renders the model and calls it; the browser is reached through \
              `app`, the protocol through the model",
    },
    Layer {
        dir: "src/model",
        forbidden: &["ui", "app", "web"],
        forbidden_crates: &["leptos", "web_sys", "js_sys", "wasm_bindgen", "gloo_net"],
        why: "the model is plain Rust: adapters are injected as traits",
    },
    Layer {
        dir: "src/web",
        forbidden: &["ui", "app"],
        forbidden_crates: &["leptos", "serde_json", "quick_xml"],
        why: "adapters move bytes between the browser and the model; they parse no \
              protocol data and know no page",
    },
    Layer {
        dir: "src/config.rs",
        forbidden: &["ui", "app", "web", "model"],
        forbidden_crates: &["leptos", "web_sys", "js_sys", "wasm_bindgen", "gloo_net"],
        why: "config.json parsing owns its own rules and bounds",
    },
];

/// Runs every check; `Err` summarises the findings (each was printed).
pub fn tidy(root: &Path) -> Result<(), String> {
    let mut findings = Vec::new();
    findings.extend(layering(root));
    findings.extend(core_dependencies(root));
    findings.extend(text_rules(root));
    findings.extend(file_sizes(root));
    findings.extend(code_map(root));
    for finding in &findings {
        eprintln!("tidy: {finding}");
    }
    if findings.is_empty() {
        eprintln!("tidy: layering, core dependencies, file sizes and the code map are in order");
        Ok(())
    } else {
        Err(format!("{} tidy finding(s)", findings.len()))
    }
}

fn layering(root: &Path) -> Vec<String> {
    let mut findings = Vec::new();
    for layer in LAYERS {
        for file in rust_files(&root.join(layer.dir)) {
            let text = fs::read_to_string(&file).unwrap_or_default();
            let code = strip_comments(&text);
            for module in layer.forbidden {
                if names_module(&code, module) {
                    findings.push(format!(
                        "{}: names `crate::{module}`: {}",
                        relative(root, &file),
                        layer.why
                    ));
                }
            }
            for krate in layer.forbidden_crates {
                if names_crate(&code, krate) {
                    findings.push(format!(
                        "{}: uses the `{krate}` crate: {}",
                        relative(root, &file),
                        layer.why
                    ));
                }
            }
        }
    }
    findings
}

/// Whether `code` names `crate::<module>` (as a path or in a `use crate::{..}` group).
fn names_module(code: &str, module: &str) -> bool {
    let direct = format!("crate::{module}");
    let mut found = code.match_indices(&direct).any(|(at, _)| {
        let rest = &code[at + direct.len()..];
        !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_')
    });
    // `use crate::{model, web::files}`: look inside the braces of each group.
    for (at, _) in code.match_indices("crate::{") {
        let group = &code[at + "crate::{".len()..];
        let group = &group[..group.find('}').unwrap_or(group.len())];
        found |= group.split([',', '{']).any(|item| {
            let item = item.trim();
            item == module || item.starts_with(&format!("{module}::"))
        });
    }
    found
}

/// Whether `code` names the crate `krate` as a path root (`krate::`).
fn names_crate(code: &str, krate: &str) -> bool {
    let needle = format!("{krate}::");
    code.match_indices(&needle).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        !matches!(before, Some(c) if c.is_alphanumeric() || c == '_' || c == ':')
    })
}

/// The text with `//` comments (doc comments included) removed, line by line.
/// Good enough for import checks: string literals holding `//` are rare here, and a
/// false finding shows the line to look at.
fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn core_dependencies(root: &Path) -> Vec<String> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .args([
            "tree",
            "-p",
            "cubby-core",
            "-e",
            "normal,build",
            "--prefix",
            "none",
        ])
        .args(["--target", "all", "--format", "{p}"])
        .output();
    let output = match output {
        Ok(out) if out.status.success() => out,
        Ok(out) => {
            return vec![format!(
                "cargo tree -p cubby-core failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )]
        }
        Err(e) => return vec![format!("cannot run cargo tree: {e}")],
    };
    let crates: BTreeSet<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect();
    let mut findings: Vec<String> = WEB_CRATES
        .iter()
        .filter(|web| crates.contains(**web))
        .map(|web| {
            format!("core/Cargo.toml: cubby-core depends on `{web}`: the core must run without a browser")
        })
        .collect();
    findings.extend(RANDOM_CRATES.iter().filter(|r| crates.contains(**r)).map(|r| {
        format!("core/Cargo.toml: cubby-core depends on `{r}`: random bytes are the caller's argument")
    }));
    findings
}

/// Storage key literals outside their module, and markup from strings, in the
/// app's non-test code.
fn text_rules(root: &Path) -> Vec<String> {
    let mut findings = Vec::new();
    for file in rust_files(&root.join("src")) {
        if file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap_or_default();
        let code = strip_comments(&before_tests(&text));
        let name = relative(root, &file);
        if name != STORAGE_KEYS && code.contains("\"cubby.") {
            findings.push(format!(
                "{name}: spells a storage key (\"cubby.…\"): keys live in {STORAGE_KEYS}"
            ));
        }
        for sink in MARKUP_SINKS {
            if code.contains(sink) {
                findings.push(format!(
                    "{name}: uses `{sink}`: names and contents are rendered as text, never markup"
                ));
            }
        }
    }
    findings
}

/// The part of a file before its first `#[cfg(test)]` at the start of a line.
fn before_tests(text: &str) -> String {
    text.lines()
        .take_while(|line| !line.starts_with("#[cfg(test)]"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn file_sizes(root: &Path) -> Vec<String> {
    let mut findings = Vec::new();
    for dir in SOURCE_ROOTS {
        for file in rust_files(&root.join(dir)) {
            let in_tests = file
                .components()
                .any(|c| c.as_os_str() == "tests" || c.as_os_str() == "tests.rs");
            if in_tests {
                continue;
            }
            let text = fs::read_to_string(&file).unwrap_or_default();
            let lines = before_tests(&text).lines().count();
            if lines > MAX_LINES {
                findings.push(format!(
                    "{}: {lines} lines before its tests (at most {MAX_LINES}): split it by what it holds",
                    relative(root, &file)
                ));
            }
        }
    }
    findings
}

fn code_map(root: &Path) -> Vec<String> {
    let text = match fs::read_to_string(root.join("ARCHITECTURE.md")) {
        Ok(text) => text,
        Err(e) => return vec![format!("ARCHITECTURE.md: cannot read it: {e}")],
    };
    let mut findings = Vec::new();
    let mut in_map = false;
    for line in text.lines() {
        if line.starts_with("## ") {
            in_map = line.trim() == "## Code map";
            continue;
        }
        if !in_map || !line.starts_with('|') {
            continue;
        }
        // The first cell names the paths, each in backticks.
        let first = line.trim_start_matches('|').split('|').next().unwrap_or("");
        for path in first.split('`').skip(1).step_by(2) {
            if !path.contains('/') && !path.contains('.') {
                continue;
            }
            if !path_exists(root, path) {
                findings.push(format!(
                    "ARCHITECTURE.md: the code map names `{path}`, which does not exist"
                ));
            }
        }
    }
    findings
}

/// Whether `path` (relative to the root; a `*` in its last part matches any
/// characters) names at least one file or folder.
fn path_exists(root: &Path, path: &str) -> bool {
    let path = path.trim_end_matches('/');
    let Some((dir, pattern)) = path.rsplit_once('/').or(Some(("", path))) else {
        return false;
    };
    if !pattern.contains('*') {
        return root.join(path).exists();
    }
    let (prefix, suffix) = pattern.split_once('*').unwrap_or((pattern, ""));
    fs::read_dir(root.join(dir))
        .map(|entries| {
            entries.flatten().any(|entry| {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                name.len() >= prefix.len() + suffix.len()
                    && name.starts_with(prefix)
                    && name.ends_with(suffix)
            })
        })
        .unwrap_or(false)
}

/// Every `.rs` file at or below `path` (a file or a folder), sorted.
fn rust_files(path: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if path.is_file() {
        files.push(path.to_path_buf());
    } else if let Ok(entries) = fs::read_dir(path) {
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                files.extend(rust_files(&p));
            } else if p.extension().is_some_and(|e| e == "rs") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

fn relative(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_direct_path_to_a_forbidden_module_is_found() {
        assert!(names_module("use crate::web::files;", "web"));
        assert!(names_module("let x = crate::web::clock::now();", "web"));
        assert!(!names_module("use crate::webby;", "web"));
        assert!(!names_module("use crate::model::web_like;", "web"));
    }

    #[test]
    fn a_forbidden_module_inside_a_use_group_is_found() {
        assert!(names_module("use crate::{model, web::files};", "web"));
        assert!(names_module("use crate::{web, model};", "web"));
        assert!(!names_module("use crate::{model, webby};", "web"));
    }

    #[test]
    fn a_crate_path_is_found_only_as_a_root() {
        assert!(names_crate("use leptos::prelude::*;", "leptos"));
        assert!(names_crate("let w = web_sys::window();", "web_sys"));
        assert!(!names_crate("use crate::leptos::x;", "leptos"));
        assert!(!names_crate("my_leptos::x", "leptos"));
    }

    #[test]
    fn tests_are_cut_off_at_the_first_cfg_test() {
        let text = "fn a() {}\n#[cfg(test)]\nmod tests { \"cubby.x\" }\n";
        assert_eq!(before_tests(text), "fn a() {}");
    }

    #[test]
    fn comments_do_not_count() {
        let code =
            strip_comments("/// see crate::web::files\nuse crate::model; // not crate::web\n");
        assert!(!names_module(&code, "web"));
        assert!(names_module(&code, "model"));
    }

    #[test]
    fn code_map_paths_are_checked_with_globs() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(path_exists(root, "src/main.rs"));
        assert!(path_exists(root, "src/"));
        assert!(path_exists(root, "src/ma*.rs"));
        assert!(!path_exists(root, "src/nothing*.rs"));
        assert!(!path_exists(root, "src/nothing.rs"));
    }
}
