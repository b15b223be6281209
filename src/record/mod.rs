//! Correspondence copied to the patient's record at the practice: what a
//! practice asked for as "copy all correspondence to the relevant file".
//!
//! | file | does |
//! |---|---|
//! | `mod.rs` | the settings, and a patient's history gathered from the store ([`History`]) |
//! | `fhir.rs` | that history as a FHIR R4 Bundle of `Communication` resources |
//! | `push.rs` | posting a copy to the practice's FHIR server |
//!
//! What is kept: every message a patient writes and every reply carebot
//! gives, with the triage level and rule (`store/correspondence.rs`), for the
//! same retention period as conversations; cases hold their events and the
//! clinicians' replies. `carebot export fhir` writes it out; with `[record]
//! fhir_base` set, each resolved case of a patient a clinician linked to their
//! record (`/link C-0042 MRN123`) is posted to the practice's FHIR server
//! through the outbox (`Purpose::RecordCopy`), where conditional creates make
//! a repeated post (at-least-once delivery) create nothing twice.

pub mod fhir;
pub mod push;

use carebot_chat::Address;

use crate::handoff::HandoffCase;
use crate::store::{Correspondence, RecordLink, Store, StoreError};

/// What a practice chose about copying correspondence to its records
/// (`[record]` in `carebot.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSettings {
    /// Whether every message and reply is kept for the record (on by
    /// default; off keeps only cases, as before).
    pub keep_correspondence: bool,
    /// The FHIR `system` of the practice's patient identifiers (record
    /// numbers) that `/link` attaches.
    pub identifier_system: String,
    /// Whether resolved cases of linked patients are posted to the
    /// practice's FHIR server (`[record] fhir_base`).
    pub push: bool,
}

impl Default for RecordSettings {
    fn default() -> RecordSettings {
        RecordSettings {
            keep_correspondence: true,
            identifier_system: DEFAULT_IDENTIFIER_SYSTEM.to_string(),
            push: false,
        }
    }
}

/// The identifier system used until a practice names its own.
pub const DEFAULT_IDENTIFIER_SYSTEM: &str = "urn:carebot:record-number";

/// Where outbox items that copy a case to the record are addressed: not a
/// chat, the practice's FHIR server (`serve` routes them there).
pub const RECORD_PLATFORM: &str = "fhir";

/// The outbox address of the practice's FHIR server.
pub fn record_address() -> Address {
    Address::new(RECORD_PLATFORM, "record")
}

/// Everything carebot holds for one patient's record.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub patient: Address,
    pub link: Option<RecordLink>,
    pub correspondence: Vec<Correspondence>,
    pub cases: Vec<HandoffCase>,
}

impl History {
    /// `patient`'s history as the store holds it now.
    pub fn of(store: &Store, patient: &Address) -> Result<History, StoreError> {
        let data = store.patient_data(patient)?;
        Ok(History {
            patient: patient.clone(),
            link: data.record_link,
            correspondence: data.correspondence,
            cases: data.cases,
        })
    }

    /// The history of every patient with correspondence or a case, in
    /// address order.
    pub fn everyone(store: &Store) -> Result<Vec<History>, StoreError> {
        let mut patients = store.correspondents()?;
        patients.extend(store.cases()?.into_iter().map(|case| case.patient));
        patients.sort();
        patients.dedup();
        patients
            .iter()
            .map(|patient| History::of(store, patient))
            .collect()
    }

    /// Whether there is nothing to copy.
    pub fn is_empty(&self) -> bool {
        self.correspondence.is_empty() && self.cases.is_empty()
    }
}
