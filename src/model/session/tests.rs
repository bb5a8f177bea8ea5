use super::*;
use crate::model::message;
use crate::model::testing::{self, ready, tokens};
use crate::model::transport::{send_plainly, HttpResult, SendResult};

/// A transport that must not be used.
struct NoNetwork;

impl Transport for NoNetwork {
    fn send(
        &self,
        _request: http::Request<Vec<u8>>,
        _options: SendOptions,
    ) -> LocalFuture<'_, SendResult> {
        panic!("no request expected")
    }
}

/// What another tab left in storage.
struct Stored(Tokens);

impl TokenShare for Stored {
    fn exclusive<'a>(&'a self, work: LocalFuture<'a, ()>) -> LocalFuture<'a, ()> {
        work
    }
    fn load(&self) -> Option<Tokens> {
        Some(self.0.clone())
    }
    fn save(&self, _tokens: &Tokens) {
        panic!("nothing to save")
    }
}

#[test]
fn short_lived_tokens_are_renewed_a_fifth_of_their_life_early() {
    assert_eq!(renewal_margin(3600, 300), 300);
    assert_eq!(renewal_margin(60, 300), 12);
    let t = tokens("r", 1000, 1060);
    assert_eq!(t.refresh_at(), 1048);
    assert!(!t.needs_refresh(1047));
    assert!(t.needs_refresh(1048));
    assert_eq!(tokens("r", 0, 3600).refresh_at(), 3300);
}

#[test]
fn tokens_another_tab_refreshed_are_taken_instead_of_refreshing_again() {
    let config = testing::config();
    let mine = tokens("r", 1000, 1060);
    let theirs = tokens("r", 1050, 1110);
    let got = ready(refresh_shared(
        &config,
        &NoNetwork,
        &Stored(theirs.clone()),
        &mine,
        1050,
    ));
    assert_eq!(got.unwrap(), theirs);
    // Tokens of another sign-in are not taken (this one would refresh its own).
    let other = tokens("other", 1050, 1110);
    assert!(!mine.same_sign_in(&other));
}

/// Refuses every refresh token; gives credentials to any id token. Counts both.
#[derive(Default)]
struct RevokedRefresh {
    refreshes: Cell<u32>,
    credentials: Cell<u32>,
}

impl Transport for RevokedRefresh {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        options: SendOptions,
    ) -> LocalFuture<'_, SendResult> {
        send_plainly(request, &options, |request| self.answer(request))
    }
}

impl RevokedRefresh {
    fn answer(&self, request: http::Request<Vec<u8>>) -> LocalFuture<'_, HttpResult> {
        let (status, body) = if request.uri().path().ends_with("/oauth2/token") {
            self.refreshes.set(self.refreshes.get() + 1);
            (400, r#"{"error":"invalid_grant"}"#)
        } else {
            self.credentials.set(self.credentials.get() + 1);
            (
                200,
                r#"{"IdentityId":"us-east-1:id","Credentials":{"AccessKeyId":"AKID",
                    "SecretKey":"secret","SessionToken":"token","Expiration":1000000}}"#,
            )
        };
        let response = http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap();
        Box::pin(std::future::ready(Ok(response)))
    }
}

thread_local! {
    /// What the fake `sleep` does: the user signing in again while calls wait.
    static DURING_SLEEP: RefCell<Option<Box<dyn Fn()>>> = RefCell::new(None);
}

fn fake_sleep(_millis: u32) -> LocalFuture<'static, ()> {
    DURING_SLEEP.with(|hook| {
        if let Some(hook) = hook.borrow().as_ref() {
            hook();
        }
    });
    Box::pin(std::future::ready(()))
}

fn session_with_expiring_tokens(transport: Rc<RevokedRefresh>) -> Rc<Session> {
    let env = Env {
        now: || SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1050),
        sleep: fake_sleep,
        random_fraction: || 0.5,
    };
    Rc::new(testing::session_with(
        transport,
        env,
        tokens("revoked", 1000, 1060),
        None,
    ))
}

