//! Messages the core asks an adapter to deliver later rather than as a direct
//! answer: case notifications to clinicians, clinician replies to patients,
//! reminders, alerts about carebot itself. They come from the core's durable outbox and stay there until the
//! adapter confirms delivery, so each may arrive more than once after a crash
//! (at-least-once): adapters should not treat a repeat as an error.

use serde::{Deserialize, Serialize};

use crate::{Address, CaseId, Level, Reply};

/// An outbox item's id: confirm delivery with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OutboundId(pub u64);

impl std::fmt::Display for OutboundId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "O-{}", self.0)
    }
}

/// Why a message is being sent; adapters may render them differently (a
/// notification may ping the channel, a reply to a patient must not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "purpose", rename_all = "snake_case")]
pub enum Purpose {
    /// A new case, to the clinicians.
    CaseOpened { case: CaseId },
    /// More from the patient on a case, to the clinicians (or the one who claimed it).
    CaseUpdated { case: CaseId },
    /// More from the patient that made their case an emergency, to the
    /// clinicians (or the one who claimed it): as urgent as a new emergency
    /// case, and never replaced by a later update.
    CaseEscalated { case: CaseId },
    /// A case nobody has claimed yet, again, to the clinicians.
    CaseReminder { case: CaseId },
    /// A clinician's message, to the patient.
    ClinicianReply { case: CaseId },
    /// News about their case, to the patient (claimed, resolved, please phone).
    CaseNews { case: CaseId },
    /// Something the clinicians should know about carebot itself, to the
    /// clinicians: knowledge files that changed but could not be loaded.
    Alert,
    /// A direct reply the platform would not take at once (an outage, a long
    /// rate limit), to whoever wrote: kept so it still arrives.
    Reply,
    /// A health notice, to a patient who subscribed to its topic: after
    /// everything else.
    HealthNotice,
    /// A resolved case's correspondence, to the practice's record system
    /// (not a chat: `carebot serve` posts it to the FHIR server).
    RecordCopy { case: CaseId },
}

impl Purpose {
    /// The case the message is about; `None` for an alert or a reply.
    pub fn case(&self) -> Option<CaseId> {
        match *self {
            Purpose::CaseOpened { case }
            | Purpose::CaseUpdated { case }
            | Purpose::CaseEscalated { case }
            | Purpose::CaseReminder { case }
            | Purpose::ClinicianReply { case }
            | Purpose::CaseNews { case }
            | Purpose::RecordCopy { case } => Some(case),
            Purpose::Alert | Purpose::Reply | Purpose::HealthNotice => None,
        }
    }

    /// How soon the message should go, before others waiting for the same
    /// platform; `reply` is what it says (an emergency goes first). An
    /// update on a case that was an emergency already is only an update: the
    /// clinicians were told when it opened or became one.
    pub fn priority(&self, reply: &Reply) -> Priority {
        if reply.level == Some(Level::Emergency)
            && matches!(self, Purpose::CaseOpened { .. } | Purpose::Reply)
        {
            return Priority::Emergency;
        }
        match self {
            Purpose::CaseEscalated { .. } => Priority::Emergency,
            Purpose::CaseOpened { .. } | Purpose::CaseReminder { .. } | Purpose::Alert => {
                Priority::NewCase
            }
            Purpose::ClinicianReply { .. } | Purpose::CaseNews { .. } | Purpose::Reply => {
                Priority::Reply
            }
            Purpose::CaseUpdated { .. } => Priority::Update,
            Purpose::HealthNotice | Purpose::RecordCopy { .. } => Priority::Notice,
        }
    }

    /// The purpose's name, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Purpose::CaseOpened { .. } => "case_opened",
            Purpose::CaseUpdated { .. } => "case_updated",
            Purpose::CaseEscalated { .. } => "case_escalated",
            Purpose::CaseReminder { .. } => "case_reminder",
            Purpose::ClinicianReply { .. } => "clinician_reply",
            Purpose::CaseNews { .. } => "case_news",
            Purpose::Alert => "alert",
            Purpose::Reply => "reply",
            Purpose::HealthNotice => "health_notice",
            Purpose::RecordCopy { .. } => "record_copy",
        }
    }
}

