#![cfg(not(target_arch = "wasm32"))]
//! Host tests for the auth half of the protocol core: OAuth2/PKCE, id token checks,
//! Cognito Identity. Fixed vectors and fixtures; every assertion is on exact values.

use cubby_core::credentials::Credentials;
use cubby_core::encoding::{base64url_encode, parse_query};
use cubby_core::id_token::{self, Expected};
use cubby_core::identity::{self, IdentityErrorCode};
use cubby_core::oauth::{self, AuthCode, AuthorizeParams, OAuthErrorCode, PkceVerifier};
use cubby_core::secret::Secret;
use proptest::prelude::*;

const HOSTED_UI: &str = "https://cubby.auth.eu-west-1.amazoncognito.com";
const CLIENT_ID: &str = "4p1ccl1ent1d";
const REDIRECT: &str = "https://app.example.com/cb?x=1";

fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn header(req: &http::Request<Vec<u8>>, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

// ---------------------------------------------------------------------------------
// PKCE, state, nonce

/// RFC 7636 Appendix B: the 32 random octets and what they become.
const RFC7636_OCTETS: [u8; 32] = [
    116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77,
    105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
];
const RFC7636_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC7636_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[test]
fn pkce_rfc7636_appendix_b_from_bytes() {
    let verifier = PkceVerifier::from_random_bytes(&RFC7636_OCTETS).unwrap();
    assert_eq!(verifier.secret().expose(), RFC7636_VERIFIER);
    assert_eq!(verifier.challenge(), RFC7636_CHALLENGE);
}

#[test]
fn pkce_rfc7636_appendix_b_from_text() {
    let verifier = PkceVerifier::new(RFC7636_VERIFIER).unwrap();
    assert_eq!(verifier.challenge(), RFC7636_CHALLENGE);
}

#[test]
fn pkce_verifier_length_and_alphabet() {
    assert_eq!(
        PkceVerifier::from_random_bytes(&[0u8; 31])
            .unwrap_err()
            .kind_name(),
        "not_enough_randomness"
    );
    let max = PkceVerifier::from_random_bytes(&[7u8; 96]).unwrap();
    assert_eq!(max.secret().expose().len(), 128);
    assert_eq!(
        PkceVerifier::from_random_bytes(&[7u8; 97])
            .unwrap_err()
            .kind_name(),
        "invalid_verifier"
    );
    assert!(PkceVerifier::new("a".repeat(43)).is_ok());
    assert!(PkceVerifier::new("-._~".repeat(32)).is_ok());
    for bad in [
        "a".repeat(42),
        "a".repeat(129),
        format!("{}+", "a".repeat(42)),
        format!("{}=", "a".repeat(42)),
        format!("{} ", "a".repeat(42)),
        format!("{}é", "a".repeat(41)),
    ] {
        assert_eq!(
            PkceVerifier::new(bad).unwrap_err().kind_name(),
            "invalid_verifier"
        );
    }
}

#[test]
fn state_and_nonce_need_16_bytes() {
    assert_eq!(
        oauth::state_from_random_bytes(&[0xfb; 16]).unwrap(),
        "-_v7-_v7-_v7-_v7-_v7-w"
    );
    assert_eq!(
        oauth::nonce_from_random_bytes(&[0u8; 18]).unwrap(),
        "AAAAAAAAAAAAAAAAAAAAAAAA"
    );
    let err = oauth::state_from_random_bytes(&[0u8; 15]).unwrap_err();
    assert_eq!(err.kind_name(), "not_enough_randomness");
    assert_eq!(
        err.to_string(),
        "not enough random bytes: needed 16, got 15"
    );
    assert!(oauth::nonce_from_random_bytes(&[]).is_err());
}

#[test]
fn verifier_debug_is_redacted() {
    let verifier = PkceVerifier::new(RFC7636_VERIFIER).unwrap();
    let debug = format!("{verifier:?}");
    assert_eq!(debug, "PkceVerifier(Secret([redacted]))");
}

// ---------------------------------------------------------------------------------
// Authorize URL

fn scopes() -> Vec<String> {
    vec!["openid".into(), "email".into(), "profile".into()]
}

fn authorize_params<'a>(scopes: &'a [String]) -> AuthorizeParams<'a> {
    AuthorizeParams {
        hosted_ui: HOSTED_UI,
        client_id: CLIENT_ID,
        redirect_uri: REDIRECT,
        scopes,
        state: "st4te",
        nonce: "n0nce",
        code_challenge: RFC7636_CHALLENGE,
        identity_provider: None,
        lang: None,
    }
}

#[test]
fn authorize_url_exact() {
    let scopes = scopes();
    let url = oauth::authorize_url(&authorize_params(&scopes));
    assert_eq!(
        url,
        "https://cubby.auth.eu-west-1.amazoncognito.com/oauth2/authorize\
         ?response_type=code&client_id=4p1ccl1ent1d\
         &redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb%3Fx%3D1\
         &scope=openid%20email%20profile&state=st4te&nonce=n0nce\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
         &code_challenge_method=S256"
    );
}

