//! What goes to a patient's record at the practice: the correspondence (every
//! message the patient wrote and every reply carebot gave, with the triage
//! level and rule), and the link a clinician made between the patient's chat
//! and their record number. `crate::record` turns these, with the patient's
//! cases, into FHIR.
//!
//! Both live in the `record` tree, sealed with the patient's key like their
//! conversation:
//!
//! | key | value |
//! |---|---|
//! | `c`, 0, patient address, 0, time (ns, big-endian), index (big-endian) | [`Correspondence`] |
//! | `l`, 0, patient address | [`RecordLink`] |
//!
//! The time in the key lets retention delete old correspondence without
//! opening it, and lists a patient's correspondence in the order it happened.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use carebot_chat::{Address, CaseId, Level, ReplyKind};

use super::{address_key, Owner, Store, StoreError, Trees};

/// One message between a patient and carebot, as kept for their record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correspondence {
    pub at: Timestamp,
    pub from_patient: bool,
    /// The patient's words (identifiers masked, as everywhere in the
    /// store), or carebot's reply as the patient saw it.
    pub text: String,
    /// For carebot's replies: what kind of reply it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ReplyKind>,
    /// For triage replies: the level of care advised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// The rule or FAQ entry that decided the reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// The case the message opened or joined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<CaseId>,
}

/// That a clinician linked a patient's chat to their record at the practice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordLink {
    /// The practice's identifier for the patient (a record number).
    pub identifier: String,
    /// The clinician who linked them, by name.
    pub by: String,
    pub at: Timestamp,
}

const CORRESPONDENCE: &[u8] = b"c\0";
const LINK: &[u8] = b"l\0";

/// The prefix of every correspondence key of `patient`'s.
fn correspondence_prefix(patient: &Address) -> Vec<u8> {
    let mut key = CORRESPONDENCE.to_vec();
    key.extend_from_slice(&address_key(patient));
    key.push(0);
    key
}

/// Nanoseconds since 1970, as an unsigned number that sorts as bytes (times
/// before 1970 do not occur; they sort first).
fn key_time(at: Timestamp) -> u64 {
    u64::try_from(at.as_nanosecond()).unwrap_or(0)
}

fn correspondence_key(patient: &Address, at: Timestamp, index: u16) -> Vec<u8> {
    let mut key = correspondence_prefix(patient);
    key.extend_from_slice(&key_time(at).to_be_bytes());
    key.extend_from_slice(&index.to_be_bytes());
    key
}

fn link_key(patient: &Address) -> Vec<u8> {
    let mut key = LINK.to_vec();
    key.extend_from_slice(&address_key(patient));
    key
}

/// The patient and time a correspondence key names; `None` for other keys.
fn parse_correspondence_key(key: &[u8]) -> Option<(Address, u64)> {
    let rest = key.strip_prefix(CORRESPONDENCE)?;
    let (address, suffix) = rest.split_at(rest.len().checked_sub(11)?);
    if suffix[0] != 0 {
        return None;
    }
    let split = address.iter().position(|&b| b == 0)?;
    let platform = std::str::from_utf8(&address[..split]).ok()?;
    let chat = std::str::from_utf8(&address[split + 1..]).ok()?;
    let time = u64::from_be_bytes(suffix[1..9].try_into().ok()?);
    Some((Address::new(platform, chat), time))
}

impl Store {
    /// Adds `messages` (all from one exchange, in order) to `patient`'s
    /// correspondence. Not flushed, like the conversation it goes with.
    pub fn keep_correspondence(
        &self,
        patient: &Address,
        messages: &[Correspondence],
    ) -> Result<(), StoreError> {
        self.with(|t| {
            for message in messages {
                // Messages at the same instant (one exchange; a clock that
                // stands still) follow each other. A patient's messages are
                // handled one at a time, so nobody else counts meanwhile.
                let mut same_time = correspondence_prefix(patient);
                same_time.extend_from_slice(&key_time(message.at).to_be_bytes());
                let before = t.record.records_with_prefix(&same_time)?.len();
                let index = u16::try_from(before).unwrap_or(u16::MAX);
                let key = correspondence_key(patient, message.at, index);
                let sealed = self.seal("record", Owner::of(patient), &key, message)?;
                t.record.insert(&key, sealed)?;
            }
            Ok(())
        })
    }

