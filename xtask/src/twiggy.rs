//! `cargo xtask twiggy`: where the wasm's bytes go, by name.
//!
//! Builds the app as Trunk's release build does (the same cargo command, so it
//! reuses that build; cargo's output still has its `name` section: the names are
//! dropped later, by wasm-opt's `--strip-debug`), runs wasm-bindgen and wasm-opt with
//! the flags `index.html` gives Trunk less the two that strip names, and prints
//! twiggy's ten largest items, the top of the dominator tree and the garbage. The
//! code is the shipped code; only the name section differs, and twiggy counts it
//! apart. Not part of `cargo xtask test`.

use crate::run;
use crate::setup::{ensure_cargo_tool, tools_dir, Tools};
use std::path::Path;

/// twiggy at a pinned version (0.8.0 builds on rustc 1.95).
const TWIGGY_VERSION: &str = "0.8.0";
/// Where the names-kept build and its wasm-bindgen output go.
const OUT_DIR: &str = "target/twiggy";

pub fn twiggy() -> Result<(), String> {
    let tools = Tools::setup()?;
    let root = tools_dir()?.join(format!("twiggy-{TWIGGY_VERSION}"));
    ensure_cargo_tool(
        &root,
        "twiggy",
        &["twiggy", "--version", TWIGGY_VERSION, "--locked"],
    )?;
    let twiggy_bin = root.join("bin/twiggy");

    let mut build = tools.command("cargo");
    build.args([
        "build",
        "--release",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "cubby",
        "--bin",
        "cubby",
    ]);
    run(&mut build)?;

    let mut bindgen = tools.command("wasm-bindgen");
    bindgen.args([
        "target/wasm32-unknown-unknown/release/cubby.wasm",
        "--target",
        "web",
        "--no-typescript",
        "--out-dir",
        OUT_DIR,
    ]);
    run(&mut bindgen)?;

    let input = Path::new(OUT_DIR).join("cubby_bg.wasm");
    let output = Path::new(OUT_DIR).join("cubby.wasm");
    let mut opt = tools.command("wasm-opt");
    opt.arg("-Os")
        .args(shipped_opt_params()?)
        .arg("--debuginfo")
        .arg(&input)
        .arg("-o")
        .arg(&output);
    run(&mut opt)?;

    for args in [
        &["top", "-n", "10"][..],
        &["dominators", "-d", "3", "-r", "14"][..],
        &["garbage", "-n", "10"][..],
    ] {
        println!("\n== twiggy {} ==", args.join(" "));
        run(std::process::Command::new(&twiggy_bin)
            .args(args)
            .arg(&output))?;
    }
    Ok(())
}

/// wasm-opt's parameters from `index.html` (`data-wasm-opt-params`), without the
/// ones that drop the names twiggy reports by.
fn shipped_opt_params() -> Result<Vec<String>, String> {
    let html = std::fs::read_to_string("index.html").map_err(|e| format!("index.html: {e}"))?;
    let attr = "data-wasm-opt-params=\"";
    let start = html
        .find(attr)
        .ok_or("index.html has no data-wasm-opt-params")?
        + attr.len();
    let end = html[start..]
        .find('"')
        .ok_or("index.html: data-wasm-opt-params is not closed")?;
    Ok(html[start..start + end]
        .split_whitespace()
        .filter(|p| !matches!(*p, "--strip-debug" | "--strip-producers"))
        .map(str::to_string)
        .collect())
}
