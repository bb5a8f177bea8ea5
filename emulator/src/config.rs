//! The emulator's configuration: one JSON file (camelCase fields), or [`EmulatorConfig::dev`].

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmulatorConfig {
    /// AWS region, e.g. `us-east-1`.
    pub region: String,
    /// `<region>_<id>`.
    pub user_pool_id: String,
    /// The public app client id (letters and digits).
    pub client_id: String,
    /// Allowed `redirect_uri` values; empty = `[<app origin>/]`.
    #[serde(default)]
    pub callback_urls: Vec<String>,
    /// Allowed `logout_uri` values; empty = `[<app origin>/]`.
    #[serde(default)]
    pub sign_out_urls: Vec<String>,
    /// Scopes the app client may ask for.
    #[serde(default = "default_scopes")]
    pub allowed_scopes: Vec<String>,
    pub users: Vec<UserConfig>,
    /// `<region>:<guid>`.
    pub identity_pool_id: String,
    /// The role STS AssumeRoleWithWebIdentity accepts.
    #[serde(default = "default_role_arn")]
    pub authenticated_role_arn: String,
    pub bucket: String,
    /// Bucket CORS rules; empty = [`CorsRule::default_for`] the app origin.
    #[serde(default)]
    pub cors: Vec<CorsRule>,
    #[serde(default)]
    pub lifetimes: Lifetimes,
    /// The app client's refresh-token rotation; the default is what
    /// `deploy/cubby.yaml` ships.
    #[serde(default)]
    pub refresh_token_rotation: RefreshTokenRotation,
    /// Where objects live (`<dataDir>/s3/<bucket>/...`). Relative to the working directory.
    pub data_dir: PathBuf,
    #[serde(default)]
    pub ports: Ports,
    /// The built app to serve on the app port (SPA fallback to `index.html`); optional.
    #[serde(default)]
    pub app_dir: Option<PathBuf>,
    /// Print one line per request (service, method, path without query, status).
    #[serde(default)]
    pub log_requests: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserConfig {
    pub username: String,
    pub password: String,
    pub email: String,
    /// The user-pool `sub`; derived from the pool id and username when absent.
    #[serde(default)]
    pub sub: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CorsRule {
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    #[serde(default)]
    pub allowed_headers: Vec<String>,
    #[serde(default)]
    pub expose_headers: Vec<String>,
    #[serde(default)]
    pub max_age_seconds: Option<u64>,
}

/// Methods of the default CORS rule: every method the app uses on S3.
pub const DEFAULT_CORS_METHODS: [&str; 5] = ["GET", "HEAD", "PUT", "POST", "DELETE"];
/// Request headers of the default CORS rule (any: SigV4, checksums, conditions, ranges).
pub const DEFAULT_CORS_ALLOWED_HEADERS: [&str; 1] = ["*"];
/// Response headers the default CORS rule exposes to the app: `ETag` (multipart
/// uploads, conditional writes), `Date` (clock-skew correction), request ids (error
/// reports), and the object headers the app reads (versions and delete markers among
/// them).
pub const DEFAULT_CORS_EXPOSE_HEADERS: [&str; 10] = [
    "ETag",
    "Date",
    "x-amz-request-id",
    "x-amz-id-2",
    "x-amz-version-id",
    "x-amz-delete-marker",
    "x-amz-checksum-crc32",
    "Content-Range",
    "Content-Disposition",
    "Content-Length",
];
/// `Access-Control-Max-Age` of the default CORS rule, in seconds.
pub const DEFAULT_CORS_MAX_AGE_SECONDS: u64 = 3000;

/// Scopes the app client allows when the config names none.
pub const DEFAULT_SCOPES: [&str; 3] = ["openid", "email", "profile"];

impl CorsRule {
    /// The bucket CORS rule used when the config has none: the app origin only.
    pub fn default_for(app_origin: &str) -> CorsRule {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        CorsRule {
            allowed_origins: vec![app_origin.to_string()],
            allowed_methods: strings(&DEFAULT_CORS_METHODS),
            allowed_headers: strings(&DEFAULT_CORS_ALLOWED_HEADERS),
            expose_headers: strings(&DEFAULT_CORS_EXPOSE_HEADERS),
            max_age_seconds: Some(DEFAULT_CORS_MAX_AGE_SECONDS),
        }
    }
}

/// Lifetimes in seconds. The defaults are AWS's.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Lifetimes {
    pub id_token_seconds: u64,
    pub access_token_seconds: u64,
    pub refresh_token_seconds: u64,
    pub code_seconds: u64,
    /// Temporary AWS credentials from GetCredentialsForIdentity.
    pub credentials_seconds: u64,
    /// GetOpenIdToken tokens.
    pub open_id_token_seconds: u64,
    /// The Hosted UI session cookie.
    pub session_seconds: u64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            id_token_seconds: 3600,
            access_token_seconds: 3600,
            refresh_token_seconds: 30 * 24 * 3600,
            code_seconds: 300,
            credentials_seconds: 3600,
            open_id_token_seconds: 600,
            session_seconds: 3600,
        }
    }
}

