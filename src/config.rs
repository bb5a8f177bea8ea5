//! The runtime configuration, read from `config.json` next to `index.html`, so one
//! build runs against the local emulator or any AWS account.
//!
//! Parsing is pure; a bad file gives a [`ConfigError`] that names the field and says
//! what is wrong, which the app shows in the page.

use cubby_core::json::{self, Value};
use std::fmt;

/// Parts of one multipart upload sent at once when `uploadPartsInFlight` is not
/// given.
pub const UPLOAD_PARTS_IN_FLIGHT_DEFAULT: usize = 4;
/// The fewest parts sent at once `uploadPartsInFlight` may ask for.
pub const UPLOAD_PARTS_IN_FLIGHT_MIN: usize = 1;
/// The most parts sent at once `uploadPartsInFlight` may ask for (memory: parts
/// in flight × part size).
pub const UPLOAD_PARTS_IN_FLIGHT_MAX: usize = 16;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// AWS region of the user pool, identity pool and bucket, e.g. `us-east-1`.
    pub region: String,
    pub user_pool_id: String,
    /// The public app client (no secret).
    pub client_id: String,
    /// Base URL of the Hosted UI (managed login), without a trailing slash.
    pub hosted_ui_url: String,
    pub identity_pool_id: String,
    pub bucket: String,
    /// A custom S3 endpoint; when set, requests use path-style addressing.
    pub s3_endpoint: Option<String>,
    pub cognito_identity_endpoint: Option<String>,
    pub sts_endpoint: Option<String>,
    pub redirect_uri: String,
    pub sign_out_uri: String,
    pub scopes: Vec<String>,
    /// Parts of one multipart upload sent at once (`uploadPartsInFlight`,
    /// [`UPLOAD_PARTS_IN_FLIGHT_MIN`]..=[`UPLOAD_PARTS_IN_FLIGHT_MAX`]).
    pub upload_parts_in_flight: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The JSON field at fault, or `None` when the file as a whole is wrong.
    pub field: Option<&'static str>,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some(field) => write!(f, "config.json: \"{field}\" {}", self.problem),
            None => write!(f, "config.json: {}", self.problem),
        }
    }
}

impl std::error::Error for ConfigError {}

fn err(field: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        field: Some(field),
        problem: problem.into(),
    }
}

fn required<'a>(obj: &'a Value, field: &'static str) -> Result<&'a str, ConfigError> {
    match obj.get(field) {
        None | Some(Value::Null) => Err(err(field, "is missing")),
        Some(Value::String(s)) if s.trim().is_empty() => Err(err(field, "is empty")),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(err(field, "must be a string")),
    }
}

fn optional<'a>(obj: &'a Value, field: &'static str) -> Result<Option<&'a str>, ConfigError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(err(field, "must be a string")),
    }
}

/// An absolute http(s) URL without query or fragment. Plain http is only accepted
/// for loopback hosts, as AWS itself only allows for `localhost` redirect URIs.
fn url(field: &'static str, value: &str) -> Result<String, ConfigError> {
    let rest = if let Some(rest) = value.strip_prefix("https://") {
        rest
    } else if let Some(rest) = value.strip_prefix("http://") {
        let host = rest.split(['/', ':']).next().unwrap_or("");
        if !matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
            return Err(err(
                field,
                format!("must use https:// (plain http is only for localhost), got \"{value}\""),
            ));
        }
        rest
    } else {
        return Err(err(
            field,
            format!("must be an absolute https:// URL, got \"{value}\""),
        ));
    };
    if rest.is_empty() || rest.starts_with('/') {
        return Err(err(field, format!("has no host: \"{value}\"")));
    }
    if value.contains(['?', '#', ' ']) {
        return Err(err(
            field,
            format!("must not contain a query, fragment or space: \"{value}\""),
        ));
    }
    Ok(value.to_string())
}

fn base_url(field: &'static str, value: &str) -> Result<String, ConfigError> {
    Ok(url(field, value)?.trim_end_matches('/').to_string())
}

fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// Bucket names per S3's rules: 3-63 characters of lower-case letters, digits, `.`
/// and `-`, starting and ending with a letter or digit.
fn is_bucket_name(s: &str) -> bool {
    (3..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && s.as_bytes()[0].is_ascii_alphanumeric()
        && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric()
}

impl Config {
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let obj = json::parse(text).map_err(|e| ConfigError {
            field: None,
            problem: format!("is not valid JSON ({e})"),
        })?;
        if !obj.is_object() {
            return Err(ConfigError {
                field: None,
                problem: "must be a JSON object".into(),
            });
        }

        let region = required(&obj, "region")?;
        if !is_region(region) {
            return Err(err(
                "region",
                format!("is not an AWS region name like \"us-east-1\": \"{region}\""),
            ));
        }
        let user_pool_id = required(&obj, "userPoolId")?;
        match user_pool_id.split_once('_') {
            Some((r, id)) if r == region && !id.is_empty() => {}
            _ => {
                return Err(err(
                    "userPoolId",
                    format!("must look like \"{region}_AbC123\" (region, underscore, id), got \"{user_pool_id}\""),
                ))
            }
        }
        let client_id = required(&obj, "clientId")?;
        if !client_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(err("clientId", "must contain only letters and digits"));
        }
        let hosted_ui_url = base_url("hostedUiUrl", required(&obj, "hostedUiUrl")?)?;
        let identity_pool_id = required(&obj, "identityPoolId")?;
        match identity_pool_id.split_once(':') {
            Some((r, id)) if r == region && !id.is_empty() => {}
            _ => {
                return Err(err(
                    "identityPoolId",
                    format!("must look like \"{region}:<guid>\", got \"{identity_pool_id}\""),
                ))
            }
        }
        let bucket = required(&obj, "bucket")?;
        if !is_bucket_name(bucket) {
            return Err(err(
                "bucket",
                format!("is not a valid S3 bucket name: \"{bucket}\""),
            ));
        }
        let s3_endpoint = optional(&obj, "s3Endpoint")?
            .map(|v| base_url("s3Endpoint", v))
            .transpose()?;
        let cognito_identity_endpoint = optional(&obj, "cognitoIdentityEndpoint")?
            .map(|v| base_url("cognitoIdentityEndpoint", v))
            .transpose()?;
        let sts_endpoint = optional(&obj, "stsEndpoint")?
            .map(|v| base_url("stsEndpoint", v))
            .transpose()?;
        let redirect_uri = url("redirectUri", required(&obj, "redirectUri")?)?;
        let sign_out_uri = url("signOutUri", required(&obj, "signOutUri")?)?;
        let scopes = match obj.get("scopes") {
            None | Some(Value::Null) => vec!["openid".into(), "email".into(), "profile".into()],
            Some(Value::Array(items)) => {
                let mut scopes = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) if !s.is_empty() && !s.contains(' ') => {
                            scopes.push(s.clone())
                        }
                        _ => {
                            return Err(err(
                                "scopes",
                                "must be a list of scope names without spaces",
                            ))
                        }
                    }
                }
                scopes
            }
            Some(_) => return Err(err("scopes", "must be a list of strings")),
        };
        if !scopes.iter().any(|s| s == "openid") {
            return Err(err(
                "scopes",
                "must include \"openid\" (the id token needs it)",
            ));
        }

        let upload_parts_in_flight = match obj.get("uploadPartsInFlight") {
            None | Some(Value::Null) => UPLOAD_PARTS_IN_FLIGHT_DEFAULT,
            Some(value) => match value.as_u64() {
                Some(n)
                    if (UPLOAD_PARTS_IN_FLIGHT_MIN as u64..=UPLOAD_PARTS_IN_FLIGHT_MAX as u64)
                        .contains(&n) =>
                {
                    n as usize
                }
                _ => {
                    return Err(err(
                        "uploadPartsInFlight",
                        format!(
                            "must be a whole number from {UPLOAD_PARTS_IN_FLIGHT_MIN} to \
                             {UPLOAD_PARTS_IN_FLIGHT_MAX}, got {}",
                            value.to_json()
                        ),
                    ))
                }
            },
        };

        Ok(Config {
            region: region.into(),
            user_pool_id: user_pool_id.into(),
            client_id: client_id.into(),
            hosted_ui_url,
            identity_pool_id: identity_pool_id.into(),
            bucket: bucket.into(),
            s3_endpoint,
            cognito_identity_endpoint,
            sts_endpoint,
            redirect_uri,
            sign_out_uri,
            scopes,
            upload_parts_in_flight,
        })
    }

    /// The Cognito Identity endpoint: the configured one, else AWS's for the region.
    pub fn cognito_identity_url(&self) -> String {
        self.cognito_identity_endpoint
            .clone()
            .unwrap_or_else(|| format!("https://cognito-identity.{}.amazonaws.com", self.region))
    }

    /// The STS endpoint: the configured one, else AWS's regional one.
    pub fn sts_url(&self) -> String {
        self.sts_endpoint
            .clone()
            .unwrap_or_else(|| format!("https://sts.{}.amazonaws.com", self.region))
    }

    /// The token issuer and `Logins` key of the user pool, as AWS forms them.
    pub fn issuer(&self) -> String {
        format!(
            "https://cognito-idp.{}.amazonaws.com/{}",
            self.region, self.user_pool_id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const SAMPLE: &str = r#"{
        "region": "us-east-1",
        "userPoolId": "us-east-1_Example1",
        "clientId": "abc123",
        "hostedUiUrl": "http://127.0.0.1:9001/",
        "identityPoolId": "us-east-1:0000-1111",
        "bucket": "cubby-data",
        "s3Endpoint": "http://127.0.0.1:9003",
        "redirectUri": "http://127.0.0.1:8080/",
        "signOutUri": "http://127.0.0.1:8080/"
    }"#;

    /// SAMPLE with `field` set to `value` (added when absent).
    fn with(field: &str, value: Value) -> String {
        let Ok(Value::Object(mut fields)) = json::parse(SAMPLE) else {
            panic!("SAMPLE is an object");
        };
        fields.retain(|(name, _)| name != field);
        fields.push((field.to_string(), value));
        Value::Object(fields).to_json()
    }

    #[test]
    fn parses_a_good_config_with_defaults() {
        let c = Config::parse(SAMPLE).unwrap();
        assert_eq!(c.hosted_ui_url, "http://127.0.0.1:9001");
        assert_eq!(c.scopes, vec!["openid", "email", "profile"]);
        assert_eq!(c.upload_parts_in_flight, 4);
        let c = Config::parse(&with("uploadPartsInFlight", Value::Number("16".into()))).unwrap();
        assert_eq!(c.upload_parts_in_flight, 16);
        assert_eq!(c.sts_url(), "https://sts.us-east-1.amazonaws.com");
        assert_eq!(
            c.issuer(),
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1"
        );
    }

    #[test]
    fn names_the_field_at_fault() {
        let cases = [
            (with("bucket", Value::Null), "bucket", "is missing"),
            (
                with("bucket", "Bad_Bucket".into()),
                "bucket",
                "not a valid S3 bucket",
            ),
            (with("region", 5u64.into()), "region", "must be a string"),
            (
                with("hostedUiUrl", "ftp://x".into()),
                "hostedUiUrl",
                "absolute https",
            ),
            (
                with("hostedUiUrl", "http://evil.example".into()),
                "hostedUiUrl",
                "only for localhost",
            ),
            (
                with("identityPoolId", "eu-west-1:x".into()),
                "identityPoolId",
                "us-east-1:<guid>",
            ),
            (
                with("scopes", Value::Array(vec!["email".into()])),
                "scopes",
                "openid",
            ),
            (
                with("uploadPartsInFlight", Value::Number("0".into())),
                "uploadPartsInFlight",
                "from 1 to 16, got 0",
            ),
            (
                with("uploadPartsInFlight", Value::Number("17".into())),
                "uploadPartsInFlight",
                "got 17",
            ),
            (
                with("uploadPartsInFlight", Value::Number("2.5".into())),
                "uploadPartsInFlight",
                "whole number",
            ),
            (
                with("uploadPartsInFlight", "4".into()),
                "uploadPartsInFlight",
                "whole number",
            ),
        ];
        for (text, field, problem) in cases {
            let e = Config::parse(&text).unwrap_err();
            assert_eq!(e.field, Some(field), "{e}");
            assert!(e.problem.contains(problem), "{e}");
        }
        let e = Config::parse("{").unwrap_err();
        assert_eq!(e.field, None);
        assert!(e.to_string().contains("not valid JSON"));
    }
}