#[test]
fn authorize_url_parses_back() {
    let scopes = scopes();
    let mut params = authorize_params(&scopes);
    params.hosted_ui = "https://cubby.auth.eu-west-1.amazoncognito.com/";
    params.identity_provider = Some("COGNITO");
    params.lang = Some("fr");
    let url = oauth::authorize_url(&params);
    let (base, query) = url.split_once('?').unwrap();
    assert_eq!(
        base,
        "https://cubby.auth.eu-west-1.amazoncognito.com/oauth2/authorize"
    );
    let pairs = parse_query(query).unwrap();
    let expected: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("scope", "openid email profile"),
        ("state", "st4te"),
        ("nonce", "n0nce"),
        ("code_challenge", RFC7636_CHALLENGE),
        ("code_challenge_method", "S256"),
        ("identity_provider", "COGNITO"),
        ("lang", "fr"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(pairs, expected);
    // Spaces as %20, never '+', which Cognito could read literally.
    assert!(query.contains("scope=openid%20email%20profile&"));
    assert!(!query.contains('+'));
}

#[test]
fn logout_url_exact() {
    assert_eq!(
        oauth::logout_url(HOSTED_UI, CLIENT_ID, "https://app.example.com/"),
        "https://cubby.auth.eu-west-1.amazoncognito.com/logout\
         ?client_id=4p1ccl1ent1d&logout_uri=https%3A%2F%2Fapp.example.com%2F"
    );
}

// ---------------------------------------------------------------------------------
// Callback

#[test]
fn callback_success() {
    let code = oauth::parse_callback("?code=c0de%2B1&state=st4te", "st4te").unwrap();
    assert_eq!(code.code.expose(), "c0de+1");
    let code = oauth::parse_callback("state=st4te&code=abc#frag", "st4te").unwrap();
    assert_eq!(code.code.expose(), "abc");
    assert_eq!(format!("{code:?}"), "AuthCode { code: Secret([redacted]) }");
}

#[test]
fn callback_user_cancelled() {
    let err = oauth::parse_callback(
        "?error=access_denied&error_description=User+cancelled+login&state=st4te",
        "st4te",
    )
    .unwrap_err();
    assert_eq!(err.kind_name(), "authorization_error");
    assert!(err.is_access_denied());
    assert_eq!(err.oauth_error(), Some(&OAuthErrorCode::AccessDenied));
    assert_eq!(err.description(), Some("User cancelled login"));
    assert_eq!(
        err.to_string(),
        "sign-in failed: access_denied (User cancelled login)"
    );
    let err = oauth::parse_callback("error=invalid_scope&state=st4te", "st4te").unwrap_err();
    assert_eq!(err.oauth_error(), Some(&OAuthErrorCode::InvalidScope));
    assert_eq!(err.description(), None);
    assert_eq!(err.to_string(), "sign-in failed: invalid_scope");
}

#[test]
fn callback_error_without_state_is_a_missing_state() {
    // Anyone can link to the callback with an error and a text of their choosing:
    // without our state it is not an answer to our sign-in (RFC 6749 §4.1.2.1 sends
    // the state with errors too).
    let err = oauth::parse_callback(
        "error=access_denied&error_description=Call+0800+EVIL",
        "st4te",
    )
    .unwrap_err();
    assert!(err.is_missing_state());
    assert_eq!(err.oauth_error(), None);
    assert_eq!(err.description(), None);
    assert!(!err.to_string().contains("EVIL"));
}

#[test]
fn callback_error_with_foreign_state_is_a_state_mismatch() {
    let err = oauth::parse_callback("error=access_denied&state=other", "st4te").unwrap_err();
    assert!(err.is_state_mismatch());
    assert_eq!(err.oauth_error(), None);
}

#[test]
fn callback_error_kinds_are_distinct() {
    let cases = [
        ("code=abc", "missing_state"),
        ("code=abc&state=", "state_mismatch"),
        ("code=abc&state=st4tf", "state_mismatch"),
        ("code=abc&state=st4te2", "state_mismatch"),
        ("state=st4te", "missing_code"),
        ("state=st4te&code=", "missing_code"),
        ("", "missing_state"),
        ("code=a%zz&state=st4te", "malformed_callback"),
        ("code=a&code=b&state=st4te", "malformed_callback"),
        ("code=a&state=st4te&state=st4te", "malformed_callback"),
    ];
    for (query, kind) in cases {
        let err = oauth::parse_callback(query, "st4te").unwrap_err();
        assert_eq!(err.kind_name(), kind, "query {query:?}");
    }
    assert!(oauth::parse_callback("code=abc", "st4te")
        .unwrap_err()
        .is_missing_state());
    assert!(oauth::parse_callback("state=st4te", "st4te")
        .unwrap_err()
        .is_missing_code());
    assert!(oauth::parse_callback("code=abc&state=x", "st4te")
        .unwrap_err()
        .is_state_mismatch());
}

#[test]
fn callback_errors_do_not_print_values() {
    let err = oauth::parse_callback("code=SECRETCODE&state=EVILSTATE", "st4te").unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("SECRETCODE"));
    assert!(!shown.contains("EVILSTATE"));
    assert!(!shown.contains("st4te"));
}

// ---------------------------------------------------------------------------------
// Token endpoint requests

fn auth_code(code: &str) -> AuthCode {
    AuthCode {
        code: Secret::new(code),
    }
}

