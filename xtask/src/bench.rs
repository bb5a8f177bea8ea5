//! `cargo xtask bench`: builds the release app into a folder of its own, measures
//! it, prints one table and writes `target/bench/results.json`. Not part of
//! `cargo xtask test`.
//!
//! The measuring lives in `tests/bench.rs` (ignored tests reusing `tests/support`:
//! the emulator in-process, headless Chromium), which prints one `BENCH {json}`
//! line per figure; this task runs it natively and as wasm, collects the lines,
//! adds the baselines measured in the same run and the ratios, and checks the
//! budgets. Figures only: nothing here fails on a slow machine.

use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::setup::Tools;
use crate::{cargo, describe, project_root, run};

/// Published first-load sizes (brotli) of the alternatives, for reference.
const REFERENCES: &str = "Amplify Storage Browser+React 266 KB; AWS SDK v3 S3+creds+lib-storage+presigner+oidc-client-ts 111 KB; aws-amplify Auth+Storage 40 KB";

/// The order of the table: rows whose id starts with one of these, in this order.
const SECTIONS: &[&str] = &[
    "bundle", "start", "signin", "upload", "download", "memory", "huge", "signing", "checksum",
    "peers",
];

/// The tests that measure the peers (bench/peers/); a filter that selects any
/// of them (e.g. `peers`) builds the peers' pages first.
const PEER_TESTS: &[&str] = &["peers_first_visit", "peers_transfers", "peers_listing"];

