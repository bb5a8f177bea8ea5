//! Browser adapters: thin wrappers over web APIs (clock, randomness, storage, HTTP).
//!
//! Invariant: adapters move bytes and values; they never parse protocol data. That
//! belongs to `core`.

pub mod clock;
pub mod config_loader;
pub mod files;
pub mod first_paint;
pub mod handles;
pub mod history;
pub mod http;
pub mod locks;
pub mod online;
pub mod random;
pub mod save;
pub mod storage;
pub mod tabs;
pub mod text;
