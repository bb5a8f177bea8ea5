//! The Hosted UI and the user pool's OAuth2 endpoints over real HTTP: authorize,
//! the sign-in form, tokens, refresh, revocation, userInfo, logout and the session.

use crate::support::*;
use cubby_emulator::RefreshTokenRotation;
use serde_json::{json, Value};

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
async fn authorize_requires_a_pkce_s256_challenge() {
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
async fn an_expired_code_is_an_invalid_grant() {
    let env = env().await;
    let code = env.code_for("alice", "Alice-Password-1").await;
    env.emu.control().shift_clock(301);
    let (status, body) = env.exchange(&code, VERIFIER).await;
    assert_eq!((status, body), (400, json!({"error": "invalid_grant"})));
}

#[tokio::test]
async fn the_token_endpoint_answers_oauth_errors_and_allows_any_origin() {
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
    // Without rotation: the refresh grant gives no refresh token, the one token works on.
    let env = env_with(|c| c.refresh_token_rotation = RefreshTokenRotation::disabled()).await;
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

#[tokio::test]
async fn the_session_cookie_signs_in_again_without_the_form() {
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

/// One refresh grant with `refresh`: the status and body.
async fn refresh_with(env: &Env, refresh: &str) -> (u16, Value) {
    let client_id = env.client_id();
    env.token_request(&[
        ("grant_type", "refresh_token"),
        ("client_id", client_id.as_str()),
        ("refresh_token", refresh),
    ])
    .await
}

#[tokio::test]
async fn rotation_returns_a_new_refresh_token_of_the_same_sign_in() {
    let env = env_with(|c| {
        c.refresh_token_rotation = RefreshTokenRotation {
            feature: "ENABLED".into(),
            retry_grace_period_seconds: 0,
        }
    })
    .await;
    let tokens = env.tokens("alice", "Alice-Password-1").await;
    let first = tokens["refresh_token"].as_str().unwrap().to_string();
    let signed_in = claims(tokens["id_token"].as_str().unwrap());
    let (s, b) = refresh_with(&env, &first).await;
    assert_eq!(s, 200, "{b}");
    let second = b["refresh_token"].as_str().expect("a new refresh token");
    assert_ne!(second, first);
    for token in ["id_token", "access_token"] {
        let c = claims(b[token].as_str().unwrap());
        assert_eq!(c["origin_jti"], signed_in["origin_jti"], "{token}");
        assert_eq!(c["auth_time"], signed_in["auth_time"], "{token}");
        assert!(c["jti"].is_string(), "{token}");
        assert_ne!(c["jti"], signed_in["jti"], "{token}");
    }
    // No grace period: the replaced token is refused at once, its successor works.
    let (s, b) = refresh_with(&env, &first).await;
    assert_eq!((s, b["error"].clone()), (400, json!("invalid_grant")));
    let (s, b) = refresh_with(&env, second).await;
    assert_eq!(s, 200, "{b}");
    assert!(b["refresh_token"].is_string());
}

#[tokio::test]
async fn a_rotated_out_refresh_token_works_for_the_grace_period_only() {
    let env = env_with(|c| {
        c.refresh_token_rotation = RefreshTokenRotation {
            feature: "ENABLED".into(),
            retry_grace_period_seconds: 30,
        }
    })
    .await;
    let tokens = env.tokens("alice", "Alice-Password-1").await;
    let first = tokens["refresh_token"].as_str().unwrap().to_string();
    let (s, b) = refresh_with(&env, &first).await;
    assert_eq!(s, 200, "{b}");
    let second = b["refresh_token"].as_str().unwrap().to_string();
    // A retry within the grace period (another tab, a lost answer) still works.
    env.emu.control().shift_clock(25);
    let (s, b) = refresh_with(&env, &first).await;
    assert_eq!(s, 200, "a retry within the grace period: {b}");
    assert!(b["refresh_token"].is_string());
    env.emu.control().shift_clock(30);
    let (s, b) = refresh_with(&env, &first).await;
    assert_eq!(
        (s, b["error"].clone()),
        (400, json!("invalid_grant")),
        "after the grace period"
    );
    let (s, b) = refresh_with(&env, &second).await;
    assert_eq!(s, 200, "the successor lives on: {b}");
}

#[tokio::test]
async fn a_rotated_refresh_token_keeps_the_remaining_lifetime_and_dies_with_revocation() {
    let env = env().await;
    let lifetime = env.emu.control().lifetimes().refresh_token_seconds;
    let tokens = env.tokens("alice", "Alice-Password-1").await;
    let first = tokens["refresh_token"].as_str().unwrap().to_string();
    env.emu.control().shift_clock(lifetime as i64 - 100);
    let (s, b) = refresh_with(&env, &first).await;
    assert_eq!(s, 200, "{b}");
    let second = b["refresh_token"].as_str().unwrap().to_string();
    // The successor ends when the first would have: rotation never extends a sign-in.
    env.emu.control().shift_clock(lifetime as i64);
    let (s, b) = refresh_with(&env, &second).await;
    assert_eq!((s, b["error"].clone()), (400, json!("invalid_grant")));

    // Revoking the newest token ends the sign-in, the replaced one (in its grace
    // period) included.
    env.emu.control().shift_clock(0);
    let tokens = env.tokens("alice", "Alice-Password-1").await;
    let first = tokens["refresh_token"].as_str().unwrap().to_string();
    let (_, b) = refresh_with(&env, &first).await;
    let second = b["refresh_token"].as_str().unwrap().to_string();
    let client_id = env.client_id();
    let resp = env
        .http
        .post(format!("{}/oauth2/revoke", env.ui()))
        .form(&[
            ("token", second.as_str()),
            ("client_id", client_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    for token in [&first, &second] {
        let (s, b) = refresh_with(&env, token).await;
        assert_eq!((s, b["error"].clone()), (400, json!("invalid_grant")));
    }
}
