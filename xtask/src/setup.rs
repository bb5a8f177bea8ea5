//! `cargo xtask setup`: every tool the project needs, at a pinned version, in a
//! per-user cache outside the clone. A second run with everything present only
//! checks that files exist, so it takes well under a second.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::run;

const TRUNK_VERSION: &str = "0.21.14";
/// npm's `binaryen` package ships `wasm-opt`; Debian's is too old for current Rust output.
const BINARYEN_VERSION: &str = "132";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const FIREFOX: &str = "/usr/bin/firefox-esr";
/// Built from source: no prebuilt geckodriver can be downloaded here (see shared/toolchain.md).
const GECKODRIVER_VERSION: &str = "0.37.1";
const WEBKIT_WEBDRIVER: &str = "/usr/bin/WebKitWebDriver";
const MINIBROWSER: &str = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
const XVFB: &str = "/usr/bin/Xvfb";
/// The Debian packages the end-to-end tests drive, and a file each one installs.
/// Debian keeps one version of each in its archive (security updates replace it),
/// so these are pinned by the Debian release, not by version.
const BROWSER_PACKAGES: &[(&str, &str)] = &[
    ("chromium", CHROMIUM),
    ("chromium-driver", CHROMEDRIVER),
    ("firefox-esr", FIREFOX),
    ("webkit2gtk-driver", WEBKIT_WEBDRIVER),
    // MiniBrowser comes with WebKitGTK itself, a dependency of the driver.
    ("libwebkit2gtk-4.1-0", MINIBROWSER),
    ("xvfb", XVFB),
];
/// Pinned in deploy/requirements.txt too (the file pip installs from).
const CFN_LINT_VERSION: &str = "1.58.0";
/// The accessibility checker the end-to-end tests inject into the page. Pinned in
/// tests/axe/package.json and its package-lock.json too (the files npm installs from).
const AXE_CORE_VERSION: &str = "4.14.1";
/// Where axe-core's package files live in the repository.
const AXE_PACKAGE_DIR: &str = "tests/axe";

pub struct Tools {
    /// Folders put first on PATH for every child process.
    bin_dirs: Vec<PathBuf>,
    geckodriver: PathBuf,
    /// axe-core's browser bundle (`axe.min.js`).
    axe_core: PathBuf,
}

impl Tools {
    /// Installs what is missing and returns the tool paths.
    pub fn setup() -> Result<Tools, String> {
        let started = Instant::now();
        let cache = tools_dir()?;
        std::fs::create_dir_all(&cache)
            .map_err(|e| format!("cannot create the tools cache {}: {e}", cache.display()))?;
        eprintln!("setup: tools cache {}", cache.display());

        ensure_wasm_target()?;

        // The cargo-built tools take most of a new machine's set-up and are
        // CPU-bound; the Debian, npm and PyPI ones mostly wait on downloads and
        // the disk. They install side by side.
        let (cargo_tools, other_tools) = std::thread::scope(|scope| {
            let others = scope.spawn(|| -> Result<_, String> {
                let binaryen_root = cache.join(format!("binaryen-{BINARYEN_VERSION}"));
                ensure_binaryen(&binaryen_root)?;
                ensure_browsers()?;
                let cfn_lint_root = cache.join(format!("cfn-lint-{CFN_LINT_VERSION}"));
                ensure_cfn_lint(&cfn_lint_root)?;
                let axe_root = cache.join(format!("axe-core-{AXE_CORE_VERSION}"));
                let axe_core = ensure_axe_core(&axe_root)?;
                Ok((binaryen_root, cfn_lint_root, axe_core))
            });
            let cargo_tools = install_cargo_tools(&cache);
            let other_tools = others
                .join()
                .unwrap_or_else(|_| Err("the npm/Debian/PyPI set-up thread panicked".into()));
            (cargo_tools, other_tools)
        });
        let (bindgen_root, trunk_root, geckodriver_root, deny_root) = cargo_tools?;
        let (binaryen_root, cfn_lint_root, axe_core) = other_tools?;

        eprintln!(
            "setup: all tools present ({:.1}s)",
            started.elapsed().as_secs_f64()
        );
        Ok(Tools {
            bin_dirs: vec![
                bindgen_root.join("bin"),
                trunk_root.join("bin"),
                binaryen_root.join("node_modules/.bin"),
                cfn_lint_root.join("bin"),
                deny_root.join("bin"),
            ],
            geckodriver: geckodriver_root.join("bin/geckodriver"),
            axe_core,
        })
    }

