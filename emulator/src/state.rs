//! Shared state of all services: users, codes, tokens, identities, credentials, the
//! (shiftable) clock, faults and stats.

use crate::config::{EmulatorConfig, Lifetimes};
use crate::jwt::Keys;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The base URLs of the running services (no trailing slash).
#[derive(Clone, Debug)]
pub struct Urls {
    pub app: String,
    pub hosted_ui: String,
    pub identity: String,
    pub sts: String,
    pub s3: String,
    pub admin: String,
}

#[derive(Clone, Debug)]
pub struct User {
    pub username: String,
    pub password: String,
    pub email: String,
    pub sub: String,
}

#[derive(Clone, Debug)]
pub struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub username: String,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub auth_time: u64,
    pub expires_at: u64,
}

#[derive(Clone, Debug)]
pub struct RefreshGrant {
    pub client_id: String,
    pub username: String,
    pub scopes: Vec<String>,
    pub auth_time: u64,
    pub origin_jti: String,
    pub expires_at: u64,
    pub revoked: bool,
    /// When rotation replaced this token (server time): it works for the grace
    /// period after that, then never again.
    pub rotated_at: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct Session {
    pub username: String,
    pub auth_time: u64,
    pub expires_at: u64,
}

#[derive(Clone, Debug)]
pub struct AwsCredential {
    pub secret_key: String,
    pub session_token: String,
    pub identity_id: String,
    pub expires_at: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// 500 InternalError
    InternalError,
    /// 503 SlowDown
    SlowDown,
    /// Close the connection without a response (the request is not carried out).
    Reset,
    /// Carry the request out, then close the connection without its answer: a
    /// write that happened while the client saw only a dropped connection.
    DropAnswer,
}

#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Fail the next requests (optionally only of one S3 operation, e.g. `UploadPart`).
    pub fail_next: Vec<(FaultKind, Option<String>)>,
    /// Fail this fraction (0..=1) of S3 requests at random.
    pub fail_fraction: f64,
    pub fail_fraction_kind: Option<FaultKind>,
    /// Added before every AWS-service response.
    pub latency: Duration,
    /// AWS services refuse connections until then.
    pub down_until: Option<Instant>,
}

/// One in-progress multipart upload, for stats.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadInfo {
    pub upload_id: String,
    pub key: String,
    pub identity_id: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Requests that reached the S3 port, by operation (`PutObject`, `UploadPart`, ...),
    /// counting the ones failed by fault injection.
    pub s3_requests: BTreeMap<String, u64>,
    /// Requests to the token endpoint, by `grant_type` (`authorization_code`,
    /// `refresh_token`).
    pub token_requests: BTreeMap<String, u64>,
    /// Requests failed or dropped by fault injection.
    pub faults_injected: u64,
    pub multipart_uploads: Vec<UploadInfo>,
}

pub struct Inner {
    pub codes: HashMap<String, AuthCode>,
    pub refresh: HashMap<String, RefreshGrant>,
    /// `origin_jti`s of revoked refresh tokens (their access tokens die with them).
    pub revoked_origins: HashSet<String>,
    pub sessions: HashMap<String, Session>,
    pub credentials: HashMap<String, AwsCredential>,
    /// Identity id -> user-pool sub of identities handed out by GetId.
    pub identities: HashMap<String, String>,
    pub lifetimes: Lifetimes,
    pub clock_shift: i64,
    pub faults: Faults,
    pub stats: Stats,
}

pub struct State {
    pub config: EmulatorConfig,
    pub urls: Urls,
    pub keys: Keys,
    pub users: Vec<User>,
    /// Allowed redirect and sign-out URIs (config or the app origin).
    pub callback_urls: Vec<String>,
    pub sign_out_urls: Vec<String>,
    pub cors: Vec<crate::config::CorsRule>,
    /// Whether the bucket keeps versions (S3 versioning `Enabled`); on unless a test
    /// switches it off through the admin endpoint.
    versioning: AtomicBool,
    inner: Mutex<Inner>,
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// A UUID-shaped string derived from `seed` (stable across restarts).
pub fn derived_uuid(seed: &str) -> String {
    let h = sha256(seed.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(b).to_string()
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    use ring::rand::SecureRandom as _;
    let mut v = vec![0u8; n];
    ring::rand::SystemRandom::new()
        .fill(&mut v)
        .expect("system random works");
    v
}

/// `n` random characters from `alphabet`.
pub fn random_string(n: usize, alphabet: &[u8]) -> String {
    random_bytes(n)
        .into_iter()
        .map(|b| alphabet[b as usize % alphabet.len()] as char)
        .collect()
}

pub const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub fn random_token(bytes: usize) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(bytes))
}

