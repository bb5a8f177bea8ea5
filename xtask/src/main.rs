//! Project tasks: `cargo xtask setup | dev | test | tidy | dist | bench | twiggy`.
//!
//! Every task that needs tools runs `setup` first. Tools are installed at pinned
//! versions into a per-user cache outside the clone (`$CUBBY_TOOLS_DIR`, default
//! `~/.cache/cubby/tools`), so fresh clones on the same machine reuse them.

mod bench;
mod deny;
mod setup;
mod tidy;
mod twiggy;

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use setup::Tools;

const USAGE: &str = "\
usage: cargo xtask <task>

  setup   install the pinned tools into the per-user cache (idempotent)
  dev     run the local emulator and the app at http://127.0.0.1:8080, rebuilding on change
  test    formatting, tidy, clippy (host and wasm), release build, host tests, browser tests
  tidy    the architecture's checks: layering, a core without web crates, file sizes
          (at most 500 lines before a file's tests), ARCHITECTURE.md's code map
  dist    build the release app into dist/, ready to upload
  bench   release build, then measure (bundle, start, sign-in, upload and download
          against a native client, memory, huge folder, signing, checksums); prints a table,
          writes target/bench/results.json. Optional test-name filters (first_load,
          start_with_a_session, sign_in_path, transfers, huge_folder,
          search_keystroke, bulk_delete, signing, checksum, and `peers` or one of peers_first_visit, peers_transfers,
          peers_listing: Cubby beside the AWS SDK v3 and Amplify pages of
          bench/peers, built first; see README);
          CUBBY_BENCH_UPLOAD_MIB (default 256,1024; 256 skips the 1 GiB rows),
          CUBBY_BENCH_OBJECTS (100000), CUBBY_BENCH_DELETE (5000);
          CUBBY_BENCH_PROFILE=1 saves the page's CPU profile of each upload
          (target/bench/upload-<MiB>.cpuprofile, for Chrome DevTools)
  twiggy  the wasm's ten largest items, its dominators and garbage (twiggy on the
          release build with its names kept); not part of test
";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let root = project_root();
    env::set_current_dir(&root).expect("cannot enter the project root");
    let result = match args.first().map(String::as_str) {
        Some("setup") => Tools::setup().map(|_| ()),
        Some("dev") => dev(&args[1..]),
        Some("test") => test(),
        Some("dist") => dist(),
        Some("bench") => bench::bench(&args[1..]),
        Some("tidy") => tidy::tidy(&root),
        Some("twiggy") => twiggy::twiggy(),
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the project root")
        .to_path_buf()
}

/// Runs a command to completion, echoing it first; `Err` names it on failure.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    eprintln!("$ {}", describe(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("could not start `{}`: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

pub fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|s| s.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn cargo(tools: &Tools) -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    tools.apply(&mut cmd);
    cmd
}

fn trunk_build(tools: &Tools, release: bool) -> Result<(), String> {
    let mut cmd = tools.command("trunk");
    cmd.arg("build");
    if release {
        cmd.arg("--release");
    }
    run(&mut cmd)
}

fn dist() -> Result<(), String> {
    let tools = Tools::setup()?;
    trunk_build(&tools, true)?;
    eprintln!("dist/ is ready. Add a config.json for your deployment next to index.html (see README, \"Deploy to AWS\").");
    Ok(())
}

fn dev(extra: &[String]) -> Result<(), String> {
    let tools = Tools::setup()?;
    trunk_build(&tools, false)?;
    run(cargo(&tools).args(["build", "--quiet", "-p", "cubby-emulator"]))?;
    // Trunk rebuilds dist/ on every change under src/, style/ and index.html; the
    // emulator serves dist/ as the app's origin together with a generated config.json.
    let mut watch = tools.command("trunk");
    watch.args([
        "watch",
        "--watch",
        "src",
        "--watch",
        "style",
        "--watch",
        "index.html",
    ]);
    eprintln!("$ {}", describe(&watch));
    let mut watcher = watch
        .spawn()
        .map_err(|e| format!("could not start trunk watch: {e}"))?;
    let mut emulator = Command::new("target/debug/cubby-emulator");
    emulator.args(["--dev", "--app-dir", "dist"]).args(extra);
    let result = run(&mut emulator);
    let _ = watcher.kill();
    result
}

