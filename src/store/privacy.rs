//! A patient's data as a whole: showing it to them, deleting it when they ask,
//! and deleting old data when the retention period is over.

use std::collections::HashSet;

use jiff::Timestamp;
use serde::Serialize;

use carebot_chat::{Address, CaseId};

use super::tree::Tree;
use super::{
    address_key, all, encode, id_key, Correspondence, NoticeShown, OutboxItem, Owner,
    PatientRecord, RecordLink, Store, StoreError, Subscription, Trees, UnansweredQuestion,
};
use crate::audit::AuditEntry;
use crate::handoff::HandoffCase;

/// Everything stored about one patient.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatientData {
    pub notice: Option<NoticeShown>,
    pub conversation: Option<PatientRecord>,
    pub cases: Vec<HandoffCase>,
    /// Messages to them (or about their cases) not yet delivered.
    pub outbox: Vec<OutboxItem>,
    /// The health-notice topics they subscribed to.
    pub subscription: Option<Subscription>,
    /// Their messages and carebot's replies, kept for their record.
    pub correspondence: Vec<Correspondence>,
    /// The link a clinician made to their record at the practice.
    pub record_link: Option<RecordLink>,
}

/// What "forget me" deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Forgotten {
    pub cases: Vec<CaseId>,
    pub conversation: bool,
    pub notice: bool,
    pub outbox: usize,
    pub audit: usize,
    /// Their subscription to health notices.
    pub subscription: bool,
    /// Messages kept for their record, and the link to it.
    pub record: usize,
}

/// What a retention purge deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Purged {
    pub conversations: usize,
    pub cases: usize,
    pub notices: usize,
    /// Unanswered questions (for the practice's report) last asked before
    /// the retention period: patients' words, even redacted, are not kept
    /// longer than their conversations.
    pub unanswered: usize,
    /// Audit entries older than the audit log's own retention period.
    pub audit: usize,
    /// Records that a health notice was sent to a subscriber (they name the
    /// patient), older than the retention period.
    pub sent_notices: usize,
    /// Messages kept for patients' records, older than the retention period.
    pub correspondence: usize,
}

impl Store {
    /// Everything stored about `patient`.
    pub fn patient_data(&self, patient: &Address) -> Result<PatientData, StoreError> {
        let cases: Vec<HandoffCase> = self
            .cases()?
            .into_iter()
            .filter(|case| &case.patient == patient)
            .collect();
        let ids: HashSet<CaseId> = cases.iter().map(|case| case.id).collect();
        let outbox = self
            .outbox_about(patient, &ids)?
            .into_iter()
            .map(|(_, item)| item)
            .collect();
        Ok(PatientData {
            notice: self.notice_shown(patient)?,
            conversation: self.conversation(patient)?,
            cases,
            outbox,
            subscription: self.subscription(patient)?,
            correspondence: self.correspondence(patient)?,
            record_link: self.record_link(patient)?,
        })
    }

    /// Deletes everything stored about `patient`: conversation, notice, cases,
    /// queued messages, and audit entries that name them. `deletion` makes the
    /// one audit entry that stays: that the deletion happened. Durable on return.
    pub fn forget(
        &self,
        patient: &Address,
        deletion: impl Fn(&Forgotten) -> AuditEntry,
    ) -> Result<Forgotten, StoreError> {
        self.with(|t| self.forget_in(t, patient, deletion))
    }