/// Refresh-token rotation of the app client, in the shape of CloudFormation's
/// `AWS::Cognito::UserPoolClient` `RefreshTokenRotation` (and the API's
/// `RefreshTokenRotationType`, with this file's camelCase names): with `feature`
/// `ENABLED` every refresh grant answers
/// with a new refresh token, which lives for what was left of the one it replaces,
/// and the submitted token works for `retry_grace_period_seconds` (0-60) more.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RefreshTokenRotation {
    /// `ENABLED` or `DISABLED`.
    pub feature: String,
    /// Seconds a rotated-out refresh token still works (for retries), 0 to 60.
    pub retry_grace_period_seconds: u64,
}

/// The rotation `deploy/cubby.yaml` ships (checked by `tests/deploy_policy.rs`).
pub const SHIPPED_REFRESH_TOKEN_ROTATION_GRACE_SECONDS: u64 = 60;

impl Default for RefreshTokenRotation {
    fn default() -> Self {
        RefreshTokenRotation {
            feature: "ENABLED".into(),
            retry_grace_period_seconds: SHIPPED_REFRESH_TOKEN_ROTATION_GRACE_SECONDS,
        }
    }
}

impl RefreshTokenRotation {
    /// No rotation: the refresh grant returns no refresh token.
    pub fn disabled() -> Self {
        RefreshTokenRotation {
            feature: "DISABLED".into(),
            retry_grace_period_seconds: 0,
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.feature == "ENABLED"
    }
}

/// Ports on 127.0.0.1; 0 picks a free one.
#[derive(Clone, Debug, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Ports {
    pub app: u16,
    pub hosted_ui: u16,
    pub identity: u16,
    pub sts: u16,
    pub s3: u16,
    pub admin: u16,
}

impl Ports {
    pub fn dev() -> Ports {
        Ports {
            app: 8080,
            hosted_ui: 9001,
            identity: 9002,
            sts: 9003,
            s3: 9004,
            admin: 9005,
        }
    }
}

fn default_scopes() -> Vec<String> {
    DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect()
}

fn default_role_arn() -> String {
    "arn:aws:iam::000000000000:role/cubby-authenticated".into()
}

impl EmulatorConfig {
    /// The development defaults: fixed ports 8080 and 9001-9005, two demo users,
    /// data in `emulator-data/`.
    pub fn dev() -> EmulatorConfig {
        EmulatorConfig {
            ports: Ports::dev(),
            data_dir: PathBuf::from("emulator-data"),
            ..EmulatorConfig::test("unused")
        }
    }

