//! Serde helpers for reading JSON fields one at a time, so that a field of the wrong
//! type is reported by its name (`"exp" claim has the wrong type`, `"region" must be
//! a string`) instead of failing the whole document with serde's generic message.

use std::fmt;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer};

/// Why a text did not read as a JSON object of the expected shape.
#[derive(Debug)]
pub enum ObjectError {
    /// Not JSON at all (serde_json's message says where).
    NotJson(serde_json::Error),
    /// JSON, but not an object (or an object that does not fit `T`, e.g. a field
    /// given twice).
    NotObject,
}

impl fmt::Display for ObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectError::NotJson(e) => write!(f, "not valid JSON ({e})"),
            ObjectError::NotObject => f.write_str("not a JSON object"),
        }
    }
}

impl std::error::Error for ObjectError {}

/// Reads `bytes` as a JSON object into `T`. Only an object is accepted: serde would
/// also fill a struct from an array of its fields in order, which no service sends.
/// A name given twice takes its last value, as `JSON.parse` does (RFC 8259 §4
/// leaves it open; derived serde types would refuse the whole document).
///
/// # Errors
/// [`ObjectError::NotJson`] when `bytes` are not JSON (or not UTF-8),
/// [`ObjectError::NotObject`] when they are JSON of another shape.
pub fn read_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ObjectError> {
    if !bytes.trim_ascii_start().starts_with(b"{") {
        return Err(match serde_json::from_slice::<IgnoredAny>(bytes) {
            Ok(_) => ObjectError::NotObject,
            Err(e) => ObjectError::NotJson(e),
        });
    }
    // Through a map first: its inserts keep the last of repeated names.
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(bytes)
        .map_err(|e| {
            if e.is_data() {
                ObjectError::NotObject
            } else {
                ObjectError::NotJson(e)
            }
        })?;
    T::deserialize(serde_json::Value::Object(object)).map_err(|_| ObjectError::NotObject)
}

/// A field read as `T` when it has `T`'s shape, else kept as [`Loose::Invalid`]
/// (with what was there, as `R`): the document still reads and the caller names the
/// field at fault. Use as `Option<Loose<T>>`: absent or `null` is `None`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Loose<T, R = IgnoredAny> {
    /// The field has `T`'s shape.
    Valid(T),
    /// The field has another shape, kept as `R` (ignored by default).
    Invalid(R),
}

impl<T, R> Loose<T, R> {
    /// The value when it had the expected shape.
    pub fn valid(self) -> Option<T> {
        match self {
            Loose::Valid(value) => Some(value),
            Loose::Invalid(_) => None,
        }
    }
}

/// Seconds since the Unix epoch as JSON numbers carry them: an integer, or a
/// fraction or exponent form (`1700003600.75`, `1.514869445E9`: JWT NumericDate,
/// AWS JSON 1.1 timestamps), rounded down so an expiry is never read late.
/// Negative numbers, numbers of 2^64 or more and anything that is not a number do
/// not read.
///
/// Limits of reading through serde_json's `f64` for fraction and exponent forms:
/// a number with more than 15 significant digits may round (`1700003600.9999999999`
/// reads as 1700003601), and one beyond `f64`'s range (`1e400`) fails the whole
/// document rather than this field. Cognito's tokens carry integers and Cognito
/// Identity's `Expiration` ten digits, so neither reaches these limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochSeconds(pub u64);

impl<'de> Deserialize<'de> for EpochSeconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = EpochSeconds;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("non-negative epoch seconds")
            }

            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<EpochSeconds, E> {
                Ok(EpochSeconds(n))
            }

            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<EpochSeconds, E> {
                u64::try_from(n)
                    .map(EpochSeconds)
                    .map_err(|_| E::custom("negative epoch seconds"))
            }

            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<EpochSeconds, E> {
                // `-0.5` floors to -1; `-0.0` is zero. 2^64 itself does not fit.
                let floor = n.floor();
                if (0.0..18_446_744_073_709_551_616.0).contains(&floor) {
                    Ok(EpochSeconds(floor as u64))
                } else {
                    Err(E::custom("epoch seconds out of range"))
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// An object with one `Loose` field of each kind, to test them together.
#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Shape {
        text: Option<Loose<String>>,
        time: Option<Loose<EpochSeconds, serde_json::Value>>,
    }

    fn read(json: &str) -> Shape {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_field_of_the_wrong_type_does_not_fail_the_document() {
        let shape = read(r#"{"text":5,"time":"1"}"#);
        assert!(matches!(shape.text, Some(Loose::Invalid(_))));
        assert_eq!(
            shape.time,
            Some(Loose::Invalid(serde_json::Value::from("1")))
        );
        let shape = read(r#"{"text":null}"#);
        assert!(shape.text.is_none() && shape.time.is_none());
        let shape = read(r#"{"text":"a\"b"}"#);
        assert_eq!(shape.text.and_then(Loose::valid).as_deref(), Some("a\"b"));
    }

    #[test]
    fn only_objects_read() {
        assert!(read_object::<Shape>(b" {\"text\":\"a\"} ").is_ok());
        for not_object in ["[]", "[null, null]", "\"x\"", "1", "null"] {
            let e = read_object::<Shape>(not_object.as_bytes()).unwrap_err();
            assert!(matches!(e, ObjectError::NotObject), "{not_object}");
        }
        for not_json in ["", "{", "{nope", "[1,]", "{\"text\":1}x", "\u{feff}{}"] {
            let e = read_object::<Shape>(not_json.as_bytes()).unwrap_err();
            assert!(matches!(e, ObjectError::NotJson(_)), "{not_json:?}");
        }
        assert!(read_object::<Shape>(b"\"\xff\"").is_err());
    }

    #[test]
    fn a_repeated_name_takes_its_last_value() {
        let shape: Shape = read_object(br#"{"text":"first","text":"last"}"#).unwrap();
        assert_eq!(shape.text.and_then(Loose::valid).as_deref(), Some("last"));
        let shape: Shape = read_object(br#"{"time":1,"text":"t","time":2}"#).unwrap();
        assert_eq!(shape.time.and_then(Loose::valid), Some(EpochSeconds(2)));
    }

    #[test]
    fn epoch_numbers_round_down() {
        let seconds = |text: &str| serde_json::from_str::<EpochSeconds>(text).ok().map(|s| s.0);
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
            ("1e-999", Some(0)),
            ("1e-999999999999", Some(0)),
            ("18446744073709551615", Some(u64::MAX)),
            ("18446744073709551616", None),
            ("1e20", None),
            ("-1", None),
            ("-0.5", None),
            ("\"5\"", None),
            ("null", None),
        ];
        for (text, expected) in cases {
            assert_eq!(seconds(text), expected, "{text}");
        }
    }
}
