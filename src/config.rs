//! The runtime configuration, read from `config.json` next to `index.html`, so one
//! build runs against the local emulator or any AWS account.
//!
//! Parsing is pure; a bad file gives a [`ConfigError`] that names the field and says
//! what is wrong, which the app shows in the page.

use cubby_core::json_fields::{read_object, Loose, ObjectError};
use serde::Deserialize;
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

/// `config.json` as written. Every field is read on its own ([`Loose`]), so a field
/// of the wrong type gets a message naming it rather than serde's generic one.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigFile {
    region: Option<Loose<String>>,
    user_pool_id: Option<Loose<String>>,
    client_id: Option<Loose<String>>,
    hosted_ui_url: Option<Loose<String>>,
    identity_pool_id: Option<Loose<String>>,
    bucket: Option<Loose<String>>,
    s3_endpoint: Option<Loose<String>>,
    cognito_identity_endpoint: Option<Loose<String>>,
    sts_endpoint: Option<Loose<String>>,
    redirect_uri: Option<Loose<String>>,
    sign_out_uri: Option<Loose<String>>,
    /// A list of strings; any other list is kept to say what is wrong with it.
    scopes: Option<Loose<Vec<String>, serde_json::Value>>,
    /// The value as written is kept for the message when it is not a count.
    upload_parts_in_flight: Option<Loose<u64, serde_json::Value>>,
}

fn required(value: Option<Loose<String>>, field: &'static str) -> Result<String, ConfigError> {
    match value {
        None => Err(err(field, "is missing")),
        Some(Loose::Valid(s)) if s.trim().is_empty() => Err(err(field, "is empty")),
        Some(Loose::Valid(s)) => Ok(s),
        Some(Loose::Invalid(_)) => Err(err(field, "must be a string")),
    }
}

