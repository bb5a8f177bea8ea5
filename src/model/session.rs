//! A signed-in session: the user's tokens, identity id, in-memory AWS credentials
//! and clock offset, and the one way every S3 call is made (sign, send, classify the
//! failure, retry per the core's policy).

use crate::config::Config;
use crate::model::auth::{self, AuthError, Tokens};
use crate::model::transport::{
    AbortSignal, Aborted, LocalFuture, NetworkError, SendOptions, Transport,
};
use cubby_core::credentials::Credentials;
use cubby_core::retry::{self, Attempts, Failure, RetryDecision};
use cubby_core::s3::{self, Bucket, Endpoint, RequestContext, S3Error};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Renew AWS credentials this long before they expire.
pub const CREDENTIALS_MARGIN: u64 = 300;

/// What the model needs from its surroundings besides HTTP: the clock, timers and
/// randomness (the browser's in the app, fixed ones in tests).
#[derive(Clone, Copy)]
pub struct Env {
    pub now: fn() -> SystemTime,
    pub sleep: fn(u32) -> LocalFuture<'static, ()>,
    /// A uniform random number in [0, 1), for backoff jitter.
    pub random_fraction: fn() -> f64,
}

impl Env {
    pub fn now_secs(&self) -> u64 {
        epoch_secs((self.now)())
    }
}

pub fn epoch_secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// How a session shares its tokens with the app's other tabs: a lock so that only
/// one tab refreshes at a time, and the store the fresh tokens go to (and come from,
/// when another tab refreshed first).
pub trait TokenShare {
    /// Runs `work` while holding the cross-tab refresh lock.
    fn exclusive<'a>(&'a self, work: LocalFuture<'a, ()>) -> LocalFuture<'a, ()>;
    /// The tokens in storage now (possibly refreshed by another tab).
    fn load(&self) -> Option<Tokens>;
    /// Stores fresh tokens and tells the other tabs.
    fn save(&self, tokens: &Tokens);
}

/// No other tabs: no lock, nothing stored (tests, and sessions nobody shares).
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalOnly;

impl TokenShare for LocalOnly {
    fn exclusive<'a>(&'a self, work: LocalFuture<'a, ()>) -> LocalFuture<'a, ()> {
        work
    }

    fn load(&self) -> Option<Tokens> {
        None
    }

    fn save(&self, _tokens: &Tokens) {}
}

/// How long before expiry to renew something that lives `lifetime` seconds: `max`
/// seconds, or a fifth of the lifetime when that is shorter (short-lived tokens
/// would otherwise be renewed on every call).
pub fn renewal_margin(lifetime: u64, max: u64) -> u64 {
    max.min(lifetime / 5)
}

/// Told why the user must sign in again.
type SignInNeeded = Rc<dyn Fn(String)>;

pub struct Session {
    pub config: Rc<Config>,
    transport: Rc<dyn Transport>,
    env: Env,
    bucket: Bucket,
    tokens: RefCell<Tokens>,
    identity_id: String,
    credentials: RefCell<Option<Credentials>>,
    /// When the cached credentials were obtained (server time), for their lifetime.
    credentials_obtained: Cell<u64>,
    /// Server time minus device time, learnt from RequestTimeTooSkewed.
    clock_offset: Cell<i64>,
    /// Set while a token or credential refresh is in flight, so concurrent calls
    /// wait for it instead of starting their own.
    refreshing: Cell<bool>,
    share: Rc<dyn TokenShare>,
    /// Set when the session ended (signed out here or in another tab).
    closed: Cell<bool>,
    /// Set while the refresh token is refused and the user has not signed in again:
    /// calls wait (nothing fails, nothing is lost) until [`Session::resume_with`].
    awaiting_sign_in: Cell<bool>,
    /// Hears, once per refusal, that the user must sign in again (and why).
    on_sign_in_needed: RefCell<Option<SignInNeeded>>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("identity_id", &self.identity_id)
            .field("clock_offset", &self.clock_offset.get())
            .finish_non_exhaustive()
    }
}

/// The bucket as the config describes it: AWS virtual-hosted, or path style at a
/// custom endpoint.
pub fn bucket_for(config: &Config) -> Result<Bucket, S3Error> {
    let endpoint = match &config.s3_endpoint {
        Some(url) => Endpoint::PathStyle { url: url.clone() },
        None => Endpoint::Aws,
    };
    Bucket::new(&config.bucket, &config.region, endpoint)
}

