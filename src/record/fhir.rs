//! A patient's correspondence with the practice as FHIR R4: a `Bundle` of
//! `Communication` resources, one per message or case event, in the order
//! they happened.
//!
//! - `subject` is the patient: their record number when a clinician linked
//!   it (`/link`), else their chat address, as an identifier.
//! - `sender` and `recipient` are the patient, carebot or a clinician (by
//!   name); `payload.contentString` is what was written; `inResponseTo`
//!   chains each reply to the message it answered.
//! - `category` says what the message was (a patient's message, an FAQ
//!   answer, triage advice, a case opened, a clinician's reply...), with
//!   HL7's own category where one fits; `priority` follows the level of
//!   care (emergency → `stat`, urgent → `asap`).
//! - Every resource has an identifier derived from where its message is
//!   stored, the same in every export: the push posts with `ifNoneExist` on
//!   it, so posting a bundle twice creates nothing twice.
//!
//! Only the handful of FHIR types these resources use are written here
//! (serde structs); the tests check the output against the official FHIR R4
//! JSON schema.

use jiff::Timestamp;
use ring::digest::{digest, SHA256};
use serde::Serialize;

use carebot_chat::{Level, ReplyKind};

use super::{History, RecordSettings};
use crate::handoff::{HandoffCase, Trigger};

/// carebot's own category codes.
pub const CATEGORY_SYSTEM: &str = "urn:carebot:communication-category";
/// HL7's communication categories.
const HL7_CATEGORY_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/communication-category";
/// The system of each Communication's identifier.
pub const COMMUNICATION_SYSTEM: &str = "urn:carebot:communication";
/// The system of a patient's chat address, when no record number is linked.
pub const CHAT_ADDRESS_SYSTEM: &str = "urn:carebot:chat-address";

