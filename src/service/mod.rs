//! The handoff service: what adapters talk to. It owns the engine (swappable,
//! so knowledge can be reloaded while running) and the store, takes a
//! patient's message or a clinician's command, returns what to send back right
//! now, and queues in the durable outbox whatever must reach someone else.
//!
//! | file | handles |
//! |---|---|
//! | `limits.rs` | the per-patient rate limit every patient message passes first |
//! | `patient.rs` | a patient's message: engine reply, cases, "agent", "forget me"... |
//! | `clinician.rs` | clinician commands: list, show, claim, reply, resolve |
//! | `scheduled.rs` | time-driven work that [`crate::upkeep`] runs: reminders for unclaimed cases, retention |
//! | `alerts.rs` | alerts about carebot itself for the clinicians |
//! | `notices.rs` | health notices: `/notices`, subscribing and stopping, sending each notice in force to its subscribers once |
//! | `publishing.rs` | publishing notices from chat (`/notice`, drafted then confirmed) and from `carebot notice send`, kept in the store and audited |
//! | `later.rs` | direct replies an adapter could not send at once, kept in the outbox |
//! | `wording.rs` | what patients and clinicians are told about cases |
//! | `record.rs` | correspondence for patients' records: the FHIR export, the bundle a push posts |
//! | `recording.rs` | answer first, record when possible: a failed write never costs a patient the reply |
//!
//! Every method is synchronous and short (sled reads and writes, plus an
//! fsync when something must be durable before it is acknowledged); adapters
//! on an async runtime may call them directly or through `spawn_blocking`.
//! The long-running parts ([`crate::dispatch`], [`crate::upkeep`]) are async.

mod alerts;
mod clinician;
mod later;
mod limits;
mod notices;
mod patient;
mod public;
mod publishing;
mod record;
mod recording;
mod scheduled;
mod staff;
pub mod wording;

use std::hash::{Hash, Hasher};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::Notify;

use carebot_chat::{Address, Bot, BotError, CaseId, Delivery, Inbound, Level, Purpose, Reply};

use crate::clock::Clock;
use crate::engine::{Engine, Explanation};
use crate::handoff::HandoffSettings;
use crate::ratelimit::{RateLimit, RateLimiter};
use crate::record::RecordSettings;
use crate::store::{leases, Store, StoreError};
use limits::Admission;
pub use publishing::{NoticePreview, StaffPublication, DEFAULT_NOTICE_DAYS};
pub use recording::Record;

/// Why the service could not handle something. Patients and clinicians get
/// replies for everything they can get wrong themselves; this is for the rest.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to send back to a patient now, in order: `notice`, `reply`, `handoff`.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The first-contact notice, the first time this patient writes.
    pub notice: Option<Reply>,
    /// The answer to what they wrote: the engine's reply, or the reply to a
    /// patient command ("agent", "forget me"...).
    pub reply: Reply,
    /// What happens next, when the message opened or joined a case.
    pub handoff: Option<Reply>,
    /// The case the message opened or joined.
    pub case: Option<CaseId>,
    /// Why the engine replied as it did (empty for patient commands).
    pub explanation: Explanation,
}

impl Response {
    /// The replies to send, in order.
    pub fn replies(&self) -> Vec<&Reply> {
        self.notice
            .iter()
            .chain([&self.reply])
            .chain(&self.handoff)
            .collect()
    }
}

/// How many locks patients' messages are spread over: messages from one
/// patient are handled one at a time, different patients in parallel.
const PATIENT_LOCKS: usize = 64;

/// How long a process holds a patient's turn on a shared store at most (a
/// message takes milliseconds), and so how long another waits for a turn
/// that a dead process held.
const CONVERSATION_LEASE: Duration = Duration::from_secs(10);
/// How often a process waiting for a patient's turn looks again.
const CONVERSATION_POLL: Duration = Duration::from_millis(5);

/// A patient's turn (see [`Service::lock_patient`]), given back when dropped.
struct PatientTurn<'a> {
    _local: MutexGuard<'a, ()>,
    lease: Option<(&'a Store, String)>,
}

impl Drop for PatientTurn<'_> {
    fn drop(&mut self) {
        if let Some((store, name)) = &self.lease {
            // Not released, it runs out by itself.
            let _ = store.release_lease(name);
        }
    }
}

