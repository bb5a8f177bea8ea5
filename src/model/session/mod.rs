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
    /// The newest tokens of `of`'s sign-in the other tabs hold (for tokens each tab
    /// keeps in its own storage, asked for): after a refused refresh token, the one
    /// that replaced it. By default what [`TokenShare::load`] finds.
    fn newest<'a>(&'a self, of: &'a Tokens) -> LocalFuture<'a, Option<Tokens>> {
        Box::pin(std::future::ready(
            self.load().filter(|stored| stored.same_sign_in(of)),
        ))
    }
    /// Whether the user signed out since the session began (here or in another tab):
    /// a refresh that finishes then must not store its tokens. By default never.
    fn signed_out(&self) -> bool {
        false
    }
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
    /// Fired (and replaced) when an answer comes while calls wait for the
    /// connection: it is back, so they all send again at once.
    connection_back: RefCell<AbortSignal>,
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
            connection_back: RefCell::new(AbortSignal::new()),
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
}

mod call;
mod credentials;
mod intended;

pub use call::CallError;
pub use credentials::refresh_shared;
pub use intended::Intended;

#[cfg(test)]
mod tests;
