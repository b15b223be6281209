//! Patients' subscriptions to the practice's health notices, which notice
//! each subscriber has already been sent, and how far each notice has gone
//! out (queued, delivered, pending, given up on).
//!
//! A subscription is the patient's own standing request: it is kept until
//! they stop it or ask to be forgotten, and sealed with their key like their
//! conversation. A notice is queued for a subscriber in one transaction with
//! the record that it was (`sent` below), so a notice is queued once per
//! subscriber, whatever crashes or restarts happen between two rounds of
//! sending.

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use carebot_chat::{Address, Purpose, Reply};

use super::cases::Writer;
use super::{address_key, encode, Effects, NewOutbound, Owner, Store, StoreError, Trees};

/// What "forget me" deletes of a patient's subscription.
pub(super) struct SubscriptionKeys {
    pub keys: Vec<Vec<u8>>,
    /// Whether they had a subscription.
    pub subscribed: bool,
}

/// A patient's subscription to notices on some of the practice's topics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub patient: Address,
    pub topics: BTreeSet<String>,
    /// When they last changed it.
    pub since: Timestamp,
}

/// That a notice was queued for a subscriber, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Sent {
    at: Timestamp,
    /// When it was given up on: the subscriber's chat refuses the bot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failed: Option<Timestamp>,
}

/// How far one notice has gone out to its subscribers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeProgress {
    /// Messages queued for subscribers so far (one per subscriber).
    pub queued: usize,
    /// Delivered: the platform took them.
    pub sent: usize,
    /// Still in the outbox, waiting or being retried.
    pub pending: usize,
    /// Given up on: the subscriber's chat refuses the bot.
    pub failed: usize,
}

fn subscription_key(patient: &Address) -> Vec<u8> {
    let mut key = b"s\0".to_vec();
    key.extend_from_slice(&address_key(patient));
    key
}

/// The prefix of every `sent` record of `patient`'s.
fn sent_prefix(patient: &Address) -> Vec<u8> {
    let mut key = b"d\0".to_vec();
    key.extend_from_slice(&address_key(patient));
    key.push(0);
    key
}

fn sent_key(patient: &Address, notice: &str) -> Vec<u8> {
    let mut key = sent_prefix(patient);
    key.extend_from_slice(notice.as_bytes());
    key
}

impl Store {
    /// `patient`'s subscription, if they have one.
    pub fn subscription(&self, patient: &Address) -> Result<Option<Subscription>, StoreError> {
        let key = subscription_key(patient);
        self.with(|t| match t.subscriptions.get(&key)? {
            Some(bytes) => self.unseal("subscriptions", &key, &bytes),
            None => Ok(None),
        })
    }

    /// Sets `patient`'s topics; no topics deletes the subscription.
    pub fn set_subscription(
        &self,
        patient: &Address,
        topics: BTreeSet<String>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let key = subscription_key(patient);
        self.with(|t| {
            if topics.is_empty() {
                t.subscriptions.remove(&key)?;
                return Ok(());
            }
            let subscription = Subscription {
                patient: patient.clone(),
                topics: topics.clone(),
                since: now,
            };
            let sealed = self.seal("subscriptions", Owner::of(patient), &key, &subscription)?;
            t.subscriptions.insert(&key, sealed)
        })
    }

