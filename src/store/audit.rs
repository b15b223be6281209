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
        self.with(|t| {
            Ok(super::all("audit", &t.audit)?
                .into_iter()
                .map(|(_, entry)| entry)
                .collect())
        })
    }

    /// Deletes the audit entries made before `before`, oldest first, and
    /// returns how many. Entries are appended in time order, so this stops at
    /// the first one to keep. Durable on return.
    pub fn purge_audit(&self, before: Timestamp) -> Result<usize, StoreError> {
        let removed = self.with(|t| {
            let mut removed = 0;
            for (key, bytes) in t.audit.records()? {
                let entry: AuditEntry = super::decode("audit", &key, &bytes)?;
                if entry.at >= before {
                    break;
                }
                t.audit.remove(&key)?;
                removed += 1;
            }
            Ok(removed)
        })?;
        if removed > 0 {
            self.flush()?;
        }
        Ok(removed)
    }
}
