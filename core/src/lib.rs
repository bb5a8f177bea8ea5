//! Cubby's protocol core: signing in through the Amazon Cognito Hosted UI (OAuth 2.0
//! authorization code with PKCE, RFC 6749 and RFC 7636), trading the id token with a
//! Cognito identity pool for temporary AWS credentials, and S3 REST requests signed
//! with SigV4, as pure functions from inputs to `http::Request<Vec<u8>>` and from
//! `http::Response<Vec<u8>>` to typed results.
//!
//! Invariant: this crate depends on no web API crate (`web-sys`, `js-sys`,
//! `wasm-bindgen`, `gloo-*`, `leptos`), reads no clock and draws no random numbers.
//! Time (`SystemTime` values or epoch seconds) and random bytes are arguments, and
//! the caller sends the requests with whatever HTTP client it has. That keeps every
//! step testable on the host with fixed vectors, and lets any Rust web app use it.

// Every public item is documented, and nothing is `pub` that callers cannot reach.
#![warn(missing_docs, unreachable_pub)]

pub mod crc32;
pub mod credentials;
pub mod datetime;
pub mod encoding;
pub mod id_token;
pub mod identity;
pub mod json_fields;
pub mod oauth;
pub mod retry;
pub mod s3;
pub mod secret;
pub mod sts;
pub mod xml;
pub mod zip;
