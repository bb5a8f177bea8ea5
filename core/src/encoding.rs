//! Byte encodings shared by every protocol module: base64 (standard and URL-safe,
//! the `base64` crate) and the percent-encoding AWS and OAuth use (the
//! `percent-encoding` crate), with the rules each protocol needs set in one place.

use std::borrow::Cow;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Decoding takes text with or without `=` padding, and non-zero unused bits in the
/// last character (some encoders leave them).
const LENIENT_DECODE: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);

/// RFC 4648 section 4, padded on encoding (checksum headers).
const STANDARD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    LENIENT_DECODE.with_encode_padding(true),
);

/// RFC 4648 section 5, unpadded on encoding (PKCE, JWT).
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    LENIENT_DECODE.with_encode_padding(false),
);

/// Standard base64 with padding (checksum headers), RFC 4648 §4.
pub fn base64_encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Standard base64, padding optional; `None` for anything else.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok()
}

/// URL-safe base64 without padding (PKCE, JWT), RFC 4648 §5.
pub fn base64url_encode(bytes: &[u8]) -> String {
    URL_SAFE.encode(bytes)
}

/// URL-safe base64, padding optional; `None` for anything else.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE.decode(text).ok()
}

/// Everything but RFC 3986's unreserved characters `A-Z a-z 0-9 - . _ ~`.
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// [`RESERVED`] with `/` left literal (S3 object keys in paths).
const RESERVED_BUT_SLASH: &AsciiSet = &RESERVED.remove(b'/');

/// RFC 3986 percent-encoding of everything but unreserved characters, upper-case
/// hex; with `keep_slash`, `/` stays literal. This is AWS's `UriEncode` (S3 object
/// keys in paths with `keep_slash`, query names and values without).
pub fn uri_encode(text: &str, keep_slash: bool) -> String {
    let set = if keep_slash {
        RESERVED_BUT_SLASH
    } else {
        RESERVED
    };
    utf8_percent_encode(text, set).to_string()
}

/// `application/x-www-form-urlencoded` serialisation of name/value pairs, with
/// [`uri_encode`]'s escapes: a space is `%20`, never `+`, which a server could read
/// literally (so not `form_urlencoded::Serializer`, which writes `+`).
pub fn form_encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k, false), uri_encode(v, false)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-decoding; with `plus_as_space`, `+` means a space (form and query strings).
/// `None` for a `%` not followed by two hex digits, or bytes that are not UTF-8
/// (`percent-encoding` itself keeps such a `%` as it is; a redirect or listing that
/// carries one is malformed).
pub fn percent_decode(text: &str, plus_as_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let escapes_ok = bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if !escapes_ok {
        return None;
    }
    let text = if plus_as_space {
        Cow::Owned(text.replace('+', " "))
    } else {
        Cow::Borrowed(text)
    };
    percent_decode_str(&text)
        .decode_utf8()
        .ok()
        .map(Cow::into_owned)
}

/// Splits a query or form string into decoded pairs; `None` if any part is malformed.
pub fn parse_query(query: &str) -> Option<Vec<(String, String)>> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((percent_decode(k, true)?, percent_decode(v, true)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_known_values() {
        // RFC 4648 section 10.
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(plain.as_bytes()), enc);
            assert_eq!(base64_decode(enc).unwrap(), plain.as_bytes());
            assert_eq!(
                base64_decode(enc.trim_end_matches('=')).unwrap(),
                plain.as_bytes()
            );
        }
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64url_decode("-_8").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(base64url_decode("-_8=").unwrap(), vec![0xfb, 0xff]);
        assert!(base64_decode("a").is_none());
        assert!(base64_decode("@@@@").is_none());
        assert!(base64url_decode("+/8").is_none());
    }

    #[test]
    fn uri_encoding_follows_aws_rules() {
        assert_eq!(uri_encode("a b+c%~/é", true), "a%20b%2Bc%25~/%C3%A9");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
        assert_eq!(
            uri_encode("AZaz09-._~!*'()", false),
            "AZaz09-._~%21%2A%27%28%29"
        );
        assert_eq!(percent_decode("a%20b+c", true).unwrap(), "a b c");
        assert_eq!(percent_decode("a+b", false).unwrap(), "a+b");
        assert_eq!(percent_decode("%2B%2b", true).unwrap(), "++");
        assert!(percent_decode("%zz", false).is_none());
        assert!(percent_decode("a%2", false).is_none());
        assert!(percent_decode("%ff", false).is_none());
        assert_eq!(
            parse_query("code=x%2By&state=s+t").unwrap(),
            vec![
                ("code".into(), "x+y".into()),
                ("state".into(), "s t".into())
            ]
        );
        assert_eq!(
            form_encode([("a b", "c&d=e"), ("x", "")]),
            "a%20b=c%26d%3De&x="
        );
    }
}
