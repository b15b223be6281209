//! Handoff cases, and the writes that must happen with them or not at all:
//! the outbox notifications, the audit entries, the patient's conversation.
//!
//! A case and its notification are written in one transaction and made
//! durable before the caller is told the case exists, so a crash between
//! "case created" and "clinicians notified" cannot lose the notification.

use jiff::Timestamp;

use carebot_chat::{Address, CaseId, Outbound, OutboundId};

use super::tree::{TxFail, TxTrees};
use super::{
    address_key, encode, id_key, NewOutbound, OutboxItem, Owner, PatientRecord, Store, StoreError,
};
use crate::audit::AuditEntry;
use crate::handoff::HandoffCase;

/// The meta key holding the next case number.
const NEXT_CASE: &[u8] = b"next_case";

/// Writes that go with a change to a case, in the same transaction.
#[derive(Debug, Default, Clone)]
pub struct Effects {
    pub deliveries: Vec<NewOutbound>,
    pub audit: Vec<AuditEntry>,
    pub conversation: Option<(Address, PatientRecord)>,
    /// Queued messages that `deliveries` make obsolete (an update on a case
    /// that a newer, fuller update replaces), removed in the same
    /// transaction: the newer one is never lost, the older never sent after
    /// it. One already handed to an adapter may still arrive (at-least-once).
    pub superseded: Vec<OutboundId>,
}

/// What an update decided to do with a case.
// Returned once per update and never stored, so the size of `Write` is no cost.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum CaseChange<T> {
    /// Store `case` and its effects, then return `result`.
    Write {
        case: HandoffCase,
        effects: Effects,
        result: T,
    },
    /// Change nothing and return this (a refusal, a case not found...).
    Leave(T),
}

impl<T> CaseChange<T> {
    /// The same decision with its result turned into another.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> CaseChange<U> {
        match self {
            CaseChange::Write {
                case,
                effects,
                result,
            } => CaseChange::Write {
                case,
                effects,
                result: f(result),
            },
            CaseChange::Leave(result) => CaseChange::Leave(f(result)),
        }
    }
}

/// A case transaction's writes.
pub(super) struct Writer<'a> {
    pub(super) store: &'a Store,
    /// The case being written, if any: its patient's key seals the
    /// notifications about it.
    pub(super) case: Option<&'a HandoffCase>,
    /// Read through the transaction: sled deadlocks on a plain read of a
    /// tree while a transaction is under way.
    pub(super) tx: &'a TxTrees<'a>,
}

impl Writer<'_> {
    /// Stores the case being written, sealed for its patient, with
    /// `effects`, and flushes when the transaction commits.
    fn write_case(&self, effects: &Effects, now: Timestamp) -> Result<(), TxFail> {
        let case = self.case.expect("a case is being written");
        let key = id_key(case.id.0);
        let sealed = self
            .store
            .seal("cases", Owner::of(&case.patient), &key, case)?;
        self.tx.cases.insert(&key, sealed)?;
        self.apply(effects, now)?;
        self.tx.flush_on_commit();
        Ok(())
    }

    /// Whose key seals `delivery`: the patient of the case it is about (a
    /// notification to clinicians quotes them), else its recipient.
    fn owner_of(&self, delivery: &NewOutbound) -> Result<Owner, TxFail> {
        let Some(id) = delivery.purpose.case() else {
            return Ok(Owner::of(&delivery.to));
        };
        if let Some(case) = self.case.filter(|case| case.id == id) {
            return Ok(Owner::of(&case.patient));
        }
        let key = id_key(id.0);
        let stored = match self.tx.cases.get(&key)? {
            Some(bytes) => self.store.unseal::<HandoffCase>("cases", &key, &bytes)?,
            None => None,
        };
        Ok(match stored {
            Some(case) => Owner::of(&case.patient),
            None => Owner::of(&delivery.to),
        })
    }

    pub(super) fn apply(&self, effects: &Effects, now: Timestamp) -> Result<(), TxFail> {
        for id in &effects.superseded {
            self.tx.outbox.remove(&id_key(id.0))?;
        }
        for delivery in &effects.deliveries {
            let id = self.tx.outbox.generate_id()?;
            let item = OutboxItem {
                message: Outbound {
                    id: OutboundId(id),
                    to: delivery.to.clone(),
                    purpose: delivery.purpose,
                    reply: delivery.reply.clone(),
                },
                queued_at: now,
                attempts: 0,
                next_attempt_at: now,
                last_error: None,
            };
            let owner = self.owner_of(delivery)?;
            let sealed = self.store.seal("outbox", owner, &id_key(id), &item)?;
            self.tx.outbox.insert(&id_key(id), sealed)?;
        }
        for entry in &effects.audit {
            let id = self.tx.audit.generate_id()?;
            self.tx.audit.insert(&id_key(id), encode("audit", entry)?)?;
        }
        if let Some((patient, record)) = &effects.conversation {
            let key = address_key(patient);
            let sealed = self
                .store
                .seal("conversations", Owner::of(patient), &key, record)?;
            self.tx.conversations.insert(&key, sealed)?;
        }
        Ok(())
    }
}