fn optional(
    value: Option<Loose<String>>,
    field: &'static str,
) -> Result<Option<String>, ConfigError> {
    match value {
        None => Ok(None),
        Some(Loose::Valid(s)) if s.trim().is_empty() => Ok(None),
        Some(Loose::Valid(s)) => Ok(Some(s)),
        Some(Loose::Invalid(_)) => Err(err(field, "must be a string")),
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
    /// Reads and checks `config.json`.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first field at fault (in the order of
    /// [`Config`]'s fields), or none when the text is not a JSON object.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let file: ConfigFile = read_object(text.as_bytes()).map_err(|e| ConfigError {
            field: None,
            problem: match e {
                ObjectError::NotJson(e) => format!("is not valid JSON ({e})"),
                ObjectError::NotObject => "must be a JSON object".into(),
            },
        })?;

        let region = required(file.region, "region")?;
        if !is_region(&region) {
            return Err(err(
                "region",
                format!("is not an AWS region name like \"us-east-1\": \"{region}\""),
            ));
        }
        let user_pool_id = required(file.user_pool_id, "userPoolId")?;
        match user_pool_id.split_once('_') {
            Some((r, id)) if r == region && !id.is_empty() => {}
            _ => {
                return Err(err(
                    "userPoolId",
                    format!("must look like \"{region}_AbC123\" (region, underscore, id), got \"{user_pool_id}\""),
                ))
            }
        }
        let client_id = required(file.client_id, "clientId")?;
        if !client_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(err("clientId", "must contain only letters and digits"));
        }
        let hosted_ui_url = base_url("hostedUiUrl", &required(file.hosted_ui_url, "hostedUiUrl")?)?;
        let identity_pool_id = required(file.identity_pool_id, "identityPoolId")?;
        match identity_pool_id.split_once(':') {
            Some((r, id)) if r == region && !id.is_empty() => {}
            _ => {
                return Err(err(
                    "identityPoolId",
                    format!("must look like \"{region}:<guid>\", got \"{identity_pool_id}\""),
                ))
            }
        }
        let bucket = required(file.bucket, "bucket")?;
        if !is_bucket_name(&bucket) {
            return Err(err(
                "bucket",
                format!("is not a valid S3 bucket name: \"{bucket}\""),
            ));
        }
        let endpoint = |value, field| -> Result<Option<String>, ConfigError> {
            optional(value, field)?
                .map(|v| base_url(field, &v))
                .transpose()
        };
        let s3_endpoint = endpoint(file.s3_endpoint, "s3Endpoint")?;
        let cognito_identity_endpoint =
            endpoint(file.cognito_identity_endpoint, "cognitoIdentityEndpoint")?;
        let sts_endpoint = endpoint(file.sts_endpoint, "stsEndpoint")?;
        let redirect_uri = url("redirectUri", &required(file.redirect_uri, "redirectUri")?)?;
        let sign_out_uri = url("signOutUri", &required(file.sign_out_uri, "signOutUri")?)?;
        let scopes = match file.scopes {
            None => vec!["openid".into(), "email".into(), "profile".into()],
            Some(Loose::Valid(scopes))
                if scopes.iter().all(|s| !s.is_empty() && !s.contains(' ')) =>
            {
                scopes
            }
            Some(Loose::Valid(_) | Loose::Invalid(serde_json::Value::Array(_))) => {
                return Err(err(
                    "scopes",
                    "must be a list of scope names without spaces",
                ))
            }
            Some(Loose::Invalid(_)) => return Err(err("scopes", "must be a list of strings")),
        };
        if !scopes.iter().any(|s| s == "openid") {
            return Err(err(
                "scopes",
                "must include \"openid\" (the id token needs it)",
            ));
        }

        let upload_parts_in_flight = match file.upload_parts_in_flight {
            None => UPLOAD_PARTS_IN_FLIGHT_DEFAULT,
            Some(Loose::Valid(n))
                if (UPLOAD_PARTS_IN_FLIGHT_MIN as u64..=UPLOAD_PARTS_IN_FLIGHT_MAX as u64)
                    .contains(&n) =>
            {
                n as usize
            }
            Some(wrong) => {
                let written = match wrong {
                    Loose::Valid(n) => n.to_string(),
                    Loose::Invalid(value) => value.to_string(),
                };
                return Err(err(
                    "uploadPartsInFlight",
                    format!(
                        "must be a whole number from {UPLOAD_PARTS_IN_FLIGHT_MIN} to \
                         {UPLOAD_PARTS_IN_FLIGHT_MAX}, got {written}"
                    ),
                ));
            }
        };

        Ok(Config {
            region,
            user_pool_id,
            client_id,
            hosted_ui_url,
            identity_pool_id,
            bucket,
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
    use serde_json::Value;

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
        let Ok(Value::Object(mut fields)) = serde_json::from_str(SAMPLE) else {
            panic!("SAMPLE is an object");
        };
        fields.insert(field.to_string(), value);
        Value::Object(fields).to_string()
    }

    /// A JSON number as written.
    fn number(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn parses_a_good_config_with_defaults() {
        let c = Config::parse(SAMPLE).unwrap();
        assert_eq!(c.hosted_ui_url, "http://127.0.0.1:9001");
        assert_eq!(c.scopes, vec!["openid", "email", "profile"]);
        assert_eq!(c.upload_parts_in_flight, 4);
        let c = Config::parse(&with("uploadPartsInFlight", number("16"))).unwrap();
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
            (with("region", 5.into()), "region", "must be a string"),
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
                with("scopes", Value::from(vec!["email"])),
                "scopes",
                "openid",
            ),
            (
                with("uploadPartsInFlight", number("0")),
                "uploadPartsInFlight",
                "from 1 to 16, got 0",
            ),
            (
                with("uploadPartsInFlight", number("17")),
                "uploadPartsInFlight",
                "got 17",
            ),
            (
                with("uploadPartsInFlight", number("2.5")),
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
