//! Cognito Identity (identity pools), AWS JSON 1.1 protocol: the id token from the
//! user pool is exchanged for an IdentityId and temporary AWS credentials.
//!
//! `GetId`, `GetCredentialsForIdentity` and `GetOpenIdToken` are unsigned: the id
//! token in `Logins` is the authentication.

use http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::credentials::Credentials;
use crate::json_fields::{read_object, EpochSeconds, Loose};
use crate::secret::Secret;

mod error;

use error::{error_from_response, Kind};
pub use error::{IdentityError, IdentityErrorCode};

const JSON_1_1: &str = "application/x-amz-json-1.1";
const TARGET_PREFIX: &str = "AWSCognitoIdentityService.";

/// The default endpoint for a region: `https://cognito-identity.<region>.amazonaws.com`.
pub fn endpoint(region: &str) -> String {
    format!("https://cognito-identity.{region}.amazonaws.com")
}

/// The `Logins` map key for a user pool: `cognito-idp.<region>.amazonaws.com/<poolId>`
/// (the token's issuer without `https://`).
pub fn logins_key(region: &str, user_pool_id: &str) -> String {
    format!("cognito-idp.{region}.amazonaws.com/{user_pool_id}")
}

// ---------------------------------------------------------------------------------
// Errors

// ---------------------------------------------------------------------------------
// Requests

/// The input of every operation here: the pool (`GetId`) or the identity, and the
/// `Logins` map with the one user pool login (`{"<logins key>": "<id token>"}`).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Input<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    identity_pool_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity_id: Option<&'a str>,
    logins: Logins<'a>,
}

/// The `Logins` map of one entry, written as a JSON object without a map type of
/// its own in the wasm.
struct Logins<'a>(&'a str, &'a str);

impl Serialize for Logins<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map([(self.0, self.1)])
    }
}

impl<'a> Input<'a> {
    fn new(logins_key: &'a str, id_token: &'a Secret) -> Self {
        Input {
            identity_pool_id: None,
            identity_id: None,
            logins: Logins(logins_key, id_token.expose()),
        }
    }
}

fn json_post(
    endpoint: &str,
    operation: &str,
    input: &Input<'_>,
) -> Result<http::Request<Vec<u8>>, IdentityError> {
    let uri: http::Uri = format!("{}/", endpoint.trim_end_matches('/'))
        .parse()
        .map_err(|_| IdentityError::new(Kind::InvalidEndpoint))?;
    if uri.scheme().is_none() || uri.authority().is_none() {
        return Err(IdentityError::new(Kind::InvalidEndpoint));
    }
    // Strings and a map of strings: serialising cannot fail.
    let body = serde_json::to_vec(input).unwrap_or_default();
    http::Request::builder()
        .method(http::Method::POST)
        .uri(uri)
        .header(CONTENT_TYPE, JSON_1_1)
        .header("x-amz-target", format!("{TARGET_PREFIX}{operation}"))
        .body(body)
        .map_err(|_| IdentityError::new(Kind::InvalidEndpoint))
}

/// `GetId`: the IdentityId for this user in the identity pool (created on first use).
///
/// `POST <endpoint>/` with `Content-Type: application/x-amz-json-1.1`,
/// `X-Amz-Target: AWSCognitoIdentityService.GetId` and the JSON body `{"IdentityPoolId":
/// "<identity_pool_id>","Logins":{"<logins_key>":"<id_token>"}}`, unsigned (the id token in `Logins`
/// is the authentication). `endpoint` is e.g. [`endpoint`]'s result, `logins_key`
/// [`logins_key`]'s, `id_token` the user pool id token. Amazon Cognito Identity API
/// Reference: GetId.
///
/// # Errors
/// `endpoint` does not make an absolute URI (invalid endpoint).
pub fn build_get_id(
    endpoint: &str,
    identity_pool_id: &str,
    logins_key: &str,
    id_token: &Secret,
) -> Result<http::Request<Vec<u8>>, IdentityError> {
    let input = Input {
        identity_pool_id: Some(identity_pool_id),
        ..Input::new(logins_key, id_token)
    };
    json_post(endpoint, "GetId", &input)
}

