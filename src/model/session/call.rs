//! The one way every S3 call is made: sign, send, classify the failure, retry per
//! the core's policy ([`Session::s3`]), and the error a call ends with.

use super::*;
use crate::model::message;

impl Session {
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

    /// [`Session::s3`] for a conditional or non-idempotent write, `intended` being
    /// what it leaves in S3 once carried out. A failure that an earlier attempt
    /// of this write explains ([`Intended::explains`]) sends S3 the question of
    /// what it holds ([`Session::holds`]): the write is done if S3 holds what it
    /// was meant to leave; otherwise the failure stands (a real conflict). Every
    /// such failure is checked, not only those after a failed attempt: the
    /// browser itself sends a request again when a kept-alive connection closes
    /// before the answer (Chromium does), so a lost answer may never be seen.
    ///
    /// # Errors
    ///
    /// What the retry policy gave up on, or the check that could not be made
    /// ([`CallError`]).
    pub async fn s3_write<T>(
        &self,
        build: impl Fn(&RequestContext<'_>) -> Result<http::Request<Vec<u8>>, S3Error>,
        parse: impl Fn(http::Response<Vec<u8>>) -> Result<T, S3Error>,
        intended: &Intended<'_>,
        options: SendOptions,
    ) -> Result<(), CallError> {
        let mut accept = |response| parse(response).map(|_| ());
        match self.retrying_s3(&build, &mut accept, &options).await {
            Err(CallError::S3(e)) if intended.explains(&e) => {
                if self.holds(intended).await? {
                    Ok(())
                } else {
                    Err(CallError::S3(e))
                }
            }
            other => other,
        }
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
            let mut attempts = Attempts {
                may_wait_for_connection: options.wait_for_connection.is_some(),
                ..Attempts::default()
            };
            // Tells `wait_for_connection` when a wait ends, however the call ends.
            let mut waiting = WaitingForConnection {
                heard: options.wait_for_connection.clone(),
                waiting: false,
                probes: 0,
            };
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
                let send = self.transport.send(request, options.clone());
                let sent = if attempts.may_wait_for_connection {
                    // A request in flight when the device goes offline may hang
                    // unanswered: it is given up, and the call waits.
                    match futures::future::select(send, self.transport.gone_offline()).await {
                        futures::future::Either::Left((sent, _)) => sent,
                        futures::future::Either::Right(_) => {
                            Ok(Err(NetworkError("the device went offline".into())))
                        }
                    }
                } else {
                    send.await
                };
                let sent = match sent {
                    Ok(sent) => sent,
                    Err(Aborted) => return Err(CallError::Aborted),
                };
                let (failure, error) = match sent {
                    Ok(response) => {
                        // An answer: the connection is there, for every waiting call.
                        waiting.end();
                        self.connection_back.replace(AbortSignal::new()).abort();
                        match accept(response) {
                            Ok(()) => return Ok(()),
                            Err(e) => (e.retry_failure(self.env.now_secs()), CallError::S3(e)),
                        }
                    }
                    Err(e) => (
                        Failure {
                            offline: !self.transport.online(),
                            ..Failure::network(self.env.now_secs())
                        },
                        CallError::Network(e),
                    ),
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
                    RetryDecision::WaitForConnection => {
                        waiting.start();
                        self.wait_for_connection(waiting.probes, abort).await;
                    }
                    RetryDecision::DoNotRetry => return Err(error),
                }
            }
        })
    }

    /// Waits until the connection may be back: the device says so, another call
    /// got an answer, or it is time for probe number `probe` (this call's next
    /// attempt); or `abort` fired.
    async fn wait_for_connection(&self, probe: u32, abort: Option<&AbortSignal>) {
        let delay = retry::probe_delay(probe, (self.env.random_fraction)());
        let mut signals: Vec<LocalFuture<'static, ()>> = vec![
            (self.env.sleep)(delay.as_millis() as u32),
            self.transport.back_online(),
            Box::pin(self.connection_back.borrow().aborted()),
        ];
        if let Some(abort) = abort {
            signals.push(Box::pin(abort.aborted()));
        }
        futures::future::select_all(signals).await;
    }
}

/// One call's wait for the connection, as its caller hears of it
/// ([`SendOptions::wait_for_connection`]): `true` once when it starts, `false`
/// once when it ends (an answer came, or the call ended or was dropped).
struct WaitingForConnection {
    heard: Option<Rc<dyn Fn(bool)>>,
    waiting: bool,
    /// Probes made in this wait and the ones before it.
    probes: u32,
}

