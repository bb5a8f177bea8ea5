//! The protocol core: pure functions from inputs to `http::Request<Vec<u8>>` and from
//! `http::Response<Vec<u8>>` to typed results.
//!
//! Invariant: nothing under `core` touches web APIs, Leptos, gloo, the clock or a
//! random source. Time (`SystemTime` values or epoch seconds) and random bytes are
//! arguments. That keeps every step testable on the host with fixed vectors.

pub mod crc32;
pub mod credentials;
pub mod datetime;
pub mod encoding;
pub mod id_token;
pub mod identity;
pub mod json;
pub mod oauth;
pub mod retry;
pub mod s3;
pub mod secret;
pub mod sts;
pub mod xml;