/// The handoff service. Share it behind an `Arc`.
#[derive(Debug)]
pub struct Service {
    engine: RwLock<Arc<Engine>>,
    store: Store,
    settings: HandoffSettings,
    clock: Arc<dyn Clock>,
    /// One patient's conversation is read, changed and written back by one
    /// message at a time; two quick messages from the same patient must not
    /// both start from the same state.
    patient_locks: Box<[Mutex<()>]>,
    /// Woken whenever something is queued, so the dispatcher sends it at once.
    outbox_ready: Arc<Notify>,
    /// Each patient's allowance of messages (see `limits.rs`).
    rate_limiter: Mutex<RateLimiter>,
    /// Messages the rate limit held back since start.
    rate_limited: AtomicU64,
    /// Writes for patients' messages that failed since start (see
    /// `recording.rs`).
    not_recorded: recording::NotRecorded,
    /// Deliveries the dispatcher confirmed, counted and signalled, so that a
    /// clinician's `/reply` can wait to say "delivered" (see `clinician.rs`).
    confirmed: (Mutex<u64>, Condvar),
    /// How long a clinician's `/reply` waits for the patient to get the
    /// message before saying it is queued instead; zero where no dispatcher
    /// runs alongside (one-off commands).
    delivery_wait: Duration,
    /// Whether correspondence is kept for patients' records and pushed to
    /// the practice's FHIR server (`crate::record`).
    record: RecordSettings,
}

impl Service {
    pub fn new(
        engine: Arc<Engine>,
        store: Store,
        settings: HandoffSettings,
        clock: Arc<dyn Clock>,
    ) -> Service {
        Service {
            engine: RwLock::new(engine),
            store,
            settings,
            clock,
            patient_locks: (0..PATIENT_LOCKS).map(|_| Mutex::new(())).collect(),
            outbox_ready: Arc::new(Notify::new()),
            rate_limiter: Mutex::new(RateLimiter::new(RateLimit::default())),
            rate_limited: AtomicU64::new(0),
            not_recorded: recording::NotRecorded::default(),
            confirmed: (Mutex::new(0), Condvar::new()),
            delivery_wait: Duration::ZERO,
            record: RecordSettings::default(),
        }
    }

    /// What the practice chose about copying correspondence to its records
    /// (`[record]`; by default every exchange is kept, nothing is pushed).
    pub fn with_record(mut self, record: RecordSettings) -> Service {
        self.record = record;
        self
    }

    /// What the practice chose about copying correspondence to its records.
    pub fn record_settings(&self) -> &RecordSettings {
        &self.record
    }

    /// Lets a clinician's `/reply` wait up to `wait` for the dispatcher to
    /// deliver it, so the confirmation can say "delivered" (a deployment with
    /// a dispatcher: `carebot serve`). Adapters call the service on a
    /// blocking thread, so the wait holds up nothing else.
    pub fn with_delivery_wait(mut self, wait: Duration) -> Service {
        self.delivery_wait = wait;
        self
    }

    /// Handles any incoming message and returns what to send now, each to its
    /// chat: usually the chat it came from, but a health question asked in a
    /// shared channel is answered privately. What must reach anyone else
    /// (clinicians, a patient a clinician replied to) is in the outbox.
    ///
    /// Patients' messages are counted against their rate limit first (see
    /// `limits.rs`); [`Service::patient_message`], for local tools such as the
    /// terminal chat, is not limited.
    ///
    /// Emergency advice comes first, before a first-contact notice or
    /// anything else, so that every adapter sends it first: a patient who
    /// stops reading after one message has read the one that matters.
    pub fn handle(&self, inbound: Inbound) -> Result<Vec<Delivery>, ServiceError> {
        let to_chat = |chat: &Address, replies: Vec<Reply>| {
            replies
                .into_iter()
                .map(|reply| Delivery {
                    to: chat.clone(),
                    reply,
                })
                .collect()
        };
        let mut deliveries = match inbound {
            // Clinicians talking among themselves in their channel are not
            // patients: only their commands are for the bot.
            Inbound::Message { from, .. }
                if self.settings.clinician_channel.as_ref() == Some(&from) =>
            {
                Ok(Vec::new())
            }
            Inbound::Message { from, text } => {
                match self.admit(&from, &text) {
                    Admission::Handle => {}
                    Admission::SlowDown(notice) => return Ok(to_chat(&from, vec![notice])),
                    Admission::Drop => return Ok(Vec::new()),
                }
                let response = self.patient_message(&from, &text)?;
                Ok(to_chat(
                    &from,
                    response.replies().into_iter().cloned().collect(),
                ))
            }
            Inbound::Command { sender, command } => {
                let reply = self.clinician_command(&sender, command)?;
                Ok(to_chat(&sender.chat, vec![reply]))
            }
            Inbound::MalformedCommand { sender, usage } => {
                let reply = self.malformed_command(&sender, &usage)?;
                Ok(to_chat(&sender.chat, vec![reply]))
            }
            Inbound::Public { sender, text } => match self.admit(&sender.user, &text) {
                Admission::Handle => self.public_message(&sender, &text),
                Admission::SlowDown(notice) => Ok(to_chat(&sender.chat, vec![notice])),
                Admission::Drop => Ok(Vec::new()),
            },
        }?;
        // Stable: otherwise in the order above (notice, reply, handoff).
        deliveries.sort_by_key(|delivery| delivery.reply.level != Some(Level::Emergency));
        Ok(deliveries)
    }

