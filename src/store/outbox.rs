//! The outbox: messages kept until an adapter confirms delivery.
//!
//! Items for one recipient go out in the order they were queued: while an
//! earlier item for a chat waits for its retry, later ones for that chat wait
//! too, so a patient never gets a clinician's second message before the first.

use std::collections::HashSet;

use jiff::Timestamp;

use carebot_chat::{Address, OutboundId};

use super::{decode, encode, id_key, Delivery, Effects, OutboxItem, Store, StoreError};

impl Store {
    /// Queues messages for delivery, durably.
    pub fn enqueue(&self, deliveries: Vec<Delivery>, now: Timestamp) -> Result<(), StoreError> {
        self.apply(
            &Effects {
                deliveries,
                ..Effects::default()
            },
            now,
        )
    }

    /// Every queued message, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxItem>, StoreError> {
        Ok(super::all("outbox", &self.trees.outbox)?
            .into_iter()
            .map(|(_, item)| item)
            .collect())
    }

    /// Queued messages for `to`, oldest first.
    pub fn outbox_for(&self, to: &Address) -> Result<Vec<OutboxItem>, StoreError> {
        Ok(self
            .outbox()?
            .into_iter()
            .filter(|item| &item.message.to == to)
            .collect())
    }

    /// Up to `limit` messages to try now, oldest first, at most the first
    /// waiting one per recipient's turn (see the module notes on order).
    pub fn due(&self, now: Timestamp, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        let mut waiting: HashSet<Address> = HashSet::new();
        let mut due = Vec::new();
        for item in self.outbox()? {
            if due.len() >= limit {
                break;
            }
            let to = &item.message.to;
            if waiting.contains(to) {
                continue;
            }
            if item.next_attempt_at <= now {
                due.push(item);
            } else {
                waiting.insert(to.clone());
            }
        }
        Ok(due)
    }

    /// When the next message can be tried: the earliest retry time among the
    /// first queued message of each recipient (later ones wait behind it).
    pub fn next_attempt(&self) -> Result<Option<Timestamp>, StoreError> {
        let mut seen: HashSet<Address> = HashSet::new();
        Ok(self
            .outbox()?
            .into_iter()
            .filter(|item| seen.insert(item.message.to.clone()))
            .map(|item| item.next_attempt_at)
            .min())
    }

    /// The adapter delivered `id`: forget it. Returns whether it was queued.
    ///
    /// Not flushed: if a crash loses this, the message is delivered again,
    /// which adapters must tolerate anyway (at-least-once delivery).
    pub fn delivered(&self, id: OutboundId) -> Result<bool, StoreError> {
        Ok(self.trees.outbox.remove(id_key(id.0))?.is_some())
    }

    /// Delivery of `id` failed: try again at `retry_at`. Returns the number of
    /// failed attempts so far, or `None` when the item is gone (delivered or
    /// deleted meanwhile).
    pub fn delivery_failed(
        &self,
        id: OutboundId,
        retry_at: Timestamp,
        error: &str,
    ) -> Result<Option<u32>, StoreError> {
        let key = id_key(id.0);
        loop {
            let Some(old) = self.trees.outbox.get(key)? else {
                return Ok(None);
            };
            let mut item: OutboxItem = decode("outbox", &key, &old)?;
            item.attempts = item.attempts.saturating_add(1);
            item.next_attempt_at = retry_at;
            item.last_error = Some(error.chars().take(200).collect());
            let new = encode("outbox", &item)?;
            if self
                .trees
                .outbox
                .compare_and_swap(key, Some(old), Some(new))?
                .is_ok()
            {
                return Ok(Some(item.attempts));
            }
        }
    }
}
