//! Shared by the service tests (`services/main.rs`): an emulator on
//! 127.0.0.1 with a client that does not follow redirects, sign-in and token helpers,
//! SigV4-signed S3 requests ([`sigv4`]) and small parsers.

pub mod sigv4;

use sigv4::{signed, Creds, S3Req};

use cubby_emulator::EmulatorConfig;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::SystemTime;

pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub struct Env {
    pub emu: cubby_emulator::Emulator,
    pub http: reqwest::Client,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.emu.config().data_dir);
    }
}

pub async fn env() -> Env {
    env_with(|_| {}).await
}

pub async fn env_with(f: impl FnOnce(&mut EmulatorConfig)) -> Env {
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

pub fn query_of(url: &str) -> HashMap<String, String> {
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

pub fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

impl Env {
    pub fn ui(&self) -> &str {
        &self.emu.urls().hosted_ui
    }

    pub fn client_id(&self) -> String {
        self.emu.config().client_id.clone()
    }

    pub fn auth_params(&self) -> Vec<(&'static str, String)> {
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

    pub async fn post_login(&self, username: &str, password: &str) -> reqwest::Response {
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

    pub async fn code_for(&self, username: &str, password: &str) -> String {
        let resp = self.post_login(username, password).await;
        assert_eq!(resp.status(), 302);
        query_of(&location(&resp))["code"].clone()
    }

    pub async fn token_request(&self, form: &[(&str, &str)]) -> (u16, Value) {
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

    pub async fn exchange(&self, code: &str, verifier: &str) -> (u16, Value) {
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

    pub async fn tokens(&self, username: &str, password: &str) -> Value {
        let code = self.code_for(username, password).await;
        let (status, body) = self.exchange(&code, VERIFIER).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub async fn identity(&self, target: &str, body: Value) -> (u16, Value) {
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

    pub fn logins(&self, id_token: &str) -> Value {
        let c = self.emu.config();
        json!({ format!("cognito-idp.{}.amazonaws.com/{}", c.region, c.user_pool_id): id_token })
    }

    pub async fn get_id(&self, id_token: &str) -> (u16, Value) {
        self.identity(
            "GetId",
            json!({"IdentityPoolId": self.emu.config().identity_pool_id, "Logins": self.logins(id_token)}),
        )
        .await
    }

    /// Signs in and returns (identity id, credentials).
    pub async fn signed_in(&self, username: &str, password: &str) -> (String, Creds) {
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

    pub fn s3_url(&self, key_path: &str) -> String {
        format!(
            "{}/{}/{}",
            self.emu.urls().s3,
            self.emu.config().bucket,
            key_path
        )
    }

    pub async fn s3(
        &self,
        creds: &Creds,
        req: S3Req<'_>,
    ) -> (u16, reqwest::header::HeaderMap, String) {
        let request = signed(creds, &req, SystemTime::now(), None);
        self.send(request).await
    }

    pub async fn send(
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

pub fn httpdate_secs(s: &str) -> u64 {
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(s, fmt)
        .unwrap()
        .assume_utc()
        .unix_timestamp() as u64
}

pub fn tag(xml: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let Some(start) = xml.find(&open) else {
        return String::new();
    };
    let rest = &xml[start + open.len()..];
    rest[..rest.find(&format!("</{name}>")).unwrap()].to_string()
}

pub fn claims(jwt: &str) -> Value {
    use base64::Engine as _;
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}
