//! The one retry classifier every call goes through (S3, Cognito Identity, STS, the
//! token endpoint), and the backoff schedule.
//!
//! The caller describes a failure as a [`Failure`] and what it has already tried as
//! [`Attempts`]; [`classify`] says what to do next. Time and randomness come in as
//! arguments, so the policy is testable with fixed values.

use std::time::Duration;

/// Total tries of one request, the first included, before giving up on transient
/// errors. (The AWS SDKs' standard mode uses 3; uploads gain from one more.)
pub const MAX_ATTEMPTS: u32 = 4;
/// Backoff base: the first retry waits up to this long.
pub const BASE_DELAY: Duration = Duration::from_millis(250);
/// No single wait is longer than this.
pub const MAX_DELAY: Duration = Duration::from_secs(20);
/// Probes for a lost connection are at most this far apart (the device's own
/// "back online" signal, where it has one, ends a wait sooner).
pub const PROBE_MAX_DELAY: Duration = Duration::from_secs(8);
/// A clock this far from the server's is treated as the cause of an auth failure
/// (S3 itself allows 15 minutes; SDKs correct beyond 5).
pub const CLOCK_SKEW_TOLERANCE_SECONDS: u64 = 300;

/// What went wrong with one attempt.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Failure {
    /// HTTP status, or `None` for a network error (no response at all).
    pub status: Option<u16>,
    /// The service's error code (`SlowDown`, `ExpiredToken`, ...), when it sent one.
    pub code: Option<String>,
    /// `ServerTime` from the error body, epoch seconds.
    pub server_time: Option<u64>,
    /// The response's `Date` header, epoch seconds.
    pub date_header: Option<u64>,
    /// The device clock (uncorrected) when the response arrived, epoch seconds.
    pub local_time: u64,
    /// The device said it had no network connection when the attempt failed
    /// (`navigator.onLine` false): a network error is then surely the connection's.
    pub offline: bool,
}

impl Failure {
    /// A request that got no response (offline, DNS, CORS refusal, abort).
    pub fn network(local_time: u64) -> Self {
        Failure {
            local_time,
            ..Failure::default()
        }
    }

    /// A response with `status` and perhaps an error `code`.
    pub fn http(status: u16, code: Option<&str>, local_time: u64) -> Self {
        Failure {
            status: Some(status),
            code: code.map(str::to_string),
            local_time,
            ..Failure::default()
        }
    }
}

/// What the caller has already done for this request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Attempts {
    /// Attempts made so far, the failed one included (1 after the first failure).
    pub made: u32,
    /// Credentials were already refreshed once for this request.
    pub credentials_refreshed: bool,
    /// The clock offset was already corrected once for this request.
    pub clock_corrected: bool,
    /// The caller would rather wait for the connection than fail on network
    /// errors (an upload: its stored parts stay, and the user expects it to go on
    /// by itself when the network is back).
    pub may_wait_for_connection: bool,
}

/// The classifier's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Transient: wait [`backoff_delay`] and send again.
    RetryWithBackoff,
    /// The session credentials expired or were rejected: get new ones, re-sign, resend.
    RefreshCredentialsThenRetry,
    /// The device clock is off: sign with `now + offset_seconds` from now on and resend.
    /// The offset is the whole correction (server time minus device time), not a delta.
    CorrectClockThenRetry {
        /// Server time minus device time, in seconds.
        offset_seconds: i64,
    },
    /// No network: wait until the connection seems back (the device says so, a
    /// probe after [`probe_delay`], or another request got an answer), then send
    /// again. Only for callers that may wait ([`Attempts::may_wait_for_connection`]).
    WaitForConnection,
    /// Permanent for this request; report it.
    DoNotRetry,
}

fn is_throttling(code: &str) -> bool {
    code.starts_with("Throttling")
        || matches!(
            code,
            "SlowDown"
                | "TooManyRequestsException"
                | "LimitExceededException"
                | "RequestLimitExceeded"
                | "RequestThrottled"
                | "RequestThrottledException"
                | "ProvisionedThroughputExceededException"
                | "BandwidthLimitExceeded"
                | "EC2ThrottledException"
        )
}

