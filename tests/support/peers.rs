//! The bench's peers (bench/peers/: the AWS SDK v3 and Amplify pages built by
//! `cargo xtask bench`), served as static files on a loopback origin of their own
//! beside the emulator's app origin.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};

use cubby_emulator::compression;

/// The peers' build (`$CUBBY_BENCH_PEERS`, set by `cargo xtask bench`), if any.
pub fn peers_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("CUBBY_BENCH_PEERS")?);
    dir.join("sdk.html").exists().then_some(dir)
}

/// A static file server on 127.0.0.1 (a free port), one thread per connection,
/// `Connection: close`, gzip as the emulator's app origin serves Cubby's files
/// (CloudFront's rules, `cubby_emulator::compression`), so transferred bytes
/// compare like with like. Runs until the process ends.
pub struct PeerServer {
    pub origin: String,
}

impl PeerServer {
    pub fn start(root: PathBuf) -> PeerServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let origin = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let root = root.clone();
                std::thread::spawn(move || serve(&root, stream));
            }
        });
        PeerServer { origin }
    }

    /// The URL of `page` (e.g. `sdk.html`).
    pub fn url(&self, page: &str) -> String {
        format!("{}/{page}", self.origin)
    }
}

fn serve(root: &Path, mut stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Every answer is the whole file; of the headers only Accept-Encoding counts.
    let mut line = String::new();
    let mut accepts_gzip = false;
    while reader.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("accept-encoding") {
                accepts_gzip = compression::accepts_gzip(value.trim());
            }
        }
        line.clear();
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let relative = Path::new(path.trim_start_matches('/'));
    let safe = relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    let file = root.join(relative);
    let (status, body, kind) = match std::fs::read(&file) {
        Ok(body) if safe => ("200 OK", body, content_type(&file)),
        _ => ("404 Not Found", b"not found".to_vec(), "text/plain"),
    };
    let gzip = accepts_gzip && compression::compressible(kind, body.len());
    let (body, encoding) = if gzip {
        (compression::gzip(&body), "Content-Encoding: gzip\r\n")
    } else {
        (body, "")
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n{encoding}\
         Vary: Accept-Encoding\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        Some("woff2") => "font/woff2",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}
