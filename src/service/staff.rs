//! Reads by practice staff at a terminal (`carebot cases`, `carebot case`):
//! audited like any other read of patients' data.

use carebot_chat::CaseId;

use super::{Service, ServiceError};
use crate::audit::{Action, Actor, AuditEntry};
use crate::handoff::{CaseStatus, HandoffCase};

impl Service {
    /// Cases with `status` (all when `None`), oldest first, read by `login`.
    pub fn staff_cases(
        &self,
        login: &str,
        status: Option<CaseStatus>,
    ) -> Result<Vec<HandoffCase>, ServiceError> {
        let cases: Vec<HandoffCase> = self
            .store
            .cases()?
            .into_iter()
            .filter(|case| status.is_none_or(|status| case.status() == status))
            .collect();
        self.store.audit(AuditEntry {
            at: self.now(),
            actor: Actor::Staff {
                login: login.to_string(),
            },
            action: Action::CasesListed { count: cases.len() },
            case: None,
            patient: None,
        })?;
        Ok(cases)
    }

    /// Case `id` in full, read by `login`.
    pub fn staff_case(&self, login: &str, id: CaseId) -> Result<Option<HandoffCase>, ServiceError> {
        let Some(case) = self.store.case(id)? else {
            return Ok(None);
        };
        self.store.audit(AuditEntry {
            at: self.now(),
            actor: Actor::Staff {
                login: login.to_string(),
            },
            action: Action::CaseRead,
            case: Some(id),
            patient: Some(case.patient.clone()),
        })?;
        Ok(Some(case))
    }
}