impl Session {
    pub fn new(
        config: Rc<Config>,
        transport: Rc<dyn Transport>,
        env: Env,
        tokens: Tokens,
        identity_id: String,
        credentials: Option<Credentials>,
        share: Rc<dyn TokenShare>,
    ) -> Result<Session, S3Error> {
        let obtained = epoch_secs((env.now)());
        Ok(Session {
            bucket: bucket_for(&config)?,
            config,
            transport,
            env,
            tokens: RefCell::new(tokens),
            identity_id,
            credentials: RefCell::new(credentials),
            credentials_obtained: Cell::new(obtained),
            clock_offset: Cell::new(0),
            refreshing: Cell::new(false),
            share,
            closed: Cell::new(false),
            awaiting_sign_in: Cell::new(false),
            on_sign_in_needed: RefCell::new(None),
        })
    }

    pub fn identity_id(&self) -> &str {
        &self.identity_id
    }

    /// The user's folder: `private/<identity id>/`.
    pub fn root_prefix(&self) -> String {
        format!("private/{}/", self.identity_id)
    }

    pub fn tokens(&self) -> Tokens {
        self.tokens.borrow().clone()
    }

    pub fn env(&self) -> Env {
        self.env
    }

    pub fn transport(&self) -> &dyn Transport {
        self.transport.as_ref()
    }

    pub fn clock_offset(&self) -> i64 {
        self.clock_offset.get()
    }

    /// The device clock corrected by what S3 told us.
    pub fn signing_time(&self) -> SystemTime {
        s3::signing_time((self.env.now)(), self.clock_offset.get())
    }

    /// Seconds the current credentials have left (for presigned URL lifetimes).
    pub fn credentials_seconds_left(&self) -> Option<u64> {
        let now = epoch_secs(self.signing_time());
        self.credentials
            .borrow()
            .as_ref()
            .and_then(|c| c.seconds_left(now))
    }

    /// Valid credentials: the cached ones, or fresh ones (refreshing the id token
    /// first when it is about to expire). One refresh at a time.
    pub async fn credentials(&self) -> Result<Credentials, AuthError> {
        loop {
            let now = epoch_secs(self.signing_time());
            if let Some(c) = self.credentials.borrow().as_ref() {
                if self.credentials_renew_at(c).is_none_or(|at| now < at) {
                    return Ok(c.clone());
                }
            }
            if !self.refreshing.get() {
                break;
            }
            (self.env.sleep)(50).await;
        }
        // Cleared on drop too: an abandoned refresh must not leave every later call
        // waiting for it.
        let _refreshing = RefreshingGuard::set(&self.refreshing);
        loop {
            match self.refresh_credentials().await {
                Err(e) if e.ends_session() => self.wait_for_sign_in(e).await?,
                other => return other,
            }
        }
    }

    /// Says `on_sign_in_needed(message)` when the refresh token is refused.
    pub fn set_on_sign_in_needed(&self, on_sign_in_needed: impl Fn(String) + 'static) {
        *self.on_sign_in_needed.borrow_mut() = Some(Rc::new(on_sign_in_needed));
    }

    /// The refresh token was refused (`why`): asks the user to sign in again (once)
    /// and waits until they have, so the calls in progress continue afterwards
    /// instead of failing. Fails with `why` only when the session is closed.
    async fn wait_for_sign_in(&self, why: AuthError) -> Result<(), AuthError> {
        if !self.awaiting_sign_in.replace(true) {
            *self.credentials.borrow_mut() = None;
            let notify = self.on_sign_in_needed.borrow().clone();
            if let Some(notify) = notify {
                notify(why.session_end_message());
            }
        }
        loop {
            if self.closed.get() {
                return Err(why);
            }
            if !self.awaiting_sign_in.get() {
                return Ok(());
            }
            (self.env.sleep)(250).await;
        }
    }

    pub fn is_awaiting_sign_in(&self) -> bool {
        self.awaiting_sign_in.get()
    }

    /// Continues the session with the tokens of a new sign-in by the same user
    /// (the caller checks the user): waiting calls go on with fresh credentials.
    pub fn resume_with(&self, tokens: Tokens) {
        *self.tokens.borrow_mut() = tokens;
        *self.credentials.borrow_mut() = None;
        self.awaiting_sign_in.set(false);
    }

