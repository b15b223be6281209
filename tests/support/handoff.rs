//! Helpers for the handoff and store tests: a
//! service on the shipped knowledge and a real sled store in a temporary folder, a clinician, a stranger,
//! and fixed moments when the practice is open or closed.

use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;

use carebot::clock::{Clock, ManualClock};
use carebot::{Address, HandoffSettings, Sender, Service, Store};

// The handoff tests glob-import this module: the repository root and the
// shipped engine come with it.
pub use super::{root, shipped_engine};

/// Monday 23 November 2026, 14:00 in New York: the practice is open.
pub fn monday_afternoon() -> Timestamp {
    "2026-11-23T19:00:00Z".parse().unwrap()
}

/// Sunday 22 November 2026, 14:00 in New York: the practice is closed.
pub fn sunday_afternoon() -> Timestamp {
    "2026-11-22T19:00:00Z".parse().unwrap()
}

pub const CHANNEL: &str = "telegram:-500";

/// One clinician (Nurse Kim, telegram:100) and a clinician channel.
pub fn settings() -> HandoffSettings {
    HandoffSettings {
        clinicians: vec!["telegram:100".parse().unwrap()],
        clinician_channel: Some(CHANNEL.parse().unwrap()),
        ..HandoffSettings::default()
    }
}

/// Nurse Kim, writing to the bot directly.
pub fn nurse() -> Sender {
    Sender {
        user: "telegram:100".parse().unwrap(),
        chat: "telegram:100".parse().unwrap(),
        name: "Nurse Kim".to_string(),
    }
}

/// Dr Lee, not configured by name but writing in the clinician channel.
pub fn doctor_in_channel() -> Sender {
    Sender {
        user: "telegram:200".parse().unwrap(),
        chat: CHANNEL.parse().unwrap(),
        name: "Dr Lee".to_string(),
    }
}

/// Someone who is not a clinician, in their own chat.
pub fn stranger() -> Sender {
    Sender {
        user: "telegram:666".parse().unwrap(),
        chat: "telegram:666".parse().unwrap(),
        name: "Mallory".to_string(),
    }
}

pub fn patient(n: u32) -> Address {
    Address::new("telegram", format!("{}", 9000 + n))
}

/// A service on a sled store in `dir`, with `clock`.
pub fn service_in(dir: &Path, settings: HandoffSettings, clock: Arc<dyn Clock>) -> Arc<Service> {
    let store = Store::open(dir).expect("store opens");
    Arc::new(Service::new(shipped_engine(), store, settings, clock))
}

/// A service on a fresh store with a hand-moved clock starting at `at`.
pub fn service_at(at: Timestamp) -> (tempfile::TempDir, Arc<Service>, Arc<ManualClock>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::new(at));
    let service = service_in(dir.path(), settings(), clock.clone());
    (dir, service, clock)
}