    /// The engine in use now.
    pub fn engine(&self) -> Arc<Engine> {
        self.engine
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Swaps in a new engine (reloaded knowledge); messages already being
    /// handled finish with the old one.
    pub fn set_engine(&self, engine: Arc<Engine>) {
        *self
            .engine
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = engine;
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn settings(&self) -> &HandoffSettings {
        &self.settings
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// Notified whenever a message is queued in the outbox.
    pub fn outbox_ready(&self) -> Arc<Notify> {
        self.outbox_ready.clone()
    }

    fn queued(&self) {
        self.outbox_ready.notify_one();
    }

    /// The dispatcher delivered a message: wakes whoever waits to say so.
    pub fn confirm_delivered(&self) {
        let (count, changed) = &self.confirmed;
        *count
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) += 1;
        changed.notify_all();
    }

    /// Waits up to the delivery wait until nothing for `purpose` to `to` is
    /// left in the outbox; whether that happened.
    fn delivered_soon(&self, to: &Address, purpose: Purpose) -> Result<bool, ServiceError> {
        let deadline = std::time::Instant::now() + self.delivery_wait;
        let (count, changed) = &self.confirmed;
        // Held while reading the outbox, so a confirmation cannot slip in
        // between the reading and the waiting.
        let mut confirmed = count
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        loop {
            let pending = self
                .store
                .outbox_for(to)?
                .iter()
                .any(|item| item.message.purpose == purpose);
            if !pending {
                return Ok(true);
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            confirmed = changed
                .wait_timeout(confirmed, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }

    /// Waits for `patient`'s turn: their messages are handled one at a time
    /// in this process and, on a store other processes share, in all of them
    /// (a lease, see `store/leases.rs`), so two messages that reach two
    /// processes at once are still handled in turn.
    fn lock_patient(&self, patient: &Address) -> PatientTurn<'_> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        patient.hash(&mut hasher);
        let index = (hasher.finish() % self.patient_locks.len() as u64) as usize;
        let local = self.patient_locks[index]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !self.store.is_shared() {
            return PatientTurn {
                _local: local,
                lease: None,
            };
        }
        let name = leases::conversation_lease(patient);
        let deadline = std::time::Instant::now() + CONVERSATION_LEASE;
        loop {
            match self.store.hold_lease(&name, CONVERSATION_LEASE) {
                Ok(true) => {
                    return PatientTurn {
                        _local: local,
                        lease: Some((&self.store, name)),
                    }
                }
                Ok(false) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(CONVERSATION_POLL);
                }
                // Held longer than any message takes by a process that
                // stopped renewing it, or the store fails: answering the
                // patient matters more than the order.
                Ok(false) | Err(_) => {
                    tracing::warn!(
                        "a patient's turn was not free in time; handling the message anyway"
                    );
                    return PatientTurn {
                        _local: local,
                        lease: None,
                    };
                }
            }
        }
    }

    /// The title of rule `id` in the current knowledge, for notifications.
    fn rule_title(engine: &Engine, id: Option<&str>) -> Option<String> {
        id.and_then(|id| engine.knowledge().rule(id))
            .map(|rule| rule.title.clone())
    }
}

/// The seam the chat adapters call: [`Service::handle`] and
/// [`Service::send_later`], with the store's error as the reason to log.
impl Bot for Service {
    fn handle(&self, inbound: Inbound) -> Result<Vec<Delivery>, BotError> {
        Service::handle(self, inbound).map_err(|error| BotError {
            reason: error.to_string(),
        })
    }

    fn send_later(&self, deliveries: Vec<Delivery>) -> Result<(), BotError> {
        Service::send_later(self, deliveries).map_err(|error| BotError {
            reason: error.to_string(),
        })
    }
}
