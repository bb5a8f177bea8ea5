//! Fixtures shared by the unit tests and the browser tests (`tests/wasm_*.rs`):
//! a config, tokens, credentials, a signed-in session over any transport, and
//! polling a future by hand. Not used by the app (so not in its build: nothing
//! reaches it from `main`).

use crate::config::Config;
use crate::model::auth::Tokens;
use crate::model::session::{Env, LocalOnly, Session};
use crate::model::transfers::ResumeStore;
use crate::model::transport::{LocalFuture, Transport};
use cubby_core::credentials::Credentials;
use cubby_core::id_token::IdTokenClaims;
use cubby_core::secret::Secret;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, UNIX_EPOCH};

/// The fixed clock of [`fixed_env`] (epoch seconds).
pub const NOW: u64 = 1_700_000_000;
/// Far in the future (epoch seconds, 2096): tokens and credentials that never
/// need renewing, whatever the clock.
pub const FAR: u64 = 4_000_000_000;
/// The identity id of the fixtures' user (their folder: `private/<this>/`).
pub const IDENTITY_ID: &str = "us-east-1:11111111-2222-3333-4444-555555555555";

/// A valid config for local endpoints (bucket `cubby-data`).
pub fn config() -> Config {
    Config::parse(
        r#"{"region": "us-east-1", "userPoolId": "us-east-1_Example1",
            "clientId": "client", "hostedUiUrl": "http://127.0.0.1:9001/",
            "identityPoolId": "us-east-1:0000-1111", "bucket": "cubby-data",
            "redirectUri": "http://127.0.0.1:8080/",
            "signOutUri": "http://127.0.0.1:8080/"}"#,
    )
    .expect("the fixture config is valid")
}

/// Tokens of user `sub-1` with this refresh token, issued at `iat` and expiring
/// at `exp` (epoch seconds).
pub fn tokens(refresh: &str, iat: u64, exp: u64) -> Tokens {
    Tokens {
        id_token: Secret::new("id"),
        refresh_token: Secret::new(refresh),
        claims: IdTokenClaims {
            sub: "sub-1".into(),
            iss: "https://issuer".into(),
            aud: vec!["client".into()],
            token_use: "id".into(),
            username: None,
            email: None,
            exp,
            iat,
            auth_time: None,
            origin_jti: None,
            nonce: None,
        },
        keep_signed_in: true,
    }
}

/// AWS credentials that live until [`FAR`].
pub fn credentials() -> Credentials {
    Credentials {
        access_key_id: "ASIAEXAMPLE".into(),
        secret_access_key: Secret::new("secret"),
        session_token: Some(Secret::new("token")),
        expiration: Some(FAR),
    }
}

/// A clock stopped at [`NOW`], sleeps that end at once, jitter of one half.
pub fn fixed_env() -> Env {
    Env {
        now: || UNIX_EPOCH + Duration::from_secs(NOW),
        sleep: |_| Box::pin(async {}),
        random_fraction: || 0.5,
    }
}

/// A session of [`IDENTITY_ID`] with `tokens` and `credentials` (none: they are
/// fetched on the first call), over `transport`, shared with no other tab.
pub fn session_with(
    transport: Rc<dyn Transport>,
    env: Env,
    tokens: Tokens,
    credentials: Option<Credentials>,
) -> Session {
    Session::new(
        Rc::new(config()),
        transport,
        env,
        tokens,
        IDENTITY_ID.into(),
        credentials,
        Rc::new(LocalOnly),
    )
    .expect("the fixture config names a valid bucket")
}

/// A signed-in session over `transport` whose tokens and credentials need no
/// renewing: every call goes straight to the transport.
pub fn session(transport: Rc<dyn Transport>, env: Env) -> Session {
    session_with(
        transport,
        env,
        tokens("refresh", 0, FAR),
        Some(credentials()),
    )
}

/// Polls `future` (for fakes that answer at once or never) until it is ready or
/// `polls` run out.
pub fn poll_n<T>(future: &mut LocalFuture<'_, T>, polls: usize) -> Option<T> {
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..polls {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return Some(value);
        }
    }
    None
}

/// The value of a future that must not wait.
///
/// # Panics
///
/// When the future waits.
pub fn ready<T>(future: impl Future<Output = T>) -> T {
    let mut future: LocalFuture<'_, T> = Box::pin(future);
    poll_n(&mut future, 1).expect("the future waits")
}

/// Resume records in memory (the app keeps them in localStorage); while `full`,
/// every save fails (as `setItem` throws QuotaExceededError) and stores nothing.
#[derive(Default)]
pub struct MemoryRecords {
    pub stored: RefCell<BTreeMap<String, String>>,
    pub full: Cell<bool>,
}

impl ResumeStore for MemoryRecords {
    fn load(&self, id: &str) -> Option<String> {
        self.stored.borrow().get(id).cloned()
    }
    fn save(&self, id: &str, value: &str) -> bool {
        if self.full.get() {
            return false;
        }
        self.stored.borrow_mut().insert(id.into(), value.into());
        true
    }
    fn remove(&self, id: &str) {
        self.stored.borrow_mut().remove(id);
    }
    fn ids(&self) -> Vec<String> {
        self.stored.borrow().keys().cloned().collect()
    }
}
