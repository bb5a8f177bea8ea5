//! The token endpoint: code exchange and refresh requests, and its answer (RFC 6749 §4.1.3, §6, §5).

use http::header::CONTENT_TYPE;
use serde::Deserialize;

use super::authorize::AuthCode;
use super::error::{Kind, OAuthError, OAuthErrorCode};
use super::pkce::PkceVerifier;
use crate::encoding::form_encode;
use crate::json_fields::{read_object, Loose, ObjectError};
use crate::secret::Secret;

const FORM: &str = "application/x-www-form-urlencoded";

pub(super) fn form_post(
    hosted_ui: &str,
    path: &str,
    body: String,
) -> Result<http::Request<Vec<u8>>, OAuthError> {
    let uri = format!("{}{}", hosted_ui.trim_end_matches('/'), path);
    let uri: http::Uri = uri
        .parse()
        .map_err(|_| OAuthError::new(Kind::InvalidEndpoint))?;
    if uri.scheme().is_none() || uri.authority().is_none() {
        return Err(OAuthError::new(Kind::InvalidEndpoint));
    }
    http::Request::builder()
        .method(http::Method::POST)
        .uri(uri)
        .header(CONTENT_TYPE, FORM)
        .body(body.into_bytes())
        .map_err(|_| OAuthError::new(Kind::InvalidEndpoint))
}

/// `POST <hosted_ui>/oauth2/token` trading the authorization code for tokens.
/// `redirect_uri` must be the one sent to `/authorize`, byte for byte.
///
/// Form body `grant_type=authorization_code&client_id&code&redirect_uri&code_verifier`,
/// `Content-Type: application/x-www-form-urlencoded`, no `Authorization` (public
/// client). RFC 6749 §4.1.3, RFC 7636 §4.5; Amazon Cognito Developer Guide: Token
/// endpoint.
///
/// # Errors
/// `hosted_ui` does not make an absolute URI (invalid endpoint).
pub fn build_code_exchange(
    hosted_ui: &str,
    client_id: &str,
    code: &AuthCode,
    redirect_uri: &str,
    verifier: &PkceVerifier,
) -> Result<http::Request<Vec<u8>>, OAuthError> {
    let body = form_encode([
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("code", code.code.expose()),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier.secret().expose()),
    ]);
    form_post(hosted_ui, "/oauth2/token", body)
}

/// `POST <hosted_ui>/oauth2/token` getting fresh id and access tokens.
///
/// Form body `grant_type=refresh_token&client_id&refresh_token`,
/// `Content-Type: application/x-www-form-urlencoded`. RFC 6749 §6; Amazon Cognito
/// Developer Guide: Token endpoint.
///
/// # Errors
/// `hosted_ui` does not make an absolute URI (invalid endpoint).
pub fn build_refresh(
    hosted_ui: &str,
    client_id: &str,
    refresh_token: &Secret,
) -> Result<http::Request<Vec<u8>>, OAuthError> {
    let body = form_encode([
        ("grant_type", "refresh_token"),
        ("client_id", client_id),
        ("refresh_token", refresh_token.expose()),
    ]);
    form_post(hosted_ui, "/oauth2/token", body)
}

/// What the token endpoint hands out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSet {
    /// `access_token`, for the Cognito user pool APIs.
    pub access_token: Secret,
    /// Cubby asks for `openid`, so an id token is required: it is what the identity
    /// pool takes in exchange for AWS credentials.
    pub id_token: Secret,
    /// Always on the code grant; on the refresh grant only with rotation, so keep the
    /// old one when this is `None`.
    pub refresh_token: Option<Secret>,
    /// `Bearer`.
    pub token_type: String,
    /// Lifetime of the access token in seconds, when sent.
    pub expires_in: Option<u64>,
}