#[test]
fn a_refused_refresh_token_makes_calls_wait_for_a_new_sign_in_then_go_on() {
    let transport = Rc::new(RevokedRefresh::default());
    let session = session_with_expiring_tokens(transport.clone());
    let asked: Rc<RefCell<Vec<String>>> = Rc::default();
    let heard = asked.clone();
    session.set_on_sign_in_needed(move |message| heard.borrow_mut().push(message));
    let waiting = session.clone();
    DURING_SLEEP.with(|hook| {
        *hook.borrow_mut() = Some(Box::new(move || {
            if waiting.is_awaiting_sign_in() {
                waiting.resume_with(tokens("new", 1050, 4650));
            }
        }))
    });
    let credentials = ready(session.credentials());
    DURING_SLEEP.with(|hook| *hook.borrow_mut() = None);
    assert_eq!(credentials.unwrap().access_key_id, "AKID");
    assert_eq!(asked.borrow().len(), 1, "asked once to sign in again");
    assert_eq!(
        transport.refreshes.get(),
        1,
        "the refused token is not tried again"
    );
    assert_eq!(transport.credentials.get(), 1);
    assert!(!session.is_awaiting_sign_in());
    assert_eq!(session.tokens().refresh_token.expose(), "new");
}

#[test]
fn a_session_closed_while_waiting_for_sign_in_fails_the_waiting_calls() {
    let transport = Rc::new(RevokedRefresh::default());
    let session = session_with_expiring_tokens(transport.clone());
    let waiting = session.clone();
    DURING_SLEEP.with(|hook| *hook.borrow_mut() = Some(Box::new(move || waiting.close())));
    let result = ready(session.credentials());
    DURING_SLEEP.with(|hook| *hook.borrow_mut() = None);
    assert!(result.unwrap_err().ends_session());
    assert_eq!(transport.credentials.get(), 0);
}

#[test]
fn a_hidden_etag_is_diagnosed_as_cors() {
    let response = http::Response::builder()
        .status(200)
        .body(Vec::new())
        .unwrap();
    let error = s3::parse_upload_part(response).unwrap_err();
    let message = CallError::S3(error).user_message("upload big.iso");
    assert!(
        message.contains("CORS configuration does not expose the ETag header"),
        "{message}"
    );
    assert!(message.contains("ExposeHeaders"), "{message}");
}

#[test]
fn access_denied_and_network_errors_say_what_to_do() {
    let response = http::Response::builder()
        .status(403)
        .body(b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>".to_vec())
        .unwrap();
    let error = s3::parse_list_objects(response).unwrap_err();
    let message = CallError::S3(error).user_message("list this folder");
    assert!(
        message.starts_with("Could not list this folder."),
        "{message}"
    );
    assert!(message.contains("permission"), "{message}");
    let message = CallError::Network(NetworkError("reset".into())).user_message("upload a.txt");
    assert!(message.contains("S3 did not answer"), "{message}");
}

// ------------------------------------------------------------ rotation across tabs

/// A signed id token's shape for the fixture config (the signature is not checked).
fn id_jwt(sub: &str, origin_jti: &str, iat: u64, exp: u64) -> String {
    use cubby_core::encoding::base64url_encode;
    let config = testing::config();
    let claims = format!(
        r#"{{"sub":"{sub}","iss":"{}","aud":"client","token_use":"id","exp":{exp},"iat":{iat},
            "auth_time":900,"origin_jti":"{origin_jti}","jti":"j-{iat}"}}"#,
        config.issuer()
    );
    format!(
        "{}.{}.{}",
        base64url_encode(br#"{"alg":"RS256"}"#),
        base64url_encode(claims.as_bytes()),
        base64url_encode(b"signature")
    )
}

/// Tokens of `sub`'s sign-in `origin_jti` with this refresh token, issued at `iat`.
fn signed_in(sub: &str, origin_jti: &str, refresh: &str, iat: u64) -> Tokens {
    let id = id_jwt(sub, origin_jti, iat, iat + 60);
    Tokens {
        claims: cubby_core::id_token::decode(&id).unwrap(),
        id_token: cubby_core::secret::Secret::new(id),
        refresh_token: cubby_core::secret::Secret::new(refresh),
        keep_signed_in: false,
    }
}