impl Store {
    /// Opens a case under the next case number: `make` builds the case and
    /// what goes with it from the number. All of it is stored or none, and it
    /// is on disk when this returns. `make` may run more than once (when
    /// another case is created at the same moment), so it must not have side
    /// effects.
    pub fn create_case(
        &self,
        now: Timestamp,
        make: impl Fn(CaseId) -> (HandoffCase, Effects),
    ) -> Result<HandoffCase, StoreError> {
        self.with(|t| {
            t.transaction(|tx| {
                let number = match tx.meta.get(NEXT_CASE)? {
                    Some(bytes) => super::key_id(&bytes).unwrap_or(1),
                    None => 1,
                };
                tx.meta.insert(NEXT_CASE, id_key(number + 1).to_vec())?;
                let (case, effects) = make(CaseId(number));
                Writer {
                    store: self,
                    case: Some(&case),
                    tx,
                }
                .write_case(&effects, now)?;
                Ok(case)
            })
        })
    }

    /// Changes case `id` as `change` decides from its current state (`None`
    /// when there is no such case), with the change's effects, atomically and
    /// durably. `change` may run more than once.
    pub fn update_case<T>(
        &self,
        id: CaseId,
        now: Timestamp,
        change: impl Fn(Option<HandoffCase>) -> CaseChange<T>,
    ) -> Result<T, StoreError> {
        self.with(|t| {
            t.transaction(|tx| {
                let key = id_key(id.0);
                let current = match tx.cases.get(&key)? {
                    Some(bytes) => self.unseal::<HandoffCase>("cases", &key, &bytes)?,
                    None => None,
                };
                match change(current) {
                    CaseChange::Leave(result) => Ok(result),
                    CaseChange::Write {
                        case,
                        effects,
                        result,
                    } => {
                        Writer {
                            store: self,
                            case: Some(&case),
                            tx,
                        }
                        .write_case(&effects, now)?;
                        Ok(result)
                    }
                }
            })
        })
    }

    pub fn case(&self, id: CaseId) -> Result<Option<HandoffCase>, StoreError> {
        let key = id_key(id.0);
        self.with(|t| match t.cases.get(&key)? {
            Some(bytes) => self.unseal("cases", &key, &bytes),
            None => Ok(None),
        })
    }

    /// Every stored case, oldest first.
    pub fn cases(&self) -> Result<Vec<HandoffCase>, StoreError> {
        self.with(|t| {
            Ok(self
                .all_sealed("cases", &t.cases)?
                .into_iter()
                .map(|(_, case)| case)
                .collect())
        })
    }

    /// The number the next case will get.
    pub fn next_case_number(&self) -> Result<u64, StoreError> {
        self.with(|t| {
            Ok(t.meta
                .get(NEXT_CASE)?
                .and_then(|bytes| super::key_id(&bytes))
                .unwrap_or(1))
        })
    }

    /// Stores `effects` without touching a case (audit entries, deliveries),
    /// durably.
    pub fn apply(&self, effects: &Effects, now: Timestamp) -> Result<(), StoreError> {
        self.with(|t| {
            t.transaction(|tx| {
                Writer {
                    store: self,
                    case: None,
                    tx,
                }
                .apply(effects, now)?;
                tx.flush_on_commit();
                Ok(())
            })
        })
    }
}