/// The token endpoint's JSON answer (RFC 6749 sections 5.1 and 5.2), success and
/// error fields together: some servers answer 200 with an error body. Each field is
/// read on its own so a malformed one is named.
#[derive(Deserialize)]
struct TokenBody {
    access_token: Option<Loose<String>>,
    id_token: Option<Loose<String>>,
    refresh_token: Option<Loose<String>>,
    token_type: Option<Loose<String>>,
    expires_in: Option<Loose<ExpiresIn>>,
    error: Option<Loose<String>>,
    error_description: Option<Loose<String>>,
}

/// `expires_in`: seconds, as a number or (some servers) a quoted number.
#[derive(Deserialize)]
#[serde(untagged)]
enum ExpiresIn {
    Seconds(u64),
    Quoted(String),
}

impl TokenBody {
    /// The error `{"error": "...", "error_description": "..."}` it carries, if any.
    fn error(self, status: u16) -> Option<OAuthError> {
        let code = self.error?.valid()?;
        Some(OAuthError::new(Kind::Endpoint {
            code: OAuthErrorCode::parse(&code),
            description: self.error_description.and_then(Loose::valid),
            status,
        }))
    }
}

pub(super) fn error_from_response(status: u16, body: &[u8]) -> OAuthError {
    read_object::<TokenBody>(body)
        .ok()
        .and_then(|body| body.error(status))
        .unwrap_or(OAuthError::new(Kind::UnexpectedStatus(status)))
}

/// A token: absent or `null` is `None`; anything but a non-empty string is malformed.
fn secret_field(
    field: Option<Loose<String>>,
    name: &'static str,
) -> Result<Option<Secret>, OAuthError> {
    match field.map(Loose::valid) {
        None => Ok(None),
        Some(Some(token)) if !token.is_empty() => Ok(Some(Secret::new(token))),
        Some(_) => Err(OAuthError::new(Kind::MalformedResponse(name))),
    }
}

/// Reads the token endpoint's answer to [`build_code_exchange`] or [`build_refresh`]:
/// the JSON of RFC 6749 §5.1 (success) or §5.2 (error).
///
/// # Errors
/// The endpoint's OAuth error (also when sent with 200), `UnexpectedStatus` for a
/// failure without one, `MalformedResponse` naming the field at fault (no
/// `access_token` or `id_token`, no `token_type`, an `expires_in` that is not a
/// number).
pub fn parse_token_response(response: http::Response<Vec<u8>>) -> Result<TokenSet, OAuthError> {
    let status = response.status().as_u16();
    let body = response.body();
    if status != 200 {
        return Err(error_from_response(status, body));
    }
    let mut body: TokenBody = read_object(body).map_err(|e| {
        OAuthError::new(Kind::MalformedResponse(match e {
            ObjectError::NotJson(_) => "body is not JSON",
            ObjectError::NotObject => "body is not a JSON object",
        }))
    })?;
    let Some(access_token) = secret_field(body.access_token.take(), "access_token")? else {
        // Some servers answer 200 with an error body.
        return Err(body
            .error(status)
            .unwrap_or(OAuthError::new(Kind::MalformedResponse("access_token"))));
    };
    let id_token = secret_field(body.id_token, "id_token")?
        .ok_or(OAuthError::new(Kind::MalformedResponse("id_token")))?;
    let refresh_token = secret_field(body.refresh_token, "refresh_token")?;
    let token_type = body
        .token_type
        .and_then(Loose::valid)
        .ok_or(OAuthError::new(Kind::MalformedResponse("token_type")))?;
    let expires_in = match body.expires_in.map(Loose::valid) {
        None => None,
        Some(Some(ExpiresIn::Seconds(seconds))) => Some(seconds),
        Some(Some(ExpiresIn::Quoted(text))) => Some(
            text.parse()
                .map_err(|_| OAuthError::new(Kind::MalformedResponse("expires_in")))?,
        ),
        Some(None) => return Err(OAuthError::new(Kind::MalformedResponse("expires_in"))),
    };
    Ok(TokenSet {
        access_token,
        id_token,
        refresh_token,
        token_type,
        expires_in,
    })
}
