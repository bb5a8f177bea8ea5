//! The end-to-end tests' browser: a blocking facade over the `fantoccini` WebDriver
//! client. It starts the engine's driver (ChromeDriver, geckodriver or
//! WebKitWebDriver) on a free loopback port and one session in it. Blocking on
//! purpose: the tests read top to bottom like the user's steps.
#![allow(dead_code)]

use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The flags headless Chromium needs here (root, no GPU, closed network).
pub const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
];

/// The browser engines the end-to-end tests run in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Debian's Chromium through ChromeDriver; the only one with the Chrome extras
    /// (DevTools commands, logs).
    Chromium,
    /// Debian's Firefox ESR through geckodriver.
    Firefox,
    /// WebKitGTK's MiniBrowser through WebKitWebDriver, on an X display.
    WebKit,
}

impl Engine {
    /// Lower-case, for file and folder names.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Chromium => "chromium",
            Engine::Firefox => "firefox",
            Engine::WebKit => "webkit",
        }
    }
}

impl Engine {
    /// Whether its driver can pick a folder in an `<input webkitdirectory>`:
    /// geckodriver answers "File not found" for a folder's path, and WebKitWebDriver
    /// hands the page the folder as one file (a row `nest` that is no folder), not
    /// the files in it.
    pub fn picks_folders(self) -> bool {
        self == Engine::Chromium
    }

    /// Whether downloads land in [`Browser::downloads`]: WebKitGTK's driver has no
    /// capability for a download folder.
    pub fn saves_downloads(self) -> bool {
        self != Engine::WebKit
    }

    /// Whether [`Browser::console_log`] works: reading the console is ChromeDriver's
    /// own command.
    pub fn reads_console(self) -> bool {
        self == Engine::Chromium
    }
}

/// One browser at a time: two cores do not run several browsers well, and the
/// tests' timings should not depend on each other.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub struct Browser {
    /// Which engine this is; tests skip the steps an engine cannot take.
    pub engine: Engine,
    /// Where the browser saves downloads (WebKit: nowhere, see [`Engine::WebKit`]'s
    /// capabilities).
    pub downloads: PathBuf,
    client: Option<Client>,
    runtime: tokio::runtime::Runtime,
    driver: Child,
    /// Xvfb, when WebKit needed a display and there was none.
    display: Option<Child>,
    _profile: tempdir::Dir,
    _turn: std::sync::MutexGuard<'static, ()>,
}

/// A temporary folder removed on drop (the browser's profile).
mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn env_path(name: &str, default: &str) -> PathBuf {
    std::env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

/// geckodriver: `$CUBBY_GECKODRIVER` (set by `cargo xtask`), else the one
/// `cargo xtask setup` put in the tools cache, else `geckodriver` on PATH.
fn geckodriver() -> PathBuf {
    if let Some(path) = std::env::var_os("CUBBY_GECKODRIVER") {
        return PathBuf::from(path);
    }
    cached_tool("bin/geckodriver").unwrap_or_else(|| PathBuf::from("geckodriver"))
}

/// `relative` inside one of the tool folders `cargo xtask setup` made in the
/// per-user tools cache (`$CUBBY_TOOLS_DIR`, else `~/.cache/cubby/tools`), if
/// there is one.
pub fn cached_tool(relative: &str) -> Option<PathBuf> {
    let cache = std::env::var_os("CUBBY_TOOLS_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            let home = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
            Some(home.join("cubby/tools"))
        });
    cache
        .and_then(|dir| std::fs::read_dir(dir).ok())
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path().join(relative))
        .find(|path| path.exists())
}

