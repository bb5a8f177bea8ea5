//! `cargo deny` (deny.toml): the supply-chain checks of `cargo xtask test`, and the
//! tool itself, installed by `cargo xtask setup` into the tools cache.
//!
//! Licences, banned and duplicate crates and sources need nothing but Cargo.lock
//! and the crates cargo has already fetched. Advisories need the RustSec database,
//! which cargo-deny fetches from GitHub: CI has no GitHub, so that check runs only
//! when a copy of the database is already on the machine (README, "Checking the
//! dependencies").

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::setup::{ensure_cargo_tool, Tools};

/// Pinned: 0.20.2 builds on rustc 1.95 (it needs 1.88) and installs `--locked`.
const CARGO_DENY_VERSION: &str = "0.20.2";

/// Installs cargo-deny into `cache` when missing; returns its root (`<root>/bin`).
pub fn ensure_cargo_deny(cache: &Path) -> Result<PathBuf, String> {
    let root = cache.join(format!("cargo-deny-{CARGO_DENY_VERSION}"));
    ensure_cargo_tool(
        &root,
        "cargo-deny",
        &["cargo-deny", "--version", CARGO_DENY_VERSION, "--locked"],
    )?;
    Ok(root)
}

/// Where cargo-deny keeps the advisory database by default.
fn advisory_db_dir() -> Option<PathBuf> {
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    Some(cargo_home.join("advisory-dbs"))
}

/// The steps for `cargo xtask test`: licences, bans and sources always; advisories
/// against the local database (never fetched) when there is one.
pub fn steps(tools: &Tools) -> Vec<(&'static str, Command)> {
    let mut checks = tools.command("cargo-deny");
    checks.args([
        "--locked",
        "--workspace",
        "check",
        "licenses",
        "bans",
        "sources",
    ]);
    let mut steps = vec![("cargo deny (licences, bans, sources)", checks)];
    // A database is there when a checkout of it is: a fetch that failed leaves only
    // the folder and its lock file, and `--frozen` then fails for want of the
    // checkout, which is no finding about the crates.
    let has_database = |dir: &PathBuf| {
        std::fs::read_dir(dir).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.path().join(".git").exists() || e.path().join("crates").is_dir())
        })
    };
    match advisory_db_dir().filter(has_database) {
        Some(_) => {
            let mut advisories = tools.command("cargo-deny");
            // `--frozen`: locked and offline, so the database is never fetched.
            advisories.args(["--frozen", "--workspace", "check", "advisories"]);
            steps.push(("cargo deny (advisories, local database)", advisories));
        }
        None => eprintln!(
            "xtask test: no advisory database on this machine; `cargo deny check advisories` \
             is skipped (see README, \"Checking the dependencies\")"
        ),
    }
    steps
}
