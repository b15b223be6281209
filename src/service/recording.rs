//! Answer first, record when possible: what a patient is told never depends
//! on a store write succeeding.
//!
//! The engine decides its reply without the store. When a write for a
//! patient's message fails (a full disk, see `store/recovery.rs`), the
//! reply still goes out; the failure is logged (what could not be kept,
//! never the message) and counted for `/metrics`, and the store reports
//! itself failing on `/healthz`. A case that could not be opened or updated
//! is the one failure the patient hears about: nobody at the practice has
//! seen their message, so they are told to phone instead of waiting.

use std::sync::atomic::{AtomicU64, Ordering};

use super::{Service, ServiceError};

/// A write made for a patient's message, as named in logs and metrics when
/// it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// That the patient was shown the first-contact notice (so it may be
    /// shown again).
    FirstContact,
    /// The conversation (the bot may repeat a question or lose the thread).
    Conversation,
    /// A new case, or a message added to one: the clinicians were not told.
    Case,
    /// Counts for the practice's report (FAQ answers, unanswered questions).
    Statistics,
    /// The exchange, kept for the patient's record at the practice.
    Correspondence,
}

impl Record {
    pub const ALL: [Record; 5] = [
        Record::FirstContact,
        Record::Conversation,
        Record::Case,
        Record::Statistics,
        Record::Correspondence,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Record::FirstContact => "first_contact",
            Record::Conversation => "conversation",
            Record::Case => "case",
            Record::Statistics => "statistics",
            Record::Correspondence => "correspondence",
        }
    }
}

/// How many writes of each [`Record`] failed since start.
#[derive(Debug, Default)]
pub(super) struct NotRecorded([AtomicU64; Record::ALL.len()]);

impl Service {
    /// `result`'s value, or `None` once the failure to keep `what` is logged
    /// and counted.
    pub(super) fn recorded<T>(
        &self,
        what: Record,
        result: Result<T, impl Into<ServiceError>>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.not_kept(what, &error.into());
                None
            }
        }
    }

    /// Logs and counts that `what` could not be kept because of `error`.
    pub(super) fn not_kept(&self, what: Record, error: &ServiceError) {
        self.not_recorded.0[what as usize].fetch_add(1, Ordering::Relaxed);
        if what == Record::Case {
            tracing::error!(%error, "a case could not be stored: the clinicians were not told, and the patient was asked to phone");
        } else {
            tracing::error!(%error, record = what.as_str(), "could not record a patient's message; answered anyway");
        }
    }

    /// How many writes of each kind failed since start (a patient was
    /// answered each time, but something was not kept).
    pub fn not_recorded(&self) -> Vec<(Record, u64)> {
        Record::ALL
            .into_iter()
            .map(|what| {
                (
                    what,
                    self.not_recorded.0[what as usize].load(Ordering::Relaxed),
                )
            })
            .collect()
    }
}
