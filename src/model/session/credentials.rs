//! Credentials and tokens over a session's life: the cached credentials or fresh
//! ones, refreshing the id token ahead of its expiry, one refresh at a time across
//! tabs ([`refresh_shared`]), and waiting for the user to sign in again when the
//! refresh token is refused.

use super::*;

impl Session {
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
        let due = self.tokens.borrow().needs_refresh(self.env.now_secs());
        if due {
            self.refresh_tokens().await?;
        }
        let credentials = match self.fetch_credentials().await {
            // The identity pool refused an id token we thought good (its clock
            // says expired): a new id token, once, before the session is ended.
            Err(AuthError::Identity(e)) if e.is_not_authorized() && !due => {
                self.refresh_tokens().await?;
                self.fetch_credentials().await?
            }
            other => other?,
        };
        self.credentials_obtained
            .set(epoch_secs(self.signing_time()));
        *self.credentials.borrow_mut() = Some(credentials.clone());
        Ok(credentials)
    }

    /// GetCredentialsForIdentity with the current id token.
    async fn fetch_credentials(&self) -> Result<Credentials, AuthError> {
        let tokens = self.tokens();
        auth::get_credentials(
            &self.config,
            self.transport.as_ref(),
            &self.identity_id,
            &tokens,
        )
        .await
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
}

/// Whether `stored` tokens belong to the same sign-in as `current`.
pub(super) fn continues(current: &Tokens, stored: &Tokens) -> bool {
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
