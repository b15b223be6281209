//! Per-patient conversation state: the follow-up question or choices the bot is
//! waiting on, and what is known so far in the current episode.
//!
//! The state is plain serde data keyed by concept and rule *ids* (not indexes),
//! so it can be stored, survive a restart, and stay meaningful after the
//! knowledge base is reloaded with entries added or reordered.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::findings::Status;
use crate::knowledge::AskAbout;
use crate::modifiers::Modifiers;

/// What the bot is waiting for from the patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "waiting_for", rename_all = "snake_case")]
pub enum Pending {
    /// An answer to rule `rule`'s follow-up question about `about`.
    FollowUp {
        rule: String,
        about: AskAbout,
        /// How many answers in a row were not understood.
        unclear: u8,
    },
    /// A pick among offered FAQ entries, best first.
    Choices { entries: Vec<String> },
}

/// What is known in the current episode (from the first symptom message to the
/// advice): findings, modifiers, questions asked, and the patient's messages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    /// Findings that are known (present or absent), by concept id.
    pub findings: BTreeMap<String, Status>,
    pub modifiers: Modifiers,
    /// What follow-up questions were asked.
    pub asked: Vec<AskAbout>,
    /// The patient's messages in this episode, for a clinician's transcript.
    pub messages: Vec<String>,
}

/// One patient's conversation with the bot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub pending: Option<Pending>,
    pub episode: Episode,
    /// The language the patient writes in, once known (see
    /// [`crate::language`]); kept across episodes. Absent from conversations
    /// stored before carebot spoke more than one language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<carebot_chat::Language>,
}

impl AskAbout {
    /// Reads a name (the `ask.about` of a file, or stored state); concept ids
    /// cannot take the reserved names.
    pub fn from_name(name: &str) -> AskAbout {
        match name {
            "age" => AskAbout::Age,
            "temperature" => AskAbout::Temperature,
            "duration" => AskAbout::Duration,
            "pregnancy" => AskAbout::Pregnancy,
            id => AskAbout::Concept(id.to_string()),
        }
    }
}

impl From<String> for AskAbout {
    fn from(name: String) -> AskAbout {
        AskAbout::from_name(&name)
    }
}

impl From<AskAbout> for String {
    fn from(about: AskAbout) -> String {
        about.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_up_topics_are_stored_by_name_as_before_and_read_back() {
        let conversation = Conversation {
            pending: Some(Pending::FollowUp {
                rule: "ankle-ottawa-positive".into(),
                about: AskAbout::Concept("cannot_bear_weight".into()),
                unclear: 0,
            }),
            episode: Episode {
                asked: vec![AskAbout::Age, AskAbout::Concept("fever".into())],
                ..Episode::default()
            },
            language: None,
        };
        let stored = serde_json::to_string(&conversation).unwrap();
        // The names a stored conversation from an earlier version holds.
        assert!(
            stored.contains(r#""about":"cannot_bear_weight""#),
            "{stored}"
        );
        assert!(stored.contains(r#""asked":["age","fever"]"#), "{stored}");
        let read: Conversation = serde_json::from_str(&stored).unwrap();
        assert_eq!(read, conversation);
    }
}
