//! Keeping to Telegram's flood limits before Telegram has to say so: each
//! chat and the bot as a whole get a generic cell rate (GCRA) schedule, a
//! burst then one message per interval. A message first waits for its chat's
//! turn, then for a slot overall, so a busy chat never holds up the others.
//! A 429 from Telegram holds the chat back for the time it asked.
//!
//! Overall slots are not handed out first come, first served: messages
//! waiting for one queue by [`Priority`], so under a burst at the bot's
//! global limit an emergency's "call 911" takes the next slot instead of one
//! after every reply already waiting. Only the head of that queue reserves a
//! slot, so nothing is promised a time a more urgent message may need.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use carebot_chat::Priority;
use tokio::sync::Notify;
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
    /// Messages waiting for an overall slot, most urgent first, then in
    /// order of arrival; each is woken when it reaches the head.
    waiting: BTreeMap<Ticket, Arc<Notify>>,
    next_ticket: u64,
}

/// A place in the queue for an overall slot.
type Ticket = (Reverse<Priority>, u64);

/// When the next message would go if messages went at exactly the rate.
#[derive(Debug, Clone, Copy)]
struct Schedule {
    theoretical: Instant,
}

impl Schedule {
    /// The earliest send time at or after `now`, without reserving it.
    fn earliest(&self, rate: Rate, now: Instant) -> Instant {
        if rate.interval.is_zero() {
            return now;
        }
        let tolerance = rate.interval * rate.burst.max(1).saturating_sub(1);
        self.theoretical
            .checked_sub(tolerance)
            .map_or(now, |t| t.max(now))
    }

    /// Reserves a send time at or after `now`.
    fn reserve(&mut self, rate: Rate, now: Instant) -> Instant {
        let earliest = self.earliest(rate, now);
        if !rate.interval.is_zero() {
            self.theoretical = self.theoretical.max(earliest) + rate.interval;
        }
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
                waiting: BTreeMap::new(),
                next_ticket: 0,
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

    /// Waits until a message to `chat` may go: its chat's turn, then an
    /// overall slot, ahead of less urgent messages waiting for one.
    pub async fn acquire(&self, chat: i64, priority: Priority) {
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
        self.overall_slot(priority).await;
    }

    /// Queues for an overall slot and takes it once at the head of the queue.
    async fn overall_slot(&self, priority: Priority) {
        let rate = self.limits.overall;
        let woken = Arc::new(Notify::new());
        let ticket = {
            let mut state = self.state();
            let ticket = (Reverse(priority), state.next_ticket);
            state.next_ticket += 1;
            state.waiting.insert(ticket, woken.clone());
            ticket
        };
        // Leaves the queue however this ends (a caller may give up waiting),
        // waking whoever is at the head then.
        let _leave = Leave {
            limiter: self,
            ticket,
        };
        loop {
            let head_at = {
                let mut state = self.state();
                let now = Instant::now();
                let at_head = state.waiting.keys().next() == Some(&ticket);
                match at_head.then(|| state.overall.earliest(rate, now)) {
                    Some(at) if at <= now => {
                        state.overall.reserve(rate, now);
                        return;
                    }
                    other => other,
                }
            };
            match head_at {
                // A more urgent message arriving meanwhile takes this slot;
                // this one then waits to be woken at the head again.
                Some(at) => tokio::select! {
                    _ = tokio::time::sleep_until(at) => {}
                    _ = woken.notified() => {}
                },
                None => woken.notified().await,
            }
        }
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

/// Takes a ticket out of the overall queue and wakes the new head.
struct Leave<'a> {
    limiter: &'a Limiter,
    ticket: Ticket,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        let mut state = self.limiter.state();
        state.waiting.remove(&self.ticket);
        if let Some(head) = state.waiting.values().next() {
            head.notify_one();
        }
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
            limiter.acquire(chat, Priority::Reply).await;
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
        limiter.acquire(1, Priority::Reply).await;
        limiter.hold(1, Duration::from_secs(5));
        // After the wait, no burst: one a second.
        assert_eq!(times(&limiter, &[2, 1, 1]).await, [0, 5000, 6000]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_emergency_takes_the_next_overall_slot() {
        let limiter = Arc::new(Limiter::new(limits(0, 1, 100, 1)));
        let start = Instant::now();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let send = |chat: i64, priority: Priority| {
            let (limiter, sent) = (limiter.clone(), sent.clone());
            tokio::spawn(async move {
                limiter.acquire(chat, priority).await;
                let at = start.elapsed().as_millis();
                sent.lock().unwrap().push((chat, at));
            })
        };
        // Ten replies queue for the overall rate, one every 100 ms; an
        // emergency arriving meanwhile goes next, not eleventh.
        let burst: Vec<_> = (1..=10).map(|chat| send(chat, Priority::Reply)).collect();
        tokio::time::sleep(Duration::from_millis(150)).await;
        send(99, Priority::Emergency).await.unwrap();
        for task in burst {
            task.await.unwrap();
        }
        let sent = sent.lock().unwrap().clone();
        let order: Vec<i64> = sent.iter().map(|(chat, _)| *chat).collect();
        assert_eq!(order, [1, 2, 99, 3, 4, 5, 6, 7, 8, 9, 10]);
        let times: Vec<u128> = sent.iter().map(|(_, at)| *at).collect();
        assert_eq!(
            times,
            [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]
        );
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