impl State {
    pub fn new(config: EmulatorConfig, urls: Urls) -> State {
        let users = config
            .users
            .iter()
            .map(|u| User {
                username: u.username.clone(),
                password: u.password.clone(),
                email: u.email.clone(),
                sub: u.sub.clone().unwrap_or_else(|| {
                    derived_uuid(&format!("{}/{}", config.user_pool_id, u.username))
                }),
            })
            .collect();
        let app_root = format!("{}/", urls.app);
        let or_app = |v: &Vec<String>| {
            if v.is_empty() {
                vec![app_root.clone()]
            } else {
                v.clone()
            }
        };
        let callback_urls = or_app(&config.callback_urls);
        let sign_out_urls = or_app(&config.sign_out_urls);
        let cors = if config.cors.is_empty() {
            vec![crate::config::CorsRule::default_for(&urls.app)]
        } else {
            config.cors.clone()
        };
        State {
            keys: Keys::load(&config.user_pool_id),
            users,
            callback_urls,
            sign_out_urls,
            cors,
            versioning: AtomicBool::new(true),
            inner: Mutex::new(Inner {
                codes: HashMap::new(),
                refresh: HashMap::new(),
                revoked_origins: HashSet::new(),
                sessions: HashMap::new(),
                credentials: HashMap::new(),
                identities: HashMap::new(),
                lifetimes: config.lifetimes.clone(),
                clock_shift: 0,
                faults: Faults::default(),
                stats: Stats::default(),
            }),
            config,
            urls,
        }
    }

    /// Whether the bucket keeps versions.
    pub fn versioning(&self) -> bool {
        self.versioning.load(Ordering::SeqCst)
    }

    pub fn set_versioning(&self, on: bool) {
        self.versioning.store(on, Ordering::SeqCst);
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The server clock (real time plus the injected shift), epoch seconds.
    pub fn now(&self) -> u64 {
        let shift = self.lock().clock_shift;
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs() as i64;
        (real + shift).max(0) as u64
    }

    pub fn lifetimes(&self) -> Lifetimes {
        self.lock().lifetimes.clone()
    }

    pub fn issuer(&self) -> String {
        format!(
            "https://cognito-idp.{}.amazonaws.com/{}",
            self.config.region, self.config.user_pool_id
        )
    }

    /// The `Logins` key for the user pool (the issuer without `https://`).
    pub fn provider_name(&self) -> String {
        format!(
            "cognito-idp.{}.amazonaws.com/{}",
            self.config.region, self.config.user_pool_id
        )
    }

    pub fn user(&self, username: &str) -> Option<&User> {
        self.users.iter().find(|u| u.username == username)
    }

    pub fn network_down(&self) -> bool {
        let mut inner = self.lock();
        match inner.faults.down_until {
            Some(t) if Instant::now() < t => true,
            Some(_) => {
                inner.faults.down_until = None;
                false
            }
            None => false,
        }
    }

    pub fn latency(&self) -> Duration {
        self.lock().faults.latency
    }

    /// Counts an S3 request and decides whether fault injection fails it. CORS
    /// preflights are counted but never failed (a failed preflight shows up in the
    /// browser as an opaque network error, not as the injected S3 error).
    pub fn s3_fault_for(&self, operation: &str) -> Option<FaultKind> {
        let mut inner = self.lock();
        *inner
            .stats
            .s3_requests
            .entry(operation.to_string())
            .or_insert(0) += 1;
        if operation == "Preflight" {
            return None;
        }
        let pos = inner
            .faults
            .fail_next
            .iter()
            .position(|(_, op)| op.as_deref().is_none_or(|op| op == operation));
        let fault = if let Some(pos) = pos {
            Some(inner.faults.fail_next.remove(pos).0)
        } else if inner.faults.fail_fraction > 0.0 {
            let r = u32::from_le_bytes(random_bytes(4).try_into().unwrap_or([0; 4]));
            let x = f64::from(r) / f64::from(u32::MAX);
            if x < inner.faults.fail_fraction {
                Some(
                    inner
                        .faults
                        .fail_fraction_kind
                        .unwrap_or(FaultKind::InternalError),
                )
            } else {
                None
            }
        } else {
            None
        };
        if fault.is_some() {
            inner.stats.faults_injected += 1;
        }
        fault
    }
}
