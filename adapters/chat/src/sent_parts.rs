//! Which parts of a split outbox message already went out. A reply too long
//! for one platform message goes as several; when a later part fails, the
//! outbox retries the whole message, and the recipient must not read the
//! first parts twice. Both adapters send their parts through
//! [`SentParts::send_remaining`], so they remember this the same way.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use crate::OutboundId;

/// Messages remembered at most. An entry lives only between a failure
/// halfway and the retry that finishes the message, so this is reached only
/// if messages fail halfway and are then dropped; forgetting then costs at
/// worst a part sent twice, never a part lost.
const REMEMBERED: usize = 10_000;

/// How many leading parts of each partly sent outbox message went out.
#[derive(Debug, Default)]
pub struct SentParts {
    sent: Mutex<HashMap<OutboundId, usize>>,
}

impl SentParts {
    fn sent(&self) -> std::sync::MutexGuard<'_, HashMap<OutboundId, usize>> {
        self.sent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends `parts` of message `id` in order through `send`, skipping those
    /// an earlier attempt already sent. On the first failure, remembers how
    /// far it got and returns the error; once all are sent, forgets `id`.
    pub async fn send_remaining<'a, P, E, Sent>(
        &self,
        id: OutboundId,
        parts: &'a [P],
        mut send: impl FnMut(&'a P) -> Sent,
    ) -> Result<(), E>
    where
        Sent: Future<Output = Result<(), E>>,
    {
        let already = self.sent().get(&id).copied().unwrap_or(0);
        for (index, part) in parts.iter().enumerate().skip(already) {
            if let Err(error) = send(part).await {
                let mut sent = self.sent();
                if sent.len() >= REMEMBERED {
                    sent.clear();
                }
                sent.insert(id, index);
                return Err(error);
            }
        }
        self.sent().remove(&id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Runs a future that never waits (the sends below are ready at once).
    fn now<T>(future: impl Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        let waker = std::task::Waker::noop();
        match future
            .as_mut()
            .poll(&mut std::task::Context::from_waker(waker))
        {
            std::task::Poll::Ready(value) => value,
            std::task::Poll::Pending => panic!("the sends below never wait"),
        }
    }

    #[test]
    fn a_retry_sends_only_the_parts_not_yet_sent() {
        let parts = ["one", "two", "three"];
        let memory = SentParts::default();
        let delivered = RefCell::new(Vec::new());
        let failing = RefCell::new(Some("three"));
        let send = |part: &&str| {
            let fail = *failing.borrow() == Some(*part);
            if fail {
                failing.borrow_mut().take();
            } else {
                delivered.borrow_mut().push(part.to_string());
            }
            async move {
                if fail {
                    Err("429")
                } else {
                    Ok(())
                }
            }
        };
        let id = OutboundId(7);
        assert_eq!(now(memory.send_remaining(id, &parts, send)), Err("429"));
        assert_eq!(now(memory.send_remaining(id, &parts, send)), Ok(()));
        assert_eq!(*delivered.borrow(), ["one", "two", "three"]);
        // Done: a later message with the same id (after a restart) starts over.
        assert!(memory.sent().is_empty());
    }
}
