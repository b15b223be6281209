//! Exponential back-off, the one formula every retry loop in carebot uses:
//! the outbox dispatcher between delivery attempts, `carebot serve` between
//! reconnects, and the adapters between failed platform requests. It lives
//! here, beside the other things core and adapters share, so that the
//! adapters (which cannot depend on the core) use the same arithmetic.

use std::time::Duration;

/// How long to wait before trying again: `first`, doubling after each
/// further failure, never more than `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// After the first failure.
    pub first: Duration,
    /// The longest wait, however many failures.
    pub max: Duration,
}

impl Default for Backoff {
    /// The outbox's: a platform outage of a minute costs a few retries, a long
    /// one settles at one attempt every five minutes.
    fn default() -> Backoff {
        Backoff {
            first: Duration::from_secs(2),
            max: Duration::from_secs(300),
        }
    }
}

impl Backoff {
    /// The wait after `failures` failed attempts (1 = the first failure):
    /// `first`, doubling each time, at most `max`.
    pub fn wait(&self, failures: u32) -> Duration {
        // Capped so the shift cannot overflow; 2^30 times any useful `first`
        // is far past any useful `max`.
        let doublings = failures.saturating_sub(1).min(30);
        self.first.saturating_mul(1 << doublings).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_limit() {
        let backoff = Backoff {
            first: Duration::from_millis(100),
            max: Duration::from_millis(700),
        };
        let waits: Vec<u128> = (0..=5).map(|n| backoff.wait(n).as_millis()).collect();
        assert_eq!(waits, [100, 100, 200, 400, 700, 700]);
        let forever = Backoff {
            first: Duration::from_secs(1),
            max: Duration::MAX,
        };
        assert_eq!(forever.wait(u32::MAX), Duration::from_secs(1 << 30));
    }
}
