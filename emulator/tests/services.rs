//! The emulator's services over real HTTP on 127.0.0.1. S3 requests are signed with
//! the `aws-sigv4` crate (an implementation independent of s3s's verifier).

use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
    SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use cubby_emulator::{EmulatorConfig, FaultKind};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

struct Env {
    emu: cubby_emulator::Emulator,
    http: reqwest::Client,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.emu.config().data_dir);
    }
}

async fn env() -> Env {
    env_with(|_| {}).await
}

async fn env_with(f: impl FnOnce(&mut EmulatorConfig)) -> Env {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("emu-{}", uuid::Uuid::new_v4()));
    let mut config = EmulatorConfig::test(dir);
    f(&mut config);
    let emu = cubby_emulator::start(config)
        .await
        .expect("emulator starts");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Env { emu, http }
}

fn query_of(url: &str) -> HashMap<String, String> {
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

impl Env {
    fn ui(&self) -> &str {
        &self.emu.urls().hosted_ui
    }

    fn client_id(&self) -> String {
        self.emu.config().client_id.clone()
    }

    fn auth_params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("client_id", self.client_id()),
            ("redirect_uri", self.emu.redirect_uri().to_string()),
            ("response_type", "code".into()),
            ("state", "st<&\"'>ate".into()),
            ("scope", "openid email profile".into()),
            ("code_challenge", CHALLENGE.into()),
            ("code_challenge_method", "S256".into()),
            ("nonce", "n0nce".into()),
        ]
    }

    async fn post_login(&self, username: &str, password: &str) -> reqwest::Response {
        let mut form = self.auth_params();
        form.push(("username", username.into()));
        form.push(("password", password.into()));
        self.http
            .post(format!("{}/login", self.ui()))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    async fn code_for(&self, username: &str, password: &str) -> String {
        let resp = self.post_login(username, password).await;
        assert_eq!(resp.status(), 302);
        query_of(&location(&resp))["code"].clone()
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}/oauth2/token", self.ui()))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn exchange(&self, code: &str, verifier: &str) -> (u16, Value) {
        let client_id = self.client_id();
        self.token_request(&[
            ("grant_type", "authorization_code"),
            ("client_id", &client_id),
            ("code", code),
            ("redirect_uri", self.emu.redirect_uri()),
            ("code_verifier", verifier),
        ])
        .await
    }

    async fn tokens(&self, username: &str, password: &str) -> Value {
        let code = self.code_for(username, password).await;
        let (status, body) = self.exchange(&code, VERIFIER).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn identity(&self, target: &str, body: Value) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}/", self.emu.urls().identity))
            .header("content-type", "application/x-amz-json-1.1")
            .header(
                "x-amz-target",
                format!("AWSCognitoIdentityService.{target}"),
            )
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    fn logins(&self, id_token: &str) -> Value {
        let c = self.emu.config();
        json!({ format!("cognito-idp.{}.amazonaws.com/{}", c.region, c.user_pool_id): id_token })
    }

    async fn get_id(&self, id_token: &str) -> (u16, Value) {
        self.identity(
            "GetId",
            json!({"IdentityPoolId": self.emu.config().identity_pool_id, "Logins": self.logins(id_token)}),
        )
        .await
    }

    /// Signs in and returns (identity id, credentials).
    async fn signed_in(&self, username: &str, password: &str) -> (String, Creds) {
        let tokens = self.tokens(username, password).await;
        let id_token = tokens["id_token"].as_str().unwrap();
        let (status, body) = self.get_id(id_token).await;
        assert_eq!(status, 200, "{body}");
        let identity_id = body["IdentityId"].as_str().unwrap().to_string();
        let (status, body) = self
            .identity(
                "GetCredentialsForIdentity",
                json!({"IdentityId": identity_id, "Logins": self.logins(id_token)}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let c = &body["Credentials"];
        (
            identity_id,
            Creds {
                akid: c["AccessKeyId"].as_str().unwrap().into(),
                secret: c["SecretKey"].as_str().unwrap().into(),
                token: c["SessionToken"].as_str().unwrap().into(),
            },
        )
    }

    fn s3_url(&self, key_path: &str) -> String {
        format!(
            "{}/{}/{}",
            self.emu.urls().s3,
            self.emu.config().bucket,
            key_path
        )
    }

    async fn s3(&self, creds: &Creds, req: S3Req<'_>) -> (u16, reqwest::header::HeaderMap, String) {
        let request = signed(creds, &req, SystemTime::now(), None);
        self.send(request).await
    }

    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> (u16, reqwest::header::HeaderMap, String) {
        let resp = self
            .http
            .execute(reqwest::Request::try_from(request).unwrap())
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, headers, resp.text().await.unwrap())
    }
}

#[derive(Clone)]
struct Creds {
    akid: String,
    secret: String,
    token: String,
}

struct S3Req<'a> {
    method: &'a str,
    url: String,
    headers: Vec<(&'a str, String)>,
    body: Vec<u8>,
}

fn s3req(method: &str, url: String) -> S3Req<'_> {
    S3Req {
        method,
        url,
        headers: vec![],
        body: vec![],
    }
}

/// A SigV4-signed request (header auth, or a presigned URL when `presign` is set).
fn signed(
    creds: &Creds,
    req: &S3Req<'_>,
    time: SystemTime,
    presign: Option<Duration>,
) -> http::Request<Vec<u8>> {
    let mut builder = http::Request::builder().method(req.method).uri(&req.url);
    for (k, v) in &req.headers {
        builder = builder.header(*k, v);
    }
    let mut request = builder.body(req.body.clone()).unwrap();
    let host = request.uri().authority().unwrap().to_string();
    request
        .headers_mut()
        .insert("host", http::HeaderValue::from_str(&host).unwrap());
    let identity = aws_credential_types::Credentials::new(
        &creds.akid,
        &creds.secret,
        Some(creds.token.clone()),
        None,
        "test",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    if let Some(expires) = presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
    } else {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_string()))
        .collect();
    let body = if presign.is_some() {
        SignableBody::UnsignedPayload
    } else {
        SignableBody::Bytes(&req.body)
    };
    let signable = SignableRequest::new(
        req.method,
        req.url.clone(),
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        body,
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(&mut request);
    request
}

fn httpdate_secs(s: &str) -> u64 {
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(s, fmt)
        .unwrap()
        .assume_utc()
        .unix_timestamp() as u64
}

fn tag(xml: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let Some(start) = xml.find(&open) else {
        return String::new();
    };
    let rest = &xml[start + open.len()..];
    rest[..rest.find(&format!("</{name}>")).unwrap()].to_string()
}

// ------------------------------------------------------------------ Hosted UI

#[tokio::test]
async fn authorize_with_unknown_redirect_uri_is_an_error_page_not_a_redirect() {
    let env = env().await;
    let mut params = env.auth_params();
    params[1].1 = "http://127.0.0.1:9999/evil".into();
    let resp = env
        .http
        .get(format!("{}/oauth2/authorize", env.ui()))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("location").is_none());
    let body = resp.text().await.unwrap();
    assert!(body.contains("An error was encountered with the requested page."));
    assert!(body.contains("redirect_mismatch"));

    // A trailing-slash difference is a different URI.
    let mut params = env.auth_params();
    params[1].1 = env.emu.redirect_uri().trim_end_matches('/').to_string();
    let resp = env
        .http
        .get(format!("{}/oauth2/authorize", env.ui()))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);

    // Unknown client: error page too.
    let mut params = env.auth_params();
    params[0].1 = "nope".into();
    let resp = env
        .http
        .get(format!("{}/oauth2/authorize", env.ui()))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("location").is_none());
}

#[tokio::test]
async fn authorize_requires_pkce_s256() {
    let env = env().await;
    for (drop, method, expected) in [
        (Some("code_challenge"), "S256", "code_challenge is required"),
        (None, "plain", "code_challenge_method must be S256"),
        (
            Some("code_challenge_method"),
            "",
            "code_challenge_method is required",
        ),
    ] {
        let mut params: Vec<(&str, String)> = env
            .auth_params()
            .into_iter()
            .filter(|(k, _)| Some(*k) != drop)
            .collect();
        for p in params.iter_mut() {
            if p.0 == "code_challenge_method" {
                p.1 = method.into();
            }
        }
        let resp = env
            .http
            .get(format!("{}/oauth2/authorize", env.ui()))
            .query(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 302);
        let loc = location(&resp);
        assert!(loc.starts_with(env.emu.redirect_uri()), "{loc}");
        let q = query_of(&loc);
        assert_eq!(q["error"], "invalid_request");
        assert_eq!(q["error_description"], expected);
        assert_eq!(q["state"], "st<&\"'>ate");
        assert!(!q.contains_key("code"));
    }
}

