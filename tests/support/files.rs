//! Big files through the app, shared by the end-to-end tests and the benchmarks:
//! reproducible noise with its SHA-256, the SHA-256 of what the emulator stored,
//! and the app's upload rows (pick a file, read its row, wait until it finishes).
#![allow(dead_code)]

use super::app::Files;
use super::webdriver::Browser;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const MIB: u64 = 1024 * 1024;

/// Writes `size` bytes of noise generated from `seed` (xorshift64, so no two
/// parts of a multipart upload are alike) to `files/<name>`; returns the path
/// and the SHA-256 of the bytes written.
pub fn noise_file(files: &Files, name: &str, size: u64, seed: u64) -> (PathBuf, [u8; 32]) {
    let path = files.0.join(name);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut digest = Sha256::new();
    let mut state = seed | 1;
    let mut block = vec![0u8; MIB as usize];
    let mut written = 0u64;
    while written < size {
        for word in block.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        let take = (size - written).min(MIB) as usize;
        digest.update(&block[..take]);
        out.write_all(&block[..take]).unwrap();
        written += take as u64;
    }
    out.flush().unwrap();
    (path, digest.finalize().into())
}

/// The SHA-256 of the file at `path` (e.g. an object in the emulator's store).
pub fn file_sha256(path: &Path) -> [u8; 32] {
    let mut file =
        std::fs::File::open(path).unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    let mut digest = Sha256::new();
    let mut buffer = vec![0u8; MIB as usize];
    loop {
        match file.read(&mut buffer).unwrap() {
            0 => return digest.finalize().into(),
            n => digest.update(&buffer[..n]),
        }
    }
}

/// Picks `path` in the app's "Upload files" input, as a person choosing a file.
pub fn pick_upload(browser: &Browser, path: &Path) {
    browser
        .find("#upload-files")
        .expect("the upload input")
        .send_keys(&path.display().to_string());
}

/// What the app's upload row of one file shows.
#[derive(Clone, Debug, PartialEq)]
pub struct UploadRow {
    /// `data-state`: `waiting`, `uploading`, `done`, `failed`, `cancelled`, ...
    pub state: String,
    /// The progress bar's value.
    pub progress: f64,
    pub status: String,
}

impl UploadRow {
    pub fn finished(&self) -> bool {
        !matches!(self.state.as_str(), "waiting" | "uploading")
    }
}

/// The upload row of `name`, if the app shows one.
pub fn upload_row(browser: &Browser, name: &str) -> Option<UploadRow> {
    let row = browser.execute(
        "const row = [...document.querySelectorAll('.upload')]
             .find(r => r.querySelector('.upload-name').textContent == arguments[0]);
         return row ? [row.dataset.state, row.querySelector('progress').value,
                       row.querySelector('.upload-status').textContent] : null",
        json!([name]),
    );
    let row = row.as_array()?;
    Some(UploadRow {
        state: row[0].as_str().unwrap_or("").to_string(),
        progress: row[1].as_f64().unwrap_or(0.0),
        status: row[2].as_str().unwrap_or("").to_string(),
    })
}

/// Polls the upload row of `name` every `every` until it has finished and returns
/// it; `between` runs after each poll (e.g. to sample memory). Panics, with a
/// screenshot, if the progress goes back or nothing finishes within `seconds`.
pub fn wait_for_upload(
    browser: &Browser,
    name: &str,
    seconds: u64,
    every: Duration,
    mut between: impl FnMut(),
) -> UploadRow {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut progress = 0.0f64;
    loop {
        if let Some(row) = upload_row(browser, name) {
            assert!(
                row.progress >= progress,
                "the progress of {name} went back from {progress} to {}",
                row.progress
            );
            progress = row.progress;
            if row.finished() {
                return row;
            }
        }
        if Instant::now() > deadline {
            let shot = browser.screenshot_to_output("timeout");
            panic!(
                "no end to the upload of {name} after {seconds}s (screenshot {}); page text:\n{}",
                shot.display(),
                browser.text("body")
            );
        }
        between();
        std::thread::sleep(every);
    }
}