/// What the bundle is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleType {
    /// A file for people and tools to read (`carebot export fhir`).
    Collection,
    /// Posted to a FHIR server, which creates each Communication it does
    /// not have yet (the push).
    Transaction,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    resource_type: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub timestamp: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub full_url: String,
    pub resource: Communication,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub method: &'static str,
    pub url: &'static str,
    pub if_none_exist: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Communication {
    resource_type: &'static str,
    pub identifier: Vec<Identifier>,
    pub status: &'static str,
    pub category: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<&'static str>,
    pub subject: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<CodeableConcept>,
    pub sent: String,
    pub recipient: Vec<Reference>,
    pub sender: Reference,
    pub payload: Vec<Payload>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub in_response_to: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identifier {
    pub system: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coding {
    pub system: &'static str,
    pub code: &'static str,
    pub display: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeableConcept {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Reference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    pub content_string: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Annotation {
    pub text: String,
}

/// What a message was, as its category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    PatientMessage,
    Reply(ReplyKind),
    CaseOpened,
    CaseClaimed,
    ClinicianReply,
    CaseResolved,
}

impl Category {
    fn concept(self) -> CodeableConcept {
        let (code, display, hl7) = match self {
            Category::PatientMessage => ("patient-message", "Message from the patient", None),
            Category::Reply(ReplyKind::Answer) => {
                ("faq-answer", "Answer from the practice's FAQ", None)
            }
            Category::Reply(ReplyKind::Triage) => (
                "triage-advice",
                "Triage advice (level of care)",
                Some(("instruction", "Instruction")),
            ),
            Category::Reply(ReplyKind::Question) => {
                ("follow-up-question", "Triage follow-up question", None)
            }
            Category::Reply(ReplyKind::Choices) => ("choices", "Topics offered", None),
            Category::Reply(ReplyKind::Fallback) => ("fallback", "No answer found", None),
            Category::Reply(ReplyKind::Notice) => ("notice", "Notice from carebot", None),
            Category::CaseOpened => (
                "handoff",
                "Passed to the practice team",
                Some(("notification", "Notification")),
            ),
            Category::CaseClaimed => (
                "case-claimed",
                "Case taken by a clinician",
                Some(("notification", "Notification")),
            ),
            Category::ClinicianReply => ("clinician-reply", "Reply from a clinician", None),
            Category::CaseResolved => (
                "case-resolved",
                "Case resolved",
                Some(("notification", "Notification")),
            ),
        };
        let mut coding = vec![Coding {
            system: CATEGORY_SYSTEM,
            code,
            display,
        }];
        if let Some((code, display)) = hl7 {
            coding.push(Coding {
                system: HL7_CATEGORY_SYSTEM,
                code,
                display,
            });
        }
        CodeableConcept {
            coding,
            text: display.to_string(),
        }
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Party {
    Patient,
    Carebot,
    Clinician(String),
    Team,
}

/// One message or case event, before it becomes a Communication.
struct Item {
    at: Timestamp,
    /// Unique and stable: where the message is stored.
    key: String,
    category: Category,
    from: Party,
    to: Party,
    text: String,
    level: Option<Level>,
    case: Option<String>,
    note: Option<String>,
}

/// `history` as a bundle of `kind`, made at `now`. With `since`, only what
/// happened at or after it.
pub fn bundle(
    history: &[History],
    settings: &RecordSettings,
    practice_name: &str,
    kind: BundleType,
    since: Option<Timestamp>,
    now: Timestamp,
) -> Bundle {
    let mut entry = Vec::new();
    for patient in history {
        entry.extend(entries(patient, settings, practice_name, kind, since));
    }
    Bundle {
        resource_type: "Bundle",
        kind: match kind {
            BundleType::Collection => "collection",
            BundleType::Transaction => "transaction",
        },
        timestamp: instant(now),
        entry,
    }
}

/// One patient's messages and case events as bundle entries, oldest first.
fn entries(
    history: &History,
    settings: &RecordSettings,
    practice_name: &str,
    kind: BundleType,
    since: Option<Timestamp>,
) -> Vec<Entry> {
    let address = history.patient.to_string();
    let mut items = correspondence_items(history, &address);
    for case in &history.cases {
        items.extend(case_items(case, &address, items_hold_patient(history)));
    }
    items.sort_by_key(|item| item.at);
    let subject = subject(history, settings, kind);
    let carebot = Reference {
        kind: Some("Device"),
        display: Some(format!(
            "carebot, the automated assistant of {practice_name}"
        )),
        ..Reference::default()
    };
    let team = Reference {
        kind: Some("Organization"),
        display: Some(format!("{practice_name}, clinical team")),
        ..Reference::default()
    };
    let mut entries = Vec::new();
    let mut last_from_patient: Option<String> = None;
    for item in items {
        let full_url = format!("urn:uuid:{}", uuid(&item.key));
        let answers = match item.from {
            Party::Patient => None,
            _ if matches!(item.category, Category::Reply(_) | Category::ClinicianReply) => {
                last_from_patient.clone()
            }
            _ => None,
        };
        if item.from == Party::Patient {
            last_from_patient = Some(full_url.clone());
        }
        if since.is_some_and(|since| item.at < since) || item.text.trim().is_empty() {
            continue;
        }
        let party = |party: &Party| match party {
            Party::Patient => subject.clone(),
            Party::Carebot => carebot.clone(),
            Party::Team => team.clone(),
            Party::Clinician(name) => Reference {
                kind: Some("Practitioner"),
                display: Some(name.clone()),
                ..Reference::default()
            },
        };
        let value = identifier_value(&item.key);
        let resource = Communication {
            resource_type: "Communication",
            identifier: vec![Identifier {
                system: COMMUNICATION_SYSTEM.to_string(),
                value: value.clone(),
            }],
            status: "completed",
            category: vec![item.category.concept()],
            priority: item.level.map(priority),
            subject: subject.clone(),
            topic: item.case.as_ref().map(|case| CodeableConcept {
                coding: Vec::new(),
                text: format!("carebot case {case}"),
            }),
            sent: instant(item.at),
            recipient: vec![party(&item.to)],
            sender: party(&item.from),
            payload: vec![Payload {
                content_string: item.text,
            }],
            // A reply to a message left out (`since`) points nowhere.
            in_response_to: answers
                .filter(|_| since.is_none())
                .map(|reference| Reference {
                    reference: Some(reference),
                    ..Reference::default()
                })
                .into_iter()
                .collect(),
            note: item
                .note
                .map(|text| Annotation { text })
                .into_iter()
                .collect(),
        };
        entries.push(Entry {
            full_url,
            resource,
            request: (kind == BundleType::Transaction).then(|| Request {
                method: "POST",
                url: "Communication",
                if_none_exist: format!("identifier={COMMUNICATION_SYSTEM}|{value}"),
            }),
        });
    }
    entries
}

/// Whether the correspondence already holds the patient's own messages (so
/// a case's copy of them is not repeated).
fn items_hold_patient(history: &History) -> bool {
    history
        .correspondence
        .iter()
        .any(|message| message.from_patient)
}

fn correspondence_items(history: &History, address: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let mut same_time = 0;
    let mut previous: Option<Timestamp> = None;
    for message in &history.correspondence {
        same_time = if previous == Some(message.at) {
            same_time + 1
        } else {
            0
        };
        previous = Some(message.at);
        let (category, from, to) = if message.from_patient {
            (Category::PatientMessage, Party::Patient, Party::Carebot)
        } else {
            (
                Category::Reply(message.kind.unwrap_or(ReplyKind::Notice)),
                Party::Carebot,
                Party::Patient,
            )
        };
        let note = match (message.level, &message.entry) {
            (Some(level), Some(rule)) => Some(format!("Level of care: {level} (rule {rule})")),
            (Some(level), None) => Some(format!("Level of care: {level}")),
            (None, Some(entry)) => Some(format!("From knowledge entry {entry}")),
            (None, None) => None,
        };
        items.push(Item {
            at: message.at,
            key: format!("c/{address}/{}/{same_time}", message.at.as_nanosecond()),
            category,
            from,
            to,
            text: message.text.clone(),
            level: message.level,
            case: message.case.map(|case| case.to_string()),
            note,
        });
    }
    items
}

/// A case's events and the clinicians' replies; the patient's messages too
/// when the correspondence does not hold them.
fn case_items(case: &HandoffCase, address: &str, patient_kept: bool) -> Vec<Item> {
    let id = case.id.to_string();
    let key = |what: &str| format!("case/{address}/{id}/{what}");
    let event = |at, what: &str, category, from, text: String, note| Item {
        at,
        key: key(what),
        category,
        from,
        to: Party::Team,
        text,
        level: case.level,
        case: Some(id.clone()),
        note,
    };
    let why = match &case.trigger {
        Trigger::Rule { rule } => format!("triage rule {rule}"),
        Trigger::PatientAsked => "the patient asked for a person".to_string(),
    };
    let level = case
        .level
        .map(|level| format!(" at level {level}"))
        .unwrap_or_default();
    let mut items = vec![event(
        case.opened_at,
        "opened",
        Category::CaseOpened,
        Party::Carebot,
        format!("Passed to the practice team as case {id}{level}, because of {why}."),
        case.after_hours
            .then(|| "Opened outside the practice's opening hours.".to_string()),
    )];
    if !patient_kept {
        for (n, message) in case.messages.iter().enumerate() {
            items.push(Item {
                to: Party::Carebot,
                ..event(
                    case.opened_at,
                    &format!("message/{n}"),
                    Category::PatientMessage,
                    Party::Patient,
                    message.clone(),
                    None,
                )
            });
        }
        for (n, answer) in case.answers.iter().enumerate() {
            items.push(Item {
                to: Party::Carebot,
                ..event(
                    case.opened_at,
                    &format!("answer/{n}"),
                    Category::PatientMessage,
                    Party::Patient,
                    answer.answer.clone(),
                    Some(format!("Answer to: {}", answer.question)),
                )
            });
        }
    }
    if let Some(claim) = &case.claim {
        items.push(event(
            claim.at,
            "claimed",
            Category::CaseClaimed,
            Party::Clinician(claim.name.clone()),
            format!("Case {id} taken by {}.", claim.name),
            None,
        ));
    }
    for (n, message) in case.thread.iter().enumerate() {
        match &message.clinician {
            Some(name) => items.push(Item {
                to: Party::Patient,
                level: None,
                ..event(
                    message.at,
                    &format!("thread/{n}"),
                    Category::ClinicianReply,
                    Party::Clinician(name.clone()),
                    message.text.clone(),
                    None,
                )
            }),
            None if !patient_kept => items.push(Item {
                to: Party::Team,
                level: None,
                ..event(
                    message.at,
                    &format!("thread/{n}"),
                    Category::PatientMessage,
                    Party::Patient,
                    message.text.clone(),
                    None,
                )
            }),
            None => {}
        }
    }
    if let Some(resolution) = &case.resolution {
        let note = resolution.note.trim();
        items.push(event(
            resolution.at,
            "resolved",
            Category::CaseResolved,
            Party::Clinician(resolution.name.clone()),
            if note.is_empty() {
                format!("Case {id} resolved by {}.", resolution.name)
            } else {
                format!("Case {id} resolved by {}: {note}", resolution.name)
            },
            None,
        ));
    }
    items
}

/// The patient as every resource names them.
fn subject(history: &History, settings: &RecordSettings, kind: BundleType) -> Reference {
    match &history.link {
        Some(link) => {
            let identifier = Identifier {
                system: settings.identifier_system.clone(),
                value: link.identifier.clone(),
            };
            Reference {
                // A FHIR server resolves a conditional reference in a
                // transaction to its own Patient with that identifier.
                reference: (kind == BundleType::Transaction).then(|| {
                    format!(
                        "Patient?identifier={}|{}",
                        identifier.system, identifier.value
                    )
                }),
                kind: Some("Patient"),
                identifier: Some(identifier),
                display: None,
            }
        }
        None => Reference {
            kind: Some("Patient"),
            identifier: Some(Identifier {
                system: CHAT_ADDRESS_SYSTEM.to_string(),
                value: history.patient.to_string(),
            }),
            ..Reference::default()
        },
    }
}

/// FHIR's request priority for a level of care.
fn priority(level: Level) -> &'static str {
    match level {
        Level::Emergency => "stat",
        Level::Urgent => "asap",
        Level::Routine | Level::SelfCare => "routine",
    }
}

/// A FHIR instant, to the millisecond.
fn instant(at: Timestamp) -> String {
    let rounded = Timestamp::from_millisecond(at.as_millisecond()).unwrap_or(at);
    format!("{rounded:.3}")
}

fn hash(key: &str) -> [u8; 16] {
    let sum = digest(&SHA256, key.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&sum.as_ref()[..16]);
    bytes
}

fn identifier_value(key: &str) -> String {
    hash(key).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A name-based UUID (version 5 layout, SHA-256 rather than SHA-1) for `key`.
fn uuid(key: &str) -> String {
    let mut bytes = hash(&format!("uuid:{key}"));
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_stable_well_formed_and_distinct() {
        let one = uuid("c/telegram:1/5/0");
        assert_eq!(one, uuid("c/telegram:1/5/0"));
        assert_ne!(one, uuid("c/telegram:1/5/1"));
        assert_eq!(one.len(), 36);
        assert_eq!(&one[14..15], "5");
        assert!(matches!(&one[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn instants_have_milliseconds_and_a_zone() {
        let at: Timestamp = "2026-12-07T10:00:00.123456Z".parse().unwrap();
        assert_eq!(instant(at), "2026-12-07T10:00:00.123Z");
        let whole: Timestamp = "2026-12-07T10:00:00Z".parse().unwrap();
        assert_eq!(instant(whole), "2026-12-07T10:00:00.000Z");
    }

    #[test]
    fn emergencies_are_stat() {
        assert_eq!(priority(Level::Emergency), "stat");
        assert_eq!(priority(Level::Urgent), "asap");
        assert_eq!(priority(Level::SelfCare), "routine");
    }
}