/// `GetCredentialsForIdentity`: temporary AWS credentials (one hour) for the identity.
///
/// `POST <endpoint>/` with `Content-Type: application/x-amz-json-1.1`,
/// `X-Amz-Target: AWSCognitoIdentityService.GetCredentialsForIdentity` and the JSON body `{"IdentityId":
/// "<identity_id>","Logins":{"<logins_key>":"<id_token>"}}`, unsigned (the id token in `Logins`
/// is the authentication). `endpoint` is e.g. [`endpoint`]'s result, `logins_key`
/// [`logins_key`]'s, `id_token` the user pool id token. Amazon Cognito Identity API
/// Reference: GetCredentialsForIdentity.
///
/// # Errors
/// `endpoint` does not make an absolute URI (invalid endpoint).
pub fn build_get_credentials_for_identity(
    endpoint: &str,
    identity_id: &str,
    logins_key: &str,
    id_token: &Secret,
) -> Result<http::Request<Vec<u8>>, IdentityError> {
    let input = Input {
        identity_id: Some(identity_id),
        ..Input::new(logins_key, id_token)
    };
    json_post(endpoint, "GetCredentialsForIdentity", &input)
}

/// `GetOpenIdToken`: an identity-pool token for STS `AssumeRoleWithWebIdentity`
/// (the basic flow).
///
/// `POST <endpoint>/` with `Content-Type: application/x-amz-json-1.1`,
/// `X-Amz-Target: AWSCognitoIdentityService.GetOpenIdToken` and the JSON body `{"IdentityId":
/// "<identity_id>","Logins":{"<logins_key>":"<id_token>"}}`, unsigned (the id token in `Logins`
/// is the authentication). `endpoint` is e.g. [`endpoint`]'s result, `logins_key`
/// [`logins_key`]'s, `id_token` the user pool id token. Amazon Cognito Identity API
/// Reference: GetOpenIdToken.
///
/// # Errors
/// `endpoint` does not make an absolute URI (invalid endpoint).
pub fn build_get_open_id_token(
    endpoint: &str,
    identity_id: &str,
    logins_key: &str,
    id_token: &Secret,
) -> Result<http::Request<Vec<u8>>, IdentityError> {
    let input = Input {
        identity_id: Some(identity_id),
        ..Input::new(logins_key, id_token)
    };
    json_post(endpoint, "GetOpenIdToken", &input)
}

// ---------------------------------------------------------------------------------
// Responses

/// A success response's JSON object as `T`, or the error the response carries.
fn success_body<T: DeserializeOwned>(
    response: &http::Response<Vec<u8>>,
) -> Result<T, IdentityError> {
    if !response.status().is_success() {
        return Err(error_from_response(response));
    }
    read_object(response.body())
        .map_err(|_| IdentityError::new(Kind::MalformedResponse("body is not a JSON object")))
}

/// A field the operation always returns: a non-empty string.
fn required_string(
    field: Option<Loose<String>>,
    name: &'static str,
) -> Result<String, IdentityError> {
    field
        .and_then(Loose::valid)
        .filter(|s| !s.is_empty())
        .ok_or(IdentityError::new(Kind::MalformedResponse(name)))
}

/// `GetId`'s answer.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetIdOutput {
    identity_id: Option<Loose<String>>,
}

/// Reads `GetId`'s answer `{"IdentityId": "..."}`: the IdentityId (`<region>:<guid>`).
/// Amazon Cognito Identity API Reference: GetId.
///
/// # Errors
/// The service's error, or `MalformedResponse` without an `IdentityId`.
pub fn parse_get_id(response: http::Response<Vec<u8>>) -> Result<String, IdentityError> {
    let output: GetIdOutput = success_body(&response)?;
    required_string(output.identity_id, "IdentityId")
}

/// `GetCredentialsForIdentity`'s answer (only what is used of it).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetCredentialsOutput {
    credentials: Option<Loose<WireCredentials>>,
}