    async fn refresh_credentials(&self) -> Result<Credentials, AuthError> {
        if self.tokens.borrow().needs_refresh(self.env.now_secs()) {
            self.refresh_tokens().await?;
        }
        let tokens = self.tokens();
        let credentials = auth::get_credentials(
            &self.config,
            self.transport.as_ref(),
            &self.identity_id,
            &tokens,
        )
        .await?;
        self.credentials_obtained
            .set(epoch_secs(self.signing_time()));
        *self.credentials.borrow_mut() = Some(credentials.clone());
        Ok(credentials)
    }

    /// New id and access tokens, one tab at a time (see [`refresh_shared`]).
    async fn refresh_tokens(&self) -> Result<(), AuthError> {
        let current = self.tokens();
        let fresh = refresh_shared(
            &self.config,
            self.transport.as_ref(),
            self.share.as_ref(),
            &current,
            self.env.now_secs(),
        )
        .await?;
        *self.tokens.borrow_mut() = fresh;
        Ok(())
    }

    /// Takes tokens another tab refreshed, if they continue this session (same user
    /// and refresh token) and live longer than ours. Says whether it took them.
    pub fn adopt_tokens(&self, tokens: Tokens) -> bool {
        let mut current = self.tokens.borrow_mut();
        let newer = continues(&current, &tokens) && tokens.claims.exp > current.claims.exp;
        if newer {
            *current = tokens;
        }
        newer
    }

    /// When cached credentials should be renewed (server time), `None` if they do
    /// not expire.
    fn credentials_renew_at(&self, c: &Credentials) -> Option<u64> {
        let expiry = c.expiration?;
        let lifetime = expiry.saturating_sub(self.credentials_obtained.get());
        Some(expiry.saturating_sub(renewal_margin(lifetime, CREDENTIALS_MARGIN)))
    }

    /// Seconds until the tokens or the credentials are due for renewal (0 = now).
    pub fn seconds_until_renewal(&self) -> u64 {
        let tokens = self
            .tokens
            .borrow()
            .refresh_at()
            .saturating_sub(self.env.now_secs());
        let credentials = self
            .credentials
            .borrow()
            .as_ref()
            .map_or(Some(0), |c| self.credentials_renew_at(c))
            .map_or(u64::MAX, |at| {
                at.saturating_sub(epoch_secs(self.signing_time()))
            });
        tokens.min(credentials)
    }

    /// Renews what is due ahead of time (tokens, then credentials), so calls do not
    /// wait for it. Joins a renewal already in flight.
    pub async fn renew(&self) -> Result<(), AuthError> {
        while self.refreshing.get() {
            (self.env.sleep)(50).await;
        }
        let _refreshing = RefreshingGuard::set(&self.refreshing);
        loop {
            match self.renew_due().await {
                Err(e) if e.ends_session() => self.wait_for_sign_in(e).await?,
                other => return other,
            }
        }
    }

    async fn renew_due(&self) -> Result<(), AuthError> {
        if self.tokens.borrow().needs_refresh(self.env.now_secs()) {
            self.refresh_tokens().await?;
        }
        let due = self
            .credentials
            .borrow()
            .as_ref()
            .map_or(Some(0), |c| self.credentials_renew_at(c))
            .is_some_and(|at| epoch_secs(self.signing_time()) >= at);
        if due {
            self.refresh_credentials().await?;
        }
        Ok(())
    }

    /// Ends the session in memory (signed out here or elsewhere): credentials go.
    pub fn close(&self) {
        self.closed.set(true);
        *self.credentials.borrow_mut() = None;
    }

    pub fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Drops the cached credentials so the next call gets fresh ones.
    pub fn forget_credentials(&self) {
        *self.credentials.borrow_mut() = None;
    }

    /// Drops the cached credentials only if they are still `rejected` (by access
    /// key): when several calls in flight are refused at once, the first one's
    /// refresh is not thrown away by the others.
    fn forget_rejected_credentials(&self, rejected: &Credentials) {
        let mut cached = self.credentials.borrow_mut();
        if cached
            .as_ref()
            .is_some_and(|c| c.access_key_id == rejected.access_key_id)
        {
            *cached = None;
        }
    }

