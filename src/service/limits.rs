//! The door a patient's message comes through: per-patient rate limiting
//! ([`crate::ratelimit`]) before anything is read or stored, so that one
//! patient (or a script) flooding the bot gets one "please slow down" and
//! costs everyone else nothing. Two exceptions, however fast the message came:
//! one that reads as an emergency on its own, and the answer to a follow-up
//! question the bot asked (the bot asked for it, and the advice waits on it).

use std::sync::atomic::Ordering;
use std::sync::Mutex;

use carebot_chat::{Address, Level, Reply, ReplyKind};

use super::Service;
use crate::conversation::Pending;
use crate::ratelimit::{RateDecision, RateLimit, RateLimiter};

/// What happens to a patient's message at the door.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Admission {
    /// Handle it as usual.
    Handle,
    /// Too fast, the first time in this flood: send this notice instead.
    SlowDown(Reply),
    /// Too fast, and already told: drop it without a reply.
    Drop,
}

impl Service {
    /// Replaces the default per-patient rate limit (a deployment setting:
    /// `[limits]` in `carebot.toml`).
    pub fn with_rate_limit(mut self, limit: RateLimit) -> Service {
        self.rate_limiter = Mutex::new(RateLimiter::new(limit));
        self
    }

    /// How many patient messages have been held back by the rate limit (with
    /// a notice or without) since start.
    pub fn rate_limited(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }

    /// Counts a message from `patient` against their allowance and says what
    /// to do with it.
    pub(super) fn admit(&self, patient: &Address, text: &str) -> Admission {
        let decision = self
            .rate_limiter
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .check(&patient.to_string(), self.now());
        if decision == RateDecision::Allow || self.awaits_follow_up_answer(patient) {
            return Admission::Handle;
        }
        // Someone sending message after message may be the one in trouble. A
        // look at this message alone (its words only: a few microseconds,
        // however many arrive; nothing stored) lets an emergency through
        // whatever the rate.
        let engine = self.engine();
        let outcome = engine.glance(text);
        if outcome.reply.level == Some(Level::Emergency) {
            return Admission::Handle;
        }
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
        match decision {
            RateDecision::SlowDown { retry_after } => {
                tracing::info!(
                    platform = %patient.platform,
                    retry_after_s = retry_after.as_secs_f64().ceil(),
                    "a patient is sending messages too fast: slow-down notice sent"
                );
                Admission::SlowDown(Reply::plain(
                    ReplyKind::Notice,
                    engine.knowledge().practice.messages.slow_down.clone(),
                ))
            }
            _ => Admission::Drop,
        }
    }

    /// Whether the bot's last word to `patient` was a triage follow-up
    /// question: their answer decides the advice, so a flood must not swallow
    /// it. The chain of questions is short, so this cannot keep a flood open.
    fn awaits_follow_up_answer(&self, patient: &Address) -> bool {
        self.load_record(patient, self.now())
            .is_ok_and(|record| matches!(record.state.pending, Some(Pending::FollowUp { .. })))
    }
}