#[test]
fn tokens_of_the_same_sign_in_with_a_rotated_refresh_token_are_adopted() {
    let mine = signed_in("sub-1", "sign-in-1", "r1", 1000);
    let session = testing::session_with(
        Rc::new(NoNetwork),
        testing::fixed_env(),
        mine.clone(),
        Some(testing::credentials()),
    );
    // Another sign-in of the same user (another tab signed in anew), another user,
    // and an older set of this sign-in are not this session's newest tokens.
    let other_sign_in = signed_in("sub-1", "sign-in-2", "x", 1050);
    let other_user = signed_in("sub-2", "sign-in-1", "y", 1050);
    let older = signed_in("sub-1", "sign-in-1", "r0", 990);
    assert!(!mine.same_sign_in(&other_sign_in));
    assert!(!mine.same_sign_in(&other_user));
    for theirs in [other_sign_in, other_user, older] {
        assert!(!session.adopt_tokens(theirs));
        assert_eq!(session.tokens(), mine);
    }
    // A later refresh of this sign-in: a new refresh token, the same origin_jti.
    let rotated = signed_in("sub-1", "sign-in-1", "r2", 1048);
    assert!(mine.same_sign_in(&rotated));
    assert!(session.adopt_tokens(rotated.clone()));
    assert_eq!(session.tokens().refresh_token.expose(), "r2");
    // Without origin_jti (older tokens) auth_time tells, then the refresh token.
    let mut a = tokens("r", 1000, 1060);
    let mut b = tokens("r-rotated", 1050, 1110);
    assert!(!a.same_sign_in(&b));
    a.claims.auth_time = Some(900);
    b.claims.auth_time = Some(900);
    assert!(a.same_sign_in(&b));
    b.claims.auth_time = Some(901);
    assert!(!a.same_sign_in(&b));
}

/// A token endpoint that rotates: refuses every refresh token but `good`, which it
/// answers with tokens of sign-in `sign-in-1` and refresh token `next`. Counts the
/// refresh grants; `during` runs while a grant is answered.
struct RotatingEndpoint {
    good: &'static str,
    refreshes: Cell<u32>,
    during: Box<dyn Fn()>,
}

impl Transport for RotatingEndpoint {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        options: SendOptions,
    ) -> LocalFuture<'_, SendResult> {
        send_plainly(request, &options, |request| {
            self.refreshes.set(self.refreshes.get() + 1);
            (self.during)();
            let body = String::from_utf8_lossy(request.body()).into_owned();
            let (status, body) = if body.contains(&format!("refresh_token={}", self.good)) {
                let id = id_jwt("sub-1", "sign-in-1", testing::NOW, testing::NOW + 3600);
                (
                    200,
                    format!(
                        r#"{{"id_token":"{id}","access_token":"a","refresh_token":"next",
                            "token_type":"Bearer","expires_in":3600}}"#
                    ),
                )
            } else {
                (400, r#"{"error":"invalid_grant"}"#.to_string())
            };
            let response = http::Response::builder()
                .status(status)
                .body(body.into_bytes())
                .unwrap();
            Box::pin(std::future::ready(Ok(response)))
        })
    }
}

/// Another tab's storage: what `load` and `newest` find, what was saved, and
/// whether the user signed out.
#[derive(Default)]
struct OtherTabs {
    stored: RefCell<Option<Tokens>>,
    newest: RefCell<Option<Tokens>>,
    saved: RefCell<Vec<Tokens>>,
    signed_out: Rc<Cell<bool>>,
}

impl TokenShare for OtherTabs {
    fn exclusive<'a>(&'a self, work: LocalFuture<'a, ()>) -> LocalFuture<'a, ()> {
        work
    }
    fn load(&self) -> Option<Tokens> {
        self.stored.borrow().clone()
    }
    fn save(&self, tokens: &Tokens) {
        self.saved.borrow_mut().push(tokens.clone());
    }
    fn newest<'a>(&'a self, _of: &'a Tokens) -> LocalFuture<'a, Option<Tokens>> {
        Box::pin(std::future::ready(self.newest.borrow().clone()))
    }
    fn signed_out(&self) -> bool {
        self.signed_out.get()
    }
}

