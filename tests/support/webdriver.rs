//! A small W3C WebDriver client for the end-to-end tests: starts ChromeDriver on a
//! free loopback port and drives headless Chromium. Blocking on purpose: the tests
//! read top to bottom like the user's steps.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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

/// One browser at a time: two cores do not run several Chromiums well, and the
/// tests' timings should not depend on each other.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub struct Browser {
    _turn: std::sync::MutexGuard<'static, ()>,
    /// Where the browser saves downloads.
    pub downloads: PathBuf,
    driver: Child,
    base: String,
    session: String,
    agent: ureq::Agent,
    _profile: tempdir::Dir,
}

/// A temporary folder removed on drop (Chromium's profile).
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

impl Browser {
    /// Starts ChromeDriver and a fresh headless Chromium session.
    pub fn start() -> Browser {
        Browser::start_with_logging(json!({"browser": "ALL"}))
    }

    /// As [`Browser::start`], also recording Chrome's performance log (network
    /// events, read with [`Browser::log`]); the benchmarks use it.
    pub fn start_with_performance_log() -> Browser {
        Browser::start_with_logging(json!({"browser": "ALL", "performance": "ALL"}))
    }

    fn start_with_logging(logging: Value) -> Browser {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let chromedriver = env_path("CUBBY_CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = env_path("CUBBY_CHROMIUM", "/usr/bin/chromium");
        assert!(
            chromedriver.exists() && chromium.exists(),
            "Chromium and ChromeDriver are needed: run `cargo xtask setup`"
        );
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(120))
            .build();
        for _ in 0..100 {
            if agent.get(&format!("{base}/status")).call().is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = std::env::temp_dir().join(format!("cubby-chromium-{port}"));
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let downloads = profile.join("downloads");
        std::fs::create_dir_all(&downloads).unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args, "prefs": {
                "download.default_directory": downloads,
                "download.prompt_for_download": false,
            }},
            "goog:loggingPrefs": logging,
        }}});
        let mut browser = Browser {
            _turn: turn,
            downloads,
            driver,
            base,
            session: String::new(),
            agent,
            _profile: tempdir::Dir(profile),
        };
        let reply = browser.raw("POST", "/session", caps);
        browser.session = reply["value"]["sessionId"]
            .as_str()
            .expect("a WebDriver session id")
            .to_string();
        browser
    }

    fn raw(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{}", self.base, path);
        let result = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            _ => self.agent.post(&url).send_json(body),
        };
        let reply: Value = match result {
            Ok(r) => r.into_json().expect("WebDriver JSON"),
            Err(ureq::Error::Status(_, r)) => r.into_json().expect("WebDriver error JSON"),
            Err(e) => panic!("WebDriver {method} {path}: {e}"),
        };
        if let Some(error) = reply["value"].get("error") {
            panic!(
                "WebDriver {method} {path}: {error}: {}",
                reply["value"]["message"]
            );
        }
        reply
    }

    fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        self.raw(method, &format!("/session/{}{path}", self.session), body)["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", json!({ "url": url }));
    }

    pub fn url(&self) -> String {
        self.cmd("GET", "/url", Value::Null)
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Resizes the window (the page's layout width follows).
    pub fn resize(&self, width: u32, height: u32) {
        self.cmd(
            "POST",
            "/window/rect",
            json!({ "width": width, "height": height }),
        );
    }

    pub fn refresh(&self) {
        self.cmd("POST", "/refresh", json!({}));
    }

    /// Runs a script in the page and returns its value.
    pub fn execute(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            json!({ "script": script, "args": args }),
        )
    }

    /// Runs an async script; it finishes by calling `arguments[arguments.length - 1]`.
    pub fn execute_async(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/async",
            json!({ "script": script, "args": args }),
        )
    }

    /// Waits until `css` matches an element, up to `seconds`.
    pub fn wait_for(&self, css: &str, seconds: u64) -> Element<'_> {
        let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
        loop {
            if let Some(e) = self.find(css) {
                return e;
            }
            if std::time::Instant::now() > deadline {
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
        let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
        while !self.text("body").contains(needle) {
            if std::time::Instant::now() > deadline {
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

    pub fn find(&self, css: &str) -> Option<Element<'_>> {
        let url = format!("{}/session/{}/element", self.base, self.session);
        let reply: Value = match self
            .agent
            .post(&url)
            .send_json(json!({"using": "css selector", "value": css}))
        {
            Ok(r) => r.into_json().ok()?,
            Err(_) => return None,
        };
        let id = reply["value"]
            .as_object()?
            .values()
            .next()?
            .as_str()?
            .to_string();
        Some(Element { browser: self, id })
    }

    pub fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        self.cmd(
            "POST",
            "/elements",
            json!({"using": "css selector", "value": css}),
        )
        .as_array()
        .unwrap()
        .iter()
        .map(|v| Element {
            browser: self,
            id: v
                .as_object()
                .unwrap()
                .values()
                .next()
                .unwrap()
                .as_str()
                .unwrap()
                .to_string(),
        })
        .collect()
    }

    /// The visible text of the first element matching `css` ("" when none).
    pub fn text(&self, css: &str) -> String {
        self.find(css).map(|e| e.text()).unwrap_or_default()
    }

    /// Saves a PNG screenshot as `<output>/<name>.png` and returns the path.
    pub fn screenshot_to_output(&self, name: &str) -> PathBuf {
        let dir = output_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.cmd("GET", "/screenshot", Value::Null);
        let bytes = cubby_core::encoding::base64_decode(png.as_str().unwrap()).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Runs a Chrome DevTools Protocol command (e.g.
    /// `Page.addScriptToEvaluateOnNewDocument`) and returns its result.
    pub fn cdp(&self, command: &str, params: Value) -> Value {
        self.cmd(
            "POST",
            "/goog/cdp/execute",
            json!({ "cmd": command, "params": params }),
        )
    }

    /// The entries of ChromeDriver's log `kind` (`browser`, `performance`) since
    /// the last read.
    pub fn log(&self, kind: &str) -> Vec<Value> {
        self.raw(
            "POST",
            &format!("/session/{}/se/log", self.session),
            json!({ "type": kind }),
        )["value"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The browser console's entries so far (level, message).
    pub fn console_log(&self) -> Vec<(String, String)> {
        let reply = self.raw(
            "POST",
            &format!("/session/{}/se/log", self.session),
            json!({"type": "browser"}),
        );
        reply["value"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| {
                        (
                            e["level"].as_str().unwrap_or("").to_string(),
                            e["message"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self
                .agent
                .delete(&format!("{}/session/{}", self.base, self.session))
                .call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Where tests put screenshots: `target/e2e-output/`.
pub fn output_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e-output")
}

pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
}

impl Element<'_> {
    fn path(&self, rest: &str) -> String {
        format!("/element/{}{rest}", self.id)
    }

    pub fn click(&self) {
        self.browser.cmd("POST", &self.path("/click"), json!({}));
    }

    pub fn send_keys(&self, text: &str) {
        self.browser
            .cmd("POST", &self.path("/value"), json!({ "text": text }));
    }

    pub fn clear(&self) {
        self.browser.cmd("POST", &self.path("/clear"), json!({}));
    }

    pub fn text(&self) -> String {
        self.browser
            .cmd("GET", &self.path("/text"), Value::Null)
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub fn attr(&self, name: &str) -> Option<String> {
        self.browser
            .cmd(
                "GET",
                &self.path(&format!("/attribute/{name}")),
                Value::Null,
            )
            .as_str()
            .map(str::to_string)
    }
}

/// Windows (tabs) of the one browser: open another, switch between them.
impl Browser {
    /// Opens a new tab (it shares storage with the others) and returns its handle;
    /// the current tab stays current.
    pub fn new_tab(&self) -> String {
        self.cmd("POST", "/window/new", json!({ "type": "tab" }))["handle"]
            .as_str()
            .expect("a window handle")
            .to_string()
    }

    /// The handle of the current tab.
    pub fn current_tab(&self) -> String {
        self.cmd("GET", "/window", Value::Null)
            .as_str()
            .expect("a window handle")
            .to_string()
    }

    /// Handles of every open tab and popup.
    pub fn tabs(&self) -> Vec<String> {
        self.cmd("GET", "/window/handles", Value::Null)
            .as_array()
            .expect("window handles")
            .iter()
            .filter_map(|h| h.as_str().map(str::to_string))
            .collect()
    }

    /// Makes the tab `handle` the one later commands go to.
    pub fn switch_to(&self, handle: &str) {
        self.cmd("POST", "/window", json!({ "handle": handle }));
    }
}