#[tokio::test]
async fn authorize_shows_an_accessible_escaped_login_form() {
    let env = env().await;
    let resp = env
        .http
        .get(format!("{}/oauth2/authorize", env.ui()))
        .query(&env.auth_params())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let loc = location(&resp);
    assert!(loc.starts_with("/login?"), "{loc}");
    let resp = env
        .http
        .get(format!("{}{}", env.ui(), loc))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let page = resp.text().await.unwrap();
    assert!(page.contains("<label for=\"username\">Username</label>"));
    assert!(page.contains("<label for=\"password\">Password</label>"));
    assert!(page.contains("autofocus"));
    assert!(page.contains("name=\"state\" value=\"st&lt;&amp;&quot;&#39;&gt;ate\""));
    assert!(!page.contains("st<&"));
    assert!(page.contains(">Cancel</a>"));
}

#[tokio::test]
async fn wrong_password_shows_the_message_and_does_not_redirect() {
    let env = env().await;
    let resp = env.post_login("alice", "wrong").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("location").is_none());
    let page = resp.text().await.unwrap();
    assert!(page.contains("Incorrect username or password."));
    assert!(page.contains("value=\"alice\""));
    let resp = env.post_login("mallory", "x").await;
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("Incorrect username or password."));
}

#[tokio::test]
async fn login_redirects_with_code_and_state_and_cancel_gives_access_denied() {
    let env = env().await;
    let resp = env.post_login("alice", "Alice-Password-1").await;
    assert_eq!(resp.status(), 302);
    let loc = location(&resp);
    assert!(loc.starts_with(env.emu.redirect_uri()));
    let q = query_of(&loc);
    assert_eq!(q["state"], "st<&\"'>ate");
    assert!(q["code"].len() >= 16);
    assert!(resp.headers().get("set-cookie").is_some());

    let resp = env
        .http
        .get(format!("{}/login/cancel", env.ui()))
        .query(&env.auth_params())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let q = query_of(&location(&resp));
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st<&\"'>ate");
}

#[tokio::test]
async fn code_exchange_verifies_pkce_and_codes_are_single_use() {
    let env = env().await;
    let code = env.code_for("alice", "Alice-Password-1").await;
    let (status, body) = env
        .exchange(&code, "wrong-verifier-wrong-verifier-wrong-verifier-x")
        .await;
    assert_eq!((status, body), (400, json!({"error": "invalid_grant"})));
    // The failed attempt used the code up.
    let (status, body) = env.exchange(&code, VERIFIER).await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("invalid_grant"))
    );

    let code = env.code_for("alice", "Alice-Password-1").await;
    let (status, body) = env.exchange(&code, VERIFIER).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    for field in ["id_token", "access_token", "refresh_token"] {
        assert!(body[field].as_str().unwrap().len() > 20);
    }
    let (status, body) = env.exchange(&code, VERIFIER).await;
    assert_eq!((status, body), (400, json!({"error": "invalid_grant"})));
}

#[tokio::test]
async fn expired_code_is_invalid_grant() {
    let env = env().await;
    let code = env.code_for("alice", "Alice-Password-1").await;
    env.emu.control().shift_clock(301);
    let (status, body) = env.exchange(&code, VERIFIER).await;
    assert_eq!((status, body), (400, json!({"error": "invalid_grant"})));
}

#[tokio::test]
async fn token_endpoint_errors_and_cors() {
    let env = env().await;
    let client_id = env.client_id();
    let (s, b) = env
        .token_request(&[("grant_type", "password"), ("client_id", &client_id)])
        .await;
    assert_eq!((s, b), (400, json!({"error": "unsupported_grant_type"})));
    let (s, b) = env
        .token_request(&[("grant_type", "authorization_code"), ("client_id", "other")])
        .await;
    assert_eq!((s, b), (400, json!({"error": "invalid_client"})));
    let (s, b) = env
        .token_request(&[("grant_type", "refresh_token"), ("client_id", &client_id)])
        .await;
    assert_eq!(s, 400);
    assert_eq!(b["error"], "invalid_request");
    // Redirect URI must be the one of the authorization request.
    let code = env.code_for("alice", "Alice-Password-1").await;
    let (s, b) = env
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("client_id", &client_id),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:1/"),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_eq!((s, b), (400, json!({"error": "unauthorized_client"})));
    // JSON instead of a form.
    let resp = env
        .http
        .post(format!("{}/oauth2/token", env.ui()))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
    // Preflight.
    let resp = env
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/oauth2/token", env.ui()),
        )
        .header("origin", "http://127.0.0.1:8080")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    assert!(resp.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
}

fn claims(jwt: &str) -> Value {
    use base64::Engine as _;
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn tokens_carry_cognito_claims() {
    let env = env().await;
    let tokens = env.tokens("alice", "Alice-Password-1").await;
    let id = claims(tokens["id_token"].as_str().unwrap());
    let c = env.emu.config();
    assert_eq!(
        id["iss"],
        format!(
            "https://cognito-idp.us-east-1.amazonaws.com/{}",
            c.user_pool_id
        )
    );
    assert_eq!(id["aud"], c.client_id);
    assert_eq!(id["token_use"], "id");
    assert_eq!(id["cognito:username"], "alice");
    assert_eq!(id["email"], "alice@example.com");
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["nonce"], "n0nce");
    assert_eq!(
        id["exp"].as_u64().unwrap() - id["iat"].as_u64().unwrap(),
        3600
    );
    assert_eq!(id["sub"].as_str().unwrap().len(), 36);
    let access = claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["token_use"], "access");
    assert_eq!(access["client_id"], c.client_id);
    assert_eq!(access["username"], "alice");
    assert_eq!(access["scope"], "openid email profile");
    assert!(access.get("aud").is_none());
    assert_eq!(access["sub"], id["sub"]);

    // JWKS has both kids.
    let jwks: Value = env
        .http
        .get(format!(
            "{}/{}/.well-known/jwks.json",
            env.ui(),
            c.user_pool_id
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 2);
    assert_ne!(kids[0], kids[1]);
}