    /// Puts the pinned tools first on PATH, points the wasm test runner at
    /// ChromeDriver and the end-to-end tests at every engine's browser and driver.
    pub fn apply(&self, cmd: &mut Command) {
        let mut paths = self.bin_dirs.clone();
        if let Some(path) = env::var_os("PATH") {
            paths.extend(env::split_paths(&path));
        }
        cmd.env(
            "PATH",
            env::join_paths(paths).expect("tool paths contain no separator"),
        );
        cmd.env("CHROMEDRIVER", CHROMEDRIVER);
        cmd.env("CUBBY_CHROMIUM", CHROMIUM);
        cmd.env("CUBBY_CHROMEDRIVER", CHROMEDRIVER);
        cmd.env("CUBBY_FIREFOX", FIREFOX);
        cmd.env("CUBBY_GECKODRIVER", &self.geckodriver);
        cmd.env("CUBBY_WEBKITWEBDRIVER", WEBKIT_WEBDRIVER);
        cmd.env("CUBBY_MINIBROWSER", MINIBROWSER);
        cmd.env("CUBBY_AXE_CORE", &self.axe_core);
        // The test runner starts ChromeDriver with the flags in webdriver.json.
        cmd.env("WASM_BINDGEN_TEST_TIMEOUT", "120");
    }

    /// A command for one of the cached tools (found through PATH).
    pub fn command(&self, program: &str) -> Command {
        let found = self
            .bin_dirs
            .iter()
            .map(|d| d.join(program))
            .find(|p| p.exists());
        let mut cmd = Command::new(found.unwrap_or_else(|| PathBuf::from(program)));
        self.apply(&mut cmd);
        cmd
    }
}

/// The tools built with `cargo install` (wasm-bindgen, trunk, geckodriver,
/// cargo-deny), one after another: each already uses every core. Returns their
/// install roots.
fn install_cargo_tools(cache: &Path) -> Result<(PathBuf, PathBuf, PathBuf, PathBuf), String> {
    let bindgen_version = locked_version("wasm-bindgen")?;
    let bindgen_root = cache.join(format!("wasm-bindgen-{bindgen_version}"));
    // Not `--locked`: wasm-bindgen-cli 0.2.130's own lock file pins webpki-roots
    // 1.0.11 (through ureq 3.5.0), which this machine's registry mirror does not
    // have (its newest is 1.0.10), so `cargo install --locked` fails to resolve
    // ("failed to select a version for the requirement `webpki-roots = ^1.0.10`
    // (locked to 1.0.11)"; tried 2026-11-30). Without it cargo resolves the
    // newest compatible versions; try `--locked` again with the next version.
    ensure_cargo_tool(
        &bindgen_root,
        "wasm-bindgen",
        &["wasm-bindgen-cli", "--version", &bindgen_version],
    )?;

    let trunk_root = cache.join(format!("trunk-{TRUNK_VERSION}"));
    // `--locked`: without it `lightningcss` fails to compile (see shared/toolchain.md).
    ensure_cargo_tool(
        &trunk_root,
        "trunk",
        &[&format!("trunk@{TRUNK_VERSION}"), "--locked"],
    )?;

    let geckodriver_root = cache.join(format!("geckodriver-{GECKODRIVER_VERSION}"));
    ensure_cargo_tool(
        &geckodriver_root,
        "geckodriver",
        &["geckodriver", "--version", GECKODRIVER_VERSION],
    )?;

    let deny_root = crate::deny::ensure_cargo_deny(cache)?;
    Ok((bindgen_root, trunk_root, geckodriver_root, deny_root))
}

pub(crate) fn tools_dir() -> Result<PathBuf, String> {
    if let Some(dir) = env::var_os("CUBBY_TOOLS_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let cache = match env::var_os("XDG_CACHE_HOME") {
        Some(dir) => PathBuf::from(dir),
        None => {
            PathBuf::from(env::var_os("HOME").ok_or("neither CUBBY_TOOLS_DIR nor HOME is set")?)
                .join(".cache")
        }
    };
    Ok(cache.join("cubby").join("tools"))
}

fn ensure_wasm_target() -> Result<(), String> {
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if Path::new(&sysroot)
        .join("lib/rustlib")
        .join(WASM_TARGET)
        .exists()
    {
        return Ok(());
    }
    eprintln!("setup: installing the {WASM_TARGET} target with rustup");
    run(Command::new("rustup").args(["target", "add", WASM_TARGET])).map_err(|e| {
        format!("{e}\n  Install it by hand: rustup target add {WASM_TARGET} (see shared/toolchain.md for a fallback)")
    })
}

