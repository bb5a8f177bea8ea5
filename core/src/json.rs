//! A small JSON reader and writer (RFC 8259) for the few shapes the app exchanges:
//! Cognito Identity and token endpoint answers, id token claims, `config.json` and
//! the records kept in browser storage.
//!
//! Smaller in the wasm bundle than a serde-based parser: objects keep their fields
//! in order as a `Vec`, and numbers keep their text, so reading them needs no float
//! parsing and writing them gives back exactly what was read.

use std::fmt;

/// Nesting deeper than this is refused, so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 128;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Null,
    Bool(bool),
    /// The number's text as it appeared (checked against the JSON grammar).
    Number(String),
    String(String),
    Array(Vec<Value>),
    /// Fields in document order; [`Value::get`] takes the last of duplicate names,
    /// as `JSON.parse` does.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// An object from `(name, value)` pairs, in that order.
    pub fn object(fields: Vec<(&str, Value)>) -> Value {
        Value::Object(
            fields
                .into_iter()
                .map(|(name, value)| (name.to_string(), value))
                .collect(),
        )
    }

    /// The value of field `name` of an object.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(fields) => fields.iter().rev().find(|(k, _)| k == name).map(|f| &f.1),
            _ => None,
        }
    }

    /// A field that is absent or `null` reads as `None`.
    pub fn get_non_null(&self, name: &str) -> Option<&Value> {
        self.get(name).filter(|v| **v != Value::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }

    /// A number written as a non-negative integer (no fraction, no exponent) that
    /// fits in a `u64`.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(text) if text.bytes().all(|b| b.is_ascii_digit()) => text.parse().ok(),
            _ => None,
        }
    }

    /// Any non-negative number, rounded down: `1.514869445E9` is `1514869445`. For
    /// times sent as epoch seconds, which may be fractional or in exponent form.
    pub fn as_u64_floor(&self) -> Option<u64> {
        let Value::Number(text) = self else {
            return None;
        };
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.as_str()),
        };
        let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
            Some((m, e)) => (m, parse_exponent(e)),
            None => (unsigned, 0),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits: Vec<u8> = whole
            .bytes()
            .chain(fraction.bytes())
            .skip_while(|&b| b == b'0')
            .collect();
        if digits.is_empty() {
            return Some(0); // zero, also `-0` and `0e5`
        }
        if negative {
            return None;
        }
        // The value is `digits × 10^(exponent - fraction.len())`: this many of the
        // digits stand before the decimal point.
        let whole_digits = digits.len() as i64 + exponent - fraction.len() as i64;
        if whole_digits <= 0 {
            return Some(0);
        }
        if whole_digits > 20 {
            return None;
        }
        let mut value: u64 = 0;
        for i in 0..whole_digits as usize {
            let digit = digits.get(i).map_or(0, |d| u64::from(d - b'0'));
            value = value.checked_mul(10)?.checked_add(digit)?;
        }
        Some(value)
    }

    /// The JSON text, compact, strings escaped as `JSON.stringify` does.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(true) => out.push_str("true"),
            Value::Bool(false) => out.push_str("false"),
            Value::Number(text) => out.push_str(text),
            Value::String(s) => write_string(s, out),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Value::Object(fields) => {
                out.push('{');
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(name, out);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// An exponent's digits with their sign, clamped far beyond what any `u64` needs.
fn parse_exponent(text: &str) -> i64 {
    let (sign, digits) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    let magnitude = digits
        .bytes()
        .fold(0i64, |n, b| (n * 10 + i64::from(b - b'0')).min(1_000_000));
    sign * magnitude
}

/// Quotes and escapes like `JSON.stringify` (and serde_json): `"` and `\`, control
/// characters as `\n`-style or `\u00XX` escapes; everything else as is.
fn write_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut plain_from = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[plain_from..i]);
        plain_from = i + 1;
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push_str(escape);
        }
    }
    out.push_str(&s[plain_from..]);
    out.push('"');
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Value {
        Value::Number(n.to_string())
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Value {
        Value::Number(n.to_string())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Value {
        value.map_or(Value::Null, Into::into)
    }
}

/// Where and why a text is not JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based, counted in lines and characters of the text.
    pub line: usize,
    pub column: usize,
    pub problem: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.problem, self.line, self.column
        )
    }
}