    /// Defaults for tests: every port ephemeral, data in `data_dir`.
    pub fn test(data_dir: impl Into<PathBuf>) -> EmulatorConfig {
        EmulatorConfig {
            region: "us-east-1".into(),
            user_pool_id: "us-east-1_CubbyDev01".into(),
            client_id: "cubbydevclient0000000000001".into(),
            callback_urls: vec![],
            sign_out_urls: vec![],
            allowed_scopes: default_scopes(),
            users: vec![
                UserConfig {
                    username: "alice".into(),
                    password: "Alice-Password-1".into(),
                    email: "alice@example.com".into(),
                    sub: None,
                },
                UserConfig {
                    username: "bob".into(),
                    password: "Bob-Password-2".into(),
                    email: "bob@example.com".into(),
                    sub: None,
                },
            ],
            identity_pool_id: "us-east-1:8c4bd6a2-3f1e-4b7a-9d2c-0e5f6a7b8c9d".into(),
            authenticated_role_arn: default_role_arn(),
            bucket: "cubby-dev".into(),
            cors: vec![],
            lifetimes: Lifetimes::default(),
            refresh_token_rotation: RefreshTokenRotation::default(),
            data_dir: data_dir.into(),
            ports: Ports::default(),
            app_dir: None,
            log_requests: false,
        }
    }

    pub fn from_json(text: &str) -> Result<EmulatorConfig, String> {
        let config: EmulatorConfig =
            serde_json::from_str(text).map_err(|e| format!("emulator config: {e}"))?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), String> {
        let region_ok = self.region.split('-').count() >= 3
            && self
                .region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !region_ok {
            return Err(format!("region: not a region name: {:?}", self.region));
        }
        match self.user_pool_id.split_once('_') {
            Some((r, id)) if r == self.region && !id.is_empty() => {}
            _ => return Err("userPoolId: must be <region>_<id>".into()),
        }
        if self.client_id.is_empty() || !self.client_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err("clientId: letters and digits only".into());
        }
        match self.identity_pool_id.split_once(':') {
            Some((r, id))
                if r == self.region
                    && !id.is_empty()
                    && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') => {}
            _ => return Err("identityPoolId: must be <region>:<guid>".into()),
        }
        let bucket_ok = (3..=63).contains(&self.bucket.len())
            && self
                .bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            return Err(format!("bucket: not a bucket name: {:?}", self.bucket));
        }
        let rotation = &self.refresh_token_rotation;
        if !matches!(rotation.feature.as_str(), "ENABLED" | "DISABLED")
            || rotation.retry_grace_period_seconds > 60
        {
            return Err(
                "refreshTokenRotation: Feature ENABLED or DISABLED, RetryGracePeriodSeconds 0-60"
                    .into(),
            );
        }
        if !self.allowed_scopes.iter().any(|s| s == "openid") {
            return Err("allowedScopes: must include openid".into());
        }
        for u in &self.users {
            if u.username.is_empty() || u.password.is_empty() {
                return Err("users: username and password must not be empty".into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_json_parses_and_matches_the_dev_defaults() {
        let file = EmulatorConfig::from_json(include_str!("../dev.json")).unwrap();
        let dev = EmulatorConfig::dev();
        assert_eq!(file.client_id, dev.client_id);
        assert_eq!(file.user_pool_id, dev.user_pool_id);
        assert_eq!(file.identity_pool_id, dev.identity_pool_id);
        assert_eq!(file.bucket, dev.bucket);
        assert_eq!(file.lifetimes, dev.lifetimes);
        assert_eq!(file.refresh_token_rotation, dev.refresh_token_rotation);
        assert_eq!(file.ports.s3, 9004);
        assert_eq!(file.users.len(), 2);
        assert_eq!(file.allowed_scopes, DEFAULT_SCOPES);
        assert_eq!(file.cors, [CorsRule::default_for("http://127.0.0.1:8080")]);
    }

    #[test]
    fn rejects_bad_configs() {
        let mut c = EmulatorConfig::test("x");
        c.bucket = "Bad_Bucket".into();
        assert!(c.validate().unwrap_err().starts_with("bucket"));
        let mut c = EmulatorConfig::test("x");
        c.user_pool_id = "eu-west-1_X".into();
        assert!(c.validate().unwrap_err().starts_with("userPoolId"));
        assert!(EmulatorConfig::from_json("{\"region\": 1}").is_err());
    }
}
