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
        // Signed out meanwhile: nothing to wait for, nobody to ask.
        if self.closed.get() || matches!(why, AuthError::SignedOut) {
            self.close();
            return Err(why);
        }
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
            self.refresh_tokens(false).await?;
        }
        let credentials = match self.fetch_credentials().await {
            // The identity pool refused an id token we thought good (its clock
            // says expired): a new id token, once, before the session is ended.
            Err(AuthError::Identity(e)) if e.is_not_authorized() && !due => {
                self.refresh_tokens(true).await?;
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

    /// A new id token, one tab at a time (see [`refresh_shared`]); with `refused`
    /// even when ours is not due (the identity pool refused it).
    async fn refresh_tokens(&self, refused: bool) -> Result<(), AuthError> {
        let current = self.tokens();
        let fresh = refresh_shared_unless(
            &self.config,
            self.transport.as_ref(),
            self.share.as_ref(),
            &current,
            self.env.now_secs(),
            refused,
        )
        .await?;
        if self.closed.get() {
            return Err(AuthError::SignedOut);
        }
        *self.tokens.borrow_mut() = fresh;
        Ok(())
    }

    /// Takes tokens another tab refreshed, if they come from this session's sign-in
    /// ([`Tokens::same_sign_in`]: with rotation their refresh token is a new one)
    /// and were issued after ours. Says whether it took them.
    pub fn adopt_tokens(&self, tokens: Tokens) -> bool {
        let mut current = self.tokens.borrow_mut();
        let newer = current.same_sign_in(&tokens) && tokens.is_newer_than(&current);
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
            self.refresh_tokens(false).await?;
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

/// The newer of `tokens` and `other` when `other` comes from the same sign-in.
fn newest(tokens: &Tokens, other: Option<Tokens>) -> Tokens {
    match other {
        Some(other) if tokens.same_sign_in(&other) && other.is_newer_than(tokens) => other,
        _ => tokens.clone(),
    }
}

/// Refreshes `tokens` with only one tab at a time doing it. Under the share's lock:
/// the newest tokens of this sign-in are taken (another tab may have refreshed, and
/// with rotation replaced the refresh token, meanwhile); when they are not due they
/// are the answer, else this tab refreshes with them. A refresh token refused
/// because another tab rotated it past its grace period is tried once more with
/// the newest tokens the other tabs hold ([`TokenShare::newest`]). The result is
/// stored for the other tabs, unless the user signed out meanwhile
/// ([`TokenShare::signed_out`]): then it is dropped and the answer is
/// [`AuthError::SignedOut`].
pub async fn refresh_shared(
    config: &Config,
    transport: &dyn Transport,
    share: &dyn TokenShare,
    tokens: &Tokens,
    now: u64,
) -> Result<Tokens, AuthError> {
    refresh_shared_unless(config, transport, share, tokens, now, false).await
}

/// [`refresh_shared`]; with `refused` (the identity pool refused `tokens`' id token
/// though it is not due by our clock) these tokens are refreshed anyway, unless
/// another tab has stored newer ones of the sign-in meanwhile.
async fn refresh_shared_unless(
    config: &Config,
    transport: &dyn Transport,
    share: &dyn TokenShare,
    tokens: &Tokens,
    now: u64,
    refused: bool,
) -> Result<Tokens, AuthError> {
    let outcome: RefCell<Option<Result<Tokens, AuthError>>> = RefCell::new(None);
    share
        .exclusive(Box::pin(async {
            let base = newest(tokens, share.load());
            let replace_refused = refused && base == *tokens;
            if !base.needs_refresh(now) && !replace_refused {
                *outcome.borrow_mut() = Some(Ok(base));
                return;
            }
            let mut result = auth::refresh(config, transport, &base, now).await;
            if matches!(&result, Err(e) if e.ends_session()) {
                let others = newest(&base, share.newest(&base).await);
                if others.refresh_token != base.refresh_token {
                    result = if others.needs_refresh(now) {
                        auth::refresh(config, transport, &others, now).await
                    } else {
                        Ok(others)
                    };
                }
            }
            if result.is_ok() && share.signed_out() {
                result = Err(AuthError::SignedOut);
            }
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
