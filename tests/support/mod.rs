//! Shared by the host test targets that `mod support;` it.
pub mod app;
pub mod axe;
pub mod files;
pub mod native;
pub mod peers;
pub mod stack;
pub mod webdriver;
