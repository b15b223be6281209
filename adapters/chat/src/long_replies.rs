//! Button replies too long for a platform's button payload (Telegram's 64-byte
//! callback data, Discord's 100-character `custom_id`): the adapter remembers
//! the text here and puts a short key on the button instead.
//!
//! The key is a fixed hash of the text, not a counter, for two reasons:
//! a counter restarts at 0 with the process, so an old button tapped after a
//! restart would resolve to whatever *new* text got its number; and the
//! outbox retries a failed send, which with a counter would store the same
//! text again under a new key each time. With a hash the same text always has
//! the same key, and a key this process never stored resolves to `None` (the
//! adapter then says the button expired), never to another text.
//!
//! The hash is FNV-1a 64, written out here rather than `RandomState`, which
//! is seeded per process and so would give a different key after a restart.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Long button replies by key, forgetting the oldest past a cap.
#[derive(Debug)]
pub struct LongReplies {
    cap: usize,
    inner: Mutex<Remembered>,
}

#[derive(Debug, Default)]
struct Remembered {
    replies: HashMap<u64, String>,
    /// Keys, least recently stored first: what goes when the cap is reached.
    order: VecDeque<u64>,
}

impl LongReplies {
    /// A store remembering at most `cap` texts (at least one).
    pub fn new(cap: usize) -> LongReplies {
        LongReplies {
            cap: cap.max(1),
            inner: Mutex::new(Remembered::default()),
        }
    }

    /// The key of `text`: the same in every process and on every call.
    pub fn key(text: &str) -> u64 {
        const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        text.bytes().fold(OFFSET_BASIS, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(PRIME)
        })
    }

    /// Remembers `text` and returns its key. Storing a text again (a resend,
    /// an outbox retry) keeps one entry and makes it the newest, so a button
    /// just sent is not the next to be forgotten.
    pub fn remember(&self, text: &str) -> u64 {
        let key = LongReplies::key(text);
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        // A 64-bit collision between two button texts is not a practical
        // concern; should one happen, the newer text wins.
        if inner.replies.insert(key, text.to_string()).is_some() {
            if let Some(at) = inner.order.iter().position(|k| *k == key) {
                inner.order.remove(at);
            }
        }
        inner.order.push_back(key);
        while inner.order.len() > self.cap {
            if let Some(old) = inner.order.pop_front() {
                inner.replies.remove(&old);
            }
        }
        key
    }

    /// The text stored under `key`; `None` if this process never stored it or
    /// has forgotten it since.
    pub fn get(&self, key: u64) -> Option<String> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.replies.get(&key).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_text_gets_the_same_key_once() {
        let replies = LongReplies::new(10);
        let text = "It started more than a week ago and has been getting worse";
        let key = replies.remember(text);
        assert_eq!(replies.remember(text), key, "a retry stores nothing new");
        assert_eq!(LongReplies::key(text), key);
        assert_eq!(replies.inner.lock().unwrap().order.len(), 1);
        assert_eq!(replies.get(key).as_deref(), Some(text));
        // Pinned, so a change of hash (which would expire every button sent
        // before an upgrade) is a deliberate one.
        assert_eq!(LongReplies::key(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(LongReplies::key("a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn a_key_from_another_process_never_reads_as_another_text() {
        let before = LongReplies::new(10);
        let old = before.remember("the first long reply this process stored");
        // After a restart: a fresh store, which has seen other texts.
        let after = LongReplies::new(10);
        let new = after.remember("the first long reply the new process stored");
        assert_ne!(old, new);
        assert_eq!(after.get(old), None);
    }

    #[test]
    fn the_oldest_text_goes_first() {
        let replies = LongReplies::new(2);
        let one = replies.remember("one");
        let two = replies.remember("two");
        // Stored again: now the newest, so "two" is the one forgotten.
        replies.remember("one");
        let three = replies.remember("three");
        assert_eq!(replies.get(one).as_deref(), Some("one"));
        assert_eq!(replies.get(two), None);
        assert_eq!(replies.get(three).as_deref(), Some("three"));
    }
}