pub fn bench(filters: &[String]) -> Result<(), String> {
    let tools = Tools::setup()?;
    ensure_compressors()?;
    // A build folder of its own: `dist/` is rebuilt by every `cargo xtask test`
    // and `trunk build`, and measuring files while another build rewrites them
    // gives nonsense (a half-written wasm once read as 148 KB brotli).
    let dist = project_root().join("target/bench/dist");
    let mut build = tools.command("trunk");
    build.args(["build", "--release", "--dist"]).arg(&dist);
    run(&mut build)?;

    let mut rows: Vec<Value> = Vec::new();
    let mut problems: Vec<String> = Vec::new();

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
    if filters.is_empty()
        || filters
            .iter()
            .any(|f| PEER_TESTS.iter().any(|name| name.contains(f.as_str())))
    {
        peers(&mut host, &mut problems);
    }
    collect(&mut host, &mut rows, &mut problems);

    // The wasm side of the signing and checksum rows (every wasm bench at once).
    let wasm_rows = ["signing", "checksum"];
    if filters.is_empty()
        || filters
            .iter()
            .any(|f| wasm_rows.iter().any(|name| name.contains(f.as_str())))
    {
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

    add_baselines(&mut rows);
    rows.sort_by_key(|r| {
        let id = r["id"].as_str().unwrap_or("");
        SECTIONS
            .iter()
            .position(|s| id.starts_with(s))
            .unwrap_or(SECTIONS.len())
    });
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
        "dist": dist,
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

/// Builds the peers' pages and hands them and Lighthouse to the benchmarks; a
/// failure is one problem more, and the peers' rows are then missing.
fn peers(cmd: &mut Command, problems: &mut Vec<String>) {
    match crate::setup::bench_peers(&project_root().join("target/bench/peers")) {
        Ok(peers) => {
            cmd.env("CUBBY_BENCH_PEERS", &peers.dist)
                .env("CUBBY_LIGHTHOUSE", &peers.lighthouse);
        }
        Err(e) => problems.push(format!("the peers could not be built: {e}")),
    }
}

/// The bundle figures compress with the reference tools, `gzip -9` and
/// `brotli -q 11`; Debian has gzip, brotli is a small package.
fn ensure_compressors() -> Result<(), String> {
    let present = |program: &str| {
        Command::new(program)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    if present("gzip") && present("brotli") {
        return Ok(());
    }
    let hint = "Install them by hand: sudo apt-get install -y gzip brotli";
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if !is_root {
        return Err(format!("gzip and brotli are needed. {hint}"));
    }
    eprintln!("bench: installing gzip and brotli from Debian (apt-get)");
    run(Command::new("apt-get")
        .arg("update")
        .env("DEBIAN_FRONTEND", "noninteractive"))
    .and_then(|_| {
        run(Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", "gzip", "brotli"])
            .env("DEBIAN_FRONTEND", "noninteractive"))
    })
    .map_err(|e| format!("{e}\n  {hint}"))
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

/// Baselines that come from another row of the same run, then every ratio
/// (value / baseline) and the budget verdicts.
fn add_baselines(rows: &mut [Value]) {
    // A wasm figure and the native one it is compared with.
    let pairs = [
        ("signing.wasm", "signing.native", "native, same code"),
        (
            "checksum.wasm",
            "checksum.native",
            "native, crc32fast (CPU CRC instructions)",
        ),
    ];
    let value_of = |rows: &[Value], id: &str| {
        rows.iter()
            .find(|r| r["id"] == id)
            .and_then(|r| r["value"].as_f64())
    };
    let baselines: Vec<_> = pairs
        .iter()
        .map(|(wasm, native, label)| (*wasm, value_of(rows, native), *label))
        .collect();
    for row in rows.iter_mut() {
        for (wasm, native, label) in &baselines {
            if let (true, Some(native)) = (row["id"] == *wasm, native) {
                row["baseline"] = json!(native);
                row["baseline_label"] = json!(label);
            }
        }
        let value = row["value"].as_f64();
        if let (Some(v), Some(b)) = (value, row["baseline"].as_f64()) {
            if b != 0.0 {
                row["ratio"] = json!(v / b);
            }
        }
        // `budget`: the most the value may be; `budget_ratio`: the least the
        // ratio to the baseline may be.
        let verdict = match (
            value,
            row["budget"].as_f64(),
            row["budget_ratio"].as_f64(),
            row["ratio"].as_f64(),
        ) {
            (Some(v), Some(most), _, _) => Some(v <= most),
            (_, _, Some(least), Some(r)) => Some(r >= least),
            _ => None,
        };
        if let Some(ok) = verdict {
            row["within_budget"] = json!(ok);
        }
    }
}

fn human(value: f64, unit: &str) -> String {
    match unit {
        "B" if value.abs() >= 1024.0 * 1024.0 => format!("{:.1} MiB", value / 1024.0 / 1024.0),
        "B" => format!("{:.1} KiB", value / 1024.0),
        "ms" => format!("{value:.0} ms"),
        "MiB/s" => format!("{value:.0} MiB/s"),
        _ if value.fract() == 0.0 || value.abs() >= 100.0 => format!("{value:.0} {unit}"),
        _ => format!("{value:.2} {unit}"),
    }
}

fn budget_text(row: &Value) -> String {
    let label = row["budget_label"]
        .as_str()
        .map(str::to_string)
        .or_else(|| {
            row["budget_ratio"]
                .as_f64()
                .map(|r| format!("ratio ≥ {r:.2}"))
        })
        .unwrap_or_default();
    match row["within_budget"].as_bool() {
        Some(true) => format!("ok ({label})"),
        Some(false) => format!("MISSED ({label})"),
        None => String::new(),
    }
}

fn print_table(rows: &[Value]) {
    println!(
        "\n{:<70} {:>12} {:>12} {:>6}  {:<28} baseline",
        "figure", "value", "baseline", "ratio", "budget"
    );
    println!("{}", "-".repeat(150));
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
            "{:<70} {:>12} {:>12} {:>6}  {:<28} {}",
            row["label"].as_str().unwrap_or(""),
            value,
            baseline,
            ratio,
            budget_text(row),
            row["baseline_label"].as_str().unwrap_or("")
        );
        print_details(row);
    }
    println!("brotli references: {REFERENCES}");
}

/// The per-file breakdown of the bundle and the chains of round trips.
fn print_details(row: &Value) {
    if let Some(files) = row["files"].as_object() {
        for (name, sizes) in files {
            println!(
                "    {:<48} raw {:>9}  gzip {:>9}  brotli {:>9}  (HTTP {})",
                name, sizes["raw"], sizes["gzip"], sizes["brotli"], sizes["status"]
            );
        }
    }
    if let Some(why) = row["why_not"].as_str() {
        println!("    not measured: {why}");
    }
    if let Some(chain) = row["chain"].as_array() {
        for (i, hop) in chain.iter().enumerate() {
            println!("    {:>2}. {}", i + 1, hop.as_str().unwrap_or(""));
        }
    }
}
