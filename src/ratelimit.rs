//! Per-patient rate limiting: a flood of messages from one patient gets one
//! polite slow-down notice and is then dropped until the patient's allowance
//! refills, while every other patient goes on as before.
//!
//! Each patient has a token bucket: `burst` messages at once, refilled at
//! `per_minute`. A bucket is a few bytes in a map keyed by patient id, and a
//! check is one map lookup, so a flooding patient costs the others nothing.
//! The time is passed in (`now`), which keeps the limiter pure and its tests
//! exact; the service passes its [`crate::clock::Clock`]'s time, so the
//! service's tests can move it on by hand.
//!
//! ```
//! use std::time::Duration;
//! use carebot::ratelimit::{RateDecision, RateLimit, RateLimiter};
//!
//! let mut limiter = RateLimiter::new(RateLimit { burst: 2, per_minute: 6 });
//! let now = jiff::Timestamp::now();
//! assert_eq!(limiter.check("alice", now), RateDecision::Allow);
//! assert_eq!(limiter.check("alice", now), RateDecision::Allow);
//! assert!(matches!(limiter.check("alice", now), RateDecision::SlowDown { .. }));
//! assert!(matches!(limiter.check("alice", now), RateDecision::Ignore { .. }));
//! assert_eq!(limiter.check("bob", now), RateDecision::Allow);
//! assert_eq!(limiter.check("alice", now + Duration::from_secs(10)), RateDecision::Allow);
//! ```

use std::collections::HashMap;
use std::time::Duration;

use jiff::Timestamp;

use crate::clock::elapsed;

/// How many messages a patient may send: `burst` in a row, then `per_minute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Messages a patient may send at once (the bucket's size), at least 1.
    pub burst: u32,
    /// Messages per minute once the burst is spent (the refill rate), at least 1.
    pub per_minute: u32,
}

impl Default for RateLimit {
    /// Generous for a person typing (ten quick messages, then one every two
    /// seconds), tight for a script.
    fn default() -> Self {
        RateLimit {
            burst: 10,
            per_minute: 30,
        }
    }
}

/// What to do with a patient's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    /// Process it as usual.
    Allow,
    /// Over the limit, for the first time in this flood: reply with the
    /// slow-down notice (`messages.slow_down`) and do not process the message.
    /// A flood ends when the patient's allowance has refilled completely; until
    /// then messages at the refill rate are allowed, the rest ignored.
    SlowDown { retry_after: Duration },
    /// Still over the limit and already told: drop the message silently, so
    /// that a flood does not become a flood of notices.
    Ignore { retry_after: Duration },
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Timestamp,
    /// Whether this flood has had its notice.
    notified: bool,
}

