//! GetOpenIdToken and STS AssumeRoleWithWebIdentity over real HTTP.

use crate::support::sigv4::*;
use crate::support::*;
use serde_json::json;

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
