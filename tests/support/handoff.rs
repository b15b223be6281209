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

/// Where a test's store lives: a sled data folder, or a fresh database on
/// the test run's PostgreSQL server (`support::postgres`).
pub enum StorePlace {
    Folder(tempfile::TempDir),
    Database(String),
}

impl StorePlace {
    /// Opens the store there (again, after a "restart").
    pub fn open(&self) -> Store {
        match self {
            StorePlace::Folder(dir) => Store::open(dir.path()).expect("store opens"),
            StorePlace::Database(url) => Store::connect(url).expect("store connects"),
        }
    }

    /// For assertion messages.
    pub fn backend(&self) -> &'static str {
        match self {
            StorePlace::Folder(_) => "sled",
            StorePlace::Database(_) => "postgres",
        }
    }
}

/// A fresh sled folder, and a fresh PostgreSQL database when the test run
/// has PostgreSQL: a test that loops over these holds on both backends.
pub fn every_store() -> Vec<StorePlace> {
    let mut places = vec![StorePlace::Folder(tempfile::tempdir().expect("temp dir"))];
    places.extend(super::postgres::database().map(StorePlace::Database));
    places
}

/// A service on the store at `place`.
pub fn service_on(
    place: &StorePlace,
    settings: HandoffSettings,
    clock: Arc<dyn Clock>,
) -> Arc<Service> {
    Arc::new(Service::new(
        shipped_engine(),
        place.open(),
        settings,
        clock,
    ))
}

/// A service on a fresh store with a hand-moved clock starting at `at`.
pub fn service_at(at: Timestamp) -> (tempfile::TempDir, Arc<Service>, Arc<ManualClock>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::new(at));
    let service = service_in(dir.path(), settings(), clock.clone());
    (dir, service, clock)
}