    fn forget_in(
        &self,
        t: &Trees,
        patient: &Address,
        deletion: impl Fn(&Forgotten) -> AuditEntry,
    ) -> Result<Forgotten, StoreError> {
        let cases: Vec<(Vec<u8>, HandoffCase)> = self
            .all_sealed::<HandoffCase>("cases", &t.cases)?
            .into_iter()
            .filter(|(_, case)| &case.patient == patient)
            .collect();
        let ids: HashSet<CaseId> = cases.iter().map(|(_, case)| case.id).collect();
        let outbox_keys: Vec<Vec<u8>> = self
            .outbox_about(patient, &ids)?
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        let audit_keys: Vec<Vec<u8>> = all::<AuditEntry>("audit", &t.audit)?
            .into_iter()
            .filter(|(_, entry)| {
                entry.patient.as_ref() == Some(patient)
                    || entry.case.is_some_and(|id| ids.contains(&id))
            })
            .map(|(key, _)| key)
            .collect();
        let patient_key = address_key(patient);
        let owner = Owner::of(patient);
        let unanswered_keys: Vec<Vec<u8>> = t
            .unanswered
            .records_with_prefix(owner.as_bytes())?
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        let subscription_keys = self.subscription_keys(t, patient)?;
        let record_keys = self.record_keys(t, patient)?;
        let mut forgotten = Forgotten {
            cases: cases.iter().map(|(_, case)| case.id).collect(),
            conversation: t.conversations.contains_key(&patient_key)?,
            notice: t.notices.contains_key(&patient_key)?,
            outbox: outbox_keys.len(),
            audit: audit_keys.len(),
            subscription: subscription_keys.subscribed,
            record: record_keys.len(),
        };
        let entry = deletion(&forgotten);
        t.transaction(|tx| {
            tx.conversations.remove(&patient_key)?;
            for key in &unanswered_keys {
                tx.unanswered.remove(key)?;
            }
            tx.notices.remove(&patient_key)?;
            for (key, _) in &cases {
                tx.cases.remove(key)?;
            }
            for key in &outbox_keys {
                tx.outbox.remove(key)?;
            }
            for key in &audit_keys {
                tx.audit.remove(key)?;
            }
            for key in &subscription_keys.keys {
                tx.subscriptions.remove(key)?;
            }
            for key in &record_keys {
                tx.record.remove(key)?;
            }
            let id = tx.audit.generate_id()?;
            tx.audit.insert(&id_key(id), encode("audit", &entry)?)?;
            tx.flush_on_commit();
            Ok(())
        })?;
        // A clinician's reply queued while the above ran would otherwise
        // outlive the deletion.
        let late = self.outbox_about(patient, &ids)?;
        for (key, _) in &late {
            t.outbox.remove(key)?;
        }
        forgotten.outbox += late.len();
        self.flush()?;
        // What the records above held may still sit in sled's old segments
        // and in backups, sealed with this key: destroying it makes all of
        // that unreadable, and anything written for them meanwhile too.
        self.shared.keys.shred(owner)?;
        Ok(forgotten)
    }

    /// Queued messages to `patient` or about one of their `cases` (to
    /// clinicians), with their keys, oldest first.
    fn outbox_about(
        &self,
        patient: &Address,
        cases: &HashSet<CaseId>,
    ) -> Result<Vec<(Vec<u8>, OutboxItem)>, StoreError> {
        Ok(self
            .with(|t| self.all_sealed::<OutboxItem>("outbox", &t.outbox))?
            .into_iter()
            .filter(|(_, item)| {
                &item.message.to == patient
                    || item
                        .message
                        .purpose
                        .case()
                        .is_some_and(|case| cases.contains(&case))
            })
            .collect())
    }

    /// Deletes conversations last touched before `before`, cases resolved
    /// before it, unanswered questions last asked before it, and the
    /// first-contact records of patients with no conversation left. Durable
    /// on return.
    pub fn purge(&self, before: Timestamp) -> Result<Purged, StoreError> {
        self.with(|t| self.purge_in(t, before))
    }

    fn purge_in(&self, t: &Trees, before: Timestamp) -> Result<Purged, StoreError> {
        // A patient may be writing right now: only records still as old as
        // when they were read are deleted.
        let mut purged = Purged {
            conversations: self.remove_stale(
                "conversations",
                &t.conversations,
                |record: &PatientRecord| record.updated_at < before,
            )?,
            unanswered: self.remove_stale(
                "unanswered",
                &t.unanswered,
                |question: &UnansweredQuestion| question.last_seen < before,
            )?,
            ..Purged::default()
        };
        for (key, case) in self.all_sealed::<HandoffCase>("cases", &t.cases)? {
            if case
                .resolution
                .as_ref()
                .is_some_and(|resolution| resolution.at < before)
            {
                t.cases.remove(&key)?;
                purged.cases += 1;
            }
        }
        for (key, notice) in all::<NoticeShown>("notices", &t.notices)? {
            if notice.at < before && !t.conversations.contains_key(&key)? {
                t.notices.remove(&key)?;
                purged.notices += 1;
            }
        }
        purged.sent_notices = self.purge_sent_notices(t, before)?;
        purged.correspondence = self.purge_correspondence(t, before)?;
        self.purge_leases()?;
        self.flush()?;
        Ok(purged)
    }
}

impl Store {
    /// Deletes the records of `tree` that are `stale`, each only if it has not
    /// changed since it was read (compare-and-swap), so that a record written
    /// while the purge runs is kept. Returns how many were deleted.
    fn remove_stale<T: serde::de::DeserializeOwned>(
        &self,
        name: &'static str,
        tree: &Tree,
        stale: impl Fn(&T) -> bool,
    ) -> Result<usize, StoreError> {
        let mut removed = 0;
        for (key, record) in self.all_sealed::<T>(name, tree)? {
            if !stale(&record) {
                continue;
            }
            let current = tree.get(&key)?;
            let still_stale = current.as_ref().is_some_and(|bytes| {
                self.unseal::<T>(name, &key, bytes)
                    .is_ok_and(|r| r.is_some_and(|r| stale(&r)))
            });
            if still_stale && tree.compare_and_swap(&key, current.as_deref(), None)? {
                removed += 1;
            }
        }
        Ok(removed)
    }
}