impl WaitingForConnection {
    fn start(&mut self) {
        self.probes += 1;
        if !std::mem::replace(&mut self.waiting, true) {
            if let Some(heard) = &self.heard {
                heard(true);
            }
        }
    }

    fn end(&mut self) {
        if std::mem::replace(&mut self.waiting, false) {
            if let Some(heard) = &self.heard {
                heard(false);
            }
        }
    }
}

impl Drop for WaitingForConnection {
    fn drop(&mut self) {
        self.end();
    }
}

/// Builds and signs one attempt's request from the context of that attempt.
type SignAttempt<'a> = dyn Fn(&RequestContext<'_>) -> Result<http::Request<Vec<u8>>, S3Error> + 'a;

/// Why an operation failed after the retry policy gave up.
#[derive(Clone, Debug)]
pub enum CallError {
    S3(S3Error),
    Network(NetworkError),
    Auth(AuthError),
    /// A multi-object operation that did part of its work; says what is left.
    Incomplete(String),
    /// A key over S3's limit, refused before anything was sent (S3's own
    /// `KeyTooLongError` reads the same: [`S3Error::key_too_long`]).
    KeyTooLong(s3::KeyTooLong),
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

    /// A message for people: what went wrong and what to do in plain words, then
    /// the details (S3's code, status and request id; the network error) on a line
    /// of their own ([`message::with_details`]). `what` names the operation
    /// ("upload report.pdf").
    pub fn user_message(&self, what: &str) -> String {
        let details = match self {
            CallError::S3(e) if e.key_too_long().is_none() => Some(e.to_string()),
            CallError::Network(e) => Some(e.to_string()),
            _ => None,
        };
        message::with_details(self.plain_message(what), details)
    }

    /// The plain words of [`CallError::user_message`], without the details line.
    pub fn plain_message(&self, what: &str) -> String {
        match self {
            CallError::Network(_) => format!(
                "Could not {what}: S3 did not answer. Check your connection and try again. If \
                 this keeps happening on a working connection, the bucket's CORS configuration \
                 may not allow this site."
            ),
            CallError::Auth(e) => format!("Could not {what}: {}", e.user_message()),
            CallError::Incomplete(detail) => format!("Could not fully {what}: {detail}."),
            CallError::Aborted => format!("Stopped: did not {what}."),
            CallError::KeyTooLong(too_long) => format!("Could not {what}. {too_long}"),
            CallError::S3(e) => {
                if let Some(too_long) = e.key_too_long() {
                    return CallError::KeyTooLong(too_long).plain_message(what);
                }
                format!("Could not {what}. {}", s3_advice(e))
            }
        }
    }
}

/// What an S3 error means for the person, in plain words (the code goes in the
/// details line).
fn s3_advice(e: &S3Error) -> &'static str {
    if e.is_stale_credentials() {
        // Reached only when fresh credentials were refused too (the retry loop
        // fetches new ones once).
        return "Your session's access expired. Sign in again.";
    }
    match e.code().unwrap_or("") {
        "AccessDenied" => {
            "You do not have permission for this. Cubby can only reach your own folder; if \
             this is your folder, the bucket's IAM policy may be wrong."
        }
        "NoSuchKey" => {
            "It no longer exists; it may have been deleted or renamed elsewhere. Refresh the \
             folder."
        }
        "PreconditionFailed" => "Something with that name already exists.",
        "RequestTimeTooSkewed" => {
            "Your device's clock is far off. Set it to the correct time and try again."
        }
        "NoSuchBucket" => "The bucket in config.json does not exist.",
        "EntityTooLarge" => "The file is larger than S3 allows.",
        _ if e.is_unexpected_response() && e.message().is_some_and(|m| m.contains("ETag")) => {
            "The bucket's CORS configuration does not expose the ETag header; add \"ETag\" \
             to ExposeHeaders."
        }
        "SlowDown" | "ServiceUnavailable" | "InternalError" => {
            "S3 is busy or having trouble. Wait a moment and try again."
        }
        _ if e.status().is_some_and(|s| s >= 500) => {
            "S3 is busy or having trouble. Wait a moment and try again."
        }
        _ if e.is_unexpected_response() => "S3's answer could not be read.",
        _ if e.is_invalid_input() || e.is_signing_error() => "Cubby could not make this request.",
        _ => "S3 refused the request.",
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::S3(e) => write!(f, "{e}"),
            CallError::Network(e) => write!(f, "{e}"),
            CallError::Auth(e) => write!(f, "{e}"),
            CallError::Incomplete(detail) => f.write_str(detail),
            CallError::KeyTooLong(too_long) => write!(f, "{too_long}"),
            CallError::Aborted => f.write_str("aborted"),
        }
    }
}

impl std::error::Error for CallError {}
