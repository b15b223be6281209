//! Keeping to Telegram's flood limits before Telegram has to say so: each
//! chat and the bot as a whole get a generic cell rate (GCRA) schedule, a
//! burst then one message per interval. A message first waits for its chat's
//! turn, then for a slot overall, so a busy chat never holds up the others.
//! A 429 from Telegram holds the chat back for the time it asked.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::settings::{Limits, Rate};

/// Chats remembered before idle ones are forgotten.
const REMEMBERED_CHATS: usize = 10_000;

#[derive(Debug)]
pub struct Limiter {
    limits: Limits,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    overall: Schedule,
    chats: HashMap<i64, Schedule>,
}

/// When the next message would go if messages went at exactly the rate.
#[derive(Debug, Clone, Copy)]
struct Schedule {
    theoretical: Instant,
}

impl Schedule {
    /// Reserves a send time at or after `now`.
    fn reserve(&mut self, rate: Rate, now: Instant) -> Instant {
        if rate.interval.is_zero() {
            return now;
        }
        let tolerance = rate.interval * rate.burst.max(1).saturating_sub(1);
        let earliest = self
            .theoretical
            .checked_sub(tolerance)
            .map_or(now, |t| t.max(now));
        self.theoretical = self.theoretical.max(earliest) + rate.interval;
        earliest
    }

    /// Nothing before `until`.
    fn hold(&mut self, rate: Rate, until: Instant) {
        let tolerance = rate.interval * rate.burst.max(1).saturating_sub(1);
        self.theoretical = self.theoretical.max(until + tolerance);
    }
}

impl Limiter {
    pub fn new(limits: Limits) -> Limiter {
        let now = Instant::now();
        Limiter {
            limits,
            state: Mutex::new(State {
                overall: Schedule { theoretical: now },
                chats: HashMap::new(),
            }),
        }
    }

    /// Groups (negative chat ids) are held to the group rate.
    fn rate(&self, chat: i64) -> Rate {
        if chat < 0 {
            self.limits.group
        } else {
            self.limits.private_chat
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until a message to `chat` may go.
    pub async fn acquire(&self, chat: i64) {
        let rate = self.rate(chat);
        let at = {
            let now = Instant::now();
            let mut state = self.state();
            if state.chats.len() > REMEMBERED_CHATS {
                state.chats.retain(|_, s| s.theoretical > now);
            }
            state
                .chats
                .entry(chat)
                .or_insert(Schedule { theoretical: now })
                .reserve(rate, now)
        };
        tokio::time::sleep_until(at).await;
        let at = {
            let overall = self.limits.overall;
            self.state().overall.reserve(overall, Instant::now())
        };
        tokio::time::sleep_until(at).await;
    }

    /// Telegram said to wait `wait` before writing to `chat` again.
    pub fn hold(&self, chat: i64, wait: Duration) {
        let rate = self.rate(chat);
        let until = Instant::now() + wait;
        self.state()
            .chats
            .entry(chat)
            .or_insert(Schedule {
                theoretical: Instant::now(),
            })
            .hold(rate, until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(chat_ms: u64, chat_burst: u32, overall_ms: u64, overall_burst: u32) -> Limits {
        Limits {
            private_chat: Rate {
                interval: Duration::from_millis(chat_ms),
                burst: chat_burst,
            },
            group: Rate {
                interval: Duration::from_millis(chat_ms * 3),
                burst: chat_burst,
            },
            overall: Rate {
                interval: Duration::from_millis(overall_ms),
                burst: overall_burst,
            },
        }
    }

    /// Milliseconds since `start` at which each acquire returned.
    async fn times(limiter: &Limiter, chats: &[i64]) -> Vec<u128> {
        let start = Instant::now();
        let mut times = Vec::new();
        for &chat in chats {
            limiter.acquire(chat).await;
            times.push(start.elapsed().as_millis());
        }
        times
    }

    #[tokio::test(start_paused = true)]
    async fn a_chat_gets_its_burst_then_one_a_second() {
        let limiter = Limiter::new(limits(1000, 3, 0, 1));
        assert_eq!(
            times(&limiter, &[1, 1, 1, 1, 1]).await,
            [0, 0, 0, 1000, 2000]
        );
        // Another chat is not held up by the first.
        assert_eq!(times(&limiter, &[2, 2]).await, [0, 0]);
        // Groups go slower.
        assert_eq!(times(&limiter, &[-5, -5, -5, -5]).await, [0, 0, 0, 3000]);
    }

    #[tokio::test(start_paused = true)]
    async fn all_chats_share_the_overall_rate() {
        let limiter = Limiter::new(limits(1000, 1, 100, 2));
        let chats: Vec<i64> = (1..=5).collect();
        assert_eq!(times(&limiter, &chats).await, [0, 0, 100, 200, 300]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_holds_the_chat_back() {
        let limiter = Limiter::new(limits(1000, 3, 0, 1));
        limiter.acquire(1).await;
        limiter.hold(1, Duration::from_secs(5));
        // After the wait, no burst: one a second.
        assert_eq!(times(&limiter, &[2, 1, 1]).await, [0, 5000, 6000]);
    }

    #[tokio::test(start_paused = true)]
    async fn unlimited_never_waits() {
        let limiter = Limiter::new(Limits {
            private_chat: Rate::UNLIMITED,
            group: Rate::UNLIMITED,
            overall: Rate::UNLIMITED,
        });
        assert_eq!(times(&limiter, &[1; 100]).await, [0; 100]);
    }
}