#[test]
fn code_exchange_request_exact() {
    let verifier = PkceVerifier::new(RFC7636_VERIFIER).unwrap();
    let req = oauth::build_code_exchange(
        &format!("{HOSTED_UI}/"),
        CLIENT_ID,
        &auth_code("c0de+/="),
        REDIRECT,
        &verifier,
    )
    .unwrap();
    assert_eq!(req.method(), http::Method::POST);
    assert_eq!(
        req.uri().to_string(),
        "https://cubby.auth.eu-west-1.amazoncognito.com/oauth2/token"
    );
    assert_eq!(req.headers().len(), 1);
    assert_eq!(
        header(&req, "content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert!(req.headers().get("authorization").is_none());
    assert_eq!(
        String::from_utf8(req.body().clone()).unwrap(),
        "grant_type=authorization_code&client_id=4p1ccl1ent1d&code=c0de%2B%2F%3D\
         &redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb%3Fx%3D1\
         &code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    );
}

#[test]
fn refresh_request_exact() {
    let req = oauth::build_refresh(HOSTED_UI, CLIENT_ID, &Secret::new("r3fresh.tok+en")).unwrap();
    assert_eq!(req.method(), http::Method::POST);
    assert_eq!(
        req.uri().to_string(),
        "https://cubby.auth.eu-west-1.amazoncognito.com/oauth2/token"
    );
    assert_eq!(req.headers().len(), 1);
    assert_eq!(
        header(&req, "content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        String::from_utf8(req.body().clone()).unwrap(),
        "grant_type=refresh_token&client_id=4p1ccl1ent1d&refresh_token=r3fresh.tok%2Ben"
    );
}

#[test]
fn revoke_request_exact() {
    let req = oauth::build_revoke(HOSTED_UI, &Secret::new("r3fresh"), CLIENT_ID).unwrap();
    assert_eq!(req.method(), http::Method::POST);
    assert_eq!(
        req.uri().to_string(),
        "https://cubby.auth.eu-west-1.amazoncognito.com/oauth2/revoke"
    );
    assert_eq!(req.headers().len(), 1);
    assert_eq!(
        header(&req, "content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        String::from_utf8(req.body().clone()).unwrap(),
        "token=r3fresh&client_id=4p1ccl1ent1d"
    );
}

#[test]
fn local_emulator_endpoint_is_accepted() {
    let req = oauth::build_refresh("http://127.0.0.1:9400", CLIENT_ID, &Secret::new("r")).unwrap();
    assert_eq!(req.uri().to_string(), "http://127.0.0.1:9400/oauth2/token");
}

#[test]
fn bad_endpoint_is_an_error_not_a_panic() {
    for bad in ["not a url", "", "https://exa mple.com", "/relative"] {
        let err = oauth::build_refresh(bad, CLIENT_ID, &Secret::new("r")).unwrap_err();
        assert_eq!(err.kind_name(), "invalid_endpoint", "endpoint {bad:?}");
    }
}

// ---------------------------------------------------------------------------------
// Token endpoint responses

#[test]
fn token_response_code_grant() {
    let tokens = oauth::parse_token_response(response(
        200,
        r#"{"access_token":"AT","id_token":"IT","refresh_token":"RT","token_type":"Bearer","expires_in":3600}"#,
    ))
    .unwrap();
    assert_eq!(tokens.access_token.expose(), "AT");
    assert_eq!(tokens.id_token.expose(), "IT");
    assert_eq!(tokens.refresh_token.as_ref().unwrap().expose(), "RT");
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.expires_in, Some(3600));
}

#[test]
fn token_response_refresh_grant_without_rotation() {
    let tokens = oauth::parse_token_response(response(
        200,
        r#"{"access_token":"AT2","id_token":"IT2","token_type":"Bearer","expires_in":"300"}"#,
    ))
    .unwrap();
    assert_eq!(tokens.access_token.expose(), "AT2");
    assert_eq!(tokens.id_token.expose(), "IT2");
    assert_eq!(tokens.refresh_token, None);
    assert_eq!(tokens.expires_in, Some(300));
}

#[test]
fn token_set_debug_is_redacted() {
    let tokens = oauth::parse_token_response(response(
        200,
        r#"{"access_token":"ACCESSVALUE","id_token":"IDVALUE","refresh_token":"REFRESHVALUE","token_type":"Bearer","expires_in":3600}"#,
    ))
    .unwrap();
    let debug = format!("{tokens:?}");
    assert_eq!(
        debug,
        "TokenSet { access_token: Secret([redacted]), id_token: Secret([redacted]), \
         refresh_token: Some(Secret([redacted])), token_type: \"Bearer\", expires_in: Some(3600) }"
    );
}

#[test]
fn token_response_missing_fields() {
    let cases = [
        (r#"{"id_token":"IT","token_type":"Bearer"}"#, "access_token"),
        (r#"{"access_token":"AT","token_type":"Bearer"}"#, "id_token"),
        (r#"{"access_token":"AT","id_token":"IT"}"#, "token_type"),
        (
            r#"{"access_token":"AT","id_token":"IT","token_type":"Bearer","expires_in":-5}"#,
            "expires_in",
        ),
        (
            r#"{"access_token":7,"id_token":"IT","token_type":"Bearer"}"#,
            "access_token",
        ),
        ("not json", "body is not JSON"),
        ("[1]", "body is not a JSON object"),
    ];
    for (body, what) in cases {
        let err = oauth::parse_token_response(response(200, body)).unwrap_err();
        assert_eq!(err.kind_name(), "malformed_response", "body {body}");
        assert_eq!(
            err.to_string(),
            format!("malformed token endpoint response: {what}")
        );
    }
}

#[test]
fn token_response_oauth_errors() {
    let cases = [
        ("invalid_request", OAuthErrorCode::InvalidRequest),
        ("invalid_client", OAuthErrorCode::InvalidClient),
        ("invalid_grant", OAuthErrorCode::InvalidGrant),
        ("unauthorized_client", OAuthErrorCode::UnauthorizedClient),
        (
            "unsupported_grant_type",
            OAuthErrorCode::UnsupportedGrantType,
        ),
        ("invalid_scope", OAuthErrorCode::InvalidScope),
        ("slow_down", OAuthErrorCode::Other("slow_down".into())),
    ];
    for (wire, code) in cases {
        let body = format!(r#"{{"error":"{wire}","error_description":"why {wire}"}}"#);
        let err = oauth::parse_token_response(response(400, &body)).unwrap_err();
        assert_eq!(err.kind_name(), "endpoint_error");
        assert_eq!(err.oauth_error(), Some(&code));
        assert_eq!(err.description(), Some(format!("why {wire}").as_str()));
        assert_eq!(err.status(), Some(400));
        assert_eq!(err.is_invalid_grant(), wire == "invalid_grant");
        assert!(!err.is_transient());
        assert_eq!(
            err.to_string(),
            format!("OAuth endpoint error {wire} (HTTP 400): why {wire}")
        );
    }
}

#[test]
fn token_response_invalid_grant_without_description() {
    let err =
        oauth::parse_token_response(response(400, r#"{"error":"invalid_grant"}"#)).unwrap_err();
    assert!(err.is_invalid_grant());
    assert_eq!(err.description(), None);
    assert_eq!(
        err.to_string(),
        "OAuth endpoint error invalid_grant (HTTP 400)"
    );
    // 401 for invalid_client, as some servers do.
    let err =
        oauth::parse_token_response(response(401, r#"{"error":"invalid_client"}"#)).unwrap_err();
    assert_eq!(err.oauth_error(), Some(&OAuthErrorCode::InvalidClient));
    assert_eq!(err.status(), Some(401));
    // An error body with a 200 status.
    let err =
        oauth::parse_token_response(response(200, r#"{"error":"invalid_grant"}"#)).unwrap_err();
    assert!(err.is_invalid_grant());
}

#[test]
fn token_response_non_json_and_5xx() {
    let err = oauth::parse_token_response(response(502, "<html>Bad Gateway</html>")).unwrap_err();
    assert_eq!(err.kind_name(), "unexpected_status");
    assert_eq!(err.status(), Some(502));
    assert!(err.is_transient());
    assert_eq!(err.oauth_error(), None);
    assert_eq!(
        err.to_string(),
        "unexpected HTTP 502 from the OAuth endpoint"
    );

    let err = oauth::parse_token_response(response(400, "")).unwrap_err();
    assert_eq!(err.kind_name(), "unexpected_status");
    assert!(!err.is_transient());

    let err =
        oauth::parse_token_response(response(500, r#"{"error":"server_error"}"#)).unwrap_err();
    assert_eq!(err.oauth_error(), Some(&OAuthErrorCode::ServerError));
    assert!(err.is_transient());

    let err = oauth::parse_token_response(response(429, "")).unwrap_err();
    assert!(err.is_transient());
}

#[test]
fn revoke_responses() {
    assert_eq!(oauth::parse_revoke_response(response(200, "")), Ok(()));
    let err = oauth::parse_revoke_response(response(400, r#"{"error":"unsupported_token_type"}"#))
        .unwrap_err();
    assert_eq!(
        err.oauth_error(),
        Some(&OAuthErrorCode::UnsupportedTokenType)
    );
    let err =
        oauth::parse_revoke_response(response(401, r#"{"error":"invalid_client"}"#)).unwrap_err();
    assert_eq!(err.oauth_error(), Some(&OAuthErrorCode::InvalidClient));
    assert_eq!(err.status(), Some(401));
    let err = oauth::parse_revoke_response(response(503, "down")).unwrap_err();
    assert_eq!(err.kind_name(), "unexpected_status");
}

// ---------------------------------------------------------------------------------
// Id token

const REGION: &str = "eu-west-1";
const POOL: &str = "eu-west-1_AbC123";
const NOW: u64 = 1_700_000_000;

fn jwt(claims: &serde_json::Value) -> String {
    format!(
        "{}.{}.{}",
        base64url_encode(br#"{"alg":"RS256","kid":"test-key"}"#),
        base64url_encode(claims.to_string().as_bytes()),
        base64url_encode(b"not-a-real-signature")
    )
}

fn good_claims() -> serde_json::Value {
    serde_json::json!({
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "iss": id_token::issuer(REGION, POOL),
        "aud": CLIENT_ID,
        "token_use": "id",
        "cognito:username": "alice",
        "email": "alice@example.com",
        "email_verified": true,
        "exp": NOW + 3600,
        "iat": NOW,
        "auth_time": NOW - 10,
        "nonce": "n0nce",
        "jti": "j",
        "origin_jti": "0r1g1n"
    })
}

fn with(claim: &str, value: serde_json::Value) -> serde_json::Value {
    let mut claims = good_claims();
    claims[claim] = value;
    claims
}

fn without(claim: &str) -> serde_json::Value {
    let mut claims = good_claims();
    claims.as_object_mut().unwrap().remove(claim);
    claims
}

fn expected() -> (String, &'static str) {
    (id_token::issuer(REGION, POOL), "n0nce")
}

fn check(claims: &serde_json::Value, now: u64, leeway: u64) -> Result<(), &'static str> {
    let (iss, nonce) = expected();
    let exp = Expected {
        issuer: &iss,
        client_id: CLIENT_ID,
        nonce: Some(nonce),
    };
    id_token::validate(&jwt(claims), &exp, now, leeway)
        .map(|_| ())
        .map_err(|e| e.kind_name())
}

#[test]
fn id_token_valid_claims() {
    let (iss, nonce) = expected();
    let claims = id_token::validate(
        &jwt(&good_claims()),
        &Expected {
            issuer: &iss,
            client_id: CLIENT_ID,
            nonce: Some(nonce),
        },
        NOW,
        0,
    )
    .unwrap();
    assert_eq!(claims.sub, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
    assert_eq!(
        claims.iss,
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    );
    assert_eq!(claims.aud, vec![CLIENT_ID.to_string()]);
    assert_eq!(claims.token_use, "id");
    assert_eq!(claims.username.as_deref(), Some("alice"));
    assert_eq!(claims.email.as_deref(), Some("alice@example.com"));
    assert_eq!(claims.exp, NOW + 3600);
    assert_eq!(claims.iat, NOW);
    assert_eq!(claims.auth_time, Some(NOW - 10));
    assert_eq!(claims.origin_jti.as_deref(), Some("0r1g1n"));
    assert_eq!(claims.nonce.as_deref(), Some("n0nce"));
    assert!(!claims.expires_within(NOW, 3599));
    assert!(claims.expires_within(NOW, 3600));
    assert_eq!(claims.seconds_left(NOW + 100), 3500);
}

#[test]
fn id_token_each_failed_check() {
    let cases = [
        (
            with(
                "iss",
                serde_json::json!("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other"),
            ),
            "wrong_issuer",
        ),
        (
            with("aud", serde_json::json!("someoneelse")),
            "wrong_audience",
        ),
        (with("aud", serde_json::json!(["a", "b"])), "wrong_audience"),
        (
            with("token_use", serde_json::json!("access")),
            "wrong_token_use",
        ),
        (with("exp", serde_json::json!(NOW - 1)), "expired"),
        (with("iat", serde_json::json!(NOW + 1)), "issued_in_future"),
        (without("nonce"), "missing_nonce"),
        (with("nonce", serde_json::json!("other")), "nonce_mismatch"),
        (without("sub"), "missing_claim"),
        (without("iss"), "missing_claim"),
        (without("aud"), "missing_claim"),
        (without("token_use"), "missing_claim"),
        (without("exp"), "missing_claim"),
        (without("iat"), "missing_claim"),
        (with("exp", serde_json::json!("soon")), "invalid_claim"),
        (with("aud", serde_json::json!(5)), "invalid_claim"),
        (with("aud", serde_json::json!([5])), "invalid_claim"),
        (with("email", serde_json::json!(false)), "invalid_claim"),
        (with("auth_time", serde_json::json!(-3)), "invalid_claim"),
        (with("origin_jti", serde_json::json!(7)), "invalid_claim"),
    ];
    for (claims, kind) in cases {
        assert_eq!(check(&claims, NOW, 0), Err(kind), "claims {claims}");
    }
}

#[test]
fn id_token_aud_array_containing_client() {
    assert_eq!(
        check(&with("aud", serde_json::json!(["x", CLIENT_ID])), NOW, 0),
        Ok(())
    );
}

#[test]
fn id_token_missing_claim_names_the_claim() {
    let (iss, _) = expected();
    let exp = Expected {
        issuer: &iss,
        client_id: CLIENT_ID,
        nonce: None,
    };
    let err = id_token::validate(&jwt(&without("exp")), &exp, NOW, 0).unwrap_err();
    assert_eq!(err.claim(), Some("exp"));
    assert_eq!(err.to_string(), "id token has no \"exp\" claim");
    let err =
        id_token::validate(&jwt(&with("exp", serde_json::json!("x"))), &exp, NOW, 0).unwrap_err();
    assert_eq!(err.claim(), Some("exp"));
}

#[test]
fn id_token_leeway_edges() {
    let exp = NOW + 3600;
    // Without leeway: valid up to exp - 1, expired at exp.
    assert_eq!(check(&good_claims(), exp - 1, 0), Ok(()));
    assert_eq!(check(&good_claims(), exp, 0), Err("expired"));
    // With 60 s leeway: valid up to exp + 59.
    assert_eq!(check(&good_claims(), exp + 59, 60), Ok(()));
    assert_eq!(check(&good_claims(), exp + 60, 60), Err("expired"));
    // iat in the future: tolerated up to the leeway.
    let future = with("iat", serde_json::json!(NOW + 60));
    assert_eq!(check(&future, NOW, 60), Ok(()));
    assert_eq!(check(&future, NOW, 59), Err("issued_in_future"));
    assert_eq!(check(&future, NOW + 60, 0), Ok(()));
    // Huge leeway does not overflow.
    assert_eq!(check(&good_claims(), u64::MAX - 1, u64::MAX), Ok(()));
}

#[test]
fn id_token_expired_flag() {
    let (iss, _) = expected();
    let exp = Expected {
        issuer: &iss,
        client_id: CLIENT_ID,
        nonce: None,
    };
    let err = id_token::validate(&jwt(&good_claims()), &exp, NOW + 3600, 0).unwrap_err();
    assert!(err.is_expired());
    assert_eq!(err.to_string(), "id token has expired");
}

#[test]
fn id_token_nonce_check_is_optional_for_refreshed_tokens() {
    let (iss, _) = expected();
    let exp = Expected {
        issuer: &iss,
        client_id: CLIENT_ID,
        nonce: None,
    };
    assert!(id_token::validate(&jwt(&without("nonce")), &exp, NOW, 0).is_ok());
}

#[test]
fn id_token_fractional_times_are_truncated() {
    let claims = id_token::decode(&jwt(&with("exp", serde_json::json!(1700003600.9)))).unwrap();
    assert_eq!(claims.exp, 1_700_003_600);
}

#[test]
fn id_token_malformed() {
    let good = jwt(&good_claims());
    let (header, rest) = good.split_once('.').unwrap();
    let (payload, sig) = rest.split_once('.').unwrap();
    let not_object = base64url_encode(b"[1,2]");
    let not_json = base64url_encode(b"{nope");
    let cases = [
        String::new(),
        "abc".to_string(),
        format!("{header}.{payload}"),
        format!("{header}.{payload}.{sig}.extra"),
        format!("{header}.{not_object}.{sig}"),
        format!("{header}.{not_json}.{sig}"),
        format!("{not_json}.{payload}.{sig}"),
        format!("{header}.{payload}!.{sig}"),
        format!("{header}.{}.{sig}", base64_padded(payload)),
    ];
    for token in &cases[..8] {
        assert_eq!(
            id_token::decode(token).unwrap_err().kind_name(),
            "malformed",
            "token {token:?}"
        );
    }
    // Padding is tolerated by the decoder.
    assert!(id_token::decode(&cases[8]).is_ok());
    // The signature part is not checked at all.
    assert!(id_token::decode(&format!("{header}.{payload}.")).is_ok());
}

fn base64_padded(unpadded: &str) -> String {
    let pad = (4 - unpadded.len() % 4) % 4;
    format!("{unpadded}{}", "=".repeat(pad))
}

#[test]
fn id_token_errors_do_not_print_values() {
    let claims = with("nonce", serde_json::json!("SECRETNONCE"));
    let (iss, nonce) = expected();
    let err = id_token::validate(
        &jwt(&claims),
        &Expected {
            issuer: &iss,
            client_id: CLIENT_ID,
            nonce: Some(nonce),
        },
        NOW,
        0,
    )
    .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("SECRETNONCE"));
    assert!(!shown.contains("n0nce"));
}

// ---------------------------------------------------------------------------------
// Cognito Identity

const IDENTITY_POOL: &str = "eu-west-1:11111111-2222-3333-4444-555555555555";
const IDENTITY_ID: &str = "eu-west-1:aaaaaaaa-0000-1111-2222-333333333333";

fn identity_endpoint() -> String {
    identity::endpoint(REGION)
}

fn logins_key() -> String {
    identity::logins_key(REGION, POOL)
}

fn assert_json_1_1(req: &http::Request<Vec<u8>>, target: &str, body: &str) {
    assert_eq!(req.method(), http::Method::POST);
    assert_eq!(
        req.uri().to_string(),
        "https://cognito-identity.eu-west-1.amazonaws.com/"
    );
    assert_eq!(req.headers().len(), 2);
    assert_eq!(
        header(req, "content-type").as_deref(),
        Some("application/x-amz-json-1.1")
    );
    assert_eq!(header(req, "x-amz-target").as_deref(), Some(target));
    assert!(req.headers().get("authorization").is_none());
    assert_eq!(String::from_utf8(req.body().clone()).unwrap(), body);
}

#[test]
fn identity_names() {
    assert_eq!(
        identity_endpoint(),
        "https://cognito-identity.eu-west-1.amazonaws.com"
    );
    assert_eq!(
        logins_key(),
        "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    );
    assert_eq!(
        format!("https://{}", logins_key()),
        id_token::issuer(REGION, POOL)
    );
}

#[test]
fn get_id_request_exact() {
    let req = identity::build_get_id(
        &identity_endpoint(),
        IDENTITY_POOL,
        &logins_key(),
        &Secret::new("eyJ.id.tok"),
    )
    .unwrap();
    assert_json_1_1(
        &req,
        "AWSCognitoIdentityService.GetId",
        r#"{"IdentityPoolId":"eu-west-1:11111111-2222-3333-4444-555555555555","Logins":{"cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123":"eyJ.id.tok"}}"#,
    );
}

#[test]
fn get_credentials_request_exact() {
    let req = identity::build_get_credentials_for_identity(
        &format!("{}/", identity_endpoint()),
        IDENTITY_ID,
        &logins_key(),
        &Secret::new("eyJ.id.tok"),
    )
    .unwrap();
    assert_json_1_1(
        &req,
        "AWSCognitoIdentityService.GetCredentialsForIdentity",
        r#"{"IdentityId":"eu-west-1:aaaaaaaa-0000-1111-2222-333333333333","Logins":{"cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123":"eyJ.id.tok"}}"#,
    );
}

#[test]
fn get_open_id_token_request_exact() {
    let req = identity::build_get_open_id_token(
        &identity_endpoint(),
        IDENTITY_ID,
        &logins_key(),
        &Secret::new("eyJ\"quoted\""),
    )
    .unwrap();
    assert_json_1_1(
        &req,
        "AWSCognitoIdentityService.GetOpenIdToken",
        r#"{"IdentityId":"eu-west-1:aaaaaaaa-0000-1111-2222-333333333333","Logins":{"cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123":"eyJ\"quoted\""}}"#,
    );
}

#[test]
fn identity_local_endpoint_and_bad_endpoint() {
    let req = identity::build_get_id(
        "http://127.0.0.1:9400/identity",
        IDENTITY_POOL,
        &logins_key(),
        &Secret::new("t"),
    )
    .unwrap();
    assert_eq!(req.uri().to_string(), "http://127.0.0.1:9400/identity/");
    let err = identity::build_get_id(
        "no endpoint",
        IDENTITY_POOL,
        &logins_key(),
        &Secret::new("t"),
    )
    .unwrap_err();
    assert_eq!(err.kind_name(), "invalid_endpoint");
}

#[test]
fn get_id_response() {
    let id = identity::parse_get_id(response(
        200,
        &format!(r#"{{"IdentityId":"{IDENTITY_ID}"}}"#),
    ))
    .unwrap();
    assert_eq!(id, IDENTITY_ID);
    for body in [
        "{}",
        r#"{"IdentityId":""}"#,
        r#"{"IdentityId":5}"#,
        "nope",
        "",
    ] {
        let err = identity::parse_get_id(response(200, body)).unwrap_err();
        assert_eq!(err.kind_name(), "malformed_response", "body {body:?}");
    }
}

fn credentials_body(expiration: &str) -> String {
    format!(
        r#"{{"IdentityId":"{IDENTITY_ID}","Credentials":{{"AccessKeyId":"ASIAEXAMPLE","SecretKey":"s3cr3t","SessionToken":"sess10n","Expiration":{expiration}}}}}"#
    )
}

#[test]
fn get_credentials_response() {
    let creds = identity::parse_get_credentials_for_identity(response(
        200,
        &credentials_body("1700003600"),
    ))
    .unwrap();
    assert_eq!(
        creds,
        Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("s3cr3t"),
            session_token: Some(Secret::new("sess10n")),
            expiration: Some(1_700_003_600),
        }
    );
    let debug = format!("{creds:?}");
    assert!(!debug.contains("s3cr3t"));
    assert!(!debug.contains("sess10n"));
}

#[test]
fn get_credentials_expiration_forms() {
    for (wire, secs) in [
        ("1700003600", 1_700_003_600),
        ("1700003600.999", 1_700_003_600),
        ("1.514869445E9", 1_514_869_445),
        ("1.514869445e9", 1_514_869_445),
        ("1.5148694455E9", 1_514_869_445),
        ("17000036e2", 1_700_003_600),
    ] {
        let creds =
            identity::parse_get_credentials_for_identity(response(200, &credentials_body(wire)))
                .unwrap();
        assert_eq!(creds.expiration, Some(secs), "Expiration {wire}");
    }
    for bad in ["\"2023-11-14T22:13:20Z\"", "-1", "true", "1e400"] {
        let err =
            identity::parse_get_credentials_for_identity(response(200, &credentials_body(bad)))
                .unwrap_err();
        assert_eq!(err.kind_name(), "malformed_response", "Expiration {bad}");
    }
}

#[test]
fn get_credentials_missing_fields() {
    let cases = [
        (r#"{"IdentityId":"x"}"#, "Credentials"),
        (
            r#"{"Credentials":{"SecretKey":"s","SessionToken":"t","Expiration":1}}"#,
            "AccessKeyId",
        ),
        // STS's name for it is not Cognito's.
        (
            r#"{"Credentials":{"AccessKeyId":"a","SecretAccessKey":"s","SessionToken":"t","Expiration":1}}"#,
            "SecretKey",
        ),
        (
            r#"{"Credentials":{"AccessKeyId":"a","SecretKey":"s","SessionToken":5}}"#,
            "SessionToken",
        ),
    ];
    for (body, what) in cases {
        let err = identity::parse_get_credentials_for_identity(response(200, body)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("malformed Cognito Identity response: {what}")
        );
    }
}

#[test]
fn get_open_id_token_response() {
    let token = identity::parse_get_open_id_token(response(
        200,
        r#"{"IdentityId":"eu-west-1:merged","Token":"eyJopenid"}"#,
    ))
    .unwrap();
    assert_eq!(token.identity_id, "eu-west-1:merged");
    assert_eq!(token.token.expose(), "eyJopenid");
    assert!(!format!("{token:?}").contains("eyJopenid"));
    let err =
        identity::parse_get_open_id_token(response(200, r#"{"IdentityId":"x"}"#)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed Cognito Identity response: Token"
    );
}

#[test]
fn identity_error_types() {
    let cases = [
        ("NotAuthorizedException", IdentityErrorCode::NotAuthorized),
        (
            "ResourceNotFoundException",
            IdentityErrorCode::ResourceNotFound,
        ),
        (
            "InvalidParameterException",
            IdentityErrorCode::InvalidParameter,
        ),
        (
            "TooManyRequestsException",
            IdentityErrorCode::TooManyRequests,
        ),
        ("LimitExceededException", IdentityErrorCode::LimitExceeded),
        (
            "ResourceConflictException",
            IdentityErrorCode::ResourceConflict,
        ),
        (
            "InvalidIdentityPoolConfigurationException",
            IdentityErrorCode::InvalidIdentityPoolConfiguration,
        ),
        (
            "ExternalServiceException",
            IdentityErrorCode::ExternalService,
        ),
        ("InternalErrorException", IdentityErrorCode::InternalError),
        (
            "DeveloperUserAlreadyRegisteredException",
            IdentityErrorCode::Unknown("DeveloperUserAlreadyRegisteredException".into()),
        ),
    ];
    for (wire, code) in cases {
        let body = format!(r#"{{"__type":"{wire}","message":"msg {wire}"}}"#);
        let err = identity::parse_get_id(response(400, &body)).unwrap_err();
        assert_eq!(err.kind_name(), "service_error");
        assert_eq!(err.code(), Some(&code));
        assert_eq!(err.message(), Some(format!("msg {wire}").as_str()));
        assert_eq!(err.status(), Some(400));
        assert_eq!(err.is_not_authorized(), wire == "NotAuthorizedException");
        assert_eq!(
            err.is_throttling(),
            matches!(wire, "TooManyRequestsException" | "LimitExceededException")
        );
        assert_eq!(err.is_transient(), wire == "InternalErrorException");
        assert_eq!(
            err.to_string(),
            format!("Cognito Identity error {wire} (HTTP 400): msg {wire}")
        );
    }
}

#[test]
fn identity_error_namespaced_and_suffixed() {
    let err = identity::parse_get_credentials_for_identity(response(
        400,
        r#"{"__type":"aws.cognito#NotAuthorizedException:http://internal.amazon.com/coral/","message":"Invalid login token. Token expired: 1700000001 >= 1700000000"}"#,
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some(&IdentityErrorCode::NotAuthorized));
    assert!(err.is_not_authorized());
    assert_eq!(
        err.message(),
        Some("Invalid login token. Token expired: 1700000001 >= 1700000000")
    );
    // `code` in the body, `Message` capitalised.
    let err = identity::parse_get_id(response(
        404,
        r#"{"code":"ResourceNotFoundException","Message":"IdentityPool not found"}"#,
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some(&IdentityErrorCode::ResourceNotFound));
    assert_eq!(err.message(), Some("IdentityPool not found"));
    assert_eq!(err.status(), Some(404));
}

#[test]
fn identity_error_header_takes_precedence() {
    let resp = http::Response::builder()
        .status(400)
        .header(
            "X-Amzn-ErrorType",
            "TooManyRequestsException:http://internal.amazon.com/coral/com.amazonaws.cognito/",
        )
        .body(br#"{"__type":"NotAuthorizedException","code":"InvalidParameterException","message":"Rate exceeded"}"#.to_vec())
        .unwrap();
    let err = identity::parse_get_id(resp).unwrap_err();
    assert_eq!(err.code(), Some(&IdentityErrorCode::TooManyRequests));
    assert_eq!(err.message(), Some("Rate exceeded"));
    assert!(err.is_throttling());

    // Header with a namespace; body says something else.
    let resp = http::Response::builder()
        .status(500)
        .header("x-amzn-errortype", "aws.cognito#InternalErrorException")
        .body(Vec::new())
        .unwrap();
    let err = identity::parse_get_id(resp).unwrap_err();
    assert_eq!(err.code(), Some(&IdentityErrorCode::InternalError));
    assert_eq!(err.message(), None);
    assert!(err.is_transient());

    // Body `code` wins over `__type` when there is no header.
    let err = identity::parse_get_id(response(
        400,
        r#"{"__type":"NotAuthorizedException","code":"InvalidParameterException"}"#,
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some(&IdentityErrorCode::InvalidParameter));

    // An empty header falls back to the body.
    let resp = http::Response::builder()
        .status(400)
        .header("x-amzn-errortype", "")
        .body(br#"{"__type":"ResourceConflictException"}"#.to_vec())
        .unwrap();
    assert_eq!(
        identity::parse_get_id(resp).unwrap_err().code(),
        Some(&IdentityErrorCode::ResourceConflict)
    );
}

#[test]
fn identity_error_without_type() {
    let err = identity::parse_get_id(response(502, "<html>Bad Gateway</html>")).unwrap_err();
    assert_eq!(err.kind_name(), "unexpected_status");
    assert_eq!(err.status(), Some(502));
    assert_eq!(err.code(), None);
    assert!(err.is_transient());
    assert_eq!(err.to_string(), "unexpected HTTP 502 from Cognito Identity");
    let err = identity::parse_get_id(response(429, "")).unwrap_err();
    assert!(err.is_throttling());
    let err = identity::parse_get_id(response(400, r#"{"message":"no type"}"#)).unwrap_err();
    assert_eq!(err.kind_name(), "unexpected_status");
    assert!(!err.is_transient());
}

// ---------------------------------------------------------------------------------
// Never panic on arbitrary input

fn arbitrary_response(status: u16, body: Vec<u8>) -> http::Response<Vec<u8>> {
    http::Response::builder().status(status).body(body).unwrap()
}

fn json_ish() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        "\\{(\"[a-zA-Z_:]{0,16}\":(\"[^\"]{0,16}\"|-?[0-9]{0,20}(\\.[0-9]{0,5})?([eE][-+]?[0-9]{1,4})?|\\{\\}|null|true|\\[\\]),?){0,6}\\}"
            .prop_map(String::into_bytes),
        Just(credentials_body("1e308").into_bytes()),
    ]
}

proptest! {
    #[test]
    fn parse_callback_never_panics(query in ".{0,200}", state in ".{0,20}") {
        let _ = oauth::parse_callback(&query, &state);
    }

    #[test]
    fn parse_callback_never_panics_on_query_shapes(
        query in "[?]?((code|state|error|error_description|x)(=[a-z%0-9A-F+]{0,6})?&?){0,6}(#.*)?"
    ) {
        let _ = oauth::parse_callback(&query, "st4te");
    }

    #[test]
    fn parse_token_response_never_panics(status in 100u16..1000, body in json_ish()) {
        let _ = oauth::parse_token_response(arbitrary_response(status, body.clone()));
        let _ = oauth::parse_revoke_response(arbitrary_response(status, body));
    }

    #[test]
    fn id_token_decode_never_panics(token in "[A-Za-z0-9_=.-]{0,300}") {
        let _ = id_token::decode(&token);
    }

    #[test]
    fn id_token_validate_never_panics(
        payload in json_ish(), now in any::<u64>(), leeway in any::<u64>()
    ) {
        let token = format!(
            "{}.{}.",
            base64url_encode(b"{}"),
            base64url_encode(&payload)
        );
        let exp = Expected { issuer: "i", client_id: "c", nonce: Some("n") };
        let _ = id_token::validate(&token, &exp, now, leeway);
    }

    #[test]
    fn identity_parsers_never_panic(
        status in 100u16..1000,
        body in json_ish(),
        error_type in proptest::option::of("[ -~]{0,40}"),
    ) {
        let make = || {
            let mut builder = http::Response::builder().status(status);
            if let Some(t) = &error_type {
                builder = builder.header("x-amzn-errortype", t.as_str());
            }
            builder.body(body.clone()).unwrap()
        };
        let _ = identity::parse_get_id(make());
        let _ = identity::parse_get_credentials_for_identity(make());
        let _ = identity::parse_get_open_id_token(make());
    }
}