fn is_transient(code: &str) -> bool {
    matches!(
        code,
        "ServiceUnavailable"
            | "InternalError"
            | "InternalErrorException"
            | "InternalFailure"
            | "InternalServerError"
            | "RequestTimeout"
            | "RequestTimeoutException"
            | "PriorRequestNotComplete"
            // STS: the identity provider did not answer in time.
            | "IDPCommunicationError"
            // S3 conditional writes: a concurrent write raced ours; a retry settles it
            // (and then usually answers 412 if the other write won).
            | "ConditionalRequestConflict"
            | "OperationAborted"
    )
}

/// The one rule for stale credentials: the service no longer takes the temporary
/// credentials the call was signed with (expired, or forgotten as after a restart of
/// the service's session store), so new ones are fetched and the call is sent again
/// once. S3: `ExpiredToken`, `InvalidToken` (400) and `InvalidAccessKeyId` (403,
/// an access key S3 does not know); STS: `ExpiredTokenException`. Not
/// `SignatureDoesNotMatch`: that is a signing (or clock) fault, which fresh
/// credentials would not mend. AWS S3 API Reference, "Error responses".
pub fn is_stale_credentials(code: &str) -> bool {
    matches!(
        code,
        "ExpiredToken"
            | "InvalidToken"
            | "InvalidAccessKeyId"
            | "ExpiredTokenException"
            | "TokenRefreshRequired"
    )
}

/// Codes that a wrong device clock can cause; the clock is corrected only when the
/// server's time shows it is off.
fn is_possibly_clock_related(code: &str) -> bool {
    matches!(
        code,
        "SignatureDoesNotMatch"
            | "InvalidSignatureException"
            | "RequestExpired"
            | "RequestInTheFuture"
            | "AuthFailure"
    )
}

fn is_transient_status(status: u16) -> bool {
    // 501 Not Implemented will not change on a retry.
    status == 429 || status == 408 || (status >= 500 && status != 501)
}

/// Decides what to do after one failed attempt.
pub fn classify(failure: &Failure, attempts: &Attempts) -> RetryDecision {
    let code = failure.code.as_deref().unwrap_or("");
    let server_offset = |time: Option<u64>| {
        time.map(|t| i128::from(t) - i128::from(failure.local_time))
            .and_then(|d| i64::try_from(d).ok())
    };

    if code == "RequestTimeTooSkewed" {
        // The body's ServerTime is the authority; the Date header is a fallback.
        let offset = server_offset(failure.server_time).or(server_offset(failure.date_header));
        return match offset {
            Some(offset_seconds) if !attempts.clock_corrected => {
                RetryDecision::CorrectClockThenRetry { offset_seconds }
            }
            _ => RetryDecision::DoNotRetry,
        };
    }

    // An auth failure (or a bodiless 403, as HEAD gives) with a server clock far from
    // ours is most likely our clock's fault.
    let auth_failure =
        is_possibly_clock_related(code) || (code.is_empty() && failure.status == Some(403));
    if auth_failure && !attempts.clock_corrected {
        if let Some(offset) =
            server_offset(failure.server_time).or(server_offset(failure.date_header))
        {
            if offset.unsigned_abs() > CLOCK_SKEW_TOLERANCE_SECONDS {
                return RetryDecision::CorrectClockThenRetry {
                    offset_seconds: offset,
                };
            }
        }
    }

    if is_stale_credentials(code) {
        return if attempts.credentials_refreshed {
            RetryDecision::DoNotRetry
        } else {
            RetryDecision::RefreshCredentialsThenRetry
        };
    }

    if failure.status.is_none() && attempts.may_wait_for_connection {
        // Offline: no retry can help before the connection is back. Online yet no
        // answer: the backoff schedule first (a blip), then wait.
        return if failure.offline || attempts.made >= MAX_ATTEMPTS {
            RetryDecision::WaitForConnection
        } else {
            RetryDecision::RetryWithBackoff
        };
    }

    let transient = match failure.status {
        None => true,
        Some(status) if code.is_empty() => is_transient_status(status),
        // A code is more precise than the status (S3 says RequestTimeout with 400).
        Some(status) => {
            is_throttling(code)
                || is_transient(code)
                || (is_transient_status(status) && !is_permanent_5xx_code(code))
        }
    };
    if transient && attempts.made < MAX_ATTEMPTS {
        RetryDecision::RetryWithBackoff
    } else {
        RetryDecision::DoNotRetry
    }
}

