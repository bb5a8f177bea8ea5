//! Cubby: a private folder in Amazon S3, in the browser only.
//!
//! See ARCHITECTURE.md for the code map and the invariants between `cubby_core`
//! (pure protocol), `web` (browser adapters) and `ui` (Leptos components).

pub mod app;
pub mod config;
pub mod model;
pub mod ui;
pub mod web;