    /// Every subscription.
    pub fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        self.with(|t| {
            let mut all = Vec::new();
            for (key, value) in t.subscriptions.records_with_prefix(b"s\0")? {
                if let Some(subscription) = self.unseal("subscriptions", &key, &value)? {
                    all.push(subscription);
                }
            }
            Ok(all)
        })
    }

    /// Queues `reply` (the notice `notice`) for `patient` unless it was
    /// queued for them before; whether it was queued now. The message and
    /// the record that it was queued are stored together or not at all.
    pub fn queue_notice(
        &self,
        notice: &str,
        patient: &Address,
        reply: &Reply,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let key = sent_key(patient, notice);
        self.with(|t| {
            // Most subscribers had it in an earlier round: a plain read, not
            // a transaction, which on sled holds every other store operation
            // (a patient's emergency included) while it runs. 10,000 of them
            // in a round held an emergency's advice for up to 0.9 s. The
            // transaction checks again.
            if t.subscriptions.contains_key(&key)? {
                return Ok(false);
            }
            t.transaction(|tx| {
                if tx.subscriptions.get(&key)?.is_some() {
                    return Ok(false);
                }
                let effects = Effects {
                    deliveries: vec![NewOutbound {
                        to: patient.clone(),
                        purpose: Purpose::HealthNotice,
                        reply: reply.clone(),
                    }],
                    ..Effects::default()
                };
                Writer {
                    store: self,
                    case: None,
                    tx,
                }
                .apply(&effects, now)?;
                let sent = Sent {
                    at: now,
                    failed: None,
                };
                tx.subscriptions
                    .insert(&key, encode("subscriptions", &sent)?)?;
                Ok(true)
            })
        })
    }

    /// Notes that `notice` could not be delivered to `patient` and was
    /// given up on (their chat refuses the bot), for its progress.
    pub fn notice_failed(
        &self,
        notice: &str,
        patient: &Address,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let key = sent_key(patient, notice);
        self.with(|t| {
            let Some(bytes) = t.subscriptions.get(&key)? else {
                return Ok(());
            };
            let mut sent: Sent = super::decode("subscriptions", &key, &bytes)?;
            sent.failed.get_or_insert(now);
            t.subscriptions
                .insert(&key, encode("subscriptions", &sent)?)
        })
    }

    /// Each notice's progress, by notice id, from the records of what was
    /// queued (kept for the retention period) and the outbox now.
    pub fn notice_progress(
        &self,
    ) -> Result<std::collections::BTreeMap<String, NoticeProgress>, StoreError> {
        let mut progress: std::collections::BTreeMap<String, NoticeProgress> = Default::default();
        let records = self.with(|t| t.subscriptions.records_with_prefix(b"d\0"))?;
        for (key, value) in records {
            // The notice id follows the last separator (`sent_key`).
            let Some(at) = key.iter().rposition(|&byte| byte == 0) else {
                continue;
            };
            let notice = String::from_utf8_lossy(&key[at + 1..]).into_owned();
            let sent: Sent = super::decode("subscriptions", &key, &value)?;
            let entry = progress.entry(notice).or_default();
            entry.queued += 1;
            if sent.failed.is_some() {
                entry.failed += 1;
            }
        }
        for item in self.outbox()? {
            let message = &item.message;
            if message.purpose != Purpose::HealthNotice {
                continue;
            }
            if let Some(entry) = message
                .reply
                .entry
                .as_ref()
                .and_then(|notice| progress.get_mut(notice))
            {
                entry.pending += 1;
            }
        }
        for entry in progress.values_mut() {
            entry.sent = entry.queued.saturating_sub(entry.pending + entry.failed);
        }
        Ok(progress)
    }

    /// Decodes every subscription and every record of a notice sent (for
    /// `Store::verify`); how many subscriptions there are.
    pub(super) fn verify_subscriptions(&self, t: &Trees) -> Result<usize, StoreError> {
        let mut subscriptions = 0;
        for (key, value) in t.subscriptions.records()? {
            if key.starts_with(b"p\0") {
                super::decode::<super::PublishedNotice>("subscriptions", &key, &value)?;
            } else if key.starts_with(b"s\0") {
                if self
                    .unseal::<Subscription>("subscriptions", &key, &value)?
                    .is_some()
                {
                    subscriptions += 1;
                }
            } else {
                super::decode::<Sent>("subscriptions", &key, &value)?;
            }
        }
        Ok(subscriptions)
    }

    /// The keys of `patient`'s subscription and of the records of what they
    /// were sent: what "forget me" deletes.
    pub(super) fn subscription_keys(
        &self,
        t: &Trees,
        patient: &Address,
    ) -> Result<SubscriptionKeys, StoreError> {
        let mut keys: Vec<Vec<u8>> = t
            .subscriptions
            .records_with_prefix(&sent_prefix(patient))?
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        let subscription = subscription_key(patient);
        let subscribed = t.subscriptions.contains_key(&subscription)?;
        keys.push(subscription);
        Ok(SubscriptionKeys { keys, subscribed })
    }

    /// Deletes the records of notices queued before `cutoff` (they name a
    /// patient); how many.
    pub(super) fn purge_sent_notices(
        &self,
        t: &Trees,
        cutoff: Timestamp,
    ) -> Result<usize, StoreError> {
        let mut purged = 0;
        for (key, value) in t.subscriptions.records_with_prefix(b"d\0")? {
            let sent: Option<Sent> = serde_json::from_slice(&value).ok();
            if sent.is_none_or(|sent| sent.at < cutoff) {
                t.subscriptions.remove(&key)?;
                purged += 1;
            }
        }
        Ok(purged)
    }
}