    /// One S3 operation with the shared retry policy: `build` signs a request from
    /// the context (called again for each attempt), `parse` reads the answer.
    /// `options` go with every attempt: `progress` hears the bytes sent by the
    /// current attempt (a retry starts again from zero); `abort` cuts the request
    /// in flight off and ends the call with [`CallError::Aborted`], never retried;
    /// `body` travels beside a request `build` signed without one.
    ///
    /// # Errors
    ///
    /// What the retry policy gave up on ([`CallError`]).
    pub async fn s3<T>(
        &self,
        build: impl Fn(&RequestContext<'_>) -> Result<http::Request<Vec<u8>>, S3Error>,
        parse: impl Fn(http::Response<Vec<u8>>) -> Result<T, S3Error>,
        options: SendOptions,
    ) -> Result<T, CallError> {
        let mut value = None;
        let mut accept = |response| parse(response).map(|v| value = Some(v));
        self.retrying_s3(&build, &mut accept, &options).await?;
        Ok(value.expect("retrying_s3 ends well only after accept kept a value"))
    }

    /// The retry loop behind every S3 call, written once and not generic, so the
    /// wasm holds one copy of it instead of one per call site ([`Session::s3`] is
    /// the typed front). `accept` parses an answer and keeps the value.
    fn retrying_s3<'a>(
        &'a self,
        build: &'a SignAttempt<'a>,
        accept: &'a mut dyn FnMut(http::Response<Vec<u8>>) -> Result<(), S3Error>,
        options: &'a SendOptions,
    ) -> LocalFuture<'a, Result<(), CallError>> {
        Box::pin(async move {
            let abort = options.abort.as_ref();
            let mut attempts = Attempts::default();
            loop {
                let credentials = self.credentials().await.map_err(CallError::Auth)?;
                if abort.is_some_and(AbortSignal::is_aborted) {
                    return Err(CallError::Aborted);
                }
                let ctx = RequestContext {
                    bucket: &self.bucket,
                    credentials: &credentials,
                    time: self.signing_time(),
                };
                let request = build(&ctx).map_err(CallError::S3)?;
                let sent = match self.transport.send(request, options.clone()).await {
                    Ok(sent) => sent,
                    Err(Aborted) => return Err(CallError::Aborted),
                };
                let (failure, error) = match sent {
                    Ok(response) => match accept(response) {
                        Ok(()) => return Ok(()),
                        Err(e) => (e.retry_failure(self.env.now_secs()), CallError::S3(e)),
                    },
                    Err(e) => (Failure::network(self.env.now_secs()), CallError::Network(e)),
                };
                attempts.made += 1;
                match retry::classify(&failure, &attempts) {
                    RetryDecision::RetryWithBackoff => {
                        let delay =
                            retry::backoff_delay(attempts.made, (self.env.random_fraction)());
                        let wait = (self.env.sleep)(delay.as_millis() as u32);
                        match abort {
                            // An abort ends the wait (checked before the next attempt).
                            Some(abort) => {
                                futures::future::select(wait, Box::pin(abort.aborted())).await;
                            }
                            None => wait.await,
                        }
                    }
                    RetryDecision::RefreshCredentialsThenRetry => {
                        attempts.credentials_refreshed = true;
                        self.forget_rejected_credentials(&credentials);
                    }
                    RetryDecision::CorrectClockThenRetry { offset_seconds } => {
                        attempts.clock_corrected = true;
                        self.clock_offset.set(offset_seconds);
                    }
                    RetryDecision::DoNotRetry => return Err(error),
                }
            }
        })
    }
}

/// Builds and signs one attempt's request from the context of that attempt.
type SignAttempt<'a> = dyn Fn(&RequestContext<'_>) -> Result<http::Request<Vec<u8>>, S3Error> + 'a;

/// Whether `stored` tokens belong to the same sign-in as `current`.
fn continues(current: &Tokens, stored: &Tokens) -> bool {
    stored.claims.sub == current.claims.sub && stored.refresh_token == current.refresh_token
}

