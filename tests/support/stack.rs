//! The end-to-end stack: the local emulator (serving the release build from
//! `dist/`) on ephemeral loopback ports, in a tokio runtime of its own.
#![allow(dead_code)]

use cubby_emulator::{Emulator, EmulatorConfig};
use std::path::PathBuf;

pub struct Stack {
    pub emulator: Emulator,
    pub runtime: tokio::runtime::Runtime,
    data: PathBuf,
}

/// The release build the tests drive: `$CUBBY_DIST`, else `dist/`.
pub fn dist_dir() -> PathBuf {
    let dir = std::env::var_os("CUBBY_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dist"));
    assert!(
        dir.join("index.html").exists(),
        "no app build in {} — run `cargo xtask test` (it builds dist/ first)",
        dir.display()
    );
    dir
}

impl Stack {
    pub fn start(name: &str) -> Stack {
        Stack::start_with(name, |_| {})
    }

    /// [`Stack::start`] with the emulator's config changed by `change` first (a
    /// test's rotation setting; the bench adds the peers' origin to the bucket's
    /// CORS rules).
    pub fn start_with(name: &str, change: impl FnOnce(&mut EmulatorConfig)) -> Stack {
        let data = std::env::temp_dir().join(format!("cubby-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        let mut config = EmulatorConfig::test(&data);
        config.app_dir = Some(dist_dir());
        change(&mut config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let emulator = runtime
            .block_on(cubby_emulator::start(config))
            .expect("the emulator starts");
        Stack {
            emulator,
            runtime,
            data,
        }
    }

    pub fn app_url(&self) -> String {
        format!("{}/", self.emulator.urls().app.trim_end_matches('/'))
    }

    /// Fault injection, clock, lifetimes and stats.
    pub fn control(&self) -> cubby_emulator::Control {
        self.emulator.control()
    }

    /// Where the emulator stores the object `key` (s3s-fs: one file per key).
    pub fn object_path(&self, key: &str) -> PathBuf {
        self.data
            .join("s3")
            .join(&self.emulator.config().bucket)
            .join(key)
    }

    /// The key of `name` in `username`'s folder: `private/<identity id>/<name>`.
    pub fn user_key(&self, username: &str, name: &str) -> String {
        let id = self
            .control()
            .identity_id_of(username)
            .expect("a configured user");
        format!("private/{id}/{name}")
    }

    /// The part numbers the emulator holds of the multipart upload `upload_id`, in
    /// order (s3s-fs keeps each as a file `.upload_id-<id>.part-<n>`).
    pub fn stored_parts(&self, upload_id: &str) -> Vec<u32> {
        let prefix = format!(".upload_id-{upload_id}.part-");
        let mut parts = Vec::new();
        let mut dirs = vec![self.data.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    dirs.push(entry.path());
                } else if let Some(n) = name.strip_prefix(&prefix).and_then(|n| n.parse().ok()) {
                    parts.push(n);
                }
            }
        }
        parts.sort_unstable();
        parts
    }

    /// S3 requests of `operation` counted so far (fault-injected ones included).
    pub fn s3_requests(&self, operation: &str) -> u64 {
        self.control()
            .stats()
            .s3_requests
            .get(operation)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data);
    }
}