    /// `patient`'s correspondence, oldest first.
    pub fn correspondence(&self, patient: &Address) -> Result<Vec<Correspondence>, StoreError> {
        self.with(|t| {
            let mut all = Vec::new();
            for (key, value) in t
                .record
                .records_with_prefix(&correspondence_prefix(patient))?
            {
                if let Some(message) = self.unseal("record", &key, &value)? {
                    all.push(message);
                }
            }
            Ok(all)
        })
    }

    /// Every patient with correspondence kept.
    pub fn correspondents(&self) -> Result<Vec<Address>, StoreError> {
        self.with(|t| {
            let mut patients: Vec<Address> = Vec::new();
            for (key, _) in t.record.records_with_prefix(CORRESPONDENCE)? {
                if let Some((patient, _)) = parse_correspondence_key(&key) {
                    if patients.last() != Some(&patient) {
                        patients.push(patient);
                    }
                }
            }
            patients.dedup();
            Ok(patients)
        })
    }

    /// Links `patient` to their record at the practice (replacing any link).
    /// Durable on return: a clinician is told it is done.
    pub fn link_record(&self, patient: &Address, link: &RecordLink) -> Result<(), StoreError> {
        let key = link_key(patient);
        let sealed = self.seal("record", Owner::of(patient), &key, link)?;
        self.with(|t| t.record.insert(&key, sealed))?;
        self.flush()
    }

    /// Removes `patient`'s link to their record; whether there was one.
    pub fn unlink_record(&self, patient: &Address) -> Result<bool, StoreError> {
        let removed = self.with(|t| t.record.remove(&link_key(patient)))?;
        self.flush()?;
        Ok(removed.is_some())
    }

    /// `patient`'s link to their record, if a clinician made one.
    pub fn record_link(&self, patient: &Address) -> Result<Option<RecordLink>, StoreError> {
        let key = link_key(patient);
        self.with(|t| match t.record.get(&key)? {
            Some(bytes) => self.unseal("record", &key, &bytes),
            None => Ok(None),
        })
    }

    /// The keys of everything `patient` has in the record tree: what
    /// "forget me" deletes.
    pub(super) fn record_keys(
        &self,
        t: &Trees,
        patient: &Address,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut keys: Vec<Vec<u8>> = t
            .record
            .records_with_prefix(&correspondence_prefix(patient))?
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        let link = link_key(patient);
        if t.record.contains_key(&link)? {
            keys.push(link);
        }
        Ok(keys)
    }

    /// Deletes correspondence older than `cutoff`; how many messages.
    pub(super) fn purge_correspondence(
        &self,
        t: &Trees,
        cutoff: Timestamp,
    ) -> Result<usize, StoreError> {
        let cutoff = key_time(cutoff);
        let mut purged = 0;
        for (key, _) in t.record.records_with_prefix(CORRESPONDENCE)? {
            if parse_correspondence_key(&key).is_none_or(|(_, at)| at < cutoff) {
                t.record.remove(&key)?;
                purged += 1;
            }
        }
        Ok(purged)
    }

    /// Opens every record of the tree (for `Store::verify`); how many
    /// correspondence messages and links there are.
    pub(super) fn verify_record(&self, t: &Trees) -> Result<(usize, usize), StoreError> {
        let (mut messages, mut links) = (0, 0);
        for (key, value) in t.record.records()? {
            if key.starts_with(LINK) {
                if self.unseal::<RecordLink>("record", &key, &value)?.is_some() {
                    links += 1;
                }
            } else if self
                .unseal::<Correspondence>("record", &key, &value)?
                .is_some()
            {
                messages += 1;
            }
        }
        Ok((messages, links))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_correspondence_key_names_its_patient_and_time() {
        let patient = Address::new("telegram", "12345");
        let at: Timestamp = "2026-12-07T10:00:00Z".parse().unwrap();
        let key = correspondence_key(&patient, at, 3);
        assert_eq!(
            parse_correspondence_key(&key),
            Some((patient.clone(), key_time(at)))
        );
        assert!(key.starts_with(&correspondence_prefix(&patient)));
        // Another patient whose chat id begins with this one's is not
        // listed under it.
        let other = Address::new("telegram", "123456");
        assert!(!correspondence_key(&other, at, 0).starts_with(&correspondence_prefix(&patient)));
        assert_eq!(parse_correspondence_key(&link_key(&patient)), None);
    }

    #[test]
    fn keys_sort_in_the_order_things_happened() {
        let patient = Address::new("discord", "42");
        let early: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let late: Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
        assert!(correspondence_key(&patient, early, 9) < correspondence_key(&patient, late, 0));
        assert!(correspondence_key(&patient, late, 0) < correspondence_key(&patient, late, 1));
    }
}