/// Refreshes `tokens` with only one tab at a time doing it: under the share's lock,
/// tokens of the same sign-in that another tab stored meanwhile are taken when they
/// are not due yet; otherwise this tab refreshes and stores the result.
pub async fn refresh_shared(
    config: &Config,
    transport: &dyn Transport,
    share: &dyn TokenShare,
    tokens: &Tokens,
    now: u64,
) -> Result<Tokens, AuthError> {
    let outcome: RefCell<Option<Result<Tokens, AuthError>>> = RefCell::new(None);
    share
        .exclusive(Box::pin(async {
            if let Some(stored) = share.load() {
                if continues(tokens, &stored) && !stored.needs_refresh(now) {
                    *outcome.borrow_mut() = Some(Ok(stored));
                    return;
                }
            }
            let result = auth::refresh(config, transport, tokens, now).await;
            if let Ok(fresh) = &result {
                share.save(fresh);
            }
            *outcome.borrow_mut() = Some(result);
        }))
        .await;
    outcome.into_inner().unwrap_or_else(|| Ok(tokens.clone()))
}

/// Sets the "refresh in flight" flag and clears it when dropped.
struct RefreshingGuard<'a>(&'a Cell<bool>);

impl<'a> RefreshingGuard<'a> {
    fn set(flag: &'a Cell<bool>) -> Self {
        flag.set(true);
        RefreshingGuard(flag)
    }
}

impl Drop for RefreshingGuard<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

/// Why an operation failed after the retry policy gave up.
#[derive(Clone, Debug)]
pub enum CallError {
    S3(S3Error),
    Network(NetworkError),
    Auth(AuthError),
    /// A multi-object operation that did part of its work; says what is left.
    Incomplete(String),
    /// Stopped by the caller's [`AbortSignal`] (pause or cancel), not a failure.
    Aborted,
}

impl CallError {
    pub fn s3(&self) -> Option<&S3Error> {
        match self {
            CallError::S3(e) => Some(e),
            _ => None,
        }
    }

    /// A message for people: what went wrong and what to do. `what` names the
    /// operation ("upload report.pdf").
    pub fn user_message(&self, what: &str) -> String {
        match self {
            CallError::Network(_) => format!(
                "Could not {what}: S3 did not answer. Check your connection and try again. If \
                 this keeps happening on a working connection, the bucket's CORS configuration \
                 may not allow this site."
            ),
            CallError::Auth(e) => format!("Could not {what}: {}", e.user_message()),
            CallError::Incomplete(detail) => format!("Could not fully {what}: {detail}."),
            CallError::Aborted => format!("Stopped: did not {what}."),
            CallError::S3(e) => {
                let code = e.code().unwrap_or("");
                let advice = match code {
                    "AccessDenied" => "You do not have permission for this. Cubby can only reach \
                                       your own folder; if this is your folder, the bucket's IAM \
                                       policy may be wrong."
                        .to_string(),
                    "NoSuchKey" => "It no longer exists; it may have been deleted or renamed \
                                    elsewhere. Refresh the folder."
                        .to_string(),
                    "PreconditionFailed" => "Something with that name already exists.".to_string(),
                    "ExpiredToken" | "InvalidToken" => {
                        "Your session's access expired. Sign in again.".to_string()
                    }
                    "RequestTimeTooSkewed" => "Your device's clock is far off. Set it to the \
                                               correct time and try again."
                        .to_string(),
                    "SlowDown" | "ServiceUnavailable" | "InternalError" => {
                        "S3 is busy or having trouble. Wait a moment and try again.".to_string()
                    }
                    "NoSuchBucket" => "The bucket in config.json does not exist.".to_string(),
                    "EntityTooLarge" => "The file is larger than S3 allows.".to_string(),
                    _ if e.is_unexpected_response()
                        && e.message().is_some_and(|m| m.contains("ETag")) =>
                    {
                        "The bucket's CORS configuration does not expose the ETag header; add \
                         \"ETag\" to ExposeHeaders."
                            .to_string()
                    }
                    _ => format!("S3 said: {e}"),
                };
                format!("Could not {what}. {advice}")
            }
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::S3(e) => write!(f, "{e}"),
            CallError::Network(e) => write!(f, "{e}"),
            CallError::Auth(e) => write!(f, "{e}"),
            CallError::Incomplete(detail) => f.write_str(detail),
            CallError::Aborted => f.write_str("aborted"),
        }
    }
}

impl std::error::Error for CallError {}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert!(!continues(&mine, &other));
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
            .body(
                b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
                    .to_vec(),
            )
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
}
