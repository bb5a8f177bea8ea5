//! gzip for the app origin's static files, as CloudFront's "Compress objects
//! automatically" does for the template's distribution (`Compress: true` in
//! `deploy/cubby.yaml`), so a first visit here moves the bytes it would move there.
//!
//! CloudFront's rules, from "Serve compressed files" in the CloudFront Developer
//! Guide (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/ServingCompressedFiles.html>):
//! only when the viewer's `Accept-Encoding` names the format, only for the listed
//! content types, and only for objects of 1,000 to 10,000,000 bytes. It prefers
//! Brotli, but Chromium and Firefox ask for Brotli only over HTTPS, and this origin
//! is plain http on loopback, so gzip is what a browser would get here too.

use std::io::Write;

/// The smallest object CloudFront compresses, in bytes.
const SMALLEST: usize = 1_000;
/// The largest object CloudFront compresses, in bytes.
const LARGEST: usize = 10_000_000;

/// Content types (before any `;` parameter) of the app's files that CloudFront's
/// list includes.
const COMPRESSIBLE: &[&str] = &[
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/wasm",
    "image/svg+xml",
    "text/plain",
];

/// Whether an `Accept-Encoding` value (RFC 9110 §12.5.3) accepts gzip: named (or
/// `*`) without `q=0`.
pub fn accepts_gzip(accept_encoding: &str) -> bool {
    accept_encoding.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let coding = parts.next().unwrap_or("").to_ascii_lowercase();
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        (coding == "gzip" || coding == "*") && !refused
    })
}

/// Whether CloudFront would compress a body of `len` bytes of `content_type`.
pub fn compressible(content_type: &str, len: usize) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    (SMALLEST..=LARGEST).contains(&len) && COMPRESSIBLE.contains(&essence)
}

/// `body` in gzip (RFC 1952), at the default level.
pub fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 3),
        flate2::Compression::default(),
    );
    encoder
        .write_all(body)
        .expect("writing into memory cannot fail");
    encoder.finish().expect("writing into memory cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_accepted_only_when_named_or_starred_without_q_zero() {
        assert!(accepts_gzip("gzip, deflate, br"));
        assert!(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
        assert!(accepts_gzip("*"));
        assert!(!accepts_gzip("br, deflate"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip(""));
    }

    #[test]
    fn only_listed_types_of_cloudfronts_sizes_are_compressed() {
        assert!(compressible("application/wasm", 1_300_000));
        assert!(compressible("text/css; charset=utf-8", 24_000));
        assert!(!compressible("text/css", 999));
        assert!(!compressible("text/css", 10_000_001));
        assert!(!compressible("image/png", 50_000));
        assert!(!compressible("application/octet-stream", 50_000));
    }

    #[test]
    fn gzip_round_trips() {
        use std::io::Read;
        let body = b"Cubby ".repeat(500);
        let packed = gzip(&body);
        assert!(packed.len() < body.len() / 10);
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(&packed[..])
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, body);
    }
}
