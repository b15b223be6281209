//! The audit log's entries: every case event, every refused clinician command,
//! every read or deletion of a patient's data, and every health notice
//! published. Entries name who did what to which case or patient, never
//! what anybody wrote, so the log can be kept and shown without itself
//! becoming a copy of patients' messages.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use carebot_chat::{Address, CaseId, Level};

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    Patient {
        address: Address,
    },
    Clinician {
        address: Address,
        name: String,
    },
    /// Someone who used a clinician command without being allowed to.
    Unauthorized {
        address: Address,
        chat: Address,
    },
    /// Someone at a terminal of the practice (`carebot case`), by login name.
    Staff {
        login: String,
    },
    /// carebot itself (reminders, retention).
    System,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    CaseOpened {
        level: Option<Level>,
        rule: Option<String>,
    },
    /// The patient wrote more on an unresolved case.
    CaseUpdated,
    CaseReminded {
        reminder: u32,
    },
    CaseClaimed,
    ClinicianReplied,
    CaseResolved,
    /// Someone who is not a clinician tried a clinician command.
    CommandRefused {
        command: String,
    },
    /// A case's details were shown.
    CaseRead,
    /// A list of cases was shown.
    CasesListed {
        count: usize,
    },
    /// The patient asked what is stored about them.
    PatientDataRead,
    /// The patient asked to be forgotten; what was deleted.
    PatientDataDeleted {
        cases: Vec<CaseId>,
        conversation: bool,
        outbox: usize,
    },
    /// A health notice was published to the subscribers of its topics (by
    /// a clinician in chat, or by staff with `carebot notice send`): its id,
    /// title and topics, which are the practice's words, never a patient's.
    NoticePublished {
        notice: String,
        title: String,
        topics: Vec<String>,
    },
    /// A clinician's draft notice was dropped unsent.
    NoticeCancelled {
        notice: String,
    },
    /// The retention purge ran.
    Purged {
        conversations: usize,
        cases: usize,
        notices: usize,
        /// Absent in entries written before unanswered questions were purged.
        #[serde(default)]
        unanswered: usize,
        #[serde(default)]
        audit: usize,
    },
    /// A clinician linked a case's patient to their record at the practice
    /// (the record number itself is not in the log).
    RecordLinked,
    /// A clinician removed that link.
    RecordUnlinked,
    /// Correspondence was exported for patients' records
    /// (`carebot export fhir`): how many patients and messages.
    RecordExported {
        patients: usize,
        messages: usize,
    },
}

impl Action {
    /// The action's name, for logs and summaries.
    pub fn name(&self) -> &'static str {
        match self {
            Action::CaseOpened { .. } => "case_opened",
            Action::CaseUpdated => "case_updated",
            Action::CaseReminded { .. } => "case_reminded",
            Action::CaseClaimed => "case_claimed",
            Action::ClinicianReplied => "clinician_replied",
            Action::CaseResolved => "case_resolved",
            Action::CommandRefused { .. } => "command_refused",
            Action::CaseRead => "case_read",
            Action::CasesListed { .. } => "cases_listed",
            Action::PatientDataRead => "patient_data_read",
            Action::PatientDataDeleted { .. } => "patient_data_deleted",
            Action::NoticePublished { .. } => "notice_published",
            Action::NoticeCancelled { .. } => "notice_cancelled",
            Action::Purged { .. } => "purged",
            Action::RecordLinked => "record_linked",
            Action::RecordUnlinked => "record_unlinked",
            Action::RecordExported { .. } => "record_exported",
        }
    }
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub actor: Actor,
    pub action: Action,
    pub case: Option<CaseId>,
    /// The patient whose data was involved: "forget me" removes every entry
    /// that names them, except the record of the deletion itself.
    pub patient: Option<Address>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purge_logged_by_an_earlier_version_still_reads() {
        let earlier: Action =
            serde_json::from_str(r#"{"action":"purged","conversations":3,"cases":1,"notices":2}"#)
                .unwrap();
        assert_eq!(
            earlier,
            Action::Purged {
                conversations: 3,
                cases: 1,
                notices: 2,
                unanswered: 0,
                audit: 0
            }
        );
    }
}
