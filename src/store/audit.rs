//! The audit log, in the order things happened.

use jiff::Timestamp;

use super::{Effects, Store, StoreError};
use crate::audit::AuditEntry;

impl Store {
    /// Appends to the audit log, durably.
    pub fn audit(&self, entry: AuditEntry) -> Result<(), StoreError> {
        let at: Timestamp = entry.at;
        self.apply(
            &Effects {
                audit: vec![entry],
                ..Effects::default()
            },
            at,
        )
    }

    /// The whole audit log, oldest first.
    pub fn audit_log(&self) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(super::all("audit", &self.trees.audit)?
            .into_iter()
            .map(|(_, entry)| entry)
            .collect())
    }
}