/// Starts Xvfb on the first free display from :99 and waits for its socket.
fn start_xvfb() -> (Child, String) {
    for n in 99..160 {
        if Path::new(&format!("/tmp/.X{n}-lock")).exists() {
            continue;
        }
        let mut xvfb = Command::new("Xvfb")
            .args([
                &format!(":{n}"),
                "-screen",
                "0",
                "1280x1024x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb (WebKit needs a display): run `cargo xtask setup`");
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if socket.exists() {
                return (xvfb, format!(":{n}"));
            }
            if xvfb.try_wait().unwrap().is_some() {
                break; // another server took the display meanwhile
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = xvfb.kill();
        let _ = xvfb.wait();
    }
    panic!("no free X display for Xvfb in :99..:159");
}

/// A command of a driver's own (not in the W3C protocol), under the session.
#[derive(Debug)]
struct Extension {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for Extension {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

impl Browser {
    /// Starts ChromeDriver and a fresh headless Chromium session.
    pub fn start() -> Browser {
        Browser::start_in(Engine::Chromium)
    }

    /// As [`Browser::start`], also recording Chrome's performance log (network
    /// events, read with [`Browser::log`]); the benchmarks use it.
    pub fn start_with_performance_log() -> Browser {
        Browser::launch(
            Engine::Chromium,
            json!({"browser": "ALL", "performance": "ALL"}),
        )
    }

    /// Starts `engine`'s driver and a fresh session in it.
    pub fn start_in(engine: Engine) -> Browser {
        Browser::launch(engine, json!({"browser": "ALL"}))
    }

    fn launch(engine: Engine, chrome_logging: Value) -> Browser {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let port = free_port();
        let profile = std::env::temp_dir().join(format!("cubby-browser-{port}"));
        let downloads = profile.join("downloads");
        std::fs::create_dir_all(&downloads).unwrap();
        let mut display = None;
        let (mut driver_cmd, caps) = match engine {
            Engine::Chromium => {
                let chromedriver = env_path("CUBBY_CHROMEDRIVER", "/usr/bin/chromedriver");
                let chromium = env_path("CUBBY_CHROMIUM", "/usr/bin/chromium");
                assert!(
                    chromedriver.exists() && chromium.exists(),
                    "Chromium and ChromeDriver are needed: run `cargo xtask setup`"
                );
                let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|s| s.to_string()).collect();
                args.push(format!("--user-data-dir={}", profile.display()));
                let caps = json!({
                    "browserName": "chrome",
                    "goog:chromeOptions": {"binary": chromium, "args": args, "prefs": {
                        "download.default_directory": downloads,
                        "download.prompt_for_download": false,
                    }},
                    "goog:loggingPrefs": chrome_logging,
                });
                let mut cmd = Command::new(chromedriver);
                cmd.arg(format!("--port={port}"));
                (cmd, caps)
            }
            Engine::Firefox => {
                let firefox = env_path("CUBBY_FIREFOX", "/usr/bin/firefox-esr");
                assert!(
                    firefox.exists(),
                    "Firefox ESR and geckodriver are needed: run `cargo xtask setup`"
                );
                // geckodriver makes a fresh profile with these preferences: downloads
                // land in `downloads` without a dialog.
                let caps = json!({
                    "browserName": "firefox",
                    "moz:firefoxOptions": {"binary": firefox, "args": ["-headless"], "prefs": {
                        "browser.download.folderList": 2,
                        "browser.download.dir": downloads,
                        "browser.download.useDownloadDir": true,
                        "browser.download.always_ask_before_handling_new_types": false,
                        "browser.download.manager.showWhenStarting": false,
                    }},
                });
                let mut cmd = Command::new(geckodriver());
                cmd.args(["--host", "127.0.0.1", "--port", &port.to_string()]);
                (cmd, caps)
            }
            Engine::WebKit => {
                let driver = env_path("CUBBY_WEBKITWEBDRIVER", "/usr/bin/WebKitWebDriver");
                let minibrowser = env_path(
                    "CUBBY_MINIBROWSER",
                    "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
                );
                assert!(
                    driver.exists() && minibrowser.exists(),
                    "WebKitWebDriver and MiniBrowser are needed: run `cargo xtask setup`"
                );
                // Without `--automation` the session fails ("Failed to match
                // capabilities"). WebKitGTK has no download-folder capability.
                let caps = json!({
                    "webkitgtk:browserOptions": {
                        "binary": minibrowser,
                        "args": ["--automation"],
                    },
                });
                let mut cmd = Command::new(driver);
                cmd.arg(format!("--port={port}"));
                // MiniBrowser is a GTK window: it needs an X display.
                if std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty()) {
                    let (xvfb, name) = start_xvfb();
                    cmd.env("DISPLAY", name);
                    display = Some(xvfb);
                }
                (cmd, caps)
            }
        };
        let mut driver = driver_cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start the {engine:?} driver: {e}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        // One thread is enough: every call blocks until its reply.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = runtime.block_on(async {
            ClientBuilder::new(connector)
                .capabilities(Capabilities::from_iter(caps))
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
        });
        let client = match client {
            Ok(client) => client,
            Err(e) => {
                let _ = driver.kill();
                panic!("a {engine:?} WebDriver session: {e}");
            }
        };
        let browser = Browser {
            engine,
            downloads,
            client: Some(client),
            runtime,
            driver,
            display,
            _profile: tempdir::Dir(profile),
            _turn: turn,
        };
        if engine != Engine::Chromium {
            // Chromium takes its size from a flag; the others from here.
            browser.resize(1280, 900);
        }
        browser
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("a session")
    }

    /// Runs one WebDriver call to completion; a WebDriver error fails the test.
    fn block<T>(
        &self,
        what: &str,
        call: impl std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
    ) -> T {
        self.runtime
            .block_on(call)
            .unwrap_or_else(|e| panic!("WebDriver {what}: {e}"))
    }

    pub fn goto(&self, url: &str) {
        self.block("goto", self.client().goto(url));
    }

    /// Types `keys` (WebDriver key codes for special keys) into whatever has the
    /// focus, as a person on the keyboard would.
    pub fn keys_to_focused(&self, keys: &str) {
        let focused = self.block("active element", self.client().active_element());
        self.block("send_keys", focused.send_keys(keys));
    }

    pub fn url(&self) -> String {
        self.block("url", self.client().current_url()).to_string()
    }

    /// Resizes the window (the page's layout width follows).
    pub fn resize(&self, width: u32, height: u32) {
        self.block("resize", self.client().set_window_size(width, height));
    }

    pub fn refresh(&self) {
        self.block("refresh", self.client().refresh());
    }

    /// Runs a script in the page and returns its value; `args` is a JSON array.
    pub fn execute(&self, script: &str, args: Value) -> Value {
        self.block("execute", self.client().execute(script, arguments(args)))
    }

    /// Runs an async script; it finishes by calling `arguments[arguments.length - 1]`.
    pub fn execute_async(&self, script: &str, args: Value) -> Value {
        self.block(
            "execute_async",
            self.client().execute_async(script, arguments(args)),
        )
    }

    /// Waits until `css` matches an element, up to `seconds`.
    pub fn wait_for(&self, css: &str, seconds: u64) -> Element<'_> {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            if let Some(e) = self.find(css) {
                return e;
            }
            if Instant::now() > deadline {
                let shot = self.screenshot_to_output("timeout");
                panic!(
                    "timed out after {seconds}s waiting for `{css}` at {} (screenshot {}); page text:\n{}",
                    self.url(),
                    shot.display(),
                    self.text("body")
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the page's text contains `needle`.
    pub fn wait_for_text(&self, needle: &str, seconds: u64) {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        while !self.text("body").contains(needle) {
            if Instant::now() > deadline {
                let shot = self.screenshot_to_output("timeout");
                panic!(
                    "timed out after {seconds}s waiting for text {needle:?} (screenshot {}); page text:\n{}",
                    shot.display(),
                    self.text("body")
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The first element matching `css`, if any (any lookup error counts as none).
    pub fn find(&self, css: &str) -> Option<Element<'_>> {
        let inner = self
            .runtime
            .block_on(self.client().find(Locator::Css(css)))
            .ok()?;
        Some(Element {
            browser: self,
            inner,
        })
    }

    pub fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        self.block("find_all", self.client().find_all(Locator::Css(css)))
            .into_iter()
            .map(|inner| Element {
                browser: self,
                inner,
            })
            .collect()
    }

    /// The visible text of the first element matching `css` ("" when none).
    pub fn text(&self, css: &str) -> String {
        self.find(css).map(|e| e.text()).unwrap_or_default()
    }

    /// Saves a PNG screenshot as `<output>/<name>.png` (the engine's name added
    /// for all but Chromium) and returns the path.
    pub fn screenshot_to_output(&self, name: &str) -> PathBuf {
        let dir = output_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.block("screenshot", self.client().screenshot());
        let path = match self.engine {
            Engine::Chromium => dir.join(format!("{name}.png")),
            engine => dir.join(format!("{name}-{}.png", engine.name())),
        };
        std::fs::write(&path, png).unwrap();
        path
    }

    fn chromium_only(&self, what: &str) {
        assert_eq!(
            self.engine,
            Engine::Chromium,
            "{what} is ChromeDriver's own; skip this step in other engines"
        );
    }

    /// Runs a Chrome DevTools Protocol command (e.g.
    /// `Page.addScriptToEvaluateOnNewDocument`) and returns its result.
    pub fn cdp(&self, command: &str, params: Value) -> Value {
        self.chromium_only("a DevTools command");
        let cmd = Extension {
            path: "goog/cdp/execute",
            body: json!({ "cmd": command, "params": params }),
        };
        self.block("goog/cdp/execute", self.client().issue_cmd(cmd))
    }

    /// The entries of ChromeDriver's log `kind` (`browser`, `performance`) since
    /// the last read.
    pub fn log(&self, kind: &str) -> Vec<Value> {
        self.chromium_only("the log");
        let cmd = Extension {
            path: "se/log",
            body: json!({ "type": kind }),
        };
        match self.block("se/log", self.client().issue_cmd(cmd)) {
            Value::Array(entries) => entries,
            _ => Vec::new(),
        }
    }

    /// The browser console's entries so far (level, message); Chromium only.
    pub fn console_log(&self) -> Vec<(String, String)> {
        self.log("browser")
            .iter()
            .map(|e| {
                (
                    e["level"].as_str().unwrap_or("").to_string(),
                    e["message"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }
}

/// The script arguments fantoccini takes, from the JSON array the tests write.
fn arguments(args: Value) -> Vec<Value> {
    match args {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        other => panic!("script arguments are a JSON array, not {other}"),
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            // Ends the session (closes the browser) before the driver goes.
            let _ = self.runtime.block_on(client.close());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        if let Some(mut xvfb) = self.display.take() {
            let _ = xvfb.kill();
            let _ = xvfb.wait();
        }
    }
}

/// Where tests put screenshots: `target/e2e-output/`.
pub fn output_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e-output")
}

pub struct Element<'a> {
    browser: &'a Browser,
    inner: fantoccini::elements::Element,
}

impl Element<'_> {
    pub fn click(&self) {
        self.browser.block("click", self.inner.click());
    }

    pub fn send_keys(&self, text: &str) {
        self.browser.block("send_keys", self.inner.send_keys(text));
    }

    pub fn clear(&self) {
        self.browser.block("clear", self.inner.clear());
    }

    pub fn text(&self) -> String {
        self.browser.block("text", self.inner.text())
    }

    pub fn attr(&self, name: &str) -> Option<String> {
        self.browser.block("attr", self.inner.attr(name))
    }
}

/// Windows (tabs) of the one browser: open another, switch between them.
impl Browser {
    /// Opens a new tab (it shares storage with the others) and returns its handle;
    /// the current tab stays current.
    pub fn new_tab(&self) -> String {
        self.block("new tab", self.client().new_window(true))
            .handle
            .into()
    }

    /// The handle of the current tab.
    pub fn current_tab(&self) -> String {
        self.block("current tab", self.client().window()).into()
    }

    /// Handles of every open tab and popup.
    pub fn tabs(&self) -> Vec<String> {
        self.block("tabs", self.client().windows())
            .into_iter()
            .map(String::from)
            .collect()
    }

    /// Makes the tab `handle` the one later commands go to.
    pub fn switch_to(&self, handle: &str) {
        let handle = handle.to_string().try_into().expect("a window handle");
        self.block("switch", self.client().switch_to_window(handle));
    }

    /// Closes the current tab, as a person closing it (its page is gone, requests
    /// in flight cut off); switch to another tab next.
    pub fn close_tab(&self) {
        self.block("close tab", self.client().close_window());
    }
}
