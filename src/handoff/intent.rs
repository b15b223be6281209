//! The patient's own commands: ask for a person, see what is stored, delete it.
//!
//! Only short, explicit phrasings count. A longer message that mentions a
//! nurse ("my nurse said to rest") must still reach triage, and general
//! questions such as "can I speak to a human?" are answered by the practice's
//! FAQ, which tells the patient to type **agent**: the practice decides that
//! wording in its knowledge files, so it is not second-guessed here.

use crate::text::normalize::{normalize, words};

/// What a patient asked the bot itself to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatientIntent {
    /// Open a case: a person should pick up the conversation.
    Agent,
    /// Show everything stored about them.
    MyData,
    /// Delete everything stored about them.
    Forget,
}

/// Slash commands, as typed or sent by a platform's command menu.
const SLASH: [(&str, PatientIntent); 6] = [
    ("/agent", PatientIntent::Agent),
    ("/human", PatientIntent::Agent),
    ("/nurse", PatientIntent::Agent),
    ("/mydata", PatientIntent::MyData),
    ("/forget", PatientIntent::Forget),
    ("/forgetme", PatientIntent::Forget),
];

/// Whole messages (as words, after text-speak is expanded) that are commands.
const PHRASES: [(&str, PatientIntent); 20] = [
    ("agent", PatientIntent::Agent),
    ("an agent", PatientIntent::Agent),
    ("talk to an agent", PatientIntent::Agent),
    ("talk to a nurse", PatientIntent::Agent),
    ("speak to a nurse", PatientIntent::Agent),
    ("talk to the nurse", PatientIntent::Agent),
    ("talk to a doctor", PatientIntent::Agent),
    ("speak to a doctor", PatientIntent::Agent),
    ("talk to the doctor", PatientIntent::Agent),
    ("talk to a clinician", PatientIntent::Agent),
    ("i want to talk to a nurse", PatientIntent::Agent),
    ("i need to talk to a nurse", PatientIntent::Agent),
    ("can i talk to a nurse", PatientIntent::Agent),
    ("can i speak to a nurse", PatientIntent::Agent),
    ("what do you know about me", PatientIntent::MyData),
    ("what do you have about me", PatientIntent::MyData),
    ("what have you stored about me", PatientIntent::MyData),
    ("my data", PatientIntent::MyData),
    ("forget me", PatientIntent::Forget),
    ("delete my data", PatientIntent::Forget),
];

/// Words that may frame a command without changing it ("agent please").
const POLITE: [&str; 4] = ["please", "pls", "plz", "now"];

/// The patient command `text` is, if it is one.
pub fn patient_intent(text: &str) -> Option<PatientIntent> {
    let normalized = normalize(text);
    let first = normalized.split(' ').next().unwrap_or("");
    let slash = first.split('@').next().unwrap_or(first);
    if let Some((_, intent)) = SLASH.iter().find(|(command, _)| *command == slash) {
        return Some(*intent);
    }
    let mut words: Vec<String> = words(&normalized)
        .into_iter()
        .map(|word| word.text)
        .collect();
    while words.first().is_some_and(|w| POLITE.contains(&w.as_str())) {
        words.remove(0);
    }
    while words.last().is_some_and(|w| POLITE.contains(&w.as_str())) {
        words.pop();
    }
    let phrase = words.join(" ");
    PHRASES
        .iter()
        .find(|(known, _)| *known == phrase)
        .map(|(_, intent)| *intent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_explicit_commands_only() {
        assert_eq!(patient_intent("agent"), Some(PatientIntent::Agent));
        assert_eq!(
            patient_intent("  Agent please!"),
            Some(PatientIntent::Agent)
        );
        assert_eq!(patient_intent("/agent"), Some(PatientIntent::Agent));
        assert_eq!(patient_intent("/agent@carebot"), Some(PatientIntent::Agent));
        assert_eq!(
            patient_intent("Talk to a nurse."),
            Some(PatientIntent::Agent)
        );
        assert_eq!(
            patient_intent("what do you know about me?"),
            Some(PatientIntent::MyData)
        );
        assert_eq!(
            patient_intent("what do u know about me"),
            Some(PatientIntent::MyData)
        );
        assert_eq!(patient_intent("/mydata"), Some(PatientIntent::MyData));
        assert_eq!(patient_intent("Forget me"), Some(PatientIntent::Forget));
        assert_eq!(patient_intent("/forget"), Some(PatientIntent::Forget));
        // Left to the FAQ and triage:
        assert_eq!(patient_intent("i want to speak to a human"), None);
        assert_eq!(
            patient_intent("my nurse said to talk to a doctor about my chest pain"),
            None
        );
        assert_eq!(patient_intent("pls delete all my chat data"), None);
        assert_eq!(patient_intent("what is an agent"), None);
    }
}
