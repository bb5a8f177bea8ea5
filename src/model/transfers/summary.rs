//! What the upload panel says about the whole queue: "3 of 25 done", the bytes
//! sent of all, the percentage, the speed of the last seconds and the time left.

use super::queue::UploadState;
use crate::model::listing::format_size;
use crate::model::text;
use std::collections::VecDeque;

/// How far back the speed looks: long enough to smooth the steps of parts
/// finishing, short enough to follow a change of network.
const SPEED_WINDOW_MS: f64 = 10_000.0;
/// A speed is shown only once this much time has been measured.
const SPEED_MIN_SPAN_MS: f64 = 1_000.0;

/// The upload speed over the last [`SPEED_WINDOW_MS`], from samples of the
/// bytes sent (the time in milliseconds comes from the caller's clock).
#[derive(Debug, Default)]
pub struct SpeedMeter {
    samples: VecDeque<(f64, u64)>,
}

impl SpeedMeter {
    /// Records that `sent` bytes were sent by `now_ms`. Fewer than before (a
    /// pause dropped the parts it cut off, or files were cleared) starts afresh.
    pub fn sample(&mut self, now_ms: f64, sent: u64) {
        if self.samples.back().is_some_and(|&(_, last)| sent < last) {
            self.samples.clear();
        }
        self.samples.push_back((now_ms, sent));
        while self
            .samples
            .front()
            .is_some_and(|&(t, _)| now_ms - t > SPEED_WINDOW_MS)
            && self.samples.len() > 2
        {
            self.samples.pop_front();
        }
    }

    /// Bytes a second, once [`SPEED_MIN_SPAN_MS`] has been measured.
    pub fn bytes_per_second(&self) -> Option<u64> {
        let (&(t0, b0), &(t1, b1)) = (self.samples.front()?, self.samples.back()?);
        let span = t1 - t0;
        (span >= SPEED_MIN_SPAN_MS).then(|| ((b1 - b0) as f64 * 1000.0 / span) as u64)
    }
}

/// One file as the summary counts it: its size, bytes shown sent, its state,
/// whether it waits for the connection.
pub struct FileProgress<'a> {
    pub size: u64,
    pub sent: u64,
    pub state: &'a UploadState,
    pub waiting: bool,
}

/// The queue in numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueSummary {
    /// Files done, and files counted (skipped and cancelled ones are not).
    pub done: usize,
    pub files: usize,
    /// Bytes sent of all counted files, and their size.
    pub sent: u64,
    pub size: u64,
    /// Bytes a second, when measured and a file is being sent.
    pub speed: Option<u64>,
    /// Files waiting for the connection, and files failed.
    pub waiting: usize,
    pub failed: usize,
}

impl QueueSummary {
    /// Sums `files`; `speed` is the meter's reading.
    pub fn of<'a>(files: impl IntoIterator<Item = FileProgress<'a>>, speed: Option<u64>) -> Self {
        let mut summary = QueueSummary::default();
        let mut sending = false;
        for file in files {
            if matches!(file.state, UploadState::Skipped | UploadState::Cancelled) {
                continue;
            }
            summary.files += 1;
            summary.size += file.size;
            summary.sent += file.sent.min(file.size);
            match file.state {
                UploadState::Done => summary.done += 1,
                UploadState::Failed(_) => summary.failed += 1,
                // Paused and queued files send nothing: no speed for them.
                state => sending |= *state == UploadState::Uploading && !file.waiting,
            }
            if file.waiting && *file.state == UploadState::Uploading {
                summary.waiting += 1;
            }
        }
        summary.speed = speed.filter(|_| sending);
        summary
    }

    /// Whole percent of the bytes sent (0 for nothing to send).
    pub fn percent(&self) -> u64 {
        (self.sent * 100).checked_div(self.size).unwrap_or(0)
    }

    /// Seconds left at the current speed, when there is one above zero.
    pub fn seconds_left(&self) -> Option<u64> {
        let speed = self.speed.filter(|s| *s > 0)?;
        Some((self.size - self.sent).div_ceil(speed))
    }

    /// The panel's one line: "3 of 25 done · 12 MB of 60 MB (20%) · 2.0 MB/s ·
    /// 24 seconds left", with "waiting for connection" or the failed count when
    /// there are such files.
    pub fn line(&self) -> String {
        let mut parts = vec![
            format!(
                "{} of {} done",
                text::number(self.done as u64),
                text::number(self.files as u64)
            ),
            format!(
                "{} of {} ({}%)",
                format_size(self.sent),
                format_size(self.size),
                self.percent()
            ),
        ];
        if self.waiting > 0 {
            parts.push("waiting for connection".to_string());
        } else if let Some(speed) = self.speed {
            parts.push(format!("{}/s", format_size(speed)));
            if let Some(left) = self.seconds_left() {
                parts.push(format!("{} left", text::duration(left)));
            }
        }
        if self.failed > 0 {
            parts.push(format!("{} failed", self.failed));
        }
        parts.join(" · ")
    }
}