/// Note the wire name `SecretKey` (STS says `SecretAccessKey`).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireCredentials {
    access_key_id: Option<Loose<String>>,
    secret_key: Option<Loose<String>>,
    session_token: Option<Loose<String>>,
    /// Epoch seconds as the JSON 1.1 protocol sends timestamps: a number, maybe
    /// fractional or in exponent form (`1.7E9`), rounded down so expiry is never late.
    expiration: Option<Loose<EpochSeconds>>,
}

/// Reads `GetCredentialsForIdentity`'s answer (`Credentials.Expiration` in epoch
/// seconds). Amazon Cognito Identity API Reference: GetCredentialsForIdentity.
///
/// # Errors
/// The service's error, or `MalformedResponse` naming the missing or malformed field.
pub fn parse_get_credentials_for_identity(
    response: http::Response<Vec<u8>>,
) -> Result<Credentials, IdentityError> {
    let output: GetCredentialsOutput = success_body(&response)?;
    let Some(creds) = output.credentials.and_then(Loose::valid) else {
        return Err(IdentityError::new(Kind::MalformedResponse("Credentials")));
    };
    let malformed = |name| IdentityError::new(Kind::MalformedResponse(name));
    let expiration = creds
        .expiration
        .map(|e| e.valid().map(|t| t.0).ok_or(malformed("Expiration")))
        .transpose()?;
    let session_token = creds
        .session_token
        .map(|t| t.valid().map(Secret::new).ok_or(malformed("SessionToken")))
        .transpose()?;
    Ok(Credentials {
        access_key_id: required_string(creds.access_key_id, "AccessKeyId")?,
        secret_access_key: Secret::new(required_string(creds.secret_key, "SecretKey")?),
        session_token,
        expiration,
    })
}

/// `GetOpenIdToken`'s answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenIdToken {
    /// May differ from the one asked about, after identities were merged.
    pub identity_id: String,
    /// Valid for ten minutes.
    pub token: Secret,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetOpenIdTokenOutput {
    identity_id: Option<Loose<String>>,
    token: Option<Loose<String>>,
}

/// Reads `GetOpenIdToken`'s answer `{"IdentityId", "Token"}`. Amazon Cognito
/// Identity API Reference: GetOpenIdToken.
///
/// # Errors
/// The service's error, or `MalformedResponse` naming the missing field.
pub fn parse_get_open_id_token(
    response: http::Response<Vec<u8>>,
) -> Result<OpenIdToken, IdentityError> {
    let output: GetOpenIdTokenOutput = success_body(&response)?;
    Ok(OpenIdToken {
        identity_id: required_string(output.identity_id, "IdentityId")?,
        token: Secret::new(required_string(output.token, "Token")?),
    })
}

#[cfg(test)]
mod tests {
    use super::error::sanitize_error_type;
    use super::*;

    #[test]
    fn error_types_lose_namespace_and_suffix() {
        assert_eq!(
            sanitize_error_type("aws.cognito#NotAuthorizedException:http://x/"),
            "NotAuthorizedException"
        );
        assert_eq!(
            sanitize_error_type("NotAuthorizedException"),
            "NotAuthorizedException"
        );
        assert_eq!(
            sanitize_error_type("com.amazonaws.cognitoidentity#ResourceNotFoundException"),
            "ResourceNotFoundException"
        );
        assert_eq!(sanitize_error_type(""), "");
    }

    #[test]
    fn epoch_seconds_accepts_json_1_1_number_forms() {
        let seconds = |text: &str| serde_json::from_str::<EpochSeconds>(text).ok().map(|s| s.0);
        assert_eq!(seconds("1700003600"), Some(1700003600));
        assert_eq!(seconds("1700003600.75"), Some(1700003600));
        assert_eq!(seconds("1.514869445E9"), Some(1514869445));
        assert_eq!(seconds("-1"), None);
        assert_eq!(seconds("\"1700003600\""), None);
    }
}
