//! `cargo xtask bench`: builds the release app, measures it, prints one table and
//! writes `target/bench/results.json`. Not part of `cargo xtask test`.
//!
//! The bundle row is measured here (the files `dist/index.html` makes the first
//! load fetch, raw, `gzip -9` and `brotli -q 11`). Everything that needs the
//! browser or the emulator lives in `tests/bench.rs` (ignored tests, reusing
//! `tests/support`), which prints one `BENCH {json}` line per figure; this task runs
//! it natively and as wasm and collects those lines. Figures only, no assertions.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Map, Value};

use crate::setup::Tools;
use crate::{cargo, describe, project_root, trunk_build};

/// Brotli budget for the first load, in bytes.
const BUDGET_BROTLI: f64 = 150.0 * 1024.0;
/// Published first-load sizes (brotli) of the alternatives, for reference.
const REFERENCES: &str = "Amplify Storage Browser+React 266 KB; AWS SDK v3 S3+creds+lib-storage+presigner+oidc-client-ts 111 KB; aws-amplify Auth+Storage 40 KB";

pub fn bench(filters: &[String]) -> Result<(), String> {
    let tools = Tools::setup()?;
    trunk_build(&tools, true)?;
    let dist = project_root().join("dist");
    let mut rows: Vec<Value> = Vec::new();
    let mut problems: Vec<String> = Vec::new();

    match bundle_rows(&dist) {
        Ok(mut r) => rows.append(&mut r),
        Err(e) => problems.push(format!("bundle: {e}")),
    }

    let mut host = cargo(&tools);
    host.args([
        "test",
        "--release",
        "-p",
        "cubby",
        "--test",
        "bench",
        "--",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .args(filters)
    .env("CUBBY_DIST", &dist);
    collect(&mut host, &mut rows, &mut problems);

    if filters.is_empty() || filters.iter().any(|f| "signing".contains(f.as_str())) {
        let mut wasm = cargo(&tools);
        wasm.args([
            "test",
            "--release",
            "-p",
            "cubby",
            "--target",
            "wasm32-unknown-unknown",
            "--test",
            "bench",
            "--",
            "--nocapture",
        ]);
        collect(&mut wasm, &mut rows, &mut problems);
    }

    // Baselines measured in the same run.
    let native = rows
        .iter()
        .find(|r| r["id"] == "signing.native")
        .and_then(|r| r["value"].as_f64());
    for row in &mut rows {
        if row["id"] == "signing.wasm" {
            if let Some(native) = native {
                row["baseline"] = json!(native);
                row["baseline_label"] = json!("native, same code");
            }
        }
        if let (Some(v), Some(b)) = (row["value"].as_f64(), row["baseline"].as_f64()) {
            if b != 0.0 {
                row["ratio"] = json!(v / b);
            }
        }
    }

    print_table(&rows);
    for p in &problems {
        eprintln!("bench: {p}");
    }
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let out_dir = project_root().join("target/bench");
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let results = json!({
        "cores": cores,
        "rows": rows,
        "problems": problems,
        "references_brotli": REFERENCES,
    });
    let path = out_dir.join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&results).unwrap())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("results: {} ({cores} cores)", path.display());
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{} benchmark step(s) failed", problems.len()))
    }
}

