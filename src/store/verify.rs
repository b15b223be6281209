//! Reading back everything in the store to check it: every record decodes and
//! sits under its own id. For checking a store after a crash (the kill test
//! does) or before trusting a copied data folder.

use serde::Serialize;

use super::{
    all, key_id, NoticeShown, OutboxItem, PatientRecord, Store, StoreError, Trees,
    UnansweredQuestion,
};
use crate::audit::AuditEntry;
use crate::handoff::HandoffCase;

/// How many records of each kind the store holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub conversations: usize,
    pub cases: usize,
    pub outbox: usize,
    pub audit: usize,
    pub unanswered: usize,
    pub notices: usize,
    /// Patients' subscriptions to health notices.
    pub subscriptions: usize,
    /// Messages kept for patients' records.
    pub correspondence: usize,
    /// Patients linked to their record at the practice.
    pub record_links: usize,
}

impl Store {
    /// Decodes every record of every tree and checks that cases and outbox
    /// items are stored under their own ids and below the next case number.
    pub fn verify(&self) -> Result<Counts, StoreError> {
        self.with(|t| self.verify_trees(t))
    }

    fn verify_trees(&self, t: &Trees) -> Result<Counts, StoreError> {
        let cases = self.all_sealed::<HandoffCase>("cases", &t.cases)?;
        let next_case = self.next_case_number()?;
        for (key, case) in &cases {
            if key_id(key) != Some(case.id.0) || case.id.0 >= next_case {
                return Err(StoreError::Inconsistent {
                    tree: "cases",
                    problem: format!(
                        "case {} is stored under key {:?} with the next number at {next_case}",
                        case.id,
                        key_id(key)
                    ),
                });
            }
        }
        let outbox = self.all_sealed::<OutboxItem>("outbox", &t.outbox)?;
        for (key, item) in &outbox {
            if key_id(key) != Some(item.message.id.0) {
                return Err(StoreError::Inconsistent {
                    tree: "outbox",
                    problem: format!(
                        "item {} is stored under key {:?}",
                        item.message.id,
                        key_id(key)
                    ),
                });
            }
        }
        let (correspondence, record_links) = self.verify_record(t)?;
        Ok(Counts {
            conversations: self
                .all_sealed::<PatientRecord>("conversations", &t.conversations)?
                .len(),
            cases: cases.len(),
            outbox: outbox.len(),
            audit: all::<AuditEntry>("audit", &t.audit)?.len(),
            unanswered: self
                .all_sealed::<UnansweredQuestion>("unanswered", &t.unanswered)?
                .len(),
            notices: all::<NoticeShown>("notices", &t.notices)?.len(),
            subscriptions: self.verify_subscriptions(t)?,
            correspondence,
            record_links,
        })
    }

    /// Every stored conversation with its patient, for checks and exports.
    pub fn conversations(&self) -> Result<Vec<(carebot_chat::Address, PatientRecord)>, StoreError> {
        self.with(|t| self.all_sealed::<PatientRecord>("conversations", &t.conversations))?
            .into_iter()
            .map(|(key, record)| {
                let split = key.iter().position(|&b| b == 0).unwrap_or(key.len());
                let platform = String::from_utf8_lossy(&key[..split]).into_owned();
                let chat =
                    String::from_utf8_lossy(key.get(split + 1..).unwrap_or_default()).into_owned();
                Ok((carebot_chat::Address::new(platform, chat), record))
            })
            .collect()
    }
}