#[test]
fn a_refresh_refused_because_another_tab_rotated_the_token_retries_once_with_the_newest() {
    let config = testing::config();
    let now = testing::NOW;
    // This tab still holds r1; another tab refreshed (r1 -> r2) past the grace period,
    // and its tokens are due again by now.
    let mine = signed_in("sub-1", "sign-in-1", "r1", now - 100);
    let theirs = signed_in("sub-1", "sign-in-1", "r2", now - 90);
    let endpoint = RotatingEndpoint {
        good: "r2",
        refreshes: Cell::new(0),
        during: Box::new(|| {}),
    };
    let share = OtherTabs::default();
    *share.newest.borrow_mut() = Some(theirs);
    let fresh = ready(refresh_shared(&config, &endpoint, &share, &mine, now)).unwrap();
    assert_eq!(fresh.refresh_token.expose(), "next");
    assert_eq!(endpoint.refreshes.get(), 2, "refused once, retried once");
    assert_eq!(share.saved.borrow().as_slice(), [fresh]);

    // Tokens of another sign-in are no reason to retry: the refusal stands.
    let endpoint = RotatingEndpoint {
        good: "r2",
        refreshes: Cell::new(0),
        during: Box::new(|| {}),
    };
    let share = OtherTabs::default();
    *share.newest.borrow_mut() = Some(signed_in("sub-1", "sign-in-2", "r2", now - 90));
    let refused = ready(refresh_shared(&config, &endpoint, &share, &mine, now));
    assert!(refused.unwrap_err().ends_session());
    assert_eq!(endpoint.refreshes.get(), 1);
    assert!(share.saved.borrow().is_empty());
}

#[test]
fn stored_tokens_with_a_rotated_refresh_token_are_refreshed_with_not_the_old_one() {
    let config = testing::config();
    let now = testing::NOW;
    let mine = signed_in("sub-1", "sign-in-1", "r1", now - 100);
    let share = OtherTabs::default();
    *share.stored.borrow_mut() = Some(signed_in("sub-1", "sign-in-1", "r2", now - 90));
    let endpoint = RotatingEndpoint {
        good: "r2",
        refreshes: Cell::new(0),
        during: Box::new(|| {}),
    };
    let fresh = ready(refresh_shared(&config, &endpoint, &share, &mine, now)).unwrap();
    assert_eq!(fresh.refresh_token.expose(), "next");
    assert_eq!(
        endpoint.refreshes.get(),
        1,
        "straight with the newest token"
    );
}

#[test]
fn a_refresh_that_finishes_after_a_sign_out_writes_nothing_back() {
    let now = testing::NOW;
    let mine = signed_in("sub-1", "sign-in-1", "r1", now - 100);
    let share = Rc::new(OtherTabs::default());
    *share.stored.borrow_mut() = Some(mine.clone());
    // Another tab signs out while the token endpoint answers this tab's refresh.
    let signed_out = share.signed_out.clone();
    let endpoint = Rc::new(RotatingEndpoint {
        good: "r1",
        refreshes: Cell::new(0),
        during: Box::new(move || signed_out.set(true)),
    });
    let session = Session::new(
        Rc::new(testing::config()),
        endpoint.clone(),
        testing::fixed_env(),
        mine.clone(),
        testing::IDENTITY_ID.into(),
        None,
        share.clone(),
    )
    .unwrap();
    let asked = Rc::new(Cell::new(false));
    let heard = asked.clone();
    session.set_on_sign_in_needed(move |_| heard.set(true));
    let result = ready(session.credentials());
    assert_eq!(endpoint.refreshes.get(), 1);
    assert!(
        matches!(result, Err(AuthError::SignedOut)),
        "{:?}",
        result.map(|_| ())
    );
    assert!(share.saved.borrow().is_empty(), "no tokens written back");
    assert_eq!(session.tokens(), mine, "nor kept in memory");
    assert!(session.is_closed());
    assert!(
        !asked.get(),
        "a signed-out user is not asked to sign in again"
    );
}