/// Token buckets keyed by patient id.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: HashMap<String, Bucket>,
    /// When idle buckets were last dropped.
    swept: Option<Timestamp>,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> RateLimiter {
        RateLimiter {
            limit: RateLimit {
                burst: limit.burst.max(1),
                per_minute: limit.per_minute.max(1),
            },
            buckets: HashMap::new(),
            swept: None,
        }
    }

    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Tokens per second.
    fn rate(&self) -> f64 {
        f64::from(self.limit.per_minute) / 60.0
    }

    /// How long an idle bucket takes to refill completely; a full bucket is the
    /// same as no bucket, so it can be dropped.
    fn refill_time(&self) -> Duration {
        Duration::from_secs_f64(f64::from(self.limit.burst) / self.rate())
    }

    /// Counts a message from `patient` at `now` and says what to do with it.
    /// A `now` earlier than the patient's last message counts as no time passed.
    pub fn check(&mut self, patient: &str, now: Timestamp) -> RateDecision {
        self.sweep(now);
        let burst = f64::from(self.limit.burst);
        let rate = self.rate();
        let bucket = match self.buckets.get_mut(patient) {
            Some(bucket) => bucket,
            None => self.buckets.entry(patient.to_string()).or_insert(Bucket {
                tokens: burst,
                updated: now,
                notified: false,
            }),
        };
        let elapsed = elapsed(bucket.updated, now).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.updated = bucket.updated.max(now);
        if bucket.tokens >= burst {
            // Calm again: a later flood is a new flood, with its own notice.
            bucket.notified = false;
        }
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return RateDecision::Allow;
        }
        let retry_after = Duration::from_secs_f64((1.0 - bucket.tokens) / rate);
        if bucket.notified {
            RateDecision::Ignore { retry_after }
        } else {
            bucket.notified = true;
            RateDecision::SlowDown { retry_after }
        }
    }

    /// How many patients the limiter is tracking (idle ones are forgotten).
    pub fn tracked(&self) -> usize {
        self.buckets.len()
    }

    /// Drops the buckets that have refilled, at most once per refill time, so
    /// that memory follows the patients active in the last minute or so, not
    /// every patient ever seen.
    fn sweep(&mut self, now: Timestamp) {
        let refill = self.refill_time();
        match self.swept {
            Some(swept) if elapsed(swept, now) < refill => {}
            _ => {
                self.buckets
                    .retain(|_, bucket| elapsed(bucket.updated, now) < refill);
                self.swept = Some(now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(burst: u32, per_minute: u32) -> RateLimiter {
        RateLimiter::new(RateLimit { burst, per_minute })
    }

    fn seconds(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn a_burst_is_allowed_then_one_notice_then_silence() {
        let mut limiter = limiter(3, 60);
        let start = Timestamp::now();
        for _ in 0..3 {
            assert_eq!(limiter.check("p1", start), RateDecision::Allow);
        }
        assert_eq!(
            limiter.check("p1", start),
            RateDecision::SlowDown {
                retry_after: seconds(1.0)
            }
        );
        for _ in 0..100 {
            assert!(matches!(
                limiter.check("p1", start),
                RateDecision::Ignore { .. }
            ));
        }
    }

    #[test]
    fn the_allowance_refills_at_the_rate() {
        let mut limiter = limiter(2, 60);
        let start = Timestamp::now();
        assert_eq!(limiter.check("p1", start), RateDecision::Allow);
        assert_eq!(limiter.check("p1", start), RateDecision::Allow);
        assert!(matches!(
            limiter.check("p1", start),
            RateDecision::SlowDown { .. }
        ));
        // One message per second comes back.
        assert_eq!(
            limiter.check("p1", start + seconds(1.0)),
            RateDecision::Allow
        );
        assert!(matches!(
            limiter.check("p1", start + seconds(1.0)),
            RateDecision::Ignore { .. }
        ));
        assert!(matches!(
            limiter.check("p1", start + seconds(1.5)),
            RateDecision::Ignore { .. }
        ));
        // After a long pause the whole burst is back, and no more; a new flood
        // gets a new notice.
        let later = start + seconds(3600.0);
        assert_eq!(limiter.check("p1", later), RateDecision::Allow);
        assert_eq!(limiter.check("p1", later), RateDecision::Allow);
        assert!(matches!(
            limiter.check("p1", later),
            RateDecision::SlowDown { .. }
        ));
    }

    #[test]
    fn a_flooding_patient_does_not_delay_others() {
        let mut limiter = limiter(5, 30);
        let start = Timestamp::now();
        // The flooder sends every millisecond for 20 s; fifty others one message
        // every five seconds each, well under the limit.
        let mut flooder_allowed = 0;
        let mut notices = 0;
        for n in 0..20_000u64 {
            let at = start + Duration::from_millis(n);
            match limiter.check("flooder", at) {
                RateDecision::Allow => flooder_allowed += 1,
                RateDecision::SlowDown { .. } => notices += 1,
                RateDecision::Ignore { .. } => {}
            }
            if n % 100 == 0 {
                let patient = format!("patient-{}", (n / 100) % 50);
                assert_eq!(limiter.check(&patient, at), RateDecision::Allow);
            }
        }
        // The burst, then one every two seconds; and one notice for the flood.
        assert_eq!(flooder_allowed, 5 + 9);
        assert_eq!(notices, 1);
    }

    #[test]
    fn a_steady_patient_under_the_rate_is_never_limited() {
        let mut limiter = limiter(3, 30);
        let start = Timestamp::now();
        for n in 0..1_000 {
            assert_eq!(
                limiter.check("steady", start + seconds(2.0 * n as f64)),
                RateDecision::Allow
            );
        }
    }

    #[test]
    fn idle_patients_are_forgotten() {
        let mut limiter = limiter(10, 60);
        let start = Timestamp::now();
        for n in 0..1_000 {
            limiter.check(&format!("p{n}"), start);
        }
        assert_eq!(limiter.tracked(), 1_000);
        limiter.check("late", start + seconds(60.0));
        assert_eq!(limiter.tracked(), 1);
    }

    #[test]
    fn a_clock_going_backwards_is_no_time() {
        let mut limiter = limiter(1, 60);
        let start = Timestamp::now() + seconds(100.0);
        assert_eq!(limiter.check("p1", start), RateDecision::Allow);
        assert!(matches!(
            limiter.check("p1", start - seconds(50.0)),
            RateDecision::SlowDown { .. }
        ));
        assert_eq!(
            limiter.check("p1", start + seconds(1.0)),
            RateDecision::Allow
        );
    }

    #[test]
    fn zero_settings_are_raised_to_one() {
        let limiter = limiter(0, 0);
        assert_eq!(
            limiter.limit(),
            RateLimit {
                burst: 1,
                per_minute: 1
            }
        );
    }
}
