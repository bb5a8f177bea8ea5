//! `cubby-emulator`: a local stand-in for the AWS endpoints Cubby uses, on 127.0.0.1.
//!
//! - Hosted UI (Cognito managed login + OAuth2 endpoints, PKCE S256, RS256 tokens)
//! - Cognito Identity (GetId, GetCredentialsForIdentity, GetOpenIdToken)
//! - STS (AssumeRoleWithWebIdentity)
//! - S3 (path-style, SigV4 verified by `s3s`, objects stored by `s3s-fs`)
//! - the app origin (static files, generated `/config.json`, security headers)
//! - an admin endpoint for fault injection and stats
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let emu = cubby_emulator::start(cubby_emulator::EmulatorConfig::test("target/emu-data")).await?;
//! println!("{}", emu.urls().s3);
//! emu.control().fail_next(2, cubby_emulator::FaultKind::SlowDown, Some("UploadPart"));
//! emu.shutdown().await;
//! # Ok(()) }
//! ```

// Handlers return early with a ready `Response` as the error; its size does not matter here.
#![allow(clippy::result_large_err)]

mod admin;
pub mod app;
pub mod compression;
pub mod config;
mod hosted_ui;
mod http_util;
mod identity;
mod jwt;
pub mod policy;
mod s3;
mod server;
mod state;
mod sts;

pub use config::{
    CorsRule, EmulatorConfig, Lifetimes, Ports, RefreshTokenRotation, UserConfig, DEFAULT_SCOPES,
    SHIPPED_REFRESH_TOKEN_ROTATION_GRACE_SECONDS,
};
pub use hosted_ui::s256 as pkce_s256;
pub use state::{FaultKind, Stats, UploadInfo, Urls};