#[test]
fn aws_codes_never_lead_a_message_they_go_in_the_details_line() {
    let response = http::Response::builder()
        .status(400)
        .header("x-amz-request-id", "REQ1")
        .body(
            b"<Error><Code>MalformedXML</Code><Message>The XML you provided was not well-formed</Message></Error>"
                .to_vec(),
        )
        .unwrap();
    let error = CallError::S3(s3::parse_list_objects(response).unwrap_err());
    let message = error.user_message("delete x");
    let (plain, details) = message::split(&message);
    assert_eq!(plain, "Could not delete x. S3 refused the request.");
    assert_eq!(
        details,
        Some("S3 error MalformedXML (HTTP 400): The XML you provided was not well-formed [request id REQ1]")
    );
    assert_eq!(error.plain_message("delete x"), plain);

    // Known codes too: plain advice first, the code only in the details line.
    for (status, code, advice) in [
        (403, "InvalidAccessKeyId", "Sign in again."),
        (400, "ExpiredToken", "Sign in again."),
        (403, "AccessDenied", "permission"),
        (503, "SlowDown", "S3 is busy"),
        (500, "SomethingNew", "S3 is busy"),
    ] {
        let body = format!("<Error><Code>{code}</Code></Error>");
        let response = http::Response::builder()
            .status(status)
            .body(body.into_bytes())
            .unwrap();
        let message = CallError::S3(s3::parse_list_objects(response).unwrap_err())
            .user_message("list this folder");
        let (plain, details) = message::split(&message);
        assert!(
            plain.starts_with("Could not list this folder. "),
            "{message}"
        );
        assert!(plain.contains(advice), "{message}");
        assert!(
            !plain.contains(code) && !plain.contains("HTTP"),
            "{message}"
        );
        assert!(details.is_some_and(|d| d.contains(code)), "{message}");
    }
    let message = CallError::Network(NetworkError("reset".into())).user_message("upload a.txt");
    assert_eq!(message::split(&message).1, Some("network error: reset"));
}

/// The identity pool refuses the first id token (expired by its clock); the token
/// endpoint gives a new one. Counts both.
#[derive(Default)]
struct PoolRefusesOldIdToken {
    refreshes: Cell<u32>,
    credentials: Cell<u32>,
}

impl Transport for PoolRefusesOldIdToken {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        options: SendOptions,
    ) -> LocalFuture<'_, SendResult> {
        send_plainly(request, &options, |request| {
            let (status, body) = if request.uri().path().ends_with("/oauth2/token") {
                self.refreshes.set(self.refreshes.get() + 1);
                let id_token = id_jwt("sub-1", "sign-in-1", testing::NOW, testing::NOW + 3600);
                let body = format!(
                    r#"{{"id_token":"{id_token}","access_token":"a","token_type":"Bearer","expires_in":3600}}"#
                );
                (200, body)
            } else if self.refreshes.get() == 0 {
                self.credentials.set(self.credentials.get() + 1);
                let body = r#"{"__type":"NotAuthorizedException","message":"Invalid login token. Token expired: 1 >= 0"}"#;
                (400, body.to_string())
            } else {
                self.credentials.set(self.credentials.get() + 1);
                let body = r#"{"IdentityId":"us-east-1:id","Credentials":{"AccessKeyId":"AKID",
                    "SecretKey":"secret","SessionToken":"token","Expiration":4000000000}}"#;
                (200, body.to_string())
            };
            let response = http::Response::builder()
                .status(status)
                .body(body.into_bytes())
                .unwrap();
            Box::pin(std::future::ready(Ok(response)))
        })
    }
}

#[test]
fn an_id_token_the_pool_refuses_is_refreshed_once_before_the_session_ends() {
    let transport = Rc::new(PoolRefusesOldIdToken::default());
    let session = Rc::new(testing::session_with(
        transport.clone(),
        Env {
            sleep: fake_sleep,
            ..testing::fixed_env()
        },
        tokens("refresh", testing::NOW - 60, testing::NOW + 3000),
        None,
    ));
    // Without the refresh the session would wait for a new sign-in: end it then.
    let waiting = session.clone();
    DURING_SLEEP.with(|hook| {
        *hook.borrow_mut() = Some(Box::new(move || {
            if waiting.is_awaiting_sign_in() {
                waiting.close();
            }
        }))
    });
    let credentials = ready(session.credentials());
    DURING_SLEEP.with(|hook| *hook.borrow_mut() = None);
    assert_eq!(credentials.unwrap().access_key_id, "AKID");
    assert_eq!(transport.refreshes.get(), 1, "one new id token");
    assert_eq!(transport.credentials.get(), 2, "refused once, then given");
    assert!(!session.is_awaiting_sign_in());
}