/// Which messages go first when more wait than a platform will take at
/// once: an emergency reply or a new emergency case ahead of everything (a
/// patient must read "call 911" in seconds, not behind a burst), then other
/// new cases (someone is waiting for a clinician), then replies, then
/// updates on cases clinicians already know about, and health notices sent
/// to subscribers last. The order of the variants is the order of urgency,
/// so `max()` picks the most urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Notice,
    Update,
    Reply,
    NewCase,
    Emergency,
}

impl Priority {
    /// A direct reply (not from the outbox): an emergency's advice first.
    pub fn of_reply(reply: &Reply) -> Priority {
        if reply.level == Some(Level::Emergency) {
            Priority::Emergency
        } else {
            Priority::Reply
        }
    }
}

/// One message to deliver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outbound {
    pub id: OutboundId,
    pub to: Address,
    pub purpose: Purpose,
    /// What to show, rendered like any reply (clinician notifications carry
    /// buttons such as "Claim C-0042" whose reply is the command text).
    pub reply: Reply,
}

impl Outbound {
    /// How soon it should go (see [`Priority`]).
    pub fn priority(&self) -> Priority {
        self.purpose.priority(&self.reply)
    }
}

/// Why an adapter could not deliver a message: the platform's reason (an HTTP
/// status, "chat not found"), for the log. Never the message text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryError {
    pub reason: String,
    /// The recipient's platform will not let the bot write to them (they
    /// blocked the bot, left, or deleted their account): retrying will not
    /// help. Anything else (rate limits, outages, timeouts) is worth retrying.
    #[serde(default)]
    pub recipient_refuses: bool,
}

impl DeliveryError {
    /// A failure worth retrying.
    pub fn new(reason: impl Into<String>) -> DeliveryError {
        DeliveryError {
            reason: reason.into(),
            recipient_refuses: false,
        }
    }

    /// The recipient will not take messages from the bot.
    pub fn recipient_refuses(reason: impl Into<String>) -> DeliveryError {
        DeliveryError {
            reason: reason.into(),
            recipient_refuses: true,
        }
    }
}

impl std::fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for DeliveryError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ReplyKind;

    #[test]
    fn emergencies_then_new_cases_then_replies_then_updates() {
        let case = CaseId(1);
        let at = |level: Option<Level>| Reply {
            level,
            ..Reply::plain(ReplyKind::Notice, "")
        };
        let emergency = at(Some(Level::Emergency));
        let routine = at(Some(Level::Routine));
        let of = |purpose: Purpose, reply: &Reply| purpose.priority(reply);
        assert_eq!(
            of(Purpose::CaseOpened { case }, &emergency),
            Priority::Emergency
        );
        assert_eq!(of(Purpose::Reply, &emergency), Priority::Emergency);
        assert_eq!(
            of(Purpose::CaseEscalated { case }, &emergency),
            Priority::Emergency
        );
        assert_eq!(
            of(Purpose::CaseOpened { case }, &routine),
            Priority::NewCase
        );
        assert_eq!(
            of(Purpose::ClinicianReply { case }, &routine),
            Priority::Reply
        );
        // An update on an emergency case is still an update: the clinicians
        // were told about the case when it opened.
        assert_eq!(
            of(Purpose::CaseUpdated { case }, &emergency),
            Priority::Update
        );
        assert!(Priority::Emergency > Priority::NewCase);
        assert!(Priority::NewCase > Priority::Reply);
        assert!(Priority::Reply > Priority::Update);
        assert_eq!(Priority::of_reply(&emergency), Priority::Emergency);
        assert_eq!(Priority::of_reply(&routine), Priority::Reply);
    }
}
