//! Shared by the host test targets that `mod support;` it.
pub mod app;
pub mod stack;
pub mod webdriver;
