//! The outbox: messages kept until an adapter confirms delivery.
//!
//! Items for one recipient go out most urgent first (see
//! [`Priority`](carebot_chat::Priority): a new emergency case before updates
//! on other cases), and in the order they were queued among equally urgent
//! ones. While a recipient's next item waits for its retry, the items behind
//! it wait too, so a patient never gets a clinician's second message before
//! the first. Recipients do not wait for each other.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};

use jiff::Timestamp;

use carebot_chat::{Address, CaseId, OutboundId, Purpose};

use super::{id_key, Effects, NewOutbound, OutboxItem, Owner, Store, StoreError};

impl Store {
    /// Queues messages for delivery, durably.
    pub fn enqueue(&self, deliveries: Vec<NewOutbound>, now: Timestamp) -> Result<(), StoreError> {
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
        self.with(|t| {
            Ok(self
                .all_sealed("outbox", &t.outbox)?
                .into_iter()
                .map(|(_, item)| item)
                .collect())
        })
    }

    /// Queued messages for `to`, oldest first.
    pub fn outbox_for(&self, to: &Address) -> Result<Vec<OutboxItem>, StoreError> {
        Ok(self
            .outbox()?
            .into_iter()
            .filter(|item| &item.message.to == to)
            .collect())
    }

    /// Every queued message in the order it should go: most urgent first,
    /// oldest first among equally urgent ones.
    fn in_turn(&self) -> Result<Vec<OutboxItem>, StoreError> {
        let mut items = self.outbox()?;
        // Stable, and the outbox reads oldest first: equally urgent items
        // keep the order they were queued in.
        items.sort_by_key(|item| Reverse(item.message.priority()));
        Ok(items)
    }

    /// Up to `limit` messages to try now, in turn (see the module notes on
    /// order): for each recipient, its messages up to the first that waits
    /// for a retry.
    pub fn due(&self, now: Timestamp, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        let mut waiting: HashSet<Address> = HashSet::new();
        let mut due = Vec::new();
        for item in self.in_turn()? {
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

    /// Each recipient's next message (the others wait behind it), most
    /// urgent first: what the dispatcher sends, or waits to retry.
    pub fn next_per_recipient(&self) -> Result<Vec<OutboxItem>, StoreError> {
        Ok(self.next_per_recipient_and_backlog()?.0)
    }

    /// [`Store::next_per_recipient`], and the recipients with more messages
    /// waiting behind their next one: once it is delivered, the dispatcher
    /// reads the outbox again for those only.
    pub fn next_per_recipient_and_backlog(
        &self,
    ) -> Result<(Vec<OutboxItem>, HashSet<Address>), StoreError> {
        let mut next = Vec::new();
        let mut seen: HashSet<Address> = HashSet::new();
        let mut backlog: HashSet<Address> = HashSet::new();
        for item in self.in_turn()? {
            if seen.insert(item.message.to.clone()) {
                next.push(item);
            } else {
                backlog.insert(item.message.to.clone());
            }
        }
        Ok((next, backlog))
    }

    /// When the next message can be tried: the earliest retry time among
    /// each recipient's next message.
    pub fn next_attempt(&self) -> Result<Option<Timestamp>, StoreError> {
        Ok(self
            .next_per_recipient()?
            .into_iter()
            .map(|item| item.next_attempt_at)
            .min())
    }

    /// Queued updates on `case` to each recipient, by recipient: a newer
    /// update replaces them (see [`Effects::superseded`]).
    pub fn pending_updates(
        &self,
        case: CaseId,
    ) -> Result<HashMap<Address, Vec<OutboundId>>, StoreError> {
        let mut pending: HashMap<Address, Vec<OutboundId>> = HashMap::new();
        for item in self.outbox()? {
            if item.message.purpose == (Purpose::CaseUpdated { case }) {
                pending
                    .entry(item.message.to)
                    .or_default()
                    .push(item.message.id);
            }
        }
        Ok(pending)
    }

    /// The adapter delivered `id`: forget it. Returns whether it was queued.
    ///
    /// Not flushed: if a crash loses this, the message is delivered again,
    /// which adapters must tolerate anyway (at-least-once delivery).
    pub fn delivered(&self, id: OutboundId) -> Result<bool, StoreError> {
        self.with(|t| Ok(t.outbox.remove(&id_key(id.0))?.is_some()))
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
        self.with(|t| loop {
            let Some(old) = t.outbox.get(&key)? else {
                return Ok(None);
            };
            let Some(mut item) = self.unseal::<OutboxItem>("outbox", &key, &old)? else {
                return Ok(None);
            };
            item.attempts = item.attempts.saturating_add(1);
            item.next_attempt_at = retry_at;
            item.last_error = Some(error.chars().take(200).collect());
            // Sealed again with the key it was sealed with (an item stored
            // before sealing existed is sealed for its recipient).
            let owner = Owner::of_sealed(&old).unwrap_or_else(|| Owner::of(&item.message.to));
            let new = self.seal("outbox", owner, &key, &item)?;
            if t.outbox.compare_and_swap(&key, Some(&old), Some(&new))? {
                return Ok(Some(item.attempts));
            }
        })
    }
}
