//! Cognito Identity over real HTTP: GetId, GetCredentialsForIdentity, errors, CORS.

use crate::support::*;
use serde_json::{json, Value};

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
async fn identity_answers_bad_requests_with_aws_exceptions() {
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
async fn cors_allows_the_app_origin() {
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