/// Runs `cmd`, passing its stderr through, and adds the `BENCH` rows it printed
/// (also when it fails: a failed benchmark does not hide the others' figures).
fn collect(cmd: &mut Command, rows: &mut Vec<Value>, problems: &mut Vec<String>) {
    eprintln!("$ {}", describe(cmd));
    let out = match cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).output() {
        Ok(out) => out,
        Err(e) => {
            problems.push(format!("could not start `{}`: {e}", describe(cmd)));
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines() {
        match line.find("BENCH {") {
            Some(at) => match serde_json::from_str::<Value>(&line[at + 6..]) {
                Ok(row) => rows.push(row),
                Err(e) => eprintln!("bench: unreadable line ({e}): {line}"),
            },
            None => eprintln!("{line}"),
        }
    }
    if !out.status.success() {
        problems.push(format!("`{}` failed ({})", describe(cmd), out.status));
    }
}

/// The files the first page load fetches: index.html and what it references
/// (stylesheets, scripts, and the JS and wasm that boot.js loads).
fn first_load_files(dist: &Path) -> Result<Vec<PathBuf>, String> {
    let html = std::fs::read_to_string(dist.join("index.html"))
        .map_err(|e| format!("no dist/index.html ({e})"))?;
    let mut files = vec![dist.join("index.html")];
    for attr in ["href=\"", "src=\"", "data-js=\"", "data-wasm=\""] {
        for (at, _) in html.match_indices(attr) {
            // `href="` also matches inside `data-href="`; fine, the file is the same.
            let rest = &html[at + attr.len()..];
            let Some(end) = rest.find('"') else { continue };
            let url = &rest[..end];
            if url.contains("://") || url.starts_with("data:") || url.is_empty() {
                continue;
            }
            let path = dist.join(url.trim_start_matches('/'));
            if path.is_file() && !files.contains(&path) {
                files.push(path);
            }
        }
    }
    Ok(files)
}

fn compressed_len(program: &str, args: &[&str], file: &Path) -> Result<u64, String> {
    let out = Command::new(program)
        .args(args)
        .arg(file)
        .output()
        .map_err(|e| format!("cannot run {program} ({e}); on Debian: apt-get install {program}"))?;
    if !out.status.success() {
        return Err(format!("{program} failed on {}", file.display()));
    }
    Ok(out.stdout.len() as u64)
}

fn bundle_rows(dist: &Path) -> Result<Vec<Value>, String> {
    let files = first_load_files(dist)?;
    let (mut raw, mut gz, mut br) = (0u64, 0u64, 0u64);
    let mut per_file = Map::new();
    for file in &files {
        let r = std::fs::metadata(file).map_err(|e| e.to_string())?.len();
        let g = compressed_len("gzip", &["-9", "-c"], file)?;
        let b = compressed_len("brotli", &["-q", "11", "-c"], file)?;
        raw += r;
        gz += g;
        br += b;
        let name = file
            .strip_prefix(dist)
            .unwrap_or(file)
            .display()
            .to_string();
        per_file.insert(name, json!({ "raw": r, "gzip": g, "brotli": b }));
    }
    let files = Value::Object(per_file);
    Ok(vec![
        json!({"id": "bundle.raw", "label": "Bundle: first load, raw", "value": raw, "unit": "B", "files": files}),
        json!({"id": "bundle.gzip", "label": "Bundle: first load, gzip -9", "value": gz, "unit": "B"}),
        json!({"id": "bundle.brotli", "label": "Bundle: first load, brotli -q 11", "value": br, "unit": "B",
               "baseline": BUDGET_BROTLI, "baseline_label": "budget 150 KB", "references": REFERENCES}),
    ])
}

fn human(value: f64, unit: &str) -> String {
    match unit {
        "B" if value >= 1024.0 * 1024.0 => format!("{:.1} MiB", value / 1024.0 / 1024.0),
        "B" => format!("{:.1} KiB", value / 1024.0),
        "ms" => format!("{value:.0} ms"),
        _ if value.fract() == 0.0 => format!("{value:.0} {unit}"),
        _ => format!("{value:.0} {unit}"),
    }
}

fn print_table(rows: &[Value]) {
    println!(
        "\n{:<72} {:>14} {:>14} {:>7}  baseline",
        "figure", "value", "baseline", "ratio"
    );
    println!("{}", "-".repeat(120));
    for row in rows {
        let unit = row["unit"].as_str().unwrap_or("");
        let value = row["value"]
            .as_f64()
            .map(|v| human(v, unit))
            .unwrap_or_default();
        let baseline = row["baseline"]
            .as_f64()
            .map(|v| human(v, unit))
            .unwrap_or_default();
        let ratio = row["ratio"]
            .as_f64()
            .map(|r| format!("{r:.2}"))
            .unwrap_or_default();
        println!(
            "{:<72} {:>14} {:>14} {:>7}  {}",
            row["label"].as_str().unwrap_or(""),
            value,
            baseline,
            ratio,
            row["baseline_label"].as_str().unwrap_or("")
        );
    }
    println!("brotli references: {REFERENCES}");
}
