//! The emulator's services over real HTTP, one module per service. One test binary
//! (not one per file) so `cargo test` links the emulator's dependencies once.

mod support;

mod admin_and_app;
mod hosted_ui;
mod identity;
mod s3_gate;
mod s3_keys;
mod s3_multipart;
mod s3_objects;
mod s3_versions;
mod sts;