/// The version of `crate_name` in Cargo.lock: wasm-bindgen's CLI must match it exactly.
fn locked_version(crate_name: &str) -> Result<String, String> {
    let lock = std::fs::read_to_string("Cargo.lock").map_err(|e| {
        format!("cannot read Cargo.lock ({e}); it is committed, so this clone is incomplete")
    })?;
    let needle = format!("name = \"{crate_name}\"\nversion = \"");
    let start = lock
        .find(&needle)
        .ok_or(format!("{crate_name} is not in Cargo.lock"))?
        + needle.len();
    let end = lock[start..].find('"').ok_or("Cargo.lock is malformed")?;
    Ok(lock[start..start + end].to_string())
}

pub(crate) fn ensure_cargo_tool(
    root: &Path,
    binary: &str,
    install_args: &[&str],
) -> Result<(), String> {
    if root.join("bin").join(binary).exists() {
        return Ok(());
    }
    eprintln!(
        "setup: installing {} into {} (a few minutes, once per machine)",
        install_args.join(" "),
        root.display()
    );
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.arg("install")
        .args(install_args)
        .arg("--root")
        .arg(root);
    run(&mut cmd).map_err(|e| {
        format!(
            "{e}\n  Install it by hand: cargo install {} --root {}",
            install_args.join(" "),
            root.display()
        )
    })
}

fn ensure_binaryen(root: &Path) -> Result<(), String> {
    if root.join("node_modules/.bin/wasm-opt").exists() {
        return Ok(());
    }
    eprintln!(
        "setup: installing wasm-opt (npm binaryen@{BINARYEN_VERSION}) into {}",
        root.display()
    );
    std::fs::create_dir_all(root).map_err(|e| e.to_string())?;
    // `--ignore-scripts`: binaryen needs no install script (wasm-opt is JavaScript
    // and WebAssembly, run by node), so none runs.
    run(Command::new("npm")
        .args([
            "install",
            "--ignore-scripts",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--prefix",
        ])
        .arg(root)
        .arg(format!("binaryen@{BINARYEN_VERSION}")))
    .map_err(|e| {
        format!(
            "{e}\n  Install it by hand: npm install --ignore-scripts --prefix {} binaryen@{BINARYEN_VERSION} (needs Node.js and npm)",
            root.display()
        )
    })
}

/// The browsers, their WebDriver servers and Xvfb (WebKit's display), from Debian.
fn ensure_browsers() -> Result<(), String> {
    let missing: Vec<&str> = BROWSER_PACKAGES
        .iter()
        .filter(|(_, file)| !Path::new(file).exists())
        .map(|(package, _)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let hint = format!(
        "Install them by hand: sudo apt-get update && sudo apt-get install -y {}",
        missing.join(" ")
    );
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if !is_root {
        return Err(format!("browsers are missing. {hint}"));
    }
    eprintln!(
        "setup: installing {} from Debian (apt-get)",
        missing.join(" ")
    );
    run(Command::new("apt-get")
        .arg("update")
        .env("DEBIAN_FRONTEND", "noninteractive"))
    .and_then(|_| {
        run(Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"))
    })
    .map_err(|e| format!("{e}\n  {hint}"))
}

/// cfn-lint (PyPI) in a virtualenv of its own, at the version deploy/requirements.txt pins.
fn ensure_cfn_lint(root: &Path) -> Result<(), String> {
    if root.join("bin/cfn-lint").exists() {
        return Ok(());
    }
    let requirements = std::fs::read_to_string("deploy/requirements.txt")
        .map_err(|e| format!("cannot read deploy/requirements.txt: {e}"))?;
    if !requirements.contains(&format!("cfn-lint=={CFN_LINT_VERSION}")) {
        return Err(format!(
            "deploy/requirements.txt does not pin cfn-lint=={CFN_LINT_VERSION}; keep the two in step"
        ));
    }
    eprintln!(
        "setup: installing cfn-lint {CFN_LINT_VERSION} into {}",
        root.display()
    );
    let hint = format!(
        "Install it by hand: python3 -m venv {0} && {0}/bin/pip install -r deploy/requirements.txt \
         (Debian may need: apt-get install python3-venv)",
        root.display()
    );
    run(Command::new("python3").args(["-m", "venv"]).arg(root))
        .and_then(|_| {
            run(Command::new(root.join("bin/pip")).args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                "deploy/requirements.txt",
            ]))
        })
        .map_err(|e| {
            let _ = std::fs::remove_dir_all(root);
            format!("{e}\n  {hint}")
        })
}

