//! The time, from a [`Clock`] rather than the system, so that everything that
//! depends on it (re-notifying unclaimed cases, retention, outbox back-off,
//! after-hours replies) can be tested with tokio's paused time or a fixed date.

use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;

/// Where "now" comes from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Timestamp;
}

/// The system's wall clock: what production uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A wall clock that moves with tokio's clock: `origin` plus the tokio time
/// elapsed since it was made. Under `tokio::time::pause()` it stands still
/// until the test advances time, so timestamps and tokio sleeps agree.
#[derive(Debug, Clone)]
pub struct TokioClock {
    origin: Timestamp,
    start: tokio::time::Instant,
}

impl TokioClock {
    pub fn starting_at(origin: Timestamp) -> TokioClock {
        TokioClock {
            origin,
            start: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Timestamp {
        let elapsed = self.start.elapsed();
        self.origin.checked_add(elapsed).unwrap_or(Timestamp::MAX)
    }
}

/// A clock that only moves when told: for synchronous tests.
#[derive(Debug)]
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    pub fn new(at: Timestamp) -> ManualClock {
        ManualClock(Mutex::new(at))
    }

    pub fn set(&self, at: Timestamp) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = at;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now = now.checked_add(by).unwrap_or(Timestamp::MAX);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `later - earlier`, or zero when `later` is not later.
pub fn elapsed(earlier: Timestamp, later: Timestamp) -> Duration {
    let span = later.duration_since(earlier);
    Duration::try_from(span).unwrap_or(Duration::ZERO)
}

/// `at + duration`, saturating at the end of time.
pub fn after(at: Timestamp, duration: Duration) -> Timestamp {
    at.checked_add(duration).unwrap_or(Timestamp::MAX)
}

/// `at - duration`, saturating at the start of time.
pub fn before(at: Timestamp, duration: Duration) -> Timestamp {
    at.checked_sub(duration).unwrap_or(Timestamp::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn tokio_clock_follows_paused_time() {
        let origin: Timestamp = "2026-11-23T14:00:00Z".parse().unwrap();
        let clock = TokioClock::starting_at(origin);
        assert_eq!(clock.now(), origin);
        tokio::time::advance(Duration::from_secs(90)).await;
        assert_eq!(elapsed(origin, clock.now()), Duration::from_secs(90));
    }

    #[test]
    fn elapsed_never_goes_negative() {
        let a: Timestamp = "2026-11-23T14:00:00Z".parse().unwrap();
        let b = after(a, Duration::from_secs(5));
        assert_eq!(elapsed(a, b), Duration::from_secs(5));
        assert_eq!(elapsed(b, a), Duration::ZERO);
        assert_eq!(before(b, Duration::from_secs(5)), a);
    }
}