use state::State;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running emulator. Dropping it without [`Emulator::shutdown`] leaves the servers
/// running until the runtime ends.
pub struct Emulator {
    state: Arc<State>,
    app_config: serde_json::Value,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Fault injection, clock, lifetimes and stats of a running emulator (cheap to clone).
#[derive(Clone)]
pub struct Control {
    state: Arc<State>,
}

#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

async fn bind(port: u16, what: &str) -> Result<(TcpListener, String), StartError> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| StartError(format!("cannot listen on 127.0.0.1:{port} for {what}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError(e.to_string()))?;
    Ok((listener, format!("http://{addr}")))
}

/// Starts every service on 127.0.0.1 and returns once they accept connections.
pub async fn start(config: EmulatorConfig) -> Result<Emulator, StartError> {
    config.validate().map_err(StartError)?;
    let p = &config.ports;
    let (app_l, app) = bind(p.app, "the app").await?;
    let (ui_l, hosted_ui) = bind(p.hosted_ui, "the Hosted UI").await?;
    let (id_l, identity) = bind(p.identity, "Cognito Identity").await?;
    let (sts_l, sts) = bind(p.sts, "STS").await?;
    let (s3_l, s3) = bind(p.s3, "S3").await?;
    let (admin_l, admin) = bind(p.admin, "the admin endpoint").await?;
    let urls = Urls {
        app,
        hosted_ui,
        identity,
        sts,
        s3,
        admin,
    };

    let s3_root = config.data_dir.join("s3");
    let bucket_dir = s3_root.join(&config.bucket);
    std::fs::create_dir_all(&bucket_dir)
        .map_err(|e| StartError(format!("cannot create {}: {e}", bucket_dir.display())))?;

    let state = Arc::new(State::new(config, urls));
    let app_config = app::app_config(&state);
    let config_path = state.config.data_dir.join("config.json");
    std::fs::write(
        &config_path,
        serde_json::to_string_pretty(&app_config).unwrap_or_default(),
    )
    .map_err(|e| StartError(format!("cannot write {}: {e}", config_path.display())))?;

    let s3_service = s3::build_service(state.clone(), &s3_root)
        .map_err(|e| StartError(format!("cannot open the S3 store: {e}")))?;

    let (tx, rx) = watch::channel(false);
    let control = Control {
        state: state.clone(),
    };
    let services: Vec<(&'static str, TcpListener, bool, server::Handler)> = vec![
        ("app", app_l, false, app::handler(state.clone())),
        ("hosted-ui", ui_l, true, hosted_ui::handler(state.clone())),
        ("identity", id_l, true, identity::handler(state.clone())),
        ("sts", sts_l, true, sts::handler(state.clone())),
        ("s3", s3_l, true, s3::handler(state.clone(), s3_service)),
        ("admin", admin_l, false, admin::handler(control)),
    ];
    let tasks = services
        .into_iter()
        .map(|(name, listener, aws, handler)| {
            tokio::spawn(server::serve(
                name,
                listener,
                state.clone(),
                aws,
                handler,
                rx.clone(),
            ))
        })
        .collect();
    Ok(Emulator {
        state,
        app_config,
        shutdown: tx,
        tasks,
    })
}

impl Emulator {
    pub fn urls(&self) -> &Urls {
        &self.state.urls
    }

    /// The generated app `config.json` (also served at `<app>/config.json` and written to
    /// `<dataDir>/config.json`).
    pub fn app_config(&self) -> &serde_json::Value {
        &self.app_config
    }

    pub fn config(&self) -> &EmulatorConfig {
        &self.state.config
    }

    /// Allowed redirect URIs (the first one is the app's `redirectUri`).
    pub fn redirect_uri(&self) -> &str {
        &self.state.callback_urls[0]
    }

    pub fn control(&self) -> Control {
        Control {
            state: self.state.clone(),
        }
    }

    /// The Content-Security-Policy the app origin sends.
    pub fn content_security_policy(&self) -> String {
        app::content_security_policy(&self.state.urls)
    }

    /// Stops accepting connections and closes open ones.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

impl Control {
    /// Fails the next `count` S3 requests (only those of `operation`, e.g. `"UploadPart"`,
    /// when given) with `kind` ([`FaultKind::DropAnswer`] carries them out first).
    pub fn fail_next(&self, count: usize, kind: FaultKind, operation: Option<&str>) {
        let mut inner = self.state.lock();
        for _ in 0..count {
            inner
                .faults
                .fail_next
                .push((kind, operation.map(str::to_string)));
        }
    }

    /// Fails this fraction (0.0..=1.0) of S3 requests at random with `kind`.
    pub fn fail_fraction(&self, fraction: f64, kind: FaultKind) {
        let mut inner = self.state.lock();
        inner.faults.fail_fraction = fraction.clamp(0.0, 1.0);
        inner.faults.fail_fraction_kind = Some(kind);
    }

    /// Delays every response of the AWS services (Hosted UI, Identity, STS, S3).
    pub fn set_latency(&self, latency: Duration) {
        self.state.lock().faults.latency = latency;
    }

    /// The AWS services refuse connections for `duration`.
    pub fn network_down(&self, duration: Duration) {
        self.state.lock().faults.down_until = Some(Instant::now() + duration);
    }

    /// Shifts the server clock by `seconds` (from real time, not cumulative).
    pub fn shift_clock(&self, seconds: i64) {
        self.state.lock().clock_shift = seconds;
    }

    /// The server clock, epoch seconds.
    pub fn now(&self) -> u64 {
        self.state.now()
    }

    pub fn lifetimes(&self) -> Lifetimes {
        self.state.lifetimes()
    }

    /// New lifetimes apply to tokens, codes and credentials issued from now on.
    pub fn set_lifetimes(&self, lifetimes: Lifetimes) {
        self.state.lock().lifetimes = lifetimes;
    }

    /// Ends every issued credential now (the next S3 request gets ExpiredToken).
    pub fn expire_credentials(&self) {
        let now = self.state.now();
        for c in self.state.lock().credentials.values_mut() {
            c.expires_at = c.expires_at.min(now);
        }
    }

    /// Forgets every issued credential, as a service that lost its session store
    /// would: the next S3 request signed with one gets `InvalidAccessKeyId` (403),
    /// and GetCredentialsForIdentity issues new ones as usual.
    pub fn forget_credentials(&self) {
        self.state.lock().credentials.clear();
    }

    /// Revokes every refresh token issued so far, as an administrator's global
    /// sign-out does: the next refresh gets `invalid_grant`. Issued id tokens and
    /// credentials live on until they expire.
    pub fn revoke_refresh_tokens(&self) {
        let mut inner = self.state.lock();
        let mut origins = Vec::new();
        for grant in inner.refresh.values_mut() {
            grant.revoked = true;
            origins.push(grant.origin_jti.clone());
        }
        inner.revoked_origins.extend(origins);
    }

    /// Clears every fault, the clock shift and the lifetimes back to the config's.
    /// Switches the bucket's versioning on or off (on by default). Off, the bucket
    /// behaves as one versioning was never enabled on: no version ids, a DELETE
    /// removes the object, `?versions` lists `null` versions.
    pub fn set_versioning(&self, on: bool) {
        self.state.set_versioning(on);
    }

    pub fn clear_faults(&self) {
        let mut inner = self.state.lock();
        inner.faults = state::Faults::default();
        inner.clock_shift = 0;
        inner.lifetimes = self.state.config.lifetimes.clone();
    }

    pub fn stats(&self) -> Stats {
        self.state.lock().stats.clone()
    }

    /// Zeroes the request counters (keeps the list of open multipart uploads).
    pub fn reset_stats(&self) {
        let mut inner = self.state.lock();
        inner.stats.s3_requests.clear();
        inner.stats.token_requests.clear();
        inner.stats.faults_injected = 0;
    }

    /// The identity id GetId gives `username` (who must be a configured user).
    pub fn identity_id_of(&self, username: &str) -> Option<String> {
        let sub = self.state.user(username)?.sub.clone();
        Some(identity::identity_id_for(&self.state, &sub))
    }
}