/// axe-core (npm) in a folder of its own, installed with `npm ci` from the
/// package-lock.json in tests/axe, so the exact bytes are pinned; returns the path
/// of its browser bundle. The tests read it from there, offline.
fn ensure_axe_core(root: &Path) -> Result<PathBuf, String> {
    let bundle = root.join("node_modules/axe-core/axe.min.js");
    if bundle.exists() {
        return Ok(bundle);
    }
    let package = Path::new(AXE_PACKAGE_DIR);
    let manifest = std::fs::read_to_string(package.join("package.json"))
        .map_err(|e| format!("cannot read {AXE_PACKAGE_DIR}/package.json: {e}"))?;
    if !manifest.contains(&format!("\"axe-core\": \"{AXE_CORE_VERSION}\"")) {
        return Err(format!(
            "{AXE_PACKAGE_DIR}/package.json does not pin axe-core {AXE_CORE_VERSION}; keep the two in step"
        ));
    }
    eprintln!(
        "setup: installing axe-core {AXE_CORE_VERSION} (npm) into {}",
        root.display()
    );
    std::fs::create_dir_all(root).map_err(|e| e.to_string())?;
    for file in ["package.json", "package-lock.json"] {
        std::fs::copy(package.join(file), root.join(file))
            .map_err(|e| format!("cannot copy {AXE_PACKAGE_DIR}/{file}: {e}"))?;
    }
    run(Command::new("npm")
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefix"])
        .arg(root))
    .map_err(|e| {
        let _ = std::fs::remove_dir_all(root);
        format!(
            "{e}\n  Install it by hand: cp {AXE_PACKAGE_DIR}/package*.json {0} && npm ci --prefix {0} (needs Node.js and npm)",
            root.display()
        )
    })?;
    Ok(bundle)
}

/// The benchmark's peers (bench/peers/): their npm packages, installed once per
/// lock file in the tools cache, and their pages built with Vite.
pub struct BenchPeers {
    /// The built pages (`sdk.html`, `amplify.html`, `storage-browser.html`).
    pub dist: PathBuf,
    /// The pinned `lighthouse` command.
    pub lighthouse: PathBuf,
}

/// Installs bench/peers' packages (`npm ci --ignore-scripts` into
/// `<tools cache>/bench-peers-<hash of package-lock.json>`, skipped when present)
/// and builds the pages into `out` (copied sources with the cached
/// `node_modules` linked beside them, so the clone stays clean).
pub fn bench_peers(out: &Path) -> Result<BenchPeers, String> {
    use std::hash::{Hash, Hasher};
    let source = Path::new("bench/peers");
    let lock = std::fs::read(source.join("package-lock.json"))
        .map_err(|e| format!("cannot read bench/peers/package-lock.json: {e}"))?;
    // A cache key only: a new toolchain's hasher merely installs once more.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    lock.hash(&mut hasher);
    let root = tools_dir()?.join(format!("bench-peers-{:016x}", hasher.finish()));
    let installed = root.join(".installed");
    if !installed.exists() {
        eprintln!(
            "setup: installing the bench peers' npm packages into {}",
            root.display()
        );
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
        for file in ["package.json", "package-lock.json"] {
            std::fs::copy(source.join(file), root.join(file)).map_err(|e| e.to_string())?;
        }
        run(Command::new("npm")
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(&root))
        .map_err(|e| {
            format!(
                "{e}\n  Install them by hand: cd {} && npm ci --ignore-scripts (needs Node.js 20.19+ and npm)",
                root.display()
            )
        })?;
        std::fs::write(&installed, b"").map_err(|e| e.to_string())?;
    }

    let staging = out.with_extension("src");
    let _ = std::fs::remove_dir_all(&staging);
    copy_tree(source, &staging)?;
    std::os::unix::fs::symlink(root.join("node_modules"), staging.join("node_modules"))
        .map_err(|e| format!("cannot link node_modules into {}: {e}", staging.display()))?;
    run(Command::new("node")
        .arg(root.join("node_modules/vite/bin/vite.js"))
        .arg("build")
        .current_dir(&staging)
        .env("PEERS_OUT_DIR", out))?;
    Ok(BenchPeers {
        dist: out.to_path_buf(),
        lighthouse: root.join("node_modules/.bin/lighthouse"),
    })
}

/// Copies `from` into `to`, leaving out `node_modules` and `dist`.
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for entry in std::fs::read_dir(from).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name();
        if name == "node_modules" || name == "dist" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(&name))?;
        } else {
            std::fs::copy(&path, to.join(&name)).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