/// The engines besides Chromium that the core end-to-end tests run in; their tests
/// end in `_in_<engine>`.
const OTHER_ENGINES: [&str; 2] = ["firefox", "webkit"];
/// The test targets holding those tests.
const E2E_TARGETS: [&str; 3] = ["e2e_app", "e2e_transfers", "e2e_zip"];

/// One step of `cargo xtask test`.
struct Step {
    name: &'static str,
    /// Run in order; a failure does not stop the later ones (`--no-fail-fast`
    /// across commands), and fails the step.
    commands: Vec<Command>,
    /// Started once the first command succeeded and waited for after the last:
    /// tests that mostly wait on timers run beside the others instead of after
    /// them. Its output goes to a log file, printed when it ends.
    beside: Option<(Command, PathBuf)>,
}

impl Step {
    fn new(name: &'static str, command: Command) -> Step {
        Step {
            name,
            commands: vec![command],
            beside: None,
        }
    }

    fn run(&mut self) -> Result<(), String> {
        let mut errors = Vec::new();
        let mut beside = None;
        for (i, command) in self.commands.iter_mut().enumerate() {
            if let Err(e) = run(command) {
                errors.push(e);
                if i == 0 {
                    break;
                }
            }
            if i == 0 {
                if let Some((command, log)) = &mut self.beside {
                    beside = Some(start_beside(command, log)?);
                }
            }
        }
        if let Some((mut child, described, log)) = beside {
            let status = child
                .wait()
                .map_err(|e| format!("`{described}` could not be waited for: {e}"))?;
            eprintln!("\n$ {described} (beside the above; its output:)");
            eprint!("{}", std::fs::read_to_string(&log).unwrap_or_default());
            if !status.success() {
                errors.push(format!("`{described}` failed ({status})"));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}

/// Starts `command` with its output into `log`.
fn start_beside(
    command: &mut Command,
    log: &Path,
) -> Result<(std::process::Child, String, PathBuf), String> {
    let described = describe(command);
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let out =
        std::fs::File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    eprintln!("$ {described} (beside; output in {})", log.display());
    let child = command
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("could not start `{described}`: {e}"))?;
    Ok((child, described, log.to_path_buf()))
}

fn test() -> Result<(), String> {
    let started = Instant::now();
    let tools = Tools::setup()?;
    let wasm = "wasm32-unknown-unknown";

    let mut steps = Vec::new();
    let mut add = |step: Step| steps.push(step);

    let mut fmt = cargo(&tools);
    fmt.args(["fmt", "--all", "--", "--check"]);
    add(Step::new("format", fmt));

    let mut tidy = cargo(&tools);
    tidy.args(["xtask", "tidy"]);
    add(Step::new("tidy", tidy));

    let mut clippy_host = cargo(&tools);
    clippy_host.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    add(Step::new("clippy (host)", clippy_host));

    let mut clippy_wasm = cargo(&tools);
    clippy_wasm.args([
        "clippy",
        "-p",
        "cubby",
        "-p",
        "cubby-core",
        "--target",
        wasm,
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    add(Step::new("clippy (wasm)", clippy_wasm));

    let mut lint_template = tools.command("cfn-lint");
    lint_template.arg("deploy/cubby.yaml");
    add(Step::new("cfn-lint deploy/cubby.yaml", lint_template));

    for (name, command) in deny::steps(&tools) {
        add(Step::new(name, command));
    }

    // The release build comes before the tests: the end-to-end tests serve dist/.
    let mut build = tools.command("trunk");
    build.args(["build", "--release"]);
    add(Step::new("release build", build));

    // Host tests. `e2e_sessions` waits out token lifetimes (minutes of timers, little
    // CPU): once everything is built it runs beside the others, all its tests at once.
    let skip_engines = |cmd: &mut Command| {
        for engine in OTHER_ENGINES {
            cmd.args(["--skip", &format!("_in_{engine}")]);
        }
        cmd.env("CUBBY_DIST", project_root().join("dist"));
    };
    let mut build_tests = cargo(&tools);
    build_tests.args(["test", "--workspace", "--no-run"]);
    // Every command names the whole workspace, so all resolve the same features and
    // reuse what `build_tests` built.
    let mut others = cargo(&tools);
    others.args(["test", "--workspace", "--no-fail-fast", "--lib", "--bins"]);
    for target in host_test_targets()? {
        if target != TIMER_TESTS {
            others.args(["--test", &target]);
        }
    }
    others.arg("--");
    skip_engines(&mut others);
    let mut doc = cargo(&tools);
    doc.args(["test", "--workspace", "--doc"]);
    let mut timers = cargo(&tools);
    timers.args([
        "test",
        "--workspace",
        "--test",
        TIMER_TESTS,
        "--",
        "--test-threads=16",
    ]);
    skip_engines(&mut timers);
    add(Step {
        name: "host tests (end-to-end in Chromium)",
        commands: vec![build_tests, others, doc],
        beside: Some((timers, project_root().join("target/xtask/e2e_sessions.log"))),
    });

    // The end-to-end tests in Firefox ESR and WebKit (`*_in_firefox`, `*_in_webkit`)
    // run as steps of their own, so each engine's cost shows in the summary.
    for (engine, name) in OTHER_ENGINES.iter().zip([
        "end-to-end tests (Firefox ESR)",
        "end-to-end tests (WebKit, on Xvfb)",
    ]) {
        let mut e2e = cargo(&tools);
        e2e.args(["test", "-p", "cubby"]);
        for target in E2E_TARGETS {
            e2e.args(["--test", target]);
        }
        // WebKit needs a display: the test harness starts Xvfb when there is none.
        e2e.args(["--", &format!("_in_{engine}")]);
        e2e.env("CUBBY_DIST", project_root().join("dist"));
        add(Step::new(name, e2e));
    }

    let mut browser = cargo(&tools);
    browser.args(["test", "-p", "cubby", "--target", wasm]);
    for test in wasm_test_targets()? {
        browser.args(["--test", &test]);
    }
    add(Step::new(
        "browser tests (wasm, headless Chromium)",
        browser,
    ));

    let mut failed = Vec::new();
    let total = steps.len();
    for mut step in steps {
        eprintln!("\n== {}", step.name);
        let t = Instant::now();
        match step.run() {
            Ok(()) => eprintln!("== {}: ok in {:.1}s", step.name, t.elapsed().as_secs_f64()),
            Err(e) => {
                eprintln!("== {}: FAILED: {e}", step.name);
                failed.push(step.name);
            }
        }
    }
    let passed = total - failed.len();
    println!(
        "\nxtask test: {passed} passed, {} failed in {:.0}s{}",
        failed.len(),
        started.elapsed().as_secs_f64(),
        if failed.is_empty() {
            String::new()
        } else {
            format!(" (failed: {})", failed.join(", "))
        }
    );
    if failed.is_empty() {
        Ok(())
    } else {
        Err("some steps failed".into())
    }
}

/// The test target whose tests wait on timers (token lifetimes) and run beside the rest.
const TIMER_TESTS: &str = "e2e_sessions";

/// The workspace's host test targets: `tests/*.rs` (but the browser ones,
/// `wasm_*`) and `tests/*/main.rs` of every member.
fn host_test_targets() -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for dir in ["tests", "core/tests", "emulator/tests", "xtask/tests"] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries {
            let entry = entry.map_err(|e| e.to_string())?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(stem) = name.strip_suffix(".rs") {
                if !stem.starts_with("wasm_") {
                    names.push(stem.to_string());
                }
            } else if entry.path().join("main.rs").is_file() {
                names.push(name);
            }
        }
    }
    if !names.iter().any(|n| n == TIMER_TESTS) {
        return Err(format!(
            "tests/{TIMER_TESTS}.rs is missing (xtask runs it beside the others)"
        ));
    }
    names.sort();
    Ok(names)
}

/// The browser test targets: `tests/wasm_*.rs`.
fn wasm_test_targets() -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir("tests").map_err(|e| format!("cannot read tests/: {e}"))? {
        let name = entry.map_err(|e| e.to_string())?.file_name();
        let name = name.to_string_lossy();
        if let Some(stem) = name
            .strip_prefix("wasm_")
            .and_then(|n| n.strip_suffix(".rs"))
        {
            names.push(format!("wasm_{stem}"));
        }
    }
    if names.is_empty() {
        return Err("no browser tests found (tests/wasm_*.rs)".into());
    }
    names.sort();
    Ok(names)
}