impl std::error::Error for ParseError {}

/// Parses one JSON value; only whitespace may surround it.
pub fn parse(text: &str) -> Result<Value, ParseError> {
    let mut parser = Parser { text, pos: 0 };
    let result = parser.value(0).and_then(|value| {
        parser.skip_whitespace();
        if parser.pos == text.len() {
            Ok(value)
        } else {
            Err("trailing characters")
        }
    });
    result.map_err(|problem| {
        // A bad escape can leave the position inside a multi-byte character.
        let mut end = parser.pos.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let before = &text[..end];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        ParseError {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
            problem,
        }
    })
}

/// Parses JSON from bytes, which must be UTF-8.
pub fn parse_bytes(bytes: &[u8]) -> Result<Value, ParseError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text),
        Err(e) => Err(ParseError {
            line: 1,
            column: e.valid_up_to() + 1,
            problem: "invalid UTF-8",
        }),
    }
}

struct Parser<'a> {
    text: &'a str,
    /// Byte offset of the next character; always on a character boundary.
    pos: usize,
}

type Step<T> = Result<T, &'static str>;

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect_word(&mut self, word: &str, value: Value) -> Step<Value> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err("unknown literal")
        }
    }

    fn value(&mut self, depth: usize) -> Step<Value> {
        if depth > MAX_DEPTH {
            return Err("nesting too deep");
        }
        self.skip_whitespace();
        match self.peek() {
            None => Err("unexpected end"),
            Some(b'n') => self.expect_word("null", Value::Null),
            Some(b't') => self.expect_word("true", Value::Bool(true)),
            Some(b'f') => self.expect_word("false", Value::Bool(false)),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                if self.close(b']') {
                    return Ok(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.separator(b']')? {
                        return Ok(Value::Array(items));
                    }
                }
            }
            Some(b'{') => {
                self.pos += 1;
                let mut fields = Vec::new();
                if self.close(b'}') {
                    return Ok(Value::Object(fields));
                }
                loop {
                    self.skip_whitespace();
                    if self.peek() != Some(b'"') {
                        return Err("expected a field name");
                    }
                    let name = self.string()?;
                    self.skip_whitespace();
                    if self.peek() != Some(b':') {
                        return Err("expected ':'");
                    }
                    self.pos += 1;
                    fields.push((name, self.value(depth + 1)?));
                    if self.separator(b'}')? {
                        return Ok(Value::Object(fields));
                    }
                }
            }
            Some(_) => Err("expected a value"),
        }
    }

    /// Consumes `end` (after whitespace) if it comes next: an empty array or object.
    fn close(&mut self, end: u8) -> bool {
        self.skip_whitespace();
        let found = self.peek() == Some(end);
        if found {
            self.pos += 1;
        }
        found
    }

    /// After an item: `,` (more follow, `false`) or `end` (`true`).
    fn separator(&mut self, end: u8) -> Step<bool> {
        self.skip_whitespace();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(false)
            }
            Some(b) if b == end => {
                self.pos += 1;
                Ok(true)
            }
            Some(_) => Err("expected ',' or a closing bracket"),
            None => Err("unexpected end"),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Step<Value> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err("invalid number"),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err("invalid number");
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err("invalid number");
            }
        }
        Ok(Value::Number(self.text[start..self.pos].to_string()))
    }

    /// A string, the opening quote next.
    fn string(&mut self) -> Step<String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let start = self.pos;
            while self
                .peek()
                .is_some_and(|b| b != b'"' && b != b'\\' && b >= 0x20)
            {
                self.pos += 1;
            }
            // Stopped on an ASCII byte or the end: a character boundary.
            out.push_str(&self.text[start..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    out.push(self.escape()?);
                }
                Some(_) => return Err("control character in string"),
                None => return Err("unterminated string"),
            }
        }
    }

    /// The character of an escape, the backslash consumed.
    fn escape(&mut self) -> Step<char> {
        let Some(b) = self.peek() else {
            return Err("unterminated string");
        };
        self.pos += 1;
        let c = match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                let code = match unit {
                    0xd800..=0xdbff => {
                        // A high surrogate must be followed by `\u` and a low one.
                        if !self.text[self.pos..].starts_with("\\u") {
                            return Err("lone surrogate in \\u escape");
                        }
                        self.pos += 2;
                        let low = self.hex4()?;
                        if !(0xdc00..=0xdfff).contains(&low) {
                            return Err("lone surrogate in \\u escape");
                        }
                        0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00)
                    }
                    0xdc00..=0xdfff => return Err("lone surrogate in \\u escape"),
                    _ => unit,
                };
                char::from_u32(code).ok_or("invalid \\u escape")?
            }
            _ => return Err("invalid escape"),
        };
        Ok(c)
    }

    fn hex4(&mut self) -> Step<u32> {
        let hex = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or("invalid \\u escape")?;
        let mut unit = 0;
        for b in hex.bytes() {
            let digit = char::from(b).to_digit(16).ok_or("invalid \\u escape")?;
            unit = unit * 16 + digit;
        }
        self.pos += 4;
        Ok(unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> Value {
        Value::Number(text.to_string())
    }

    #[test]
    fn parses_every_kind_of_value() {
        let v =
            parse(r#" {"a": [1, -2.5e+3, true, false, null], "b": {"c": "d"}, "e": {}, "f": []} "#)
                .unwrap();
        assert_eq!(
            v,
            Value::object(vec![
                (
                    "a",
                    Value::Array(vec![
                        number("1"),
                        number("-2.5e+3"),
                        Value::Bool(true),
                        Value::Bool(false),
                        Value::Null
                    ])
                ),
                ("b", Value::object(vec![("c", "d".into())])),
                ("e", Value::Object(vec![])),
                ("f", Value::Array(vec![])),
            ])
        );
        assert_eq!(
            v.get("b").and_then(|b| b.get("c")).and_then(Value::as_str),
            Some("d")
        );
        assert_eq!(v.get("missing"), None);
        assert_eq!(parse("\"x\"").unwrap().get("x"), None);
    }

    #[test]
    fn string_escapes_and_surrogate_pairs() {
        let v = parse(r#""q\" b\\ s\/ \b\f\n\r\t \u00e9 \u20AC \ud83d\ude00 é😀""#).unwrap();
        assert_eq!(v.as_str(), Some("q\" b\\ s/ \u{8}\u{c}\n\r\t é € 😀 é😀"));
        for bad in [
            r#""\ud83d""#,
            r#""\ud83dx""#,
            r#""\ud83d\u0041""#,
            r#""\ude00""#,
            r#""\u12""#,
            r#""\u12g4""#,
            r#""\x""#,
            "\"\\\u{feff}\"",
            "\"a\nb\"",
            "\"open",
            "\"ends in backslash\\",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rejects_what_is_not_json() {
        for bad in [
            "",
            " ",
            "{",
            "[1,]",
            "[1 2]",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "{a:1}",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "1e+",
            "+1",
            "tru",
            "nul",
            "NaN",
            "[1]x",
            "{} {}",
            "'a'",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert_eq!(parse(&deep).unwrap_err().problem, "nesting too deep");
        let shallow = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&shallow).is_ok());
    }

    #[test]
    fn errors_say_where() {
        let e = parse("{\n  \"a\": tru\n}").unwrap_err();
        assert_eq!((e.line, e.column), (2, 8));
        assert_eq!(e.to_string(), "unknown literal at line 2 column 8");
        let e = parse_bytes(b"\"ab\xff\"").unwrap_err();
        assert_eq!((e.problem, e.column), ("invalid UTF-8", 4));
    }

    #[test]
    fn integers_read_exactly() {
        assert_eq!(parse("3600").unwrap().as_u64(), Some(3600));
        assert_eq!(
            parse("18446744073709551615").unwrap().as_u64(),
            Some(u64::MAX)
        );
        for not_u64 in ["18446744073709551616", "-1", "1.0", "1e3", "\"1\"", "null"] {
            assert_eq!(parse(not_u64).unwrap().as_u64(), None, "{not_u64}");
        }
    }

    #[test]
    fn epoch_numbers_round_down() {
        let cases = [
            ("1700003600", Some(1700003600)),
            ("1700003600.75", Some(1700003600)),
            ("1.514869445E9", Some(1514869445)),
            ("1.5148694456E9", Some(1514869445)),
            ("1514869445e0", Some(1514869445)),
            ("15148694450E-1", Some(1514869445)),
            ("1.7e+9", Some(1700000000)),
            ("0", Some(0)),
            ("-0", Some(0)),
            ("0.0e5", Some(0)),
            ("0.9", Some(0)),
            ("5e-1", Some(0)),
            ("1e-999999999999", Some(0)),
            ("000", None), // not JSON: never reaches here, see below
            ("18446744073709551615", Some(u64::MAX)),
            ("1.8446744073709551615e19", Some(u64::MAX)),
            ("18446744073709551616", None),
            ("1e20", None),
            ("1e999999999999", None),
            ("-1", None),
            ("-0.5", None),
        ];
        for (text, expected) in cases {
            if text == "000" {
                assert!(parse(text).is_err());
                continue;
            }
            assert_eq!(parse(text).unwrap().as_u64_floor(), expected, "{text}");
        }
        assert_eq!(Value::from("5").as_u64_floor(), None);
    }

    #[test]
    fn writes_compact_json_that_reads_back() {
        let v = Value::object(vec![
            ("s", "a\"b\\c\n\u{1}\u{1f}/é😀\u{7f}".into()),
            ("n", 42u64.into()),
            ("none", Option::<String>::None.into()),
            ("some", Some("x").into()),
            ("b", true.into()),
            ("list", Value::Array(vec![1u32.into(), Value::Null])),
        ]);
        let text = v.to_json();
        assert_eq!(
            text,
            r#"{"s":"a\"b\\c\n\u0001\u001f/é😀"#.to_string()
                + "\u{7f}"
                + r#"","n":42,"none":null,"some":"x","b":true,"list":[1,null]}"#
        );
        assert_eq!(parse(&text).unwrap(), v);
    }

    #[test]
    fn duplicate_names_take_the_last() {
        let v = parse(r#"{"a":1,"a":2}"#).unwrap();
        assert_eq!(v.get("a").and_then(Value::as_u64), Some(2));
        assert_eq!(v.to_json(), r#"{"a":1,"a":2}"#);
    }

    #[test]
    fn get_non_null_skips_null() {
        let v = parse(r#"{"a":null,"b":0}"#).unwrap();
        assert_eq!(v.get("a"), Some(&Value::Null));
        assert_eq!(v.get_non_null("a"), None);
        assert_eq!(v.get_non_null("b"), Some(&number("0")));
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod round_trip {
        use super::super::*;
        use proptest::prelude::*;

        fn value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<u64>().prop_map(Value::from),
                any::<i64>().prop_map(|n| Value::Number(n.to_string())),
                (any::<i32>(), 0u32..1000, -30i32..30)
                    .prop_map(|(m, f, e)| { Value::Number(format!("{m}.{f}e{e}")) }),
                any::<String>().prop_map(Value::String),
            ];
            leaf.prop_recursive(4, 64, 8, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                    prop::collection::vec((any::<String>(), inner), 0..8).prop_map(Value::Object),
                ]
            })
        }

        proptest! {
            #[test]
            fn written_values_parse_back(v in value()) {
                prop_assert_eq!(parse(&v.to_json()).unwrap(), v);
            }

            #[test]
            fn agrees_with_serde_json(v in value()) {
                // Same text as serde_json writes, so stored keys and records stay
                // readable across the switch.
                let text = v.to_json();
                prop_assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
                if let Value::String(s) = &v {
                    prop_assert_eq!(serde_json::to_string(s).unwrap(), text);
                }
            }

            #[test]
            fn never_panics(text in "\\PC{0,40}") {
                let _ = parse(&text);
            }

            #[test]
            fn u64_floor_matches_integers(n in any::<u64>(), frac in 0u32..1000) {
                prop_assert_eq!(parse(&n.to_string()).unwrap().as_u64_floor(), Some(n));
                prop_assert_eq!(parse(&format!("{n}.{frac}")).unwrap().as_u64_floor(), Some(n));
            }
        }
    }
}
