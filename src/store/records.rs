//! Records kept in the store besides cases and audit entries: a patient's
//! conversation, outbox items, unanswered questions and first-contact notices.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use carebot_chat::{Address, CaseId, Outbound, Purpose, Reply};

use crate::conversation::Conversation;
use crate::handoff::FollowUpAnswer;

/// How many turns a conversation keeps: enough for a clinician's transcript
/// and "what do you know about me", no more.
pub const KEPT_TURNS: usize = 12;

/// One message in a stored conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    pub at: Timestamp,
    /// The patient's words (identifiers redacted), or a summary of the bot's
    /// reply (its kind, level and entry, or the question it asked).
    pub text: String,
    pub from_patient: bool,
}

/// Everything kept about one patient's conversation with the bot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatientRecord {
    /// The engine's state: the follow-up it waits on, the episode so far.
    pub state: Conversation,
    pub turns: Vec<Turn>,
    /// Follow-up questions asked in the current episode and their answers.
    pub answers: Vec<FollowUpAnswer>,
    /// The follow-up question the bot is waiting on an answer to.
    pub asked: Option<String>,
    /// The patient's latest unresolved case, so that more messages join it.
    pub case: Option<CaseId>,
    pub updated_at: Timestamp,
}

impl PatientRecord {
    pub fn new(at: Timestamp) -> PatientRecord {
        PatientRecord {
            state: Conversation::default(),
            turns: Vec::new(),
            answers: Vec::new(),
            asked: None,
            case: None,
            updated_at: at,
        }
    }

    /// Adds a turn, dropping the oldest beyond [`KEPT_TURNS`].
    pub fn push_turn(&mut self, turn: Turn) {
        self.turns.push(turn);
        let excess = self.turns.len().saturating_sub(KEPT_TURNS);
        self.turns.drain(..excess);
    }
}

/// A message to deliver, before the outbox gives it an id (then it is an
/// [`Outbound`]); not to be confused with [`carebot_chat::Delivery`], a reply
/// an adapter sends at once.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutbound {
    pub to: Address,
    pub purpose: Purpose,
    pub reply: Reply,
}

impl NewOutbound {
    /// The same `reply`, for the same `purpose`, to each of `targets`.
    pub fn to_each<'a>(
        targets: impl IntoIterator<Item = &'a Address>,
        purpose: Purpose,
        reply: &Reply,
    ) -> Vec<NewOutbound> {
        targets
            .into_iter()
            .map(|to| NewOutbound {
                to: to.clone(),
                purpose,
                reply: reply.clone(),
            })
            .collect()
    }
}

/// A message waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxItem {
    pub message: Outbound,
    pub queued_at: Timestamp,
    /// Failed delivery attempts so far.
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    /// Why the last attempt failed, as the adapter said (never message text).
    pub last_error: Option<String>,
}

/// A question the bot could not answer, as the practice's report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnansweredQuestion {
    /// Lower case, identifiers redacted.
    pub text: String,
    pub count: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
}

/// That a patient was shown the first-contact notice, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeShown {
    pub at: Timestamp,
}
