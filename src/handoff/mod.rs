//! Clinician handoff: the records a case is made of and the rules for moving
//! it along (`open` → `claimed` by whom → `resolved` with a note).
//!
//! The workflow that creates and acts on cases lives in [`crate::service`],
//! and what people are told about them in [`crate::service::wording`]; this
//! module holds the data, below the store, so that the store, the service and
//! the command line all speak about the same thing.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | [`HandoffCase`] and its parts |
//! | `settings.rs` | who the clinicians are, timings, retention |
//! | `intent.rs` | the patient's own commands ("agent", "forget me"...) |

mod intent;
mod settings;

pub use intent::{command_language, patient_intent, without_command, PatientIntent};
pub use settings::{HandoffSettings, SettingsError};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use carebot_chat::{Address, CaseId, Language, Level};

/// Why a case was opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Trigger {
    /// A triage rule with `handoff = true`.
    Rule { rule: String },
    /// The patient asked for a person ("agent").
    PatientAsked,
}

/// A follow-up question the bot asked and what the patient answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpAnswer {
    pub question: String,
    pub answer: String,
}

/// Who took a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub by: Address,
    pub name: String,
    /// Where they claimed it: where the patient's further messages are relayed.
    pub chat: Address,
    pub at: Timestamp,
}

/// How a case was closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub by: Address,
    pub name: String,
    pub at: Timestamp,
    pub note: String,
}

/// One message in a case's record, either side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseMessage {
    pub at: Timestamp,
    /// `None` for the patient, else the clinician's name.
    pub clinician: Option<String>,
    pub text: String,
}

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    Claimed,
    Resolved,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 3] = [CaseStatus::Open, CaseStatus::Claimed, CaseStatus::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Claimed => "claimed",
            CaseStatus::Resolved => "resolved",
        }
    }

    pub fn parse(name: &str) -> Option<CaseStatus> {
        CaseStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == name)
    }
}

impl std::fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A conversation handed to the practice's clinicians.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoffCase {
    pub id: CaseId,
    pub patient: Address,
    pub trigger: Trigger,
    /// The level of care advised, when a rule opened (or later joined) the case.
    pub level: Option<Level>,
    /// The patient's messages that led to the case (identifiers redacted).
    pub messages: Vec<String>,
    pub answers: Vec<FollowUpAnswer>,
    pub opened_at: Timestamp,
    /// Whether the practice was closed when the case was opened.
    pub after_hours: bool,
    /// When clinicians were last told about it (opening, reminders).
    pub notified_at: Timestamp,
    /// How many reminders were sent because nobody claimed it.
    pub reminders: u32,
    /// Messages exchanged after opening: the patient's (relayed) and clinicians' replies.
    pub thread: Vec<CaseMessage>,
    pub claim: Option<Claim>,
    pub resolution: Option<Resolution>,
    /// The language of the patient's conversation, which what the patient is
    /// told about the case follows (clinicians' notifications stay in
    /// English). Absent from cases stored before carebot spoke more than one
    /// language, which are English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
}

impl HandoffCase {
    pub fn status(&self) -> CaseStatus {
        match (&self.resolution, &self.claim) {
            (Some(_), _) => CaseStatus::Resolved,
            (None, Some(_)) => CaseStatus::Claimed,
            (None, None) => CaseStatus::Open,
        }
    }

    /// The rule that opened the case, if a rule did.
    pub fn rule(&self) -> Option<&str> {
        match &self.trigger {
            Trigger::Rule { rule } => Some(rule),
            Trigger::PatientAsked => None,
        }
    }

    /// How long it took a clinician to claim it.
    pub fn time_to_claim(&self) -> Option<std::time::Duration> {
        let claim = self.claim.as_ref()?;
        Some(crate::clock::elapsed(self.opened_at, claim.at))
    }
}