#[tokio::test]
async fn refresh_works_until_revoked() {
    let env = env().await;
    let tokens = env.tokens("alice", "Alice-Password-1").await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let client_id = env.client_id();
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", client_id.as_str()),
        ("refresh_token", refresh),
    ];
    let (s, b) = env.token_request(&form).await;
    assert_eq!(s, 200, "{b}");
    assert!(b["id_token"].is_string());
    assert!(b["access_token"].is_string());
    assert!(b.get("refresh_token").is_none());
    let access = b["access_token"].as_str().unwrap().to_string();

    let info = env
        .http
        .get(format!("{}/oauth2/userInfo", env.ui()))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 200);
    assert_eq!(info.json::<Value>().await.unwrap()["username"], "alice");

    let resp = env
        .http
        .post(format!("{}/oauth2/revoke", env.ui()))
        .form(&[("token", refresh), ("client_id", client_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (s, b) = env.token_request(&form).await;
    assert_eq!(s, 400);
    assert_eq!(b["error"], "invalid_grant");
    let info = env
        .http
        .get(format!("{}/oauth2/userInfo", env.ui()))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 401);
}

#[tokio::test]
async fn logout_checks_the_sign_out_url_and_clears_the_session() {
    let env = env().await;
    let client_id = env.client_id();
    let resp = env
        .http
        .get(format!("{}/logout", env.ui()))
        .query(&[
            ("client_id", client_id.as_str()),
            ("logout_uri", "http://127.0.0.1:1/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let resp = env
        .http
        .get(format!("{}/logout", env.ui()))
        .query(&[
            ("client_id", client_id.as_str()),
            ("logout_uri", env.emu.redirect_uri()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(location(&resp), env.emu.redirect_uri());
    assert!(resp.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
}

// ------------------------------------------------------------------ Cognito Identity

#[tokio::test]
async fn get_id_is_stable_per_user_and_rejects_bad_tokens() {
    let env = env().await;
    let t1 = env.tokens("alice", "Alice-Password-1").await;
    let t2 = env.tokens("alice", "Alice-Password-1").await;
    let t3 = env.tokens("bob", "Bob-Password-2").await;
    let id = |t: &Value| t["id_token"].as_str().unwrap().to_string();
    let (s, a1) = env.get_id(&id(&t1)).await;
    assert_eq!(s, 200);
    let (_, a2) = env.get_id(&id(&t2)).await;
    let (_, b) = env.get_id(&id(&t3)).await;
    assert_eq!(a1, a2);
    assert_ne!(a1, b);
    let identity = a1["IdentityId"].as_str().unwrap();
    assert!(identity.starts_with("us-east-1:"));
    assert_eq!(identity.len(), "us-east-1:".len() + 36);
    assert_eq!(
        env.emu.control().identity_id_of("alice").as_deref(),
        Some(identity)
    );

    // Tampered payload.
    let token = id(&t1);
    let parts: Vec<&str> = token.split('.').collect();
    let mut c = claims(&token);
    c["sub"] = json!(claims(&id(&t3))["sub"]);
    use base64::Engine as _;
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(c.to_string()),
        parts[2]
    );
    let (s, body) = env.get_id(&forged).await;
    assert_eq!(s, 400);
    assert_eq!(
        body,
        json!({"__type": "NotAuthorizedException", "message": "Invalid login token. Couldn't verify signed token."})
    );

    // The access token is not an id token.
    let (s, body) = env.get_id(t1["access_token"].as_str().unwrap()).await;
    assert_eq!(s, 400);
    assert_eq!(body["__type"], "NotAuthorizedException");

    // Expired.
    env.emu.control().shift_clock(3601);
    let (s, body) = env.get_id(&token).await;
    assert_eq!(s, 400);
    assert_eq!(body["__type"], "NotAuthorizedException");
    let msg = body["message"].as_str().unwrap();
    assert!(
        msg.starts_with("Invalid login token. Token expired: "),
        "{msg}"
    );
    let exp = claims(&token)["exp"].as_u64().unwrap();
    assert!(msg.ends_with(&format!(" >= {exp}")), "{msg}");
}

#[tokio::test]
async fn identity_errors() {
    let env = env().await;
    let tokens = env.tokens("alice", "Alice-Password-1").await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let (s, b) = env
        .identity(
            "GetId",
            json!({"IdentityPoolId": "us-east-1:00000000-0000-0000-0000-000000000000", "Logins": env.logins(id_token)}),
        )
        .await;
    assert_eq!(s, 404);
    assert_eq!(b["__type"], "ResourceNotFoundException");
    let (s, b) = env
        .identity("GetId", json!({"IdentityPoolId": "nonsense"}))
        .await;
    assert_eq!(s, 400);
    assert_eq!(b["__type"], "InvalidParameterException");
    let (s, b) = env
        .identity(
            "GetId",
            json!({"IdentityPoolId": env.emu.config().identity_pool_id}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(
        b["message"],
        "Unauthenticated access is not supported for this identity pool."
    );
    let (s, b) = env
        .identity(
            "GetId",
            json!({"IdentityPoolId": env.emu.config().identity_pool_id, "Logins": {"accounts.google.com": id_token}}),
        )
        .await;
    assert_eq!(
        (s, b["__type"].as_str().unwrap()),
        (400, "NotAuthorizedException")
    );

    // Bob cannot get Alice's credentials.
    let alice = env.get_id(id_token).await.1["IdentityId"].clone();
    let bob = env.tokens("bob", "Bob-Password-2").await;
    let (s, b) = env
        .identity(
            "GetCredentialsForIdentity",
            json!({"IdentityId": alice, "Logins": env.logins(bob["id_token"].as_str().unwrap())}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(b["__type"], "NotAuthorizedException");
    assert!(b["message"]
        .as_str()
        .unwrap()
        .starts_with("Logins don't match."));
    let (s, b) = env
        .identity("GetCredentialsForIdentity", json!({"IdentityId": alice}))
        .await;
    assert_eq!(
        (s, b["__type"].as_str().unwrap()),
        (400, "NotAuthorizedException")
    );
    let (s, b) = env
        .identity(
            "GetCredentialsForIdentity",
            json!({"IdentityId": "us-east-1:00000000-0000-0000-0000-000000000000", "Logins": env.logins(id_token)}),
        )
        .await;
    assert_eq!(
        (s, b["__type"].as_str().unwrap()),
        (404, "ResourceNotFoundException")
    );
}

#[tokio::test]
async fn credentials_have_the_aws_shape() {
    let env = env().await;
    let before = env.emu.control().now();
    let (identity, creds) = env.signed_in("alice", "Alice-Password-1").await;
    assert!(creds.akid.starts_with("ASIA") && creds.akid.len() == 20);
    assert_eq!(creds.secret.len(), 40);
    assert!(creds.token.len() > 100);
    assert!(identity.starts_with("us-east-1:"));
    let _ = before;
}

#[tokio::test]
async fn open_id_token_and_sts_give_working_credentials() {
    let env = env().await;
    let tokens = env.tokens("alice", "Alice-Password-1").await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let identity = env.get_id(id_token).await.1["IdentityId"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, b) = env
        .identity(
            "GetOpenIdToken",
            json!({"IdentityId": identity, "Logins": env.logins(id_token)}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let token = b["Token"].as_str().unwrap().to_string();
    assert_eq!(claims(&token)["sub"], identity.as_str());
    let sts = |token: String, role: String| {
        let http = env.http.clone();
        let url = format!("{}/", env.emu.urls().sts);
        async move {
            let resp = http
                .post(url)
                .form(&[
                    ("Action", "AssumeRoleWithWebIdentity"),
                    ("Version", "2011-06-15"),
                    ("RoleArn", role.as_str()),
                    ("RoleSessionName", "cubby"),
                    ("WebIdentityToken", token.as_str()),
                ])
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let role = env.emu.config().authenticated_role_arn.clone();
    let (s, xml) = sts(token.clone(), role.clone()).await;
    assert_eq!(s, 200, "{xml}");
    let exp = tag(&xml, "Expiration");
    assert!(exp.ends_with('Z') && exp.contains('T'), "{exp}");
    let creds = Creds {
        akid: tag(&xml, "AccessKeyId"),
        secret: tag(&xml, "SecretAccessKey"),
        token: tag(&xml, "SessionToken"),
    };
    assert_eq!(tag(&xml, "SubjectFromWebIdentityToken"), identity);
    let mut put = s3req("PUT", env.s3_url(&format!("private/{identity}/sts.txt")));
    put.body = b"via sts".to_vec();
    let (s, _, body) = env.s3(&creds, put).await;
    assert_eq!(s, 200, "{body}");

    let (s, xml) = sts("x.y.z".into(), role.clone()).await;
    assert_eq!(s, 400);
    assert_eq!(tag(&xml, "Code"), "InvalidIdentityToken");
    let (s, xml) = sts(token.clone(), "arn:aws:iam::000000000000:role/other".into()).await;
    assert_eq!(s, 403);
    assert_eq!(tag(&xml, "Code"), "AccessDenied");
    env.emu.control().shift_clock(601);
    let (s, xml) = sts(token, role).await;
    assert_eq!(s, 400);
    assert_eq!(tag(&xml, "Code"), "ExpiredTokenException");
}

// ------------------------------------------------------------------ S3

#[tokio::test]
async fn s3_put_list_get_and_per_user_prefixes() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let (bob, bc) = env.signed_in("bob", "Bob-Password-2").await;
    let key = format!("private/{alice}/docs/hello world $.txt");
    let encoded = key
        .replace(' ', "%20")
        .replace('$', "%24")
        .replace(':', "%3A");
    let mut put = s3req("PUT", env.s3_url(&encoded));
    put.body = b"Welcome to Amazon S3.".to_vec();
    put.headers.push(("content-type", "text/plain".into()));
    let (s, h, body) = env.s3(&ac, put).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(h["etag"], "\"d447d0e8f289f16a12ff6027ce77c258\"");

    let list_url = |prefix: &str| {
        format!(
            "{}?list-type=2&prefix={}",
            env.s3_url("").trim_end_matches('/'),
            prefix.replace(':', "%3A").replace('/', "%2F")
        )
    };
    let (s, _, xml) = env
        .s3(&ac, s3req("GET", list_url(&format!("private/{alice}/"))))
        .await;
    assert_eq!(s, 200, "{xml}");
    assert_eq!(tag(&xml, "Key"), key);
    assert_eq!(tag(&xml, "KeyCount"), "1");

    let (s, h, body) = env.s3(&ac, s3req("GET", env.s3_url(&encoded))).await;
    assert_eq!((s, body.as_str()), (200, "Welcome to Amazon S3."));
    assert_eq!(h["content-type"], "text/plain");
    assert!(h.contains_key("x-amz-request-id"));

    // Bob: list, get, put, delete in Alice's prefix are denied.
    let denied = |s: u16, xml: &str| {
        assert_eq!(s, 403, "{xml}");
        assert_eq!(tag(xml, "Code"), "AccessDenied");
        assert_eq!(tag(xml, "Message"), "Access Denied");
        assert_eq!(tag(xml, "RequestId").len(), 16);
    };
    let (s, _, xml) = env
        .s3(&bc, s3req("GET", list_url(&format!("private/{alice}/"))))
        .await;
    denied(s, &xml);
    let (s, _, xml) = env.s3(&bc, s3req("GET", list_url("private/"))).await;
    denied(s, &xml);
    let (s, _, xml) = env
        .s3(
            &bc,
            s3req(
                "GET",
                format!("{}?list-type=2", env.s3_url("").trim_end_matches('/')),
            ),
        )
        .await;
    denied(s, &xml);
    let (s, _, xml) = env.s3(&bc, s3req("GET", env.s3_url(&encoded))).await;
    denied(s, &xml);
    let mut put = s3req("PUT", env.s3_url(&format!("private/{alice}/x")));
    put.body = b"x".to_vec();
    let (s, _, xml) = env.s3(&bc, put).await;
    denied(s, &xml);
    let (s, _, xml) = env.s3(&bc, s3req("DELETE", env.s3_url(&encoded))).await;
    denied(s, &xml);
    // Copy from Alice's prefix into Bob's, and from Bob's into Alice's.
    let mut copy = s3req("PUT", env.s3_url(&format!("private/{bob}/stolen")));
    copy.headers.push((
        "x-amz-copy-source",
        format!("{}/{}", env.emu.config().bucket, encoded),
    ));
    let (s, _, xml) = env.s3(&bc, copy).await;
    denied(s, &xml);
    let mut put = s3req("PUT", env.s3_url(&format!("private/{bob}/mine")));
    put.body = b"bob".to_vec();
    assert_eq!(env.s3(&bc, put).await.0, 200);
    let mut copy = s3req("PUT", env.s3_url(&format!("private/{alice}/gift")));
    copy.headers.push((
        "x-amz-copy-source",
        format!("{}/private/{bob}/mine", env.emu.config().bucket),
    ));
    let (s, _, xml) = env.s3(&bc, copy).await;
    denied(s, &xml);
    // Alice copies within her prefix.
    let mut copy = s3req("PUT", env.s3_url(&format!("private/{alice}/copy.txt")));
    copy.headers.push((
        "x-amz-copy-source",
        format!("{}/{}", env.emu.config().bucket, encoded),
    ));
    let (s, _, xml) = env.s3(&ac, copy).await;
    assert_eq!(s, 200, "{xml}");
    assert!(xml.contains("CopyObjectResult"));
    // A missing key in one's own prefix reads as AccessDenied (no ListBucket on it).
    let (s, _, xml) = env
        .s3(
            &ac,
            s3req("GET", env.s3_url(&format!("private/{alice}/missing"))),
        )
        .await;
    denied(s, &xml);
}

#[tokio::test]
async fn s3_delete_objects_authorises_each_key_and_accepts_crc32_or_md5() {
    use base64::Engine as _;
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let (bob, bc) = env.signed_in("bob", "Bob-Password-2").await;
    for (who, creds) in [(&alice, &ac), (&bob, &bc)] {
        let mut put = s3req("PUT", env.s3_url(&format!("private/{who}/a.txt")));
        put.body = b"a".to_vec();
        assert_eq!(env.s3(creds, put).await.0, 200);
    }
    let body = format!(
        "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Object><Key>private/{alice}/a.txt</Key></Object><Object><Key>private/{bob}/a.txt</Key></Object></Delete>"
    );
    let url = format!("{}?delete", env.s3_url("").trim_end_matches('/'));
    let crc = base64::engine::general_purpose::STANDARD
        .encode(crc32fast::hash(body.as_bytes()).to_be_bytes());
    let mut req = s3req("POST", url.clone());
    req.body = body.clone().into_bytes();
    req.headers.push(("x-amz-checksum-crc32", crc));
    req.headers
        .push(("x-amz-sdk-checksum-algorithm", "CRC32".into()));
    let (s, _, xml) = env.s3(&ac, req).await;
    assert_eq!(s, 200, "{xml}");
    assert!(
        xml.contains(&format!("<Deleted><Key>private/{alice}/a.txt</Key>")),
        "{xml}"
    );
    let error = tag(&xml, "Error");
    assert!(
        error.contains(&format!("<Key>private/{bob}/a.txt</Key>")),
        "{xml}"
    );
    assert!(error.contains("<Code>AccessDenied</Code>"), "{xml}");
    // Bob's object is still there.
    let (s, _, body_text) = env
        .s3(
            &bc,
            s3req("GET", env.s3_url(&format!("private/{bob}/a.txt"))),
        )
        .await;
    assert_eq!((s, body_text.as_str()), (200, "a"));

    // Content-MD5 works too; a wrong digest or none at all does not.
    use md5::Digest as _;
    let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body.as_bytes()));
    let mut req = s3req("POST", url.clone());
    req.body = body.clone().into_bytes();
    req.headers.push(("content-md5", md5));
    assert_eq!(env.s3(&ac, req).await.0, 200);
    let mut req = s3req("POST", url.clone());
    req.body = body.clone().into_bytes();
    req.headers
        .push(("x-amz-checksum-crc32", "AAAAAA==".into()));
    let (s, _, xml) = env.s3(&ac, req).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (400, "BadDigest"));
    let mut req = s3req("POST", url);
    req.body = body.into_bytes();
    let (s, _, xml) = env.s3(&ac, req).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (400, "InvalidRequest"));
}

#[tokio::test]
async fn s3_rejects_bad_signatures_expired_credentials_and_skewed_clocks() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let url = env.s3_url(&format!("private/{alice}/f.txt"));
    let mut put = s3req("PUT", url.clone());
    put.body = b"data".to_vec();
    assert_eq!(env.s3(&ac, put).await.0, 200);

    // Tampered signature.
    let mut request = signed(&ac, &s3req("GET", url.clone()), SystemTime::now(), None);
    let auth = request.headers()["authorization"]
        .to_str()
        .unwrap()
        .to_string();
    let tampered = format!("{}0", &auth[..auth.len() - 1]);
    let tampered = if tampered == auth {
        format!("{}1", &auth[..auth.len() - 1])
    } else {
        tampered
    };
    request
        .headers_mut()
        .insert("authorization", tampered.parse().unwrap());
    let (s, _, xml) = env.send(request).await;
    assert_eq!(s, 403, "{xml}");
    assert_eq!(tag(&xml, "Code"), "SignatureDoesNotMatch");
    assert_eq!(
        tag(&xml, "Message"),
        "The request signature we calculated does not match the signature you provided. Check your key and signing method."
    );
    // Wrong secret.
    let wrong = Creds {
        secret: "x".repeat(40),
        ..ac.clone()
    };
    let (s, _, xml) = env.s3(&wrong, s3req("GET", url.clone())).await;
    assert_eq!(
        (s, tag(&xml, "Code").as_str()),
        (403, "SignatureDoesNotMatch")
    );
    // Unknown key.
    let unknown = Creds {
        akid: "ASIAAAAAAAAAAAAAAAAA".into(),
        ..ac.clone()
    };
    let (s, _, xml) = env.s3(&unknown, s3req("GET", url.clone())).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (403, "InvalidAccessKeyId"));
    // Wrong session token.
    let bad_token = Creds {
        token: "nope".into(),
        ..ac.clone()
    };
    let (s, _, xml) = env.s3(&bad_token, s3req("GET", url.clone())).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (400, "InvalidToken"));
    // Body that does not match x-amz-content-sha256.
    let mut put = s3req("PUT", url.clone());
    put.body = b"data".to_vec();
    let mut request = signed(&ac, &put, SystemTime::now(), None);
    *request.body_mut() = b"DATA".to_vec();
    let (s, _, xml) = env.send(request).await;
    assert_eq!(
        (s, tag(&xml, "Code").as_str()),
        (400, "XAmzContentSHA256Mismatch")
    );

    // Clock skew: the client is 20 minutes behind the server.
    let (s, _, xml) = env
        .send(signed(
            &ac,
            &s3req("GET", url.clone()),
            SystemTime::now() - Duration::from_secs(1200),
            None,
        ))
        .await;
    assert_eq!(s, 403, "{xml}");
    assert_eq!(tag(&xml, "Code"), "RequestTimeTooSkewed");
    assert_eq!(tag(&xml, "MaxAllowedSkewMilliseconds"), "900000");
    assert!(tag(&xml, "ServerTime").ends_with('Z'));
    assert!(!tag(&xml, "RequestTime").is_empty());
    // The server's clock moves instead: same answer, and Date shows the server clock.
    env.emu.control().shift_clock(-1200);
    let (s, h, xml) = env.s3(&ac, s3req("GET", url.clone())).await;
    assert_eq!(
        (s, tag(&xml, "Code").as_str()),
        (403, "RequestTimeTooSkewed")
    );
    let date = httpdate_secs(h["date"].to_str().unwrap());
    assert!(
        date.abs_diff(env.emu.control().now()) <= 2,
        "{:?}",
        h["date"]
    );
    env.emu.control().shift_clock(0);
    let (s, _, _) = env.s3(&ac, s3req("GET", url.clone())).await;
    assert_eq!(s, 200);

    // Expired credentials.
    env.emu.control().shift_clock(3601);
    let now = SystemTime::now() + Duration::from_secs(3601);
    let (s, _, xml) = env
        .send(signed(&ac, &s3req("GET", url.clone()), now, None))
        .await;
    assert_eq!(s, 400, "{xml}");
    assert_eq!(tag(&xml, "Code"), "ExpiredToken");
    assert_eq!(tag(&xml, "Message"), "The provided token has expired.");
}

#[tokio::test]
async fn s3_presigned_get_works_until_it_expires() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let url = env.s3_url(&format!("private/{alice}/p.txt"));
    let mut put = s3req("PUT", url.clone());
    put.body = b"presigned!".to_vec();
    assert_eq!(env.s3(&ac, put).await.0, 200);
    let request = signed(
        &ac,
        &s3req("GET", url.clone()),
        SystemTime::now(),
        Some(Duration::from_secs(60)),
    );
    let presigned = request.uri().to_string();
    assert!(presigned.contains("X-Amz-Security-Token="));
    let resp = env.http.get(&presigned).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "presigned!");
    // Tampered query.
    let resp = env
        .http
        .get(presigned.replace("X-Amz-Expires=60", "X-Amz-Expires=600"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(
        tag(&resp.text().await.unwrap(), "Code"),
        "SignatureDoesNotMatch"
    );
    // Expired.
    env.emu.control().shift_clock(61);
    let resp = env.http.get(&presigned).send().await.unwrap();
    assert_eq!(resp.status(), 403);
    let xml = resp.text().await.unwrap();
    assert_eq!(tag(&xml, "Code"), "AccessDenied");
    assert_eq!(tag(&xml, "Message"), "Request has expired");
    assert!(!tag(&xml, "Expires").is_empty());
    assert!(!tag(&xml, "ServerTime").is_empty());
}

#[tokio::test]
async fn s3_conditional_put_and_missing_content_sha256() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let url = env.s3_url(&format!("private/{alice}/once.txt"));
    let mut put = s3req("PUT", url.clone());
    put.body = b"1".to_vec();
    put.headers.push(("if-none-match", "*".into()));
    assert_eq!(env.s3(&ac, put).await.0, 200);
    let mut put = s3req("PUT", url.clone());
    put.body = b"2".to_vec();
    put.headers.push(("if-none-match", "*".into()));
    let (s, _, xml) = env.s3(&ac, put).await;
    assert_eq!(s, 412, "{xml}");
    assert_eq!(tag(&xml, "Code"), "PreconditionFailed");
    let (_, _, body) = env.s3(&ac, s3req("GET", url.clone())).await;
    assert_eq!(body, "1");

    let mut request = signed(&ac, &s3req("GET", url), SystemTime::now(), None);
    request.headers_mut().remove("x-amz-content-sha256");
    let (s, _, xml) = env.send(request).await;
    assert_eq!(s, 400);
    assert_eq!(tag(&xml, "Code"), "InvalidRequest");
    assert_eq!(
        tag(&xml, "Message"),
        "Missing required header for this request: x-amz-content-sha256"
    );
}

#[tokio::test]
async fn s3_multipart_upload_end_to_end() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let key_url = env.s3_url(&format!("private/{alice}/big.bin"));
    let (s, _, xml) = env
        .s3(&ac, s3req("POST", format!("{key_url}?uploads")))
        .await;
    assert_eq!(s, 200, "{xml}");
    let upload_id = tag(&xml, "UploadId");
    assert!(!upload_id.is_empty());
    let stats = env.emu.control().stats();
    assert_eq!(stats.multipart_uploads.len(), 1);
    assert_eq!(stats.multipart_uploads[0].upload_id, upload_id);
    assert_eq!(stats.multipart_uploads[0].identity_id, alice);

    let part1 = vec![b'a'; 5 * 1024 * 1024];
    let part2 = b"tail".to_vec();
    let mut etags = vec![];
    for (n, part) in [(1, &part1), (2, &part2)] {
        let mut req = s3req(
            "PUT",
            format!("{key_url}?partNumber={n}&uploadId={upload_id}"),
        );
        req.body = part.clone();
        let (s, h, body) = env.s3(&ac, req).await;
        assert_eq!(s, 200, "{body}");
        etags.push(h["etag"].to_str().unwrap().to_string());
    }
    // Credentials refreshed mid-upload still continue the upload.
    let (_, ac2) = env.signed_in("alice", "Alice-Password-1").await;
    let (s, _, xml) = env
        .s3(
            &ac2,
            s3req("GET", format!("{key_url}?uploadId={upload_id}")),
        )
        .await;
    assert_eq!(s, 200, "{xml}");
    assert_eq!(xml.matches("<Part>").count(), 2);
    // Bob cannot list its parts.
    let (_, bc) = env.signed_in("bob", "Bob-Password-2").await;
    let (s, _, _) = env
        .s3(&bc, s3req("GET", format!("{key_url}?uploadId={upload_id}")))
        .await;
    assert_eq!(s, 403);

    let complete = format!(
        "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Part><PartNumber>1</PartNumber><ETag>{}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>{}</ETag></Part></CompleteMultipartUpload>",
        etags[0], etags[1]
    );
    let mut req = s3req("POST", format!("{key_url}?uploadId={upload_id}"));
    req.body = complete.into_bytes();
    let (s, _, xml) = env.s3(&ac2, req).await;
    assert_eq!(s, 200, "{xml}");
    assert!(tag(&xml, "ETag").ends_with("-2\""), "{xml}");
    assert!(env.emu.control().stats().multipart_uploads.is_empty());
    let (s, h, _) = env.s3(&ac2, s3req("HEAD", key_url.clone())).await;
    assert_eq!(s, 200);
    assert_eq!(
        h["content-length"],
        (5 * 1024 * 1024 + 4).to_string().as_str()
    );

    // Abort.
    let (_, _, xml) = env
        .s3(&ac2, s3req("POST", format!("{key_url}?uploads")))
        .await;
    let upload_id = tag(&xml, "UploadId");
    let (s, _, _) = env
        .s3(
            &ac2,
            s3req("DELETE", format!("{key_url}?uploadId={upload_id}")),
        )
        .await;
    assert_eq!(s, 204);
    assert!(env.emu.control().stats().multipart_uploads.is_empty());
    let (s, _, xml) = env
        .s3(
            &ac2,
            s3req("GET", format!("{key_url}?uploadId={upload_id}")),
        )
        .await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (404, "NoSuchUpload"));
    let stats = env.emu.control().stats();
    assert_eq!(stats.s3_requests["UploadPart"], 2);
    assert_eq!(stats.s3_requests["CreateMultipartUpload"], 2);
    assert_eq!(stats.s3_requests["ListParts"], 3);
}

#[tokio::test]
async fn s3_list_pagination_uses_opaque_tokens() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    for name in ["a", "b", "c"] {
        let mut put = s3req("PUT", env.s3_url(&format!("private/{alice}/{name}")));
        put.body = name.as_bytes().to_vec();
        assert_eq!(env.s3(&ac, put).await.0, 200);
    }
    let base = format!(
        "{}?list-type=2&max-keys=2&prefix=private%2F{}%2F",
        env.s3_url("").trim_end_matches('/'),
        alice.replace(':', "%3A")
    );
    let (s, _, xml) = env.s3(&ac, s3req("GET", base.clone())).await;
    assert_eq!(s, 200);
    assert_eq!(tag(&xml, "IsTruncated"), "true");
    let token = tag(&xml, "NextContinuationToken");
    assert!(!token.contains('/'), "opaque: {token}");
    let (s, _, xml) = env
        .s3(
            &ac,
            s3req("GET", format!("{base}&continuation-token={token}")),
        )
        .await;
    assert_eq!(s, 200, "{xml}");
    assert_eq!(tag(&xml, "Key"), format!("private/{alice}/c"));
    assert_eq!(tag(&xml, "IsTruncated"), "false");
}

// ------------------------------------------------------------------ CORS

#[tokio::test]
async fn s3_cors_preflights_and_response_headers() {
    let env = env().await;
    let app = env.emu.urls().app.clone();
    let url = env.s3_url("private/x/y");
    let preflight = |origin: &str, method: &str| {
        env.http
            .request(reqwest::Method::OPTIONS, &url)
            .header("origin", origin)
            .header("access-control-request-method", method)
            .header(
                "access-control-request-headers",
                "authorization,x-amz-date,x-amz-content-sha256,x-amz-security-token,content-type",
            )
            .send()
    };
    let resp = preflight(&app, "PUT").await.unwrap();
    assert_eq!(resp.status(), 200);
    let h = resp.headers();
    assert_eq!(h["access-control-allow-origin"], app.as_str());
    assert!(h["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("PUT"));
    assert!(h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("x-amz-security-token"));
    assert!(h["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .contains("ETag"));
    assert_eq!(h["access-control-max-age"], "3000");

    let resp = preflight("http://evil.example", "PUT").await.unwrap();
    assert_eq!(resp.status(), 403);
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    assert_eq!(tag(&resp.text().await.unwrap(), "Code"), "AccessForbidden");
    let resp = preflight(&app, "PATCH").await.unwrap();
    assert_eq!(resp.status(), 403);

    // Actual responses (even errors) carry CORS headers for the app origin only.
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let mut put = s3req("PUT", env.s3_url(&format!("private/{alice}/c.txt")));
    put.body = b"c".to_vec();
    put.headers.push(("origin", app.clone()));
    let (s, h, _) = env.s3(&ac, put).await;
    assert_eq!(s, 200);
    assert_eq!(h["access-control-allow-origin"], app.as_str());
    assert!(h["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .contains("ETag"));
    let mut get = s3req("GET", env.s3_url("private/other/c.txt"));
    get.headers.push(("origin", "http://evil.example".into()));
    let (s, h, _) = env.s3(&ac, get).await;
    assert_eq!(s, 403);
    assert!(h.get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn identity_cors_allows_the_app_origin() {
    let env = env().await;
    let app = env.emu.urls().app.clone();
    let resp = env
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/", env.emu.urls().identity),
        )
        .header("origin", &app)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,x-amz-target",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["access-control-allow-origin"], app.as_str());
    let resp = env
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/", env.emu.urls().identity),
        )
        .header("origin", "http://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

// ------------------------------------------------------------------ faults

#[tokio::test]
async fn fault_injection_and_counters() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let url = env.s3_url(&format!("private/{alice}/f"));
    let control = env.emu.control();
    control.fail_next(2, FaultKind::SlowDown, Some("PutObject"));
    control.fail_next(1, FaultKind::InternalError, None);
    // Preflights are never failed; the unscoped fault hits the next real request.
    let resp = env
        .http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", env.emu.urls().app.as_str())
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (s, _, xml) = env.s3(&ac, s3req("GET", url.clone())).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (500, "InternalError"));
    for _ in 0..2 {
        let mut put = s3req("PUT", url.clone());
        put.body = b"x".to_vec();
        let (s, _, xml) = env.s3(&ac, put).await;
        assert_eq!((s, tag(&xml, "Code").as_str()), (503, "SlowDown"));
        assert_eq!(tag(&xml, "Message"), "Please reduce your request rate.");
    }
    let mut put = s3req("PUT", url.clone());
    put.body = b"x".to_vec();
    assert_eq!(env.s3(&ac, put).await.0, 200);
    let stats = control.stats();
    assert_eq!(stats.s3_requests["PutObject"], 3);
    assert_eq!(stats.s3_requests["GetObject"], 1);
    assert_eq!(stats.s3_requests["Preflight"], 1);
    assert_eq!(stats.faults_injected, 3);

    // Connection reset.
    control.fail_next(1, FaultKind::Reset, None);
    let request = signed(&ac, &s3req("GET", url.clone()), SystemTime::now(), None);
    let err = env
        .http
        .execute(reqwest::Request::try_from(request).unwrap())
        .await;
    assert!(err.is_err());
    assert_eq!(env.s3(&ac, s3req("GET", url.clone())).await.0, 200);

    // Every request fails at fraction 1.0; none at 0.
    control.fail_fraction(1.0, FaultKind::SlowDown);
    assert_eq!(env.s3(&ac, s3req("GET", url.clone())).await.0, 503);
    control.fail_fraction(0.0, FaultKind::SlowDown);
    assert_eq!(env.s3(&ac, s3req("GET", url.clone())).await.0, 200);

    // Latency.
    control.set_latency(Duration::from_millis(300));
    let t = std::time::Instant::now();
    assert_eq!(env.s3(&ac, s3req("GET", url.clone())).await.0, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    control.set_latency(Duration::ZERO);

    // Network down, then back.
    control.network_down(Duration::from_millis(500));
    let fresh = reqwest::Client::new();
    assert!(fresh
        .get(format!("{}/.well-known/jwks.json", env.ui()))
        .send()
        .await
        .is_err());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        fresh
            .get(format!("{}/.well-known/jwks.json", env.ui()))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn admin_endpoint_drives_faults_and_reports_stats() {
    let env = env().await;
    let admin = env.emu.urls().admin.clone();
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let resp = env
        .http
        .post(format!("{admin}/__admin/fail-next"))
        .json(&json!({"count": 1, "error": "InternalError", "operation": "GetObject"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let url = env.s3_url(&format!("private/{alice}/nothing"));
    assert_eq!(env.s3(&ac, s3req("GET", url.clone())).await.0, 500);
    assert_eq!(env.s3(&ac, s3req("GET", url)).await.0, 403);
    let stats: Value = env
        .http
        .get(format!("{admin}/__admin/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["s3Requests"]["GetObject"], 2);
    assert_eq!(stats["faultsInjected"], 1);
    assert_eq!(stats["multipartUploads"], json!([]));

    let resp: Value = env
        .http
        .post(format!("{admin}/__admin/lifetimes"))
        .json(&json!({"credentialsSeconds": 60}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(resp["credentialsSeconds"], 60);
    assert_eq!(resp["idTokenSeconds"], 3600);
    let resp = env
        .http
        .post(format!("{admin}/__admin/fail-next"))
        .json(&json!({"error": "Teapot"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let resp = env
        .http
        .post(format!("{admin}/__admin/clock"))
        .json(&json!({"shiftSeconds": 120}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(env.emu.control().now() >= 120);
    let resp = env
        .http
        .post(format!("{admin}/__admin/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(env.emu.control().lifetimes().credentials_seconds, 3600);
}

// ------------------------------------------------------------------ app origin

#[tokio::test]
async fn app_origin_serves_config_spa_fallback_and_security_headers() {
    let app_dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("app-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&app_dir).unwrap();
    std::fs::write(
        app_dir.join("index.html"),
        "<!doctype html><title>Cubby</title>",
    )
    .unwrap();
    std::fs::write(app_dir.join("app.js"), "1").unwrap();
    let dir = app_dir.clone();
    let env = env_with(move |c| c.app_dir = Some(dir)).await;
    let app = env.emu.urls().app.clone();

    let resp = env
        .http
        .get(format!("{app}/config.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let config: Value = resp.json().await.unwrap();
    assert_eq!(&config, env.emu.app_config());
    assert_eq!(config["s3Endpoint"], env.emu.urls().s3.as_str());
    assert_eq!(config["redirectUri"], format!("{app}/"));

    let resp = env
        .http
        .get(format!("{app}/files/deep/link"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert!(resp.text().await.unwrap().contains("<title>Cubby</title>"));
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'"));
    assert!(csp.contains(&format!("connect-src 'self' {}", env.emu.urls().hosted_ui)));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");

    let resp = env.http.get(format!("{app}/app.js")).send().await.unwrap();
    assert_eq!(
        resp.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let resp = env
        .http
        .get(format!("{app}/missing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let resp = env
        .http
        .get(format!("{app}/%2e%2e/Cargo.toml"))
        .send()
        .await
        .unwrap();
    assert_ne!(resp.status(), 200);
    let _ = std::fs::remove_dir_all(&app_dir);
}

#[tokio::test]
async fn s3_multipart_complete_validates_before_touching_the_upload() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let key_url = env.s3_url(&format!("private/{alice}/gaps.bin"));
    let (_, _, xml) = env
        .s3(&ac, s3req("POST", format!("{key_url}?uploads")))
        .await;
    let upload_id = tag(&xml, "UploadId");
    let small = b"small part".to_vec();
    let big = vec![b'z'; 5 * 1024 * 1024];
    let mut etags = HashMap::new();
    // Parts 1 (small), 2 (big), 4 (tail): 3 is never sent.
    for (n, body) in [(1, &small), (2, &big), (4, &big), (5, &small)] {
        let mut req = s3req(
            "PUT",
            format!("{key_url}?partNumber={n}&uploadId={upload_id}"),
        );
        req.body = body.clone();
        let (s, h, _) = env.s3(&ac, req).await;
        assert_eq!(s, 200);
        etags.insert(n, h["etag"].to_str().unwrap().to_string());
    }
    let complete = |parts: &[(i32, String)]| {
        let mut xml = String::from("<CompleteMultipartUpload>");
        for (n, etag) in parts {
            xml.push_str(&format!(
                "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
            ));
        }
        xml.push_str("</CompleteMultipartUpload>");
        let mut req = s3req("POST", format!("{key_url}?uploadId={upload_id}"));
        req.body = xml.into_bytes();
        req
    };
    let e = |n: i32| etags[&n].clone();
    let cases = [
        (vec![(1, e(1)), (2, e(2))], 400, "EntityTooSmall"),
        (vec![(2, e(2)), (3, e(2))], 400, "InvalidPart"),
        (vec![(2, e(1))], 400, "InvalidPart"),
        (vec![(4, e(4)), (2, e(2))], 400, "InvalidPartOrder"),
    ];
    for (parts, status, code) in cases {
        let (s, _, xml) = env.s3(&ac, complete(&parts)).await;
        assert_eq!((s, tag(&xml, "Code").as_str()), (status, code), "{parts:?}");
    }
    // The upload survived the failed attempts; gaps in part numbers are fine.
    let (s, _, xml) = env
        .s3(&ac, complete(&[(2, e(2)), (4, e(4)), (5, e(5))]))
        .await;
    assert_eq!(s, 200, "{xml}");
    let (s, h, _) = env.s3(&ac, s3req("HEAD", key_url.clone())).await;
    assert_eq!(s, 200);
    assert_eq!(
        h["content-length"],
        (2 * big.len() + small.len()).to_string().as_str()
    );
    // Completing twice: the upload is gone.
    let (s, _, xml) = env.s3(&ac, complete(&[(2, e(2))])).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (404, "NoSuchUpload"));
}

#[tokio::test]
async fn s3_uploads_are_bound_to_identity_and_key() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let (bob, bc) = env.signed_in("bob", "Bob-Password-2").await;
    let alice_url = env.s3_url(&format!("private/{alice}/a.bin"));
    let (_, _, xml) = env
        .s3(&ac, s3req("POST", format!("{alice_url}?uploads")))
        .await;
    let upload_id = tag(&xml, "UploadId");
    // Bob uses Alice's upload id on a key of his own.
    let bob_url = env.s3_url(&format!("private/{bob}/b.bin"));
    let mut req = s3req(
        "PUT",
        format!("{bob_url}?partNumber=1&uploadId={upload_id}"),
    );
    req.body = b"x".to_vec();
    let (s, _, xml) = env.s3(&bc, req).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (404, "NoSuchUpload"));
    let (s, _, _) = env
        .s3(&bc, s3req("GET", format!("{bob_url}?uploadId={upload_id}")))
        .await;
    assert_eq!(s, 404);
    // Alice, on another key of hers.
    let other = env.s3_url(&format!("private/{alice}/other.bin"));
    let (s, _, _) = env
        .s3(
            &ac,
            s3req("DELETE", format!("{other}?uploadId={upload_id}")),
        )
        .await;
    assert_eq!(s, 404);
    // ListMultipartUploads is not in the role's policy.
    let (s, _, xml) = env
        .s3(
            &ac,
            s3req(
                "GET",
                format!("{}?uploads", env.s3_url("").trim_end_matches('/')),
            ),
        )
        .await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (403, "AccessDenied"));
    assert_eq!(env.emu.control().stats().multipart_uploads.len(), 1);
}

#[tokio::test]
async fn s3_checksums_and_conditional_complete() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let url = env.s3_url(&format!("private/{alice}/sum.txt"));
    let mut put = s3req("PUT", url.clone());
    put.body = b"Welcome to Amazon S3.".to_vec();
    put.headers
        .push(("x-amz-checksum-crc32", "Ox7nCg==".into()));
    put.headers
        .push(("x-amz-sdk-checksum-algorithm", "CRC32".into()));
    let (s, h, xml) = env.s3(&ac, put).await;
    assert_eq!(s, 200, "{xml}");
    assert_eq!(h["x-amz-checksum-crc32"], "Ox7nCg==");
    let mut put = s3req("PUT", url.clone());
    put.body = b"Welcome to Amazon S3!".to_vec();
    put.headers
        .push(("x-amz-checksum-crc32", "Ox7nCg==".into()));
    let (s, _, xml) = env.s3(&ac, put).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (400, "BadDigest"), "{xml}");

    // CompleteMultipartUpload with If-None-Match: * onto an existing key.
    let (_, _, xml) = env.s3(&ac, s3req("POST", format!("{url}?uploads"))).await;
    let upload_id = tag(&xml, "UploadId");
    let mut req = s3req("PUT", format!("{url}?partNumber=1&uploadId={upload_id}"));
    req.body = b"part".to_vec();
    let (_, h, _) = env.s3(&ac, req).await;
    let etag = h["etag"].to_str().unwrap().to_string();
    let mut req = s3req("POST", format!("{url}?uploadId={upload_id}"));
    req.body = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
    )
    .into_bytes();
    req.headers.push(("if-none-match", "*".into()));
    let (s, _, xml) = env.s3(&ac, req).await;
    assert_eq!(
        (s, tag(&xml, "Code").as_str()),
        (412, "PreconditionFailed"),
        "{xml}"
    );
    let (_, _, body) = env.s3(&ac, s3req("GET", url)).await;
    assert_eq!(body, "Welcome to Amazon S3.");
}

#[tokio::test]
async fn s3_parts_of_a_crc32_upload_carry_their_checksums() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let url = env.s3_url(&format!("private/{alice}/summed.bin"));
    let mut create = s3req("POST", format!("{url}?uploads"));
    create
        .headers
        .push(("x-amz-checksum-algorithm", "CRC32".into()));
    let (s, h, xml) = env.s3(&ac, create).await;
    assert_eq!(s, 200, "{xml}");
    assert_eq!(h["x-amz-checksum-algorithm"], "CRC32");
    let upload_id = tag(&xml, "UploadId");
    let part_url = |n: i32| format!("{url}?partNumber={n}&uploadId={upload_id}");
    let list = || s3req("GET", format!("{url}?uploadId={upload_id}"));
    // CRC32s computed independently (python3 zlib.crc32, big-endian, base64).
    let first = vec![b'a'; 5 * 1024 * 1024];
    let (first_crc, guide_crc) = ("r/zBbw==", "Ox7nCg==");
    let mut etags = vec![];
    for (n, body, crc) in [
        (1, first.clone(), first_crc),
        (2, b"Welcome to Amazon S3.".to_vec(), guide_crc),
    ] {
        let mut req = s3req("PUT", part_url(n));
        req.body = body;
        req.headers.push(("x-amz-checksum-crc32", crc.into()));
        req.headers
            .push(("x-amz-sdk-checksum-algorithm", "CRC32".into()));
        let (s, h, xml) = env.s3(&ac, req).await;
        assert_eq!(s, 200, "{xml}");
        assert_eq!(h["x-amz-checksum-crc32"], crc, "part {n}");
        etags.push(h["etag"].to_str().unwrap().to_string());
    }
    let (s, _, xml) = env.s3(&ac, list()).await;
    assert_eq!(s, 200, "{xml}");
    assert_eq!(tag(&xml, "ChecksumAlgorithm"), "CRC32");
    let parts: Vec<(String, String)> = xml
        .split("<Part>")
        .skip(1)
        .map(|p| (tag(p, "PartNumber"), tag(p, "ChecksumCRC32")))
        .collect();
    assert_eq!(
        parts,
        [
            ("1".into(), first_crc.into()),
            ("2".into(), guide_crc.into())
        ]
    );

    // A part whose body does not match its CRC32 is refused and changes nothing.
    let mut req = s3req("PUT", part_url(2));
    req.body = b"Welcome to Amazon S3!".to_vec();
    req.headers.push(("x-amz-checksum-crc32", guide_crc.into()));
    let (s, _, xml) = env.s3(&ac, req).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (400, "BadDigest"), "{xml}");
    let (_, _, xml) = env.s3(&ac, list()).await;
    assert_eq!(
        tag(xml.split("<Part>").nth(2).unwrap(), "ChecksumCRC32"),
        guide_crc
    );
    // Sending a part again replaces its checksum.
    let replaced_crc = "q6H6mw==";
    let mut req = s3req("PUT", part_url(2));
    req.body = b"Welcome to Amazon S3!".to_vec();
    req.headers
        .push(("x-amz-checksum-crc32", replaced_crc.into()));
    let (s, h, xml) = env.s3(&ac, req).await;
    assert_eq!(s, 200, "{xml}");
    assert_eq!(h["x-amz-checksum-crc32"], replaced_crc);
    etags[1] = h["etag"].to_str().unwrap().to_string();
    let (_, _, xml) = env.s3(&ac, list()).await;
    assert_eq!(
        tag(xml.split("<Part>").nth(2).unwrap(), "ChecksumCRC32"),
        replaced_crc
    );

    // Completed: the object has the composite CRC32 of its parts' CRC32s.
    let mut req = s3req("POST", format!("{url}?uploadId={upload_id}"));
    req.body = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>{}</ETag></Part></CompleteMultipartUpload>",
        etags[0], etags[1]
    )
    .into_bytes();
    let (s, _, xml) = env.s3(&ac, req).await;
    assert_eq!(s, 200, "{xml}");
    let mut head = s3req("HEAD", url.clone());
    head.headers.push(("x-amz-checksum-mode", "ENABLED".into()));
    let (s, h, _) = env.s3(&ac, head).await;
    assert_eq!(s, 200);
    assert_eq!(h["x-amz-checksum-crc32"], "vxm9wQ==-2");
    let (s, _, xml) = env.s3(&ac, list()).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (404, "NoSuchUpload"));

    // An upload created without the algorithm: no part checksums, as on S3.
    let (_, h, xml) = env.s3(&ac, s3req("POST", format!("{url}?uploads"))).await;
    assert!(h.get("x-amz-checksum-algorithm").is_none());
    let plain_id = tag(&xml, "UploadId");
    let mut req = s3req("PUT", format!("{url}?partNumber=1&uploadId={plain_id}"));
    req.body = b"Welcome to Amazon S3.".to_vec();
    req.headers.push(("x-amz-checksum-crc32", guide_crc.into()));
    let (s, h, xml) = env.s3(&ac, req).await;
    assert_eq!(s, 200, "{xml}");
    assert!(h.get("x-amz-checksum-crc32").is_none());
    let (s, _, xml) = env
        .s3(&ac, s3req("GET", format!("{url}?uploadId={plain_id}")))
        .await;
    assert_eq!(s, 200, "{xml}");
    assert_eq!(xml.matches("<Part>").count(), 1, "{xml}");
    assert!(!xml.contains("Checksum"), "{xml}");
}

#[tokio::test]
async fn hosted_ui_session_cookie_signs_in_again_without_the_form() {
    let env = env().await;
    let resp = env.post_login("alice", "Alice-Password-1").await;
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let authorize = |extra: Option<(&'static str, String)>| {
        let mut params = env.auth_params();
        params.extend(extra);
        env.http
            .get(format!("{}/oauth2/authorize", env.ui()))
            .query(&params)
            .header("cookie", cookie.clone())
            .send()
    };
    let resp = authorize(None).await.unwrap();
    assert_eq!(resp.status(), 302);
    let loc = location(&resp);
    assert!(loc.starts_with(env.emu.redirect_uri()), "{loc}");
    let code = query_of(&loc)["code"].clone();
    let (s, body) = env.exchange(&code, VERIFIER).await;
    assert_eq!(s, 200);
    assert_eq!(
        claims(body["id_token"].as_str().unwrap())["cognito:username"],
        "alice"
    );
    // prompt=login shows the form anyway.
    let resp = authorize(Some(("prompt", "login".into()))).await.unwrap();
    assert!(location(&resp).starts_with("/login?"));
}

#[tokio::test]
async fn s3_wrong_region_and_expired_credentials_via_control() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let url = env.s3_url(&format!("private/{alice}/r.txt"));
    let mut request = signed(&ac, &s3req("GET", url.clone()), SystemTime::now(), None);
    let auth = request.headers()["authorization"]
        .to_str()
        .unwrap()
        .replace("/us-east-1/", "/eu-west-1/");
    request
        .headers_mut()
        .insert("authorization", auth.parse().unwrap());
    let (s, _, xml) = env.send(request).await;
    assert_eq!(s, 400);
    assert_eq!(tag(&xml, "Code"), "AuthorizationHeaderMalformed");
    assert_eq!(tag(&xml, "Region"), "us-east-1");

    env.emu.control().expire_credentials();
    let (s, _, xml) = env.s3(&ac, s3req("GET", url)).await;
    assert_eq!((s, tag(&xml, "Code").as_str()), (400, "ExpiredToken"));
}

#[tokio::test]
async fn s3_folder_markers_behave_like_objects() {
    let env = env().await;
    let (alice, ac) = env.signed_in("alice", "Alice-Password-1").await;
    let folder = format!("private/{alice}/photos/");
    let mut put = s3req("PUT", env.s3_url(&folder));
    put.headers.push(("if-none-match", "*".into()));
    let (s, _, xml) = env.s3(&ac, put).await;
    assert_eq!(s, 200, "{xml}");
    // Created twice: the marker exists.
    let mut put = s3req("PUT", env.s3_url(&folder));
    put.headers.push(("if-none-match", "*".into()));
    let (s, _, xml) = env.s3(&ac, put).await;
    assert_eq!(s, 412, "{xml}");
    let base = env.s3_url("").trim_end_matches('/').to_string();
    let enc = |p: &str| p.replace(':', "%3A").replace('/', "%2F");
    let (s, _, xml) = env
        .s3(
            &ac,
            s3req(
                "GET",
                format!(
                    "{base}?list-type=2&delimiter=%2F&prefix={}",
                    enc(&format!("private/{alice}/"))
                ),
            ),
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        xml.contains(&format!(
            "<CommonPrefixes><Prefix>{folder}</Prefix></CommonPrefixes>"
        )),
        "{xml}"
    );
    let (s, _, xml) = env
        .s3(
            &ac,
            s3req(
                "GET",
                format!("{base}?list-type=2&delimiter=%2F&prefix={}", enc(&folder)),
            ),
        )
        .await;
    assert_eq!(s, 200);
    assert!(xml.contains(&format!("<Key>{folder}</Key>")), "{xml}");
    assert!(xml.contains("<Size>0</Size>"), "{xml}");
    // A file inside, then the marker deleted: the file stays.
    let mut put = s3req("PUT", env.s3_url(&format!("{folder}cat.jpg")));
    put.body = b"meow".to_vec();
    assert_eq!(env.s3(&ac, put).await.0, 200);
    let (s, _, _) = env.s3(&ac, s3req("DELETE", env.s3_url(&folder))).await;
    assert_eq!(s, 204);
    let (s, _, body) = env
        .s3(&ac, s3req("GET", env.s3_url(&format!("{folder}cat.jpg"))))
        .await;
    assert_eq!((s, body.as_str()), (200, "meow"));
    let (_, _, xml) = env
        .s3(
            &ac,
            s3req("GET", format!("{base}?list-type=2&prefix={}", enc(&folder))),
        )
        .await;
    assert_eq!(tag(&xml, "KeyCount"), "1", "{xml}");
}
