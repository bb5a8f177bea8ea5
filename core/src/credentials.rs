//! Temporary AWS credentials, as Cognito Identity and STS hand them out.

use crate::secret::Secret;

/// An AWS access key pair with its session token, what SigV4 signs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// `AccessKeyId`, e.g. `ASIA...` for temporary credentials.
    pub access_key_id: String,
    /// `SecretKey` (Cognito Identity) or `SecretAccessKey` (STS).
    pub secret_access_key: Secret,
    /// Present for temporary credentials (always, for Cognito and STS).
    pub session_token: Option<Secret>,
    /// Expiry in seconds since the Unix epoch, when known.
    pub expiration: Option<u64>,
}

impl Credentials {
    /// Seconds of life left at `now` (epoch seconds); `None` when there is no expiry.
    pub fn seconds_left(&self, now: u64) -> Option<u64> {
        self.expiration.map(|exp| exp.saturating_sub(now))
    }
}