fn is_permanent_5xx_code(code: &str) -> bool {
    matches!(code, "NotImplemented")
}

/// How long to wait before retry number `attempt` (1 for the first retry): "full
/// jitter", a uniform pick in `[0, min(MAX_DELAY, BASE_DELAY * 2^(attempt-1)))`.
/// `random_fraction` in `[0, 1)` comes from the caller's random source; values
/// outside are clamped.
pub fn backoff_delay(attempt: u32, random_fraction: f64) -> Duration {
    let exponent = attempt.saturating_sub(1).min(16);
    let ceiling = BASE_DELAY.saturating_mul(1u32 << exponent).min(MAX_DELAY);
    let fraction = if random_fraction.is_nan() {
        0.0
    } else {
        random_fraction.clamp(0.0, 1.0)
    };
    ceiling.mul_f64(fraction)
}

/// How long to wait before probe number `probe` (1 for the first) of a lost
/// connection: "equal jitter", a uniform pick in `[c/2, c)` where
/// `c = min(PROBE_MAX_DELAY, 1 s * 2^(probe-1))`, so a connection that comes back
/// unannounced is found within [`PROBE_MAX_DELAY`] and waiting calls never probe
/// in a busy loop. `random_fraction` as in [`backoff_delay`].
pub fn probe_delay(probe: u32, random_fraction: f64) -> Duration {
    let exponent = probe.saturating_sub(1).min(16);
    let ceiling = Duration::from_secs(1)
        .saturating_mul(1u32 << exponent)
        .min(PROBE_MAX_DELAY);
    let fraction = if random_fraction.is_nan() {
        0.0
    } else {
        random_fraction.clamp(0.0, 1.0)
    };
    ceiling.mul_f64(0.5 + fraction / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff_delay(1, 0.999_999), BASE_DELAY.mul_f64(0.999_999));
        assert_eq!(backoff_delay(3, 0.5), Duration::from_millis(500));
        assert_eq!(backoff_delay(40, 1.0), MAX_DELAY);
        assert_eq!(backoff_delay(2, f64::NAN), Duration::ZERO);
        assert_eq!(backoff_delay(0, 1.0), BASE_DELAY);
    }

    #[test]
    fn probes_grow_to_their_cap_and_are_never_immediate() {
        assert_eq!(probe_delay(1, 0.0), Duration::from_millis(500));
        assert_eq!(probe_delay(3, 0.5), Duration::from_secs(3));
        assert_eq!(probe_delay(40, 1.0), PROBE_MAX_DELAY);
        assert_eq!(probe_delay(40, f64::NAN), PROBE_MAX_DELAY / 2);
    }

    #[test]
    fn a_caller_that_may_wait_waits_out_network_errors() {
        let waiting = |made, offline| {
            let failure = Failure {
                offline,
                ..Failure::network(0)
            };
            let attempts = Attempts {
                made,
                may_wait_for_connection: true,
                ..Attempts::default()
            };
            classify(&failure, &attempts)
        };
        // Offline: wait at once, the backoff cannot help.
        assert_eq!(waiting(1, true), RetryDecision::WaitForConnection);
        // Online yet unanswered: the schedule first, then wait (never give up).
        assert_eq!(waiting(1, false), RetryDecision::RetryWithBackoff);
        assert_eq!(
            waiting(MAX_ATTEMPTS, false),
            RetryDecision::WaitForConnection
        );
        assert_eq!(waiting(100, false), RetryDecision::WaitForConnection);
        // A caller that may not wait gives up as before; an HTTP error is no
        // lost connection.
        let spent = Attempts {
            made: MAX_ATTEMPTS,
            ..Attempts::default()
        };
        assert_eq!(
            classify(&Failure::network(0), &spent),
            RetryDecision::DoNotRetry
        );
        let patient = Attempts {
            may_wait_for_connection: true,
            ..spent
        };
        assert_eq!(
            classify(&Failure::http(500, None, 0), &patient),
            RetryDecision::DoNotRetry
        );
    }
}
